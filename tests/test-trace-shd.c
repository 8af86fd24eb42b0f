/* Tests for the SHD/SSC (HDF5) reader. The files are written here with libhdf5 from the
 * specification (spikes/times and spikes/units as variable-length arrays, labels, extra/keys),
 * in every time type the datasets use (float16 built from H5T_IEEE_F32LE as h5py builds it,
 * float32, float64, both byte orders; and bfloat16, a 16-bit float that is not float16) and both
 * kinds of class-name strings, contiguous and in deflated chunks; tests/data/shd holds three
 * files made by h5py (gen.py there) as a second opinion on the layout. Every sample of every
 * file is read and every event compared. Then the errors: sample out of range, missing
 * datasets, mismatched lengths, wrong types, bad values, files that are not HDF5 or are cut
 * short; each must give its code and a message naming the file and the dataset, and leave no
 * libhdf5 handle open (H5Fget_obj_count). Allocation failure at every allocation, libhdf5's
 * error printing left as the caller had it, and (informational) the speed of reading many
 * samples.
 *
 * Isolation (libhdf5 runs in a forked child): files on which libhdf5 1.10.8 itself crashes,
 * asks for tens of GiB, or loops (found by tests/fuzz/fuzz-shd.c, kept in tests/data/shd as
 * libhdf5-segv.h5, libhdf5-huge-alloc.h5, libhdf5-hang.h5) must each give a clean error; so must
 * a time limit too short for any child (MYELIN_HDF5_TIMEOUT); no descriptor may leak, no child
 * stay unreaped, and the parent's signal handling must stay as it was. The parent's checks of
 * a child's answer are tested on answers written here (myl__shd_decode). */
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/trace.h"
#include "sim/io/trace_internal.h"

#include <hdf5.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* sim/io/trace_shd.c: the parent's side of the isolation, reading an answer from fd */
int myl__shd_decode(int fd, const char *path, void *st, myl_trace_meta *meta, myl_diag *d);

/* ---- writing files from the specification ---- */

#define H5OK(x)                                                                                    \
    do {                                                                                           \
        if ((x) < 0)                                                                               \
            ck_abort_msg("libhdf5 call failed: %s", #x);                                           \
    } while (0)

/* IEEE 754 binary16, made as h5py makes it for numpy.float16 (from_be: big-endian). */
static hid_t f16_type_order(int from_be)
{
    hid_t t = H5Tcopy(from_be ? H5T_IEEE_F32BE : H5T_IEEE_F32LE);
    H5OK(t);
    H5OK(H5Tset_fields(t, 15, 10, 5, 0, 10));
    H5OK(H5Tset_size(t, 2));
    H5OK(H5Tset_ebias(t, 15));
    return t;
}

static hid_t f16_type(void)
{
    return f16_type_order(0);
}

/* bfloat16: 16 bits too, but 8 exponent bits; the reader must leave it to libhdf5. */
static hid_t bf16_type(void)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5OK(t);
    H5OK(H5Tset_fields(t, 15, 7, 8, 0, 7));
    H5OK(H5Tset_size(t, 2));
    H5OK(H5Tset_ebias(t, 127));
    return t;
}

typedef struct sample {
    const double *t; /* seconds, written through the file's time type */
    const long long *u;
    size_t nt, nu;
    long long label;
} sample;

enum { TF16, TF16BE, TBF16, TF32, TF64, TF64BE, TI32, TF32_2D, TNTYPES };
enum { UU16, UU8, UI32, UI64, UU16BE, UF32, UNTYPES };
enum { KNONE, KVLEN, KFIXED, KINT };

typedef struct wopts {
    int ttype;          /* TF16 ... */
    int utype;          /* UU16 ... */
    int keys;           /* KNONE, KVLEN (variable-length strings), KFIXED (16 bytes), KINT */
    int labels;         /* 0 none, 1 uint16, 2 float32, 3 one label too few */
    int chunked;        /* deflate-compressed chunks of 3 samples */
    long long channels; /* integer attribute 'channels' on spikes/units when > 0 */
    long nunits;        /* samples in spikes/units when >= 0 (else as many as times) */
    int no_times, no_units, times_group, no_spikes;
    unsigned userblock; /* bytes before the superblock (HDF5 user block) when > 0 */
} wopts;

static const char *const g_keys[] = {
    "english-zero",
    "english-one",
    "german-zwei",
    "german-drei",
    "deutsch-fünf",
    /* 66 bytes, the 63rd and 64th being 'ü': cut before it */
    "a-class-name-far-longer-than-the-sixty-three-bytes-of-label_nameü",
};
#define NKEYS (sizeof g_keys / sizeof g_keys[0])

static hid_t time_base(int tt)
{
    switch (tt) {
    case TF16:
        return f16_type();
    case TF16BE:
        return f16_type_order(1);
    case TBF16:
        return bf16_type();
    case TF32:
        return H5Tcopy(H5T_IEEE_F32LE);
    case TF64:
        return H5Tcopy(H5T_IEEE_F64LE);
    case TF64BE:
        return H5Tcopy(H5T_IEEE_F64BE);
    default:
        return H5Tcopy(H5T_STD_I32LE);
    }
}

static hid_t unit_base(int ut)
{
    switch (ut) {
    case UU16:
        return H5Tcopy(H5T_STD_U16LE);
    case UU8:
        return H5Tcopy(H5T_STD_U8LE);
    case UI32:
        return H5Tcopy(H5T_STD_I32LE);
    case UI64:
        return H5Tcopy(H5T_STD_I64LE);
    case UU16BE:
        return H5Tcopy(H5T_STD_U16BE);
    default:
        return H5Tcopy(H5T_IEEE_F32LE);
    }
}

static hid_t dcpl(const wopts *o, size_t n)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5OK(p);
    if (o->chunked && n > 0) {
        hsize_t c = 3;
        H5OK(H5Pset_chunk(p, 1, &c));
        H5OK(H5Pset_deflate(p, 6));
    }
    return p;
}

/* A 1-D dataset of n variable-length arrays: element i holds len(i) values from get. */
static void write_vlen(hid_t g, const char *name, hid_t fbase, hid_t mbase, const sample *s,
                       size_t n, int units, const wopts *o)
{
    hsize_t dim = n;
    hid_t ft = H5Tvlen_create(fbase), mt = H5Tvlen_create(mbase);
    hid_t sp = H5Screate_simple(1, &dim, NULL), pl = dcpl(o, n);
    hid_t ds = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    H5OK(ds);
    hvl_t *v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].len = units ? s[i].nu : s[i].nt;
        v[i].p = units ? (void *)s[i].u : (void *)s[i].t;
    }
    if (n)
        H5OK(H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    free(v);
    H5Dclose(ds), H5Pclose(pl), H5Sclose(sp), H5Tclose(mt), H5Tclose(ft);
}

