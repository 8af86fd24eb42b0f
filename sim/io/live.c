/* Live streams (see live.h and docs/live.md): listening sockets and stdin on a libuv loop, a
 * decoder thread per input, spike output to a consumer, and wall-clock pacing.
 *
 * Threads and buffers. One I/O thread runs the hub's uv_loop: it accepts connections, reads
 * bytes into each input's ring (RAW_CAP bytes; reading stops while fewer than SCRATCH bytes are
 * free, so the sender is held back by TCP rather than memory growing) and writes queued output.
 * Each input has a decoder thread that pulls the ring through a blocking myl_bytes source with
 * an ordinary myl_reader and queues the events (QUEUE_CAP of them) for the simulation thread.
 * One mutex (the hub's) guards everything the threads share; each waiter has its own condition
 * variable. Nothing is allocated per event or per read.
 *
 * Why a decoder thread rather than a reader on the simulation thread: a pull reader that blocks
 * inside a read cannot be given a deadline (a reader may hold decoded events when its source
 * blocks: the EVT 2.0 reader fills its whole buffer before it returns), and the watermark needs
 * to know the timestamps that have arrived. So decoding happens off the simulation thread, the
 * decoder reads with cap 1 for readers that would otherwise wait to fill a buffer, and it hands
 * its events on before it blocks. The simulation thread sees the queue through a second source
 * that re-encodes it in the native format (wide blocks) for a native reader and myl_replay, so
 * that live input is replayed by exactly the code that replays files. That source never blocks:
 * with the queue empty it returns MYL_EINTR, which the native reader passes up without losing
 * state, and myl_live_in_tick then waits on the queue with a deadline.
 *
 * Late events. When the deadline passes, tick t is simulated anyway and every later event of
 * tick <= t is moved (under the same lock, so none slips between) to the first microsecond of
 * tick t + 1 and counted. Events that go back in time in the stream itself are left alone: the
 * replay reports them as it does for a file.
 */
#include "myelin/live.h"

#include "myelin/alloc.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RAW_CAP (1u << 20)      /* bytes between the I/O thread and a decoder */
#define SCRATCH (64u << 10)     /* one socket read */
#define QUEUE_CAP 65536u        /* events between a decoder and the simulation */
#define BATCH 4096u             /* events a decoder collects before queueing them */
#define BLOCK_MAX 4096u         /* events per re-encoded block */
#define OUT_MAX (8u << 20)      /* bytes queued for an output consumer */
#define OUT_KICK (64u << 10)    /* queued bytes that wake the I/O thread at once */
#define FLUSH_MS 2              /* the I/O thread writes queued output this often */
#define POLL_NS 100000000ull    /* waits look at the stop flag this often */
#define STALL_NS 10000000000ull /* a consumer that takes nothing this long is dropped */
#define MS_NS 1000000ull

/* native format (docs/trace-format.md) */
#define NAT_HDR 48
#define NAT_BLK 16
#define NAT_SPAN 0x7fffffffll /* largest offset of a wide block */
static const uint8_t nat_magic[8] = {0x89, 'M', 'Y', 'L', 'E', 'V', '\r', '\n'};

typedef unsigned long long ull;

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void block_header(uint8_t *b, unsigned kind, unsigned xbits, uint32_t n, uint64_t base)
{
    b[0] = (uint8_t)kind;
    b[1] = (uint8_t)xbits;
    b[2] = 0;
    b[3] = 0;
    wr32(b + 4, n);
    wr64(b + 8, base);
}

/* A native header: 48 bytes, then the label name and the source. Returns its size. */
static size_t native_header(uint8_t *h, const myl_trace_meta *m)
{
    size_t nl = strnlen(m->label_name, sizeof m->label_name - 1);
    size_t ns = strnlen(m->source, sizeof m->source - 1);
    memset(h, 0, NAT_HDR);
    memcpy(h, nat_magic, 8);
    wr16(h + 8, 1);
    wr16(h + 10, 0);
    wr32(h + 12, (uint32_t)(NAT_HDR + nl + ns));
    wr32(h + 16, m->width);
    wr32(h + 20, m->height);
    wr32(h + 24, m->channels);
    wr32(h + 28, 1000);
    wr64(h + 32, (uint64_t)m->label);
    wr16(h + 40, (uint16_t)nl);
    wr16(h + 42, (uint16_t)ns);
    memcpy(h + NAT_HDR, m->label_name, nl);
    memcpy(h + NAT_HDR + nl, m->source, ns);
    return NAT_HDR + nl + ns;
}

/* Ticks of dt as myl_replay computes them: whole microseconds when dt is one, else floating
 * point with the same snapping. */
static void tick_setup(double dt, double *dt_us, int64_t *dt_int)
{
    *dt_us = dt * 1e6;
    double r = round(*dt_us);
    *dt_int = fabs(*dt_us - r) < 1e-6 && r >= 1 ? (int64_t)r : 0;
}

/* ---- addresses ----------------------------------------------------------------------------- */

int myl_live_is_stream(const char *s)
{
    return s && (strcmp(s, "-") == 0 || strncmp(s, "tcp:", 4) == 0 || strncmp(s, "unix:", 5) == 0);
}

int myl_live_addr_parse(const char *s, myl_live_addr *a, myl_diag *d)
{
    memset(a, 0, sizeof *a);
    if (!s || !*s)
        return myl_diag_fail(d, MYL_EINVAL, "an empty address");
    if (strcmp(s, "-") == 0) {
        a->kind = MYL_LIVE_STDIO;
        return 0;
    }
    if (strncmp(s, "unix:", 5) == 0) {
        const char *p = s + 5;
        struct sockaddr_un su;
        if (!*p)
            return myl_diag_fail(d, MYL_EINVAL, "%s: no path after unix:", s);
        if (strlen(p) >= sizeof su.sun_path)
            return myl_diag_fail(d, MYL_EINVAL,
                                 "%s: the path is %zu bytes; a Unix socket's path has at most %zu",
                                 s, strlen(p), sizeof su.sun_path - 1);
        a->kind = MYL_LIVE_UNIX;
        snprintf(a->path, sizeof a->path, "%s", p);
        return 0;
    }
    if (strncmp(s, "tcp:", 4) == 0) {
        if (strncmp(s, "tcp://", 6) != 0)
            return myl_diag_fail(d, MYL_EINVAL, "%s: expected tcp://HOST:PORT", s);
        const char *h = s + 6, *colon;
        size_t hl;
        if (*h == '[') { /* [IPv6]:PORT */
            const char *rb = strchr(h, ']');
            if (!rb || rb[1] != ':')
                return myl_diag_fail(d, MYL_EINVAL, "%s: expected tcp://[IPv6]:PORT", s);
            h++;
            hl = (size_t)(rb - h);
            colon = rb + 1;
        } else {
            colon = strrchr(h, ':');
            if (!colon)
                return myl_diag_fail(d, MYL_EINVAL, "%s: no port (expected tcp://HOST:PORT)", s);
            hl = (size_t)(colon - h);
        }
        if (hl == 0 || hl >= sizeof a->host)
            return myl_diag_fail(d, MYL_EINVAL,
                                 "%s: expected a host name or address before the port", s);
        const char *pp = colon + 1;
        unsigned long port = 0;
        int nd = 0;
        for (; *pp >= '0' && *pp <= '9' && port <= 65535; pp++, nd++)
            port = port * 10 + (unsigned long)(*pp - '0');
        if (!nd || *pp || port > 65535)
            return myl_diag_fail(d, MYL_EINVAL, "%s: the port must be a number from 0 to 65535", s);
        a->kind = MYL_LIVE_TCP;
        memcpy(a->host, h, hl);
        a->host[hl] = 0;
        a->port = (uint16_t)port;
        return 0;
    }
    a->kind = MYL_LIVE_FILE;
    if (strlen(s) >= sizeof a->path)
        return myl_diag_fail(d, MYL_EINVAL, "%.64s...: path too long", s);
    snprintf(a->path, sizeof a->path, "%s", s);
    return 0;
}

