/* Tests for the random number generator (include/myelin/rng.h).
 *
 * Three concerns: the Philox4x32-10 block function reproduces the published known answers; the
 * keyed draws and the streams are the pure, reproducible functions the engines rely on; and the
 * derived distributions (myl_rng_below, uniform, normal) have the right shape. The statistical
 * checks use fixed seeds, so they are deterministic, but their tolerances are set as if they were
 * not: each bound is five standard deviations (or the chi-square quantile with the same tail,
 * about 3e-7), so a correct generator would fail one of them with any seed only by a fluke of
 * that size, and a real defect (a wrong constant, modulo bias, a broken transform) is far outside.
 */
#include "testlib.h"

#include "myelin/rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ck_assert records every check that passes (a write to Check's pipe), which is far too slow in
 * the inner loops here; these call into Check only when the condition fails. */
#define REQUIRE(expr) ((expr) ? (void)0 : ck_abort_msg("'%s' failed", #expr))
#define REQUIRE_MSG(expr, ...) ((expr) ? (void)0 : ck_abort_msg(__VA_ARGS__))

/* Tail probability of every statistical bound below, as a normal deviate. */
#define Z_TOL 5.0

/* Upper bound for a chi-square statistic with k degrees of freedom at the Z_TOL tail, by the
 * Wilson-Hilferty approximation (slightly conservative for small k). */
static double chi2_bound(int k)
{
    double h = 2.0 / (9.0 * k);
    double c = 1.0 - h + Z_TOL * sqrt(h);
    return k * c * c * c;
}

/* Chi-square of observed counts against equal expected counts. */
static double chi2_equal(const uint64_t *count, int nbins, uint64_t total)
{
    double e = (double)total / nbins, x = 0;
    for (int i = 0; i < nbins; i++) {
        double d = (double)count[i] - e;
        x += d * d / e;
    }
    return x;
}

/* --- Known answers --------------------------------------------------------------------------
 *
 * The first three vectors are the philox4x32, 10-round lines of examples/kat_vectors in the
 * Random123 distribution (D. E. Shaw Research), the reference implementation of Salmon et al.;
 * columns are CTR[4], KEY[2], EXPECTED[4]. The others are 10-round philox4x32 lines of the longer
 * vector file generated with Random123's gentests.py (girving/random123-manual,
 * examples/kat_vectors), which exercise single set bits in the counter and the key. */
static const uint32_t kat[][10] = {
    {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, /* */
     0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, /* */
     0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, /* */
     0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    {0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0x00000000, /* */
     0xac08141b, 0xdfc5ccbe, 0x79c07a47, 0xa7f66093},
    {0x00000000, 0x00000000, 0x00000000, 0x00000001, 0x00000000, 0x00000001, /* */
     0x96b27e8c, 0x28826d0f, 0x66d958ef, 0x081509dc},
    {0x00000000, 0x00000000, 0xffffffff, 0x00000000, 0x00000000, 0xffffffff, /* */
     0x07678411, 0x9e524307, 0xba634e67, 0x94ee8cb7},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0x00000000, 0xffffffff, /* */
     0x08f7720c, 0x845ee9e0, 0x502ccd3d, 0xa9a00e27},
    {0x00000000, 0x00000000, 0x00000000, 0x80000000, 0x00000000, 0x80000000, /* */
     0xf7a0b371, 0xe51dc93d, 0x56ce135d, 0x1d4b5580},
};

START_TEST(philox_known_answers)
{
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        myl_philox4x32(&kat[i][0], &kat[i][4], out);
        for (int w = 0; w < 4; w++)
            ck_assert_msg(out[w] == kat[i][6 + w], "vector %zu word %d: got %08x, want %08x", i, w,
                          out[w], kat[i][6 + w]);
    }
}
END_TEST

START_TEST(philox_inputs_untouched)
{
    /* The block function reads its inputs and writes only out. */
    const uint32_t ctr0[4] = {1, 2, 3, 4}, key0[2] = {5, 6};
    uint32_t ctr[4], key[2], out[4];
    memcpy(ctr, ctr0, sizeof ctr);
    memcpy(key, key0, sizeof key);
    myl_philox4x32(ctr, key, out);
    ck_assert(memcmp(ctr, ctr0, sizeof ctr) == 0);
    ck_assert(memcmp(key, key0, sizeof key) == 0);
}
END_TEST

