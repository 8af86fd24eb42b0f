/* Tests for the native, CSV and N-MNIST trace modules (sim/io/trace_native.c, trace_csv.c,
 * trace_nmnist.c).
 *
 * Native: round trips through the writer and reader of random streams of every shape the block
 * encoder must handle (dense and sparse, long gaps, equal and backward timestamps, extreme times
 * and coordinates, channel streams, empty streams, many blocks), read in small and odd-sized
 * batches and through a source that hands out a few bytes at a time; files written by an
 * independent writer (tests/data/trace/gen.py); a stream cut at every byte offset, which must
 * either end cleanly (cut between blocks) or fail naming the offset; damaged headers and blocks;
 * a live source that must not be waited on once events are ready; allocation failure; events
 * before an error delivered before it, whatever the batch size (found by fuzz-native).
 * CSV: both layouts, header variants, comments, CRLF, decimal seconds, the writer, and errors
 * that name the line and column. N-MNIST: the real sample (4,325 events over 311 ms, three
 * saccades), a file with known events and an overflow marker, a plain reference decoder on
 * random records, truncation, and detection. */
#include "memsrc.h"
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct evbuf {
    myl_event *ev;
    size_t n, cap;
} evbuf;

static void evbuf_push(evbuf *b, const myl_event *e, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 16;
        b->ev = realloc(b->ev, b->cap * sizeof *b->ev);
        ck_assert_ptr_nonnull(b->ev);
    }
    memcpy(b->ev + b->n, e, n * sizeof *e);
    b->n += n;
}

/* Read everything; returns the first error (events so far stay in out). */
static int read_all(myl_reader *r, size_t cap, evbuf *out, myl_diag *d)
{
    myl_event *tmp = malloc(cap * sizeof *tmp);
    ck_assert_ptr_nonnull(tmp);
    int rc;
    for (;;) {
        size_t n = 99;
        rc = myl_reader_read(r, tmp, cap, &n, d);
        if (rc || n == 0)
            break;
        if (n > cap)
            ck_abort_msg("read returned %zu > cap %zu", n, cap);
        evbuf_push(out, tmp, n);
    }
    free(tmp);
    return rc;
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

static void write_trace(const char *path, myl_trace_format fmt, const myl_trace_meta *m,
                        const myl_event *ev, size_t n, size_t batch)
{
    myl_diag d = {0};
    myl_writer *w = NULL;
    int rc = myl_writer_open(path, fmt, m, &w, &d);
    ck_assert_msg(rc == 0, "writer_open: %s", d.msg);
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        rc = myl_writer_write(w, ev + i, k, &d);
        ck_assert_msg(rc == 0, "writer_write: %s", d.msg);
    }
    rc = myl_writer_close(w, &d);
    ck_assert_msg(rc == 0, "writer_close: %s", d.msg);
}

static void same_events(const myl_event *a, const myl_event *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].t != b[i].t || a[i].x != b[i].x || a[i].y != b[i].y ||
            (a[i].p != 0) != (b[i].p != 0) || b[i].p > 1)
            ck_abort_msg("%s: event %zu: wrote t=%lld x=%u y=%u p=%u, read t=%lld x=%u y=%u p=%u",
                         what, i, (long long)a[i].t, a[i].x, a[i].y, a[i].p, (long long)b[i].t,
                         b[i].x, b[i].y, b[i].p);
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static const myl_trace_opts g_native = {.format = MYL_TRACE_NATIVE, .csv_units = -1};
static const myl_trace_opts g_csv = {.format = MYL_TRACE_CSV, .csv_units = -1};
static const myl_trace_opts g_nmnist = {.format = MYL_TRACE_NMNIST, .csv_units = -1};

/* Open a reader on memory and read it all. Returns the open or read code. */
static int mem_read_all(const void *data, size_t size, const myl_trace_opts *o, size_t chunk,
                        size_t cap, evbuf *out, myl_trace_meta *meta, myl_diag *d)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, chunk, "mem");
    myl_reader *r = NULL;
    int rc = myl_reader_open(&b, o, &r, d);
    if (rc)
        return rc;
    if (meta)
        *meta = *myl_reader_meta(r);
    rc = read_all(r, cap, out, d);
    myl_reader_close(r);
    return rc;
}

/* ---- native: round trips -------------------------------------------------------------------- */

enum shape {
    DENSE,    /* a 1280 x 720 camera, gaps of 0-20 µs */
    SPARSE,   /* gaps up to 2^40 µs, negative start */
    EQUAL,    /* one timestamp */
    MAXCOORD, /* coordinates at and near 65535 */
    CHANNELS, /* 700 channels, y = 0 */
    BACKWARD, /* times jump back and forth */
    EXTREMES, /* times near INT64_MIN and INT64_MAX */
    MIXED,    /* runs of each, to force many block switches */
    SHAPES
};

static void gen(enum shape s, myl_event *ev, size_t n)
{
    int64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        myl_event e = {0};
        uint64_t r = rnd();
        enum shape k = s == MIXED ? (enum shape)((i / 97) % 7) : s;
        if (k != EXTREMES && (t > ((int64_t)1 << 60) || t < -((int64_t)1 << 60)))
            t = 0; /* back from the extremes, where the other shapes' steps would overflow */
        switch (k) {
        case DENSE:
            t += (int64_t)(r % 21);
            e.x = (uint16_t)(r >> 8) % 1280;
            e.y = (uint16_t)(r >> 24) % 720;
            break;
        case SPARSE:
            if (i == 0)
                t = -((int64_t)1 << 45);
            t += (int64_t)((r >> 3) & (((uint64_t)1 << (r % 41)) - 1));
            e.x = (uint16_t)(r >> 16);
            e.y = (uint16_t)(r >> 32) % 5;
            break;
        case EQUAL:
            t = 123456789;
            e.x = (uint16_t)(r % 34);
            e.y = (uint16_t)(r >> 16) % 34;
            break;
        case MAXCOORD:
            t += (int64_t)(r % 3);
            e.x = (uint16_t)(65535 - (r >> 8) % 3);
            e.y = (uint16_t)(65535 - (r >> 16) % 3);
            break;
        case CHANNELS:
            t += (int64_t)(r % 500);
            e.x = (uint16_t)(r >> 20) % 700;
            break;
        case BACKWARD:
            t += (int64_t)(r % 2000) - 1000;
            e.x = (uint16_t)(r >> 20) % 128;
            e.y = (uint16_t)(r >> 40) % 128;
            break;
        case EXTREMES:
            t = (r & 1) ? INT64_MAX - (int64_t)((r >> 1) % 5000)
                        : INT64_MIN + (int64_t)((r >> 1) % 5000);
            e.x = (uint16_t)(r >> 20);
            e.y = (uint16_t)(r >> 36);
            break;
        default:
            break;
        }
        e.t = t;
        e.p = (uint8_t)((r >> 60) & 1);
        if (k == EQUAL && (r >> 61) % 3 == 0)
            e.p = 7; /* any non-zero polarity is ON */
        ev[i] = e;
    }
}

