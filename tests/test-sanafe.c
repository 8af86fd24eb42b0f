/* Tests for SANA-FE network files (sim/io/sanafe_net.c) and the accountant against SANA-FE's
 * figures (docs/energy.md).
 *
 * The cross-check runs ../shared/data/sanafe/example_snn.yaml on example_chip.yaml for 100
 * ticks as `myelin run --hw` does (the file's own mapping, its soma units, the accountant with
 * the simulator attached) and compares with what SANA-FE reports for it: 6.44e-9 J in all
 * (synapse 1.0e-10, soma 6.04e-9, network 3.0e-10), 3 neurons fired, 5 synaptic events and
 * 8.33e-7 s with its simple timing model, each within 1 %. It is skipped without the shared
 * data. Every construct of the format is then read from files this test writes, and the
 * synapses it makes are checked one by one through myl_net_proj_generate(); bad files must
 * fail with MYL_EPARSE and a message "file:line:col: ..." naming the offending node. */
#include "testlib.h"

#include "myelin/chipq.h"
#include "myelin/cnet.h"
#include "myelin/energy.h"
#include "myelin/hw.h"
#include "myelin/map.h"
#include "myelin/net.h"
#include "myelin/netfile.h"
#include "myelin/sanafe.h"
#include "myelin/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------------------------- */