/* --- Keyed draws ---------------------------------------------------------------------------- */

static int same4(const uint32_t *x, const uint32_t *y)
{
    return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

START_TEST(draw_is_pure)
{
    /* Same inputs, same outputs, whatever was drawn in between and in whatever order. */
    enum { N = 1000 };
    static uint32_t first[N][4];
    for (uint32_t i = 0; i < N; i++)
        myl_rng_draw(42, MYL_RNG_POISSON, i % 7, i, (uint64_t)i * 1000003u, first[i]);
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = N - 1 - k, out[4];
        myl_rng_draw(42, MYL_RNG_POISSON, i % 7, i, (uint64_t)i * 1000003u, out);
        REQUIRE(same4(out, first[i]));
    }
}
END_TEST

START_TEST(draw_is_philox_of_documented_counter)
{
    /* key = seed, counter = (a, b low, b high, purpose << 24 | id), as rng.c documents. */
    uint64_t seed = 0x0123456789abcdefu, b = 0xfedcba9876543210u;
    uint32_t out[4], want[4];
    myl_rng_draw(seed, MYL_RNG_INIT, 0x123456, 77, b, out);
    const uint32_t key[2] = {0x89abcdef, 0x01234567};
    const uint32_t ctr[4] = {77, 0x76543210, 0xfedcba98, (MYL_RNG_INIT << 24) | 0x123456};
    myl_philox4x32(ctr, key, want);
    ck_assert(same4(out, want));
}
END_TEST

START_TEST(draw_inputs_all_matter)
{
    /* Changing any one input (including the high words of seed and b) changes every word. */
    const uint64_t seed = 7, b = 99;
    const uint32_t purpose = MYL_RNG_CONN, id = 5, a = 3;
    uint32_t base[4], out[4];
    myl_rng_draw(seed, purpose, id, a, b, base);

    struct {
        uint64_t seed;
        uint32_t purpose, id, a;
        uint64_t b;
    } v[] = {
        {seed + 1, purpose, id, a, b},
        {seed | (1ull << 32), purpose, id, a, b},
        {seed, MYL_RNG_INIT, id, a, b},
        {seed, MYL_RNG_TEST, id, a, b},
        {seed, purpose, id + 1, a, b},
        {seed, purpose, 0xFFFFFF, a, b},
        {seed, purpose, id, a + 1, b},
        {seed, purpose, id, a, b + 1},
        {seed, purpose, id, a, b | (1ull << 32)},
        {seed, purpose, id, a, b | (1ull << 63)},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        myl_rng_draw(v[i].seed, v[i].purpose, v[i].id, v[i].a, v[i].b, out);
        for (int w = 0; w < 4; w++)
            ck_assert_msg(out[w] != base[w], "variant %zu word %d unchanged", i, w);
    }
}
END_TEST

static int cmp_u64(const void *p, const void *q)
{
    uint64_t x = *(const uint64_t *)p, y = *(const uint64_t *)q;
    return (x > y) - (x < y);
}

START_TEST(draw_no_collisions)
{
    /* 2^16 draws over a grid of (id, a, b): all first words distinct would be too strong (the
     * birthday bound gives ~0.5 expected collisions), so check the 64-bit pair (w0, w1). */
    enum { N = 1 << 16 };
    uint64_t *x = malloc(N * sizeof *x);
    ck_assert_ptr_nonnull(x);
    size_t k = 0;
    for (uint32_t id = 0; id < 16; id++)
        for (uint32_t a = 0; a < 64; a++)
            for (uint64_t b = 0; b < 64; b++) {
                uint32_t out[4];
                myl_rng_draw(1, MYL_RNG_POISSON, id, a, b, out);
                x[k++] = ((uint64_t)out[0] << 32) | out[1];
            }
    ck_assert_uint_eq(k, N);
    qsort(x, N, sizeof *x, cmp_u64);
    for (size_t i = 1; i < N; i++)
        REQUIRE(x[i] != x[i - 1]);
    free(x);
}
END_TEST

/* --- Streams -------------------------------------------------------------------------------- */

