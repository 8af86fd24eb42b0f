/* The allocation hook. Aligned allocations are carved from the hooked malloc so that failure
 * injection reaches them too: the original pointer is stored just before the aligned block. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* madvise */
#endif
#include "myelin/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

static myl_malloc_fn g_malloc = malloc;
static myl_realloc_fn g_realloc = realloc;
static myl_free_fn g_free = free;

void myl_alloc_set(myl_malloc_fn m, myl_realloc_fn r, myl_free_fn f)
{
    g_malloc = m ? m : malloc;
    g_realloc = r ? r : realloc;
    g_free = f ? f : free;
}

/* Large arrays (synapse tables, connectivity graphs, weight buffers: hundreds of MB) are first
 * touched one page at a time, and on some machines (virtual ones especially) a page fault costs
 * microseconds. Where transparent huge pages are available on request, ask for them: 512 times
 * fewer faults. Only the 2 MiB-aligned interior of the block is advised; nothing changes if the
 * kernel says no. */
#define HUGE_MIN ((size_t)8 << 20)

static void *advise_huge(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && n >= HUGE_MIN) {
        const uintptr_t huge = (uintptr_t)2 << 20;
        uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
        uintptr_t e = ((uintptr_t)p + n) & ~(huge - 1);
        if (e > a)
            (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
#else
    (void)n;
#endif
    return p;
}

void *myl_malloc(size_t size)
{
    return advise_huge(g_malloc(size ? size : 1), size);
}

void *myl_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    if (g_malloc == malloc) /* fresh pages come zeroed: no pass over them */
        return advise_huge(calloc(1, total ? total : 1), total);
    void *p = g_malloc(total ? total : 1);
    if (p)
        memset(p, 0, total);
    return p;
}

void *myl_realloc(void *ptr, size_t size)
{
    return advise_huge(g_realloc(ptr, size ? size : 1), size);
}

void *myl_reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return myl_realloc(ptr, n * size);
}

void *myl_aligned_calloc(size_t n, size_t size)
{
    enum { ALIGN = 64 };
    if (size && n > (SIZE_MAX - ALIGN - sizeof(void *)) / size)
        return NULL;
    size_t total = n * size;
    unsigned char *raw = g_malloc(total + ALIGN + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t a = ((uintptr_t)(raw + sizeof(void *)) + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    unsigned char *p = (unsigned char *)a;
    memcpy(p - sizeof(void *), &raw, sizeof raw);
    memset(p, 0, total);
    return p;
}

void myl_afree(void *ptr)
{
    if (!ptr)
        return;
    void *raw;
    memcpy(&raw, (unsigned char *)ptr - sizeof(void *), sizeof raw);
    g_free(raw);
}

void myl_free(void *ptr)
{
    if (ptr)
        g_free(ptr);
}

char *myl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = myl_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
