/* Scheduler: calendar ring of one-tick buckets plus an overflow heap (see sched.h for the
 * ordering argument). A bucket is a growable array; taking a tick swaps its array with a spare,
 * so the caller can read the taken messages while pushing new ones. */
#include "myelin/sched.h"

#include "myelin/alloc.h"
#include "myelin/err.h"

#include <string.h>

typedef struct bucket {
    myl_msg *v;
    size_t n, cap;
} bucket;

typedef struct far_msg {
    uint64_t tick;
    uint64_t seq;
    myl_msg m;
} far_msg;

struct myl_sched {
    uint64_t now;
    uint64_t seq; /* next sequence number for the heap */
    uint32_t nb;  /* buckets, a power of two */
    size_t queued;
    bucket *b;
    bucket spare; /* holds the messages handed out by the last take */
    far_msg *heap;
    size_t nheap, capheap;
};

int myl_sched_new(uint64_t now, uint32_t horizon, myl_sched **out)
{
    if (!out || horizon == 0 || horizon > (1u << 30))
        return MYL_EINVAL;
    uint32_t nb = 1;
    while (nb < horizon)
        nb <<= 1;
    myl_sched *s = myl_calloc(1, sizeof *s);
    if (!s)
        return MYL_ENOMEM;
    s->b = myl_calloc(nb, sizeof *s->b);
    if (!s->b) {
        myl_free(s);
        return MYL_ENOMEM;
    }
    s->nb = nb;
    s->now = now;
    *out = s;
    return 0;
}

void myl_sched_free(myl_sched *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nb; i++)
        myl_free(s->b[i].v);
    myl_free(s->b);
    myl_free(s->spare.v);
    myl_free(s->heap);
    myl_free(s);
}

static int bucket_append(bucket *b, myl_msg m)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        myl_msg *v = myl_reallocarray(b->v, cap, sizeof *v);
        if (!v)
            return MYL_ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = m;
    return 0;
}

static int far_less(const far_msg *x, const far_msg *y)
{
    return x->tick < y->tick || (x->tick == y->tick && x->seq < y->seq);
}

static int heap_push(myl_sched *s, far_msg f)
{
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? s->capheap * 2 : 64;
        far_msg *h = myl_reallocarray(s->heap, cap, sizeof *h);
        if (!h)
            return MYL_ENOMEM;
        s->heap = h;
        s->capheap = cap;
    }
    size_t i = s->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!far_less(&f, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = f;
    return 0;
}

static void heap_pop(myl_sched *s)
{
    far_msg last = s->heap[--s->nheap];
    size_t i = 0, n = s->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && far_less(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!far_less(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n)
        s->heap[i] = last;
}

int myl_sched_push(myl_sched *s, uint64_t tick, myl_msg m)
{
    if (tick < s->now)
        return MYL_EINVAL;
    int rc;
    if (tick - s->now < s->nb)
        rc = bucket_append(&s->b[tick & (s->nb - 1)], m);
    else
        rc = heap_push(s, (far_msg){tick, s->seq++, m});
    if (rc == 0)
        s->queued++;
    return rc;
}

int myl_sched_push_many(myl_sched *s, uint64_t tick, const myl_msg *m, size_t n)
{
    if (tick < s->now)
        return MYL_EINVAL;
    if (tick - s->now >= s->nb) {
        /* far: through the heap one by one, undoing on failure */
        for (size_t i = 0; i < n; i++) {
            int rc = myl_sched_push(s, tick, m[i]);
            if (rc)
                return rc; /* the first i messages stay queued */
        }
        return 0;
    }
    bucket *b = &s->b[tick & (s->nb - 1)];
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n)
            cap *= 2;
        myl_msg *v = myl_reallocarray(b->v, cap, sizeof *v);
        if (!v)
            return MYL_ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    if (n)
        memcpy(b->v + b->n, m, n * sizeof *m);
    b->n += n;
    s->queued += n;
    return 0;
}

/* Move heap entries that have come within the horizon into their buckets. Called right after
 * the clock advances, before anyone can push directly into the newly opened bucket; the caller
 * has made sure the bucket has room. */
static int migrate(myl_sched *s)
{
    while (s->nheap && s->heap[0].tick - s->now < s->nb) {
        int rc = bucket_append(&s->b[s->heap[0].tick & (s->nb - 1)], s->heap[0].m);
        if (rc)
            return rc;
        heap_pop(s);
    }
    return 0;
}

int myl_sched_take(myl_sched *s, const myl_msg **msgs, size_t *n)
{
    /* The heap entries due at now + nb enter the window when the clock advances, into the
     * bucket this take empties, which is then the old spare array. Make room for them first,
     * so that nothing below can fail and a failed take changes nothing. */
    const uint64_t next = s->now + 1;
    size_t moving = 0;
    if (s->nheap && s->heap[0].tick - next < s->nb)
        for (size_t i = 0; i < s->nheap; i++)
            moving += s->heap[i].tick - next < s->nb;
    if (moving > s->spare.cap) {
        myl_msg *v = myl_reallocarray(s->spare.v, moving, sizeof *v);
        if (!v)
            return MYL_ENOMEM;
        s->spare.v = v;
        s->spare.cap = moving;
    }
    bucket *b = &s->b[s->now & (s->nb - 1)];
    bucket t = s->spare;
    s->spare = *b;
    t.n = 0;
    *b = t;
    s->queued -= s->spare.n;
    s->now = next;
    *msgs = s->spare.v;
    *n = s->spare.n;
    int rc = migrate(s);
    (void)rc; /* cannot fail: the bucket has room for every entry that moves */
    return 0;
}

uint64_t myl_sched_now(const myl_sched *s)
{
    return s->now;
}

size_t myl_sched_size(const myl_sched *s)
{
    return s->queued;
}

uint64_t myl_sched_next_tick(const myl_sched *s)
{
    if (s->queued == 0)
        return UINT64_MAX;
    for (uint32_t i = 0; i < s->nb; i++)
        if (s->b[(s->now + i) & (s->nb - 1)].n)
            return s->now + i;
    return s->nheap ? s->heap[0].tick : UINT64_MAX;
}

size_t myl_sched_memory(const myl_sched *s)
{
    size_t bytes = sizeof *s + s->nb * sizeof *s->b + s->spare.cap * sizeof(myl_msg) +
                   s->capheap * sizeof(far_msg);
    for (uint32_t i = 0; i < s->nb; i++)
        bytes += s->b[i].cap * sizeof(myl_msg);
    return bytes;
}
