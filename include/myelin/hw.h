/* Hardware models: what a neuromorphic chip can hold, how it computes, and what each of its
 * operations costs, loaded from data files (hw_models/<name>.yaml, or SANA-FE architecture
 * files) so that adding a chip needs no recompilation unless it brings a new arithmetic.
 *
 * The cost model is SANA-FE's (Boyle et al., IEEE TCAD 2025), so that its calibrated files can
 * be used as they are: a core is a pipeline of units - axon_in (a message arrives), synapse (a
 * synapse processes a spike), dendrite (per updated neuron), soma (every mapped neuron is
 * accessed every tick, updated when it has input or is not at rest, and pays a spike cost when
 * it fires), axon_out (a message leaves) - and a tile's router charges each hop by direction.
 * Figures quoted as "active/inactive neuron update" (Davies 2018) map onto access = inactive,
 * update = active - inactive. Every number carries its source and a mark: M measured on silicon,
 * S pre-silicon simulation, C calibrated by a simulator against measurements, V vendor claim,
 * ? widely quoted but unconfirmed, D derived here from other figures.
 */
#ifndef MYELIN_HW_H
#define MYELIN_HW_H

#include "myelin/err.h"

#include <stdint.h>
#include <stdio.h>

typedef enum myl_arith {
    MYL_ARITH_FLOAT,     /* myelin's float models (docs/models.md) */
    MYL_ARITH_LOIHI,     /* Loihi CUBA LIF, bit-accurate (Lava PyLifModelBitAcc) */
    MYL_ARITH_TRUENORTH, /* TrueNorth integer neuron (Cassidy et al. 2013) */
    MYL_ARITH_SPINNAKER, /* SpiNNaker LIF in s16.15 fixed point */
    MYL_ARITH_ODIN,      /* ODIN 8-bit saturating LIF */
    MYL_ARITH_COUNT
} myl_arith;

const char *myl_arith_name(myl_arith a);

/* One figure with where it came from. */
typedef struct myl_fig {
    double v;           /* SI units: J, s, W */
    char mark;          /* 'M', 'S', 'C', 'V', '?', 'D', or 0 when unset */
    const char *source; /* citation text (owned by the model) */
} myl_fig;

/* Energy and time of one operation. */
typedef struct myl_op {
    myl_fig energy; /* J */
    myl_fig latency; /* s */
} myl_op;

/* A named variant of a unit (SANA-FE lets a core offer several synapse or soma models, and a
 * network's mapping picks one per neuron group; the first is the default). */
typedef struct myl_soma_cost {
    char *name;
    myl_op access; /* every mapped neuron, every tick */
    myl_op update; /* a neuron that is updated (input, or not at rest) */
    myl_op spike;  /* a neuron that fires */
    int input;     /* SANA-FE "input" soma: a spike source, costs as given (usually none) */
} myl_soma_cost;

typedef struct myl_synapse_cost {
    char *name;
    myl_op spike; /* one synapse processing one spike */
} myl_synapse_cost;

#define MYL_HW_MAX_VARIANTS 8
#define MYL_HW_MAX_SYNC 16

typedef struct myl_hw {
    char *name;
    char *description;
    char *path;         /* file it was loaded from */
    int sanafe;         /* loaded from a SANA-FE architecture file */

    /* organisation */
    uint32_t cores_per_tile;
    uint32_t mesh_w, mesh_h;   /* tiles of one chip */
    uint32_t chips_w, chips_h; /* chips joined by chip-to-chip links; 0 = as many as needed */

    /* per-core capacities; 0 = no limit */
    uint32_t max_neurons;
    uint64_t max_synapses;      /* synapses per core */
    uint64_t syn_mem_bits;      /* synapse memory per core */
    uint32_t syn_bits;          /* bits one synapse takes in that memory (weight + delay + ...) */
    uint32_t max_fanin;         /* synapses into one neuron */
    uint32_t max_axons_in;      /* distinct source neurons whose spikes a core receives */
    uint32_t max_axons_out;     /* (neuron, destination core) routes leaving a core */
    uint32_t max_delay;         /* ticks; 0 = no limit */
    uint32_t max_refractory;    /* ticks */

    /* arithmetic */
    myl_arith arith;
    uint32_t weight_bits;       /* signed weight precision, 0 = float */
    int weight_exp_min, weight_exp_max; /* shared per-projection exponent range */

    /* costs, per core unit */
    myl_op msg_in;              /* axon_in */
    myl_synapse_cost synapse[MYL_HW_MAX_VARIANTS];
    uint32_t nsynapse;
    myl_op dendrite;            /* per updated neuron */
    myl_soma_cost soma[MYL_HW_MAX_VARIANTS];
    uint32_t nsoma;
    myl_op msg_out;             /* axon_out: per message leaving a core */
    /* network */
    myl_op hop_n, hop_e, hop_s, hop_w; /* one router hop by direction */
    myl_op chip_hop;            /* crossing a chip-to-chip link */
    /* time step */
    int sync_table;             /* 0: fixed sync latency; 1: table by tiles in use */
    myl_fig sync;               /* fixed barrier latency per tick */
    uint32_t sync_tiles[MYL_HW_MAX_SYNC]; /* table: tiles in use ... */
    myl_fig sync_lat[MYL_HW_MAX_SYNC];    /* ... and the latency from that count up */
    uint32_t nsync;
    myl_fig static_power;       /* W per chip; 0 when unknown */
    myl_fig tick_period;        /* s: the chip's real-time step, 0 = free running */

    /* references cited by the file, one per line */
    char *references;
} myl_hw;

/* Load a model by name (hw_models/<name>.yaml, looked up in MYELIN_HW_PATH, then the source
 * tree, then the installed data directory) or by path. SANA-FE architecture files (a top-level
 * `architecture:` key) are recognised and converted. Errors name the file, line and key, and
 * what was expected: MYL_EPARSE (bad content), MYL_ENOTFOUND (no such model), MYL_EIO. */
int myl_hw_load(const char *name_or_path, myl_hw **out, myl_diag *d);
void myl_hw_free(myl_hw *hw);

/* Names of the models found (hw_models/ and MYELIN_HW_PATH), sorted; free with
 * myl_hw_names_free. */
int myl_hw_names(char ***names, size_t *n);
void myl_hw_names_free(char **names, size_t n);

/* Human-readable description with every figure and its source (`myelin hw show`). */
void myl_hw_describe(const myl_hw *hw, FILE *f);
/* One line: name, chip size, arithmetic, description (`myelin hw list`). */
void myl_hw_summary(const myl_hw *hw, FILE *f);

/* The soma variant called name (NULL: the default); -1 if none. */
int myl_hw_soma_index(const myl_hw *hw, const char *name);
int myl_hw_synapse_index(const myl_hw *hw, const char *name);

#endif
