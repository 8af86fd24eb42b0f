/* Bit-accurate chip arithmetic (sim/core/fixed.h) against the published equations.
 *
 * Every expected integer below was computed outside this C code, by hand or by the short
 * Python transcriptions of the published equations quoted in the comments (plain Python
 * integers: `>>` floors, `abs` and `//` as in the papers' and toolchains' code). Edge cases each
 * get a test of their own: Loihi's rounding toward zero, 24-bit wrap of u, clipping of v,
 * threshold equality, bias exponent, refractory counter and the +1 current-decay offset;
 * TrueNorth's reset modes, negative threshold modes, masked threshold draw, leak reversal and
 * stochastic leak; SpiNNaker's s16.15 multiply (ARM-mode truncation, not libgcc's rounding),
 * u0.32 decays, ring-buffer saturation and refractory threshold test; ODIN's saturation at 0 and
 * 255, leak timing, and the order dependence of its per-event update. Differential tests then
 * compare each update with a plain branchy re-implementation on random states and inputs.
 */
#include "testlib.h"

#include "sim/core/fixed.h"

#include <stdlib.h>

/* SplitMix64, for the differential tests (fixed seeds: every run is the same). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* ==== Loihi ==============================================================================
 * Reference (Lava PyLifModelBitAcc; refractory as nengo-loihi's emulator):
 *
 *   def sgn(x): return (x > 0) - (x < 0)
 *   def loihi(du, dv, bm, be, vth, a_in, refr=0, u=0, v=0):
 *       out = []; ref = 0
 *       for a in a_in:
 *           p = u * (4096 - du - 1); u = sgn(p) * (abs(p) >> 12) + a * 64
 *           u = (u + 2**23) % 2**24 - 2**23
 *           p = v * (4096 - dv); v = sgn(p) * (abs(p) >> 12) + u + bm * 2**be
 *           v = max(-(2**23 - 1), min(2**23 - 1, v))
 *           held = ref > 0
 *           if held: v = 0
 *           s = (not held) and v > vth * 64
 *           if s: v = 0; ref = refr
 *           elif held: ref -= 1
 *           out.append((u, v, int(s)))
 *       return out
 */

typedef struct loihi_step {
    int64_t a_in;
    int32_t u, v, spike;
} loihi_step;

static void loihi_trace(myl_loihi_param p, const loihi_step *t, int n)
{
    myl_loihi_state s = {0, 0, 0};
    for (int i = 0; i < n; i++) {
        int sp = myl_loihi_update(&p, &s, t[i].a_in);
        if (s.u != t[i].u || s.v != t[i].v || sp != t[i].spike)
            ck_abort_msg("tick %d: u %d v %d spike %d, expected u %d v %d spike %d", i, s.u, s.v,
                         sp, t[i].u, t[i].v, t[i].spike);
    }
}

START_TEST(loihi_decay_and_input)
{
    /* loihi(410, 205, 0, 0, 100, [50, 0, 20, 0, 0, -37, 0, 0]) */
    static const loihi_step t[] = {
        {50, 3200, 3200, 0}, {0, 2878, 5917, 0}, {20, 3869, 0, 1}, {0, 3480, 3480, 0},
        {0, 3130, 0, 1},     {-37, 447, 447, 0}, {0, 402, 826, 0}, {0, 361, 1145, 0},
    };
    myl_loihi_param p = {.du = 410, .dv = 205, .vth = 100};
    loihi_trace(p, t, 8);
}
END_TEST

START_TEST(loihi_negative_rounds_toward_zero)
{
    /* loihi(410, 205, 0, 0, 100, [-37, 0, 0]): -2368 * 3685 = -8726080, |.| >> 12 = 2130
     * (floor would give -2131); -2368 * 3891 = -9213888 -> -2249 (floor: -2250) */
    static const loihi_step t[] = {
        {-37, -2368, -2368, 0},
        {0, -2130, -4379, 0},
        {0, -1916, -6075, 0},
    };
    myl_loihi_param p = {.du = 410, .dv = 205, .vth = 100};
    loihi_trace(p, t, 3);
    ck_assert_int_eq(myl_loihi_decay(-2368, 3685), -2130);
    ck_assert_int_eq(myl_loihi_decay(2368, 3685), 2130);
    ck_assert_int_eq(myl_loihi_decay(-1, 4095), 0);
}
END_TEST

START_TEST(loihi_u_wraps_24_bit)
{
    /* loihi(0, 4095, 0, 0, 131071, [131071, 131071]): 8386496 + 8388544 = 16775040, which
     * wraps to 16775040 - 2^24 = -2176. The first tick also has v == vth << 6 (no spike). */
    static const loihi_step t[] = {
        {131071, 8388544, 8388544, 0},
        {131071, -2176, -129, 0},
    };
    myl_loihi_param p = {.du = 0, .dv = 4095, .vth = 131071};
    loihi_trace(p, t, 2);

    /* wrapping is modular for any input: (2^40 + 5) << 6 is 320 mod 2^24 */
    myl_loihi_param q = {.du = 4095, .dv = 4095, .vth = 1000};
    myl_loihi_state s = {0, 0, 0};
    myl_loihi_update(&q, &s, ((int64_t)1 << 40) + 5);
    ck_assert_int_eq(s.u, 320);
    ck_assert_int_eq(s.v, 320);

    /* two's complement: a pre-wrap value of exactly 2^23 becomes -2^23. (Lava's single
     * conditional subtraction in subthr_dynamics keeps +2^23, one value outside 24 bits;
     * nengo-loihi's overflow_signed gives -2^23, as the register does.) */
    myl_loihi_param w = {.du = 4095, .dv = 0, .vth = 131071};
    s = (myl_loihi_state){0, 0, 0};
    myl_loihi_update(&w, &s, 131072); /* 131072 * 64 = 2^23 */
    ck_assert_int_eq(s.u, -8388608);
    ck_assert_int_eq(s.v, -8388607); /* clipped */
}
END_TEST

