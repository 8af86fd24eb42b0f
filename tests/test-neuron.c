/* Neuron models and spike sources against the solutions of their equations.
 *
 * Each test builds a tiny network through the API, runs it with both engines, and compares the
 * membrane potential or the spike times with the closed-form solution of the model's ODE (see
 * docs/models.md): exponential decay, the first-passage time of a biased LIF, the PSP of a
 * current-based synapse (both for tau_syn != tau_m and the tau_syn == tau_m limit), the ramp of
 * an integrate-and-fire neuron, and the count statistics of Poisson sources. Tolerances are
 * float rounding bounds, not fitted to the output.
 */
#include "testlib.h"

#include "myelin/cnet.h"
#include "myelin/net.h"
#include "myelin/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DT 1e-4

typedef struct run {
    myl_net *net;
    myl_cnet *cn;
    myl_sim *sim[2];
} run;

static myl_net *net_new(void)
{
    myl_net *n;
    ck_assert_int_eq(myl_net_new(DT, &n), 0);
    return n;
}

static void set(myl_net *n, uint32_t pop, myl_param p, double v)
{
    myl_values x = myl_const(v);
    myl_diag d = {0};
    ck_assert_msg(myl_net_pop_set(n, pop, p, &x, &d) == 0, "%s", d.msg);
}

static uint32_t pop(myl_net *n, const char *name, uint32_t size, myl_model m)
{
    uint32_t id;
    myl_diag d = {0};
    ck_assert_msg(myl_net_add_pop(n, name, size, m, &id, &d) == 0, "%s", d.msg);
    return id;
}

static void proj(myl_net *n, uint32_t pre, uint32_t post, myl_conn_rule r, double w, double d)
{
    myl_proj_desc p = {0};
    p.pre = pre;
    p.post = post;
    p.rule = r;
    p.weight = myl_const(w);
    p.delay = myl_const(d);
    p.delay_unit = 1.0;
    p.allow_self = 1;
    p.allow_multiple = 1;
    myl_diag dg = {0};
    ck_assert_msg(myl_net_add_proj(n, &p, NULL, &dg) == 0, "%s", dg.msg);
}

