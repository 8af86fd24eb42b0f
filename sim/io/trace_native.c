/* myelin's own event format ("native", docs/trace-format.md): reader and writer.
 *
 * A 48-byte little-endian header (magic, version, header size, sensor size, channels, time unit,
 * label, two optional strings) is followed by blocks. Each block has a 16-byte header (kind,
 * field widths, event count, an absolute int64 time base) and then its events as fixed-size
 * words: "compact" blocks pack x | y | p | time offset into 32 bits, with the field widths the
 * block header gives; "wide" blocks use 64-bit words (16-bit x and y, p, 31-bit offset). Times
 * are offsets from the block's base, not deltas from the previous event, so a block decodes
 * with no carried state and events may go backwards inside a block's span. Long gaps and
 * wrap-free absolute times cost one block header, never an escape inside the event stream.
 *
 * The shape serves three uses. Decoding is a tight loop of one load and a few shifts per event
 * over as many whole words as the read window holds (no per-event calls, no per-event buffer
 * checks). Files are about 4 bytes an event for dense camera streams. And the stream is its own
 * framing on a socket: a reader decodes block by block as bytes arrive, a stream that stops
 * inside a header or a block is reported with the byte offset where it stopped, and a stream
 * that stops exactly between blocks is a clean end (a live sender may just close). The writer
 * finishes with an end block carrying the event count, which readers check when present.
 */
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define NAT_MAGIC "\x89MYLEV\r\n"
#define NAT_MAGIC_LEN 8
#define NAT_MAJOR 1
#define NAT_MINOR 0
#define NAT_HDR_FIXED 48          /* fixed part of the file header [bytes] */
#define NAT_HDR_MAX (64u << 10)   /* largest header_size a reader accepts [bytes] */
#define NAT_BLK_HDR 16            /* block header [bytes] */
#define NAT_TIME_UNIT_NS 1000     /* the only time unit of version 1: microseconds */
#define NAT_WIDE_TBITS 31         /* time-offset bits of a wide word */
#define NAT_WIDE_SPAN 0x7fffffffu /* largest offset a wide block can hold */

enum { KIND_END = 0, KIND_COMPACT = 1, KIND_WIDE = 2, KIND_SKIPPABLE = 128 };

/* ---- little-endian access -------------------------------------------------------------------
 * memcpy loads compile to single moves; a big-endian host swaps. */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void wr32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

static inline void wr64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

typedef unsigned long long ull;

/* ---- reader --------------------------------------------------------------------------------- */

typedef struct nat_state {
    uint64_t left;    /* events (data blocks) or bytes (skippable blocks) left in the block */
    uint64_t blk_off; /* stream offset of the current block's header */
    uint64_t blk_n;   /* what the current block's header declared */
    uint64_t count;   /* events decoded so far */
    int64_t base;     /* time base of the current block [µs] */
    unsigned kind;    /* kind of the current block */
    unsigned xbits;   /* compact blocks: width of x and y */
    unsigned ybits;
    int done; /* end block seen, or clean end of stream */
} nat_state;

static int nat_probe(const uint8_t *head, size_t n)
{
    return n >= NAT_MAGIC_LEN && memcmp(head, NAT_MAGIC, NAT_MAGIC_LEN) == 0 ? 2 : 0;
}