static void write_file(const char *path, const sample *s, size_t n, const wopts *o)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5OK(fcpl);
    if (o->userblock)
        H5OK(H5Pset_userblock(fcpl, o->userblock));
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5OK(f);
    H5OK(H5Pclose(fcpl));
    if (!o->no_spikes) {
        hid_t g = H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5OK(g);
        if (o->times_group) {
            hid_t g2 = H5Gcreate2(g, "times", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5OK(g2);
            H5Gclose(g2);
        } else if (o->ttype == TF32_2D) {
            hsize_t dim[2] = {n, 4};
            hid_t sp = H5Screate_simple(2, dim, NULL);
            hid_t ds =
                H5Dcreate2(g, "times", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5OK(ds);
            H5Dclose(ds), H5Sclose(sp);
        } else if (!o->no_times) {
            hid_t b = time_base(o->ttype);
            write_vlen(g, "times", b, H5T_NATIVE_DOUBLE, s, n, 0, o);
            H5Tclose(b);
        }
        if (!o->no_units) {
            hid_t b = unit_base(o->utype);
            size_t nu = o->nunits >= 0 ? (size_t)o->nunits : n;
            write_vlen(g, "units", b, H5T_NATIVE_LLONG, s, nu, 1, o);
            H5Tclose(b);
            if (o->channels > 0) {
                hid_t ds = H5Dopen2(g, "units", H5P_DEFAULT), sp = H5Screate(H5S_SCALAR);
                hid_t a = H5Acreate2(ds, "channels", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
                H5OK(a);
                H5OK(H5Awrite(a, H5T_NATIVE_LLONG, &o->channels));
                H5Aclose(a), H5Sclose(sp), H5Dclose(ds);
            }
        }
        H5Gclose(g);
    }
    if (o->labels) {
        hsize_t dim = o->labels == 3 && n ? n - 1 : n;
        long long *l = calloc(n ? n : 1, sizeof *l);
        for (size_t i = 0; i < n; i++)
            l[i] = s[i].label;
        hid_t sp = H5Screate_simple(1, &dim, NULL);
        hid_t ds = H5Dcreate2(f, "labels", o->labels == 2 ? H5T_IEEE_F32LE : H5T_STD_U16LE, sp,
                              H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5OK(ds);
        if (dim)
            H5OK(H5Dwrite(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, l));
        free(l);
        H5Dclose(ds), H5Sclose(sp);
    }
    if (o->keys != KNONE) {
        hid_t g = H5Gcreate2(f, "extra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t dim = NKEYS;
        hid_t sp = H5Screate_simple(1, &dim, NULL);
        if (o->keys == KINT) {
            int v[NKEYS] = {0};
            hid_t ds =
                H5Dcreate2(g, "keys", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5OK(H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
            H5Dclose(ds);
        } else {
            hid_t st = H5Tcopy(H5T_C_S1);
            H5OK(H5Tset_cset(st, H5T_CSET_UTF8));
            if (o->keys == KVLEN) {
                H5OK(H5Tset_size(st, H5T_VARIABLE));
                hid_t ds = H5Dcreate2(g, "keys", st, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                H5OK(H5Dwrite(ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, g_keys));
                H5Dclose(ds);
            } else {
                /* fixed length, null-padded as numpy's 'S' arrays, 80 bytes */
                char buf[NKEYS][80];
                memset(buf, 0, sizeof buf);
                for (size_t i = 0; i < NKEYS; i++)
                    memcpy(buf[i], g_keys[i], strlen(g_keys[i]));
                H5OK(H5Tset_size(st, 80));
                H5OK(H5Tset_strpad(st, H5T_STR_NULLPAD));
                hid_t ds = H5Dcreate2(g, "keys", st, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                H5OK(H5Dwrite(ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
                H5Dclose(ds);
            }
            H5Tclose(st);
        }
        H5Sclose(sp), H5Gclose(g);
    }
    H5Fclose(f);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        ck_abort_msg("the test's writer left libhdf5 handles open");
}

static wopts defaults(void)
{
    wopts o = {0};
    o.ttype = TF32;
    o.utype = UU16;
    o.keys = KVLEN;
    o.labels = 1;
    o.nunits = -1;
    return o;
}

/* ---- the standard samples ---- */

/* Times are multiples of 2^-10 s below 2 s (float16 holds them exactly; bfloat16 gets
 * multiples of 2^-7 s) plus, for float32 and float64, sub-millisecond parts; units cover
 * 0..699. */
#define NS 7
static const size_t g_len[NS] = {5, 0, 1, 1000, 37, 3000, 2};
static double *g_t[NS];
static long long *g_u[NS];
static sample g_s[NS];

static void make_samples(int ttype)
{
    unsigned x = 12345;
    for (int i = 0; i < NS; i++) {
        size_t n = g_len[i];
        g_t[i] = calloc(n ? n : 1, sizeof(double));
        g_u[i] = calloc(n ? n : 1, sizeof(long long));
        for (size_t j = 0; j < n; j++) {
            x = x * 1103515245u + 12345u;
            double k = (double)((x >> 8) % 2048); /* 0..2047 */
            double t = k / 1024.0;
            if (ttype == TBF16) /* 8 significant bits */
                t = (double)((x >> 8) % 256) / 128.0;
            else if (ttype != TF16 && ttype != TF16BE)
                t += (double)((x >> 4) % 97) * 1e-6 / 7.0; /* not on any binary grid */
            g_t[i][j] = t;
            g_u[i][j] = (long long)((x >> 16) % 700);
        }
        g_s[i] = (sample){g_t[i], g_u[i], n, n, (long long)(i % (int)NKEYS)};
    }
}

static void free_samples(void)
{
    for (int i = 0; i < NS; i++) {
        free(g_t[i]);
        free(g_u[i]);
        g_t[i] = NULL;
        g_u[i] = NULL;
    }
}

/* The microseconds the reader must give for time t stored as ttype. */
static int64_t expect_us(double t, int ttype)
{
    double stored = ttype == TF32 ? (double)(float)t : t; /* 16-bit values are exact */
    return (int64_t)llround(stored * 1e6);
}

static void no_handles(const char *where)
{
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (n != 0)
        ck_abort_msg("%s: %zd libhdf5 handles left open", where, n);
}

/* Open sample i of path; read everything in chunks of cap; compare with s. */
static void check_sample(const char *path, int64_t i, const sample *s, int ttype, size_t cap,
                         const char *label_name, uint32_t channels)
{
    myl_trace_opts o = {0};
    o.sample = i;
    myl_reader *r = NULL;
    myl_diag d = {0};
    int rc = myl_reader_open_file(path, &o, &r, &d);
    if (rc)
        ck_abort_msg("sample %lld: %s: %s", (long long)i, myl_err_name(rc), d.msg);
    no_handles("after open");
    const myl_trace_meta *m = myl_reader_meta(r);
    ck_assert_int_eq(m->format, MYL_TRACE_SHD);
    ck_assert_uint_eq(m->channels, channels);
    ck_assert_uint_eq(m->width, channels);
    ck_assert_uint_eq(m->height, 1);
    ck_assert_int_eq(m->label, s->label);
    ck_assert_str_eq(m->label_name, label_name);
    myl_event *ev = malloc(cap * sizeof *ev);
    size_t got = 0, n;
    for (;;) {
        rc = myl_reader_read(r, ev, cap, &n, &d);
        if (rc)
            ck_abort_msg("read: %s", d.msg);
        if (n == 0)
            break;
        if (n > cap || got + n > s->nt)
            ck_abort_msg("sample %lld: %zu events past %zu", (long long)i, n, got);
        for (size_t j = 0; j < n; j++, got++) {
            const myl_event *e = &ev[j];
            if (e->t != expect_us(s->t[got], ttype) || e->x != s->u[got] || e->y != 0 || e->p != 1)
                ck_abort_msg("sample %lld event %zu: got t=%lld x=%u y=%u p=%u, want t=%lld x=%lld",
                             (long long)i, got, (long long)e->t, e->x, e->y, e->p,
                             (long long)expect_us(s->t[got], ttype), s->u[got]);
        }
    }
    ck_assert_uint_eq(got, s->nt);
    rc = myl_reader_read(r, ev, cap, &n, &d); /* stays at the end */
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(n, 0);
    free(ev);
    myl_reader_close(r);
    no_handles("after close");
}

/* Expected class name of label l (as label_name holds it: 63 bytes at most, whole characters). */
static void name_of(long long l, int keys, char out[64])
{
    out[0] = 0;
    if (keys == KNONE || l < 0)
        return;
    const char *k = g_keys[l];
    size_t n = strlen(k);
    if (n > 63) {
        n = 63;
        while (n > 0 && ((unsigned char)k[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, k, n);
    out[n] = 0;
}

/* ---- reading ---- */

static unsigned char *slurp(const char *path, size_t *n);

/* A user block (bytes an application keeps before the superblock; HDF5 allows 512, 1024, ...)
 * moves the signature: detection still finds the file, after the stream formats said no. */
START_TEST(user_block)
{
    static const unsigned ub[] = {512, 2048};
    make_samples(TF32);
    wopts o = defaults();
    o.ttype = TF32;
    o.userblock = ub[_i];
    char name[64];
    snprintf(name, sizeof name, "userblock%u.h5", ub[_i]);
    const char *path = myl_test_tmp(name);
    write_file(path, g_s, NS, &o);
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    ck_assert_uint_gt(n, ub[_i] + 8);
    ck_assert_int_ne(memcmp(b, "\x89HDF", 4), 0);
    ck_assert_int_eq(memcmp(b + ub[_i], "\x89HDF\r\n\x1a\n", 8), 0);
    free(b);
    char kn[64];
    name_of(g_s[1].label, o.keys, kn);
    check_sample(path, 1, &g_s[1], TF32, 64, kn, 700);
    free_samples();
}
END_TEST

/* loop index: time type x key kind x chunked */
START_TEST(read_every_sample)
{
    static const int tt[] = {TF16, TF16BE, TBF16, TF32, TF64, TF64BE};
    int ttype = tt[_i % 6], keys = (_i / 6) % 2 ? KFIXED : KVLEN, chunked = _i / 12;
    make_samples(ttype);
    wopts o = defaults();
    o.ttype = ttype;
    o.keys = keys;
    o.chunked = chunked;
    char name[64];
    snprintf(name, sizeof name, "every%d.h5", _i);
    const char *path = myl_test_tmp(name);
    write_file(path, g_s, NS, &o);
    ck_assert_int_eq(myl__shd_probe_file(path), 1);
    static const size_t caps[] = {1, 7, 4096};
    for (int i = 0; i < NS; i++) {
        char kn[64];
        name_of(g_s[i].label, keys, kn);
        check_sample(path, i, &g_s[i], ttype, caps[i % 3], kn, 700);
    }
    free_samples();
}
END_TEST

/* Hand-computed values: float16 0x1400 = 2^-10 s = 976.5625 µs -> 977, 0x3800 = 0.5 s,
 * 0x3BFF = 2047/2048 s = 999511.71875 µs -> 999512, 0x3C01 = 1 + 2^-10 s -> 1000977, the
 * subnormal 0x0200 = 2^-15 s = 30.517578125 µs -> 31, the largest 0x7BFF = 65504 s. Checks the
 * float16 type the test builds is IEEE binary16 (by its bits) and that the reader converts it. */
START_TEST(float16_by_hand)
{
    enum { N = 7 };
    static const double t[N] = {0x1p-10, 0.5, 2047.0 / 2048.0, 1.0 + 0x1p-10, 0.0, 0x1p-15, 65504};
    static const uint16_t bits[N] = {0x1400, 0x3800, 0x3BFF, 0x3C01, 0x0000, 0x0200, 0x7BFF};
    static const int64_t us[N] = {977, 500000, 999512, 1000977, 0, 31, 65504000000};
    static const long long u[N] = {0, 1, 2, 699, 65535, 3, 4};
    sample s = {t, u, N, N, 2};
    wopts o = defaults();
    o.ttype = TF16;
    o.keys = KNONE;
    const char *path = myl_test_tmp("f16.h5");
    write_file(path, &s, 1, &o);

    /* the bits in the file */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT),
          ds = H5Dopen2(f, "spikes/times", H5P_DEFAULT);
    hid_t raw = H5Tcopy(H5T_STD_U16LE), mt = H5Tvlen_create(raw);
    hid_t ft = H5Dget_type(ds), fb = H5Tget_super(ft);
    ck_assert_uint_eq(H5Tget_size(fb), 2);
    hid_t u16view = H5Tvlen_create(fb); /* read the stored bytes without conversion */
    hvl_t v;
    H5OK(H5Dread(ds, u16view, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v));
    ck_assert_uint_eq(v.len, N);
    for (int i = 0; i < N; i++) {
        uint16_t b;
        memcpy(&b, (char *)v.p + 2 * i, 2);
        ck_assert_uint_eq(b, bits[i]);
    }
    hsize_t one = 1;
    hid_t sp1 = H5Screate_simple(1, &one, NULL);
    H5OK(H5Dvlen_reclaim(u16view, sp1, H5P_DEFAULT, &v));
    H5Sclose(sp1);
    H5Tclose(u16view), H5Tclose(fb), H5Tclose(ft), H5Tclose(mt), H5Tclose(raw);
    H5Dclose(ds), H5Fclose(f);

    myl_reader *r;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open_file(path, NULL, &r, &d), 0);
    myl_event ev[8];
    size_t n;
    ck_assert_int_eq(myl_reader_read(r, ev, 8, &n, &d), 0);
    ck_assert_uint_eq(n, N);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ev[i].t, us[i]);
        ck_assert_uint_eq(ev[i].x, u[i]);
    }
    ck_assert_int_eq(myl_reader_meta(r)->label, 2);
    ck_assert_str_eq(myl_reader_meta(r)->label_name, "");
    ck_assert_uint_eq(myl_reader_meta(r)->channels, 65536); /* widened to hold unit 65535 */
    myl_reader_close(r);
    no_handles("float16_by_hand");
}
END_TEST

/* Files made by h5py (tests/data/shd/gen.py): the values are those written there. */
START_TEST(h5py_files)
{
    static const char *const files[] = {"h5py_f16_fixedkeys.h5", "h5py_f32_vlenkeys_gzip.h5",
                                        "h5py_f64_fixedkeys.h5"};
    static const double k0[] = {0, 1, 1, 512, 1023}, k2[] = {2047}, k3[] = {100, 50, 1025, 1536};
    static const long long u0[] = {0, 699, 350, 1, 2}, u2[] = {42}, u3[] = {10, 20, 30, 699};
    static const char *const names[] = {"english-zero", "english-one", "german-zwei",
                                        "german-drei"};
    double t[4][5];
    const double *k[4] = {k0, NULL, k2, k3};
    const size_t len[4] = {5, 0, 1, 4};
    for (int i = 0; i < 4; i++)
        for (size_t j = 0; j < len[i]; j++)
            t[i][j] = k[i][j] / 1024.0; /* exact in every float type */
    const sample s[4] = {
        {t[0], u0, 5, 5, 3}, {NULL, NULL, 0, 0, 0}, {t[2], u2, 1, 1, 1}, {t[3], u3, 4, 4, 2}};
    for (int f = 0; f < 3; f++) {
        char rel[128];
        snprintf(rel, sizeof rel, "tests/data/shd/%s", files[f]);
        const char *path = myl_test_src(rel);
        ck_assert_int_eq(myl__shd_probe_file(path), 1);
        for (int i = 0; i < 4; i++)
            check_sample(path, i, &s[i], TF64, 3, names[s[i].label], 700);
    }
}
END_TEST

START_TEST(units_integer_types)
{
    for (int ut = UU16; ut < UF32; ut++) {
        make_samples(TF32);
        if (ut == UU8) /* what 8 bits hold */
            for (int i = 0; i < NS; i++)
                for (size_t j = 0; j < g_len[i]; j++)
                    g_u[i][j] %= 256;
        wopts o = defaults();
        o.utype = ut;
        const char *path = myl_test_tmp("ut.h5");
        write_file(path, g_s, NS, &o);
        for (int i = 0; i < NS; i += 3) {
            char kn[64];
            name_of(g_s[i].label, KVLEN, kn);
            check_sample(path, i, &g_s[i], TF32, 100, kn, 700);
        }
        free_samples();
    }
}
END_TEST

START_TEST(labels_and_keys_optional)
{
    make_samples(TF32);
    wopts o = defaults();
    o.keys = KNONE; /* label, no name */
    const char *path = myl_test_tmp("nokeys.h5");
    write_file(path, g_s, NS, &o);
    check_sample(path, 4, &g_s[4], TF32, 64, "", 700);

    o.labels = 0; /* neither: label -1, keys not consulted */
    o.keys = KVLEN;
    path = myl_test_tmp("nolabels.h5");
    write_file(path, g_s, NS, &o);
    sample s = g_s[4];
    s.label = -1;
    check_sample(path, 4, &s, TF32, 64, "", 700);
    free_samples();
}
END_TEST

START_TEST(channels_rule)
{
    static const double t[] = {0.1, 0.2};
    static const long long u[] = {5, 900};
    sample s = {t, u, 2, 2, 0};
    wopts o = defaults();
    const char *path = myl_test_tmp("wide.h5");
    write_file(path, &s, 1, &o);
    check_sample(path, 0, &s, TF32, 8, "english-zero", 901); /* widened to the largest unit */

    o.channels = 1024; /* stated */
    path = myl_test_tmp("stated.h5");
    write_file(path, &s, 1, &o);
    check_sample(path, 0, &s, TF32, 8, "english-zero", 1024);

    static const long long u_small[] = {5, 6};
    sample s2 = {t, u_small, 2, 2, 0};
    o.channels = 128;
    path = myl_test_tmp("stated128.h5");
    write_file(path, &s2, 1, &o);
    check_sample(path, 0, &s2, TF32, 8, "english-zero", 128);
}
END_TEST

/* ---- errors ---- */

/* Open sample `index` of path expecting failure rc with a message starting with the path and
 * containing each of the (up to 3) fragments. */
static void expect_fail(const char *path, int64_t index, int rc_want, const char *f1,
                        const char *f2, const char *f3)
{
    myl_trace_opts o = {0};
    o.format = MYL_TRACE_SHD;
    o.sample = index;
    myl_reader *r = (myl_reader *)1;
    myl_diag d = {0};
    int rc = myl_reader_open_file(path, &o, &r, &d);
    if (rc != rc_want)
        ck_abort_msg("%s: got %s (%s), want %s", path, myl_err_name(rc), d.msg,
                     myl_err_name(rc_want));
    ck_assert_ptr_null(r);
    if (strncmp(d.msg, path, strlen(path)) != 0)
        ck_abort_msg("message does not start with the file: %s", d.msg);
    const char *f[3] = {f1, f2, f3};
    for (int i = 0; i < 3; i++)
        if (f[i] && !strstr(d.msg, f[i]))
            ck_abort_msg("message lacks '%s': %s", f[i], d.msg);
    no_handles(d.msg);
    if (getenv("MYL_TEST_VERBOSE"))
        fprintf(stderr, "%s: %s\n", myl_err_name(rc), d.msg);
}

START_TEST(sample_out_of_range)
{
    make_samples(TF32);
    wopts o = defaults();
    const char *path = myl_test_tmp("range.h5");
    write_file(path, g_s, NS, &o);
    expect_fail(path, NS, MYL_ERANGE, "sample 7 out of range", "7 samples (0..6)", NULL);
    expect_fail(path, -1, MYL_ERANGE, "sample -1 out of range", "7 samples", NULL);
    expect_fail(path, INT64_MAX, MYL_ERANGE, "out of range", NULL, NULL);
    path = myl_test_tmp("empty.h5");
    write_file(path, g_s, 0, &o);
    expect_fail(path, 0, MYL_ERANGE, "no samples", NULL, NULL);
    free_samples();
}
END_TEST

START_TEST(missing_datasets)
{
    make_samples(TF32);
    const char *path = myl_test_tmp("missing.h5");
    wopts o = defaults();
    o.no_times = 1;
    write_file(path, g_s, NS, &o);
    ck_assert_int_eq(myl__shd_probe_file(path), 1); /* claimed, so that the message says why */
    expect_fail(path, 0, MYL_EPARSE, "no dataset spikes/times", "expected", NULL);
    o = defaults();
    o.no_units = 1;
    write_file(path, g_s, NS, &o);
    ck_assert_int_eq(myl__shd_probe_file(path), 1);
    expect_fail(path, 0, MYL_EPARSE, "no dataset spikes/units", NULL, NULL);
    o = defaults();
    o.no_spikes = 1;
    write_file(path, g_s, NS, &o);
    ck_assert_int_eq(myl__shd_probe_file(path), 0); /* some other HDF5 file */
    expect_fail(path, 0, MYL_EPARSE, "no dataset spikes/times", NULL, NULL);
    o = defaults();
    o.times_group = 1;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/times is not a dataset", NULL, NULL);
    free_samples();
}
END_TEST

START_TEST(mismatched_lengths)
{
    make_samples(TF32);
    const char *path = myl_test_tmp("mismatch.h5");
    wopts o = defaults();
    o.nunits = NS - 1;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/times has 7 samples but spikes/units has 6", NULL,
                NULL);

    sample s[NS];
    memcpy(s, g_s, sizeof s);
    s[3].nu = s[3].nt - 1; /* one unit short in sample 3 */
    o = defaults();
    write_file(path, s, NS, &o);
    check_sample(path, 2, &s[2], TF32, 50, g_keys[2], 700); /* the others still read */
    expect_fail(path, 3, MYL_EPARSE, "sample 3: spikes/times has 1000 spikes",
                "spikes/units has 999", NULL);

    o.labels = 3; /* one label short */
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "labels has 6 entries but spikes has 7 samples", NULL, NULL);
    free_samples();
}
END_TEST

START_TEST(wrong_types)
{
    make_samples(TF32);
    const char *path = myl_test_tmp("types.h5");
    wopts o = defaults();
    o.utype = UF32;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/units holds variable-length arrays of floats",
                "expected variable-length arrays of integers", NULL);
    o = defaults();
    o.ttype = TI32;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/times holds variable-length arrays of integers",
                "expected variable-length arrays of floats", NULL);
    o = defaults();
    o.ttype = TF32_2D;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/times holds floats", NULL, NULL);
    o = defaults();
    o.labels = 2;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "labels holds floats", "expected integers", NULL);
    o = defaults();
    o.keys = KINT;
    write_file(path, g_s, NS, &o);
    expect_fail(path, 0, MYL_EPARSE, "extra/keys holds integers", "expected strings", NULL);
    free_samples();
}
END_TEST

START_TEST(bad_values)
{
    static const struct {
        double t;
        long long u;
        int utype;
        long long channels;
        const char *what;
    } bad[] = {
        {-0.001, 3, UU16, 0, "time -0.001 s"},
        {NAN, 3, UU16, 0, "time NaN s"},
        {INFINITY, 3, UU16, 0, "time inf s"},
        {1e13, 3, UU16, 0, "time 1e+13 s"},
        {0.5, -1, UI32, 0, "unit -1 (expected 0..65535)"},
        {0.5, 70000, UI32, 0, "unit 70000"},
        {0.5, 5000000000LL, UI64, 0, "unit 5000000000"},
        {0.5, 128, UU16, 128, "unit 128 (expected 0..127)"},
    };
    const char *path = myl_test_tmp("bad.h5");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t[3] = {0.1, bad[i].t, 0.2};
        long long u[3] = {1, bad[i].u, 2};
        sample s = {t, u, 3, 3, 0};
        wopts o = defaults();
        o.ttype = TF64;
        o.utype = bad[i].utype;
        o.channels = bad[i].channels;
        write_file(path, &s, 1, &o);
        expect_fail(path, 0, MYL_EPARSE, "sample 0, spike 1", bad[i].what, NULL);
    }
    /* float16 NaN and infinity survive the conversion and are refused */
    double t[2] = {0.1, INFINITY};
    long long u[2] = {1, 2};
    sample s = {t, u, 2, 2, 0};
    wopts o = defaults();
    o.ttype = TF16;
    write_file(path, &s, 1, &o);
    expect_fail(path, 0, MYL_EPARSE, "spikes/times: sample 0, spike 1: time inf", NULL, NULL);
    t[1] = NAN;
    write_file(path, &s, 1, &o);
    expect_fail(path, 0, MYL_EPARSE, "time NaN", NULL, NULL);
    /* a label without a class name */
    s.label = (long long)NKEYS;
    t[1] = 0.2;
    write_file(path, &s, 1, &o);
    expect_fail(path, 0, MYL_EPARSE, "sample 0 has label 6 but extra/keys has 6 class names", NULL,
                NULL);
}
END_TEST

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n)
        ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}


START_TEST(not_hdf5)
{
    const char *path = myl_test_tmp("text.h5");
    write_bytes(path, "t,unit\n0.5,3\n", 13);
    ck_assert_int_eq(myl__shd_probe_file(path), 0);
    expect_fail(path, 0, MYL_EPARSE, "not an HDF5 file", NULL, NULL);
    path = myl_test_tmp("empty-file.h5");
    write_bytes(path, "", 0);
    expect_fail(path, 0, MYL_EPARSE, "not an HDF5 file", NULL, NULL);
    path = myl_test_tmp("does-not-exist.h5");
    ck_assert_int_eq(myl__shd_probe_file(path), 0);
    expect_fail(path, 0, MYL_EIO, "cannot open", "No such file", NULL);
    expect_fail(myl_test_tmpdir(), 0, MYL_EIO, "cannot open", NULL, NULL);
    ck_assert_int_eq(myl__shd_probe_file(NULL), 0);
}
END_TEST

/* Every prefix of a good file, at 64 cut points and the bytes around the superblock: each is an
 * error (libhdf5 compares the end of file the superblock states with the real one), none a
 * crash, and no handle stays open. */
START_TEST(truncated)
{
    make_samples(TF16);
    wopts o = defaults();
    o.ttype = TF16;
    const char *good = myl_test_tmp("whole.h5");
    write_file(good, g_s, NS, &o);
    size_t n;
    unsigned char *b = slurp(good, &n);
    const char *path = myl_test_tmp("cut.h5");
    for (size_t k = 0; k < 64 + 100; k++) {
        size_t cut = k < 64 ? n * k / 64 : k - 64;
        if (cut >= n)
            continue;
        write_bytes(path, b, cut);
        /* with the signature, claimed: the SHD reader says what is wrong */
        ck_assert_int_eq(myl__shd_probe_file(path), cut >= 8);
        if (cut < 8) {
            expect_fail(path, 0, MYL_EPARSE, "not an HDF5 file", NULL, NULL);
            continue;
        }
        expect_fail(path, 0, MYL_EPARSE, "not readable as HDF5", "libhdf5: ", NULL);
    }
    /* what the message says for a cut inside the data */
    write_bytes(path, b, n / 2);
    myl_trace_opts opt = {.format = MYL_TRACE_SHD};
    myl_reader *r;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open_file(path, &opt, &r, &d), MYL_EPARSE);
    fprintf(stderr, "truncated file: %s\n", d.msg);
    free(b);
    free_samples();
}
END_TEST

