/* NumPy .npy reader and writer (format and guarantees in npy.h).
 *
 * Loading is a chain of checks, each made before the step that could be hurt by a lie in the
 * file: the preamble (magic, version, header length) is checked against the file size before the
 * header is allocated; the header, a Python dict literal, is parsed by a small recursive-descent
 * parser that is bounded by the header length and accepts only what NumPy writes (plus the
 * freedoms of the literal syntax: key order, either quote, whitespace, trailing commas); the
 * shape's product is overflow-checked and the data size must equal exactly what the file holds
 * after the header. Only then is the data allocated and read. Files and memory buffers share
 * this code through a tiny sequential source, so the fuzz target exercises the file path too.
 *
 * Big-endian data is byte-swapped to host order on load (the alternative, refusing it, would
 * only push the swap onto every user). Saving always writes host order.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fileno, when built outside meson (the fuzz target) */
#endif
#include "myelin/npy.h"

#include "myelin/alloc.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Longest header accepted: NumPy writes a few hundred bytes for the dtypes supported here. */
#define HEADER_MAX ((uint64_t)1 << 20)
/* NumPy pads the header so that the data starts on this boundary. */
#define ARRAY_ALIGN 64
/* NumPy (>= 1.23) leaves room in the header for the first axis to grow to this many digits. */
#define GROWTH_AXIS_MAX_DIGITS 21
/* Longest descr string or dict key the parser keeps; longer ones are rejected. */
#define STR_MAX 32
/* Room for "(d0, d1, ..., d7)" with 20-digit dimensions. */
#define SHAPE_STR_MAX 256

static const char g_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef unsigned long long ull;

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static const struct dtype_info {
    const char *name;
    char kind; /* NumPy's kind letter: b, i, u, f */
    unsigned size;
} g_dtypes[] = {
    [MYL_NPY_BOOL] = {"bool", 'b', 1},   [MYL_NPY_I8] = {"int8", 'i', 1},
    [MYL_NPY_U8] = {"uint8", 'u', 1},    [MYL_NPY_I16] = {"int16", 'i', 2},
    [MYL_NPY_U16] = {"uint16", 'u', 2},  [MYL_NPY_I32] = {"int32", 'i', 4},
    [MYL_NPY_U32] = {"uint32", 'u', 4},  [MYL_NPY_I64] = {"int64", 'i', 8},
    [MYL_NPY_U64] = {"uint64", 'u', 8},  [MYL_NPY_F32] = {"float32", 'f', 4},
    [MYL_NPY_F64] = {"float64", 'f', 8},
};
#define NDTYPES (sizeof g_dtypes / sizeof g_dtypes[0])

static int dtype_valid(myl_npy_dtype t)
{
    return (unsigned)t < NDTYPES;
}

const char *myl_npy_dtype_name(myl_npy_dtype t)
{
    return dtype_valid(t) ? g_dtypes[t].name : "unknown";
}

size_t myl_npy_itemsize(myl_npy_dtype t)
{
    return dtype_valid(t) ? g_dtypes[t].size : 0;
}

int myl_npy_is_integer(const myl_npy *a)
{
    return a && dtype_valid(a->dtype) && g_dtypes[a->dtype].kind != 'f';
}

/* NumPy's repr of a shape tuple: "()", "(5,)", "(3, 4)". buf holds SHAPE_STR_MAX bytes. */
static const char *fmt_shape(char *buf, int ndim, const uint64_t *shape)
{
    size_t n = 0;
    buf[n++] = '(';
    for (int i = 0; i < ndim; i++)
        n += (size_t)snprintf(buf + n, SHAPE_STR_MAX - n, i ? ", %llu" : "%llu", (ull)shape[i]);
    if (ndim == 1)
        buf[n++] = ',';
    buf[n++] = ')';
    buf[n] = '\0';
    return buf;
}

/* Element count of a shape into *count; MYL_ETOOBIG (with a message) when a dimension or the
 * data (count * itemsize bytes) is over MYL_NPY_MAXBYTES. Never overflows: every factor and
 * every partial product stays at or below 2^40 before the next multiplication is checked. */
