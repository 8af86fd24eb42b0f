/* Benchmark: the spike scheduler (myl_sched, a calendar ring of one-tick buckets plus an overflow
 * heap) against a plain binary heap keyed by (tick, seq), on the workload of a spiking
 * simulation. Each tick, take every message due, then push M new ones with delays drawn from a
 * distribution: a constant d, uniform in 1..D, or uniform in 1..D with 1% far delays beyond the
 * horizon (in D+1..4D). The scheduler's horizon is D, as the engines size it to the largest
 * synaptic delay.
 *
 * Each queue first runs until it is in steady state (as many ticks as the largest delay), then is
 * timed over three windows of about 2^20 messages each; the figure is the best window, in
 * nanoseconds of the thread's CPU time per message, a message being one push and its pop. (CPU
 * time and the best of three keep the figures steady on a shared machine; they still include
 * cache and memory contention from other processes.) Both queues must hand out the same messages
 * in the same order (a checksum over the whole run), so the figures compare equal work.
 *
 *   bench-sched            the default set, about 20 s
 *   bench-sched --quick    the smaller cases, briefly (a smoke test, a few seconds)
 *   bench-sched --full     every M in {100, 10^4, 10^5} and D in {1, 16, 64, 1000}: the
 *                          largest keep 10^8 messages queued (several GB) and take minutes
 *
 * It prints figures and asserts nothing about time.
 */
#include "myelin/err.h"
#include "myelin/rng.h"
#include "myelin/sched.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- The baseline: a binary min-heap of (tick, seq, message) -------------------------------- */

typedef struct hent {
    uint64_t tick;
    uint64_t seq;
    myl_msg m;
} hent;

typedef struct bheap {
    hent *v;
    size_t n, cap;
    uint64_t seq;
} bheap;

static inline int hless(const hent *x, const hent *y)
{
    return x->tick < y->tick || (x->tick == y->tick && x->seq < y->seq);
}

/* O(log n): sift the hole up from the end. */
static int bheap_push(bheap *h, uint64_t tick, myl_msg m)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        hent *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return MYL_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    hent e = {tick, h->seq++, m};
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&e, &h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = e;
    return 0;
}

/* O(log n): remove the minimum, sifting the last entry down from the root. */
static hent bheap_pop(bheap *h)
{
    hent top = h->v[0], last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && hless(&h->v[c + 1], &h->v[c]))
            c++;
        if (!hless(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n)
        h->v[i] = last;
    return top;
}

/* --- Workloads ------------------------------------------------------------------------------ */

enum dist { DIST_CONST, DIST_UNIFORM, DIST_MIX };
static const char *const dist_name[] = {"const d=D", "uniform 1..D", "1..D + 1% far"};

typedef struct workload {
    enum dist kind;
    uint32_t m; /* messages pushed per tick */
    uint32_t d; /* D */
} workload;

/* Delays come from a pool drawn beforehand, so that drawing them costs the same (next to
 * nothing) for both queues. */
enum { POOL = 1 << 20 };

static void fill_pool(uint32_t *pool, const workload *w)
{
    myl_rng_stream g;
    myl_rng_stream_init(&g, 2024, MYL_RNG_TEST, w->kind, w->d);
    for (size_t i = 0; i < POOL; i++) {
        switch (w->kind) {
        case DIST_CONST:
            pool[i] = w->d;
            break;
        case DIST_UNIFORM:
            pool[i] = 1 + (uint32_t)myl_rng_below(&g, w->d);
            break;
        case DIST_MIX:
            if (myl_rng_below(&g, 100) == 0)
                pool[i] = w->d + 1 + (uint32_t)myl_rng_below(&g, 3ull * w->d);
            else
                pool[i] = 1 + (uint32_t)myl_rng_below(&g, w->d);
            break;
        }
    }
}

static uint32_t max_delay(const workload *w)
{
    return w->kind == DIST_MIX ? 4 * w->d : w->d;
}

typedef struct result {
    double ns_per_msg; /* best window */
    uint64_t pushed;   /* messages pushed per timed window */
    uint64_t checksum; /* over every message handed out, in order */
    uint64_t popped;
    size_t queued; /* queue length at the end */
} result;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench-sched: %s: %s\n", what, myl_strerror(rc));
    exit(EXIT_FAILURE);
}

enum { WINDOWS = 3 };
static uint64_t g_window = 1 << 20; /* messages per timed window */

/* Ticks in one timed window: enough for about g_window pushes, at least 4. */
static uint64_t window_ticks(const workload *w)
{
    uint64_t t = g_window / w->m;
    return t < 4 ? 4 : t;
}

/* Called at the start of every tick: starts and ends the timed windows. */
static void clock_tick(result *r, const workload *w, uint64_t t, double *t0)
{
    uint64_t warm = max_delay(w), wt = window_ticks(w);
    if (t < warm || (t - warm) % wt != 0)
        return;
    double now = now_s();
    if (t > warm) {
        double ns = (now - *t0) * 1e9 / ((double)wt * w->m);
        if (r->ns_per_msg == 0 || ns < r->ns_per_msg)
            r->ns_per_msg = ns;
    }
    *t0 = now;
}

