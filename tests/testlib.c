/* Test helpers: paths, temporary files, and an allocator that fails on request. */
#include "testlib.h"

#include "myelin/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int myl_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

const char *myl_test_src(const char *rel)
{
    static char buf[4][4096];
    static int i;
    const char *root = getenv("MYL_SOURCE_ROOT");
    char *b = buf[i++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", root ? root : ".", rel);
    return b;
}

static char g_tmp[4096];

static void rm_tmp(void)
{
    if (!g_tmp[0])
        return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_tmp);
}

const char *myl_test_tmpdir(void)
{
    if (!g_tmp[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(g_tmp, sizeof g_tmp, "%s/myl-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(g_tmp)) {
            perror("mkdtemp");
            abort();
        }
        atexit(rm_tmp);
    }
    return g_tmp;
}

const char *myl_test_tmp(const char *name)
{
    static char buf[8][4096];
    static int i;
    char *b = buf[i++ & 7];
    snprintf(b, sizeof buf[0], "%s/%s", myl_test_tmpdir(), name);
    return b;
}

int myl_test_have_shared(void)
{
    struct stat st;
    return stat(myl_test_src("../shared/data/MANIFEST.md"), &st) == 0;
}

static long g_fail_at, g_count;

static void *failing_malloc(size_t n)
{
    g_count++;
    if (g_fail_at && g_count == g_fail_at)
        return NULL;
    return malloc(n);
}

static void *failing_realloc(void *p, size_t n)
{
    g_count++;
    if (g_fail_at && g_count == g_fail_at)
        return NULL;
    return realloc(p, n);
}

void myl_test_fail_after(long n)
{
    g_fail_at = n;
    g_count = 0;
    if (n)
        myl_alloc_set(failing_malloc, failing_realloc, free);
    else
        myl_alloc_set(NULL, NULL, NULL);
}

long myl_test_alloc_count(void)
{
    return g_count;
}
