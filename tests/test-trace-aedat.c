/* Tests for the AEDAT 2.0 / 3.1 / 4.0 readers (sim/io/trace_aedat.c).
 *
 * Files are written here from the format descriptions (jAER's, libcaer's and DV's layouts as
 * given in formats.md), with known events, and every decoded event is compared: DVS128 and DAVIS
 * AEDAT 2.0 with LF and CRLF headers, a timestamp wrap and a first data byte of '#'; AEDAT 3.1
 * with several packet types, invalid events and a timestamp overflow counter; AEDAT 4.0
 * uncompressed, LZ4 and ZSTD with several streams and a file table. Every file is read whole,
 * one byte at a time and in odd-sized pieces, and with room for one event per call, since the
 * window boundaries are where streaming readers break. Hostile variants (bad magic, truncation,
 * out-of-bounds flatbuffer offsets, decompression bombs, garbage XML) must fail with a parse or
 * size code, a message naming the input and a byte offset, and bounded allocations. The real
 * samples in ../shared/data are read when that folder exists, and files under tests/data/aedat
 * (fuzzer findings) must never crash.
 *
 * `test-trace-aedat --write-corpus DIR` writes the generated files into DIR (fuzz seeds).
 */
#include "memsrc.h"
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/trace.h"

#include <dirent.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* ---- byte buffers ---------------------------------------------------------------------------- */

typedef struct bb {
    uint8_t *p;
    size_t n, cap;
} bb;

static void bb_room(bb *b, size_t k)
{
    if (b->n + k <= b->cap)
        return;
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + k)
        c *= 2;
    b->p = realloc(b->p, c);
    if (!b->p)
        abort();
    b->cap = c;
}

static void bb_put(bb *b, const void *p, size_t k)
{
    bb_room(b, k);
    if (k)
        memcpy(b->p + b->n, p, k);
    b->n += k;
}

static void bb_str(bb *b, const char *s)
{
    bb_put(b, s, strlen(s));
}

static void bb_u8(bb *b, uint8_t v)
{
    bb_put(b, &v, 1);
}

static void bb_be32(bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    bb_put(b, x, 4);
}

static void bb_le16(bb *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    bb_put(b, x, 2);
}

static void bb_le32(bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bb_put(b, x, 4);
}

static void bb_le64(bb *b, uint64_t v)
{
    bb_le32(b, (uint32_t)v);
    bb_le32(b, (uint32_t)(v >> 32));
}

static void set_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static void set_le64(uint8_t *p, uint64_t v)
{
    set_le32(p, (uint32_t)v);
    set_le32(p + 4, (uint32_t)(v >> 32));
}

static void bb_free(bb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- event lists ----------------------------------------------------------------------------- */

typedef struct evl {
    myl_event *e;
    size_t n, cap;
} evl;

static void evl_add(evl *l, int64_t t, unsigned x, unsigned y, unsigned p)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->e = realloc(l->e, l->cap * sizeof *l->e);
        if (!l->e)
            abort();
    }
    myl_event *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->t = t, e->x = (uint16_t)x, e->y = (uint16_t)y, e->p = (uint8_t)p;
}

static void evl_free(evl *l)
{
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* ---- reading from memory --------------------------------------------------------------------- */

typedef struct result {
    int rc_open, rc; /* open's code; the first failing read's code */
    evl ev;          /* events delivered before any failure */
    myl_trace_meta meta;
    myl_diag d;
} result;

static void result_free(result *r)
{
    evl_free(&r->ev);
}

/* Read a whole memory image with format f (UNKNOWN: detect), the source handing out `chunk`
 * bytes at a time and each read asking for `cap` events. */
static void read_mem(const uint8_t *p, size_t n, myl_trace_format f, size_t chunk, size_t cap,
                     result *r)
{
    memset(r, 0, sizeof *r);
    memsrc m;
    myl_bytes src = memsrc_bytes(&m, p, n, chunk, "mem.aedat");
    myl_trace_opts o = {0};
    o.format = f;
    o.csv_units = -1;
    myl_reader *rd = NULL;
    r->rc_open = myl_reader_open(&src, &o, &rd, &r->d);
    if (r->rc_open)
        return;
    r->meta = *myl_reader_meta(rd);
    myl_event *buf = malloc(cap * sizeof *buf);
    for (;;) {
        size_t got = 99;
        int rc = myl_reader_read(rd, buf, cap, &got, &r->d);
        if (rc) {
            r->rc = rc;
            if (got)
                ck_abort_msg("a failing read reported %zu events", got);
            break;
        }
        if (got == 0)
            break;
        if (got > cap)
            ck_abort_msg("read %zu events into room for %zu", got, cap);
        for (size_t i = 0; i < got; i++)
            evl_add(&r->ev, buf[i].t, buf[i].x, buf[i].y, buf[i].p);
        if (r->ev.n > 100000000)
            ck_abort_msg("runaway reader");
    }
    free(buf);
    myl_reader_close(rd);
}

static void same_events(const evl *want, const evl *got, const char *what)
{
    if (want->n != got->n)
        ck_abort_msg("%s: %zu events, expected %zu", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        const myl_event *a = &want->e[i], *b = &got->e[i];
        if (a->t != b->t || a->x != b->x || a->y != b->y || a->p != b->p || b->pad[0] ||
            b->pad[1] || b->pad[2])
            ck_abort_msg("%s: event %zu is (t %lld, x %u, y %u, p %u), expected (t %lld, x %u, "
                         "y %u, p %u)",
                         what, i, (long long)b->t, b->x, b->y, b->p, (long long)a->t, a->x, a->y,
                         a->p);
    }
}

/* Read the image in several ways (whole, byte by byte, odd pieces, one event per call, and
 * detected rather than named) and check each gives exactly `want` and no error. */
static void check_reads(const bb *img, myl_trace_format f, const evl *want, result *first)
{
    static const struct {
        size_t chunk, cap;
        int detect;
    } ways[] = {{0, 65536, 0}, {0, 4096, 1}, {1, 333, 0}, {7, 1, 0}, {4093, 65536, 0}};
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        if (ways[w].chunk == 1 && img->n > 300000)
            continue; /* byte-by-byte on large images is slow and adds nothing */
        result r;
        read_mem(img->p, img->n, ways[w].detect ? MYL_TRACE_UNKNOWN : f, ways[w].chunk, ways[w].cap,
                 &r);
        char what[96];
        snprintf(what, sizeof what, "%s read %zu (chunk %zu, cap %zu)", myl_trace_format_name(f), w,
                 ways[w].chunk, ways[w].cap);
        if (r.rc_open || r.rc)
            ck_abort_msg("%s: open %d read %d: %s", what, r.rc_open, r.rc, r.d.msg);
        if (r.meta.format != f)
            ck_abort_msg("%s: detected as %s", what, myl_trace_format_name(r.meta.format));
        same_events(want, &r.ev, what);
        if (w == 0 && first)
            *first = r;
        else
            result_free(&r);
    }
}

/* A malformed image must fail (at open or while reading) with rc, a message naming the input,
 * and `needle` in it. Returns the result for further checks (caller frees). */
static void check_fails(const bb *img, myl_trace_format f, int rc, const char *needle, result *out)
{
    static const size_t chunks[] = {0, 1, 5};
    for (size_t c = 0; c < 3; c++) {
        if (chunks[c] == 1 && img->n > 300000)
            continue;
        result r;
        read_mem(img->p, img->n, f, chunks[c], 1000, &r);
        int got = r.rc_open ? r.rc_open : r.rc;
        if (got != rc)
            ck_abort_msg("expected %s (%s), got %s: %s", myl_err_name(rc), needle,
                         myl_err_name(got), r.d.msg);
        if (strncmp(r.d.msg, "mem.aedat: ", 11) != 0 || !strstr(r.d.msg, needle))
            ck_abort_msg("message '%s' should name the input and say '%s'", r.d.msg, needle);
        if (c == 0 && out)
            *out = r;
        else
            result_free(&r);
    }
}

