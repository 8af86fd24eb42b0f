/* libFuzzer target for the AEDAT 2.0 / 3.1 / 4.0 readers: each input is read to the end with
 * each AEDAT format forced, once handed out whole and once in small pieces (window boundaries
 * are where streaming readers go wrong). Every input must either read cleanly or fail with a
 * parse or size code and a message naming the input, never crash, over-read, leak or allocate
 * without bound; a failure must stay failed on the next read. Corpus: tests/fuzz/corpus/aedat
 * (files written by `test-trace-aedat --write-corpus DIR`).
 * Build and run: tests/fuzz/meson.build.
 */
#include "../memsrc.h"
#include "myelin/alloc.h"
#include "myelin/trace.h"

#include <malloc.h> /* malloc_usable_size: the harness is Linux-only, like libFuzzer */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every open allocates the registry's 1 MiB read window; under ASan each such block is a fresh
 * mmap, poisoned and unmapped again, which costs more than parsing (and, in a VM, TLB
 * shootdowns). Recycle freed blocks of exactly that size: each is still an ASan allocation with
 * its redzones, so overflows past it are still caught. */
#define WINDOW_SIZE ((size_t)1 << 20)
static void *g_spare[4];

static void *cache_malloc(size_t n)
{
    if (n == WINDOW_SIZE)
        for (int i = 0; i < 4; i++)
            if (g_spare[i]) {
                void *p = g_spare[i];
                g_spare[i] = NULL;
                return p;
            }
    return malloc(n);
}

static void cache_free(void *p)
{
    if (p && malloc_usable_size(p) == WINDOW_SIZE)
        for (int i = 0; i < 4; i++)
            if (!g_spare[i]) {
                g_spare[i] = p;
                return;
            }
    free(p);
}

static void bad_failure(int rc, const myl_diag *d)
{
    if ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) || !d->set ||
        strncmp(d->msg, "fuzz.aedat: ", 12) != 0)
        abort();
}

static void one(const uint8_t *data, size_t size, myl_trace_format f, size_t chunk, size_t cap)
{
    static myl_event ev[1024];
    memsrc m;
    myl_bytes src = memsrc_bytes(&m, data, size, chunk, "fuzz.aedat");
    myl_trace_opts o = {0};
    o.format = f;
    myl_reader *r = NULL;
    myl_diag d = {0};
    int rc = myl_reader_open(&src, &o, &r, &d);
    if (rc) {
        bad_failure(rc, &d);
        return;
    }
    const myl_trace_meta *meta = myl_reader_meta(r);
    if (meta->format != f || memchr(meta->source, 0, sizeof meta->source) == NULL ||
        memchr(meta->streams, 0, sizeof meta->streams) == NULL)
        abort();
    uint64_t total = 0;
    for (;;) {
        size_t n = 0;
        myl_diag_clear(&d);
        rc = myl_reader_read(r, ev, cap, &n, &d);
        if (rc) {
            bad_failure(rc, &d);
            myl_diag d2 = {0};
            size_t n2 = 1;
            if (myl_reader_read(r, ev, cap, &n2, &d2) != rc || n2 != 0) /* sticky */
                abort();
            break;
        }
        if (n == 0)
            break;
        if (n > cap)
            abort();
        for (size_t i = 0; i < n; i++)
            if (ev[i].p > 1 || ev[i].pad[0] || ev[i].pad[1] || ev[i].pad[2])
                abort();
        total += n;
        /* AEDAT 2.0 and 3.1 records are 8 bytes: never more events than that */
        if (f != MYL_TRACE_AEDAT4 && total > size / 8)
            abort();
    }
    myl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    myl_alloc_set(cache_malloc, realloc, cache_free);
    static const myl_trace_format fs[] = {MYL_TRACE_AEDAT2, MYL_TRACE_AEDAT3, MYL_TRACE_AEDAT4};
    size_t chunk = 1 + (size * 2654435761u >> 7) % 61; /* varies with the input, reproducibly */
    for (int k = 0; k < 3; k++) {
        one(data, size, fs[k], 0, 1024);
        one(data, size, fs[k], chunk, 1 + chunk % 17);
    }
    return 0;
}