START_TEST(loihi_v_clips)
{
    /* loihi(4095, 0, 0, 0, 131071, [-131072, -131072, 131071]) */
    static const loihi_step t[] = {
        {-131072, -8388608, -8388607, 0},
        {-131072, -8388608, -8388607, 0},
        {131071, 8388544, -63, 0},
    };
    myl_loihi_param p = {.du = 4095, .dv = 0, .vth = 131071};
    loihi_trace(p, t, 3);

    /* positive side: 8388544 + 8388544 = 16777088 clips to 2^23 - 1. Every clipped v is above
     * the largest threshold (131071 << 6 = 8388544), so it is seen here with vth one past the
     * chip's 17 bits, and through the spike it causes with the largest real threshold. */
    myl_loihi_param q = {.du = 4095, .dv = 0, .vth = 131072};
    myl_loihi_state s = {0, 8388544, 0};
    ck_assert_int_eq(myl_loihi_update(&q, &s, 131071), 0);
    ck_assert_int_eq(s.v, 8388607);
    s = (myl_loihi_state){0, 8388544, 0};
    ck_assert_int_eq(myl_loihi_update(&p, &s, 131071), 1);
    ck_assert_int_eq(s.v, 0);
}
END_TEST

START_TEST(loihi_threshold_equality)
{
    /* loihi(4095, 0, 0, 0, 1, [1, 0, 1]): v == 64 == vth << 6 does not spike; 128 does */
    static const loihi_step t[] = {{1, 64, 64, 0}, {0, 0, 64, 0}, {1, 64, 0, 1}};
    myl_loihi_param p = {.du = 4095, .dv = 0, .vth = 1};
    loihi_trace(p, t, 3);
}
END_TEST

START_TEST(loihi_bias_exponent)
{
    /* loihi(4095, 0, 3, 5, 3, [0, 0, 0, 0]): bias 3 << 5 = 96; 192 == 3 << 6 is no spike */
    static const loihi_step t[] = {{0, 0, 96, 0}, {0, 0, 192, 0}, {0, 0, 0, 1}, {0, 0, 96, 0}};
    myl_loihi_param p = {.du = 4095, .dv = 0, .bias_mant = 3, .bias_exp = 5, .vth = 3};
    loihi_trace(p, t, 4);
    /* loihi(4095, 410, -3, 2, 3, [0, 0, 0, 0]): -12 per tick, decaying toward zero */
    static const loihi_step n[] = {{0, 0, -12, 0}, {0, 0, -22, 0}, {0, 0, -31, 0}, {0, 0, -39, 0}};
    myl_loihi_param q = {.du = 4095, .dv = 410, .bias_mant = -3, .bias_exp = 2, .vth = 3};
    loihi_trace(q, n, 4);
}
END_TEST

START_TEST(loihi_refractory)
{
    /* loihi(4095, 0, 0, 0, 10, [11, 5, 5, 5, 7, 0], refr=2): held for 2 ticks at v = 0 while u
     * integrates, then integrates from 0 again */
    static const loihi_step t[] = {
        {11, 704, 0, 1},  {5, 320, 0, 0}, {5, 320, 0, 0},
        {5, 320, 320, 0}, {7, 448, 0, 1}, {0, 0, 0, 0},
    };
    myl_loihi_param p = {.du = 4095, .dv = 0, .vth = 10, .refr = 2};
    loihi_trace(p, t, 6);
    /* refr = 0 is Lava: no hold */
    myl_loihi_param q = p;
    q.refr = 0;
    myl_loihi_state s = {0, 0, 0};
    ck_assert_int_eq(myl_loihi_update(&q, &s, 11), 1);
    myl_loihi_update(&q, &s, 5);
    ck_assert_int_eq(s.v, 320);
}
END_TEST

START_TEST(loihi_current_offset_is_lava)
{
    /* Pins myelin's variant: PyLifModelBitAcc's ds_offset = 1, so du = 0 still decays u by
     * 4095/4096 per tick: loihi(0, 0, 0, 0, 131071, [64, 0, 0]). lava-dl's training model
     * (decay_int = 4096 - decay, no offset) would keep u at 4096. */
    static const loihi_step t[] = {{64, 4096, 4096, 0}, {0, 4095, 8191, 0}, {0, 4094, 12285, 0}};
    myl_loihi_param p = {.du = 0, .dv = 0, .vth = 131071};
    loihi_trace(p, t, 3);
    /* and du = 4095 leaves no current at all: a one-tick (delta) synapse */
    myl_loihi_param d = {.du = 4095, .dv = 0, .vth = 131071};
    myl_loihi_state s = {1000, 0, 0};
    myl_loihi_update(&d, &s, 0);
    ck_assert_int_eq(s.u, 0);
}
END_TEST

