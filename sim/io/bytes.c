/* Byte sources and the buffered window readers pull through (see trace.h). */
#include "myelin/trace.h"

#include "myelin/alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct file_src {
    FILE *f;
    char *path;
} file_src;

static int file_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    file_src *fs = ctx;
    *got = fread(buf, 1, n, fs->f);
    if (*got < n && ferror(fs->f))
        return myl_diag_fail(d, MYL_EIO, "%s: read error: %s", fs->path, strerror(errno));
    return 0;
}

int myl_bytes_open_file(const char *path, myl_bytes *out, myl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0)
        return myl_diag_fail(d, MYL_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return myl_diag_fail(d, MYL_EIO, "%s: is a directory, not an event file", path);
    file_src *fs = myl_calloc(1, sizeof *fs);
    if (!fs || !(fs->path = myl_strdup(path))) {
        myl_free(fs);
        return MYL_ENOMEM;
    }
    fs->f = fopen(path, "rb");
    if (!fs->f) {
        int rc = myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
        myl_free(fs->path);
        myl_free(fs);
        return rc;
    }
    out->read = file_read;
    out->ctx = fs;
    out->name = fs->path;
    return 0;
}

void myl_bytes_close_file(myl_bytes *b)
{
    if (!b || !b->ctx)
        return;
    file_src *fs = b->ctx;
    fclose(fs->f);
    myl_free(fs->path);
    myl_free(fs);
    b->ctx = NULL;
}

typedef struct mem_src {
    const uint8_t *p;
    size_t left;
} mem_src;

static int mem_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    (void)d;
    mem_src *m = ctx;
    *got = n < m->left ? n : m->left;
    memcpy(buf, m->p, *got);
    m->p += *got;
    m->left -= *got;
    return 0;
}

void myl_bytes_from_memory(const void *buf, size_t len, const char *name, myl_bytes *out)
{
    /* the cursor lives in the caller's struct: the source needs no allocation */
    static_assert(sizeof(mem_src) <= sizeof out->mem, "room for the memory cursor");
    memset(out, 0, sizeof *out);
    mem_src *m = (mem_src *)(void *)out->mem;
    m->p = buf;
    m->left = len;
    out->read = mem_read;
    out->ctx = m;
    out->name = name;
}

int myl_in_init(myl_in *in, myl_bytes *src, size_t cap)
{
    memset(in, 0, sizeof *in);
    in->buf = myl_malloc(cap);
    if (!in->buf)
        return MYL_ENOMEM;
    in->src = src;
    in->cap = cap;
    in->p = in->end = in->buf;
    return 0;
}

void myl_in_release(myl_in *in)
{
    myl_free(in->buf);
    in->buf = NULL;
}

int myl_in_need(myl_in *in, size_t n, myl_diag *d)
{
    size_t have = (size_t)(in->end - in->p);
    if (have >= n || in->eof)
        return 0;
    if (n > in->cap)
        return myl_diag_fail(d, MYL_ETOOBIG, "%s: byte %llu: a record of %zu bytes is larger "
                                             "than the %zu-byte read buffer",
                             in->src->name, (unsigned long long)myl_in_offset(in), n, in->cap);
    /* slide what is left to the front, then fill */
    if (in->p != in->buf) {
        memmove(in->buf, in->p, have);
        in->base += (uint64_t)(in->p - in->buf);
        in->p = in->buf;
        in->end = in->buf + have;
    }
    while ((size_t)(in->end - in->p) < n) {
        size_t got = 0;
        size_t room = in->cap - (size_t)(in->end - in->buf);
        int rc = in->src->read(in->src->ctx, (uint8_t *)in->end, room, &got, d);
        if (rc)
            return rc;
        if (got == 0) {
            in->eof = 1;
            break;
        }
        in->end += got;
        in->src->offset += got;
    }
    return 0;
}
