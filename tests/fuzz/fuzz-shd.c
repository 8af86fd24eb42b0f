/* libFuzzer target for the SHD/SSC (HDF5) reader. libhdf5 reads files from a path, so each input
 * is written to one temporary file, probed (myl__shd_probe_file), opened as SHD
 * (myl_reader_open_file) for sample 0 and for a sample chosen by the last byte, and read to the
 * end. Any input must either read, giving events inside the sensor the metadata states, or fail
 * with a parse, range, size or I/O code (or out of memory) and a message naming the file; in
 * both cases no libhdf5 handle may stay open (H5Fget_obj_count), no descriptor may stay open, no
 * child may be left unreaped, and every buffer myelin allocated (through myl_alloc, counted
 * here; that includes the variable-length buffers libhdf5 fills) must be freed.
 *
 * The reader runs libhdf5 in a forked child (sim/io/trace_shd.c), so that a crash, a runaway
 * allocation or a hang inside libhdf5 is a clean error here. Each input is read twice:
 *   - isolated: probe and open as a user's program does (a fork each). Whatever libhdf5 does,
 *     the result must be one of the above. The children's time limit is MYELIN_HDF5_TIMEOUT,
 *     set here to 2 s unless the environment sets it (give libFuzzer -timeout=10 or more).
 *   - direct: the same reading with libhdf5 in this process (myl__shd_probe_file_direct,
 *     myl__shd_open_file_direct), because coverage and the sanitizers see only this process: a
 *     child's execution is invisible to the fuzzer, and a sanitizer report in a child would be
 *     only one more "crashed" error. When the isolated read ended normally (anything but a
 *     crash, a time-out or a malformed answer), both must give the same code, message, metadata
 *     and events. A crash inside libhdf5 stops the run here, as it would any program calling
 *     libhdf5 directly: triage each artifact by its stack.
 * MYL_FUZZ_SHD=isolated skips the direct read (the user's path alone: nothing may crash, but the
 * reading code is not covered); MYL_FUZZ_SHD=direct skips the isolated one (no fork per input).
 *
 * An input that starts with the 8 bytes of a child's answer ("myl-shd\1") goes instead to
 * myl__shd_decode, the parent's reading of an answer: whatever the bytes, a clean result, and
 * on success events inside the sensor the metadata states.
 *
 * libhdf5 itself is not hardened against hostile files (its issue tracker has a steady stream
 * of CVEs for crashes on crafted files). libhdf5 1.10 leaks small blocks on some of its own error
 * paths (LeakSanitizer shows them under H5D_open); to fuzz past them, suppress leaks inside
 * libhdf5 (LSAN_OPTIONS=suppressions=, a file with the line `leak:libhdf5`): myelin's own
 * buffers are still counted by the allocator below.
 *
 * Found with libhdf5 1.10.8 (Debian), 20 minutes, 33k inputs, read in-process: all of it inside
 * libhdf5, none in myelin. Wild reads in H5HG_read (a global-heap object size taken from the
 * file) and in the global heap's and the file accumulator's decoding (SEGV, also under
 * H5Lexists, so merely probing a crafted file can crash); allocations of 30 GiB to 10^18 bytes
 * asked for by H5T__conv_vlen and H5C_protect from sizes in the file; loops that do not end
 * within a minute without sanitizers; 64-byte leaks under H5D_open. libhdf5 is not
 * instrumented, so coverage guides the fuzzer through myelin's code only. Isolated, each of
 * these is an error naming the file (tests/data/shd/libhdf5-*.h5 keep one of each kind for
 * tests/test-trace-shd.c).
 *
 * Corpus: tests/fuzz/corpus/shd (files made by h5py, cut and foreign ones; tests/data/shd/gen.py).
 * Build (tests/fuzz/meson.build): CC=clang meson setup build-fuzz -Dfuzz=true; then
 *   ninja -C build-fuzz tests/fuzz/fuzz-shd && cp -r tests/fuzz/corpus/shd corpus-copy
 *   echo leak:libhdf5 > supp
 *   LSAN_OPTIONS=suppressions=supp build-fuzz/tests/fuzz/fuzz-shd -fork=1 -ignore_crashes=1 \
 *       -ignore_timeouts=1 -ignore_ooms=1 -timeout=10 -malloc_limit_mb=1024 corpus-copy/
 * (libhdf5's crashes in the direct read would stop a plain run within minutes.) libFuzzer's
 * malloc limit also applies inside the isolated read's children, which then stop with an
 * out-of-memory report of their own and leave an oom- artifact although this process handled
 * the input cleanly; with MYL_FUZZ_SHD=isolated, give -rss_limit_mb=0 -malloc_limit_mb=0 and let
 * the children's time limit bound them.
 */
