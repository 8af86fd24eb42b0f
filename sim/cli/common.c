/* Shared command-line machinery (see cli.h). */
#include "cli.h"

#include "myelin/alloc.h"
#include "myelin/live.h"
#include "myelin/replay.h"
#include "myelin/sanafe.h"
#include "myelin/units.h"

#include <uv.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char myl_demo_net[];
extern const unsigned long myl_demo_net_len;
extern const unsigned char myl_demo_trace[];
extern const unsigned long myl_demo_trace_len;

#define BUILTIN_NAME "<built-in demo>"

volatile int cli_stop;

static void on_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

uint64_t cli_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024;
}

const char *cli_num(uint64_t x, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)x);
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i && (len - i) % 3 == 0 && o + 2 < n)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

const char *cli_bytes(uint64_t x, char *buf, size_t n)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)x;
    int i = 0;
    while (v >= 1024 && i < 4)
        v /= 1024, i++;
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
    return buf;
}

int cli_exit_code(int rc)
{
    switch (rc) {
    case 0:
        return EXIT_OK;
    case MYL_EPARSE:
    case MYL_ERANGE:
    case MYL_EINVAL:
    case MYL_ENOTFOUND:
    case MYL_ETOOBIG:
    case MYL_ENOFIT:
    case MYL_EIO:
        return EXIT_USAGE;
    default:
        return EXIT_RUNTIME;
    }
}

void cli_error(const myl_diag *d, int rc, const char *what)
{
    if (d && d->set)
        fprintf(stderr, "myelin: %s\n", d->msg);
    else
        fprintf(stderr, "myelin: %s: %s\n", what, myl_strerror(rc));
}

int cli_common_opt(cli_common *c, int opt, const char *arg, const char *cmd)
{
    char why[128];
    switch (opt) {
    case 'n': {
        char *end;
        double v;
        myl_qunit u;
        if (myl_quantity_parse(arg, MYL_Q_TIME, &v, &u, why) || u == MYL_U_SI || v < 1 ||
            v != floor(v) || v > 1e15) {
            (void)end;
            fprintf(stderr, "myelin %s: --ticks wants a whole number of ticks >= 1, not '%s'\n",
                    cmd, arg);
            return -1;
        }
        c->ticks = (uint64_t)v;
        return 1;
    }
    case 'T': {
        double v;
        myl_qunit u;
        if (myl_quantity_parse(arg, MYL_Q_TIME, &v, &u, why) || !(v > 0)) {
            fprintf(stderr,
                    "myelin %s: --duration wants a positive time (e.g. 1.5 or 200ms), "
                    "not '%s'\n",
                    cmd, arg);
            return -1;
        }
        if (u == MYL_U_TICKS) {
            c->ticks = (uint64_t)v;
            return 1;
        }
        c->duration = v;
        return 1;
    }
    case 's': {
        char *end;
        errno = 0;
        /* decimal digits only: strtoull alone would take leading spaces, signs and octal */
        int digits = *arg != 0;
        for (const char *q = arg; *q; q++)
            digits &= *q >= '0' && *q <= '9';
        unsigned long long v = digits ? strtoull(arg, &end, 10) : 0;
        if (!digits || *end || errno) {
            fprintf(stderr, "myelin %s: --seed wants a whole number >= 0, not '%s'\n", cmd, arg);
            return -1;
        }
        c->seed = v;
        c->have_seed = 1;
        return 1;
    }
    case 'd':
        c->db_path = arg;
        return 1;
    case 'r':
        if (strcmp(arg, "spikes") == 0)
            c->record_spikes = 1;
        else if (strcmp(arg, "counts") == 0)
            c->record_spikes = 0;
        else {
            fprintf(stderr, "myelin %s: --record wants counts or spikes, not '%s'\n", cmd, arg);
            return -1;
        }
        return 1;
    case 'q':
        c->quiet = 1;
        return 1;
    case 'H':
        c->hw = arg;
        return 1;
    case 'I':
        c->input = arg;
        return 1;
    case 'M':
        c->mapping = arg;
        c->strategy = MYL_MAP_EXPLICIT;
        return 1;
    case 'S':
        if (myl_map_strategy_from_name(arg, &c->strategy) || c->strategy == MYL_MAP_EXPLICIT) {
            fprintf(stderr,
                    "myelin %s: --strategy wants fill, balance or locality (or --mapping FILE), "
                    "not '%s'\n",
                    cmd, arg);
            return -1;
        }
        c->strategy_given = 1;
        return 1;
    default:
        return 0;
    }
}

static int job_prepare(cli_job *j, const cli_common *c, int compile);

/* The soma variant of each population (myl_acct_new's `soma`), from the network file's
 * mapping (a SANA-FE file names them); *out is NULL when the file names none. */
