/* Tests for the spike scheduler (include/myelin/sched.h).
 *
 * The main test is differential: the scheduler and a plain reference (an array kept sorted by
 * (tick, seq)) are driven by the same long random sequence of pushes and takes, with delays drawn
 * to hit every path of the calendar queue (same tick, inside the horizon, the bucket boundary,
 * just beyond the horizon, far beyond it, and ticks that never come due), and every take must
 * hand out exactly what the reference says is due. Around it: edge cases of the contract, and
 * allocation failure injected at every allocation in turn, including a take that cannot make
 * room for far messages entering the horizon (it must change nothing).
 */
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/err.h"
#include "myelin/rng.h"
#include "myelin/sched.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ck_assert records every check that passes (a write to Check's pipe), which is far too slow in
 * the inner loops here; these call into Check only when the condition fails. */
#define REQUIRE(expr) ((expr) ? (void)0 : ck_abort_msg("'%s' failed", #expr))
#define REQUIRE_MSG(expr, ...) ((expr) ? (void)0 : ck_abort_msg(__VA_ARGS__))

/* --- The reference ----------------------------------------------------------------------------
 *
 * An array of (tick, seq, message), kept sorted so that the next messages due are at the end:
 * ticks in descending order, and within a tick, seq in ascending order. Taking a tick cuts the
 * run of entries at the end whose tick is now, which is already in seq order; a push with a short
 * delay (the common case) moves only the few entries due before it. Nothing clever beyond that. */
typedef struct ref_ent {
    uint64_t tick;
    uint64_t seq;
    myl_msg m;
} ref_ent;

typedef struct ref {
    ref_ent *v;
    size_t n, cap;
    uint64_t now;
    uint64_t seq;
} ref;

/* Does x come before y in the array? */
static int ent_before(const ref_ent *x, const ref_ent *y)
{
    return x->tick > y->tick || (x->tick == y->tick && x->seq < y->seq);
}

static void ref_init(ref *r, uint64_t now)
{
    memset(r, 0, sizeof *r);
    r->now = now;
}

static void ref_free(ref *r)
{
    free(r->v);
    r->v = NULL;
}

static void ref_push(ref *r, uint64_t tick, myl_msg m)
{
    REQUIRE(tick >= r->now);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        REQUIRE(r->v != NULL);
    }
    ref_ent e = {tick, r->seq++, m};
    /* lo = number of entries that come before e */
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ent_before(&r->v[mid], &e))
            lo = mid + 1;
        else
            hi = mid;
    }
    /* a plain loop rather than memmove, which ASan replaces with a byte-by-byte copy */
    for (size_t i = r->n; i > lo; i--)
        r->v[i] = r->v[i - 1];
    r->v[lo] = e;
    r->n++;
}

static uint64_t ref_next_tick(const ref *r)
{
    return r->n ? r->v[r->n - 1].tick : UINT64_MAX;
}

/* Take the current tick: returns its entries in seq order (valid until the next push) and
 * advances the clock. */
static const ref_ent *ref_take(ref *r, size_t *count)
{
    size_t g = r->n;
    while (g && r->v[g - 1].tick == r->now)
        g--;
    REQUIRE_MSG(g == 0 || r->v[g - 1].tick > r->now, "reference holds a past message");
    *count = r->n - g;
    r->n = g;
    r->now++;
    return r->v + g;
}

/* Compare what a take handed out with what the reference has due. */
static void compare_take(uint64_t tick, const myl_msg *got, size_t ngot, const ref_ent *want,
                         size_t nwant)
{
    REQUIRE_MSG(ngot == nwant, "tick %llu: scheduler handed out %zu messages, reference %zu",
                (unsigned long long)tick, ngot, nwant);
    for (size_t k = 0; k < ngot; k++)
        REQUIRE_MSG(got[k].a == want[k].m.a && got[k].b == want[k].m.b,
                    "tick %llu, message %zu: got (%u, %u), want (%u, %u)", (unsigned long long)tick,
                    k, got[k].a, got[k].b, want[k].m.a, want[k].m.b);
}

