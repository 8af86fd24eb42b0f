/* Live streams (docs/live.md): events arriving on a socket or on stdin while the run goes on,
 * the spikes of the output populations streamed out as they happen, and pacing of ticks
 * against the wall clock.
 *
 * A hub (myl_live) owns one libuv loop, run by one I/O thread, for all of a run's endpoints.
 * For tcp://HOST:PORT and unix:PATH addresses myelin listens and accepts one connection per
 * endpoint: a sensor or a program sending events connects to myelin, and so does a consumer of
 * spikes. `-` is stdin.
 *
 * Input: the I/O thread copies the bytes it receives into a bounded ring; a decoder thread
 * reads the ring through a blocking myl_bytes source with an ordinary myl_reader (myelin's
 * native format or Prophesee EVT 2.0, named or recognised from the first bytes) and queues the
 * events in a bounded queue; the simulation thread replays the queue with myl_replay through a
 * second reader (the queue re-encoded in the native format). Memory stays bounded whatever the
 * stream: a full ring stops reading from the socket, and the sender's writes then wait.
 *
 * Time: simulated time is ticks, counted by the simulation; libuv's clock never sets it. The
 * wall clock only decides when a tick may run (myl_pacer, --realtime) and how long the
 * simulation waits for a stream that has not yet reached a tick (the latency watermark).
 */
#ifndef MYELIN_LIVE_H
#define MYELIN_LIVE_H

#include "myelin/err.h"
#include "myelin/net.h"
#include "myelin/replay.h"
#include "myelin/sim.h"
#include "myelin/trace.h"

#include <stddef.h>
#include <stdint.h>

/* ---- addresses ----------------------------------------------------------------------------- */

typedef enum myl_live_kind {
    MYL_LIVE_FILE = 0, /* a path: output only (inputs from files are replayed, not streamed) */
    MYL_LIVE_TCP,      /* tcp://HOST:PORT (HOST a name, an IPv4 address or [IPv6]) */
    MYL_LIVE_UNIX,     /* unix:PATH, a Unix-domain socket */
    MYL_LIVE_STDIO,    /* -: stdin */
} myl_live_kind;

typedef struct myl_live_addr {
    myl_live_kind kind;
    char host[256];  /* TCP, without brackets */
    uint16_t port;   /* TCP; 0: any free port (see myl_live_in_address) */
    char path[4096]; /* Unix socket or file */
} myl_live_addr;

/* Is s a stream address (tcp://, unix: or -) rather than a file path? */
int myl_live_is_stream(const char *s);
/* Parse an address. MYL_EINVAL with a message for a malformed one (a missing port, a port over
 * 65535, an empty or too long Unix path). */
int myl_live_addr_parse(const char *s, myl_live_addr *a, myl_diag *d);

/* ---- the hub ------------------------------------------------------------------------------- */

typedef struct myl_live myl_live;
typedef struct myl_live_in myl_live_in;
typedef struct myl_live_out myl_live_out;

/* A hub with no endpoints and no thread yet. Sets SIGPIPE to be ignored in the process (a
 * consumer that goes away must be an error on a write, not the end of the program), as libuv
 * asks of programs that write to sockets. */
int myl_live_new(myl_live **out);
/* Start the I/O thread. Endpoints are added before; MYL_ESTATE after. */
int myl_live_start(myl_live *lv, myl_diag *d);
/* Stop the threads, close every connection and listener, remove the Unix sockets the hub
 * created, free it all. Readers from myl_live_in_open must be closed before. NULL is fine. */
void myl_live_free(myl_live *lv);

/* ---- input --------------------------------------------------------------------------------- */

typedef struct myl_live_in_opts {
    myl_trace_opts trace; /* format: MYL_TRACE_UNKNOWN recognises native or EVT 2.0 */
    double dt;            /* seconds per tick: the network's */
    int origin_first;     /* the binding's origin: t0 = the first event's time ... */
    int64_t origin_us;    /* ... or this time [µs] */
    double latency;       /* the watermark [s]; < 0: wait for the stream without limit */
} myl_live_in_opts;

#define MYL_LIVE_LATENCY_DEFAULT 0.1 /* [s] */

/* Options for a binding's stream, with the network's dt and a latency [s]. */
void myl_live_in_opts_for(const myl_binding *b, double dt, double latency, myl_live_in_opts *o);

/* Add an input at address addr (tcp://, unix: or -): listens now, so that a port in use or a
 * bad address fails at once (MYL_EINVAL for a malformed address, MYL_EIO for one that cannot
 * be listened on or opened, both with a message). */
int myl_live_add_input(myl_live *lv, const char *addr, const myl_live_in_opts *o, myl_live_in **out,
                       myl_diag *d);
/* The address listened on, with the port the system chose for port 0. */
const char *myl_live_in_address(const myl_live_in *in);