static int shape_count(const char *name, const char *where, int ndim, const uint64_t *shape,
                       myl_npy_dtype t, uint64_t *count, myl_diag *d)
{
    char sbuf[SHAPE_STR_MAX];
    uint64_t c = 1;
    int zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] > MYL_NPY_MAXBYTES)
            return myl_diag_fail(d, MYL_ETOOBIG,
                                 "%s: %s: dimension %d of shape %s is over the limit of 2^40", name,
                                 where, i, fmt_shape(sbuf, ndim, shape));
        if (shape[i] == 0)
            zero = 1;
    }
    for (int i = 0; i < ndim && !zero; i++) {
        if (c > MYL_NPY_MAXBYTES / shape[i])
            goto toobig;
        c *= shape[i];
    }
    if (zero)
        c = 0;
    if (c > MYL_NPY_MAXBYTES / g_dtypes[t].size)
        goto toobig;
    *count = c;
    return 0;
toobig:
    return myl_diag_fail(d, MYL_ETOOBIG, "%s: %s: shape %s of %s needs more than 2^40 bytes", name,
                         where, fmt_shape(sbuf, ndim, shape), g_dtypes[t].name);
}

/* ---- Sources: a file or a memory buffer, read front to back. ---- */

typedef struct src {
    const char *name;
    const unsigned char *mem; /* memory source, or NULL for a file */
    FILE *fp;
    uint64_t size; /* total bytes */
    uint64_t pos;  /* bytes consumed */
} src;

/* Read the next n bytes into dst. The caller has checked that they lie within size, so a short
 * read means an I/O error or a file that changed while it was read. */
static int src_read(src *s, void *dst, size_t n, myl_diag *d)
{
    assert(n <= s->size - s->pos);
    if (s->mem) {
        if (n)
            memcpy(dst, s->mem + s->pos, n);
    } else if (n && fread(dst, 1, n, s->fp) != n) {
        int err = ferror(s->fp) ? errno : 0;
        return myl_diag_fail(d, MYL_EIO, "%s: byte %llu: %s", s->name, (ull)s->pos,
                             err ? strerror(err) : "file ended early (changed while reading?)");
    }
    s->pos += n;
    return 0;
}

/* ---- The header parser. ---- */

typedef struct hparse {
    const char *name;
    const unsigned char *start, *p, *end; /* the header bytes; p is the cursor */
    uint64_t base;                        /* file offset of start */
    myl_diag *d;
} hparse;

static ull hp_off(const hparse *h)
{
    return (ull)(h->base + (uint64_t)(h->p - h->start));
}