/* Take one tick from both and compare. */
static void take_both(myl_sched *s, ref *r)
{
    const myl_msg *msgs = NULL;
    size_t n = SIZE_MAX, nwant;
    uint64_t tick = r->now;
    int rc = myl_sched_take(s, &msgs, &n);
    REQUIRE_MSG(rc == 0, "take at %llu: rc %d", (unsigned long long)tick, rc);
    const ref_ent *want = ref_take(r, &nwant);
    compare_take(tick, msgs, n, want, nwant);
    REQUIRE(myl_sched_now(s) == r->now);
    REQUIRE(myl_sched_size(s) == r->n);
}

static void push_both(myl_sched *s, ref *r, uint64_t tick, uint32_t payload)
{
    myl_msg m = {(uint32_t)r->seq, payload};
    int rc = myl_sched_push(s, tick, m);
    REQUIRE_MSG(rc == 0, "push at %llu (now %llu): rc %d", (unsigned long long)tick,
                (unsigned long long)r->now, rc);
    ref_push(r, tick, m);
    REQUIRE(myl_sched_size(s) == r->n);
}

static void check_next_tick(const myl_sched *s, const ref *r)
{
    uint64_t got = myl_sched_next_tick(s), want = ref_next_tick(r);
    REQUIRE_MSG(got == want, "next_tick %llu, want %llu (now %llu)", (unsigned long long)got,
                (unsigned long long)want, (unsigned long long)r->now);
}

static uint32_t pow2_at_least(uint32_t h)
{
    uint32_t nb = 1;
    while (nb < h)
        nb <<= 1;
    return nb;
}

/* A delay from the mixture the differential test uses; see the comments for the weights. */
static uint64_t draw_delay(myl_rng_stream *g, uint32_t h, uint64_t now)
{
    uint64_t nb = pow2_at_least(h);
    uint64_t r = myl_rng_below(g, 1000);
    if (r < 100) /* 10%: this very tick */
        return 0;
    if (r < 450) /* 35%: small, 1..16 */
        return 1 + myl_rng_below(g, 16);
    if (r < 650) /* 20%: anywhere up to the horizon, inclusive */
        return myl_rng_below(g, (uint64_t)h + 1);
    if (r < 750) { /* 10%: right at the edges of the horizon and of the ring */
        const uint64_t edge[] = {h - 1, h, h + 1ull, nb - 1, nb, nb + 1, 2 * nb - 1, 2 * nb};
        return edge[myl_rng_below(g, sizeof edge / sizeof edge[0])];
    }
    if (r < 900) /* 15%: just beyond the ring, so it waits in the heap and migrates soon */
        return nb + myl_rng_below(g, 2 * nb);
    if (r < 993) /* 9.3%: far beyond the horizon, up to 100 horizons */
        return h + myl_rng_below(g, 99ull * h + 1);
    if (r < 998) /* 0.5%: huge, never comes due in this test */
        return (1ull << 40) + myl_rng_below(g, 1u << 20);
    /* 0.2%: the last representable ticks */
    return UINT64_MAX - now - myl_rng_below(g, 4);
}

/* --- Differential test ------------------------------------------------------------------------ */

typedef struct diff_cfg {
    uint32_t horizon;
    uint64_t start; /* the scheduler's first tick */
    long ops;
    uint32_t seed;
} diff_cfg;

static const diff_cfg diff_cfgs[] = {
    {1, 0, 200000, 1},          {2, 0, 200000, 2},
    {3, 0, 100000, 3},          {16, 0, 200000, 4},
    {64, 0, 200000, 5},         {100, 0, 100000, 6},
    {1000, 0, 200000, 7},       {16, (1ull << 40) + 3, 100000, 8},
    {64, 123456789, 100000, 9},
};

