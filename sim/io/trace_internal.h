/* Internal interface between the trace registry (trace.c) and the format modules
 * (trace_<format>.c): each module defines one myl_reader_ops per format it reads, and the
 * native and CSV modules also define writers. */
#ifndef MYL_TRACE_INTERNAL_H
#define MYL_TRACE_INTERNAL_H

#include "myelin/trace.h"

#include <stdio.h>

/* Readers. SHD (HDF5) reads the file through libhdf5 and provides open_file instead of open. */
extern const myl_reader_ops myl__native_ops;
extern const myl_reader_ops myl__aedat2_ops, myl__aedat3_ops, myl__aedat4_ops;
extern const myl_reader_ops myl__evt2_ops, myl__evt3_ops, myl__dat_ops;
extern const myl_reader_ops myl__nmnist_ops;
extern const myl_reader_ops myl__csv_ops;
extern const myl_reader_ops myl__shd_ops;

/* SHD: open from a path (HDF5 files are not streams). */
int myl__shd_open_file(void *st, const char *path, const myl_trace_opts *o,
                       myl_trace_meta *meta, myl_diag *d);
int myl__shd_probe_file(const char *path);
long myl__shd_signature(const char *path); /* its offset; -1 none; -2 unreadable */

/* Writers. */
typedef struct myl__writer_ops {
    size_t state_size;
    int (*open)(void *st, FILE *f, const char *path, const myl_trace_meta *m, myl_diag *d);
    int (*write)(void *st, FILE *f, const myl_event *ev, size_t n, myl_diag *d);
    int (*close)(void *st, FILE *f, myl_diag *d); /* flush what is buffered; not fclose */
} myl__writer_ops;

extern const myl__writer_ops myl__native_writer_ops, myl__csv_writer_ops;

#endif