START_TEST(loihi_weight_truncation)
{
    /* Lava weightutils: mixed mode, 8 bits -> k = 1, arithmetic shift: -3 -> -4, 255 -> 254 */
    ck_assert_int_eq(myl_loihi_weight_trunc(-3, 8, MYL_LOIHI_MIXED), -4);
    ck_assert_int_eq(myl_loihi_weight_trunc(3, 8, MYL_LOIHI_MIXED), 2);
    ck_assert_int_eq(myl_loihi_weight_trunc(255, 8, MYL_LOIHI_MIXED), 254);
    ck_assert_int_eq(myl_loihi_weight_trunc(-300, 8, MYL_LOIHI_MIXED), -256);
    /* 6 bits mixed: k = 3: -9 -> -16, 15 -> 8 */
    ck_assert_int_eq(myl_loihi_weight_trunc(-9, 6, MYL_LOIHI_MIXED), -16);
    ck_assert_int_eq(myl_loihi_weight_trunc(15, 6, MYL_LOIHI_MIXED), 8);
    /* excitatory 4 bits: k = 4: 255 -> 240, -5 clipped to 0 */
    ck_assert_int_eq(myl_loihi_weight_trunc(255, 4, MYL_LOIHI_EXCITATORY), 240);
    ck_assert_int_eq(myl_loihi_weight_trunc(-5, 4, MYL_LOIHI_EXCITATORY), 0);
    /* inhibitory truncates the magnitude: -9 with k = 3 -> -8 (toward zero) */
    ck_assert_int_eq(myl_loihi_weight_trunc(-9, 5, MYL_LOIHI_INHIBITORY), -8);
    ck_assert_int_eq(myl_loihi_weight_trunc(-300, 8, MYL_LOIHI_INHIBITORY), -255);
    /* a synapse's contribution to a_in */
    ck_assert_int_eq(myl_loihi_syn_input(-128, 3), -1024);
    ck_assert_int_eq(myl_loihi_syn_input(-3, -1), -2);
    ck_assert_int_eq(myl_loihi_syn_input(3, -1), 1);
}
END_TEST

/* A plain re-implementation, with branches and division, for the differential test. */
static int loihi_plain(const myl_loihi_param *p, myl_loihi_state *s, int64_t a)
{
    int64_t pu = (int64_t)s->u * (4095 - p->du);
    int64_t u = pu / 4096 + a * 64; /* C division truncates toward zero */
    u %= 16777216;
    if (u >= 8388608)
        u -= 16777216;
    if (u < -8388608)
        u += 16777216;
    int64_t pv = (int64_t)s->v * (4096 - p->dv);
    int64_t v = pv / 4096 + u + (int64_t)p->bias_mant * (1 << p->bias_exp);
    if (v > 8388607)
        v = 8388607;
    if (v < -8388607)
        v = -8388607;
    int sp = 0;
    if (s->ref > 0) {
        v = 0;
        s->ref--;
    } else if (v > (int64_t)p->vth * 64) {
        sp = 1;
        v = 0;
        s->ref = p->refr;
    }
    s->u = (int32_t)u;
    s->v = (int32_t)v;
    return sp;
}

START_TEST(loihi_differential)
{
    uint64_t seed = 1;
    for (int trial = 0; trial < 2000; trial++) {
        myl_loihi_param p = {
            .du = (int32_t)rng_range(&seed, 0, 4095),
            .dv = (int32_t)rng_range(&seed, 0, 4095),
            .bias_mant = (int32_t)rng_range(&seed, -4096, 4095),
            .bias_exp = (int32_t)rng_range(&seed, 0, 7),
            .vth = (int32_t)rng_range(&seed, 0, 131071),
            .refr = (int32_t)rng_range(&seed, 0, 3),
        };
        myl_loihi_state a = {(int32_t)rng_range(&seed, -8388608, 8388607),
                             (int32_t)rng_range(&seed, -8388607, 8388607), 0};
        myl_loihi_state b = a;
        for (int t = 0; t < 50; t++) {
            int64_t x = rng_range(&seed, -200000, 200000);
            int sa = myl_loihi_update(&p, &a, x);
            int sb = loihi_plain(&p, &b, x);
            if (sa != sb || a.u != b.u || a.v != b.v || a.ref != b.ref)
                ck_abort_msg("trial %d tick %d: (%d %d %d %d) vs plain (%d %d %d %d)", trial, t,
                             a.u, a.v, a.ref, sa, b.u, b.v, b.ref, sb);
        }
    }
}
END_TEST

/* ==== TrueNorth ==========================================================================
 * Reference (Cassidy et al. 2013, eqs. for integration, leak, threshold/fire/reset):
 *
 *   def tn(p, v, inp, rnd):
 *       rho = rnd & 0xFF; eta = (rnd >> 8) & p['M']
 *       v += inp
 *       om = sgn(v) if p['eps'] else 1
 *       lam = p['lam']
 *       lt = (sgn(lam) if abs(lam) >= rho else 0) if p['c'] else lam
 *       v += om * lt
 *       v = max(-2**19, min(2**19 - 1, v))
 *       th = p['a'] + eta
 *       nth = p['b'] if p['k'] else p['b'] + eta
 *       g = p['g']; R = p['R']
 *       if v >= th:   s = 1; v = [R, v - th, v][g]
 *       elif v < -nth: s = 0; v = -p['b'] if p['k'] else [-R, v + nth, v][g]
 *       else:          s = 0
 *       return max(-2**19, min(2**19 - 1, v)), s
 *   defaults: lam=0, eps=0, c=0, a=10, b=5, R=3, g=0, k=1, M=0
 */