static void run_differential(const diff_cfg *c)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(c->start, c->horizon, &s), 0);
    ck_assert_uint_eq(myl_sched_now(s), c->start);
    ref r;
    ref_init(&r, c->start);
    myl_rng_stream g;
    myl_rng_stream_init(&g, c->seed, MYL_RNG_TEST, c->horizon, 0);

    /* The take probability changes every 2048 operations, so the queue grows in bursts and
     * drains (with runs of empty takes), as a network's activity does. */
    static const uint32_t p_take[] = {50, 300, 450, 500, 600, 900}; /* per mille */
    uint32_t p = 300;
    for (long op = 0; op < c->ops; op++) {
        if ((op & 2047) == 0)
            p = p_take[myl_rng_below(&g, sizeof p_take / sizeof p_take[0])];
        uint64_t r1000 = myl_rng_below(&g, 1000);
        if (r1000 < p) {
            take_both(s, &r);
        } else if (r1000 < p + 5 && r.now > 0) {
            /* into the past: refused, nothing changes */
            uint64_t tick = r.now - 1 - myl_rng_below(&g, r.now < 100 ? r.now : 100);
            size_t size = myl_sched_size(s);
            REQUIRE(myl_sched_push(s, tick, (myl_msg){1, 2}) == MYL_EINVAL);
            REQUIRE(myl_sched_size(s) == size);
            REQUIRE(myl_sched_now(s) == r.now);
        } else {
            uint64_t d = draw_delay(&g, c->horizon, r.now);
            push_both(s, &r, r.now + d, myl_rng_u32(&g));
        }
        /* next_tick is O(horizon): check it on a sample of operations */
        if (myl_rng_below(&g, 8) == 0)
            check_next_tick(s, &r);
    }
    /* Drain everything that comes due within reach, checking the empty ticks on the way. */
    uint64_t reach = r.now + 200ull * c->horizon + 1000;
    while (ref_next_tick(&r) < reach)
        take_both(s, &r);
    check_next_tick(s, &r);
    ck_assert_uint_eq(myl_sched_size(s), r.n);
    ck_assert_uint_gt(myl_sched_memory(s), 0);
    myl_sched_free(s);
    ref_free(&r);
}

START_TEST(differential)
{
    run_differential(&diff_cfgs[_i]);
}
END_TEST

START_TEST(differential_steady_spiking)
{
    /* The engines' pattern: every tick, take, then push a burst with delays in [0, D), half of
     * them with delay 1 so that one tick gets well over a bucket's first capacity. D = horizon
     * and D = horizon + 1 put the last delay on either side of the ring. */
    static const uint32_t cfg[][3] = {{16, 16, 150}, {16, 17, 150}, {64, 64, 150}, {1, 1, 2000}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        uint32_t h = cfg[t][0], dmax = cfg[t][1], burst = cfg[t][2];
        myl_sched *s = NULL;
        ck_assert_int_eq(myl_sched_new(0, h, &s), 0);
        ref r;
        ref_init(&r, 0);
        myl_rng_stream g;
        myl_rng_stream_init(&g, 100 + (uint32_t)t, MYL_RNG_TEST, 0, 0);
        for (int tick = 0; tick < 300; tick++) {
            take_both(s, &r);
            uint32_t k = (uint32_t)myl_rng_below(&g, 2ull * burst + 1);
            for (uint32_t i = 0; i < k; i++)
                push_both(s, &r, r.now + (dmax > 1 && i % 2 ? 1 : myl_rng_below(&g, dmax)),
                          myl_rng_u32(&g));
            check_next_tick(s, &r);
        }
        while (r.n)
            take_both(s, &r);
        ck_assert_uint_eq(myl_sched_size(s), 0);
        ck_assert_uint_eq(myl_sched_next_tick(s), UINT64_MAX);
        myl_sched_free(s);
        ref_free(&r);
    }
}
END_TEST

/* A counting allocator, to check that a scheduler gives back every block it took, independently
 * of LeakSanitizer (which only the sanitizer build has). */
static long g_live;

static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    g_live += p != NULL;
    return p;
}

static void *count_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    g_live += p == NULL && q != NULL;
    return q;
}

static void count_free(void *p)
{
    g_live -= p != NULL;
    free(p);
}

START_TEST(frees_everything)
{
    g_live = 0;
    myl_alloc_set(count_malloc, count_realloc, count_free);
    diff_cfg c = {16, 5, 20000, 77};
    run_differential(&c);
    myl_alloc_set(NULL, NULL, NULL);
    ck_assert_int_eq(g_live, 0);
}
END_TEST

/* --- Edge cases of the contract --------------------------------------------------------------- */

START_TEST(new_rejects_bad_arguments)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, 0, &s), MYL_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(myl_sched_new(0, 16, NULL), MYL_EINVAL);
    /* An absurd horizon is an error, not an attempt to allocate it (nor an endless loop). */
    int rc = myl_sched_new(0, UINT32_MAX, &s);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(s);
    myl_sched_free(NULL);
}
END_TEST

