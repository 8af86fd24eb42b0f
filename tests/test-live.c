/* Live streams (sim/io/live.c): a client thread sends a trace over TCP loopback and over a Unix
 * socket, in odd-sized chunks with pauses, and the live run's spikes must equal, tick by tick,
 * those of the replay of the same trace from a file (myelin's native format, EVT 2.0 with a
 * header, raw EVT 2.0 words). Also: late streams, truncated and malformed streams (reported
 * with the byte offset), --output to a consumer and to a file, a consumer that goes away, the
 * pacer's wall time, addresses. */
#include "testlib.h"

#include "myelin/cnet.h"
#include "myelin/live.h"
#include "myelin/netfile.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NCH 16         /* channels of the native trace */
#define SPAN_US 200000 /* the trace's length */
#define NEV 3000       /* its events */
#define TICKS 260      /* ticks simulated: the trace and its echoes */

/* ---- traces ---------------------------------------------------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static int cmp_t(const void *a, const void *b)
{
    const myl_event *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* n events in [1000, 1000 + span) µs, sorted; x < w, y < h. */
static void gen(myl_event *ev, size_t n, int64_t span, uint32_t w, uint32_t h)
{
    for (size_t i = 0; i < n; i++)
        ev[i] = (myl_event){.t = 1000 + (int64_t)(rnd() % (uint64_t)span),
                            .x = (uint16_t)(rnd() % w),
                            .y = (uint16_t)(rnd() % h),
                            .p = (uint8_t)(rnd() & 1)};
    qsort(ev, n, sizeof *ev, cmp_t);
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s", path);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* A channel stream of n events over span µs in myelin's format: a file, and its bytes. */
static uint8_t *native_trace_n(const char *path, size_t n, int64_t span, size_t *size)
{
    myl_event *ev = malloc(n * sizeof *ev);
    gen(ev, n, span, NCH, 1);
    for (size_t i = 0; i < n; i++)
        ev[i].p = 1;
    myl_trace_meta m = {.width = NCH, .height = 1, .channels = NCH, .label = -1};
    myl_writer *w = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_writer_open(path, MYL_TRACE_NATIVE, &m, &w, &d), 0);
    ck_assert_int_eq(myl_writer_write(w, ev, n, &d), 0);
    ck_assert_int_eq(myl_writer_close(w, &d), 0);
    free(ev);
    return slurp(path, size);
}

static uint8_t *native_trace(const char *path, size_t *size)
{
    return native_trace_n(path, NEV, SPAN_US, size);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* An EVT 2.0 stream of a 16 x 2 sensor, with a header or as raw words: a file, and its bytes. */
static uint8_t *evt2_trace(const char *path, int header, size_t *size)
{
    myl_event ev[NEV];
    gen(ev, NEV, SPAN_US, 16, 2);
    static const char hdr[] = "% evt 2.0\n% format EVT2;height=2;width=16\n% end\n";
    size_t hl = header ? sizeof hdr - 1 : 0;
    uint8_t *b = malloc(hl + 8 * (size_t)NEV);
    memcpy(b, hdr, hl);
    size_t n = hl;
    uint64_t th = UINT64_MAX;
    for (int i = 0; i < NEV; i++) {
        uint64_t t = (uint64_t)ev[i].t;
        if (t >> 6 != th) {
            th = t >> 6;
            put32(b + n, 0x8u << 28 | (uint32_t)(th & 0x0FFFFFFF));
            n += 4;
        }
        put32(b + n, (uint32_t)ev[i].p << 28 | (uint32_t)(t & 0x3F) << 22 |
                         (uint32_t)ev[i].x << 11 | ev[i].y);
        n += 4;
    }
    spit(path, b, n);
    *size = n;
    return b;
}

/* ---- networks and runs ----------------------------------------------------------------------- */

/* An events population of `size` bound to `trace`, eight LIF neurons with delays and mutual
 * inhibition; their spikes are the network's outputs. */
static myl_netfile *load_net(uint32_t size, const char *trace, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "myelin: 1\n"
             "name: live-test\n"
             "run: {dt: 1 ms, seed: 5}\n"
             "populations:\n"
             "  - {name: in, size: %u, model: events}\n"
             "  - {name: out, size: 8, model: lif, tau_m: 5 ms, v_th: 1, refractory: 2}\n"
             "projections:\n"
             "  - {from: in, to: out, rule: fixed_probability, p: 0.5, weight: 0.6,\n"
             "     delay: {dist: uniform, low: 1, high: 4}}\n"
             "  - {from: out, to: out, rule: all_to_all, weight: -0.3, delay: 2}\n"
             "inputs:\n"
             "  - {population: in, trace: '%s'%s}\n"
             "outputs: [out]\n",
             size, trace, extra);
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_parse(text, strlen(text), "live.yaml", ".", &nf, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    return nf;
}

static myl_cnet *compile(const myl_netfile *nf)
{
    myl_compile_opts o = {.seed = 5};
    myl_cnet *c = NULL;
    myl_diag d = {0};
    int rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    return c;
}

/* Spikes as (tick << 40 | neuron << 16 | count), in order. */
typedef struct spikes {
    uint64_t *v;
    size_t n, cap;
} spikes;

static void record(spikes *s, const myl_tick_report *r)
{
    for (uint32_t i = 0; i < r->nspiking; i++) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 4096;
            s->v = realloc(s->v, s->cap * sizeof *s->v);
        }
        s->v[s->n++] = r->tick << 40 | (uint64_t)r->spike[i] << 16 | r->count[i];
    }
}