static int pop_somas(const cli_job *j, int **out, myl_diag *d)
{
    *out = NULL;
    if (!j->nf->soma)
        return 0;
    const uint32_t np = myl_net_npops(j->nf->net);
    int *v = calloc(np ? np : 1, sizeof *v);
    if (!v)
        return MYL_ENOMEM;
    for (uint32_t p = 0; p < np; p++) {
        const char *name = j->nf->soma[p];
        v[p] = name ? myl_hw_soma_index(j->hw, name) : -1;
        if (name && v[p] < 0) {
            char have[512] = "";
            size_t len = 0;
            for (uint32_t k = 0; k < j->hw->nsoma && len < sizeof have; k++)
                len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", k ? ", " : "",
                                        j->hw->soma[k].name);
            free(v);
            return myl_diag_fail(d, MYL_ENOTFOUND,
                                 "%s: population '%s' is mapped with soma unit '%s', which %s "
                                 "does not have (it has: %s)",
                                 j->nf->path, myl_net_pop_name(j->nf->net, p), name, j->hw->name,
                                 len ? have : "none");
        }
    }
    *out = v;
    return 0;
}

int cli_job_prepare(cli_job *j, const cli_common *c)
{
    return job_prepare(j, c, 1);
}

int cli_job_prepare_map(cli_job *j, const cli_common *c)
{
    return job_prepare(j, c, 0);
}

/* Quantising a network for a chip, on a thread of its own. */
typedef struct quant_job {
    const myl_net *net;
    const myl_hw *hw;
    uint64_t seed;
    myl_chipq *chip;
    int rc;
    myl_diag d;
} quant_job;

static void quant_main(void *arg)
{
    quant_job *q = arg;
    q->rc = myl_chipq_build(q->net, q->hw, q->seed, &q->chip, &q->d);
}

static int job_prepare(cli_job *j, const cli_common *c, int compile)
{
    memset(j, 0, sizeof *j);
    myl_diag d = {0};
    int rc;
    if (c->net_path)
        rc = myl_netfile_load(c->net_path, &j->nf, &d);
    else
        rc = myl_netfile_parse((const char *)myl_demo_net, myl_demo_net_len, BUILTIN_NAME, ".",
                               &j->nf, &d);
    if (rc) {
        cli_error(&d, rc, c->net_path ? c->net_path : "built-in demo");
        return cli_exit_code(rc);
    }
    myl_net *net = j->nf->net;
    j->dt = myl_net_dt(net);
    j->ticks = myl_net_ticks(net);
    j->seed = myl_net_seed(net);
    if (c->duration > 0) {
        double t = myl_ticks_round(c->duration, j->dt);
        if (t < 1) {
            fprintf(stderr, "myelin: --duration %g s is less than one tick of %g s\n", c->duration,
                    j->dt);
            cli_job_release(j);
            return EXIT_USAGE;
        }
        j->ticks = (uint64_t)t;
    }
    if (c->ticks)
        j->ticks = c->ticks;
    if (c->have_seed)
        j->seed = c->seed;
    j->input = c->input;
    if (c->input && j->nf->ninputs == 0) {
        fprintf(stderr, "myelin: --input %s: the network has no `inputs:` binding to feed\n",
                c->input);
        cli_job_release(j);
        return EXIT_USAGE;
    }
    /* with a stream bound and no duration given, run until the streams end */
    j->until_end = j->nf->ninputs && !j->nf->has_duration && !c->ticks && c->duration <= 0;
    if (c->hw) {
        if ((rc = myl_hw_load(c->hw, &j->hw, &d))) {
            cli_error(&d, rc, c->hw);
            cli_job_release(j);
            return cli_exit_code(rc);
        }
        myl_map_opts mo = {.strategy = c->strategy, .seed = j->seed};
        uint32_t *explicit_cores = NULL;
        if (c->mapping && (rc = myl_map_read_file(c->mapping, net, j->hw, &explicit_cores, &d))) {
            cli_error(&d, rc, c->mapping);
            cli_job_release(j);
            return cli_exit_code(rc);
        }
        /* a network file that maps itself (SANA-FE) is mapped so unless the command line
         * gives a mapping or a strategy */
        if (!c->mapping && !c->strategy_given && j->nf->map_tile) {
            if ((rc = myl_sanafe_core_of(j->nf, j->hw, &explicit_cores, &d))) {
                cli_error(&d, rc, "mapping the network");
                cli_job_release(j);
                return cli_exit_code(rc);
            }
            mo.strategy = MYL_MAP_EXPLICIT;
        }
        int *somas = NULL;
        if ((rc = pop_somas(j, &somas, &d))) {
            free(explicit_cores);
            cli_error(&d, rc, "mapping the network");
            cli_job_release(j);
            return cli_exit_code(rc);
        }
        free(somas);
        mo.core_of = explicit_cores;
        /* quantising and mapping each generate the whole connectivity and do not depend on
         * each other: the quantiser runs on a second thread while this one maps */
        quant_job q = {net, j->hw, j->seed, NULL, 0, {0}};
        uv_thread_t qt;
        int threaded = 0;
        if (j->hw->arith != MYL_ARITH_FLOAT)
            threaded = uv_thread_create(&qt, quant_main, &q) == 0;
        if (j->hw->arith != MYL_ARITH_FLOAT && !threaded)
            quant_main(&q);
        rc = myl_map_build(net, j->hw, &mo, &j->map, &d);
        if (threaded)
            uv_thread_join(&qt);
        j->chip = q.chip;
        free(explicit_cores);
        if (q.rc) {
            cli_error(&q.d, q.rc, "quantising the network");
            cli_job_release(j);
            return cli_exit_code(q.rc);
        }
        if (rc) {
            cli_error(&d, rc, "mapping the network");
            cli_job_release(j);
            return cli_exit_code(rc);
        }
    } else if (c->mapping || c->strategy_given) {
        fprintf(stderr, "myelin: --mapping and --strategy need --hw\n");
        cli_job_release(j);
        return EXIT_USAGE;
    }
    if (!compile)
        return 0;
    myl_compile_opts o = {.seed = j->seed, .chip = j->chip ? myl_chipq_program(j->chip) : NULL};
    /* the engine runs on its own layout whatever the mapping: its results do not depend on
     * the layout, and the accountant prices each spike by the mapping's cores */
    rc = myl_net_compile(net, NULL, &o, &j->cn, &d);
    if (rc) {
        cli_error(&d, rc, "compiling the network");
        cli_job_release(j);
        return cli_exit_code(rc);
    }
    return 0;
}

