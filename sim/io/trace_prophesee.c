/* Prophesee event streams: EVT 2.0 and EVT 3.0 .raw recordings, and .dat files.
 *
 * All three start with a text header of `%` lines, then binary little-endian data. The readers
 * decode straight out of the buffered window (myl_in): each refill is followed by one tight loop
 * over every whole word in the window, with the decoder's state (time base, row, vector base)
 * held in locals, so there is no call and no refill check per event; EVT 3.0's common words
 * (ADDR_Y, ADDR_X, TIME_LOW) are decoded without a branch on their type (see evt3_decode). A
 * word or record cut by the window's end waits for the next refill; one cut by the end of the
 * stream is an error.
 *
 * Header end. Data starts at the first line that is not a header line, or right after `% end`.
 * A header line is, byte for byte: `%`, one or more spaces, a key of at least two characters
 * from [A-Za-z0-9_.-], then either the end of the line or a blank and a value of printable
 * characters (tab, and bytes >= 0x80, allowed; `\r` only before the `\n`), ending in `\n`
 * within 4 KiB. In a legacy file (no `% end`) the first data byte may be `%` (0x25); this rule
 * tells it from a header line:
 *   - EVT 2.0: the 4th byte of a word holds the word type in its high nibble, so it is always
 *     one of 0x00-0x1F, 0x80-0x8F, 0xA0-0xAF or 0xE0-0xFF: never a key character or a space,
 *     as the rule needs there. An EVT 2.0 word can never be taken for a header line.
 *   - EVT 3.0 and .dat: data can spell a header line only by spelling "% " + key + blank or
 *     end of line, all printable, up to a `\n` (for EVT 3.0: an ADDR_X with x = 37 followed by
 *     words whose both bytes are printable ASCII); Metavision's own writers start the data
 *     with a TIME_HIGH (0x8xxx), and new files end the header with `% end`, which settles it.
 * A `%` line that does not fit the rule (e.g. `%` alone) is therefore data, not header.
 *
 * Header values used: `evt 2.0|3.0`, `format EVT2;height=H;width=W` (also EVT3), `geometry WxH`,
 * .dat `Version`, `Width`, `Height`, `Data file containing ...`, and for the sensor size when
 * nothing states it, `sensor_generation`/`generation` or the generation in `plugin_name`
 * (gen3 family 640x480; gen4 family, imx636, imx646 1280x720; genx320 320x320: the largest sensor
 * of that family). Sensor size: `format` > `geometry` > `Width`/`Height` > generation > 0, per
 * dimension. Events outside the sensor size (or, when it is unknown, outside what the format can
 * address: 2048 for EVT, 16384 for .dat) are errors.
 *
 * Time. EVT 2.0: TIME_HIGH gives time bits 33-6, CD words bits 5-0; a TIME_HIGH smaller than the
 * last by more than half its range (2^27) is a loop of 2^34 us. EVT 3.0: time is 24 bits,
 * TIME_HIGH (bits 23-12) and TIME_LOW (bits 11-0); a TIME_HIGH sets TIME_LOW to 0 (events right
 * after it, before any TIME_LOW, get the start of its 4096 us window: time never goes back), and
 * a TIME_HIGH smaller than the last by more than 2048 is a loop of 2^24 us. TIME_LOW never wraps
 * on its own (a wrap always comes with a TIME_HIGH; counting both would double count). .dat:
 * u32 timestamps, a drop of more than 2^31 is a loop of 2^32 us. Events before the first
 * TIME_HIGH are skipped (their time is unknown); EVT 3.0 still takes ADDR_Y and VECT_BASE_X
 * from them, which stay valid.
 *
 * Addresses: EVT 2.0 x bits 21-11, y bits 10-0; EVT 3.0 11-bit x and y (ADDR_Y's bit 11, the
 * system type, is not part of y); .dat x bits 0-13, y bits 14-27.
 *
 * Polarity: EVT 2.0 CD_ON = 1, CD_OFF = 0; EVT 3.0 bit 11 of ADDR_X / VECT_BASE_X; .dat bits
 * 28-31 must be 0 or 1 (anything else is an error, not truncated to a bit).
 *
 * .dat records: the event type byte must say CD events (0x00 Event2d or 0x0C EventCD; 0x0E,
 * external triggers, and others are refused), the size byte (>= 8) is the stride, of which the
 * first 8 bytes are read. A stream that ends right after the header has no events.
 *
 * Errors: a malformed word stops the stream. Events decoded before it in the same call are
 * returned first; the next call reports the error (the bad word is not consumed, so it is found
 * again). Triggers (EXT_TRIGGER), OTHERS and CONTINUED words are skipped; reserved word types are
 * errors.
 */
#include "trace_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define HDR_LINE_MAX 4096  /* longest header line [bytes] */
#define EVT_ADDR_MAX 2048  /* x, y limit of EVT 2.0 / 3.0 words (11 bits) */
#define DAT_ADDR_MAX 16384 /* x, y limit of .dat v2 words (14 bits) */

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

/* Little-endian loads; compilers turn these into one load on little-endian machines. */
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline unsigned ctz32(uint32_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned i = 0;
    while (!(m & 1u))
        m >>= 1, i++;
    return i;
#endif
}

static inline unsigned top_bit(uint32_t m)
{
#if defined(__GNUC__)
    return 31u - (unsigned)__builtin_clz(m);
#else
    unsigned i = 0;
    while (m >>= 1)
        i++;
    return i;
#endif
}

/* Store one event as two 8-byte words (t; then x, y, p and zero padding): building a struct and
 * copying it makes compilers go through the stack, which costs more than the decoding. */
