/* Benchmark: a network's simulation loop, timed inside the process.
 *
 * `myelin run` records the wall time of its loop; on a shared machine that time is mostly
 * other processes' (a loaded 2-core VM gives a process a fifth of a core). This program runs
 * the same loop through the library, the way the CLI does (load, optionally map onto a hardware
 * model with its chip arithmetic, compile, then myl_sim_step every tick and, with --hw, the
 * accountant), but compiles once and repeats only the loop, timing each repetition in the
 * loop thread's CPU time, the process's CPU time and wall time. With --hw the accountant
 * prices each tick on its own thread while the next is simulated (myl_acct_push / pop, as
 * `myelin run` does; the accountant's CPU time is the process's less the loop thread's), or,
 * with --acct sync, on the loop's thread (myl_acct_tick, timed apart from the engine's step),
 * which gives what counting and pricing every operation costs in CPU. The build phases are
 * timed too. Streams bound to the network's `inputs:` are replayed as the CLI replays them
 * (the readers are opened inside the timed loop). What it leaves out of the CLI's loop:
 * writing each tick to the results database (a writer thread) and the per-tick spike hash.
 *
 *   bench-core NET.yaml [--engine event|dense] [--ticks N] [--reps N]
 *                       [--hw NAME|FILE [--acct thread|sync]]
 *
 * Prints one block of figures; the last line is machine-readable (key=value). It asserts
 * nothing about time; every repetition must produce the same spikes.
 */
