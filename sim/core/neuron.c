/* Neuron models and spike sources: parameter checking, precomputed constants, and the per-tick
 * kernels that both engines call. A kernel is one loop over a segment's struct-of-arrays state;
 * the per-neuron update is a static inline function, so the event engine (which skips neurons
 * at rest) and the dense engine (which updates all) run the very same arithmetic.
 *
 * Discretisation (dt = h, all updates in float, constants computed in double then rounded):
 *
 * lif       tau_m dv/dt = (v_rest - v) + R*I_bias, input spikes jump v by their weight.
 *           v <- v_inf + (v - v_inf)*exp(-h/tau_m) + x(t),   v_inf = v_rest + R*I_bias
 *           the exact solution over one tick, with the tick's summed input x(t) added after.
 * cuba_lif  tau_e dI_e/dt = -I_e (+ weights), same for I_i with tau_i, and
 *           tau_m dv/dt = (v_rest - v) + R*(I_e + I_i + I_bias); exact over one tick:
 *           v   <- v_inf + (v - v_inf)*P22 + P21e*I_e + P21i*I_i      (currents of t-1)
 *           I_e <- I_e*exp(-h/tau_e) + x_e(t),  I_i likewise
 *           P22 = exp(-h/tau_m),  P21 = R*tau_s/(tau_s - tau_m)*(exp(-h/tau_s) - exp(-h/tau_m))
 *           evaluated as R*P22*tau_s/(tau_s-tau_m)*expm1(h*(tau_s-tau_m)/(tau_s*tau_m)), and
 *           R*(h/tau_m)*P22 when tau_s == tau_m. Input at t reaches v at t+1 (as NEST's
 *           iaf_psc_exp). Excitatory = positive weight, inhibitory = negative weight.
 * if        dv/dt = R*I_bias/1 s:  v <- v + R*I_bias*h + x(t)
 * li        lif (or cuba_lif when tau_syn > 0) with no threshold.
 *
 * Threshold: spike when v >= v_th (v > v_th with `strict`). Reset: v <- v_reset, or
 * v <- v - (v_th - v_reset) (`subtract`). Refractory period of r ticks: after a spike at t,
 * ticks t+1 .. t+r leave v where the reset put it; lif discards input arriving then (as NEST's
 * iaf_psc_delta), cuba_lif keeps integrating its currents.
 */
#include "cnet_internal.h"

#include "myelin/alloc.h"
#include "myelin/hw.h"
#include "myelin/rng.h"

#include <math.h>
#include <string.h>

/* ---- kernels ----------------------------------------------------------------------------- */

static inline int crossed(float v, float th, int strict)
{
    return strict ? v > th : v >= th;
}

static inline uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* The per-neuron updates. Both engines and both paths below go through these, so a neuron's
 * arithmetic is the same whichever way it is reached. They are written as selects rather than
 * branches so that the loops over whole segments vectorise. Return 1 on a spike. */
static inline int delta_update(const myl__kconst *k, int model_if, int sub, int strict, float *v,
                               int32_t *ref, float x)
{
    const float vo = *v;
    const int32_t r = *ref;
    const int held = r > 0;
    const float vn = model_if ? vo + k->dv + x : k->v_inf + (vo - k->v_inf) * k->a_m + x;
    const int sp = (int)(!held) & crossed(vn, k->v_th, strict);
    const float vr = sub ? vn - k->v_sub : k->v_reset;
    *v = held ? vo : (sp ? vr : vn);
    *ref = sp ? k->refr : (held ? r - 1 : 0);
    return sp;
}

static inline int cuba_update(const myl__kconst *k, int sub, int strict, float *v, float *ie,
                              float *ii, int32_t *ref, float xe, float xi)
{
    const float vo = *v, eo = *ie, io = *ii;
    const int32_t r = *ref;
    const int held = r > 0;
    const float vn = k->v_inf + (vo - k->v_inf) * k->a_m + k->p_e * eo + k->p_i * io;
    *ie = eo * k->a_e + xe;
    *ii = io * k->a_i + xi;
    const int sp = (int)(!held) & crossed(vn, k->v_th, strict);
    const float vr = sub ? vn - k->v_sub : k->v_reset;
    *v = held ? vo : (sp ? vr : vn);
    *ref = sp ? k->refr : (held ? r - 1 : 0);
    return sp;
}

/* ---- whole-segment passes --------------------------------------------------------------- */
/* Three simple loops instead of one clever one, so that each vectorises: (1) inputs from the
 * accumulators to float, (2) the update, specialised on the segment's loop-invariant choices
 * (model, reset mode, threshold comparison) so that its body has no branches, and (3) spike
 * compaction and activity flags. Heterogeneous segments (constants per neuron) go through the
 * same per-neuron functions one neuron at a time. */

