/* AEDAT readers: jAER's AEDAT 2.0, libcaer's AEDAT 3.1 and iniVation DV's AEDAT 4.0 (byte
 * layouts in docs and ../shared/reference/formats.md). All three stream through the registry's
 * 1 MiB window: AEDAT 2.0 and 3.1 decode records in place in the window, and AEDAT 4.0 holds at
 * most one packet's flatbuffer at a time (decompressed when the file is compressed), capped at
 * PACKET_CAP, so memory stays bounded whatever the file's length.
 *
 * Conventions chosen:
 * - Coordinates are the sensor's address fields as the file stores them, never mirrored. jAER
 *   displays DVS128 and DAVIS data with x mirrored (x = width - 1 - raw) and (0,0) at the bottom
 *   left; that is a display choice of jAER's viewer, not part of the address. Reporting the raw
 *   fields keeps the mapping reversible and agrees with what libcaer and DV write into AEDAT
 *   3.1/4.0 and with tonic's decoders; a user who wants jAER's picture applies x' = width-1-x.
 * - Polarity keeps its meaning, 1 = ON: a DVS128 address has bit 0 set for an OFF event (jAER's
 *   extractor flips the type: "raw polarity 1 is OFF"), so p = 1 - bit 0; DAVIS sets bit 11 for
 *   ON; libcaer and DV store ON as 1.
 * - AEDAT 2.0 layout: the header's "# AEChip:" class decides (a name with "Davis"/"DAVIS" is the
 *   DAVIS layout, DVS128/Tmpdiff128 the DVS128 layout). Without one, the first 4096 records
 *   decide: any address above 0xFFFF means DAVIS (a DVS128 address is 16 bits), else DVS128.
 *   Skipped: DVS128 external/sync events (bit 15, or any bit above 15); DAVIS APS and IMU samples
 *   (bit 31, which covers the 0x80000C00 IMU pattern) and external input events (bit 10).
 * - AEDAT 2.0 timestamps are 32 bits and wrap: each record's time is the previous one plus the
 *   signed 32-bit difference of the raw values, so a wrap past 2^32 carries on forward and a small
 *   step backwards stays a step backwards (a gap of more than 2^31 us, 36 minutes, between two
 *   consecutive records would read as a step backwards). Every record, skipped or not, advances
 *   the clock.
 * - AEDAT 2.0 header: lines starting with '#' and made of text (printable ASCII, tab, CR, valid
 *   UTF-8) up to a '\n'. A '#' followed by anything else is the first data record, which is how
 *   a first address byte of 0x23 is told from a header line (DAVIS words always carry binary
 *   bytes: their low address byte and timestamp). A file that ends inside the header (no data,
 *   even if cut mid-line) has 0 events; any partial record after the header is an error.
 * - AEDAT 4.0: only the first stream whose typeIdentifier is EVTS is read; packets of other
 *   streams are skipped unread. Reading stops at dataTablePosition; a file that ends before the
 *   table it declares is reported as truncated.
 * Errors name the byte offset of the record, packet or header line that broke, and are sticky:
 * events decoded before an error are delivered first, the error comes with the next call.
 */
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <lz4frame.h>
#include <zstd.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longest header line accepted (jAER writes its preferences one XML element per line). */
#define LINE_MAX_ 65536u
/* Largest AEDAT 4.0 packet payload, compressed or not, and largest decompressed flatbuffer:
 * DV writes packets of at most a few MiB. Bombs that declare or produce more fail here. */
#ifndef MYL_AEDAT_PACKET_CAP
#define MYL_AEDAT_PACKET_CAP ((size_t)256 << 20)
#endif
#define PACKET_CAP MYL_AEDAT_PACKET_CAP
/* zstd window limit (2^27 = 128 MiB, zstd's own default, stated so it cannot drift). */
#define ZSTD_WINDOW_LOG_MAX 27
/* AEDAT 2.0 records inspected to tell DVS128 from DAVIS when the header does not say. */
#define A2_SNIFF_RECORDS 4096u
#define A3_PACKET_HEADER 28
#define A4_EVENT_SIZE 16
#define A4_MAX_STREAMS 64

typedef unsigned long long ull;

/* ---- shared helpers -------------------------------------------------------------------------- */