static void roundtrip(enum shape s, size_t n, size_t wbatch, size_t cap, size_t chunk)
{
    myl_event *ev = malloc((n ? n : 1) * sizeof *ev);
    ck_assert_ptr_nonnull(ev);
    gen(s, ev, n);
    myl_trace_meta m = {.width = 1280, .height = 720, .label = 3};
    if (s == CHANNELS)
        m = (myl_trace_meta){.width = 700, .height = 1, .channels = 700, .label = -1};
    strcpy(m.label_name, "three");
    strcpy(m.source, "test shape");
    const char *path = myl_test_tmp("rt.myl");
    write_trace(path, MYL_TRACE_NATIVE, &m, ev, n, wbatch);
    size_t size;
    uint8_t *data = slurp(path, &size);
    evbuf out = {0};
    myl_trace_meta got;
    myl_diag d = {0};
    int rc = mem_read_all(data, size, &g_native, chunk, cap, &out, &got, &d);
    ck_assert_msg(rc == 0, "shape %d: %s", s, d.msg);
    ck_assert_uint_eq(out.n, n);
    same_events(ev, out.ev, n, "round trip");
    ck_assert_uint_eq(got.format, MYL_TRACE_NATIVE);
    ck_assert_uint_eq(got.width, m.width);
    ck_assert_uint_eq(got.height, m.height);
    ck_assert_uint_eq(got.channels, m.channels);
    ck_assert_int_eq(got.label, m.label);
    ck_assert_str_eq(got.label_name, "three");
    ck_assert_str_eq(got.source, "test shape");
    if (s == DENSE && n > 100000)
        ck_assert_msg(size < n * 4.2, "dense stream: %.2f bytes an event", (double)size / n);
    free(out.ev);
    free(data);
    free(ev);
}