/* Largest single allocation made through myl_alloc while armed. */
static size_t g_maxreq;

static void *track_malloc(size_t n)
{
    if (n > g_maxreq)
        g_maxreq = n;
    return malloc(n);
}

static void *track_realloc(void *p, size_t n)
{
    if (n > g_maxreq)
        g_maxreq = n;
    return realloc(p, n);
}

static void track_on(void)
{
    g_maxreq = 0;
    myl_alloc_set(track_malloc, track_realloc, free);
}

static void track_off(void)
{
    myl_alloc_set(NULL, NULL, NULL);
}

/* A deterministic generator. */
static uint64_t g_rng = 0x9E3779B97F4A7C15u;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}

/* ---- AEDAT 2.0 writer ------------------------------------------------------------------------ */

static void a2_header(bb *b, const char *eol, const char *chip)
{
    const char *lines[] = {"#!AER-DAT2.0",
                           "# This is a raw AE data file - do not edit",
                           "# Data format is int32 address, int32 timestamp (8 bytes total), "
                           "repeated for each event",
                           "# Timestamps tick is 1 us",
                           "# created Thu Jan 01 00:00:00 CET 2015",
                           "#<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>",
                           "#<map MAP_XML_VERSION=\"1.0\"><entry key=\"b\" value=\"\xC3\xA9t\xC3"
                           "\xA9\"/></map>"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        bb_str(b, lines[i]);
        bb_str(b, eol);
        if (i == 0 && chip) {
            bb_str(b, "# AEChip: ");
            bb_str(b, chip);
            bb_str(b, eol);
        }
    }
    if (chip) { /* a decoy in the preferences: only the first "AEChip:" line names the chip */
        bb_str(b, "#<entry key=\"lastChip\" value=\"AEChip: ch.unizh.ini.Tmpdiff128\"/>");
        bb_str(b, eol);
    }
}

static void a2_rec(bb *b, uint32_t addr, uint32_t ts)
{
    bb_be32(b, addr);
    bb_be32(b, ts);
}

static uint32_t dvs128_addr(unsigned x, unsigned y, unsigned on)
{
    return (uint32_t)(y << 8 | x << 1 | (on ? 0 : 1)); /* raw bit 0 set = OFF */
}

static uint32_t davis_addr(unsigned x, unsigned y, unsigned on)
{
    return (uint32_t)y << 22 | (uint32_t)x << 12 | (uint32_t)(on ? 1 : 0) << 11;
}

/* A DVS128 file: events across a timestamp wrap, a step backwards, external events. */
static void make_a2_dvs128(bb *b, evl *want, const char *eol, const char *chip)
{
    a2_header(b, eol, chip);
    uint32_t ts = 0xFFFFF000u;
    int64_t t = ts;
    for (unsigned i = 0; i < 3000; i++) {
        unsigned x = rnd() % 128, y = rnd() % 128, on = rnd() & 1;
        uint32_t step = rnd() % 7;
        if (i == 1500)
            step = (uint32_t)-3; /* a small step backwards */
        ts += step;
        t += (int32_t)step;
        if (i % 97 == 5) {
            a2_rec(b, 0x8000u | (rnd() & 0x7FFF), ts); /* external event */
            continue;
        }
        a2_rec(b, dvs128_addr(x, y, on), ts);
        evl_add(want, t, x, y, on);
    }
}

/* A DAVIS file whose first data record starts with '#' (y 140), with APS, IMU and external
 * input words between the DVS events. */
static void make_a2_davis(bb *b, evl *want, const char *eol, const char *chip, unsigned w,
                          unsigned h)
{
    a2_header(b, eol, chip);
    uint32_t ts = 1000;
    unsigned x0 = 3, y0 = 140; /* 140 << 22 has top byte 0x23 = '#' */
    a2_rec(b, davis_addr(x0, y0, 1), ts);
    evl_add(want, ts, x0, y0, 1);
    if (((davis_addr(x0, y0, 1) >> 24) & 0xFF) != '#')
        ck_abort_msg("test setup: first data byte is not '#'");
    for (unsigned i = 0; i < 5000; i++) {
        ts += rnd() % 50;
        unsigned k = rnd() % 10;
        if (k == 0) {
            a2_rec(b, 0x80000000u | (rnd() & 0x7FFFF3FFu), ts); /* APS sample */
        } else if (k == 1) {
            a2_rec(b, 0x80000C00u | (rnd() & 0x7FFFF3FFu), ts); /* IMU sample */
        } else if (k == 2) {
            a2_rec(b, 0x400u | (rnd() & 0x3u), ts); /* external input event */
        } else {
            unsigned x = rnd() % w, y = rnd() % h, on = rnd() & 1;
            a2_rec(b, davis_addr(x, y, on), ts);
            evl_add(want, ts, x, y, on);
        }
    }
}

START_TEST(a2_dvs128_crlf)
{
    bb b = {0};
    evl want = {0};
    make_a2_dvs128(&b, &want, "\r\n", "ch.unizh.ini.jaer.chip.retina.DVS128");
    result r;
    check_reads(&b, MYL_TRACE_AEDAT2, &want, &r);
    ck_assert_uint_eq(r.meta.width, 128);
    ck_assert_uint_eq(r.meta.height, 128);
    ck_assert_str_eq(r.meta.source, "DVS128");
    ck_assert_str_eq(r.meta.streams, "events");
    /* the wrap carried on forward */
    ck_assert(r.ev.e[r.ev.n - 1].t > (int64_t)1 << 32);
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
}
END_TEST

START_TEST(a2_dvs128_lf_no_chip)
{
    bb b = {0};
    evl want = {0};
    make_a2_dvs128(&b, &want, "\n", NULL); /* layout decided by the address range */
    result r;
    check_reads(&b, MYL_TRACE_AEDAT2, &want, &r);
    ck_assert_uint_eq(r.meta.width, 128);
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
}
END_TEST

START_TEST(a2_davis_hash_first)
{
    static const char *eols[] = {"\n", "\r\n"};
    for (int k = 0; k < 2; k++) {
        bb b = {0};
        evl want = {0};
        make_a2_davis(&b, &want, eols[k], "eu.seebetter.ini.chips.davis.DAVIS240C", 240, 180);
        result r;
        check_reads(&b, MYL_TRACE_AEDAT2, &want, &r);
        ck_assert_uint_eq(r.meta.width, 240);
        ck_assert_uint_eq(r.meta.height, 180);
        ck_assert_str_eq(r.meta.source, "DAVIS240C");
        result_free(&r);
        bb_free(&b);
        evl_free(&want);
    }
    /* no chip class: the addresses above 16 bits say DAVIS */
    bb b = {0};
    evl want = {0};
    make_a2_davis(&b, &want, "\n", NULL, 346, 260);
    result r;
    check_reads(&b, MYL_TRACE_AEDAT2, &want, &r);
    ck_assert_uint_eq(r.meta.width, 0);
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
}
END_TEST