START_TEST(push_into_past)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(100, 8, &s), 0);
    ck_assert_int_eq(myl_sched_push(s, 103, (myl_msg){1, 1}), 0);
    ck_assert_int_eq(myl_sched_push(s, 200, (myl_msg){2, 2}), 0);
    size_t mem = myl_sched_memory(s);

    static const uint64_t past[] = {99, 0, 50};
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        ck_assert_int_eq(myl_sched_push(s, past[i], (myl_msg){9, 9}), MYL_EINVAL);
        ck_assert_uint_eq(myl_sched_size(s), 2);
        ck_assert_uint_eq(myl_sched_now(s), 100);
        ck_assert_uint_eq(myl_sched_next_tick(s), 103);
        ck_assert_uint_eq(myl_sched_memory(s), mem);
    }
    /* after some takes, the tick just taken is the past too */
    const myl_msg *m;
    size_t n;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
    }
    ck_assert_int_eq(myl_sched_push(s, 102, (myl_msg){9, 9}), MYL_EINVAL);
    ck_assert_uint_eq(myl_sched_size(s), 2);
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(m[0].a, 1);
    myl_sched_free(s);
}
END_TEST

START_TEST(push_at_now_after_take)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, 4, &s), 0);
    const myl_msg *m;
    size_t n;
    ck_assert_int_eq(myl_sched_push(s, 0, (myl_msg){1, 0}), 0);
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, 1);
    /* the clock is at 1 now: pushing for tick 1 is allowed and is handed out by the next take */
    ck_assert_uint_eq(myl_sched_now(s), 1);
    ck_assert_int_eq(myl_sched_push(s, 1, (myl_msg){2, 0}), 0);
    ck_assert_int_eq(myl_sched_push(s, 1, (myl_msg){3, 0}), 0);
    ck_assert_uint_eq(myl_sched_next_tick(s), 1);
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(m[0].a, 2);
    ck_assert_uint_eq(m[1].a, 3);
    ck_assert_uint_eq(myl_sched_size(s), 0);
    myl_sched_free(s);
}
END_TEST

START_TEST(empty_takes)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(7, 16, &s), 0);
    ck_assert_uint_eq(myl_sched_size(s), 0);
    ck_assert_uint_eq(myl_sched_next_tick(s), UINT64_MAX);
    for (int i = 0; i < 1000; i++) {
        const myl_msg *m;
        size_t n = 12345;
        REQUIRE(myl_sched_take(s, &m, &n) == 0);
        REQUIRE(n == 0);
    }
    ck_assert_uint_eq(myl_sched_now(s), 1007);
    ck_assert_uint_eq(myl_sched_size(s), 0);
    ck_assert_uint_eq(myl_sched_next_tick(s), UINT64_MAX);
    /* a single far message, then empty ticks up to it */
    ck_assert_int_eq(myl_sched_push(s, 1007 + 500, (myl_msg){5, 5}), 0);
    ck_assert_uint_eq(myl_sched_next_tick(s), 1507);
    for (int i = 0; i < 500; i++) {
        const myl_msg *m;
        size_t n;
        REQUIRE(myl_sched_take(s, &m, &n) == 0);
        REQUIRE(n == 0);
        REQUIRE(myl_sched_next_tick(s) == 1507);
    }
    const myl_msg *m;
    size_t n;
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(m[0].a, 5);
    myl_sched_free(s);
}
END_TEST

/* The messages handed out by a take stay put while the caller pushes new ones (tick `now`, the
 * tick that reuses the taken tick's bucket, and ticks beyond the ring), however much the buckets
 * grow. Under ASan a reallocation of the handed-out array would be a use after free here. */