/* What is at the cursor, for messages. buf holds 16 bytes. */
static const char *hp_show(const hparse *h, char *buf)
{
    if (h->p >= h->end)
        return "the end of the header";
    unsigned c = *h->p;
    if (c == '\n')
        return "a newline";
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", (char)c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static int hp_expected(const hparse *h, const char *what)
{
    char buf[16];
    return myl_diag_fail(h->d, MYL_EPARSE, "%s: byte %llu: expected %s, found %s", h->name,
                         hp_off(h), what, hp_show(h, buf));
}

static int is_ws(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void hp_ws(hparse *h)
{
    while (h->p < h->end && is_ws(*h->p))
        h->p++;
}

static int hp_peek(const hparse *h)
{
    return h->p < h->end ? *h->p : -1;
}

static int hp_expect(hparse *h, char c, const char *what)
{
    if (hp_peek(h) != (unsigned char)c)
        return hp_expected(h, what);
    h->p++;
    return 0;
}

/* A quoted string ('...' or "...") of printable ASCII without backslashes, into buf (STR_MAX). */
static int hp_string(hparse *h, char *buf, const char *what)
{
    int q = hp_peek(h);
    if (q != '\'' && q != '"')
        return hp_expected(h, what);
    const unsigned char *s = ++h->p;
    while (h->p < h->end && *h->p != q) {
        if (*h->p < 0x20 || *h->p >= 0x7f || *h->p == '\\')
            return hp_expected(h, "a plain ASCII character in the string");
        h->p++;
    }
    if (h->p >= h->end)
        return hp_expected(h, "the closing quote of the string");
    size_t n = (size_t)(h->p - s);
    if (n >= STR_MAX) {
        h->p = s;
        return myl_diag_fail(h->d, MYL_EPARSE, "%s: byte %llu: string '%.20s...' is too long",
                             h->name, hp_off(h), (const char *)s);
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    h->p++;
    return 0;
}

static int is_ident(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int hp_bool(hparse *h, int *out)
{
    const unsigned char *s = h->p;
    while (h->p < h->end && is_ident(*h->p))
        h->p++;
    size_t n = (size_t)(h->p - s);
    if (n == 4 && memcmp(s, "True", 4) == 0)
        *out = 1;
    else if (n == 5 && memcmp(s, "False", 5) == 0)
        *out = 0;
    else {
        h->p = s;
        return hp_expected(h, "True or False for 'fortran_order'");
    }
    return 0;
}

/* A non-negative decimal integer, Python 3 syntax (no leading zeros, no sign, no '_'). Values
 * over MYL_NPY_MAXBYTES are MYL_ETOOBIG; the running value never passes 10 * 2^40 + 9. */
static int hp_dim(hparse *h, uint64_t *out)
{
    const unsigned char *s = h->p;
    if (hp_peek(h) == '-')
        return myl_diag_fail(h->d, MYL_EPARSE, "%s: byte %llu: negative dimension in 'shape'",
                             h->name, hp_off(h));
    if (hp_peek(h) < '0' || hp_peek(h) > '9')
        return hp_expected(h, "a dimension (a non-negative integer) in 'shape'");
    uint64_t v = 0;
    int big = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        if (!big)
            v = v * 10 + (uint64_t)(*h->p - '0');
        if (v > MYL_NPY_MAXBYTES)
            big = 1;
        h->p++;
    }
    size_t n = (size_t)(h->p - s);
    if (n > 1 && *s == '0') {
        h->p = s;
        return myl_diag_fail(h->d, MYL_EPARSE,
                             "%s: byte %llu: dimension '%.*s' in 'shape' has a leading zero",
                             h->name, hp_off(h), (int)(n < 24 ? n : 24), (const char *)s);
    }
    if (h->p < h->end && is_ident(*h->p))
        return hp_expected(h, "',' or ')' after a dimension in 'shape'");
    if (big) {
        h->p = s;
        return myl_diag_fail(h->d, MYL_ETOOBIG,
                             "%s: byte %llu: dimension %.*s%s in 'shape' is over the limit of "
                             "2^40",
                             h->name, hp_off(h), (int)(n < 24 ? n : 24), (const char *)s,
                             n < 24 ? "" : "...");
    }
    *out = v;
    return 0;
}

/* A tuple of up to MYL_NPY_MAXDIM dimensions: (), (n,), (n, m), with optional trailing comma. */
static int hp_shape(hparse *h, int *ndim, uint64_t *shape)
{
    int rc, n = 0;
    if (hp_peek(h) == '[')
        return hp_expected(h, "a tuple '(' for 'shape' (a list is not accepted)");
    if ((rc = hp_expect(h, '(', "'(' to open the 'shape' tuple")))
        return rc;
    hp_ws(h);
    while (hp_peek(h) != ')') {
        if (n == MYL_NPY_MAXDIM)
            return myl_diag_fail(h->d, MYL_EPARSE,
                                 "%s: byte %llu: 'shape' has more than %d dimensions", h->name,
                                 hp_off(h), MYL_NPY_MAXDIM);
        if ((rc = hp_dim(h, &shape[n++])))
            return rc;
        hp_ws(h);
        if (hp_peek(h) == ',') {
            h->p++;
            hp_ws(h);
        } else if (hp_peek(h) != ')') {
            return hp_expected(h, "',' or ')' after a dimension in 'shape'");
        } else if (n == 1) {
            return hp_expected(h, "',' after the only dimension in 'shape' (write (n,))");
        }
    }
    h->p++;
    *ndim = n;
    return 0;
}

/* The descr string: optional byte order ('<' '>' '|' '='), kind letter, item size. */
static int parse_descr(const hparse *h, const char *s, myl_npy_dtype *t, int *swap)
{
    char order = '=';
    const char *k = s;
    if (*k == '<' || *k == '>' || *k == '|' || *k == '=')
        order = *k++;
    for (size_t i = 0; i < NDTYPES; i++) {
        char want[4] = {g_dtypes[i].kind, (char)('0' + g_dtypes[i].size), '\0', '\0'};
        if (strcmp(k, want) == 0) {
            *t = (myl_npy_dtype)i;
            int file_le = order == '<' || (order != '>' && host_is_le());
            *swap = g_dtypes[i].size > 1 && file_le != host_is_le();
            return 0;
        }
    }
    return myl_diag_fail(h->d, MYL_EPARSE,
                         "%s: header: dtype '%s' is not supported (expected "
                         "float32/float64/int8..int64/uint8..uint64/bool)",
                         h->name, s);
}

typedef struct header {
    myl_npy_dtype dtype;
    int swap; /* data is in the other byte order */
    int fortran;
    int ndim;
    uint64_t shape[MYL_NPY_MAXDIM];
} header;

/* Parse the n header bytes at p (file offset base) into *hd. */
static int parse_header(const char *name, const unsigned char *p, size_t n, uint64_t base,
                        header *hd, myl_diag *d)
{
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    hparse h = {name, p, p, p + n, base, d};
    int seen[3] = {0, 0, 0};
    int rc;

    hp_ws(&h);
    if ((rc = hp_expect(&h, '{', "'{' to open the header dict")))
        return rc;
    for (;;) {
        hp_ws(&h);
        if (hp_peek(&h) == '}')
            break;
        char key[STR_MAX];
        const unsigned char *kp = h.p;
        if ((rc = hp_string(&h, key, "a quoted key or '}'")))
            return rc;
        int ik = 0;
        while (ik < 3 && strcmp(key, keys[ik]) != 0)
            ik++;
        if (ik == 3 || seen[ik]) {
            h.p = kp;
            return myl_diag_fail(d, MYL_EPARSE,
                                 ik == 3 ? "%s: byte %llu: unexpected key '%s' in header (expected "
                                           "'descr', 'fortran_order' or 'shape')"
                                         : "%s: byte %llu: key '%s' appears twice in header",
                                 name, hp_off(&h), key);
        }
        seen[ik] = 1;
        hp_ws(&h);
        if ((rc = hp_expect(&h, ':', "':' after the key")))
            return rc;
        hp_ws(&h);
        if (ik == 0) {
            char descr[STR_MAX];
            if (hp_peek(&h) == '[')
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%s: header: dtype is a structured dtype (a list), which is "
                                     "not supported (expected "
                                     "float32/float64/int8..int64/uint8..uint64/bool)",
                                     name);
            if ((rc = hp_string(&h, descr, "a quoted dtype string for 'descr'")) ||
                (rc = parse_descr(&h, descr, &hd->dtype, &hd->swap)))
                return rc;
        } else if (ik == 1) {
            if ((rc = hp_bool(&h, &hd->fortran)))
                return rc;
        } else {
            if ((rc = hp_shape(&h, &hd->ndim, hd->shape)))
                return rc;
        }
        hp_ws(&h);
        if (hp_peek(&h) == ',') {
            h.p++;
            continue;
        }
        if (hp_peek(&h) != '}')
            return hp_expected(&h, "',' or '}' after a value in the header dict");
        break;
    }
    h.p++; /* the '}' */
    while (h.p < h.end && (*h.p == ' ' || *h.p == '\n'))
        h.p++;
    if (h.p < h.end)
        return hp_expected(&h, "only spaces and a newline after the header dict");
    if (p[n - 1] != '\n') {
        h.p = h.end - 1;
        return hp_expected(&h, "a newline at the end of the header");
    }
    for (int i = 0; i < 3; i++)
        if (!seen[i])
            return myl_diag_fail(d, MYL_EPARSE, "%s: header: missing key '%s'", name, keys[i]);
    return 0;
}

/* ---- Loading. ---- */

static void byteswap(unsigned char *p, uint64_t count, size_t size)
{
    for (uint64_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* Load from a source whose size is known; *out is filled only on success. */
static int load(src *s, myl_npy *out, myl_diag *d)
{
    const char *name = s->name;
    unsigned char pre[8], lenb[4];
    int rc;

    if (s->size >= 6 && (rc = src_read(s, pre, 6, d)))
        return rc;
    if (s->size < 6 || memcmp(pre, g_magic, 6) != 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 0: not a .npy file (expected the magic string "
                             "\\x93NUMPY)",
                             name);
    if (s->size < 8)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 6: file ends before the format version (size %llu)", name,
                             (ull)s->size);
    if ((rc = src_read(s, pre + 6, 2, d)))
        return rc;
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 6: format version %u.%u is not supported (expected 1.0, "
                             "2.0 or 3.0)",
                             name, major, minor);
    size_t lensz = major == 1 ? 2 : 4;
    if (s->size < 8 + lensz)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 8: file ends inside the %zu-byte header length (size %llu)",
                             name, lensz, (ull)s->size);
    if ((rc = src_read(s, lenb, lensz, d)))
        return rc;
    uint64_t hlen = (uint64_t)lenb[0] | (uint64_t)lenb[1] << 8;
    if (lensz == 4)
        hlen |= (uint64_t)lenb[2] << 16 | (uint64_t)lenb[3] << 24;
    uint64_t hoff = 8 + lensz;
    if (hlen > s->size - hoff)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 8: header length %llu runs past the end of the file (size "
                             "%llu)",
                             name, (ull)hlen, (ull)s->size);
    if (hlen > HEADER_MAX)
        return myl_diag_fail(d, MYL_ETOOBIG,
                             "%s: byte 8: header length %llu is over the limit of %llu bytes", name,
                             (ull)hlen, (ull)HEADER_MAX);
    if (hlen == 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 8: header length is 0 (expected a dict literal)", name);

    unsigned char *hbuf = myl_malloc((size_t)hlen);
    if (!hbuf)
        return myl_diag_fail(d, MYL_ENOMEM, "%s: out of memory for the %llu-byte header", name,
                             (ull)hlen);
    header hd = {0};
    rc = src_read(s, hbuf, (size_t)hlen, d);
    if (rc == 0)
        rc = parse_header(name, hbuf, (size_t)hlen, hoff, &hd, d);
    myl_free(hbuf);
    if (rc)
        return rc;

    uint64_t count;
    if ((rc = shape_count(name, "header", hd.ndim, hd.shape, hd.dtype, &count, d)))
        return rc;
    char sbuf[SHAPE_STR_MAX];
    if (hd.fortran && count > 0) {
        int nbig = 0;
        for (int i = 0; i < hd.ndim; i++)
            nbig += hd.shape[i] > 1;
        if (nbig > 1)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: header: fortran_order is True for shape %s (expected C "
                                 "order; save np.ascontiguousarray(a))",
                                 name, fmt_shape(sbuf, hd.ndim, hd.shape));
    }
    size_t size = g_dtypes[hd.dtype].size;
    uint64_t nbytes = count * size; /* <= 2^40, checked by shape_count */
    uint64_t doff = hoff + hlen, have = s->size - doff;
    if (nbytes > have)
        return myl_diag_fail(d, MYL_ETOOBIG,
                             "%s: byte %llu: shape %s of %s needs %llu bytes of data, but the "
                             "file holds only %llu",
                             name, (ull)doff, fmt_shape(sbuf, hd.ndim, hd.shape),
                             g_dtypes[hd.dtype].name, (ull)nbytes, (ull)have);
    if (nbytes < have)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte %llu: %llu unexpected bytes after the data (shape %s of "
                             "%s is %llu bytes)",
                             name, (ull)(doff + nbytes), (ull)(have - nbytes),
                             fmt_shape(sbuf, hd.ndim, hd.shape), g_dtypes[hd.dtype].name,
                             (ull)nbytes);
    if (nbytes > SIZE_MAX)
        return myl_diag_fail(d, MYL_ETOOBIG, "%s: %llu bytes of data do not fit in memory", name,
                             (ull)nbytes);

    unsigned char *data = myl_malloc((size_t)nbytes);
    if (!data)
        return myl_diag_fail(d, MYL_ENOMEM, "%s: out of memory for %llu bytes of data", name,
                             (ull)nbytes);
    if ((rc = src_read(s, data, (size_t)nbytes, d))) {
        myl_free(data);
        return rc;
    }
    if (hd.swap)
        byteswap(data, count, size);
    if (hd.dtype == MYL_NPY_BOOL)
        for (uint64_t i = 0; i < count; i++)
            data[i] = data[i] != 0;

    out->dtype = hd.dtype;
    out->ndim = hd.ndim;
    memcpy(out->shape, hd.shape, sizeof out->shape);
    out->count = count;
    out->itemsize = size;
    out->data = data;
    return 0;
}

int myl_npy_load_mem(const void *buf, size_t len, const char *name, myl_npy *out, myl_diag *d)
{
    if (!name)
        name = "<memory>";
    if (!out)
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy load: out is NULL", name);
    memset(out, 0, sizeof *out);
    if (!buf && len)
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy load: buffer is NULL", name);
    src s = {name, buf ? buf : (const void *)"", NULL, len, 0};
    return load(&s, out, d);
}

int myl_npy_load(const char *path, myl_npy *out, myl_diag *d)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return myl_diag_fail(d, MYL_EINVAL, "npy load: %s is NULL", path ? "out" : "path");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc;
    if (fstat(fileno(fp), &st) != 0)
        rc = myl_diag_fail(d, MYL_EIO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = myl_diag_fail(d, MYL_EIO, "%s: not a regular file", path);
    else {
        src s = {path, NULL, fp, (uint64_t)st.st_size, 0};
        rc = load(&s, out, d);
    }
    fclose(fp);
    return rc;
}

void myl_npy_release(myl_npy *a)
{
    if (!a)
        return;
    myl_free(a->data);
    memset(a, 0, sizeof *a);
}

double myl_npy_get(const myl_npy *a, uint64_t i)
{
    assert(a && a->data && i < a->count);
    if (!a || !a->data || i >= a->count)
        return NAN;
    const void *p = a->data;
    switch (a->dtype) {
    case MYL_NPY_BOOL:
        return ((const unsigned char *)p)[i] != 0;
    case MYL_NPY_I8:
        return ((const int8_t *)p)[i];
    case MYL_NPY_U8:
        return ((const uint8_t *)p)[i];
    case MYL_NPY_I16:
        return ((const int16_t *)p)[i];
    case MYL_NPY_U16:
        return ((const uint16_t *)p)[i];
    case MYL_NPY_I32:
        return ((const int32_t *)p)[i];
    case MYL_NPY_U32:
        return ((const uint32_t *)p)[i];
    case MYL_NPY_I64:
        return (double)((const int64_t *)p)[i];
    case MYL_NPY_U64:
        return (double)((const uint64_t *)p)[i];
    case MYL_NPY_F32:
        return ((const float *)p)[i];
    case MYL_NPY_F64:
        return ((const double *)p)[i];
    }
    return NAN;
}

/* ---- Saving. ---- */

/* Build the preamble and header NumPy would write for this array into buf (cap bytes); returns
 * its length. Layout: magic, version, header length, dict, growth spaces, padding to a multiple
 * of ARRAY_ALIGN (1..64 spaces, as NumPy's _wrap_header does), newline. */
static size_t build_header(unsigned char *buf, size_t cap, myl_npy_dtype t, int ndim,
                           const uint64_t *shape)
{
    char sbuf[SHAPE_STR_MAX];
    char dict[SHAPE_STR_MAX + 128];
    const struct dtype_info *di = &g_dtypes[t];
    char order = di->size == 1 ? '|' : host_is_le() ? '<' : '>';
    int n =
        snprintf(dict, sizeof dict, "{'descr': '%c%c%u', 'fortran_order': False, 'shape': %s, }",
                 order, di->kind, di->size, fmt_shape(sbuf, ndim, shape));
    assert(n > 0 && (size_t)n < sizeof dict);
    size_t dlen = (size_t)n;
    if (ndim > 0) {
        char first[24];
        int nd = snprintf(first, sizeof first, "%llu", (ull)shape[0]);
        dlen += (size_t)(GROWTH_AXIS_MAX_DIGITS - nd);
    }
    size_t lensz = 2;
    size_t hlen = dlen + 1;
    size_t pad = ARRAY_ALIGN - (8 + lensz + hlen) % ARRAY_ALIGN;
    if (hlen + pad > 0xffff) { /* version 2.0: 32-bit length */
        lensz = 4;
        pad = ARRAY_ALIGN - (8 + lensz + hlen) % ARRAY_ALIGN;
    }
    size_t total = 8 + lensz + hlen + pad;
    assert(total <= cap);
    (void)cap;
    memcpy(buf, g_magic, 6);
    buf[6] = lensz == 2 ? 1 : 2;
    buf[7] = 0;
    uint64_t hl = hlen + pad;
    for (size_t i = 0; i < lensz; i++)
        buf[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(buf + 8 + lensz, dict, (size_t)n);
    memset(buf + 8 + lensz + (size_t)n, ' ', total - 1 - (8 + lensz + (size_t)n));
    buf[total - 1] = '\n';
    return total;
}

int myl_npy_save(const char *path, myl_npy_dtype dtype, int ndim, const uint64_t *shape,
                 const void *data, myl_diag *d)
{
    if (!path)
        return myl_diag_fail(d, MYL_EINVAL, "npy save: path is NULL");
    if (!dtype_valid(dtype))
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy save: dtype %d is not a myl_npy_dtype", path,
                             (int)dtype);
    if (ndim < 0 || ndim > MYL_NPY_MAXDIM)
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy save: ndim %d is not in 0..%d", path, ndim,
                             MYL_NPY_MAXDIM);
    if (ndim > 0 && !shape)
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy save: shape is NULL", path);
    uint64_t count;
    int rc = shape_count(path, "npy save", ndim, shape, dtype, &count, d);
    if (rc)
        return rc;
    if (count > 0 && !data)
        return myl_diag_fail(d, MYL_EINVAL, "%s: npy save: data is NULL", path);
    uint64_t nbytes = count * g_dtypes[dtype].size;
    if (nbytes > SIZE_MAX)
        return myl_diag_fail(d, MYL_ETOOBIG, "%s: npy save: %llu bytes do not fit in memory", path,
                             (ull)nbytes);

    unsigned char hdr[SHAPE_STR_MAX + 128 + GROWTH_AXIS_MAX_DIGITS + ARRAY_ALIGN + 16];
    size_t hn = build_header(hdr, sizeof hdr, dtype, ndim, shape);

    FILE *fp = fopen(path, "wb");
    if (!fp)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot create: %s", path, strerror(errno));
    int ok = fwrite(hdr, 1, hn, fp) == hn;
    if (ok && nbytes)
        ok = fwrite(data, 1, (size_t)nbytes, fp) == (size_t)nbytes;
    int err = ok ? 0 : errno;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        remove(path);
        return myl_diag_fail(d, MYL_EIO, "%s: write failed: %s", path,
                             err ? strerror(err) : "short write");
    }
    return 0;
}