START_TEST(a2_end_header_and_header_only)
{
    /* an explicit end marker: the next line starting with '#' is data */
    bb b = {0};
    evl want = {0};
    bb_str(&b, "#!AER-DAT2.0\r\n# AEChip: Davis346B\r\n#!END-HEADER\r\n");
    a2_rec(&b, 0x23000A0Au, 17);   /* text-like bytes: "#\0\n\n" */
    evl_add(&want, 17, 0, 140, 1); /* bit 11 of 0xA0A: ON */
    check_reads(&b, MYL_TRACE_AEDAT2, &want, NULL);
    bb_free(&b);
    evl_free(&want);
    /* header only, cut inside a line and inside a UTF-8 character */
    static const char *cut[] = {"#!AER-DAT2.0\n# AEChip: Davis346\n#<?xml vers",
                                "#!AER-DAT2.0\r\n# caf\xC3", "#!AER-DAT2.0"};
    for (int i = 0; i < 3; i++) {
        bb h = {0};
        bb_str(&h, cut[i]);
        check_reads(&h, MYL_TRACE_AEDAT2, &want, NULL);
        bb_free(&h);
    }
}
END_TEST

START_TEST(a2_hostile)
{
    bb b = {0};
    bb_str(&b, "#!AER-DAT3.1\r\n");
    check_fails(&b, MYL_TRACE_AEDAT2, MYL_EPARSE, "byte 0: found '#!AER-DAT3.1", NULL);
    bb_free(&b);
    bb_str(&b, "#!AER-DAT2.0 \x01\x02\n");
    check_fails(&b, MYL_TRACE_AEDAT2, MYL_EPARSE, "first header line", NULL);
    bb_free(&b);
    /* a partial last record: the events before it come first, then the error and its offset */
    evl want = {0};
    a2_header(&b, "\r\n", "DVS128");
    size_t data = b.n;
    a2_rec(&b, dvs128_addr(1, 2, 1), 10);
    a2_rec(&b, dvs128_addr(3, 4, 0), 11);
    bb_be32(&b, 5);
    bb_u8(&b, 0);
    result r;
    check_fails(&b, MYL_TRACE_AEDAT2, MYL_EPARSE, "ends 5 bytes into a record", &r);
    ck_assert_uint_eq(r.ev.n, 2);
    char at[64];
    snprintf(at, sizeof at, "byte %zu:", data + 16);
    ck_assert_msg(strstr(r.d.msg, at), "%s", r.d.msg);
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
    /* an endless text line */
    bb_str(&b, "#!AER-DAT2.0\n#");
    for (int i = 0; i < 70000; i++)
        bb_u8(&b, 'a');
    check_fails(&b, MYL_TRACE_AEDAT2, MYL_EPARSE, "longer than 65536", NULL);
    bb_free(&b);
}
END_TEST

/* ---- AEDAT 3.1 writer ------------------------------------------------------------------------ */

static void a3_header(bb *b, const char *source, const char *extra)
{
    bb_str(b, "#!AER-DAT3.1\r\n#Format: RAW\r\n");
    if (source) {
        bb_str(b, "#Source 1: ");
        bb_str(b, source);
        bb_str(b, "\r\n");
    }
    if (extra)
        bb_str(b, extra);
    bb_str(b, "#Start-Time: 2017-05-04 12:34:56 (TZ+0200)\r\n#!END-HEADER\r\n");
}

static void a3_phdr(bb *b, int16_t type, int32_t size, int32_t tsoff, int32_t ovf, int32_t cap,
                    int32_t num, int32_t valid)
{
    bb_le16(b, (uint16_t)type);
    bb_le16(b, 1);
    bb_le32(b, (uint32_t)size);
    bb_le32(b, (uint32_t)tsoff);
    bb_le32(b, (uint32_t)ovf);
    bb_le32(b, (uint32_t)cap);
    bb_le32(b, (uint32_t)num);
    bb_le32(b, (uint32_t)valid);
}

/* A polarity packet of `num` events (some invalid), `cap - num` unused slots. */
static void a3_polarity(bb *b, evl *want, int32_t ovf, int32_t num, int32_t cap, uint32_t *ts,
                        unsigned w, unsigned h)
{
    bb ev = {0};
    int32_t valid = 0;
    for (int32_t i = 0; i < num; i++) {
        unsigned x = rnd() % w, y = rnd() % h, on = rnd() & 1, ok = rnd() % 5 != 0;
        *ts += rnd() % 100;
        *ts &= 0x7FFFFFFFu;
        bb_le32(&ev, (uint32_t)x << 17 | (uint32_t)y << 2 | on << 1 | ok);
        bb_le32(&ev, *ts);
        if (ok) {
            valid++;
            evl_add(want, (int64_t)ovf << 31 | *ts, x, y, on);
        }
    }
    for (int32_t i = num; i < cap; i++) { /* unused slots: junk that looks valid */
        bb_le32(&ev, 0xFFFFFFFFu);
        bb_le32(&ev, 0x7FFFFFFFu);
    }
    a3_phdr(b, 1, 8, 4, ovf, cap, num, valid);
    bb_put(b, ev.p, ev.n);
    bb_free(&ev);
}

static void a3_junk(bb *b, int16_t type, int32_t size, int32_t cap)
{
    a3_phdr(b, type, size, 4, 0, cap, cap, cap);
    for (int64_t i = 0; i < (int64_t)size * cap; i++)
        bb_u8(b, (uint8_t)rnd());
}

static void make_a3(bb *b, evl *want)
{
    a3_header(b, "DVS128", NULL);
    uint32_t ts = 0x7FFF0000u;
    a3_junk(b, 0, 8, 3); /* special events */
    a3_polarity(b, want, 0, 500, 500, &ts, 128, 128);
    a3_junk(b, 2, 128 * 128 * 2 + 36, 2); /* frame-sized */
    a3_polarity(b, want, 0, 200, 260, &ts, 128, 128);
    ts = 5;
    a3_polarity(b, want, 1, 1000, 1000, &ts, 128, 128); /* after the overflow */
    a3_junk(b, 3, 36, 10);                              /* IMU6 */
    a3_polarity(b, want, 1, 0, 0, &ts, 128, 128);
    a3_junk(b, 77, 0, 5);
    a3_polarity(b, want, 3, 150000, 150000, &ts, 128, 128); /* larger than the window */
}

START_TEST(a3_packets)
{
    bb b = {0};
    evl want = {0};
    make_a3(&b, &want);
    result r;
    check_reads(&b, MYL_TRACE_AEDAT3, &want, &r);
    ck_assert_uint_eq(r.meta.width, 128);
    ck_assert_uint_eq(r.meta.height, 128);
    ck_assert_str_eq(r.meta.source, "DVS128");
    ck_assert(r.ev.e[r.ev.n - 1].t >= (int64_t)3 << 31);
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
    /* sizes from the header, whatever the source */
    uint32_t ts = 0;
    a3_header(&b, "SomethingNew",
              "#-Source 1: <attr key=\"dvsSizeX\" type=\"short\">640</attr>\r\n"
              "#-Source 1: <attr key=\"dvsSizeY\" type=\"short\">480</attr>\r\n");
    a3_polarity(&b, &want, 2, 100, 100, &ts, 640, 480);
    check_reads(&b, MYL_TRACE_AEDAT3, &want, &r);
    ck_assert_uint_eq(r.meta.width, 640);
    ck_assert_uint_eq(r.meta.height, 480);
    ck_assert_str_eq(r.meta.source, "SomethingNew");
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
    /* header only */
    a3_header(&b, "DAVIS346B", NULL);
    check_reads(&b, MYL_TRACE_AEDAT3, &want, &r);
    ck_assert_uint_eq(r.meta.width, 346);
    result_free(&r);
    bb_free(&b);
}
END_TEST

