/* Quantisation: myelin's float neuron models (docs/models.md) and weights onto the integer
 * formats of the chips whose arithmetic sim/core/fixed.h reproduces bit for bit.
 *
 * A population is quantised once (its parameters become the chip's integers, together with a
 * report of what changed and by how much), then each projection onto it (its float weights
 * become the chip's weight integers, scaled with the factors the population's report holds,
 * plus a per-projection exponent where the chip has one). The voltage scale - how many of the
 * chip's least significant bits one membrane unit is - is the one free choice; 0 asks for the
 * chip's default, chosen as docs/chip-arithmetic.md explains.
 *
 * Errors are reported, not refused: a parameter the chip cannot hold is clipped or dropped, the
 * report says so, and the function still returns 0. Only invalid input (NULL, non-finite or
 * out-of-domain float parameters) returns MYL_EINVAL.
 */
#ifndef MYELIN_QUANT_H
#define MYELIN_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* Defined in sim/core/fixed.h (C11 allows the repeated typedef). */
typedef struct myl_loihi_param myl_loihi_param;
typedef struct myl_truenorth_param myl_truenorth_param;
typedef struct myl_spinnaker_param myl_spinnaker_param;
typedef struct myl_odin_param myl_odin_param;

/* A lif or cuba_lif population's parameters, in the units docs/models.md uses. */
typedef struct myl_qlif {
    double dt;          /* tick [s] */
    double tau_m;       /* membrane time constant [s]; INFINITY: the `if` model */
    double tau_syn_e;   /* excitatory current time constant [s]; 0 (with tau_syn_i): lif */
    double tau_syn_i;   /* inhibitory current time constant [s] */
    double v_rest;      /* [membrane units] */
    double v_th;        /* [membrane units] */
    double v_reset;     /* [membrane units] */
    double refractory;  /* [ticks] */
    double bias;        /* I_bias [current units] */
    double r;           /* R [membrane units per current unit] */
    int reset_subtract; /* `reset: subtract` */
    int strict;         /* `strict_threshold` (spike on v > v_th) */
} myl_qlif;

#define MYL_QUANT_ITEMS 12

/* One parameter: the float value and what the chip's integers stand for, in the same units.
 * rel_err is |got - want| / |want|; voltages are measured against |v_th - v_rest| (their zero is
 * arbitrary); time constants through the per-tick decay a = exp(-dt/tau), as
 * |a_got - a_want| / (1 - a_want), which is about |tau_got - tau|/tau for dt << tau and 1 when a
 * decay is lost. */
typedef struct myl_quant_item {
    const char *name; /* parameter name, as in docs/models.md */
    double want;
    double got;
    double rel_err;
} myl_quant_item;

typedef struct myl_quant_report {
    double v_scale;   /* chip state LSBs per membrane unit */
    double v_zero;    /* the membrane value that the chip's 0 stands for */
    double w_scale_e; /* chip weight units per unit of a positive myelin weight (see below) */
    double w_scale_i; /* ... of a negative myelin weight */
    uint32_t n;       /* items used */
    myl_quant_item item[MYL_QUANT_ITEMS];
    double max_rel_err; /* largest rel_err of the items */
    char notes[512];    /* what the chip cannot represent, "; "-separated; "" when nothing */
} myl_quant_report;

/* Weight units (what w * w_scale gives, before the exponent): Loihi, a_in units (the 8-bit
 * mantissa times 2^weight_exp); TrueNorth and ODIN, membrane-potential LSBs; SpiNNaker, the
 * synaptic input's value in s16.15 (a ring-buffer entry w16 stands for w16 * 2^(shift - 15)). */

/* Population -> chip parameters. v_scale: chip LSBs per membrane unit, 0 for the chip's
 * default; w_max: the largest |weight| of the projections onto the population (0 if unknown),
 * used only by the default scale. `out` and `rep` are filled; returns 0 or MYL_EINVAL. */
int myl_quant_loihi(const myl_qlif *f, double v_scale, double w_max, myl_loihi_param *out,
                    myl_quant_report *rep);
int myl_quant_truenorth(const myl_qlif *f, double v_scale, double w_max, myl_truenorth_param *out,
                        myl_quant_report *rep);
int myl_quant_spinnaker(const myl_qlif *f, double v_scale, double w_max, myl_spinnaker_param *out,
                        myl_quant_report *rep);
int myl_quant_odin(const myl_qlif *f, double v_scale, double w_max, myl_odin_param *out,
                   myl_quant_report *rep);

/* The default voltage scales (see docs/chip-arithmetic.md); 0 for invalid input. */
double myl_quant_loihi_vscale(const myl_qlif *f, double w_max);
double myl_quant_truenorth_vscale(const myl_qlif *f, double w_max);
double myl_quant_spinnaker_vscale(const myl_qlif *f, double w_max);
double myl_quant_odin_vscale(const myl_qlif *f, double w_max);

/* A membrane value as the chip's state integer: round((v - v_zero) * v_scale), saturated to
 * int64 (callers clamp to the chip's register). */
int64_t myl_quant_vstate(const myl_quant_report *rep, double v);

/* A projection's weights -> the chip's weight integers. */
typedef struct myl_qweights {
    int32_t exp;        /* Loihi weight_exp (0..7); SpiNNaker excitatory left shift (0..16) */
    int32_t exp_i;      /* SpiNNaker inhibitory left shift */
    int32_t sign_mode;  /* Loihi: MYL_LOIHI_MIXED, _EXCITATORY or _INHIBITORY */
    double max_err;     /* largest |chip weight - w| [myelin weight units] */
    double max_rel_err; /* max_err / max |w| (0 when all weights are 0) */
    size_t nclipped;    /* weights beyond the largest representable one */
    size_t nzeroed;     /* non-zero weights that became 0 */
    uint32_t ndistinct; /* distinct integer values (TrueNorth: at most 4 per neuron fit) */
} myl_qweights;

/* w[0..n) with the scales of `nq` (the target population's report) -> mant[0..n):
 *   Loihi      8-bit mantissas (even in mixed sign mode), a_in = mant * 2^exp
 *   TrueNorth  weights -255..255
 *   SpiNNaker  +w16 for excitatory, -w16 for inhibitory synapses (|w16| <= 65535)
 *   ODIN       weights -7..7
 * The exponent is chosen so that the largest |w| uses the full mantissa range; with
 * fix_exp != 0 the caller's out->exp (and exp_i) are used instead, for projections that must
 * share one (SpiNNaker's shifts belong to the target population). Returns 0 or MYL_EINVAL. */
int myl_quant_weights_loihi(const double *w, size_t n, const myl_quant_report *nq, int fix_exp,
                            int32_t *mant, myl_qweights *out);
int myl_quant_weights_truenorth(const double *w, size_t n, const myl_quant_report *nq,
                                int32_t *mant, myl_qweights *out);
int myl_quant_weights_spinnaker(const double *w, size_t n, const myl_quant_report *nq, int fix_exp,
                                int32_t *mant, myl_qweights *out);
int myl_quant_weights_odin(const double *w, size_t n, const myl_quant_report *nq, int32_t *mant,
                           myl_qweights *out);

#endif