_Static_assert(sizeof(myl_event) == 16 && offsetof(myl_event, x) == 8 &&
                   offsetof(myl_event, y) == 10 && offsetof(myl_event, p) == 12,
               "myl_event layout");

/* rest = x | y << 16 | p << 32: myl_event's second 8 bytes on a little-endian machine. */
static inline void put_packed(myl_event *o, uint64_t t, uint64_t rest)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &t, 8);
    memcpy((unsigned char *)o + 8, &rest, 8);
#else
    o->t = (int64_t)t;
    o->x = (uint16_t)rest;
    o->y = (uint16_t)(rest >> 16);
    o->p = (uint8_t)(rest >> 32);
    o->pad[0] = o->pad[1] = o->pad[2] = 0;
#endif
}

static inline void put_event(myl_event *o, uint64_t t, uint32_t x, uint32_t y, uint32_t p)
{
    put_packed(o, t, (uint64_t)x | (uint64_t)y << 16 | (uint64_t)p << 32);
}

static uint64_t offset_of(const myl_in *in, const uint8_t *p)
{
    return in->base + (uint64_t)(p - in->buf);
}

/* ---- header --------------------------------------------------------------------------------- */

typedef struct hline {
    size_t len; /* bytes, with the '\n' */
    const char *key, *val;
    size_t nkey, nval; /* the value without surrounding blanks */
} hline;

typedef struct hdr {
    int evt;           /* 0 not stated, 2, 3, 21 (EVT 2.1), -1 another */
    uint64_t evt_off;  /* offset of the line that stated it */
    char evt_text[40]; /* as written, for messages */
    int dat;           /* a .dat line (Version, Width, Height, Data file ...) was seen */
    uint64_t dat_off;
    int version; /* .dat Version, -1 not stated */
    uint64_t version_off;
    uint32_t fmt_w, fmt_h, geo_w, geo_h, dat_w, dat_h, gen_w, gen_h;
    int psee;  /* a key only Prophesee recordings have */
    int ended; /* `% end` seen */
    char integrator[32], plugin[48], serial[32];
} hdr;

static int keychar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           c == '-' || c == '.';
}

/* Is the text at p (n bytes there) a header line by the rule in the file comment? Fills *l. */
static int hdr_line(const uint8_t *p, size_t n, hline *l)
{
    if (n < 2 || p[0] != '%' || p[1] != ' ')
        return 0;
    size_t i = 1;
    while (i < n && p[i] == ' ')
        i++;
    size_t k0 = i;
    while (i < n && keychar(p[i]))
        i++;
    if (i - k0 < 2 || i >= n)
        return 0;
    size_t k1 = i;
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
        return 0;
    size_t lim = n < HDR_LINE_MAX ? n : HDR_LINE_MAX;
    while (i < lim && p[i] != '\n') {
        uint8_t c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F)
            return 0;
        if (c == '\r' && (i + 1 >= lim || p[i + 1] != '\n'))
            return 0;
        i++;
    }
    if (i >= lim)
        return 0;
    size_t v0 = k1, v1 = i;
    while (v0 < v1 && (p[v0] == ' ' || p[v0] == '\t'))
        v0++;
    while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t' || p[v1 - 1] == '\r'))
        v1--;
    l->len = i + 1;
    l->key = (const char *)p + k0;
    l->nkey = k1 - k0;
    l->val = (const char *)p + v0;
    l->nval = v1 - v0;
    return 1;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int keyis(const hline *l, const char *k)
{
    size_t n = strlen(k);
    if (l->nkey != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)l->key[i]) != k[i])
            return 0;
    return 1;
}

/* Does s[0..n) start with lowercase word w (case-insensitively)? */
static int starts(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (lower((unsigned char)s[i]) != w[i])
            return 0;
    return 1;
}

/* Does s[0..n) contain w (lowercase) case-insensitively? */
static int contains(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    for (size_t i = 0; i + m <= n; i++)
        if (starts(s + i, n - i, w))
            return 1;
    return 0;
}

/* Decimal 1..65535 at s[*i..n); advances *i. */
static int parse_dim(const char *s, size_t n, size_t *i, uint32_t *out)
{
    uint32_t v = 0;
    size_t j = *i;
    while (j < n && s[j] >= '0' && s[j] <= '9' && v <= 65535)
        v = v * 10 + (uint32_t)(s[j++] - '0');
    if (j == *i || v == 0 || v > 65535)
        return -1;
    *i = j;
    *out = v;
    return 0;
}

static void copy_val(char *dst, size_t cap, const hline *l)
{
    size_t n = l->nval < cap - 1 ? l->nval : cap - 1;
    memcpy(dst, l->val, n);
    dst[n] = 0;
}

/* The largest sensor of the generation a `sensor_generation` value or plugin name names. */
static void gen_geometry(const char *s, size_t n, uint32_t *w, uint32_t *h)
{
    if (contains(s, n, "genx320") || contains(s, n, "imx_320") || starts(s, n, "320")) {
        *w = 320, *h = 320;
    } else if (starts(s, n, "4") || contains(s, n, "gen4") || contains(s, n, "imx636") ||
               contains(s, n, "imx646")) {
        *w = 1280, *h = 720;
    } else if (starts(s, n, "3") || contains(s, n, "gen3")) {
        *w = 640, *h = 480;
    }
}

static int bad_value(myl_diag *d, const char *name, uint64_t off, const hline *l,
                     const char *expected)
{
    return myl_diag_fail(d, MYL_EPARSE,
                         "%s: byte %llu: found header line '%% %.*s %.*s'; expected %s", name,
                         (unsigned long long)off, (int)l->nkey, l->key,
                         (int)(l->nval > 80 ? 80 : l->nval), l->val, expected);
}