static void same_spikes(const spikes *a, const spikes *b, const char *what)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (a->v[i] != b->v[i])
            ck_abort_msg("%s: spike %zu differs: tick %llu neuron %llu x%llu, expected tick %llu "
                         "neuron %llu x%llu",
                         what, i, (unsigned long long)(b->v[i] >> 40),
                         (unsigned long long)(b->v[i] >> 16 & 0xFFFFFF),
                         (unsigned long long)(b->v[i] & 0xFFFF),
                         (unsigned long long)(a->v[i] >> 40),
                         (unsigned long long)(a->v[i] >> 16 & 0xFFFFFF),
                         (unsigned long long)(a->v[i] & 0xFFFF));
    ck_assert_msg(a->n == b->n, "%s: %zu spikes, expected %zu", what, b->n, a->n);
}

/* Replay from the file the binding names. */
static void run_file(myl_netfile *nf, uint64_t ticks, spikes *out)
{
    myl_cnet *c = compile(nf);
    myl_sim *sim = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &sim), 0);
    myl_reader *r = NULL;
    myl_replay *rp = NULL;
    myl_diag d = {0};
    const myl_binding *b = &nf->inputs[0];
    int rc = myl_reader_open_file(b->source, &b->opts, &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    rc = myl_replay_new(b, r, nf->net, &rp, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    for (uint64_t t = 0; t < ticks; t++) {
        int ended;
        myl_tick_report rep;
        if (myl_replay_tick(rp, sim, t, &ended, &d))
            ck_abort_msg("file replay, tick %llu: %s", (unsigned long long)t, d.msg);
        if (myl_sim_step(sim, &rep))
            ck_abort_msg("tick %llu", (unsigned long long)t);
        record(out, &rep);
    }
    myl_replay_free(rp);
    myl_reader_close(r);
    myl_sim_free(sim);
    myl_cnet_free(c);
}

/* ---- the client ------------------------------------------------------------------------------ */

typedef struct client {
    char addr[512];      /* where to connect: tcp://127.0.0.1:PORT or unix:PATH */
    const uint8_t *data; /* what to send */
    size_t len;
    size_t pause_at; /* after this many bytes, sleep pause_ms (0: never) */
    int pause_ms;
    int recv;    /* a consumer instead: read until the end into got */
    int hang_up; /* a consumer that closes at once */
    int fast;    /* chunks 64 times larger, no short pauses */
    uint8_t *got;
    size_t ngot;
    pthread_t th;
} client;

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int dial(const char *addr)
{
    int fd;
    if (strncmp(addr, "tcp://", 6) == 0) {
        const char *colon = strrchr(addr, ':');
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)atoi(colon + 1))};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
    } else {
        struct sockaddr_un su = {.sun_family = AF_UNIX};
        snprintf(su.sun_path, sizeof su.sun_path, "%s", addr + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&su, sizeof su) != 0) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