/* ---- the registry, libhdf5's error printing, allocation failure ---- */

START_TEST(registry)
{
    make_samples(TF32);
    wopts o = defaults();
    const char *path = myl_test_tmp("reg.h5");
    write_file(path, g_s, NS, &o);
    /* detected from the path */
    check_sample(path, 0, &g_s[0], TF32, 10, g_keys[0], 700);
    /* as a byte stream: refused, saying why */
    myl_bytes src;
    myl_diag d = {0};
    ck_assert_int_eq(myl_bytes_open_file(path, &src, &d), 0);
    myl_trace_opts opt = {.format = MYL_TRACE_SHD};
    myl_reader *r;
    ck_assert_int_eq(myl_reader_open(&src, &opt, &r, &d), MYL_EINVAL);
    ck_assert_ptr_nonnull(strstr(d.msg, "read from a path"));
    myl_bytes_close_file(&src);
    ck_assert_str_eq(myl_trace_format_name(MYL_TRACE_SHD), "shd");
    ck_assert_str_eq(myl__shd_ops.name, "shd");
    ck_assert_int_eq(myl__shd_ops.format, MYL_TRACE_SHD);
    /* an HDF5 file that is not SHD is not claimed */
    hid_t f = H5Fcreate(myl_test_tmp("other.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    ck_assert_int_eq(myl__shd_probe_file(myl_test_tmp("other.h5")), 0);
    /* a damaged SHD file, detected: the message is the SHD reader's, not 'unknown format' */
    size_t n;
    unsigned char *b = slurp(path, &n);
    write_bytes(myl_test_tmp("cut-reg.h5"), b, n / 2);
    free(b);
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_reader_open_file(myl_test_tmp("cut-reg.h5"), NULL, &r, &d), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(d.msg, "not readable as HDF5"));
    no_handles("registry");
    free_samples();
}
END_TEST

static int g_printed;

static herr_t count_print(hid_t stack, void *data)
{
    (void)stack, (void)data;
    g_printed++;
    return 0;
}

START_TEST(error_printing_restored)
{
    H5OK(H5Eset_auto2(H5E_DEFAULT, count_print, NULL));
    const char *path = myl_test_tmp("cut2.h5");
    write_bytes(path, "\x89HDF\r\n\x1a\n\0\0\0\0\0\0\0\0", 16);
    myl_reader *r;
    myl_diag d = {0};
    myl_trace_opts opt = {.format = MYL_TRACE_SHD};
    ck_assert_int_eq(myl_reader_open_file(path, &opt, &r, &d), MYL_EPARSE);
    ck_assert_int_eq(myl__shd_probe_file(path), 1); /* HDF5 signature, damaged */
    ck_assert_int_eq(g_printed, 0);                 /* libhdf5 printed nothing */
    H5E_auto2_t fn;
    void *data;
    H5OK(H5Eget_auto2(H5E_DEFAULT, &fn, &data));
    ck_assert(fn == count_print); /* and the caller's setting is back */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ck_assert_int_lt(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), 0); /* sanity: it does fail */
}
END_TEST

