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
 * dataset), checks it, and closes every libhdf5 handle, so that read() only copies from memory.
 * The variable-length buffers are allocated through myelin's allocator (a vlen memory manager on
 * the transfer property list), bounded to MAX_SPIKES spikes, and tracked so that a read libhdf5
 * abandons halfway leaks nothing. libhdf5's error printing is switched off, and its innermost
 * error description is quoted in myelin's message.
 *
 * Events: t = round(time * 1e6) µs, x = unit, y = 0, p = 1, in file order (not sorted).
 *
 * Isolation. libhdf5 is not hardened against crafted files: fuzzing 1.10.8 made it read wild
 * pointers (even under H5Lexists, so merely probing a file), ask for 30 GiB to 10^18 bytes and
 * loop for minutes (tests/fuzz/fuzz-shd.c). So no libhdf5 call on a user's file runs in the
 * caller's process: probe and open each fork() a child that does the libhdf5 work and sends the
 * result back over a pipe, and the parent turns a crash, a runaway allocation or a hang into an
 * error naming the file. The child
 *   - leaves signals as exec would (handlers back to default, ignored ones ignored, none
 *     blocked), ignores SIGPIPE (a parent that gave up gets EPIPE, not a signal), dies with the
 *     thread that forked it (PR_SET_PDEATHSIG, Linux), closes every descriptor but 0-2 and its
 *     pipe, and sets RLIMIT_CORE 0, RLIMIT_CPU a little above the time limit, and RLIMIT_AS to
 *     the address space it starts with plus 2 GiB plus twice the file's size (reading the
 *     largest sample, MAX_SPIKES spikes as float64 and int64, 256 MiB of data, takes 1.2 GiB;
 *     a global-heap collection is at most the file; the fuzzed files asked for 30 GiB and more)
 *     - except under AddressSanitizer, whose shadow memory needs terabytes of address
 *     space (NO_AS_LIMIT): there only ASan's own cap on one allocation (1 TiB) and the time
 *     limit stop a runaway request;
 *   - touches only libhdf5, the allocator and the pipe, writes its answer and _exit()s (no
 *     atexit handlers, no flush of the parent's stdio buffers).
 * The answer, in this machine's byte order (both ends are the same binary):
 *   bytes 0-7 "myl-shd\1", 8 int32 rc (0 or a MYL_E* code), 12 uint32 message bytes,
 *   16 uint32 channels, 20 uint32 0, 24 int64 label, 32 uint64 n spikes, 40 char[64] class name
 *   (NUL-terminated); then the message (rc != 0); then n int64 times [µs] and n uint16 units.
 * The parent reads it with poll() against a deadline (MYELIN_HDF5_TIMEOUT seconds, default 60)
 * and trusts none of it: the magic, the code, every length against what actually arrived, n
 * against MAX_SPIKES, channels, the label, the name's terminator, every time and every unit; no
 * byte may follow, and the child must then exit with status 0. On a deadline it kills the child
 * (SIGKILL); on every path it reaps it and closes the pipe. Probing sends one byte. A probe that
 * libhdf5 does not finish claims the file and leaves its outcome for the open that follows at
 * once (the registry probes, then opens), so a hanging file costs one deadline, not two.
 * The price is a fork per probe and per open, and the child's first writes to memory it shares
 * with the parent (a few hundred page faults): milliseconds, tens of them where page faults are
 * slow (some virtual machines) or the parent maps gigabytes.
 *
 * Threads: the child is a copy of the thread that forked it. The parent calls libhdf5 once, to
 * initialise it (H5open, no file) before the first fork, and no other part of myelin uses
 * libhdf5, so no parent thread holds libhdf5's lock at a fork; a program that calls libhdf5
 * itself from another thread can make a child wait on that lock, which the deadline then ends.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pipe2 */
#endif
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/* AddressSanitizer (and the other sanitizers with shadow memory) reserve terabytes of address
 * space at start: an RLIMIT_AS the child could live with would break them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define NO_AS_LIMIT 1
#endif
#endif

#define SHD_CHANNELS 700u     /* SHD and SSC: 700 channels of the cochlea model */
#define MAX_SPIKES (1u << 24) /* per sample; real samples hold thousands */
#define MAX_KEY_BYTES 4096u   /* fixed-length class names longer than this are refused */
#define MAX_TIME_US 9.0e18    /* times must become int64 microseconds */
#define TCONV_BYTES 4096u     /* libhdf5's conversion buffer: one element at a time needs little */
#define NLIVE 4               /* vlen buffers alive at once during one read (one is used) */
#define H5_SIG "\x89HDF\r\n\x1a\n" /* the superblock's signature */
#define MSG_CAP 1024u              /* an error message, without the path */
#define TIMEOUT_S 60.0             /* default time limit for libhdf5's child [s] */
#define AS_BASE (2ull << 30)       /* the child's address space: what it starts with, + this */

typedef struct shd_state {
    int64_t *t;  /* spike times of the sample [µs]: 0..MAX_TIME_US */
    uint16_t *x; /* their units, below the channel count */
    size_t n;    /* spikes in the sample */
    size_t next; /* next spike to emit */
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

/* What one open works with; every hid_t is closed and every buffer freed by ctx_close. */
typedef struct ctx {
    char *msg; /* MSG_CAP bytes: what went wrong, without the path */
    hid_t file, times, units, labels, keys, xfer;
    vl_track trk;
    double *t;    /* the sample's spike times [s]: finite, >= 0, < MAX_TIME_US µs once checked */
    long long *u; /* their units: 0..65535 once checked */
    size_t n;     /* spikes */
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
    myl_free(c->t);
    myl_free(c->u);
    c->t = NULL;
    c->u = NULL;
}

/* Fail with a message (the caller puts the path before it), adding libhdf5's reason when with_why
 * (read it before any other libhdf5 call). */
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
    if (c->msg[0]) /* the first failure is the one reported */
        return rc;
    if (why[0])
        snprintf(c->msg, MSG_CAP, "%s (libhdf5: %s)", msg, why);
    else
        snprintf(c->msg, MSG_CAP, "%s", msg);
    return rc;
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

/* Where is the HDF5 signature: at byte 0 or at a power of two from 512 (after a user block)?
 * Its offset, -1 when it is nowhere, -2 with errno when the file cannot be read. */
long myl__shd_signature(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -2;
    long found = -1;
    int err = 0;
    for (long off = 0; found < 0 && off <= (1L << 40); off = off ? off * 2 : 512) {
        unsigned char b[8];
        errno = 0;
        if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 8, f) != 8) {
            err = ferror(f) ? (errno ? errno : EIO) : 0;
            break;
        }
        if (memcmp(b, H5_SIG, 8) == 0)
            found = off;
    }
    fclose(f);
    if (err) {
        errno = err;
        return -2;
    }
    return found;
}