static void *client_main(void *arg)
{
    client *c = arg;
    int fd = dial(c->addr);
    if (fd < 0)
        return NULL;
    if (c->hang_up) {
        close(fd);
        return NULL;
    }
    if (c->recv) {
        size_t cap = 1 << 16;
        c->got = malloc(cap);
        for (;;) {
            if (c->ngot == cap)
                c->got = realloc(c->got, cap *= 2);
            ssize_t k = read(fd, c->got + c->ngot, cap - c->ngot);
            if (k <= 0)
                break;
            c->ngot += (size_t)k;
        }
        close(fd);
        return NULL;
    }
    /* odd-sized chunks, a short pause every few, and a long one where asked */
    static const size_t sizes[] = {1, 3, 17, 64, 255, 1000, 7, 4093, 2, 511};
    size_t off = 0;
    for (int i = 0; off < c->len; i++) {
        size_t k = sizes[i % 10] * (c->fast ? 64 : 1);
        if (k > c->len - off)
            k = c->len - off;
        if (c->pause_at && off < c->pause_at && off + k > c->pause_at)
            k = c->pause_at - off;
        ssize_t w = write(fd, c->data + off, k);
        if (w <= 0)
            break;
        off += (size_t)w;
        if (c->pause_at && off == c->pause_at)
            nap_us(c->pause_ms * 1000L);
        else if (i % 3 == 0 && !c->fast)
            nap_us(300);
    }
    close(fd);
    return NULL;
}

static void client_start(client *c, const char *addr)
{
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    ck_assert_int_eq(pthread_create(&c->th, NULL, client_main, c), 0);
}

/* ---- live runs ------------------------------------------------------------------------------- */

typedef struct live_result {
    int rc; /* the first error */
    myl_diag d;
    uint64_t ticks; /* simulated */
    myl_live_in_stats in;
    myl_replay_stats rs;
} live_result;

/* Listen on `listen`, have a client send c->data, run `ticks` ticks (0: until the stream has
 * ended and its echoes died out), recording spikes. */
static void run_live(myl_netfile *nf, const char *listen, client *c, double latency, uint64_t ticks,
                     spikes *out, live_result *res)
{
    memset(res, 0, sizeof *res);
    myl_cnet *cn = compile(nf);
    myl_sim *sim = NULL;
    ck_assert_int_eq(myl_sim_new(cn, MYL_ENGINE_EVENT, &sim), 0);
    myl_live *lv = NULL;
    ck_assert_int_eq(myl_live_new(&lv), 0);
    myl_live_in_opts o;
    myl_live_in_opts_for(&nf->inputs[0], myl_net_dt(nf->net), latency, &o);
    myl_live_in *in = NULL;
    int rc = myl_live_add_input(lv, listen, &o, &in, &res->d);
    ck_assert_msg(rc == 0, "%s", res->d.msg);
    ck_assert_int_eq(myl_live_start(lv, &res->d), 0);
    client_start(c, myl_live_in_address(in));
    myl_reader *r = NULL;
    myl_replay *rp = NULL;
    rc = myl_live_in_open(in, NULL, &r, &res->d);
    if (!rc)
        rc = myl_replay_new(&nf->inputs[0], r, nf->net, &rp, &res->d);
    uint64_t t = 0, drain = UINT64_MAX;
    for (; !rc && (ticks ? t < ticks : t <= drain); t++) {
        int ended = 0;
        myl_tick_report rep;
        rc = myl_live_in_tick(in, rp, sim, t, &ended, &res->d);
        if (rc)
            break;
        if (ended && drain == UINT64_MAX)
            drain = t + 10;
        if (myl_sim_step(sim, &rep))
            ck_abort_msg("tick %llu", (unsigned long long)t);
        if (out)
            record(out, &rep);
        if (t > 100000)
            ck_abort_msg("the live run does not end");
    }
    res->rc = rc;
    res->ticks = t;
    myl_live_in_get_stats(in, &res->in);
    if (rp)
        myl_replay_get_stats(rp, &res->rs);
    myl_replay_free(rp);
    myl_reader_close(r);
    myl_live_free(lv); /* closes the connection: a client still writing stops */
    pthread_join(c->th, NULL);
    myl_sim_free(sim);
    myl_cnet_free(cn);
}

