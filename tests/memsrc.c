#include "memsrc.h"

#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMSRC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MEMSRC_ASAN 1
#endif
#ifdef MEMSRC_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

static int memsrc_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    memsrc *m = ctx;
    if (m->stall && m->pos >= m->stall)
        return myl_diag_fail(d, MYL_EINTR, "test source: read past the stall point");
    size_t k = m->n - m->pos;
    if (k > n)
        k = n;
    if (m->chunk && k > m->chunk)
        k = m->chunk;
    if (m->poison)
        ASAN_UNPOISON_MEMORY_REGION(buf, k);
    if (k)
        memcpy(buf, m->p + m->pos, k);
    if (m->poison)
        ASAN_POISON_MEMORY_REGION(buf + k, n - k);
    m->pos += k;
    *got = k;
    return 0;
}

myl_bytes memsrc_bytes(memsrc *m, const void *p, size_t n, size_t chunk, const char *name)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->n = n;
    m->chunk = chunk;
    myl_bytes b = {.read = memsrc_read, .ctx = m, .name = name};
    return b;
}
