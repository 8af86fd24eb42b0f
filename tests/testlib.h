/* Helpers shared by the test suites. */
#ifndef MYL_TESTLIB_H
#define MYL_TESTLIB_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Run a suite with the default runner; returns the process exit code. */
int myl_test_run(Suite *s);

/* Path of a file under the source tree (tests/data/..., ../shared/data/...): static buffer. */
const char *myl_test_src(const char *rel);
/* A fresh temporary directory for this process; files created there are removed at exit. */
const char *myl_test_tmpdir(void);
/* Path in the temporary directory: static rotating buffers (8). */
const char *myl_test_tmp(const char *name);
/* Does the shared sample data folder exist? Tests that need it skip when it does not. */
int myl_test_have_shared(void);

/* Allocation failure injection: after myl_test_fail_after(n), the n-th allocation from now (1 =
 * next) fails, and all later ones succeed. myl_test_fail_after(0) disarms. Returns how many
 * allocations were made since arming. */
void myl_test_fail_after(long n);
long myl_test_alloc_count(void);

#endif