static void live_equals_file(const char *listen, uint32_t size, const char *extra, int format,
                             double latency)
{
    const char *path = myl_test_tmp(format ? "in.raw" : "in.myl");
    size_t len;
    uint8_t *data = format == 0   ? native_trace(path, &len)
                    : format == 1 ? evt2_trace(path, 1, &len)
                                  : evt2_trace(path, 0, &len);
    myl_netfile *nf = load_net(size, path, extra);
    spikes want = {0}, got = {0};
    run_file(nf, TICKS, &want);
    size_t nout = 0;
    for (size_t i = 0; i < want.n; i++)
        nout += (want.v[i] >> 16 & 0xFFFFFF) >= size;
    ck_assert_msg(nout > 50, "the LIF neurons should spike: %zu spikes", nout);
    client c = {.data = data, .len = len};
    live_result res;
    run_live(nf, listen, &c, latency, TICKS, &got, &res);
    ck_assert_msg(res.rc == 0, "%s", res.d.msg);
    same_spikes(&want, &got, listen);
    ck_assert_uint_eq(res.in.bytes, len);
    ck_assert_uint_eq(res.in.events, NEV);
    ck_assert_uint_eq(res.in.late, 0);
    ck_assert_int_eq(res.in.format, format ? MYL_TRACE_EVT2 : MYL_TRACE_NATIVE);
    free(want.v);
    free(got.v);
    free(data);
    myl_netfile_free(nf);
}

START_TEST(tcp_native)
{
    live_equals_file("tcp://127.0.0.1:0", NCH, "", 0, 5.0);
}
END_TEST

START_TEST(unix_native)
{
    const char *sock = myl_test_tmp("native.sock");
    char addr[4200];
    snprintf(addr, sizeof addr, "unix:%s", sock);
    live_equals_file(addr, NCH, "", 0, -1);
    struct stat st;
    ck_assert_msg(stat(sock, &st) != 0, "the socket file is left behind");
}
END_TEST

START_TEST(tcp_evt2)
{
    live_equals_file("tcp://127.0.0.1:0", 32, ", polarity: merge", 1, 5.0);
}
END_TEST

START_TEST(unix_evt2_raw)
{
    char addr[4200];
    snprintf(addr, sizeof addr, "unix:%s", myl_test_tmp("raw.sock"));
    live_equals_file(addr, 64, ", sensor: [16, 2], format: evt2", 2, -1);
}
END_TEST

/* A stream far larger than the buffers (4 MiB through a 1 MiB ring, 1.2 million events through
 * a queue of 65536): reading pauses and resumes, the decoder waits for room, nothing is lost. */
START_TEST(big_stream)
{
    const char *path = myl_test_tmp("big.myl");
    size_t len, n = 1200000;
    uint8_t *data = native_trace_n(path, n, 1000000, &len);
    ck_assert_msg(len > 4 * (1u << 20), "%zu bytes", len);
    myl_netfile *nf = load_net(NCH, path, "");
    spikes want = {0}, got = {0};
    run_file(nf, 1010, &want);
    client c = {.data = data, .len = len, .fast = 1};
    live_result res;
    char addr[4200];
    snprintf(addr, sizeof addr, "unix:%s", myl_test_tmp("big.sock"));
    run_live(nf, addr, &c, -1, 1010, &got, &res);
    ck_assert_msg(res.rc == 0, "%s", res.d.msg);
    same_spikes(&want, &got, "a big stream");
    ck_assert_uint_eq(res.in.bytes, len);
    ck_assert_uint_eq(res.in.events, n);
    ck_assert_uint_eq(res.rs.injected, n);
    free(want.v);
    free(got.v);
    free(data);
    myl_netfile_free(nf);
}
END_TEST

/* A sender that stalls past the latency: the ticks it misses run without it, its late events
 * go to later ticks, none is lost, and the run ends cleanly. */
START_TEST(late_stream)
{
    const char *path = myl_test_tmp("late.myl");
    size_t len;
    uint8_t *data = native_trace(path, &len);
    myl_netfile *nf = load_net(NCH, path, "");
    client c = {.data = data, .len = len, .pause_at = len / 3, .pause_ms = 400};
    live_result res;
    run_live(nf, "tcp://127.0.0.1:0", &c, 0.02, 0, NULL, &res);
    ck_assert_msg(res.rc == 0, "%s", res.d.msg);
    ck_assert_msg(res.in.waited_out > 0, "no tick ran before the stream reached it");
    ck_assert_msg(res.in.late > 0, "no late event");
    ck_assert_uint_eq(res.in.events, NEV);
    ck_assert_uint_eq(res.rs.injected, NEV);
    free(data);
    myl_netfile_free(nf);
}
END_TEST