static void start(run *r, myl_net *n)
{
    memset(r, 0, sizeof *r);
    r->net = n;
    myl_compile_opts o = {.seed = 7};
    myl_diag d = {0};
    ck_assert_msg(myl_net_compile(n, NULL, &o, &r->cn, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(myl_sim_new(r->cn, MYL_ENGINE_EVENT, &r->sim[0]), 0);
    ck_assert_int_eq(myl_sim_new(r->cn, MYL_ENGINE_DENSE, &r->sim[1]), 0);
}

/* Step both engines one tick; they must agree on spikes. Returns the event engine's report. */
static myl_tick_report step(run *r)
{
    myl_tick_report a, b;
    ck_assert_int_eq(myl_sim_step(r->sim[0], &a), 0);
    ck_assert_int_eq(myl_sim_step(r->sim[1], &b), 0);
    /* plain comparisons in loops: every ck_assert costs Check a write to its pipe */
    if (a.nspiking != b.nspiking)
        ck_abort_msg("tick %llu: %u spiking in the event engine, %u in the dense one",
                     (unsigned long long)a.tick, a.nspiking, b.nspiking);
    for (uint32_t i = 0; i < a.nspiking; i++)
        if (a.spike[i] != b.spike[i] || a.count[i] != b.count[i])
            ck_abort_msg("tick %llu: spike %u differs", (unsigned long long)a.tick, i);
    return a;
}

static float v_of(run *r, uint32_t gid)
{
    float a = myl_sim_v(r->sim[0], gid), b = myl_sim_v(r->sim[1], gid);
    if (memcmp(&a, &b, sizeof a) != 0)
        ck_abort_msg("engines disagree on v: %.9g vs %.9g", a, b);
    return a;
}

static void stop(run *r)
{
    myl_sim_free(r->sim[0]);
    myl_sim_free(r->sim[1]);
    myl_cnet_free(r->cn);
    myl_net_free(r->net);
}

static int spiked(const myl_tick_report *t, uint32_t gid)
{
    for (uint32_t i = 0; i < t->nspiking; i++)
        if (t->spike[i] == gid)
            return t->count[i];
    return 0;
}

/* |x - want| <= ulps of float rounding per step, accumulated over `steps` steps */
static void near(double x, double want, double scale, int steps, const char *what, int k)
{
    double tol = (steps + 4) * 0x1p-23 * scale + 1e-12;
    if (!(fabs(x - want) <= tol))
        ck_abort_msg("%s at step %d: %.9g, expected %.9g (tolerance %.3g)", what, k, x, want,
                     tol);
}

/* ---- lif ---------------------------------------------------------------------------------- */

START_TEST(lif_free_decay)
{
    /* tau_m dv/dt = v_rest - v: v(t) = v_rest + (v0 - v_rest) exp(-t / tau_m) */
    myl_net *n = net_new();
    uint32_t p = pop(n, "a", 1, MYL_MODEL_LIF);
    const double tau = 20e-3, v0 = -40, vr = -65;
    set(n, p, MYL_P_TAU_M, tau);
    set(n, p, MYL_P_V_REST, vr);
    set(n, p, MYL_P_V_INIT, v0);
    set(n, p, MYL_P_V_TH, 1e9);
    run r;
    start(&r, n);
    for (int k = 1; k <= 2000; k++) {
        step(&r);
        near(v_of(&r, 0), vr + (v0 - vr) * exp(-k * DT / tau), 65, k, "v", k);
    }
    stop(&r);
}
END_TEST

START_TEST(lif_first_passage_and_isi)
{
    /* With bias, v relaxes to v_inf = v_rest + R I. From v_reset it crosses v_th after
     * T = tau ln((v_inf - v_reset) / (v_inf - v_th)); with refractory period r ticks the
     * interval between spikes is r + ceil(T / dt) ticks. */
    myl_net *n = net_new();
    uint32_t p = pop(n, "a", 1, MYL_MODEL_LIF);
    const double tau = 20e-3, R = 2.0, I = 12.5; /* v_inf = 25 */
    set(n, p, MYL_P_TAU_M, tau);
    set(n, p, MYL_P_R, R);
    set(n, p, MYL_P_BIAS, I);
    set(n, p, MYL_P_V_TH, 20);
    set(n, p, MYL_P_REFRACTORY, 20);
    double T = tau * log(25.0 / 5.0); /* 32.189 ms: far from a tick boundary */
    int steps = (int)ceil(T / DT);    /* 322 */
    ck_assert_int_eq(steps, 322);
    run r;
    start(&r, n);
    int expect = steps - 1; /* step k (1-based) is tick k - 1 */
    int nspk = 0;
    for (int t = 0; t < 5000; t++) {
        myl_tick_report rep = step(&r);
        if (spiked(&rep, 0)) {
            ck_assert_int_eq(t, expect);
            expect = t + 20 + steps;
            nspk++;
            ck_assert_float_eq(v_of(&r, 0), 0.0f);
        } else if (t > 0 && t < expect && t > expect - steps - 20 && t <= expect - steps) {
            /* refractory: held at v_reset */
            ck_assert_float_eq(v_of(&r, 0), 0.0f);
        }
    }
    ck_assert_int_eq(nspk, 1 + (5000 - 322) / 342);
    stop(&r);
}
END_TEST

START_TEST(lif_delta_input_timing)
{
    /* a spike at tick 10 through a synapse of delay 3 is input at tick 13: v jumps by w there,
     * then decays */
    myl_net *n = net_new();
    uint32_t s = pop(n, "src", 1, MYL_MODEL_SPIKE_TIMES);
    uint32_t p = pop(n, "a", 1, MYL_MODEL_LIF);
    set(n, p, MYL_P_V_TH, 100);
    uint32_t neu = 0;
    uint64_t tk = 10;
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_pop_set_times(n, s, &neu, &tk, 1, &d), 0);
    proj(n, s, p, MYL_CONN_ALL_TO_ALL, 5.0, 3);
    run r;
    start(&r, n);
    const double a = exp(-DT / 20e-3);
    for (int t = 0; t < 200; t++) {
        myl_tick_report rep = step(&r);
        ck_assert_int_eq(spiked(&rep, 0), t == 10);
        double want = t < 13 ? 0 : 5 * pow(a, t - 13);
        near(v_of(&r, 1), want, 5, t, "v", t);
    }
    stop(&r);
}
END_TEST

START_TEST(lif_refractory_discards_input)
{
    /* lif (like NEST's iaf_psc_delta) ignores input that arrives while refractory */
    myl_net *n = net_new();
    uint32_t s = pop(n, "src", 1, MYL_MODEL_SPIKE_TIMES);
    uint32_t p = pop(n, "a", 1, MYL_MODEL_LIF);
    set(n, p, MYL_P_V_TH, 10);
    set(n, p, MYL_P_V_RESET, -5);
    set(n, p, MYL_P_REFRACTORY, 5);
    set(n, p, MYL_P_TAU_M, 1e6); /* almost no leak */
    uint32_t neu[3] = {0, 0, 0};
    uint64_t tk[3] = {0, 2, 7}; /* arrive at 1 (spike), 3 (refractory: lost), 8 (counts) */
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_pop_set_times(n, s, neu, tk, 3, &d), 0);
    proj(n, s, p, MYL_CONN_ALL_TO_ALL, 16.0, 1); /* from v_reset: -5 + 16 >= 10 */
    run r;
    start(&r, n);
    for (int t = 0; t < 12; t++) {
        myl_tick_report rep = step(&r);
        ck_assert_int_eq(spiked(&rep, 1), (t == 1 || t == 8) ? 1 : 0);
        if (t >= 2 && t <= 6)
            ck_assert_float_eq(v_of(&r, 1), -5.0f);
    }
    stop(&r);
}
END_TEST

