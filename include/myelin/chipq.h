/* A network quantised onto a chip's arithmetic: the program the compiler takes (myl_chip), and
 * a report of what the quantisation changed.
 *
 * Every lif, cuba_lif and if population gets the chip's integer neuron, its parameters mapped
 * by quant.h (one parameter set per population: per-neuron parameters other than v_init are
 * refused), and every projection onto such a population gets the chip's integer weights with
 * one shared exponent chosen from its largest weight. Spike sources keep their spikes. `li`
 * populations have no chip counterpart and are refused.
 */
#ifndef MYELIN_CHIPQ_H
#define MYELIN_CHIPQ_H

#include "myelin/cnet.h"
#include "myelin/hw.h"
#include "myelin/quant.h"

#include <stdio.h>

typedef struct myl_chipq myl_chipq;

/* MYL_EINVAL (with the population or projection named) for what the chip cannot express. */
int myl_chipq_build(const myl_net *net, const myl_hw *hw, uint64_t seed, myl_chipq **out,
                    myl_diag *d);
void myl_chipq_free(myl_chipq *q);
/* What to hand myl_net_compile (valid while q lives). */
const myl_chip *myl_chipq_program(const myl_chipq *q);

typedef struct myl_chipq_summary {
    double max_weight_rel_err;  /* largest weight error relative to its projection's largest */
    uint64_t weights, clipped, zeroed;
    double max_param_rel_err;   /* largest parameter error (quant.h's measure) */
    uint32_t params_changed;    /* parameters whose value moved by more than 1e-6 relative */
    char worst_param[128];      /* "population 'exc': tau_m" */
    char worst_proj[128];
} myl_chipq_summary;

void myl_chipq_get_summary(const myl_chipq *q, myl_chipq_summary *s);
/* Per population and projection, what each parameter and weight became. */
void myl_chipq_print(const myl_chipq *q, const myl_net *net, FILE *f);

#endif