#define ALWAYS_INLINE __attribute__((always_inline)) inline
/* On x86-64 the passes are also compiled for AVX2 and picked at run time: the blends that make
 * their selects branch-free need more than the SSE2 baseline. Vector code gives the same
 * results as scalar code here: every lane does the same IEEE operations (no contraction). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(MYL_NO_CLONES)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

/* (1): x[i] = float(in[i] * sc); busy[i] = had input; accumulators cleared. */
KERNEL static void gather_input(uint32_t n, double *restrict in, double sc, float *restrict x,
                         int32_t *restrict busy)
{
    for (uint32_t i = 0; i < n; i++) {
        double d = in[i];
        x[i] = (float)(d * sc);
        busy[i] = d != 0;
        in[i] = 0;
    }
}

KERNEL static void gather_input2(uint32_t n, double *restrict ine, double *restrict ini, double sc,
                          float *restrict xe, float *restrict xi, int32_t *restrict busy)
{
    for (uint32_t i = 0; i < n; i++) {
        double de = ine[i], di = ini[i];
        xe[i] = (float)(de * sc);
        xi[i] = (float)(di * sc);
        busy[i] = (de != 0) | (di != 0);
        ine[i] = 0;
        ini[i] = 0;
    }
}

/* (2) for delta-input models; out[i] = spiked | changed << 1 */
static ALWAYS_INLINE void delta_pass(const myl__kconst *restrict kp, int is_if, int sub,
                                     int strict, uint32_t n, float *restrict v,
                                     int32_t *restrict ref, const float *restrict x,
                                     int32_t *restrict out)
{
    const float v_inf = kp->v_inf, a_m = kp->a_m, dv = kp->dv, th = kp->v_th;
    const float v_reset = kp->v_reset, v_sub = kp->v_sub;
    const int32_t refr = kp->refr;
    for (uint32_t i = 0; i < n; i++) {
        const float vo = v[i];
        const int32_t r = ref[i];
        const int32_t held = r > 0;
        const float vn = is_if ? vo + dv + x[i] : v_inf + (vo - v_inf) * a_m + x[i];
        const int32_t cr = strict ? vn > th : vn >= th;
        const int32_t sp = cr & (int32_t)(held ^ 1);
        const float vr = sub ? vn - v_sub : v_reset;
        const float v1 = held ? vo : vn;
        const float vf = sp ? vr : v1;
        const int32_t r1 = held ? r - 1 : 0;
        v[i] = vf;
        ref[i] = sp ? refr : r1;
        out[i] = sp | ((r != 0) | (fbits(vf) != fbits(vo))) << 1;
    }
}

static ALWAYS_INLINE void cuba_pass(const myl__kconst *restrict kp, int sub, int strict,
                                    uint32_t n, float *restrict v, float *restrict ie,
                                    float *restrict ii, int32_t *restrict ref,
                                    const float *restrict xe, const float *restrict xi,
                                    int32_t *restrict out)
{
    const float v_inf = kp->v_inf, a_m = kp->a_m, th = kp->v_th, p_e = kp->p_e, p_i = kp->p_i;
    const float a_e = kp->a_e, a_i = kp->a_i, v_reset = kp->v_reset, v_sub = kp->v_sub;
    const int32_t refr = kp->refr;
    for (uint32_t i = 0; i < n; i++) {
        const float vo = v[i], eo = ie[i], io = ii[i];
        const int32_t r = ref[i];
        const int32_t held = r > 0;
        const float vn = v_inf + (vo - v_inf) * a_m + p_e * eo + p_i * io;
        const float en = eo * a_e + xe[i], in = io * a_i + xi[i];
        const int32_t cr = strict ? vn > th : vn >= th;
        const int32_t sp = cr & (int32_t)(held ^ 1);
        const float vr = sub ? vn - v_sub : v_reset;
        const float v1 = held ? vo : vn;
        const float vf = sp ? vr : v1;
        const int32_t r1 = held ? r - 1 : 0;
        v[i] = vf;
        ie[i] = en;
        ii[i] = in;
        ref[i] = sp ? refr : r1;
        out[i] = sp | ((int)(r != 0) | (fbits(vf) != fbits(vo)) | (fbits(en) != fbits(eo)) |
                       (fbits(in) != fbits(io)))
                          << 1;
    }
}

/* (3a): activity flags for the next tick and the number of neurons that were busy now. */
KERNEL static uint64_t flags_and_count(uint32_t n, const int32_t *restrict out,
                                       const int32_t *restrict busy, uint8_t *restrict a)
{
    uint32_t nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        const int32_t o = out[i], b = busy[i];
        nb += (uint32_t)(b | a[i]);
        a[i] = (uint8_t)((o >> 1) | b | (o & 1));
    }
    return nb;
}

/* (3b): spiking neurons, in order. Spikes are rare, so blocks without one are skipped after a
 * vectorised test. */