START_TEST(lif_subtract_reset)
{
    /* reset by subtraction keeps the overshoot: v <- v - (v_th - v_reset) */
    myl_net *n = net_new();
    uint32_t s = pop(n, "src", 1, MYL_MODEL_SPIKE_TIMES);
    uint32_t p = pop(n, "a", 1, MYL_MODEL_LIF);
    set(n, p, MYL_P_V_TH, 1.0);
    set(n, p, MYL_P_TAU_M, 1e9);
    myl_net_pop_set_reset(n, p, MYL_RESET_SUBTRACT);
    uint32_t neu = 0;
    uint64_t tk = 0;
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_pop_set_times(n, s, &neu, &tk, 1, &d), 0);
    proj(n, s, p, MYL_CONN_ALL_TO_ALL, 1.75, 1);
    run r;
    start(&r, n);
    step(&r);
    myl_tick_report rep = step(&r);
    ck_assert(spiked(&rep, 1));
    ck_assert_float_eq_tol(v_of(&r, 1), 0.75f, 1e-6f);
    stop(&r);
}
END_TEST

/* ---- cuba_lif ----------------------------------------------------------------------------- */

/* PSP of a current pulse: I jumps by w at tick t0 and decays with tau_s; v (from rest 0) is
 * w R tau_s / (tau_s - tau_m) (exp(-s/tau_s) - exp(-s/tau_m)), s = (t - t0) dt, and
 * w R (s / tau_m) exp(-s / tau_m) when tau_s == tau_m. */
static double psp(double w, double R, double tm, double ts, double s)
{
    if (ts == tm)
        return w * R * (s / tm) * exp(-s / tm);
    return w * R * ts / (ts - tm) * (exp(-s / ts) - exp(-s / tm));
}

static void check_psp(double w, double tm, double ts_e, double ts_i)
{
    myl_net *n = net_new();
    uint32_t s = pop(n, "src", 1, MYL_MODEL_SPIKE_TIMES);
    uint32_t p = pop(n, "a", 1, MYL_MODEL_CUBA_LIF);
    const double R = 1.5;
    set(n, p, MYL_P_TAU_M, tm);
    set(n, p, MYL_P_TAU_SYN_E, ts_e);
    set(n, p, MYL_P_TAU_SYN_I, ts_i);
    set(n, p, MYL_P_R, R);
    set(n, p, MYL_P_V_TH, 1e9);
    uint32_t neu = 0;
    uint64_t tk = 4;
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_pop_set_times(n, s, &neu, &tk, 1, &d), 0);
    proj(n, s, p, MYL_CONN_ALL_TO_ALL, w, 1); /* input at tick 5 */
    run r;
    start(&r, n);
    const double ts = w >= 0 ? ts_e : ts_i;
    double peak = 0;
    for (int k = 1; k < 3000; k++)
        peak = fmax(peak, fabs(psp(w, R, tm, ts, k * DT)));
    for (int t = 0; t < 3000; t++) {
        step(&r);
        double want = t <= 5 ? 0 : psp(w, R, tm, ts, (t - 5) * DT);
        near(v_of(&r, 1), want, peak * 4, t, "psp", t);
    }
    stop(&r);
}

