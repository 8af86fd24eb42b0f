/* Benchmark: decoding event streams, and what replaying a file costs a run.
 *
 * Decode. A synthetic camera stream (clusters of 1-24 events along a row, at one time stamp and
 * polarity, as a moving edge makes them; about 5 events per microsecond, 10 s for 50 M events)
 * is written in every format myelin reads at speed: myelin's own format and CSV with
 * myl_writer; Prophesee EVT 2.0 and EVT 3.0, N-MNIST .bin and AEDAT 4.0 (uncompressed and LZ4)
 * with the small writers below, made from the byte layouts in ../shared/reference/formats.md.
 * Each file is read back once with myelin's reader and every event is compared with the
 * generator's (a writer that the reader disagrees with stops the benchmark); that pass also
 * puts the file in the page cache. Then each file is decoded REPS times with myl_reader_read
 * (one thread, a 65,536-event buffer, as replay uses) and the best time is reported, in thread
 * CPU time and wall time, with the spread; a plain fread of the same file through a 1 MiB
 * buffer gives the floor that copying the bytes out of the page cache sets.
 *
 * Replay. A DVS128-sized recording (128 x 128, about 1 M events per second) is written in
 * myelin's format and as EVT 3.0, and the network bench/networks/replay-file.yaml is run over
 * it (event engine) three ways, interleaved, REPS times each: with the spikes held in memory as
 * (tick, neuron) pairs and injected with myl_sim_inject, which is what a replay does once an
 * event is decoded; and replaying each file with myl_replay_tick. The runs must give the same
 * spikes; the difference in loop time is what reading and decoding the file adds. The same
 * spikes are also written as .npy arrays (replay-neurons.npy, replay-ticks.npy) and the tick
 * count as replay.ticks, for bench/run's `myelin run` of replay-file.yaml against replay-mem.yaml
 * (a spike_times source).
 *
 *   bench-trace            50 M events per binary format (10 M for CSV), 10 M replayed, 5 reps
 *   bench-trace --quick    5 M events (1 M CSV), 2 M replayed, 3 reps: about a minute
 *   options: --events N, --reps N, --dir DIR (default bench/out/trace in the source tree),
 *            --net FILE (the replay network), --no-replay, --no-decode, --keep (keep the files)
 *
 * It prints figures and asserts nothing about time. Files take about 2.5 GB at the default size.
 */
#include "myelin/cnet.h"
#include "myelin/err.h"
#include "myelin/netfile.h"
#include "myelin/npy.h"
#include "myelin/replay.h"
#include "myelin/sim.h"
#include "myelin/trace.h"
#include "myl_config.h"

#include <lz4frame.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench-trace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_FAILURE);
}