KERNEL uint32_t myl__spikes_from(uint32_t n, const int32_t *restrict out, uint32_t lo,
                                 uint32_t *restrict spk)
{
    uint32_t ns = 0;
    for (uint32_t b = 0; b < n; b += 64) {
        const uint32_t e = b + 64 < n ? b + 64 : n;
        int32_t any = 0;
        for (uint32_t i = b; i < e; i++)
            any |= out[i];
        if (!(any & 1))
            continue;
        for (uint32_t i = b; i < e; i++)
            if (out[i] & 1)
                spk[ns++] = lo + i;
    }
    return ns;
}

KERNEL static void delta_all(const myl__seg *s, uint32_t n, float *v, int32_t *ref, const float *x,
                      int32_t *out)
{
    const int is_if = s->model == MYL_MODEL_IF, sub = s->reset == MYL_RESET_SUBTRACT;
    const int strict = s->strict;
    if (s->hetero) {
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t v0 = fbits(v[i]);
            const int32_t r0 = ref[i];
            int sp = delta_update(&s->k[i], is_if, sub, strict, &v[i], &ref[i], x[i]);
            out[i] = sp | ((r0 != 0) | (fbits(v[i]) != v0)) << 1;
        }
        return;
    }
    const myl__kconst *k = s->k;
    switch ((is_if << 2) | (sub << 1) | strict) {
    case 0: delta_pass(k, 0, 0, 0, n, v, ref, x, out); break;
    case 1: delta_pass(k, 0, 0, 1, n, v, ref, x, out); break;
    case 2: delta_pass(k, 0, 1, 0, n, v, ref, x, out); break;
    case 3: delta_pass(k, 0, 1, 1, n, v, ref, x, out); break;
    case 4: delta_pass(k, 1, 0, 0, n, v, ref, x, out); break;
    case 5: delta_pass(k, 1, 0, 1, n, v, ref, x, out); break;
    case 6: delta_pass(k, 1, 1, 0, n, v, ref, x, out); break;
    default: delta_pass(k, 1, 1, 1, n, v, ref, x, out); break;
    }
}

KERNEL static void cuba_all(const myl__seg *s, uint32_t n, float *v, float *ie, float *ii, int32_t *ref,
                     const float *xe, const float *xi, int32_t *out)
{
    const int sub = s->reset == MYL_RESET_SUBTRACT, strict = s->strict;
    if (s->hetero) {
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t v0 = fbits(v[i]), e0 = fbits(ie[i]), i0 = fbits(ii[i]);
            const int32_t r0 = ref[i];
            int sp = cuba_update(&s->k[i], sub, strict, &v[i], &ie[i], &ii[i], &ref[i], xe[i],
                                 xi[i]);
            out[i] = sp | ((int)(r0 != 0) | (fbits(v[i]) != v0) | (fbits(ie[i]) != e0) |
                           (fbits(ii[i]) != i0))
                              << 1;
        }
        return;
    }
    const myl__kconst *k = s->k;
    switch ((sub << 1) | strict) {
    case 0: cuba_pass(k, 0, 0, n, v, ie, ii, ref, xe, xi, out); break;
    case 1: cuba_pass(k, 0, 1, n, v, ie, ii, ref, xe, xi, out); break;
    case 2: cuba_pass(k, 1, 0, n, v, ie, ii, ref, xe, xi, out); break;
    default: cuba_pass(k, 1, 1, n, v, ie, ii, ref, xe, xi, out); break;
    }
}

uint32_t myl__seg_step(const myl__seg *s, myl__nstate *st, double *in_e, double *in_i,
                       double inv_scale, uint8_t *act, int sparse, uint32_t *spk, uint64_t *nupd,
                       uint64_t *nact)
{
    const uint32_t lo = s->lo, n = s->n;
    float *v = st->v + lo, *ie = st->ie + lo, *ii = st->ii + lo;
    int32_t *ref = st->ref + lo;
    double *xe = in_e + lo, *xi = in_i ? in_i + lo : NULL;
    uint8_t *a = act + lo;
    uint32_t nspk = 0;

    if (!sparse) {
        float *xe_f = st->xe, *xi_f = st->xi;
        int32_t *busy = st->busy, *out = st->out;
        if (xi && !s->syn_current) {
            /* a delta model on a core that also has current-based neurons: one input */
            for (uint32_t i = 0; i < n; i++)
                xe[i] += xi[i], xi[i] = 0;
            xi = NULL;
        }
        if (xi)
            gather_input2(n, xe, xi, inv_scale, xe_f, xi_f, busy);
        else
            gather_input(n, xe, inv_scale, xe_f, busy);
        if (s->syn_current) {
            if (!xi)
                memset(xi_f, 0, n * sizeof *xi_f);
            cuba_all(s, n, v, ie, ii, ref, xe_f, xi_f, out);
        } else {
            delta_all(s, n, v, ref, xe_f, out);
        }
        uint64_t nb = flags_and_count(n, out, busy, a);
        nspk = myl__spikes_from(n, out, lo, spk);
        *nupd += n;
        *nact += nb;
        return nspk;
    }

    const int sub = s->reset == MYL_RESET_SUBTRACT, strict = s->strict;
    const size_t ks = s->hetero ? 1 : 0;
    uint64_t upd = 0;
    if (!s->syn_current) {
        const int is_if = s->model == MYL_MODEL_IF;
        for (uint32_t i = 0; i < n; i++) {
            double x = xi ? xe[i] + xi[i] : xe[i];
            if (!a[i] && x == 0)
                continue;
            xe[i] = 0;
            if (xi)
                xi[i] = 0;
            const uint32_t v0 = fbits(v[i]);
            const int32_t r0 = ref[i];
            const int sp = delta_update(&s->k[i * ks], is_if, sub, strict, &v[i], &ref[i],
                                        (float)(x * inv_scale));
            if (sp)
                spk[nspk++] = lo + i;
            a[i] = (uint8_t)((x != 0) | (r0 != 0) | sp | (fbits(v[i]) != v0));
            upd++;
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            const double de = xe[i], di = xi[i];
            if (!a[i] && de == 0 && di == 0)
                continue;
            xe[i] = 0;
            xi[i] = 0;
            const uint32_t v0 = fbits(v[i]), e0 = fbits(ie[i]), i0 = fbits(ii[i]);
            const int32_t r0 = ref[i];
            const int sp = cuba_update(&s->k[i * ks], sub, strict, &v[i], &ie[i], &ii[i], &ref[i],
                                       (float)(de * inv_scale), (float)(di * inv_scale));
            if (sp)
                spk[nspk++] = lo + i;
            a[i] = (uint8_t)((de != 0) | (di != 0) | (r0 != 0) | sp | (fbits(v[i]) != v0) |
                             (fbits(ie[i]) != e0) | (fbits(ii[i]) != i0));
            upd++;
        }
    }
    *nupd += upd;
    *nact += upd;
    return nspk;
}