typedef struct tn_step {
    int64_t in;
    uint32_t rnd;
    int32_t v, spike;
} tn_step;

static myl_truenorth_param tn_param(void)
{
    myl_truenorth_param p = {.alpha = 10, .beta = 5, .reset = 3, .neg_sat = 1};
    return p;
}

static void tn_trace(const myl_truenorth_param *p, int32_t v0, const tn_step *t, int n)
{
    myl_truenorth_state s = {v0};
    for (int i = 0; i < n; i++) {
        int sp = myl_truenorth_update(p, &s, t[i].in, t[i].rnd);
        if (s.v != t[i].v || sp != t[i].spike)
            ck_abort_msg("tick %d: v %d spike %d, expected v %d spike %d", i, s.v, sp, t[i].v,
                         t[i].spike);
    }
}

START_TEST(tn_reset_modes)
{
    myl_truenorth_param p = tn_param();
    /* run(P(g=0), 0, [12, 0]) -> [(3, 1), (3, 0)] */
    static const tn_step r0[] = {{12, 0, 3, 1}, {0, 0, 3, 0}};
    tn_trace(&p, 0, r0, 2);
    /* run(P(g=1), 0, [12, 0, 9]) -> [(2, 1), (2, 0), (1, 1)] */
    p.reset_mode = MYL_TN_RESET_LINEAR;
    static const tn_step r1[] = {{12, 0, 2, 1}, {0, 0, 2, 0}, {9, 0, 1, 1}};
    tn_trace(&p, 0, r1, 3);
    /* run(P(g=2), 0, [12, 0]) -> [(12, 1), (12, 1)]: no reset, fires every tick */
    p.reset_mode = MYL_TN_RESET_NONE;
    static const tn_step r2[] = {{12, 0, 12, 1}, {0, 0, 12, 1}};
    tn_trace(&p, 0, r2, 2);
}
END_TEST

START_TEST(tn_negative_threshold)
{
    myl_truenorth_param p = tn_param();
    /* kappa = 1: saturate at -beta. run(P(k=1, b=5), 0, [-8]) -> [(-5, 0)] */
    static const tn_step sat[] = {{-8, 0, -5, 0}};
    tn_trace(&p, 0, sat, 1);
    /* kappa = 0, gamma = 0: reset to -R. run(P(k=0, b=5, g=0), 0, [-9]) -> [(-3, 0)] */
    p.neg_sat = 0;
    static const tn_step r0[] = {{-9, 0, -3, 0}};
    tn_trace(&p, 0, r0, 1);
    /* gamma = 1: V + beta. run(P(k=0, b=5, g=1), 0, [-9]) -> [(-4, 0)] */
    p.reset_mode = MYL_TN_RESET_LINEAR;
    static const tn_step r1[] = {{-9, 0, -4, 0}};
    tn_trace(&p, 0, r1, 1);
    /* gamma = 2: stays. run(P(k=0, b=5, g=2), 0, [-9, 0]) -> [(-9, 0), (-9, 0)] */
    p.reset_mode = MYL_TN_RESET_NONE;
    static const tn_step r2[] = {{-9, 0, -9, 0}, {0, 0, -9, 0}};
    tn_trace(&p, 0, r2, 2);
    /* equality: V = -beta is not below -beta */
    p.reset_mode = MYL_TN_RESET_NORMAL;
    static const tn_step eq[] = {{-5, 0, -5, 0}};
    tn_trace(&p, 0, eq, 1);
}
END_TEST

START_TEST(tn_threshold_draw)
{
    myl_truenorth_param p = tn_param();
    p.reset_mode = MYL_TN_RESET_LINEAR;
    p.tmask = 7;
    /* run(P(g=1, M=7), 0, [12, 3], [5 << 8, 5 << 8]) -> [(12, 0), (0, 1)]: alpha + eta = 15 */
    static const tn_step t[] = {{12, 5u << 8, 12, 0}, {3, 5u << 8, 0, 1}};
    tn_trace(&p, 0, t, 2);
    /* the negative threshold with kappa = 0 moves by eta too; M masks the draw's high bits:
     * run(P(k=0, g=1, b=5, M=0xF), 0, [-12, -1], [(6 << 8) | 0xFF, 0]) -> [(-1, 0), (-2, 0)] */
    myl_truenorth_param q = tn_param();
    q.neg_sat = 0;
    q.reset_mode = MYL_TN_RESET_LINEAR;
    q.tmask = 0xF;
    static const tn_step n[] = {{-12, (6u << 8) | 0xFFu | 0xF000u, -1, 0}, {-1, 0, -2, 0}};
    tn_trace(&q, 0, n, 2);
}
END_TEST

