/* libFuzzer target for the N-MNIST / N-Caltech101 .bin reader (sim/io/trace_nmnist.c). Each input
 * is read from memory as nmnist (through a source that hands out a few bytes at a time for some
 * inputs, in batches of a size taken from the last byte), and the events are compared with a
 * plain decoder written here from the specification; then it is read once more with the format
 * detected (the probe must not misbehave on any bytes). A length that is not a multiple of 5
 * must fail with MYL_EPARSE naming the offset of the partial record, after every whole event.
 *
 * Corpus: tests/fuzz/corpus/nmnist. Build and run: tests/fuzz/meson.build.
 */
#include "../memsrc.h"
#include "myelin/trace.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    pool_install();
    return 0;
}

/* The specification, plainly: event i of the output for record j. */
static int ref_next(const uint8_t *data, size_t size, size_t *j, int64_t *off, myl_event *e)
{
    for (; *j + 5 <= size; *j += 5) {
        const uint8_t *r = data + *j;
        if (r[1] == 240) {
            *off += 8192;
            continue;
        }
        e->t = *off + ((int64_t)(r[2] & 0x7f) << 16) + ((int64_t)r[3] << 8) + r[4];
        e->x = r[0];
        e->y = r[1];
        e->p = r[2] >> 7;
        *j += 5;
        return 1;
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, myl_trace_format f, size_t chunk, size_t cap)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, chunk, "fuzz");
    m.poison = 1;
    myl_trace_opts o = {.format = f, .csv_units = -1};
    myl_reader *r = NULL;
    myl_diag d = {0};
    myl_event buf[64];
    size_t j = 0;
    int64_t off = 0;
    int rc = myl_reader_open(&b, &o, &r, &d);
    if (rc) {
        if (f == MYL_TRACE_NMNIST || (rc != MYL_EPARSE && rc != MYL_ETOOBIG) || !d.set ||
            strncmp(d.msg, "fuzz: ", 6) != 0)
            abort();
        return;
    }
    int mine = myl_reader_meta(r)->format == MYL_TRACE_NMNIST;
    if (f == MYL_TRACE_UNKNOWN && mine && ((size < 4096 && size % 5 != 0) || size < 40))
        abort(); /* the probe takes at least 8 records, whole ones when it sees the end */
    while (rc == 0) {
        size_t n = 0;
        rc = myl_reader_read(r, buf, cap, &n, &d);
        if (rc || n == 0)
            break;
        if (n > cap)
            abort();
        for (size_t i = 0; mine && i < n; i++) {
            myl_event e;
            if (!ref_next(data, size, &j, &off, &e) || e.t != buf[i].t || e.x != buf[i].x ||
                e.y != buf[i].y || e.p != buf[i].p)
                abort();
        }
    }
    if (mine) {
        myl_event e;
        if (ref_next(data, size, &j, &off, &e))
            abort(); /* an event was missed */
        if ((size % 5 == 0) != (rc == 0))
            abort();
        if (rc) {
            char want[64];
            snprintf(want, sizeof want, "fuzz: byte %zu: truncated", size - size % 5);
            if (rc != MYL_EPARSE || strncmp(d.msg, want, strlen(want)) != 0)
                abort();
        }
    } else if (rc &&
               ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) || strncmp(d.msg, "fuzz: ", 6) != 0)) {
        abort();
    }
    myl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = size ? 1 + data[size - 1] % 64 : 1;
    size_t chunk = size % 4 == 1 ? 1 + size % 9 : 0;
    run(data, size, MYL_TRACE_NMNIST, chunk, cap);
    run(data, size, MYL_TRACE_UNKNOWN, 0, 64);
    pool_check();
    return 0;
}