static inline uint16_t rd_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd_le64(const uint8_t *p)
{
    return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

static inline uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline size_t avail(const myl_in *in)
{
    return (size_t)(in->end - in->p);
}

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* "name: byte N: <message>" into d; returns rc. */
static int fail_at(myl_diag *d, int rc, const myl_in *in, uint64_t off, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

static int fail_at(myl_diag *d, int rc, const myl_in *in, uint64_t off, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return myl_diag_fail(d, rc, "%s: byte %llu: %s", in->src->name, (ull)off, msg);
}

/* Render up to n bytes for a message: printable ASCII as is, the rest as \xNN. */
static const char *show(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (n > 24)
        n = 24;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\'' && p[i] != '\\')
            out[o++] = (char)p[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", p[i]);
    }
    out[o] = '\0';
    return out;
}

/* Errors are sticky, and events decoded before one are delivered first: a reader's read()
 * decodes into a private diag, and finish() either returns the error now (nothing decoded) or
 * keeps it for the next call. */
typedef struct held_err {
    int rc;
    myl_diag diag;
} held_err;

static int held(const held_err *h, myl_diag *d)
{
    return myl_diag_fail(d, h->rc, "%s", h->diag.msg);
}

static int finish(held_err *h, int rc, const myl_diag *tmp, size_t got, size_t *n, myl_diag *d)
{
    *n = got;
    if (!rc)
        return 0;
    h->rc = rc;
    h->diag = *tmp;
    if (!h->diag.set)
        snprintf(h->diag.msg, sizeof h->diag.msg, "%s", myl_strerror(rc));
    if (got)
        return 0;
    return held(h, d);
}

/* Byte length of a valid UTF-8 sequence of 2-4 bytes at p; 0 if invalid; (size_t)-1 if the
 * bytes available end inside what could still be a valid sequence. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if (i >= n)
            return (size_t)-1;
        uint8_t b = p[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
            return 0;
    }
    return len;
}

enum { LINE_TEXT, LINE_BINARY, LINE_AT_EOF };

/* Classify the bytes at in->p as a text line: LINE_TEXT with *len bytes including the '\n';
 * LINE_BINARY if a byte that is not text comes first; LINE_AT_EOF if the stream ends inside a
 * text line (*len = what is left). Lines longer than LINE_MAX_ fail. Does not consume. */
static int text_line(myl_in *in, size_t *len, int *kind, myl_diag *d)
{
    size_t i = 0;
    for (;;) {
        const uint8_t *p = in->p;
        size_t have = avail(in);
        size_t lim = have < LINE_MAX_ ? have : LINE_MAX_;
        while (i < lim) {
            uint8_t c = p[i];
            if (c == '\n') {
                *len = i + 1;
                *kind = LINE_TEXT;
                return 0;
            }
            if ((c >= 0x20 && c < 0x7F) || c == '\t' || c == '\r') {
                i++;
                continue;
            }
            if (c >= 0x80) {
                size_t k = utf8_seq(p + i, have - i);
                if (k == (size_t)-1)
                    break; /* need more bytes */
                if (k) {
                    i += k;
                    continue;
                }
            }
            *kind = LINE_BINARY;
            *len = i;
            return 0;
        }
        if (i >= LINE_MAX_)
            return fail_at(d, MYL_EPARSE, in, myl_in_offset(in),
                           "a header line longer than %u bytes; expected a line end", LINE_MAX_);
        if (in->eof) {
            *len = have;
            *kind = LINE_AT_EOF;
            return 0;
        }
        int rc = myl_in_need(in, have + 1, d);
        if (rc)
            return rc;
        if (avail(in) == have) { /* the stream ended */
            *len = have;
            *kind = LINE_AT_EOF;
            return 0;
        }
    }
}

/* Length of a line without its trailing "\r\n" or "\n". */
static size_t trim_eol(const uint8_t *s, size_t n)
{
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive search for needle (NUL-terminated) in s[0..n). */
static const uint8_t *ci_find(const uint8_t *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && lower(s[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == m)
            return s + i;
    }
    return NULL;
}

/* Copy s[0..n) into out (cap bytes), trimmed of blanks, NUL-terminated. */
static void copy_trim(char *out, size_t cap, const uint8_t *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Sensor sizes of the cameras these formats come from, by a fragment of their name. */
static const struct sensor {
    const char *name;
    uint16_t w, h;
} g_sensors[] = {
    {"dvxplorer_lite", 320, 240}, {"dvxplorer lite", 320, 240}, {"dvxplorer", 640, 480},
    {"davis346", 346, 260},       {"davis240", 240, 180},       {"davisrgbw640", 640, 480},
    {"davis640", 640, 480},       {"davis208", 208, 192},       {"davis128", 128, 128},
    {"dvs128", 128, 128},         {"tmpdiff128", 128, 128},     {"edvs", 128, 128},
};

static const struct sensor *sensor_by_name(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < sizeof g_sensors / sizeof g_sensors[0]; i++)
        if (ci_find(s, n, g_sensors[i].name))
            return &g_sensors[i];
    return NULL;
}

/* ---- AEDAT 2.0 ------------------------------------------------------------------------------- */

enum { A2_UNKNOWN, A2_DVS128, A2_DAVIS };

typedef struct a2_state {
    held_err err;
    int layout;
    int chip_seen; /* the header named the chip class */
    int started;   /* seen a record: last and t are set */
    uint32_t last; /* raw timestamp of the previous record */
    uint64_t t;    /* its unwrapped time [us], two's complement (wraps, never overflows) */
} a2_state;

static const char g_a2_magic[] = "#!AER-DAT2.0";

static int a2_probe(const uint8_t *h, size_t n)
{
    size_t m = sizeof g_a2_magic - 1;
    return n >= m && memcmp(h, g_a2_magic, m) == 0 ? 2 : 0;
}

/* "# AEChip: <java class>": layout and sensor size from the class name. */
static void a2_chip(a2_state *st, const uint8_t *line, size_t n, myl_trace_meta *meta)
{
    const uint8_t *k = ci_find(line, n, "AEChip:");
    if (!k || st->chip_seen)
        return; /* the first "AEChip:" line is jAER's; later ones are preferences text */
    st->chip_seen = 1;
    const uint8_t *v = k + 7, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    size_t vn = (size_t)(end - v);
    /* keep the class's simple name: eu.seebetter.ini.chips.davis.Davis346red -> Davis346red */
    const uint8_t *base = v;
    for (const uint8_t *c = v; c < end; c++)
        if (*c == '.')
            base = c + 1;
    copy_trim(meta->source, sizeof meta->source, base, (size_t)(end - base));
    if (ci_find(v, vn, "davis"))
        st->layout = A2_DAVIS;
    else if (ci_find(v, vn, "dvs128") || ci_find(v, vn, "tmpdiff128"))
        st->layout = A2_DVS128;
    else
        return;
    const struct sensor *s = sensor_by_name(base, (size_t)(end - base));
    if (s) {
        meta->width = s->w;
        meta->height = s->h;
    }
}

static int a2_open(void *vst, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                   myl_diag *d)
{
    a2_state *st = vst;
    char buf[128];
    (void)o;
    int rc = myl_in_need(in, sizeof g_a2_magic - 1, d);
    if (rc)
        return rc;
    if (!a2_probe(in->p, avail(in)))
        return fail_at(d, MYL_EPARSE, in, 0, "found '%s'; expected \"%s\" (AEDAT 2.0)",
                       show(in->p, avail(in), buf, sizeof buf), g_a2_magic);
    snprintf(meta->streams, sizeof meta->streams, "events");
    for (int first = 1;; first = 0) {
        if ((rc = myl_in_need(in, 1, d)))
            return rc;
        if (avail(in) == 0 || *in->p != '#')
            break;
        size_t len;
        int kind;
        if ((rc = text_line(in, &len, &kind, d)))
            return rc;
        if (kind == LINE_BINARY) {
            if (first)
                return fail_at(d, MYL_EPARSE, in, myl_in_offset(in) + len,
                               "found byte 0x%02X in the first header line; expected text "
                               "and a line end",
                               in->p[len]);
            break; /* a data record that starts with '#' */
        }
        size_t n = trim_eol(in->p, len);
        a2_chip(st, in->p, n, meta);
        int end_marker = n == 12 && memcmp(in->p, "#!END-HEADER", 12) == 0;
        in->p += len;
        if (kind == LINE_AT_EOF || end_marker)
            break;
    }
    if (st->layout == A2_UNKNOWN) {
        /* decide by the address range of the first records */
        if ((rc = myl_in_need(in, 8 * A2_SNIFF_RECORDS, d)))
            return rc;
        size_t nrec = avail(in) / 8;
        st->layout = A2_DVS128;
        for (size_t i = 0; i < nrec; i++)
            if (rd_be32(in->p + 8 * i) > 0xFFFFu) {
                st->layout = A2_DAVIS;
                break;
            }
        if (st->layout == A2_DVS128 && nrec && meta->width == 0)
            meta->width = meta->height = 128;
    }
    return 0;
}

/* Decode up to nrec records at p into ev (room for at least nrec events, or stop at cap).
 * Returns events written; *used = records consumed. */
static size_t a2_decode(a2_state *st, const uint8_t *p, size_t nrec, myl_event *ev, size_t cap,
                        size_t *used)
{
    uint32_t last = st->last;
    uint64_t t = st->t;
    size_t o = 0, i = 0;
    if (st->layout == A2_DAVIS) {
        for (; i < nrec && o < cap; i++, p += 8) {
            uint32_t a = rd_be32(p), ts = rd_be32(p + 4);
            t += (uint64_t)(int64_t)(int32_t)(ts - last);
            last = ts;
            ev[o].t = (int64_t)t;
            ev[o].x = (uint16_t)((a >> 12) & 0x3FF);
            ev[o].y = (uint16_t)((a >> 22) & 0x1FF);
            ev[o].p = (uint8_t)((a >> 11) & 1);
            memset(ev[o].pad, 0, sizeof ev[o].pad);
            o += (a & 0x80000400u) == 0; /* not APS/IMU (bit 31), not external input (bit 10) */
        }
    } else {
        for (; i < nrec && o < cap; i++, p += 8) {
            uint32_t a = rd_be32(p), ts = rd_be32(p + 4);
            t += (uint64_t)(int64_t)(int32_t)(ts - last);
            last = ts;
            ev[o].t = (int64_t)t;
            ev[o].x = (uint16_t)((a >> 1) & 0x7F);
            ev[o].y = (uint16_t)((a >> 8) & 0x7F);
            ev[o].p = (uint8_t)(~a & 1); /* raw 1 is OFF */
            memset(ev[o].pad, 0, sizeof ev[o].pad);
            o += (a & 0xFFFF8000u) == 0; /* external/sync bit 15, or not a DVS128 address */
        }
    }
    st->last = last;
    st->t = t;
    *used = i;
    return o;
}

static int a2_read_inner(a2_state *st, myl_in *in, myl_event *ev, size_t cap, size_t *got,
                         myl_diag *d)
{
    size_t o = 0;
    int rc = 0;
    while (o < cap) {
        if (avail(in) < 8) {
            if ((rc = myl_in_need(in, 8, d)))
                break;
            size_t have = avail(in);
            if (have == 0)
                break;
            if (have < 8) {
                rc = fail_at(d, MYL_EPARSE, in, myl_in_offset(in),
                             "the file ends %zu bytes into a record; expected 8-byte records "
                             "(int32 address, int32 timestamp)",
                             have);
                break;
            }
        }
        if (!st->started) {
            st->last = rd_be32(in->p + 4);
            st->t = st->last;
            st->started = 1;
        }
        size_t used;
        o += a2_decode(st, in->p, avail(in) / 8, ev + o, cap - o, &used);
        in->p += used * 8;
    }
    *got = o;
    return rc;
}

static int a2_read(void *vst, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    a2_state *st = vst;
    if (st->err.rc)
        return held(&st->err, d);
    myl_diag tmp = {0};
    size_t got = 0;
    int rc = a2_read_inner(st, in, ev, cap, &got, &tmp);
    return finish(&st->err, rc, &tmp, got, n, d);
}

const myl_reader_ops myl__aedat2_ops = {
    .format = MYL_TRACE_AEDAT2,
    .name = "aedat2",
    .state_size = sizeof(a2_state),
    .probe = a2_probe,
    .open = a2_open,
    .read = a2_read,
    .close = NULL,
};

/* ---- AEDAT 3.1 ------------------------------------------------------------------------------- */

typedef struct a3_state {
    held_err err;
    uint64_t npol;    /* polarity events left in the current packet */
    uint64_t nskip;   /* bytes left to skip in the current packet */
    uint64_t pkt_off; /* where the current packet's header starts */
    uint64_t pkt_len; /* its length, header included */
    int64_t hi;       /* timestamp overflow << 31 */
} a3_state;

static const char g_a3_magic[] = "#!AER-DAT3.";

static int a3_probe(const uint8_t *h, size_t n)
{
    size_t m = sizeof g_a3_magic - 1;
    return n >= m && memcmp(h, g_a3_magic, m) == 0 ? 2 : 0;
}

/* A number after "sizeX"/"sizeY" (any of "=", ":", quotes, XML markup in between). */
static uint32_t a3_size_after(const uint8_t *line, size_t n, const char *key)
{
    const uint8_t *k = ci_find(line, n, key);
    if (!k)
        return 0;
    const uint8_t *p = k + strlen(key), *end = line + n;
    for (int skipped = 0; p < end && (*p < '0' || *p > '9'); p++)
        if (++skipped > 40)
            return 0;
    uint32_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > 65535)
            return 0;
    }
    return v;
}