void cli_job_release(cli_job *j)
{
    myl_cnet_free(j->cn);
    myl_map_free(j->map);
    myl_chipq_free(j->chip);
    myl_hw_free(j->hw);
    myl_netfile_free(j->nf);
    memset(j, 0, sizeof *j);
}

void cli_result_release(cli_result *r)
{
    free(r->pop_spikes);
    free(r->tick_hash);
    free(r->notes);
    memset(r, 0, sizeof *r);
}

static uint64_t mix64(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 33);
}

/* ---- live streams and pacing of a run (docs/live.md) ------------------------------------- */

typedef struct cli_live {
    myl_live *hub;
    myl_live_in **in; /* per binding; NULL where the binding reads a file */
    size_t nin;
    myl_live_out *out;
    myl_pacer *pace;
} cli_live;

/* Listen on the stream addresses of the bindings (and --input) and of --output, start the I/O
 * thread, make the pacer. A bad address or one in use sets res->usage. */
static int live_setup(const cli_job *j, const char *command, cli_live *L, cli_result *res,
                      myl_diag *d)
{
    size_t nin = j->nf->ninputs;
    int rc = 0;
    memset(L, 0, sizeof *L);
    for (size_t i = 0; i < nin; i++) {
        const myl_binding *b = &j->nf->inputs[i];
        const char *src = i == 0 && j->input ? j->input : b->source;
        if (!myl_live_is_stream(src))
            continue;
        if (strcmp(command, "compare") == 0) {
            res->usage = 1;
            return myl_diag_fail(d, MYL_EINVAL,
                                 "%s: myelin compare reads its input once per engine, and a live "
                                 "stream can be read only once (record it to a file first)",
                                 src);
        }
        if (!L->in && !(L->in = calloc(nin, sizeof *L->in)))
            return MYL_ENOMEM;
        L->nin = nin;
        if (!L->hub && (rc = myl_live_new(&L->hub)))
            return rc;
        myl_live_in_opts o;
        myl_live_in_opts_for(b, j->dt, j->have_latency ? j->latency : MYL_LIVE_LATENCY_DEFAULT, &o);
        if ((rc = myl_live_add_input(L->hub, src, &o, &L->in[i], d))) {
            res->usage = rc != MYL_ENOMEM;
            return rc;
        }
    }
    if (j->output) {
        if (!L->hub && (rc = myl_live_new(&L->hub)))
            return rc;
        rc = myl_live_add_output(L->hub, j->output, j->nf->net, j->nf->outputs, j->nf->noutputs,
                                 &L->out, d);
        if (rc) {
            res->usage = rc != MYL_ENOMEM;
            return rc;
        }
    }
    if (L->hub && (rc = myl_live_start(L->hub, d)))
        return rc;
    if (j->realtime && (rc = myl_pacer_new(j->dt, j->speed, &L->pace)))
        return myl_diag_fail(d, rc, "--speed %g with dt %g s: cannot pace", j->speed, j->dt);
    if (!j->quiet) {
        for (size_t i = 0; i < L->nin; i++)
            if (L->in[i] && strcmp(myl_live_in_address(L->in[i]), "stdin") != 0)
                fprintf(stderr, "myelin: listening on %s for the events of '%s'\n",
                        myl_live_in_address(L->in[i]), j->nf->inputs[i].population);
        if (L->out && myl_live_is_stream(j->output))
            fprintf(stderr, "myelin: listening on %s for the consumer of --output\n",
                    myl_live_out_address(L->out));
    }
    return 0;
}