/* ---- sources ----------------------------------------------------------------------------- */

/* SplitMix64's output function (Steele, Lea and Flood 2014). */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Poisson count for uniform word u given lambda: inversion of the CDF, capped at KMAX. */
static inline uint32_t poisson_invert(double lambda, uint32_t u)
{
    double uu = (double)u * 0x1.0p-32;
    double p = exp(-lambda), F = p;
    uint32_t k = 0;
    while (uu >= F && k < MYL_POISSON_KMAX) {
        k++;
        p *= lambda / k;
        F += p;
    }
    return k;
}

/* Uniform words for neurons i of s at tick t: neuron pi (population-local) takes half of
 * SplitMix64 output pi / 2 under a key drawn from Philox for (seed, purpose, population, tick).
 * A pure function of those, so both engines draw the same numbers in any order. */
KERNEL static void uniforms(uint64_t key, const uint32_t *restrict pidx, uint32_t n,
                            uint32_t *restrict u)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t pi = pidx[i];
        const uint64_t z = mix64(key + ((uint64_t)(pi >> 1) + 1) * 0x9E3779B97F4A7C15ull);
        u[i] = (uint32_t)(z >> ((pi & 1) ? 0 : 32));
    }
}

/* Poisson count for uniform word u. */
static inline uint32_t poisson_count(const myl__seg *s, uint32_t i, uint32_t u)
{
    if (s->cdf) {
        uint32_t g = s->guide[u >> (32 - MYL_GUIDE_BITS)];
        uint32_t k = g & 0xFFFF;
        if (g >> 16) /* the bucket holds a step of the CDF: finish by search */
            while (k < s->ncdf && u >= s->cdf[k])
                k++;
        return k;
    }
    double lam = s->lambda[s->lam_hetero ? i : 0];
    return lam > 0 ? poisson_invert(lam, u) : 0;
}

static uint64_t tick_key(const myl_cnet *c, uint32_t purpose, uint32_t pop, uint64_t t)
{
    uint32_t w[4];
    myl_rng_draw(c->seed, purpose, pop, 0, t, w);
    return (uint64_t)w[0] << 32 | w[1];
}

uint32_t myl__source_step(const myl_cnet *c, const myl__seg *s, size_t *cursor, uint64_t t,
                          uint32_t *spk, uint16_t *cnt, uint32_t *scratch)
{
    uint32_t ns = 0;
    switch (s->model) {
    case MYL_MODEL_POISSON:
        uniforms(tick_key(c, MYL_RNG_POISSON, s->pop, t), s->pidx, s->n, scratch);
        for (uint32_t i = 0; i < s->n; i++) {
            uint32_t k = poisson_count(s, i, scratch[i]);
            if (k) {
                spk[ns] = s->lo + i;
                cnt[ns++] = (uint16_t)k;
            }
        }
        break;
    case MYL_MODEL_REGULAR:
        for (uint32_t i = 0; i < s->n; i++) {
            uint64_t per = s->period[s->hetero ? i : 0], ph = s->phase[s->hetero ? i : 0];
            if (t >= ph && (t - ph) % per == 0) {
                spk[ns] = s->lo + i;
                cnt[ns++] = 1;
            }
        }
        break;
    case MYL_MODEL_SPIKE_TIMES: {
        size_t j = *cursor;
        while (j < s->ntimes && s->t_tick[j] < t)
            j++;
        while (j < s->ntimes && s->t_tick[j] == t) {
            uint32_t l = s->t_local[j], k = 0;
            while (j < s->ntimes && s->t_tick[j] == t && s->t_local[j] == l)
                j++, k++;
            spk[ns] = l;
            cnt[ns++] = (uint16_t)k;
        }
        *cursor = j;
        break;
    }
    default:
        break;
    }
    return ns;
}