static void check(int rc, const myl_diag *d, const char *what)
{
    if (rc)
        die("%s: %s (%s)", what, d && d->set ? d->msg : myl_strerror(rc), myl_err_name(rc));
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of this thread (user + system) and wall time, together. */
typedef struct stamp {
    double cpu, wall;
} stamp;

static stamp now(void)
{
    return (stamp){clock_s(CLOCK_THREAD_CPUTIME_ID), clock_s(CLOCK_MONOTONIC)};
}

static stamp since(stamp a)
{
    stamp b = now();
    return (stamp){b.cpu - a.cpu, b.wall - a.wall};
}

/* Best, worst of REPS samples (of one kind: cpu or wall). */
typedef struct spread {
    double best, worst;
} spread;

static void spread_add(spread *s, double v, int first)
{
    if (first || v < s->best)
        s->best = v;
    if (first || v > s->worst)
        s->worst = v;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void wr(FILE *f, const void *p, size_t n, const char *path)
{
    if (fwrite(p, 1, n, f) != n)
        die("%s: write failed: %s", path, strerror(errno));
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* ---- the synthetic camera ------------------------------------------------------------------ */

/* Events in clusters: a cluster is a run of 1-24 events (3 on average) along one row, at one
 * time stamp and polarity, x stepping by 1 (or 2, one time in four), as an edge crossing a
 * row of pixels makes them. Clusters start at a random pixel; time advances between clusters so
 * that the stream carries `rate` events per microsecond on average. Deterministic for a seed:
 * the checks regenerate the stream rather than hold it. */
typedef struct gen {
    uint64_t s;
    uint32_t w, h;
    uint64_t adv_whole; /* µs between clusters: adv_whole + (1 with probability adv_frac) */
    double adv_frac;
    int64_t t;
    uint32_t left, x, y;
    uint8_t p;
} gen;

static uint64_t rnd(gen *g) /* splitmix64 */
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void gen_init(gen *g, uint64_t seed, uint32_t w, uint32_t h, double rate)
{
    memset(g, 0, sizeof *g);
    g->s = seed;
    g->w = w;
    g->h = h;
    double adv = 3.0 / rate; /* 3 events a cluster */
    g->adv_whole = (uint64_t)adv;
    g->adv_frac = adv - (double)g->adv_whole;
    g->t = -1; /* the first cluster starts at t = 0 */
}

static void gen_next(gen *g, myl_event *e)
{
    if (g->left == 0 || g->x >= g->w) {
        if (g->t < 0)
            g->t = 0;
        else
            g->t += (int64_t)g->adv_whole + ((double)(rnd(g) >> 11) * 0x1p-53 < g->adv_frac);
        uint64_t r = rnd(g);
        g->y = (uint32_t)((r & 0xFFFFFFFF) % g->h);
        g->x = (uint32_t)((r >> 32) % g->w);
        g->p = (uint8_t)(rnd(g) & 1);
        g->left = 1;
        while (g->left < 24 && rnd(g) % 3 != 0)
            g->left++;
    }
    memset(e, 0, sizeof *e);
    e->t = g->t;
    e->x = (uint16_t)g->x;
    e->y = (uint16_t)g->y;
    e->p = g->p;
    g->left--;
    g->x += 1 + (rnd(g) % 4 == 0);
}

/* ---- writers ------------------------------------------------------------------------------- */

/* Every writer takes events in time order, a chunk at a time, and finishes on close. */
typedef struct writer writer;
struct writer {
    FILE *f;
    const char *path;
    uint8_t *buf; /* staging for word formats */
    size_t n, cap;
    /* EVT 2.0 / 3.0 */
    int synced;
    uint64_t hi;      /* EVT 2.0: t >> 6 of the last TIME_HIGH; EVT 3.0: t >> 12 */
    uint32_t lo;      /* EVT 3.0: TIME_LOW in force */
    uint32_t y;       /* EVT 3.0: row in force, UINT32_MAX before the first ADDR_Y */
    myl_event grp[64]; /* EVT 3.0: a run of events at one (t, y, p) with x rising */
    size_t ngrp;
    /* N-MNIST */
    int64_t toff;
    uint64_t markers;
    /* AEDAT 4.0 */
    int lz4;
    myl_event *pk; /* events of the packet being collected */
    size_t npk;
    uint8_t *fb, *z; /* its flatbuffer; the compressed frame */
    size_t zcap;
    uint64_t packets;
    /* native, CSV */
    myl_writer *mw;
    void (*put)(writer *w, const myl_event *ev, size_t n);
    void (*close)(writer *w);
};

static void stage(writer *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        wr(w->f, w->buf, w->n, w->path);
        w->n = 0;
    }
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static void stage_flush(writer *w)
{
    wr(w->f, w->buf, w->n, w->path);
    w->n = 0;
}

static void word32(writer *w, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    stage(w, b, 4);
}

static void word16(writer *w, uint32_t v)
{
    uint8_t b[2];
    put16(b, v);
    stage(w, b, 2);
}

/* EVT 2.0: 32-bit words, type in bits 31-28. A TIME_HIGH (type 8, time bits 33-6) whenever
 * those bits change; then one CD word per event: type 0 (off) or 1 (on), time bits 5-0 in
 * 27-22, x in 21-11, y in 10-0. */
static void evt2_put(writer *w, const myl_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const myl_event *e = &ev[i];
        uint64_t hi = (uint64_t)e->t >> 6;
        if (!w->synced || hi != w->hi) {
            word32(w, 0x8u << 28 | (uint32_t)(hi & 0x0FFFFFFF));
            w->hi = hi;
            w->synced = 1;
        }
        word32(w, (uint32_t)(e->p ? 1 : 0) << 28 | (uint32_t)(e->t & 63) << 22 |
                      (uint32_t)e->x << 11 | e->y);
    }
}

/* EVT 3.0: 16-bit words, type in bits 15-12, stateful. Time is TIME_HIGH (type 8, time bits
 * 23-12; it resets TIME_LOW to 0) and TIME_LOW (type 6, bits 11-0), written when they change;
 * the row is ADDR_Y (type 0), written when it changes. A lone event is ADDR_X (type 2,
 * polarity bit 11, x); a run of events at one (t, y, p) whose x rise by less than 12 is a
 * VECT_BASE_X (type 3, polarity, first x) and validity masks, VECT_12 (type 4) for the next 12
 * pixels or VECT_8 (type 5) for the next 8 when the rest fit in 8. The 24-bit time loops every
 * 2^24 µs; the reader counts a loop when TIME_HIGH goes back, which it does here exactly then. */
static void evt3_group(writer *w)
{
    if (w->ngrp == 0)
        return;
    const myl_event *g = w->grp;
    uint64_t hi = (uint64_t)g[0].t >> 12;
    uint32_t lo = (uint32_t)g[0].t & 0xFFF;
    if (!w->synced || hi != w->hi) {
        word16(w, 0x8u << 12 | (uint32_t)(hi & 0xFFF));
        w->hi = hi;
        w->lo = 0;
        w->synced = 1;
    }
    if (lo != w->lo) {
        word16(w, 0x6u << 12 | lo);
        w->lo = lo;
    }
    if (g[0].y != w->y) {
        word16(w, g[0].y);
        w->y = g[0].y;
    }
    uint32_t pol = g[0].p ? 1u << 11 : 0;
    if (w->ngrp == 1) {
        word16(w, 0x2u << 12 | pol | g[0].x);
    } else {
        uint32_t base = g[0].x;
        word16(w, 0x3u << 12 | pol | base);
        size_t i = 0;
        while (i < w->ngrp) {
            int eight = g[w->ngrp - 1].x < base + 8;
            uint32_t span = eight ? 8 : 12, mask = 0;
            while (i < w->ngrp && g[i].x < base + span)
                mask |= 1u << (g[i++].x - base);
            word16(w, (eight ? 0x5u : 0x4u) << 12 | mask);
            base += span;
        }
    }
    w->ngrp = 0;
}

static void evt3_put(writer *w, const myl_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const myl_event *e = &ev[i], *l = &w->grp[w->ngrp ? w->ngrp - 1 : 0];
        if (w->ngrp &&
            !(w->ngrp < sizeof w->grp / sizeof w->grp[0] && e->t == l->t && e->y == l->y &&
              e->p == l->p && e->x > l->x && e->x - l->x < 12))
            evt3_group(w);
        w->grp[w->ngrp++] = *e;
    }
}

static void evt3_close(writer *w)
{
    evt3_group(w);
}

/* N-MNIST .bin: 5 bytes an event, x, y, polarity (bit 7) with time bits 22-16, time bits 15-0
 * big-endian. Times past 2^23 µs are reached with overflow markers (y = 240), each adding 2^13
 * µs to every later time stamp: one marker whenever the stored time would not fit. */
static void nmnist_put(writer *w, const myl_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const myl_event *e = &ev[i];
        while (e->t - w->toff >= (1 << 23)) {
            static const uint8_t marker[5] = {0, 240, 0, 0, 0};
            stage(w, marker, 5);
            w->toff += 1 << 13;
            w->markers++;
        }
        uint32_t t = (uint32_t)(e->t - w->toff);
        uint8_t b[5] = {(uint8_t)e->x, (uint8_t)e->y,
                        (uint8_t)((e->p ? 0x80 : 0) | ((t >> 16) & 0x7F)), (uint8_t)(t >> 8),
                        (uint8_t)t};
        stage(w, b, 5);
    }
}

