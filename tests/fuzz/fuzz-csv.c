/* libFuzzer target for the CSV trace reader (sim/io/trace_csv.c). Each input is read from memory
 * with csv_units -1, 0 or 1 (by its length), through a source that hands out a few bytes at a
 * time for some inputs, in batches of a size taken from the last byte. Any input must either
 * read to the end or fail with MYL_EPARSE and a message naming the input and a line; events must
 * be sane (t >= 0, p 0 or 1, channel streams with y = 0 and p = 1, no more events than lines).
 * Inputs that read are written back with the CSV writer and read again: the same events.
 *
 * Corpus: tests/fuzz/corpus/csv. Build and run: tests/fuzz/meson.build.
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

static int run(const uint8_t *data, size_t size, myl_trace_format f, int units, size_t chunk,
               size_t cap, size_t *nev)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, chunk, "fuzz");
    m.poison = 1;
    myl_trace_opts o = {.format = f, .csv_units = units};
    myl_reader *r = NULL;
    myl_diag d = {0};
    myl_event buf[64];
    size_t total = 0, lines = 1;
    int bad = 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    int rc = myl_reader_open(&b, &o, &r, &d);
    while (rc == 0) {
        size_t n = 0;
        rc = myl_reader_read(r, buf, cap, &n, &d);
        if (rc || n == 0)
            break;
        if (n > cap)
            abort();
        for (size_t i = 0; i < n; i++) {
            bad |= buf[i].p > 1 || buf[i].t < 0;
            if (total + i < MAXEV)
                g_ev[total + i] = buf[i];
        }
        total += n;
    }
    /* with the format detected, the input may turn out to be another format */
    int csv = f == MYL_TRACE_CSV || (r && myl_reader_meta(r)->format == MYL_TRACE_CSV);
    if (rc != 0 && ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) || !d.set ||
                    strncmp(d.msg, "fuzz: ", 6) != 0 || (csv && !strstr(d.msg, "line "))))
        abort();
    if (csv && (total > lines || bad))
        abort();
    if (r)
        myl_reader_close(r);
    *nev = total;
    return rc;
}

static void roundtrip(size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/fuzz-csv-%d.csv", (int)getpid());
    myl_writer *w = NULL;
    myl_diag d = {0};
    myl_trace_meta meta = {.width = 3, .label = 2};
    if (myl_writer_open(path, MYL_TRACE_CSV, &meta, &w, &d) || myl_writer_write(w, g_ev, n, &d) ||
        myl_writer_close(w, &d))
        abort();
    myl_reader *r = NULL;
    myl_trace_opts o = {.format = MYL_TRACE_CSV, .csv_units = -1};
    if (myl_reader_open_file(path, &o, &r, &d))
        abort();
    if (myl_reader_meta(r)->width != 3 || myl_reader_meta(r)->label != 2)
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
    size_t chunk = size % 5 == 1 ? 1 + size % 7 : 0;
    int units = (int)(size % 3) - 1;
    size_t n = 0;
    int rc = run(data, size, MYL_TRACE_CSV, units, chunk, cap, &n);
    if (rc == 0 && n > 0 && n <= MAXEV)
        roundtrip(n);
    run(data, size, MYL_TRACE_UNKNOWN, -1, 0, 64, &n);
    pool_check();
    return 0;
}
