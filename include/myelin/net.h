/* Network description: populations and projections, as a user writes them.
 *
 * A myl_net is what a network file (or a program) describes, before anything is generated:
 * populations with a neuron model and parameters, and projections with a connection rule and
 * weight and delay distributions. Nothing is random yet and nothing is large unless the user gave
 * large arrays. myl_net_compile() (compile.h) turns it into the flat arrays the engines run.
 *
 * Units: times are integer ticks wherever the engines see them (delays, refractory periods,
 * regular-source periods, explicit spike times); the network file converts seconds to ticks.
 * Time constants are seconds. Membrane quantities (v_rest, v_th, weights into `lif`) share one
 * unit the user picks, conventionally mV; currents are in units such that R*I is in that unit.
 * Rates are Hz.
 *
 * Global neuron index: populations are numbered in the order they were added and their neurons
 * take consecutive global indices. Spike sources are populations like any other.
 */
#ifndef MYELIN_NET_H
#define MYELIN_NET_H

#include "myelin/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum myl_model {
    MYL_MODEL_LIF,         /* leaky integrate-and-fire, delta synapses */
    MYL_MODEL_CUBA_LIF,    /* LIF with exponential excitatory and inhibitory currents */
    MYL_MODEL_IF,          /* integrate-and-fire, no leak */
    MYL_MODEL_LI,          /* leaky integrator, never spikes; its membrane is recorded */
    MYL_MODEL_POISSON,     /* spike source: Poisson process */
    MYL_MODEL_REGULAR,     /* spike source: regular period and phase */
    MYL_MODEL_SPIKE_TIMES, /* spike source: explicit spike times */
    MYL_MODEL_EVENTS,      /* spike source: events of a recorded or live stream (replay.h) */
    MYL_MODEL_COUNT
} myl_model;

typedef enum myl_param {
    MYL_P_TAU_M,      /* membrane time constant [s] */
    MYL_P_TAU_SYN_E,  /* excitatory synaptic current time constant [s] */
    MYL_P_TAU_SYN_I,  /* inhibitory synaptic current time constant [s] */
    MYL_P_V_REST,     /* resting (leak reversal) potential */
    MYL_P_V_TH,       /* threshold */
    MYL_P_V_RESET,    /* reset potential */
    MYL_P_REFRACTORY, /* refractory period [ticks] */
    MYL_P_BIAS,       /* constant bias current */
    MYL_P_R,          /* membrane resistance */
    MYL_P_V_INIT,     /* initial membrane potential (default: v_rest) */
    MYL_P_RATE,       /* Poisson rate [Hz] */
    MYL_P_PERIOD,     /* regular source period [ticks] */
    MYL_P_PHASE,      /* regular source first spike [ticks] */
    MYL_P_INPUT_RATE,   /* neurons: rate of independent Poisson input events [Hz] */
    MYL_P_INPUT_WEIGHT, /* neurons: weight of each such event */
    MYL_P_COUNT
} myl_param;

typedef enum myl_reset { MYL_RESET_TO, MYL_RESET_SUBTRACT } myl_reset;

/* How values for many elements (neurons of a population, synapses of a projection) are given. */
typedef enum myl_dist {
    MYL_DIST_CONST,   /* a */
    MYL_DIST_UNIFORM, /* [a, b), or the integers a..b when `integer` is set */
    MYL_DIST_NORMAL,  /* mean a, standard deviation b, then clipped into [lo, hi] */
    MYL_DIST_ARRAY,   /* one value per element */
} myl_dist;

typedef struct myl_values {
    myl_dist dist;
    double a, b;
    double lo, hi;   /* normal: clip bounds (-INFINITY/INFINITY when open) */
    int integer;     /* uniform over integers a..b inclusive */
    size_t n;        /* array: number of values */
    const float *f32; /* array: exactly one of f32 / f64 is set */
    const double *f64;
} myl_values;

/* Convenience constructor for a constant. */
static inline myl_values myl_const(double x)
{
    myl_values v = {MYL_DIST_CONST, x, 0, 0, 0, 0, 0, NULL, NULL};
    return v;
}

typedef enum myl_conn_rule {
    MYL_CONN_ALL_TO_ALL,
    MYL_CONN_ONE_TO_ONE,
    MYL_CONN_FIXED_PROBABILITY,
    MYL_CONN_FIXED_INDEGREE,
    MYL_CONN_FIXED_OUTDEGREE,
    MYL_CONN_FIXED_TOTAL_NUMBER,
    MYL_CONN_EXPLICIT,
    MYL_CONN_COUNT
} myl_conn_rule;

typedef enum myl_sign { MYL_SIGN_ANY, MYL_SIGN_EXC, MYL_SIGN_INH } myl_sign;

/* A projection as described. Synapses are generated in a fixed order per rule (see conn.c);
 * per-synapse arrays of weights or delays follow that order:
 *   all_to_all, fixed_probability: post-major (for each post, for each pre), so a (post, pre)
 *     matrix in C order - PyTorch's (out_features, in_features) - lines up for all_to_all;
 *   one_to_one: i;  fixed_indegree: per post, n draws;  fixed_outdegree: per pre, n draws;
 *   fixed_total_number: draw order;  explicit: the order of pre_idx/post_idx. */
typedef struct myl_proj_desc {
    const char *name; /* optional; copied */
    uint32_t pre, post;
    myl_conn_rule rule;
    double p;       /* fixed_probability */
    uint64_t n;     /* fixed_indegree / fixed_outdegree / fixed_total_number */
    int allow_self; /* connect neuron i to itself when pre == post */
    int allow_multiple;
    size_t nexplicit; /* explicit: number of pairs; arrays copied */
    const uint32_t *pre_idx, *post_idx;
    myl_values weight;
    myl_values delay;    /* in units of delay_unit */
    double delay_unit;   /* ticks per unit of `delay` values (1 for ticks, 1/dt for seconds) */
    myl_sign sign;       /* with a sign, the drawn weight's magnitude takes that sign */
    const char *origin;  /* optional, copied: where it was described ("net.yaml:12:5"),
                          * prefixed to messages about its synapses */
} myl_proj_desc;

