/* Networks on chip arithmetic inside the engines.
 *
 * 1. For each chip with its own arithmetic, a recurrent network quantised by myl_chipq and run
 *    by both engines: the same spikes every tick and the same integer state at the end.
 * 2. The engine's Loihi neuron against the bit-accurate update of fixed.h called directly with
 *    the same inputs: a neuron driven through one synapse by a known spike train must follow
 *    the trace the equations give, integer for integer.
 */
#include "testlib.h"

#include "myelin/chipq.h"
#include "myelin/hw.h"
#include "myelin/netfile.h"
#include "myelin/sim.h"
#include "sim/core/fixed.h"

#include <math.h>
#include <string.h>

static const char *const NET =
    "run: {dt: 1 ms, seed: 4}\n"
    "populations:\n"
    "  - {name: in, size: 40, model: poisson, rate: 40 Hz}\n"
    "  - {name: e, size: 60, model: lif, tau_m: 20 ms, v_th: 1, v_reset: 0, refractory: 2}\n"
    "  - {name: c, size: 30, model: cuba_lif, tau_m: 15 ms, tau_syn: 5 ms, v_th: 1,\n"
    "     refractory: 3}\n"
    "projections:\n"
    "  - {from: in, to: e, rule: fixed_indegree, indegree: 8, weight: 0.3, delay: 1}\n"
    "  - {from: e, to: c, rule: fixed_probability, p: 0.2,\n"
    "     weight: {dist: uniform, low: 0.1, high: 0.6}, delay: {dist: uniform, low: 1, high: 9}}\n"
    "  - {from: c, to: e, rule: all_to_all, weight: -0.05, delay: 3}\n"
    "  - {from: e, to: e, rule: fixed_indegree, indegree: 5, weight: 0.15, delay: 2}\n";

static myl_hw *chip(myl_arith a)
{
    static const char *const names[MYL_ARITH_COUNT] = {
        [MYL_ARITH_LOIHI] = "loihi",
        [MYL_ARITH_TRUENORTH] = "truenorth",
        [MYL_ARITH_SPINNAKER] = "spinnaker1",
    };
    myl_hw *hw;
    myl_diag d = {0};
    ck_assert_msg(myl_hw_load(names[a], &hw, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(hw->arith, a);
    return hw;
}

static void engines_agree(myl_arith a)
{
    myl_netfile *nf;
    myl_diag d = {0};
    ck_assert_int_eq(myl_netfile_parse(NET, strlen(NET), "chip.yaml", ".", &nf, &d), 0);
    myl_hw *hw = chip(a);
    myl_chipq *q;
    ck_assert_msg(myl_chipq_build(nf->net, hw, 4, &q, &d) == 0, "%s", d.msg);
    myl_compile_opts o = {.seed = 4, .chip = myl_chipq_program(q)};
    myl_cnet *c;
    ck_assert_msg(myl_net_compile(nf->net, NULL, &o, &c, &d) == 0, "%s", d.msg);
    myl_sim *ev, *de;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &ev), 0);
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_DENSE, &de), 0);
    uint64_t spikes = 0;
    for (uint64_t t = 0; t < 1500; t++) {
        myl_tick_report x, y;
        ck_assert_int_eq(myl_sim_step(ev, &x), 0);
        ck_assert_int_eq(myl_sim_step(de, &y), 0);
        if (x.nspiking != y.nspiking ||
            memcmp(x.spike, y.spike, x.nspiking * sizeof *x.spike) != 0 ||
            memcmp(x.count, y.count, x.nspiking * sizeof *x.count) != 0)
            ck_abort_msg("%s, tick %llu: the engines' spikes differ", myl_arith_name(a),
                         (unsigned long long)t);
        for (uint32_t i = 0; i < x.nspiking; i++)
            spikes += x.spike[i] >= 40; /* neurons, not the input */
    }
    for (uint32_t g = 40; g < 130; g++) {
        float va = myl_sim_v(ev, g), vb = myl_sim_v(de, g);
        if (memcmp(&va, &vb, sizeof va) != 0)
            ck_abort_msg("%s: neuron %u ends at %g and %g", myl_arith_name(a), g, va, vb);
        /* chip state is an integer */
        if (va != floorf(va))
            ck_abort_msg("%s: neuron %u has v = %g, not an integer", myl_arith_name(a), g, va);
    }
    ck_assert_msg(spikes > 50, "%s: only %llu spikes: the test would prove little",
                  myl_arith_name(a), (unsigned long long)spikes);
    myl_sim_free(ev);
    myl_sim_free(de);
    myl_cnet_free(c);
    myl_chipq_free(q);
    myl_hw_free(hw);
    myl_netfile_free(nf);
}

START_TEST(loihi_engines)
{
    engines_agree(MYL_ARITH_LOIHI);
}
END_TEST

START_TEST(truenorth_engines)
{
    engines_agree(MYL_ARITH_TRUENORTH);
}
END_TEST

START_TEST(spinnaker_engines)
{
    engines_agree(MYL_ARITH_SPINNAKER);
}
END_TEST

/* One source spiking on a known schedule into one neuron through one synapse of delay 1: the
 * engine's v must be exactly what myl_loihi_update gives for the input a_in = w_chip at the
 * ticks after each spike, and the neuron must fire as often. */