START_TEST(tn_leak)
{
    myl_truenorth_param p = tn_param();
    p.leak = -2;
    /* run(P(lam=-2), 5, [0, 0, 0, 0]) -> 3, 1, -1, -3 */
    static const tn_step t[] = {{0, 0, 3, 0}, {0, 0, 1, 0}, {0, 0, -1, 0}, {0, 0, -3, 0}};
    tn_trace(&p, 5, t, 4);
    /* leak reversal pulls toward 0 from both sides, and rings around it as the equation says:
     * run(P(lam=-2, eps=1), 5, [0] * 5) -> 3, 1, -1, 1, -1 */
    p.leak_rev = 1;
    static const tn_step r[] = {
        {0, 0, 3, 0}, {0, 0, 1, 0}, {0, 0, -1, 0}, {0, 0, 1, 0}, {0, 0, -1, 0},
    };
    tn_trace(&p, 5, r, 5);
    /* the leak comes after synaptic integration: Omega = sgn of V after input */
    static const tn_step after[] = {{-10, 0, -3, 0}};
    tn_trace(&p, 5, after, 1); /* 5 - 10 = -5, then +2 */
}
END_TEST

START_TEST(tn_stochastic_leak)
{
    myl_truenorth_param p = tn_param();
    p.alpha = 100;
    p.leak = 3;
    p.leak_stoch = 1;
    /* run(P(lam=3, c=1, a=100), 0, [0, 0, 0], [3, 4, 0x1200]) -> 1, 1, 2: |lambda| >= rho */
    static const tn_step t[] = {{0, 3, 1, 0}, {0, 4, 1, 0}, {0, 0x1200, 2, 0}};
    tn_trace(&p, 0, t, 3);
    /* run(P(lam=-100, c=1, eps=1, a=100, b=1000), -50, [0, 0], [100, 101]) -> -49, -49 */
    myl_truenorth_param q = tn_param();
    q.alpha = 100;
    q.beta = 1000;
    q.leak = -100;
    q.leak_stoch = 1;
    q.leak_rev = 1;
    static const tn_step r[] = {{0, 100, -49, 0}, {0, 101, -49, 0}};
    tn_trace(&q, -50, r, 2);
}
END_TEST

START_TEST(tn_axon_types_and_saturation)
{
    myl_truenorth_param p = tn_param();
    p.w[0] = 4;
    p.w[1] = -3;
    p.w[2] = 7;
    p.w[3] = 1;
    const int32_t n[4] = {2, 0, 1, 3}; /* 2*4 + 0 + 7 + 3 = 18 */
    ck_assert_int_eq(myl_truenorth_syn_input(&p, n), 18);
    /* run(P(a=2**18 - 1, b=2**18 - 1), 2**19 - 10, [100]) -> [(3, 1)]: V saturates at
     * 2^19 - 1 = 524287 >= alpha, fires and resets to R */
    p.alpha = 262143;
    p.beta = 262143;
    static const tn_step t[] = {{100, 0, 3, 1}};
    tn_trace(&p, 524278, t, 1);
    /* and the negative side saturates at -2^19 (kappa = 0, gamma = 2 keeps it) */
    p.neg_sat = 0;
    p.reset_mode = MYL_TN_RESET_NONE;
    p.beta = 10;
    static const tn_step s[] = {{-1000000, 0, -524288, 0}};
    tn_trace(&p, 0, s, 1);
}
END_TEST

static int tn_plain(const myl_truenorth_param *p, myl_truenorth_state *s, int64_t in, uint32_t rnd)
{
    int64_t rho = rnd % 256, eta = (rnd / 256) & p->tmask;
    int64_t v = s->v + in;
    int64_t lam = p->leak, l;
    if (p->leak_stoch)
        l = llabs(lam) >= rho ? (lam > 0) - (lam < 0) : 0;
    else
        l = lam;
    if (p->leak_rev)
        l *= (v > 0) - (v < 0);
    v += l;
    if (v > 524287)
        v = 524287;
    if (v < -524288)
        v = -524288;
    int sp = 0;
    if (v >= p->alpha + eta) {
        sp = 1;
        if (p->reset_mode == 0)
            v = p->reset;
        else if (p->reset_mode == 1)
            v -= p->alpha + eta;
    } else if (p->neg_sat && v < -p->beta) {
        v = -p->beta;
    } else if (!p->neg_sat && v < -(p->beta + eta)) {
        if (p->reset_mode == 0)
            v = -p->reset;
        else if (p->reset_mode == 1)
            v += p->beta + eta;
    }
    if (v > 524287)
        v = 524287;
    if (v < -524288)
        v = -524288;
    s->v = (int32_t)v;
    return sp;
}

START_TEST(tn_differential)
{
    uint64_t seed = 2;
    for (int trial = 0; trial < 2000; trial++) {
        myl_truenorth_param p = {
            .leak = (int32_t)rng_range(&seed, -255, 255),
            .leak_rev = (int32_t)rng_range(&seed, 0, 1),
            .leak_stoch = (int32_t)rng_range(&seed, 0, 1),
            .alpha = (int32_t)rng_range(&seed, 0, 2000),
            .beta = (int32_t)rng_range(&seed, 0, 2000),
            .reset = (int32_t)rng_range(&seed, -500, 500),
            .reset_mode = (int32_t)rng_range(&seed, 0, 2),
            .neg_sat = (int32_t)rng_range(&seed, 0, 1),
            .tmask = (uint32_t)rng_range(&seed, 0, 1023),
        };
        myl_truenorth_state a = {(int32_t)rng_range(&seed, -3000, 3000)}, b = a;
        for (int t = 0; t < 50; t++) {
            int64_t x = rng_range(&seed, -3000, 3000);
            uint32_t r = (uint32_t)rng_next(&seed);
            int sa = myl_truenorth_update(&p, &a, x, r);
            int sb = tn_plain(&p, &b, x, r);
            if (sa != sb || a.v != b.v)
                ck_abort_msg("trial %d tick %d: v %d spike %d vs plain v %d spike %d", trial, t,
                             a.v, sa, b.v, sb);
        }
    }
}
END_TEST