START_TEST(native_roundtrip_shapes)
{
    static const size_t sizes[] = {1, 2, 3, 5, 100, 1000, 70000};
    for (int s = 0; s < SHAPES; s++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            roundtrip((enum shape)s, sizes[i], 1 + sizes[i] / 3, 4096, 0);
}
END_TEST

START_TEST(native_roundtrip_large)
{
    /* more than one writer buffer (65536) and one read window (1 MiB) */
    roundtrip(DENSE, 700000, 100000, 65536, 0);
    roundtrip(MIXED, 300000, 7, 1000, 0);
}
END_TEST

START_TEST(native_roundtrip_small_batches)
{
    /* odd read capacities and a source that hands out 1-13 bytes at a time */
    roundtrip(MIXED, 5000, 1, 1, 0);
    roundtrip(MIXED, 5000, 3, 7, 1);
    roundtrip(DENSE, 20000, 4096, 33, 13);
    roundtrip(SPARSE, 3000, 17, 5, 3);
}
END_TEST

START_TEST(native_empty)
{
    const char *path = myl_test_tmp("empty.myl");
    write_trace(path, MYL_TRACE_NATIVE, NULL, NULL, 0, 1);
    size_t size;
    uint8_t *data = slurp(path, &size);
    ck_assert_uint_eq(size, 48 + 16); /* header and end block */
    evbuf out = {0};
    myl_diag d = {0};
    myl_trace_meta meta;
    ck_assert_int_eq(mem_read_all(data, size, &g_native, 0, 16, &out, &meta, &d), 0);
    ck_assert_uint_eq(out.n, 0);
    ck_assert_uint_eq(meta.width, 0);
    /* and through the file path, with detection */
    myl_reader *r = NULL;
    ck_assert_int_eq(myl_reader_open_file(path, NULL, &r, &d), 0);
    ck_assert_uint_eq(myl_reader_meta(r)->format, MYL_TRACE_NATIVE);
    myl_event e;
    size_t n = 9;
    ck_assert_int_eq(myl_reader_read(r, &e, 1, &n, &d), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(myl_reader_read(r, &e, 1, &n, &d), 0); /* and stays at the end */
    ck_assert_uint_eq(n, 0);
    myl_reader_close(r);
    free(data);
}
END_TEST

START_TEST(native_detect_and_file)
{
    myl_event ev[300];
    gen(DENSE, ev, 300);
    const char *path = myl_test_tmp("detect.myl");
    write_trace(path, MYL_TRACE_NATIVE, NULL, ev, 300, 300);
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open_file(path, NULL, &r, &d), 0);
    ck_assert_str_eq(myl_trace_format_name(myl_reader_meta(r)->format), "myelin");
    evbuf out = {0};
    ck_assert_int_eq(read_all(r, 64, &out, &d), 0);
    ck_assert_uint_eq(out.n, 300);
    same_events(ev, out.ev, 300, "detected");
    myl_reader_close(r);
    free(out.ev);
}
END_TEST

/* ---- native: independent writer (gen.py) ---------------------------------------------------- */

START_TEST(native_fixtures)
{
    static const myl_event wide[] = {
        {0, 0, 0, 0, {0}},
        {5, 1, 2, 1, {0}},
        {5, 65535, 65535, 1, {0}},
        {((int64_t)1 << 31) - 1, 3, 4, 0, {0}},
        {(int64_t)1 << 31, 7, 8, 1, {0}},
        {(int64_t)1 << 40, 9, 10, 0, {0}},
    };
    static const myl_event compact[] = {
        {100, 33, 33, 1, {0}},  {100, 0, 0, 0, {0}},
        {350, 12, 7, 1, {0}},   {100 + (1 << 19) - 1, 1, 2, 0, {0}},
        {-5, 40000, 1, 1, {0}},
    };
    myl_diag d = {0};
    myl_reader *r = NULL;
    evbuf out = {0};
    ck_assert_int_eq(myl_reader_open_file(myl_test_src("tests/data/trace/wide.myl"), NULL, &r, &d),
                     0);
    const myl_trace_meta *m = myl_reader_meta(r);
    ck_assert_uint_eq(m->width, 65536);
    ck_assert_uint_eq(m->height, 65536);
    ck_assert_int_eq(m->label, 7);
    ck_assert_str_eq(m->label_name, "seven");
    ck_assert_str_eq(m->source, "gen.py");
    ck_assert_int_eq(read_all(r, 2, &out, &d), 0);
    ck_assert_uint_eq(out.n, 6);
    same_events(wide, out.ev, 6, "wide.myl");
    myl_reader_close(r);
    out.n = 0;
    ck_assert_int_eq(
        myl_reader_open_file(myl_test_src("tests/data/trace/compact.myl"), NULL, &r, &d), 0);
    ck_assert_uint_eq(myl_reader_meta(r)->width, 34);
    ck_assert_int_eq(myl_reader_meta(r)->label, -1);
    ck_assert_str_eq(myl_reader_meta(r)->label_name, "");
    ck_assert_int_eq(read_all(r, 100, &out, &d), 0);
    ck_assert_uint_eq(out.n, 5);
    same_events(compact, out.ev, 5, "compact.myl");
    myl_reader_close(r);
    free(out.ev);
}
END_TEST

/* snippet.myl: written by the NumPy snippet in docs/trace-format.md (gen.py runs it) */
START_TEST(native_numpy_snippet)
{
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(
        myl_reader_open_file(myl_test_src("tests/data/trace/snippet.myl"), NULL, &r, &d), 0);
    ck_assert_uint_eq(myl_reader_meta(r)->width, 1280);
    ck_assert_uint_eq(myl_reader_meta(r)->height, 720);
    ck_assert_int_eq(myl_reader_meta(r)->label, 5);
    evbuf out = {0};
    ck_assert_msg(read_all(r, 300, &out, &d) == 0, "%s", d.msg);
    myl_reader_close(r);
    ck_assert_uint_eq(out.n, 1000);
    for (int64_t i = 0; i < 1000; i++) {
        const myl_event *e = &out.ev[i];
        if (e->t != 7 * i * i * i || e->x != 37 * i % 1280 || e->y != 11 * i % 720 || e->p != i % 2)
            ck_abort_msg("event %lld: t=%lld x=%u y=%u p=%u", (long long)i, (long long)e->t, e->x,
                         e->y, e->p);
    }
    free(out.ev);
}
END_TEST

/* ---- native: truncation at every offset ----------------------------------------------------- */

/* Ends of blocks in a native file, by walking the block headers (the format's own framing). */
static size_t block_ends(const uint8_t *b, size_t size, size_t *ends, size_t max)
{
    uint32_t hsize;
    memcpy(&hsize, b + 12, 4);
    size_t pos = hsize, n = 0;
    ends[n++] = pos;
    while (pos < size) {
        uint32_t cnt;
        memcpy(&cnt, b + pos + 4, 4);
        size_t esz = b[pos] == 1 ? 4 : b[pos] == 2 ? 8 : b[pos] >= 128 ? 1 : 0;
        pos += 16 + (size_t)cnt * esz;
        ck_assert_uint_lt(n, max);
        ends[n++] = pos;
    }
    ck_assert_uint_eq(pos, size);
    return n;
}

START_TEST(native_truncated_every_offset)
{
    /* a small file with compact, wide and end blocks */
    myl_event ev[40];
    gen(MIXED, ev, 40);
    for (int i = 0; i < 10; i++)
        ev[i] = (myl_event){.t = 1000 + i, .x = (uint16_t)i, .y = 2, .p = 1};
    ev[10] = (myl_event){.t = 5000, .x = 65535, .y = 65535, .p = 1};
    myl_trace_meta m = {.width = 128, .height = 128, .label = 1};
    strcpy(m.label_name, "one");
    const char *path = myl_test_tmp("cut.myl");
    write_trace(path, MYL_TRACE_NATIVE, &m, ev, 40, 40);
    size_t size;
    uint8_t *data = slurp(path, &size);
    size_t ends[64];
    size_t nends = block_ends(data, size, ends, 64);
    ck_assert_uint_ge(nends, 4); /* header end, >= 2 data blocks, end block */
    for (size_t cut = 0; cut < size; cut++) {
        evbuf out = {0};
        myl_diag d = {0};
        int rc = mem_read_all(data, cut, &g_native, 0, 7, &out, NULL, &d);
        int clean = 0;
        for (size_t i = 0; i < nends; i++)
            clean |= cut == ends[i];
        char want[64];
        snprintf(want, sizeof want, "mem: byte %zu: ", cut);
        if (clean) {
            if (rc != 0)
                ck_abort_msg("cut at block boundary %zu: %s", cut, d.msg);
            if (out.n > 40)
                ck_abort_msg("cut at %zu: %zu events", cut, out.n);
            same_events(ev, out.ev, out.n, "clean cut");
        } else if (rc != MYL_EPARSE || strncmp(d.msg, want, strlen(want)) != 0 ||
                   !strstr(d.msg, "truncated")) {
            ck_abort_msg("cut at %zu: rc %d, message '%s' (want '%s... truncated')", cut, rc, d.msg,
                         want);
        }
        free(out.ev);
    }
    /* the whole file, and a file with bytes after its end block (not read) */
    evbuf out = {0};
    myl_diag d = {0};
    uint8_t *more = malloc(size + 5);
    memcpy(more, data, size);
    memcpy(more + size, "junk!", 5);
    ck_assert_int_eq(mem_read_all(more, size + 5, &g_native, 0, 64, &out, NULL, &d), 0);
    ck_assert_uint_eq(out.n, 40);
    free(more);
    free(out.ev);
    free(data);
}
END_TEST

/* ---- native: damaged streams ---------------------------------------------------------------- */

static size_t mk_header(uint8_t *b, uint16_t major, uint32_t hsize, uint32_t unit)
{
    memset(b, 0, 48);
    memcpy(b, "\x89MYLEV\r\n", 8);
    b[8] = (uint8_t)major;
    memcpy(b + 12, &hsize, 4);
    memcpy(b + 28, &unit, 4);
    int64_t label = -1;
    memcpy(b + 32, &label, 8);
    return hsize;
}

static size_t mk_block(uint8_t *b, uint8_t kind, uint8_t xb, uint8_t yb, uint32_t n, int64_t base)
{
    b[0] = kind, b[1] = xb, b[2] = yb, b[3] = 0;
    memcpy(b + 4, &n, 4);
    memcpy(b + 8, &base, 8);
    return 16;
}

static void expect_fail(const uint8_t *b, size_t n, const char *want1, const char *want2)
{
    evbuf out = {0};
    myl_diag d = {0};
    int rc = mem_read_all(b, n, &g_native, 0, 64, &out, NULL, &d);
    ck_assert_msg(rc == MYL_EPARSE, "want %s, got rc %d '%s'", want1, rc, d.msg);
    ck_assert_msg(strstr(d.msg, want1) && strstr(d.msg, want2), "'%s' lacks '%s' or '%s'", d.msg,
                  want1, want2);
    free(out.ev);
}

START_TEST(native_damaged)
{
    uint8_t b[256];
    memset(b, 0, sizeof b);
    size_t n = mk_header(b, 1, 48, 1000);
    memcpy(b, "\x89MYLEX", 6);
    expect_fail(b, n, "byte 0:", "not a myelin trace");
    n = mk_header(b, 2, 48, 1000);
    expect_fail(b, n, "byte 8:", "version 2.0");
    mk_header(b, 1, 40, 1000);
    expect_fail(b, 48, "byte 12:", "header size 40");
    n = mk_header(b, 1, 48, 1);
    expect_fail(b, n, "byte 28:", "time unit 1 ns");
    /* header that promises more than the stream holds */
    n = mk_header(b, 1, 60, 1000);
    expect_fail(b, 50, "byte 50:", "truncated");
    /* unknown block kind */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 5, 0, 0, 1, 0);
    expect_fail(b, n, "byte 48:", "unknown block kind 5");
    /* compact widths over 31 bits */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 1, 16, 16, 0, 0);
    expect_fail(b, n, "byte 48:", "x bits 16 and y bits 16");
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 1, 17, 0, 0, 0);
    expect_fail(b, n, "byte 48:", "x bits 17");
    /* time base too close to 2^63 for the block's offsets */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 2, 0, 0, 0, INT64_MAX - 5);
    expect_fail(b, n, "byte 48:", "time base");
    /* wide block with reserved bytes set */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 2, 1, 0, 0, 0);
    expect_fail(b, n, "byte 48:", "reserved");
    /* end block whose count disagrees */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 2, 0, 0, 1, 0);
    memset(b + n, 0, 8), n += 8;
    n += mk_block(b + n, 0, 0, 0, 0, 2);
    expect_fail(b, n, "byte 72:", "holds 2 events, but 1 came before");
    /* a skippable block cut short */
    n = mk_header(b, 1, 48, 1000);
    n += mk_block(b + n, 130, 0, 0, 10, 0);
    expect_fail(b, n + 4, "byte 68:", "truncated");
    /* an empty stream with the format given */
    expect_fail(b, 0, "byte 0:", "truncated");
    expect_fail(b, 5, "byte 5:", "truncated");
}
END_TEST