/* Counts from uniforms through the guide table alone (u[i] is replaced by the table entry),
 * then the few entries whose bucket holds a CDF step are finished by search. */
/* Counts through the guide table alone, added (times w) into x; k keeps each table entry so
 * that the few whose bucket holds a CDF step can be finished by search afterwards. Returns
 * the events counted and, in *flagged, whether any entry needs finishing. */
KERNEL static uint64_t guide_add(const uint32_t *restrict guide, const uint32_t *restrict u,
                                 uint32_t *restrict k, uint32_t n, double w, double *restrict x,
                                 uint32_t *flagged)
{
    uint32_t any = 0;
    uint64_t events = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t g = guide[u[i] >> (32 - MYL_GUIDE_BITS)];
        const uint32_t kk = g & 0xFFFF;
        any |= g;
        k[i] = g;
        x[i] += w * (double)kk;
        events += kk;
    }
    *flagged = any >> 16;
    return events;
}

uint64_t myl__input_step(const myl_cnet *c, const myl__seg *s, uint64_t t, double *in_e,
                         double *in_i, uint32_t *scratch, uint32_t *scratch2)
{
    if (!s->poisson)
        return 0;
    uniforms(tick_key(c, MYL_RNG_INPUT, s->pop, t), s->pidx, s->n, scratch);
    if (s->cdf && !s->in_hetero) {
        /* common rate and weight: table lookups and adds in one vector pass, then the few
         * counts whose bucket holds a CDF step are finished by search and corrected */
        const double w = s->in_ws[0];
        double *x = (w < 0 && in_i ? in_i : in_e) + s->lo;
        uint32_t *k = scratch2, flagged;
        uint64_t events = guide_add(s->guide, scratch, k, s->n, w, x, &flagged);
        for (uint32_t b = 0; flagged && b < s->n; b += 64) {
            const uint32_t e = b + 64 < s->n ? b + 64 : s->n;
            uint32_t any = 0;
            for (uint32_t i = b; i < e; i++)
                any |= k[i];
            if (!(any >> 16))
                continue;
            for (uint32_t i = b; i < e; i++) {
                if (!(k[i] >> 16))
                    continue;
                uint32_t k0 = k[i] & 0xFFFF, kk = k0;
                while (kk < s->ncdf && scratch[i] >= s->cdf[kk])
                    kk++;
                x[i] += w * (double)(kk - k0);
                events += kk - k0;
            }
        }
        return events;
    }
    uint64_t events = 0;
    double *xe = in_e + s->lo, *xi = (in_i ? in_i : in_e) + s->lo;
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t k = poisson_count(s, i, scratch[i]);
        if (!k)
            continue;
        double w = s->in_ws[s->in_hetero ? i : 0];
        (w < 0 ? xi : xe)[i] += w * k;
        events += k;
    }
    return events;
}

/* ---- preparation ------------------------------------------------------------------------- */

void myl__seg_release(myl__seg *s)
{
    myl_afree(s->k);
    myl_free(s->chip);
    myl_free(s->pidx);
    myl_free(s->lambda);
    myl_free(s->cdf);
    myl_free(s->guide);
    myl_free(s->in_w);
    myl_free(s->in_ws);
    myl_free(s->period);
    myl_free(s->phase);
    myl_free(s->t_tick);
    myl_free(s->t_local);
}

static double P(const myl_net *net, uint64_t seed, uint32_t pop, myl_param p, uint32_t pi)
{
    const myl__pop *Pp = &net->pops[pop];
    return myl_values_at(&Pp->param[p], seed, pop * MYL_P_COUNT + (uint32_t)p, pi);
}

static int bad(myl_diag *d, const myl__pop *p, myl_param par, uint32_t i, double val,
               const char *want)
{
    return myl_diag_fail(d, MYL_ERANGE, "population '%s', %s of neuron %u is %g; expected %s",
                         p->name, myl_param_name(par), i, val, want);
}

static double propagator(double h, double tau_m, double tau_s, double r)
{
    double p22 = exp(-h / tau_m);
    if (tau_s == tau_m)
        return r * (h / tau_m) * p22;
    return r * p22 * tau_s / (tau_s - tau_m) * expm1(h * (tau_s - tau_m) / (tau_s * tau_m));
}

