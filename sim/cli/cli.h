/* Shared pieces of the myelin command: loading a network with command-line overrides,
 * compiling it, driving a run into the results database, and printing what happened. */
#ifndef MYL_CLI_H
#define MYL_CLI_H

#include "myelin/chipq.h"
#include "myelin/cnet.h"
#include "myelin/db.h"
#include "myelin/energy.h"
#include "myelin/hw.h"
#include "myelin/live.h"
#include "myelin/map.h"
#include "myelin/netfile.h"
#include "myelin/replay.h"
#include "myelin/sim.h"
#include "myelin/trace.h"

#include <stdint.h>
#include <stdio.h>

/* exit codes */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Options common to commands that run a network. */
typedef struct cli_common {
    const char *net_path; /* NULL: the built-in example */
    const char *db_path;
    uint64_t ticks;       /* 0: from the file */
    double duration;      /* seconds, < 0: not given */
    int have_seed;
    uint64_t seed;
    int record_spikes;
    int quiet;
    const char *hw;       /* hardware model, or NULL */
    const char *input;    /* --input: overrides the first binding's stream */
    const char *mapping;  /* mapping file, or NULL */
    myl_map_strategy strategy;
    int strategy_given;   /* --strategy was on the command line */
} cli_common;

/* Long options shared by run and compare; see cli_common_parse. */
#define CLI_COMMON_OPTS                                                                            \
    {"ticks", required_argument, NULL, 'n'}, {"duration", required_argument, NULL, 'T'},         \
        {"seed", required_argument, NULL, 's'}, {"db", required_argument, NULL, 'd'},             \
        {"record", required_argument, NULL, 'r'}, {"quiet", no_argument, NULL, 'q'},               \
        {"hw", required_argument, NULL, 'H'}, {"strategy", required_argument, NULL, 'S'},         \
        {"mapping", required_argument, NULL, 'M'}, {"input", required_argument, NULL, 'I'},      \
        {"help", no_argument, NULL, 'h'}

/* Handle one of the common options; returns 1 if it was one, 0 if not, -1 on a bad value
 * (message printed). */
int cli_common_opt(cli_common *c, int opt, const char *arg, const char *cmd);

/* Map a myl error code to an exit code: problems with what the user gave -> 2, else 1. */
int cli_exit_code(int rc);
/* Print "myelin: <msg>" (the diag if set, else the code's text) to stderr. */
void cli_error(const myl_diag *d, int rc, const char *what);

typedef struct cli_job {
    myl_netfile *nf;
    myl_hw *hw;    /* with --hw */
    myl_map *map;  /* with --hw */
    myl_chipq *chip; /* with --hw on a chip with its own arithmetic */
    myl_cnet *cn;
    uint64_t ticks;
    uint64_t seed;
    double dt;
    int until_end;         /* run until the bound streams end */
    const char *input;     /* --input */
    /* live runs (docs/live.md); myelin run sets these after cli_job_prepare */
    int realtime;       /* --realtime: pace ticks against the wall clock */
    double speed;       /* --speed: simulated seconds per wall-clock second */
    int have_latency;   /* --latency given */
    double latency;     /* its value [s]; < 0: wait for a stream without limit */
    const char *output; /* --output: where the output populations' spikes go */
    int quiet;          /* no "listening on" lines, no warnings */
} cli_job;

/* Load, override, map (with --hw) and compile. Prints the error and returns an exit code (0 on
 * success). */
int cli_job_prepare(cli_job *j, const cli_common *c);
/* The same without compiling (myelin map). */
int cli_job_prepare_map(cli_job *j, const cli_common *c);
/* Record a mapping as a run of zero ticks. */
int cli_record_mapping(const cli_job *j, myl_db *db, int64_t *run_id, myl_diag *d);
void cli_job_release(cli_job *j);

/* What one engine run measured. */
typedef struct cli_result {
    int64_t run_id;
    uint64_t ticks;
    uint64_t spikes, syn_events, syn_evals, updates, input_events;
    uint64_t *pop_spikes; /* per population, caller frees */
    uint64_t *tick_hash;  /* per tick, if asked for */
    myl_acct_totals hw;   /* with --hw */
    int have_hw;
    uint64_t stream_events, stream_dropped; /* replayed input */
    double wall_s;
    size_t engine_bytes;
    uint64_t peak_rss;
    int interrupted;
    int usage;   /* the failure was a bad address or an address in use: exit status 2 */
    char *notes; /* summary lines about pacing, live inputs and --output; freed by release */
} cli_result;

/* Run j with one engine for j->ticks ticks, recording into db (if not NULL). hashes: keep a
 * 64-bit hash of each tick's spikes. Returns a myl error code; prints nothing but progress. */
/* Open the streams bound to the network's inputs (the first one replaced by --input) and their
 * replays, into rd and rp (ninputs each); bindings marked in live (may be NULL) are skipped.
 * builtin_src must outlive the readers. On failure the caller frees what was opened. */
int cli_open_inputs(const cli_job *j, myl_live_in *const *live, myl_bytes *builtin_src,
                    myl_reader **rd, myl_replay **rp, myl_diag *d);
/* Close what cli_open_inputs opened (NULL entries are skipped), and free the arrays. */
void cli_close_inputs(size_t nin, myl_reader **rd, myl_replay **rp);
int cli_run_engine(cli_job *j, myl_engine e, myl_db *db, const char *command, int64_t comparison,
                   int record_spikes, int hashes, int progress, cli_result *res, myl_diag *d);
void cli_result_release(cli_result *r);

/* Set by SIGINT / SIGTERM: runs stop at the next tick and are marked interrupted. */
extern volatile int cli_stop;
void cli_install_signals(void);

/* 12,345,678 */
const char *cli_num(uint64_t x, char *buf, size_t n);
/* A value with an SI prefix: "12.5 uJ" */
const char *cli_si(double v, const char *unit, char *buf, size_t n);
/* Human sizes: 1.5 GiB */
const char *cli_bytes(uint64_t x, char *buf, size_t n);
uint64_t cli_peak_rss(void);
double cli_now(void);

int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_map(int argc, char **argv);

/* Print the mapping's utilisation table. */
void cli_print_mapping(const cli_job *j, FILE *f);
/* Print energy and latency totals. */
void cli_print_energy(const cli_job *j, const cli_result *r, FILE *f);

#endif
