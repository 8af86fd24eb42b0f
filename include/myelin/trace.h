/* Event streams: recorded files and live byte streams from event cameras, silicon cochleas and
 * spike datasets, read as one sequence of address events.
 *
 * A reader pulls bytes from a myl_bytes source (a file, or a socket fed by the I/O thread) and
 * turns them into myl_event records, a bounded buffer at a time: no reader ever holds a whole
 * file, and memory stays bounded whatever the stream's length. The format is recognised from the
 * first bytes (magic numbers and header lines), or named by the caller.
 *
 * Conventions (those of the `tonic` library): t in microseconds as the file states it (absolute
 * or relative: the binding to ticks subtracts an origin); x, y the sensor address (for audio or
 * spike datasets, x is the channel and y is 0); p the polarity, 1 = ON / increase, 0 = OFF.
 * Readers report errors with the byte offset where the stream stopped making sense.
 */
#ifndef MYELIN_TRACE_H
#define MYELIN_TRACE_H

#include "myelin/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct myl_event {
    int64_t t;  /* microseconds */
    uint16_t x; /* column, or channel */
    uint16_t y; /* row (0 for channel streams) */
    uint8_t p;  /* polarity: 1 on, 0 off */
    uint8_t pad[3];
} myl_event;

typedef enum myl_trace_format {
    MYL_TRACE_UNKNOWN = 0,
    MYL_TRACE_NATIVE, /* myelin's own format (docs/trace-format.md) */
    MYL_TRACE_AEDAT2,
    MYL_TRACE_AEDAT3,
    MYL_TRACE_AEDAT4,
    MYL_TRACE_EVT2,
    MYL_TRACE_EVT3,
    MYL_TRACE_DAT,
    MYL_TRACE_NMNIST, /* N-MNIST / N-Caltech101 .bin */
    MYL_TRACE_SHD,    /* SHD / SSC HDF5 */
    MYL_TRACE_CSV,    /* t,x,y,p or t,unit text */
    MYL_TRACE_FORMAT_COUNT
} myl_trace_format;

const char *myl_trace_format_name(myl_trace_format f);
int myl_trace_format_from_name(const char *name, myl_trace_format *f);

/* ---- byte sources -------------------------------------------------------------------------- */

/* Where a reader's bytes come from. read() fills up to n bytes and sets *got; *got == 0 with
 * return 0 means end of stream. It may block (a socket waiting for data). offset counts the
 * bytes handed out so far, for messages. */
typedef struct myl_bytes {
    int (*read)(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d);
    void *ctx;
    const char *name; /* file path or stream address, for messages */
    uint64_t offset;
    void *mem[2];     /* room for myl_bytes_from_memory's cursor */
} myl_bytes;

/* A source reading bytes held in memory (which must outlive it); name is for messages. */
void myl_bytes_from_memory(const void *buf, size_t len, const char *name, myl_bytes *out);

/* A source reading a file with stdio. *out must be closed with myl_bytes_close_file. */
int myl_bytes_open_file(const char *path, myl_bytes *out, myl_diag *d);
void myl_bytes_close_file(myl_bytes *b);

/* Buffered pulls for readers: a window of up to `cap` bytes over a source, with exact offsets.
 * myl_in_need(in, n) makes at least n bytes available at in->p (fewer only at end of stream;
 * then in->end - in->p < n). */
typedef struct myl_in {
    myl_bytes *src;
    uint8_t *buf;
    size_t cap;
    const uint8_t *p, *end; /* unread bytes */
    uint64_t base;          /* stream offset of buf[0] */
    int eof;
} myl_in;

int myl_in_init(myl_in *in, myl_bytes *src, size_t cap);
void myl_in_release(myl_in *in);
int myl_in_need(myl_in *in, size_t n, myl_diag *d);
/* stream offset of the next unread byte */
static inline uint64_t myl_in_offset(const myl_in *in)
{
    return in->base + (uint64_t)(in->p - in->buf);
}

/* ---- readers ------------------------------------------------------------------------------- */

typedef struct myl_trace_opts {
    myl_trace_format format; /* MYL_TRACE_UNKNOWN: detect */
    int64_t sample;          /* SHD/SSC: which sample (>= 0) */
    int csv_units;           /* CSV: 1 if the columns are t,unit rather than t,x,y,p; -1 detect */
} myl_trace_opts;

/* What a reader knows once its header is read. */
typedef struct myl_trace_meta {
    myl_trace_format format;
    uint32_t width, height;  /* sensor size; 0 when the file does not say */
    uint32_t channels;       /* channel streams (SHD: 700); 0 for cameras */
    int64_t label;           /* dataset label of the sample, -1 if none */
    char label_name[64];     /* its class name when the file has one */
    char source[128];        /* camera or dataset named in the header, if any */
    int compressed;          /* AEDAT 4: 0 none, 1 LZ4, 2 LZ4 high, 3 ZSTD, 4 ZSTD high */
    char streams[128];       /* streams the file declares, e.g. "events imu triggers" */
} myl_trace_meta;

typedef struct myl_reader myl_reader;

/* Open a reader on src (which must outlive it). Reads the header; MYL_EPARSE with the byte
 * offset and what was expected if the bytes are not the format. */
int myl_reader_open(myl_bytes *src, const myl_trace_opts *opts, myl_reader **out, myl_diag *d);
/* Open a file: detects the format, and handles SHD (HDF5), which needs the file itself. */
int myl_reader_open_file(const char *path, const myl_trace_opts *opts, myl_reader **out,
                         myl_diag *d);
/* Up to cap events into ev; *n = 0 at the end of the stream. Events come in file order;
 * readers do not sort (a file whose timestamps go backwards is reported as it is). */
int myl_reader_read(myl_reader *r, myl_event *ev, size_t cap, size_t *n, myl_diag *d);
const myl_trace_meta *myl_reader_meta(const myl_reader *r);
void myl_reader_close(myl_reader *r);

/* What each format module provides (sim/io/trace_*.c). A reader's state follows this struct in
 * memory; `state_size` bytes are allocated and zeroed for it. */
typedef struct myl_reader_ops {
    myl_trace_format format;
    const char *name;
    size_t state_size;
    /* How sure is it that these first bytes are this format: 0 no, 1 maybe (e.g. text), 2
     * certain (a magic number). n may be short. */
    int (*probe)(const uint8_t *head, size_t n);
    /* Read the header from in; fill meta. */
    int (*open)(void *st, myl_in *in, const myl_trace_opts *o, myl_trace_meta *meta,
                myl_diag *d);
    int (*read)(void *st, myl_in *in, myl_event *ev, size_t cap, size_t *n, myl_diag *d);
    void (*close)(void *st);
} myl_reader_ops;

/* ---- writers ------------------------------------------------------------------------------- */

typedef struct myl_writer myl_writer;

/* Write events in myelin's native format (MYL_TRACE_NATIVE) or CSV (MYL_TRACE_CSV, t,x,y,p). */
int myl_writer_open(const char *path, myl_trace_format f, const myl_trace_meta *meta,
                    myl_writer **out, myl_diag *d);
int myl_writer_write(myl_writer *w, const myl_event *ev, size_t n, myl_diag *d);
/* Flush and close; MYL_EIO if anything failed to reach the file. */
int myl_writer_close(myl_writer *w, myl_diag *d);

#endif
