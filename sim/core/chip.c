/* Segments on chip arithmetic: one tick of Loihi, TrueNorth, SpiNNaker or ODIN neurons, with
 * the bit-accurate updates of fixed.h.
 *
 * The accumulators hold the chip's integer synaptic input (the compiler replaced every float
 * weight with it), so the sums are exact and the same in both engines. As for the float
 * models, a neuron whose state did not change during a tick without input is at a fixed point
 * and is marked inactive; both engines run every neuron through the update each tick here,
 * which for a neuron at a fixed point changes nothing, so the result does not depend on it.
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
        const int64_t e = (int64_t)(xe[i] * inv_scale), in = xi ? (int64_t)(xi[i] * inv_scale) : 0;
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

uint32_t myl__chip_step(const myl__seg *s, myl__nstate *st, double *in_e, double *in_i,
                        double inv_scale, uint8_t *act, uint64_t t, uint64_t seed,
                        uint32_t *spk, uint16_t *cnt, uint64_t *nupd, uint64_t *nact)
{
    switch (s->arith) {
    case MYL_ARITH_LOIHI:
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