static uint64_t total_ticks(const workload *w)
{
    /* one more tick closes the last window */
    return max_delay(w) + WINDOWS * window_ticks(w) + 1;
}

static result run_sched(const workload *w, const uint32_t *pool)
{
    result r = {0};
    myl_sched *s = NULL;
    int rc = myl_sched_new(0, w->d, &s);
    if (rc)
        die("myl_sched_new", rc);
    uint64_t ticks = total_ticks(w);
    uint32_t id = 0;
    size_t pi = 0;
    double t0 = 0;
    for (uint64_t t = 0; t < ticks; t++) {
        clock_tick(&r, w, t, &t0);
        const myl_msg *msgs;
        size_t n;
        rc = myl_sched_take(s, &msgs, &n);
        if (rc)
            die("myl_sched_take", rc);
        for (size_t i = 0; i < n; i++)
            r.checksum = r.checksum * 0x100000001b3u + msgs[i].a;
        r.popped += n;
        for (uint32_t j = 0; j < w->m; j++) {
            rc = myl_sched_push(s, t + pool[pi++ & (POOL - 1)], (myl_msg){id++, 0});
            if (rc)
                die("myl_sched_push", rc);
        }
    }
    r.pushed = window_ticks(w) * w->m;
    r.queued = myl_sched_size(s);
    myl_sched_free(s);
    return r;
}

static result run_heap(const workload *w, const uint32_t *pool)
{
    result r = {0};
    bheap h = {0};
    uint64_t ticks = total_ticks(w);
    uint32_t id = 0;
    size_t pi = 0;
    double t0 = 0;
    for (uint64_t t = 0; t < ticks; t++) {
        clock_tick(&r, w, t, &t0);
        while (h.n && h.v[0].tick == t) {
            hent e = bheap_pop(&h);
            r.checksum = r.checksum * 0x100000001b3u + e.m.a;
            r.popped++;
        }
        for (uint32_t j = 0; j < w->m; j++) {
            int rc = bheap_push(&h, t + pool[pi++ & (POOL - 1)], (myl_msg){id++, 0});
            if (rc)
                die("heap push", rc);
        }
    }
    r.pushed = window_ticks(w) * w->m;
    r.queued = h.n;
    free(h.v);
    return r;
}

int main(int argc, char **argv)
{
    enum { QUICK, DEFAULT, FULL } mode = DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            mode = QUICK;
        } else if (strcmp(argv[i], "--full") == 0) {
            mode = FULL;
        } else {
            fprintf(stderr, "usage: %s [--quick | --full]\n", argv[0]);
            return EXIT_FAILURE;
        }
    }
    static const uint32_t ms[] = {100, 10000, 100000};
    static const uint32_t ds[] = {1, 16, 64, 1000};
    /* Cases whose warm-up alone would push more than this are left to --full. */
    const double budget = mode == QUICK ? 2e5 : mode == DEFAULT ? 3e6 : 1e300;
    if (mode == QUICK)
        g_window = 1 << 16;

    uint32_t *pool = malloc(POOL * sizeof *pool);
    if (!pool)
        die("delay pool", MYL_ENOMEM);
    printf("%-14s %7s %5s %10s %10s %12s %12s %10s\n", "workload", "M", "D", "queued", "per window",
           "sched ns/msg", "heap ns/msg", "heap/sched");
    int skipped = 0, bad = 0;
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
        for (size_t di = 0; di < sizeof ds / sizeof ds[0]; di++)
            for (int k = DIST_CONST; k <= DIST_MIX; k++) {
                workload w = {(enum dist)k, ms[mi], ds[di]};
                /* with D = 1 the three distributions are the same but for the far 1% */
                if (w.d == 1 && k == DIST_UNIFORM)
                    continue;
                if ((double)max_delay(&w) * w.m > budget) {
                    skipped++;
                    continue;
                }
                fill_pool(pool, &w);
                result a = run_sched(&w, pool);
                result b = run_heap(&w, pool);
                if (a.checksum != b.checksum || a.popped != b.popped || a.queued != b.queued) {
                    fprintf(stderr, "bench-sched: %s M=%u D=%u: the queues disagree\n",
                            dist_name[k], w.m, w.d);
                    bad = 1;
                }
                printf("%-14s %7u %5u %10zu %10llu %12.1f %12.1f %10.2f\n", dist_name[k], w.m, w.d,
                       a.queued, (unsigned long long)a.pushed, a.ns_per_msg, b.ns_per_msg,
                       b.ns_per_msg / a.ns_per_msg);
                fflush(stdout);
            }
    if (skipped)
        printf("(%d larger cases skipped; run with --full for all of them)\n", skipped);
    free(pool);
    return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