START_TEST(a3_hostile)
{
    bb b = {0};
    evl want = {0};
    uint32_t ts = 0;
    bb_str(&b, "#!AER-DAT3.0\r\n#!END-HEADER\r\n");
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "byte 0: found", NULL);
    bb_free(&b);
    bb_str(&b, "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n");
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "ends inside the header", NULL);
    bb_free(&b);
    bb_str(&b, "#!AER-DAT3.1\r\n#Format: RAW\r\nSource 1: DVS128\r\n#!END-HEADER\r\n");
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "byte 28: found 'Source", NULL);
    bb_free(&b);
    bb_str(&b, "#!AER-DAT3.1\r\n#Format: SerializedTS\r\n#!END-HEADER\r\n");
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "expected \"#Format: RAW\"", NULL);
    bb_free(&b);
    /* packet headers */
    static const int32_t bad[][7] = {
        /* type, size, tsoff, ovf, cap, num, valid */
        {1, -8, 4, 0, 1, 1, 1},     {1, 8, 4, 0, -1, 0, 0}, {1, 8, 4, -1, 1, 1, 1},
        {1, 8, 4, 0, 1, 2, 1},      {1, 8, 4, 0, 2, 1, 2},  {1, 12, 4, 0, 1, 1, 1},
        {-32767, 8, 4, 0, 1, 1, 1},
    };
    static const char *why[] = {"expected none negative",
                                "expected none negative",
                                "expected none negative",
                                "valid <= number <= capacity",
                                "valid <= number <= capacity",
                                "expected 8 and 4",
                                "compressed"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a3_header(&b, NULL, NULL);
        size_t at = b.n;
        a3_phdr(&b, (int16_t)bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5],
                bad[i][6]);
        for (int k = 0; k < 16; k++)
            bb_u8(&b, 0);
        result r;
        check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, why[i], &r);
        char s[32];
        snprintf(s, sizeof s, "byte %zu:", at);
        ck_assert_msg(strstr(r.d.msg, s), "%s", r.d.msg);
        result_free(&r);
        bb_free(&b);
    }
    /* a packet that points past the end, after one that is whole */
    a3_header(&b, NULL, NULL);
    a3_polarity(&b, &want, 0, 10, 10, &ts, 128, 128);
    size_t at = b.n;
    a3_phdr(&b, 2, 1 << 30, 4, 0, 1 << 30, 1, 1);
    bb_str(&b, "not a gigabyte");
    result r;
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "expected 1152921504606846962 more", &r);
    char s[32];
    snprintf(s, sizeof s, "byte %zu:", at);
    ck_assert_msg(strstr(r.d.msg, s), "%s", r.d.msg);
    same_events(&want, &r.ev, "events before the cut");
    result_free(&r);
    bb_free(&b);
    evl_free(&want);
    /* a polarity packet cut inside its events, and a cut packet header */
    a3_header(&b, NULL, NULL);
    a3_polarity(&b, &want, 0, 10, 10, &ts, 128, 128);
    b.n -= 5;
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "expected 5 more bytes", NULL);
    bb_free(&b);
    evl_free(&want);
    a3_header(&b, NULL, NULL);
    a3_phdr(&b, 1, 8, 4, 0, 0, 0, 0);
    b.n -= 3;
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "25 bytes into a packet header", NULL);
    bb_free(&b);
    /* a valid event with a negative timestamp */
    a3_header(&b, NULL, NULL);
    a3_phdr(&b, 1, 8, 4, 0, 1, 1, 1);
    bb_le32(&b, 1);
    bb_le32(&b, 0x80000000u);
    check_fails(&b, MYL_TRACE_AEDAT3, MYL_EPARSE, "expected >= 0", NULL);
    bb_free(&b);
}
END_TEST

/* ---- AEDAT 4.0 writer ------------------------------------------------------------------------ */

typedef struct a4_decl {
    int id;
    const char *type;
} a4_decl;

static void a4_xml(bb *x, const a4_decl *s, int n, unsigned w, unsigned h)
{
    bb_str(x, "<dv version=\"2.0\">\n    <node name=\"outInfo\" path=\"/mainloop/Recorder/"
              "outInfo/\">\n");
    char line[1024];
    for (int i = 0; i < n; i++) {
        snprintf(line, sizeof line,
                 "        <node name=\"%d\" path=\"/mainloop/Recorder/outInfo/%d/\">\n"
                 "            <attr key=\"compression\" type=\"string\">LZ4</attr>\n"
                 "            <attr key='typeIdentifier' type=\"string\">%s</attr>\n"
                 "            <!-- <attr key=\"typeIdentifier\">XXXX</attr> -->\n"
                 "            <node name=\"info\" path=\"/mainloop/Recorder/outInfo/%d/info/\">\n"
                 "                <attr key=\"sizeX\" type=\"int\">%u</attr>\n"
                 "                <attr key=\"sizeY\" type=\"int\">%u</attr>\n"
                 "                <attr key=\"source\" type=\"string\">DVXplorer_T%d</attr>\n"
                 "                <attr key=\"tsOffset\" type=\"long\">1605507430438338</attr>\n"
                 "            </node>\n        </node>\n",
                 s[i].id, s[i].id, s[i].type, s[i].id, w + (unsigned)i, h + (unsigned)i, s[i].id);
        bb_str(x, line);
    }
    bb_str(x, "    </node>\n</dv>\n");
}

/* IOHeader flatbuffer: root 20, "IOHE", vtable at 8 (3 fields), table at 20 {soffset,
 * compression, infoNode offset, dataTablePosition}, string at 40. Returns the file offset of
 * dataTablePosition so that it can be patched. */
static size_t a4_header(bb *b, int32_t comp, int64_t table, const char *xml, size_t xn)
{
    bb_str(b, "#!AER-DAT4.0\r\n");
    size_t szat = b->n;
    bb_le32(b, 0);
    size_t fb = b->n;
    bb_le32(b, 20);
    bb_str(b, "IOHE");
    bb_le16(b, 10), bb_le16(b, 20), bb_le16(b, 4), bb_le16(b, 12), bb_le16(b, 8);
    bb_le16(b, 0);
    bb_le32(b, 12);              /* table: soffset to the vtable at 8 */
    bb_le32(b, (uint32_t)comp);  /* 24 */
    bb_le32(b, 12);              /* 28: infoNode -> 40 */
    bb_le64(b, (uint64_t)table); /* 32 */
    bb_le32(b, (uint32_t)xn);    /* 40 */
    bb_put(b, xml, xn);
    bb_u8(b, 0);
    while ((b->n - fb) % 4)
        bb_u8(b, 0);
    set_le32(b->p + szat, (uint32_t)(b->n - fb));
    return fb + 32;
}

/* A size-prefixed EventPacket flatbuffer: root 16, "EVTS", vtable at 8, table at 16, vector at
 * 24. Events from ev[0..n). */
static void a4_evpacket(bb *fb, const myl_event *ev, size_t n)
{
    bb_le32(fb, (uint32_t)(28 + 16 * n));
    bb_le32(fb, 16);
    bb_str(fb, "EVTS");
    bb_le16(fb, 6), bb_le16(fb, 8), bb_le16(fb, 4), bb_le16(fb, 0);
    bb_le32(fb, 8);
    bb_le32(fb, 4);
    bb_le32(fb, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        bb_le64(fb, (uint64_t)ev[i].t);
        bb_le16(fb, ev[i].x);
        bb_le16(fb, ev[i].y);
        bb_u8(fb, ev[i].p ? (uint8_t)(1 + rnd() % 200) : 0); /* any nonzero bool is true */
        bb_u8(fb, 0xAA), bb_u8(fb, 0xBB), bb_u8(fb, 0xCC);
    }
}