START_TEST(cuba_psp_excitatory)
{
    check_psp(2.0, 20e-3, 5e-3, 10e-3);
}
END_TEST

START_TEST(cuba_psp_inhibitory)
{
    check_psp(-3.0, 20e-3, 5e-3, 10e-3);
}
END_TEST

START_TEST(cuba_psp_equal_time_constants)
{
    check_psp(1.0, 10e-3, 10e-3, 10e-3);
}
END_TEST

START_TEST(cuba_psp_nearly_equal_time_constants)
{
    /* the expm1 form must not lose the PSP to cancellation */
    check_psp(1.0, 10e-3, 10.0000001e-3, 10e-3);
}
END_TEST

START_TEST(cuba_bias_steady_state)
{
    /* v -> v_rest + R I */
    myl_net *n = net_new();
    uint32_t p = pop(n, "a", 1, MYL_MODEL_CUBA_LIF);
    set(n, p, MYL_P_V_REST, -70);
    set(n, p, MYL_P_BIAS, 4);
    set(n, p, MYL_P_R, 2.5);
    set(n, p, MYL_P_V_TH, 0);
    set(n, p, MYL_P_TAU_M, 10e-3);
    run r;
    start(&r, n);
    for (int k = 1; k <= 3000; k++) {
        step(&r);
        near(v_of(&r, 0), -70 + 10 * (1 - exp(-k * DT / 10e-3)), 70, k, "v", k);
    }
    stop(&r);
}
END_TEST

/* ---- if, li ------------------------------------------------------------------------------- */

START_TEST(if_ramp_and_threshold)
{
    /* dv/dt = R I: R I dt = 0.125 per tick, exact in binary: v reaches 1 after 8 ticks */
    for (int strict = 0; strict <= 1; strict++) {
        myl_net *n = net_new();
        uint32_t p = pop(n, "a", 1, MYL_MODEL_IF);
        set(n, p, MYL_P_BIAS, 1250);
        set(n, p, MYL_P_V_TH, 1.0);
        myl_net_pop_set_strict_threshold(n, p, strict);
        run r;
        start(&r, n);
        int period = strict ? 9 : 8, nspk = 0;
        for (int t = 0; t < 100; t++) {
            myl_tick_report rep = step(&r);
            int want = (t + 1) % period == 0;
            ck_assert_msg(spiked(&rep, 0) == want, "strict %d tick %d", strict, t);
            nspk += want;
            if (!want)
                ck_assert_float_eq(v_of(&r, 0), 0.125f * (float)((t + 1) % period));
        }
        ck_assert_int_gt(nspk, 10);
        stop(&r);
    }
}
END_TEST

START_TEST(li_never_spikes_and_records)
{
    myl_net *n = net_new();
    uint32_t p = pop(n, "a", 2, MYL_MODEL_LI);
    set(n, p, MYL_P_BIAS, 100);
    set(n, p, MYL_P_TAU_M, 5e-3);
    run r;
    start(&r, n);
    for (int k = 1; k <= 500; k++) {
        myl_tick_report rep = step(&r);
        ck_assert_uint_eq(rep.nspiking, 0);
        ck_assert_uint_eq(rep.nv, 2);
        near(rep.v[0], 100 * (1 - exp(-k * DT / 5e-3)), 100, k, "li v", k);
        ck_assert_uint_eq(rep.v_gid[1], 1);
    }
    stop(&r);
}
END_TEST

/* ---- sources ------------------------------------------------------------------------------ */