typedef struct myl_net myl_net;

/* An empty network with dt seconds per tick. */
int myl_net_new(double dt, myl_net **out);
void myl_net_free(myl_net *net);

/* Run settings kept with the network (the network file's `run:` section). */
double myl_net_dt(const myl_net *net);
void myl_net_set_run(myl_net *net, uint64_t ticks, uint64_t seed);
uint64_t myl_net_ticks(const myl_net *net);
uint64_t myl_net_seed(const myl_net *net);

/* Add a population; parameters start at the model's defaults. name must be unique. */
int myl_net_add_pop(myl_net *net, const char *name, uint32_t size, myl_model model,
                    uint32_t *id, myl_diag *d);
/* Set one parameter. Arrays must have `size` values; the values are copied. MYL_EINVAL if the
 * parameter does not belong to the model. */
int myl_net_pop_set(myl_net *net, uint32_t pop, myl_param p, const myl_values *v, myl_diag *d);
int myl_net_pop_set_reset(myl_net *net, uint32_t pop, myl_reset mode);
/* Spike if v > v_th (strict) instead of v >= v_th. */
int myl_net_pop_set_strict_threshold(myl_net *net, uint32_t pop, int strict);
/* Ask for the membrane potential of every neuron, every tick (always on for `li`). */
int myl_net_pop_set_record_v(myl_net *net, uint32_t pop, int on);
/* spike_times sources: (neuron, tick) pairs in any order; copied and sorted. */
int myl_net_pop_set_times(myl_net *net, uint32_t pop, const uint32_t *neuron,
                          const uint64_t *tick, size_t n, myl_diag *d);

int myl_net_add_proj(myl_net *net, const myl_proj_desc *desc, uint32_t *id, myl_diag *d);

/* Queries. */
uint32_t myl_net_npops(const myl_net *net);
uint32_t myl_net_nprojs(const myl_net *net);
uint64_t myl_net_nneurons(const myl_net *net); /* all populations, sources included */
int myl_net_find_pop(const myl_net *net, const char *name, uint32_t *pop);
const char *myl_net_pop_name(const myl_net *net, uint32_t pop);
uint32_t myl_net_pop_size(const myl_net *net, uint32_t pop);
uint64_t myl_net_pop_first(const myl_net *net, uint32_t pop); /* global index of neuron 0 */
myl_model myl_net_pop_model(const myl_net *net, uint32_t pop);
const myl_proj_desc *myl_net_proj(const myl_net *net, uint32_t proj);
/* A population's parameter as given (or its default), its reset mode and threshold test. */
const myl_values *myl_net_pop_param(const myl_net *net, uint32_t pop, myl_param p);
int myl_net_pop_param_set(const myl_net *net, uint32_t pop, myl_param p); /* given explicitly */
myl_reset myl_net_pop_reset(const myl_net *net, uint32_t pop);
int myl_net_pop_strict(const myl_net *net, uint32_t pop);

const char *myl_model_name(myl_model m);
int myl_model_from_name(const char *name, myl_model *m);
int myl_model_is_source(myl_model m);
/* Does parameter p belong to model m? */
int myl_model_has_param(myl_model m, myl_param p);
const char *myl_param_name(myl_param p);
int myl_param_from_name(const char *name, myl_param *p);
const char *myl_conn_rule_name(myl_conn_rule r);
int myl_conn_rule_from_name(const char *name, myl_conn_rule *r);

/* Expected number of synapses of a projection (exact for all rules but fixed_probability, where
 * it is the mean plus four standard deviations), for sizing memory before generating. */
uint64_t myl_net_proj_nsyn_bound(const myl_net *net, uint32_t proj);

/* One generated synapse. pre/post are indices within their populations. */
typedef struct myl_syn {
    uint32_t pre, post;
    float w;
    uint32_t delay; /* ticks, >= 1 */
} myl_syn;

/* Generate the synapses of a projection in its fixed order, calling fn for each; stops and
 * returns fn's value if it is non-zero. Deterministic for a given seed. Fails with MYL_EPARSE
 * (and a message naming the projection) on impossible requests, e.g. a delay of 0 ticks or an
 * in-degree larger than the distinct sources available without multiple connections. */
typedef int (*myl_syn_fn)(void *ctx, const myl_syn *s);
int myl_net_proj_generate(const myl_net *net, uint32_t proj, uint64_t seed, myl_syn_fn fn,
                          void *ctx, myl_diag *d);
/* The same synapses' pre and post only, in the same order, without drawing or checking their
 * weights and delays (w and delay are 0): for a second pass over a projection already
 * generated in full. */
int myl_net_proj_generate_pairs(const myl_net *net, uint32_t proj, uint64_t seed, myl_syn_fn fn,
                                void *ctx, myl_diag *d);

/* A number of ticks (possibly fractional, from a time divided by dt) to a whole number: the
 * nearest one, halves away from zero, after snapping values within 1e-9 (relative) of a whole
 * or half number onto it - so 1.5 ms at dt = 0.1 ms is 15 ticks and 0.15 ms is 2, whatever
 * the last bits of the division. Used wherever myelin turns times into ticks. */
double myl_round_ticks(double ticks);

/* Value for element i of a myl_values, drawing from the keyed generator when random:
 * the draw depends only on (seed, purpose id, i). */
double myl_values_at(const myl_values *v, uint64_t seed, uint32_t id, uint64_t i);

#endif