static int a3_open(void *vst, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                   myl_diag *d)
{
    (void)vst;
    (void)o;
    char buf[128];
    int rc = myl_in_need(in, 12, d);
    if (rc)
        return rc;
    if (avail(in) < 12 || memcmp(in->p, "#!AER-DAT3.1", 12) != 0)
        return fail_at(d, MYL_EPARSE, in, 0,
                       "found '%s'; expected \"#!AER-DAT3.1\" (AEDAT 3.1; AEDAT 3.0 is not read)",
                       show(in->p, avail(in), buf, sizeof buf));
    snprintf(meta->streams, sizeof meta->streams, "events");
    uint32_t w = 0, h = 0;
    for (;;) {
        uint64_t off = myl_in_offset(in);
        size_t len;
        int kind;
        if ((rc = text_line(in, &len, &kind, d)))
            return rc;
        if (kind != LINE_TEXT || in->p[0] != '#') {
            if (kind == LINE_AT_EOF)
                return fail_at(d, MYL_EPARSE, in, off,
                               "the file ends inside the header; expected header lines up to "
                               "\"#!END-HEADER\"");
            return fail_at(d, MYL_EPARSE, in, off,
                           "found '%s'; expected a header line starting with '#' and ending "
                           "in a line end, up to \"#!END-HEADER\"",
                           show(in->p, len ? len : avail(in), buf, sizeof buf));
        }
        const uint8_t *s = in->p;
        size_t n = trim_eol(s, len);
        if (n == 12 && memcmp(s, "#!END-HEADER", 12) == 0) {
            in->p += len;
            break;
        }
        if (n >= 8 && memcmp(s, "#Format:", 8) == 0) {
            char fmt[32];
            copy_trim(fmt, sizeof fmt, s + 8, n - 8);
            if (strcmp(fmt, "RAW") != 0)
                return fail_at(d, MYL_EPARSE, in, off,
                               "found \"#Format: %s\"; expected \"#Format: RAW\" (myelin reads "
                               "uncompressed AEDAT 3.1)",
                               fmt);
        } else if (n >= 7 && memcmp(s, "#Source", 7) == 0 && !meta->source[0]) {
            const uint8_t *c = memchr(s, ':', n);
            if (c) {
                copy_trim(meta->source, sizeof meta->source, c + 1, (size_t)(s + n - c - 1));
                const struct sensor *sn = sensor_by_name(c + 1, (size_t)(s + n - c - 1));
                if (sn && !w) {
                    meta->width = sn->w;
                    meta->height = sn->h;
                }
            }
        }
        if (!w && (w = a3_size_after(s, n, "sizeX")))
            meta->width = w;
        if (!h && (h = a3_size_after(s, n, "sizeY")))
            meta->height = h;
        in->p += len;
    }
    return 0;
}