/* ---- structures ---------------------------------------------------------------------------- */

typedef union stream_h {
    uv_handle_t h;
    uv_stream_t s;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    uv_tty_t tty;
} stream_h;

struct myl_live {
    uv_loop_t loop;
    uv_async_t wake; /* any thread -> the I/O thread: resume reading, write, stop */
    uv_thread_t thread;
    int started;    /* endpoints are complete; threads may kick the loop */
    int io_running; /* the I/O thread runs the loop */
    uv_mutex_t mu;  /* guards what the threads share, in the hub and its endpoints */
    int stopping;
    myl_live_in *ins;
    myl_live_out *outs;
};

struct myl_live_in {
    myl_live *lv;
    myl_live_in *next;
    int dead; /* adding it failed; kept until the hub is freed (its handles close then) */
    myl_live_addr addr;
    char name[4200];
    myl_live_in_opts o;
    const volatile int *stop;
    /* I/O thread */
    stream_h server, conn;
    int have_server, have_conn;
    int stdin_file; /* stdin is a regular file: read with uv_fs_read */
    uv_fs_t fs;
    uint8_t *scratch;
    int paused; /* reading stopped while the ring is full */
    int unlink_path;
    /* the ring: I/O thread -> decoder */
    uint8_t *raw;
    size_t raw_head, raw_len;
    uint64_t raw_total;
    int connected, raw_eof, raw_err;
    uv_cond_t raw_cv;
    /* decoder */
    myl_bytes raw_src;
    uv_thread_t dec;
    int dec_started;
    myl_event *rbuf;  /* what one read returns */
    myl_event *batch; /* what the decoder holds: queued before it blocks, or when full */
    size_t nbatch;
    /* the queue: decoder -> simulation */
    myl_event *q;
    size_t q_head, q_len;
    int have_meta, ended, failed;
    myl_trace_meta meta;
    myl_trace_format format;
    myl_diag fail;
    uv_cond_t q_cv;     /* the simulation waits: events, end, failure */
    uv_cond_t space_cv; /* the decoder waits: room in the queue */
    /* ticks, watermark */
    double dt_us;
    int64_t dt_int;
    int have_t0, have_prev, have_anchor;
    int64_t t0;
    uint64_t prev_tick; /* the latest tick the stream has reached */
    uint64_t horizon;   /* ticks below it have been simulated without waiting for the stream */
    uint64_t anchor_ns; /* when the first event was queued */
    int64_t anchor_us;  /* and its time */
    /* simulation side */
    myl_bytes sim_src;
    uint8_t *stage;
    size_t stage_pos, stage_len;
    /* stats */
    uint64_t events, late, waited_out;
    double max_wait;
};

struct myl_live_out {
    myl_live *lv;
    myl_live_out *next;
    int dead;
    myl_live_addr addr;
    char name[4200];
    /* I/O thread */
    stream_h server, conn;
    int have_server, have_conn;
    int fd; /* file output */
    uv_timer_t timer;
    int have_timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    uint8_t sink[256];
    int unlink_path;
    /* what is streamed */
    uint32_t n, npop;
    uint64_t *first;
    uint32_t *size, *off;
    unsigned xbits;
    double dt_us;
    int64_t dt_int;
    uint8_t *blk; /* one tick's block (simulation thread) */
    size_t blk_cap;
    /* shared */
    uint8_t *pend, *fly;
    size_t pend_len, pend_cap, fly_len, fly_cap;
    uint64_t pend_ev, fly_ev;
    int connected, accept_err, writing, gone, werr, finished, want_close, shutting, closed;
    uint64_t cur_tick, spikes, written, discarded, gone_tick, count, progress_ns;
    uv_cond_t cv;
};

/* ---- the I/O thread ------------------------------------------------------------------------ */

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Call with the hub's lock held, so that no send can follow the stop (the wake handle is closed
 * once the I/O thread has seen `stopping`). */
static void kick_locked(myl_live *lv)
{
    if (lv->started && !lv->stopping)
        uv_async_send(&lv->wake);
}

/* Copy n received bytes into the ring (the lock is held; the room is there). */
static void ring_put(myl_live_in *in, const uint8_t *p, size_t n)
{
    size_t tail = (in->raw_head + in->raw_len) % RAW_CAP;
    size_t k = RAW_CAP - tail < n ? RAW_CAP - tail : n;
    memcpy(in->raw + tail, p, k);
    memcpy(in->raw, p + k, n - k);
    in->raw_len += n;
    in->raw_total += n;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    myl_live_in *in = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)in->scratch, SCRATCH);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    myl_live_in *in = s->data;
    if (nread == 0)
        return;
    uv_mutex_lock(&in->lv->mu);
    if (nread > 0) {
        ring_put(in, (const uint8_t *)buf->base, (size_t)nread);
        if (RAW_CAP - in->raw_len < SCRATCH) {
            uv_read_stop(s);
            in->paused = 1;
        }
    } else {
        uv_read_stop(s);
        if (nread == UV_EOF)
            in->raw_eof = 1;
        else
            in->raw_err = (int)nread;
    }
    uv_cond_broadcast(&in->raw_cv);
    uv_mutex_unlock(&in->lv->mu);
}

static void on_fs_read(uv_fs_t *req);

static void fs_next(myl_live_in *in)
{
    uv_buf_t b = uv_buf_init((char *)in->scratch, SCRATCH);
    int r = uv_fs_read(&in->lv->loop, &in->fs, 0, &b, 1, -1, on_fs_read);
    if (r < 0) {
        uv_mutex_lock(&in->lv->mu);
        in->raw_err = r;
        uv_cond_broadcast(&in->raw_cv);
        uv_mutex_unlock(&in->lv->mu);
    }
}

static void on_fs_read(uv_fs_t *req)
{
    myl_live_in *in = req->data;
    ssize_t r = req->result;
    uv_fs_req_cleanup(req);
    int more = 0;
    uv_mutex_lock(&in->lv->mu);
    if (r > 0) {
        ring_put(in, in->scratch, (size_t)r);
        more = RAW_CAP - in->raw_len >= SCRATCH && !in->lv->stopping;
        in->paused = !more;
    } else if (r == 0) {
        in->raw_eof = 1;
    } else {
        in->raw_err = (int)r;
    }
    uv_cond_broadcast(&in->raw_cv);
    uv_mutex_unlock(&in->lv->mu);
    if (more)
        fs_next(in);
}

/* Accept the one connection a listener takes (its handle's data is `owner`), then close the
 * listener and remove its socket file: later connections are refused. 0 or a libuv error. */
static int accept_one(myl_live *lv, uv_stream_t *server, int status, const myl_live_addr *addr,
                      stream_h *conn, void *owner, int *have_conn, stream_h *listener,
                      int *unlink_path)
{
    int r = status;
    if (!r) {
        r = addr->kind == MYL_LIVE_TCP ? uv_tcp_init(&lv->loop, &conn->tcp)
                                       : uv_pipe_init(&lv->loop, &conn->pipe, 0);
        if (!r) {
            conn->h.data = owner;
            *have_conn = 1;
            r = uv_accept(server, &conn->s);
        }
    }
    if (!uv_is_closing(&listener->h))
        uv_close(&listener->h, NULL);
    if (*unlink_path) {
        unlink(addr->path);
        *unlink_path = 0;
    }
    return r;
}