START_TEST(alloc_failure)
{
    make_samples(TF16);
    wopts o = defaults();
    o.ttype = TF16;
    const char *path = myl_test_tmp("alloc.h5");
    write_file(path, g_s, NS, &o);
    for (int keys = 0; keys < 2; keys++) {
        if (keys) {
            o.keys = KFIXED;
            write_file(path, g_s, NS, &o);
        }
        long k;
        for (k = 1; k < 100; k++) {
            myl_trace_opts opt = {.sample = 3};
            myl_reader *r = NULL;
            myl_diag d = {0};
            myl_test_fail_after(k);
            int rc = myl_reader_open_file(path, &opt, &r, &d);
            long made = myl_test_alloc_count();
            myl_test_fail_after(0);
            no_handles("alloc failure");
            if (rc == 0) {
                ck_assert_int_lt(made, k); /* succeeded: the armed failure was never reached */
                myl_reader_close(r);
                break;
            }
            if (rc != MYL_ENOMEM)
                ck_abort_msg("allocation %ld failing gave %s: %s", k, myl_err_name(rc), d.msg);
        }
        ck_assert_int_gt(k, 3); /* reader, state, times, units at least */
    }
    free_samples();
}
END_TEST

START_TEST(bad_arguments)
{
    myl_diag d = {0};
    myl_trace_meta m = {0};
    ck_assert_int_eq(myl__shd_open_file(NULL, "x", NULL, &m, &d), MYL_EINVAL);
    myl__shd_ops.close(NULL);
}
END_TEST