/* Read and check the 28-byte packet header at in->p (available). */
static int a3_packet(a3_state *st, myl_in *in, myl_diag *d)
{
    const uint8_t *p = in->p;
    uint64_t off = myl_in_offset(in);
    int16_t type = (int16_t)rd_le16(p);
    int32_t size = (int32_t)rd_le32(p + 4), tsoff = (int32_t)rd_le32(p + 8),
            ovf = (int32_t)rd_le32(p + 12), capacity = (int32_t)rd_le32(p + 16),
            number = (int32_t)rd_le32(p + 20), valid = (int32_t)rd_le32(p + 24);
    if (size < 0 || capacity < 0 || number < 0 || valid < 0 || tsoff < 0 || ovf < 0)
        return fail_at(d, MYL_EPARSE, in, off,
                       "packet header with event size %d, timestamp offset %d, overflow %d, "
                       "capacity %d, number %d, valid %d; expected none negative",
                       size, tsoff, ovf, capacity, number, valid);
    if (number > capacity || valid > number)
        return fail_at(d, MYL_EPARSE, in, off,
                       "packet header with capacity %d, number %d, valid %d; expected valid <= "
                       "number <= capacity",
                       capacity, number, valid);
    if (type < 0)
        return fail_at(d, MYL_EPARSE, in, off,
                       "packet type %d (bit 15 set: a compressed packet); expected an "
                       "uncompressed packet",
                       type);
    st->pkt_off = off;
    st->pkt_len = A3_PACKET_HEADER + (uint64_t)capacity * (uint64_t)size;
    if (type == 1) {
        if (size != 8 || tsoff != 4)
            return fail_at(d, MYL_EPARSE, in, off,
                           "polarity packet with event size %d and timestamp offset %d; "
                           "expected 8 and 4",
                           size, tsoff);
        st->npol = (uint64_t)number;
        st->nskip = (uint64_t)(capacity - number) * 8;
        st->hi = (int64_t)ovf << 31;
    } else {
        st->npol = 0;
        st->nskip = (uint64_t)capacity * (uint64_t)size;
    }
    in->p += A3_PACKET_HEADER;
    return 0;
}

static int a3_cut(const a3_state *st, const myl_in *in, myl_diag *d)
{
    uint64_t end = myl_in_offset(in) + avail(in);
    return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                   "the packet here declares %llu bytes but the file ends at byte %llu; "
                   "expected %llu more bytes",
                   (ull)st->pkt_len, (ull)end, (ull)(st->pkt_off + st->pkt_len - end));
}

static int a3_read_inner(a3_state *st, myl_in *in, myl_event *ev, size_t cap, size_t *got,
                         myl_diag *d)
{
    size_t o = 0;
    int rc = 0;
    while (o < cap) {
        if (st->npol) {
            if (avail(in) < 8) {
                if ((rc = myl_in_need(in, 8, d)))
                    break;
                if (avail(in) < 8) {
                    rc = a3_cut(st, in, d);
                    break;
                }
            }
            size_t k = avail(in) / 8, i;
            if (k > st->npol)
                k = (size_t)st->npol;
            const uint8_t *p = in->p;
            const int64_t hi = st->hi;
            for (i = 0; i < k && o < cap; i++, p += 8) {
                uint32_t w = rd_le32(p), ts = rd_le32(p + 4);
                if ((w & ts >> 31) & 1) { /* valid, with a negative timestamp */
                    in->p = p;
                    st->npol -= i;
                    rc = fail_at(d, MYL_EPARSE, in, myl_in_offset(in),
                                 "polarity event with timestamp %d; expected >= 0", (int32_t)ts);
                    goto out;
                }
                ev[o].t = hi | ts;
                ev[o].x = (uint16_t)((w >> 17) & 0x7FFF);
                ev[o].y = (uint16_t)((w >> 2) & 0x7FFF);
                ev[o].p = (uint8_t)((w >> 1) & 1);
                memset(ev[o].pad, 0, sizeof ev[o].pad);
                o += w & 1;
            }
            in->p = p;
            st->npol -= i;
        } else if (st->nskip) {
            if (avail(in) == 0) {
                if ((rc = myl_in_need(in, 1, d)))
                    break;
                if (avail(in) == 0) {
                    rc = a3_cut(st, in, d);
                    break;
                }
            }
            size_t k = avail(in);
            if (k > st->nskip)
                k = (size_t)st->nskip;
            in->p += k;
            st->nskip -= k;
        } else {
            if ((rc = myl_in_need(in, A3_PACKET_HEADER, d)))
                break;
            size_t have = avail(in);
            if (have == 0)
                break; /* end of stream, between packets */
            if (have < A3_PACKET_HEADER) {
                rc = fail_at(d, MYL_EPARSE, in, myl_in_offset(in),
                             "the file ends %zu bytes into a packet header; expected %d bytes",
                             have, A3_PACKET_HEADER);
                break;
            }
            if ((rc = a3_packet(st, in, d)))
                break;
        }
    }
out:
    *got = o;
    return rc;
}

static int a3_read(void *vst, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    a3_state *st = vst;
    if (st->err.rc)
        return held(&st->err, d);
    myl_diag tmp = {0};
    size_t got = 0;
    int rc = a3_read_inner(st, in, ev, cap, &got, &tmp);
    return finish(&st->err, rc, &tmp, got, n, d);
}

const myl_reader_ops myl__aedat3_ops = {
    .format = MYL_TRACE_AEDAT3,
    .name = "aedat3",
    .state_size = sizeof(a3_state),
    .probe = a3_probe,
    .open = a3_open,
    .read = a3_read,
    .close = NULL,
};

/* ---- flatbuffers --------------------------------------------------------------------------- */

/* Minimal, fully bounds-checked flatbuffer access: a table's position, its vtable and size, and
 * its fields' positions. Every offset read from the buffer is checked against the buffer before
 * it is followed. Positions are relative to the buffer start. */
typedef struct fb_table {
    const uint8_t *b;
    size_t n;
    size_t pos;    /* table start */
    size_t vt;     /* vtable start */
    size_t vtsize; /* vtable bytes */
    size_t size;   /* table bytes (inline fields) */
} fb_table;

/* The root table of b[0..n). On failure returns -1 with *why set. */
static int fb_root(const uint8_t *b, size_t n, fb_table *t, const char **why)
{
    if (n < 8) {
        *why = "a flatbuffer shorter than 8 bytes";
        return -1;
    }
    uint32_t root = rd_le32(b);
    if (root < 4 || (uint64_t)root + 4 > n) {
        *why = "a root table offset outside the buffer";
        return -1;
    }
    int32_t rel = (int32_t)rd_le32(b + root);
    int64_t vt = (int64_t)root - rel;
    if (vt < 0 || (uint64_t)vt + 4 > n) {
        *why = "a vtable offset outside the buffer";
        return -1;
    }
    size_t vtsize = rd_le16(b + vt), size = rd_le16(b + vt + 2);
    if (vtsize < 4 || (vtsize & 1) || (uint64_t)vt + vtsize > n) {
        *why = "a vtable whose size is odd, under 4 or past the buffer";
        return -1;
    }
    if (size < 4 || (uint64_t)root + size > n) {
        *why = "a table whose size is under 4 or past the buffer";
        return -1;
    }
    t->b = b;
    t->n = n;
    t->pos = root;
    t->vt = (size_t)vt;
    t->vtsize = vtsize;
    t->size = size;
    return 0;
}

/* Position of field idx (width bytes) in the buffer; 0 if absent; (size_t)-1 if its offset
 * lies outside the table. */
