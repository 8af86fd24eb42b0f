/* Tests for the Prophesee readers (sim/io/trace_prophesee.c): EVT 2.0, EVT 3.0 and .dat.
 *
 * Streams are written here from the format descriptions (formats.md), with known events, and
 * every decoded event is compared: EVT 2.0 with events before the first TIME_HIGH, triggers,
 * OTHERS and CONTINUED words, and a TIME_HIGH rollover; EVT 3.0 with vectors (VECT_12, VECT_8,
 * empty and sparse masks), several ADDR_Y changes and TIME_HIGH loops past 2^24 us; .dat v2
 * with a 12-byte stride and a timestamp wrap; legacy and `% end` headers, and data whose first
 * byte is '%'. Random streams are decoded by a plain word-by-word reference decoder written
 * here and by the reader, which must agree; every stream is read whole, a few bytes at a time
 * and with room for one event per call, and big ones cross the 1 MiB window with words cut at
 * its edge. Hostile inputs must fail with MYL_EPARSE and a message naming the input and the
 * byte offset. The real samples in ../shared/data are read when that folder exists, and the
 * files under tests/data/prophesee (fixtures and fuzzer findings) are read by path.
 *
 * `test-trace-prophesee --write-corpus DIR` writes the generated streams into DIR (fuzz seeds,
 * and the fixtures in tests/data/prophesee).
 */
#include "memsrc.h"
#include "testlib.h"

#include "myelin/trace.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- byte buffers and event lists ------------------------------------------------------------ */

typedef struct bb {
    uint8_t *p;
    size_t n, cap;
} bb;

static void bb_put(bb *b, const void *p, size_t k)
{
    if (b->n + k > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + k)
            c *= 2;
        b->p = realloc(b->p, c);
        if (!b->p)
            abort();
        b->cap = c;
    }
    if (k)
        memcpy(b->p + b->n, p, k);
    b->n += k;
}

static void bb_str(bb *b, const char *s)
{
    bb_put(b, s, strlen(s));
}

static void bb_u8(bb *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    bb_put(b, &c, 1);
}

static void bb_le16(bb *b, uint32_t v)
{
    uint8_t c[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    bb_put(b, c, 2);
}

static void bb_le32(bb *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bb_put(b, c, 4);
}

static void bb_free(bb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

typedef struct evl {
    myl_event *e;
    size_t n, cap;
} evl;

static void evl_add(evl *v, int64_t t, unsigned x, unsigned y, unsigned p)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->e = realloc(v->e, v->cap * sizeof *v->e);
        if (!v->e)
            abort();
    }
    v->e[v->n++] = (myl_event){t, (uint16_t)x, (uint16_t)y, (uint8_t)p, {0, 0, 0}};
}

static void evl_free(evl *v)
{
    free(v->e);
    memset(v, 0, sizeof *v);
}

/* First difference between two event lists, or a note on their lengths; NULL if equal. */
static const char *evl_diff(const evl *got, const evl *want)
{
    static char msg[256];
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        const myl_event *a = &got->e[i], *b = &want->e[i];
        if (a->t != b->t || a->x != b->x || a->y != b->y || a->p != b->p) {
            snprintf(msg, sizeof msg,
                     "event %zu: got (t %lld, x %u, y %u, p %u), want (t %lld, x %u, y %u, p %u)",
                     i, (long long)a->t, a->x, a->y, a->p, (long long)b->t, b->x, b->y, b->p);
            return msg;
        }
    }
    if (got->n != want->n) {
        snprintf(msg, sizeof msg, "got %zu events, want %zu", got->n, want->n);
        return msg;
    }
    return NULL;
}

static void read_file(const char *path, bb *b)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    uint8_t buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        bb_put(b, buf, k);
    fclose(f);
}

/* ---- reading from memory ------------------------------------------------------------------- */

typedef struct result {
    int rc_open, rc;     /* codes of open and of the read that ended the stream */
    myl_trace_meta meta; /* when open succeeded */
    evl ev;              /* events before the end or the error */
    myl_diag d;
} result;

static void result_free(result *r)
{
    evl_free(&r->ev);
}

/* Read a whole stream: format f (UNKNOWN: detect), `chunk` bytes per source call, `cap`
 * events per read call. The name in messages is "mem.raw". */
static void read_mem(const uint8_t *p, size_t n, myl_trace_format f, size_t chunk, size_t cap,
                     result *out)
{
    memset(out, 0, sizeof *out);
    memsrc m;
    myl_bytes src = memsrc_bytes(&m, p, n, chunk, "mem.raw");
    m.poison = 1; /* under ASan, reading past what was handed out is caught */
    myl_trace_opts o = {.format = f, .csv_units = -1};
    myl_reader *r = NULL;
    out->rc_open = myl_reader_open(&src, &o, &r, &out->d);
    if (out->rc_open)
        return;
    out->meta = *myl_reader_meta(r);
    myl_event *buf = malloc(cap * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        size_t k = 0;
        out->rc = myl_reader_read(r, buf, cap, &k, &out->d);
        if (out->rc || k == 0)
            break;
        if (k > cap)
            ck_abort_msg("read gave %zu events for room for %zu", k, cap);
        for (size_t i = 0; i < k; i++)
            evl_add(&out->ev, buf[i].t, buf[i].x, buf[i].y, buf[i].p);
    }
    free(buf);
    myl_reader_close(r);
}

/* Read stream b as format f in several ways (whole, byte by byte, odd pieces; room for 4096,
 * 1 and 13 events) and compare each with want. */
static void check_stream(const bb *b, myl_trace_format f, const evl *want, uint32_t width,
                         uint32_t height, const char *what)
{
    static const size_t ways[][2] = {{0, 4096}, {1, 4096}, {7, 1}, {3, 13}, {0, 1}, {4093, 11}};
    for (size_t k = 0; k < sizeof ways / sizeof ways[0]; k++) {
        result r;
        read_mem(b->p, b->n, f, ways[k][0], ways[k][1], &r);
        if (r.rc_open || r.rc)
            ck_abort_msg("%s (chunk %zu, cap %zu): %s: %s", what, ways[k][0], ways[k][1],
                         myl_err_name(r.rc_open ? r.rc_open : r.rc), r.d.msg);
        const char *diff = evl_diff(&r.ev, want);
        if (diff)
            ck_abort_msg("%s (chunk %zu, cap %zu): %s", what, ways[k][0], ways[k][1], diff);
        if (r.meta.width != width || r.meta.height != height)
            ck_abort_msg("%s: sensor %ux%u, want %ux%u", what, r.meta.width, r.meta.height, width,
                         height);
        result_free(&r);
    }
}

/* Expect MYL_EPARSE with a message "mem.raw: byte <off>: ..." containing `phrase`, after
 * exactly `nbefore` events. */