START_TEST(taken_pointer_stays_valid)
{
    static const uint32_t horizons[] = {1, 2, 16, 1000};
    uint32_t h = horizons[_i], nb = pow2_at_least(h);
    enum { K = 1000, P = 5000 };
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, h, &s), 0);
    for (uint32_t i = 0; i < K; i++)
        REQUIRE(myl_sched_push(s, 0, (myl_msg){i, ~i}) == 0);
    /* waiting in the heap, will migrate into the taken tick's bucket when the clock moves */
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_int_eq(myl_sched_push(s, nb, (myl_msg){K + i, 0}), 0);

    const myl_msg *m;
    size_t n;
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, K);
    /* tick 0 + nb uses the same bucket as tick 0 did; now + nb is beyond the ring */
    const uint64_t ticks[] = {1, nb, (uint64_t)nb + 1, 5ull * nb};
    for (size_t t = 0; t < sizeof ticks / sizeof ticks[0]; t++)
        for (uint32_t i = 0; i < P; i++)
            REQUIRE(myl_sched_push(s, ticks[t], (myl_msg){i, (uint32_t)t}) == 0);
    for (uint32_t i = 0; i < K; i++)
        REQUIRE(m[i].a == i && m[i].b == ~i);
    ck_assert_uint_eq(myl_sched_size(s), 100 + 4 * P);

    /* and the tick that shares the bucket comes out in order: migrated ones first */
    while (myl_sched_now(s) < nb) {
        ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
        if (myl_sched_now(s) == 2 && nb > 1)
            ck_assert_uint_eq(n, P); /* tick 1 */
    }
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0); /* tick nb */
    if (nb == 1) {
        /* tick 1 == nb: 100 from the heap, then the pushes for tick 1 and for tick nb */
        ck_assert_uint_eq(n, 100 + 2 * P);
    } else {
        ck_assert_uint_eq(n, 100 + P);
    }
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(m[i].a, K + i);
    ck_assert_uint_eq(m[100].a, 0);
    myl_sched_free(s);
}
END_TEST

START_TEST(horizon_rounding)
{
    /* myl_sched_memory of an empty scheduler is a fixed part plus one bucket per slot of the
     * ring, so it shows the ring's size: the horizon rounded up to a power of two. */
    myl_sched *s1 = NULL, *s2 = NULL;
    ck_assert_int_eq(myl_sched_new(0, 1, &s1), 0);
    ck_assert_int_eq(myl_sched_new(0, 2, &s2), 0);
    size_t m1 = myl_sched_memory(s1), per = myl_sched_memory(s2) - m1;
    ck_assert_uint_gt(per, 0);
    myl_sched_free(s1);
    myl_sched_free(s2);

    static const uint32_t hs[] = {1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100, 1000, 1024, 1025, 65535};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        myl_sched *s = NULL;
        ck_assert_int_eq(myl_sched_new(0, hs[i], &s), 0);
        uint32_t nb = pow2_at_least(hs[i]);
        ck_assert_msg(myl_sched_memory(s) == m1 + (nb - 1) * per, "horizon %u: %zu bytes", hs[i],
                      myl_sched_memory(s));

        /* and whatever the rounding, messages around both edges come out in order */
        ref r;
        ref_init(&r, 0);
        myl_rng_stream g;
        myl_rng_stream_init(&g, hs[i], MYL_RNG_TEST, 99, 0);
        const uint64_t h = hs[i];
        const uint64_t at[] = {0, 1, h - 1, h, h + 1, nb - 1, nb, nb + 1, 2 * nb, 3 * nb + 1};
        for (int rep = 0; rep < 3; rep++)
            for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
                uint64_t j = myl_rng_below(&g, sizeof at / sizeof at[0]);
                push_both(s, &r, r.now + at[j], (uint32_t)k);
            }
        for (uint64_t t = 0; t < 8; t++) {
            take_both(s, &r);
            /* and some more at the edges, relative to the new clock */
            for (size_t k = 0; k < sizeof at / sizeof at[0]; k++)
                push_both(s, &r, r.now + at[k], (uint32_t)t);
            check_next_tick(s, &r);
        }
        while (r.n)
            take_both(s, &r);
        myl_sched_free(s);
        ref_free(&r);
    }
}
END_TEST

