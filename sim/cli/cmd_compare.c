/* myelin compare: run the event engine and the dense reference on the same network, say
 * whether their spikes are identical (and where they first differ if not), and set their work,
 * time and memory side by side.
 *
 * Each engine runs alone (so neither one's caches disturb the other's timing) and keeps a hash
 * of every tick's spike list. If the hashes differ, both engines are replayed up to the first
 * differing tick, which is then compared spike by spike.
 */
#include "cli.h"

#include "myelin/dense.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: myelin compare [NETWORK.yaml] [options]\n"
               "\n"
               "Run the event-driven engine and the dense clock-driven reference on the same\n"
               "network, check that they produce the same spikes, and compare their work, wall\n"
               "time and memory. Both runs are recorded in the results database.\n"
               "\n"
               "Options:\n"
               "  --ticks N, --duration TIME, --seed N, --db FILE, --record counts|spikes,\n"
               "  --quiet, --help         as for 'myelin run'\n"
               "\n"
               "Exit status: 0 the spikes are identical, 1 they differ or a run failed, 2 bad\n"
               "input or usage.\n");
}

/* Step a fresh simulator to tick t, replaying the network's input streams as the run did, and
 * copy that tick's spikes. */
static int spikes_at(cli_job *j, myl_engine e, uint64_t t, uint32_t **gid, uint16_t **cnt,
                     uint32_t *n)
{
    const size_t nin = j->nf->ninputs;
    myl_reader **rd = calloc(nin ? nin : 1, sizeof *rd);
    myl_replay **rp = calloc(nin ? nin : 1, sizeof *rp);
    myl_bytes builtin_src;
    myl_diag d = {0};
    myl_sim *s = NULL;
    int rc = !rd || !rp ? MYL_ENOMEM : cli_open_inputs(j, NULL, &builtin_src, rd, rp, &d);
    if (!rc)
        rc = myl_sim_new(j->cn, e, &s);
    myl_tick_report r;
    for (uint64_t k = 0; k <= t && !rc; k++) {
        for (size_t i = 0; i < nin && !rc; i++) {
            int ended = 0;
            rc = myl_replay_tick(rp[i], s, k, &ended, &d);
        }
        if (!rc)
            rc = myl_sim_step(s, &r);
    }
    if (!rc) {
        *gid = malloc((r.nspiking + 1) * sizeof **gid);
        *cnt = malloc((r.nspiking + 1) * sizeof **cnt);
        if (!*gid || !*cnt) {
            rc = MYL_ENOMEM;
        } else {
            memcpy(*gid, r.spike, r.nspiking * sizeof **gid);
            memcpy(*cnt, r.count, r.nspiking * sizeof **cnt);
            *n = r.nspiking;
        }
    }
    myl_sim_free(s);
    cli_close_inputs(nin, rd, rp);
    return rc;
}

static const char *describe(const cli_job *j, uint32_t gid, char *buf, size_t n)
{
    const myl_net *net = j->nf->net;
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        uint64_t f = myl_net_pop_first(net, p);
        if (gid >= f && gid < f + myl_net_pop_size(net, p)) {
            snprintf(buf, n, "neuron %u (%s[%llu])", gid, myl_net_pop_name(net, p),
                     (unsigned long long)(gid - f));
            return buf;
        }
    }
    snprintf(buf, n, "neuron %u", gid);
    return buf;
}

/* Explain the first difference at tick t. */
static void first_difference(cli_job *j, uint64_t t)
{
    uint32_t *ga = NULL, *gb = NULL, na = 0, nb = 0;
    uint16_t *ca = NULL, *cb = NULL;
    char buf[256];
    if (spikes_at(j, MYL_ENGINE_EVENT, t, &ga, &ca, &na) ||
        spikes_at(j, MYL_ENGINE_DENSE, t, &gb, &cb, &nb)) {
        printf("  first difference at tick %llu (could not replay it)\n", (unsigned long long)t);
    } else {
        uint32_t i = 0, k = 0;
        while (i < na && k < nb && ga[i] == gb[k] && ca[i] == cb[k])
            i++, k++;
        printf("  first difference at tick %llu (%.6g s): ", (unsigned long long)t, t * j->dt);
        if (i < na && (k >= nb || ga[i] < gb[k]))
            printf("%s spikes %u time(s) in the event engine, not in the dense one\n",
                   describe(j, ga[i], buf, sizeof buf), ca[i]);
        else if (k < nb && (i >= na || gb[k] < ga[i]))
            printf("%s spikes %u time(s) in the dense engine, not in the event one\n",
                   describe(j, gb[k], buf, sizeof buf), cb[k]);
        else if (i < na && k < nb)
            printf("%s spikes %u time(s) in the event engine and %u in the dense one\n",
                   describe(j, ga[i], buf, sizeof buf), ca[i], cb[k]);
        else
            printf("the spike lists agree but their hashes do not\n");
    }
    free(ga), free(gb), free(ca), free(cb);
}

static void row(const char *what, const char *a, const char *b, const char *ratio)
{
    printf("  %-20s %22s %22s %12s\n", what, a, b, ratio);
}

