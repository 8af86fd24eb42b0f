/* myelin run: simulate a network with one engine, record into the results database, and
 * summarise. */
#include "cli.h"

#include "myelin/units.h"

#include <getopt.h>
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
            "  --strategy S           mapping: fill (default), balance or locality\n"
            "  --mapping FILE         an explicit mapping instead\n"
            "  --input FILE           the event stream for the network's first `inputs:` binding\n"
            "  --quiet                print nothing but errors\n"
            "  --help                 this text\n"
            "\n"
            "Exit status: 0 done, 1 the run failed or was interrupted, 2 bad input or usage.\n");
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
    static const struct option opts[] = {
        {"engine", required_argument, NULL, 'e'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
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
    cli_result r;
    rc = cli_run_engine(&j, engine, db, "run", 0, c.record_spikes, 0, !c.quiet && isatty(2), &r,
                        &d);
    if (!c.quiet && (rc == 0 || rc == MYL_EINTR))
        summary(&j, engine, &r, c.db_path);
    if (rc && rc != MYL_EINTR)
        cli_error(&d, rc, "run");
    cli_result_release(&r);
    myl_db_close(db);
    cli_job_release(&j);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