START_TEST(nonzero_start)
{
    static const uint64_t starts[] = {1, 1000000000000ull, (1ull << 63) + 5};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        uint64_t t0 = starts[i];
        myl_sched *s = NULL;
        ck_assert_int_eq(myl_sched_new(t0, 16, &s), 0);
        ck_assert_uint_eq(myl_sched_now(s), t0);
        ck_assert_uint_eq(myl_sched_next_tick(s), UINT64_MAX);
        ck_assert_int_eq(myl_sched_push(s, t0 - 1, (myl_msg){0, 0}), MYL_EINVAL);
        ck_assert_int_eq(myl_sched_push(s, 0, (myl_msg){0, 0}), MYL_EINVAL);
        ck_assert_uint_eq(myl_sched_size(s), 0);

        ck_assert_int_eq(myl_sched_push(s, t0 + 1000, (myl_msg){4, 0}), 0);
        ck_assert_uint_eq(myl_sched_next_tick(s), t0 + 1000);
        ck_assert_int_eq(myl_sched_push(s, t0 + 16, (myl_msg){3, 0}), 0);
        ck_assert_uint_eq(myl_sched_next_tick(s), t0 + 16);
        ck_assert_int_eq(myl_sched_push(s, t0 + 15, (myl_msg){2, 0}), 0);
        ck_assert_int_eq(myl_sched_push(s, t0, (myl_msg){1, 0}), 0);
        ck_assert_uint_eq(myl_sched_next_tick(s), t0);
        ck_assert_uint_eq(myl_sched_size(s), 4);

        const uint64_t due[] = {t0, t0 + 15, t0 + 16, t0 + 1000};
        uint32_t seen = 0;
        while (myl_sched_now(s) <= t0 + 1000) {
            uint64_t t = myl_sched_now(s);
            const myl_msg *m;
            size_t n;
            ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
            if (seen < 4 && t == due[seen]) {
                ck_assert_uint_eq(n, 1);
                ck_assert_uint_eq(m[0].a, seen + 1);
                seen++;
            } else {
                ck_assert_uint_eq(n, 0);
            }
        }
        ck_assert_uint_eq(seen, 4);
        ck_assert_uint_eq(myl_sched_size(s), 0);
        myl_sched_free(s);
    }
}
END_TEST

START_TEST(heap_and_direct_same_tick)
{
    /* Messages for tick T pushed while T was beyond the ring wait in the heap; once T is inside,
     * new pushes go straight to its bucket. All of them come out in push order. */
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, 4, &s), 0);
    const uint64_t T = 10;
    ck_assert_int_eq(myl_sched_push(s, T, (myl_msg){0, 0}), 0);
    ck_assert_int_eq(myl_sched_push(s, T + 100, (myl_msg){100, 0}), 0);
    ck_assert_int_eq(myl_sched_push(s, T, (myl_msg){1, 0}), 0);
    uint32_t next = 2;
    const myl_msg *m;
    size_t n;
    while (myl_sched_now(s) < T) {
        ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(myl_sched_push(s, T, (myl_msg){next++, 0}), 0);
    }
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, next);
    for (uint32_t i = 0; i < next; i++)
        ck_assert_uint_eq(m[i].a, i);
    ck_assert_uint_eq(myl_sched_next_tick(s), T + 100);
    myl_sched_free(s);
}
END_TEST

/* --- Allocation failure ----------------------------------------------------------------------- */

START_TEST(nomem_new)
{
    long n;
    for (n = 1; n < 100; n++) {
        myl_sched *s = NULL;
        myl_test_fail_after(n);
        int rc = myl_sched_new(3, 100, &s);
        myl_test_fail_after(0);
        if (rc == 0) {
            ck_assert_ptr_nonnull(s);
            ck_assert_uint_eq(myl_sched_now(s), 3);
            myl_sched_free(s);
            break;
        }
        ck_assert_int_eq(rc, MYL_ENOMEM);
        ck_assert_ptr_null(s);
    }
    ck_assert_int_gt(n, 1); /* at least one allocation was failed */
    ck_assert_int_lt(n, 100);
}
END_TEST

/* The pushes of the allocation-failure tests: enough messages at one tick, in the ring and in
 * the heap, that the bucket and the heap both grow past their first capacity. */
static void nomem_pushes(myl_rng_stream *g, uint64_t now, uint64_t *tick, int np)
{
    for (int i = 0; i < np; i++) {
        uint64_t r = myl_rng_below(g, 4);
        tick[i] = r == 0   ? now + 2
                  : r == 1 ? now + myl_rng_below(g, 16)
                  : r == 2 ? now + 16 + myl_rng_below(g, 64)
                           : now + 1000 + myl_rng_below(g, 8);
    }
}