/* Take what a header line says into h. d may be NULL (the probe), then errors are only codes. */
static int hdr_feed(hdr *h, const hline *l, const char *name, uint64_t off, myl_diag *d)
{
    const char *v = l->val;
    size_t nv = l->nval, i = 0;
    if (keyis(l, "end")) {
        h->ended = 1;
    } else if (keyis(l, "evt")) {
        h->evt = nv == 3 && !memcmp(v, "2.0", 3)   ? 2
                 : nv == 3 && !memcmp(v, "3.0", 3) ? 3
                 : nv == 3 && !memcmp(v, "2.1", 3) ? 21
                                                   : -1;
        h->evt_off = off;
        snprintf(h->evt_text, sizeof h->evt_text, "EVT %.*s", (int)(nv > 20 ? 20 : nv), v);
    } else if (keyis(l, "format")) {
        size_t e = 0;
        while (e < nv && v[e] != ';')
            e++;
        h->evt = e == 4 && starts(v, e, "evt2")    ? 2
                 : e == 4 && starts(v, e, "evt3")  ? 3
                 : e == 5 && starts(v, e, "evt21") ? 21
                                                   : -1;
        h->evt_off = off;
        snprintf(h->evt_text, sizeof h->evt_text, "format %.*s", (int)(e > 20 ? 20 : e), v);
        for (i = e; i < nv;) {
            i++; /* the ';' */
            if (starts(v + i, nv - i, "height=")) {
                i += 7;
                if (parse_dim(v, nv, &i, &h->fmt_h) || (i < nv && v[i] != ';'))
                    return bad_value(d, name, off, l, "height=H with H in 1..65535");
            } else if (starts(v + i, nv - i, "width=")) {
                i += 6;
                if (parse_dim(v, nv, &i, &h->fmt_w) || (i < nv && v[i] != ';'))
                    return bad_value(d, name, off, l, "width=W with W in 1..65535");
            }
            while (i < nv && v[i] != ';')
                i++;
        }
    } else if (keyis(l, "geometry")) {
        if (parse_dim(v, nv, &i, &h->geo_w) || i >= nv || (v[i] != 'x' && v[i] != 'X') ||
            (i++, parse_dim(v, nv, &i, &h->geo_h)) || i != nv)
            return bad_value(d, name, off, l, "WIDTHxHEIGHT, each in 1..65535 (e.g. 640x480)");
    } else if (keyis(l, "version")) {
        uint32_t ver = 0;
        if (parse_dim(v, nv, &i, &ver) || i != nv)
            return bad_value(d, name, off, l, "a version number (2)");
        h->version = (int)ver;
        h->version_off = off;
        h->dat = 1, h->dat_off = off;
    } else if (keyis(l, "width") || keyis(l, "height")) {
        uint32_t *dst = keyis(l, "width") ? &h->dat_w : &h->dat_h;
        if (parse_dim(v, nv, &i, dst) || i != nv)
            return bad_value(d, name, off, l, "a size in 1..65535");
        if (!h->dat)
            h->dat = 1, h->dat_off = off;
    } else if (keyis(l, "data") && starts(v, nv, "file containing")) {
        if (!h->dat)
            h->dat = 1, h->dat_off = off;
    } else if (keyis(l, "sensor_generation") || keyis(l, "generation")) {
        gen_geometry(v, nv, &h->gen_w, &h->gen_h);
        h->psee = 1;
    } else if (keyis(l, "plugin_name")) {
        copy_val(h->plugin, sizeof h->plugin, l);
        if (!h->gen_w)
            gen_geometry(v, nv, &h->gen_w, &h->gen_h);
        h->psee = 1;
    } else if (keyis(l, "integrator_name") || keyis(l, "camera_integrator_name")) {
        copy_val(h->integrator, sizeof h->integrator, l);
        h->psee = 1;
    } else if (keyis(l, "serial_number")) {
        copy_val(h->serial, sizeof h->serial, l);
        h->psee = 1;
    } else if (keyis(l, "system_id") || keyis(l, "firmware_version")) {
        h->psee = 1;
    }
    return 0;
}

static void hdr_init(hdr *h)
{
    memset(h, 0, sizeof *h);
    h->version = -1;
}

/* Read header lines from in up to the data. */
static int read_header(myl_in *in, hdr *h, myl_diag *d)
{
    hdr_init(h);
    for (;;) {
        int rc = myl_in_need(in, HDR_LINE_MAX, d);
        if (rc)
            return rc;
        hline l;
        if (!hdr_line(in->p, (size_t)(in->end - in->p), &l))
            return 0;
        if ((rc = hdr_feed(h, &l, in->src->name, myl_in_offset(in), d)))
            return rc;
        in->p += l.len;
        if (h->ended)
            return 0;
    }
}

/* Sensor size from the header, per dimension; lim_* are the event bounds that follow. */
static void hdr_meta(const hdr *h, myl_trace_meta *m, uint32_t addr_max, uint32_t *lim_x,
                     uint32_t *lim_y)
{
    m->width = h->fmt_w ? h->fmt_w : h->geo_w ? h->geo_w : h->dat_w ? h->dat_w : h->gen_w;
    m->height = h->fmt_h ? h->fmt_h : h->geo_h ? h->geo_h : h->dat_h ? h->dat_h : h->gen_h;
    *lim_x = m->width && m->width < addr_max ? m->width : addr_max;
    *lim_y = m->height && m->height < addr_max ? m->height : addr_max;
    size_t k = 0;
    const char *parts[3] = {h->integrator, h->plugin, h->serial};
    for (int i = 0; i < 3; i++) {
        if (!parts[i][0])
            continue;
        int w = snprintf(m->source + k, sizeof m->source - k, "%s%s", k ? " " : "", parts[i]);
        if (w < 0 || (size_t)w >= sizeof m->source - k)
            break;
        k += (size_t)w;
    }
    snprintf(m->streams, sizeof m->streams, "events");
}