#include "myelin/chipq.h"
#include "myelin/cnet.h"
#include "myelin/energy.h"
#include "myelin/err.h"
#include "myelin/hw.h"
#include "myelin/map.h"
#include "myelin/netfile.h"
#include "myelin/replay.h"
#include "myelin/sim.h"
#include "myelin/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void die(const char *what, int rc, const myl_diag *d)
{
    fprintf(stderr, "bench-core: %s: %s\n", what, d && d->set ? d->msg : myl_strerror(rc));
    exit(EXIT_FAILURE);
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static double wall_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static double proc_cpu_s(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

typedef struct loop_out {
    double cpu, proc_cpu, wall, acct_cpu; /* s */
    double setup;                         /* s of CPU: the accountant's tables */
    uint64_t spikes, syn_events, updates;
} loop_out;

static int acct_sync; /* --acct sync: price each tick on the loop's thread (myl_acct_tick) */

enum { MAX_INPUTS = 8 };

/* One run of `ticks` ticks on a fresh engine, replaying nf's input streams; acct (may be NULL)
 * prices every tick. */
static loop_out run_loop(const myl_netfile *nf, const myl_cnet *cn, myl_engine e, uint64_t ticks,
                         const myl_map *map, const myl_hw *hw)
{
    loop_out o = {0};
    myl_sim *sim = NULL;
    int rc = myl_sim_new(cn, e, &sim);
    if (rc)
        die("myl_sim_new", rc, NULL);
    myl_acct *acct = NULL;
    const double s0 = cpu_s();
    if (hw && ((rc = myl_acct_new(cn, map, hw, NULL, &acct)) ||
               (rc = myl_acct_attach(acct, sim, myl_net_seed(nf->net)))))
        die("myl_acct_new", rc, NULL);
    o.setup = cpu_s() - s0;
    myl_tick_report r;
    myl_tick_cost cost;
    myl_diag d = {0};
    myl_reader *rd[MAX_INPUTS] = {0};
    myl_replay *rp[MAX_INPUTS] = {0};
    size_t nin = nf->ninputs;
    double c0 = cpu_s(), p0 = proc_cpu_s(), w0 = wall_s();
    for (size_t i = 0; i < nin; i++) {
        const myl_binding *b = &nf->inputs[i];
        char path[4200];
        if (!b->source)
            die(b->where, MYL_EINVAL, NULL);
        snprintf(path, sizeof path, "%s%s%s", b->source[0] == '/' ? "" : nf->dir,
                 b->source[0] == '/' ? "" : "/", b->source);
        if ((rc = myl_reader_open_file(path, &b->opts, &rd[i], &d)) ||
            (rc = myl_replay_new(b, rd[i], nf->net, &rp[i], &d)))
            die(path, rc, &d);
    }
    for (uint64_t t = 0; t < ticks; t++) {
        for (size_t i = 0; i < nin; i++) {
            int ended;
            if ((rc = myl_replay_tick(rp[i], sim, t, &ended, &d)))
                die("replay", rc, &d);
        }
        if ((rc = myl_sim_step(sim, &r)))
            die("myl_sim_step", rc, NULL);
        o.spikes += r.spikes;
        o.syn_events += r.syn_events;
        o.updates += r.updates;
        if (acct && acct_sync) {
            double a0 = cpu_s();
            myl_acct_tick(acct, &r, &cost);
            o.acct_cpu += cpu_s() - a0;
        } else if (acct) {
            /* as `myelin run` does: priced on the accountant's thread while the next tick is
             * simulated */
            if ((rc = myl_acct_push(acct, &r)))
                die("myl_acct_push", rc, NULL);
            while (myl_acct_pop(acct, &cost, myl_acct_full(acct)) == 0)
                ;
        }
    }
    while (acct && !acct_sync && myl_acct_pop(acct, &cost, 1) == 0)
        ;
    o.cpu = cpu_s() - c0;
    o.proc_cpu = proc_cpu_s() - p0;
    o.wall = wall_s() - w0;
    if (acct && !acct_sync)
        o.acct_cpu = o.proc_cpu - o.cpu; /* the accountant's thread */
    for (size_t i = 0; i < nin; i++) {
        myl_replay_free(rp[i]);
        myl_reader_close(rd[i]);
    }
    myl_acct_free(acct);
    myl_sim_free(sim);
    return o;
}

int main(int argc, char **argv)
{
    const char *net_path = NULL, *hw_name = NULL;
    myl_engine engine = MYL_ENGINE_EVENT;
    uint64_t ticks = 0;
    int reps = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc) {
            if (myl_engine_from_name(argv[++i], &engine))
                die(argv[i], MYL_EINVAL, NULL);
        } else if (strcmp(argv[i], "--ticks") == 0 && i + 1 < argc) {
            ticks = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--hw") == 0 && i + 1 < argc) {
            hw_name = argv[++i];
        } else if (strcmp(argv[i], "--acct") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "sync") == 0 || strcmp(argv[i + 1], "thread") == 0)) {
            acct_sync = strcmp(argv[++i], "sync") == 0;
        } else if (argv[i][0] != '-' && !net_path) {
            net_path = argv[i];
        } else {
            fprintf(stderr,
                    "usage: %s NET.yaml [--engine event|dense] [--ticks N] [--reps N] "
                    "[--hw NAME [--acct thread|sync]]\n",
                    argv[0]);
            return EXIT_FAILURE;
        }
    }
    if (!net_path || reps < 1) {
        fprintf(stderr,
                "usage: %s NET.yaml [--engine event|dense] [--ticks N] [--reps N] "
                "[--hw NAME [--acct thread|sync]]\n",
                argv[0]);
        return EXIT_FAILURE;
    }

    /* build, phase by phase, as the CLI does it */
    myl_diag d = {0};
    int rc;
    double t_load = cpu_s();
    myl_netfile *nf = NULL;
    if ((rc = myl_netfile_load(net_path, &nf, &d)))
        die(net_path, rc, &d);
    t_load = cpu_s() - t_load;
    myl_net *net = nf->net;
    if (nf->ninputs > MAX_INPUTS)
        die(net_path, MYL_ETOOBIG, NULL);
    if (!ticks)
        ticks = myl_net_ticks(net);
    uint64_t seed = myl_net_seed(net);
    myl_hw *hw = NULL;
    myl_chipq *chip = NULL;
    myl_map *map = NULL;
    double t_quant = 0, t_map = 0;
    if (hw_name) {
        if ((rc = myl_hw_load(hw_name, &hw, &d)))
            die(hw_name, rc, &d);
        t_quant = cpu_s();
        if (hw->arith != MYL_ARITH_FLOAT && (rc = myl_chipq_build(net, hw, seed, &chip, &d)))
            die("quantising", rc, &d);
        t_quant = cpu_s() - t_quant;
        t_map = cpu_s();
        myl_map_opts mo = {.strategy = MYL_MAP_FILL, .seed = seed};
        if ((rc = myl_map_build(net, hw, &mo, &map, &d)))
            die("mapping", rc, &d);
        t_map = cpu_s() - t_map;
    }
    double t_comp = cpu_s();
    myl_compile_opts co = {.seed = seed, .chip = chip ? myl_chipq_program(chip) : NULL};
    myl_cnet *cn = NULL;
    /* the engine runs on its own layout whatever the mapping: results do not depend on it,
     * and the accountant prices each spike by the mapping's cores */
    if ((rc = myl_net_compile(net, NULL, &co, &cn, &d)))
        die("compiling", rc, &d);
    t_comp = cpu_s() - t_comp;
    myl_cnet_info ci;
    myl_cnet_info_get(cn, &ci);

    loop_out best = {0}, worst = {0}, first = {0};
    for (int k = 0; k < reps; k++) {
        loop_out o = run_loop(nf, cn, engine, ticks, map, hw);
        if (k == 0) {
            first = best = worst = o;
            continue;
        }
        if (o.spikes != first.spikes || o.syn_events != first.syn_events)
            die("repetition differs from the first", MYL_EINVAL, NULL);
        /* the accountant's CPU time goes with the loop it was measured in: the loop thread's
         * best when it prices in line, the process's best when it has a thread */
        if (o.cpu < best.cpu) {
            best.cpu = o.cpu;
            if (acct_sync)
                best.acct_cpu = o.acct_cpu;
        }
        if (o.proc_cpu < best.proc_cpu) {
            best.proc_cpu = o.proc_cpu;
            if (!acct_sync)
                best.acct_cpu = o.acct_cpu;
        }
        if (o.wall < best.wall)
            best.wall = o.wall;
        if (o.cpu > worst.cpu)
            worst.cpu = o.cpu;
        if (o.wall > worst.wall)
            worst.wall = o.wall;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double bio = (double)ticks * myl_net_dt(net);
    printf("%s, %s engine%s%s: %llu neurons, %llu synapses, %u cores, %llu ticks (%g s)\n",
           nf->name, myl_engine_name(engine), hw ? ", hw " : "", hw ? hw_name : "",
           (unsigned long long)ci.nneurons, (unsigned long long)ci.nsyn, ci.ncores,
           (unsigned long long)ticks, bio);
    printf("  build (thread CPU)  load %.2f s, quantise %.2f s, map %.2f s, compile %.2f s, "
           "accountant %.2f s\n",
           t_load, t_quant, t_map, t_comp, first.setup);
    printf("  loop, best of %d     %.4f s CPU (worst %+.0f%%), %.4f s wall (worst %+.0f%%)\n", reps,
           best.cpu, 100.0 * (worst.cpu / best.cpu - 1), best.wall,
           100.0 * (worst.wall / best.wall - 1));
    printf("  per simulated s     %.4f s CPU, %.4f s wall\n", best.cpu / bio, best.wall / bio);
    if (hw && acct_sync)
        printf("  accounting          %.4f s CPU of the best loop (%.1f%%), on the loop's thread\n",
               best.acct_cpu, 100.0 * best.acct_cpu / best.cpu);
    else if (hw)
        printf("  accounting          on its own thread: the process took %.4f s CPU in the best "
               "loop, %.4f s of it the accountant's\n",
               best.proc_cpu, best.acct_cpu);
    printf("  work                %llu spikes, %llu synaptic events (%.3g per CPU s), %llu "
           "neuron updates\n",
           (unsigned long long)first.spikes, (unsigned long long)first.syn_events,
           (double)first.syn_events / best.cpu, (unsigned long long)first.updates);
    printf("  memory              synapses %.2f B each (arrays), compiled network %.1f MiB, peak "
           "RSS %.1f MiB (%.2f B per synapse)\n",
           (double)ci.bytes_syn / (double)ci.nsyn, (double)ci.bytes_total / 1048576.0,
           (double)ru.ru_maxrss / 1024.0, (double)ru.ru_maxrss * 1024.0 / (double)ci.nsyn);
    printf("bench-core: net=%s engine=%s hw=%s ticks=%llu bio_s=%g cpu_s=%.6f cpu_worst_s=%.6f "
           "wall_s=%.6f wall_worst_s=%.6f acct_cpu_s=%.6f proc_cpu_s=%.6f acct=%s spikes=%llu "
           "syn_events=%llu cores=%u build_cpu_s=%.3f syn_bytes=%llu rss_kb=%ld\n",
           nf->name, myl_engine_name(engine), hw ? hw_name : "none", (unsigned long long)ticks, bio,
           best.cpu, worst.cpu, best.wall, worst.wall, best.acct_cpu, best.proc_cpu,
           !hw         ? "none"
           : acct_sync ? "sync"
                       : "thread",
           (unsigned long long)first.spikes, (unsigned long long)first.syn_events, ci.ncores,
           t_load + t_quant + t_map + t_comp, (unsigned long long)ci.bytes_syn, ru.ru_maxrss);
    myl_cnet_free(cn);
    myl_map_free(map);
    myl_chipq_free(chip);
    myl_hw_free(hw);
    myl_netfile_free(nf);
    return EXIT_SUCCESS;
}