static void loihi_trace(const char *net, const int *spike_at, size_t nspikes, int want_spikes)
{
    myl_netfile *nf;
    myl_diag d = {0};
    ck_assert_int_eq(myl_netfile_parse(net, strlen(net), "t.yaml", ".", &nf, &d), 0);
    myl_hw *hw = chip(MYL_ARITH_LOIHI);
    myl_chipq *q;
    ck_assert_msg(myl_chipq_build(nf->net, hw, 1, &q, &d) == 0, "%s", d.msg);
    const myl_chip *prog = myl_chipq_program(q);
    const myl_loihi_param *p = prog->pop[1].param;
    const int64_t w = prog->syn[0][0]; /* the synapse's chip input */
    ck_assert_int_ne(w, 0);
    myl_compile_opts o = {.seed = 1, .chip = prog};
    myl_cnet *c;
    ck_assert_int_eq(myl_net_compile(nf->net, NULL, &o, &c, &d), 0);
    myl_sim *s;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    myl_loihi_state ref = {0, 0, 0};
    int nspk_ref = 0, nspk = 0;
    for (int t = 0; t < 80; t++) {
        int64_t a_in = 0;
        for (size_t k = 0; k < nspikes; k++)
            a_in += spike_at[k] + 1 == t ? w : 0;
        nspk_ref += myl_loihi_update(p, &ref, a_in);
        myl_tick_report r;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        for (uint32_t i = 0; i < r.nspiking; i++)
            nspk += r.spike[i] == 1;
        float v = myl_sim_v(s, 1);
        if (v != (float)ref.v)
            ck_abort_msg("tick %d: engine v = %g, bit-accurate update v = %d", t, v, ref.v);
    }
    ck_assert_int_eq(nspk, nspk_ref);
    if (want_spikes)
        ck_assert_int_gt(nspk, 0);
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_chipq_free(q);
    myl_hw_free(hw);
    myl_netfile_free(nf);
}

START_TEST(loihi_trace_cuba)
{
    static const int at[] = {2, 3, 4, 10, 11, 30};
    loihi_trace("run: {dt: 1 ms}\n"
                "populations:\n"
                "  - {name: s, size: 1, model: spike_times, times: [2, 3, 4, 10, 11, 30]}\n"
                "  - {name: n, size: 1, model: cuba_lif, tau_m: 10 ms, tau_syn: 4 ms, v_th: 0.4}\n"
                "projections:\n"
                "  - {from: s, to: n, rule: one_to_one, weight: 1, delay: 1}\n",
                at, sizeof at / sizeof at[0], 1);
}
END_TEST

START_TEST(loihi_trace_bias_refractory)
{
    /* a bias that makes the neuron fire on its own, a refractory period that holds v at 0,
     * and input on top: the bias and refractory terms of the update */
    static const int at[] = {5, 6, 20, 21, 22, 50};
    loihi_trace("run: {dt: 1 ms}\n"
                "populations:\n"
                "  - {name: s, size: 1, model: spike_times, times: [5, 6, 20, 21, 22, 50]}\n"
                "  - {name: n, size: 1, model: lif, tau_m: 20 ms, v_th: 1, bias: 1.5,\n"
                "     refractory: 4 ms}\n"
                "projections:\n"
                "  - {from: s, to: n, rule: one_to_one, weight: 0.3, delay: 1}\n",
                at, sizeof at / sizeof at[0], 1);
}
END_TEST

START_TEST(loihi_trace_inhibited)
{
    /* a negative bias and inhibitory input: v goes below 0 and decays back toward it, which
     * exercises the decay's rounding toward zero on negative values */
    static const int at[] = {3, 4, 5, 6, 7, 8, 9, 40};
    loihi_trace("run: {dt: 1 ms}\n"
                "populations:\n"
                "  - {name: s, size: 1, model: spike_times, times: [3, 4, 5, 6, 7, 8, 9, 40]}\n"
                "  - {name: n, size: 1, model: cuba_lif, tau_m: 12 ms, tau_syn: 3 ms, v_th: 1,\n"
                "     bias: -0.2}\n"
                "projections:\n"
                "  - {from: s, to: n, rule: one_to_one, weight: -2, delay: 1}\n",
                at, sizeof at / sizeof at[0], 0);
}
END_TEST

START_TEST(li_refused)
{
    static const char *const net = "populations:\n  - {name: r, size: 2, model: li}\n";
    myl_netfile *nf;
    myl_diag d = {0};
    ck_assert_int_eq(myl_netfile_parse(net, strlen(net), "t.yaml", ".", &nf, &d), 0);
    myl_hw *hw = chip(MYL_ARITH_LOIHI);
    myl_chipq *q = NULL;
    ck_assert_int_eq(myl_chipq_build(nf->net, hw, 1, &q, &d), MYL_EINVAL);
    ck_assert_ptr_nonnull(strstr(d.msg, "'r'"));
    myl_hw_free(hw);
    myl_netfile_free(nf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("chip");
    TCase *tc = tcase_create("engines");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, loihi_engines);
    tcase_add_test(tc, truenorth_engines);
    tcase_add_test(tc, spinnaker_engines);
    tcase_add_test(tc, loihi_trace_cuba);
    tcase_add_test(tc, loihi_trace_bias_refractory);
    tcase_add_test(tc, loihi_trace_inhibited);
    tcase_add_test(tc, li_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