START_TEST(native_empty_blocks_and_skips)
{
    uint8_t b[256];
    size_t n = mk_header(b, 1, 48 + 3, 1000); /* 3 bytes of unknown header fields */
    memcpy(b + 48, "abc", 3);
    n += mk_block(b + n, 1, 0, 0, 0, 7);   /* empty blocks are allowed */
    n += mk_block(b + n, 255, 1, 2, 3, 4); /* skippable, 3 bytes */
    memcpy(b + n, "xyz", 3), n += 3;
    n += mk_block(b + n, 1, 0, 0, 2, 1000); /* compact, no x or y bits: p | t << 1 */
    uint32_t w0 = 1 | 5u << 1, w1 = 0 | 9u << 1;
    memcpy(b + n, &w0, 4), n += 4;
    memcpy(b + n, &w1, 4), n += 4;
    n += mk_block(b + n, 0, 0, 0, 0, 2);
    evbuf out = {0};
    myl_diag d = {0};
    ck_assert_int_eq(mem_read_all(b, n, &g_native, 1, 1, &out, NULL, &d), 0);
    ck_assert_uint_eq(out.n, 2);
    ck_assert_int_eq(out.ev[0].t, 1005);
    ck_assert_uint_eq(out.ev[0].p, 1);
    ck_assert_int_eq(out.ev[1].t, 1009);
    ck_assert_uint_eq(out.ev[1].p, 0);
    ck_assert_uint_eq(out.ev[1].x, 0);
    free(out.ev);
}
END_TEST

/* A stream whose bytes spell HDF5's signature where a user block would end (byte 512) is still
 * the stream it says it is at byte 0: detection from a path must not hand it to the SHD reader. */
START_TEST(native_hdf5_signature_inside)
{
    uint8_t b[1024] = {0};
    size_t n = mk_header(b, 1, 600, 1000); /* 552 bytes of header fields this reader skips */
    memcpy(b + 512, "\x89HDF\r\n\x1a\n", 8);
    n += mk_block(b + n, 1, 0, 0, 1, 1000);
    uint32_t w0 = 1 | 5u << 1;
    memcpy(b + n, &w0, 4), n += 4;
    n += mk_block(b + n, 0, 0, 0, 0, 1); /* the end block: 1 event in all */
    const char *path = myl_test_tmp("hdf5-inside.myl");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_msg(myl_reader_open_file(path, NULL, &r, &d) == 0, "%s", d.msg);
    ck_assert_str_eq(myl_trace_format_name(myl_reader_meta(r)->format), "myelin");
    evbuf out = {0};
    ck_assert_msg(read_all(r, 64, &out, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(out.n, 1);
    ck_assert_int_eq(out.ev[0].t, 1005);
    myl_reader_close(r);
    free(out.ev);
}
END_TEST

/* An error after some events: a read call that decoded events delivers them, and the error
 * comes with the next call, whatever the batch size. */
START_TEST(events_before_error_delivered)
{
    static const size_t caps[] = {1, 5, 6, 7, 1000};
    size_t size;
    uint8_t *data = slurp(myl_test_src("tests/data/trace/wide.myl"), &size);
    data[size - 8] = 99; /* the end block's count */
    const char *csv = "t,x,y,p\n1,1,1,1\n2,2,2,0\n3,3,3,1\n4,x,4,0\n5,5,5,1\n";
    uint8_t nm[5 * 6 + 2] = {0};
    for (size_t c = 0; c < 5; c++) {
        evbuf b = {0};
        myl_diag d = {0};
        ck_assert_int_eq(mem_read_all(data, size, &g_native, 0, caps[c], &b, NULL, &d), MYL_EPARSE);
        ck_assert_uint_eq(b.n, 6);
        ck_assert_ptr_nonnull(strstr(d.msg, "holds 99 events, but 6"));
        b.n = 0;
        myl_diag_clear(&d);
        ck_assert_int_eq(mem_read_all(csv, strlen(csv), &g_csv, 0, caps[c], &b, NULL, &d),
                         MYL_EPARSE);
        ck_assert_uint_eq(b.n, 3);
        ck_assert_ptr_nonnull(strstr(d.msg, "line 5, column 2 (x)"));
        b.n = 0;
        myl_diag_clear(&d);
        ck_assert_int_eq(mem_read_all(nm, sizeof nm, &g_nmnist, 0, caps[c], &b, NULL, &d),
                         MYL_EPARSE);
        ck_assert_uint_eq(b.n, 6);
        ck_assert_ptr_nonnull(strstr(d.msg, "byte 30: truncated"));
        free(b.ev);
    }
    free(data);
}
END_TEST

/* A live source: once events are decoded, read returns them instead of asking for more. */
START_TEST(native_live_no_wait)
{
    myl_event ev[50];
    gen(DENSE, ev, 50);
    const char *path = myl_test_tmp("live.myl");
    write_trace(path, MYL_TRACE_NATIVE, NULL, ev, 50, 50);
    size_t size;
    uint8_t *data = slurp(path, &size);
    /* hand out the header and the first 10 events' words (one compact block), then stall */
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, size, 0, "mem");
    m.stall = 48 + 16 + 10 * 4 + 2;
    m.chunk = m.stall; /* the first read gets everything up to the stall point */
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open(&b, &g_native, &r, &d), 0);
    myl_event got[64];
    size_t n = 0;
    ck_assert_int_eq(myl_reader_read(r, got, 64, &n, &d), 0);
    ck_assert_uint_eq(n, 10);
    same_events(ev, got, 10, "live");
    /* the next read needs bytes: the stalled source's error comes through */
    ck_assert_int_eq(myl_reader_read(r, got, 64, &n, &d), MYL_EINTR);
    myl_reader_close(r);
    free(data);
}
END_TEST