static void compress(int comp, const uint8_t *src, size_t n, bb *out)
{
    if (comp == 0) {
        bb_put(out, src, n);
    } else if (comp <= 2) {
        LZ4F_preferences_t pr;
        memset(&pr, 0, sizeof pr);
        pr.compressionLevel = comp == 2 ? 9 : 0;
        size_t bound = LZ4F_compressFrameBound(n, &pr);
        bb_room(out, bound);
        size_t k = LZ4F_compressFrame(out->p + out->n, bound, src, n, &pr);
        if (LZ4F_isError(k))
            ck_abort_msg("LZ4F_compressFrame: %s", LZ4F_getErrorName(k));
        out->n += k;
    } else {
        size_t bound = ZSTD_compressBound(n);
        bb_room(out, bound);
        size_t k = ZSTD_compress(out->p + out->n, bound, src, n,
                                 comp == 4 ? 5 : 1); /* any level decodes alike */
        if (ZSTD_isError(k))
            ck_abort_msg("ZSTD_compress: %s", ZSTD_getErrorName(k));
        out->n += k;
    }
}

static void a4_packet(bb *b, int32_t sid, int comp, const bb *payload)
{
    bb c = {0};
    compress(comp, payload->p, payload->n, &c);
    bb_le32(b, (uint32_t)sid);
    bb_le32(b, (uint32_t)c.n);
    bb_put(b, c.p, c.n);
    bb_free(&c);
}

/* A file with streams IMUS 0, TRIG 1, EVTS 2, FRME 5; event packets of various sizes (one
 * larger than the read window) between the others; a file table unless table == 0. */
static void make_a4(bb *b, evl *want, int comp, int with_table)
{
    static const a4_decl decl[] = {{0, "IMUS"}, {1, "TRIG"}, {2, "EVTS"}, {5, "FRME"}};
    bb x = {0};
    a4_xml(&x, decl, 4, 318, 238);
    size_t tpos = a4_header(b, comp, -1, (const char *)x.p, x.n);
    bb_free(&x);
    static const size_t sizes[] = {1, 100, 0, 5000, 70000, 33, 2};
    int64_t t = 1605537493718345;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        bb junk = {0};
        for (int i = 0; i < 300; i++)
            bb_u8(&junk, (uint8_t)rnd());
        a4_packet(b, (int32_t)(k % 2 ? 0 : 5), comp, &junk);
        bb_free(&junk);
        myl_event *ev = calloc(sizes[k] + 1, sizeof *ev);
        for (size_t i = 0; i < sizes[k]; i++) {
            t += rnd() % 20;
            ev[i].t = t, ev[i].x = (uint16_t)(rnd() % 320), ev[i].y = (uint16_t)(rnd() % 240);
            ev[i].p = (uint8_t)(rnd() & 1);
            evl_add(want, ev[i].t, ev[i].x, ev[i].y, ev[i].p);
        }
        bb fb = {0};
        a4_evpacket(&fb, ev, sizes[k]);
        a4_packet(b, 2, comp, &fb);
        bb_free(&fb);
        free(ev);
    }
    if (with_table) {
        set_le64(b->p + tpos, b->n);
        /* a file table: not a packet, and its numbers need not make sense */
        bb_le32(b, 0xFFFFFFFFu);
        bb_le32(b, 0x7FFFFFF0u);
        for (int i = 0; i < 100; i++)
            bb_u8(b, 0);
    }
}

START_TEST(a4_streams_and_table)
{
    for (int comp = 0; comp <= 4; comp++) {
        for (int table = 0; table <= 1; table++) {
            bb b = {0};
            evl want = {0};
            make_a4(&b, &want, comp, table);
            result r;
            check_reads(&b, MYL_TRACE_AEDAT4, &want, &r);
            ck_assert_int_eq(r.meta.compressed, comp);
            ck_assert_uint_eq(r.meta.width, 320);
            ck_assert_uint_eq(r.meta.height, 240);
            ck_assert_str_eq(r.meta.source, "DVXplorer_T2");
            ck_assert_str_eq(r.meta.streams, "imu triggers events frames");
            result_free(&r);
            bb_free(&b);
            evl_free(&want);
        }
    }
}
END_TEST

START_TEST(a4_empty_and_eventless)
{
    /* an event packet without its elements field, one with an empty vector, and a file whose
     * XML declares no event stream */
    static const a4_decl ev_only[] = {{7, "EVTS"}};
    static const a4_decl imu_only[] = {{0, "IMUS"}};
    evl want = {0};
    for (int k = 0; k < 2; k++) {
        bb b = {0}, x = {0};
        a4_xml(&x, k ? imu_only : ev_only, 1, 64, 48);
        a4_header(&b, 0, -1, (const char *)x.p, x.n);
        bb fb = {0};
        bb_le32(&fb, 20), bb_le32(&fb, 12), bb_str(&fb, "EVTS");
        bb_le16(&fb, 4), bb_le16(&fb, 4), bb_le32(&fb, 4); /* vtable without fields; table */
        bb_le32(&fb, 0);
        a4_packet(&b, k ? 0 : 7, 0, &fb);
        bb_free(&fb);
        a4_evpacket(&fb, NULL, 0);
        a4_packet(&b, k ? 0 : 7, 0, &fb);
        bb_free(&fb);
        result r;
        check_reads(&b, MYL_TRACE_AEDAT4, &want, &r);
        ck_assert_str_eq(r.meta.streams, k ? "imu" : "events");
        ck_assert_uint_eq(r.meta.width, k ? 0 : 64);
        result_free(&r);
        bb_free(&b);
        bb_free(&x);
    }
}
END_TEST

/* A file with one EVTS stream (id 0), compression comp, and the given raw packet payload (already
 * compressed if comp says so); *at = the packet's offset. */
static void a4_one(bb *b, int comp, const void *payload, size_t n, int32_t size, size_t *at)
{
    static const a4_decl decl[] = {{0, "EVTS"}};
    bb x = {0};
    a4_xml(&x, decl, 1, 320, 240);
    a4_header(b, comp, -1, (const char *)x.p, x.n);
    bb_free(&x);
    if (at)
        *at = b->n;
    bb_le32(b, 0);
    bb_le32(b, (uint32_t)size);
    bb_put(b, payload, n);
}

/* Event packet flatbuffer bytes with n events; then a corruption applied by the caller. */
static void a4_fb(bb *fb, size_t n)
{
    myl_event ev[4] = {
        {100, 1, 2, 1, {0}}, {101, 3, 4, 0, {0}}, {102, 5, 6, 1, {0}}, {103, 7, 8, 0, {0}}};
    a4_evpacket(fb, ev, n);
}