#include "myelin/alloc.h"
#include "myelin/trace.h"
#include "sim/io/trace_internal.h"

#include <hdf5.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* sim/io/trace_shd.c: libhdf5 in this process, and the parent's reading of an answer */
int myl__shd_open_file_direct(void *st, const char *path, const myl_trace_opts *o,
                              myl_trace_meta *meta, myl_diag *d);
int myl__shd_probe_file_direct(const char *path);
int myl__shd_decode(int fd, const char *path, void *st, myl_trace_meta *meta, myl_diag *d);

static char g_path[256];
static long g_live;                      /* myelin's blocks not yet freed */
static int g_isolated = 1, g_direct = 1; /* which reads to do (MYL_FUZZ_SHD) */

static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        g_live++;
    return p;
}

static void *count_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q && !p)
        g_live++;
    return q;
}

static void count_free(void *p)
{
    if (p)
        g_live--;
    free(p);
}

static void remove_tmp(void)
{
    if (g_path[0])
        unlink(g_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("TMPDIR");
    snprintf(g_path, sizeof g_path, "%s/fuzz-shd-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(g_path);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    close(fd);
    atexit(remove_tmp);
    myl_alloc_set(count_malloc, count_realloc, count_free);
    const char *mode = getenv("MYL_FUZZ_SHD");
    if (mode && strcmp(mode, "isolated") == 0)
        g_direct = 0;
    else if (mode && strcmp(mode, "direct") == 0)
        g_isolated = 0;
    setenv("MYELIN_HDF5_TIMEOUT", "2", 0);
    return 0;
}

static void check_no_handles(void)
{
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
        fprintf(stderr, "libhdf5 handles left open\n");
        abort();
    }
}

static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

/* What one open gave. */
typedef struct outcome {
    int rc;
    char msg[1024];
    myl_trace_meta meta;
    uint64_t n, sum; /* events, and a checksum of them */
} outcome;

static void check_meta(const myl_trace_meta *m)
{
    if (m->format != MYL_TRACE_SHD || m->channels < 1 || m->channels > 65536 ||
        m->width != m->channels || m->height != 1 || m->label < -1 ||
        strnlen(m->label_name, sizeof m->label_name) >= sizeof m->label_name)
        abort();
}

/* A failure must have one of the expected codes and a message naming the file. */
static void check_failure(int rc, const myl_diag *d, int nomem_ok)
{
    if ((rc != MYL_EPARSE && rc != MYL_ERANGE && rc != MYL_ETOOBIG && rc != MYL_EIO &&
         !(nomem_ok && rc == MYL_ENOMEM)) ||
        !d->set || strncmp(d->msg, g_path, strlen(g_path)) != 0) {
        fprintf(stderr, "bad failure %d: %s\n", rc, d->msg);
        abort();
    }
}

/* Read the events of reader state st (myl__shd_ops) to the end: each inside the sensor of m;
 * counted and summed into o. */
static void read_events(void *st, const myl_trace_meta *m, outcome *o)
{
    myl_event ev[512];
    size_t n;
    int rc;
    myl_diag d = {0};
    while ((rc = myl__shd_ops.read(st, NULL, ev, 512, &n, &d)) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++) {
            if (ev[i].t < 0 || ev[i].x >= m->channels || ev[i].y != 0 || ev[i].p != 1)
                abort();
            o->sum = o->sum * 31 + (uint64_t)ev[i].t * 65537 + ev[i].x;
        }
        o->n += n;
    }
    if (rc || o->n > (1u << 24))
        abort();
}

/* Isolated: through the registry, as a user's program opens it. */
static void open_isolated(int64_t sample, outcome *o)
{
    myl_trace_opts opt = {0};
    opt.format = MYL_TRACE_SHD;
    opt.sample = sample;
    myl_reader *r = NULL;
    myl_diag d = {0};
    memset(o, 0, sizeof *o);
    o->rc = myl_reader_open_file(g_path, &opt, &r, &d);
    check_no_handles();
    if (o->rc) {
        if (r)
            abort();
        check_failure(o->rc, &d, 1);
        snprintf(o->msg, sizeof o->msg, "%s", d.msg);
        return;
    }
    o->meta = *myl_reader_meta(r);
    check_meta(&o->meta);
    myl_event ev[512];
    size_t n;
    int rc;
    while ((rc = myl_reader_read(r, ev, 512, &n, &d)) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++) {
            if (ev[i].t < 0 || ev[i].x >= o->meta.channels || ev[i].y != 0 || ev[i].p != 1)
                abort();
            o->sum = o->sum * 31 + (uint64_t)ev[i].t * 65537 + ev[i].x;
        }
        o->n += n;
    }
    if (rc || o->n > (1u << 24))
        abort();
    myl_reader_close(r);
}