/* 1 when the file has the HDF5 signature, 0 when not, -1 with errno when it cannot be read. */
static int has_signature(const char *path)
{
    long off = myl__shd_signature(path);
    return off >= 0 ? 1 : off == -1 ? 0 : -1;
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

/* Everything the open does once the file is open: find and check the datasets, read sample
 * `sample` into c->t, c->u, c->n and fill meta's channels, width, height, label, label_name. */
static int load(ctx *c, int64_t sample, myl_trace_meta *meta)
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
        if (rc || (rc = halves_to_doubles(tp, tn, &c->t)))
            return rc;
    } else {
        if ((rc = read_vlen(c, c->times, "spikes/times", H5T_NATIVE_DOUBLE, sizeof(double), i, &tp,
                            &tn)))
            return rc;
        c->t = tp;
    }
    if ((rc = read_vlen(c, c->units, "spikes/units", H5T_NATIVE_LLONG, sizeof(long long), i, &up,
                        &un)))
        return rc;
    c->u = up;
    if (tn != un)
        return fail(c, MYL_EPARSE, 0,
                    "sample %" PRIu64 ": spikes/times has %zu spikes but spikes/units has %zu "
                    "(expected one unit per spike time)",
                    (uint64_t)i, tn, un);
    c->n = tn;
    long long umax = -1;
    for (size_t j = 0; j < tn; j++) {
        double t = c->t[j];
        if (!(t >= 0) || !(t * 1e6 < MAX_TIME_US)) {
            char v[32];
            snprintf(v, sizeof v, isnan(t) ? "NaN" : "%g", t);
            return fail(c, MYL_EPARSE, 0,
                        "spikes/times: sample %" PRIu64 ", spike %zu: time %s s (expected a "
                        "finite time >= 0 s, at most %g s)",
                        (uint64_t)i, j, v, MAX_TIME_US / 1e6);
        }
        long long u = c->u[j];
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
    myl_free(st->x);
    st->t = NULL;
    st->x = NULL;
    st->n = st->next = 0;
}