START_TEST(a4_hostile_header)
{
    bb b = {0}, x = {0};
    static const a4_decl decl[] = {{0, "EVTS"}};
    a4_xml(&x, decl, 1, 320, 240);
    bb_str(&b, "#!AER-DAT4.0\n\n");
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "byte 0: found '#!AER-DAT4.0\\x0A", NULL);
    bb_free(&b);
    bb_str(&b, "#!AER-DAT4.0\r\n\x10");
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "byte 14:", NULL);
    bb_free(&b);
    /* truncated header */
    a4_header(&b, 0, -1, (const char *)x.p, x.n);
    b.n -= 100;
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "byte 18: the IOHeader declares", NULL);
    bb_free(&b);
    /* a header larger than the window */
    bb_str(&b, "#!AER-DAT4.0\r\n");
    bb_le32(&b, 0x7FFFFFFF);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_ETOOBIG, "byte 14: an IOHeader of", NULL);
    bb_free(&b);
    /* corruptions of the IOHeader flatbuffer: {offset in fb, little-endian value, bytes} */
    static const struct {
        size_t at;
        uint64_t v;
        int w;
        const char *why;
    } bad[] = {
        {0, 0xFFFFFFF0u, 4, "root table offset outside"},
        {0, 2, 4, "root table offset outside"},
        {20, 0x80000000u, 4, "vtable offset outside"},
        {20, (uint32_t)-4000, 4, "vtable offset outside"},
        {8, 3, 2, "vtable whose size"},
        {8, 0xFFF0, 2, "vtable whose size"},
        {10, 0xFFF0, 2, "a table whose size"},
        {12, 30, 2, "field offset outside its table"},
        {16, 2, 2, "field offset outside its table"},
        {28, 0x7FFFFFFF, 4, "vector offset outside"},
        {40, 0x7FFFFFF0u, 4, "length runs past"},
        {24, 9, 4, "compression 9"},
        {24, (uint32_t)-1, 4, "compression -1"},
        {32, (uint64_t)-2, 8, "dataTablePosition -2"},
        {32, 17, 8, "dataTablePosition 17"},
        {16, 0, 2, "without an infoNode"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a4_header(&b, 0, -1, (const char *)x.p, x.n);
        uint8_t *fb = b.p + 18 + bad[i].at;
        for (int k = 0; k < bad[i].w; k++)
            fb[k] = (uint8_t)(bad[i].v >> (8 * k));
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, bad[i].why, NULL);
        bb_free(&b);
    }
    bb_free(&x);
    /* garbage XML */
    static const char *xml[] = {
        "",
        "just text, no markup",
        "<dv><node name=\"outInfo\"></node></dv>",
        "<dv><node name=\"outInfo\"><node name=\"0\"></node></node></dv>",
        "<dv><node name=\"outInfo\"><node name=\"0\"><attr key=\"typeIdentifier\">EVTS</attr>"
        "</node></node>",
        "<dv><node name=\"outInfo\"><node name=\"0\"><attr key=\"typeIdentifier\">EVTS</node>"
        "</node></dv>",
        "<dv><node name=\"outInfo\"><node name=\"0\"><attr key=\"typeIdentifier\">EVTS</attr>"
        "</node></nodes></dv>",
        "<dv><node><attr key=\"typeIdentifier\">EVTS</attr></node></dv>",
        "<dv <node>",
        "<dv><!-- never closed",
        "<dv><node name=\"outInfo\"><node name=\"0\"><attr key=\"typeIdentifier\">EVTS</attr>"
        "<node name=\"info\"><attr key=\"sizeX\">-3</attr></node></node></node></dv>",
        "<dv><node name=\"outInfo\"><node name=\"0\"><attr key=\"typeIdentifier\">EVTSEVTS</attr>"
        "</node></node></dv>",
        "<dv><attr>x</attr></dv>",
        "< >",
        "</>",
        "<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q><r><s><t><u><v><w><x><y><z><A><B>"
        "<C><D><E><F><G>",
        "\xFF\xFE\x00\x01<<<>>>",
    };
    for (size_t i = 0; i < sizeof xml / sizeof xml[0]; i++) {
        a4_header(&b, 0, -1, xml[i], strlen(xml[i]) + (i == sizeof xml / sizeof xml[0] - 1) * 4);
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "info XML with", NULL);
        bb_free(&b);
    }
}
END_TEST

START_TEST(a4_hostile_packets)
{
    bb b = {0}, fb = {0};
    size_t at;
    result r;
    char s[64];
    /* packet header cut short; negative size; size past the end */
    uint8_t zero[8] = {0};
    a4_one(&b, 0, zero, 0, 0, &at);
    b.n -= 3;
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "5 bytes into a packet header", NULL);
    bb_free(&b);
    a4_one(&b, 0, zero, 8, -8, &at);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "with size -8", NULL);
    bb_free(&b);
    a4_fb(&fb, 4);
    a4_one(&b, 0, fb.p, fb.n, (int32_t)fb.n + 1000, &at);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "expected 1000 more bytes", &r);
    snprintf(s, sizeof s, "byte %zu:", at);
    ck_assert_msg(strstr(r.d.msg, s), "%s", r.d.msg);
    result_free(&r);
    bb_free(&b);
    a4_one(&b, 0, fb.p, fb.n, 0x7FFFFFFF, &at); /* and larger than the cap */
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_ETOOBIG, "expected at most", NULL);
    bb_free(&b);
    /* a non-event packet pointing past the end */
    a4_one(&b, 0, fb.p, fb.n, (int32_t)fb.n, &at);
    bb_le32(&b, 9), bb_le32(&b, 1u << 30), bb_str(&b, "tiny");
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "cuts short", &r);
    ck_assert_uint_eq(r.ev.n, 4); /* the events before it were delivered */
    result_free(&r);
    bb_free(&b);
    /* the file table: a packet running past it, a file ending before it */
    a4_one(&b, 0, fb.p, fb.n, (int32_t)fb.n, &at);
    set_le64(b.p + 18 + 32, at + 8 + fb.n - 1);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "runs past the file table", NULL);
    bb_free(&b);
    a4_one(&b, 0, fb.p, fb.n, (int32_t)fb.n, &at);
    set_le64(b.p + 18 + 32, at + 8 + fb.n + 8);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "before the file table", NULL);
    bb_free(&b);
    /* corruptions of the EventPacket flatbuffer: {offset from the size prefix, value, bytes} */
    static const struct {
        size_t at;
        uint32_t v;
        int w;
        const char *why;
    } bad[] = {
        {0, 1000, 4, "size prefix says 1000"},
        {4, 0xFFFFFF00u, 4, "root table offset outside"},
        {4, 1, 4, "root table offset outside"},
        {20, 0x7FFFFFFF, 4, "vtable offset outside"},
        {12, 0xFFFF, 2, "vtable whose size"},
        {14, 0x7000, 2, "a table whose size"},
        {16, 9, 2, "elements field lies outside"},
        {24, 0x40000000u, 4, "vector offset outside"},
        {28, 5, 4, "length runs past"},
        {28, 0x10000001u, 4, "length runs past"},
        {8, 0x45565453u, 4, "file identifier 'STVE'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bb p = {0};
        a4_fb(&p, 4);
        for (int k = 0; k < bad[i].w; k++)
            p.p[bad[i].at + k] = (uint8_t)(bad[i].v >> (8 * k));
        for (int comp = 0; comp <= 3; comp += 3) {
            bb c = {0};
            compress(comp, p.p, p.n, &c);
            a4_one(&b, comp, c.p, c.n, (int32_t)c.n, &at);
            /* a compressed packet's frame must produce what the prefix declares */
            const char *why = i == 0 && comp ? "decompresses to 96 bytes" : bad[i].why;
            check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, why, &r);
            snprintf(s, sizeof s, "byte %zu:", at);
            ck_assert_msg(strstr(r.d.msg, s), "%s", r.d.msg);
            result_free(&r);
            bb_free(&b);
            bb_free(&c);
        }
        bb_free(&p);
    }
    /* negative coordinates: the events before the bad one come first */
    bb_free(&fb);
    a4_fb(&fb, 4);
    fb.p[32 + 2 * 16 + 10] = 0xFF, fb.p[32 + 2 * 16 + 11] = 0xFF; /* event 2: y = -1 */
    a4_one(&b, 0, fb.p, fb.n, (int32_t)fb.n, &at);
    check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE,
                "event (number 2 of the packet here) at x 5, y -1", &r);
    ck_assert_uint_eq(r.ev.n, 2);
    result_free(&r);
    bb_free(&b);
    bb_free(&fb);
}
END_TEST