/* One sender: the first connection is accepted and the listener closed (later ones are
 * refused); a failure to accept is the stream's error. */
static void on_conn_in(uv_stream_t *server, int status)
{
    myl_live_in *in = server->data;
    myl_live *lv = in->lv;
    if (in->have_conn)
        return;
    int r = accept_one(lv, server, status, &in->addr, &in->conn, in, &in->have_conn,
                       &in->server, &in->unlink_path);
    if (!r)
        r = uv_read_start(&in->conn.s, on_alloc, on_read);
    uv_mutex_lock(&lv->mu);
    if (r)
        in->raw_err = r;
    else
        in->connected = 1;
    uv_cond_broadcast(&in->raw_cv);
    uv_mutex_unlock(&lv->mu);
}

static void out_pump(myl_live_out *o);

/* The consumer is gone (1: disconnected, 2: stalled): what is queued is discarded, and so is
 * everything later (lock held). */
static void drop_locked(myl_live_out *o, int why)
{
    if (!o->gone) {
        o->gone = why;
        o->gone_tick = o->cur_tick;
    }
    o->discarded += o->pend_ev;
    o->spikes -= o->pend_ev;
    o->pend_len = 0;
    o->pend_ev = 0;
}

static void on_written(uv_write_t *req, int status)
{
    myl_live_out *o = req->data;
    uv_mutex_lock(&o->lv->mu);
    o->writing = 0;
    if (status == 0) {
        o->written += o->fly_len;
        o->progress_ns = uv_hrtime();
    } else {
        o->discarded += o->fly_ev;
        o->spikes -= o->fly_ev;
        drop_locked(o, 1);
    }
    o->fly_len = 0;
    o->fly_ev = 0;
    uv_cond_broadcast(&o->cv);
    uv_mutex_unlock(&o->lv->mu);
    if (status == 0)
        out_pump(o);
    else if (status != UV_ECANCELED && !uv_is_closing(&o->conn.h))
        uv_close(&o->conn.h, NULL);
}

static void on_shut(uv_shutdown_t *req, int status)
{
    myl_live_out *o = req->data;
    (void)status;
    if (!uv_is_closing(&o->conn.h))
        uv_close(&o->conn.h, NULL);
    uv_mutex_lock(&o->lv->mu);
    o->closed = 1;
    uv_cond_broadcast(&o->cv);
    uv_mutex_unlock(&o->lv->mu);
}

/* Write what is queued (one write at a time), or close the connection once asked and done. */
static void out_pump(myl_live_out *o)
{
    myl_live *lv = o->lv;
    uv_mutex_lock(&lv->mu);
    int sock = o->have_conn && !o->gone && !uv_is_closing(&o->conn.h);
    int fd = o->fd;
    if (o->writing || (!sock && fd < 0)) {
        uv_mutex_unlock(&lv->mu);
        return;
    }
    if (o->pend_len == 0) {
        int shut = sock && o->want_close && !o->shutting;
        if (shut)
            o->shutting = 1;
        uv_mutex_unlock(&lv->mu);
        if (shut) {
            o->sreq.data = o;
            if (uv_shutdown(&o->sreq, &o->conn.s, on_shut) != 0)
                on_shut(&o->sreq, -1);
        }
        return;
    }
    /* swap the buffers: the simulation appends to one while the other is written */
    uint8_t *b = o->fly;
    size_t cap = o->fly_cap;
    o->fly = o->pend, o->fly_cap = o->pend_cap, o->fly_len = o->pend_len, o->fly_ev = o->pend_ev;
    o->pend = b, o->pend_cap = cap, o->pend_len = 0, o->pend_ev = 0;
    o->writing = 1;
    uv_cond_broadcast(&o->cv);
    uv_mutex_unlock(&lv->mu);
    if (fd >= 0) {
        /* a file: written here, synchronously (a local file keeps up) */
        size_t done = 0;
        int err = 0;
        while (done < o->fly_len) {
            ssize_t w = write(fd, o->fly + done, o->fly_len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : EIO;
                break;
            }
            done += (size_t)w;
        }
        uv_mutex_lock(&lv->mu);
        o->writing = 0;
        o->written += done;
        o->progress_ns = uv_hrtime();
        if (err && !o->werr)
            o->werr = err;
        o->fly_len = 0;
        o->fly_ev = 0;
        uv_cond_broadcast(&o->cv);
        uv_mutex_unlock(&lv->mu);
        return;
    }
    uv_buf_t buf = uv_buf_init((char *)o->fly, (unsigned)o->fly_len);
    o->wreq.data = o;
    int r = uv_write(&o->wreq, &o->conn.s, &buf, 1, on_written);
    if (r)
        on_written(&o->wreq, r);
}

static void on_flush(uv_timer_t *t)
{
    out_pump(t->data);
}

static void on_sink_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    myl_live_out *o = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)o->sink, sizeof o->sink);
}

/* What a consumer sends is read and dropped; its end of file is not its leaving (it may have
 * shut down its side only); an error is. */
static void on_sink_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    myl_live_out *o = s->data;
    (void)buf;
    if (nread >= 0)
        return;
    uv_read_stop(s);
    if (nread == UV_EOF)
        return;
    uv_mutex_lock(&o->lv->mu);
    drop_locked(o, 1);
    uv_cond_broadcast(&o->cv);
    uv_mutex_unlock(&o->lv->mu);
}

static void on_conn_out(uv_stream_t *server, int status)
{
    myl_live_out *o = server->data;
    myl_live *lv = o->lv;
    if (o->have_conn)
        return;
    int r = accept_one(lv, server, status, &o->addr, &o->conn, o, &o->have_conn, &o->server,
                       &o->unlink_path);
    if (!r) {
        uv_read_start(&o->conn.s, on_sink_alloc, on_sink_read);
        uv_timer_start(&o->timer, on_flush, FLUSH_MS, FLUSH_MS);
    }
    uv_mutex_lock(&lv->mu);
    if (r)
        o->accept_err = r;
    else {
        o->connected = 1;
        o->progress_ns = uv_hrtime();
    }
    uv_cond_broadcast(&o->cv);
    uv_mutex_unlock(&lv->mu);
}

static void on_wake(uv_async_t *a)
{
    myl_live *lv = a->data;
    uv_mutex_lock(&lv->mu);
    int stopping = lv->stopping;
    uv_mutex_unlock(&lv->mu);
    if (stopping) {
        uv_walk(&lv->loop, close_walk, NULL);
        return;
    }
    for (myl_live_in *in = lv->ins; in; in = in->next) {
        if (in->dead)
            continue;
        uv_mutex_lock(&lv->mu);
        int resume = in->paused && RAW_CAP - in->raw_len >= SCRATCH;
        if (resume)
            in->paused = 0;
        uv_mutex_unlock(&lv->mu);
        if (!resume)
            continue;
        if (in->stdin_file)
            fs_next(in);
        else if (in->have_conn && !uv_is_closing(&in->conn.h))
            uv_read_start(&in->conn.s, on_alloc, on_read);
    }
    for (myl_live_out *o = lv->outs; o; o = o->next)
        if (!o->dead)
            out_pump(o);
}

static void io_main(void *arg)
{
    myl_live *lv = arg;
    uv_run(&lv->loop, UV_RUN_DEFAULT);
}

/* ---- the hub ------------------------------------------------------------------------------- */

int myl_live_new(myl_live **out)
{
    *out = NULL;
    myl_live *lv = myl_calloc(1, sizeof *lv);
    if (!lv)
        return MYL_ENOMEM;
    if (uv_loop_init(&lv->loop)) {
        myl_free(lv);
        return MYL_ENOMEM;
    }
    if (uv_mutex_init(&lv->mu)) {
        uv_loop_close(&lv->loop);
        myl_free(lv);
        return MYL_ENOMEM;
    }
    uv_async_init(&lv->loop, &lv->wake, on_wake);
    lv->wake.data = lv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    *out = lv;
    return 0;
}