/* ---- isolation: libhdf5 in a child process ---- */

static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What the process had before: descriptors, SIGPIPE's handling, the signal mask. */
typedef struct snap {
    int fds;
    void (*on_pipe)(int);
    sigset_t mask;
} snap;

static snap take_snap(void)
{
    snap s;
    s.fds = count_fds();
    ck_assert_int_gt(s.fds, 0);
    struct sigaction sa;
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    s.on_pipe = sa.sa_handler;
    ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &s.mask), 0);
    return s;
}

/* As before s: no descriptor more, no child left (a zombie would be reaped here), SIGPIPE
 * handled and signals blocked as they were, no libhdf5 handle open. */
static void all_clean(const snap *s, const char *where)
{
    if (count_fds() != s->fds)
        ck_abort_msg("%s: %d descriptors open, %d before", where, count_fds(), s->fds);
    int status;
    errno = 0;
    pid_t w = waitpid(-1, &status, WNOHANG);
    if (!(w == 0 || (w < 0 && errno == ECHILD)))
        ck_abort_msg("%s: a child was left to reap (waitpid gave %d)", where, (int)w);
    struct sigaction sa;
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert(sa.sa_handler == s->on_pipe);
    sigset_t mask;
    ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &mask), 0);
    for (int sig = 1; sig < 32; sig++)
        ck_assert_int_eq(sigismember(&mask, sig), sigismember(&s->mask, sig));
    no_handles(where);
}

