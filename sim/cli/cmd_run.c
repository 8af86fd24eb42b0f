/* myelin run: simulate a network with one engine, record into the results database, and
 * summarise. */
#include "cli.h"

#include "myelin/live.h"
#include "myelin/units.h"

#include <getopt.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: myelin run [NETWORK.yaml] [options]\n"
            "\n"
            "Simulate a network and record the results. Without NETWORK.yaml, runs the\n"
            "built-in demo (traces/demo.yaml replaying traces/bar.myl).\n"
            "\n"
            "Options:\n"
            "  --engine event|dense   event-driven (default) or clock-driven reference\n"
            "  --ticks N              simulate N ticks (overrides run.duration)\n"
            "  --duration TIME        simulate TIME, e.g. 1.5 (seconds) or 200ms\n"
            "  --seed N               random seed (overrides run.seed)\n"
            "  --db FILE              results database (default: myelin.db)\n"
            "  --record counts|spikes counts per neuron and tick (default), or also every\n"
            "                         spike and recorded membrane potential\n"
            "  --hw NAME|FILE         map onto a hardware model and estimate energy and\n"
            "                         latency (myelin hw list)\n"
            "  --strategy S           mapping: fill, balance or locality (default: fill, or the\n"
            "                         mapping a SANA-FE network file gives)\n"
            "  --mapping FILE         an explicit mapping instead\n"
            "  --input FILE|ADDRESS   the event stream for the network's first `inputs:` binding:\n"
            "                         a file, or a live stream: tcp://HOST:PORT or unix:PATH\n"
            "                         (myelin listens; the sender connects) or - (stdin)\n"
            "  --latency MS|inf       how long past its time a tick waits for a live stream\n"
            "                         (default 100 ms; inf: wait as long as it takes)\n"
            "  --output FILE|ADDRESS  stream the spikes of the `outputs:` populations as they\n"
            "                         happen (native trace format) to a file, or to the one\n"
            "                         consumer that connects to tcp://HOST:PORT or unix:PATH\n"
            "  --realtime             pace ticks against the wall clock (dt of wall time each)\n"
            "  --speed X              ... X times faster than real time (implies --realtime)\n"
            "  --quiet                print nothing but errors\n"
            "  --help                 this text\n"
            "\n"
            "Exit status: 0 done, 1 the run failed or was interrupted, 2 bad input or usage.\n");
}

/* --realtime, --speed, --latency, --output. Returns -1 (message printed) on a bad value. */
static int live_opt(int opt, const char *arg, int *realtime, double *speed, int *have_latency,
                    double *latency, const char **output)
{
    double v;
    myl_qunit u;
    char why[128];
    switch (opt) {
    case 'R':
        *realtime = 1;
        return 0;
    case 'X':
        if (myl_quantity_parse(arg, MYL_Q_PLAIN, &v, &u, why) || !(v > 0) || !isfinite(v)) {
            fprintf(stderr,
                    "myelin run: --speed wants a positive number (2: twice as fast as "
                    "real time), not '%s'\n",
                    arg);
            return -1;
        }
        *speed = v;
        *realtime = 1;
        return 0;
    case 'L':
        /* plain numbers are milliseconds; a unit may be given; inf: no limit */
        if (strcmp(arg, "inf") == 0 || strcmp(arg, "none") == 0) {
            *latency = -1;
        } else if (myl_quantity_parse(arg, MYL_Q_TIME, &v, &u, why) || u == MYL_U_TICKS ||
                   !(v >= 0) || !isfinite(v)) {
            fprintf(stderr,
                    "myelin run: --latency wants milliseconds (e.g. 50, 0.2s) or inf, not '%s'\n",
                    arg);
            return -1;
        } else {
            *latency = u == MYL_U_NONE ? v * 1e-3 : v;
        }
        *have_latency = 1;
        return 0;
    case 'O': {
        myl_live_addr a;
        myl_diag d = {0};
        if (myl_live_addr_parse(arg, &a, &d) || a.kind == MYL_LIVE_STDIO) {
            fprintf(stderr, "myelin run: --output %s\n",
                    d.set ? d.msg : "-: give a file, tcp://HOST:PORT or unix:PATH");
            return -1;
        }
        *output = arg;
        return 0;
    }
    default:
        return -1;
    }
}