static size_t fb_field(const fb_table *t, unsigned idx, size_t width)
{
    size_t slot = 4 + 2 * (size_t)idx;
    if (slot + 2 > t->vtsize)
        return 0;
    size_t fo = rd_le16(t->b + t->vt + slot);
    if (fo == 0)
        return 0;
    if (fo < 4 || fo + width > t->size)
        return (size_t)-1;
    return t->pos + fo;
}

/* Follow the uoffset at position at to a vector or string: *start = its first element, *count
 * its length (elements of elem bytes, all inside the buffer). -1 with *why on failure. */
static int fb_vector(const fb_table *t, size_t at, size_t elem, size_t *start, uint32_t *count,
                     const char **why)
{
    uint64_t v = (uint64_t)at + rd_le32(t->b + at);
    if (v + 4 > t->n) {
        *why = "a vector offset outside the buffer";
        return -1;
    }
    uint32_t len = rd_le32(t->b + v);
    if ((uint64_t)len * elem > t->n - v - 4) {
        *why = "a vector whose length runs past the buffer";
        return -1;
    }
    *start = (size_t)v + 4;
    *count = len;
    return 0;
}

/* ---- AEDAT 4.0: the info XML ----------------------------------------------------------------- */

typedef struct a4_stream {
    int32_t id;
    char type[8];  /* typeIdentifier: EVTS, FRME, IMUS, TRIG, ... */
    uint32_t w, h; /* sizeX, sizeY from its info node (0 if absent) */
    char source[64];
} a4_stream;

typedef struct xml_frame {
    const char *elem; /* element name */
    size_t elen;
    const char *name; /* its name="..." attribute, if any */
    size_t nlen;
} xml_frame;

typedef struct xml_out {
    a4_stream s[A4_MAX_STREAMS];
    int n;
    const char *why; /* on failure: what was wrong */
    size_t at;       /* and where in the XML */
    char whybuf[160];
} xml_out;

static int name_is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

static int xml_fail(xml_out *x, size_t at, const char *why)
{
    x->why = why;
    x->at = at;
    return -1;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '-' || c == '.';
}

/* Find attribute `key` in the tag text s[0..n): *v, *vn its value. 0 if absent. */
static int xml_attr(const char *s, size_t n, const char *key, const char **v, size_t *vn)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n' ||
             s[i - 1] == '\r') &&
            memcmp(s + i, key, kl) == 0 && s[i + kl] == '=' &&
            (s[i + kl + 1] == '"' || s[i + kl + 1] == '\'')) {
            char q = s[i + kl + 1];
            const char *b = s + i + kl + 2;
            const char *e = memchr(b, q, (size_t)(s + n - b));
            if (!e)
                return 0;
            *v = b;
            *vn = (size_t)(e - b);
            return 1;
        }
    }
    return 0;
}

static int parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == 0 || n > 10)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static a4_stream *xml_stream(xml_out *x, const xml_frame *f)
{
    uint32_t id;
    if (!f->name || parse_u32(f->name, f->nlen, INT32_MAX, &id))
        return NULL; /* not a numbered stream node */
    for (int i = 0; i < x->n; i++)
        if (x->s[i].id == (int32_t)id)
            return &x->s[i];
    if (x->n == A4_MAX_STREAMS)
        return NULL;
    a4_stream *s = &x->s[x->n++];
    memset(s, 0, sizeof *s);
    s->id = (int32_t)id;
    return s;
}

/* One <attr key="K">V</attr> inside the node stack: record what describes a stream. */
static int xml_record(xml_out *x, const xml_frame *st, int depth, const char *k, size_t kn,
                      const char *v, size_t vn, size_t at)
{
    int is_stream = depth >= 2 && st[depth - 2].name &&
                    name_is(st[depth - 2].name, st[depth - 2].nlen, "outInfo");
    int is_info = depth >= 3 && st[depth - 3].name &&
                  name_is(st[depth - 3].name, st[depth - 3].nlen, "outInfo") &&
                  st[depth - 1].name && name_is(st[depth - 1].name, st[depth - 1].nlen, "info");
    if (is_stream && name_is(k, kn, "typeIdentifier")) {
        a4_stream *s = xml_stream(x, &st[depth - 1]);
        if (s) {
            if (vn == 0 || vn >= sizeof s->type)
                return xml_fail(x, at, "a typeIdentifier that is empty or longer than 7 bytes");
            memcpy(s->type, v, vn);
            s->type[vn] = '\0';
        }
    } else if (is_info) {
        a4_stream *s = xml_stream(x, &st[depth - 2]);
        if (!s)
            return 0;
        if (name_is(k, kn, "sizeX") || name_is(k, kn, "sizeY")) {
            uint32_t val;
            if (parse_u32(v, vn, 32767, &val))
                return xml_fail(x, at, "a sensor size that is not a number from 0 to 32767");
            *(k[4] == 'X' ? &s->w : &s->h) = val;
        } else if (name_is(k, kn, "source")) {
            size_t m = vn < sizeof s->source - 1 ? vn : sizeof s->source - 1;
            memcpy(s->source, v, m);
            s->source[m] = '\0';
        }
    }
    return 0;
}

/* Scan DV's info XML (elements, attributes in double or single quotes, comments, declarations;
 * no entities needed) for the streams under <node name="outInfo">. Malformed markup, unbalanced
 * elements and an XML without streams fail. */
