#include "pool.h"

#include "myelin/alloc.h"

#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

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

void pool_check(void)
{
    for (int i = 0; i < POOL_MAX; i++)
        if (g_pool[i].p && !g_pool[i].free)
            abort();
}

void pool_install(void)
{
    myl_alloc_set(pool_malloc, pool_realloc, pool_free);
}
