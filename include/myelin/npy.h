/* NumPy .npy arrays: read and write.
 *
 * Weights, delays and recorded traces travel between myelin and Python as .npy files (format
 * versions 1.0, 2.0 and 3.0, see numpy.lib.format). Only plain numeric arrays are supported: bool,
 * int8..int64, uint8..uint64, float32 and float64, in C order, with up to 8 dimensions. Loaded
 * data is always in host byte order: big-endian ('>') files are byte-swapped on load, and '|'
 * and '=' mean the host's order, as they do in NumPy. Files written here are what np.save would
 * write for the same array (version 1.0, host byte order), byte for byte (checked against NumPy
 * 1.24).
 *
 * The reader treats every file as hostile: the header is parsed by a small hand-written parser of
 * the Python dict literal (no eval, never reading past the header), the shape's product is
 * checked for overflow, and the data size is checked against the file size before any data is
 * allocated, so a truncated file or a lying shape cannot cause a huge allocation.
 */
#ifndef MYELIN_NPY_H
#define MYELIN_NPY_H

#include "myelin/err.h"

#include <stddef.h>
#include <stdint.h>

#define MYL_NPY_MAXDIM 8
/* Largest data block the reader accepts or the writer produces [bytes]: 1 TiB. */
#define MYL_NPY_MAXBYTES ((uint64_t)1 << 40)

typedef enum myl_npy_dtype {
    MYL_NPY_BOOL, /* one byte, 0 or 1 (the reader maps any non-zero byte to 1) */
    MYL_NPY_I8,
    MYL_NPY_U8,
    MYL_NPY_I16,
    MYL_NPY_U16,
    MYL_NPY_I32,
    MYL_NPY_U32,
    MYL_NPY_I64,
    MYL_NPY_U64,
    MYL_NPY_F32,
    MYL_NPY_F64,
} myl_npy_dtype;

typedef struct myl_npy {
    myl_npy_dtype dtype;
    int ndim;                       /* 0 (scalar) .. MYL_NPY_MAXDIM */
    uint64_t shape[MYL_NPY_MAXDIM]; /* shape[0..ndim-1]; the rest are 0 */
    uint64_t count;                 /* product of shape (1 for a scalar) */
    size_t itemsize;                /* bytes per element */
    void *data; /* count * itemsize bytes, host byte order, C order; owned, never NULL after a
                   successful load (even when count is 0) */
} myl_npy;

/* Load the .npy file at path into *out, which is overwritten (release what it held first).
 * Returns 0, or: MYL_EINVAL (NULL path or out), MYL_EIO (cannot open or read, not a regular
 * file), MYL_EPARSE (not .npy, malformed header, unsupported dtype, Fortran order with more than
 * one dimension longer than 1, bytes after the data), MYL_ETOOBIG (the shape needs more bytes
 * than the file holds or than MYL_NPY_MAXBYTES, or a header over 1 MiB), MYL_ENOMEM. On failure
 * *out is zeroed and d (may be NULL) says which file, which byte or header field, and what was
 * expected. */
int myl_npy_load(const char *path, myl_npy *out, myl_diag *d);

/* As myl_npy_load, from the len bytes at buf (which are not kept). name stands for the file in
 * messages (NULL: "<memory>"). For fuzzing and tests. */
int myl_npy_load_mem(const void *buf, size_t len, const char *name, myl_npy *out, myl_diag *d);

/* Free a's data and zero it. Accepts NULL and zeroed structs. */
void myl_npy_release(myl_npy *a);

/* Element i (flat, C order) as a double; i must be < a->count. int64/uint64 values beyond 2^53
 * are rounded; bool is 0.0 or 1.0. */
double myl_npy_get(const myl_npy *a, uint64_t i);

/* 1 if a's dtype is an integer type or bool, 0 if floating point (or a is NULL). */
int myl_npy_is_integer(const myl_npy *a);

/* NumPy's name for t ("float32", "uint8", "bool", ...); "unknown" for values outside the enum. */
const char *myl_npy_dtype_name(myl_npy_dtype t);

/* Bytes per element of t; 0 for values outside the enum. */
size_t myl_npy_itemsize(myl_npy_dtype t);

/* Write an array to path (created or truncated): ndim dimensions (0..MYL_NPY_MAXDIM) given by
 * shape (may be NULL when ndim is 0), and the product-of-shape elements at data (host order, C
 * order; may be NULL when there are none). Writes format version 1.0, or 2.0 if the header
 * would not fit a 16-bit length. Returns 0, MYL_EINVAL (bad arguments), MYL_ETOOBIG (more than
 * MYL_NPY_MAXBYTES of data) or MYL_EIO (the partial file is removed); d names the file. */
int myl_npy_save(const char *path, myl_npy_dtype dtype, int ndim, const uint64_t *shape,
                 const void *data, myl_diag *d);

#endif