static void dec_main(void *arg);

int myl_live_start(myl_live *lv, myl_diag *d)
{
    if (!lv || lv->started)
        return MYL_ESTATE;
    /* first, so that no wake-up from a decoder is skipped (before the loop runs, one is kept) */
    uv_mutex_lock(&lv->mu);
    lv->started = 1;
    uv_mutex_unlock(&lv->mu);
    for (myl_live_in *in = lv->ins; in; in = in->next) {
        if (in->dead)
            continue;
        if (uv_thread_create(&in->dec, dec_main, in))
            return myl_diag_fail(d, MYL_ENOMEM, "%s: cannot start a decoder thread", in->name);
        in->dec_started = 1;
    }
    if (uv_thread_create(&lv->thread, io_main, lv))
        return myl_diag_fail(d, MYL_ENOMEM, "cannot start the I/O thread");
    lv->io_running = 1;
    return 0;
}

static void in_free(myl_live_in *in)
{
    if (in->unlink_path)
        unlink(in->addr.path);
    myl_free(in->scratch);
    myl_free(in->raw);
    myl_free(in->rbuf);
    myl_free(in->batch);
    myl_free(in->q);
    myl_free(in->stage);
    uv_cond_destroy(&in->raw_cv);
    uv_cond_destroy(&in->q_cv);
    uv_cond_destroy(&in->space_cv);
    myl_free(in);
}

static void out_free(myl_live_out *o)
{
    if (o->unlink_path)
        unlink(o->addr.path);
    if (o->fd >= 0)
        close(o->fd);
    myl_free(o->first);
    myl_free(o->size);
    myl_free(o->off);
    myl_free(o->blk);
    myl_free(o->pend);
    myl_free(o->fly);
    uv_cond_destroy(&o->cv);
    myl_free(o);
}

void myl_live_free(myl_live *lv)
{
    if (!lv)
        return;
    uv_mutex_lock(&lv->mu);
    lv->stopping = 1;
    for (myl_live_in *in = lv->ins; in; in = in->next) {
        uv_cond_broadcast(&in->raw_cv);
        uv_cond_broadcast(&in->q_cv);
        uv_cond_broadcast(&in->space_cv);
    }
    for (myl_live_out *o = lv->outs; o; o = o->next)
        uv_cond_broadcast(&o->cv);
    if (lv->io_running)
        uv_async_send(&lv->wake);
    uv_mutex_unlock(&lv->mu);
    if (lv->io_running) {
        uv_thread_join(&lv->thread);
    } else {
        uv_walk(&lv->loop, close_walk, NULL);
        uv_run(&lv->loop, UV_RUN_DEFAULT);
    }
    for (myl_live_in *in = lv->ins; in; in = in->next)
        if (in->dec_started)
            uv_thread_join(&in->dec);
    while (lv->ins) {
        myl_live_in *in = lv->ins;
        lv->ins = in->next;
        in_free(in);
    }
    while (lv->outs) {
        myl_live_out *o = lv->outs;
        lv->outs = o->next;
        out_free(o);
    }
    uv_loop_close(&lv->loop);
    uv_mutex_destroy(&lv->mu);
    myl_free(lv);
}

/* Listen on a TCP or Unix address; h is initialised on the hub's loop (and must be closed by
 * it, even when this fails). Writes the address listened on into name. */
static int listen_on(myl_live *lv, const myl_live_addr *a, const char *given, stream_h *h,
                     int *have, uv_connection_cb cb, void *data, int *unlink_path, char *name,
                     size_t cap, myl_diag *d)
{
    int r;
    if (a->kind == MYL_LIVE_TCP) {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        char port[8];
        snprintf(port, sizeof port, "%u", (unsigned)a->port);
        int g = getaddrinfo(a->host, port, &hints, &res);
        if (g || !res)
            return myl_diag_fail(d, MYL_EINVAL, "%s: cannot resolve '%s': %s", given, a->host,
                                 gai_strerror(g));
        r = uv_tcp_init(&lv->loop, &h->tcp);
        if (r) {
            freeaddrinfo(res);
            return myl_diag_fail(d, MYL_EIO, "%s: %s", given, uv_strerror(r));
        }
        *have = 1;
        h->h.data = data;
        r = uv_tcp_bind(&h->tcp, res->ai_addr, 0);
        freeaddrinfo(res);
        if (!r)
            r = uv_listen(&h->s, 1, cb);
        if (r)
            return myl_diag_fail(d, MYL_EIO, "%s: cannot listen: %s", given, uv_strerror(r));
        struct sockaddr_storage ss;
        int len = sizeof ss;
        unsigned bound = a->port;
        if (uv_tcp_getsockname(&h->tcp, (struct sockaddr *)&ss, &len) == 0)
            bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
        snprintf(name, cap, strchr(a->host, ':') ? "tcp://[%s]:%u" : "tcp://%s:%u", a->host, bound);
        return 0;
    }
    r = uv_pipe_init(&lv->loop, &h->pipe, 0);
    if (r)
        return myl_diag_fail(d, MYL_EIO, "%s: %s", given, uv_strerror(r));
    *have = 1;
    h->h.data = data;
    r = uv_pipe_bind(&h->pipe, a->path);
    if (r) {
        struct stat st;
        int exists = r == UV_EADDRINUSE && lstat(a->path, &st) == 0;
        return myl_diag_fail(d, MYL_EIO, "%s: cannot listen: %s%s", given, uv_strerror(r),
                             exists ? " (the file exists: remove it if no program is using it)"
                                    : "");
    }
    *unlink_path = 1;
    r = uv_listen(&h->s, 1, cb);
    if (r)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot listen: %s", given, uv_strerror(r));
    snprintf(name, cap, "unix:%s", a->path);
    return 0;
}

/* ---- input: decoder thread ----------------------------------------------------------------- */

static uint64_t tick_of(const myl_live_in *in, int64_t t)
{
    int64_t rel = t - in->t0;
    if (in->dt_int)
        return (uint64_t)(rel / in->dt_int);
    return (uint64_t)floor((double)rel / in->dt_us + 1e-9);
}

/* The first microsecond at or after the start of tick k. */
static int64_t tick_start(const myl_live_in *in, uint64_t k)
{
    if (in->dt_int)
        return in->t0 + (int64_t)k * in->dt_int;
    int64_t t = in->t0 + (int64_t)ceil((double)k * in->dt_us - 1e-9);
    while (tick_of(in, t) < k)
        t++;
    return t;
}

/* An event joins the queue (lock held): origin, anchor, late events moved. */
static void admit(myl_live_in *in, myl_event *e)
{
    if (!in->have_t0) {
        in->t0 = e->t;
        in->have_t0 = 1;
    }
    if (!in->have_anchor) {
        in->anchor_ns = uv_hrtime();
        in->anchor_us = e->t;
        in->have_anchor = 1;
    }
    in->events++;
    if (e->t < in->t0)
        return; /* before the origin: the replay reports it */
    uint64_t k = tick_of(in, e->t);
    if (in->have_prev && k < in->prev_tick)
        return; /* the stream goes back in time: the replay reports it, as for a file */
    in->prev_tick = k;
    in->have_prev = 1;
    if (k < in->horizon) {
        e->t = tick_start(in, in->horizon);
        in->late++;
    }
}