static int neuron_consts(const myl_net *net, double dt, uint64_t seed, const myl__pop *p,
                         uint32_t pop, uint32_t pi, myl__kconst *k, int *syn_current,
                         myl_diag *d)
{
    const myl_model m = p->model;
    double tau_m = P(net, seed, pop, MYL_P_TAU_M, pi);
    double te = P(net, seed, pop, MYL_P_TAU_SYN_E, pi);
    double ti = P(net, seed, pop, MYL_P_TAU_SYN_I, pi);
    double v_rest = P(net, seed, pop, MYL_P_V_REST, pi);
    double v_th = P(net, seed, pop, MYL_P_V_TH, pi);
    double v_reset = P(net, seed, pop, MYL_P_V_RESET, pi);
    double refr = P(net, seed, pop, MYL_P_REFRACTORY, pi);
    double bias = P(net, seed, pop, MYL_P_BIAS, pi);
    double r = P(net, seed, pop, MYL_P_R, pi);

    if (m != MYL_MODEL_IF && !(tau_m > 0 && isfinite(tau_m)))
        return bad(d, p, MYL_P_TAU_M, pi, tau_m, "a positive time in seconds");
    *syn_current = m == MYL_MODEL_CUBA_LIF || (m == MYL_MODEL_LI && (te > 0 || ti > 0));
    if (*syn_current) {
        if (!(te > 0 && isfinite(te)))
            return bad(d, p, MYL_P_TAU_SYN_E, pi, te, "a positive time in seconds");
        if (!(ti > 0 && isfinite(ti)))
            return bad(d, p, MYL_P_TAU_SYN_I, pi, ti, "a positive time in seconds");
    }
    if (!isfinite(v_rest))
        return bad(d, p, MYL_P_V_REST, pi, v_rest, "a finite number");
    if (m != MYL_MODEL_LI && !isfinite(v_th))
        return bad(d, p, MYL_P_V_TH, pi, v_th, "a finite number");
    if (!isfinite(v_reset))
        return bad(d, p, MYL_P_V_RESET, pi, v_reset, "a finite number");
    refr = myl_round_ticks(refr); /* periods given as times arrive as fractional ticks */
    if (!(refr >= 0 && refr <= 1e9))
        return bad(d, p, MYL_P_REFRACTORY, pi, refr, "a number of ticks >= 0");
    if (!isfinite(bias))
        return bad(d, p, MYL_P_BIAS, pi, bias, "a finite number");
    if (!isfinite(r))
        return bad(d, p, MYL_P_R, pi, r, "a finite number");

    memset(k, 0, sizeof *k);
    k->a_m = m == MYL_MODEL_IF ? 1.0f : (float)exp(-dt / tau_m);
    k->v_inf = (float)(v_rest + r * bias);
    k->dv = (float)(r * bias * dt);
    k->v_th = m == MYL_MODEL_LI ? INFINITY : (float)v_th;
    k->v_reset = (float)v_reset;
    k->v_sub = (float)(v_th - v_reset);
    k->refr = (int32_t)refr;
    if (*syn_current) {
        k->a_e = (float)exp(-dt / te);
        k->a_i = (float)exp(-dt / ti);
        k->p_e = (float)propagator(dt, tau_m, te, r);
        k->p_i = (float)propagator(dt, tau_m, ti, r);
    }
    return 0;
}

static int pop_is_hetero(const myl__pop *p)
{
    for (int i = 0; i < MYL_P_COUNT; i++)
        if (i != MYL_P_V_INIT && myl_model_has_param(p->model, (myl_param)i) &&
            p->param[i].dist != MYL_DIST_CONST)
            return 1;
    return 0;
}