/* ---- libhdf5's work: in the child, or in the caller for the fuzz target ------------------- */

/* 0 when path starts with the HDF5 signature, else the error in d. */
static int check_signature(const char *path, myl_diag *d)
{
    int sig = has_signature(path);
    if (sig < 0)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (sig == 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: not an HDF5 file (no HDF5 signature at byte 0 or at a power "
                             "of two from 512; expected an SHD/SSC .h5 file)",
                             path);
    return 0;
}

/* The checked sample in c as events in st: t in µs, x the unit. */
static int to_events(const ctx *c, shd_state *st)
{
    if (c->n == 0)
        return 0;
    st->t = myl_malloc(c->n * sizeof *st->t);
    st->x = myl_malloc(c->n * sizeof *st->x);
    if (!st->t || !st->x)
        return MYL_ENOMEM;
    for (size_t j = 0; j < c->n; j++) {
        st->t[j] = (int64_t)llround(c->t[j] * 1e6);
        st->x[j] = (uint16_t)c->u[j];
    }
    st->n = c->n;
    return 0;
}

/* Read sample `sample` of the HDF5 file path into st and meta (channels, width, height, label,
 * label_name), every libhdf5 handle closed on return. On failure st is empty and msg (MSG_CAP
 * bytes) says why, without the path; it stays "" for a plain MYL_ENOMEM. */
static int read_sample(shd_state *st, const char *path, int64_t sample, myl_trace_meta *meta,
                       char *msg)
{
    ctx c = {.msg = msg};
    msg[0] = 0;
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
    else if (!(rc = load(&c, sample, meta)))
        rc = to_events(&c, st);
    ctx_close(&c);
    quiet_end(&q);
    if (rc)
        shd_close(st);
    return rc;
}

/* libhdf5's part of a probe: 1 for a file holding spikes/times or spikes/units, or one libhdf5
 * cannot open or look them up in; 0 for an HDF5 file that certainly has neither. */
static int probe_h5(const char *path)
{
    quiet q;
    quiet_begin(&q);
    int yes = 1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        /* -1, cannot tell (a damaged file): claimed, so that the open says why */
        yes = link_exists(f, "spikes/times") != 0 || link_exists(f, "spikes/units") != 0;
        H5Fclose(f);
    }
    quiet_end(&q);
    return yes;
}

/* Entry points for tests/test-trace-shd.c and tests/fuzz/fuzz-shd.c, which declare them too. The
 * first two are open_file and probe_file with libhdf5 in the calling process, unprotected (the
 * fuzz target uses them so that coverage sees the reading code); myl__shd_decode is the parent's
 * side alone: it reads a child's answer from fd (a pipe or a file) and checks it as open_file
 * does, as if a child had sent it and exited with status 0. */
int myl__shd_open_file_direct(void *st, const char *path, const myl_trace_opts *o,
                              myl_trace_meta *meta, myl_diag *d);
int myl__shd_probe_file_direct(const char *path);
int myl__shd_decode(int fd, const char *path, void *st, myl_trace_meta *meta, myl_diag *d);

int myl__shd_open_file_direct(void *vst, const char *path, const myl_trace_opts *o,
                              myl_trace_meta *meta, myl_diag *d)
{
    shd_state *st = vst;
    if (!st || !path || !meta)
        return MYL_EINVAL;
    int rc = check_signature(path, d);
    if (rc)
        return rc;
    char msg[MSG_CAP];
    rc = read_sample(st, path, o ? o->sample : 0, meta, msg);
    if (rc && msg[0])
        return myl_diag_fail(d, rc, "%s: %s", path, msg);
    return rc;
}

int myl__shd_probe_file_direct(const char *path)
{
    if (!path || has_signature(path) != 1)
        return 0;
    return probe_h5(path);
}

/* ---- the child ---------------------------------------------------------------------------- */

#ifndef NSIG
#define NSIG 65
#endif
#define A_MAGIC "myl-shd\1" /* the answer's first 8 bytes */
enum { A_RC = 8, A_MSGLEN = 12, A_CHANNELS = 16, A_ZERO = 20, A_LABEL = 24, A_N = 32, A_NAME = 40 };
#define A_HEAD (A_NAME + 64) /* bytes of the answer's header */
enum { JOB_OPEN, JOB_PROBE };
enum { CHILD_SETUP = 120, CHILD_PIPE = 121 }; /* the child's exit statuses other than 0 */