/* ==== SpiNNaker ==========================================================================
 * Reference (sPyNNaker IF_curr_exp, accum multiply as GCC's ARM-mode mulsa3):
 *
 *   def w32(x): return (x + 2**31) % 2**32 - 2**31
 *   def mul(a, b): return w32((a * b) >> 15)        # smull, keep bits 15..46: floor
 *   def dec(x, d): return (x * d) >> 32             # decay_s1615
 *   def spinn(p, st, ins):
 *       v, ie, ii, ref = st; o = []
 *       for (ne, ni) in ins:
 *           xe = w32(min(max(ne, 0), 0xFFFF) << p['se']); xi = ... p['si']
 *           ie = w32(ie + dec(xe, p['ie'])); ii = w32(ii + dec(xi, p['ii']))
 *           if ref <= 0:
 *               inp = w32(w32(ie - ii) + p['ioff'])
 *               al = w32(mul(inp, p['r']) + p['vrest'])
 *               v = w32(al - mul(p['etc'], w32(al - v)))
 *           else: ref -= 1
 *           s = v >= p['vth']
 *           if s: v = p['vreset']; ref = p['tref']
 *           ie = dec(ie, p['de']); ii = dec(ii, p['di'])
 *           o.append((v, ie, ii, ref, int(s)))
 *       return o
 *
 *   de = round(exp(-0.2) * 2**32); di = round(exp(-0.1) * 2**32)      # tau 5 ms, 10 ms, dt 1
 *   ie = ((5 * 32768) * (2**32 - 1 - de)) >> 15; ii = ((10 * 32768) * (2**32 - 1 - di)) >> 15
 *   -> 3516421809 3886247119 3892727430 4087201760; exp_TC = round(exp(-0.05) * 32768) = 31170
 *   sp = dict(vrest=-65*32768, vreset=-70*32768, vth=-50*32768, r=20*32768, etc=31170,
 *             ioff=0, tref=2, de=de, di=di, ie=ie, ii=ii, se=10, si=10)
 */

static myl_spinnaker_param spinn_param(void)
{
    myl_spinnaker_param p = {
        .v_rest = -65 * 32768,
        .v_reset = -70 * 32768,
        .v_thresh = -50 * 32768,
        .r = 20 * 32768,
        .exp_tc = 31170,
        .i_offset = 0,
        .t_refract = 2,
        .decay_e = 3516421809u,
        .init_e = 3892727430u,
        .decay_i = 3886247119u,
        .init_i = 4087201760u,
        .shift_e = 10,
        .shift_i = 10,
    };
    return p;
}

typedef struct spinn_step {
    int64_t ne, ni;
    int32_t v, ie, ii, ref, spike;
} spinn_step;

static void spinn_trace(const myl_spinnaker_param *p, myl_spinnaker_state s, const spinn_step *t,
                        int n)
{
    for (int i = 0; i < n; i++) {
        int sp = myl_spinnaker_update(p, &s, t[i].ne, t[i].ni);
        if (s.v != t[i].v || s.i_e != t[i].ie || s.i_i != t[i].ii || s.ref != t[i].ref ||
            sp != t[i].spike)
            ck_abort_msg("tick %d: (%d %d %d %d %d), expected (%d %d %d %d %d)", i, s.v, s.i_e,
                         s.i_i, s.ref, sp, t[i].v, t[i].ie, t[i].ii, t[i].ref, t[i].spike);
    }
}

START_TEST(spinn_multiply_truncates)
{
    /* 3 LSB * 0.5 = 1.5 LSB: ARM-mode smull keeps floor = 1 (libgcc's __mulsa3 would round
     * half up: (3*16384 + 16384) >> 15 = 2); -1.5 LSB floors to -2 */
    ck_assert_int_eq(myl_s1615_mul(3, 16384), 1);
    ck_assert_int_eq(myl_s1615_mul(-3, 16384), -2);
    ck_assert_int_eq(myl_s1615_mul(-65 * 32768, 20 * 32768), -1300 * 32768);
    /* overflow wraps: 256.0 * 256.0 = 65536.0 is 2^31 LSBs -> INT32_MIN */
    ck_assert_int_eq(myl_s1615_mul(256 * 32768, 256 * 32768), INT32_MIN);
    /* decay_s1615 floors too: -5 * 0.5 = -2.5 -> -3 */
    ck_assert_int_eq(myl_s1615_decay(-5, 0x80000000u), -3);
    ck_assert_int_eq(myl_s1615_decay(5, 0x80000000u), 2);
    /* ring buffer: 70000 saturates to 0xFFFF; << 16 is 0xFFFF0000 = -65536 as int32 */
    ck_assert_int_eq(myl_spinnaker_ring_input(70000, 16), -65536);
    ck_assert_int_eq(myl_spinnaker_ring_input(70000, 3), 524280);
    ck_assert_int_eq(myl_spinnaker_ring_input(-4, 3), 0);
}
END_TEST

