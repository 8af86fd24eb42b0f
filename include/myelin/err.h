/* Error codes and diagnostics.
 *
 * Every public function that can fail returns an int: 0 on success, a negative MYL_E* code on
 * failure. The codes come from one X-macro list so that the enum, myl_strerror() and
 * myl_err_name() never disagree. Functions that read outside input also take a myl_diag, into
 * which they write a human-readable message that names the file, line or byte offset and what
 * was expected; the code says what kind of failure it was, the diag says where and why.
 */
#ifndef MYELIN_ERR_H
#define MYELIN_ERR_H

#include <stddef.h>

#define MYL_ERRNO_MAP(X)                                                                           \
    X(INVAL, -1, "invalid argument")                                                               \
    X(NOMEM, -2, "out of memory")                                                                  \
    X(IO, -3, "input/output error")                                                                \
    X(PARSE, -4, "malformed input")                                                                \
    X(RANGE, -5, "value out of range")                                                             \
    X(NOTFOUND, -6, "not found")                                                                   \
    X(TOOBIG, -7, "too large")                                                                     \
    X(NOFIT, -8, "does not fit the hardware")                                                      \
    X(DB, -9, "results database error")                                                            \
    X(INTR, -10, "interrupted")                                                                    \
    X(STATE, -11, "operation not valid in this state")                                             \
    X(EOF, -12, "end of stream")

typedef enum {
#define MYL_ERR_ENUM_(name, val, str) MYL_E##name = val,
    MYL_ERRNO_MAP(MYL_ERR_ENUM_)
#undef MYL_ERR_ENUM_
} myl_errno;

/* A message slot for errors in outside input. Zero-initialise it; functions that fail write the
 * first (most specific) message and leave later ones alone, so the root cause survives. */
typedef struct myl_diag {
    int set;
    char msg[1024];
} myl_diag;

const char *myl_strerror(int rc);
const char *myl_err_name(int rc);

/* Write a message into diag (if it is non-NULL and not already set) and return rc. Lets callers
 * write `return myl_diag_fail(d, MYL_EPARSE, "%s:%d: expected ...", file, line);`. */
int myl_diag_fail(myl_diag *d, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Clear a diag so it can be reused. */
void myl_diag_clear(myl_diag *d);

#endif