static int xml_streams(const char *s, size_t n, xml_out *x)
{
    xml_frame st[32];
    int depth = 0;
    size_t i = 0;
    x->n = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt)
            break;
        i = (size_t)(lt - s);
        size_t rest = n - i;
        if (rest >= 4 && memcmp(lt, "<!--", 4) == 0) {
            size_t j = i + 4;
            while (j + 3 <= n && memcmp(s + j, "-->", 3) != 0)
                j++;
            if (j + 3 > n)
                return xml_fail(x, i, "a comment that is never closed");
            i = j + 3;
            continue;
        }
        const char *gt = NULL;
        char q = 0;
        for (size_t j = i + 1; j < n; j++) { /* the tag's '>', outside quotes */
            if (q) {
                if (s[j] == q)
                    q = 0;
            } else if (s[j] == '"' || s[j] == '\'') {
                q = s[j];
            } else if (s[j] == '<') {
                return xml_fail(x, j, "a '<' inside a tag");
            } else if (s[j] == '>') {
                gt = s + j;
                break;
            }
        }
        if (!gt)
            return xml_fail(x, i, "a tag that is never closed with '>'");
        size_t tn = (size_t)(gt - lt) + 1; /* whole tag, "<...>" */
        if (lt[1] == '?' || lt[1] == '!') {
            i += tn;
            continue;
        }
        if (lt[1] == '/') {
            size_t e = 2;
            while (e < tn - 1 && is_name_char(lt[e]))
                e++;
            if (e == 2)
                return xml_fail(x, i, "a closing tag without a name");
            if (depth == 0 || e - 2 != st[depth - 1].elen ||
                memcmp(lt + 2, st[depth - 1].elem, e - 2) != 0)
                return xml_fail(x, i, "a closing tag that does not match the open element");
            depth--;
            i += tn;
            continue;
        }
        size_t e = 1;
        while (e < tn - 1 && is_name_char(lt[e]))
            e++;
        if (e == 1)
            return xml_fail(x, i, "a '<' that does not start a tag");
        const char *elem = lt + 1;
        size_t elen = e - 1;
        int self_closing = gt[-1] == '/';
        if (name_is(elem, elen, "attr")) {
            const char *k, *v = "";
            size_t kn, vn = 0;
            if (!xml_attr(lt, tn - 1, "key", &k, &kn))
                return xml_fail(x, i, "an <attr> without a key=\"...\"");
            size_t next = i + tn;
            if (!self_closing) {
                const char *close = NULL;
                for (size_t j = next; j + 7 <= n; j++)
                    if (s[j] == '<') {
                        if (memcmp(s + j, "</attr>", 7) == 0)
                            close = s + j;
                        break;
                    }
                if (!close)
                    return xml_fail(x, i, "an <attr> whose value is not followed by </attr>");
                v = s + next;
                vn = (size_t)(close - v);
                next = (size_t)(close - s) + 7;
            }
            if (xml_record(x, st, depth, k, kn, v, vn, i))
                return -1;
            i = next;
            continue;
        }
        if (!self_closing) {
            if (depth == (int)(sizeof st / sizeof st[0]))
                return xml_fail(x, i, "elements nested more than 32 deep");
            xml_frame *f = &st[depth++];
            f->elem = elem;
            f->elen = elen;
            f->name = NULL;
            f->nlen = 0;
            if (name_is(elem, elen, "node") && !xml_attr(lt, tn - 1, "name", &f->name, &f->nlen))
                return xml_fail(x, i, "a <node> without a name=\"...\"");
        }
        i += tn;
    }
    if (depth)
        return xml_fail(x, n, "an element that is never closed");
    if (x->n == 0)
        return xml_fail(x, 0,
                        "no streams (expected <node name=\"outInfo\"> holding one numbered "
                        "<node> per stream)");
    for (int k = 0; k < x->n; k++)
        if (!x->s[k].type[0]) {
            snprintf(x->whybuf, sizeof x->whybuf, "stream %d without a typeIdentifier",
                     (int)x->s[k].id);
            return xml_fail(x, 0, x->whybuf);
        }
    return 0;
}

/* ---- AEDAT 4.0 ------------------------------------------------------------------------------- */

typedef struct a4_state {
    held_err err;
    int compression; /* 0 none, 1 LZ4, 2 LZ4 high, 3 ZSTD, 4 ZSTD high */
    int64_t table;   /* dataTablePosition, -1 if none */
    int32_t evts;    /* stream id of the events, -1 if the file has none */
    int done;
    LZ4F_dctx *lz4;
    ZSTD_DCtx *zstd;
    uint8_t *buf; /* the current packet's flatbuffer (size prefix first) */
    size_t bufcap;
    const uint8_t *ev0; /* its first event (16-byte structs) */
    const uint8_t *ev;  /* the next one */
    size_t nev;         /* events left in it */
    uint64_t pkt_off;   /* where the packet started */
} a4_state;

static const char g_a4_magic[] = "#!AER-DAT4.0\r\n";
#define A4_MAGIC_LEN 14

static int a4_probe(const uint8_t *h, size_t n)
{
    return n >= A4_MAGIC_LEN && memcmp(h, g_a4_magic, A4_MAGIC_LEN) == 0 ? 2 : 0;
}

static const char *stream_word(const char *type)
{
    if (strcmp(type, "EVTS") == 0)
        return "events";
    if (strcmp(type, "FRME") == 0)
        return "frames";
    if (strcmp(type, "IMUS") == 0)
        return "imu";
    if (strcmp(type, "TRIG") == 0)
        return "triggers";
    return type;
}

static int a4_open(void *vst, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                   myl_diag *d)
{
    a4_state *st = vst;
    char buf[128];
    (void)o;
    int rc = myl_in_need(in, A4_MAGIC_LEN + 4, d);
    if (rc)
        return rc;
    if (!a4_probe(in->p, avail(in)))
        return fail_at(d, MYL_EPARSE, in, 0, "found '%s'; expected \"#!AER-DAT4.0\\r\\n\"",
                       show(in->p, avail(in), buf, sizeof buf));
    if (avail(in) < A4_MAGIC_LEN + 4)
        return fail_at(d, MYL_EPARSE, in, A4_MAGIC_LEN,
                       "the file ends; expected the 4-byte size of the IOHeader");
    uint32_t hsize = rd_le32(in->p + A4_MAGIC_LEN);
    const uint64_t fb_off = A4_MAGIC_LEN + 4;
    if (hsize > in->cap - fb_off)
        return fail_at(d, MYL_ETOOBIG, in, A4_MAGIC_LEN,
                       "an IOHeader of %u bytes; expected at most %zu", hsize,
                       in->cap - (size_t)fb_off);
    if ((rc = myl_in_need(in, fb_off + hsize, d)))
        return rc;
    if (avail(in) < fb_off + hsize)
        return fail_at(d, MYL_EPARSE, in, fb_off,
                       "the IOHeader declares %u bytes but the file ends after %zu", hsize,
                       avail(in) - (size_t)fb_off);
    const uint8_t *fb = in->p + fb_off;
    fb_table t;
    const char *why;
    if (fb_root(fb, hsize, &t, &why))
        return fail_at(d, MYL_EPARSE, in, fb_off,
                       "IOHeader flatbuffer with %s; expected a valid IOHeader table", why);
    size_t fc = fb_field(&t, 0, 4), ft = fb_field(&t, 1, 8), fi = fb_field(&t, 2, 4);
    if (fc == (size_t)-1 || ft == (size_t)-1 || fi == (size_t)-1)
        return fail_at(d, MYL_EPARSE, in, fb_off + t.vt,
                       "IOHeader vtable with a field offset outside its table; expected "
                       "compression, dataTablePosition and infoNode inside it");
    int32_t comp = fc ? (int32_t)rd_le32(fb + fc) : 0;
    int64_t table = ft ? (int64_t)rd_le64(fb + ft) : -1;
    if (comp < 0 || comp > 4)
        return fail_at(d, MYL_EPARSE, in, fb_off + fc,
                       "compression %d; expected 0 (none), 1 (LZ4), 2 (LZ4 high), 3 (ZSTD) or "
                       "4 (ZSTD high)",
                       comp);
    if (table < -1 || (table >= 0 && (uint64_t)table < fb_off + hsize))
        return fail_at(d, MYL_EPARSE, in, fb_off + ft,
                       "dataTablePosition %lld; expected -1 or a position after the header "
                       "(>= %llu)",
                       (long long)table, (ull)(fb_off + hsize));
    if (!fi)
        return fail_at(d, MYL_EPARSE, in, fb_off + t.pos,
                       "IOHeader without an infoNode; expected the XML that lists the streams");
    size_t xs;
    uint32_t xn;
    if (fb_vector(&t, fi, 1, &xs, &xn, &why))
        return fail_at(d, MYL_EPARSE, in, fb_off + fi, "infoNode with %s; expected a string", why);
    xml_out *x = myl_malloc(sizeof *x);
    if (!x)
        return MYL_ENOMEM;
    if (xml_streams((const char *)fb + xs, xn, x)) {
        rc = fail_at(d, MYL_EPARSE, in, fb_off + xs + x->at,
                     "info XML with %s; expected DV's stream description", x->why);
        myl_free(x);
        return rc;
    }
    st->compression = comp;
    st->table = table;
    st->evts = -1;
    meta->compressed = comp;
    size_t sl = 0;
    for (int i = 0; i < x->n; i++) {
        const a4_stream *s = &x->s[i];
        if (st->evts < 0 && strcmp(s->type, "EVTS") == 0) {
            st->evts = s->id;
            meta->width = s->w;
            meta->height = s->h;
            snprintf(meta->source, sizeof meta->source, "%s", s->source);
        }
        const char *w = stream_word(s->type);
        size_t wl = strlen(w);
        if (sl + wl + 2 <= sizeof meta->streams) {
            if (sl)
                meta->streams[sl++] = ' ';
            memcpy(meta->streams + sl, w, wl + 1);
            sl += wl;
        }
    }
    myl_free(x);
    if (comp == 1 || comp == 2) {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&st->lz4, LZ4F_VERSION)))
            return MYL_ENOMEM;
    } else if (comp == 3 || comp == 4) {
        st->zstd = ZSTD_createDCtx();
        if (!st->zstd || ZSTD_isError(ZSTD_DCtx_setParameter(st->zstd, ZSTD_d_windowLogMax,
                                                             ZSTD_WINDOW_LOG_MAX)))
            return MYL_ENOMEM;
    }
    in->p += fb_off + hsize;
    return 0;
}