/* Queue the decoded batch (lock held), waiting for room as needed. */
static void publish_locked(myl_live_in *in)
{
    myl_live *lv = in->lv;
    size_t i = 0;
    while (i < in->nbatch) {
        while (in->q_len == QUEUE_CAP && !lv->stopping)
            uv_cond_wait(&in->space_cv, &lv->mu);
        if (lv->stopping)
            break;
        for (; i < in->nbatch && in->q_len < QUEUE_CAP; i++) {
            myl_event e = in->batch[i];
            admit(in, &e);
            in->q[(in->q_head + in->q_len) % QUEUE_CAP] = e;
            in->q_len++;
        }
        uv_cond_broadcast(&in->q_cv);
    }
    in->nbatch = 0;
}

/* The decoder's source: blocks until bytes, the end of the stream or an error. Before it
 * blocks, it queues what the decoder holds, so no event waits on the next bytes. */
static int raw_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    myl_live_in *in = ctx;
    myl_live *lv = in->lv;
    int rc = 0;
    *got = 0;
    uv_mutex_lock(&lv->mu);
    while (in->raw_len == 0 && !in->raw_eof && !in->raw_err && !lv->stopping) {
        if (in->nbatch)
            publish_locked(in);
        else
            uv_cond_wait(&in->raw_cv, &lv->mu);
    }
    if (lv->stopping) {
        rc = MYL_EINTR;
    } else if (in->raw_len) {
        size_t k = n < in->raw_len ? n : in->raw_len;
        size_t k1 = RAW_CAP - in->raw_head < k ? RAW_CAP - in->raw_head : k;
        memcpy(buf, in->raw + in->raw_head, k1);
        memcpy(buf + k1, in->raw, k - k1);
        in->raw_head = (in->raw_head + k) % RAW_CAP;
        in->raw_len -= k;
        *got = k;
        if (in->paused && RAW_CAP - in->raw_len >= SCRATCH)
            kick_locked(lv);
    } else if (in->raw_err) {
        rc = myl_diag_fail(d, MYL_EIO, "%s: byte %llu: the connection failed: %s", in->name,
                           (ull)in->raw_total, uv_strerror(in->raw_err));
    }
    uv_mutex_unlock(&lv->mu);
    return rc;
}

/* Native or EVT 2.0, from the first bytes. */
static int detect(const myl_live_in *in, const uint8_t *h, size_t n, myl_trace_format *f,
                  myl_diag *d)
{
    if (n == 0)
        return myl_diag_fail(d, MYL_EPARSE,
                             "%s: byte 0: truncated: the stream ended before its first byte",
                             in->name);
    if (h[0] == nat_magic[0] && memcmp(h, nat_magic, n < 8 ? n : 8) == 0) {
        *f = MYL_TRACE_NATIVE; /* its reader reports a short one as truncated */
        return 0;
    }
    if (h[0] == '%' || n < 4) {
        *f = MYL_TRACE_EVT2;
        return 0;
    }
    unsigned type = h[3] >> 4; /* EVT 2.0: the word type, in the high nibble of byte 3 */
    if (type <= 1 || type == 8 || type == 0xA || type >= 0xE) {
        *f = MYL_TRACE_EVT2;
        return 0;
    }
    return myl_diag_fail(d, MYL_EPARSE,
                         "%s: byte 0: not an event stream myelin reads live: found %02X %02X %02X "
                         "%02X; expected myelin's native format (89 4D 59 4C 45 56 0D 0A) or "
                         "Prophesee EVT 2.0 (a %% header, or 32-bit words); other formats can "
                         "be named with `format:` in the binding",
                         in->name, h[0], h[1], h[2], h[3]);
}

static void dec_main(void *arg)
{
    myl_live_in *in = arg;
    myl_live *lv = in->lv;
    myl_diag d = {0};
    myl_trace_opts to = in->o.trace;
    myl_reader *rd = NULL;
    int rc = 0;
    uint8_t head[8];
    size_t nh;
    uv_mutex_lock(&lv->mu);
    while (!lv->stopping && in->raw_len < sizeof head && !in->raw_eof && !in->raw_err)
        uv_cond_wait(&in->raw_cv, &lv->mu);
    int stopping = lv->stopping;
    nh = in->raw_len < sizeof head ? in->raw_len : sizeof head;
    for (size_t i = 0; i < nh; i++)
        head[i] = in->raw[(in->raw_head + i) % RAW_CAP];
    int err = in->raw_err;
    uv_mutex_unlock(&lv->mu);
    if (stopping)
        return;
    if (err && nh == 0)
        rc = myl_diag_fail(&d, MYL_EIO, "%s: byte 0: %s", in->name, uv_strerror(err));
    else if (to.format == MYL_TRACE_UNKNOWN)
        rc = detect(in, head, nh, &to.format, &d);
    if (!rc)
        rc = myl_reader_open(&in->raw_src, &to, &rd, &d);
    if (!rc) {
        uv_mutex_lock(&lv->mu);
        in->meta = *myl_reader_meta(rd);
        in->format = to.format;
        in->have_meta = 1;
        uv_cond_broadcast(&in->q_cv);
        uv_mutex_unlock(&lv->mu);
    }
    /* Readers other than native may wait for more bytes while holding decoded events (EVT 2.0
     * fills its buffer before returning): ask them for one event at a time. */
    int whole = to.format == MYL_TRACE_NATIVE;
    while (!rc) {
        size_t got = 0;
        /* into a buffer of its own: a read that blocks queues (and empties) the batch */
        rc = myl_reader_read(rd, in->rbuf, whole ? BATCH - in->nbatch : 1, &got, &d);
        memcpy(in->batch + in->nbatch, in->rbuf, got * sizeof *in->rbuf);
        in->nbatch += got;
        if (rc)
            break;
        if (got == 0 || in->nbatch == BATCH) {
            uv_mutex_lock(&lv->mu);
            publish_locked(in);
            if (got == 0)
                in->ended = 1;
            uv_cond_broadcast(&in->q_cv);
            uv_mutex_unlock(&lv->mu);
            if (got == 0)
                break;
        }
    }
    if (rc) {
        uv_mutex_lock(&lv->mu);
        publish_locked(in); /* the events before the error come first */
        if (!lv->stopping) {
            in->failed = rc;
            if (d.set)
                in->fail = d;
            else
                myl_diag_fail(&in->fail, rc, "%s: byte %llu: %s", in->name, (ull)in->raw_total,
                              myl_strerror(rc));
        }
        uv_cond_broadcast(&in->q_cv);
        uv_mutex_unlock(&lv->mu);
    }
    myl_reader_close(rd);
}

/* ---- input: simulation side ---------------------------------------------------------------- */

/* Re-encode queued events as one wide block into the stage (lock held, queue not empty). */
static void encode_locked(myl_live_in *in)
{
    const myl_event *e0 = &in->q[in->q_head];
    int64_t base = e0->t > INT64_MAX - NAT_SPAN ? INT64_MAX - NAT_SPAN : e0->t;
    uint8_t *o = in->stage + NAT_BLK;
    size_t n = 0;
    while (n < in->q_len && n < BLOCK_MAX) {
        const myl_event *e = &in->q[(in->q_head + n) % QUEUE_CAP];
        if (e->t < base || (uint64_t)e->t - (uint64_t)base > (uint64_t)NAT_SPAN)
            break;
        uint64_t off = (uint64_t)e->t - (uint64_t)base;
        wr64(o + 8 * n,
             (uint64_t)e->x | (uint64_t)e->y << 16 | (uint64_t)(e->p != 0) << 32 | off << 33);
        n++;
    }
    block_header(in->stage, 2, 0, (uint32_t)n, (uint64_t)base);
    in->q_head = (in->q_head + n) % QUEUE_CAP;
    in->q_len -= n;
    in->stage_pos = 0;
    in->stage_len = NAT_BLK + 8 * n;
    uv_cond_signal(&in->space_cv);
}

