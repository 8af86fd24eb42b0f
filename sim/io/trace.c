/* The trace registry: format names, detection from the first bytes, and the reader and writer
 * objects that wrap a format module's ops with a buffered byte window. */
#include "trace_internal.h"

#include "myelin/alloc.h"

#include <errno.h>
#include <string.h>

#define IN_BUF (1u << 20) /* read window: 1 MiB, whatever the file size */

static const char *const g_names[MYL_TRACE_FORMAT_COUNT] = {
    [MYL_TRACE_UNKNOWN] = "unknown", [MYL_TRACE_NATIVE] = "myelin", [MYL_TRACE_AEDAT2] = "aedat2",
    [MYL_TRACE_AEDAT3] = "aedat3",   [MYL_TRACE_AEDAT4] = "aedat4", [MYL_TRACE_EVT2] = "evt2",
    [MYL_TRACE_EVT3] = "evt3",       [MYL_TRACE_DAT] = "dat",       [MYL_TRACE_NMNIST] = "nmnist",
    [MYL_TRACE_SHD] = "shd",         [MYL_TRACE_CSV] = "csv",
};

const char *myl_trace_format_name(myl_trace_format f)
{
    return (unsigned)f < MYL_TRACE_FORMAT_COUNT ? g_names[f] : "?";
}

int myl_trace_format_from_name(const char *name, myl_trace_format *f)
{
    for (int i = 1; i < MYL_TRACE_FORMAT_COUNT; i++)
        if (strcmp(name, g_names[i]) == 0) {
            *f = (myl_trace_format)i;
            return 0;
        }
    if (strcmp(name, "native") == 0) {
        *f = MYL_TRACE_NATIVE;
        return 0;
    }
    return MYL_ENOTFOUND;
}

/* Modules present in this build (all of them in a complete one). */
static const myl_reader_ops *const g_readers[] = {
#ifdef MYL_HAVE_TRACE_NATIVE
    &myl__native_ops,
#endif
#ifdef MYL_HAVE_TRACE_AEDAT
    &myl__aedat2_ops, &myl__aedat3_ops, &myl__aedat4_ops,
#endif
#ifdef MYL_HAVE_TRACE_PROPHESEE
    &myl__evt2_ops, &myl__evt3_ops, &myl__dat_ops,
#endif
#ifdef MYL_HAVE_TRACE_NMNIST
    &myl__nmnist_ops,
#endif
#ifdef MYL_HAVE_TRACE_SHD
    &myl__shd_ops,
#endif
#ifdef MYL_HAVE_TRACE_CSV
    &myl__csv_ops,
#endif
    NULL};

static const myl_reader_ops *ops_for(myl_trace_format f)
{
    for (const myl_reader_ops *const *o = g_readers; *o; o++)
        if ((*o)->format == f)
            return *o;
    return NULL;
}

struct myl_reader {
    const myl_reader_ops *ops;
    myl_in in;
    int have_in;
    myl_bytes own; /* for myl_reader_open_file */
    int own_src;
    myl_trace_meta meta;
    void *st;
};

static void reader_free(myl_reader *r)
{
    if (!r)
        return;
    if (r->ops && r->ops->close && r->st)
        r->ops->close(r->st);
    myl_free(r->st);
    if (r->have_in)
        myl_in_release(&r->in);
    if (r->own_src)
        myl_bytes_close_file(&r->own);
    myl_free(r);
}