static void a4_close(void *vst)
{
    a4_state *st = vst;
    if (st->lz4)
        LZ4F_freeDecompressionContext(st->lz4);
    ZSTD_freeDCtx(st->zstd);
    myl_free(st->buf);
}

/* Make room for `need` bytes in the packet buffer, growing geometrically but never past hard. */
static int a4_room(a4_state *st, size_t need, size_t hard)
{
    if (need <= st->bufcap)
        return 0;
    if (need > hard)
        return MYL_ETOOBIG; /* callers never ask: a bug, not a file's fault */
    size_t nc = st->bufcap ? st->bufcap : 65536;
    while (nc < need)
        nc *= 2;
    if (nc > hard)
        nc = hard;
    uint8_t *p = myl_realloc(st->buf, nc);
    if (!p)
        return MYL_ENOMEM;
    st->buf = p;
    st->bufcap = nc;
    return 0;
}

/* The packet at pkt_off (its 8-byte header) is cut short by the end of the stream. */
static int a4_cut(const a4_state *st, const myl_in *in, int32_t size, myl_diag *d)
{
    return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                   "a packet of %d bytes that the file cuts short at byte %llu; expected %llu "
                   "more bytes",
                   size, (ull)myl_in_offset(in),
                   (ull)(st->pkt_off + 8 + (uint64_t)size - myl_in_offset(in)));
}

/* Make at least one byte of the packet's remaining payload available. */
static int a4_more(a4_state *st, myl_in *in, int32_t size, myl_diag *d)
{
    if (avail(in))
        return 0;
    int rc = myl_in_need(in, 1, d);
    if (rc)
        return rc;
    return avail(in) ? 0 : a4_cut(st, in, size, d);
}

/* Read the packet payload (size bytes at in->p) into st->buf, decompressing it: *len = the
 * size-prefixed flatbuffer's length. Output is capped by the flatbuffer's own size prefix
 * (itself at most PACKET_CAP) as soon as its first 4 bytes are out. */
static int a4_load(a4_state *st, myl_in *in, int32_t size, size_t *len, myl_diag *d)
{
    uint64_t left = (uint64_t)size;
    size_t filled = 0, limit = PACKET_CAP;
    int known = 0, rc;
    if ((uint64_t)size > PACKET_CAP)
        return fail_at(d, MYL_ETOOBIG, in, st->pkt_off,
                       "a packet of %d bytes; expected at most %zu", size, (size_t)PACKET_CAP);
    if (st->compression == 0) {
        while (left) {
            if ((rc = a4_more(st, in, size, d)))
                return rc;
            size_t k = avail(in) < left ? avail(in) : (size_t)left;
            if ((rc = a4_room(st, filled + k, (size_t)size)))
                return rc;
            memcpy(st->buf + filled, in->p, k);
            in->p += k;
            filled += k;
            left -= k;
        }
        *len = filled;
        return 0;
    }
    const int lz4 = st->compression <= 2;
    const char *codec = lz4 ? "LZ4" : "ZSTD";
    if (lz4)
        LZ4F_resetDecompressionContext(st->lz4);
    else
        ZSTD_DCtx_reset(st->zstd, ZSTD_reset_session_only);
    for (;;) {
        size_t k = 0;
        if (left) {
            if ((rc = a4_more(st, in, size, d)))
                return rc;
            k = avail(in) < left ? avail(in) : (size_t)left;
        }
        /* room up to limit + 1, so that a frame producing more than declared is caught */
        size_t hard = limit + 1;
        if (filled == st->bufcap && (rc = a4_room(st, filled + 1, hard)))
            return rc;
        size_t room = (st->bufcap < hard ? st->bufcap : hard) - filled;
        size_t dn = room, sn = k, ret;
        if (lz4) {
            ret = LZ4F_decompress(st->lz4, st->buf + filled, &dn, in->p, &sn, NULL);
            if (LZ4F_isError(ret))
                return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                               "a packet whose LZ4 frame does not decode (%s); expected one "
                               "LZ4 frame",
                               LZ4F_getErrorName(ret));
        } else {
            ZSTD_inBuffer ib = {in->p, k, 0};
            ZSTD_outBuffer ob = {st->buf + filled, room, 0};
            ret = ZSTD_decompressStream(st->zstd, &ob, &ib);
            if (ZSTD_isError(ret))
                return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                               "a packet whose ZSTD frame does not decode (%s); expected one "
                               "ZSTD frame",
                               ZSTD_getErrorName(ret));
            dn = ob.pos;
            sn = ib.pos;
        }
        in->p += sn;
        left -= sn;
        filled += dn;
        if (!known && filled >= 4) {
            uint32_t prefix = rd_le32(st->buf);
            if (prefix > PACKET_CAP - 4)
                return fail_at(d, MYL_ETOOBIG, in, st->pkt_off,
                               "a packet whose flatbuffer declares %u bytes; expected at most "
                               "%zu",
                               prefix, (size_t)PACKET_CAP - 4);
            limit = (size_t)prefix + 4;
            known = 1;
        }
        if (filled > limit)
            return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                           "a %s frame that decompresses to more than the %zu bytes its "
                           "flatbuffer declares",
                           codec, limit);
        if (ret == 0)
            break; /* frame complete */
        if (!left && dn < room)
            return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                           "a packet of %d bytes that ends inside its %s frame; expected the "
                           "whole frame",
                           size, codec);
        if (sn == 0 && dn == 0)
            return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                           "a %s frame on which the decoder makes no progress", codec);
    }
    if (left)
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "%llu bytes after the end of the packet's %s frame; expected the packet "
                       "to end with it",
                       (ull)left, codec);
    if (!known || filled != limit)
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "a %s frame that decompresses to %zu bytes; expected the %zu its "
                       "flatbuffer's size prefix declares",
                       codec, filled, known ? limit : (size_t)4);
    *len = filled;
    return 0;
}