START_TEST(stream_deterministic)
{
    myl_rng_stream s1, s2;
    myl_rng_stream_init(&s1, 2024, MYL_RNG_CONN, 17, 0);
    myl_rng_stream_init(&s2, 2024, MYL_RNG_CONN, 17, 0);
    /* Mixed calls in the same order give the same values, bit for bit. */
    for (int i = 0; i < 10000; i++) {
        switch (i % 5) {
        case 0:
            REQUIRE(myl_rng_u32(&s1) == myl_rng_u32(&s2));
            break;
        case 1:
            REQUIRE(myl_rng_u64(&s1) == myl_rng_u64(&s2));
            break;
        case 2:
            REQUIRE(myl_rng_uniform(&s1) == myl_rng_uniform(&s2));
            break;
        case 3:
            REQUIRE(myl_rng_below(&s1, 1000 + (uint64_t)i) ==
                    myl_rng_below(&s2, 1000 + (uint64_t)i));
            break;
        default:
            REQUIRE(myl_rng_normal(&s1) == myl_rng_normal(&s2));
            break;
        }
    }
    /* Re-initialising restarts the stream. */
    myl_rng_stream_init(&s1, 2024, MYL_RNG_CONN, 17, 0);
    myl_rng_stream_init(&s2, 2024, MYL_RNG_CONN, 17, 0);
    uint32_t first = myl_rng_u32(&s1);
    ck_assert_uint_eq(first, myl_rng_u32(&s2));
    myl_rng_stream_init(&s1, 2024, MYL_RNG_CONN, 17, 0);
    ck_assert_uint_eq(first, myl_rng_u32(&s1));
}
END_TEST

START_TEST(stream_names_differ)
{
    /* Streams that differ in seed (low or high word), purpose, id or sub share no prefix. */
    struct {
        uint64_t seed;
        uint32_t purpose, id, sub;
    } v[] = {
        {1, MYL_RNG_CONN, 0, 0},
        {2, MYL_RNG_CONN, 0, 0},
        {1ull << 32 | 1, MYL_RNG_CONN, 0, 0},
        {1, MYL_RNG_INIT, 0, 0},
        {1, MYL_RNG_CONN, 1, 0},
        {1, MYL_RNG_CONN, 0xFFFFFF, 0},
        {1, MYL_RNG_POISSON, 0xFFFFFF, 0},
        {1, MYL_RNG_CONN, 0, 1},
        {1, MYL_RNG_CONN, 0, 0xFFFFFFFF},
        {1, MYL_RNG_CONN, 1, 1},
    };
    enum { NV = sizeof v / sizeof v[0], W = 64 };
    uint32_t w[NV][W];
    for (int i = 0; i < NV; i++) {
        myl_rng_stream s;
        myl_rng_stream_init(&s, v[i].seed, v[i].purpose, v[i].id, v[i].sub);
        for (int j = 0; j < W; j++)
            w[i][j] = myl_rng_u32(&s);
    }
    for (int i = 0; i < NV; i++)
        for (int j = i + 1; j < NV; j++) {
            int same = 0;
            for (int k = 0; k < W; k++)
                same += w[i][k] == w[j][k];
            ck_assert_msg(same <= 1, "streams %d and %d agree in %d of %d words", i, j, same, W);
        }
}
END_TEST

START_TEST(substreams_uncorrelated)
{
    /* Neighbouring sub-streams (what a projection builder uses per source neuron) are
     * uncorrelated: the sample correlation of N paired uniforms has sd 1/sqrt(N). */
    enum { N = 200000 };
    myl_rng_stream a, b;
    myl_rng_stream_init(&a, 21, MYL_RNG_CONN, 4, 7);
    myl_rng_stream_init(&b, 21, MYL_RNG_CONN, 4, 8);
    double sab = 0;
    for (int i = 0; i < N; i++)
        sab += (myl_rng_uniform(&a) - 0.5) * (myl_rng_uniform(&b) - 0.5);
    /* E[(u-1/2)(v-1/2)] = 0, sd (1/12)/sqrt(N) */
    ck_assert_double_eq_tol(sab / N, 0.0, Z_TOL / 12.0 / sqrt(N));
}
END_TEST