static int detect(myl_reader *r, myl_diag *d, const myl_reader_ops **out)
{
    /* 4 KiB is enough for every header's first line or magic */
    int rc = myl_in_need(&r->in, 4096, d);
    if (rc)
        return rc;
    const uint8_t *h = r->in.p;
    size_t n = (size_t)(r->in.end - r->in.p);
    const myl_reader_ops *best = NULL;
    int score = 0;
    for (const myl_reader_ops *const *o = g_readers; *o; o++) {
        if (!(*o)->probe)
            continue;
        int s = (*o)->probe(h, n);
        if (s > score)
            score = s, best = *o;
    }
    if (!best) {
        if (n == 0)
            return myl_diag_fail(d, MYL_EPARSE, "%s: empty: no events and no header",
                                 r->in.src->name);
        /* HDF5's signature, at byte 0 or after a user block of 512, 1024 or 2048 bytes */
        for (size_t off = 0; off <= 2048 && off + 8 <= n; off = off ? off * 2 : 512) {
            if (memcmp(h + off, "\x89HDF\r\n\x1a\n", 8) != 0)
                continue;
#ifdef MYL_HAVE_TRACE_SHD
            if (r->own_src) /* from a path: the SHD reader's probe found no spikes/ in it */
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%s: an HDF5 file, but not SHD/SSC (no spikes/times or "
                                     "spikes/units in it); myelin reads events from HDF5 only "
                                     "in that layout",
                                     r->in.src->name);
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: an HDF5 file: SHD/SSC files are read from a path, not a "
                                 "stream",
                                 r->in.src->name);
#else
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: an HDF5 file: this build of myelin reads no HDF5 events "
                                 "(SHD/SSC)",
                                 r->in.src->name);
#endif
        }
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 0: not an event stream myelin recognises (expected the "
                             "header of AEDAT 2/3.1/4, Prophesee EVT 2.0/3.0/.dat, N-MNIST .bin, "
                             "myelin's own format or CSV; give the format explicitly if the "
                             "file has no header)",
                             r->in.src->name);
    }
    *out = best;
    return 0;
}

static int reader_start(myl_reader *r, const myl_trace_opts *o, myl_diag *d)
{
    myl_trace_opts opts = {0};
    opts.csv_units = -1;
    if (o)
        opts = *o;
    const myl_reader_ops *ops = NULL;
    int rc;
    if (opts.format != MYL_TRACE_UNKNOWN) {
        ops = ops_for(opts.format);
        if (!ops)
            return myl_diag_fail(d, MYL_EINVAL, "format %s is not available in this build",
                                 myl_trace_format_name(opts.format));
    } else if ((rc = detect(r, d, &ops))) {
        return rc;
    }
    if (!ops->open)
        return myl_diag_fail(d, MYL_EINVAL, "%s: %s files are read from a path, not a stream",
                             r->in.src->name, ops->name);
    r->ops = ops;
    r->st = myl_calloc(1, ops->state_size ? ops->state_size : 1);
    if (!r->st)
        return MYL_ENOMEM;
    r->meta.format = ops->format;
    r->meta.label = -1;
    return ops->open(r->st, &r->in, &opts, &r->meta, d);
}

