/* libFuzzer target for the SHD/SSC (HDF5) reader. libhdf5 reads files from a path, so each input
 * is written to one temporary file, probed (myl__shd_probe_file), opened as SHD
 * (myl_reader_open_file) for sample 0 and for a sample chosen by the last byte, and read to the
 * end. Any input must either read, giving events inside the sensor the metadata states, or fail
 * with a parse, range, size or I/O code and a message naming the file; in both cases no libhdf5
 * handle may stay open (H5Fget_obj_count) and every buffer myelin allocated (through myl_alloc,
 * counted here; that includes the variable-length buffers libhdf5 fills) must be freed.
 *
 * libhdf5 itself is not hardened against hostile files (its issue tracker has a steady stream
 * of CVEs for crashes on crafted files): a crash whose stack is inside libhdf5 is libhdf5's, and is
 * reported as such, not hidden here. What this target holds myelin to is its own code: no over-read
 * of what libhdf5 hands back, no handle or buffer leaked on any error path. libhdf5 1.10 leaks
 * small blocks on some of its own error paths (LeakSanitizer shows them under H5D_open); to fuzz
 * past them, suppress leaks inside libhdf5 (LSAN_OPTIONS=suppressions=, a file with the line
 * `leak:libhdf5`): myelin's own buffers are still counted by the allocator below.
 *
 * Found with libhdf5 1.10.8 (Debian), 20 minutes, 33k inputs: all of it inside libhdf5, none in
 * myelin. Wild reads in H5HG_read (a global-heap object size taken from the file) and in the
 * global heap's and the file accumulator's decoding (SEGV, also under H5Lexists, so merely
 * probing a crafted file can crash); allocations of 30 GiB to 10^18 bytes asked for by
 * H5T__conv_vlen and H5C_protect from sizes in the file; loops that do not end within a minute
 * without sanitizers; 64-byte leaks under H5D_open. libhdf5 is not instrumented, so coverage
 * guides the fuzzer through myelin's code only.
 *
 * Corpus: tests/fuzz/corpus/shd (files made by h5py, cut and foreign ones; tests/data/shd/gen.py).
 * Build (tests/fuzz/meson.build): CC=clang meson setup build-fuzz -Dfuzz=true; then
 *   ninja -C build-fuzz tests/fuzz/fuzz-shd && cp -r tests/fuzz/corpus/shd corpus-copy
 *   echo leak:libhdf5 > supp
 *   LSAN_OPTIONS=suppressions=supp build-fuzz/tests/fuzz/fuzz-shd -fork=1 -ignore_crashes=1 \
 *       -ignore_timeouts=1 -ignore_ooms=1 -timeout=5 -malloc_limit_mb=1024 corpus-copy/
 * (libhdf5's crashes would stop a plain run within minutes; triage each artifact by its stack.)
 */
#include "myelin/alloc.h"
#include "myelin/trace.h"
#include "sim/io/trace_internal.h"

#include <hdf5.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[256];
static long g_live; /* myelin's blocks not yet freed */

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
    return 0;
}

static void check_no_handles(void)
{
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
        fprintf(stderr, "libhdf5 handles left open\n");
        abort();
    }
}

static void open_and_read(int64_t sample)
{
    myl_trace_opts o = {0};
    o.format = MYL_TRACE_SHD;
    o.sample = sample;
    myl_reader *r = NULL;
    myl_diag d = {0};
    int rc = myl_reader_open_file(g_path, &o, &r, &d);
    if (rc) {
        if ((rc != MYL_EPARSE && rc != MYL_ERANGE && rc != MYL_ETOOBIG && rc != MYL_EIO) ||
            !d.set || strncmp(d.msg, g_path, strlen(g_path)) != 0 || r) {
            fprintf(stderr, "bad failure %d: %s\n", rc, d.msg);
            abort();
        }
        check_no_handles();
        return;
    }
    check_no_handles();
    const myl_trace_meta *m = myl_reader_meta(r);
    if (m->format != MYL_TRACE_SHD || m->channels < 1 || m->channels > 65536 ||
        m->width != m->channels || m->height != 1 || m->label < -1 ||
        strnlen(m->label_name, sizeof m->label_name) >= sizeof m->label_name)
        abort();
    myl_event ev[512];
    size_t n;
    uint64_t total = 0;
    while ((rc = myl_reader_read(r, ev, 512, &n, &d)) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++)
            if (ev[i].t < 0 || ev[i].x >= m->channels || ev[i].y != 0 || ev[i].p != 1)
                abort();
        total += n;
    }
    if (rc || total > (1u << 24))
        abort();
    myl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(g_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    (void)myl__shd_probe_file(g_path);
    check_no_handles();
    open_and_read(0);
    if (size > 0 && data[size - 1] % 4)
        open_and_read(data[size - 1] % 4);
    if (g_live != 0) {
        fprintf(stderr, "myelin leaked %ld blocks\n", g_live);
        abort();
    }
    return 0;
}