/* Wait for the consumer of --output and for each live input's header and first event, and
 * bind the inputs to their populations. Interrupted (Ctrl-C) while waiting: the run is. */
static int live_connect(const cli_job *j, cli_live *L, myl_reader **rd, myl_replay **rp,
                        cli_result *res, myl_diag *d)
{
    int rc = 0;
    if (L->out)
        rc = myl_live_out_wait(L->out, &cli_stop, d);
    for (size_t i = 0; i < L->nin && !rc; i++)
        if (L->in[i] && !(rc = myl_live_in_open(L->in[i], &cli_stop, &rd[i], d)))
            rc = myl_replay_new(&j->nf->inputs[i], rd[i], j->nf->net, &rp[i], d);
    if (rc == MYL_EINTR && cli_stop) {
        res->interrupted = 1;
        rc = 0;
    }
    return rc;
}

/* Close --output (its end block), and describe pacing, inputs and output in res->notes. */
static int live_finish(const cli_job *j, cli_live *L, cli_result *res, myl_diag *d)
{
    int rc = L->out ? myl_live_out_finish(L->out, &cli_stop, d) : 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = (L->pace || L->nin || L->out) ? open_memstream(&buf, &len) : NULL;
    if (!f)
        return rc;
    char a[32], b[32], c[32], e[32];
    if (L->pace) {
        myl_pacer_stats ps;
        myl_pacer_get_stats(L->pace, &ps);
        fprintf(f, "  realtime    speed %g, a tick every %s: ", j->speed,
                myl_fmt_time(ps.slot, a, sizeof a));
        if (ps.late)
            fprintf(f, "%s of %s ticks finished late, by at most %s (%s on average)\n",
                    cli_num(ps.late, a, sizeof a), cli_num(ps.ticks, b, sizeof b),
                    myl_fmt_time(ps.max_lag, c, sizeof c), myl_fmt_time(ps.mean_lag, e, sizeof e));
        else
            fprintf(f, "kept up (none of %s ticks finished late)\n",
                    cli_num(ps.ticks, a, sizeof a));
    }
    for (size_t i = 0; i < L->nin; i++) {
        if (!L->in[i])
            continue;
        myl_live_in_stats s;
        myl_live_in_get_stats(L->in[i], &s);
        fprintf(f, "  live input  %s (%s): %s events in %s", myl_live_in_address(L->in[i]),
                myl_trace_format_name(s.format), cli_num(s.events, a, sizeof a),
                cli_bytes(s.bytes, b, sizeof b));
        if (s.waited_out) /* normal for a quiet sensor: nothing came, the latency ran out */
            fprintf(
                f, "; %s ticks ran without waiting longer than the latency (%s)",
                cli_num(s.waited_out, a, sizeof a),
                myl_fmt_time(j->have_latency ? j->latency : MYL_LIVE_LATENCY_DEFAULT, b, sizeof b));
        if (s.late) {
            fprintf(f, "; %s late events went to later ticks", cli_num(s.late, a, sizeof a));
            if (!j->quiet)
                fprintf(stderr,
                        "myelin: warning: %s fell behind: %s events came after their tick had "
                        "been simulated (a larger --latency waits longer)\n",
                        myl_live_in_address(L->in[i]), cli_num(s.late, a, sizeof a));
        }
        fprintf(f, "\n");
    }
    if (L->out) {
        myl_live_out_stats s;
        myl_live_out_get_stats(L->out, &s);
        fprintf(f, "  output      %s: %s spikes streamed", myl_live_out_address(L->out),
                cli_num(s.spikes, a, sizeof a));
        if (s.gone) {
            fprintf(f, "; the consumer left at tick %s, %s spikes were not sent",
                    cli_num(s.gone_tick, a, sizeof a), cli_num(s.discarded, b, sizeof b));
            if (!j->quiet)
                fprintf(stderr,
                        "myelin: warning: the consumer of --output %s went away at tick %s; the "
                        "run went on without it (%s spikes not sent)\n",
                        myl_live_out_address(L->out), cli_num(s.gone_tick, a, sizeof a),
                        cli_num(s.discarded, b, sizeof b));
        }
        fprintf(f, "\n");
    }
    fclose(f);
    res->notes = buf;
    return rc;
}

