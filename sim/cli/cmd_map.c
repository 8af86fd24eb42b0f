/* myelin map: place a network on a chip and report how it fits. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: myelin map NETWORK.yaml --hw NAME [options]\n"
            "\n"
            "Map a network onto a hardware model's cores, tiles and chips, print how full each\n"
            "core is, and record the mapping in the results database.\n"
            "\n"
            "Options:\n"
            "  --hw NAME|FILE         hardware model (myelin hw list)\n"
            "  --strategy S           fill, balance or locality (default: fill, or the mapping\n"
            "                         a SANA-FE network file gives)\n"
            "  --mapping FILE         an explicit mapping (docs/mapping-format.md)\n"
            "  --seed N               random seed for the connectivity\n"
            "  --db FILE              results database (default: myelin.db)\n"
            "  --all                  list every core, not only a summary\n"
            "  --help                 this text\n"
            "\n"
            "Exit status: 0 it fits, 1 a runtime failure, 2 bad input or it does not fit.\n");
}

static void pct(char *buf, size_t n, double used, double cap)
{
    if (cap > 0)
        snprintf(buf, n, "%5.1f%%", 100.0 * used / cap);
    else
        snprintf(buf, n, "     -");
}

void cli_print_mapping(const cli_job *j, FILE *f)
{
    const myl_map *m = j->map;
    const myl_hw *hw = j->hw;
    char a[64], b[64];
    fprintf(f, "  mapping     %s: %u core%s on %u tile%s of %u chip%s (%s)\n",
            myl_map_strategy_name(m->strategy), m->ncores, m->ncores == 1 ? "" : "s", m->ntiles,
            m->ntiles == 1 ? "" : "s",
            m->nchips, m->nchips == 1 ? "" : "s", hw->name);
    /* the fullest core by each measure */
    double worst[5] = {0};
    const double cap[5] = {hw->max_neurons, (double)hw->syn_mem_bits, hw->max_axons_in,
                           hw->max_axons_out, (double)hw->max_synapses};
    for (uint32_t c = 0; c < m->ncores; c++) {
        const myl_core_use *u = &m->use[c];
        const double v[5] = {u->neurons, (double)u->syn_bits, u->axons_in, u->axons_out,
                             (double)u->synapses};
        for (int k = 0; k < 5; k++)
            if (cap[k] > 0 && v[k] / cap[k] > worst[k])
                worst[k] = v[k] / cap[k];
    }
    pct(a, sizeof a, worst[0], 1);
    fprintf(f, "  fullest     neurons %s", cap[0] > 0 ? a : "-");
    pct(b, sizeof b, worst[1], 1);
    fprintf(f, ", synapse memory %s", cap[1] > 0 ? b : "-");
    pct(a, sizeof a, worst[2], 1);
    fprintf(f, ", input axons %s", cap[2] > 0 ? a : "-");
    pct(b, sizeof b, worst[3], 1);
    fprintf(f, ", output axons %s\n", cap[3] > 0 ? b : "-");
}

static void print_cores(const cli_job *j, int all)
{
    const myl_map *m = j->map;
    const myl_hw *hw = j->hw;
    printf("\n  %5s %4s %5s %4s %8s %7s %10s %7s %8s %7s %8s %7s\n", "core", "chip", "tile",
           "slot", "neurons", "", "syn mem", "", "axons in", "", "axons out", "");
    uint32_t shown = 0;
    for (uint32_t c = 0; c < m->ncores; c++) {
        if (!all && c >= 8 && c + 4 < m->ncores) {
            if (!shown++)
                printf("  %5s (%u more cores; --all lists them)\n", "...", m->ncores - 12);
            continue;
        }
        const myl_core_use *u = &m->use[c];
        char p1[16], p2[16], p3[16], p4[16], tile[16];
        pct(p1, sizeof p1, u->neurons, hw->max_neurons);
        pct(p2, sizeof p2, (double)u->syn_bits, (double)hw->syn_mem_bits);
        pct(p3, sizeof p3, u->axons_in, hw->max_axons_in);
        pct(p4, sizeof p4, u->axons_out, hw->max_axons_out);
        snprintf(tile, sizeof tile, "%u,%u", m->tile_x[c], m->tile_y[c]);
        printf("  %5u %4u %5s %4u %8u %7s %9.1fK %7s %8u %7s %8u %7s\n", c, m->chip[c], tile,
               m->slot[c], u->neurons, p1, u->syn_bits / 8192.0, p2, u->axons_in, p3,
               u->axons_out, p4);
    }
}

int cmd_map(int argc, char **argv)
{
    static const struct option opts[] = {CLI_COMMON_OPTS, {"all", no_argument, NULL, 'A'},
                                          {NULL, 0, NULL, 0}};
    cli_common c = {.db_path = "myelin.db", .duration = -1};
    int opt, all = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == 'A') {
            all = 1;
            continue;
        }
        int k = cli_common_opt(&c, opt, optarg, "map");
        if (k < 0)
            return EXIT_USAGE;
        if (k == 0) {
            fprintf(stderr, "Try 'myelin map --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        c.net_path = argv[optind++];
    if (optind < argc || !c.hw) {
        fprintf(stderr, optind < argc ? "myelin map: unexpected argument '%s'\n"
                                      : "myelin map: --hw NAME is required%s\n",
                optind < argc ? argv[optind] : "");
        fprintf(stderr, "Try 'myelin map --help'.\n");
        return EXIT_USAGE;
    }
    cli_job j;
    double t0 = cli_now();
    int ex = cli_job_prepare_map(&j, &c);
    if (ex)
        return ex;
    double took = cli_now() - t0;
    char a[32], b[32];
    printf("myelin map: %s on %s\n", j.nf->name, j.hw->name);
    printf("  network     %s neurons, %s synapses\n",
           cli_num(myl_net_nneurons(j.nf->net), a, sizeof a), cli_num(j.map->nsyn, b, sizeof b));
    cli_print_mapping(&j, stdout);
    print_cores(&j, all);
    if (j.chip) {
        printf("\n");
        myl_chipq_print(j.chip, j.nf->net, stdout);
    }
    printf("\n  took        %.2f s (loading, generating the connectivity, mapping)\n", took);
    /* record it: a run of zero ticks that carries the mapping */
    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(c.db_path, &db, &d);
    int64_t run_id = 0;
    if (!rc && (rc = cli_record_mapping(&j, db, &run_id, &d)) == 0)
        printf("  results     %s, run %lld:  sqlite3 %s \"SELECT * FROM cores WHERE run_id = "
               "%lld\"\n",
               c.db_path, (long long)run_id, c.db_path, (long long)run_id);
    if (rc)
        cli_error(&d, rc, c.db_path);
    myl_db_close(db);
    cli_job_release(&j);
    return rc ? EXIT_RUNTIME : EXIT_OK;
}
