/* Internal layout of a compiled network, shared by the compiler, the neuron kernels and the two
 * engines. Other modules see only cnet.h. */
#ifndef MYL_CNET_INTERNAL_H
#define MYL_CNET_INTERNAL_H

#include "myelin/cnet.h"
#include "net_internal.h"

/* Synapse word: core-local target | receptor | (delay - 1) within the row's stage. */
#define MYL_SYN_TGT_BITS 23
#define MYL_SYN_TGT_MASK ((1u << MYL_SYN_TGT_BITS) - 1)
#define MYL_SYN_REC_SHIFT 23
#define MYL_SYN_DLY_SHIFT 24
#define MYL_MAX_CORE_NEURONS (1u << MYL_SYN_TGT_BITS)
#define MYL_MAX_RING 256u
/* Most spikes one source neuron may emit in one tick (spike counts are uint16). */
#define MYL_MAX_COUNT 65535u
/* Largest rate * dt a Poisson source accepts. */
#define MYL_MAX_POISSON_LAMBDA 64.0
#define MYL_POISSON_KMAX 255u

static inline uint32_t myl__syn_tgt(uint32_t w)
{
    return w & MYL_SYN_TGT_MASK;
}
static inline uint32_t myl__syn_rec(uint32_t w)
{
    return (w >> MYL_SYN_REC_SHIFT) & 1u;
}
/* delay within the stage, 1..256 */
static inline uint32_t myl__syn_dly(uint32_t w)
{
    return (w >> MYL_SYN_DLY_SHIFT) + 1u;
}
static inline uint32_t myl__syn_pack(uint32_t tgt, uint32_t rec, uint32_t dly)
{
    return tgt | (rec << MYL_SYN_REC_SHIFT) | ((dly - 1u) << MYL_SYN_DLY_SHIFT);
}

typedef struct myl__row {
    uint64_t off;   /* first word in cnet->word */
    uint64_t woff;  /* first weight in cnet->wt (rows without a shared weight) */
    uint32_t len;
    uint32_t core;
    uint32_t stage; /* delivered stage * ring_slots ticks later than stage 0 */
    uint32_t homog; /* all synapses share `w` and the delay in their words */
    float w;        /* shared weight, scaled */
} myl__row;

/* Kernel constants, one per neuron or one per segment (hetero = 0). Floats because the state is
 * float; computed in double from the parameters. */
typedef struct myl__kconst {
    float a_m;    /* exp(-dt/tau_m) */
    float a_e;    /* exp(-dt/tau_syn_e) */
    float a_i;    /* exp(-dt/tau_syn_i) */
    float p_e;    /* current -> membrane propagators (cuba) */
    float p_i;
    float v_inf;  /* v_rest + R * bias: where v relaxes to */
    float dv;     /* if: R * bias * dt per tick */
    float v_th;   /* +inf for li */
    float v_reset;
    float v_sub;  /* subtractive reset amount: v_th - v_reset */
    int32_t refr; /* ticks */
    int32_t pad;
} myl__kconst;

typedef struct myl__seg {
    uint32_t pop;
    myl_model model;
    uint32_t lo, n;  /* local index range within the core */
    int hetero;      /* constants per neuron */
    myl__kconst *k;  /* n or 1 */
    myl_reset reset;
    int strict;
    int record_v;
    int syn_current; /* takes input through exponential currents (cuba_lif, li with tau_syn) */
    int arith;       /* 0: float model; else the chip arithmetic (myl_arith) */
    void *chip;      /* the chip's parameter struct */
    /* Poisson counts: the spikes of a poisson source, or the input events of neurons with
     * input_rate (then each event adds in_w[] to the neuron's input) */
    uint32_t *pidx;    /* population-local index of each neuron */
    int poisson;       /* draws Poisson counts every tick */
    int lam_hetero;    /* lambda per neuron */
    double *lambda;    /* rate * dt, n or 1 */
    uint32_t *cdf;     /* homogeneous: P(X <= k) * 2^32, up to ncdf entries */
    uint32_t ncdf;
    uint32_t *guide;   /* [2^MYL_GUIDE_BITS]: count for a uniform's top bits | search flag */
    float *in_w;       /* input weight, n or 1, as given (scaled copies below) */
    double *in_ws;     /* ... times 2^k, whole numbers */
    int in_hetero;
    uint64_t *period, *phase; /* regular: n or 1 */
    size_t ntimes;     /* spike_times, sorted by (tick, local) */
    uint64_t *t_tick;
    uint32_t *t_local;
    uint16_t max_count;
} myl__seg;