/* Which of the three formats a header announces, and how sure that is (probe scores). */
static myl_trace_format sniff(const uint8_t *p, size_t n, int *score)
{
    hdr h;
    hdr_init(&h);
    hline l;
    size_t off = 0;
    *score = 0;
    while (off < n && hdr_line(p + off, n - off, &l)) {
        hdr_feed(&h, &l, "", off, NULL);
        off += l.len;
        if (h.ended)
            break;
    }
    if (h.evt == 2 || h.evt == 3) {
        *score = 2;
        return h.evt == 2 ? MYL_TRACE_EVT2 : MYL_TRACE_EVT3;
    }
    if (h.evt) { /* another EVT version: EVT 2.0's open says which, and that it is not read */
        *score = 1;
        return MYL_TRACE_EVT2;
    }
    if (h.dat) {
        *score = 2;
        return MYL_TRACE_DAT;
    }
    if (h.psee) { /* a Prophesee recording that does not name its encoding: legacy EVT 2.0 */
        *score = 1;
        return MYL_TRACE_EVT2;
    }
    return MYL_TRACE_UNKNOWN;
}

static int probe_evt2(const uint8_t *head, size_t n)
{
    int s;
    return sniff(head, n, &s) == MYL_TRACE_EVT2 ? s : 0;
}

static int probe_evt3(const uint8_t *head, size_t n)
{
    int s;
    return sniff(head, n, &s) == MYL_TRACE_EVT3 ? s : 0;
}

static int probe_dat(const uint8_t *head, size_t n)
{
    int s;
    return sniff(head, n, &s) == MYL_TRACE_DAT ? s : 0;
}

/* The header must not announce another format than the one being read. */
static int hdr_check(const hdr *h, int want, const myl_in *in, myl_diag *d)
{
    const char *name = in->src->name;
    const char *wanted = want == 2 ? "EVT 2.0" : want == 3 ? "EVT 3.0" : "a .dat file";
    if (want && h->evt && h->evt != want)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found a header declaring %s; expected %s%s", name,
                             (unsigned long long)h->evt_off, h->evt_text, wanted,
                             h->evt == 2 || h->evt == 3 ? ""
                                                        : " (myelin reads Prophesee EVT 2.0, EVT "
                                                          "3.0 and .dat; not EVT 2.1 or others)");
    if (!want && h->evt)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found a header declaring %s; expected a .dat "
                             "header (Version 2)",
                             name, (unsigned long long)h->evt_off, h->evt_text);
    if (want && !h->evt && h->dat)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found a .dat header line; expected the header of "
                             "an %s .raw recording",
                             name, (unsigned long long)h->dat_off, wanted);
    return 0;
}

/* ---- EVT 2.0 -------------------------------------------------------------------------------- */

typedef struct evt2_st {
    uint32_t lim_x, lim_y; /* events must have x < lim_x, y < lim_y */
    int synced;            /* a TIME_HIGH has been seen */
    uint32_t last_th;      /* last TIME_HIGH payload (time bits 33-6) */
    uint64_t loops;        /* TIME_HIGH loops so far << 34 [us] */
} evt2_st;

enum { EVT2_CD_OFF = 0x0, EVT2_CD_ON = 0x1, EVT2_TIME_HIGH = 0x8, EVT2_EXT_TRIGGER = 0xA };

static int evt2_known(uint32_t type)
{
    return type <= 1 || type == 0x8 || type == 0xA || type >= 0xE;
}

static int evt2_open(void *st, myl_in *in, const myl_trace_opts *o, myl_trace_meta *m, myl_diag *d)
{
    evt2_st *s = st;
    (void)o;
    hdr h;
    int rc = read_header(in, &h, d);
    if (rc || (rc = hdr_check(&h, 2, in, d)))
        return rc;
    hdr_meta(&h, m, EVT_ADDR_MAX, &s->lim_x, &s->lim_y);
    return 0;
}

static int evt2_fail(const evt2_st *s, const myl_in *in, const uint8_t *p, myl_diag *d)
{
    const char *name = in->src->name;
    unsigned long long off = (unsigned long long)offset_of(in, p);
    size_t have = (size_t)(in->end - p);
    if (have < 4)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found the stream's end %zu byte%s into a word; "
                             "expected whole 32-bit EVT 2.0 words",
                             name, off, have, have == 1 ? "" : "s");
    uint32_t w = rd32(p), type = w >> 28;
    if (!evt2_known(type))
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found word 0x%08x of reserved type 0x%X; expected "
                             "an EVT 2.0 word (type 0, 1, 8, 0xA, 0xE or 0xF)",
                             name, off, w, type);
    uint32_t x = (w >> 11) & 0x7FF, y = w & 0x7FF;
    if (x >= s->lim_x)
        return myl_diag_fail(
            d, MYL_EPARSE, "%s: byte %llu: found an event at x = %u; expected x < %u (%s)", name,
            off, x, s->lim_x, s->lim_x == EVT_ADDR_MAX ? "EVT 2.0 range" : "the sensor width");
    return myl_diag_fail(
        d, MYL_EPARSE, "%s: byte %llu: found an event at y = %u; expected y < %u (%s)", name, off,
        y, s->lim_y, s->lim_y == EVT_ADDR_MAX ? "EVT 2.0 range" : "the sensor height");
}

/* Decode whole words from the window into ev until cap events, the stream's end or a bad word.
 * Promise: *n events in file order; on a bad word, those before it come first (rc 0), and the
 * call that finds it with no event before it returns MYL_EPARSE. */