/* Rates (parameter rp) to per-tick means, and for a common mean a CDF table with a guide. */
static int poisson_prepare(const myl_net *net, double dt, uint64_t seed, myl__seg *s,
                           myl_param rp, myl_diag *d)
{
    const myl__pop *p = &net->pops[s->pop];
    s->lam_hetero = p->param[rp].dist != MYL_DIST_CONST;
    uint32_t nl = s->lam_hetero ? s->n : 1;
    s->lambda = myl_calloc(nl, sizeof *s->lambda);
    if (!s->lambda)
        return MYL_ENOMEM;
    int any = 0;
    for (uint32_t i = 0; i < nl; i++) {
        double rate = P(net, seed, s->pop, rp, s->pidx[i]);
        double lam = rate * dt;
        if (!(rate >= 0) || !isfinite(rate))
            return bad(d, p, rp, s->pidx[i], rate, "a rate >= 0 in Hz");
        if (lam > MYL_MAX_POISSON_LAMBDA)
            return myl_diag_fail(d, MYL_ERANGE,
                                 "population '%s': %s %g Hz is %g events per tick of %g s; at "
                                 "most %g per tick are supported",
                                 p->name, myl_param_name(rp), rate, lam, dt,
                                 MYL_MAX_POISSON_LAMBDA);
        s->lambda[i] = lam;
        any |= lam > 0;
    }
    s->poisson = any;
    s->max_count = any ? MYL_POISSON_KMAX : 1;
    if (s->lam_hetero || !any)
        return 0;
    /* CDF table on 32-bit uniforms: count k when cdf[k-1] <= u < cdf[k] */
    double lam = s->lambda[0], pk = exp(-lam), F = pk;
    uint32_t tab[MYL_POISSON_KMAX];
    uint32_t n = 0;
    for (uint32_t k = 0; k < MYL_POISSON_KMAX; k++) {
        double th = F * 4294967296.0;
        tab[n++] = th >= 4294967295.0 ? UINT32_MAX : (uint32_t)th;
        if (th >= 4294967295.0)
            break;
        pk *= lam / (k + 1);
        F += pk;
    }
    s->cdf = myl_calloc(n, sizeof *s->cdf);
    s->guide = myl_calloc(1u << MYL_GUIDE_BITS, sizeof *s->guide);
    if (!s->cdf || !s->guide)
        return MYL_ENOMEM;
    memcpy(s->cdf, tab, n * sizeof *tab);
    s->ncdf = n;
    /* guide table (Chen and Asau 1974): for each value of a uniform's top bits, the count of
     * CDF steps below the bucket, flagged (bit 16) when a step falls inside the bucket */
    uint32_t k = 0;
    const uint32_t sh = 32 - MYL_GUIDE_BITS;
    for (uint32_t b = 0; b < (1u << MYL_GUIDE_BITS); b++) {
        while (k < n && ((uint64_t)b << sh) >= s->cdf[k])
            k++;
        uint64_t end = ((uint64_t)(b + 1) << sh) - 1; /* last value in the bucket */
        int step = k < n && end >= s->cdf[k];
        s->guide[b] = k | (uint32_t)step << 16;
    }
    return 0;
}

