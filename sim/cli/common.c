/* Shared command-line machinery (see cli.h). */
#include "cli.h"

#include "myelin/alloc.h"
#include "myelin/units.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

extern const char myl_example_net[];
extern const unsigned long myl_example_net_len;

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
            fprintf(stderr, "myelin %s: --duration wants a positive time (e.g. 1.5 or 200ms), "
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
        unsigned long long v = strtoull(arg, &end, 0);
        if (!*arg || *end || errno || arg[0] == '-') {
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
    default:
        return 0;
    }
}

int cli_job_prepare(cli_job *j, const cli_common *c)
{
    memset(j, 0, sizeof *j);
    myl_diag d = {0};
    int rc;
    if (c->net_path)
        rc = myl_netfile_load(c->net_path, &j->nf, &d);
    else
        rc = myl_netfile_parse(myl_example_net, myl_example_net_len, "<built-in example>", ".",
                               &j->nf, &d);
    if (rc) {
        cli_error(&d, rc, c->net_path ? c->net_path : "built-in example");
        return cli_exit_code(rc);
    }
    myl_net *net = j->nf->net;
    j->dt = myl_net_dt(net);
    j->ticks = myl_net_ticks(net);
    j->seed = myl_net_seed(net);
    if (c->duration > 0) {
        double t = myl_ticks_round(c->duration, j->dt);
        if (t < 1) {
            fprintf(stderr, "myelin: --duration %g s is less than one tick of %g s\n",
                    c->duration, j->dt);
            cli_job_release(j);
            return EXIT_USAGE;
        }
        j->ticks = (uint64_t)t;
    }
    if (c->ticks)
        j->ticks = c->ticks;
    if (c->have_seed)
        j->seed = c->seed;
    myl_compile_opts o = {.seed = j->seed};
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
    myl_netfile_free(j->nf);
    memset(j, 0, sizeof *j);
}

void cli_result_release(cli_result *r)
{
    free(r->pop_spikes);
    free(r->tick_hash);
    memset(r, 0, sizeof *r);
}

static uint64_t mix64(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 33);
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
    if (hashes)
        res->tick_hash = calloc(j->ticks ? j->ticks : 1, sizeof *res->tick_hash);
    if (!res->pop_spikes || (hashes && !res->tick_hash))
        return MYL_ENOMEM;
    /* neuron -> population, for per-population counts */
    uint64_t *pop_end = calloc(npops, sizeof *pop_end);
    if (!pop_end)
        return MYL_ENOMEM;
    for (uint32_t p = 0; p < npops; p++)
        pop_end[p] = myl_net_pop_first(net, p) + myl_net_pop_size(net, p);

    myl_sim *sim = NULL;
    int rc = myl_sim_new(j->cn, e, &sim);
    if (rc) {
        free(pop_end);
        return myl_diag_fail(d, rc, "cannot start the %s engine: %s", myl_engine_name(e),
                             myl_strerror(rc));
    }
    res->engine_bytes = myl_sim_memory(sim);

    myl_db_run *dr = NULL;
    if (db) {
        myl_run_pop *pops = calloc(npops, sizeof *pops);
        if (!pops) {
            myl_sim_free(sim);
            free(pop_end);
            return MYL_ENOMEM;
        }
        for (uint32_t p = 0; p < npops; p++)
            pops[p] = (myl_run_pop){myl_net_pop_name(net, p),
                                    myl_model_name(myl_net_pop_model(net, p)),
                                    myl_net_pop_size(net, p), myl_net_pop_first(net, p)};
        myl_run_desc desc = {.command = command,
                             .network = j->nf->path,
                             .network_name = j->nf->name,
                             .network_sha256 = j->nf->sha256,
                             .engine = myl_engine_name(e),
                             .record = record_spikes ? "spikes" : "counts",
                             .comparison = comparison,
                             .seed = j->seed,
                             .dt = j->dt,
                             .ticks = j->ticks,
                             .neurons = info.nneurons,
                             .synapses = info.nsyn,
                             .build_s = info.build_s};
        rc = myl_db_run_begin(db, &desc, pops, npops, record_spikes, &dr, &res->run_id, d);
        free(pops);
        if (rc) {
            myl_sim_free(sim);
            free(pop_end);
            return rc;
        }
    }

    double t0 = cli_now(), last = t0;
    myl_tick_report r;
    uint64_t t;
    for (t = 0; t < j->ticks && !rc; t++) {
        if (cli_stop) {
            res->interrupted = 1;
            break;
        }
        rc = myl_sim_step(sim, &r);
        if (rc) {
            myl_diag_fail(d, rc, "tick %llu: %s", (unsigned long long)t, myl_strerror(rc));
            break;
        }
        res->spikes += r.spikes;
        res->syn_events += r.syn_events;
        res->syn_evals += r.syn_evals;
        res->updates += r.updates;
        res->input_events += r.input_events;
        if (hashes) {
            uint64_t h = 0x243F6A8885A308D3ull;
            for (uint32_t i = 0; i < r.nspiking; i++)
                h = mix64(mix64(h, r.spike[i]), r.count[i]);
            res->tick_hash[t] = h;
        }
        if (dr && (rc = myl_db_run_tick(dr, &r)))
            myl_diag_fail(d, rc, "recording tick %llu: %s", (unsigned long long)t,
                          myl_strerror(rc));
        if (progress && (t & 63) == 0) {
            double now = cli_now();
            if (now - last > 0.5) {
                fprintf(stderr, "\r  %s engine: tick %llu of %llu (%.0f%%)   ",
                        myl_engine_name(e), (unsigned long long)t, (unsigned long long)j->ticks,
                        100.0 * t / j->ticks);
                last = now;
            }
        }
    }
    res->wall_s = cli_now() - t0;
    if (progress && last != t0)
        fprintf(stderr, "\r%60s\r", "");
    res->ticks = t;
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
        const char *status = rc ? "failed" : res->interrupted ? "interrupted" : "completed";
        int rc2 = myl_db_run_end(dr, &tot, status, rc ? d->msg : NULL, d);
        if (!rc)
            rc = rc2;
    }
    myl_sim_free(sim);
    if (!rc && res->interrupted)
        rc = MYL_EINTR;
    return rc;
}