int myl_reader_open(myl_bytes *src, const myl_trace_opts *opts, myl_reader **out, myl_diag *d)
{
    if (!src || !out)
        return MYL_EINVAL;
    *out = NULL;
    myl_reader *r = myl_calloc(1, sizeof *r);
    if (!r)
        return MYL_ENOMEM;
    int rc = myl_in_init(&r->in, src, IN_BUF);
    if (rc) {
        myl_free(r);
        return rc;
    }
    r->have_in = 1;
    if ((rc = reader_start(r, opts, d))) {
        reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

#ifdef MYL_HAVE_TRACE_SHD
static int open_shd(const char *path, const myl_trace_opts *opts, myl_reader **out, myl_diag *d)
{
    myl_reader *r = myl_calloc(1, sizeof *r);
    if (!r)
        return MYL_ENOMEM;
    r->ops = &myl__shd_ops;
    r->st = myl_calloc(1, myl__shd_ops.state_size);
    if (!r->st) {
        myl_free(r);
        return MYL_ENOMEM;
    }
    r->meta.format = MYL_TRACE_SHD;
    r->meta.label = -1;
    myl_trace_opts o = {0};
    if (opts)
        o = *opts;
    int rc = myl__shd_open_file(r->st, path, &o, &r->meta, d);
    if (rc) {
        reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
#endif

int myl_reader_open_file(const char *path, const myl_trace_opts *opts, myl_reader **out,
                         myl_diag *d)
{
    if (!path || !out)
        return MYL_EINVAL;
    *out = NULL;
    int detect = !opts || opts->format == MYL_TRACE_UNKNOWN;
    long sig = -1; /* where the HDF5 signature is, when detecting */
#ifdef MYL_HAVE_TRACE_SHD
    /* HDF5 is not a stream: libhdf5 reads the file itself. A file that starts with HDF5's
     * signature is HDF5; one that has it only further on (after a user block) may as well be a
     * stream whose bytes happen to spell it, so the stream formats look at it first. */
    if (opts && opts->format == MYL_TRACE_SHD)
        return open_shd(path, opts, out, d);
    if (detect && (sig = myl__shd_signature(path)) == 0 && myl__shd_probe_file(path))
        return open_shd(path, opts, out, d);
#endif
    myl_reader *r = myl_calloc(1, sizeof *r);
    if (!r)
        return MYL_ENOMEM;
    int rc = myl_bytes_open_file(path, &r->own, d);
    if (rc) {
        myl_free(r);
        return rc;
    }
    r->own_src = 1;
    if ((rc = myl_in_init(&r->in, &r->own, IN_BUF))) {
        reader_free(r);
        return rc;
    }
    r->have_in = 1;
    if ((rc = reader_start(r, opts, d))) {
        int recognised = r->ops != NULL;
        reader_free(r);
#ifdef MYL_HAVE_TRACE_SHD
        if (detect && !recognised && sig > 0 && myl__shd_probe_file(path)) {
            myl_diag_clear(d);
            return open_shd(path, opts, out, d);
        }
#else
        (void)recognised, (void)sig, (void)detect;
#endif
        return rc;
    }
    *out = r;
    return 0;
}

int myl_reader_read(myl_reader *r, myl_event *ev, size_t cap, size_t *n, myl_diag *d)
{
    *n = 0;
    if (!r || !ev || cap == 0)
        return MYL_EINVAL;
    return r->ops->read(r->st, r->have_in ? &r->in : NULL, ev, cap, n, d);
}

const myl_trace_meta *myl_reader_meta(const myl_reader *r)
{
    return &r->meta;
}

void myl_reader_close(myl_reader *r)
{
    reader_free(r);
}

/* ---- writers ------------------------------------------------------------------------------ */

struct myl_writer {
    const myl__writer_ops *ops;
    FILE *f;
    char *path;
    void *st;
    int failed;
};

int myl_writer_open(const char *path, myl_trace_format fmt, const myl_trace_meta *meta,
                    myl_writer **out, myl_diag *d)
{
    if (!path || !out)
        return MYL_EINVAL;
    *out = NULL;
    const myl__writer_ops *ops = NULL;
#ifdef MYL_HAVE_TRACE_NATIVE
    if (fmt == MYL_TRACE_NATIVE)
        ops = &myl__native_writer_ops;
#endif
#ifdef MYL_HAVE_TRACE_CSV
    if (fmt == MYL_TRACE_CSV)
        ops = &myl__csv_writer_ops;
#endif
    if (!ops)
        return myl_diag_fail(d, MYL_EINVAL,
                             "%s: myelin writes traces as 'myelin' (native) or 'csv', not %s",
                             path, myl_trace_format_name(fmt));
    myl_writer *w = myl_calloc(1, sizeof *w);
    if (!w)
        return MYL_ENOMEM;
    w->ops = ops;
    w->st = myl_calloc(1, ops->state_size ? ops->state_size : 1);
    w->path = myl_strdup(path);
    if (!w->st || !w->path) {
        myl_free(w->st), myl_free(w->path), myl_free(w);
        return MYL_ENOMEM;
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        int rc = myl_diag_fail(d, MYL_EIO, "%s: cannot create: %s", path, strerror(errno));
        myl_free(w->st), myl_free(w->path), myl_free(w);
        return rc;
    }
    myl_trace_meta m = {0};
    m.label = -1;
    if (meta)
        m = *meta;
    int rc = ops->open(w->st, w->f, path, &m, d);
    if (rc) {
        fclose(w->f);
        remove(path);
        myl_free(w->st), myl_free(w->path), myl_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int myl_writer_write(myl_writer *w, const myl_event *ev, size_t n, myl_diag *d)
{
    if (!w)
        return MYL_EINVAL;
    int rc = w->ops->write(w->st, w->f, ev, n, d);
    if (rc)
        w->failed = 1;
    return rc;
}

int myl_writer_close(myl_writer *w, myl_diag *d)
{
    if (!w)
        return 0;
    int rc = w->ops->close(w->st, w->f, d);
    if (fclose(w->f) != 0 && !rc)
        rc = myl_diag_fail(d, MYL_EIO, "%s: write error: %s", w->path, strerror(errno));
    if (rc || w->failed)
        remove(w->path); /* never leave a partial trace that looks complete */
    myl_free(w->st);
    myl_free(w->path);
    myl_free(w);
    return rc;
}