/* A stream that fails: the run's error names the byte offset; nothing crashes or leaks. */
static void expect_failure(const uint8_t *data, size_t len, const char *want)
{
    const char *path = myl_test_tmp("bad.myl");
    size_t good;
    uint8_t *ok = native_trace(path, &good);
    free(ok);
    myl_netfile *nf = load_net(NCH, path, "");
    client c = {.data = data, .len = len};
    live_result res;
    run_live(nf, "tcp://127.0.0.1:0", &c, 5.0, TICKS, NULL, &res);
    ck_assert_msg(res.rc == MYL_EPARSE, "rc %d: %s", res.rc, res.d.msg);
    ck_assert_msg(strstr(res.d.msg, want) != NULL, "'%s' does not say '%s'", res.d.msg, want);
    myl_netfile_free(nf);
}

START_TEST(truncated)
{
    size_t len;
    uint8_t *data = native_trace(myl_test_tmp("t.myl"), &len);
    size_t cut = len / 2 + 1; /* inside a block's events */
    char want[64];
    snprintf(want, sizeof want, "byte %zu: truncated", cut);
    expect_failure(data, cut, want);
    free(data);
}
END_TEST

START_TEST(garbage)
{
    static const char text[] = "hello, this is not an event stream\n";
    expect_failure((const uint8_t *)text, sizeof text - 1, "byte 0: not an event stream");
    /* a good header, then a block kind no version defines */
    size_t len;
    uint8_t *data = native_trace(myl_test_tmp("g.myl"), &len);
    memset(data + 48, 0, 16);
    data[48] = 7;
    expect_failure(data, 64, "byte 48: unknown block kind 7");
    free(data);
    /* good blocks, then a bad one where the end block was */
    data = native_trace(myl_test_tmp("g.myl"), &len);
    data[len - 16] = 9;
    char want[64];
    snprintf(want, sizeof want, "byte %zu: unknown block kind 9", len - 16);
    expect_failure(data, len, want);
    free(data);
}
END_TEST

/* ---- output ---------------------------------------------------------------------------------- */

/* Replay the file into the network while streaming `out` to addr; a consumer (unless addr is a
 * file) reads it. Returns the spikes of the `out` population. */