static void check_error(const bb *b, myl_trace_format f, unsigned long long off, size_t nbefore,
                        const char *phrase, const char *what)
{
    static const size_t ways[][2] = {{0, 4096}, {1, 3}, {5, 1}};
    char prefix[64];
    snprintf(prefix, sizeof prefix, "mem.raw: byte %llu: ", off);
    for (size_t k = 0; k < sizeof ways / sizeof ways[0]; k++) {
        result r;
        read_mem(b->p, b->n, f, ways[k][0], ways[k][1], &r);
        int rc = r.rc_open ? r.rc_open : r.rc;
        if (rc != MYL_EPARSE)
            ck_abort_msg("%s: got %s (%s), want MYL_EPARSE", what, myl_err_name(rc), r.d.msg);
        if (strncmp(r.d.msg, prefix, strlen(prefix)) != 0 || !strstr(r.d.msg, phrase))
            ck_abort_msg("%s: message '%s', want '%s...%s'", what, r.d.msg, prefix, phrase);
        if (r.ev.n != nbefore)
            ck_abort_msg("%s: %zu events before the error, want %zu", what, r.ev.n, nbefore);
        result_free(&r);
    }
}

/* ---- word builders -------------------------------------------------------------------------- */

static uint32_t e2_cd(unsigned p, unsigned tlow, unsigned x, unsigned y)
{
    return (uint32_t)p << 28 | (uint32_t)(tlow & 63) << 22 | (uint32_t)x << 11 | y;
}

static uint32_t e2_th(uint32_t v)
{
    return 0x80000000u | (v & 0x0FFFFFFFu);
}

enum { Y = 0x0, X = 0x2, VB = 0x3, V12 = 0x4, V8 = 0x5, TL = 0x6, TH = 0x8 };

static uint32_t e3(unsigned type, unsigned payload)
{
    return (uint32_t)type << 12 | (payload & 0xFFF);
}

static uint32_t e3_x(unsigned x, unsigned p)
{
    return e3(X, (p & 1) << 11 | x);
}

static uint32_t e3_vb(unsigned x, unsigned p)
{
    return e3(VB, (p & 1) << 11 | x);
}

/* ---- EVT 2.0 -------------------------------------------------------------------------------- */

/* A stream with every EVT 2.0 word type and a TIME_HIGH rollover. legacy: a header without
 * `% end` whose size comes from the plugin name, and whose first data byte is '%'. */
static void make_evt2(bb *b, evl *want, int legacy)
{
    if (legacy) {
        bb_str(b, "% Date 2020-09-14 09:03:25\n% integrator_name Prophesee\n"
                  "% plugin_name hal_plugin_gen3_fx3\n% serial_number 00001234\n% evt 2.0\n");
    } else {
        bb_str(b, "% camera_integrator_name Prophesee\r\n% date 2023-01-01 00:00:00\n"
                  "% evt 2.0\n% format EVT2;height=480;width=640\n% geometry 640x480\n% end\n");
    }
    /* before the first TIME_HIGH: ignored. 0x10002025 is bytes "% \0\x10": a CD_ON at y 37 */
    bb_le32(b, 0x10002025u);
    bb_le32(b, e2_cd(0, 3, 5, 6));
    bb_le32(b, 0xA0000001u); /* trigger */
    uint64_t loop = (uint64_t)1 << 34;
    bb_le32(b, e2_th(0x0FFFFFFE));
    uint64_t base = (uint64_t)0x0FFFFFFE << 6;
    bb_le32(b, e2_cd(1, 5, 639, 479)), evl_add(want, (int64_t)(base + 5), 639, 479, 1);
    bb_le32(b, e2_cd(0, 63, 0, 0)), evl_add(want, (int64_t)(base + 63), 0, 0, 0);
    bb_le32(b, 0xA0000123u); /* EXT_TRIGGER */
    bb_le32(b, 0xE1234567u); /* OTHERS */
    bb_le32(b, 0xF89ABCDEu); /* CONTINUED */
    bb_le32(b, e2_cd(1, 63, 320, 240)), evl_add(want, (int64_t)(base + 63), 320, 240, 1);
    bb_le32(b, e2_th(0x0FFFFFFF));
    base = (uint64_t)0x0FFFFFFF << 6;
    bb_le32(b, e2_cd(0, 0, 1, 2)), evl_add(want, (int64_t)base, 1, 2, 0);
    bb_le32(b, e2_th(0)); /* rollover: time bits 33-6 start again */
    bb_le32(b, e2_cd(1, 1, 3, 4)), evl_add(want, (int64_t)(loop + 1), 3, 4, 1);
    bb_le32(b, e2_th(2));
    bb_le32(b, e2_cd(0, 10, 7, 8)), evl_add(want, (int64_t)(loop + 128 + 10), 7, 8, 0);
    bb_le32(b, e2_cd(1, 11, 9, 10)), evl_add(want, (int64_t)(loop + 128 + 11), 9, 10, 1);
    bb_le32(b, e2_th(0x100000)); /* a forward jump, not a loop */
    base = loop + ((uint64_t)0x100000 << 6);
    bb_le32(b, e2_cd(1, 0, 11, 12)), evl_add(want, (int64_t)base, 11, 12, 1);
}

START_TEST(evt2_stream)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        bb b = {0};
        evl want = {0};
        make_evt2(&b, &want, legacy);
        ck_assert_uint_eq(want.n, 8);
        check_stream(&b, MYL_TRACE_EVT2, &want, 640, 480, legacy ? "legacy" : "end");
        check_stream(&b, MYL_TRACE_UNKNOWN, &want, 640, 480, "detected");
        result r;
        read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, 0, 100, &r);
        ck_assert_int_eq(r.meta.format, MYL_TRACE_EVT2);
        ck_assert_str_eq(r.meta.source,
                         legacy ? "Prophesee hal_plugin_gen3_fx3 00001234" : "Prophesee");
        result_free(&r);
        bb_free(&b);
        evl_free(&want);
    }
}
END_TEST

START_TEST(evt2_header_rules)
{
    /* the smallest header */
    bb b = {0};
    evl want = {0};
    bb_str(&b, "% evt 2.0\n");
    bb_le32(&b, e2_th(1));
    bb_le32(&b, e2_cd(1, 2, 3, 4)), evl_add(&want, 66, 3, 4, 1);
    check_stream(&b, MYL_TRACE_EVT2, &want, 0, 0, "no size");
    /* the first data word is a TIME_HIGH whose low byte is '%' */
    bb_free(&b), evl_free(&want);
    bb_str(&b, "% evt 2.0\n% geometry 304x240\n");
    bb_le32(&b, e2_th(0x25));
    bb_le32(&b, e2_cd(1, 1, 303, 239)), evl_add(&want, (0x25 << 6) + 1, 303, 239, 1);
    check_stream(&b, MYL_TRACE_EVT2, &want, 304, 240, "TIME_HIGH '%'");
    /* size from sensor_generation, then from format over geometry */
    bb_free(&b), evl_free(&want);
    bb_str(&b, "% evt 2.0\n% sensor_generation 4.1\n% end\n");
    check_stream(&b, MYL_TRACE_EVT2, &want, 1280, 720, "generation 4.1");
    bb_free(&b);
    bb_str(&b, "% geometry 320x200\n% format EVT2;width=100;height=50\n% end\n");
    check_stream(&b, MYL_TRACE_EVT2, &want, 100, 50, "format over geometry");
    bb_free(&b);
    /* nothing at all: an empty stream, forced */
    check_stream(&b, MYL_TRACE_EVT2, &want, 0, 0, "empty");
    /* header only */
    bb_str(&b, "% evt 2.0\n% end\n");
    check_stream(&b, MYL_TRACE_UNKNOWN, &want, 0, 0, "header only");
    bb_free(&b);
}
END_TEST