static void ratio(char *buf, size_t n, double num, double den)
{
    if (den > 0)
        snprintf(buf, n, "%.3gx", num / den);
    else
        snprintf(buf, n, "-");
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
    cli_common c = {.db_path = "myelin.db", .duration = -1};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        int k = cli_common_opt(&c, opt, optarg, "compare");
        if (k < 0)
            return EXIT_USAGE;
        if (k == 0) {
            fprintf(stderr, "Try 'myelin compare --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        c.net_path = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "myelin compare: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    cli_job j;
    int ex = cli_job_prepare(&j, &c);
    if (ex)
        return ex;
    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(c.db_path, &db, &d);
    if (rc) {
        cli_error(&d, rc, c.db_path);
        cli_job_release(&j);
        return EXIT_RUNTIME;
    }
    cli_install_signals();
    int progress = !c.quiet && isatty(2);
    cli_result ev = {0}, de = {0};
    rc = cli_run_engine(&j, MYL_ENGINE_EVENT, db, "compare", 0, c.record_spikes, 1, progress, &ev,
                        &d);
    if (!rc)
        rc = cli_run_engine(&j, MYL_ENGINE_DENSE, db, "compare", ev.run_id, c.record_spikes, 1,
                            progress, &de, &d);
    if (rc) {
        if (rc != MYL_EINTR)
            cli_error(&d, rc, "compare");
        else
            fprintf(stderr, "myelin compare: interrupted\n");
        const int usage = ev.usage || de.usage;
        cli_result_release(&ev);
        cli_result_release(&de);
        myl_db_close(db);
        cli_job_release(&j);
        return usage ? EXIT_USAGE : EXIT_RUNTIME;
    }
    uint64_t diff = UINT64_MAX;
    if (ev.ticks != de.ticks)
        diff = ev.ticks < de.ticks ? ev.ticks : de.ticks;
    for (uint64_t t = 0; t < ev.ticks && t < de.ticks; t++)
        if (ev.tick_hash[t] != de.tick_hash[t]) {
            diff = t;
            break;
        }
    j.ticks = ev.ticks;

    if (!c.quiet) {
        myl_cnet_info info;
        myl_cnet_info_get(j.cn, &info);
        char a[64], b[64], r[64];
        printf("myelin compare: %s, seed %llu, %s ticks of %.6g s\n", j.nf->name,
               (unsigned long long)j.seed, cli_num(j.ticks, a, sizeof a), j.dt);
        printf("  %s neurons, %s synapses\n\n", cli_num(info.nneurons, a, sizeof a),
               cli_num(info.nsyn, b, sizeof b));
        row("", "event", "dense", "dense/event");
        row("spikes", cli_num(ev.spikes, a, sizeof a), cli_num(de.spikes, b, sizeof b),
            diff == UINT64_MAX ? "identical" : "DIFFERENT");
        ratio(r, sizeof r, (double)de.syn_evals, (double)ev.syn_evals);
        row("synapses touched", cli_num(ev.syn_evals, a, sizeof a),
            cli_num(de.syn_evals, b, sizeof b), r);
        ratio(r, sizeof r, (double)de.updates, (double)ev.updates);
        row("neuron updates", cli_num(ev.updates, a, sizeof a), cli_num(de.updates, b, sizeof b),
            r);
        char ta[32], tb[32];
        snprintf(ta, sizeof ta, "%.3f s", ev.wall_s);
        snprintf(tb, sizeof tb, "%.3f s", de.wall_s);
        ratio(r, sizeof r, de.wall_s, ev.wall_s);
        row("wall time (run)", ta, tb, r);
        ratio(r, sizeof r, (double)de.engine_bytes, (double)ev.engine_bytes);
        row("engine memory", cli_bytes(ev.engine_bytes, a, sizeof a),
            cli_bytes(de.engine_bytes, b, sizeof b), r);
        printf("\n  synapses touched: event = synaptic events (a synapse hit by a spike);\n"
               "  dense = every synapse checked every tick, as a clock-driven simulator does.\n");
        if (j.hw && ev.have_hw) {
            /* the chip's event-driven estimate beside a dense accelerator's (NeuroBench's
             * counts, Horowitz's 45 nm prices) */
            myl_dense_cost dc;
            myl_dense_cost_get(info.nsyn, info.nmodel, ev.ticks, ev.syn_events, &dc);
            char e1[32], e2[32], e3[32];
            printf("\n  energy of the run             %22s %22s %12s\n", "on the chip",
                   "dense, 45 nm", "dense/chip");
            cli_si(ev.hw.energy, "J", e1, sizeof e1);
            cli_si(dc.energy_dense, "J", e2, sizeof e2);
            ratio(r, sizeof r, dc.energy_dense, ev.hw.energy);
            printf("  %-29s %22s %22s %12s\n", j.hw->name, e1, e2, r);
            printf("  %-29s %22s %22s\n", "synaptic operations",
                   cli_num(ev.syn_events, a, sizeof a), cli_num(dc.macs, b, sizeof b));
            cli_si(dc.energy_event, "J", e3, sizeof e3);
            printf("\n  dense, 45 nm: every synapse every tick is a multiply-accumulate (%.3g pJ:\n"
                   "  fp32 multiply and add, a weight read from %s) and every neuron an update\n"
                   "  (%.3g pJ): NeuroBench's dense count priced with Horowitz (ISSCC 2014). The\n"
                   "  same accelerator doing only the synaptic events would spend %s.\n",
                   dc.e_mac * 1e12, dc.memory, dc.e_update * 1e12, e3);
        }
        if (diff == UINT64_MAX)
            printf("\n  The two engines produced identical spikes: %s spikes in %s ticks.\n",
                   cli_num(ev.spikes, a, sizeof a), cli_num(j.ticks, b, sizeof b));
        printf("  results     %s, runs %lld (event) and %lld (dense)\n", c.db_path,
               (long long)ev.run_id, (long long)de.run_id);
    }
    if (diff != UINT64_MAX) {
        printf("\n  The engines DISAGREE.\n");
        first_difference(&j, diff);
    }
    cli_result_release(&ev);
    cli_result_release(&de);
    myl_db_close(db);
    cli_job_release(&j);
    return diff == UINT64_MAX ? EXIT_OK : EXIT_RUNTIME;
}
