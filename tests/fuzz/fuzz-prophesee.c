/* libFuzzer target for the Prophesee readers (sim/io/trace_prophesee.c): EVT 2.0, EVT 3.0 and
 * .dat. Each input is read from memory with each format named and with the format detected,
 * whole with room for many events; and for one of the four (chosen by its last byte and size)
 * once more through a source that hands out a few bytes at a time with room for a few events
 * (sizes from the last byte too): the reader must not care how its bytes arrive, so both reads
 * must give the same events and the same end. Any input must either read to a clean end or fail
 * with MYL_EPARSE and a message naming the input and the byte offset; a failed read must fail
 * again, with the same message, when repeated. Events must be sane: polarity 0 or 1, zero
 * padding, on the sensor the header declares, and no more than the bytes can encode (EVT 3.0:
 * 12 per 2-byte vector word). When detection picks another module's format, only its code is
 * checked (MYL_EPARSE or, for a size it refuses, MYL_ETOOBIG, with a message naming the input).
 *
 * Corpus: tests/fuzz/corpus/prophesee (the files `test-trace-prophesee --write-corpus DIR`
 * writes, and what the fuzzer kept). Build and run: tests/fuzz/meson.build; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. -DMYL_HAVE_TRACE_PROPHESEE \
 *     tests/fuzz/fuzz-prophesee.c tests/fuzz/pool.c tests/memsrc.c sim/io/trace_prophesee.c \
 *     sim/io/trace.c sim/io/bytes.c sim/core/err.c sim/core/alloc.c -lm -o fuzz-prophesee
 *   ./fuzz-prophesee -rss_limit_mb=1024 -max_len=8192 corpus-copy/ tests/fuzz/corpus/prophesee
 */
#include "../memsrc.h"
#include "myelin/trace.h"
#include "pool.h"

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

typedef struct outcome {
    int rc;         /* code of the open or of the read that ended the stream */
    int mine;       /* read by one of the Prophesee readers */
    size_t n;       /* events */
    uint64_t hash;  /* of every event, in order */
    char msg[1024]; /* the diagnostic */
} outcome;

static myl_event g_buf[512];

static void run(const uint8_t *data, size_t size, myl_trace_format f, size_t chunk, size_t cap,
                outcome *out)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, chunk, "fuzz");
    m.poison = 1;
    myl_trace_opts o = {.format = f, .csv_units = -1};
    myl_reader *r = NULL;
    myl_diag d = {0};
    memset(out, 0, sizeof *out);
    out->rc = myl_reader_open(&b, &o, &r, &d);
    out->mine = f != MYL_TRACE_UNKNOWN;
    if (out->rc == 0) {
        const myl_trace_meta *meta = myl_reader_meta(r);
        out->mine = meta->format == MYL_TRACE_EVT2 || meta->format == MYL_TRACE_EVT3 ||
                    meta->format == MYL_TRACE_DAT;
        for (;;) {
            size_t n = 0;
            out->rc = myl_reader_read(r, g_buf, cap, &n, &d);
            if (out->rc || n == 0)
                break;
            if (n > cap)
                abort();
            for (size_t i = 0; out->mine && i < n; i++) {
                const myl_event *e = &g_buf[i];
                if (e->p > 1 || (meta->width && e->x >= meta->width) ||
                    (meta->height && e->y >= meta->height) || e->x >= 16384 || e->y >= 16384 ||
                    e->pad[0] || e->pad[1] || e->pad[2])
                    abort();
                out->hash =
                    out->hash * 1000003u + (uint64_t)e->t * 31u + e->x * 7u + e->y * 3u + e->p;
            }
            out->n += n;
        }
        if (out->rc && out->mine) { /* the error stays */
            myl_diag d2 = {0};
            size_t n = 1;
            if (myl_reader_read(r, g_buf, cap, &n, &d2) != out->rc || n != 0 ||
                strcmp(d2.msg, d.msg) != 0)
                abort();
        }
        myl_reader_close(r);
    }
    if (out->rc) {
        if (!d.set || strncmp(d.msg, "fuzz: ", 6) != 0)
            abort();
        if (out->mine && (out->rc != MYL_EPARSE || strncmp(d.msg, "fuzz: byte ", 11) != 0))
            abort();
        if (!out->mine && out->rc != MYL_EPARSE && out->rc != MYL_ETOOBIG)
            abort();
    }
    memcpy(out->msg, d.msg, sizeof out->msg);
    if (!out->mine)
        return;
    /* no more events than the bytes can encode */
    if (out->n > 6 * size)
        abort();
    if (f == MYL_TRACE_EVT2 && out->n > size / 4)
        abort();
    if (f == MYL_TRACE_DAT && out->n > size / 8)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const myl_trace_format fs[] = {MYL_TRACE_EVT2, MYL_TRACE_EVT3, MYL_TRACE_DAT,
                                          MYL_TRACE_UNKNOWN};
    unsigned last = size ? data[size - 1] : 0;
    size_t chunk = 1 + (last & 7), cap = 1 + (last >> 3);
    int again = (int)((last + size) % 4);
    for (int k = 0; k < 4; k++) {
        outcome whole, pieces;
        run(data, size, fs[k], 0, 512, &whole);
        if (k != again)
            continue;
        run(data, size, fs[k], chunk, cap, &pieces);
        if (whole.mine && (whole.rc != pieces.rc || whole.n != pieces.n ||
                           whole.hash != pieces.hash || strcmp(whole.msg, pieces.msg) != 0))
            abort();
    }
    pool_check();
    return 0;
}