START_TEST(xoshiro_known_answers)
{
    /* Streams advance with xoshiro256** (rng.h). Its authors publish no test vectors; these are
     * the first ten outputs from state {1, 2, 3, 4} of their reference C code, as pinned by the
     * `reference` test of rust-random/rngs, rand_xoshiro/src/xoshiro256starstar.rs. White box:
     * the state is set through the public struct. */
    static const uint64_t want[10] = {
        11520u,
        0u,
        1509978240u,
        1215971899390074240u,
        1216172134540287360u,
        607988272756665600u,
        16172922978634559625u,
        8476171486693032832u,
        10595114339597558777u,
        2904607092377533576u,
    };
    myl_rng_stream s;
    myl_rng_stream_init(&s, 0, MYL_RNG_TEST, 0, 0);
    s.s[0] = 1, s.s[1] = 2, s.s[2] = 3, s.s[3] = 4;
    for (int i = 0; i < 10; i++)
        ck_assert_msg(myl_rng_u64(&s) == want[i], "output %d", i);
}
END_TEST

START_TEST(stream_no_short_cycle)
{
    /* 2^20 words with no repeated 64-bit window in a small hash table would be the stronger
     * test; a cheap proxy: consecutive blocks (counter steps) never repeat a whole block. */
    myl_rng_stream s;
    myl_rng_stream_init(&s, 3, MYL_RNG_TEST, 0, 0);
    uint32_t prev[4] = {0}, cur[4];
    for (int i = 0; i < 100000; i++) {
        for (int k = 0; k < 4; k++)
            cur[k] = myl_rng_u32(&s);
        REQUIRE(!same4(cur, prev));
        memcpy(prev, cur, sizeof cur);
    }
}
END_TEST

/* --- myl_rng_below -------------------------------------------------------------------------- */

START_TEST(below_small_n_chi_square)
{
    /* Every value of [0, n) equally often, for small n (Lemire's multiply path). */
    enum { DRAWS_PER_BIN = 20000 };
    static const uint64_t ns[] = {2, 3, 5, 6, 7, 10, 16, 17, 100, 255};
    static uint64_t count[256];
    myl_rng_stream s;
    myl_rng_stream_init(&s, 11, MYL_RNG_TEST, 1, 0);
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        uint64_t n = ns[t], total = n * DRAWS_PER_BIN;
        memset(count, 0, sizeof count);
        for (uint64_t i = 0; i < total; i++) {
            uint64_t v = myl_rng_below(&s, n);
            REQUIRE(v < n);
            count[v]++;
        }
        double x = chi2_equal(count, (int)n, total);
        ck_assert_msg(x < chi2_bound((int)n - 1), "n=%llu: chi2 %.1f over %d dof (bound %.1f)",
                      (unsigned long long)n, x, (int)n - 1, chi2_bound((int)n - 1));
    }
}
END_TEST

/* Draw from [0, n) and count which of `nbins` equal parts of the range each value falls in. A
 * generator with modulo bias puts too much mass in the low parts when n is close to a power of
 * two times 3/4 (x % n for a uniform 32- or 64-bit x gives the bottom third of the range twice
 * the weight of the rest), so this has power exactly where bias would be largest. */
static void check_coarse_uniform(myl_rng_stream *s, uint64_t n, int nbins, uint64_t draws)
{
    uint64_t count[64] = {0};
    ck_assert_int_le(nbins, 64);
    /* part width, rounded up, so that the last part may be a little short */
    uint64_t w = n / (uint64_t)nbins + (n % (uint64_t)nbins != 0);
    for (uint64_t i = 0; i < draws; i++) {
        uint64_t v = myl_rng_below(s, n);
        REQUIRE_MSG(v < n, "n=%llu: got %llu", (unsigned long long)n, (unsigned long long)v);
        count[v / w]++;
    }
    double x = chi2_equal(count, nbins, draws);
    ck_assert_msg(x < chi2_bound(nbins - 1), "n=%llu: chi2 %.1f over %d dof (bound %.1f)",
                  (unsigned long long)n, x, nbins - 1, chi2_bound(nbins - 1));
}

START_TEST(below_no_modulo_bias_large_n)
{
    myl_rng_stream s;
    myl_rng_stream_init(&s, 12, MYL_RNG_TEST, 2, 0);
    /* 32-bit path: 3 * 2^30 (25% of raw words land in the biased region), and its neighbours */
    check_coarse_uniform(&s, 3ull << 30, 3, 300000);
    check_coarse_uniform(&s, (3ull << 30) + 1, 3, 300000);
    check_coarse_uniform(&s, UINT32_MAX, 16, 200000);
    /* 64-bit path (n > 2^32) */
    check_coarse_uniform(&s, 3ull << 62, 3, 300000);
    check_coarse_uniform(&s, (3ull << 33) + 5, 3, 300000);
    check_coarse_uniform(&s, UINT64_MAX, 16, 200000);
}
END_TEST

