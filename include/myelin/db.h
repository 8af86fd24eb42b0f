/* The results database: SQLite, one file accumulating runs.
 *
 * Schema (versioned with PRAGMA user_version; documented in docs/results-schema.md): a `runs`
 * row per run, per-population and per-neuron spike counts, per-tick aggregates, and optionally
 * every spike and recorded membrane potentials. A run's row is inserted with status 'running'
 * before the simulation starts and updated to 'completed', 'failed' or 'interrupted' at the end;
 * a run whose process died is found at the next open and marked 'failed'.
 *
 * Writing happens on a writer thread (libuv threads, mutex and condition variable): the
 * simulation copies each tick's figures into a batch and hands full batches over; the writer
 * inserts them through prepared statements, one transaction per batch. The queue is bounded so
 * a disk slower than the simulation slows it down rather than filling memory.
 */
#ifndef MYELIN_DB_H
#define MYELIN_DB_H

#include "myelin/counts.h"
#include "myelin/err.h"
#include "myelin/sim.h"

#include <stdint.h>

#define MYL_DB_SCHEMA_VERSION 2

typedef struct myl_db myl_db;

/* Open (creating or upgrading the schema). Refuses a database from a newer myelin. */
int myl_db_open(const char *path, myl_db **out, myl_diag *d);
void myl_db_close(myl_db *db);
const char *myl_db_path(const myl_db *db);

/* Where one core of a hardware run sits and how full it is. */
typedef struct myl_db_core {
    uint32_t chip, tile_x, tile_y, slot;
    uint32_t neurons, axons_in, axons_out, max_fanin;
    uint64_t synapses, syn_bits;
} myl_db_core;

typedef struct myl_run_desc {
    const char *command;      /* "run", "compare" */
    const char *network;      /* path as given */
    const char *network_name;
    const char *network_sha256;
    const char *engine;
    const char *record;       /* "counts" or "spikes" */
    const char *hw;           /* hardware model, or NULL */
    int64_t comparison;       /* first run of a `compare`, or 0 */
    uint64_t seed;
    double dt;
    uint64_t ticks;           /* planned */
    uint64_t neurons, synapses;
    double build_s;
    /* hardware runs: the mapping */
    const char *mapping;          /* strategy name */
    uint32_t ncores, nchips;
    const myl_db_core *cores;     /* [ncores] */
    const uint32_t *neuron_core;  /* [neurons] */
} myl_run_desc;

/* Population table of a run: names and sizes, in network order. */
typedef struct myl_run_pop {
    const char *name;
    const char *model;
    uint32_t size;
    uint64_t first;
} myl_run_pop;

typedef struct myl_run_totals {
    uint64_t ticks;           /* simulated */
    uint64_t spikes, syn_events, syn_evals, updates, input_events;
    double wall_s;            /* simulation loop only */
    uint64_t peak_rss;        /* bytes */
    const uint64_t *neuron_spikes; /* per neuron (myl_sim_spike_counts), or NULL */
    /* hardware runs */
    int have_hw;
    double energy, part[MYL_E_PARTS]; /* J */
    double chip_time, mean_power;     /* s, W */
    const myl_core_counts *core;      /* [desc ncores] */
} myl_run_totals;

typedef struct myl_db_run myl_db_run;

/* Insert the run row (status 'running') and start its writer thread. record_spikes: store every
 * spike and recorded membrane potential. */
int myl_db_run_begin(myl_db *db, const myl_run_desc *desc, const myl_run_pop *pops,
                     uint32_t npops, int record_spikes, myl_db_run **out, int64_t *run_id,
                     myl_diag *d);
/* Account for one tick (copies what it needs). Never blocks on the disk unless the writer has
 * fallen a whole queue behind. */
int myl_db_run_tick(myl_db_run *r, const myl_tick_report *t);
/* Energy and latency of a tick already given to myl_db_run_tick (hardware runs). The costs may
 * come some ticks after their ticks (the accountant prices on its own thread), in tick order;
 * a tick and its cost may be written in different transactions. */
int myl_db_run_tick_cost(myl_db_run *r, uint64_t tick, const myl_tick_cost *c);
/* Flush, write counts and totals, set the status ("completed", "failed", "interrupted") and the
 * error text (NULL when none), join the writer, free r. Returns the first error met while
 * writing, if any. */
int myl_db_run_end(myl_db_run *r, const myl_run_totals *tot, const char *status,
                   const char *error, myl_diag *d);

#endif