START_TEST(native_alloc_failure)
{
    myl_event ev[200];
    gen(MIXED, ev, 200);
    const char *path = myl_test_tmp("alloc.myl");
    write_trace(path, MYL_TRACE_NATIVE, NULL, ev, 200, 200);
    for (long k = 1;; k++) {
        myl_test_fail_after(k);
        myl_writer *w = NULL;
        myl_diag d = {0};
        int rc = myl_writer_open(myl_test_tmp("alloc2.myl"), MYL_TRACE_NATIVE, NULL, &w, &d);
        if (rc == 0) {
            rc = myl_writer_write(w, ev, 200, &d);
            int rc2 = myl_writer_close(w, &d);
            myl_test_fail_after(0);
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(rc2, 0);
            break;
        }
        myl_test_fail_after(0);
        ck_assert_int_eq(rc, MYL_ENOMEM);
    }
    for (long k = 1;; k++) {
        myl_test_fail_after(k);
        myl_reader *r = NULL;
        myl_diag d = {0};
        int rc = myl_reader_open_file(path, NULL, &r, &d);
        myl_test_fail_after(0);
        if (rc == 0) {
            myl_reader_close(r);
            break;
        }
        ck_assert_int_eq(rc, MYL_ENOMEM);
    }
}
END_TEST

START_TEST(writer_errors)
{
    myl_writer *w = NULL;
    myl_diag d = {0};
    int rc = myl_writer_open("/nonexistent-dir/x.myl", MYL_TRACE_NATIVE, NULL, &w, &d);
    ck_assert_int_eq(rc, MYL_EIO);
    ck_assert_ptr_null(w);
    /* CSV cannot carry negative times; the partial file is removed */
    const char *path = myl_test_tmp("neg.csv");
    ck_assert_int_eq(myl_writer_open(path, MYL_TRACE_CSV, NULL, &w, &d), 0);
    myl_event e = {.t = -1};
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_writer_write(w, &e, 1, &d), MYL_ERANGE);
    ck_assert_ptr_nonnull(strstr(d.msg, "negative"));
    myl_writer_close(w, NULL);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_null(f);
}
END_TEST

/* ---- CSV ------------------------------------------------------------------------------------- */

static int csv_str(const char *text, const myl_trace_opts *o, evbuf *out, myl_trace_meta *meta,
                   myl_diag *d)
{
    out->n = 0;
    myl_diag_clear(d);
    return mem_read_all(text, strlen(text), o, 0, 3, out, meta, d);
}

static void ev_is(const evbuf *b, size_t i, int64_t t, unsigned x, unsigned y, unsigned p)
{
    ck_assert_uint_gt(b->n, i);
    const myl_event *e = &b->ev[i];
    ck_assert_msg(e->t == t && e->x == x && e->y == y && e->p == p,
                  "event %zu: t=%lld x=%u y=%u p=%u, want t=%lld x=%u y=%u p=%u", i,
                  (long long)e->t, e->x, e->y, e->p, (long long)t, x, y, p);
}

START_TEST(csv_layouts)
{
    evbuf b = {0};
    myl_diag d = {0};
    myl_trace_meta m;
    /* no header, 4 columns, LF, no final newline */
    ck_assert_int_eq(csv_str("0,1,2,1\n5,3,4,0\n7,65535,65535,-1", &g_csv, &b, &m, &d), 0);
    ck_assert_uint_eq(b.n, 3);
    ev_is(&b, 0, 0, 1, 2, 1);
    ev_is(&b, 2, 7, 65535, 65535, 0);
    /* header, comments, blank lines, CRLF, blanks around fields, BOM */
    ck_assert_int_eq(csv_str("\xEF\xBB\xBF# recorded today\r\n\r\n t , x,y ,p\r\n"
                             "# a comment\r\n10, 3 ,4,1\r\n   \r\n20,5,6,0\r\n",
                             &g_csv, &b, &m, &d),
                     0);
    ck_assert_uint_eq(b.n, 2);
    ev_is(&b, 0, 10, 3, 4, 1);
    ev_is(&b, 1, 20, 5, 6, 0);
    /* two columns: a channel stream, p = 1, y = 0 */
    ck_assert_int_eq(csv_str("t,unit\n100,699\n200,0\n", &g_csv, &b, &m, &d), 0);
    ck_assert_uint_eq(b.n, 2);
    ev_is(&b, 0, 100, 699, 0, 1);
    ck_assert_int_eq(csv_str("100,3\n101,4\n", &g_csv, &b, &m, &d), 0);
    ev_is(&b, 1, 101, 4, 0, 1);
    /* columns in another order, any case, quoted */
    ck_assert_int_eq(
        csv_str("\"X\",\"Y\",\"Timestamp\",\"Polarity\"\n1,2,30,1\n", &g_csv, &b, &m, &d), 0);
    ev_is(&b, 0, 30, 1, 2, 1);
    ck_assert_int_eq(csv_str("channel,t_us\n7,1000\n", &g_csv, &b, &m, &d), 0);
    ev_is(&b, 0, 1000, 7, 0, 1);
    /* header only; comments only; nothing */
    ck_assert_int_eq(csv_str("t,x,y,p\n", &g_csv, &b, &m, &d), 0);
    ck_assert_uint_eq(b.n, 0);
    ck_assert_int_eq(csv_str("# nothing\n", &g_csv, &b, &m, &d), 0);
    ck_assert_uint_eq(b.n, 0);
    ck_assert_int_eq(csv_str("", &g_csv, &b, &m, &d), 0);
    ck_assert_uint_eq(b.n, 0);
    /* the myelin comment carries the sensor size and label */
    ck_assert_int_eq(csv_str("# myelin width=34 height=34 channels=0 label=-1 future=x\n"
                             "#myelin label=4\nt,x,y,p\n1,2,3,1\n",
                             &g_csv, &b, &m, &d),
                     0);
    ck_assert_uint_eq(m.width, 34);
    ck_assert_uint_eq(m.height, 34);
    ck_assert_int_eq(m.label, 4);
    free(b.ev);
}
END_TEST