/* Copy a length-prefixed header string into a fixed field, truncating to fit. */
static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int nat_open(void *stv, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                    myl_diag *d)
{
    nat_state *s = stv;
    const char *name = in->src->name;
    uint64_t at = myl_in_offset(in);
    int rc = myl_in_need(in, NAT_HDR_FIXED, d);
    if (rc)
        return rc;
    size_t avail = (size_t)(in->end - in->p);
    const uint8_t *h = in->p;
    if (avail < NAT_MAGIC_LEN || memcmp(h, NAT_MAGIC, NAT_MAGIC_LEN) != 0) {
        if (avail == 0)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: truncated: the stream ends before the header "
                                 "of a myelin trace",
                                 name, (ull)at);
        if (avail < NAT_MAGIC_LEN && memcmp(h, NAT_MAGIC, avail) == 0)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: truncated: the stream ends inside the magic "
                                 "number of a myelin trace",
                                 name, (ull)(at + avail));
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: not a myelin trace (expected the magic number "
                             "89 4D 59 4C 45 56 0D 0A)",
                             name, (ull)at);
    }
    if (avail < NAT_HDR_FIXED)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: truncated: the stream ends inside the %d-byte "
                             "header",
                             name, (ull)(at + avail), NAT_HDR_FIXED);
    unsigned major = rd16(h + 8), minor = rd16(h + 10);
    uint32_t hsize = rd32(h + 12);
    uint32_t unit = rd32(h + 28);
    unsigned nlabel = rd16(h + 40), nsource = rd16(h + 42);
    if (major != NAT_MAJOR)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: myelin trace version %u.%u; this reader reads "
                             "version %d.x",
                             name, (ull)(at + 8), major, minor, NAT_MAJOR);
    if (hsize < NAT_HDR_FIXED + nlabel + nsource || hsize > NAT_HDR_MAX)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: header size %u is not between %u (48 + the two "
                             "strings) and %u",
                             name, (ull)(at + 12), (unsigned)hsize,
                             (unsigned)(NAT_HDR_FIXED + nlabel + nsource), NAT_HDR_MAX);
    if (unit != NAT_TIME_UNIT_NS)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: time unit %u ns; version 1 streams count time in "
                             "microseconds (1000 ns)",
                             name, (ull)(at + 28), (unsigned)unit);
    if ((rc = myl_in_need(in, hsize, d)))
        return rc;
    avail = (size_t)(in->end - in->p);
    h = in->p;
    if (avail < hsize)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: truncated: the stream ends inside the %u-byte "
                             "header",
                             name, (ull)(at + avail), (unsigned)hsize);
    meta->width = rd32(h + 16);
    meta->height = rd32(h + 20);
    meta->channels = rd32(h + 24);
    meta->label = (int64_t)rd64(h + 32);
    copy_str(meta->label_name, sizeof meta->label_name, h + NAT_HDR_FIXED, nlabel);
    copy_str(meta->source, sizeof meta->source, h + NAT_HDR_FIXED + nlabel, nsource);
    in->p += hsize;
    memset(s, 0, sizeof *s);
    (void)o;
    return 0;
}

/* Decode m compact words at p. The caller has checked the block header, so every time fits. */
static void dec_compact(const uint8_t *restrict p, size_t m, myl_event *restrict ev, int64_t base,
                        unsigned xbits, unsigned ybits)
{
    const uint64_t xmask = ((uint64_t)1 << xbits) - 1, ymask = ((uint64_t)1 << ybits) - 1;
    const unsigned psh = xbits + ybits, tsh = psh + 1;
    for (size_t i = 0; i < m; i++) {
        uint64_t w = rd32(p + 4 * i);
        ev[i] = (myl_event){.t = base + (int64_t)(w >> tsh),
                            .x = (uint16_t)(w & xmask),
                            .y = (uint16_t)((w >> xbits) & ymask),
                            .p = (uint8_t)((w >> psh) & 1)};
    }
}

static void dec_wide(const uint8_t *restrict p, size_t m, myl_event *restrict ev, int64_t base)
{
    for (size_t i = 0; i < m; i++) {
        uint64_t w = rd64(p + 8 * i);
        ev[i] = (myl_event){.t = base + (int64_t)(w >> 33),
                            .x = (uint16_t)w,
                            .y = (uint16_t)(w >> 16),
                            .p = (uint8_t)((w >> 32) & 1)};
    }
}

static int truncated(myl_in *in, const nat_state *s, const char *what, myl_diag *d)
{
    return myl_diag_fail(d, MYL_EPARSE,
                         "%s: byte %llu: truncated: the stream ends inside %s (block at byte %llu "
                         "declares %llu %s, %llu missing)",
                         in->src->name, (ull)(in->base + (uint64_t)(in->end - in->buf)), what,
                         (ull)s->blk_off, (ull)s->blk_n,
                         s->kind >= KIND_SKIPPABLE ? "bytes" : "events", (ull)s->left);
}

