/* SHD / SSC reader: the Heidelberg Spiking Datasets (Cramer et al. 2020), HDF5 files holding one
 * spike train per sample.
 *
 * Layout read (the datasets are 1-D, one element per sample):
 *   spikes/times   variable-length arrays of floats, seconds (float16, float32 or float64: the
 *                  stored type is read and libhdf5 converts it to double)
 *   spikes/units   variable-length arrays of integers, the channel of each spike
 *   labels         integers, the class of each sample (optional: label -1 without it)
 *   extra/keys     class names, variable- or fixed-length strings, indexed by label (optional)
 * Other datasets (extra/speaker, extra/meta_info, ...) are ignored.
 *
 * Types accepted: times of any float type (integer times are refused: whether they count
 * seconds, milliseconds or microseconds the file would not say), units of any integer type
 * whose values are 0..65535 (float units are refused: a channel is an index), labels of any
 * integer type, class names of any string type.
 *
 * Channels: 700 (the SHD/SSC cochlea model), unless spikes/units carries an integer attribute
 * `channels` (1..65536), which then is the number and every unit must be below it. Without the
 * attribute, a file whose sample has a unit >= 700 gets channels = that unit + 1, so the sensor
 * always holds every event. width = channels, height = 1.
 *
 * libhdf5 reads the file from its path (HDF5 is not a stream), so open_file does all the work:
 * it reads the one sample asked for (a one-element hyperslab of each dataset, never the whole
 * dataset), checks it, and closes every libhdf5 handle before returning, so that read() only
 * copies from memory and no handle outlives open on any path. The variable-length buffers are
 * allocated through myelin's allocator (a vlen memory manager on the transfer property list),
 * bounded to MAX_SPIKES spikes, and tracked so that a read libhdf5 abandons halfway leaks
 * nothing. libhdf5's own error printing is switched off for the duration of each call into it
 * (and restored after), and its innermost error description is quoted in myelin's message.
 *
 * Events: t = round(time * 1e6) µs, x = unit, y = 0, p = 1, in file order (not sorted).
 *
 * Limits of libhdf5 that myelin cannot fix: it is not hardened against crafted files (fuzzing
 * 1.10.8 crashes it, hangs it and makes it ask for tens of GiB inside its global-heap and B-tree
 * code; see tests/fuzz/fuzz-shd.c), so SHD files should come from a trusted source. Calls into it
 * are not serialised here: a thread-safe libhdf5 (Debian's is) does that itself; with another
 * build, open SHD readers from one thread at a time.
 */
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <hdf5.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SHD_CHANNELS 700u     /* SHD and SSC: 700 channels of the cochlea model */
#define MAX_SPIKES (1u << 24) /* per sample; real samples hold thousands */
#define MAX_KEY_BYTES 4096u   /* fixed-length class names longer than this are refused */
#define MAX_TIME_US 9.0e18    /* times must become int64 microseconds */
#define TCONV_BYTES 4096u     /* libhdf5's conversion buffer: one element at a time needs little */
#define NLIVE 4               /* vlen buffers alive at once during one read (one is used) */
#define H5_SIG "\x89HDF\r\n\x1a\n" /* the superblock's signature */

typedef struct shd_state {
    double *t;    /* spike times of the sample [s]: finite, >= 0, < MAX_TIME_US µs */
    long long *u; /* their units: 0..65535 */
    size_t n;     /* spikes in the sample */
    size_t next;  /* next spike to emit */
} shd_state;

/* ---- libhdf5 plumbing ----------------------------------------------------------------------- */

/* Error printing off for one call into libhdf5, restored after: other users of libhdf5 in the
 * same process keep their settings (in a thread-safe libhdf5 the setting is per thread). */
typedef struct quiet {
    H5E_auto2_t fn;
    void *data;
    int saved;
} quiet;