START_TEST(nomem_push)
{
    /* Fail each allocation of a run of pushes in turn. The failed push returns MYL_ENOMEM and
     * leaves the queue as it was (size, next tick, memory, and what is later handed out);
     * pushing the same message again then succeeds. */
    enum { NP = 600 };
    static uint64_t tick[NP];
    myl_rng_stream g;
    myl_rng_stream_init(&g, 5, MYL_RNG_TEST, 5, 0);
    nomem_pushes(&g, 50, tick, NP);

    /* how many allocations the pushes make when nothing fails */
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(50, 16, &s), 0);
    myl_test_fail_after(LONG_MAX);
    for (int i = 0; i < NP; i++)
        REQUIRE(myl_sched_push(s, tick[i], (myl_msg){(uint32_t)i, 0}) == 0);
    long nalloc = myl_test_alloc_count();
    myl_test_fail_after(0);
    myl_sched_free(s);
    ck_assert_int_gt(nalloc, 4);

    for (long n = 1; n <= nalloc + 1; n++) {
        ck_assert_int_eq(myl_sched_new(50, 16, &s), 0);
        ref r;
        ref_init(&r, 50);
        int failures = 0;
        myl_test_fail_after(n);
        for (int i = 0; i < NP; i++) {
            myl_msg m = {(uint32_t)r.seq, (uint32_t)i};
            size_t size = myl_sched_size(s), mem = myl_sched_memory(s);
            uint64_t next = myl_sched_next_tick(s);
            int rc = myl_sched_push(s, tick[i], m);
            if (rc) {
                REQUIRE(rc == MYL_ENOMEM);
                REQUIRE(myl_sched_size(s) == size);
                REQUIRE(myl_sched_next_tick(s) == next);
                REQUIRE(myl_sched_memory(s) == mem);
                failures++;
                rc = myl_sched_push(s, tick[i], m);
                REQUIRE(rc == 0);
            }
            ref_push(&r, tick[i], m);
        }
        myl_test_fail_after(0);
        ck_assert_int_eq(failures, n <= nalloc);
        while (r.n)
            take_both(s, &r);
        myl_sched_free(s);
        ref_free(&r);
    }
}
END_TEST

/* Fail each allocation made while taking (heap entries migrating into their bucket), and check
 * that a take that fails has changed nothing and can be retried: the clock has not moved, the
 * messages due are all still there, and nothing is handed out twice or lost. Between the failed
 * take and the retry, push a message for the tick that is entering the ring, which must still
 * come out after the ones that were waiting in the heap. */
static void nomem_take_run(uint32_t h, long n, int *failures)
{
    enum { NP = 600 };
    static uint64_t tick[NP];
    myl_rng_stream g;
    myl_rng_stream_init(&g, 6, MYL_RNG_TEST, h, 0);
    uint32_t nb = pow2_at_least(h);

    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, h, &s), 0);
    ref r;
    ref_init(&r, 0);
    for (int i = 0; i < NP; i++) {
        uint64_t x = myl_rng_below(&g, 3);
        /* mostly beyond the ring: they migrate, some ticks with > 64 messages */
        tick[i] = x == 0 ? myl_rng_below(&g, nb) : nb + myl_rng_below(&g, 4 * (uint64_t)nb + 2);
        push_both(s, &r, tick[i], (uint32_t)i);
    }
    *failures = 0;
    myl_test_fail_after(n);
    while (r.n) {
        uint64_t now = myl_sched_now(s);
        size_t size = myl_sched_size(s);
        const myl_msg *m;
        size_t k;
        int rc = myl_sched_take(s, &m, &k);
        if (rc) {
            REQUIRE(rc == MYL_ENOMEM);
            REQUIRE_MSG(myl_sched_now(s) == now,
                        "take failed with MYL_ENOMEM but moved the clock from %llu to %llu "
                        "and handed out %zu messages",
                        (unsigned long long)now, (unsigned long long)myl_sched_now(s), k);
            REQUIRE(myl_sched_size(s) == size);
            (*failures)++;
            push_both(s, &r, now + nb - 1, 0xabcd);
            push_both(s, &r, now + nb, 0xabce);
            continue;
        }
        /* what was handed out must be what the reference has due */
        size_t nwant;
        uint64_t t = r.now;
        const ref_ent *want = ref_take(&r, &nwant);
        compare_take(t, m, k, want, nwant);
        REQUIRE(myl_sched_now(s) == r.now);
        REQUIRE(myl_sched_size(s) == r.n);
    }
    myl_test_fail_after(0);
    myl_sched_free(s);
    ref_free(&r);
}

START_TEST(nomem_take)
{
    static const uint32_t hs[] = {1, 4, 16};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        int total = 0;
        for (long n = 1; n < 200; n++) {
            int failures;
            nomem_take_run(hs[i], n, &failures);
            total += failures;
        }
        ck_assert_int_gt(total, 0); /* some takes did fail */
    }
}
END_TEST