/* The simulation's source: never blocks. With nothing queued and the stream still open it
 * returns MYL_EINTR (no message), and myl_live_in_tick waits. */
static int sim_read(void *ctx, uint8_t *buf, size_t n, size_t *got, myl_diag *d)
{
    myl_live_in *in = ctx;
    myl_live *lv = in->lv;
    int rc = 0;
    *got = 0;
    uv_mutex_lock(&lv->mu);
    if (in->stage_pos == in->stage_len) {
        if (in->q_len)
            encode_locked(in);
        else if (in->failed)
            rc = myl_diag_fail(d, in->failed, "%s", in->fail.msg);
        else if (!in->ended)
            rc = MYL_EINTR;
    }
    if (!rc && in->stage_pos < in->stage_len) {
        size_t k = in->stage_len - in->stage_pos;
        if (k > n)
            k = n;
        memcpy(buf, in->stage + in->stage_pos, k);
        in->stage_pos += k;
        *got = k;
    }
    uv_mutex_unlock(&lv->mu);
    return rc;
}

void myl_live_in_opts_for(const myl_binding *b, double dt, double latency, myl_live_in_opts *o)
{
    memset(o, 0, sizeof *o);
    o->trace = b->opts;
    o->dt = dt;
    o->origin_first = b->origin_first;
    o->origin_us = b->origin_us;
    o->latency = latency;
}

int myl_live_add_input(myl_live *lv, const char *addr, const myl_live_in_opts *o, myl_live_in **out,
                       myl_diag *d)
{
    *out = NULL;
    if (!lv || !addr || !o || !(o->dt > 0))
        return MYL_EINVAL;
    if (lv->started)
        return MYL_ESTATE;
    myl_live_addr a;
    int rc = myl_live_addr_parse(addr, &a, d);
    if (rc)
        return rc;
    if (a.kind == MYL_LIVE_FILE)
        return myl_diag_fail(d, MYL_EINVAL,
                             "%s: not a stream address (tcp://HOST:PORT, unix:PATH or -)", addr);
    myl_live_in *in = myl_calloc(1, sizeof *in);
    if (!in)
        return MYL_ENOMEM;
    if (uv_cond_init(&in->raw_cv)) {
        myl_free(in);
        return MYL_ENOMEM;
    }
    if (uv_cond_init(&in->q_cv)) {
        uv_cond_destroy(&in->raw_cv);
        myl_free(in);
        return MYL_ENOMEM;
    }
    if (uv_cond_init(&in->space_cv)) {
        uv_cond_destroy(&in->raw_cv);
        uv_cond_destroy(&in->q_cv);
        myl_free(in);
        return MYL_ENOMEM;
    }
    /* from here on it belongs to the hub, which frees it (its handles close with the loop) */
    in->lv = lv;
    in->next = lv->ins;
    lv->ins = in;
    in->dead = 1;
    in->addr = a;
    in->o = *o;
    tick_setup(o->dt, &in->dt_us, &in->dt_int);
    if (!o->origin_first) {
        in->t0 = o->origin_us;
        in->have_t0 = 1;
    }
    in->scratch = myl_malloc(SCRATCH);
    in->raw = myl_malloc(RAW_CAP);
    in->rbuf = myl_malloc(BATCH * sizeof *in->rbuf);
    in->batch = myl_malloc(BATCH * sizeof *in->batch);
    in->q = myl_malloc(QUEUE_CAP * sizeof *in->q);
    in->stage = myl_malloc(NAT_BLK + 8 * (size_t)BLOCK_MAX);
    if (!in->scratch || !in->raw || !in->rbuf || !in->batch || !in->q || !in->stage)
        return MYL_ENOMEM;
    in->fs.data = in;
    if (a.kind == MYL_LIVE_STDIO) {
        snprintf(in->name, sizeof in->name, "stdin");
        int r = 0;
        switch (uv_guess_handle(0)) {
        case UV_FILE:
            in->stdin_file = 1;
            break;
        case UV_TTY:
            r = uv_tty_init(&lv->loop, &in->conn.tty, 0, 0);
            break;
        case UV_NAMED_PIPE:
            if (!(r = uv_pipe_init(&lv->loop, &in->conn.pipe, 0))) {
                in->have_conn = 1;
                r = uv_pipe_open(&in->conn.pipe, 0);
            }
            break;
        case UV_TCP:
            if (!(r = uv_tcp_init(&lv->loop, &in->conn.tcp))) {
                in->have_conn = 1;
                r = uv_tcp_open(&in->conn.tcp, 0);
            }
            break;
        default:
            return myl_diag_fail(d, MYL_EIO,
                                 "-: stdin is not a file, a pipe, a socket or a "
                                 "terminal, and cannot carry an event stream");
        }
        if (!r && !in->stdin_file) {
            in->have_conn = 1;
            in->conn.h.data = in;
            r = uv_read_start(&in->conn.s, on_alloc, on_read);
        }
        if (r)
            return myl_diag_fail(d, MYL_EIO, "-: cannot read stdin: %s", uv_strerror(r));
        if (in->stdin_file)
            fs_next(in);
        in->connected = 1;
    } else {
        rc = listen_on(lv, &a, addr, &in->server, &in->have_server, on_conn_in, in,
                       &in->unlink_path, in->name, sizeof in->name, d);
        if (rc)
            return rc;
    }
    in->raw_src = (myl_bytes){.read = raw_read, .ctx = in, .name = in->name};
    in->sim_src = (myl_bytes){.read = sim_read, .ctx = in, .name = in->name};
    in->dead = 0;
    *out = in;
    return 0;
}

const char *myl_live_in_address(const myl_live_in *in)
{
    return in->name;
}

int myl_live_in_open(myl_live_in *in, const volatile int *stop, myl_reader **reader, myl_diag *d)
{
    *reader = NULL;
    if (!in || !in->lv->started)
        return MYL_ESTATE;
    myl_live *lv = in->lv;
    in->stop = stop;
    int rc = 0;
    uv_mutex_lock(&lv->mu);
    for (;;) {
        if (in->have_meta && (in->events || in->ended))
            break;
        if (in->failed) {
            rc = myl_diag_fail(d, in->failed, "%s", in->fail.msg);
            break;
        }
        if (stop && *stop) {
            rc = MYL_EINTR;
            break;
        }
        uv_cond_timedwait(&in->q_cv, &lv->mu, POLL_NS);
    }
    if (!rc) {
        in->stage_pos = 0;
        in->stage_len = native_header(in->stage, &in->meta);
    }
    uv_mutex_unlock(&lv->mu);
    if (rc)
        return rc;
    myl_trace_opts no = {.format = MYL_TRACE_NATIVE, .csv_units = -1};
    return myl_reader_open(&in->sim_src, &no, reader, d);
}

/* When the simulation stops waiting for the stream to pass tick t: `latency` after the stream,
 * running in real time from its first event, should have reached the end of tick t. */
static uint64_t deadline_for(const myl_live_in *in, uint64_t t)
{
    if (in->o.latency < 0 || !in->have_anchor)
        return UINT64_MAX;
    double end_us = (double)(in->t0 - in->anchor_us) + (double)(t + 1) * in->dt_us;
    double ns = (double)in->anchor_ns + end_us * 1e3 + in->o.latency * 1e9;
    if (ns <= 0)
        return 0;
    if (ns >= 1.8e19)
        return UINT64_MAX;
    return (uint64_t)ns;
}

