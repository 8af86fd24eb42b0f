/* libFuzzer target for myelin's native trace reader (sim/io/trace_native.c), and through it the
 * writer. Each input is read from memory, through a source that hands out a few bytes at a time
 * when the input's length says so (the reader must not care how its bytes arrive), in batches
 * of a size taken from the last byte, once as native and once with the format detected. Any
 * input must either read to a clean end or fail with MYL_EPARSE (or MYL_ETOOBIG, from a detected
 * format) and a message naming the input; events must be sane (p 0 or 1, fewer than one per 4
 * bytes). When it reads, the events go through the writer and back, and must come back the same:
 * the writer sees every time and coordinate the reader can produce.
 *
 * Corpus: tests/fuzz/corpus/native (files from tests/data/trace and from the writer, cut ones).
 * Build and run: tests/fuzz/meson.build.
 */
#include "../memsrc.h"
#include "myelin/trace.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    pool_install();
    return 0;
}

#define MAXEV 4096

static myl_event g_ev[MAXEV], g_back[MAXEV];

/* Read everything; returns the code, *nev the events kept (at most MAXEV). */
static int run(const uint8_t *data, size_t size, myl_trace_format f, size_t chunk, size_t cap,
               size_t *nev)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, chunk, "fuzz");
    m.poison = 1;
    myl_trace_opts o = {.format = f, .csv_units = -1};
    myl_reader *r = NULL;
    myl_diag d = {0};
    myl_event buf[64];
    size_t total = 0;
    int rc = myl_reader_open(&b, &o, &r, &d);
    while (rc == 0) {
        size_t n = 0;
        rc = myl_reader_read(r, buf, cap, &n, &d);
        if (rc || n == 0)
            break;
        if (n > cap)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (buf[i].p > 1)
                abort();
            if (total + i < MAXEV)
                g_ev[total + i] = buf[i];
        }
        total += n;
    }
    if (rc != 0 &&
        ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) || !d.set || strncmp(d.msg, "fuzz: ", 6) != 0))
        abort();
    if (f == MYL_TRACE_NATIVE && total > size / 4)
        abort();
    if (r)
        myl_reader_close(r);
    *nev = total;
    return rc;
}

/* Events -> writer -> reader: the same events. */
static void roundtrip(size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/fuzz-native-%d.myl", (int)getpid());
    myl_writer *w = NULL;
    myl_diag d = {0};
    myl_trace_meta meta = {.width = 7, .height = 9, .label = -1};
    if (myl_writer_open(path, MYL_TRACE_NATIVE, &meta, &w, &d) ||
        myl_writer_write(w, g_ev, n, &d) || myl_writer_close(w, &d))
        abort();
    myl_reader *r = NULL;
    if (myl_reader_open_file(path, NULL, &r, &d))
        abort();
    size_t k = 0, got;
    do {
        if (myl_reader_read(r, g_back + k, MAXEV - k, &got, &d))
            abort();
        k += got;
    } while (got && k < MAXEV);
    myl_reader_close(r);
    remove(path);
    if (k != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (g_back[i].t != g_ev[i].t || g_back[i].x != g_ev[i].x || g_back[i].y != g_ev[i].y ||
            g_back[i].p != g_ev[i].p)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = size ? 1 + data[size - 1] % 64 : 1;
    size_t chunk = size % 3 ? 1 + size % 11 : 0;
    size_t n = 0;
    int rc = run(data, size, MYL_TRACE_NATIVE, chunk, cap, &n);
    if (rc == 0 && n > 0 && n <= MAXEV)
        roundtrip(n);
    size_t n2 = 0;
    int rc2 = run(data, size, MYL_TRACE_UNKNOWN, 0, 64, &n2);
    /* detection picks native exactly when the magic is there: the same outcome */
    if (size >= 8 && memcmp(data, "\x89MYLEV\r\n", 8) == 0 && (rc2 != rc || n2 != n))
        abort();
    pool_check();
    return 0;
}
