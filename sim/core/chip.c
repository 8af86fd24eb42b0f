/* Segments on chip arithmetic: one tick of Loihi, TrueNorth, SpiNNaker or ODIN neurons, with
 * the bit-accurate updates of fixed.h.
 *
 * The accumulators hold the chip's integer synaptic input (the compiler replaced every float
 * weight with it), so the sums are exact and the same in both engines. As for the float
 * models, a neuron whose state did not change during a tick without input is at a fixed point
 * and is marked inactive; both engines run every neuron through the update each tick here,
 * which for a neuron at a fixed point changes nothing, so the result does not depend on it.
 *
 * One generic loop serves every chip. Loihi also has a vectorised path (loihi_seg) that computes
 * myl_loihi_update in 32-bit lanes and gives the same bits; the generic loop stays its
 * reference and its fallback.
 */
#include "cnet_internal.h"
#include "fixed.h"

#include "myelin/hw.h"
#include "myelin/rng.h"

#include <string.h>

/* 32 random bits for neuron pi of population pop at tick t (TrueNorth's stochastic leak and
 * threshold): one Philox block per (population, tick), then SplitMix64 under that key. */
static inline uint32_t draw32(uint64_t key, uint32_t pi)
{
    uint64_t z = key + ((uint64_t)pi + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* An accumulator as the chip's whole-number input. The accumulators hold sums of integer
 * weights, far inside int64; a value beyond it (or not a number) saturates rather than making
 * the conversion undefined. */
static inline int64_t chip_input(double x)
{
    if (x >= 0x1p63)
        return INT64_MAX;
    if (x > -0x1p63)
        return (int64_t)x;
    return x <= -0x1p63 ? INT64_MIN : 0; /* the last: NaN */
}

/* The loop, once per arithmetic: `arith` is a constant in each call below, so each copy keeps
 * only its own update and no switch per neuron. */
static ALWAYS_INLINE uint32_t chip_loop(const int arith, const myl__seg *s, myl__nstate *st,
                                        double *in_e, double *in_i, double inv_scale,
                                        uint8_t *act, uint64_t t, uint64_t seed, uint32_t *spk,
                                        uint16_t *cnt, uint64_t *nupd, uint64_t *nact)
{
    const uint32_t lo = s->lo, n = s->n;
    double *xe = in_e + lo, *xi = in_i ? in_i + lo : NULL;
    int32_t *v = st->cv + lo, *u = st->cu + lo, *ci = st->ci + lo, *ref = st->ref + lo;
    uint8_t *a = act + lo;
    int32_t *bz = st->busy + lo; /* what needed an update this tick, for the accountant */
    uint32_t nspk = 0;
    uint64_t busy = 0;
    uint64_t key = 0;
    if (arith == MYL_ARITH_TRUENORTH) {
        uint32_t w[4];
        myl_rng_draw(seed, MYL_RNG_CHIP, s->pop, 0, t, w);
        key = (uint64_t)w[0] << 32 | w[1];
    }
    for (uint32_t i = 0; i < n; i++) {
        /* the accumulators hold inputs times 2^k (cnet.h); both are whole numbers */
        const int64_t e = chip_input(xe[i] * inv_scale);
        const int64_t in = xi ? chip_input(xi[i] * inv_scale) : 0;
        xe[i] = 0;
        if (xi)
            xi[i] = 0;
        const int had = e != 0 || in != 0;
        bz[i] = had | a[i];
        busy += (uint64_t)bz[i];
        const int32_t v0 = v[i], u0 = u[i], i0 = ci[i], r0 = ref[i];
        int sp = 0;
        switch (arith) {
        case MYL_ARITH_LOIHI: {
            myl_loihi_state x = {u0, v0, r0};
            sp = myl_loihi_update(s->chip, &x, e + in);
            u[i] = x.u, v[i] = x.v, ref[i] = x.ref;
            break;
        }
        case MYL_ARITH_TRUENORTH: {
            myl_truenorth_state x = {v0};
            sp = myl_truenorth_update(s->chip, &x, e + in, draw32(key, s->pidx[i]));
            v[i] = x.v;
            break;
        }
        case MYL_ARITH_SPINNAKER: {
            /* inhibitory weights arrive negative; the chip's ring holds their magnitude */
            myl_spinnaker_state x = {v0, u0, i0, r0};
            sp = myl_spinnaker_update(s->chip, &x, e, -in);
            v[i] = x.v, u[i] = x.i_e, ci[i] = x.i_i, ref[i] = x.ref;
            break;
        }
        case MYL_ARITH_ODIN: {
            myl_odin_state x = {v0};
            sp = myl_odin_update(s->chip, &x, e + in, t);
            v[i] = x.v;
            break;
        }
        default:
            break;
        }
        if (sp) {
            spk[nspk] = lo + i;
            cnt[nspk++] = (uint16_t)sp; /* ODIN can fire twice in a tick */
        }
        /* TrueNorth's stochastic modes and ODIN's leak events make a neuron change without
         * input on some ticks only: keep those always active */
        const int may_change = arith == MYL_ARITH_TRUENORTH || arith == MYL_ARITH_ODIN;
        a[i] = (uint8_t)(had | sp | may_change | (r0 != 0) | (v[i] != v0) | (u[i] != u0) |
                         (ci[i] != i0));
    }
    *nupd += n;
    *nact += busy;
    return nspk;
}

/* ---- Loihi, vectorised ------------------------------------------------------------------
 * chip_loop's Loihi case in three passes per block of neurons, each a simple loop that GCC
 * vectorises: (1) the accumulators to 32-bit inputs, (2) myl_loihi_update in int32 lanes, (3)
 * the busy and activity flags and the compaction of the spikes. The block keeps the scratch on
 * the stack and in L1. The 32-bit formulation is exact for every int32 state as long as the
 * parameters are within the chip's ranges (loihi_in_range; otherwise chip_loop runs):
 *
 * - decay: |x| <= 2^31 and keep <= 4096, so |x|*keep >> 12 = (|x| >> 12)*keep +
 *   ((|x| & 4095)*keep >> 12) <= 2^31 + 4095 fits in uint32 (the product itself would not).
 * - u = wrap24(decay + (a_in << 6)) depends only on a_in mod 2^18 and the decay mod 2^24, so
 *   both may be taken mod 2^32.
 * - v = clamp(decay + u + bias): |u| <= 2^23 and |bias| <= 2^19, so a decay beyond 2^25 clamps
 *   to the same end as 2^25 does, and the saturated sum fits in int32.
 *
 * AVX2 has no conversion from double to int64, so pass (1) converts to int32 where the input
 * is within +-2^31 (where the two agree) and falls back to chip_input's int64 conversion for
 * a block that holds a larger input, a NaN or an infinity. */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(MYL_NO_CLONES)
/* the selects, blends and 32-bit multiplies need more than the SSE2 baseline: also compiled
 * for AVX2 and picked at run time, as neuron.c's passes are */
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

#define LOIHI_BLOCK 256u
#define LOIHI_IN_MAX 0x1p31    /* inputs strictly within +-2^31 convert through int32 */
#define LOIHI_DV_SAT (1 << 25) /* v's decay saturates here, see above */

static int loihi_in_range(const myl_loihi_param *p)
{
    return p->du >= 0 && p->du <= 4095 && p->dv >= 0 && p->dv <= 4095 &&
           p->bias_mant >= -MYL_LOIHI_BIAS_MANT_MAX - 1 &&
           p->bias_mant <= MYL_LOIHI_BIAS_MANT_MAX && p->bias_exp >= 0 &&
           p->bias_exp <= MYL_LOIHI_BIAS_EXP_MAX && p->vth >= 0 && p->vth <= MYL_LOIHI_VTH_MAX;
}

/* (1), one receptor: ain[i] = a_in mod 2^32, had[i] = input arrived. Returns nonzero if some
 * input is not strictly within +-2^31 or is a NaN (ain and had are then incomplete). */
static ALWAYS_INLINE int loihi_gather1(uint32_t m, const double *restrict xe, double sc,
                                       uint32_t *restrict ain, int32_t *restrict had)
{
    int32_t wide = 0;
    for (uint32_t i = 0; i < m; i++) {
        const double x = xe[i] * sc;
        const int32_t ok = (x > -LOIHI_IN_MAX) & (x < LOIHI_IN_MAX);
        const int32_t e = (int32_t)(ok ? x : 0.0);
        ain[i] = (uint32_t)e;
        had[i] = e != 0;
        wide |= !ok;
    }
    return wide;
}

/* (1), two receptors: a_in is the sum, but input arrived if either is nonzero */
static ALWAYS_INLINE int loihi_gather2(uint32_t m, const double *restrict xe,
                                       const double *restrict xi, double sc, uint32_t *restrict ain,
                                       int32_t *restrict had)
{
    int32_t wide = 0;
    for (uint32_t i = 0; i < m; i++) {
        const double x = xe[i] * sc, y = xi[i] * sc;
        const int32_t okx = (x > -LOIHI_IN_MAX) & (x < LOIHI_IN_MAX);
        const int32_t oky = (y > -LOIHI_IN_MAX) & (y < LOIHI_IN_MAX);
        const int32_t e = (int32_t)(okx ? x : 0.0), in = (int32_t)(oky ? y : 0.0);
        ain[i] = (uint32_t)e + (uint32_t)in;
        had[i] = (e != 0) | (in != 0);
        wide |= !(okx & oky);
    }
    return wide;
}

/* (1) for a block with a wide input: chip_loop's conversion, one neuron at a time */
static void loihi_gather_wide(uint32_t m, const double *xe, const double *xi, double sc,
                              uint32_t *ain, int32_t *had)
{
    for (uint32_t i = 0; i < m; i++) {
        const int64_t e = chip_input(xe[i] * sc), in = xi ? chip_input(xi[i] * sc) : 0;
        ain[i] = (uint32_t)((uint64_t)e + (uint64_t)in);
        had[i] = e != 0 || in != 0;
    }
}

/* |myl_loihi_decay(x, keep)| for any int32 x and keep <= 4096, without a 64-bit product */
static ALWAYS_INLINE uint32_t loihi_decay_mag(int32_t x, uint32_t keep)
{
    const uint32_t ax = x < 0 ? 0u - (uint32_t)x : (uint32_t)x;
    return (ax >> MYL_LOIHI_DECAY_BITS) * keep +
           (((ax & ((1u << MYL_LOIHI_DECAY_BITS) - 1)) * keep) >> MYL_LOIHI_DECAY_BITS);
}

/* (2): myl_loihi_update for m neurons with inputs ain and had, in int32 lanes only (a wider
 * or narrower type in the loop would make GCC widen the vectorisation factor and spill).
 * out[i] = spiked | (input arrived or the neuron was not at rest) << 1. */
static ALWAYS_INLINE void loihi_pass(const myl_loihi_param *p, uint32_t m,
                                     const uint32_t *restrict ain, const int32_t *restrict had,
                                     int32_t *restrict v, int32_t *restrict u,
                                     int32_t *restrict ref, int32_t *restrict out)
{
    const uint32_t keep_u = (1u << MYL_LOIHI_DECAY_BITS) - (uint32_t)p->du - 1;
    const uint32_t keep_v = (1u << MYL_LOIHI_DECAY_BITS) - (uint32_t)p->dv;
    const int32_t bias = p->bias_mant * (1 << p->bias_exp);
    const int32_t vth = p->vth * (1 << MYL_LOIHI_VTH_SHIFT);
    const int32_t vmax = (int32_t)MYL_LOIHI_V_MAX, refr = p->refr;
    const uint32_t half = 1u << (MYL_LOIHI_UV_BITS - 1), mask = (1u << MYL_LOIHI_UV_BITS) - 1;
    for (uint32_t i = 0; i < m; i++) {
        const int32_t u0 = u[i], v0 = v[i], r0 = ref[i];
        /* u: the decay's sign applied mod 2^32, then the 24-bit wrap of myl_fx_wrap */
        const uint32_t qu = loihi_decay_mag(u0, keep_u);
        const uint32_t su = (u0 < 0 ? 0u - qu : qu) + (ain[i] << MYL_LOIHI_ACT_SHIFT);
        const int32_t u1 = (int32_t)((su + half) & mask) - (int32_t)half;
        const uint32_t qv0 = loihi_decay_mag(v0, keep_v);
        const int32_t qv = (int32_t)(qv0 < LOIHI_DV_SAT ? qv0 : LOIHI_DV_SAT);
        const int32_t s = (v0 < 0 ? -qv : qv) + u1 + bias;
        const int32_t v1 = s < -vmax ? -vmax : (s > vmax ? vmax : s);
        const int32_t held = r0 > 0;
        const int32_t v2 = held ? 0 : v1;
        const int32_t sp = (!held) & (v2 > vth);
        const int32_t v3 = sp ? 0 : v2;
        v[i] = v3;
        u[i] = u1;
        ref[i] = sp ? refr : (held ? r0 - 1 : 0);
        out[i] = sp | (had[i] | (r0 != 0) | (v3 != v0) | (u1 != u0)) << 1;
    }
}

/* (3a): the busy flags (input arrived or active before) and the activity flags for the next
 * tick; returns the number of busy neurons. */
static ALWAYS_INLINE uint32_t loihi_flags(uint32_t m, const int32_t *restrict out,
                                          const int32_t *restrict had, int32_t *restrict bz,
                                          uint8_t *restrict a)
{
    uint32_t nb = 0;
    for (uint32_t i = 0; i < m; i++) {
        const int32_t b = had[i] | a[i];
        bz[i] = b;
        nb += (uint32_t)b;
        a[i] = (uint8_t)(out[i] != 0);
    }
    return nb;
}

/* chip_loop(MYL_ARITH_LOIHI, ...) for parameters within loihi_in_range, on the segment's
 * arrays (xe .. a start at the segment's first neuron, lo is its core-local index; xi may be
 * NULL). Same contract: appends spikes to spk and cnt, adds busy neurons to *nact. */
KERNEL static uint32_t loihi_seg(const myl_loihi_param *p, uint32_t lo, uint32_t n,
                                 double *restrict xe, double *restrict xi, double sc,
                                 int32_t *restrict v, int32_t *restrict u, int32_t *restrict ref,
                                 int32_t *restrict bz, uint8_t *restrict a, uint32_t *restrict spk,
                                 uint16_t *restrict cnt, uint64_t *nact)
{
    _Alignas(64) uint32_t ain[LOIHI_BLOCK];
    _Alignas(64) int32_t had[LOIHI_BLOCK], out[LOIHI_BLOCK];
    uint32_t nspk = 0;
    uint64_t busy = 0;
    for (uint32_t b = 0; b < n; b += LOIHI_BLOCK) {
        const uint32_t m = n - b < LOIHI_BLOCK ? n - b : LOIHI_BLOCK;
        const int wide = xi ? loihi_gather2(m, xe + b, xi + b, sc, ain, had)
                            : loihi_gather1(m, xe + b, sc, ain, had);
        if (wide)
            loihi_gather_wide(m, xe + b, xi ? xi + b : NULL, sc, ain, had);
        memset(xe + b, 0, m * sizeof *xe);
        if (xi)
            memset(xi + b, 0, m * sizeof *xi);
        loihi_pass(p, m, ain, had, v + b, u + b, ref + b, out);
        busy += loihi_flags(m, out, had, bz + b, a + b);
        /* (3b): the spiking neurons of the block, in order; one spike each */
        const uint32_t ns = myl__spikes_from(m, out, lo + b, spk + nspk);
        for (uint32_t i = 0; i < ns; i++)
            cnt[nspk + i] = 1;
        nspk += ns;
    }
    *nact += busy;
    return nspk;
}

uint32_t myl__chip_step(const myl__seg *s, myl__nstate *st, double *in_e, double *in_i,
                        double inv_scale, uint8_t *act, uint64_t t, uint64_t seed,
                        uint32_t *spk, uint16_t *cnt, uint64_t *nupd, uint64_t *nact)
{
    switch (s->arith) {
    case MYL_ARITH_LOIHI:
        if (loihi_in_range(s->chip)) {
            const uint32_t lo = s->lo;
            const uint32_t ns = loihi_seg(s->chip, lo, s->n, in_e + lo, in_i ? in_i + lo : NULL,
                                          inv_scale, st->cv + lo, st->cu + lo, st->ref + lo,
                                          st->busy + lo, act + lo, spk, cnt, nact);
            *nupd += s->n;
            return ns;
        }
        return chip_loop(MYL_ARITH_LOIHI, s, st, in_e, in_i, inv_scale, act, t, seed, spk, cnt,
                         nupd, nact);
    case MYL_ARITH_TRUENORTH:
        return chip_loop(MYL_ARITH_TRUENORTH, s, st, in_e, in_i, inv_scale, act, t, seed, spk,
                         cnt, nupd, nact);
    case MYL_ARITH_SPINNAKER:
        return chip_loop(MYL_ARITH_SPINNAKER, s, st, in_e, in_i, inv_scale, act, t, seed, spk,
                         cnt, nupd, nact);
    case MYL_ARITH_ODIN:
        return chip_loop(MYL_ARITH_ODIN, s, st, in_e, in_i, inv_scale, act, t, seed, spk, cnt,
                         nupd, nact);
    default:
        return chip_loop(-1, s, st, in_e, in_i, inv_scale, act, t, seed, spk, cnt, nupd, nact);
    }
}