/* Read and check the block header at in->p (NAT_BLK_HDR bytes are there). */
static int start_block(nat_state *s, myl_in *in, myl_diag *d)
{
    const uint8_t *b = in->p;
    const char *name = in->src->name;
    s->blk_off = myl_in_offset(in);
    s->kind = b[0];
    s->xbits = b[1];
    s->ybits = b[2];
    s->blk_n = s->left = rd32(b + 4);
    s->base = (int64_t)rd64(b + 8);
    in->p += NAT_BLK_HDR;
    if (s->kind >= KIND_SKIPPABLE)
        return 0; /* an extension this reader does not know: its n is a byte count */
    if (s->kind == KIND_COMPACT) {
        if (s->xbits > 16 || s->ybits > 16 || s->xbits + s->ybits > 31 || b[3] != 0)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: compact block with x bits %u and y bits %u "
                                 "(each at most 16, together at most 31, byte 3 zero)",
                                 name, (ull)s->blk_off, s->xbits, s->ybits);
    } else if (s->kind == KIND_WIDE || s->kind == KIND_END) {
        if (b[1] || b[2] || b[3])
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: %s block with non-zero reserved bytes 1-3", name,
                                 (ull)s->blk_off, s->kind == KIND_WIDE ? "wide" : "end");
    } else {
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: unknown block kind %u (a newer version of the "
                             "format; kinds 128-255 are the ones old readers skip)",
                             name, (ull)s->blk_off, s->kind);
    }
    if (s->kind == KIND_END) {
        uint64_t declared = (uint64_t)s->base;
        if (s->blk_n != 0)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: end block with count %llu "
                                 "(an end block carries no events)",
                                 name, (ull)s->blk_off, (ull)s->blk_n);
        if (declared != s->count)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: byte %llu: the end block says the stream holds %llu "
                                 "events, but %llu came before it",
                                 name, (ull)s->blk_off, (ull)declared, (ull)s->count);
        s->done = 1;
        return 0;
    }
    unsigned tbits = s->kind == KIND_WIDE ? NAT_WIDE_TBITS : 31 - s->xbits - s->ybits;
    int64_t span = (int64_t)(((uint64_t)1 << tbits) - 1);
    if (s->base > INT64_MAX - span)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: block time base %lld leaves no room for its "
                             "%u-bit offsets below 2^63",
                             name, (ull)s->blk_off, (long long)s->base, tbits);
    return 0;
}

/* Decode up to cap events. Returns what the window holds without waiting for more once at
 * least one event is decoded, so that a live stream delivers events as they arrive. */
static int nat_read(void *stv, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    nat_state *s = stv;
    size_t k = 0;
    int rc;
    while (k < cap && !s->done) {
        size_t avail = (size_t)(in->end - in->p);
        if (s->left == 0) {
            if (avail < NAT_BLK_HDR) {
                if (k > 0)
                    break;
                if ((rc = myl_in_need(in, NAT_BLK_HDR, d)))
                    return rc;
                avail = (size_t)(in->end - in->p);
                if (avail == 0) {
                    s->done = 1; /* end of stream between blocks: a clean end */
                    break;
                }
                if (avail < NAT_BLK_HDR)
                    return myl_diag_fail(d, MYL_EPARSE,
                                         "%s: byte %llu: truncated: the stream ends inside the "
                                         "header of the block at byte %llu (%zu of %d bytes)",
                                         in->src->name, (ull)(myl_in_offset(in) + avail),
                                         (ull)myl_in_offset(in), avail, NAT_BLK_HDR);
            }
            /* With events decoded, a bad block header is reported by the next call, so that
             * the events before it are delivered first: check quietly, and on failure leave
             * the header unread. */
            const uint8_t *at = in->p;
            if ((rc = start_block(s, in, k ? NULL : d))) {
                if (!k)
                    return rc;
                in->p = at;
                s->left = 0;
                break;
            }
            continue;
        }
        if (s->kind >= KIND_SKIPPABLE) {
            if (avail == 0) {
                if (k > 0)
                    break;
                if ((rc = myl_in_need(in, 1, d)))
                    return rc;
                avail = (size_t)(in->end - in->p);
                if (avail == 0)
                    return truncated(in, s, "a skippable block", d);
            }
            size_t m = avail < s->left ? avail : (size_t)s->left;
            in->p += m;
            s->left -= m;
            continue;
        }
        size_t esz = s->kind == KIND_COMPACT ? 4 : 8;
        if (avail < esz) {
            if (k > 0)
                break;
            if ((rc = myl_in_need(in, esz, d)))
                return rc;
            avail = (size_t)(in->end - in->p);
            if (avail < esz)
                return truncated(in, s,
                                 s->kind == KIND_COMPACT ? "a compact block" : "a wide block", d);
        }
        size_t m = avail / esz;
        if (m > s->left)
            m = (size_t)s->left;
        if (m > cap - k)
            m = cap - k;
        if (s->kind == KIND_COMPACT)
            dec_compact(in->p, m, ev + k, s->base, s->xbits, s->ybits);
        else
            dec_wide(in->p, m, ev + k, s->base);
        in->p += m * esz;
        k += m;
        s->left -= m;
        s->count += m;
    }
    *n = k;
    return 0;
}