/* Open path (format given or detected) expecting rc with a message holding f1 and f2; the
 * message is returned (static) for more checks. */
static const char *open_fails(const char *path, int detect, int rc_want, const char *f1,
                              const char *f2)
{
    static myl_diag d;
    myl_diag_clear(&d);
    myl_trace_opts o = {.format = detect ? MYL_TRACE_UNKNOWN : MYL_TRACE_SHD};
    myl_reader *r = NULL;
    int rc = myl_reader_open_file(path, &o, &r, &d);
    if (rc != rc_want)
        ck_abort_msg("%s: got %s (%s), want %s", path, myl_err_name(rc), d.msg,
                     myl_err_name(rc_want));
    ck_assert_ptr_null(r);
    if (strncmp(d.msg, path, strlen(path)) != 0)
        ck_abort_msg("message does not start with the file: %s", d.msg);
    if ((f1 && !strstr(d.msg, f1)) || (f2 && !strstr(d.msg, f2)))
        ck_abort_msg("message lacks '%s' or '%s': %s", f1, f2 ? f2 : "", d.msg);
    fprintf(stderr, "%s: %s\n", detect ? "detected" : "as shd", d.msg);
    return d.msg;
}

/* libhdf5 reads a wild pointer: a segmentation fault in the child, a clean error here, whether
 * the format is given or detected (the probe's child may be the one that crashes). */
START_TEST(libhdf5_crash)
{
    snap before = take_snap();
    const char *path = myl_test_src("tests/data/shd/libhdf5-segv.h5");
    ck_assert_int_eq(myl__shd_probe_file(path), 1); /* claimed: the open says what is wrong */
    const char *m = open_fails(path, 0, MYL_EPARSE, "libhdf5 crashed reading it",
                               "the file is damaged or not an SHD/SSC file");
    ck_assert_ptr_nonnull(strstr(m, "(signal 11: segmentation fault)"));
    open_fails(path, 1, MYL_EPARSE, "libhdf5 crashed reading it", NULL);
    all_clean(&before, "libhdf5_crash");
    /* the process is fine: a good file reads */
    make_samples(TF32);
    wopts o = defaults();
    const char *good = myl_test_tmp("after-crash.h5");
    write_file(good, g_s, NS, &o);
    check_sample(good, 3, &g_s[3], TF32, 100, g_keys[3], 700);
    free_samples();
    all_clean(&before, "libhdf5_crash, then a good file");
}
END_TEST

/* libhdf5 asks for more memory than the file could justify: the child's address-space limit
 * makes the allocation fail inside libhdf5, which says so (under AddressSanitizer, which has no
 * such limit, ASan's allocator stops the child instead: then it is reported as a crash). */
START_TEST(libhdf5_runaway_allocation)
{
    snap before = take_snap();
    const char *path = myl_test_src("tests/data/shd/libhdf5-huge-alloc.h5");
    ck_assert_int_eq(myl__shd_probe_file(path), 1);
    double t0 = wall_now();
    const char *m = open_fails(path, 0, MYL_EPARSE, "libhdf5", NULL);
    ck_assert(strstr(m, "memory allocation failed") || strstr(m, "libhdf5 crashed"));
    open_fails(path, 1, MYL_EPARSE, "libhdf5", NULL);
    fprintf(stderr, "runaway allocation refused in %.2f s\n", wall_now() - t0);
    all_clean(&before, "libhdf5_runaway_allocation");
}
END_TEST

/* libhdf5 loops on this file for minutes: the time limit ends it, the child is killed and reaped.
 * Detected, the probe's child is the one that runs out of time and the open reports that
 * without running libhdf5 again: one time limit, not two. */
START_TEST(libhdf5_hang)
{
    snap before = take_snap();
    const char *path = myl_test_src("tests/data/shd/libhdf5-hang.h5");
    ck_assert_int_eq(setenv("MYELIN_HDF5_TIMEOUT", "1.5", 1), 0);
    double t0 = wall_now();
    open_fails(path, 0, MYL_EPARSE, "libhdf5 did not finish reading it within 1.5 s",
               "MYELIN_HDF5_TIMEOUT");
    double t1 = wall_now();
    open_fails(path, 1, MYL_EPARSE, "libhdf5 did not finish reading it within 1.5 s", NULL);
    double t2 = wall_now();
    fprintf(stderr, "hang: %.2f s as shd, %.2f s detected\n", t1 - t0, t2 - t1);
    ck_assert_double_ge(t1 - t0, 1.5);
    ck_assert_double_ge(t2 - t1, 1.5);
    ck_assert_double_lt(t2 - t1, 3.0); /* not two time limits */
    unsetenv("MYELIN_HDF5_TIMEOUT");
    all_clean(&before, "libhdf5_hang");
}
END_TEST

/* A limit no child can meet, on a good file: a clean time-out; with the limit back, the same file
 * reads (the probe's time-out, kept for the open, is not taken under another limit). Values
 * that are not a positive number leave the default. */
