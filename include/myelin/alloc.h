/* Memory allocation hook.
 *
 * All of myelin's heap allocations go through these functions, so that a test can make the N-th
 * allocation fail and check that every caller turns that into MYL_ENOMEM and leaks nothing.
 */
#ifndef MYELIN_ALLOC_H
#define MYELIN_ALLOC_H

#include <stddef.h>

typedef void *(*myl_malloc_fn)(size_t size);
typedef void *(*myl_realloc_fn)(void *ptr, size_t size);
typedef void (*myl_free_fn)(void *ptr);

/* Replace the allocator (NULLs restore libc's). Not thread-safe: call before anything runs. */
void myl_alloc_set(myl_malloc_fn m, myl_realloc_fn r, myl_free_fn f);

void *myl_malloc(size_t size);
void *myl_calloc(size_t n, size_t size); /* checks n * size for overflow */
void *myl_realloc(void *ptr, size_t size);
/* realloc for arrays: checks n * size for overflow. */
void *myl_reallocarray(void *ptr, size_t n, size_t size);
/* 64-byte aligned, zeroed; free with myl_afree. */
void *myl_aligned_calloc(size_t n, size_t size);
void myl_afree(void *ptr);
void myl_free(void *ptr);
char *myl_strdup(const char *s);

#endif
