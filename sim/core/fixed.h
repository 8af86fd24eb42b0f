/* Bit-accurate neuron arithmetic of four neuromorphic chips: Intel Loihi (CUBA LIF as Lava's
 * PyLifModelBitAcc computes it), IBM TrueNorth (Cassidy et al. 2013), SpiNNaker (sPyNNaker's
 * IF_curr_exp in s16.15 fixed point, as GCC compiles it for the ARM968) and ODIN (Frenkel et al.
 * 2019, the LIF of github.com/ChFrenkel/ODIN). docs/chip-arithmetic.md gives each chip's
 * equations, their sources, and where myelin had to choose between sources.
 *
 * The file needs nothing but <stdint.h>, so the engines, the quantiser and the tests share it.
 * Each chip is a parameter struct (integers as the chip stores them), a state struct, and a
 * static inline per-neuron update that the engines call from whole-segment loops. The updates
 * are written as selects on int32/int64 rather than branches so that those loops vectorise;
 * chip parameters that select a mode are loop-invariant. No update relies on the
 * implementation-defined right shift of a negative number or on signed overflow: shifts that
 * must floor go through myl_fx_asr, and wrapping sums are done in unsigned arithmetic.
 *
 * Inputs are what the chip's synapses deliver to a neuron in one tick, already summed by the
 * engine (integer sums are exact and do not depend on arrival order). ODIN is the exception:
 * it updates its neurons once per synaptic event with saturation and a spike check, so only
 * myl_odin_event, called per event in arrival order, is exact in general (see there).
 */
#ifndef MYL_FIXED_H
#define MYL_FIXED_H

#include <stdint.h>

/* ---- shared integer helpers ------------------------------------------------------------ */

/* floor(x / 2^s) for 0 <= s < 63: an arithmetic right shift that does not depend on how the
 * compiler shifts negative numbers (~x = -x-1 is non-negative when x is negative). */
static inline int64_t myl_fx_asr(int64_t x, int s)
{
    return x < 0 ? ~(~x >> s) : x >> s;
}

/* x reduced to a `bits`-bit two's-complement integer (1 <= bits <= 63): the value a register of
 * that width holds after the sum x has wrapped. Takes the sum mod 2^64, so callers may add in
 * uint64_t without caring about signed overflow. */
static inline int64_t myl_fx_wrap(uint64_t x, int bits)
{
    const uint64_t half = (uint64_t)1 << (bits - 1);
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    return (int64_t)((x + half) & mask) - (int64_t)half;
}