/* Print the run summary. */
static void summary(const cli_job *j, myl_engine e, const cli_result *r, const char *db)
{
    const myl_net *net = j->nf->net;
    myl_cnet_info info;
    myl_cnet_info_get(j->cn, &info);
    char a[64], b[64], c[64], t1[32], t2[32];
    double sim_s = (double)r->ticks * j->dt;
    printf("myelin %s: %s, %s engine, seed %llu\n", r->interrupted ? "run interrupted" : "run",
           j->nf->name, myl_engine_name(e), (unsigned long long)j->seed);
    printf("  network     %s neurons (%s spike sources) in %u populations, %s synapses\n",
           cli_num(info.nneurons, a, sizeof a), cli_num(info.nneurons - info.nmodel, b, sizeof b),
           myl_net_npops(net), cli_num(info.nsyn, c, sizeof c));
    printf("  simulated   %s ticks of %s = %s\n", cli_num(r->ticks, a, sizeof a),
           myl_fmt_time(j->dt, t1, sizeof t1), myl_fmt_time(sim_s, t2, sizeof t2));
    printf("\n  %-14s %-11s %10s %14s %12s\n", "population", "model", "size", "spikes",
           "rate");
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        uint32_t size = myl_net_pop_size(net, p);
        double rate = sim_s > 0 ? (double)r->pop_spikes[p] / size / sim_s : 0;
        printf("  %-14s %-11s %10s %14s %9.2f Hz\n", myl_net_pop_name(net, p),
               myl_model_name(myl_net_pop_model(net, p)), cli_num(size, a, sizeof a),
               cli_num(r->pop_spikes[p], b, sizeof b), rate);
    }
    printf("\n  spikes      %s\n", cli_num(r->spikes, a, sizeof a));
    printf("  synaptic    %s events", cli_num(r->syn_events, a, sizeof a));
    if (e == MYL_ENGINE_DENSE)
        printf(" (%s synapse evaluations)", cli_num(r->syn_evals, b, sizeof b));
    if (r->input_events)
        printf("\n  input       %s Poisson input events", cli_num(r->input_events, a, sizeof a));
    printf("\n  updates     %s neuron updates\n", cli_num(r->updates, a, sizeof a));
    printf("  wall time   build %.3f s, run %.3f s", info.build_s, r->wall_s);
    if (sim_s > 0)
        printf(" (%.3f s per simulated second)", r->wall_s / sim_s);
    printf("\n  memory      %s peak (synapses %s, engine %s)\n",
           cli_bytes(r->peak_rss, a, sizeof a), cli_bytes(info.bytes_syn, b, sizeof b),
           cli_bytes(r->engine_bytes, c, sizeof c));
    if (r->notes)
        fputs(r->notes, stdout);
    if (j->hw) {
        printf("\n");
        cli_print_mapping(j, stdout);
        cli_print_energy(j, r, stdout);
    }
    if (db && r->run_id)
        printf("  results     %s, run %lld:  sqlite3 %s \"SELECT * FROM runs WHERE id = %lld\"\n",
               db, (long long)r->run_id, db, (long long)r->run_id);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"engine", required_argument, NULL, 'e'},
                                         {"realtime", no_argument, NULL, 'R'},
                                         {"speed", required_argument, NULL, 'X'},
                                         {"latency", required_argument, NULL, 'L'},
                                         {"output", required_argument, NULL, 'O'},
                                         CLI_COMMON_OPTS,
                                         {NULL, 0, NULL, 0}};
    int realtime = 0, have_latency = 0;
    double speed = 1, latency = 0;
    const char *output = NULL;
    cli_common c = {.db_path = "myelin.db", .duration = -1};
    myl_engine engine = MYL_ENGINE_EVENT;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == 'e') {
            if (myl_engine_from_name(optarg, &engine)) {
                fprintf(stderr, "myelin run: --engine wants event or dense, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            continue;
        }
        if (opt == 'R' || opt == 'X' || opt == 'L' || opt == 'O') {
            if (live_opt(opt, optarg, &realtime, &speed, &have_latency, &latency, &output))
                return EXIT_USAGE;
            continue;
        }
        int k = cli_common_opt(&c, opt, optarg, "run");
        if (k < 0)
            return EXIT_USAGE;
        if (k == 0) {
            fprintf(stderr, "Try 'myelin run --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        c.net_path = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "myelin run: unexpected argument '%s'\nTry 'myelin run --help'.\n",
                argv[optind]);
        return EXIT_USAGE;
    }

    if (c.input && myl_live_is_stream(c.input)) {
        myl_live_addr a;
        myl_diag ad = {0};
        if (myl_live_addr_parse(c.input, &a, &ad)) {
            fprintf(stderr, "myelin run: --input %s\n", ad.msg);
            return EXIT_USAGE;
        }
    }

    cli_job j;
    int ex = cli_job_prepare(&j, &c);
    if (ex)
        return ex;
    j.realtime = realtime;
    j.speed = speed;
    j.have_latency = have_latency;
    j.latency = latency;
    j.output = output;
    j.quiet = c.quiet;
    if (output && j.nf->noutputs == 0) {
        fprintf(stderr, "myelin run: --output %s: the network has no `outputs:` populations\n",
                output);
        cli_job_release(&j);
        return EXIT_USAGE;
    }
    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(c.db_path, &db, &d);
    if (rc) {
        cli_error(&d, rc, c.db_path);
        cli_job_release(&j);
        return EXIT_RUNTIME;
    }
    cli_install_signals();
    cli_result r;
    rc = cli_run_engine(&j, engine, db, "run", 0, c.record_spikes, 0, !c.quiet && isatty(2), &r,
                        &d);
    if (!c.quiet && (rc == 0 || rc == MYL_EINTR))
        summary(&j, engine, &r, c.db_path);
    if (rc && rc != MYL_EINTR)
        cli_error(&d, rc, "run");
    int usage = r.usage;
    cli_result_release(&r);
    myl_db_close(db);
    cli_job_release(&j);
    return rc == 0 ? EXIT_OK : usage ? EXIT_USAGE : EXIT_RUNTIME;
}