START_TEST(below_edges)
{
    myl_rng_stream s;
    myl_rng_stream_init(&s, 13, MYL_RNG_TEST, 3, 0);

    /* n = 1: always 0 */
    for (int i = 0; i < 1000; i++)
        REQUIRE(myl_rng_below(&s, 1) == 0);

    /* n = 2^32: the whole 32-bit range, top and bottom bits both fair */
    check_coarse_uniform(&s, 1ull << 32, 16, 160000);
    {
        uint64_t low[16] = {0}, hi = 0;
        for (int i = 0; i < 160000; i++) {
            uint64_t v = myl_rng_below(&s, 1ull << 32);
            REQUIRE(v < (1ull << 32));
            low[v & 15]++;
            hi |= v;
        }
        ck_assert(chi2_equal(low, 16, 160000) < chi2_bound(15));
        ck_assert_uint_eq(hi, UINT32_MAX); /* every bit was seen set */
    }

    /* n = 2^32 + 1: first n that takes the 64-bit path; about half the raw draws are rejected */
    check_coarse_uniform(&s, (1ull << 32) + 1, 8, 160000);

    /* n = 2^63: a mask, no rejection; low bits fair too */
    check_coarse_uniform(&s, 1ull << 63, 16, 160000);
    {
        uint64_t low[16] = {0};
        for (int i = 0; i < 160000; i++) {
            uint64_t v = myl_rng_below(&s, 1ull << 63);
            REQUIRE(v < (1ull << 63));
            low[v & 15]++;
        }
        ck_assert(chi2_equal(low, 16, 160000) < chi2_bound(15));
    }

    /* n = 2^63 + 1: half of the draws rejected, values up to 2^63 inclusive */
    check_coarse_uniform(&s, (1ull << 63) + 1, 4, 100000);
}
END_TEST

/* --- Uniform -------------------------------------------------------------------------------- */

START_TEST(u01_edges)
{
    ck_assert(myl_u01(0, 0) == 0.0);
    ck_assert(myl_u01(UINT32_MAX, UINT32_MAX) == 1.0 - 0x1.0p-53);
    ck_assert(myl_u01(UINT32_MAX, UINT32_MAX) < 1.0);
    ck_assert(myl_u01(0x80000000u, 0) == 0.5);
    ck_assert(myl_u01_open0(0, 0) == 0x1.0p-53);
    ck_assert(myl_u01_open0(UINT32_MAX, UINT32_MAX) == 1.0);
    ck_assert(myl_u01_open0(0x80000000u, 0) == 0.5 + 0x1.0p-53);
}
END_TEST