static const char *write_file(const char *name, const char *text)
{
    const char *path = myl_test_tmp(name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static myl_netfile *load_text(const char *text)
{
    const char *path = write_file("net.yaml", text);
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_load(path, &nf, &d);
    if (rc)
        ck_abort_msg("loading failed (%d): %s", rc, d.msg);
    return nf;
}

static uint32_t pop(const myl_netfile *nf, const char *name)
{
    uint32_t p;
    if (myl_net_find_pop(nf->net, name, &p))
        ck_abort_msg("no population '%s'", name);
    return p;
}

static uint32_t proj(const myl_netfile *nf, const char *name)
{
    for (uint32_t j = 0; j < myl_net_nprojs(nf->net); j++)
        if (strcmp(myl_net_proj(nf->net, j)->name, name) == 0)
            return j;
    ck_abort_msg("no projection '%s'", name);
    return 0;
}

typedef struct syns {
    myl_syn s[256];
    size_t n;
} syns;

static int collect(void *ctx, const myl_syn *s)
{
    syns *c = ctx;
    if (c->n < 256)
        c->s[c->n] = *s;
    c->n++;
    return 0;
}

/* The synapses of projection `name`, checked against (pre, post, w, delay) rows. */
static void check_syns(const myl_netfile *nf, const char *name, const double *rows, size_t n)
{
    const double(*want)[4] = (const double(*)[4])rows;
    syns c = {.n = 0};
    myl_diag d = {0};
    int rc = myl_net_proj_generate(nf->net, proj(nf, name), 1, collect, &c, &d);
    if (rc)
        ck_abort_msg("%s: generate failed: %s", name, d.msg);
    if (c.n != n)
        ck_abort_msg("%s: %zu synapses, expected %zu", name, c.n, n);
    for (size_t k = 0; k < n; k++) {
        const myl_syn *s = &c.s[k];
        if (s->pre != want[k][0] || s->post != want[k][1] || s->w != (float)want[k][2] ||
            s->delay != want[k][3])
            ck_abort_msg("%s: synapse %zu is %u -> %u w %g delay %u, expected %g -> %g w %g "
                         "delay %g",
                         name, k, s->pre, s->post, s->w, s->delay, want[k][0], want[k][1],
                         want[k][2], want[k][3]);
    }
}

/* Value of a population parameter for neuron i (constant or array). */
static double param(const myl_netfile *nf, uint32_t p, myl_param q, uint32_t i)
{
    const myl_values *v = myl_net_pop_param(nf->net, p, q);
    return myl_values_at(v, 1, 0, i);
}

static void near(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        ck_abort_msg("%s: %.6g, expected %.6g within %g %%", what, got, want, 100 * rel);
}

/* ---- the cross-check with SANA-FE -------------------------------------------------------- */

typedef struct run_out {
    myl_acct_totals tot;
    uint64_t spikes, syn_events;
    uint64_t spike_tick[4][8]; /* first spike ticks of each neuron */
    int nspk[4];
} run_out;

/* Map (by the file's own mapping when it has one, else by `strategy`), quantise for a chip
 * with its own arithmetic, compile and run nf on hw as `myelin run --hw` does. The engine runs
 * on the mapping's layout, or with own_layout on its default one (one core per population),
 * as the CLI does: the accountant must price both the same. */
static void run_on_layout(myl_netfile *nf, myl_hw *hw, myl_map_strategy strategy, int own_layout,
                          uint64_t ticks, run_out *o)
{
    memset(o, 0, sizeof *o);
    myl_diag d = {0};
    uint32_t *cores = NULL;
    int rc;
    if (nf->map_tile && (rc = myl_sanafe_core_of(nf, hw, &cores, &d)))
        ck_abort_msg("core_of: %s", d.msg);
    myl_map_opts mo = {.strategy = cores ? MYL_MAP_EXPLICIT : strategy, .seed = 1,
                       .core_of = cores};
    myl_map *m = NULL;
    rc = myl_map_build(nf->net, hw, &mo, &m, &d);
    free(cores);
    if (rc)
        ck_abort_msg("map: %s", d.msg);
    myl_chipq *q = NULL;
    if (hw->arith != MYL_ARITH_FLOAT && (rc = myl_chipq_build(nf->net, hw, 1, &q, &d)))
        ck_abort_msg("quantise: %s", d.msg);
    myl_layout lay = {0};
    if (!own_layout)
        ck_assert_int_eq(myl_map_layout(m, &lay), 0);
    myl_cnet *c = NULL;
    myl_compile_opts co = {.seed = 1, .chip = q ? myl_chipq_program(q) : NULL};
    rc = myl_net_compile(nf->net, own_layout ? NULL : &lay, &co, &c, &d);
    if (rc)
        ck_abort_msg("compile: %s", d.msg);
    const uint32_t np = myl_net_npops(nf->net);
    int soma[8];
    for (uint32_t p = 0; p < np && p < 8; p++)
        soma[p] = nf->soma && nf->soma[p] ? myl_hw_soma_index(hw, nf->soma[p]) : -1;
    myl_sim *s = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    myl_acct *a = NULL;
    ck_assert_int_eq(myl_acct_new(c, m, hw, soma, &a), 0);
    ck_assert_int_eq(myl_acct_attach(a, s, 1), 0);
    for (uint64_t t = 0; t < ticks; t++) {
        myl_tick_report r;
        myl_tick_cost k;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        myl_acct_tick(a, &r, &k);
        o->spikes += r.spikes;
        o->syn_events += r.syn_events;
        for (uint32_t i = 0; i < r.nspiking; i++)
            if (r.spike[i] < 4 && o->nspk[r.spike[i]] < 8)
                o->spike_tick[r.spike[i]][o->nspk[r.spike[i]]++] = t;
    }
    myl_acct_get_totals(a, &o->tot);
    myl_acct_free(a);
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_layout_release(&lay);
    myl_chipq_free(q);
    myl_map_free(m);
}

static void run_on(myl_netfile *nf, myl_hw *hw, uint64_t ticks, run_out *o)
{
    run_on_layout(nf, hw, MYL_MAP_FILL, 0, ticks, o);
}

/* The same run with the engine on the mapping's layout and on its own: the same spikes, and
 * the same counts, energy and time (summed in the same order, so equal to the last bit but for
 * the per-tick order of cores' latencies, which max() does not see). */
static void same_on_both_layouts(myl_netfile *nf, myl_hw *hw, myl_map_strategy st,
                                 uint64_t ticks)
{
    run_out a, b;
    run_on_layout(nf, hw, st, 0, ticks, &a);
    run_on_layout(nf, hw, st, 1, ticks, &b);
    ck_assert_uint_eq(a.spikes, b.spikes);
    ck_assert_uint_eq(a.syn_events, b.syn_events);
    ck_assert_mem_eq(a.spike_tick, b.spike_tick, sizeof a.spike_tick);
    ck_assert_uint_eq(a.tot.synops, b.tot.synops);
    ck_assert_uint_eq(a.tot.spikes, b.tot.spikes);
    ck_assert_uint_eq(a.tot.messages, b.tot.messages);
    ck_assert_uint_eq(a.tot.hops, b.tot.hops);
    ck_assert_uint_eq(a.tot.chip_hops, b.tot.chip_hops);
    ck_assert_uint_eq(a.tot.updates, b.tot.updates);
    ck_assert_uint_eq(a.tot.accesses, b.tot.accesses);
    near(b.tot.energy, a.tot.energy, 1e-12, "energy on the engine's own layout");
    near(b.tot.sim_time, a.tot.sim_time, 1e-12, "time on the engine's own layout");
    for (int p = 0; p < MYL_E_PARTS; p++)
        if (a.tot.part[p] != 0 || b.tot.part[p] != 0)
            near(b.tot.part[p], a.tot.part[p], 1e-12, "energy part");
    ck_assert_uint_gt(a.tot.synops, 0);
}

START_TEST(crosscheck_example_snn)
{
    if (!myl_test_have_shared())
        return;
    myl_netfile *nf = NULL;
    myl_hw *hw = NULL;
    myl_diag d = {0};
    if (myl_netfile_load(myl_test_src("../shared/data/sanafe/example_snn.yaml"), &nf, &d))
        ck_abort_msg("%s", d.msg);
    if (myl_hw_load(myl_test_src("../shared/data/sanafe/example_chip.yaml"), &hw, &d))
        ck_abort_msg("%s", d.msg);
    run_out o;
    run_on(nf, hw, 100, &o);
    /* SANA-FE's run summary for this network and chip over 100 timesteps */
    near(o.tot.energy, 6.44e-9, 0.01, "total energy");
    near(o.tot.part[MYL_E_SYNAPSE], 1.0e-10, 0.01, "synapse energy");
    near(o.tot.part[MYL_E_NEURON] + o.tot.part[MYL_E_SPIKE], 6.04e-9, 0.01, "soma energy");
    near(o.tot.part[MYL_E_NETWORK], 3.0e-10, 0.01, "network energy");
    near(o.tot.sim_time, 8.33e-7, 0.01, "simulated time");
    ck_assert_uint_eq(o.spikes, 3);
    ck_assert_uint_eq(o.tot.spikes, 3);
    ck_assert_uint_eq(o.syn_events, 5);
    ck_assert_uint_eq(o.tot.synops, 5);
    ck_assert_uint_eq(o.tot.messages, 3);
    /* by SANA-FE's rule: out.0 and out.1 updated on 99 of 100 timesteps, in.1 when it fires */
    ck_assert_uint_eq(o.tot.updates, 2 * 99 + 2);
    /* when: in.1 at timesteps 1 and 3 (ticks 0 and 2), out.1 at timestep 2 */
    ck_assert_int_eq(o.nspk[1], 2);
    ck_assert_uint_eq(o.spike_tick[1][0], 0);
    ck_assert_uint_eq(o.spike_tick[1][1], 2);
    ck_assert_int_eq(o.nspk[3], 1);
    ck_assert_uint_eq(o.spike_tick[3][0], 1);
    ck_assert_int_eq(o.nspk[0] + o.nspk[2], 0);
    myl_hw_free(hw);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(crosscheck_conv)
{
    if (!myl_test_have_shared())
        return;
    myl_netfile *nf = NULL;
    myl_hw *hw = NULL;
    myl_diag d = {0};
    if (myl_netfile_load(myl_test_src("../shared/data/sanafe/conv.yaml"), &nf, &d))
        ck_abort_msg("%s", d.msg);
    if (myl_hw_load(myl_test_src("../shared/data/sanafe/example_chip.yaml"), &hw, &d))
        ck_abort_msg("%s", d.msg);
    run_out o;
    run_on(nf, hw, 100, &o);
    /* by hand, with SANA-FE's rules: the 9 hidden neurons (bias 1, threshold 2) fire every
     * third timestep from the third, 33 times each; each spike reaches `out` through one
     * synapse and makes it fire the timestep after (threshold 0) */
    ck_assert_uint_eq(o.spikes, 9 * 33 + 33);
    ck_assert_uint_eq(o.tot.synops, 9 * 33);
    ck_assert_uint_eq(o.tot.updates, 9 * 100 + 33);
    const double e = 26 * 100 * 20e-12 + 933 * 10e-12 + 330 * 60e-12 + 297 * 20e-12 + 297 * 100e-12;
    near(o.tot.energy, e, 1e-9, "conv energy");
    /* hidden fire: 9 x (3 + 1 + 30 + 5) ns on core 0.1; otherwise core 0.0's 16 accesses */
    near(o.tot.sim_time, 33 * 351e-9 + 67 * 48e-9, 1e-9, "conv time");
    myl_hw_free(hw);
    myl_netfile_free(nf);
}
END_TEST

/* ---- the engine's layout does not change the estimate ------------------------------------- */

START_TEST(layout_sanafe_files)
{
    if (!myl_test_have_shared())
        return;
    static const char *const nets[] = {"example_snn.yaml", "conv.yaml"};
    myl_hw *hw = NULL;
    myl_diag d = {0};
    if (myl_hw_load(myl_test_src("../shared/data/sanafe/example_chip.yaml"), &hw, &d))
        ck_abort_msg("%s", d.msg);
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "../shared/data/sanafe/%s", nets[i]);
        myl_netfile *nf = NULL;
        if (myl_netfile_load(myl_test_src(path), &nf, &d))
            ck_abort_msg("%s", d.msg);
        same_on_both_layouts(nf, hw, MYL_MAP_FILL, 100);
        myl_netfile_free(nf);
    }
    myl_hw_free(hw);
}
END_TEST

/* A recurrent network with Poisson drive spread over several cores of each shipped chip (and
 * so, on the fixed-point ones, run in the chip's arithmetic), mapped by every strategy. ODIN
 * has one core of 256 neurons: there the network is smaller, and the layouts differ the other
 * way (one core of the mapping, three of the engine). */
START_TEST(layout_chips)
{
    static const char *const chips[] = {"loihi",      "truenorth", "spinnaker1",
                                        "spinnaker2", "odin",      "ideal"};
    static const myl_map_strategy st[] = {MYL_MAP_FILL, MYL_MAP_BALANCE, MYL_MAP_LOCALITY};
    for (size_t k = 0; k < sizeof chips / sizeof chips[0]; k++) {
        const int small = strcmp(chips[k], "odin") == 0;
        char yaml[2048];
        snprintf(yaml, sizeof yaml,
                 "run: {dt: 1 ms, seed: 3}\n"
                 "populations:\n"
                 "  - {name: e, size: %d, model: lif, tau_m: 20 ms, v_th: 1, v_reset: 0,"
                 " refractory: 2 ms}\n"
                 "  - {name: i, size: %d, model: lif, tau_m: 10 ms, v_th: 1, v_reset: 0}\n"
                 "  - {name: x, size: %d, model: poisson, rate: 40 Hz}\n"
                 "projections:\n"
                 "  - {from: x, to: e, rule: fixed_indegree, indegree: 10, weight: 0.3,"
                 " delay: 1}\n"
                 "  - {from: x, to: i, rule: fixed_indegree, indegree: 10, weight: 0.3,"
                 " delay: 2}\n"
                 "  - {from: e, to: e, rule: fixed_probability, p: 0.05, weight: 0.2,"
                 " delay: {dist: uniform, low: 1, high: 8}}\n"
                 "  - {from: e, to: i, rule: fixed_probability, p: 0.1, weight: 0.25,"
                 " delay: 1}\n"
                 "  - {from: i, to: e, rule: fixed_probability, p: 0.1, weight: -0.5,"
                 " delay: 1}\n",
                 small ? 150 : 300, small ? 50 : 100, small ? 50 : 200);
        myl_hw *hw = NULL;
        myl_diag d = {0};
        if (myl_hw_load(chips[k], &hw, &d))
            ck_abort_msg("%s: %s", chips[k], d.msg);
        for (size_t j = 0; j < sizeof st / sizeof st[0]; j++) {
            myl_netfile *nf = NULL;
            if (myl_netfile_parse(yaml, strlen(yaml), "layout.yaml", ".", &nf, &d))
                ck_abort_msg("%s", d.msg);
            same_on_both_layouts(nf, hw, st[j], 200);
            myl_netfile_free(nf);
        }
        myl_hw_free(hw);
    }
}
END_TEST

/* ---- constructs -------------------------------------------------------------------------- */

START_TEST(groups_and_attributes)
{
    myl_netfile *nf =
        load_text("network:\n"
                  "  name: parts\n"
                  "  groups:\n"
                  "    - name: a\n"
                  "      attributes: [threshold: 3, log_spikes: true]\n"
                  "      neurons:\n"
                  "        - 0..2\n"
                  "        - 3: [threshold: 5, reset: -1]\n"
                  "        - 4: {soma: {threshold: 7}, bias: 0.5, refractory_delay: 3}\n"
                  "    - name: leaky\n"
                  "      attributes: {leak_decay: 0.5, reset_mode: soft}\n"
                  "      neurons: [0..1: [bias: 1]]\n"
                  "    - name: cur\n"
                  "      attributes: [input_decay: 0.5, leak_decay: 0.25]\n"
                  "      neurons: [0]\n"
                  "    - name: src\n"
                  "      neurons:\n"
                  "        - 0: [spikes: [0, 1, true, false, 1]]\n"
                  "        - 1\n"
                  "    - name: pois\n"
                  "      neurons: [0: [poisson: 0.25], 1: [poisson: 0]]\n"
                  "    - name: reg\n"
                  "      neurons: [0: [rate: 0.25], 1..2: [rate: 0.5]]\n");
    ck_assert_str_eq(nf->name, "parts");
    uint32_t a = pop(nf, "a"), lk = pop(nf, "leaky"), cu = pop(nf, "cur"), sr = pop(nf, "src"),
             po = pop(nf, "pois"), re = pop(nf, "reg");
    ck_assert_uint_eq(myl_net_pop_size(nf->net, a), 5);
    ck_assert_int_eq(myl_net_pop_model(nf->net, a), MYL_MODEL_IF);
    ck_assert_int_eq(myl_net_pop_model(nf->net, lk), MYL_MODEL_LIF);
    ck_assert_int_eq(myl_net_pop_model(nf->net, cu), MYL_MODEL_CUBA_LIF);
    ck_assert_int_eq(myl_net_pop_model(nf->net, sr), MYL_MODEL_SPIKE_TIMES);
    ck_assert_int_eq(myl_net_pop_model(nf->net, po), MYL_MODEL_POISSON);
    ck_assert_int_eq(myl_net_pop_model(nf->net, re), MYL_MODEL_REGULAR);
    /* thresholds: group default, overridden per neuron and in a soma: section */
    const double th[5] = {3, 3, 3, 5, 7};
    for (uint32_t i = 0; i < 5; i++)
        if (param(nf, a, MYL_P_V_TH, i) != th[i])
            ck_abort_msg("a.%u: v_th %g, expected %g", i, param(nf, a, MYL_P_V_TH, i), th[i]);
    ck_assert(param(nf, a, MYL_P_V_RESET, 3) == -1);
    ck_assert(param(nf, a, MYL_P_V_RESET, 0) == 0);
    ck_assert_int_eq(myl_net_pop_reset(nf->net, a), MYL_RESET_TO);
    ck_assert_int_eq(myl_net_pop_strict(nf->net, a), 1);
    /* if: v += r*bias*dt, so bias 0.5 per timestep is 0.5 / dt */
    near(param(nf, a, MYL_P_BIAS, 4) * myl_net_dt(nf->net), 0.5, 1e-12, "a.4 bias");
    ck_assert(param(nf, a, MYL_P_BIAS, 0) == 0);
    /* refractory_delay 3: held 2 ticks after the spike */
    ck_assert(param(nf, a, MYL_P_REFRACTORY, 4) == 2);
    ck_assert(param(nf, a, MYL_P_REFRACTORY, 0) == 0);
    /* lif: exp(-dt/tau) = leak_decay, and v_inf*(1 - d) = bias; soft reset subtracts v_th */
    near(exp(-myl_net_dt(nf->net) / param(nf, lk, MYL_P_TAU_M, 1)), 0.5, 1e-12, "leak");
    near(param(nf, lk, MYL_P_BIAS, 1) * 0.5, 1, 1e-12, "leaky bias");
    ck_assert_int_eq(myl_net_pop_reset(nf->net, lk), MYL_RESET_SUBTRACT);
    ck_assert(param(nf, lk, MYL_P_V_RESET, 0) == 0);
    /* cuba_lif: both synaptic time constants from input_decay */
    near(exp(-myl_net_dt(nf->net) / param(nf, cu, MYL_P_TAU_SYN_E, 0)), 0.5, 1e-12, "idecay");
    near(exp(-myl_net_dt(nf->net) / param(nf, cu, MYL_P_TAU_SYN_I, 0)), 0.5, 1e-12, "idecay");
    near(exp(-myl_net_dt(nf->net) / param(nf, cu, MYL_P_TAU_M, 0)), 0.25, 1e-12, "cuba leak");
    /* poisson: P(at least one spike in a tick) = p */
    near(1 - exp(-param(nf, po, MYL_P_RATE, 0) * myl_net_dt(nf->net)), 0.25, 1e-12, "poisson");
    ck_assert(param(nf, po, MYL_P_RATE, 1) == 0);
    /* rate r: timesteps that are multiples of floor(1/r), i.e. ticks P-1, 2P-1, ... */
    ck_assert(param(nf, re, MYL_P_PERIOD, 0) == 4 && param(nf, re, MYL_P_PHASE, 0) == 3);
    ck_assert(param(nf, re, MYL_P_PERIOD, 2) == 2 && param(nf, re, MYL_P_PHASE, 2) == 1);
    ck_assert_ptr_null(nf->map_tile);
    ck_assert_ptr_null(nf->soma);

    /* the spike list: entry k is timestep k + 1, myelin's tick k */
    myl_cnet *c = NULL;
    myl_diag d = {0};
    if (myl_net_compile(nf->net, NULL, NULL, &c, &d))
        ck_abort_msg("compile: %s", d.msg);
    myl_sim *s = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    const uint64_t g0 = myl_net_pop_first(nf->net, sr), r0 = myl_net_pop_first(nf->net, re);
    char got[256] = "";
    size_t len = 0;
    for (uint64_t t = 0; t < 8; t++) {
        myl_tick_report r;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        for (uint32_t i = 0; i < r.nspiking; i++)
            if (r.spike[i] == g0 || r.spike[i] == g0 + 1 || r.spike[i] >= r0)
                len +=
                    (size_t)snprintf(got + len, sizeof got - len, "%llu:%llu ",
                                     (unsigned long long)t, (unsigned long long)(r.spike[i] - g0));
    }
    /* src.0 at ticks 1, 2, 4; reg.0 (period 4) at 3, 7; reg.1, reg.2 (period 2) at 1, 3, 5, 7 */
    const uint64_t rr = r0 - g0;
    char want[256];
    snprintf(want, sizeof want,
             "1:0 1:%llu 1:%llu 2:0 3:%llu 3:%llu 3:%llu 4:0 5:%llu 5:%llu 7:%llu 7:%llu 7:%llu ",
             (unsigned long long)rr + 1, (unsigned long long)rr + 2, (unsigned long long)rr,
             (unsigned long long)rr + 1, (unsigned long long)rr + 2, (unsigned long long)rr + 1,
             (unsigned long long)rr + 2, (unsigned long long)rr, (unsigned long long)rr + 1,
             (unsigned long long)rr + 2);
    ck_assert_str_eq(got, want);
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(edges_of_each_type)
{
    myl_netfile *nf =
        load_text("network:\n"
                  "  groups:\n"
                  "    - name: in\n"
                  "      neurons: [0..8]\n"
                  "    - name: x\n"
                  "      neurons: [0..3]\n"
                  "    - name: y\n"
                  "      neurons: [0..2]\n"
                  "  edges:\n"
                  "    - x.1 -> y.2: [weight: -4]\n"
                  "    - x.0 -> y.0: {w: 2, delay: 3}\n"
                  "    - x.3 -> x.3: [synapse: {weight: 1.5}, dendrite: {delay: 1}]\n"
                  "    - x.2 -> y.1: []\n"
                  "    - x -> y: [type: dense, weight: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],\n"
                  "               dendrite: {delay: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]}]\n"
                  "    - in -> x:\n"
                  "        type: conv2d\n"
                  "        input_height: 3\n"
                  "        input_width: 3\n"
                  "        input_channels: 1\n"
                  "        kernel_height: 2\n"
                  "        kernel_width: 2\n"
                  "        weight: [1, 2, 3, 4]\n"
                  "    - y -> x:\n"
                  "        type: sparse\n"
                  "        source_target_pairs: [[0, 3], [2, 1], [0, 3]]\n"
                  "        weight: [0.5, -1, 2]\n"
                  "        delay: 4\n");
    /* single edges between the same groups: one projection in file order; delay d -> d + 1 */
    const double single[3][4] = {{1, 2, -4, 1}, {0, 0, 2, 4}, {2, 1, 0, 1}};
    check_syns(nf, "x->y", &single[0][0], 3);
    const double self[1][4] = {{3, 3, 1.5, 2}};
    check_syns(nf, "x->x", &self[0][0], 1);
    /* dense: SANA-FE's list is source-major (x.i -> y.j at i*3 + j); myelin generates
     * target-major */
    double dense[12][4];
    for (int j = 0, k = 0; j < 3; j++)
        for (int i = 0; i < 4; i++, k++) {
            int q = i * 3 + j;
            dense[k][0] = i, dense[k][1] = j, dense[k][2] = q + 1, dense[k][3] = q % 3 + 1;
        }
    check_syns(nf, "x->y dense", &dense[0][0], 12);
    /* conv2d: 3x3 input, 2x2 kernel, stride 1: output (y, x) sums input (y+ky, x+kx) with
     * weight[ky*2 + kx] (one channel, one kernel) */
    double conv[16][4];
    for (int oy = 0, k = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++)
            for (int ky = 0; ky < 2; ky++)
                for (int kx = 0; kx < 2; kx++, k++) {
                    conv[k][0] = (oy + ky) * 3 + ox + kx;
                    conv[k][1] = oy * 2 + ox;
                    conv[k][2] = ky * 2 + kx + 1;
                    conv[k][3] = 1;
                }
    check_syns(nf, "in->x conv2d", &conv[0][0], 16);
    /* sparse: the i-th value for the i-th pair, duplicates kept */
    const double sparse[3][4] = {{0, 3, 0.5, 5}, {2, 1, -1, 5}, {0, 3, 2, 5}};
    check_syns(nf, "y->x sparse", &sparse[0][0], 3);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(conv_channels_and_strides)
{
    /* 2 input channels of 2x4, 3 kernels of 1x2 with stride (1, 2): outputs 3 x 2 x 2 */
    char text[2048];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "network:\n"
                                  "  groups:\n"
                                  "    - {name: a, neurons: [0..15]}\n"
                                  "    - {name: b, neurons: [0..11]}\n"
                                  "  edges:\n"
                                  "    - a -> b:\n"
                                  "        type: conv2d\n"
                                  "        input_height: 2\n"
                                  "        input_width: 4\n"
                                  "        input_channels: 2\n"
                                  "        kernel_count: 3\n"
                                  "        kernel_height: 1\n"
                                  "        kernel_width: 2\n"
                                  "        stride_width: 2\n"
                                  "        weight: [");
    for (int k = 0; k < 12; k++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", k ? ", " : "", k + 1);
    snprintf(text + len, sizeof text - len, "]\n");
    myl_netfile *nf = load_text(text);
    double want[48][4];
    int k = 0;
    for (int co = 0; co < 3; co++)
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++)
                for (int ci = 0; ci < 2; ci++)
                    for (int kx = 0; kx < 2; kx++, k++) {
                        want[k][0] = ci * 8 + oy * 4 + ox * 2 + kx;
                        want[k][1] = co * 4 + oy * 2 + ox;
                        /* kernel stored (ky, kx, c_in, c_out) */
                        want[k][2] = (kx * 2 + ci) * 3 + co + 1;
                        want[k][3] = 1;
                    }
    check_syns(nf, "a->b conv2d", &want[0][0], 48);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(mappings)
{
    myl_netfile *nf = load_text("network:\n"
                                "  groups:\n"
                                "    - {name: in, neurons: [{0: [spikes: [1]]}, 1]}\n"
                                "    - {name: out, neurons: [0..4]}\n"
                                "  edges:\n"
                                "    - in -> out: {type: dense, weight: 1}\n"
                                "mappings:\n"
                                "  - in: [core: 1.0, soma: fast_in]\n"
                                "  - out.0..2: {core: 0.1}\n"
                                "  - out.3: [core: 2.3]\n"
                                "  - out.4: [core: 3.0, synapse: s, dendrite: d]\n");
    ck_assert_ptr_nonnull(nf->map_tile);
    const uint32_t tile[7] = {1, 1, 0, 0, 0, 2, 3}, core[7] = {0, 0, 1, 1, 1, 3, 0},
                   line[7] = {8, 8, 9, 9, 9, 10, 11};
    for (int g = 0; g < 7; g++)
        if (nf->map_tile[g] != tile[g] || nf->map_core[g] != core[g] || nf->map_line[g] != line[g])
            ck_abort_msg("neuron %d on %u.%u (line %u), expected %u.%u (line %u)", g,
                         nf->map_tile[g], nf->map_core[g], nf->map_line[g], tile[g], core[g],
                         line[g]);
    ck_assert_ptr_nonnull(nf->soma);
    ck_assert_str_eq(nf->soma[0], "fast_in");
    ck_assert_ptr_null(nf->soma[1]); /* the default unit */
    myl_netfile_free(nf);
    /* a group mapped in parts, all with the same soma unit */
    nf = load_text("network:\n"
                   "  groups:\n"
                   "    - {name: out, neurons: [0..4]}\n"
                   "mappings:\n"
                   "  - out.0..2: {core: 0.1, soma: alt}\n"
                   "  - out.3..4: [core: 5.3, soma: alt]\n");
    ck_assert_str_eq(nf->soma[0], "alt");
    /* on a 2 x 4 mesh of 4-core tiles: SANA-FE numbers tiles column by column (tile 5 is
     * x = 1, y = 1); myelin's explicit cores run row-major (tile y*2 + x) */
    myl_hw hw;
    memset(&hw, 0, sizeof hw);
    hw.name = (char *)"toy";
    hw.mesh_w = 2, hw.mesh_h = 4, hw.cores_per_tile = 4;
    uint32_t *c = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_sanafe_core_of(nf, &hw, &c, &d), 0);
    ck_assert_uint_eq(c[0], 1);
    ck_assert_uint_eq(c[3], (1 * 2 + 1) * 4 + 3);
    free(c);
    hw.mesh_h = 2; /* 4 tiles: tile 5 does not exist */
    ck_assert_int_eq(myl_sanafe_core_of(nf, &hw, &c, &d), MYL_ENOFIT);
    if (!strstr(d.msg, "net.yaml:6: ") || !strstr(d.msg, "core 5.3"))
        ck_abort_msg("message: %s", d.msg);
    ck_assert_ptr_null(c);
    myl_netfile_free(nf);
}
END_TEST

/* The mapping names a soma unit; without the CLI, the caller resolves it. */
START_TEST(example_snn_structure)
{
    if (!myl_test_have_shared())
        return;
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    if (myl_netfile_load(myl_test_src("../shared/data/sanafe/example_snn.yaml"), &nf, &d))
        ck_abort_msg("%s", d.msg);
    ck_assert_str_eq(nf->name, "example_snn");
    uint32_t in = pop(nf, "in"), out = pop(nf, "out");
    ck_assert_int_eq(myl_net_pop_model(nf->net, in), MYL_MODEL_SPIKE_TIMES);
    ck_assert_int_eq(myl_net_pop_model(nf->net, out), MYL_MODEL_IF);
    ck_assert(param(nf, out, MYL_P_V_TH, 1) == 2);
    ck_assert_str_eq(nf->soma[in], "demo_input");
    ck_assert_ptr_null(nf->soma[out]);
    const double self[1][4] = {{1, 1, -4, 1}};
    check_syns(nf, "out->out", &self[0][0], 1);
    const double dense[4][4] = {{0, 0, -1, 1}, {1, 0, 1, 1}, {0, 1, 2, 1}, {1, 1, 3, 1}};
    check_syns(nf, "in->out dense", &dense[0][0], 4);
    myl_netfile_free(nf);
}
END_TEST

/* ---- bad files --------------------------------------------------------------------------- */

typedef struct bad_case {
    const char *text; /* '@' marks the node the message must point at (removed) */
    const char *says; /* a phrase the message must contain */
} bad_case;

#define G2                                                                                         \
    "network:\n  groups:\n    - {name: a, neurons: [0..3]}\n    - {name: b, neurons: [0..1]}\n"

static const bad_case bad[] = {
    {G2 "  edges:\n    - @a -> c: [type: dense]\n", "no group named 'c'"},
    {G2 "  edges:\n    - @a.7 -> b.0: [weight: 1]\n", "group 'a' has 4 neurons"},
    {G2 "  edges:\n    - @a.0 -> b: [weight: 1]\n", "on both sides"},
    {G2 "  edges:\n    - @a => b: [type: dense]\n", "not an edge"},
    {G2 "  edges:\n    - a -> b: @[weight: [1, 2]]\n", "'type' is missing"},
    {G2 "  edges:\n    - a -> b: [type: @ring]\n", "type 'ring'"},
    {G2 "  edges:\n    - a -> b: [type: dense, weight: @[1, 2, 3]]\n", "3 values for 8"},
    {G2 "  edges:\n    - a -> b: [type: dense, delay: [0, 1, 2, 3, 4, 5, 6, @-1]]\n",
     "whole number"},
    {G2 "  edges:\n    - a.0 -> b.0: [@tap: 2]\n", "unknown attribute"},
    {G2 "  edges:\n    - a.0 -> b.0: [weight: 1, @w: 2]\n", "given twice"},
    {G2 "  edges:\n    - @a -> b: {type: sparse}\n", "source_target_pairs"},
    {G2 "  edges:\n    - a -> b: {type: sparse, source_target_pairs: [@[4, 0]]}\n", "pair [4, 0]"},
    {G2 "  edges:\n    - a -> b: {type: sparse, source_target_pairs: [[0, 0]], weight: @[1, "
        "2]}\n",
     "2 values for 1"},
    {G2 "  edges:\n    - @a -> b: {type: conv2d, input_height: 2, input_width: 2, "
        "kernel_height: 1, kernel_width: 1}\n",
     "needs input_channels"},
    {G2 "  edges:\n    - @a -> b: {type: conv2d, input_height: 2, input_width: 2, "
        "input_channels: 1, kernel_height: 1, kernel_width: 1}\n",
     "group 'b' has 2"},
    {G2 "  edges:\n    - a -> b: {type: dense, kernel_width: @2}\n", "belongs to conv2d"},
    {"network:\n  groups:\n    - {name: a, neurons: [@3..1]}\n", "is empty"},
    {"network:\n  groups:\n    - {name: a, neurons: [@0..x]}\n", "not a neuron number"},
    {"network:\n  groups:\n    - {name: a, neurons: [0..3, @2]}\n", "listed twice"},
    {"network:\n  groups:\n    - {name: a, neurons: [0..1, @5]}\n", "does not exist"},
    {"network:\n  groups:\n    - @{neurons: [0]}\n", "'name' is missing"},
    {"network:\n  groups:\n    - {name: a, neurons: [0]}\n    - {name: @a, neurons: [0]}\n",
     "defined twice"},
    {"network:\n  groups:\n    - {name: a, neurons: [{0: [@thresold: 1]}]}\n", "unknown attribute"},
    {"network:\n  groups:\n    - {name: a, attributes: [@force_update: true], neurons: [0]}\n",
     "cannot honour"},
    {"network:\n  groups:\n    - {name: a, attributes: [leak_decay: @1.5], neurons: [0]}\n",
     "decay factor"},
    {"network:\n  groups:\n    - {name: a, attributes: [reset_mode: @sometimes], neurons: "
     "[0]}\n",
     "expected hard"},
    {"network:\n  groups:\n    - {name: a, attributes: [reverse_reset_mode: @hard], neurons: "
     "[0]}\n",
     "reverse threshold"},
    {"network:\n  groups:\n    - {name: a, neurons: [{0: [spikes: [1, @2]]}]}\n", "true or false"},
    {"network:\n  groups:\n    - {name: a, neurons: [{0: [poisson: @1]}]}\n", "below 1"},
    {"network:\n  groups:\n    - {name: a, neurons: [{0: [rate: 0.5]}, {1: [@poisson: 0.5]}]}\n",
     "another kind"},
    {"network:\n  groups:\n    - {name: a, neurons: [{0: [spikes: [1]]}]}\n  edges:\n"
     "    - @a.0 -> a.0: [weight: 1]\n",
     "cannot receive"},
    {"network:\n  groups:\n    - @{name: a, neurons: [{0: [reset_mode: soft]}, 1]}\n",
     "one reset mode"},
    {"network:\n  @grups: []\n", "unknown key 'grups'"},
    {"network: @3\n", "expected a mapping"},
    {G2 "mappings:\n  - @c.0: [core: 0.0]\n", "no group named 'c'"},
    {G2 "mappings:\n  - a: [core: 0.0]\n  - b: [core: @0]\n", "tile.core"},
    {G2 "mappings:\n  - a: [core: 0.0]\n  - b: [core: @1.x]\n", "tile.core"},
    {G2 "mappings:\n  - a: [core: 0.0]\n  - b: @[soma: s]\n", "'core' is missing"},
    {G2 "mappings:\n  - a: [core: 0.0]\n  - @b.0..4: [core: 0.0]\n", "has 2 neurons"},
    {G2 "mappings:\n  - a: [core: 0.0]\n  - b: [core: 0.1, @cores: 2]\n", "unknown key"},
    {G2 "mappings:\n  @- a: [core: 0.0]\n", "b.0 is not mapped"},
    {G2 "mappings:\n  - a.0..1: [core: 0.0, soma: x]\n  - @a.2..3: [core: 0.0, soma: y]\n"
        "  - b: [core: 0.0]\n",
     "one soma unit"},
};

START_TEST(bad_files)
{
    char fails[4096] = "";
    size_t len = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        const char *at = strchr(bad[i].text, '@');
        ck_assert_ptr_nonnull(at);
        size_t pre = (size_t)(at - bad[i].text);
        memcpy(text, bad[i].text, pre);
        snprintf(text + pre, sizeof text - pre, "%s", at + 1);
        size_t line = 1, col = 1;
        for (size_t k = 0; k < pre; k++)
            if (bad[i].text[k] == '\n')
                line++, col = 1;
            else
                col++;
        const char *path = write_file("bad.yaml", text);
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        int rc = myl_netfile_load(path, &nf, &d);
        char where[4200];
        snprintf(where, sizeof where, "%s:%zu:%zu: ", path, line, col);
        if (rc != MYL_EPARSE || strncmp(d.msg, where, strlen(where)) != 0 ||
            !strstr(d.msg, bad[i].says))
            len += (size_t)snprintf(fails + len, len < sizeof fails ? sizeof fails - len : 0,
                                    "case %zu: rc %d, '%s' (expected %s... %s)\n", i, rc, d.msg,
                                    where, bad[i].says);
        myl_netfile_free(nf);
    }
    if (len)
        ck_abort_msg("%s", fails);
}
END_TEST

/* Every allocation the reader makes may fail: the error comes back, nothing leaks. */
START_TEST(allocation_failures)
{
    static const char text[] =
        "network:\n"
        "  name: all\n"
        "  groups:\n"
        "    - {name: in, attributes: [log_spikes: true], neurons: [{0: [spikes: [1, 0, 1]]}, 1]}\n"
        "    - {name: a, neurons: [0..3: [threshold: 2, bias: 1]]}\n"
        "    - {name: b, attributes: {leak_decay: 0.5}, neurons: [0..1]}\n"
        "  edges:\n"
        "    - a.0 -> b.1: [weight: 2, delay: 1]\n"
        "    - in -> b: [type: dense, weight: [1, 2, 3, 4]]\n"
        "    - a -> b: {type: conv2d, input_height: 2, input_width: 2, input_channels: 1,\n"
        "               kernel_height: 2, kernel_width: 1, weight: [1, 2]}\n"
        "    - b -> a: {type: sparse, source_target_pairs: [[0, 1], [1, 2]], weight: [1, 2]}\n"
        "mappings:\n"
        "  - in: [core: 0.0, soma: inp]\n"
        "  - a: [core: 0.1]\n"
        "  - b: [core: 1.0]\n";
    const char *path = write_file("alloc.yaml", text);
    long n;
    for (n = 1;; n++) {
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        myl_test_fail_after(n);
        int rc = myl_netfile_load(path, &nf, &d);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        if (made < n) {
            if (rc)
                ck_abort_msg("%s", d.msg);
            ck_assert_uint_eq(myl_net_nprojs(nf->net), 4);
            myl_netfile_free(nf);
            break;
        }
        if (rc != MYL_ENOMEM && !(rc < 0 && d.set))
            ck_abort_msg("allocation %ld: %s", n, myl_err_name(rc));
        if (nf)
            ck_abort_msg("allocation %ld: a network came back with an error", n);
    }
    ck_assert_int_gt(n, 20);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sanafe");
    TCase *tc = tcase_create("crosscheck");
    tcase_add_test(tc, crosscheck_example_snn);
    tcase_add_test(tc, crosscheck_conv);
    tcase_add_test(tc, layout_sanafe_files);
    tcase_add_test(tc, layout_chips);
    tcase_add_test(tc, example_snn_structure);
    suite_add_tcase(s, tc);
    tc = tcase_create("constructs");
    tcase_add_test(tc, groups_and_attributes);
    tcase_add_test(tc, edges_of_each_type);
    tcase_add_test(tc, conv_channels_and_strides);
    tcase_add_test(tc, mappings);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