static void run_output(const char *addr, client *consumer, spikes *want, myl_live_out_stats *st)
{
    const char *path = myl_test_tmp("o.myl");
    size_t len;
    free(native_trace(path, &len));
    myl_netfile *nf = load_net(NCH, path, "");
    myl_cnet *cn = compile(nf);
    myl_sim *sim = NULL;
    ck_assert_int_eq(myl_sim_new(cn, MYL_ENGINE_EVENT, &sim), 0);
    myl_reader *r = NULL;
    myl_replay *rp = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_reader_open_file(path, NULL, &r, &d), 0);
    ck_assert_int_eq(myl_replay_new(&nf->inputs[0], r, nf->net, &rp, &d), 0);
    myl_live *lv = NULL;
    ck_assert_int_eq(myl_live_new(&lv), 0);
    myl_live_out *o = NULL;
    int rc = myl_live_add_output(lv, addr, nf->net, nf->outputs, nf->noutputs, &o, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    ck_assert_int_eq(myl_live_start(lv, &d), 0);
    if (consumer)
        client_start(consumer, myl_live_out_address(o));
    ck_assert_int_eq(myl_live_out_wait(o, NULL, &d), 0);
    if (consumer && consumer->hang_up)
        nap_us(50000); /* it has gone before the first spike */
    uint32_t pop;
    ck_assert_int_eq(myl_net_find_pop(nf->net, "out", &pop), 0);
    uint64_t first = myl_net_pop_first(nf->net, pop);
    for (uint64_t t = 0; t < TICKS; t++) {
        int ended;
        myl_tick_report rep;
        if (myl_replay_tick(rp, sim, t, &ended, &d) || myl_sim_step(sim, &rep))
            ck_abort_msg("tick %llu: %s", (unsigned long long)t, d.msg);
        if (myl_live_out_tick(o, &rep, &d))
            ck_abort_msg("tick %llu: %s", (unsigned long long)t, d.msg);
        for (uint32_t i = 0; i < rep.nspiking; i++)
            if (rep.spike[i] >= first && rep.spike[i] < first + 8) {
                if (want->n == want->cap) {
                    want->cap = want->cap ? 2 * want->cap : 4096;
                    want->v = realloc(want->v, want->cap * sizeof *want->v);
                }
                want->v[want->n++] = t << 40 | (rep.spike[i] - first) << 16 | 1;
            }
        if (t % 20 == 0)
            nap_us(2000); /* the consumer sees spikes while the run goes on */
    }
    rc = myl_live_out_finish(o, NULL, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    myl_live_out_get_stats(o, st);
    myl_live_free(lv); /* closes the connection: the consumer's read ends, whatever happened */
    if (consumer)
        pthread_join(consumer->th, NULL);
    myl_replay_free(rp);
    myl_reader_close(r);
    myl_sim_free(sim);
    myl_cnet_free(cn);
    myl_netfile_free(nf);
}

/* Decode a stream of output spikes into the same form. */
static void decode_output(const uint8_t *b, size_t n, spikes *got)
{
    myl_bytes src;
    myl_bytes_from_memory(b, n, "output", &src);
    myl_reader *r = NULL;
    myl_diag d = {0};
    int rc = myl_reader_open(&src, NULL, &r, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    const myl_trace_meta *m = myl_reader_meta(r);
    ck_assert_uint_eq(m->channels, 8);
    ck_assert_uint_eq(m->width, 8);
    ck_assert_uint_eq(m->height, 1);
    myl_event ev[512];
    size_t k;
    while ((rc = myl_reader_read(r, ev, 512, &k, &d)) == 0 && k) {
        for (size_t i = 0; i < k; i++) {
            if (ev[i].y != 0 || ev[i].p != 1 || ev[i].t % 1000 != 0)
                ck_abort_msg("output event %zu: t %lld, y %u, p %u", got->n, (long long)ev[i].t,
                             ev[i].y, ev[i].p);
            if (got->n == got->cap) {
                got->cap = got->cap ? 2 * got->cap : 4096;
                got->v = realloc(got->v, got->cap * sizeof *got->v);
            }
            got->v[got->n++] = (uint64_t)(ev[i].t / 1000) << 40 | (uint64_t)ev[i].x << 16 | 1;
        }
    }
    ck_assert_msg(rc == 0, "%s", d.msg); /* with the end block: the count checks out */
    myl_reader_close(r);
}

START_TEST(output_tcp)
{
    client c = {.recv = 1};
    spikes want = {0}, got = {0};
    myl_live_out_stats st;
    run_output("tcp://127.0.0.1:0", &c, &want, &st);
    ck_assert_msg(want.n > 20, "%zu output spikes", want.n);
    decode_output(c.got, c.ngot, &got);
    same_spikes(&want, &got, "--output over TCP");
    ck_assert_uint_eq(st.spikes, want.n);
    ck_assert_int_eq(st.gone, 0);
    ck_assert_uint_eq(st.written, c.ngot);
    free(c.got);
    free(want.v);
    free(got.v);
}
END_TEST

START_TEST(output_unix_and_file)
{
    char addr[4200];
    snprintf(addr, sizeof addr, "unix:%s", myl_test_tmp("out.sock"));
    client c = {.recv = 1};
    spikes want = {0}, got = {0};
    myl_live_out_stats st;
    run_output(addr, &c, &want, &st);
    decode_output(c.got, c.ngot, &got);
    same_spikes(&want, &got, "--output over a Unix socket");
    free(c.got);
    free(want.v);
    free(got.v);
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    const char *path = myl_test_tmp("spikes.myl");
    run_output(path, NULL, &want, &st);
    size_t n;
    uint8_t *b = slurp(path, &n);
    decode_output(b, n, &got);
    same_spikes(&want, &got, "--output to a file");
    free(b);
    free(want.v);
    free(got.v);
}
END_TEST

/* A consumer that hangs up: the run goes on, and says so. */
START_TEST(output_consumer_leaves)
{
    client c = {.hang_up = 1};
    spikes want = {0};
    myl_live_out_stats st;
    run_output("tcp://127.0.0.1:0", &c, &want, &st);
    ck_assert_int_eq(st.gone, 1);
    ck_assert_msg(st.discarded > 0, "no spike counted as not sent");
    ck_assert_uint_eq(st.spikes + st.discarded, want.n);
    free(want.v);
}
END_TEST

/* ---- pacing, addresses ----------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

START_TEST(realtime_speed)
{
    myl_pacer *p = NULL;
    ck_assert_int_eq(myl_pacer_new(1e-3, 0, &p), MYL_EINVAL);
    ck_assert_int_eq(myl_pacer_new(0, 1, &p), MYL_EINVAL);
    ck_assert_int_eq(myl_pacer_new(1e-3, 10, &p), 0);
    /* 2000 ticks of 1 ms at speed 10: 0.2 s */
    double t0 = now_s();
    for (uint64_t t = 0; t < 2000; t++) {
        myl_pacer_wait(p, t, NULL);
        myl_pacer_done(p, t);
    }
    double wall = now_s() - t0;
    myl_pacer_stats s;
    myl_pacer_get_stats(p, &s);
    myl_pacer_free(p);
    ck_assert_msg(wall > 0.19 && wall < 2.0, "2000 ticks at speed 10 took %.3f s", wall);
    ck_assert_uint_eq(s.ticks, 2000);
    ck_assert_msg(s.slot > 0.99e-4 && s.slot < 1.01e-4, "slot %g", s.slot);
    ck_assert_msg(s.late <= s.ticks && s.mean_lag <= s.max_lag, "stats");
}
END_TEST

START_TEST(addresses)
{
    myl_live_addr a;
    myl_diag d = {0};
    ck_assert_int_eq(myl_live_addr_parse("tcp://127.0.0.1:7000", &a, &d), 0);
    ck_assert_int_eq(a.kind, MYL_LIVE_TCP);
    ck_assert_str_eq(a.host, "127.0.0.1");
    ck_assert_uint_eq(a.port, 7000);
    ck_assert_int_eq(myl_live_addr_parse("tcp://[::1]:80", &a, &d), 0);
    ck_assert_str_eq(a.host, "::1");
    ck_assert_int_eq(myl_live_addr_parse("unix:/tmp/x.sock", &a, &d), 0);
    ck_assert_int_eq(a.kind, MYL_LIVE_UNIX);
    ck_assert_str_eq(a.path, "/tmp/x.sock");
    ck_assert_int_eq(myl_live_addr_parse("-", &a, &d), 0);
    ck_assert_int_eq(a.kind, MYL_LIVE_STDIO);
    ck_assert_int_eq(myl_live_addr_parse("spikes.myl", &a, &d), 0);
    ck_assert_int_eq(a.kind, MYL_LIVE_FILE);
    static const char *const bad[] = {"tcp://127.0.0.1", "tcp://:80", "tcp://h:65536",
                                      "tcp://h:8x",      "tcp:h:80",  "tcp://[::1]80",
                                      "unix:",           NULL};
    for (int i = 0; bad[i]; i++) {
        myl_diag_clear(&d);
        if (myl_live_addr_parse(bad[i], &a, &d) != MYL_EINVAL || !d.set)
            ck_abort_msg("%s is taken", bad[i]);
    }
    ck_assert(myl_live_is_stream("tcp://a:1") && myl_live_is_stream("unix:x") &&
              myl_live_is_stream("-") && !myl_live_is_stream("x.myl"));

    /* a port in use: a clear error, at once */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    char addr[64];
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%u", ntohs(sa.sin_port));
    myl_live *lv = NULL;
    ck_assert_int_eq(myl_live_new(&lv), 0);
    myl_live_in_opts o = {.dt = 1e-3, .origin_first = 1, .latency = 0.1};
    myl_live_in *in = NULL;
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_live_add_input(lv, addr, &o, &in, &d), MYL_EIO);
    ck_assert_msg(strstr(d.msg, "in use") != NULL, "%s", d.msg);
    ck_assert_ptr_null(in);
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_live_add_input(lv, "tcp://no.such.host.invalid:1", &o, &in, &d),
                     MYL_EINVAL);
    myl_live_free(lv); /* never started: its listeners close all the same */
    close(fd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("live");
    TCase *tc = tcase_create("stream equals file");
    tcase_add_test(tc, tcp_native);
    tcase_add_test(tc, unix_native);
    tcase_add_test(tc, tcp_evt2);
    tcase_add_test(tc, unix_evt2_raw);
    tcase_add_test(tc, big_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("late and broken streams");
    tcase_add_test(tc, late_stream);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, garbage);
    suite_add_tcase(s, tc);
    tc = tcase_create("output");
    tcase_add_test(tc, output_tcp);
    tcase_add_test(tc, output_unix_and_file);
    tcase_add_test(tc, output_consumer_leaves);
    suite_add_tcase(s, tc);
    tc = tcase_create("pacing and addresses");
    tcase_add_test(tc, realtime_speed);
    tcase_add_test(tc, addresses);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