START_TEST(csv_decimal_time)
{
    evbuf b = {0};
    myl_diag d = {0};
    ck_assert_int_eq(csv_str("t_s,x,y,p\n0.000123,1,1,1\n1e-6,1,1,1\n0.0000015,1,1,1\n"
                             "0.0000014999,1,1,1\n1.5E3,1,1,1\n12.3456785,1,1,1\n0,1,1,1\n"
                             "-0,1,1,1\n+2.,1,1,1\n.5,1,1,1\n"
                             "1.234567890123456789e-01,1,1,1\n9223372036854.775807,1,1,1\n",
                             &g_csv, &b, NULL, &d),
                     0);
    static const int64_t want[] = {123, 1, 2,       1,      1500000000, 12345679,
                                   0,   0, 2000000, 500000, 123457,     INT64_MAX};
    ck_assert_uint_eq(b.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < b.n; i++)
        ck_assert_msg(b.ev[i].t == want[i], "line %zu: %lld, want %lld", i + 2,
                      (long long)b.ev[i].t, (long long)want[i]);
    ck_assert_int_eq(csv_str("t_ms,unit\n1.5,3\n0.0005,4\n2e3,5\n", &g_csv, &b, NULL, &d), 0);
    ev_is(&b, 0, 1500, 3, 0, 1);
    ev_is(&b, 1, 1, 4, 0, 1);
    ev_is(&b, 2, 2000000, 5, 0, 1);
    free(b.ev);
}
END_TEST

static void csv_err(const char *text, const myl_trace_opts *o, const char *want1, const char *want2)
{
    evbuf b = {0};
    myl_diag d = {0};
    int rc = csv_str(text, o, &b, NULL, &d);
    ck_assert_msg(rc == MYL_EPARSE, "'%s': rc %d", text, rc);
    ck_assert_msg(strstr(d.msg, want1) && strstr(d.msg, want2), "'%s' -> '%s' (want '%s', '%s')",
                  text, d.msg, want1, want2);
    free(b.ev);
}

START_TEST(csv_errors)
{
    csv_err("t,x,y,p\n1,2,3,1\n2,abc,3,1\n", &g_csv, "mem: line 3, column 2 (x)", "not a number");
    csv_err("1,2,3,1\n2,3,1\n", &g_csv, "mem: line 2:", "3 columns; expected 4");
    csv_err("1,2,3,1\n2,3,1,1,5\n", &g_csv, "line 2:", "5 columns");
    csv_err("t,unit\n1,2\n1,2,3\n", &g_csv, "line 3:", "expected 2 (t,unit)");
    csv_err("1,2,3\n", &g_csv, "line 1:", "3 columns");
    csv_err("# c\nt,x,y,p\n-5,1,1,1\n", &g_csv, "line 3, column 1 (t)", "negative time");
    csv_err("t_s,x,y,p\n-0.5,1,1,1\n", &g_csv, "line 2, column 1 (t_s)", "negative time");
    csv_err("1,70000,1,1\n", &g_csv, "line 1, column 2 (x)", "over 65535");
    csv_err("1,1,65536,1\n", &g_csv, "line 1, column 3 (y)", "over 65535");
    csv_err("t,unit\n1,65536\n", &g_csv, "line 2, column 2 (unit)", "over 65535");
    csv_err("1,1,-1,1\n", &g_csv, "line 1, column 3 (y)", "negative");
    csv_err("0.5,1,1,1\n", &g_csv, "line 1, column 1 (t)", "t_s or t_ms");
    csv_err("1,1,1,2\n", &g_csv, "line 1, column 4 (p)", "0, 1 or -1");
    csv_err("1,1,,1\n", &g_csv, "line 1, column 3 (y)", "empty");
    csv_err("99999999999999999999,1,1,1\n", &g_csv, "column 1 (t)", "too large");
    csv_err("t_s,x,y,p\n1e300,1,1,1\n", &g_csv, "column 1 (t_s)", "too large");
    csv_err("t_s,x,y,p\n1e,1,1,1\n", &g_csv, "column 1 (t_s)", "not a number");
    csv_err("t,x,y,q\n", &g_csv, "line 1, column 4", "unknown column 'q'");
    csv_err("t,x,t,p\n", &g_csv, "line 1, column 3", "second time column");
    csv_err("x,y\n", &g_csv, "line 1, column 1", "unknown column 'x'");
    csv_err("x,y,p,q,r\n", &g_csv, "line 1:", "header has 5 columns");
    csv_err("1,2,3,4,5\n", &g_csv, "line 1:", "5 columns");
    csv_err("# myelin width=abc\n", &g_csv, "line 1:", "width=abc");
    myl_trace_opts units = g_csv;
    units.csv_units = 1;
    csv_err("t,x,y,p\n", &units, "line 2:", "t,unit was asked for");
    units.csv_units = 0;
    csv_err("5,6\n", &units, "line 1:", "t,x,y,p was asked for");
    /* a line over 4 KiB */
    char *big = malloc(10000);
    strcpy(big, "t,x,y,p\n1,2,3,1\n");
    size_t n = strlen(big);
    memset(big + n, ' ', 5000);
    strcpy(big + n + 5000, "1,2,3,1\n");
    csv_err(big, &g_csv, "line 3:", "longer than 4096 bytes");
    free(big);
    /* data lines later in a long file: the line count runs across read windows */
    size_t cap = 3u << 20, len = 0;
    char *text = malloc(cap);
    int lines = 0;
    while (len < (2u << 20)) {
        len += (size_t)sprintf(text + len, "%d,1,2,0\n", lines);
        lines++;
    }
    strcpy(text + len, "5,5,5,5\n");
    char want[64];
    snprintf(want, sizeof want, "line %d, column 4 (p)", lines + 1);
    csv_err(text, &g_csv, want, "0, 1 or -1");
    free(text);
}
END_TEST

