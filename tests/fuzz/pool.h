/* An allocator for the trace fuzz targets: large blocks (the 1 MiB read window, the writers'
 * buffers) are kept for reuse instead of going back to ASan, which maps fresh pages for each one
 * and makes every run cost milliseconds. A kept block is poisoned, so a use after free is still
 * caught. */
#ifndef MYL_FUZZ_POOL_H
#define MYL_FUZZ_POOL_H

/* Route myelin's allocations (myl_alloc_set) through the pool. */
void pool_install(void);
/* Abort if a large block is still out: every reader and writer is closed at the end of a run,
 * so one is a leak (LeakSanitizer would not see it, the pool still points at it). */
void pool_check(void);

#endif
