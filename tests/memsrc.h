/* A byte source over a buffer, for the trace tests and fuzz targets: it hands out at most
 * `chunk` bytes a call (0: all it is asked for), so that a reader can be shown not to care how
 * its bytes arrive; it can fail from a given offset on, and can poison the part of the reader's
 * buffer it did not fill, so that AddressSanitizer catches a read past what was delivered. */
#ifndef MYL_TESTS_MEMSRC_H
#define MYL_TESTS_MEMSRC_H

#include "myelin/trace.h"

#include <stddef.h>
#include <stdint.h>

typedef struct memsrc {
    const uint8_t *p;
    size_t n, pos;
    size_t chunk; /* at most this many bytes a call; 0: as many as asked */
    size_t stall; /* a read starting at or after this offset fails with MYL_EINTR (0: never) */
    int poison;   /* poison the rest of each buffer handed in (under ASan) */
} memsrc;

/* A source named `name` over p[0 .. n): m holds its state and must outlive the reader. */
myl_bytes memsrc_bytes(memsrc *m, const void *p, size_t n, size_t chunk, const char *name);

#endif