typedef struct myl__core {
    uint32_t n;
    uint32_t *gid;      /* [n] global index of each local neuron, ascending */
    uint32_t nseg;
    myl__seg *seg;
    int two_rec;        /* separate excitatory and inhibitory accumulators */
    float *v0;          /* [n] initial membrane potential */
    int32_t *iv0;       /* [n] initial chip state (chip segments) */
} myl__core;

struct myl_cnet {
    const myl_net *net;
    const myl_chip *chip; /* during compilation only */
    uint64_t seed;
    uint32_t n;         /* neurons */
    uint32_t ncores;
    myl__core *core;
    uint32_t *core_of;  /* [n] */
    uint32_t *local_of; /* [n] */
    uint64_t *row_ptr;  /* [n + 1]: rows of source g are row_ptr[g] .. row_ptr[g+1] */
    uint64_t *fanout;   /* [n]: synapses of each source neuron */
    myl__row *row;
    uint64_t nrows;
    uint32_t *word;
    float *wt;
    uint64_t nsyn, nwt;
    uint32_t max_delay;
    uint32_t ring;      /* slots, power of two */
    int kshift;
    double inv_scale;   /* 2^-k */
    int inputs_exact;
    uint64_t homog_syn;
    double build_s;
    uint64_t nmodel;
};

#define MYL_GUIDE_BITS 12

/* Population-local spike counts drawn for a source segment at tick t: appends (local, count)
 * for every neuron that spikes, in ascending local order; returns how many. scratch holds n
 * uint32 values. */
uint32_t myl__source_step(const myl_cnet *c, const myl__seg *s, size_t *cursor, uint64_t t,
                          uint32_t *spk, uint16_t *cnt, uint32_t *scratch);

/* Poisson input of a neuron segment at tick t, added to this tick's accumulators (in_i may be
 * NULL: one receptor). Returns the number of input events. */
uint64_t myl__input_step(const myl_cnet *c, const myl__seg *s, uint64_t t, double *in_e,
                         double *in_i, uint32_t *scratch, uint32_t *scratch2);

/* Neuron state of one core, struct of arrays. */
typedef struct myl__nstate {
    float *v;
    float *ie;
    float *ii;
    int32_t *ref;
    /* scratch for the whole-segment path, one entry per neuron of the core */
    float *xe, *xi;
    int32_t *busy, *out;
    /* chip segments: integer state */
    int32_t *cv, *cu, *ci;
} myl__nstate;

/* Advance the model neurons of segment s by one tick. in_e/in_i point at this tick's
 * accumulators for the core (in_i NULL without separate receptors); they hold whole numbers of
 * 2^-k weight units and are read and zeroed. act[] (per neuron, for the core) says which
 * neurons are not at a fixed point of their no-input dynamics; it is rewritten for the next
 * tick. sparse: update only neurons with input or act set (the event engine when few are
 * active); otherwise update all, which gives the same result because a neuron at a fixed point
 * with no input does not change. Appends spiking local indices to spk and returns how many;
 * adds neurons updated to *nupd and neurons with input or not at rest to *nact. */
uint32_t myl__seg_step(const myl__seg *s, myl__nstate *st, double *in_e, double *in_i,
                       double inv_scale, uint8_t *act, int sparse, uint32_t *spk, uint64_t *nupd,
                       uint64_t *nact);

/* The same for a segment on chip arithmetic (s->arith != 0): integer kernels of fixed.h, the
 * accumulators holding the chip's integer inputs. t and seed key TrueNorth's random draws. */
uint32_t myl__chip_step(const myl__seg *s, myl__nstate *st, double *in_e, double *in_i,
                        double inv_scale, uint8_t *act, uint64_t t, uint64_t seed,
                        uint32_t *spk, uint16_t *cnt, uint64_t *nupd, uint64_t *nact);

/* The neurons of out[0 .. n) whose bit 0 is set (they spiked), as lo + index in order, into
 * spk; returns how many. */
uint32_t myl__spikes_from(uint32_t n, const int32_t *out, uint32_t lo, uint32_t *spk);

/* Fill kernel constants and source tables of a segment (chip: NULL for float arithmetic). */
int myl__seg_prepare(const myl_net *net, double dt, uint64_t seed, const myl_chip *chip,
                     myl__core *core, myl__seg *s, myl_diag *d);
void myl__seg_release(myl__seg *s);

#endif