START_TEST(csv_roundtrip)
{
    myl_event ev[5000];
    gen(MIXED, ev, 5000);
    for (int i = 0; i < 5000; i++)
        ev[i].t = ev[i].t < 0 ? -(ev[i].t + 1) : ev[i].t; /* CSV times are not negative */
    myl_trace_meta m = {.width = 346, .height = 260, .label = 12};
    const char *path = myl_test_tmp("rt.csv");
    write_trace(path, MYL_TRACE_CSV, &m, ev, 5000, 999);
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open_file(path, NULL, &r, &d), 0); /* detected */
    const myl_trace_meta *got = myl_reader_meta(r);
    ck_assert_uint_eq(got->format, MYL_TRACE_CSV);
    ck_assert_uint_eq(got->width, 346);
    ck_assert_uint_eq(got->height, 260);
    ck_assert_int_eq(got->label, 12);
    evbuf out = {0};
    ck_assert_msg(read_all(r, 100, &out, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(out.n, 5000);
    same_events(ev, out.ev, 5000, "csv");
    myl_reader_close(r);
    free(out.ev);
    /* with nothing to say in the myelin comment, the writer writes just the header */
    myl_trace_meta none = {.label = -1};
    write_trace(path, MYL_TRACE_CSV, &none, ev, 2, 2);
    size_t size;
    char *text = (char *)slurp(path, &size);
    text[size] = '\0';
    char want[128];
    snprintf(want, sizeof want, "t,x,y,p\n%lld,%u,%u,%u\n", (long long)ev[0].t, ev[0].x, ev[0].y,
             ev[0].p);
    ck_assert_int_eq(strncmp(text, want, strlen(want)), 0);
    free(text);
}
END_TEST

START_TEST(csv_streams_lines)
{
    /* a source that hands out 1-7 bytes at a time */
    const char *text = "# c\r\nt,x,y,p\r\n1,2,3,1\r\n4,5,6,0\r\n\r\n7,8,9,1";
    for (size_t chunk = 1; chunk <= 7; chunk++) {
        evbuf b = {0};
        myl_diag d = {0};
        ck_assert_int_eq(mem_read_all(text, strlen(text), &g_csv, chunk, 2, &b, NULL, &d), 0);
        ck_assert_uint_eq(b.n, 3);
        ev_is(&b, 2, 7, 8, 9, 1);
        free(b.ev);
    }
}
END_TEST

/* ---- N-MNIST ----------------------------------------------------------------------------------
 */

START_TEST(nmnist_sample)
{
    if (!myl_test_have_shared())
        return; /* skip: no shared sample data on this machine */
    myl_reader *r = NULL;
    myl_diag d = {0};
    /* detected from its bytes, with no format given */
    int rc = myl_reader_open_file(myl_test_src("../shared/data/nmnist/tonic_sample_nmnist.bin"),
                                  NULL, &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    ck_assert_uint_eq(myl_reader_meta(r)->format, MYL_TRACE_NMNIST);
    ck_assert_uint_eq(myl_reader_meta(r)->width, 0); /* not in the file */
    evbuf b = {0};
    ck_assert_int_eq(read_all(r, 1000, &b, &d), 0);
    myl_reader_close(r);
    ck_assert_uint_eq(b.n, 4325);
    int64_t t0 = b.ev[0].t, t1 = b.ev[b.n - 1].t;
    ck_assert_int_eq((t1 - t0 + 500) / 1000, 311); /* ms, the manifest's precision */
    size_t on = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (b.ev[i].x >= 34 || b.ev[i].y >= 34)
            ck_abort_msg("event %zu at (%u, %u), outside 34 x 34", i, b.ev[i].x, b.ev[i].y);
        if (i && b.ev[i].t < b.ev[i - 1].t)
            ck_abort_msg("event %zu: time goes backwards", i);
        on += b.ev[i].p;
    }
    ck_assert_uint_gt(on, b.n / 4); /* both polarities */
    ck_assert_uint_lt(on, b.n * 3 / 4);
    /* Three saccades: the event rate in 5 ms bins has three bands of busy bins (>= half the
     * busiest) separated by quiet bins (< a tenth), the gaps where the motion turns. N-MNIST's
     * saccades last about 100 ms each, so the two gaps lie near 100 and 200 ms. */
    enum { BIN = 5000, NB = 64 };
    size_t h[NB] = {0}, hmax = 0;
    for (size_t i = 0; i < b.n; i++) {
        size_t k = (size_t)(b.ev[i].t / BIN);
        ck_assert_uint_lt(k, NB);
        h[k]++;
    }
    for (int k = 0; k < NB; k++)
        hmax = h[k] > hmax ? h[k] : hmax;
    int bands = 0, quiet_since_band = 0, in_band = 0;
    double gap_at[4] = {0};
    int ngaps = 0, last_busy = -1;
    for (int k = 0; k < NB; k++) {
        if (h[k] * 2 >= hmax) {
            if (!in_band && (bands == 0 || quiet_since_band)) {
                if (bands > 0 && ngaps < 4)
                    gap_at[ngaps++] = (last_busy + 1 + k) * BIN / 2.0;
                bands++;
            }
            in_band = 1, quiet_since_band = 0, last_busy = k;
        } else {
            in_band = 0;
            if (h[k] * 10 < hmax)
                quiet_since_band = 1;
        }
    }
    ck_assert_int_eq(bands, 3);
    ck_assert_int_eq(ngaps, 2);
    ck_assert_msg(gap_at[0] > 70000 && gap_at[0] < 130000, "first gap at %.0f µs", gap_at[0]);
    ck_assert_msg(gap_at[1] - gap_at[0] > 70000 && gap_at[1] - gap_at[0] < 150000,
                  "gaps at %.0f and %.0f µs", gap_at[0], gap_at[1]);
    free(b.ev);
}
END_TEST

START_TEST(nmnist_known)
{
    /* tests/data/trace/nmnist-known.bin (gen.py): a marker (y = 240) adds 8192 µs after it */
    static const myl_event want[] = {
        {0, 0, 0, 0, {0}},         {1, 33, 33, 1, {0}},          {65535, 5, 7, 1, {0}},
        {65536, 5, 7, 0, {0}},     {0x7FFFFF, 255, 239, 1, {0}}, {8192 + 10, 1, 2, 1, {0}},
        {8192 + 11, 3, 4, 0, {0}},
    };
    myl_reader *r = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(
        myl_reader_open_file(myl_test_src("tests/data/trace/nmnist-known.bin"), &g_nmnist, &r, &d),
        0);
    evbuf b = {0};
    ck_assert_int_eq(read_all(r, 2, &b, &d), 0);
    myl_reader_close(r);
    ck_assert_uint_eq(b.n, 7);
    same_events(want, b.ev, 7, "nmnist-known.bin");
    free(b.ev);
}
END_TEST

/* The plain decoder the fast one is compared with. */
static size_t ref_nmnist(const uint8_t *p, size_t n, myl_event *ev)
{
    size_t k = 0;
    int64_t off = 0;
    for (size_t i = 0; i + 5 <= n; i += 5) {
        if (p[i + 1] == 240) {
            off += 8192;
            continue;
        }
        ev[k].t = off + ((p[i + 2] & 0x7f) << 16) + (p[i + 3] << 8) + p[i + 4];
        ev[k].x = p[i];
        ev[k].y = p[i + 1];
        ev[k].p = p[i + 2] >> 7;
        k++;
    }
    return k;
}

START_TEST(nmnist_random_vs_reference)
{
    size_t nrec = 300000, size = nrec * 5;
    uint8_t *data = malloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)rnd();
    for (size_t i = 0; i < nrec; i += 1 + rnd() % 5000)
        data[i * 5 + 1] = 240; /* some markers */
    myl_event *want = malloc(nrec * sizeof *want);
    size_t nwant = ref_nmnist(data, size, want);
    static const size_t caps[] = {1, 7, 4096, 1 << 20};
    for (size_t c = 0; c < 4; c++) {
        evbuf b = {0};
        myl_diag d = {0};
        ck_assert_int_eq(mem_read_all(data, size, &g_nmnist, c == 1 ? 3 : 0, caps[c], &b, NULL, &d),
                         0);
        ck_assert_uint_eq(b.n, nwant);
        same_events(want, b.ev, nwant, "nmnist");
        free(b.ev);
    }
    free(want);
    free(data);
}
END_TEST