/* AEDAT 4.0 (iniVation DV). The file: the magic "#!AER-DAT4.0\r\n", the IOHeader's size (u32)
 * and the IOHeader, a flatbuffer table {compression: i32, dataTablePosition: i64 (-1: no file
 * table), infoNode: string}, the string being DV's XML description of the streams (one, id 0,
 * typeIdentifier EVTS, sizeX/sizeY). Then packets: i32 stream id, i32 payload size, payload =
 * one LZ4 frame (or the bytes themselves when uncompressed) holding a size-prefixed EventPacket
 * flatbuffer (identifier "EVTS"): a table whose field 0 is a vector of 16-byte structs {i64 t,
 * i16 x, i16 y, bool on, 3 bytes padding}. Packets of PK_EVENTS events, as DV writes them as
 * they come from the camera. */
enum { PK_EVENTS = 8192 };

static void a4_header(writer *w, uint32_t width, uint32_t height)
{
    char xml[1024];
    int xn = snprintf(
        xml, sizeof xml,
        "<dv version=\"2.0\"><node name=\"outInfo\" path=\"/mainloop/Recorder/outInfo/\">"
        "<node name=\"0\" path=\"/mainloop/Recorder/outInfo/0/\">"
        "<attr key=\"compression\" type=\"string\">%s</attr>"
        "<attr key=\"originalModuleName\" type=\"string\">capture</attr>"
        "<attr key=\"originalOutputName\" type=\"string\">events</attr>"
        "<attr key=\"typeDescription\" type=\"string\">Array of events (polarity ON/OFF).</attr>"
        "<attr key=\"typeIdentifier\" type=\"string\">EVTS</attr>"
        "<node name=\"info\" path=\"/mainloop/Recorder/outInfo/0/info/\">"
        "<attr key=\"sizeX\" type=\"int\">%u</attr><attr key=\"sizeY\" type=\"int\">%u</attr>"
        "<attr key=\"source\" type=\"string\">bench-trace</attr>"
        "</node></node></node></dv>",
        w->lz4 ? "LZ4" : "NONE", width, height);
    /* flatbuffer: [0] root offset 20, [4] "IOHE", [8] vtable {10 bytes, table 20 bytes,
     * fields at +4, +8, +16}, [20] table {soffset 12, compression, pad, dataTablePosition,
     * infoNode uoffset}, [40] string {length, bytes, NUL}, padded to 4 */
    size_t len = 40 + 4 + (size_t)xn + 1;
    len = (len + 3) & ~(size_t)3;
    uint8_t *fb = calloc(1, len);
    if (!fb)
        die("out of memory");
    put32(fb, 20);
    memcpy(fb + 4, "IOHE", 4);
    put16(fb + 8, 10), put16(fb + 10, 20), put16(fb + 12, 4), put16(fb + 14, 8);
    put16(fb + 16, 16);
    put32(fb + 20, 12);
    put32(fb + 24, w->lz4 ? 1 : 0);
    put64(fb + 28, (uint64_t)-1);
    put32(fb + 36, 4);
    put32(fb + 40, (uint32_t)xn);
    memcpy(fb + 44, xml, (size_t)xn);
    uint8_t head[18];
    memcpy(head, "#!AER-DAT4.0\r\n", 14);
    put32(head + 14, (uint32_t)len);
    wr(w->f, head, sizeof head, w->path);
    wr(w->f, fb, len, w->path);
    free(fb);
}

static void a4_packet(writer *w)
{
    if (w->npk == 0)
        return;
    /* size prefix, then the flatbuffer: [0] root offset 16, [4] "EVTS", [8] vtable {6 bytes,
     * table 8 bytes, field 0 at +4}, [16] table {soffset 8, uoffset to the vector}, [28]
     * vector length, [32] the events */
    size_t fbn = 32 + 16 * w->npk;
    uint8_t *b = w->fb;
    memset(b, 0, 4 + 32);
    put32(b, (uint32_t)fbn);
    uint8_t *fb = b + 4;
    put32(fb, 16);
    memcpy(fb + 4, "EVTS", 4);
    put16(fb + 8, 6), put16(fb + 10, 8), put16(fb + 12, 4);
    put32(fb + 16, 8);
    put32(fb + 20, 8);
    put32(fb + 28, (uint32_t)w->npk);
    for (size_t i = 0; i < w->npk; i++) {
        uint8_t *s = fb + 32 + 16 * i;
        put64(s, (uint64_t)w->pk[i].t);
        put16(s + 8, w->pk[i].x);
        put16(s + 10, w->pk[i].y);
        s[12] = w->pk[i].p ? 1 : 0;
        s[13] = s[14] = s[15] = 0;
    }
    const uint8_t *payload = b;
    size_t pn = 4 + fbn;
    if (w->lz4) {
        size_t zn = LZ4F_compressFrame(w->z, w->zcap, b, pn, NULL);
        if (LZ4F_isError(zn))
            die("LZ4F_compressFrame: %s", LZ4F_getErrorName(zn));
        payload = w->z;
        pn = zn;
    }
    uint8_t h[8];
    put32(h, 0);
    put32(h + 4, (uint32_t)pn);
    wr(w->f, h, 8, w->path);
    wr(w->f, payload, pn, w->path);
    w->npk = 0;
    w->packets++;
}