START_TEST(uniform_moments)
{
    enum { N = 1000000, NB = 64 };
    myl_rng_stream s;
    myl_rng_stream_init(&s, 15, MYL_RNG_TEST, 5, 0);
    double sum = 0, sum2 = 0;
    uint64_t hist[NB] = {0};
    for (int i = 0; i < N; i++) {
        double u = myl_rng_uniform(&s);
        REQUIRE(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += (u - 0.5) * (u - 0.5);
        hist[(int)(u * NB)]++;
    }
    double mean = sum / N, var = sum2 / N - (mean - 0.5) * (mean - 0.5);
    /* sd of the mean: sqrt(1/12/N); sd of the variance: sqrt((mu4 - sigma^4) / N) with
     * mu4 = 1/80, sigma^4 = 1/144 */
    ck_assert_double_eq_tol(mean, 0.5, Z_TOL * sqrt(1.0 / 12 / N));
    ck_assert_double_eq_tol(var, 1.0 / 12, Z_TOL * sqrt((1.0 / 80 - 1.0 / 144) / N));
    double x = chi2_equal(hist, NB, N);
    ck_assert_msg(x < chi2_bound(NB - 1), "chi2 %.1f", x);
}
END_TEST

/* --- Normal --------------------------------------------------------------------------------- */

START_TEST(normal_moments_and_tails)
{
    enum { N = 2000000 };
    myl_rng_stream s;
    myl_rng_stream_init(&s, 16, MYL_RNG_TEST, 6, 0);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    long over[5] = {0}; /* |x| > 1, 2, 3, 4 */
    long pos = 0;
    for (int i = 0; i < N; i++) {
        double x = myl_rng_normal(&s);
        REQUIRE(isfinite(x));
        double x2 = x * x;
        m1 += x, m2 += x2, m3 += x2 * x, m4 += x2 * x2;
        double ax = fabs(x);
        for (int k = 1; k <= 4; k++)
            over[k] += ax > k;
        pos += x > 0;
    }
    m1 /= N, m2 /= N, m3 /= N, m4 /= N;
    /* For a standard normal: sd of the sample mean 1/sqrt(N), of the second moment sqrt(2/N),
     * of the third sqrt(15/N), of the fourth sqrt(96/N). */
    ck_assert_double_eq_tol(m1, 0.0, Z_TOL / sqrt(N));
    ck_assert_double_eq_tol(m2, 1.0, Z_TOL * sqrt(2.0 / N));
    ck_assert_double_eq_tol(m3, 0.0, Z_TOL * sqrt(15.0 / N));
    ck_assert_double_eq_tol(m4, 3.0, Z_TOL * sqrt(96.0 / N));
    /* Two-sided tail probabilities P(|Z| > k) = erfc(k / sqrt 2); binomial sd around them. */
    for (int k = 1; k <= 4; k++) {
        double p = erfc(k / sqrt(2.0));
        double sd = sqrt(p * (1 - p) / N);
        ck_assert_msg(fabs((double)over[k] / N - p) < Z_TOL * sd,
                      "P(|x|>%d) = %.6g, expected %.6g (sd %.2g)", k, (double)over[k] / N, p, sd);
    }
    ck_assert_double_eq_tol((double)pos / N, 0.5, Z_TOL * 0.5 / sqrt(N));
}
END_TEST

START_TEST(normal_pairs_independent)
{
    /* Box-Muller hands out cos and sin of the same angle; over many pairs they must be
     * uncorrelated, and successive pairs too. */
    enum { N = 500000 };
    myl_rng_stream s;
    myl_rng_stream_init(&s, 17, MYL_RNG_TEST, 7, 0);
    double c01 = 0, c12 = 0, prev1 = 0;
    for (int i = 0; i < N; i++) {
        double x0 = myl_rng_normal(&s), x1 = myl_rng_normal(&s);
        c01 += x0 * x1;
        c12 += prev1 * x0;
        prev1 = x1;
    }
    /* E[xy] = 0 with sd 1/sqrt(N) for independent standard normals */
    ck_assert_double_eq_tol(c01 / N, 0.0, Z_TOL / sqrt(N));
    ck_assert_double_eq_tol(c12 / N, 0.0, Z_TOL / sqrt(N));
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");

    TCase *tc = tcase_create("philox");
    tcase_add_test(tc, philox_known_answers);
    tcase_add_test(tc, philox_inputs_untouched);
    suite_add_tcase(s, tc);

    tc = tcase_create("keyed");
    tcase_add_test(tc, draw_is_pure);
    tcase_add_test(tc, draw_is_philox_of_documented_counter);
    tcase_add_test(tc, draw_inputs_all_matter);
    tcase_add_test(tc, draw_no_collisions);
    suite_add_tcase(s, tc);

    tc = tcase_create("stream");
    tcase_add_test(tc, stream_deterministic);
    tcase_add_test(tc, stream_names_differ);
    tcase_add_test(tc, substreams_uncorrelated);
    tcase_add_test(tc, xoshiro_known_answers);
    tcase_add_test(tc, stream_no_short_cycle);
    suite_add_tcase(s, tc);

    tc = tcase_create("below");
    tcase_add_test(tc, below_small_n_chi_square);
    tcase_add_test(tc, below_no_modulo_bias_large_n);
    tcase_add_test(tc, below_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("distributions");
    tcase_add_test(tc, u01_edges);
    tcase_add_test(tc, uniform_moments);
    tcase_add_test(tc, normal_moments_and_tails);
    tcase_add_test(tc, normal_pairs_independent);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return myl_test_run(rng_suite());
}