/* Lower a resource limit (never raise it: that needs privileges). */
static void lower_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit r;
    if (getrlimit(resource, &r) != 0)
        return;
    if (r.rlim_max != RLIM_INFINITY && hard > r.rlim_max)
        hard = r.rlim_max;
    if (soft > hard)
        soft = hard;
    r.rlim_cur = soft;
    r.rlim_max = hard;
    setrlimit(resource, &r);
}

#ifndef NO_AS_LIMIT
/* The address space this process has mapped [bytes]; 0 when unknown. */
static unsigned long long mapped_bytes(void)
{
#ifdef __linux__
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    long page = sysconf(_SC_PAGESIZE);
    if (n <= 0 || page <= 0)
        return 0;
    buf[n] = 0;
    return strtoull(buf, NULL, 10) * (unsigned long long)page;
#else
    return 0; /* no limit where it cannot be measured */
#endif
}
#endif

/* Set up the child (see the file's comment); returns the pipe's descriptor, now 3, or -1. */
static int child_setup(int wfd, pid_t parent, double limit_s, unsigned long long file_size)
{
    struct sigaction sa;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &sa) != 0 ||
            sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(s, &sa, NULL);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        return -1; /* the parent is already gone */
#else
    (void)parent;
#endif
    lower_limit(RLIMIT_CORE, 0, 0);
    rlim_t cpu = (rlim_t)ceil(limit_s) + 2;
    lower_limit(RLIMIT_CPU, cpu, cpu + 2); /* SIGXCPU, then SIGKILL: if all else fails */
#ifndef NO_AS_LIMIT
    unsigned long long vm = mapped_bytes();
    if (vm > 0 && file_size < (1ull << 40)) {
        rlim_t as = (rlim_t)(vm + AS_BASE + 2 * file_size);
        lower_limit(RLIMIT_AS, as, as);
    }
#else
    (void)file_size;
#endif
    /* keep 0-2 and the pipe (as 3); close what else the parent had open */
    if (wfd != 3) {
        if (dup2(wfd, 3) < 0)
            return -1;
        if (wfd > 3)
            close(wfd);
    }
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 4u, ~0u, 0u) == 0)
        return 3;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 4; fd < max; fd++)
        close(fd);
    return 3;
}

/* Write all n bytes; 0, or -1 (the parent gave up: EPIPE). */
static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n < (1u << 20) ? n : (1u << 20));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* An open's answer: header, message (rc != 0), events (rc == 0). */
static int send_answer(int fd, int rc, const char *msg, const shd_state *st,
                       const myl_trace_meta *m)
{
    unsigned char h[A_HEAD];
    memset(h, 0, sizeof h);
    int32_t code = rc;
    uint32_t len = rc ? (uint32_t)strnlen(msg, MSG_CAP - 1) : 0, channels = rc ? 0 : m->channels;
    int64_t label = rc ? -1 : m->label;
    uint64_t n = rc ? 0 : st->n;
    memcpy(h, A_MAGIC, 8);
    memcpy(h + A_RC, &code, 4);
    memcpy(h + A_MSGLEN, &len, 4);
    memcpy(h + A_CHANNELS, &channels, 4);
    memcpy(h + A_LABEL, &label, 8);
    memcpy(h + A_N, &n, 8);
    if (!rc)
        memcpy(h + A_NAME, m->label_name, strnlen(m->label_name, 63));
    if (write_all(fd, h, sizeof h) || write_all(fd, msg, len))
        return -1;
    if (n && (write_all(fd, st->t, n * sizeof *st->t) || write_all(fd, st->x, n * sizeof *st->x)))
        return -1;
    return 0;
}

/* The child: only libhdf5, the allocator and the pipe, then _exit. */
static _Noreturn void child_main(int wfd, pid_t parent, double limit_s,
                                 unsigned long long file_size, int job, const char *path,
                                 int64_t sample)
{
    int fd = child_setup(wfd, parent, limit_s, file_size);
    if (fd < 0)
        _exit(CHILD_SETUP);
    if (job == JOB_PROBE) {
        char yes = probe_h5(path) ? '1' : '0';
        _exit(write_all(fd, &yes, 1) ? CHILD_PIPE : 0);
    }
    shd_state st = {0};
    myl_trace_meta m;
    memset(&m, 0, sizeof m);
    m.label = -1;
    char msg[MSG_CAP];
    int rc = read_sample(&st, path, sample, &m, msg);
    _exit(send_answer(fd, rc, msg, &st, &m) ? CHILD_PIPE : 0);
}