static void poisson_stats(double rate, int input)
{
    /* counts per neuron and tick are Poisson(lambda): mean and variance lambda, P(0) = e^-l */
    const uint32_t N = 2000;
    const int T = 400;
    myl_net *n = net_new();
    uint32_t p;
    if (input) {
        p = pop(n, "a", N, MYL_MODEL_LIF);
        set(n, p, MYL_P_INPUT_RATE, rate);
        set(n, p, MYL_P_INPUT_WEIGHT, 1);
    } else {
        p = pop(n, "a", N, MYL_MODEL_POISSON);
        set(n, p, MYL_P_RATE, rate);
    }
    run r;
    start(&r, n);
    double lam = rate * DT, sum = 0, sum2 = 0, zeros = 0, events = 0;
    for (int t = 0; t < T; t++) {
        myl_tick_report rep = step(&r);
        if (input) {
            events += (double)rep.input_events;
            continue;
        }
        zeros += N - rep.nspiking;
        for (uint32_t i = 0; i < rep.nspiking; i++) {
            sum += rep.count[i];
            sum2 += (double)rep.count[i] * rep.count[i];
        }
    }
    double m = (double)N * T;
    if (input) {
        double sd = sqrt(lam * m);
        ck_assert_msg(fabs(events - lam * m) < 5 * sd, "input events %g, expected %g +- %g",
                      events, lam * m, sd);
    } else {
        double mean = sum / m, var = sum2 / m - mean * mean;
        ck_assert_msg(fabs(mean - lam) < 5 * sqrt(lam / m), "mean %g, lambda %g", mean, lam);
        /* the sample variance of a Poisson count has variance about lambda (1 + 2 lambda) / m */
        ck_assert_msg(fabs(var - lam) < 5 * sqrt(lam * (1 + 2 * lam) / m), "var %g, lambda %g",
                      var, lam);
        double p0 = exp(-lam);
        ck_assert_msg(fabs(zeros / m - p0) < 5 * sqrt(p0 * (1 - p0) / m), "P(0) %g vs %g",
                      zeros / m, p0);
    }
    stop(&r);
}

START_TEST(poisson_counts)
{
    poisson_stats(500, 0);   /* lambda 0.05 */
    poisson_stats(20e3, 0);  /* lambda 2 */
    poisson_stats(300e3, 0); /* lambda 30 */
    poisson_stats(20e3, 1);
}
END_TEST

START_TEST(poisson_rate_too_high)
{
    myl_net *n = net_new();
    uint32_t p = pop(n, "a", 1, MYL_MODEL_POISSON);
    set(n, p, MYL_P_RATE, 1e6); /* 100 per tick */
    myl_cnet *c = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_compile(n, NULL, NULL, &c, &d), MYL_ERANGE);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(d.msg, "'a'"));
    myl_net_free(n);
}
END_TEST

START_TEST(regular_and_spike_times)
{
    myl_net *n = net_new();
    uint32_t g = pop(n, "reg", 3, MYL_MODEL_REGULAR);
    uint32_t s = pop(n, "times", 2, MYL_MODEL_SPIKE_TIMES);
    set(n, g, MYL_P_PERIOD, 7);
    set(n, g, MYL_P_PHASE, 3);
    uint32_t neu[5] = {1, 0, 1, 1, 0};
    uint64_t tk[5] = {5, 5, 9, 5, 20}; /* neuron 1 twice at tick 5 */
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_pop_set_times(n, s, neu, tk, 5, &d), 0);
    run r;
    start(&r, n);
    for (int t = 0; t < 40; t++) {
        myl_tick_report rep = step(&r);
        int reg = t >= 3 && (t - 3) % 7 == 0;
        for (uint32_t i = 0; i < 3; i++)
            ck_assert_int_eq(spiked(&rep, i), reg);
        ck_assert_int_eq(spiked(&rep, 3), (t == 5 || t == 20));
        ck_assert_int_eq(spiked(&rep, 4), (t == 5 ? 2 : t == 9));
    }
    stop(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("neuron");
    TCase *tc = tcase_create("lif");
    tcase_add_test(tc, lif_free_decay);
    tcase_add_test(tc, lif_first_passage_and_isi);
    tcase_add_test(tc, lif_delta_input_timing);
    tcase_add_test(tc, lif_refractory_discards_input);
    tcase_add_test(tc, lif_subtract_reset);
    suite_add_tcase(s, tc);
    tc = tcase_create("cuba_lif");
    tcase_add_test(tc, cuba_psp_excitatory);
    tcase_add_test(tc, cuba_psp_inhibitory);
    tcase_add_test(tc, cuba_psp_equal_time_constants);
    tcase_add_test(tc, cuba_psp_nearly_equal_time_constants);
    tcase_add_test(tc, cuba_bias_steady_state);
    suite_add_tcase(s, tc);
    tc = tcase_create("if_li");
    tcase_add_test(tc, if_ramp_and_threshold);
    tcase_add_test(tc, li_never_spikes_and_records);
    suite_add_tcase(s, tc);
    tc = tcase_create("sources");
    tcase_add_test(tc, poisson_counts);
    tcase_add_test(tc, poisson_rate_too_high);
    tcase_add_test(tc, regular_and_spike_times);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