int myl__seg_prepare(const myl_net *net, double dt, uint64_t seed, const myl_chip *chip,
                     myl__core *core, myl__seg *s, myl_diag *d)
{
    const myl__pop *p = &net->pops[s->pop];
    s->model = p->model;
    s->reset = p->reset;
    s->strict = p->strict;
    s->record_v = p->record_v;
    s->hetero = pop_is_hetero(p);
    s->max_count = 1;

    if (!myl_model_is_source(p->model)) {
        uint32_t nk = s->hetero ? s->n : 1;
        s->k = myl_aligned_calloc(nk, sizeof *s->k);
        if (!s->k)
            return MYL_ENOMEM;
        for (uint32_t i = 0; i < nk; i++) {
            uint32_t pi = (uint32_t)(core->gid[s->lo + i] - p->first);
            int sc = 0;
            int rc = neuron_consts(net, dt, seed, p, s->pop, pi, &s->k[i], &sc, d);
            if (rc)
                return rc;
            if (i == 0)
                s->syn_current = sc;
            else if (sc != s->syn_current)
                return myl_diag_fail(d, MYL_EINVAL,
                                     "population '%s': tau_syn must be zero for all neurons or "
                                     "for none",
                                     p->name);
        }
        for (uint32_t i = 0; i < s->n; i++) {
            uint32_t pi = (uint32_t)(core->gid[s->lo + i] - p->first);
            double v0 = p->param_set[MYL_P_V_INIT] ? P(net, seed, s->pop, MYL_P_V_INIT, pi)
                                                   : P(net, seed, s->pop, MYL_P_V_REST, pi);
            if (!isfinite(v0))
                return bad(d, p, MYL_P_V_INIT, pi, v0, "a finite number");
            core->v0[s->lo + i] = (float)v0;
        }
        const myl_chip_pop *cp = chip && chip->pop ? &chip->pop[s->pop] : NULL;
        if (cp && cp->arith) {
            /* the chip's neuron: its parameters, and initial potentials in its units */
            s->arith = cp->arith;
            s->chip = myl_malloc(cp->param_size);
            s->pidx = myl_calloc(s->n, sizeof *s->pidx);
            if (!s->chip || !s->pidx)
                return MYL_ENOMEM;
            memcpy(s->chip, cp->param, cp->param_size);
            for (uint32_t i = 0; i < s->n; i++) {
                s->pidx[i] = (uint32_t)(core->gid[s->lo + i] - p->first);
                double x = nearbyint(((double)core->v0[s->lo + i] - cp->v_zero) * cp->v_scale);
                core->iv0[s->lo + i] = (int32_t)(x > 2147483647.0    ? 2147483647.0
                                                 : x < -2147483648.0 ? -2147483648.0
                                                                     : x);
            }
            /* SpiNNaker keeps excitatory and inhibitory input apart */
            s->syn_current = cp->arith == MYL_ARITH_SPINNAKER;
            if (p->param_set[MYL_P_INPUT_RATE])
                return myl_diag_fail(d, MYL_EINVAL,
                                     "population '%s': input_rate is not available on chip "
                                     "arithmetic; model the drive as a poisson population",
                                     p->name);
            return 0;
        }
        if (!p->param_set[MYL_P_INPUT_RATE])
            return 0;
        if (!p->param_set[MYL_P_INPUT_WEIGHT])
            return myl_diag_fail(d, MYL_EINVAL, "population '%s': input_rate needs input_weight",
                                 p->name);
        s->pidx = myl_calloc(s->n, sizeof *s->pidx);
        if (!s->pidx)
            return MYL_ENOMEM;
        for (uint32_t i = 0; i < s->n; i++)
            s->pidx[i] = (uint32_t)(core->gid[s->lo + i] - p->first);
        int rc = poisson_prepare(net, dt, seed, s, MYL_P_INPUT_RATE, d);
        if (rc || !s->poisson)
            return rc;
        s->in_hetero = p->param[MYL_P_INPUT_WEIGHT].dist != MYL_DIST_CONST;
        uint32_t nw = s->in_hetero ? s->n : 1;
        s->in_w = myl_calloc(nw, sizeof *s->in_w);
        s->in_ws = myl_calloc(nw, sizeof *s->in_ws);
        if (!s->in_w || !s->in_ws)
            return MYL_ENOMEM;
        for (uint32_t i = 0; i < nw; i++) {
            double w = P(net, seed, s->pop, MYL_P_INPUT_WEIGHT, s->pidx[i]);
            if (!isfinite(w) || fabs(w) > 3e38)
                return bad(d, p, MYL_P_INPUT_WEIGHT, s->pidx[i], w, "a finite weight");
            s->in_w[i] = (float)w;
        }
        return 0;
    }

    s->pidx = myl_calloc(s->n, sizeof *s->pidx);
    if (!s->pidx)
        return MYL_ENOMEM;
    for (uint32_t i = 0; i < s->n; i++)
        s->pidx[i] = (uint32_t)(core->gid[s->lo + i] - p->first);

    switch (p->model) {
    case MYL_MODEL_POISSON:
        return poisson_prepare(net, dt, seed, s, MYL_P_RATE, d);
    case MYL_MODEL_REGULAR: {
        uint32_t nl = s->hetero ? s->n : 1;
        s->period = myl_calloc(nl, sizeof *s->period);
        s->phase = myl_calloc(nl, sizeof *s->phase);
        if (!s->period || !s->phase)
            return MYL_ENOMEM;
        for (uint32_t i = 0; i < nl; i++) {
            double per = myl_round_ticks(P(net, seed, s->pop, MYL_P_PERIOD, s->pidx[i]));
            double ph = myl_round_ticks(P(net, seed, s->pop, MYL_P_PHASE, s->pidx[i]));
            if (!(per >= 1 && per < 1e18))
                return bad(d, p, MYL_P_PERIOD, s->pidx[i], per, "a period of at least 1 tick");
            if (!(ph >= 0 && ph < 1e18))
                return bad(d, p, MYL_P_PHASE, s->pidx[i], ph, "a phase of at least 0 ticks");
            s->period[i] = (uint64_t)per;
            s->phase[i] = (uint64_t)ph;
        }
        break;
    }
    case MYL_MODEL_SPIKE_TIMES: {
        /* the population's (tick, neuron) list restricted to this segment, in local indices */
        size_t n = 0;
        uint32_t first = s->pidx[0], last = s->pidx[s->n - 1];
        int contiguous = last - first + 1 == s->n;
        for (size_t j = 0; j < p->ntimes; j++)
            if (p->t_neuron[j] >= first && p->t_neuron[j] <= last)
                n++;
        s->t_tick = myl_calloc(n, sizeof *s->t_tick);
        s->t_local = myl_calloc(n, sizeof *s->t_local);
        if (!s->t_tick || !s->t_local)
            return MYL_ENOMEM;
        size_t m = 0;
        uint32_t run = 0;
        for (size_t j = 0; j < p->ntimes; j++) {
            uint32_t pn = p->t_neuron[j];
            if (pn < first || pn > last)
                continue;
            uint32_t local;
            if (contiguous) {
                local = s->lo + (pn - first);
            } else {
                /* binary search: pidx is ascending */
                uint32_t a = 0, b = s->n;
                while (a < b) {
                    uint32_t mid = (a + b) / 2;
                    if (s->pidx[mid] < pn)
                        a = mid + 1;
                    else
                        b = mid;
                }
                if (a == s->n || s->pidx[a] != pn)
                    continue;
                local = s->lo + a;
            }
            if (m && s->t_tick[m - 1] == p->t_tick[j] && s->t_local[m - 1] == local)
                run++;
            else
                run = 1;
            if (run > MYL_MAX_COUNT)
                return myl_diag_fail(d, MYL_ERANGE,
                                     "population '%s': neuron %u has more than %u spikes in tick "
                                     "%llu",
                                     p->name, pn, MYL_MAX_COUNT,
                                     (unsigned long long)p->t_tick[j]);
            if (run > s->max_count)
                s->max_count = (uint16_t)run;
            s->t_tick[m] = p->t_tick[j];
            s->t_local[m] = local;
            m++;
        }
        s->ntimes = m;
        break;
    }
    default:
        break;
    }
    return 0;
}