/* ---- the parent --------------------------------------------------------------------------- */

typedef struct child {
    pid_t pid;                   /* -1 for myl__shd_decode (no child) */
    int fd;                      /* the pipe's read end; -1 once closed */
    double limit;                /* the time limit [s] */
    double deadline;             /* CLOCK_MONOTONIC [s] */
    unsigned long long as_bytes; /* the child's address space beyond its start; 0: no limit */
    int timed_out;               /* the deadline passed */
    int killed;                  /* the parent killed it (deadline, or a malformed answer) */
    int eof;                     /* the pipe closed */
    int err;                     /* errno of a failed poll or read */
} child;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The time limit [s]: MYELIN_HDF5_TIMEOUT when it is a number in (0, 10^6], else 60. */
static double time_limit(void)
{
    const char *e = getenv("MYELIN_HDF5_TIMEOUT");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (*end == 0 && v > 0 && v <= 1e6)
            return v;
    }
    return TIMEOUT_S;
}

static int pipe_cloexec(int fd[2])
{
#ifdef __linux__
    return pipe2(fd, O_CLOEXEC);
#else
    if (pipe(fd) != 0)
        return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

/* Initialise libhdf5 here once, before the first fork: each child then starts from an
 * initialised library (H5open is a good part of a child's work otherwise). No file is involved.
 * Other threads wait until it is done, so that no child is forked while this thread holds
 * libhdf5's lock. */
static void h5_init_once(void)
{
    static atomic_int state; /* 0 not yet, 1 under way, 2 done */
    int expect = 0;
    if (atomic_compare_exchange_strong(&state, &expect, 1)) {
        H5open();
        atomic_store(&state, 2);
        return;
    }
    while (atomic_load(&state) != 2)
        sched_yield();
}

/* Fork a child doing job on path. 0, or an errno (nothing is left open then). */
static int child_start(child *k, const char *path, int job, int64_t sample)
{
    h5_init_once();
    memset(k, 0, sizeof *k);
    k->pid = -1;
    k->fd = -1;
    k->limit = time_limit();
    struct stat sb;
    unsigned long long size = stat(path, &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
#ifndef NO_AS_LIMIT
    k->as_bytes = AS_BASE + 2 * size;
#endif
    int p[2];
    if (pipe_cloexec(p) != 0)
        return errno;
    pid_t parent = getpid();
    k->deadline = mono_now() + k->limit;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return e;
    }
    if (pid == 0) {
        close(p[0]);
        child_main(p[1], parent, k->limit, size, job, path, sample);
    }
    close(p[1]);
    k->pid = pid;
    k->fd = p[0];
    return 0;
}

/* Read exactly n bytes of the answer before the deadline: 0, or -1 with k->eof, k->timed_out or
 * k->err saying why. */
static int child_read(child *k, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        double left = k->deadline - mono_now();
        if (left <= 0) {
            k->timed_out = 1;
            return -1;
        }
        struct pollfd pf = {.fd = k->fd, .events = POLLIN};
        int r = poll(&pf, 1, left > 3600 ? 3600 * 1000 : (int)ceil(left * 1000));
        if (r < 0 && errno != EINTR) {
            k->err = errno;
            return -1;
        }
        if (r <= 0)
            continue; /* interrupted, or the time is up: checked above */
        ssize_t got = read(k->fd, p, n < (1u << 20) ? n : (1u << 20));
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            k->err = errno;
            return -1;
        }
        if (got == 0) {
            k->eof = 1;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* After a whole answer: 1 at the end of the pipe, 0 when more bytes follow, -1 when the deadline
 * passed or reading failed. */
static int child_at_end(child *k)
{
    unsigned char b;
    if (child_read(k, &b, 1) == 0)
        return 0;
    return k->eof ? 1 : -1;
}

/* Close the pipe and reap the child, killing it first when kill_it (or when it outlives the
 * deadline). Returns its wait status, or -1 when there is none to have (no child, or another
 * part of the program reaped it). */
static int child_end(child *k, int kill_it)
{
    if (k->fd >= 0 && k->pid >= 0)
        close(k->fd);
    k->fd = -1;
    if (k->pid < 0)
        return -1;
    int status = -1;
    pid_t w;
    if (!kill_it) { /* it closed the pipe or is about to: give it until the deadline to exit */
        long nap = 50000; /* ns, doubling to 10 ms */
        for (;;) {
            w = waitpid(k->pid, &status, WNOHANG);
            if (w == k->pid)
                return status;
            if (w < 0 && errno != EINTR)
                return -1;
            if (mono_now() >= k->deadline)
                break;
            struct timespec ts = {0, nap};
            nanosleep(&ts, NULL);
            nap = nap < 5000000 ? nap * 2 : 10000000;
        }
        k->timed_out = 1;
    }
    kill(k->pid, SIGKILL);
    k->killed = 1;
    while ((w = waitpid(k->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    return w == k->pid ? status : -1;
}

enum { ANS_OK, ANS_ERROR, ANS_SHORT, ANS_BAD, ANS_NOMEM };

static int known_code(int32_t rc)
{
    return rc == MYL_EPARSE || rc == MYL_ERANGE || rc == MYL_ETOOBIG || rc == MYL_ENOMEM ||
           rc == MYL_EIO || rc == MYL_EINVAL;
}

/* Read and check an open's answer. ANS_OK: st and meta hold the sample. ANS_ERROR: the child's
 * own failure, *rc and msg. ANS_SHORT: cut short (k says how). ANS_BAD: malformed, *bad says
 * how. ANS_NOMEM: no memory here for the events. st is empty unless ANS_OK. */
static int receive(child *k, shd_state *st, myl_trace_meta *meta, int *rc, char *msg,
                   const char **bad)
{
    unsigned char h[A_HEAD];
    msg[0] = 0;
    if (child_read(k, h, sizeof h))
        return ANS_SHORT;
    int32_t code;
    uint32_t len, channels, zero;
    int64_t label;
    uint64_t n;
    memcpy(&code, h + A_RC, 4);
    memcpy(&len, h + A_MSGLEN, 4);
    memcpy(&channels, h + A_CHANNELS, 4);
    memcpy(&zero, h + A_ZERO, 4);
    memcpy(&label, h + A_LABEL, 8);
    memcpy(&n, h + A_N, 8);
    const char *name = (const char *)h + A_NAME;
    *bad = NULL;
    if (memcmp(h, A_MAGIC, 8) != 0)
        *bad = "no header";
    else if (zero != 0)
        *bad = "a reserved field is not 0";
    else if (code != 0 && (!known_code(code) || len >= MSG_CAP || channels || label != -1 || n))
        *bad = "an error answer that does not add up";
    else if (code == 0 && len != 0)
        *bad = "a message with a success";
    else if (code == 0 && n > MAX_SPIKES)
        *bad = "more spikes than the reader's limit";
    else if (code == 0 && (channels < 1 || channels > 65536))
        *bad = "a channel count outside 1..65536";
    else if (code == 0 && label < -1)
        *bad = "a label below -1";
    else if (code == 0 && (!memchr(name, 0, 64) || (label < 0 && name[0])))
        *bad = "a class name that does not add up";
    if (*bad)
        return ANS_BAD;

    if (code != 0) {
        if (child_read(k, msg, len))
            return ANS_SHORT;
        msg[len] = 0;
        for (uint32_t i = 0; i < len; i++)
            if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
                msg[i] = '?';
        int end = child_at_end(k);
        if (end <= 0) {
            *bad = end == 0 ? "bytes after the answer" : NULL;
            return end == 0 ? ANS_BAD : ANS_SHORT;
        }
        *rc = code;
        return ANS_ERROR;
    }

    if (n > 0) {
        st->t = myl_malloc(n * sizeof *st->t);
        st->x = myl_malloc(n * sizeof *st->x);
        if (!st->t || !st->x) {
            shd_close(st);
            return ANS_NOMEM;
        }
        if (child_read(k, st->t, n * sizeof *st->t) || child_read(k, st->x, n * sizeof *st->x)) {
            shd_close(st);
            return ANS_SHORT;
        }
        for (uint64_t j = 0; j < n && !*bad; j++)
            if (st->t[j] < 0 || st->t[j] > (int64_t)MAX_TIME_US)
                *bad = "a time outside 0..9e18 µs";
            else if (st->x[j] >= channels)
                *bad = "a unit beyond the channel count";
        st->n = (size_t)n;
    }
    int end = *bad ? 0 : child_at_end(k);
    if (end <= 0) {
        if (!*bad && end == 0)
            *bad = "bytes after the answer";
        shd_close(st);
        return *bad ? ANS_BAD : ANS_SHORT;
    }
    meta->channels = channels;
    meta->width = channels;
    meta->height = 1;
    meta->label = label;
    memcpy(meta->label_name, name, 64);
    return ANS_OK;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "segmentation fault";
    case SIGBUS:
        return "bus error";
    case SIGABRT:
        return "aborted";
    case SIGFPE:
        return "arithmetic exception";
    case SIGILL:
        return "illegal instruction";
    case SIGKILL:
        return "killed";
    case SIGXCPU:
        return "CPU time limit exceeded";
    case SIGTERM:
        return "terminated";
    case SIGINT:
        return "interrupted";
    default:
        return "signal";
    }
}

/* Why a child gave no usable answer (status from child_end; bad from receive), as a code and a
 * message without the path. */
static int failure(const child *k, int status, const char *bad, char *msg)
{
    static const char tail[] = "; the file is damaged or not an SHD/SSC file";
    if (k->timed_out) {
        snprintf(msg, MSG_CAP,
                 "libhdf5 did not finish reading it within %g s (MYELIN_HDF5_TIMEOUT sets the "
                 "limit)%s",
                 k->limit, tail);
        return MYL_EPARSE;
    }
    if (!k->killed && status != -1 && WIFSIGNALED(status)) {
        snprintf(msg, MSG_CAP, "libhdf5 crashed reading it (signal %d: %s)%s", WTERMSIG(status),
                 signal_name(WTERMSIG(status)), tail);
        return MYL_EPARSE;
    }
    if (!k->killed && status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(msg, MSG_CAP, "libhdf5 crashed reading it (its process exited with status %d)%s",
                 WEXITSTATUS(status), tail);
        return MYL_EPARSE;
    }
    if (k->err) {
        snprintf(msg, MSG_CAP, "cannot read the answer of libhdf5's process: %s", strerror(k->err));
        return MYL_EIO;
    }
    snprintf(msg, MSG_CAP, "libhdf5's process gave a malformed answer (%s)%s",
             bad ? bad : "cut short", tail);
    return MYL_EPARSE;
}

/* The outcome of an open: 0 with st and meta filled, or the error in d. */
static int conclude(const child *k, int ans, int status, int crc, char *msg, const char *bad,
                    const char *path, shd_state *st, myl_diag *d)
{
    int clean = status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (ans == ANS_NOMEM)
        return MYL_ENOMEM;
    if ((ans == ANS_OK || ans == ANS_ERROR) && clean && !k->timed_out && !k->killed) {
        if (ans == ANS_OK)
            return 0;
        if (msg[0])
            return myl_diag_fail(d, crc, "%s: %s", path, msg);
        if (crc == MYL_ENOMEM && k->as_bytes)
            return myl_diag_fail(d, crc,
                                 "%s: out of memory reading it (libhdf5's process may map "
                                 "%llu MiB beyond what it starts with)",
                                 path, k->as_bytes >> 20);
        return myl_diag_fail(d, crc, "%s: %s reading it", path, myl_strerror(crc));
    }
    shd_close(st);
    int rc = failure(k, status, ans == ANS_BAD ? bad : NULL, msg);
    return myl_diag_fail(d, rc, "%s: %s", path, msg);
}

int myl__shd_decode(int fd, const char *path, void *vst, myl_trace_meta *meta, myl_diag *d)
{
    shd_state *st = vst;
    if (fd < 0 || !path || !st || !meta)
        return MYL_EINVAL;
    child k;
    memset(&k, 0, sizeof k);
    k.pid = -1;
    k.fd = fd;
    k.limit = time_limit();
    k.deadline = mono_now() + k.limit;
    char msg[MSG_CAP];
    const char *bad = NULL;
    int crc = 0, ans = receive(&k, st, meta, &crc, msg, &bad);
    return conclude(&k, ans, 0, crc, msg, bad, path, st, d);
}

/* ---- probe's unfinished outcomes, for the open that follows ------------------------------- */

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_id;

static struct {
    int set;
    file_id id;
    double limit; /* the time limit it ran under [s] */
    double when;  /* when it ended (CLOCK_MONOTONIC) [s] */
    int rc;
    char msg[MSG_CAP];
} g_unfinished;
static atomic_flag g_unfinished_lock = ATOMIC_FLAG_INIT;

static void unfinished_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&g_unfinished_lock, memory_order_acquire))
        ;
}

static void unfinished_unlock(void)
{
    atomic_flag_clear_explicit(&g_unfinished_lock, memory_order_release);
}

static int file_identity(const char *path, file_id *id)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    memset(id, 0, sizeof *id);
    id->dev = sb.st_dev;
    id->ino = sb.st_ino;
    id->size = sb.st_size;
    id->mtime = sb.st_mtim;
    return 0;
}