static void a4_put(writer *w, const myl_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        w->pk[w->npk++] = ev[i];
        if (w->npk == PK_EVENTS)
            a4_packet(w);
    }
}

static void a4_close(writer *w)
{
    a4_packet(w);
}

static void mw_put(writer *w, const myl_event *ev, size_t n)
{
    myl_diag d = {0};
    check(myl_writer_write(w->mw, ev, n, &d), &d, w->path);
}

static void mw_close(writer *w)
{
    myl_diag d = {0};
    check(myl_writer_close(w->mw, &d), &d, w->path);
    w->mw = NULL;
}

/* The formats benchmarked, each with the sensor its files come from. */
typedef struct fmt {
    const char *name;  /* as printed */
    const char *file;  /* file name */
    myl_trace_format format;
    int named;         /* the reader is told the format (N-MNIST has no header) */
    uint32_t w, h;
    int lz4;           /* AEDAT 4.0 */
    uint64_t events;   /* to write */
} fmt;

static void writer_open(writer *w, const fmt *f, const char *path)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->y = UINT32_MAX;
    if (f->format == MYL_TRACE_NATIVE || f->format == MYL_TRACE_CSV) {
        myl_trace_meta m = {0};
        m.width = f->w;
        m.height = f->h;
        m.label = -1;
        myl_diag d = {0};
        check(myl_writer_open(path, f->format, &m, &w->mw, &d), &d, path);
        w->put = mw_put;
        w->close = mw_close;
        return;
    }
    w->f = fopen(path, "wb");
    if (!w->f)
        die("%s: cannot create: %s", path, strerror(errno));
    w->cap = 1 << 20;
    w->buf = malloc(w->cap);
    if (!w->buf)
        die("out of memory");
    char hdr[160];
    switch (f->format) {
    case MYL_TRACE_EVT2:
        snprintf(hdr, sizeof hdr, "%% evt 2.0\n%% format EVT2;height=%u;width=%u\n%% end\n", f->h,
                 f->w);
        stage(w, hdr, strlen(hdr));
        w->put = evt2_put;
        break;
    case MYL_TRACE_EVT3:
        snprintf(hdr, sizeof hdr, "%% evt 3.0\n%% format EVT3;height=%u;width=%u\n%% end\n", f->h,
                 f->w);
        stage(w, hdr, strlen(hdr));
        w->put = evt3_put;
        w->close = evt3_close;
        break;
    case MYL_TRACE_NMNIST:
        w->put = nmnist_put;
        break;
    case MYL_TRACE_AEDAT4:
        w->lz4 = f->lz4;
        stage_flush(w);
        a4_header(w, f->w, f->h);
        w->pk = malloc(PK_EVENTS * sizeof *w->pk);
        w->fb = malloc(4 + 32 + 16 * PK_EVENTS);
        w->zcap = LZ4F_compressFrameBound(4 + 32 + 16 * PK_EVENTS, NULL);
        w->z = malloc(w->zcap);
        if (!w->pk || !w->fb || !w->z)
            die("out of memory");
        w->put = a4_put;
        w->close = a4_close;
        break;
    default:
        die("no writer for %s", myl_trace_format_name(f->format));
    }
}

static void writer_close(writer *w)
{
    if (w->close)
        w->close(w);
    if (w->f) {
        stage_flush(w);
        if (fclose(w->f) != 0)
            die("%s: write failed: %s", w->path, strerror(errno));
    }
    free(w->buf);
    free(w->pk);
    free(w->fb);
    free(w->z);
}

enum { CHUNK = 65536 }; /* events per read call, as replay reads them */

/* Write f's file: f->events events of the generator seeded with `seed`. */
static void write_file(const fmt *f, const char *path, uint64_t seed, double rate)
{
    gen g;
    gen_init(&g, seed, f->w, f->h, rate);
    writer w;
    writer_open(&w, f, path);
    myl_event *ev = malloc(CHUNK * sizeof *ev);
    if (!ev)
        die("out of memory");
    for (uint64_t done = 0; done < f->events;) {
        size_t k = f->events - done < CHUNK ? (size_t)(f->events - done) : CHUNK;
        for (size_t i = 0; i < k; i++)
            gen_next(&g, &ev[i]);
        w.put(&w, ev, k);
        done += k;
    }
    writer_close(&w);
    free(ev);
}

static myl_reader *open_reader(const fmt *f, const char *path)
{
    myl_trace_opts o = {0};
    o.csv_units = -1;
    if (f->named)
        o.format = f->format;
    myl_reader *r = NULL;
    myl_diag d = {0};
    check(myl_reader_open_file(path, &o, &r, &d), &d, path);
    if (myl_reader_meta(r)->format != f->format)
        die("%s: read as %s, written as %s", path,
            myl_trace_format_name(myl_reader_meta(r)->format), myl_trace_format_name(f->format));
    return r;
}