/* A streamed compressed frame: `head` bytes then `zeros` zero bytes, LZ4 or ZSTD, optionally
 * unfinished (flushed but without its end mark). */
static void bomb(int zstd, const void *head, size_t hn, uint64_t zeros, int finish, bb *out)
{
    static uint8_t z[1 << 20];
    if (zstd) {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
        bb_room(out, 1 << 16);
        uint64_t left = zeros;
        int first = 1;
        for (;;) {
            ZSTD_inBuffer in = {first ? head : z, first ? hn : (left < sizeof z ? left : sizeof z),
                                0};
            if (!first)
                left -= in.size;
            first = 0;
            ZSTD_EndDirective e =
                left == 0 ? (finish ? ZSTD_e_end : ZSTD_e_flush) : ZSTD_e_continue;
            size_t rem;
            do {
                bb_room(out, 1 << 16);
                ZSTD_outBuffer ob = {out->p + out->n, out->cap - out->n, 0};
                rem = ZSTD_compressStream2(c, &ob, &in, e);
                if (ZSTD_isError(rem))
                    ck_abort_msg("zstd: %s", ZSTD_getErrorName(rem));
                out->n += ob.pos;
            } while (in.pos < in.size || (e != ZSTD_e_continue && rem));
            if (e != ZSTD_e_continue)
                break;
        }
        ZSTD_freeCCtx(c);
    } else {
        LZ4F_cctx *c;
        LZ4F_createCompressionContext(&c, LZ4F_VERSION);
        bb_room(out, LZ4F_HEADER_SIZE_MAX);
        out->n += LZ4F_compressBegin(c, out->p + out->n, out->cap - out->n, NULL);
        size_t bound = LZ4F_compressBound(sizeof z, NULL);
        bb_room(out, bound);
        out->n += LZ4F_compressUpdate(c, out->p + out->n, bound, head, hn, NULL);
        for (uint64_t left = zeros; left;) {
            size_t k = left < sizeof z ? (size_t)left : sizeof z;
            bb_room(out, bound);
            size_t w = LZ4F_compressUpdate(c, out->p + out->n, bound, z, k, NULL);
            if (LZ4F_isError(w))
                ck_abort_msg("lz4: %s", LZ4F_getErrorName(w));
            out->n += w;
            left -= k;
        }
        bb_room(out, bound);
        out->n += finish ? LZ4F_compressEnd(c, out->p + out->n, bound, NULL)
                         : LZ4F_flush(c, out->p + out->n, bound, NULL);
        LZ4F_freeCompressionContext(c);
    }
}

START_TEST(a4_bombs)
{
    for (int zstd = 0; zstd <= 1; zstd++) {
        int comp = zstd ? 3 : 1;
        bb b = {0}, f = {0};
        /* a flatbuffer declaring ~4 GiB, in an unfinished frame */
        uint8_t head[8] = {0xF0, 0xFF, 0xFF, 0xFF, 16, 0, 0, 0};
        bomb(zstd, head, 8, 1 << 20, 0, &f);
        a4_one(&b, comp, f.p, f.n, (int32_t)f.n, NULL);
        track_on();
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_ETOOBIG, "declares 4294967280 bytes", NULL);
        track_off();
        ck_assert_msg(g_maxreq <= (2u << 20), "allocated %zu bytes at once", g_maxreq);
        bb_free(&b), bb_free(&f);
        /* a flatbuffer declaring 1000 bytes in a frame that produces 1 GiB (ZSTD) / 256 MiB */
        uint8_t small[8] = {0xE8, 0x03, 0, 0, 16, 0, 0, 0};
        bomb(zstd, small, 8, zstd ? (uint64_t)1 << 30 : (uint64_t)256 << 20, 1, &f);
        ck_assert_msg(f.n < (zstd ? 200000u : 1600000u), "bomb of %zu bytes", f.n);
        a4_one(&b, comp, f.p, f.n, (int32_t)f.n, NULL);
        track_on();
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "more than the 1004 bytes", NULL);
        track_off();
        ck_assert_msg(g_maxreq <= (2u << 20), "allocated %zu bytes at once", g_maxreq);
        bb_free(&b), bb_free(&f);
        /* a frame that produces less than declared, one with bytes after it, garbage */
        bb p = {0};
        a4_fb(&p, 4);
        set_le32(p.p, (uint32_t)p.n + 60);
        compress(comp, p.p, p.n, &f);
        a4_one(&b, comp, f.p, f.n, (int32_t)f.n, NULL);
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "decompresses to 96 bytes", NULL);
        bb_free(&b), bb_free(&f), bb_free(&p);
        a4_fb(&p, 4);
        compress(comp, p.p, p.n, &f);
        bb_str(&f, "tail");
        a4_one(&b, comp, f.p, f.n, (int32_t)f.n, NULL);
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "4 bytes after the end", NULL);
        bb_free(&b), bb_free(&f);
        compress(comp, p.p, p.n, &f);
        f.n -= 3; /* the frame cut short inside the packet */
        a4_one(&b, comp, f.p, f.n, (int32_t)f.n, NULL);
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "ends inside its", NULL);
        bb_free(&b), bb_free(&f);
        a4_one(&b, comp, p.p, p.n, (int32_t)p.n, NULL); /* not compressed at all */
        check_fails(&b, MYL_TRACE_AEDAT4, MYL_EPARSE, "does not decode", NULL);
        bb_free(&b), bb_free(&p);
    }
}
END_TEST

/* ---- shared samples, detection, allocation failure, fuzz findings ---------------------------- */

static void read_file(const char *path, bb *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        ck_abort_msg("cannot open %s", path);
    uint8_t tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        bb_put(b, tmp, k);
    fclose(f);
}