static int evt2_read(void *st, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    evt2_st *s = st;
    myl_event *o = ev, *const oe = ev + cap;
    const uint8_t *bad = NULL;
    int rc = 0;
    while (o < oe) {
        if (in->end - in->p < 4) {
            if ((rc = myl_in_need(in, 4, d)))
                break;
            if (in->end - in->p < 4) {
                if (in->end != in->p)
                    bad = in->p;
                break;
            }
        }
        const uint8_t *p = in->p;
        const uint8_t *const e = p + ((size_t)(in->end - p) & ~(size_t)3);
        if (!s->synced) {
            for (; p < e; p += 4) {
                uint32_t w = rd32(p), type = w >> 28;
                if (type == EVT2_TIME_HIGH) {
                    s->synced = 1;
                    s->last_th = w & 0x0FFFFFFF;
                    p += 4;
                    break;
                }
                if (!evt2_known(type)) {
                    bad = p;
                    break;
                }
            }
            in->p = p;
            if (bad)
                break;
            continue;
        }
        const uint32_t lim_x = s->lim_x, lim_y = s->lim_y;
        uint32_t last_th = s->last_th;
        uint64_t loops = s->loops;
        uint64_t th = loops | (uint64_t)last_th << 6;
        while (p < e && o < oe) {
            uint32_t w = rd32(p), type = w >> 28;
            if (LIKELY(type <= EVT2_CD_ON)) {
                uint32_t x = (w >> 11) & 0x7FF, y = w & 0x7FF;
                if (UNLIKELY(x >= lim_x || y >= lim_y)) {
                    bad = p;
                    break;
                }
                put_event(o++, th | ((w >> 22) & 0x3F), x, y, type);
            } else if (type == EVT2_TIME_HIGH) {
                uint32_t v = w & 0x0FFFFFFF;
                if (UNLIKELY(v < last_th && last_th - v > (1u << 27)))
                    loops += (uint64_t)1 << 34;
                last_th = v;
                th = loops | (uint64_t)v << 6;
            } else if (UNLIKELY(type != EVT2_EXT_TRIGGER && type < 0xE)) {
                bad = p;
                break;
            }
            p += 4;
        }
        s->last_th = last_th;
        s->loops = loops;
        in->p = p;
        if (bad)
            break;
    }
    *n = (size_t)(o - ev);
    if (rc)
        return rc;
    if (bad && *n == 0)
        return evt2_fail(s, in, bad, d);
    return 0;
}

const myl_reader_ops myl__evt2_ops = {
    .format = MYL_TRACE_EVT2,
    .name = "Prophesee EVT 2.0",
    .state_size = sizeof(evt2_st),
    .probe = probe_evt2,
    .open = evt2_open,
    .read = evt2_read,
    .close = NULL,
};

/* ---- EVT 3.0 -------------------------------------------------------------------------------- */

#define EVT3_NO_Y 0xFFFFFFFFu /* y before any ADDR_Y */

typedef struct evt3_st {
    uint32_t lim_x, lim_y; /* events must have x < lim_x, y < lim_y */
    int synced;            /* a TIME_HIGH has been seen */
    int have_base;         /* a VECT_BASE_X has been seen */
    uint32_t y;            /* row of the last ADDR_Y, EVT3_NO_Y before one */
    uint64_t base;         /* vector base x (grows by 12 or 8 per vector, never wraps) */
    uint32_t vpol;         /* polarity of the vector base */
    uint32_t th;           /* last TIME_HIGH payload (time bits 23-12) */
    uint64_t hi;           /* loops << 24 | th << 12 [us] */
    uint64_t t;            /* hi | TIME_LOW [us] */
    /* vector events decoded but not yet delivered (the caller's buffer was full) */
    uint32_t pend_mask, pend_pol;
    uint64_t pend_base;
    /* what the hot loop does per word type: [0] before the first ADDR_Y, [1] after */
    struct evt3_kind {
        uint64_t check; /* added to x | y << 16: bit 15 or 31 set = off the sensor */
        uint32_t zmask; /* bits of z the word replaces; ZRARE: leave the loop */
        uint32_t adv;   /* bytes the output moves: one event for ADDR_X, else 0 */
    } kinds[2][16];
} evt3_st;

enum {
    EVT3_ADDR_Y = 0x0,
    EVT3_ADDR_X = 0x2,
    EVT3_VECT_BASE_X = 0x3,
    EVT3_VECT_12 = 0x4,
    EVT3_VECT_8 = 0x5,
    EVT3_TIME_LOW = 0x6,
    EVT3_CONTINUED_4 = 0x7,
    EVT3_TIME_HIGH = 0x8,
    EVT3_EXT_TRIGGER = 0xA,
    EVT3_OTHERS = 0xE,
    EVT3_CONTINUED_12 = 0xF,
};

static int evt3_known(uint32_t type)
{
    return type == 0 || (type >= 2 && type <= 8) || type == 0xA || type >= 0xE;
}

/* The branch-free common path keeps the row and TIME_LOW in one word, z = y << 16 | time_low
 * (y where myl_event's second word keeps it). Per word type, a zmask says which bits of z the
 * word replaces: ADDR_Y bits 16-26, TIME_LOW bits 0-11, ADDR_X none (it is the event); every
 * other type is ZRARE and takes the switch. Before the first ADDR_Y, ADDR_Y and ADDR_X take the
 * switch too (the first sets the row and changes tables, the second is an error), so the hot
 * loop never sees a missing row. Table loads, not comparisons, so that the compiler cannot
 * turn the selects back into branches. */
#define ZRARE 0x80000000u