/* Read the file back and compare every event with the generator's. */
static void verify(const fmt *f, const char *path, uint64_t seed, double rate, myl_event *buf)
{
    gen g;
    gen_init(&g, seed, f->w, f->h, rate);
    myl_reader *r = open_reader(f, path);
    uint64_t k = 0;
    for (;;) {
        size_t n;
        myl_diag d = {0};
        check(myl_reader_read(r, buf, CHUNK, &n, &d), &d, path);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++, k++) {
            myl_event e;
            gen_next(&g, &e);
            const myl_event *x = &buf[i];
            if (k >= f->events || x->t != e.t || x->x != e.x || x->y != e.y || x->p != e.p)
                die("%s: event %llu reads as (t %lld, x %u, y %u, p %u); written as (t %lld, "
                    "x %u, y %u, p %u)",
                    path, (unsigned long long)k, (long long)x->t, x->x, x->y, x->p,
                    (long long)e.t, e.x, e.y, e.p);
        }
    }
    if (k != f->events)
        die("%s: %llu events read back; %llu written", path, (unsigned long long)k,
            (unsigned long long)f->events);
    myl_reader_close(r);
}

/* One timed decode of the whole file; returns the events read. */
static uint64_t decode_once(const fmt *f, const char *path, myl_event *buf, stamp *took)
{
    stamp t0 = now();
    myl_reader *r = open_reader(f, path);
    uint64_t k = 0;
    for (;;) {
        size_t n;
        myl_diag d = {0};
        check(myl_reader_read(r, buf, CHUNK, &n, &d), &d, path);
        if (n == 0)
            break;
        k += n;
    }
    myl_reader_close(r);
    *took = since(t0);
    return k;
}

/* The floor: the file's bytes copied out of the page cache through a 1 MiB buffer. */
static void fread_once(const char *path, uint8_t *buf, stamp *took)
{
    stamp t0 = now();
    FILE *fp = fopen(path, "rb");
    if (!fp)
        die("%s: %s", path, strerror(errno));
    setvbuf(fp, NULL, _IONBF, 0);
    while (fread(buf, 1, 1 << 20, fp) > 0)
        ;
    fclose(fp);
    *took = since(t0);
}

/* Real recordings (../shared/data, when present): each is small, so it is decoded over and over,
 * N times in a batch, and the best of `reps` batches is reported. Skipped when absent. */
static void decode_samples(const char *dir, int reps, myl_event *buf)
{
    static const struct {
        const char *file, *what;
        myl_trace_format format;
    } smp[] = {
        {"prophesee/expelliarmus_evt2_sample.raw", "EVT 2.0, Gen3 640x480", MYL_TRACE_EVT2},
        {"prophesee/expelliarmus_evt3_sample.raw", "EVT 3.0, Gen4.1 1280x720", MYL_TRACE_EVT3},
        {"nmnist/tonic_sample_nmnist.bin", "N-MNIST, one sample", MYL_TRACE_NMNIST},
        {"aedat4/tonic_sample.aedat4", "AEDAT 4.0 LZ4, DVXplorer", MYL_TRACE_AEDAT4},
    };
    int header = 0;
    for (size_t i = 0; i < sizeof smp / sizeof smp[0]; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, smp[i].file);
        if (file_size(path) == 0)
            continue;
        fmt f = {smp[i].what, smp[i].file, smp[i].format, 1, 0, 0, 0, 0};
        stamp t;
        uint64_t n = decode_once(&f, path, buf, &t); /* also warms the page cache */
        if (n == 0)
            continue;
        uint64_t times = 20000000 / n + 1; /* about 20 M events a batch */
        spread cpu = {0};
        for (int k = 0; k < reps; k++) {
            stamp t0 = now();
            for (uint64_t j = 0; j < times; j++)
                decode_once(&f, path, buf, &t);
            spread_add(&cpu, since(t0).cpu, k == 0);
        }
        if (!header)
            printf("real recordings (%s), each decoded over and over, about 20 M events a "
                   "batch, best of %d:\n",
                   dir, reps);
        header = 1;
        printf("  %-28s %9llu events %6.2f B/event %8.1f Mev/s cpu (spread %.0f%%)\n",
               smp[i].what, (unsigned long long)n, (double)file_size(path) / (double)n,
               (double)(n * times) / cpu.best / 1e6, 100.0 * (cpu.worst / cpu.best - 1));
    }
    if (header)
        printf("\n");
}

/* ---- replay ------------------------------------------------------------------------------- */

typedef struct spikes_mem {
    uint32_t *tick, *gid; /* per event, in stream order */
    uint64_t n;
    uint64_t ticks; /* last tick + 1 */
} spikes_mem;

typedef struct run_out {
    uint64_t spikes, syn_events, hash;
    stamp took;
} run_out;

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 33);
}

static void account(run_out *o, const myl_tick_report *r)
{
    o->spikes += r->spikes;
    o->syn_events += r->syn_events;
    for (uint32_t i = 0; i < r->nspiking; i++)
        o->hash = mix(o->hash, (uint64_t)r->tick << 32 | r->spike[i]);
}