/* The plain decoder the readers are checked against: one word at a time, as the format
 * description says. Returns the events of a valid stream (data only, no header). */
static void ref_evt2(const uint8_t *p, size_t n, evl *out)
{
    int synced = 0;
    uint64_t loops = 0, th = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        switch (w >> 28) {
        case 0:
        case 1:
            if (synced)
                evl_add(out, (int64_t)((loops << 34) + (th << 6) + ((w >> 22) & 63)),
                        (w >> 11) & 0x7FF, w & 0x7FF, w >> 28);
            break;
        case 8: {
            uint64_t v = w & 0x0FFFFFFF;
            if (synced && v < th && th - v > (1u << 27))
                loops++;
            th = v;
            synced = 1;
            break;
        }
        default:
            break;
        }
    }
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)((g_rng >> 11) % n);
}

/* A random valid EVT 2.0 stream of about nwords words for a 640x480 sensor. */
static void rand_evt2(bb *b, size_t nwords)
{
    uint32_t th = rnd(1000) ? rnd(1u << 20) : 0x0FFFFFF0u;
    for (size_t k = rnd(4); k > 0; k--)
        bb_le32(b, e2_cd(rnd(2), rnd(64), rnd(640), rnd(480)));
    bb_le32(b, e2_th(th));
    for (size_t i = 0; i < nwords; i++) {
        uint32_t r = rnd(100);
        if (r < 80) {
            bb_le32(b, e2_cd(rnd(2), rnd(64), rnd(640), rnd(480)));
        } else if (r < 90) {
            th = (th + 1 + (rnd(8) == 0 ? rnd(1000) : 0)) & 0x0FFFFFFF;
            bb_le32(b, e2_th(th));
        } else {
            static const uint32_t skip[] = {0xA, 0xE, 0xF};
            bb_le32(b, skip[rnd(3)] << 28 | rnd(1u << 28));
        }
    }
}

START_TEST(evt2_random)
{
    for (int it = 0; it < 60; it++) {
        bb b = {0};
        evl want = {0};
        bb_str(&b, "% evt 2.0\n% format EVT2;height=480;width=640\n% end\n");
        size_t h = b.n;
        rand_evt2(&b, 50 + rnd(3000));
        ref_evt2(b.p + h, b.n - h, &want);
        check_stream(&b, MYL_TRACE_EVT2, &want, 640, 480, "random EVT 2.0");
        bb_free(&b);
        evl_free(&want);
    }
}
END_TEST

/* ---- EVT 3.0 -------------------------------------------------------------------------------- */

/* A stream with vectors, ADDR_Y changes and two time loops. legacy: a header without `% end`
 * (size from the plugin name) followed by an ADDR_X whose first byte is '%'; else a `% end`
 * header followed by the bytes "% abc\n", which are EVT 3.0 words (ADDR_X, TIME_LOW, ADDR_Y
 * 611 with the system-type bit set) and must be read as data. */
static void make_evt3(bb *b, evl *want, int legacy)
{
    unsigned row;
    if (legacy) {
        bb_str(b, "% Date 2020-09-25 07:48:29\n% evt 3.0\n% integrator_name Prophesee\n"
                  "% plugin_name hal_plugin_gen41_evk3\n% system_ID 48\n");
        bb_le16(b, 0x2025); /* ADDR_X x 37 before any TIME_HIGH: skipped */
        bb_le16(b, e3(Y, 5));
        row = 5;
    } else {
        bb_str(b, "% evt 3.0\n% format EVT3;height=720;width=1280\n% end\n% abc\n");
        row = 0x263;
    }
    bb_le16(b, e3_vb(100, 1)); /* kept from before the first TIME_HIGH */
    bb_le16(b, e3(TL, 7));
    bb_le16(b, e3(V12, 0xFFF)); /* skipped, but moves the base: 112 */
    uint64_t hi = (uint64_t)0xFFE << 12;
    bb_le16(b, e3(TH, 0xFFE));
    bb_le16(b, e3_x(10, 1)), evl_add(want, (int64_t)hi, 10, row, 1);
    bb_le16(b, e3(TL, 0x010));
    bb_le16(b, e3(V12, 0x805)); /* 112, 114, 123 */
    evl_add(want, (int64_t)hi + 16, 112, row, 1), evl_add(want, (int64_t)hi + 16, 114, row, 1);
    evl_add(want, (int64_t)hi + 16, 123, row, 1);
    bb_le16(b, e3(V8, 0x81)); /* 124, 131 */
    evl_add(want, (int64_t)hi + 16, 124, row, 1), evl_add(want, (int64_t)hi + 16, 131, row, 1);
    bb_le16(b, e3(V12, 0));    /* nothing; base 144 */
    bb_le16(b, e3(V8, 0xF02)); /* bits above 7 are not part of a VECT_8 mask: 145 */
    evl_add(want, (int64_t)hi + 16, 145, row, 1);
    bb_le16(b, e3(Y, 719));
    bb_le16(b, e3_x(1279, 0)), evl_add(want, (int64_t)hi + 16, 1279, 719, 0);
    bb_le16(b, e3(Y, 0x800)); /* y 0, system-type bit set */
    bb_le16(b, e3_x(0, 1)), evl_add(want, (int64_t)hi + 16, 0, 0, 1);
    bb_le16(b, 0x7123), bb_le16(b, 0xA001), bb_le16(b, 0xE555), bb_le16(b, 0xF0FF);
    bb_le16(b, e3_vb(1268, 0));
    bb_le16(b, e3(Y, 3));
    bb_le16(b, e3(V12, 0x800)), evl_add(want, (int64_t)hi + 16, 1279, 3, 0);
    bb_le16(b, e3(TH, 0xFFF));
    bb_le16(b, e3(TL, 0xFFF));
    bb_le16(b, e3_x(1, 0)), evl_add(want, 0xFFFFFF, 1, 3, 0);
    uint64_t loop = (uint64_t)1 << 24;
    bb_le16(b, e3(TH, 0)); /* loop: past 2^24 us */
    bb_le16(b, e3_x(2, 1)), evl_add(want, (int64_t)loop, 2, 3, 1);
    bb_le16(b, e3(TL, 5));
    bb_le16(b, e3_x(3, 1)), evl_add(want, (int64_t)loop + 5, 3, 3, 1);
    bb_le16(b, e3(TL, 0)); /* TIME_LOW going back without a TIME_HIGH: as it says */
    bb_le16(b, e3_x(4, 0)), evl_add(want, (int64_t)loop, 4, 3, 0);
    bb_le16(b, e3(TH, 0x7FF));
    bb_le16(b, e3(TH, 0xFFF));
    bb_le16(b, e3(TH, 0x001)); /* second loop */
    bb_le16(b, e3(TL, 0x002));
    bb_le16(b, e3_x(5, 1)), evl_add(want, (int64_t)(2 * loop + 0x1002), 5, 3, 1);
    bb_le16(b, e3(TH, 0x000)); /* backwards by one: not a loop, reported as it is */
    bb_le16(b, e3_x(6, 0)), evl_add(want, (int64_t)(2 * loop), 6, 3, 0);
}