static void evt3_kinds(evt3_st *s)
{
    /* x < lim_x and y < lim_y in one test: x and y are at most 0x7FF and the limits at most
     * 2048, so adding 0x8000 - limit to each 16-bit lane sets the lane's top bit exactly when
     * the coordinate is out of range, with no carry into the next lane. Other words add 0. */
    const uint64_t check = (uint64_t)(0x8000u - s->lim_x) | (uint64_t)(0x8000u - s->lim_y) << 16;
    for (int row = 0; row < 2; row++)
        for (int type = 0; type < 16; type++) {
            struct evt3_kind *k = &s->kinds[row][type];
            k->zmask = type == EVT3_TIME_LOW        ? 0x00000FFFu
                       : row && type == EVT3_ADDR_Y ? 0x07FF0000u
                       : row && type == EVT3_ADDR_X ? 0
                                                    : ZRARE;
            k->check = k->zmask == 0 ? check : 0;
            k->adv = k->zmask == 0 ? (uint32_t)sizeof(myl_event) : 0;
        }
}

static int evt3_open(void *st, myl_in *in, const myl_trace_opts *o, myl_trace_meta *m, myl_diag *d)
{
    evt3_st *s = st;
    (void)o;
    hdr h;
    int rc = read_header(in, &h, d);
    if (rc || (rc = hdr_check(&h, 3, in, d)))
        return rc;
    hdr_meta(&h, m, EVT_ADDR_MAX, &s->lim_x, &s->lim_y);
    s->y = EVT3_NO_Y;
    evt3_kinds(s);
    return 0;
}

static int evt3_fail(const evt3_st *s, const myl_in *in, const uint8_t *p, myl_diag *d)
{
    const char *name = in->src->name;
    unsigned long long off = (unsigned long long)offset_of(in, p);
    if (in->end - p < 2)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found the stream's end 1 byte into a word; expected "
                             "whole 16-bit EVT 3.0 words",
                             name, off);
    uint32_t w = rd16(p), type = w >> 12;
    if (!evt3_known(type))
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found word 0x%04x of reserved type 0x%X; expected an "
                             "EVT 3.0 word (type 0, 2-8, 0xA, 0xE or 0xF)",
                             name, off, w, type);
    const char *what = type == EVT3_ADDR_X ? "ADDR_X" : type == EVT3_VECT_12 ? "VECT_12" : "VECT_8";
    if (type != EVT3_ADDR_X && !s->have_base)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found %s (0x%04x) before any VECT_BASE_X; expected a "
                             "VECT_BASE_X to give the vector's first x",
                             name, off, what, w);
    if (s->y == EVT3_NO_Y)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found %s (0x%04x) before any ADDR_Y; expected an "
                             "ADDR_Y to give the row",
                             name, off, what, w);
    if (s->y >= s->lim_y)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found an event at y = %u (the last ADDR_Y); expected "
                             "y < %u (%s)",
                             name, off, s->y, s->lim_y,
                             s->lim_y == EVT_ADDR_MAX ? "EVT 3.0 range" : "the sensor height");
    uint64_t x = type == EVT3_ADDR_X
                     ? (w & 0x7FF)
                     : s->base + top_bit(type == EVT3_VECT_12 ? w & 0xFFF : w & 0xFF);
    return myl_diag_fail(d, MYL_EPARSE,
                         "%s: byte %llu: found %s (0x%04x) making an event at x = %llu; expected "
                         "x < %u (%s)",
                         name, off, what, w, (unsigned long long)x, s->lim_x,
                         s->lim_x == EVT_ADDR_MAX ? "EVT 3.0 range" : "the sensor width");
}

/* Deliver pending vector events while there is room. */
static myl_event *evt3_drain(evt3_st *s, myl_event *o, myl_event *oe)
{
    while (s->pend_mask && o < oe) {
        unsigned i = ctz32(s->pend_mask);
        s->pend_mask &= s->pend_mask - 1;
        put_event(o++, s->t, (uint32_t)(s->pend_base + i), s->y, s->pend_pol);
    }
    return o;
}

/* Words before the first TIME_HIGH: keep the row and vector base, drop the events. Returns the
 * first word not consumed; sets *bad on a reserved type. */
static const uint8_t *evt3_sync(evt3_st *s, const uint8_t *p, const uint8_t *e, const uint8_t **bad)
{
    for (; p < e; p += 2) {
        uint32_t w = rd16(p), type = w >> 12;
        switch (type) {
        case EVT3_ADDR_Y:
            s->y = w & 0x7FF;
            break;
        case EVT3_VECT_BASE_X:
            s->base = w & 0x7FF;
            s->vpol = (w >> 11) & 1;
            s->have_base = 1;
            break;
        case EVT3_VECT_12:
            s->base += 12;
            break;
        case EVT3_VECT_8:
            s->base += 8;
            break;
        case EVT3_TIME_HIGH:
            s->synced = 1;
            s->th = w & 0xFFF;
            s->hi = (uint64_t)s->th << 12;
            s->t = s->hi;
            return p + 2;
        default:
            if (!evt3_known(type)) {
                *bad = p;
                return p;
            }
        }
    }
    return p;
}