START_TEST(shared_samples)
{
    if (!myl_test_have_shared())
        return;
    /* tonic's sample.aedat4: 111,954 events over 0.590 s from a DVXplorer 320x240 */
    myl_diag d = {0};
    myl_reader *r;
    int rc = myl_reader_open_file(myl_test_src("../shared/data/aedat4/tonic_sample.aedat4"), NULL,
                                  &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    const myl_trace_meta *m = myl_reader_meta(r);
    ck_assert_int_eq(m->format, MYL_TRACE_AEDAT4);
    ck_assert_uint_eq(m->width, 320);
    ck_assert_uint_eq(m->height, 240);
    ck_assert_int_eq(m->compressed, 1);
    ck_assert_str_eq(m->streams, "events imu triggers");
    ck_assert_str_eq(m->source, "DVXplorer_DXB00010");
    myl_event ev[4096];
    size_t n, total = 0, bad = 0;
    int64_t t0 = 0, t1 = 0, prev = INT64_MIN;
    while ((rc = myl_reader_read(r, ev, 4096, &n, &d)) == 0 && n) {
        if (!total)
            t0 = ev[0].t;
        for (size_t i = 0; i < n; i++) {
            bad += ev[i].x >= 320 || ev[i].y >= 240 || ev[i].p > 1;
            if (ev[i].t < prev)
                ck_abort_msg("time goes back at event %zu", total + i);
            prev = ev[i].t;
        }
        t1 = ev[n - 1].t;
        total += n;
    }
    ck_assert_msg(rc == 0, "%s", d.msg);
    myl_reader_close(r);
    ck_assert_uint_eq(total, 111954);
    ck_assert_uint_eq(bad, 0);
    ck_assert_msg(t1 - t0 >= 589500 && t1 - t0 < 590500, "span %lld us", (long long)(t1 - t0));
    ck_assert_msg(t0 > 1500000000000000LL, "Unix-us timestamps, got %lld", (long long)t0);
    /* the same through a source that hands out 1000 bytes at a time */
    bb b = {0};
    read_file(myl_test_src("../shared/data/aedat4/tonic_sample.aedat4"), &b);
    result rr;
    read_mem(b.p, b.n, MYL_TRACE_UNKNOWN, 1000, 777, &rr);
    ck_assert_msg(rr.rc_open == 0 && rr.rc == 0, "%s", rr.d.msg);
    ck_assert_uint_eq(rr.ev.n, 111954);
    result_free(&rr);
    bb_free(&b);
    /* tonic's header-only AEDAT 2.0, cut inside its XML: no events, not an error */
    rc = myl_reader_open_file(myl_test_src("../shared/data/aedat2/tonic_sample_aedat_header.aedat"),
                              NULL, &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    m = myl_reader_meta(r);
    ck_assert_int_eq(m->format, MYL_TRACE_AEDAT2);
    ck_assert_str_eq(m->source, "Davis346red");
    ck_assert_uint_eq(m->width, 346);
    ck_assert_uint_eq(m->height, 260);
    rc = myl_reader_read(r, ev, 4096, &n, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    ck_assert_uint_eq(n, 0);
    myl_reader_close(r);
}
END_TEST

START_TEST(alloc_failure)
{
    /* every allocation the readers make may fail: the result is MYL_ENOMEM, never a crash or a
     * leak (LeakSanitizer checks the latter) */
    bb imgs[3] = {{0}};
    evl want = {0};
    make_a4(&imgs[0], &want, 1, 1);
    make_a4(&imgs[1], &want, 3, 0);
    make_a3(&imgs[2], &want);
    for (int k = 0; k < 3; k++) {
        myl_trace_format f = k < 2 ? MYL_TRACE_AEDAT4 : MYL_TRACE_AEDAT3;
        for (long at = 1;; at++) {
            result r;
            myl_test_fail_after(at);
            read_mem(imgs[k].p, imgs[k].n, f, 0, 4096, &r);
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
        bb_free(&imgs[k]);
    }
    evl_free(&want);
}
END_TEST

START_TEST(fuzz_findings)
{
    /* inputs the fuzzer found troublesome: each format forced, none may crash or misreport */
    const char *dir = myl_test_src("tests/data/aedat");
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        bb b = {0};
        read_file(path, &b);
        static const myl_trace_format fs[] = {MYL_TRACE_AEDAT2, MYL_TRACE_AEDAT3, MYL_TRACE_AEDAT4};
        for (int k = 0; k < 3; k++) {
            result r;
            read_mem(b.p, b.n, fs[k], 0, 1000, &r);
            int rc = r.rc_open ? r.rc_open : r.rc;
            if (rc && ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) ||
                       strncmp(r.d.msg, "mem.aedat: ", 11) != 0))
                ck_abort_msg("%s as %s: %s: %s", e->d_name, myl_trace_format_name(fs[k]),
                             myl_err_name(rc), r.d.msg);
            result_free(&r);
        }
        bb_free(&b);
        seen++;
    }
    closedir(dp);
    (void)seen;
}
END_TEST

/* ---- generated files as fuzz seeds ----------------------------------------------------------- */

static int write_bb(const char *dir, const char *name, const bb *b)
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
    make_a2_dvs128(&b, &w, "\r\n", "DVS128");
    b.n = 1200;
    bad |= write_bb(dir, "a2_dvs128.aedat", &b);
    bb_free(&b);
    make_a2_davis(&b, &w, "\n", NULL, 240, 180);
    b.n = 1500;
    bad |= write_bb(dir, "a2_davis_hash.aedat", &b);
    bb_free(&b);
    a3_header(&b, "DAVIS240C", NULL);
    uint32_t ts = 0;
    a3_junk(&b, 0, 8, 2);
    a3_polarity(&b, &w, 2, 20, 25, &ts, 240, 180);
    a3_junk(&b, 2, 40, 2);
    bad |= write_bb(dir, "a3_mixed.aedat", &b);
    bb_free(&b);
    static const a4_decl decl[] = {{0, "IMUS"}, {2, "EVTS"}};
    for (int comp = 0; comp <= 3; comp++) {
        bb x = {0};
        a4_xml(&x, decl, 2, 320, 240);
        size_t tpos = a4_header(&b, comp, -1, (const char *)x.p, x.n);
        bb_free(&x);
        myl_event ev[12];
        for (int i = 0; i < 12; i++)
            ev[i] = (myl_event){1000 + i, (uint16_t)i, (uint16_t)(2 * i), (uint8_t)(i & 1), {0}};
        bb fb = {0}, junk = {0};
        bb_str(&junk, "imu packet");
        a4_packet(&b, 0, comp, &junk);
        a4_evpacket(&fb, ev, 12);
        a4_packet(&b, 2, comp, &fb);
        set_le64(b.p + tpos, b.n);
        bb_le32(&b, 0xFFFFFFFFu), bb_le32(&b, 0);
        char name[64];
        snprintf(name, sizeof name, "a4_comp%d.aedat4", comp);
        bad |= write_bb(dir, name, &b);
        bb_free(&b), bb_free(&fb), bb_free(&junk);
    }
    for (int zstd = 0; zstd <= 1; zstd++) { /* bombs: a declared 4 GiB, and 1000 bytes */
        for (int k = 0; k < 2; k++) {
            uint8_t head[8] = {0xF0, 0xFF, 0xFF, 0xFF, 16, 0, 0, 0};
            if (k)
                head[0] = 0xE8, head[1] = 0x03, head[2] = head[3] = 0;
            bb f = {0};
            bomb(zstd, head, 8, 1 << 20, k, &f);
            a4_one(&b, zstd ? 3 : 1, f.p, f.n, (int32_t)f.n, NULL);
            char name[64];
            snprintf(name, sizeof name, "a4_%s_bomb%d.aedat4", zstd ? "zstd" : "lz4", k);
            bad |= write_bb(dir, name, &b);
            bb_free(&b), bb_free(&f);
        }
    }
    evl_free(&w);
    return bad;
}

static Suite *aedat_suite(void)
{
    Suite *s = suite_create("trace-aedat");
    TCase *tc = tcase_create("aedat2");
    tcase_add_test(tc, a2_dvs128_crlf);
    tcase_add_test(tc, a2_dvs128_lf_no_chip);
    tcase_add_test(tc, a2_davis_hash_first);
    tcase_add_test(tc, a2_end_header_and_header_only);
    tcase_add_test(tc, a2_hostile);
    suite_add_tcase(s, tc);
    tc = tcase_create("aedat3");
    tcase_add_test(tc, a3_packets);
    tcase_add_test(tc, a3_hostile);
    suite_add_tcase(s, tc);
    tc = tcase_create("aedat4");
    tcase_set_timeout(tc, 300); /* megabyte images, read many ways */
    tcase_add_test(tc, a4_streams_and_table);
    tcase_add_test(tc, a4_empty_and_eventless);
    tcase_add_test(tc, a4_hostile_header);
    tcase_add_test(tc, a4_hostile_packets);
    tcase_add_test(tc, a4_bombs);
    suite_add_tcase(s, tc);
    tc = tcase_create("robustness");
    tcase_add_test(tc, shared_samples);
    tcase_add_test(tc, alloc_failure);
    tcase_add_test(tc, fuzz_findings);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]) ? EXIT_FAILURE : EXIT_SUCCESS;
    return myl_test_run(aedat_suite());
}