/* The smallest case of the same thing. Horizon 1: A is due at tick 0, B at tick 1 waits in the
 * heap. Taking tick 0 moves B into the (empty) bucket, which needs an allocation; when that
 * fails, the take must either hand out A and succeed, or fail having changed nothing. */
START_TEST(nomem_take_minimal)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, 1, &s), 0);
    ck_assert_int_eq(myl_sched_push(s, 0, (myl_msg){'A', 0}), 0);
    ck_assert_int_eq(myl_sched_push(s, 1, (myl_msg){'B', 0}), 0);
    const myl_msg *m = NULL;
    size_t n = 0;
    myl_test_fail_after(1);
    int rc = myl_sched_take(s, &m, &n);
    myl_test_fail_after(0);
    if (rc == 0) {
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(m[0].a, 'A');
    } else {
        ck_assert_int_eq(rc, MYL_ENOMEM);
        ck_assert_msg(myl_sched_now(s) == 0 && myl_sched_size(s) == 2,
                      "failed take changed the queue: now %llu (was 0), size %zu (was 2)",
                      (unsigned long long)myl_sched_now(s), myl_sched_size(s));
        ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(m[0].a, 'A');
    }
    ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(m[0].a, 'B');
    myl_sched_free(s);
}
END_TEST

/* What the failed take above does to a caller that carries on: the same setup, the take fails,
 * then the caller pushes C for tick 1. Whatever the take did, tick 1 must hand out B (pushed
 * first, waiting in the heap) before C, and A must be handed out by exactly one successful
 * take. */
START_TEST(nomem_take_then_push)
{
    myl_sched *s = NULL;
    ck_assert_int_eq(myl_sched_new(0, 1, &s), 0);
    ck_assert_int_eq(myl_sched_push(s, 0, (myl_msg){'A', 0}), 0);
    ck_assert_int_eq(myl_sched_push(s, 1, (myl_msg){'B', 0}), 0);
    const myl_msg *m = NULL;
    size_t n = 0;
    int seen_a = 0;
    myl_test_fail_after(1);
    int rc = myl_sched_take(s, &m, &n);
    myl_test_fail_after(0);
    if (rc == 0)
        seen_a += n == 1 && m[0].a == 'A';
    ck_assert_int_eq(myl_sched_push(s, 1, (myl_msg){'C', 0}), 0);
    char tick1[8] = "";
    while (myl_sched_now(s) <= 1) {
        uint64_t t = myl_sched_now(s);
        ck_assert_int_eq(myl_sched_take(s, &m, &n), 0);
        for (size_t i = 0; i < n; i++) {
            if (m[i].a == 'A')
                seen_a++;
            else if (t == 1 && strlen(tick1) < 7)
                tick1[strlen(tick1)] = (char)m[i].a;
        }
    }
    ck_assert_msg(strcmp(tick1, "BC") == 0, "tick 1 handed out \"%s\", want \"BC\"", tick1);
    ck_assert_msg(seen_a == 1, "A handed out by %d successful takes, want 1", seen_a);
    myl_sched_free(s);
}
END_TEST

static Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");

    TCase *tc = tcase_create("differential");
    tcase_add_loop_test(tc, differential, 0, (int)(sizeof diff_cfgs / sizeof diff_cfgs[0]));
    tcase_add_test(tc, differential_steady_spiking);
    tcase_add_test(tc, frees_everything);
    suite_add_tcase(s, tc);

    tc = tcase_create("edges");
    tcase_add_test(tc, new_rejects_bad_arguments);
    tcase_add_test(tc, push_into_past);
    tcase_add_test(tc, push_at_now_after_take);
    tcase_add_test(tc, empty_takes);
    tcase_add_loop_test(tc, taken_pointer_stays_valid, 0, 4);
    tcase_add_test(tc, horizon_rounding);
    tcase_add_test(tc, nonzero_start);
    tcase_add_test(tc, heap_and_direct_same_tick);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_add_test(tc, nomem_new);
    tcase_add_test(tc, nomem_push);
    tcase_add_test(tc, nomem_take_minimal);
    tcase_add_test(tc, nomem_take_then_push);
    tcase_add_test(tc, nomem_take);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(sched_suite());
}