START_TEST(time_limit)
{
    snap before = take_snap();
    make_samples(TF16);
    wopts o = defaults();
    o.ttype = TF16;
    const char *path = myl_test_tmp("limit.h5");
    write_file(path, g_s, NS, &o);
    ck_assert_int_eq(setenv("MYELIN_HDF5_TIMEOUT", "1e-6", 1), 0);
    open_fails(path, 0, MYL_EPARSE, "did not finish reading it within 1e-06 s", NULL);
    ck_assert_int_eq(myl__shd_probe_file(path), 1); /* not finished: claimed */
    open_fails(path, 1, MYL_EPARSE, "did not finish reading it within 1e-06 s", NULL);
    all_clean(&before, "time_limit");
    ck_assert_int_eq(myl__shd_probe_file(path), 1); /* leaves a time-out for the next open */
    static const char *const ignored[] = {"0", "-3", "abc", "5s", "", "1e9"};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        ck_assert_int_eq(setenv("MYELIN_HDF5_TIMEOUT", ignored[i], 1), 0);
        char kn[64];
        name_of(g_s[i % NS].label, KVLEN, kn);
        /* detected: probe and open under the default limit */
        myl_reader *r;
        myl_diag d = {0};
        myl_trace_opts opt = {.sample = (int64_t)(i % NS)};
        if (myl_reader_open_file(path, &opt, &r, &d))
            ck_abort_msg("MYELIN_HDF5_TIMEOUT=%s: %s", ignored[i], d.msg);
        myl_reader_close(r);
        check_sample(path, (int64_t)(i % NS), &g_s[i % NS], TF16, 64, kn, 700);
    }
    unsetenv("MYELIN_HDF5_TIMEOUT");
    free_samples();
    all_clean(&before, "time_limit, after");
}
END_TEST

/* Many opens of every outcome: descriptors and children stay as they were. */
START_TEST(no_leaks)
{
    snap before = take_snap();
    make_samples(TF32);
    wopts o = defaults();
    const char *good = myl_test_tmp("leaks.h5");
    write_file(good, g_s, NS, &o);
    o.no_units = 1;
    const char *bad = myl_test_tmp("leaks-bad.h5");
    write_file(bad, g_s, NS, &o);
    const char *segv = myl_test_src("tests/data/shd/libhdf5-segv.h5");
    for (int i = 0; i < 10; i++) {
        char kn[64];
        name_of(g_s[i % NS].label, KVLEN, kn);
        check_sample(good, i % NS, &g_s[i % NS], TF32, 1000, kn, 700);
        expect_fail(bad, 0, MYL_EPARSE, "no dataset spikes/units", NULL, NULL);
        expect_fail(good, NS + i, MYL_ERANGE, "out of range", NULL, NULL);
        expect_fail(segv, 0, MYL_EPARSE, "libhdf5 crashed", NULL, NULL);
        ck_assert_int_eq(myl__shd_probe_file(good), 1);
        ck_assert_int_eq(myl__shd_probe_file(segv), 1);
        all_clean(&before, "no_leaks");
    }
    free_samples();
}
END_TEST

/* ---- the parent's checks of an answer ---- */

typedef struct answer {
    char magic[8];
    int32_t rc;
    uint32_t msg_len, channels, zero;
    int64_t label;
    uint64_t n;
    char name[64];
} answer;

/* The bytes of an answer as sim/io/trace_shd.c lays them out (byte offsets 0, 8, 12, 16, 20, 24,
 * 32, 40; 104 in all), then extra (n_extra bytes). */
static void put_answer(const char *path, const answer *a, const void *extra, size_t n_extra,
                       size_t cut)
{
    unsigned char h[104];
    memset(h, 0, sizeof h);
    memcpy(h, a->magic, 8);
    memcpy(h + 8, &a->rc, 4);
    memcpy(h + 12, &a->msg_len, 4);
    memcpy(h + 16, &a->channels, 4);
    memcpy(h + 20, &a->zero, 4);
    memcpy(h + 24, &a->label, 8);
    memcpy(h + 32, &a->n, 8);
    memcpy(h + 40, a->name, 64);
    size_t total = sizeof h + n_extra;
    unsigned char *b = malloc(total);
    memcpy(b, h, sizeof h);
    if (n_extra)
        memcpy(b + sizeof h, extra, n_extra);
    write_bytes(path, b, cut && cut < total ? cut : total);
    free(b);
}

static answer good_answer(uint64_t n)
{
    answer a;
    memset(&a, 0, sizeof a);
    memcpy(a.magic, "myl-shd\1", 8);
    a.channels = 700;
    a.label = 2;
    a.n = n;
    snprintf(a.name, sizeof a.name, "german-zwei");
    return a;
}

/* Decode the answer in path: its code, and in msg (static) the message. */
static int decode(const char *path, void *st, myl_trace_meta *m, const char **msg)
{
    static myl_diag d;
    myl_diag_clear(&d);
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    int rc = myl__shd_decode(fd, "answer", st, m, &d);
    close(fd);
    *msg = d.msg;
    return rc;
}