/* Direct: a reader state filled with libhdf5 in this process. */
static void open_direct(int64_t sample, outcome *o)
{
    myl_trace_opts opt = {0};
    opt.format = MYL_TRACE_SHD;
    opt.sample = sample;
    myl_diag d = {0};
    memset(o, 0, sizeof *o);
    void *st = myl_calloc(1, myl__shd_ops.state_size);
    if (!st)
        abort();
    o->meta.format = MYL_TRACE_SHD;
    o->meta.label = -1;
    o->rc = myl__shd_open_file_direct(st, g_path, &opt, &o->meta, &d);
    check_no_handles();
    if (o->rc) {
        check_failure(o->rc, &d, 0);
        snprintf(o->msg, sizeof o->msg, "%s", d.msg);
    } else {
        check_meta(&o->meta);
        read_events(st, &o->meta, o);
    }
    myl__shd_ops.close(st);
    myl_free(st);
}

/* Did the isolated read end normally, so that the direct one must agree with it? */
static int ended_normally(const outcome *o)
{
    return o->rc == 0 || (!strstr(o->msg, ": libhdf5 crashed reading it") &&
                          !strstr(o->msg, ": libhdf5 did not finish reading it") &&
                          !strstr(o->msg, ": libhdf5's process gave a malformed answer"));
}

static void open_and_read(int64_t sample)
{
    outcome iso, dir;
    if (g_isolated)
        open_isolated(sample, &iso);
    if (!g_direct)
        return;
    open_direct(sample, &dir);
    if (g_isolated && ended_normally(&iso) &&
        (iso.rc != dir.rc || strcmp(iso.msg, dir.msg) != 0 || iso.n != dir.n ||
         iso.sum != dir.sum ||
         (iso.rc == 0 &&
          (iso.meta.channels != dir.meta.channels || iso.meta.label != dir.meta.label ||
           strcmp(iso.meta.label_name, dir.meta.label_name) != 0)))) {
        fprintf(
            stderr, "isolated and direct reads differ:\n  %d %s (%llu events)\n  %d %s (%llu)\n",
            iso.rc, iso.msg, (unsigned long long)iso.n, dir.rc, dir.msg, (unsigned long long)dir.n);
        abort();
    }
}

/* An input that is a child's answer: the parent's checks of it. */
static void decode_answer(void)
{
    int fd = open(g_path, O_RDONLY);
    if (fd < 0)
        abort();
    void *st = myl_calloc(1, myl__shd_ops.state_size);
    if (!st)
        abort();
    myl_trace_meta m = {0};
    m.format = MYL_TRACE_SHD;
    myl_diag d = {0};
    int rc = myl__shd_decode(fd, g_path, st, &m, &d);
    close(fd);
    if (rc) {
        check_failure(rc, &d, 1);
    } else {
        check_meta(&m);
        outcome o = {0};
        read_events(st, &m, &o);
    }
    myl__shd_ops.close(st);
    myl_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds = count_fds();
    FILE *f = fopen(g_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    if (size >= 8 && memcmp(data, "myl-shd\1", 8) == 0) {
        decode_answer();
    } else {
        if (g_isolated)
            (void)myl__shd_probe_file(g_path);
        if (g_direct)
            (void)myl__shd_probe_file_direct(g_path);
        check_no_handles();
        open_and_read(0);
        if (size > 0 && data[size - 1] % 4)
            open_and_read(data[size - 1] % 4);
    }
    int status;
    if (waitpid(-1, &status, WNOHANG) > 0) {
        fprintf(stderr, "a child was left unreaped\n");
        abort();
    }
    if (count_fds() != fds) {
        fprintf(stderr, "descriptors left open: %d, %d before\n", count_fds(), fds);
        abort();
    }
    if (g_live != 0) {
        fprintf(stderr, "myelin leaked %ld blocks\n", g_live);
        abort();
    }
    return 0;
}