/* After the readers of the live inputs are closed. */
static void live_close(cli_live *L)
{
    myl_live_free(L->hub);
    myl_pacer_free(L->pace);
    free(L->in);
    memset(L, 0, sizeof *L);
}

int cli_open_inputs(const cli_job *j, myl_live_in *const *live, myl_bytes *builtin_src,
                    myl_reader **rd, myl_replay **rp, myl_diag *d)
{
    int rc = 0;
    for (size_t i = 0; i < j->nf->ninputs && !rc; i++) {
        const myl_binding *b = &j->nf->inputs[i];
        const char *src = i == 0 && j->input ? j->input : b->source;
        char path[4200];
        if (live && live[i])
            continue; /* a live stream: bound once its sender has connected */
        if (!src) {
            rc = myl_diag_fail(d, MYL_EINVAL,
                               "%s: the binding of '%s' names no trace; give one with --input",
                               b->where, b->population);
            break;
        }
        if (src[0] == '/' || (i == 0 && j->input))
            snprintf(path, sizeof path, "%s", src);
        else
            snprintf(path, sizeof path, "%s/%s", j->nf->dir, src);
        if (strcmp(j->nf->path, BUILTIN_NAME) == 0 && !(i == 0 && j->input)) {
            /* the built-in demo replays the trace the binary carries */
            myl_bytes_from_memory(myl_demo_trace, myl_demo_trace_len, "<built-in bar.myl>",
                                  builtin_src);
            rc = myl_reader_open(builtin_src, &b->opts, &rd[i], d);
        } else {
            rc = myl_reader_open_file(path, &b->opts, &rd[i], d);
        }
        if (rc || (rc = myl_replay_new(b, rd[i], j->nf->net, &rp[i], d)))
            break;
    }
    return rc;
}

void cli_close_inputs(size_t nin, myl_reader **rd, myl_replay **rp)
{
    for (size_t i = 0; rd && rp && i < nin; i++)
        myl_replay_free(rp[i]), myl_reader_close(rd[i]);
    free(rd), free(rp);
}

/* The costs the accountant has priced, in tick order from *next, into the results database (dr
 * may be NULL: then they are only taken); with wait, every queued tick's, else those that are
 * ready (waiting only while the queue is full). */
static int record_costs(myl_db_run *dr, myl_acct *acct, uint64_t *next, int wait, myl_diag *d)
{
    myl_tick_cost cost;
    while (myl_acct_pop(acct, &cost, wait || myl_acct_full(acct)) == 0) {
        int rc = dr ? myl_db_run_tick_cost(dr, *next, &cost) : 0;
        if (rc)
            return myl_diag_fail(d, rc, "recording tick %llu: %s", (unsigned long long)*next,
                                 myl_strerror(rc));
        ++*next;
    }
    return 0;
}