START_TEST(evt3_stream)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        bb b = {0};
        evl want = {0};
        make_evt3(&b, &want, legacy);
        ck_assert_uint_eq(want.n, 16);
        check_stream(&b, MYL_TRACE_EVT3, &want, 1280, 720, legacy ? "legacy" : "end");
        check_stream(&b, MYL_TRACE_UNKNOWN, &want, 1280, 720, "detected");
        bb_free(&b);
        evl_free(&want);
    }
    /* the same "% abc\n" after a legacy header is a header line: the rule's price, documented */
    bb b = {0};
    evl want = {0};
    bb_str(&b, "% evt 3.0\n% abc\n");
    bb_le16(&b, e3(TH, 1)), bb_le16(&b, e3(Y, 9)), bb_le16(&b, e3_x(8, 1));
    evl_add(&want, 4096, 8, 9, 1);
    check_stream(&b, MYL_TRACE_EVT3, &want, 0, 0, "legacy % abc");
    bb_free(&b);
    evl_free(&want);
    /* but "%kk\n" (no blank after '%') and "% k\n" (a one-letter key) are data: TIME_LOW, ADDR_Y
     * 619 and ADDR_X 37, ADDR_Y 619 */
    static const char *const almost[] = {"%kk\n", "% k\n"};
    for (int k = 0; k < 2; k++) {
        bb_str(&b, "% evt 3.0\n");
        bb_str(&b, almost[k]);
        bb_le16(&b, e3(TH, 1)), bb_le16(&b, e3_x(8, 1));
        evl_add(&want, 4096, 8, 619, 1);
        check_stream(&b, MYL_TRACE_EVT3, &want, 0, 0, almost[k]);
        bb_free(&b);
        evl_free(&want);
    }
}
END_TEST

static void ref_evt3(const uint8_t *p, size_t n, evl *out)
{
    int synced = 0;
    uint32_t y = 0, base = 0, pol = 0, th = 0, tl = 0;
    uint64_t loops = 0;
    for (size_t i = 0; i + 2 <= n; i += 2) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
        int64_t t = (int64_t)((loops << 24) | th << 12 | tl);
        switch (w >> 12) {
        case 0:
            y = w & 0x7FF;
            break;
        case 2:
            if (synced)
                evl_add(out, t, w & 0x7FF, y, (w >> 11) & 1);
            break;
        case 3:
            base = w & 0x7FF;
            pol = (w >> 11) & 1;
            break;
        case 4:
        case 5: {
            unsigned nb = (w >> 12) == 4 ? 12 : 8;
            for (unsigned k = 0; k < nb; k++)
                if (synced && (w >> k) & 1)
                    evl_add(out, t, base + k, y, pol);
            base += nb;
            break;
        }
        case 6:
            tl = w & 0xFFF;
            break;
        case 8:
            if (synced && (w & 0xFFF) < th && th - (w & 0xFFF) > 2048)
                loops++;
            th = w & 0xFFF;
            tl = 0;
            synced = 1;
            break;
        default:
            break;
        }
    }
}

/* A random valid EVT 3.0 stream of about nwords words for a 1280x720 sensor. */
static void rand_evt3(bb *b, size_t nwords)
{
    uint32_t th = rnd(4096), tl = 0;
    int have_y = 0;
    for (size_t k = rnd(4); k > 0; k--) {
        uint32_t r = rnd(3);
        bb_le16(b, r == 0 ? e3(Y, rnd(720)) : r == 1 ? e3_x(rnd(1280), rnd(2)) : e3(TL, rnd(4096)));
        have_y |= r == 0;
    }
    bb_le16(b, e3(TH, th));
    if (!have_y)
        bb_le16(b, e3(Y, rnd(720)));
    for (size_t i = 0; i < nwords;) {
        uint32_t r = rnd(100);
        if (r < 25) {
            bb_le16(b, e3(Y, rnd(720))), i++;
        } else if (r < 70) {
            bb_le16(b, e3_x(rnd(1280), rnd(2))), i++;
        } else if (r < 80) {
            /* a vector group that stays on the sensor: at most 4 vectors of 12 */
            unsigned nv = 1 + rnd(4), x0 = rnd(1280 - 48);
            bb_le16(b, e3_vb(x0, rnd(2))), i++;
            for (unsigned k = 0; k < nv; k++, i++) {
                uint32_t m = rnd(4) == 0 ? 0 : rnd(4) == 0 ? 0xFFF : rnd(4096);
                bb_le16(b, rnd(2) ? e3(V12, m) : e3(V8, m & 0xFF));
            }
        } else if (r < 90) {
            tl = (tl + 1 + rnd(40)) & 0xFFF;
            bb_le16(b, e3(TL, tl)), i++;
        } else if (r < 96) {
            th = (th + 1 + (rnd(8) == 0 ? rnd(300) : 0)) & 0xFFF;
            tl = 0;
            bb_le16(b, e3(TH, th)), i++;
        } else {
            static const uint32_t skip[] = {0x7, 0xA, 0xE, 0xF};
            bb_le16(b, skip[rnd(4)] << 12 | rnd(4096)), i++;
        }
    }
}

START_TEST(evt3_random)
{
    for (int it = 0; it < 60; it++) {
        bb b = {0};
        evl want = {0};
        bb_str(&b, "% evt 3.0\n% geometry 1280x720\n% end\n");
        size_t h = b.n;
        rand_evt3(&b, 50 + rnd(4000));
        ref_evt3(b.p + h, b.n - h, &want);
        check_stream(&b, MYL_TRACE_EVT3, &want, 1280, 720, "random EVT 3.0");
        bb_free(&b);
        evl_free(&want);
    }
}
END_TEST