START_TEST(spinn_exp_synapse_trace)
{
    /* spinn(sp, (-65*32768, 0, 0, 0), [(100, 0), (0, 0), (0, 37), (0, 0), (0, 0)]) */
    static const spinn_step t[] = {
        {100, 0, -2039399, 75985, 0, 0, 0},    {0, 0, -1969702, 62211, 0, 0, 0},
        {0, 37, -1952004, 50934, 32623, 0, 0}, {0, 0, -1942820, 41701, 29518, 0, 0},
        {0, 0, -1940061, 34141, 26708, 0, 0},
    };
    myl_spinnaker_param p = spinn_param();
    myl_spinnaker_state s = {-65 * 32768, 0, 0, 0};
    spinn_trace(&p, s, t, 5);
}
END_TEST

START_TEST(spinn_refractory)
{
    /* sp2 = dict(sp, ioff=round(0.8 * 32768)): V rises toward -49 mV, first spike at tick 55,
     * held at V_reset for 2 ticks, integrating again at tick 58:
     * 54 (-1639152, ref 0), 55 (-2293760, ref 2, spike), 56 (-2293760, ref 1),
     * 57 (-2293760, ref 0), 58 (-2260202, ref 0) */
    myl_spinnaker_param p = spinn_param();
    p.i_offset = 26214;
    myl_spinnaker_state s = {-65 * 32768, 0, 0, 0};
    for (int t = 0; t < 54; t++)
        if (myl_spinnaker_update(&p, &s, 0, 0))
            ck_abort_msg("early spike at %d", t);
    static const spinn_step t[] = {
        {0, 0, -1639152, 0, 0, 0, 0}, {0, 0, -2293760, 0, 0, 2, 1}, {0, 0, -2293760, 0, 0, 1, 0},
        {0, 0, -2293760, 0, 0, 0, 0}, {0, 0, -2260202, 0, 0, 0, 0},
    };
    spinn_trace(&p, s, t, 5);
    /* sPyNNaker tests the threshold on the held V too: with V_reset >= V_thresh the neuron
     * fires every tick, refractory or not. spinn(dict(sp, vreset=-40*32768), (-49*32768, ...),
     * [(0, 0)] * 4) -> (-1310720, ref 2, spike) four times */
    myl_spinnaker_param q = spinn_param();
    q.v_reset = -40 * 32768;
    myl_spinnaker_state z = {-49 * 32768, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(myl_spinnaker_update(&q, &z, 0, 0), 1);
        ck_assert_int_eq(z.v, -1310720);
        ck_assert_int_eq(z.ref, 2);
    }
}
END_TEST

START_TEST(spinn_delta_synapse)
{
    /* curr_delta: the input is added as it is and cleared after the tick. With R = 1, exp_TC
     * = 0.5, V_rest = 0: input 100 << 10 = 102400 -> alpha = 102400, V = 102400 - 51200 */
    myl_spinnaker_param p = {.r = 32768,
                             .exp_tc = 16384,
                             .v_thresh = INT32_MAX,
                             .delta = 1,
                             .shift_e = 10,
                             .shift_i = 10};
    myl_spinnaker_state s = {0, 0, 0, 0};
    myl_spinnaker_update(&p, &s, 100, 0);
    ck_assert_int_eq(s.v, 51200);
    ck_assert_int_eq(s.i_e, 0);
    myl_spinnaker_update(&p, &s, 0, 0); /* V = 0 - 0.5 * (0 - 51200) = 25600 */
    ck_assert_int_eq(s.v, 25600);
    myl_spinnaker_update(&p, &s, 0, 50); /* alpha = -51200: V = -51200 + 0.5*(25600+51200) */
    ck_assert_int_eq(s.v, -12800);
}
END_TEST

static int32_t plain_floor_div(int64_t x, int64_t d)
{
    int64_t q = x / d;
    if ((x % d != 0) && (x < 0))
        q--;
    return (int32_t)(uint32_t)(uint64_t)q;
}

START_TEST(spinn_differential)
{
    /* the multiply and decay against floor division, on random 32-bit operands */
    uint64_t seed = 3;
    for (int i = 0; i < 100000; i++) {
        int32_t a = (int32_t)(uint32_t)rng_next(&seed), b = (int32_t)(uint32_t)rng_next(&seed);
        uint32_t d = (uint32_t)rng_next(&seed);
        if (myl_s1615_mul(a, b) != plain_floor_div((int64_t)a * b, 32768))
            ck_abort_msg("mul %d %d", a, b);
        if (myl_s1615_decay(a, d) != plain_floor_div((int64_t)a * (int64_t)d, 4294967296ll))
            ck_abort_msg("decay %d %u", a, d);
    }
}
END_TEST

/* ==== ODIN ===============================================================================
 * Reference (lif_neuron_state.v):
 *
 *   def odin_ev(v, w, thr):
 *       v = min(v + w, 255) if w >= 0 else max(v + w, 0)
 *       return (0, 1) if v >= thr else (v, 0)
 *   def odin_tref(v, leak, thr):
 *       v = v - leak if v >= leak else 0
 *       return (0, 1) if v >= thr else (v, 0)
 */