const myl_reader_ops myl__native_ops = {
    .format = MYL_TRACE_NATIVE,
    .name = "myelin",
    .state_size = sizeof(nat_state),
    .probe = nat_probe,
    .open = nat_open,
    .read = nat_read,
    .close = NULL,
};

/* ---- writer ----------------------------------------------------------------------------------
 * Events collect in `pend`; blocks are cut from its front. A block that reaches the end of what
 * is pending is held back (the next events might still fit in it) unless it is full or the
 * writer is closing. The choice per block is greedy: the longest compact block from here (the
 * widths are those of the events it holds, so narrow sensors get long time spans), unless it
 * would hold fewer than 4 events, in which case a wide block (at most WIDE_MAX events, so that
 * compact is tried again soon) is taken if it costs fewer bytes per event. Each choice scans
 * only the events it then emits (plus one), so writing is O(n). */

#define PEND_CAP (1u << 16) /* events pending; also the largest compact block */
#define WIDE_MAX 1024u      /* largest wide block */
#define COMPACT_MIN 4u      /* from this count up, compact (<= 8 bytes an event) always wins */

typedef struct nat_writer {
    myl_event *pend;
    size_t npend;
    uint8_t *out; /* one encoded block */
    uint64_t count;
    const char *path;
} nat_writer;