START_TEST(big_streams)
{
    /* more than the 1 MiB window, with a header of odd length so that words straddle its
     * edge, read through a source that gives 999,999 bytes at a time */
    bb b = {0};
    evl want = {0};
    bb_str(&b, "% evt 3.0\n% serial_number 12\n% end\n");
    ck_assert_uint_eq(b.n % 2, 1);
    size_t h = b.n;
    rand_evt3(&b, 1500000);
    ref_evt3(b.p + h, b.n - h, &want);
    static const size_t ways[][2] = {{0, 65536}, {999999, 4093}};
    for (int k = 0; k < 2; k++) {
        result r;
        read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, ways[k][0], ways[k][1], &r);
        ck_assert_msg(r.rc_open == 0 && r.rc == 0, "%s", r.d.msg);
        const char *diff = evl_diff(&r.ev, &want);
        ck_assert_msg(diff == NULL, "big EVT 3.0: %s", diff);
        result_free(&r);
    }
    bb_free(&b), evl_free(&want);
    bb_str(&b, "% evt 2.0\n% geometry 640x480\n");
    ck_assert_uint_ne(b.n % 4, 0);
    h = b.n;
    rand_evt2(&b, 700000);
    ref_evt2(b.p + h, b.n - h, &want);
    for (int k = 0; k < 2; k++) {
        result r;
        read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, ways[k][0], ways[k][1], &r);
        ck_assert_msg(r.rc_open == 0 && r.rc == 0, "%s", r.d.msg);
        const char *diff = evl_diff(&r.ev, &want);
        ck_assert_msg(diff == NULL, "big EVT 2.0: %s", diff);
        result_free(&r);
    }
    bb_free(&b), evl_free(&want);
}
END_TEST

/* ---- .dat ----------------------------------------------------------------------------------- */

static void dat_rec(bb *b, unsigned stride, uint32_t t, unsigned x, unsigned y, unsigned p)
{
    bb_le32(b, t);
    bb_le32(b, (uint32_t)p << 28 | (uint32_t)y << 14 | x);
    for (unsigned k = 8; k < stride; k++)
        bb_u8(b, 0xA0 + k);
}

/* A v2 file: header with Width/Height (or `% end` and no size), type CD, records of `stride`
 * bytes, a timestamp wrap. */
static void make_dat(bb *b, evl *want, unsigned stride, int with_end)
{
    if (with_end)
        bb_str(b, "% Data file containing CD events\n% Version 2\n% end\n");
    else
        bb_str(b, "% Data file containing CD events\n% Version 2\n% Date 2020-09-14 14:18:29\n"
                  "% Width 640\n% Height 480\n");
    bb_u8(b, 0x0C), bb_u8(b, stride);
    dat_rec(b, stride, 10, 639, 479, 1), evl_add(want, 10, 639, 479, 1);
    dat_rec(b, stride, 11, 0, 0, 0), evl_add(want, 11, 0, 0, 0);
    dat_rec(b, stride, 11, 320, 240, 1), evl_add(want, 11, 320, 240, 1);
    dat_rec(b, stride, 9, 1, 1, 0), evl_add(want, 9, 1, 1, 0); /* a small step back: as is */
    dat_rec(b, stride, 0xFFFFFFF0u, 2, 3, 1), evl_add(want, 0xFFFFFFF0ll, 2, 3, 1);
    dat_rec(b, stride, 0x10, 4, 5, 0), evl_add(want, 0x100000010ll, 4, 5, 0); /* wrap */
    dat_rec(b, stride, 0x20, 6, 7, 1), evl_add(want, 0x100000020ll, 6, 7, 1);
}

START_TEST(dat_stream)
{
    static const unsigned strides[] = {8, 12, 255};
    for (int k = 0; k < 3; k++)
        for (int with_end = 0; with_end < 2; with_end++) {
            bb b = {0};
            evl want = {0};
            make_dat(&b, &want, strides[k], with_end);
            check_stream(&b, MYL_TRACE_DAT, &want, with_end ? 0 : 640, with_end ? 0 : 480, "dat");
            check_stream(&b, MYL_TRACE_UNKNOWN, &want, with_end ? 0 : 640, with_end ? 0 : 480,
                         "dat detected");
            bb_free(&b);
            evl_free(&want);
        }
    /* no header at all (format named), and a header with no events after it */
    bb b = {0};
    evl want = {0};
    bb_u8(&b, 0x00), bb_u8(&b, 8);
    dat_rec(&b, 8, 5, 16383, 16383, 1), evl_add(&want, 5, 16383, 16383, 1);
    check_stream(&b, MYL_TRACE_DAT, &want, 0, 0, "dat without header");
    bb_free(&b), evl_free(&want);
    bb_str(&b, "% Data file containing CD events\n% Version 2\n");
    check_stream(&b, MYL_TRACE_UNKNOWN, &want, 0, 0, "dat header only");
    bb_u8(&b, 0x0C), bb_u8(&b, 8);
    check_stream(&b, MYL_TRACE_UNKNOWN, &want, 0, 0, "dat without events");
    bb_free(&b);
}
END_TEST

/* ---- hostile inputs ------------------------------------------------------------------------- */