int myl_live_in_tick(myl_live_in *in, myl_replay *rp, myl_sim *sim, uint64_t t, int *ended,
                     myl_diag *d)
{
    myl_live *lv = in->lv;
    for (;;) {
        int rc = myl_replay_tick(rp, sim, t, ended, d);
        if (rc != MYL_EINTR)
            return rc;
        /* everything queued is injected, and the stream has not gone past tick t */
        uint64_t start = uv_hrtime();
        int out = 0, stopped = 0;
        uv_mutex_lock(&lv->mu);
        uint64_t deadline = deadline_for(in, t);
        for (;;) {
            if (in->q_len || in->ended || in->failed)
                break;
            if (in->stop && *in->stop) {
                stopped = 1;
                break;
            }
            uint64_t now = uv_hrtime();
            if (now >= deadline) {
                out = 1;
                break;
            }
            uv_cond_timedwait(&in->q_cv, &lv->mu,
                              deadline - now < POLL_NS ? deadline - now : POLL_NS);
        }
        if (out) {
            in->horizon = t + 1; /* later events of tick <= t are late */
            in->waited_out++;
        }
        double w = (double)(uv_hrtime() - start) * 1e-9;
        if (w > in->max_wait)
            in->max_wait = w;
        uv_mutex_unlock(&lv->mu);
        if (out || stopped) {
            *ended = 0;
            return 0;
        }
    }
}

void myl_live_in_get_stats(const myl_live_in *in, myl_live_in_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!in)
        return;
    uv_mutex_lock(&in->lv->mu);
    s->format = in->format;
    s->bytes = in->raw_total;
    s->events = in->events;
    s->late = in->late;
    s->waited_out = in->waited_out;
    s->max_wait = in->max_wait;
    uv_mutex_unlock(&in->lv->mu);
}

/* ---- output -------------------------------------------------------------------------------- */