static void quiet_begin(quiet *q)
{
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(quiet *q)
{
    if (q->saved)
        H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    char *out = data;
    if (!out[0] && e->desc && e->desc[0])
        snprintf(out, 160, "%s", e->desc);
    return 0;
}

/* The most specific description on libhdf5's error stack (the stack of the call that just
 * failed: any later API call clears it). "" if there is none. */
static void h5_why(char out[160])
{
    out[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, out);
}

/* Buffers libhdf5 allocates for variable-length data, through myl_malloc. */
typedef struct vl_track {
    void *live[NLIVE];
    size_t size[NLIVE]; /* bytes allocated for live[i] */
    int nlive;
    size_t limit; /* bytes one buffer may take */
    int too_big, nomem;
} vl_track;

static void *vl_alloc(size_t size, void *info)
{
    vl_track *k = info;
    if (size > k->limit) {
        k->too_big = 1;
        return NULL;
    }
    if (k->nlive == NLIVE)
        return NULL;
    void *p = myl_malloc(size ? size : 1);
    if (!p) {
        k->nomem = 1;
        return NULL;
    }
    k->size[k->nlive] = size;
    k->live[k->nlive++] = p;
    return p;
}

/* Index of tracked buffer p, or -1. */
static int vl_find(const vl_track *k, const void *p)
{
    for (int i = 0; i < k->nlive; i++)
        if (k->live[i] == p)
            return i;
    return -1;
}

/* Stop tracking p (now owned by the caller, or freed); 1 if it was tracked. */
static int vl_forget(vl_track *k, const void *p)
{
    int i = vl_find(k, p);
    if (i < 0)
        return 0;
    k->nlive--;
    k->live[i] = k->live[k->nlive];
    k->size[i] = k->size[k->nlive];
    return 1;
}

static void vl_free(void *p, void *info)
{
    if (p && vl_forget(info, p))
        myl_free(p);
}

static void vl_free_all(vl_track *k)
{
    while (k->nlive > 0)
        myl_free(k->live[--k->nlive]);
}

/* What one open works with; every hid_t is closed by ctx_close. */
typedef struct ctx {
    const char *path;
    myl_diag *d;
    hid_t file, times, units, labels, keys, xfer;
    vl_track trk;
} ctx;

static void close_id(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE:
        H5Fclose(*id);
        break;
    case H5I_DATASET:
        H5Dclose(*id);
        break;
    case H5I_GROUP:
        H5Gclose(*id);
        break;
    case H5I_DATATYPE:
        H5Tclose(*id);
        break;
    case H5I_DATASPACE:
        H5Sclose(*id);
        break;
    case H5I_ATTR:
        H5Aclose(*id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(*id);
        break;
    default:
        H5Oclose(*id);
        break;
    }
    *id = H5I_INVALID_HID;
}

static void ctx_close(ctx *c)
{
    close_id(&c->keys);
    close_id(&c->labels);
    close_id(&c->units);
    close_id(&c->times);
    close_id(&c->xfer);
    close_id(&c->file);
    vl_free_all(&c->trk);
}

/* Fail with "<path>: <message>", adding libhdf5's reason when with_why (read it before any other
 * libhdf5 call). */
static int fail(ctx *c, int rc, int with_why, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(ctx *c, int rc, int with_why, const char *fmt, ...)
{
    char why[160] = "", msg[768];
    if (with_why)
        h5_why(why);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (why[0])
        return myl_diag_fail(c->d, rc, "%s: %s (libhdf5: %s)", c->path, msg, why);
    return myl_diag_fail(c->d, rc, "%s: %s", c->path, msg);
}

static const char *class_name(H5T_class_t k)
{
    switch (k) {
    case H5T_INTEGER:
        return "integers";
    case H5T_FLOAT:
        return "floats";
    case H5T_STRING:
        return "strings";
    case H5T_BITFIELD:
        return "bitfields";
    case H5T_OPAQUE:
        return "opaque data";
    case H5T_COMPOUND:
        return "compound records";
    case H5T_REFERENCE:
        return "references";
    case H5T_ENUM:
        return "enumerations";
    case H5T_VLEN:
        return "variable-length arrays";
    case H5T_ARRAY:
        return "fixed-size arrays";
    case H5T_TIME:
        return "times";
    default:
        return "an unknown type";
    }
}

/* Does the link `name` ("a/b/c") exist? Checks each component, as H5Lexists wants. 1 yes, 0 no,
 * -1 when libhdf5 cannot tell (a damaged file, or a component that is not a group). */
static int link_exists(hid_t file, const char *name)
{
    char buf[64];
    size_t len = strlen(name);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, name, len + 1);
    for (size_t i = 0; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char save = buf[i];
        buf[i] = 0;
        htri_t e = H5Lexists(file, buf, H5P_DEFAULT);
        buf[i] = save;
        if (e <= 0)
            return e < 0 ? -1 : 0;
    }
    return 1;
}

/* Open dataset `name`. Absent: an error naming what an SHD file holds when required, otherwise
 * *id stays invalid and 0 is returned. Not a dataset (a group, a named type): an error. */
static int open_dset(ctx *c, const char *name, int required, hid_t *id)
{
    *id = H5I_INVALID_HID;
    int e = link_exists(c->file, name);
    if (e < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot look it up", name);
    if (e == 0) {
        if (!required)
            return 0;
        return fail(c, MYL_EPARSE, 0,
                    "no dataset %s (expected an SHD/SSC file: spikes/times and spikes/units, "
                    "one variable-length array per sample)",
                    name);
    }
    hid_t o = H5Oopen(c->file, name, H5P_DEFAULT);
    if (o < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot open it", name);
    if (H5Iget_type(o) != H5I_DATASET) {
        H5Oclose(o);
        return fail(c, MYL_EPARSE, 0, "%s is not a dataset (expected one element per sample)",
                    name);
    }
    *id = o;
    return 0;
}

/* Check that dataset id is 1-D and return its length. */
static int dset_len(ctx *c, hid_t id, const char *name, hsize_t *len)
{
    hid_t s = H5Dget_space(id);
    if (s < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot read its shape", name);
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t dims[H5S_MAX_RANK];
    if (nd == 1 && H5Sget_simple_extent_dims(s, dims, NULL) == 1) {
        H5Sclose(s);
        *len = dims[0];
        return 0;
    }
    H5Sclose(s);
    if (nd < 0)
        return fail(c, MYL_EPARSE, 0, "%s: cannot read its shape", name);
    return fail(c, MYL_EPARSE, 0, "%s has %d dimensions (expected 1: one element per sample)", name,
                nd);
}

/* The class of dataset id's elements, and with vlen, the class of the sequence's elements
 * (else H5T_NO_CLASS). */
static int dset_class(ctx *c, hid_t id, const char *name, H5T_class_t *k, H5T_class_t *base)
{
    hid_t t = H5Dget_type(id);
    if (t < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot read its type", name);
    *k = H5Tget_class(t);
    *base = H5T_NO_CLASS;
    if (*k == H5T_VLEN) {
        hid_t b = H5Tget_super(t);
        if (b >= 0) {
            *base = H5Tget_class(b);
            H5Tclose(b);
        }
    }
    H5Tclose(t);
    return 0;
}

/* A dataspace selecting element i of a 1-D dataset, and one for the single element in memory. */
static int select_one(ctx *c, hid_t dset, const char *name, hsize_t i, hid_t *fs, hid_t *ms)
{
    hsize_t one = 1;
    *ms = H5I_INVALID_HID;
    *fs = H5Dget_space(dset);
    if (*fs < 0 || H5Sselect_hyperslab(*fs, H5S_SELECT_SET, &i, NULL, &one, NULL) < 0 ||
        (*ms = H5Screate_simple(1, &one, NULL)) < 0) {
        int rc = fail(c, MYL_EPARSE, 1, "%s: cannot select element %" PRIu64, name, (uint64_t)i);
        close_id(fs);
        return rc;
    }
    return 0;
}

/* Read element i of the vlen dataset dset, converted to vlen of mem_base (elements of elsize
 * bytes). On success *p (NULL when empty, else owned by the caller, free with myl_free) holds
 * *len elements. */
static int read_vlen(ctx *c, hid_t dset, const char *name, hid_t mem_base, size_t elsize, hsize_t i,
                     void **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    hid_t fs, ms, mt = H5Tvlen_create(mem_base);
    if (mt < 0)
        return fail(c, MYL_ENOMEM, 1, "%s: cannot make the memory type", name);
    int rc = select_one(c, dset, name, i, &fs, &ms);
    if (rc) {
        H5Tclose(mt);
        return rc;
    }
    c->trk.limit = (size_t)MAX_SPIKES * elsize;
    c->trk.too_big = c->trk.nomem = 0;
    hvl_t v = {0, NULL};
    int k;
    herr_t e = H5Dread(dset, mt, ms, fs, c->xfer, &v);
    if (e < 0) {
        if (c->trk.too_big)
            rc = fail(c, MYL_ETOOBIG, 0, "%s: sample %" PRIu64 " has more than %u spikes", name,
                      (uint64_t)i, MAX_SPIKES);
        else if (c->trk.nomem)
            rc = MYL_ENOMEM;
        else
            rc = fail(c, MYL_EPARSE, 1, "%s: cannot read sample %" PRIu64, name, (uint64_t)i);
    } else if (v.len > 0 &&
               (!v.p || (k = vl_find(&c->trk, v.p)) < 0 || c->trk.size[k] / elsize < v.len)) {
        /* never trust a length that the buffer behind it does not hold */
        rc = fail(c, MYL_EPARSE, 0,
                  "%s: sample %" PRIu64 ": libhdf5 claims %zu values but holds fewer", name,
                  (uint64_t)i, v.len);
    } else {
        if (v.len > 0)
            vl_forget(&c->trk, v.p);
        *p = v.len ? v.p : NULL;
        *len = v.len;
    }
    vl_free_all(&c->trk); /* anything libhdf5 allocated and did not hand over */
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    return rc;
}

/* Read element i of the 1-D integer dataset dset as int64. */
static int read_int(ctx *c, hid_t dset, const char *name, hsize_t i, long long *out)
{
    hid_t fs, ms;
    int rc = select_one(c, dset, name, i, &fs, &ms);
    if (rc)
        return rc;
    if (H5Dread(dset, H5T_NATIVE_LLONG, ms, fs, c->xfer, out) < 0)
        rc = fail(c, MYL_EPARSE, 1, "%s: cannot read element %" PRIu64, name, (uint64_t)i);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc;
}

/* Copy a class name into out (size cap), cut at a character boundary if too long. */
static void copy_name(char *out, size_t cap, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* do not split a UTF-8 sequence */
    }
    memcpy(out, s, len);
    out[len] = 0;
}

/* Read class name i of extra/keys (fixed- or variable-length strings) into out. */
static int read_key(ctx *c, hsize_t i, char *out, size_t cap)
{
    const char *name = "extra/keys";
    hid_t ft = H5Dget_type(c->keys);
    if (ft < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot read its type", name);
    htri_t var = H5Tis_variable_str(ft);
    size_t size = H5Tget_size(ft);
    H5T_cset_t cset = H5Tget_cset(ft);
    H5Tclose(ft);
    if (var < 0 || cset < 0 || (!var && (size == 0 || size > MAX_KEY_BYTES)))
        return fail(c, MYL_EPARSE, 0,
                    "%s: class names of %zu bytes (expected strings of 1 to %u bytes)", name, size,
                    MAX_KEY_BYTES);
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (mt < 0 || H5Tset_size(mt, var ? H5T_VARIABLE : size) < 0 || H5Tset_cset(mt, cset) < 0 ||
        (!var && H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0)) {
        int rc = fail(c, MYL_EPARSE, 1, "%s: cannot make the memory type", name);
        close_id(&mt);
        return rc;
    }
    hid_t fs, ms;
    int rc = select_one(c, c->keys, name, i, &fs, &ms);
    if (rc) {
        H5Tclose(mt);
        return rc;
    }
    char *buf = NULL, *vs = NULL;
    herr_t e;
    if (var) {
        c->trk.limit = MAX_KEY_BYTES * 16;
        c->trk.too_big = c->trk.nomem = 0;
        e = H5Dread(c->keys, mt, ms, fs, c->xfer, &vs);
    } else {
        buf = myl_malloc(size + 1);
        e = buf ? H5Dread(c->keys, mt, ms, fs, c->xfer, buf) : 0;
    }
    if (!var && !buf)
        rc = MYL_ENOMEM;
    else if (e < 0)
        rc = c->trk.nomem
                 ? MYL_ENOMEM
                 : fail(c, MYL_EPARSE, 1, "%s: cannot read class name %" PRIu64, name, (uint64_t)i);
    else if (var && vs && vl_find(&c->trk, vs) < 0)
        rc = fail(c, MYL_EPARSE, 0, "%s: class name %" PRIu64 ": libhdf5 returned no data", name,
                  (uint64_t)i);
    else if (var) /* bounded by what was allocated, whatever libhdf5 wrote */
        copy_name(out, cap, vs ? vs : "", vs ? c->trk.size[vl_find(&c->trk, vs)] : 0);
    else
        copy_name(out, cap, buf, size);
    if (var)
        vl_free_all(&c->trk); /* vs is among them */
    myl_free(buf);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    return rc;
}

/* The `channels` attribute of spikes/units: 0 if absent, else 1..65536. */
static int read_channels_attr(ctx *c, uint32_t *channels)
{
    const char *name = "spikes/units attribute 'channels'";
    *channels = 0;
    htri_t has = H5Aexists(c->units, "channels");
    if (has <= 0)
        return 0;
    hid_t a = H5Aopen(c->units, "channels", H5P_DEFAULT);
    if (a < 0)
        return fail(c, MYL_EPARSE, 1, "%s: cannot open it", name);
    int rc = 0;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    long long v = 0;
    if (t < 0 || s < 0 || H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(s) != 1)
        rc = fail(c, MYL_EPARSE, 0, "%s: expected one integer", name);
    else if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0)
        rc = fail(c, MYL_EPARSE, 1, "%s: cannot read it", name);
    else if (v < 1 || v > 65536)
        rc = fail(c, MYL_EPARSE, 0, "%s is %lld (expected 1..65536)", name, v);
    else
        *channels = (uint32_t)v;
    close_id(&s);
    close_id(&t);
    H5Aclose(a);
    return rc;
}

/* Is the HDF5 signature at byte 0 or at a power of two from 512 (after a user block)? 1 yes, 0
 * no, < 0 with errno when the file cannot be read. */
static int has_signature(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int found = 0, err = 0;
    for (long off = 0; !found && off <= (1L << 40); off = off ? off * 2 : 512) {
        unsigned char b[8];
        errno = 0;
        if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 8, f) != 8) {
            err = ferror(f) ? (errno ? errno : EIO) : 0;
            break;
        }
        found = memcmp(b, H5_SIG, 8) == 0;
    }
    fclose(f);
    if (err) {
        errno = err;
        return -1;
    }
    return found;
}

/* ---- float16 ------------------------------------------------------------------------------- */

/* SHD's times are IEEE binary16, which libhdf5 1.10 converts bit by bit (a quarter of the time
 * spent reading a sample); read those as stored and convert here instead. */

/* If dset holds vlen of IEEE binary16 (either byte order), the same type in this machine's byte
 * order, to read the stored bits with at most a byte swap; else H5I_INVALID_HID (libhdf5 then
 * converts whatever float type it is). */
static hid_t half_mem_type(hid_t dset)
{
    hid_t ft = H5Dget_type(dset), b = ft >= 0 ? H5Tget_super(ft) : H5I_INVALID_HID;
    hid_t out = H5I_INVALID_HID;
    size_t spos, epos, esize, mpos, msize;
    if (b >= 0 && H5Tget_class(b) == H5T_FLOAT && H5Tget_size(b) == 2 &&
        H5Tget_precision(b) == 16 && H5Tget_offset(b) == 0 && H5Tget_ebias(b) == 15 &&
        H5Tget_norm(b) == H5T_NORM_IMPLIED &&
        H5Tget_fields(b, &spos, &epos, &esize, &mpos, &msize) >= 0 && spos == 15 && epos == 10 &&
        esize == 5 && mpos == 0 && msize == 10) {
        out = H5Tcopy(b);
        if (out >= 0 && H5Tset_order(out, H5Tget_order(H5T_NATIVE_USHORT)) < 0) {
            H5Tclose(out);
            out = H5I_INVALID_HID;
        }
    }
    if (b >= 0)
        H5Tclose(b);
    if (ft >= 0)
        H5Tclose(ft);
    return out;
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = ldexp(m, -24); /* zero and subnormals */
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

/* Replace the n binary16 values at h (freed here) with doubles at *out (myl_malloc). */
static int halves_to_doubles(void *h, size_t n, double **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    double *t = myl_malloc(n * sizeof *t);
    if (!t) {
        myl_free(h);
        return MYL_ENOMEM;
    }
    const unsigned char *b = h;
    for (size_t j = 0; j < n; j++) {
        uint16_t v;
        memcpy(&v, b + 2 * j, 2);
        t[j] = half_to_double(v);
    }
    myl_free(h);
    *out = t;
    return 0;
}

/* ---- the reader ----------------------------------------------------------------------------- */

/* Everything open_file does once the file is open: find and check the datasets, read sample
 * `sample` into st and fill meta. */
static int load(ctx *c, shd_state *st, int64_t sample, myl_trace_meta *meta)
{
    int rc;
    if ((rc = open_dset(c, "spikes/times", 1, &c->times)) ||
        (rc = open_dset(c, "spikes/units", 1, &c->units)) ||
        (rc = open_dset(c, "labels", 0, &c->labels)))
        return rc;

    H5T_class_t k, base;
    if ((rc = dset_class(c, c->times, "spikes/times", &k, &base)))
        return rc;
    if (k != H5T_VLEN || base != H5T_FLOAT)
        return fail(c, MYL_EPARSE, 0,
                    "spikes/times holds %s%s%s (expected variable-length arrays of floats: "
                    "spike times in seconds)",
                    class_name(k), k == H5T_VLEN ? " of " : "",
                    k == H5T_VLEN ? class_name(base) : "");
    if ((rc = dset_class(c, c->units, "spikes/units", &k, &base)))
        return rc;
    if (k != H5T_VLEN || base != H5T_INTEGER)
        return fail(c, MYL_EPARSE, 0,
                    "spikes/units holds %s%s%s (expected variable-length arrays of integers: "
                    "the channel of each spike)",
                    class_name(k), k == H5T_VLEN ? " of " : "",
                    k == H5T_VLEN ? class_name(base) : "");

    hsize_t nt, nu;
    if ((rc = dset_len(c, c->times, "spikes/times", &nt)) ||
        (rc = dset_len(c, c->units, "spikes/units", &nu)))
        return rc;
    if (nt != nu)
        return fail(c, MYL_EPARSE, 0,
                    "spikes/times has %" PRIu64 " samples but spikes/units has %" PRIu64
                    " (expected one of each per sample)",
                    (uint64_t)nt, (uint64_t)nu);
    if (sample < 0 || (uint64_t)sample >= (uint64_t)nt) {
        if (nt == 0)
            return fail(c, MYL_ERANGE, 0,
                        "sample %" PRId64 " out of range: the file has no samples", sample);
        return fail(c, MYL_ERANGE, 0,
                    "sample %" PRId64 " out of range: the file has %" PRIu64 " samples (0..%" PRIu64
                    ")",
                    sample, (uint64_t)nt, (uint64_t)nt - 1);
    }
    hsize_t i = (hsize_t)sample;

    uint32_t attr_channels;
    if ((rc = read_channels_attr(c, &attr_channels)))
        return rc;

    /* the spikes */
    void *tp, *up;
    size_t tn, un;
    hid_t half = half_mem_type(c->times);
    if (half >= 0) {
        rc = read_vlen(c, c->times, "spikes/times", half, sizeof(uint16_t), i, &tp, &tn);
        H5Tclose(half);
        if (rc || (rc = halves_to_doubles(tp, tn, &st->t)))
            return rc;
    } else {
        if ((rc = read_vlen(c, c->times, "spikes/times", H5T_NATIVE_DOUBLE, sizeof(double), i, &tp,
                            &tn)))
            return rc;
        st->t = tp;
    }
    if ((rc = read_vlen(c, c->units, "spikes/units", H5T_NATIVE_LLONG, sizeof(long long), i, &up,
                        &un)))
        return rc;
    st->u = up;
    if (tn != un)
        return fail(c, MYL_EPARSE, 0,
                    "sample %" PRIu64 ": spikes/times has %zu spikes but spikes/units has %zu "
                    "(expected one unit per spike time)",
                    (uint64_t)i, tn, un);
    st->n = tn;
    long long umax = -1;
    for (size_t j = 0; j < tn; j++) {
        double t = st->t[j];
        if (!(t >= 0) || !(t * 1e6 < MAX_TIME_US)) {
            char v[32];
            snprintf(v, sizeof v, isnan(t) ? "NaN" : "%g", t);
            return fail(c, MYL_EPARSE, 0,
                        "spikes/times: sample %" PRIu64 ", spike %zu: time %s s (expected a "
                        "finite time >= 0 s, at most %g s)",
                        (uint64_t)i, j, v, MAX_TIME_US / 1e6);
        }
        long long u = st->u[j];
        if (u < 0 || u > 65535 || (attr_channels && (uint32_t)u >= attr_channels))
            return fail(c, MYL_EPARSE, 0,
                        "spikes/units: sample %" PRIu64 ", spike %zu: unit %lld (expected 0..%u)",
                        (uint64_t)i, j, u, attr_channels ? attr_channels - 1 : 65535u);
        if (u > umax)
            umax = u;
    }

    /* the label and its class name */
    long long label = -1;
    if (c->labels >= 0) {
        hsize_t nl;
        if ((rc = dset_class(c, c->labels, "labels", &k, &base)) ||
            (rc = dset_len(c, c->labels, "labels", &nl)))
            return rc;
        if (k != H5T_INTEGER)
            return fail(c, MYL_EPARSE, 0,
                        "labels holds %s (expected integers: one class per sample)", class_name(k));
        if (nl != nt)
            return fail(c, MYL_EPARSE, 0,
                        "labels has %" PRIu64 " entries but spikes has %" PRIu64
                        " samples (expected one label per sample)",
                        (uint64_t)nl, (uint64_t)nt);
        if ((rc = read_int(c, c->labels, "labels", i, &label)))
            return rc;
        if (label < 0)
            return fail(c, MYL_EPARSE, 0,
                        "labels: sample %" PRIu64 " has label %lld (expected a class >= 0)",
                        (uint64_t)i, label);
        if ((rc = open_dset(c, "extra/keys", 0, &c->keys)))
            return rc;
    }
    if (c->keys >= 0) {
        hsize_t nk;
        if ((rc = dset_class(c, c->keys, "extra/keys", &k, &base)) ||
            (rc = dset_len(c, c->keys, "extra/keys", &nk)))
            return rc;
        if (k != H5T_STRING)
            return fail(c, MYL_EPARSE, 0, "extra/keys holds %s (expected strings: class names)",
                        class_name(k));
        if ((unsigned long long)label >= nk)
            return fail(c, MYL_EPARSE, 0,
                        "sample %" PRIu64 " has label %lld but extra/keys has %" PRIu64
                        " class names",
                        (uint64_t)i, label, (uint64_t)nk);
        if ((rc = read_key(c, (hsize_t)label, meta->label_name, sizeof meta->label_name)))
            return rc;
    }

    meta->channels = attr_channels
                         ? attr_channels
                         : (umax >= (long long)SHD_CHANNELS ? (uint32_t)umax + 1 : SHD_CHANNELS);
    meta->width = meta->channels;
    meta->height = 1;
    meta->label = label;
    return 0;
}

static void shd_close(void *vst)
{
    shd_state *st = vst;
    if (!st)
        return;
    myl_free(st->t);
    myl_free(st->u);
    st->t = NULL;
    st->u = NULL;
    st->n = st->next = 0;
}

int myl__shd_open_file(void *vst, const char *path, const myl_trace_opts *o, myl_trace_meta *meta,
                       myl_diag *d)
{
    shd_state *st = vst;
    if (!st || !path || !meta)
        return MYL_EINVAL;
    int64_t sample = o ? o->sample : 0;
    int sig = has_signature(path);
    if (sig < 0)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (sig == 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: not an HDF5 file (no HDF5 signature at byte 0 or at a power "
                             "of two from 512; expected an SHD/SSC .h5 file)",
                             path);

    ctx c = {.path = path, .d = d};
    c.file = c.times = c.units = c.labels = c.keys = c.xfer = H5I_INVALID_HID;
    quiet q;
    quiet_begin(&q);
    int rc = 0;
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0)
        rc = fail(&c, MYL_EPARSE, 1, "not readable as HDF5: damaged or cut short");
    else if ((c.xfer = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
             H5Pset_vlen_mem_manager(c.xfer, vl_alloc, &c.trk, vl_free, &c.trk) < 0 ||
             H5Pset_buffer(c.xfer, TCONV_BYTES, NULL, NULL) < 0)
        rc = fail(&c, MYL_ENOMEM, 1, "cannot set up the transfer");
    else
        rc = load(&c, st, sample, meta);
    ctx_close(&c);
    quiet_end(&q);
    if (rc)
        shd_close(st);
    return rc;
}

/* 1 for an HDF5 file holding spikes/times or spikes/units (one of them is enough: the reader's
 * message then says which is missing), and for a file with the HDF5 signature that libhdf5
 * cannot open (damaged or cut short: the reader's message quotes libhdf5's reason, where the
 * stream formats could only say they do not know the bytes). 0 for everything else, including
 * HDF5 files of other kinds (NIR networks). */
int myl__shd_probe_file(const char *path)
{
    if (!path || has_signature(path) != 1)
        return 0; /* a cheap test first: most files are not HDF5 */
    quiet q;
    quiet_begin(&q);
    int yes = 1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        yes = link_exists(f, "spikes/times") == 1 || link_exists(f, "spikes/units") == 1;
        H5Fclose(f);
    }
    quiet_end(&q);
    return yes;
}

static int shd_read(void *vst, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    (void)in, (void)d; /* SHD is read whole at open: no stream, no failure here */
    shd_state *st = vst;
    size_t k = st->n - st->next;
    if (k > cap)
        k = cap;
    *n = k;
    if (k == 0)
        return 0;
    const double *t = st->t + st->next;
    const long long *u = st->u + st->next;
    for (size_t j = 0; j < k; j++) {
        myl_event e = {0};
        e.t = (int64_t)llround(t[j] * 1e6);
        e.x = (uint16_t)u[j];
        e.y = 0;
        e.p = 1;
        ev[j] = e;
    }
    st->next += k;
    return 0;
}

const myl_reader_ops myl__shd_ops = {
    .format = MYL_TRACE_SHD,
    .name = "shd",
    .state_size = sizeof(shd_state),
    .probe = NULL, /* HDF5 is probed from the path: myl__shd_probe_file */
    .open = NULL,  /* and opened from it: myl__shd_open_file */
    .read = shd_read,
    .close = shd_close,
};