START_TEST(hostile)
{
    bb b = {0};
    const char *e2h = "% evt 2.0\n% format EVT2;height=480;width=640\n% end\n";
    const char *e3h = "% evt 3.0\n% format EVT3;height=720;width=1280\n% end\n";
    const size_t l2 = strlen(e2h), l3 = strlen(e3h);

    /* headers */
    bb_str(&b, "% evt 3.0\n");
    check_error(&b, MYL_TRACE_EVT2, 0, 0, "found a header declaring EVT 3.0; expected EVT 2.0",
                "EVT 3.0 read as EVT 2.0");
    check_error(&b, MYL_TRACE_DAT, 0, 0, "expected a .dat header", "EVT 3.0 read as .dat");
    bb_free(&b);
    bb_str(&b, "% Date x\n% format EVT21;height=720;width=1280\n% end\n");
    check_error(&b, MYL_TRACE_UNKNOWN, 9, 0, "format EVT21; expected EVT 2.0 (myelin reads",
                "EVT 2.1");
    bb_free(&b);
    bb_str(&b, "% evt 4.0\n");
    check_error(&b, MYL_TRACE_EVT3, 0, 0, "EVT 4.0; expected EVT 3.0", "EVT 4.0");
    bb_free(&b);
    bb_str(&b, "% evt 2.0\n% geometry 640by480\n");
    check_error(&b, MYL_TRACE_UNKNOWN, 10, 0,
                "found header line '% geometry 640by480'; expected WIDTHxHEIGHT", "bad geometry");
    bb_free(&b);
    bb_str(&b, "% evt 2.0\n% geometry 0x480\n");
    check_error(&b, MYL_TRACE_EVT2, 10, 0, "expected WIDTHxHEIGHT", "zero width");
    bb_free(&b);
    bb_str(&b, "% evt 2.0\n% geometry 99999999999999999999x480\n");
    check_error(&b, MYL_TRACE_EVT2, 10, 0, "expected WIDTHxHEIGHT", "huge width");
    bb_free(&b);
    bb_str(&b, "% format EVT3;height=72O;width=1280\n");
    check_error(&b, MYL_TRACE_EVT3, 0, 0, "expected height=H", "bad height");
    bb_free(&b);
    bb_str(&b, "% Version 2\n");
    check_error(&b, MYL_TRACE_EVT2, 0, 0,
                "found a .dat header line; expected the header of an EVT 2.0", ".dat as EVT 2.0");
    bb_free(&b);

    /* EVT 2.0 words */
    bb_str(&b, e2h), bb_le32(&b, e2_th(1)), bb_le32(&b, e2_cd(1, 0, 1, 1));
    bb_put(&b, "\x01\x02", 2);
    check_error(&b, MYL_TRACE_EVT2, l2 + 8, 1, "found the stream's end 2 bytes into a word",
                "EVT 2.0 cut");
    b.n -= 2, bb_le32(&b, 0x50000000u);
    check_error(&b, MYL_TRACE_EVT2, l2 + 8, 1, "reserved type 0x5", "EVT 2.0 type 5");
    b.n -= 4, bb_le32(&b, e2_cd(0, 0, 640, 0));
    check_error(&b, MYL_TRACE_EVT2, l2 + 8, 1, "x = 640; expected x < 640 (the sensor width)",
                "EVT 2.0 x");
    b.n -= 4, bb_le32(&b, e2_cd(0, 0, 0, 2047));
    check_error(&b, MYL_TRACE_EVT2, l2 + 8, 1, "y = 2047; expected y < 480", "EVT 2.0 y");
    bb_free(&b);
    bb_str(&b, e2h), bb_le32(&b, 0x30000000u), bb_le32(&b, e2_th(1));
    check_error(&b, MYL_TRACE_EVT2, l2, 0, "reserved type 0x3", "EVT 2.0 type 3 before sync");
    bb_free(&b);
    bb_str(&b, "%"); /* not a header line: data, and a cut word */
    check_error(&b, MYL_TRACE_EVT2, 0, 0, "1 byte into a word", "lone %");
    bb_free(&b);

    /* EVT 3.0 words */
    bb_str(&b, e3h), bb_le16(&b, e3(TH, 0)), bb_le16(&b, e3(Y, 1)), bb_le16(&b, e3_x(1, 1));
    bb_u8(&b, 0x20);
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1, "found the stream's end 1 byte into a word",
                "EVT 3.0 cut");
    b.n -= 1, bb_le16(&b, e3(V12, 1));
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1,
                "found VECT_12 (0x4001) before any VECT_BASE_X; expected a VECT_BASE_X",
                "VECT_12 without base");
    b.n -= 2, bb_le16(&b, e3(V8, 0));
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1, "VECT_8 (0x5000) before any VECT_BASE_X",
                "empty VECT_8 without base");
    b.n -= 2, bb_le16(&b, e3_x(1280, 0));
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1, "x = 1280; expected x < 1280 (the sensor width)",
                "EVT 3.0 x");
    b.n -= 2, bb_le16(&b, e3_vb(1270, 0)), bb_le16(&b, e3(V12, 0x3FF)), bb_le16(&b, e3(V8, 1));
    check_error(&b, MYL_TRACE_EVT3, l3 + 10, 11, "VECT_8 (0x5001) making an event at x = 1282",
                "vector past the edge");
    b.n -= 4, bb_le16(&b, e3(V12, 0x401)); /* from 1270: 1270 is fine, 1280 is not */
    check_error(&b, MYL_TRACE_EVT3, l3 + 8, 1, "VECT_12 (0x4401) making an event at x = 1280",
                "vector reaching past the edge");
    b.n -= 4, bb_le16(&b, e3(Y, 720)), bb_le16(&b, e3_x(0, 0));
    check_error(&b, MYL_TRACE_EVT3, l3 + 8, 1, "y = 720 (the last ADDR_Y); expected y < 720",
                "EVT 3.0 y");
    b.n -= 4, bb_le16(&b, 0x1000);
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1, "reserved type 0x1", "EVT 3.0 type 1");
    b.n -= 2, bb_le16(&b, 0x9000);
    check_error(&b, MYL_TRACE_EVT3, l3 + 6, 1, "reserved type 0x9", "EVT 3.0 type 9");
    bb_free(&b);
    bb_str(&b, e3h), bb_le16(&b, e3(TH, 0)), bb_le16(&b, e3_x(1, 1));
    check_error(&b, MYL_TRACE_EVT3, l3 + 2, 0, "ADDR_X (0x2801) before any ADDR_Y",
                "ADDR_X without row");
    b.n -= 2, bb_le16(&b, e3_vb(0, 0)), bb_le16(&b, e3(V8, 3));
    check_error(&b, MYL_TRACE_EVT3, l3 + 4, 0, "VECT_8 (0x5003) before any ADDR_Y",
                "vector without row");
    bb_free(&b);
    bb_str(&b, e3h), bb_le16(&b, 0xD000);
    check_error(&b, MYL_TRACE_EVT3, l3, 0, "reserved type 0xD", "reserved before sync");
    bb_free(&b);

    /* .dat */
    const char *dh = "% Data file containing CD events\n% Version 2\n% Width 640\n% Height 480\n";
    const size_t ld = strlen(dh);
    bb_str(&b, "% Version 1\n"), bb_u8(&b, 0x0C), bb_u8(&b, 8);
    check_error(&b, MYL_TRACE_UNKNOWN, 0, 0, "found Version 1; expected Version 2", "version 1");
    bb_free(&b);
    bb_str(&b, dh), bb_u8(&b, 0x0E), bb_u8(&b, 8);
    check_error(&b, MYL_TRACE_DAT, ld, 0, "event type 0x0e (external triggers); expected CD",
                "trigger file");
    b.n -= 2, bb_u8(&b, 0x0C), bb_u8(&b, 4);
    check_error(&b, MYL_TRACE_DAT, ld + 1, 0, "found event size 4; expected at least 8", "size 4");
    b.n -= 1;
    check_error(&b, MYL_TRACE_DAT, ld, 0, "after the event type byte; expected the event size",
                "no size byte");
    bb_u8(&b, 8), dat_rec(&b, 8, 1, 2, 3, 1), bb_le32(&b, 5);
    check_error(&b, MYL_TRACE_DAT, ld + 10, 1, "found the stream's end 4 bytes into a record",
                "cut record");
    b.n -= 4, dat_rec(&b, 8, 1, 2, 3, 3);
    check_error(&b, MYL_TRACE_DAT, ld + 10, 1, "found polarity 3; expected 0 or 1", "polarity 3");
    b.n -= 8, dat_rec(&b, 8, 1, 640, 3, 0);
    check_error(&b, MYL_TRACE_DAT, ld + 10, 1, "x = 640; expected x < 640", "dat x");
    b.n -= 8, dat_rec(&b, 8, 1, 0, 10000, 0);
    check_error(&b, MYL_TRACE_DAT, ld + 10, 1, "y = 10000; expected y < 480", "dat y");
    bb_free(&b);
}
END_TEST