/* The run with the input held in memory: each tick, inject that tick's (neuron) entries. */
static run_out run_mem(const myl_cnet *cn, const spikes_mem *m)
{
    run_out o = {0};
    myl_sim *sim = NULL;
    check(myl_sim_new(cn, MYL_ENGINE_EVENT, &sim), NULL, "myl_sim_new");
    myl_tick_report r;
    uint64_t k = 0;
    stamp t0 = now();
    for (uint64_t t = 0; t < m->ticks; t++) {
        for (; k < m->n && m->tick[k] == t; k++)
            check(myl_sim_inject(sim, m->gid[k], 1), NULL, "myl_sim_inject");
        check(myl_sim_step(sim, &r), NULL, "myl_sim_step");
        account(&o, &r);
    }
    o.took = since(t0);
    myl_sim_free(sim);
    return o;
}

/* The run replaying the file (reader opened inside the timed loop: it is part of replaying). */
static run_out run_file(const myl_cnet *cn, const myl_netfile *nf, const char *path,
                        uint64_t ticks)
{
    run_out o = {0};
    myl_sim *sim = NULL;
    check(myl_sim_new(cn, MYL_ENGINE_EVENT, &sim), NULL, "myl_sim_new");
    myl_tick_report r;
    myl_diag d = {0};
    stamp t0 = now();
    myl_reader *rd = NULL;
    myl_replay *rp = NULL;
    check(myl_reader_open_file(path, &nf->inputs[0].opts, &rd, &d), &d, path);
    check(myl_replay_new(&nf->inputs[0], rd, nf->net, &rp, &d), &d, path);
    for (uint64_t t = 0; t < ticks; t++) {
        int ended;
        check(myl_replay_tick(rp, sim, t, &ended, &d), &d, path);
        check(myl_sim_step(sim, &r), NULL, "myl_sim_step");
        account(&o, &r);
    }
    o.took = since(t0);
    myl_replay_free(rp);
    myl_reader_close(rd);
    myl_sim_free(sim);
    return o;
}

/* Decode the replay file into (tick, neuron) pairs as a binding without crop or downsampling
 * maps them: neuron = first + (p * H + y) * W + x (p plane only with separate polarities),
 * tick = (t - t0) / dt with t0 the first event's time. */