START_TEST(nmnist_truncated)
{
    uint8_t data[5 * 1000 + 4];
    for (size_t i = 0; i < 1000; i++) {
        uint32_t t = (uint32_t)i * 100;
        uint8_t *r = data + 5 * i;
        r[0] = (uint8_t)(i % 34), r[1] = (uint8_t)(i % 33), r[2] = (uint8_t)(t >> 16 | 0x80);
        r[3] = (uint8_t)(t >> 8), r[4] = (uint8_t)t;
    }
    for (size_t extra = 1; extra <= 4; extra++) {
        evbuf b = {0};
        myl_diag d = {0};
        int rc = mem_read_all(data, 5000 + extra, &g_nmnist, 0, 333, &b, NULL, &d);
        ck_assert_int_eq(rc, MYL_EPARSE);
        ck_assert_uint_eq(b.n, 1000); /* every whole event came first */
        char want[80];
        snprintf(want, sizeof want, "mem: byte 5000: truncated: the stream ends %zu bytes", extra);
        ck_assert_msg(strncmp(d.msg, want, strlen(want)) == 0, "'%s'", d.msg);
        free(b.ev);
    }
    /* and a cut through the first event */
    evbuf b = {0};
    myl_diag d = {0};
    ck_assert_int_eq(mem_read_all(data, 3, &g_nmnist, 0, 10, &b, NULL, &d), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(d.msg, "byte 0:"));
    ck_assert_int_eq(mem_read_all(data, 0, &g_nmnist, 0, 10, &b, NULL, &d), 0);
    ck_assert_uint_eq(b.n, 0);
    free(b.ev);
}
END_TEST

/* Detection: each format is recognised, and none claims the others' bytes. */
static int detect(const void *data, size_t n, myl_trace_format *f)
{
    memsrc m;
    myl_bytes b = memsrc_bytes(&m, data, n, 0, "mem");
    myl_reader *r = NULL;
    myl_diag d = {0};
    int rc = myl_reader_open(&b, NULL, &r, &d);
    if (rc == 0) {
        *f = myl_reader_meta(r)->format;
        myl_reader_close(r);
    }
    return rc;
}

/* The formats of these modules (other modules' probes may claim bytes these decline). */
static int mine(myl_trace_format f)
{
    return f == MYL_TRACE_NATIVE || f == MYL_TRACE_CSV || f == MYL_TRACE_NMNIST;
}

START_TEST(detection)
{
    myl_trace_format f = MYL_TRACE_UNKNOWN;
    /* N-MNIST records: plausible -> nmnist; too few, or a partial record -> not detected */
    uint8_t nm[5 * 40];
    for (int i = 0; i < 40; i++) {
        uint32_t t = 600 + (uint32_t)i * 37;
        uint8_t *r = nm + 5 * i;
        r[0] = (uint8_t)(i % 34), r[1] = (uint8_t)(i * 7 % 34);
        r[2] = (uint8_t)((t >> 16) | (i & 1) << 7), r[3] = (uint8_t)(t >> 8), r[4] = (uint8_t)t;
    }
    ck_assert_int_eq(detect(nm, sizeof nm, &f), 0);
    ck_assert_uint_eq(f, MYL_TRACE_NMNIST);
    ck_assert_int_eq(detect(nm, 5 * 7, &f), MYL_EPARSE);
    ck_assert_int_eq(detect(nm, sizeof nm - 2, &f), MYL_EPARSE);
    uint8_t back[sizeof nm];
    memcpy(back, nm, sizeof nm);
    back[5 * 20 + 3] = 0, back[5 * 20 + 4] = 0; /* time goes backwards */
    ck_assert_int_eq(detect(back, sizeof back, &f), MYL_EPARSE);
    /* random bytes */
    uint8_t rb[4096];
    for (int trial = 0; trial < 200; trial++) {
        for (size_t i = 0; i < sizeof rb; i++)
            rb[i] = (uint8_t)rnd();
        rb[0] = 0; /* not the native magic */
        int rc = detect(rb, 4095, &f);
        ck_assert_msg(rc != 0 || !mine(f), "random bytes detected as %s", myl_trace_format_name(f));
    }
    /* CSV, with and without header; it is never taken for N-MNIST */
    const char *c1 = "0,1,2,1\n5,3,4,0\n9,1,1,1\n10,1,1,1\n11,1,1,1\n12,1,1,1\n13,1,1,1\n"
                     "14,1,1,1\n15,1,1,1\n";
    ck_assert_int_eq(detect(c1, strlen(c1), &f), 0);
    ck_assert_uint_eq(f, MYL_TRACE_CSV);
    const char *c2 = "# comment\nt_s,unit\n0.5,3\n";
    ck_assert_int_eq(detect(c2, strlen(c2), &f), 0);
    ck_assert_uint_eq(f, MYL_TRACE_CSV);
    const char *c3 = "hello world\nthis is not events\n";
    ck_assert(detect(c3, strlen(c3), &f) != 0 || !mine(f));
    const char *c4 = "% evt 2.0\n";
    ck_assert(detect(c4, strlen(c4), &f) != 0 || !mine(f));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("trace-native");
    TCase *tc = tcase_create("native");
    tcase_add_test(tc, native_roundtrip_shapes);
    tcase_add_test(tc, native_roundtrip_large);
    tcase_add_test(tc, native_roundtrip_small_batches);
    tcase_add_test(tc, native_empty);
    tcase_add_test(tc, native_detect_and_file);
    tcase_add_test(tc, native_fixtures);
    tcase_add_test(tc, native_numpy_snippet);
    tcase_add_test(tc, native_truncated_every_offset);
    tcase_add_test(tc, native_damaged);
    tcase_add_test(tc, native_empty_blocks_and_skips);
    tcase_add_test(tc, native_hdf5_signature_inside);
    tcase_add_test(tc, native_live_no_wait);
    tcase_add_test(tc, events_before_error_delivered);
    tcase_add_test(tc, native_alloc_failure);
    tcase_add_test(tc, writer_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("csv");
    tcase_add_test(tc, csv_layouts);
    tcase_add_test(tc, csv_decimal_time);
    tcase_add_test(tc, csv_errors);
    tcase_add_test(tc, csv_roundtrip);
    tcase_add_test(tc, csv_streams_lines);
    suite_add_tcase(s, tc);
    tc = tcase_create("nmnist");
    tcase_add_test(tc, nmnist_sample);
    tcase_add_test(tc, nmnist_known);
    tcase_add_test(tc, nmnist_random_vs_reference);
    tcase_add_test(tc, nmnist_truncated);
    tcase_add_test(tc, detection);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