START_TEST(error_after_events)
{
    /* the events before a bad word come first; the error comes with the next call, and again
     * with every call after it */
    bb b = {0};
    bb_str(&b, "% evt 2.0\n");
    bb_le32(&b, e2_th(0)), bb_le32(&b, e2_cd(1, 1, 1, 1)), bb_le32(&b, e2_cd(1, 2, 2, 2));
    bb_le32(&b, 0x40000000u);
    memsrc m;
    myl_bytes src = memsrc_bytes(&m, b.p, b.n, 0, "mem.raw");
    myl_reader *r;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open(&src, NULL, &r, &d), 0);
    myl_event ev[8];
    size_t n = 99;
    ck_assert_int_eq(myl_reader_read(r, ev, 8, &n, &d), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(d.set, 0);
    ck_assert_int_eq(myl_reader_read(r, ev, 8, &n, &d), MYL_EPARSE);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(d.msg, "mem.raw: byte 22: found word 0x40000000 of reserved type 0x4; "
                            "expected an EVT 2.0 word (type 0, 1, 8, 0xA, 0xE or 0xF)");
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_reader_read(r, ev, 8, &n, &d), MYL_EPARSE);
    ck_assert_uint_eq(n, 0);
    myl_reader_close(r);
    bb_free(&b);
    /* a source that fails past the header: its code comes through, for each format */
    static const myl_trace_format fs[] = {MYL_TRACE_EVT2, MYL_TRACE_EVT3, MYL_TRACE_DAT};
    for (int k = 0; k < 3; k++) {
        evl want = {0};
        if (k == 0) {
            bb_str(&b, "% evt 2.0\n% end\n");
            rand_evt2(&b, 5000);
        } else if (k == 1) {
            bb_str(&b, "% evt 3.0\n% end\n");
            rand_evt3(&b, 10000);
        } else {
            make_dat(&b, &want, 8, 1);
            for (int i = 0; i < 2000; i++)
                dat_rec(&b, 8, 100 + (uint32_t)i, 1, 2, 1);
        }
        src = memsrc_bytes(&m, b.p, b.n, 7, "mem.raw");
        m.stall = 10000;
        myl_diag_clear(&d);
        ck_assert_int_eq(myl_reader_open(&src, &(myl_trace_opts){.format = fs[k]}, &r, &d), 0);
        int rc;
        while ((rc = myl_reader_read(r, ev, 8, &n, &d)) == 0 && n)
            ;
        ck_assert_msg(rc == MYL_EINTR, "%s: %s", myl_trace_format_name(fs[k]), d.msg);
        myl_reader_close(r);
        bb_free(&b), evl_free(&want);
    }
}
END_TEST

/* ---- the real samples ----------------------------------------------------------------------- */

/* Read a sample file: events must be on the sensor, polarity 0/1, and time must not go back.
 * Returns the count; *span the time from first to last event. Also reads it again from memory
 * in odd pieces with room for 7 events and compares a checksum of every event. */
static size_t read_sample(const char *rel, myl_trace_format want_fmt, uint32_t w, uint32_t h,
                          int64_t *span)
{
    const char *path = myl_test_src(rel);
    myl_diag d = {0};
    myl_reader *r;
    int rc = myl_reader_open_file(path, NULL, &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    const myl_trace_meta *m = myl_reader_meta(r);
    ck_assert_int_eq(m->format, want_fmt);
    ck_assert_uint_eq(m->width, w);
    ck_assert_uint_eq(m->height, h);
    myl_event *ev = malloc(4096 * sizeof *ev);
    ck_assert_ptr_nonnull(ev);
    size_t n, total = 0;
    int64_t t0 = 0, prev = INT64_MIN;
    uint64_t sum = 0;
    while ((rc = myl_reader_read(r, ev, 4096, &n, &d)) == 0 && n) {
        if (!total)
            t0 = ev[0].t;
        for (size_t i = 0; i < n; i++) {
            const myl_event *e = &ev[i];
            if (e->x >= w || e->y >= h || e->p > 1)
                ck_abort_msg("%s: event %zu at (%u, %u) p %u", rel, total + i, e->x, e->y, e->p);
            if (e->t < prev)
                ck_abort_msg("%s: time goes back at event %zu", rel, total + i);
            prev = e->t;
            sum = sum * 1000003u + (uint64_t)e->t * 31 + e->x * 7u + e->y * 3u + e->p;
        }
        total += n;
    }
    ck_assert_msg(rc == 0, "%s", d.msg);
    myl_reader_close(r);
    free(ev);
    *span = prev - t0;
    bb b = {0};
    read_file(path, &b);
    result rr;
    read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, 4099, 7, &rr);
    ck_assert_msg(rr.rc_open == 0 && rr.rc == 0, "%s", rr.d.msg);
    uint64_t sum2 = 0;
    for (size_t i = 0; i < rr.ev.n; i++) {
        const myl_event *e = &rr.ev.e[i];
        sum2 = sum2 * 1000003u + (uint64_t)e->t * 31 + e->x * 7u + e->y * 3u + e->p;
    }
    ck_assert_uint_eq(rr.ev.n, total);
    ck_assert_msg(sum2 == sum, "%s: events differ when read in pieces", rel);
    result_free(&rr);
    bb_free(&b);
    return total;
}

START_TEST(shared_samples)
{
    if (!myl_test_have_shared())
        return;
    int64_t span;
    /* Gen3 640x480, legacy header: 539,481 CD events over 50 ms (MANIFEST.md) */
    size_t n = read_sample("../shared/data/prophesee/expelliarmus_evt2_sample.raw", MYL_TRACE_EVT2,
                           640, 480, &span);
    ck_assert_uint_eq(n, 539481);
    ck_assert_msg(span >= 49500 && span < 50500, "EVT 2.0 span %lld us, want 50 ms",
                  (long long)span);
    /* Gen4.1 1280x720, legacy header: 219,596 CD events over 8.8 ms */
    n = read_sample("../shared/data/prophesee/expelliarmus_evt3_sample.raw", MYL_TRACE_EVT3, 1280,
                    720, &span);
    ck_assert_uint_eq(n, 219596);
    ck_assert_msg(span >= 8750 && span < 8850, "EVT 3.0 span %lld us, want 8.8 ms",
                  (long long)span);
}
END_TEST

/* ---- fixtures, fuzzer findings, allocation failure ------------------------------------------ */