/* Wait until a sender has connected, the stream's header has been read and its first event
 * has come (or the stream has ended), then return in *reader a reader of the stream for
 * myl_replay_new. The caller closes it (myl_reader_close) before freeing the hub. While
 * waiting, *stop becoming non-zero (a signal handler's flag) gives up with MYL_EINTR. A stream
 * that is not an event stream, or ends inside its header, is MYL_EPARSE with the byte offset. */
int myl_live_in_open(myl_live_in *in, const volatile int *stop, myl_reader **reader, myl_diag *d);

/* myl_replay_tick for a live stream: inject tick t's events, waiting while the stream has not
 * gone past tick t, at most until the latency runs out (docs/live.md, "Latency"); then tick t is
 * simulated with what has come, and events of tick t that come later go to the first tick not
 * yet simulated (counted as late). rp must replay the reader of myl_live_in_open. Errors in the
 * stream (a malformed or truncated one, a lost connection) come back here, after every event
 * before them, as MYL_EPARSE or MYL_EIO with the byte offset. */
int myl_live_in_tick(myl_live_in *in, myl_replay *rp, myl_sim *sim, uint64_t t, int *ended,
                     myl_diag *d);

typedef struct myl_live_in_stats {
    myl_trace_format format; /* as named or recognised; MYL_TRACE_UNKNOWN before the header */
    uint64_t bytes;          /* received */
    uint64_t events;         /* decoded */
    uint64_t late;           /* events moved to a later tick: theirs had been simulated */
    uint64_t waited_out;     /* ticks simulated before the stream reached them */
    double max_wait;         /* the longest the simulation waited for the stream in a tick [s] */
} myl_live_in_stats;

void myl_live_in_get_stats(const myl_live_in *in, myl_live_in_stats *s);

/* ---- output -------------------------------------------------------------------------------- */

/* Stream the spikes of populations pops[0..npops) of net (their neurons numbered one after the
 * other, in that order: x; y = 0; t = tick * dt in µs; p = 1) in the native format to addr: a
 * file, or tcp:// or unix:, where one consumer connects. At most 65536 neurons (MYL_ERANGE). */
int myl_live_add_output(myl_live *lv, const char *addr, const myl_net *net, char *const *pops,
                        size_t npops, myl_live_out **out, myl_diag *d);
const char *myl_live_out_address(const myl_live_out *o);
/* Sockets: wait until the consumer has connected (MYL_EINTR if *stop is set first). */
int myl_live_out_wait(myl_live_out *o, const volatile int *stop, myl_diag *d);
/* Queue tick r->tick's spikes; the I/O thread writes them within a few milliseconds. Waits
 * while more than 8 MiB are queued (a slow consumer slows the run; one that reads nothing for
 * 10 s is dropped). A consumer that disconnects is not an error: later spikes are discarded and
 * counted. MYL_EIO if writing a file failed. */
int myl_live_out_tick(myl_live_out *o, const myl_tick_report *r, myl_diag *d);
/* Write the end block, wait until everything queued is written (or the consumer is gone or
 * stalls for 10 s), and close the connection. MYL_EIO if writing a file failed. */
int myl_live_out_finish(myl_live_out *o, const volatile int *stop, myl_diag *d);

typedef struct myl_live_out_stats {
    uint64_t spikes;    /* queued for the consumer */
    uint64_t written;   /* bytes written */
    uint64_t discarded; /* spikes not sent: the consumer had gone */
    int gone;           /* the consumer disconnected (or stalled) during the run */
    uint64_t gone_tick; /* the tick being simulated then */
} myl_live_out_stats;

void myl_live_out_get_stats(const myl_live_out *o, myl_live_out_stats *s);

/* ---- pacing -------------------------------------------------------------------------------- */

/* Paces ticks against the wall clock with a libuv timer on the calling thread: tick t starts
 * no earlier than t * dt / speed after tick 0 started (libuv timers count milliseconds: with
 * slots shorter than 1 ms, ticks run in bursts, and the rate holds on average). */
typedef struct myl_pacer myl_pacer;

typedef struct myl_pacer_stats {
    uint64_t ticks;  /* ticks paced */
    uint64_t late;   /* ticks that finished after their slot ended */
    double max_lag;  /* the largest lag: finish - end of slot [s] */
    double mean_lag; /* lag averaged over all ticks (on-time ticks count 0) [s] */
    double slot;     /* dt / speed [s] */
} myl_pacer_stats;

/* MYL_EINVAL unless dt > 0 and speed > 0. */
int myl_pacer_new(double dt, double speed, myl_pacer **out);
/* Before tick t: sleep until its slot starts (tick 0 starts the clock). Returns early if *stop
 * becomes non-zero (stop may be NULL). */
void myl_pacer_wait(myl_pacer *p, uint64_t t, const volatile int *stop);
/* After tick t: note whether it finished within its slot. */
void myl_pacer_done(myl_pacer *p, uint64_t t);
void myl_pacer_get_stats(const myl_pacer *p, myl_pacer_stats *s);
void myl_pacer_free(myl_pacer *p);

#endif