/* Find the events in the size-prefixed EventPacket flatbuffer in st->buf[0..len). */
static int a4_events(a4_state *st, const myl_in *in, size_t len, myl_diag *d)
{
    const char *why;
    if (len < 4 || rd_le32(st->buf) != len - 4)
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "an event packet of %zu bytes whose size prefix says %llu; expected "
                       "the prefix to count the rest of the packet",
                       len, len >= 4 ? (ull)rd_le32(st->buf) : 0ull);
    const uint8_t *fb = st->buf + 4;
    size_t n = len - 4;
    fb_table t;
    if (fb_root(fb, n, &t, &why))
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "an event packet flatbuffer with %s; expected an EventPacket table", why);
    if (memcmp(fb + 4, "EVTS", 4) != 0)
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "an event packet with file identifier '%.4s'; expected \"EVTS\"",
                       (const char *)fb + 4);
    size_t f = fb_field(&t, 0, 4);
    if (f == (size_t)-1)
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "an EventPacket whose elements field lies outside its table");
    st->nev = 0;
    if (!f)
        return 0; /* no elements */
    size_t start;
    uint32_t count;
    if (fb_vector(&t, f, A4_EVENT_SIZE, &start, &count, &why))
        return fail_at(d, MYL_EPARSE, in, st->pkt_off,
                       "an EventPacket with %s; expected a vector of 16-byte events", why);
    st->ev0 = st->ev = fb + start;
    st->nev = count;
    return 0;
}

/* Skip n bytes of the current packet's payload. */
static int a4_skip(a4_state *st, myl_in *in, int32_t size, myl_diag *d)
{
    uint64_t left = (uint64_t)size;
    while (left) {
        int rc = a4_more(st, in, size, d);
        if (rc)
            return rc;
        size_t k = avail(in) < left ? avail(in) : (size_t)left;
        in->p += k;
        left -= k;
    }
    return 0;
}

/* Advance to the next EVTS packet that holds events, or to the end (st->done). */
static int a4_next(a4_state *st, myl_in *in, myl_diag *d)
{
    for (;;) {
        uint64_t off = myl_in_offset(in);
        if (st->table >= 0 && off >= (uint64_t)st->table) {
            st->done = 1;
            return 0;
        }
        int rc = myl_in_need(in, 8, d);
        if (rc)
            return rc;
        size_t have = avail(in);
        if (have == 0) {
            if (st->table >= 0)
                return fail_at(d, MYL_EPARSE, in, off,
                               "the file ends here, before the file table it declares at "
                               "byte %lld; expected more packets (truncated file?)",
                               (long long)st->table);
            st->done = 1;
            return 0;
        }
        if (have < 8)
            return fail_at(d, MYL_EPARSE, in, off,
                           "the file ends %zu bytes into a packet header; expected 8 bytes "
                           "(stream id, size)",
                           have);
        int32_t sid = (int32_t)rd_le32(in->p), size = (int32_t)rd_le32(in->p + 4);
        if (size < 0)
            return fail_at(d, MYL_EPARSE, in, off,
                           "a packet of stream %d with size %d; expected a size >= 0", sid, size);
        if (st->table >= 0 && off + 8 + (uint64_t)size > (uint64_t)st->table)
            return fail_at(d, MYL_EPARSE, in, off,
                           "a packet of %d bytes that runs past the file table at byte %lld; "
                           "expected packets to end before it",
                           size, (long long)st->table);
        st->pkt_off = off;
        in->p += 8;
        if (sid != st->evts || st->evts < 0) {
            if ((rc = a4_skip(st, in, size, d)))
                return rc;
            continue;
        }
        size_t len = 0;
        if ((rc = a4_load(st, in, size, &len, d)) || (rc = a4_events(st, in, len, d)))
            return rc;
        if (st->nev)
            return 0;
    }
}

/* Copy k events from DV's 16-byte structs {i64 t, i16 x, i16 y, bool on, pad} into ev.
 * Returns nonzero if any coordinate is negative. */
static unsigned a4_copy(const uint8_t *s, size_t k, myl_event *ev)
{
    unsigned neg = 0;
    for (size_t i = 0; i < k; i++, s += A4_EVENT_SIZE) {
        uint16_t x = rd_le16(s + 8), y = rd_le16(s + 10);
        neg |= (unsigned)(x | y);
        ev[i].t = (int64_t)rd_le64(s);
        ev[i].x = x;
        ev[i].y = y;
        ev[i].p = s[12] != 0;
        memset(ev[i].pad, 0, sizeof ev[i].pad);
    }
    return neg & 0x8000u;
}

static int a4_read_inner(a4_state *st, myl_in *in, myl_event *ev, size_t cap, size_t *got,
                         myl_diag *d)
{
    size_t o = 0;
    int rc = 0;
    while (o < cap && !st->done) {
        if (st->nev == 0) {
            if ((rc = a4_next(st, in, d)))
                break;
            continue;
        }
        size_t k = st->nev < cap - o ? st->nev : cap - o;
        if (a4_copy(st->ev, k, ev + o)) {
            size_t i = 0;
            while (!(rd_le16(st->ev + i * A4_EVENT_SIZE + 8) & 0x8000u) &&
                   !(rd_le16(st->ev + i * A4_EVENT_SIZE + 10) & 0x8000u))
                i++;
            o += i;
            rc = fail_at(d, MYL_EPARSE, in, st->pkt_off,
                         "an event (number %zu of the packet here) at x %d, y %d; expected "
                         "coordinates >= 0",
                         (size_t)(st->ev - st->ev0) / A4_EVENT_SIZE + i,
                         (int16_t)rd_le16(st->ev + i * A4_EVENT_SIZE + 8),
                         (int16_t)rd_le16(st->ev + i * A4_EVENT_SIZE + 10));
            break;
        }
        st->ev += k * A4_EVENT_SIZE;
        st->nev -= k;
        o += k;
    }
    *got = o;
    return rc;
}

static int a4_read(void *vst, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    a4_state *st = vst;
    if (st->err.rc)
        return held(&st->err, d);
    myl_diag tmp = {0};
    size_t got = 0;
    int rc = a4_read_inner(st, in, ev, cap, &got, &tmp);
    return finish(&st->err, rc, &tmp, got, n, d);
}

const myl_reader_ops myl__aedat4_ops = {
    .format = MYL_TRACE_AEDAT4,
    .name = "aedat4",
    .state_size = sizeof(a4_state),
    .probe = a4_probe,
    .open = a4_open,
    .read = a4_read,
    .close = a4_close,
};