static void load_mem(const myl_netfile *nf, const char *path, spikes_mem *m, uint32_t *first)
{
    const myl_binding *b = &nf->inputs[0];
    if (b->downsample > 1 || b->crop_x1 || b->crop_y1 || !b->origin_first)
        die("%s: the replay benchmark needs a binding without crop, downsampling or origin",
            b->where);
    uint32_t pop;
    if (myl_net_find_pop(nf->net, b->population, &pop))
        die("%s: no population %s", b->where, b->population);
    *first = (uint32_t)myl_net_pop_first(nf->net, pop);
    myl_diag d = {0};
    myl_reader *r = NULL;
    check(myl_reader_open_file(path, &b->opts, &r, &d), &d, path);
    const myl_trace_meta *meta = myl_reader_meta(r);
    uint32_t W = b->width ? b->width : meta->width, H = b->height ? b->height : meta->height;
    int planes = b->merge_polarity ? 1 : 2;
    int64_t dt_us = (int64_t)(myl_net_dt(nf->net) * 1e6 + 0.5);
    size_t cap = 1 << 20;
    m->tick = malloc(cap * sizeof *m->tick);
    m->gid = malloc(cap * sizeof *m->gid);
    myl_event *buf = malloc(CHUNK * sizeof *buf);
    if (!m->tick || !m->gid || !buf)
        die("out of memory");
    m->n = 0;
    int64_t t0 = 0;
    for (;;) {
        size_t n;
        check(myl_reader_read(r, buf, CHUNK, &n, &d), &d, path);
        if (n == 0)
            break;
        if (m->n == 0)
            t0 = buf[0].t;
        if (m->n + n > cap) {
            while (m->n + n > cap)
                cap *= 2;
            m->tick = realloc(m->tick, cap * sizeof *m->tick);
            m->gid = realloc(m->gid, cap * sizeof *m->gid);
            if (!m->tick || !m->gid)
                die("out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t p = planes == 2 && buf[i].p ? 1 : 0;
            m->tick[m->n] = (uint32_t)((buf[i].t - t0) / dt_us);
            m->gid[m->n++] = *first + (p * H + buf[i].y) * W + buf[i].x;
        }
    }
    myl_reader_close(r);
    free(buf);
    m->ticks = m->n ? (uint64_t)m->tick[m->n - 1] + 1 : 0;
}

static void save_npy_u32(const char *path, const uint32_t *v, uint64_t n)
{
    myl_diag d = {0};
    uint64_t shape[1] = {n};
    check(myl_npy_save(path, MYL_NPY_U32, 1, shape, v, &d), &d, path);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--quick] [--events N] [--reps N] [--dir DIR] [--net FILE] [--no-replay]"
            " [--no-decode] [--keep]\n",
            argv0);
    exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
    uint64_t nev = 50000000, nreplay = 10000000;
    int reps = 5, quick = 0, do_replay = 1, do_decode = 1, keep = 0;
    const char *dir = MYL_SOURCE_ROOT "/bench/out/trace";
    const char *net = MYL_SOURCE_ROOT "/bench/networks/replay-file.yaml";
    int have_events = 0, have_reps = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0)
            quick = 1;
        else if (strcmp(a, "--events") == 0 && i + 1 < argc)
            nev = strtoull(argv[++i], NULL, 10), have_events = 1;
        else if (strcmp(a, "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]), have_reps = 1;
        else if (strcmp(a, "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(a, "--net") == 0 && i + 1 < argc)
            net = argv[++i];
        else if (strcmp(a, "--no-replay") == 0)
            do_replay = 0;
        else if (strcmp(a, "--no-decode") == 0)
            do_decode = 0;
        else if (strcmp(a, "--keep") == 0)
            keep = 1;
        else
            usage(argv[0]);
    }
    if (quick) {
        if (!have_events)
            nev = 5000000;
        if (!have_reps)
            reps = 3;
        nreplay = 2000000;
    }
    if (nev < 1000 || reps < 1)
        usage(argv[0]);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        die("cannot create %s", dir);

    myl_event *buf = malloc(CHUNK * sizeof *buf);
    uint8_t *raw = malloc(1 << 20);
    if (!buf || !raw)
        die("out of memory");
    char path[4400];

    if (do_decode) {
        /* about 5 events per microsecond: a busy scene for a camera, 10 s for 50 M events */
        const double rate = 5.0;
        fmt fs[] = {
            {"myelin (native)", "big.myl", MYL_TRACE_NATIVE, 0, 640, 480, 0, nev},
            {"CSV t,x,y,p", "big.csv", MYL_TRACE_CSV, 0, 640, 480, 0, nev / 5},
            {"EVT 2.0", "big-evt2.raw", MYL_TRACE_EVT2, 0, 640, 480, 0, nev},
            {"EVT 3.0", "big-evt3.raw", MYL_TRACE_EVT3, 0, 1280, 720, 0, nev},
            {"N-MNIST .bin", "big-nmnist.bin", MYL_TRACE_NMNIST, 1, 34, 34, 0, nev},
            {"AEDAT 4.0 LZ4", "big-lz4.aedat4", MYL_TRACE_AEDAT4, 0, 640, 480, 1, nev},
            {"AEDAT 4.0 none", "big-none.aedat4", MYL_TRACE_AEDAT4, 0, 640, 480, 0, nev},
        };
        const size_t nf = sizeof fs / sizeof fs[0];
        printf("decode: %llu events per binary format, %llu for CSV, best of %d reads, one "
               "thread, %d-event reads\n",
               (unsigned long long)nev, (unsigned long long)(nev / 5), reps, CHUNK);
        printf("%-16s %8s %7s %10s %10s %9s %10s %10s %11s\n", "format", "MB", "B/event",
               "write s", "Mev/s cpu", "spread", "Mev/s wall", "spread", "fread GB/s");
        fflush(stdout);
        for (size_t i = 0; i < nf; i++) {
            const fmt *f = &fs[i];
            snprintf(path, sizeof path, "%s/%s", dir, f->file);
            stamp tw = now();
            write_file(f, path, 1000 + i, rate);
            tw = since(tw);
            verify(f, path, 1000 + i, rate, buf);
            spread cpu = {0}, wall = {0}, io = {0};
            for (int k = 0; k < reps; k++) {
                stamp t;
                uint64_t got = decode_once(f, path, buf, &t);
                if (got != f->events)
                    die("%s: %llu events decoded; %llu written", path, (unsigned long long)got,
                        (unsigned long long)f->events);
                spread_add(&cpu, t.cpu, k == 0);
                spread_add(&wall, t.wall, k == 0);
                fread_once(path, raw, &t);
                spread_add(&io, t.wall, k == 0);
            }
            double mb = (double)file_size(path) / 1e6, e = (double)f->events;
            printf("%-16s %8.1f %7.2f %10.2f %10.1f %8.0f%% %10.1f %9.0f%% %11.2f\n", f->name,
                   mb, mb * 1e6 / e, tw.wall, e / cpu.best / 1e6,
                   100.0 * (cpu.worst / cpu.best - 1), e / wall.best / 1e6,
                   100.0 * (wall.worst / wall.best - 1), mb / 1e3 / io.best);
            fflush(stdout);
            if (!keep)
                remove(path);
        }
        printf("(verified: every event of every file read back equal to the one written; "
               "spread = worst / best - 1 over the reads)\n\n");
        decode_samples(MYL_SOURCE_ROOT "/../shared/data", reps, buf);
    }

    if (do_replay) {
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        check(myl_netfile_load(net, &nf, &d), &d, net);
        if (nf->ninputs < 1)
            die("%s: no inputs: binding to replay", net);
        /* the recording: 128 x 128, about 1 event per microsecond */
        fmt rf[] = {
            {"myelin (native)", "replay.myl", MYL_TRACE_NATIVE, 0, 128, 128, 0, nreplay},
            {"EVT 3.0", "replay-evt3.raw", MYL_TRACE_EVT3, 0, 128, 128, 0, nreplay},
        };
        const size_t nrf = sizeof rf / sizeof rf[0];
        char paths[2][4400];
        for (size_t i = 0; i < nrf; i++) {
            snprintf(paths[i], sizeof paths[i], "%s/%s", dir, rf[i].file);
            write_file(&rf[i], paths[i], 77, 1.0);
            verify(&rf[i], paths[i], 77, 1.0, buf);
        }
        spikes_mem m = {0};
        uint32_t first = 0;
        load_mem(nf, paths[0], &m, &first);
        /* the same spikes for `myelin run bench/networks/replay-mem.yaml` */
        for (uint64_t k = 0; k < m.n; k++)
            m.gid[k] -= first;
        snprintf(path, sizeof path, "%s/replay-neurons.npy", dir);
        save_npy_u32(path, m.gid, m.n);
        snprintf(path, sizeof path, "%s/replay-ticks.npy", dir);
        save_npy_u32(path, m.tick, m.n);
        for (uint64_t k = 0; k < m.n; k++)
            m.gid[k] += first;
        snprintf(path, sizeof path, "%s/replay.ticks", dir);
        FILE *tf = fopen(path, "w");
        if (!tf || fprintf(tf, "%llu\n", (unsigned long long)m.ticks) < 0 || fclose(tf) != 0)
            die("%s: cannot write", path);

        myl_compile_opts o = {.seed = myl_net_seed(nf->net)};
        myl_cnet *cn = NULL;
        check(myl_net_compile(nf->net, NULL, &o, &cn, &d), &d, net);
        myl_cnet_info ci;
        myl_cnet_info_get(cn, &ci);
        printf("replay: %s, %llu neurons, %llu synapses; %llu events over %llu ticks of %g ms, "
               "best of %d runs each, interleaved\n",
               nf->name, (unsigned long long)ci.nneurons, (unsigned long long)ci.nsyn,
               (unsigned long long)m.n, (unsigned long long)m.ticks, myl_net_dt(nf->net) * 1e3,
               reps);
        spread cpu[3] = {{0}}, wall[3] = {{0}};
        run_out ref = {0};
        for (int k = 0; k < reps; k++) {
            for (int v = 0; v < 3; v++) {
                run_out o2 = v == 0 ? run_mem(cn, &m) : run_file(cn, nf, paths[v - 1], m.ticks);
                if (k == 0 && v == 0)
                    ref = o2;
                else if (o2.spikes != ref.spikes || o2.hash != ref.hash)
                    die("replay: run %d of variant %d differs from the in-memory run "
                        "(%llu spikes vs %llu)",
                        k, v, (unsigned long long)o2.spikes, (unsigned long long)ref.spikes);
                spread_add(&cpu[v], o2.took.cpu, k == 0);
                spread_add(&wall[v], o2.took.wall, k == 0);
            }
        }
        printf("  spikes %llu, synaptic events %llu (%.1f per input event)\n",
               (unsigned long long)ref.spikes, (unsigned long long)ref.syn_events,
               (double)ref.syn_events / (double)m.n);
        printf("  %-26s %9s %8s %9s %8s %10s %12s\n", "input", "cpu s", "spread", "wall s",
               "spread", "overhead", "ns/event");
        static const char *const vn[3] = {"in memory (inject)", "replay myelin file",
                                          "replay EVT 3.0 file"};
        for (int v = 0; v < 3; v++) {
            double over = cpu[v].best / cpu[0].best - 1;
            double ns = (cpu[v].best - cpu[0].best) * 1e9 / (double)m.n;
            printf("  %-26s %9.3f %7.0f%% %9.3f %7.0f%% %9.1f%% %12.1f\n", vn[v], cpu[v].best,
                   100.0 * (cpu[v].worst / cpu[v].best - 1), wall[v].best,
                   100.0 * (wall[v].worst / wall[v].best - 1), 100.0 * over, ns);
        }
        printf("  (overhead and ns/event from the best CPU times; the in-memory run takes %.1f "
               "ns per input event in all)\n",
               cpu[0].best * 1e9 / (double)m.n);

        /* The difference above is a few per cent of a run whose own time varies by as much on
         * a loaded machine. So measure the reading alone as well: the same input into a
         * network of the input population only (no synapses), where the run is little more
         * than the injection, and the reading's cost stands out. */
        uint32_t pop;
        if (myl_net_find_pop(nf->net, nf->inputs[0].population, &pop))
            die("%s: no population %s", net, nf->inputs[0].population);
        char text[1024];
        snprintf(text, sizeof text,
                 "myelin: 1\nname: replay-null\nrun: {dt: %.17g, seed: 1}\n"
                 "populations:\n  - {name: %s, size: %u, model: events}\n"
                 "inputs:\n  - {population: %s, trace: %s, polarity: %s}\n",
                 myl_net_dt(nf->net), nf->inputs[0].population, myl_net_pop_size(nf->net, pop),
                 nf->inputs[0].population, rf[0].file,
                 nf->inputs[0].merge_polarity ? "merge" : "separate");
        myl_netfile *nn = NULL;
        check(myl_netfile_parse(text, strlen(text), "<replay-null>", dir, &nn, &d), &d,
              "the input-only network");
        myl_cnet *cz = NULL;
        check(myl_net_compile(nn->net, NULL, &o, &cz, &d), &d, "the input-only network");
        spread zc[3] = {{0}}, zw[3] = {{0}};
        for (int k = 0; k < reps; k++)
            for (int v = 0; v < 3; v++) {
                run_out o2 =
                    v == 0 ? run_mem(cz, &m) : run_file(cz, nn, paths[v - 1], m.ticks);
                spread_add(&zc[v], o2.took.cpu, k == 0);
                spread_add(&zw[v], o2.took.wall, k == 0);
            }
        printf("  the same input into the input population alone (no synapses):\n");
        for (int v = 0; v < 3; v++) {
            double ns = (zc[v].best - zc[0].best) * 1e9 / (double)m.n;
            printf("  %-26s %9.3f %7.0f%% %9.3f %7.0f%% %9.1f%% %12.1f\n", vn[v], zc[v].best,
                   100.0 * (zc[v].worst / zc[v].best - 1), zw[v].best,
                   100.0 * (zw[v].worst / zw[v].best - 1),
                   100.0 * (zc[v].best - zc[0].best) / cpu[0].best, ns);
        }
        printf("  (here overhead = the reading's CPU time as a share of the full in-memory run "
               "above)\n\n");
        myl_cnet_free(cz);
        myl_netfile_free(nn);
        myl_cnet_free(cn);
        myl_netfile_free(nf);
        free(m.tick);
        free(m.gid);
        if (!keep)
            remove(paths[1]); /* replay.myl and the .npy files stay for bench/run */
    }
    free(buf);
    free(raw);
    return EXIT_SUCCESS;
}