START_TEST(odin_saturation)
{
    myl_odin_param p = {.thr = 255};
    myl_odin_state s = {252};
    /* odin_ev(252, 7, 255) -> (0, 1): saturates at 255, which is >= any 8-bit threshold */
    ck_assert_int_eq(myl_odin_event(&p, &s, 7), 1);
    ck_assert_int_eq(s.v, 0);
    /* odin_ev(247, 7, 255) -> (254, 0) */
    s.v = 247;
    ck_assert_int_eq(myl_odin_event(&p, &s, 7), 0);
    ck_assert_int_eq(s.v, 254);
    /* odin_ev(3, -7, 100) -> (0, 0): saturates at 0 */
    p.thr = 100;
    s.v = 3;
    ck_assert_int_eq(myl_odin_event(&p, &s, -7), 0);
    ck_assert_int_eq(s.v, 0);
    /* odin_ev(99, 1, 100) -> (0, 1): v == thr fires */
    s.v = 99;
    ck_assert_int_eq(myl_odin_event(&p, &s, 1), 1);
    ck_assert_int_eq(s.v, 0);
}
END_TEST

START_TEST(odin_leak_timing)
{
    /* time-reference events every 4 ticks from tick 0, leak 2: v = 10 ->
     * [8, 8, 8, 8, 6, 6, 6, 6, 4] at ticks 0..8 */
    static const int32_t want[] = {8, 8, 8, 8, 6, 6, 6, 6, 4};
    myl_odin_param p = {.thr = 100, .leak = 2, .leak_en = 1, .leak_period = 4, .leak_phase = 0};
    myl_odin_state s = {10};
    for (uint64_t t = 0; t < 9; t++) {
        myl_odin_update(&p, &s, 0, t);
        if (s.v != want[t])
            ck_abort_msg("tick %llu: v %d, expected %d", (unsigned long long)t, s.v, want[t]);
    }
    /* the leak saturates at 0, and leak_en = 0 or period 0 disables it */
    s.v = 1;
    ck_assert_int_eq(myl_odin_tref(&p, &s), 0);
    ck_assert_int_eq(s.v, 0);
    p.leak_en = 0;
    s.v = 9;
    myl_odin_tref(&p, &s);
    ck_assert_int_eq(s.v, 9);
    p.leak_en = 1;
    p.leak_period = 0;
    myl_odin_update(&p, &s, 0, 0);
    ck_assert_int_eq(s.v, 9);
    /* the time reference comes before the tick's input: 9 - 2 + 3 = 10 */
    p.leak_period = 1;
    myl_odin_update(&p, &s, 3, 5);
    ck_assert_int_eq(s.v, 10);
}
END_TEST

START_TEST(odin_event_order)
{
    /* Events are applied one by one: seq([7, 7, 1], 10) -> v 1, one spike; seq([1, 7, 7], 10)
     * -> v 0, one spike. A tick's summed input (15) gives v 0 and one spike: summing is exact
     * only in the cases myl_odin_update's comment lists. */
    myl_odin_param p = {.thr = 10};
    myl_odin_state s = {0};
    int n = myl_odin_event(&p, &s, 7) + myl_odin_event(&p, &s, 7) + myl_odin_event(&p, &s, 1);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(s.v, 1);
    s.v = 0;
    n = myl_odin_event(&p, &s, 1) + myl_odin_event(&p, &s, 7) + myl_odin_event(&p, &s, 7);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(s.v, 0);
    /* all-inhibitory ticks sum exactly: 200 - 7 - 7 - 5 = 181 either way */
    s.v = 200;
    p.thr = 255;
    myl_odin_update(&p, &s, -19, 0);
    ck_assert_int_eq(s.v, 181);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fixed");
    TCase *tc = tcase_create("loihi");
    tcase_add_test(tc, loihi_decay_and_input);
    tcase_add_test(tc, loihi_negative_rounds_toward_zero);
    tcase_add_test(tc, loihi_u_wraps_24_bit);
    tcase_add_test(tc, loihi_v_clips);
    tcase_add_test(tc, loihi_threshold_equality);
    tcase_add_test(tc, loihi_bias_exponent);
    tcase_add_test(tc, loihi_refractory);
    tcase_add_test(tc, loihi_current_offset_is_lava);
    tcase_add_test(tc, loihi_weight_truncation);
    tcase_add_test(tc, loihi_differential);
    suite_add_tcase(s, tc);
    tc = tcase_create("truenorth");
    tcase_add_test(tc, tn_reset_modes);
    tcase_add_test(tc, tn_negative_threshold);
    tcase_add_test(tc, tn_threshold_draw);
    tcase_add_test(tc, tn_leak);
    tcase_add_test(tc, tn_stochastic_leak);
    tcase_add_test(tc, tn_axon_types_and_saturation);
    tcase_add_test(tc, tn_differential);
    suite_add_tcase(s, tc);
    tc = tcase_create("spinnaker");
    tcase_add_test(tc, spinn_multiply_truncates);
    tcase_add_test(tc, spinn_exp_synapse_trace);
    tcase_add_test(tc, spinn_refractory);
    tcase_add_test(tc, spinn_delta_synapse);
    tcase_add_test(tc, spinn_differential);
    suite_add_tcase(s, tc);
    tc = tcase_create("odin");
    tcase_add_test(tc, odin_saturation);
    tcase_add_test(tc, odin_leak_timing);
    tcase_add_test(tc, odin_event_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
