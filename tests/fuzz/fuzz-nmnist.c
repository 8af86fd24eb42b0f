/* libFuzzer target for the N-MNIST / N-Caltech101 .bin reader (sim/io/trace_nmnist.c). Each input
 * is read from memory as nmnist (through a source that hands out a few bytes at a time for some
 * inputs, in batches of a size taken from the last byte), and the events are compared with a
 * plain decoder written here from the specification; then it is read once more with the format
 * detected (the probe must not misbehave on any bytes). A length that is not a multiple of 5
 * must fail with MYL_EPARSE naming the offset of the partial record, after every whole event.
 *
 * Corpus: tests/fuzz/corpus/nmnist. Build by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. \
 *     -DMYL_HAVE_TRACE_NATIVE -DMYL_HAVE_TRACE_CSV -DMYL_HAVE_TRACE_NMNIST \
 *     tests/fuzz/fuzz-nmnist.c sim/io/trace.c sim/io/bytes.c sim/io/trace_native.c \
 *     sim/io/trace_csv.c sim/io/trace_nmnist.c sim/core/err.c sim/core/alloc.c -o fuzz-nmnist
 *   ./fuzz-nmnist -rss_limit_mb=1024 corpus-copy/ tests/fuzz/corpus/nmnist
 */
#include "myelin/alloc.h"
#include "myelin/trace.h"

#include <sanitizer/asan_interface.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem {
    const uint8_t *p;
    size_t n, pos, chunk;
} mem;

/* Fills buf with the next bytes, and poisons the rest of the room it was given: the reader's
 * window is one large allocation, so without this ASan could not see a read past the bytes the
 * stream has delivered. */
static int mem_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    (void)d;
    mem *m = ctx;
    size_t k = m->n - m->pos;
    if (k > n)
        k = n;
    if (m->chunk && k > m->chunk)
        k = m->chunk;
    ASAN_UNPOISON_MEMORY_REGION(buf, k);
    memcpy(buf, m->p + m->pos, k);
    ASAN_POISON_MEMORY_REGION(buf + k, n - k);
    m->pos += k;
    *got = k;
    return 0;
}

/* Large blocks (the 1 MiB read window, the writers' buffers) are kept for reuse instead of
 * going back to ASan, which maps fresh pages for each one and makes every run cost
 * milliseconds. A kept block is poisoned, so a use after free is still caught. */
#define POOL_MIN (64u << 10)
#define POOL_MAX 8

static struct {
    void *p;
    size_t n;
    int free;
} g_pool[POOL_MAX];

static void *pool_malloc(size_t n)
{
    if (n >= POOL_MIN)
        for (int i = 0; i < POOL_MAX; i++)
            if (g_pool[i].p && g_pool[i].free && g_pool[i].n == n) {
                g_pool[i].free = 0;
                ASAN_UNPOISON_MEMORY_REGION(g_pool[i].p, n);
                return g_pool[i].p;
            }
    void *p = malloc(n);
    if (p && n >= POOL_MIN)
        for (int i = 0; i < POOL_MAX; i++)
            if (!g_pool[i].p) {
                g_pool[i].p = p, g_pool[i].n = n, g_pool[i].free = 0;
                break;
            }
    return p;
}

static void pool_free(void *p)
{
    for (int i = 0; p && i < POOL_MAX; i++)
        if (g_pool[i].p == p) {
            if (g_pool[i].free)
                abort(); /* double free */
            g_pool[i].free = 1;
            ASAN_POISON_MEMORY_REGION(p, g_pool[i].n);
            return;
        }
    free(p);
}

static void *pool_realloc(void *p, size_t n)
{
    for (int i = 0; p && i < POOL_MAX; i++)
        if (g_pool[i].p == p) {
            void *q = pool_malloc(n);
            if (q)
                memcpy(q, p, n < g_pool[i].n ? n : g_pool[i].n);
            if (q)
                pool_free(p);
            return q;
        }
    return realloc(p, n);
}

/* Every reader and writer is closed at the end of a run: a large block still out is a leak
 * (LeakSanitizer would not see it, the pool still points at it). */
static void pool_check(void)
{
    for (int i = 0; i < POOL_MAX; i++)
        if (g_pool[i].p && !g_pool[i].free)
            abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    myl_alloc_set(pool_malloc, pool_realloc, pool_free);
    return 0;
}

/* The specification, plainly: event i of the output for record j. */
static int ref_next(const uint8_t *data, size_t size, size_t *j, int64_t *off, myl_event *e)
{
    for (; *j + 5 <= size; *j += 5) {
        const uint8_t *r = data + *j;
        if (r[1] == 240) {
            *off += 8192;
            continue;
        }
        e->t = *off + ((int64_t)(r[2] & 0x7f) << 16) + ((int64_t)r[3] << 8) + r[4];
        e->x = r[0];
        e->y = r[1];
        e->p = r[2] >> 7;
        *j += 5;
        return 1;
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, myl_trace_format f, size_t chunk, size_t cap)
{
    mem m = {data, size, 0, chunk};
    myl_bytes b = {.read = mem_read, .ctx = &m, .name = "fuzz"};
    myl_trace_opts o = {.format = f, .csv_units = -1};
    myl_reader *r = NULL;
    myl_diag d = {0};
    myl_event buf[64];
    size_t j = 0;
    int64_t off = 0;
    int rc = myl_reader_open(&b, &o, &r, &d);
    if (rc) {
        if (f == MYL_TRACE_NMNIST || rc != MYL_EPARSE || !d.set || strncmp(d.msg, "fuzz: ", 6) != 0)
            abort();
        return;
    }
    int mine = myl_reader_meta(r)->format == MYL_TRACE_NMNIST;
    if (f == MYL_TRACE_UNKNOWN && mine && ((size < 4096 && size % 5 != 0) || size < 40))
        abort(); /* the probe takes at least 8 records, whole ones when it sees the end */
    while (rc == 0) {
        size_t n = 0;
        rc = myl_reader_read(r, buf, cap, &n, &d);
        if (rc || n == 0)
            break;
        if (n > cap)
            abort();
        for (size_t i = 0; mine && i < n; i++) {
            myl_event e;
            if (!ref_next(data, size, &j, &off, &e) || e.t != buf[i].t || e.x != buf[i].x ||
                e.y != buf[i].y || e.p != buf[i].p)
                abort();
        }
    }
    if (mine) {
        myl_event e;
        if (ref_next(data, size, &j, &off, &e))
            abort(); /* an event was missed */
        if ((size % 5 == 0) != (rc == 0))
            abort();
        if (rc) {
            char want[64];
            snprintf(want, sizeof want, "fuzz: byte %zu: truncated", size - size % 5);
            if (rc != MYL_EPARSE || strncmp(d.msg, want, strlen(want)) != 0)
                abort();
        }
    } else if (rc && (rc != MYL_EPARSE || strncmp(d.msg, "fuzz: ", 6) != 0)) {
        abort();
    }
    myl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = size ? 1 + data[size - 1] % 64 : 1;
    size_t chunk = size % 4 == 1 ? 1 + size % 9 : 0;
    run(data, size, MYL_TRACE_NMNIST, chunk, cap);
    run(data, size, MYL_TRACE_UNKNOWN, 0, 64);
    pool_check();
    return 0;
}
