/* Compiled network: the flat arrays both engines run.
 *
 * Compiling generates every synapse (twice: once to count, once to fill, so no per-synapse
 * temporary is ever held) and groups them into synapse rows: the synapses of one source neuron
 * that land on one core, packed as 32-bit words (core-local target | receptor | delay) with a
 * float weight beside each word, or one weight for the whole row when all its synapses share
 * weight and delay (then a synapse costs 4 bytes).
 *
 * Synaptic input is summed exactly: weights are stored pre-multiplied by 2^k and rounded to
 * integers, and every neuron's worst-case input sum stays below 2^53, so the dendritic
 * accumulators (doubles) only ever hold whole numbers and their additions are exact, hence
 * associative. k is the largest power that keeps every weight exact within that bound (if the
 * weights span too many binary orders, the smallest lose their last bits, and `inputs_exact` says
 * so). The summed input is converted to float once per neuron and tick. The result does not
 * depend on the order in which spikes arrive, which is what lets the event and dense engines
 * agree bit for bit.
 */
#ifndef MYELIN_CNET_H
#define MYELIN_CNET_H

#include "myelin/err.h"
#include "myelin/net.h"

#include <stddef.h>
#include <stdint.h>

/* Which core each neuron lives on. Made by the mapper (hw) or by myl_layout_default(). */
typedef struct myl_layout {
    uint32_t ncores;
    uint32_t *core_of; /* [nneurons] */
} myl_layout;

/* One core per population, a population split into cores of at most max_per_core neurons
 * (0: no limit beyond the 2^23 a core can address). */
int myl_layout_default(const myl_net *net, uint32_t max_per_core, myl_layout *out);
void myl_layout_release(myl_layout *l);

/* Chip arithmetic (made by the hardware layer from a hardware model: hw/chip.c). Populations
 * whose arith is not 0 run the chip's integer neuron (sim/core/fixed.h) instead of the float
 * model, and every synapse carries the chip's integer input instead of its float weight. */
typedef struct myl_chip_pop {
    int arith;              /* a myl_arith (hw.h); 0 keeps the float model */
    const void *param;      /* the chip's parameter struct, one for the whole population */
    size_t param_size;
    double v_scale, v_zero; /* initial potentials: round((v_init - v_zero) * v_scale) */
} myl_chip_pop;

typedef struct myl_chip {
    const myl_chip_pop *pop;     /* [npops] */
    const int32_t *const *syn;   /* [nprojs]: per synapse, in generation order, the chip's
                                  * input; NULL keeps a projection's float weights */
    const uint64_t *nsyn;        /* [nprojs]: how many (checked) */
} myl_chip;

typedef struct myl_compile_opts {
    uint64_t seed;       /* connection and initial-state randomness */
    const myl_chip *chip; /* NULL: float arithmetic */
    uint64_t mem_limit;  /* bytes the compiled network may take; 0: 80 % of physical memory */
    uint32_t ring_slots; /* delay-ring length (power of two <= 256); 0: from the largest delay */
} myl_compile_opts;

typedef struct myl_cnet myl_cnet;

/* Compile net onto layout (NULL: myl_layout_default(net, 0)). The network must outlive the
 * compiled form. Errors: MYL_EPARSE / MYL_ERANGE for impossible projections (message in d),
 * MYL_ETOOBIG when the estimate exceeds mem_limit (checked before allocating), MYL_ENOMEM. */
int myl_net_compile(const myl_net *net, const myl_layout *layout, const myl_compile_opts *opts,
                    myl_cnet **out, myl_diag *d);
void myl_cnet_free(myl_cnet *c);

typedef struct myl_cnet_info {
    uint64_t nneurons;     /* all populations, sources included */
    uint64_t nmodel;       /* neurons with a membrane (not sources) */
    uint64_t nsyn;
    uint64_t nrows;
    uint32_t ncores;
    uint32_t max_delay;    /* ticks */
    uint32_t ring_slots;
    int weight_shift;      /* k: weights are stored times 2^k */
    int inputs_exact;      /* every weight representable at that scale */
    uint64_t homog_syn;    /* synapses in rows with one shared weight and delay */
    uint64_t bytes_syn;    /* synapse words and weights */
    uint64_t bytes_total;  /* everything the compiled network holds */
    double build_s;        /* wall time of compilation */
} myl_cnet_info;

void myl_cnet_info_get(const myl_cnet *c, myl_cnet_info *info);
const myl_net *myl_cnet_net(const myl_cnet *c);

/* The synapse rows of source neuron g, in (core, stage) order: fn(ctx, core, synapses, stage)
 * for each. Stage k rows are delivered k * ring_slots ticks after stage 0. */
typedef void (*myl_row_fn)(void *ctx, uint32_t core, uint32_t nsyn, uint32_t stage);
void myl_cnet_rows(const myl_cnet *c, uint32_t g, myl_row_fn fn, void *ctx);
/* The target of every synapse of source neuron g, in row order (a target reached by several
 * synapses comes once per synapse). */
typedef void (*myl_target_fn)(void *ctx, uint32_t target);
void myl_cnet_targets(const myl_cnet *c, uint32_t g, myl_target_fn fn, void *ctx);
/* Core of neuron g, neurons on a core, population of g. */
uint32_t myl_cnet_core_of(const myl_cnet *c, uint32_t g);
uint32_t myl_cnet_core_size(const myl_cnet *c, uint32_t core);
uint32_t myl_cnet_pop_of(const myl_cnet *c, uint32_t g);

/* Bytes myl_net_compile would need for net on layout, from rule bounds (no generation). */
uint64_t myl_net_estimate_bytes(const myl_net *net, uint32_t ncores);

#endif