/* Decode whole words p..e of a synced stream into o..oe. Returns the new output end; *pp is
 * the first word not consumed, *bad set when that word is malformed. Kept out of line so that
 * the hot loop has the registers to itself. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static myl_event *
evt3_decode(evt3_st *s, const uint8_t **pp, const uint8_t *e, myl_event *o, myl_event *const oe,
            const uint8_t **bad)
{
    const uint8_t *p = *pp;
    const uint32_t lim_x = s->lim_x, lim_y = s->lim_y;
    int have_row = s->y != EVT3_NO_Y;
    const struct evt3_kind *kinds = s->kinds[have_row];
    uint64_t z = (have_row ? (uint64_t)s->y << 16 : 0) | (s->t & 0xFFF);
    uint64_t hi = s->hi;
    while (p < e && o < oe) {
        /* A run of ADDR_Y, ADDR_X and TIME_LOW words, without a branch on which: real streams
         * mix them too irregularly for a predictor. The event is stored in any case and kept
         * only for an ADDR_X. Each word makes at most one event, so the run may go to e2
         * without checking the output's room. */
        size_t words = (size_t)(e - p) / 2, room = (size_t)(oe - o);
        const uint8_t *const e2 = p + 2 * (words < room ? words : room);
        while (p < e2) {
            uint32_t w = rd16(p);
            const struct evt3_kind *k = &kinds[w >> 12];
            uint64_t zm = k->zmask;
            if (UNLIKELY(zm & ZRARE))
                break;
            uint64_t xy = (w & 0x7FF) | (z & 0x07FF0000u);
            put_packed(o, hi | (z & 0xFFF), xy | (uint64_t)(w & 0x800) << 21);
            if (UNLIKELY((xy + k->check) & 0x80008000u))
                goto stop;
            o = (myl_event *)(void *)((unsigned char *)o + k->adv);
            z = (z & ~zm) | ((uint64_t)w * 0x10001u & zm);
            p += 2;
        }
        if (p >= e2)
            continue;
        /* Other words, one after another until a common one comes: vector groups are a base
         * and two or three vectors in a row. */
        uint64_t t = hi | (z & 0xFFF);
        uint32_t y = (uint32_t)(z >> 16);
        for (;;) {
            uint32_t w = rd16(p), type = w >> 12, v = w & 0x7FF;
            if (type == EVT3_VECT_12 || type == EVT3_VECT_8) {
                uint32_t m = w & (type == EVT3_VECT_12 ? 0xFFFu : 0xFFu);
                uint64_t base = s->base;
                int off =
                    (m != 0) & ((!have_row) | (y >= lim_y) | (base + top_bit(m | 1) >= lim_x));
                if (UNLIKELY((!s->have_base) | off))
                    goto stop;
                if (LIKELY(oe - o >= 12)) {
                    /* Masks are sparse and irregular: the first two events are written
                     * whether the mask has them or not, and kept only if it does; a loop
                     * takes any more. */
                    uint64_t rest = base | (uint64_t)y << 16 | (uint64_t)s->vpol << 32;
                    put_packed(o, t, rest + ctz32(m | 0x1000u));
                    o += m != 0;
                    m &= m - 1;
                    put_packed(o, t, rest + ctz32(m | 0x1000u));
                    o += m != 0;
                    m &= m - 1;
                    for (; UNLIKELY(m != 0); m &= m - 1)
                        put_packed(o++, t, rest + ctz32(m));
                } else if (m) {
                    s->pend_mask = m, s->pend_base = base, s->pend_pol = s->vpol;
                    s->y = y, s->t = t;
                    o = evt3_drain(s, o, oe);
                }
                s->base = base + (type == EVT3_VECT_12 ? 12 : 8);
            } else if (type == EVT3_VECT_BASE_X) {
                s->base = v;
                s->vpol = (w >> 11) & 1;
                s->have_base = 1;
            } else {
                switch (type) {
                case EVT3_ADDR_Y: /* the first one */
                    z = (z & ~(uint64_t)0x07FF0000u) | (uint64_t)v << 16;
                    y = v;
                    have_row = 1;
                    kinds = s->kinds[1];
                    break;
                case EVT3_ADDR_X: /* before any ADDR_Y */
                    goto stop;
                case EVT3_TIME_HIGH: {
                    uint32_t th = w & 0xFFF;
                    if (UNLIKELY(th < s->th && s->th - th > 2048))
                        hi += (uint64_t)1 << 24;
                    s->th = th;
                    hi = (hi & ~(uint64_t)0xFFFFFF) | (uint64_t)th << 12;
                    z &= ~(uint64_t)0xFFF;
                    t = hi;
                    break;
                }
                case EVT3_CONTINUED_4:
                case EVT3_EXT_TRIGGER:
                case EVT3_OTHERS:
                case EVT3_CONTINUED_12:
                    break;
                default:
                    goto stop;
                }
            }
            p += 2;
            if (p >= e || o >= oe || !(kinds[rd16(p) >> 12].zmask & ZRARE))
                break;
        }
        continue;
    stop:
        *bad = p;
        break;
    }
    s->y = have_row ? (uint32_t)(z >> 16) : EVT3_NO_Y;
    s->hi = hi, s->t = hi | (z & 0xFFF);
    *pp = p;
    return o;
}

/* As evt2_read, for EVT 3.0. */
static int evt3_read(void *st, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    evt3_st *s = st;
    myl_event *const oe = ev + cap;
    myl_event *o = evt3_drain(s, ev, oe);
    const uint8_t *bad = NULL;
    int rc = 0;
    while (o < oe) {
        if (in->end - in->p < 2) {
            if ((rc = myl_in_need(in, 2, d)))
                break;
            if (in->end - in->p < 2) {
                if (in->end != in->p)
                    bad = in->p;
                break;
            }
        }
        const uint8_t *p = in->p;
        const uint8_t *const e = p + ((size_t)(in->end - p) & ~(size_t)1);
        if (!s->synced)
            p = evt3_sync(s, p, e, &bad);
        else
            o = evt3_decode(s, &p, e, o, oe, &bad);
        in->p = p;
        if (bad)
            break;
    }
    *n = (size_t)(o - ev);
    if (rc)
        return rc;
    if (bad && *n == 0)
        return evt3_fail(s, in, bad, d);
    return 0;
}

const myl_reader_ops myl__evt3_ops = {
    .format = MYL_TRACE_EVT3,
    .name = "Prophesee EVT 3.0",
    .state_size = sizeof(evt3_st),
    .probe = probe_evt3,
    .open = evt3_open,
    .read = evt3_read,
    .close = NULL,
};