static unsigned bits_for(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* Append n bytes to the queue (lock held; the room has been checked). */
static int pend_put(myl_live_out *o, const uint8_t *p, size_t n)
{
    if (o->pend_len + n > o->pend_cap) {
        size_t cap = o->pend_cap ? o->pend_cap : 64u << 10;
        while (cap < o->pend_len + n)
            cap *= 2;
        uint8_t *nb = myl_realloc(o->pend, cap);
        if (!nb)
            return MYL_ENOMEM;
        o->pend = nb;
        o->pend_cap = cap;
    }
    memcpy(o->pend + o->pend_len, p, n);
    o->pend_len += n;
    return 0;
}

int myl_live_add_output(myl_live *lv, const char *addr, const myl_net *net, char *const *pops,
                        size_t npops, myl_live_out **out, myl_diag *d)
{
    *out = NULL;
    if (!lv || !addr || !net || (npops && !pops))
        return MYL_EINVAL;
    if (lv->started)
        return MYL_ESTATE;
    myl_live_addr a;
    int rc = myl_live_addr_parse(addr, &a, d);
    if (rc)
        return rc;
    if (a.kind == MYL_LIVE_STDIO)
        return myl_diag_fail(d, MYL_EINVAL,
                             "--output -: give a file, tcp://HOST:PORT or unix:PATH");
    if (npops == 0)
        return myl_diag_fail(d, MYL_EINVAL,
                             "%s: the network has no `outputs:` populations to stream", addr);
    myl_live_out *o = myl_calloc(1, sizeof *o);
    if (!o)
        return MYL_ENOMEM;
    if (uv_cond_init(&o->cv)) {
        myl_free(o);
        return MYL_ENOMEM;
    }
    o->lv = lv;
    o->next = lv->outs;
    lv->outs = o;
    o->dead = 1;
    o->fd = -1;
    o->addr = a;
    o->npop = (uint32_t)npops;
    o->first = myl_calloc(npops, sizeof *o->first);
    o->size = myl_calloc(npops, sizeof *o->size);
    o->off = myl_calloc(npops, sizeof *o->off);
    if (!o->first || !o->size || !o->off)
        return MYL_ENOMEM;
    uint64_t total = 0;
    char src[128] = "myelin outputs:";
    size_t sl = strlen(src);
    for (size_t i = 0; i < npops; i++) {
        uint32_t p;
        if (myl_net_find_pop(net, pops[i], &p))
            return myl_diag_fail(d, MYL_EINVAL, "%s: no population named '%s'", addr, pops[i]);
        o->first[i] = myl_net_pop_first(net, p);
        o->size[i] = myl_net_pop_size(net, p);
        o->off[i] = (uint32_t)total;
        total += o->size[i];
        int w = snprintf(src + sl, sizeof src - sl, "%s%s", i ? "," : " ", pops[i]);
        sl = w < 0 || (size_t)w >= sizeof src - sl ? sizeof src - 1 : sl + (size_t)w;
    }
    if (total == 0 || total > 65536)
        return myl_diag_fail(d, MYL_ERANGE,
                             "%s: the output populations have %llu neurons; a stream of spikes "
                             "carries 1 to 65536 (x is 16 bits)",
                             addr, (ull)total);
    o->n = (uint32_t)total;
    o->xbits = bits_for(total - 1);
    tick_setup(myl_net_dt(net), &o->dt_us, &o->dt_int);
    myl_trace_meta m;
    memset(&m, 0, sizeof m);
    m.width = o->n;
    m.height = 1;
    m.channels = o->n;
    m.label = -1;
    snprintf(m.source, sizeof m.source, "%s", src);
    uint8_t h[NAT_HDR + sizeof m.label_name + sizeof m.source];
    if ((rc = pend_put(o, h, native_header(h, &m))))
        return rc;
    if ((rc = uv_timer_init(&lv->loop, &o->timer)))
        return myl_diag_fail(d, MYL_EIO, "%s: %s", addr, uv_strerror(rc));
    o->have_timer = 1;
    o->timer.data = o;
    if (a.kind == MYL_LIVE_FILE) {
        snprintf(o->name, sizeof o->name, "%s", a.path);
        o->fd = open(a.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (o->fd < 0)
            return myl_diag_fail(d, MYL_EIO, "%s: cannot create: %s", a.path, strerror(errno));
        o->connected = 1;
        uv_timer_start(&o->timer, on_flush, FLUSH_MS, FLUSH_MS);
    } else {
        rc = listen_on(lv, &a, addr, &o->server, &o->have_server, on_conn_out, o, &o->unlink_path,
                       o->name, sizeof o->name, d);
        if (rc)
            return rc;
    }
    o->dead = 0;
    *out = o;
    return 0;
}

const char *myl_live_out_address(const myl_live_out *o)
{
    return o->name;
}

int myl_live_out_wait(myl_live_out *o, const volatile int *stop, myl_diag *d)
{
    if (!o || !o->lv->started)
        return MYL_ESTATE;
    myl_live *lv = o->lv;
    int rc = 0;
    uv_mutex_lock(&lv->mu);
    while (!o->connected && !o->accept_err) {
        if (stop && *stop) {
            rc = MYL_EINTR;
            break;
        }
        uv_cond_timedwait(&o->cv, &lv->mu, POLL_NS);
    }
    if (!rc && o->accept_err)
        rc = myl_diag_fail(d, MYL_EIO, "%s: accepting the consumer failed: %s", o->name,
                           uv_strerror(o->accept_err));
    uv_mutex_unlock(&lv->mu);
    return rc;
}

/* The consumer is dropped when it has taken nothing for STALL_NS (lock held). */
static int stalled_locked(myl_live_out *o)
{
    if (o->fd >= 0 || uv_hrtime() - o->progress_ns < STALL_NS)
        return 0;
    drop_locked(o, 2);
    return 1;
}

int myl_live_out_tick(myl_live_out *o, const myl_tick_report *r, myl_diag *d)
{
    myl_live *lv = o->lv;
    size_t nev = 0;
    for (uint32_t i = 0; i < r->nspiking; i++)
        for (uint32_t j = 0; j < o->npop; j++)
            if (r->spike[i] >= o->first[j] && r->spike[i] - o->first[j] < o->size[j])
                nev += r->count ? r->count[i] : 1;
    if (nev) {
        size_t need = NAT_BLK + 4 * nev;
        if (need > o->blk_cap) {
            uint8_t *nb = myl_realloc(o->blk, need);
            if (!nb)
                return MYL_ENOMEM;
            o->blk = nb;
            o->blk_cap = need;
        }
        int64_t base =
            o->dt_int ? (int64_t)r->tick * o->dt_int : (int64_t)llround((double)r->tick * o->dt_us);
        block_header(o->blk, 1, o->xbits, (uint32_t)nev, (uint64_t)base);
        size_t k = 0;
        for (uint32_t i = 0; i < r->nspiking; i++)
            for (uint32_t j = 0; j < o->npop; j++) {
                uint64_t g = r->spike[i];
                if (g < o->first[j] || g - o->first[j] >= o->size[j])
                    continue;
                /* x, y = 0 (no bits), p = 1, time offset 0 */
                uint32_t w = (o->off[j] + (uint32_t)(g - o->first[j])) | 1u << o->xbits;
                for (uint32_t c = r->count ? r->count[i] : 1; c > 0; c--)
                    wr32(o->blk + NAT_BLK + 4 * k++, w);
            }
    }
    int rc = 0;
    uv_mutex_lock(&lv->mu);
    o->cur_tick = r->tick;
    if (o->werr) {
        rc = myl_diag_fail(d, MYL_EIO, "%s: write error: %s", o->name, strerror(o->werr));
    } else if (nev && !o->gone) {
        size_t len = NAT_BLK + 4 * nev;
        while (o->pend_len + len > OUT_MAX && o->pend_len && !o->gone && !o->werr &&
               !lv->stopping && !stalled_locked(o)) {
            kick_locked(lv);
            uv_cond_timedwait(&o->cv, &lv->mu, POLL_NS);
        }
        if (!o->gone && !o->werr) {
            if ((rc = pend_put(o, o->blk, len)) == 0) {
                o->pend_ev += nev;
                o->spikes += nev;
                o->count += nev;
                if (o->pend_len >= OUT_KICK)
                    kick_locked(lv);
            }
        }
    }
    if (nev && o->gone)
        o->discarded += nev;
    uv_mutex_unlock(&lv->mu);
    return rc;
}

int myl_live_out_finish(myl_live_out *o, const volatile int *stop, myl_diag *d)
{
    if (!o)
        return 0;
    myl_live *lv = o->lv;
    uint8_t b[NAT_BLK];
    int rc = 0;
    uv_mutex_lock(&lv->mu);
    if (!o->finished && !o->gone && !o->werr) {
        block_header(b, 0, 0, 0, o->count); /* the end block: the count of events */
        rc = pend_put(o, b, sizeof b);
    }
    o->finished = 1;
    kick_locked(lv);
    while ((o->pend_len || o->writing) && !o->gone && !o->werr && !lv->stopping &&
           !(stop && *stop) && !stalled_locked(o))
        uv_cond_timedwait(&o->cv, &lv->mu, POLL_NS);
    while (o->fd >= 0 && o->writing) /* the I/O thread is writing to the file */
        uv_cond_timedwait(&o->cv, &lv->mu, POLL_NS);
    o->want_close = 1;
    int fd = o->fd;
    o->fd = -1;
    kick_locked(lv);
    /* a moment for the shutdown, so that the consumer sees the end of the stream now */
    for (int i = 0; i < 10 && o->have_conn && !o->closed && !o->gone && !lv->stopping; i++)
        uv_cond_timedwait(&o->cv, &lv->mu, POLL_NS);
    int werr = o->werr;
    uv_mutex_unlock(&lv->mu);
    if (fd >= 0 && close(fd) != 0 && !werr)
        werr = errno;
    if (werr)
        return myl_diag_fail(d, MYL_EIO, "%s: write error: %s", o->name, strerror(werr));
    return rc;
}

void myl_live_out_get_stats(const myl_live_out *o, myl_live_out_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!o)
        return;
    uv_mutex_lock(&o->lv->mu);
    s->spikes = o->spikes;
    s->written = o->written;
    s->discarded = o->discarded;
    s->gone = o->gone != 0;
    s->gone_tick = o->gone_tick;
    uv_mutex_unlock(&o->lv->mu);
}

/* ---- pacing -------------------------------------------------------------------------------- */

struct myl_pacer {
    uv_loop_t loop;
    uv_timer_t timer;
    double slot_ns; /* dt / speed */
    uint64_t w0;    /* when tick 0 started */
    int started;
    uint64_t ticks, late;
    double max_lag, sum_lag; /* [ns] */
};

int myl_pacer_new(double dt, double speed, myl_pacer **out)
{
    *out = NULL;
    if (!(dt > 0) || !(speed > 0) || !isfinite(dt / speed))
        return MYL_EINVAL;
    myl_pacer *p = myl_calloc(1, sizeof *p);
    if (!p)
        return MYL_ENOMEM;
    if (uv_loop_init(&p->loop)) {
        myl_free(p);
        return MYL_ENOMEM;
    }
    uv_timer_init(&p->loop, &p->timer);
    p->slot_ns = dt / speed * 1e9;
    *out = p;
    return 0;
}

static void on_pace(uv_timer_t *t)
{
    (void)t; /* firing ends uv_run: nothing else is active on the pacer's loop */
}

void myl_pacer_wait(myl_pacer *p, uint64_t t, const volatile int *stop)
{
    uint64_t now = uv_hrtime();
    if (!p->started) {
        p->started = 1;
        p->w0 = now - (uint64_t)((double)t * p->slot_ns);
        return;
    }
    double due_d = (double)p->w0 + (double)t * p->slot_ns;
    uint64_t due = due_d >= 1.8e19 ? UINT64_MAX : (uint64_t)due_d;
    /* the timer counts whole milliseconds and may fire a millisecond late: sleep until at
     * most 2 ms before the slot, then start (a tick starts up to 2 ms early, never late) */
    while (due > now && due - now > 2 * MS_NS) {
        if (stop && *stop)
            return;
        uint64_t ms = (due - now) / MS_NS - 1;
        if (ms > 100)
            ms = 100;
        uv_update_time(&p->loop);
        uv_timer_start(&p->timer, on_pace, ms, 0);
        uv_run(&p->loop, UV_RUN_DEFAULT);
        now = uv_hrtime();
    }
}

void myl_pacer_done(myl_pacer *p, uint64_t t)
{
    if (!p->started)
        return;
    double end = (double)p->w0 + (double)(t + 1) * p->slot_ns;
    double lag = (double)uv_hrtime() - end;
    p->ticks++;
    if (lag > 0) {
        p->late++;
        p->sum_lag += lag;
        if (lag > p->max_lag)
            p->max_lag = lag;
    }
}

void myl_pacer_get_stats(const myl_pacer *p, myl_pacer_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!p)
        return;
    s->ticks = p->ticks;
    s->late = p->late;
    s->max_lag = p->max_lag * 1e-9;
    s->mean_lag = p->ticks ? p->sum_lag / (double)p->ticks * 1e-9 : 0;
    s->slot = p->slot_ns * 1e-9;
}

void myl_pacer_free(myl_pacer *p)
{
    if (!p)
        return;
    uv_close((uv_handle_t *)&p->timer, NULL);
    uv_run(&p->loop, UV_RUN_DEFAULT);
    uv_loop_close(&p->loop);
    myl_free(p);
}