START_TEST(answers_checked)
{
    const char *path = myl_test_tmp("answer.bin");
    void *st = calloc(1, myl__shd_ops.state_size);
    myl_trace_meta m;
    const char *msg;
    enum { N = 3 };
    int64_t t[N] = {0, 5, 9000000000000000000};
    uint16_t x[N] = {0, 699, 3};
    unsigned char ev[N * 10 + 1];
    memcpy(ev, t, sizeof t);
    memcpy(ev + sizeof t, x, sizeof x);
    ev[N * 10] = 0;

    /* a good one, and its events through the reader's read() */
    answer a = good_answer(N);
    put_answer(path, &a, ev, N * 10, 0);
    ck_assert_int_eq(decode(path, st, &m, &msg), 0);
    ck_assert_uint_eq(m.channels, 700);
    ck_assert_uint_eq(m.width, 700);
    ck_assert_uint_eq(m.height, 1);
    ck_assert_int_eq(m.label, 2);
    ck_assert_str_eq(m.label_name, "german-zwei");
    myl_event e[8];
    size_t n;
    myl_diag d = {0};
    ck_assert_int_eq(myl__shd_ops.read(st, NULL, e, 8, &n, &d), 0);
    ck_assert_uint_eq(n, N);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(e[i].t, t[i]);
        ck_assert_uint_eq(e[i].x, x[i]);
        ck_assert_uint_eq(e[i].y, 0);
        ck_assert_uint_eq(e[i].p, 1);
    }
    myl__shd_ops.close(st);

    /* the child's own error, its control characters made harmless */
    answer er;
    memset(&er, 0, sizeof er);
    memcpy(er.magic, "myl-shd\1", 8);
    er.rc = MYL_EPARSE;
    er.label = -1;
    er.msg_len = 19;
    put_answer(path, &er, "spikes/times:\n\033[2J!", 19, 0);
    ck_assert_int_eq(decode(path, st, &m, &msg), MYL_EPARSE);
    ck_assert_str_eq(msg, "answer: spikes/times:??[2J!");
    er.rc = MYL_ENOMEM; /* without a message: one is made */
    er.msg_len = 0;
    put_answer(path, &er, NULL, 0, 0);
    ck_assert_int_eq(decode(path, st, &m, &msg), MYL_ENOMEM);
    ck_assert_ptr_nonnull(strstr(msg, "answer: out of memory reading it"));

    /* malformed: each one a clean MYL_EPARSE naming what was wrong, nothing kept */
    static const struct {
        const char *why; /* in the message */
        int what;
    } bad[] = {
        {"cut short", 0},                           /* header cut */
        {"no header", 1},                           /* magic */
        {"a reserved field is not 0", 2},           /* zero */
        {"more spikes than the reader's limit", 3}, /* n > 2^24 */
        {"cut short", 4},                           /* n beyond the bytes sent */
        {"a channel count outside 1..65536", 5},    /* channels 0 */
        {"a channel count outside 1..65536", 6},    /* channels 65537 */
        {"a unit beyond the channel count", 7},     /* x >= channels */
        {"a time outside 0..9e18", 8},              /* t < 0 */
        {"a time outside 0..9e18", 9},              /* t > 9e18 */
        {"a label below -1", 10},
        {"a class name that does not add up", 11}, /* no terminator */
        {"a class name that does not add up", 12}, /* a name without a label */
        {"a message with a success", 13},
        {"an error answer that does not add up", 14}, /* unknown code */
        {"an error answer that does not add up", 15}, /* message too long */
        {"an error answer that does not add up", 16}, /* error with events */
        {"bytes after the answer", 17},
        {"bytes after the answer", 18}, /* after an error */
        {"cut short", 19},              /* error message cut */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        answer b = good_answer(N);
        int64_t tt[N];
        uint16_t xx[N];
        memcpy(tt, t, sizeof t);
        memcpy(xx, x, sizeof x);
        size_t extra = N * 10, cut = 0;
        switch (bad[i].what) {
        case 0:
            cut = 50;
            break;
        case 1:
            b.magic[7] = 2;
            break;
        case 2:
            b.zero = 1;
            break;
        case 3:
            b.n = (1u << 24) + 1;
            break;
        case 4:
            b.n = N + 1;
            break;
        case 5:
            b.channels = 0;
            break;
        case 6:
            b.channels = 65537;
            break;
        case 7:
            b.channels = 699;
            break;
        case 8:
            tt[1] = -1;
            break;
        case 9:
            tt[2] = 9000000000000000001;
            break;
        case 10:
            b.label = -2;
            break;
        case 11:
            memset(b.name, 'a', sizeof b.name);
            break;
        case 12:
            b.label = -1;
            break;
        case 13:
            b.msg_len = 1;
            break;
        case 14:
            b = er;
            b.rc = -99;
            extra = 0;
            break;
        case 15:
            b = er;
            b.rc = MYL_EPARSE;
            b.msg_len = 1024;
            extra = 0;
            break;
        case 16:
            b = er;
            b.rc = MYL_EPARSE;
            b.n = 1;
            extra = 0;
            break;
        case 17:
            extra = N * 10 + 1;
            break;
        case 18:
            b = er;
            b.rc = MYL_EPARSE;
            b.msg_len = 3;
            extra = 4;
            break;
        case 19:
            b = er;
            b.rc = MYL_EPARSE;
            b.msg_len = 30;
            extra = 4;
            break;
        }
        unsigned char body[N * 10 + 1];
        memcpy(body, tt, sizeof tt);
        memcpy(body + sizeof tt, xx, sizeof xx);
        body[N * 10] = 'z';
        put_answer(path, &b, body, extra, cut);
        int rc = decode(path, st, &m, &msg);
        if (rc != MYL_EPARSE || !strstr(msg, "libhdf5's process gave a malformed answer") ||
            !strstr(msg, bad[i].why) || strncmp(msg, "answer: ", 8) != 0)
            ck_abort_msg("case %zu: %s: %s", i, myl_err_name(rc), msg);
        ck_assert_int_eq(myl__shd_ops.read(st, NULL, e, 8, &n, &d), 0);
        ck_assert_uint_eq(n, 0); /* nothing kept */
    }
    myl__shd_ops.close(st);
    free(st);
}
END_TEST

/* ---- speed (informational) ---- */

/* CPU time [s] used by this process (RUSAGE_SELF) or its reaped children (RUSAGE_CHILDREN). */
static double cpu_seconds(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

START_TEST(speed)
{
    /* 50 samples of 5000 spikes (SHD's longest are about that), float16 times, gzip chunks as
     * a packed dataset would have them: open, read and close each sample in turn. Each open
     * forks twice (probe and open), so the CPU time counts the children's too. */
    enum { NSAMP = 50, LEN = 5000 };
    double *t = malloc(LEN * sizeof *t);
    long long *u = malloc(LEN * sizeof *u);
    for (int j = 0; j < LEN; j++) {
        t[j] = (double)(j * 2047 / LEN) / 1024.0;
        u[j] = (j * 7) % 700;
    }
    sample *s = malloc(NSAMP * sizeof *s);
    for (int i = 0; i < NSAMP; i++)
        s[i] = (sample){t, u, LEN, LEN, i % 4};
    const char *path = myl_test_tmp("big.h5");
    for (int chunked = 0; chunked < 2; chunked++) {
        wopts o = defaults();
        o.ttype = TF16;
        o.chunked = chunked;
        write_file(path, s, NSAMP, &o);
        myl_event *ev = malloc(4096 * sizeof *ev);
        struct timespec a, b; /* wall and CPU time (the machine may be busy) */
        clock_gettime(CLOCK_MONOTONIC, &a);
        double ca = cpu_seconds(RUSAGE_SELF), cka = cpu_seconds(RUSAGE_CHILDREN);
        uint64_t total = 0, sum = 0;
        for (int i = 0; i < NSAMP; i++) {
            myl_trace_opts opt = {.sample = i};
            myl_reader *r;
            myl_diag d = {0};
            if (myl_reader_open_file(path, &opt, &r, &d))
                ck_abort_msg("%s", d.msg);
            size_t n;
            while (myl_reader_read(r, ev, 4096, &n, &d) == 0 && n > 0) {
                total += n;
                sum += (uint64_t)ev[n - 1].t;
            }
            myl_reader_close(r);
        }
        double self = cpu_seconds(RUSAGE_SELF) - ca, kids = cpu_seconds(RUSAGE_CHILDREN) - cka;
        clock_gettime(CLOCK_MONOTONIC, &b);
        double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
        double cpu = self + kids;
        ck_assert_uint_eq(total, (uint64_t)NSAMP * LEN);
        fprintf(stderr,
                "speed: %d samples x %d spikes (%s): %.3f s wall, %.3f s CPU (%.3f s in the "
                "children): %.1f M events/s, %.0f samples/s of CPU (%llu)\n",
                NSAMP, LEN, chunked ? "gzip chunks of 3" : "contiguous", sec, cpu, kids,
                (double)total / cpu / 1e6, NSAMP / cpu, (unsigned long long)sum);
        free(ev);
    }
    free(s);
    free(t);
    free(u);
}
END_TEST

static Suite *shd_suite(void)
{
    Suite *s = suite_create("trace-shd");
    TCase *tc = tcase_create("read");
    tcase_add_loop_test(tc, read_every_sample, 0, 24);
    tcase_add_test(tc, float16_by_hand);
    tcase_add_loop_test(tc, user_block, 0, 2);
    tcase_add_test(tc, h5py_files);
    tcase_add_test(tc, units_integer_types);
    tcase_add_test(tc, labels_and_keys_optional);
    tcase_add_test(tc, channels_rule);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, sample_out_of_range);
    tcase_add_test(tc, missing_datasets);
    tcase_add_test(tc, mismatched_lengths);
    tcase_add_test(tc, wrong_types);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, not_hdf5);
    tcase_add_test(tc, truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, registry);
    tcase_add_test(tc, error_printing_restored);
    tcase_add_test(tc, alloc_failure);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("isolation");
    tcase_add_test(tc, libhdf5_crash);
    tcase_add_test(tc, libhdf5_runaway_allocation);
    tcase_add_test(tc, libhdf5_hang);
    tcase_add_test(tc, time_limit);
    tcase_add_test(tc, no_leaks);
    tcase_add_test(tc, answers_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("speed");
    tcase_add_test(tc, speed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(shd_suite());
}