/* ---- .dat ----------------------------------------------------------------------------------- */

typedef struct dat_st {
    uint32_t lim_x, lim_y; /* events must have x < lim_x, y < lim_y */
    size_t stride;         /* record size [bytes], >= 8 */
    int empty;             /* the stream ended right after the header */
    uint32_t last_t;       /* last raw timestamp */
    uint64_t loops;        /* timestamp loops << 32 [us] */
} dat_st;

#define DAT_TYPE_2D 0x00
#define DAT_TYPE_CD 0x0C

static int dat_open(void *st, myl_in *in, const myl_trace_opts *o, myl_trace_meta *m, myl_diag *d)
{
    dat_st *s = st;
    const char *name = in->src->name;
    (void)o;
    hdr h;
    int rc = read_header(in, &h, d);
    if (rc || (rc = hdr_check(&h, 0, in, d)))
        return rc;
    if (h.version != -1 && h.version != 2)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found Version %d; expected Version 2 (the only .dat "
                             "layout myelin reads: x bits 0-13, y 14-27, polarity 28-31)",
                             name, (unsigned long long)h.version_off, h.version);
    hdr_meta(&h, m, DAT_ADDR_MAX, &s->lim_x, &s->lim_y);
    if ((rc = myl_in_need(in, 2, d)))
        return rc;
    size_t have = (size_t)(in->end - in->p);
    uint64_t off = myl_in_offset(in);
    if (have == 0) {
        s->empty = 1;
        s->stride = 8;
        return 0;
    }
    if (have < 2)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found the stream's end after the event type byte; "
                             "expected the event size byte",
                             name, (unsigned long long)off);
    uint8_t type = in->p[0], size = in->p[1];
    if (type != DAT_TYPE_2D && type != DAT_TYPE_CD)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found event type 0x%02x%s; expected CD events (type "
                             "0x00 Event2d or 0x0C EventCD)",
                             name, (unsigned long long)off, type,
                             type == 0x0E ? " (external triggers)" : "");
    if (size < 8)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found event size %u; expected at least 8 (u32 t, "
                             "u32 x/y/polarity)",
                             name, (unsigned long long)off + 1, size);
    s->stride = size;
    in->p += 2;
    return 0;
}

static int dat_fail(const dat_st *s, const myl_in *in, const uint8_t *p, myl_diag *d)
{
    const char *name = in->src->name;
    unsigned long long off = (unsigned long long)offset_of(in, p);
    size_t have = (size_t)(in->end - p);
    if (have < s->stride)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: found the stream's end %zu byte%s into a record; "
                             "expected whole %zu-byte records",
                             name, off, have, have == 1 ? "" : "s", s->stride);
    uint32_t w = rd32(p + 4);
    uint32_t x = w & 0x3FFF, y = (w >> 14) & 0x3FFF, pol = w >> 28;
    if (pol > 1)
        return myl_diag_fail(d, MYL_EPARSE, "%s: byte %llu: found polarity %u; expected 0 or 1",
                             name, off, pol);
    if (x >= s->lim_x)
        return myl_diag_fail(
            d, MYL_EPARSE, "%s: byte %llu: found an event at x = %u; expected x < %u (%s)", name,
            off, x, s->lim_x, s->lim_x == DAT_ADDR_MAX ? ".dat range" : "the sensor width");
    return myl_diag_fail(
        d, MYL_EPARSE, "%s: byte %llu: found an event at y = %u; expected y < %u (%s)", name, off,
        y, s->lim_y, s->lim_y == DAT_ADDR_MAX ? ".dat range" : "the sensor height");
}

static int dat_read(void *st, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    dat_st *s = st;
    myl_event *o = ev, *const oe = ev + cap;
    const uint8_t *bad = NULL;
    const size_t stride = s->stride;
    int rc = 0;
    while (o < oe && !s->empty) {
        if ((size_t)(in->end - in->p) < stride) {
            if ((rc = myl_in_need(in, stride, d)))
                break;
            if ((size_t)(in->end - in->p) < stride) {
                if (in->end != in->p)
                    bad = in->p;
                break;
            }
        }
        const uint8_t *p = in->p;
        size_t nrec = (size_t)(in->end - p) / stride;
        if (nrec > (size_t)(oe - o))
            nrec = (size_t)(oe - o);
        const uint8_t *const e = p + nrec * stride;
        const uint32_t lim_x = s->lim_x, lim_y = s->lim_y;
        uint32_t last_t = s->last_t;
        uint64_t loops = s->loops;
        for (; p < e; p += stride) {
            uint32_t t = rd32(p), w = rd32(p + 4);
            uint32_t x = w & 0x3FFF, y = (w >> 14) & 0x3FFF, pol = w >> 28;
            if (UNLIKELY(x >= lim_x || y >= lim_y || pol > 1)) {
                bad = p;
                break;
            }
            if (UNLIKELY(t < last_t && last_t - t > (1u << 31)))
                loops += (uint64_t)1 << 32;
            last_t = t;
            put_event(o++, loops | t, x, y, pol);
        }
        s->last_t = last_t;
        s->loops = loops;
        in->p = p;
        if (bad)
            break;
    }
    *n = (size_t)(o - ev);
    if (rc)
        return rc;
    if (bad && *n == 0)
        return dat_fail(s, in, bad, d);
    return 0;
}

const myl_reader_ops myl__dat_ops = {
    .format = MYL_TRACE_DAT,
    .name = "Prophesee .dat",
    .state_size = sizeof(dat_st),
    .probe = probe_dat,
    .open = dat_open,
    .read = dat_read,
    .close = NULL,
};