int cli_run_engine(cli_job *j, myl_engine e, myl_db *db, const char *command, int64_t comparison,
                   int record_spikes, int hashes, int progress, cli_result *res, myl_diag *d)
{
    memset(res, 0, sizeof *res);
    const myl_net *net = j->nf->net;
    uint32_t npops = myl_net_npops(net);
    myl_cnet_info info;
    myl_cnet_info_get(j->cn, &info);
    res->pop_spikes = calloc(npops, sizeof *res->pop_spikes);
    size_t caphash = 0;
    if (!res->pop_spikes)
        return MYL_ENOMEM;
    /* neuron -> population, for per-population counts */
    uint64_t *pop_end = calloc(npops, sizeof *pop_end);
    if (!pop_end)
        return MYL_ENOMEM;
    for (uint32_t p = 0; p < npops; p++)
        pop_end[p] = myl_net_pop_first(net, p) + myl_net_pop_size(net, p);

    /* streams bound to events populations */
    size_t nin = j->nf->ninputs;
    myl_bytes builtin_src;
    myl_reader **rd = calloc(nin ? nin : 1, sizeof *rd);
    myl_replay **rp = calloc(nin ? nin : 1, sizeof *rp);
    if (!rd || !rp) {
        free(rd), free(rp), free(pop_end);
        return MYL_ENOMEM;
    }
    cli_live lv;
    int rc = live_setup(j, command, &lv, res, d); /* live streams listen now */
    if (!rc && (rc = cli_open_inputs(j, lv.in, &builtin_src, rd, rp, d)) &&
        cli_exit_code(rc) == EXIT_USAGE)
        res->usage = 1; /* a stream that cannot be opened or does not fit: bad input */
    if (rc) {
        cli_close_inputs(nin, rd, rp);
        free(pop_end);
        live_close(&lv);
        return rc;
    }

    myl_sim *sim = NULL;
    rc = myl_sim_new(j->cn, e, &sim);
    if (rc) {
        cli_close_inputs(nin, rd, rp);
        free(pop_end);
        live_close(&lv);
        return myl_diag_fail(d, rc, "cannot start the %s engine: %s", myl_engine_name(e),
                             myl_strerror(rc));
    }
    res->engine_bytes = myl_sim_memory(sim);
    myl_acct *acct = NULL;
    if (j->hw) {
        /* the populations' soma units, and the simulator's neurons for the update rule */
        int *somas = NULL;
        if (!(rc = pop_somas(j, &somas, d)) &&
            !(rc = myl_acct_new(j->cn, j->map, j->hw, somas, &acct)))
            rc = myl_acct_attach(acct, sim, j->seed);
        free(somas);
        if (rc) {
            myl_acct_free(acct);
            myl_sim_free(sim);
            cli_close_inputs(nin, rd, rp);
            free(pop_end);
            live_close(&lv);
            return rc;
        }
    }

    myl_db_run *dr = NULL;
    myl_db_core *cores = NULL;
    if (db && j->map) {
        cores = calloc(j->map->ncores ? j->map->ncores : 1, sizeof *cores);
        if (!cores) {
            myl_acct_free(acct);
            myl_sim_free(sim);
            cli_close_inputs(nin, rd, rp);
            free(pop_end);
            live_close(&lv);
            return MYL_ENOMEM;
        }
        for (uint32_t c = 0; c < j->map->ncores; c++) {
            const myl_core_use *u = &j->map->use[c];
            cores[c] = (myl_db_core){j->map->chip[c], j->map->tile_x[c], j->map->tile_y[c],
                                     j->map->slot[c], u->neurons,        u->axons_in,
                                     u->axons_out,    u->max_fanin,      u->synapses,
                                     u->syn_bits};
        }
    }
    if (db) {
        myl_run_pop *pops = calloc(npops, sizeof *pops);
        if (!pops) {
            free(cores);
            myl_acct_free(acct);
            myl_sim_free(sim);
            cli_close_inputs(nin, rd, rp);
            free(pop_end);
            live_close(&lv);
            return MYL_ENOMEM;
        }
        for (uint32_t p = 0; p < npops; p++)
            pops[p] =
                (myl_run_pop){myl_net_pop_name(net, p), myl_model_name(myl_net_pop_model(net, p)),
                              myl_net_pop_size(net, p), myl_net_pop_first(net, p)};
        myl_run_desc desc = {.command = command,
                             .network = j->nf->path,
                             .network_name = j->nf->name,
                             .network_sha256 = j->nf->sha256,
                             .engine = myl_engine_name(e),
                             .hw = j->hw ? j->hw->name : NULL,
                             .record = record_spikes ? "spikes" : "counts",
                             .comparison = comparison,
                             .seed = j->seed,
                             .dt = j->dt,
                             .ticks = j->ticks,
                             .neurons = info.nneurons,
                             .synapses = info.nsyn,
                             .build_s = info.build_s};
        if (j->map) {
            desc.mapping = myl_map_strategy_name(j->map->strategy);
            desc.ncores = j->map->ncores;
            desc.nchips = j->map->nchips;
            desc.cores = cores;
            desc.neuron_core = j->map->core_of;
        }
        rc = myl_db_run_begin(db, &desc, pops, npops, record_spikes, &dr, &res->run_id, d);
        free(pops);
        free(cores);
        if (rc) {
            myl_acct_free(acct);
            myl_sim_free(sim);
            cli_close_inputs(nin, rd, rp);
            free(pop_end);
            live_close(&lv);
            return rc;
        }
    }

    if (lv.hub)
        rc = live_connect(j, &lv, rd, rp, res, d); /* senders and consumer connect */
    double t0 = cli_now(), last = t0;
    myl_tick_report r;
    uint64_t cost_tick = 0; /* the next tick whose cost is to be recorded */
    uint64_t t, limit = j->until_end ? UINT64_MAX : j->ticks, drain = UINT64_MAX;
    myl_cnet_info ci;
    myl_cnet_info_get(j->cn, &ci);
    for (t = 0; t < limit && !rc; t++) {
        if (cli_stop || res->interrupted) {
            res->interrupted = 1;
            break;
        }
        if (lv.pace)
            myl_pacer_wait(lv.pace, t, &cli_stop);
        int all_ended = 1;
        for (size_t i = 0; i < nin && !rc; i++) {
            int ended = 0;
            rc = lv.in && lv.in[i] ? myl_live_in_tick(lv.in[i], rp[i], sim, t, &ended, d)
                                   : myl_replay_tick(rp[i], sim, t, &ended, d);
            all_ended &= ended;
        }
        if (rc)
            break;
        if (j->until_end && all_ended && drain == UINT64_MAX)
            drain = t + ci.max_delay; /* let the last spikes arrive */
        if (t > drain)
            break;
        rc = myl_sim_step(sim, &r);
        if (rc) {
            myl_diag_fail(d, rc, "tick %llu: %s", (unsigned long long)t, myl_strerror(rc));
            break;
        }
        if (lv.out && (rc = myl_live_out_tick(lv.out, &r, d)))
            break;
        res->spikes += r.spikes;
        res->syn_events += r.syn_events;
        res->syn_evals += r.syn_evals;
        res->updates += r.updates;
        res->input_events += r.input_events;
        /* the accountant prices the tick on its own thread while the engine steps on; the
         * costs come back in order, a few ticks later */
        if (acct && (rc = myl_acct_push(acct, &r))) {
            myl_diag_fail(d, rc, "tick %llu: pricing: %s", (unsigned long long)t, myl_strerror(rc));
            break;
        }
        if (hashes) {
            uint64_t h = 0x243F6A8885A308D3ull;
            for (uint32_t i = 0; i < r.nspiking; i++)
                h = mix64(mix64(h, r.spike[i]), r.count[i]);
            if (t >= caphash) {
                size_t cap = caphash ? caphash * 2 : 4096;
                uint64_t *nh = realloc(res->tick_hash, cap * sizeof *nh);
                if (!nh) {
                    rc = MYL_ENOMEM;
                    break;
                }
                res->tick_hash = nh;
                caphash = cap;
            }
            res->tick_hash[t] = h;
        }
        if (!rc && dr && (rc = myl_db_run_tick(dr, &r)))
            myl_diag_fail(d, rc, "recording tick %llu: %s", (unsigned long long)t,
                          myl_strerror(rc));
        if (!rc && acct) /* the costs priced so far, after their ticks */
            rc = record_costs(dr, acct, &cost_tick, 0, d);
        if (progress && (t & 63) == 0) {
            double now = cli_now();
            if (now - last > 0.5) {
                if (j->until_end)
                    fprintf(stderr, "\r  %s engine: tick %llu (until the input ends)   ",
                            myl_engine_name(e), (unsigned long long)t);
                else
                    fprintf(stderr, "\r  %s engine: tick %llu of %llu (%.0f%%)   ",
                            myl_engine_name(e), (unsigned long long)t, (unsigned long long)j->ticks,
                            100.0 * t / j->ticks);
                last = now;
            }
        }
        if (lv.pace)
            myl_pacer_done(lv.pace, t);
    }
    if (acct) { /* the last ticks' costs, whatever ended the loop (the first error stands) */
        int rc2 = record_costs(dr, acct, &cost_tick, 1, d);
        if (!rc)
            rc = rc2;
    }
    res->wall_s = cli_now() - t0;
    if (progress && last != t0)
        fprintf(stderr, "\r%60s\r", "");
    res->ticks = t;
    if (lv.hub || lv.pace) {
        int rc2 = live_finish(j, &lv, res, d);
        if (!rc)
            rc = rc2;
    }
    for (size_t i = 0; i < nin; i++) {
        myl_replay_stats rs = {0};
        if (rp[i]) /* a live stream that failed before it was bound has none */
            myl_replay_get_stats(rp[i], &rs);
        res->stream_events += rs.events;
        res->stream_dropped += rs.dropped;
        myl_replay_free(rp[i]);
        myl_reader_close(rd[i]);
    }
    free(rd);
    free(rp);
    live_close(&lv);
    if (acct) {
        myl_acct_get_totals(acct, &res->hw);
        res->have_hw = 1;
    }
    res->peak_rss = cli_peak_rss();
    res->engine_bytes = myl_sim_memory(sim);
    const uint64_t *nspk = myl_sim_spike_counts(sim);
    for (uint32_t p = 0, g = 0; p < npops; p++)
        for (; g < pop_end[p]; g++)
            res->pop_spikes[p] += nspk[g];
    free(pop_end);
    if (dr) {
        myl_run_totals tot = {.ticks = res->ticks,
                              .spikes = res->spikes,
                              .syn_events = res->syn_events,
                              .syn_evals = res->syn_evals,
                              .updates = res->updates,
                              .input_events = res->input_events,
                              .wall_s = res->wall_s,
                              .peak_rss = res->peak_rss,
                              .neuron_spikes = nspk};
        if (acct) {
            tot.have_hw = 1;
            tot.energy = res->hw.energy;
            memcpy(tot.part, res->hw.part, sizeof tot.part);
            tot.chip_time = res->hw.sim_time;
            tot.mean_power = res->hw.mean_power;
            tot.core = myl_acct_core(acct, 0);
        }
        const char *status = rc ? "failed" : res->interrupted ? "interrupted" : "completed";
        int rc2 = myl_db_run_end(dr, &tot, status, rc ? d->msg : NULL, d);
        if (!rc)
            rc = rc2;
    }
    myl_sim_free(sim);
    myl_acct_free(acct);
    if (!rc && res->interrupted)
        rc = MYL_EINTR;
    return rc;
}