static inline int64_t myl_fx_clamp(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ==== Intel Loihi ========================================================================
 * Lava (github.com/lava-nc/lava) src/lava/proc/lif/models.py, PyLifModelBitAcc with
 * AbstractPyLifModelFixed.subthr_dynamics, per tick in this order:
 *
 *   u = sign(u*(4096-du-1)) * (|u*(4096-du-1)| >> 12) + (a_in << 6)   (ds_offset = 1)
 *   u wraps into 24-bit two's complement
 *   v = sign(v*(4096-dv)) * (|v*(4096-dv)| >> 12) + u + (bias_mant << bias_exp)   (dm_offset 0)
 *   v clipped to [-(2^23-1), 2^23-1]
 *   spike if v > (vth << 6); then v = 0
 *
 * Products are 64-bit, decays round toward zero. a_in is the tick's dendritic sum: each synapse
 * contributes its 8-bit weight times 2^weight_exp (Lava's Dense applies weight_exp to the sum;
 * see myl_loihi_syn_input). myelin adds nengo-loihi's refractory counter as an option (refr > 0):
 * for refr ticks after a spike, v is computed and then held at 0 (no spike), while u goes on
 * integrating (nengo_loihi/emulator/interface.py, CompartmentState.update). refr = 0 is Lava. */

#define MYL_LOIHI_DECAY_BITS 12
#define MYL_LOIHI_UV_BITS 24
#define MYL_LOIHI_V_MAX ((int64_t)(1 << 23) - 1)
#define MYL_LOIHI_VTH_SHIFT 6
#define MYL_LOIHI_ACT_SHIFT 6
#define MYL_LOIHI_VTH_MAX 131071 /* 17-bit threshold mantissa */
#define MYL_LOIHI_BIAS_MANT_MAX 4095
#define MYL_LOIHI_BIAS_EXP_MAX 7

/* Lava's SignMode, which decides how an 8-bit weight is clipped and truncated. */
enum { MYL_LOIHI_MIXED = 1, MYL_LOIHI_EXCITATORY = 2, MYL_LOIHI_INHIBITORY = 3 };

typedef struct myl_loihi_param {
    int32_t du;        /* current decay, 12 bit, 0..4095; the chip multiplies by 4096-du-1 */
    int32_t dv;        /* voltage decay, 12 bit, 0..4095; the chip multiplies by 4096-dv */
    int32_t bias_mant; /* 13-bit signed bias mantissa, -4096..4095 [v units] */
    int32_t bias_exp;  /* 3-bit bias exponent, 0..7 */
    int32_t vth;       /* 17-bit threshold mantissa, 0..131071; compared as vth << 6 */
    int32_t refr;      /* ticks v is held at 0 after a spike; 0 = none (Lava) */
} myl_loihi_param;

typedef struct myl_loihi_state {
    int32_t u;   /* current, 24-bit signed [v units per tick] */
    int32_t v;   /* voltage, within +-(2^23-1) */
    int32_t ref; /* refractory ticks left */
} myl_loihi_state;

/* sign(x*keep) * (|x*keep| >> 12): the chip's decay, rounding toward zero. |x| <= 2^23 and
 * keep <= 4096, so the product fits easily in 64 bits. */
static inline int64_t myl_loihi_decay(int64_t x, int64_t keep)
{
    const int64_t p = x * keep;
    const int64_t q = (p < 0 ? -p : p) >> MYL_LOIHI_DECAY_BITS;
    return p < 0 ? -q : q;
}

/* One tick. a_in: the tick's summed synaptic input in Lava's a_in units (weight mantissas times
 * 2^weight_exp). Any int64 is accepted: the chip keeps u mod 2^24, and so does this. Returns 1
 * on a spike. */
static inline int myl_loihi_update(const myl_loihi_param *p, myl_loihi_state *s, int64_t a_in)
{
    const int64_t keep_u = (1 << MYL_LOIHI_DECAY_BITS) - p->du - 1;
    const int64_t keep_v = (1 << MYL_LOIHI_DECAY_BITS) - p->dv;
    const int64_t bias = (int64_t)p->bias_mant * ((int64_t)1 << p->bias_exp);
    const int64_t vth = (int64_t)p->vth << MYL_LOIHI_VTH_SHIFT;
    const int32_t r = s->ref;
    const int64_t du = myl_loihi_decay(s->u, keep_u);
    const int64_t u =
        myl_fx_wrap((uint64_t)du + ((uint64_t)a_in << MYL_LOIHI_ACT_SHIFT), MYL_LOIHI_UV_BITS);
    const int64_t dv = myl_loihi_decay(s->v, keep_v);
    const int64_t v1 = myl_fx_clamp(dv + u + bias, -MYL_LOIHI_V_MAX, MYL_LOIHI_V_MAX);
    const int held = r > 0;
    const int64_t v2 = held ? 0 : v1;
    const int sp = (!held) & (v2 > vth);
    s->u = (int32_t)u;
    s->v = (int32_t)(sp ? 0 : v2);
    s->ref = sp ? p->refr : (held ? r - 1 : 0);
    return sp;
}

/* Lava's clip_weights(num_bits=8) then truncate_weights(num_weight_bits = bits) for one weight
 * (src/lava/utils/weightutils.py): mixed weights are clipped to -256..255 and keep their top
 * bits by an arithmetic shift, (w >> k) << k with k = 8 - bits + 1, which rounds negative
 * weights toward minus infinity (-3 -> -4 for k = 1); excitatory weights are clipped to 0..255,
 * k = 8 - bits; inhibitory weights to -255..0 and truncated on their magnitude, toward zero. */
static inline int32_t myl_loihi_weight_trunc(int32_t w, int32_t bits, int32_t sign_mode)
{
    const int mixed = sign_mode == MYL_LOIHI_MIXED, inh = sign_mode == MYL_LOIHI_INHIBITORY;
    const int k = 8 - bits + mixed;
    int64_t x = inh ? -(int64_t)w : w;
    x = myl_fx_clamp(x, mixed ? -256 : 0, 255);
    x = myl_fx_asr(x, k) * ((int64_t)1 << k);
    return (int32_t)(inh ? -x : x);
}

/* A synapse's contribution to a_in: mantissa * 2^weight_exp. Negative exponents floor per
 * synapse, the chip's two-part weight shift that nengo-loihi's discretize_weights mimics; Lava's
 * PyDenseModelBitAcc floors the summed accumulator instead. myelin's quantiser never chooses a
 * negative exponent, where the two agree. */
static inline int64_t myl_loihi_syn_input(int32_t mant, int32_t weight_exp)
{
    return weight_exp >= 0 ? (int64_t)mant * ((int64_t)1 << weight_exp)
                           : myl_fx_asr(mant, -weight_exp);
}

/* ==== IBM TrueNorth ======================================================================
 * Cassidy et al., "Cognitive computing building block", IJCNN 2013, eqs. for synaptic
 * integration, leak integration, and threshold, fire, reset, in that order within a tick:
 *
 *   V += sum_i A_i(t) w_ij s_j^{G_i}                       (input: the tick's summed weights)
 *   Omega = (1 - eps) + eps * sgn(V)
 *   V += Omega * ((1 - c) * lambda + c * F(lambda, rho))   F(s, rho) = sgn(s) if |s| >= rho
 *   eta = rho_T & M
 *   if V >= alpha + eta:  spike;  V = R | V - (alpha + eta) | V     (gamma = 0 | 1 | 2)
 *   elif V < -(kappa ? beta : beta + eta):
 *       V = kappa ? -beta : (-R | V + (beta + eta) | V)
 *
 * The random numbers come from the engine's keyed generator as one 32-bit word per neuron and
 * tick: rho (the leak's draw) is bits 0..7, the threshold draw is bits 8..31 masked by M.
 * Stochastic synapses need one draw per synaptic event and are not modelled. V is kept as a
 * 20-bit signed integer that saturates after leak integration and after the reset (an
 * assumption: the published equations leave the width open; docs/chip-arithmetic.md). */

#define MYL_TN_V_BITS 20
#define MYL_TN_V_MAX ((1 << (MYL_TN_V_BITS - 1)) - 1)
#define MYL_TN_V_MIN (-(1 << (MYL_TN_V_BITS - 1)))
#define MYL_TN_WEIGHT_MAX 255
#define MYL_TN_THRESH_MAX 262143 /* 18 bit */
#define MYL_TN_AXON_TYPES 4

enum { MYL_TN_RESET_NORMAL = 0, MYL_TN_RESET_LINEAR = 1, MYL_TN_RESET_NONE = 2 };

typedef struct myl_truenorth_param {
    int32_t w[MYL_TN_AXON_TYPES]; /* s_j^G: signed weight per axon type, -255..255 */
    int32_t leak;                 /* lambda, -255..255 per tick */
    int32_t leak_rev;             /* epsilon: 1 = leak toward 0 (Omega = sgn V) */
    int32_t leak_stoch;           /* c: 1 = stochastic leak F(lambda, rho) */
    int32_t alpha;                /* positive threshold, 0..2^18-1 */
    int32_t beta;                 /* negative threshold magnitude, 0..2^18-1 */
    int32_t reset;                /* R: reset potential */
    int32_t reset_mode;           /* gamma: MYL_TN_RESET_NORMAL, _LINEAR or _NONE */
    int32_t neg_sat;              /* kappa: 1 = saturate at -beta, 0 = negative reset */
    uint32_t tmask;               /* M: threshold mask applied to the threshold draw */
} myl_truenorth_param;

typedef struct myl_truenorth_state {
    int32_t v; /* membrane potential, 20-bit signed */
} myl_truenorth_state;

/* Synaptic integration from the number of active synapses of each axon type this tick. */
static inline int64_t myl_truenorth_syn_input(const myl_truenorth_param *p,
                                              const int32_t n[MYL_TN_AXON_TYPES])
{
    int64_t x = 0;
    for (int g = 0; g < MYL_TN_AXON_TYPES; g++)
        x += (int64_t)n[g] * p->w[g];
    return x;
}

/* One tick. input: the tick's synaptic integration (sum of s_j^{G_i} over active synapses, see
 * myl_truenorth_syn_input), within +-2^30 (a core's 256 axons give at most +-65280); rnd: 32
 * random bits for this neuron and tick. Returns 1 on a spike. */
static inline int myl_truenorth_update(const myl_truenorth_param *p, myl_truenorth_state *s,
                                       int64_t input, uint32_t rnd)
{
    /* all in int32, which vectorises; |V| < 2^19 and |input| <= 2^30 cannot overflow */
    const int32_t rho = (int32_t)(rnd & 0xFFu);
    const int32_t eta = (int32_t)((rnd >> 8) & p->tmask); /* < 2^24 */
    const int32_t in = (int32_t)input;
    const int32_t v1 = s->v + in; /* |s->v| < 2^19 */
    /* the loop-invariant modes as 0 / -1 masks: the selects below are then plain bit
     * operations, which vectorise where conditionals on invariants do not */
    const int32_t m_st = -(p->leak_stoch != 0);
    const int32_t m_rev = -(p->leak_rev != 0);
    const int32_t m_norm = -(p->reset_mode == MYL_TN_RESET_NORMAL);
    const int32_t m_lin = -(p->reset_mode == MYL_TN_RESET_LINEAR);
    const int32_t m_none = -(p->reset_mode == MYL_TN_RESET_NONE);
    const int32_t m_sat = -(p->neg_sat != 0);
    const int32_t lam = p->leak;
    const int32_t sgn_l = (lam > 0) - (lam < 0);
    const int32_t alam = lam < 0 ? -lam : lam;
    const int32_t lterm = (lam & ~m_st) | ((alam >= rho ? sgn_l : 0) & m_st);
    /* Omega * lterm as a select: Omega is sgn(V) with leak reversal, else 1 */
    const int32_t rev = v1 > 0 ? lterm : (v1 < 0 ? -lterm : 0);
    const int32_t lv = v1 + ((rev & m_rev) | (lterm & ~m_rev));
    const int32_t v2 = lv < MYL_TN_V_MIN ? MYL_TN_V_MIN : (lv > MYL_TN_V_MAX ? MYL_TN_V_MAX : lv);
    const int32_t th = p->alpha + eta;
    const int32_t nth = p->beta + (eta & ~m_sat);
    const int32_t vpos = (p->reset & m_norm) | ((v2 - th) & m_lin) | (v2 & m_none);
    const int32_t vres = (-p->reset & m_norm) | ((v2 + nth) & m_lin) | (v2 & m_none);
    const int32_t vneg = (-p->beta & m_sat) | (vres & ~m_sat);
    const int32_t mpos = -(int32_t)(v2 >= th);
    const int32_t mneg = -(int32_t)(v2 < -nth) & ~mpos;
    const int32_t v3 = (vpos & mpos) | (vneg & mneg) | (v2 & ~(mpos | mneg));
    s->v = v3 < MYL_TN_V_MIN ? MYL_TN_V_MIN : (v3 > MYL_TN_V_MAX ? MYL_TN_V_MAX : v3);
    return mpos & 1;
}

/* ==== SpiNNaker ==========================================================================
 * sPyNNaker (github.com/SpiNNakerManchester/sPyNNaker) IF_curr_exp: neuron_model_lif_impl.h,
 * synapse_types_exponential_impl.h with exp_synapse_utils.h and decay.h, threshold_type_static.h,
 * neuron_impl_standard.h for the order. All voltages, currents and R are `accum` (s16.15 in a
 * 32-bit word); decays are `unsigned long fract` (u0.32). Per tick:
 *
 *   ring_e = min(sum of the tick's 16-bit excitatory weights, 0xFFFF)  (likewise ring_i)
 *   I_e += decay_s1615(ring_e << shift_e, init_e)        (synapse_types_add_neuron_input)
 *   if refract_timer <= 0:
 *       input = I_e - I_i + I_offset
 *       alpha = input * R + V_rest
 *       V = alpha - exp_TC * (alpha - V)
 *   else refract_timer -= 1
 *   spike if V >= V_thresh  (checked on held V too); then V = V_reset, refract_timer = T_refract
 *   I_e = decay_s1615(I_e, decay_e)                        (synapse_types_shape_input)
 *
 * decay_s1615(x, d) = (int64 x * d) >> 32. `accum * accum` is compiled by GCC for ARM mode
 * (spinnaker_tools builds with THUMB := 0, -march=armv5te) to the mulsa3 pattern of
 * gcc/config/arm/arm-fixed.md: smull, then bits 15..46 of the 64-bit product, i.e. floor(a*b /
 * 2^15) truncated to 32 bits, with no rounding. (libgcc's __mulsa3, used for Thumb-1 code,
 * would add 2^14 first and round half up; myelin follows the ARM-mode build.) Sums wrap. */

#define MYL_S1615_ONE 32768
#define MYL_SPINN_RING_MAX 0xFFFF

typedef struct myl_spinnaker_param {
    int32_t v_rest;    /* s16.15 [mV] */
    int32_t v_reset;   /* s16.15 [mV] */
    int32_t v_thresh;  /* s16.15 [mV] */
    int32_t r;         /* R_membrane = tau_m / c_m, s16.15 [MOhm] */
    int32_t exp_tc;    /* exp(-dt / tau_m), s16.15 */
    int32_t i_offset;  /* s16.15 [nA] */
    int32_t t_refract; /* ticks */
    uint32_t decay_e;  /* exp(-dt / tau_syn_E), u0.32 */
    uint32_t init_e;   /* (tau_syn_E / dt) * (1 - decay_e), u0.32 */
    uint32_t decay_i;  /* likewise for the inhibitory synapse */
    uint32_t init_i;   /* (tau_syn_I / dt) * (1 - decay_i), u0.32 */
    int32_t shift_e;   /* excitatory ring buffer to input left shift, 0..16 */
    int32_t shift_i;   /* inhibitory ring buffer to input left shift, 0..16 */
    int32_t delta;     /* 1: curr_delta synapses, input added as is and cleared after the tick */
} myl_spinnaker_param;

typedef struct myl_spinnaker_state {
    int32_t v;   /* V_membrane, s16.15 */
    int32_t i_e; /* excitatory synaptic input, s16.15 */
    int32_t i_i; /* inhibitory synaptic input (a magnitude, subtracted), s16.15 */
    int32_t ref; /* refract_timer, ticks */
} myl_spinnaker_state;

/* `accum * accum` as GCC's ARM-mode mulsa3: floor(a*b / 2^15), low 32 bits. */
static inline int32_t myl_s1615_mul(int32_t a, int32_t b)
{
    return (int32_t)myl_fx_wrap((uint64_t)myl_fx_asr((int64_t)a * b, 15), 32);
}

/* sPyNNaker's decay_s1615: floor(x * d / 2^32) with d an unsigned 0.32 fraction. */
static inline int32_t myl_s1615_decay(int32_t x, uint32_t d)
{
    return (int32_t)myl_fx_asr((int64_t)x * (int64_t)d, 32);
}

/* accum + accum and accum - accum: 32-bit wrapping sums. */
static inline int32_t myl_s1615_add(int32_t a, int32_t b)
{
    return (int32_t)myl_fx_wrap((uint64_t)(int64_t)a + (uint64_t)(int64_t)b, 32);
}

static inline int32_t myl_s1615_sub(int32_t a, int32_t b)
{
    return (int32_t)myl_fx_wrap((uint64_t)(int64_t)a - (uint64_t)(int64_t)b, 32);
}

/* A ring-buffer entry to an s16.15 input: min(sum, 0xFFFF) << shift, as an int32 bit pattern. */
static inline int32_t myl_spinnaker_ring_input(int64_t sum, int32_t shift)
{
    const int64_t ring = myl_fx_clamp(sum, 0, MYL_SPINN_RING_MAX);
    return (int32_t)myl_fx_wrap((uint64_t)ring << shift, 32);
}

/* One tick. in_e, in_i: the tick's sums of 16-bit weight magnitudes arriving on the excitatory
 * and inhibitory synapse types (the ring-buffer slots for this tick). Returns 1 on a spike. */
static inline int myl_spinnaker_update(const myl_spinnaker_param *p, myl_spinnaker_state *s,
                                       int64_t in_e, int64_t in_i)
{
    const int32_t xe = myl_spinnaker_ring_input(in_e, p->shift_e);
    const int32_t xi = myl_spinnaker_ring_input(in_i, p->shift_i);
    const int32_t ie = myl_s1615_add(s->i_e, p->delta ? xe : myl_s1615_decay(xe, p->init_e));
    const int32_t ii = myl_s1615_add(s->i_i, p->delta ? xi : myl_s1615_decay(xi, p->init_i));
    const int32_t r = s->ref;
    const int32_t input = myl_s1615_add(myl_s1615_sub(ie, ii), p->i_offset);
    const int32_t alpha = myl_s1615_add(myl_s1615_mul(input, p->r), p->v_rest);
    const int32_t vn = myl_s1615_sub(alpha, myl_s1615_mul(p->exp_tc, myl_s1615_sub(alpha, s->v)));
    const int held = r > 0;
    const int32_t v1 = held ? s->v : vn;
    const int32_t r1 = held ? r - 1 : r;
    const int sp = v1 >= p->v_thresh;
    s->v = sp ? p->v_reset : v1;
    s->ref = sp ? p->t_refract : r1;
    s->i_e = p->delta ? 0 : myl_s1615_decay(ie, p->decay_e);
    s->i_i = p->delta ? 0 : myl_s1615_decay(ii, p->decay_i);
    return sp;
}

/* ==== ODIN ===============================================================================
 * Frenkel et al., IEEE TBioCAS 13(1) 2019; src/LIF_neuron_blocks/lif_neuron_state.v of
 * github.com/ChFrenkel/ODIN. An 8-bit unsigned membrane potential updated once per event:
 *
 *   synaptic event, weight w (3 bits) and sign:  v = min(v + w, 255)  or  v = max(v - w, 0)
 *   time-reference event (leak_en):              v = max(v - leak, 0)     (7-bit leak)
 *   after every event: spike if v >= thr (8 bit); then v = 0
 *
 * Time-reference events are external AER events; myelin sends one at the start of every tick t
 * with t mod leak_period == leak_phase (leak_period 0: never), before that tick's synaptic
 * events. Because every event saturates and tests the threshold, a tick's events cannot be
 * summed exactly: myl_odin_event, called per event in arrival order, is the chip. */

#define MYL_ODIN_V_MAX 255
#define MYL_ODIN_W_MAX 7
#define MYL_ODIN_LEAK_MAX 127

typedef struct myl_odin_param {
    int32_t thr;          /* firing threshold, 0..255 */
    int32_t leak;         /* leak strength per time-reference event, 0..127 */
    int32_t leak_en;      /* leak enable */
    uint32_t leak_period; /* ticks between time-reference events; 0 = none */
    uint32_t leak_phase;  /* ticks t with t % leak_period == leak_phase get one */
} myl_odin_param;

typedef struct myl_odin_state {
    int32_t v; /* membrane potential, 0..255 */
} myl_odin_state;

static inline int myl_odin_fire(const myl_odin_param *p, myl_odin_state *s, int32_t v)
{
    const int sp = v >= p->thr;
    s->v = sp ? 0 : v;
    return sp;
}

/* One synaptic event of signed weight w (-7..7: magnitude and the synapse's sign bit). */
static inline int myl_odin_event(const myl_odin_param *p, myl_odin_state *s, int32_t w)
{
    return myl_odin_fire(p, s, (int32_t)myl_fx_clamp((int64_t)s->v + w, 0, MYL_ODIN_V_MAX));
}

/* One time-reference event: the leak (if enabled), then the threshold test. */
static inline int myl_odin_tref(const myl_odin_param *p, myl_odin_state *s)
{
    const int32_t v = p->leak_en ? (s->v > p->leak ? s->v - p->leak : 0) : s->v;
    return myl_odin_fire(p, s, v);
}

/* One tick for engines that sum a tick's input: the time-reference event if one is due, then
 * the summed input as a single event with the same saturation. Equals the per-event chip when
 * the tick has at most one synaptic event, when its events are all inhibitory, or when no
 * excitatory event but the last reaches the threshold. Returns the number of spikes (0..2). */
static inline int myl_odin_update(const myl_odin_param *p, myl_odin_state *s, int64_t input,
                                  uint64_t tick)
{
    const int due = p->leak_period != 0 && tick % p->leak_period == p->leak_phase;
    int n = due ? myl_odin_tref(p, s) : 0;
    const int64_t v = myl_fx_clamp(s->v + myl_fx_clamp(input, -512, 512), 0, MYL_ODIN_V_MAX);
    n += input != 0 ? myl_odin_fire(p, s, (int32_t)v) : 0;
    return n;
}

#endif