static unsigned bits_for(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

static int put(nat_writer *w, FILE *f, const void *p, size_t n, myl_diag *d)
{
    if (n && fwrite(p, 1, n, f) != n)
        return myl_diag_fail(d, MYL_EIO, "%s: write error: %s", w->path, strerror(errno));
    return 0;
}

static void wblock_header(uint8_t *b, unsigned kind, unsigned xb, unsigned yb, uint32_t n,
                          uint64_t base)
{
    b[0] = (uint8_t)kind;
    b[1] = (uint8_t)xb;
    b[2] = (uint8_t)yb;
    b[3] = 0;
    wr32(b + 4, n);
    wr64(b + 8, base);
}

/* Emit blocks from the front of pend; keep a trailing block that could still grow unless
 * `final`. */
static int emit(nat_writer *w, FILE *f, int final, myl_diag *d)
{
    const myl_event *e = w->pend;
    size_t i = 0, np = w->npend;
    while (i < np) {
        /* the same base for both kinds: the first event's time, lowered if needed so that any
         * 31-bit offset stays below 2^63 */
        int64_t base = e[i].t;
        if (base > INT64_MAX - (int64_t)NAT_WIDE_SPAN)
            base = INT64_MAX - (int64_t)NAT_WIDE_SPAN;
        uint64_t mx = 0, my = 0, mo = 0;
        size_t c = 0;
        for (size_t j = i; j < np && c < PEND_CAP; j++) {
            if (e[j].t < base)
                break;
            uint64_t off = (uint64_t)e[j].t - (uint64_t)base;
            uint64_t nx = e[j].x > mx ? e[j].x : mx, ny = e[j].y > my ? e[j].y : my;
            uint64_t no = off > mo ? off : mo;
            if (off > NAT_WIDE_SPAN || bits_for(nx) + bits_for(ny) + bits_for(no) > 31)
                break;
            mx = nx, my = ny, mo = no, c++;
        }
        int compact = 1;
        size_t cnt = c;
        if (c < COMPACT_MIN) {
            size_t wn = 0;
            for (size_t j = i; j < np && wn < WIDE_MAX; j++, wn++)
                if (e[j].t < base || (uint64_t)e[j].t - (uint64_t)base > NAT_WIDE_SPAN)
                    break;
            /* bytes per event: compact (16 + 4c)/c, wide (16 + 8wn)/wn; wn >= 1 */
            if (c == 0 || (16 + 8 * (uint64_t)wn) * c < (16 + 4 * (uint64_t)c) * wn)
                compact = 0, cnt = wn;
        }
        size_t maxc = compact ? PEND_CAP : WIDE_MAX;
        if (!final && i + cnt == np && cnt < maxc)
            break; /* might still grow */
        uint8_t *o = w->out;
        if (compact) {
            unsigned xb = bits_for(mx), yb = bits_for(my), psh = xb + yb, tsh = psh + 1;
            wblock_header(o, KIND_COMPACT, xb, yb, (uint32_t)cnt, (uint64_t)base);
            for (size_t j = 0; j < cnt; j++) {
                const myl_event *v = &e[i + j];
                uint64_t off = (uint64_t)v->t - (uint64_t)base;
                uint64_t word = (uint64_t)v->x | (uint64_t)v->y << xb |
                                (uint64_t)(v->p != 0) << psh | off << tsh;
                wr32(o + NAT_BLK_HDR + 4 * j, (uint32_t)word);
            }
            if (put(w, f, o, NAT_BLK_HDR + 4 * cnt, d))
                return MYL_EIO;
        } else {
            wblock_header(o, KIND_WIDE, 0, 0, (uint32_t)cnt, (uint64_t)base);
            for (size_t j = 0; j < cnt; j++) {
                const myl_event *v = &e[i + j];
                uint64_t off = (uint64_t)v->t - (uint64_t)base;
                uint64_t word =
                    (uint64_t)v->x | (uint64_t)v->y << 16 | (uint64_t)(v->p != 0) << 32 | off << 33;
                wr64(o + NAT_BLK_HDR + 8 * j, word);
            }
            if (put(w, f, o, NAT_BLK_HDR + 8 * cnt, d))
                return MYL_EIO;
        }
        w->count += cnt;
        i += cnt;
    }
    if (i > 0) {
        memmove(w->pend, w->pend + i, (np - i) * sizeof *w->pend);
        w->npend = np - i;
    }
    return 0;
}

static void nat_wfree(nat_writer *w)
{
    myl_free(w->pend);
    myl_free(w->out);
    w->pend = NULL;
    w->out = NULL;
}

/* Length of a string held in a fixed field of cap bytes (it may fill the field, unterminated). */
static size_t field_len(const char *s, size_t cap)
{
    const char *z = memchr(s, '\0', cap);
    return z ? (size_t)(z - s) : cap;
}

static int nat_wopen(void *st, FILE *f, const char *path, const myl_trace_meta *m, myl_diag *d)
{
    nat_writer *w = st;
    w->path = path;
    w->pend = myl_malloc(PEND_CAP * sizeof *w->pend);
    w->out = myl_malloc(NAT_BLK_HDR + 8 * (size_t)PEND_CAP);
    if (!w->pend || !w->out) {
        nat_wfree(w);
        return MYL_ENOMEM;
    }
    size_t nlabel = field_len(m->label_name, sizeof m->label_name);
    size_t nsource = field_len(m->source, sizeof m->source);
    uint8_t h[NAT_HDR_FIXED + sizeof m->label_name + sizeof m->source];
    memset(h, 0, sizeof h);
    memcpy(h, NAT_MAGIC, NAT_MAGIC_LEN);
    wr16(h + 8, NAT_MAJOR);
    wr16(h + 10, NAT_MINOR);
    wr32(h + 12, (uint32_t)(NAT_HDR_FIXED + nlabel + nsource));
    wr32(h + 16, m->width);
    wr32(h + 20, m->height);
    wr32(h + 24, m->channels);
    wr32(h + 28, NAT_TIME_UNIT_NS);
    wr64(h + 32, (uint64_t)m->label);
    wr16(h + 40, (uint16_t)nlabel);
    wr16(h + 42, (uint16_t)nsource);
    wr32(h + 44, 0); /* flags: none defined */
    memcpy(h + NAT_HDR_FIXED, m->label_name, nlabel);
    memcpy(h + NAT_HDR_FIXED + nlabel, m->source, nsource);
    int rc = put(w, f, h, NAT_HDR_FIXED + nlabel + nsource, d);
    if (rc)
        nat_wfree(w);
    return rc;
}

static int nat_wwrite(void *st, FILE *f, const myl_event *ev, size_t n, myl_diag *d)
{
    nat_writer *w = st;
    if (!w->pend)
        return MYL_ESTATE;
    if (n && !ev)
        return MYL_EINVAL;
    while (n) {
        size_t room = PEND_CAP - w->npend;
        size_t m = n < room ? n : room;
        memcpy(w->pend + w->npend, ev, m * sizeof *ev);
        w->npend += m;
        ev += m;
        n -= m;
        if (w->npend == PEND_CAP) {
            int rc = emit(w, f, 0, d);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int nat_wclose(void *st, FILE *f, myl_diag *d)
{
    nat_writer *w = st;
    int rc = 0;
    if (w->pend) {
        rc = emit(w, f, 1, d);
        if (!rc) {
            uint8_t b[NAT_BLK_HDR];
            wblock_header(b, KIND_END, 0, 0, 0, w->count);
            rc = put(w, f, b, sizeof b, d);
        }
    }
    nat_wfree(w);
    return rc;
}

const myl__writer_ops myl__native_writer_ops = {
    .state_size = sizeof(nat_writer),
    .open = nat_wopen,
    .write = nat_wwrite,
    .close = nat_wclose,
};