START_TEST(fixtures)
{
    /* tests/data/prophesee: files written by --write-corpus, read by path with detection */
    static const struct {
        const char *name;
        myl_trace_format f;
        int kind; /* 2, 3: make_evt2/3 legacy; 12, 13: with `% end`; 8: .dat stride 12 */
    } fx[] = {
        {"evt2_end.raw", MYL_TRACE_EVT2, 12},   {"evt2_legacy.raw", MYL_TRACE_EVT2, 2},
        {"evt3_end.raw", MYL_TRACE_EVT3, 13},   {"evt3_legacy.raw", MYL_TRACE_EVT3, 3},
        {"dat_stride12.dat", MYL_TRACE_DAT, 8},
    };
    for (size_t k = 0; k < sizeof fx / sizeof fx[0]; k++) {
        char rel[128];
        snprintf(rel, sizeof rel, "tests/data/prophesee/%s", fx[k].name);
        bb b = {0};
        evl want = {0};
        if (fx[k].kind % 10 == 2)
            make_evt2(&b, &want, fx[k].kind < 10);
        else if (fx[k].kind % 10 == 3)
            make_evt3(&b, &want, fx[k].kind < 10);
        else
            make_dat(&b, &want, 12, 0);
        bb got = {0};
        read_file(myl_test_src(rel), &got);
        ck_assert_msg(got.n == b.n && memcmp(got.p, b.p, b.n) == 0,
                      "%s differs from what the test writes: rerun --write-corpus", rel);
        myl_reader *r;
        myl_diag d = {0};
        int rc = myl_reader_open_file(myl_test_src(rel), NULL, &r, &d);
        ck_assert_msg(rc == 0, "%s", d.msg);
        ck_assert_int_eq(myl_reader_meta(r)->format, fx[k].f);
        evl ev = {0};
        myl_event buf[5];
        size_t n;
        while ((rc = myl_reader_read(r, buf, 5, &n, &d)) == 0 && n)
            for (size_t i = 0; i < n; i++)
                evl_add(&ev, buf[i].t, buf[i].x, buf[i].y, buf[i].p);
        ck_assert_msg(rc == 0, "%s", d.msg);
        const char *diff = evl_diff(&ev, &want);
        ck_assert_msg(diff == NULL, "%s: %s", rel, diff);
        myl_reader_close(r);
        evl_free(&ev), evl_free(&want), bb_free(&b), bb_free(&got);
    }
}
END_TEST

START_TEST(fuzz_findings)
{
    /* tests/data/prophesee/fuzz-*: inputs the fuzzer found troublesome; each format forced and
     * detected, none may crash or report anything but a parse error naming the input */
    const char *dir = myl_test_src("tests/data/prophesee");
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        bb b = {0};
        read_file(path, &b);
        static const myl_trace_format fs[] = {MYL_TRACE_EVT2, MYL_TRACE_EVT3, MYL_TRACE_DAT,
                                              MYL_TRACE_UNKNOWN};
        for (int k = 0; k < 4; k++)
            for (size_t cap = 1; cap <= 4096; cap *= 64) {
                result r;
                read_mem(b.p, b.n, fs[k], cap == 1 ? 3 : 0, cap, &r);
                int rc = r.rc_open ? r.rc_open : r.rc;
                if (rc && (rc != MYL_EPARSE || strncmp(r.d.msg, "mem.raw: ", 9) != 0))
                    ck_abort_msg("%s as %s: %s: %s", e->d_name, myl_trace_format_name(fs[k]),
                                 myl_err_name(rc), r.d.msg);
                for (size_t i = 0; i < r.ev.n; i++) {
                    const myl_event *v = &r.ev.e[i];
                    if (v->p > 1 || (r.meta.width && v->x >= r.meta.width) ||
                        (r.meta.height && v->y >= r.meta.height))
                        ck_abort_msg("%s: event %zu off the sensor", e->d_name, i);
                }
                result_free(&r);
            }
        bb_free(&b);
    }
    closedir(dp);
}
END_TEST

START_TEST(alloc_failure)
{
    /* the registry's allocations may fail: MYL_ENOMEM, never a crash or a leak */
    bb b = {0};
    evl want = {0};
    make_evt3(&b, &want, 0);
    for (long at = 1;; at++) {
        result r;
        myl_test_fail_after(at);
        read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, 0, 4096, &r);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        int rc = r.rc_open ? r.rc_open : r.rc;
        result_free(&r);
        if (made < at) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        if (rc != MYL_ENOMEM)
            ck_abort_msg("allocation %ld failing gave %s", at, myl_err_name(rc));
    }
    bb_free(&b), evl_free(&want);
}
END_TEST

/* ---- generated files as fuzz seeds and fixtures --------------------------------------------- */

static int write_one(const char *dir, const char *name, const bb *b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int write_corpus(const char *dir)
{
    int bad = 0;
    bb b = {0};
    evl w = {0};
    make_evt2(&b, &w, 0), bad |= write_one(dir, "evt2_end.raw", &b), bb_free(&b);
    make_evt2(&b, &w, 1), bad |= write_one(dir, "evt2_legacy.raw", &b), bb_free(&b);
    make_evt3(&b, &w, 0), bad |= write_one(dir, "evt3_end.raw", &b), bb_free(&b);
    make_evt3(&b, &w, 1), bad |= write_one(dir, "evt3_legacy.raw", &b), bb_free(&b);
    make_dat(&b, &w, 12, 0), bad |= write_one(dir, "dat_stride12.dat", &b), bb_free(&b);
    make_dat(&b, &w, 8, 1), bad |= write_one(dir, "dat_end.dat", &b), bb_free(&b);
    bb_str(&b, "% evt 3.0\n% geometry 1280x720\n% end\n");
    rand_evt3(&b, 300), bad |= write_one(dir, "evt3_random.raw", &b), bb_free(&b);
    bb_str(&b, "% evt 2.0\n% format EVT2;height=480;width=640\n% end\n");
    rand_evt2(&b, 150), bad |= write_one(dir, "evt2_random.raw", &b), bb_free(&b);
    evl_free(&w);
    return bad;
}

static Suite *prophesee_suite(void)
{
    Suite *s = suite_create("trace-prophesee");
    TCase *tc = tcase_create("evt2");
    tcase_add_test(tc, evt2_stream);
    tcase_add_test(tc, evt2_header_rules);
    tcase_add_test(tc, evt2_random);
    suite_add_tcase(s, tc);
    tc = tcase_create("evt3");
    tcase_add_test(tc, evt3_stream);
    tcase_add_test(tc, evt3_random);
    tcase_add_test(tc, big_streams);
    suite_add_tcase(s, tc);
    tc = tcase_create("dat");
    tcase_add_test(tc, dat_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, hostile);
    tcase_add_test(tc, error_after_events);
    tcase_add_test(tc, alloc_failure);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_test(tc, shared_samples);
    tcase_add_test(tc, fixtures);
    tcase_add_test(tc, fuzz_findings);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]) ? EXIT_FAILURE : EXIT_SUCCESS;
    return myl_test_run(prophesee_suite());
}