const char *cli_si(double v, const char *unit, char *buf, size_t n)
{
    static const struct {
        double f;
        const char *p;
    } pre[] = {{1, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
    double a = v < 0 ? -v : v;
    size_t i = 0;
    while (i + 1 < sizeof pre / sizeof pre[0] && a < pre[i].f)
        i++;
    if (a == 0)
        i = 0;
    snprintf(buf, n, "%.4g %s%s", v / pre[i].f, pre[i].p, unit);
    return buf;
}

void cli_print_energy(const cli_job *j, const cli_result *r, FILE *f)
{
    if (!r->have_hw)
        return;
    if (j->chip)
        myl_chipq_print(j->chip, j->nf->net, f);
    const myl_acct_totals *t = &r->hw;
    char a[32], b[32], c[32];
    fprintf(f, "  energy      %s total, %s per tick, mean power %s\n",
            cli_si(t->energy, "J", a, 32), cli_si(t->energy_per_tick, "J", b, 32),
            cli_si(t->mean_power, "W", c, 32));
    fprintf(f, "              ");
    for (int p = 0; p < MYL_E_PARTS; p++)
        fprintf(f, "%s%s %s (%.0f%%)", p ? ", " : "", myl_energy_part_name(p),
                cli_si(t->part[p], "J", a, 32), t->energy > 0 ? 100 * t->part[p] / t->energy : 0);
    fprintf(f, "\n  chip time   %s simulated on %s (%s per tick)\n",
            cli_si(t->sim_time, "s", a, 32), j->hw->name,
            cli_si(t->ticks ? t->sim_time / t->ticks : 0, "s", b, 32));
    char d[32], e[32];
    fprintf(f, "  operations  %s synaptic, %s spikes, %s messages, %s hops, %s chip crossings\n",
            cli_num(t->synops, a, 32), cli_num(t->spikes, b, 32), cli_num(t->messages, c, 32),
            cli_num(t->hops, d, 32), cli_num(t->chip_hops, e, 32));
    if (t->unknown[0])
        fprintf(f,
                "  note        %s gives no figure for some costs of: %s; they count as 0 "
                "(myelin hw show %s)\n",
                j->hw->name, t->unknown, j->hw->name);
}

int cli_record_mapping(const cli_job *j, myl_db *db, int64_t *run_id, myl_diag *d)
{
    const myl_net *net = j->nf->net;
    const myl_map *m = j->map;
    uint32_t npops = myl_net_npops(net);
    myl_run_pop *pops = calloc(npops, sizeof *pops);
    myl_db_core *cores = calloc(m->ncores ? m->ncores : 1, sizeof *cores);
    if (!pops || !cores) {
        free(pops), free(cores);
        return MYL_ENOMEM;
    }
    for (uint32_t p = 0; p < npops; p++)
        pops[p] = (myl_run_pop){myl_net_pop_name(net, p), myl_model_name(myl_net_pop_model(net, p)),
                                myl_net_pop_size(net, p), myl_net_pop_first(net, p)};
    for (uint32_t c = 0; c < m->ncores; c++) {
        const myl_core_use *u = &m->use[c];
        cores[c] = (myl_db_core){m->chip[c],  m->tile_x[c], m->tile_y[c], m->slot[c],  u->neurons,
                                 u->axons_in, u->axons_out, u->max_fanin, u->synapses, u->syn_bits};
    }
    myl_run_desc desc = {.command = "map",
                         .network = j->nf->path,
                         .network_name = j->nf->name,
                         .network_sha256 = j->nf->sha256,
                         .engine = "none",
                         .record = "counts",
                         .hw = j->hw->name,
                         .seed = j->seed,
                         .dt = j->dt,
                         .ticks = 0,
                         .neurons = myl_net_nneurons(net),
                         .synapses = m->nsyn,
                         .mapping = myl_map_strategy_name(m->strategy),
                         .ncores = m->ncores,
                         .nchips = m->nchips,
                         .cores = cores,
                         .neuron_core = m->core_of};
    myl_db_run *dr;
    int rc = myl_db_run_begin(db, &desc, pops, npops, 0, &dr, run_id, d);
    free(pops), free(cores);
    if (rc)
        return rc;
    myl_run_totals tot = {0};
    return myl_db_run_end(dr, &tot, "completed", NULL, d);
}