static int same_file(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void unfinished_put(const char *path, double limit, int rc, const char *msg)
{
    file_id id;
    if (file_identity(path, &id) != 0)
        return;
    unfinished_lock();
    g_unfinished.set = 1;
    g_unfinished.id = id;
    g_unfinished.limit = limit;
    g_unfinished.when = mono_now();
    g_unfinished.rc = rc;
    snprintf(g_unfinished.msg, MSG_CAP, "%s", msg);
    unfinished_unlock();
}

/* A probe's unfinished outcome for this file, under the same time limit, within 10 s: its code
 * and message (taken: it is reported once), else 0. */
static int unfinished_take(const char *path, double limit, char *msg)
{
    file_id id;
    if (file_identity(path, &id) != 0)
        return 0;
    int rc = 0;
    unfinished_lock();
    if (g_unfinished.set && same_file(&g_unfinished.id, &id) && g_unfinished.limit == limit &&
        mono_now() - g_unfinished.when < 10) {
        rc = g_unfinished.rc;
        snprintf(msg, MSG_CAP, "%s", g_unfinished.msg);
        g_unfinished.set = 0;
    }
    unfinished_unlock();
    return rc;
}

/* ---- the entry points --------------------------------------------------------------------- */

int myl__shd_open_file(void *vst, const char *path, const myl_trace_opts *o, myl_trace_meta *meta,
                       myl_diag *d)
{
    shd_state *st = vst;
    if (!st || !path || !meta)
        return MYL_EINVAL;
    int rc = check_signature(path, d);
    if (rc)
        return rc;
    char msg[MSG_CAP];
    if ((rc = unfinished_take(path, time_limit(), msg)))
        return myl_diag_fail(d, rc, "%s: %s", path, msg);
    child k;
    if ((rc = child_start(&k, path, JOB_OPEN, o ? o->sample : 0)))
        return myl_diag_fail(d, rc == ENOMEM ? MYL_ENOMEM : MYL_EIO,
                             "%s: cannot start a process for libhdf5: %s", path, strerror(rc));
    const char *bad = NULL;
    int crc = 0, ans = receive(&k, st, meta, &crc, msg, &bad);
    int status = child_end(&k, ans == ANS_BAD || ans == ANS_NOMEM || k.timed_out || k.err);
    return conclude(&k, ans, status, crc, msg, bad, path, st, d);
}

/* 1 for an HDF5 file holding spikes/times or spikes/units (one of them is enough: the reader's
 * message then says which is missing), and for a file with the HDF5 signature that libhdf5
 * cannot open, crashes on or does not finish (damaged or cut short: the reader's message quotes
 * libhdf5's reason, where the stream formats could only say they do not know the bytes). 0 for
 * everything else, including HDF5 files of other kinds (NIR networks). */
int myl__shd_probe_file(const char *path)
{
    if (!path || has_signature(path) != 1)
        return 0; /* a cheap test first: most files are not HDF5 */
    child k;
    if (child_start(&k, path, JOB_PROBE, 0) != 0)
        return 1; /* cannot tell here: claimed, and the open says what is wrong */
    char yes = 0;
    int got = child_read(&k, &yes, 1) == 0, end = got ? child_at_end(&k) : -1;
    int status = child_end(&k, (got && end == 0) || k.timed_out || k.err);
    if (got && end == 1 && !k.timed_out && !k.killed &&
        (status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) &&
        (yes == '0' || yes == '1'))
        return yes == '1';
    char msg[MSG_CAP];
    int rc = failure(&k, status, got && end == 0 ? "bytes after the answer" : NULL, msg);
    unfinished_put(path, k.limit, rc, msg);
    return 1;
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
    const int64_t *t = st->t + st->next;
    const uint16_t *x = st->x + st->next;
    for (size_t j = 0; j < k; j++) {
        myl_event e = {0};
        e.t = t[j];
        e.x = x[j];
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
