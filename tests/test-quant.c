/* Quantisation (include/myelin/quant.h) of float lif / cuba_lif parameters and weights onto the
 * chips of sim/core/fixed.h: the integers for a typical population, computed by hand in the
 * comments; error bounds (half a least significant bit, carried through each mapping); weight
 * round trips (representable weights come back exactly); clipping and zeroing counts; and a
 * differential check that a bias-driven neuron fires at the float model's times on each chip
 * whose format can hold it.
 */
#include "testlib.h"

#include "myelin/err.h"
#include "myelin/quant.h"
#include "sim/core/fixed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cuba_lif: dt 1 ms, tau_m 20 ms, tau_syn 5 ms, v_rest -65, v_th -50 (span 15), R = 1 */
static myl_qlif cuba(void)
{
    myl_qlif f = {.dt = 1e-3,
                  .tau_m = 20e-3,
                  .tau_syn_e = 5e-3,
                  .tau_syn_i = 5e-3,
                  .v_rest = -65,
                  .v_th = -50,
                  .v_reset = -65,
                  .refractory = 2,
                  .bias = 0,
                  .r = 1};
    return f;
}

/* lif driven by a bias: v_inf = 1.5 above a threshold of 1, tau_m 20 ms */
static myl_qlif driven(void)
{
    myl_qlif f = {.dt = 1e-3,
                  .tau_m = 20e-3,
                  .v_rest = 0,
                  .v_th = 1,
                  .v_reset = 0,
                  .refractory = 2,
                  .bias = 1.5,
                  .r = 1};
    return f;
}

static const myl_quant_item *find(const myl_quant_report *r, const char *name)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (!strcmp(r->item[i].name, name))
            return &r->item[i];
    ck_abort_msg("no item %s", name);
    return NULL;
}

/* spike ticks of the float lif (docs/models.md), up to n ticks, into t[]; returns the count */
static int float_lif_spikes(const myl_qlif *f, int n, int *t, int max)
{
    const double a = exp(-f->dt / f->tau_m), vinf = f->v_rest + f->r * f->bias;
    double v = f->v_rest;
    int ref = 0, k = 0;
    for (int i = 0; i < n; i++) {
        if (ref > 0) {
            ref--;
            continue;
        }
        v = vinf + (v - vinf) * a;
        if (v >= f->v_th) {
            v = f->v_reset;
            ref = (int)f->refractory;
            if (k < max)
                t[k] = i;
            k++;
        }
    }
    return k;
}

START_TEST(loihi_params)
{
    myl_qlif f = cuba();
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), 0);
    /* 4096 (1 - e^-0.05) = 199.76 -> dv 200; 4095 - 4096 e^-0.2 = 4095 - 3353.52 -> du 741 */
    ck_assert_int_eq(p.dv, 200);
    ck_assert_int_eq(p.du, 741);
    /* default scale 2^22 / 15: T = 2^22, and v > 64 m means v >= 64 m + 1 = T:
     * m = round((2^22 - 1) / 64) = 65536 */
    ck_assert(fabs(r.v_scale - 4194304.0 / 15.0) < 1e-6);
    ck_assert_int_eq(p.vth, 65536);
    ck_assert_int_eq(p.refr, 2);
    ck_assert_int_eq(p.bias_mant, 0);
    ck_assert(r.v_zero == -65);
    /* decays: the error bound is half an LSB of 1/4096 relative to 1 - a */
    const double a_m = exp(-0.05), a_s = exp(-0.2);
    ck_assert(find(&r, "tau_m")->rel_err <= 0.5 / 4096 / (1 - a_m));
    ck_assert(find(&r, "tau_syn_e")->rel_err <= 0.5 / 4096 / (1 - a_s));
    ck_assert(find(&r, "v_th")->rel_err <= 1.0 / (r.v_scale * 15));
    ck_assert_double_eq(find(&r, "v_reset")->rel_err, 0);
    ck_assert_str_eq(r.notes, "");
    /* weights into a_in units: s * P21 / 64 */
    const double p21 = 1.0 * a_m * 5e-3 / (5e-3 - 20e-3) * expm1(1e-3 * (5e-3 - 20e-3) / 1e-4);
    ck_assert(fabs(r.w_scale_e - r.v_scale * p21 / 64) < 1e-9 * r.w_scale_e);
}
END_TEST

START_TEST(loihi_reports_what_it_cannot_hold)
{
    myl_qlif f = cuba();
    f.tau_syn_i = 10e-3;
    f.v_reset = -70;
    f.reset_subtract = 1;
    f.refractory = 100;
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), 0);
    ck_assert_int_eq(p.refr, 63);
    ck_assert(strstr(r.notes, "one synaptic current") != NULL);
    ck_assert(strstr(r.notes, "resets v to 0") != NULL);
    ck_assert(strstr(r.notes, "refractory beyond 63") != NULL);
    /* v_reset 5 below rest on a span of 15 */
    ck_assert(fabs(find(&r, "v_reset")->rel_err - 5.0 / 15) < 1e-12);
    ck_assert(find(&r, "tau_syn_i")->rel_err > 0.1);
    ck_assert(r.max_rel_err >= find(&r, "refractory")->rel_err);
    /* invalid input */
    f.tau_m = -1;
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), MYL_EINVAL);
    f = cuba();
    f.tau_syn_i = 0; /* one current but not the other */
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), MYL_EINVAL);
    f = cuba();
    ck_assert_int_eq(myl_quant_loihi(&f, -1, 0, &p, &r), MYL_EINVAL);
    ck_assert_int_eq(myl_quant_loihi(NULL, 0, 0, &p, &r), MYL_EINVAL);
}
END_TEST

START_TEST(loihi_bias_exponent_choice)
{
    /* bias drive per tick: s * R * I * dv/4096 with s = 2^22 (span 1) and dv = 200:
     * 2^22 * 1.5 * 200/4096 = 307200 -> exponent 7 (307200 / 128 = 2400 <= 4095) */
    myl_qlif f = driven();
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 4194304.0, 0, &p, &r), 0);
    ck_assert_int_eq(p.bias_exp, 7);
    ck_assert_int_eq(p.bias_mant, 2400);
    ck_assert_double_eq(find(&r, "bias")->rel_err, 0);
    /* the default scale keeps the bias in range; a 100x larger bias clips at 4095 << 7 */
    f.bias = 150;
    ck_assert_int_eq(myl_quant_loihi(&f, 4194304.0, 0, &p, &r), 0);
    ck_assert_int_eq(p.bias_mant, 4095);
    ck_assert(strstr(r.notes, "bias beyond") != NULL);
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), 0);
    ck_assert(find(&r, "bias")->rel_err < 1e-3);
}
END_TEST

START_TEST(loihi_weights)
{
    myl_qlif f = driven(); /* lif: w_scale = s / 64 */
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 64.0 * 100, 0, &p, &r), 0);
    ck_assert_double_eq(r.w_scale_e, 100);
    /* mixed signs: even mantissas -256..254. In a_in units the weights are 300, -100, 1.3, 5;
     * at exponent 0, 300 is beyond 254; at exponent 1 (units of 2, steps of 4) it is 150:
     * 300 -> 2*round(300/4) = 150, -100 -> -50, 1.3 -> 2*round(0.325) = 0 (zeroed),
     * 5 -> 2*round(1.25) = 2 */
    const double w[] = {3.0, -1.0, 0.013, 0.05};
    int32_t m[4];
    myl_qweights q = {0};
    ck_assert_int_eq(myl_quant_weights_loihi(w, 4, &r, 0, m, &q), 0);
    ck_assert_int_eq(q.sign_mode, MYL_LOIHI_MIXED);
    ck_assert_int_eq(q.exp, 1);
    ck_assert_int_eq(m[0], 150);
    ck_assert_int_eq(m[1], -50);
    ck_assert_int_eq(m[2], 0);
    ck_assert_int_eq(m[3], 2);
    ck_assert_int_eq(q.nzeroed, 1);
    ck_assert_int_eq(q.nclipped, 0);
    /* the error is at most half a step: 2 * 2^1 / 2 a_in units = 0.02 weight units */
    ck_assert(q.max_err <= 0.02 + 1e-12);
    ck_assert(fabs(q.max_err - 0.013) < 1e-12);
    /* mantissas are what Lava's truncation leaves alone */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(myl_loihi_weight_trunc(m[i], 8, MYL_LOIHI_MIXED), m[i]);

    /* excitatory only: full 0..255 range. 2.55 -> 255 at exponent 0 */
    const double e[] = {2.55, 1.0, 0.0};
    ck_assert_int_eq(myl_quant_weights_loihi(e, 3, &r, 0, m, &q), 0);
    ck_assert_int_eq(q.sign_mode, MYL_LOIHI_EXCITATORY);
    ck_assert_int_eq(q.exp, 0);
    ck_assert_int_eq(m[0], 255);
    ck_assert_int_eq(m[1], 100);
    ck_assert_double_eq(q.max_err, 0);
    /* a shared, fixed exponent that is too small clips */
    q.exp = 0;
    const double big[] = {10.0};
    ck_assert_int_eq(myl_quant_weights_loihi(big, 1, &r, 1, m, &q), 0);
    ck_assert_int_eq(m[0], 255);
    ck_assert_int_eq(q.nclipped, 1);
}
END_TEST

START_TEST(loihi_weight_round_trip)
{
    myl_qlif f = cuba();
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 4.0, &p, &r), 0);
    /* weights that are exact mantissas at exponent 3 come back as they were */
    static const int32_t want[] = {254, -256, 2, 0, -130, 100};
    double w[6];
    for (int i = 0; i < 6; i++)
        w[i] = want[i] * 8.0 / (want[i] >= 0 ? r.w_scale_e : r.w_scale_i);
    int32_t m[6];
    myl_qweights q = {0};
    ck_assert_int_eq(myl_quant_weights_loihi(w, 6, &r, 0, m, &q), 0);
    ck_assert_int_eq(q.exp, 3);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(m[i], want[i]);
    ck_assert(q.max_rel_err < 1e-12);
    ck_assert_int_eq(q.ndistinct, 6);
}
END_TEST

START_TEST(loihi_fires_with_float)
{
    /* the bias-driven lif: spike ticks on the chip against the float model */
    myl_qlif f = driven();
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 0, 0, &p, &r), 0);
    int tf[64], tc[64], nc = 0;
    int nf = float_lif_spikes(&f, 1000, tf, 64);
    myl_loihi_state s = {0, 0, 0};
    for (int i = 0; i < 1000; i++)
        if (myl_loihi_update(&p, &s, 0) && nc < 64)
            tc[nc++] = i;
    ck_assert_int_gt(nf, 30);
    ck_assert_int_eq(nc, nf < 64 ? nf : 64);
    /* the chip's decay is dv = 200 instead of 199.76: each interval may drift by a tick */
    for (int i = 0; i < nc && i < nf; i++)
        if (abs(tc[i] - tf[i]) > 1 + i / 8)
            ck_abort_msg("spike %d at tick %d, float at %d", i, tc[i], tf[i]);
}
END_TEST

START_TEST(spinnaker_params)
{
    myl_qlif f = cuba();
    myl_spinnaker_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_spinnaker(&f, 0, 0, &p, &r), 0);
    /* scale 8 (65 * 8 = 520 <= 1024 < 65 * 16): voltages are exact in s16.15 */
    ck_assert_double_eq(r.v_scale, 8.0 * 32768);
    ck_assert_int_eq(p.v_rest, -65 * 8 * 32768);
    ck_assert_int_eq(p.v_thresh, -50 * 8 * 32768);
    ck_assert_double_eq(find(&r, "v_th")->rel_err, 0);
    ck_assert_int_eq(p.r, 32768);
    /* round(e^-0.05 * 32768) = 31170; round(e^-0.2 * 2^32) = 3516421809 and sPyNNaker's init
     * ((5 * 32768) * (2^32 - 1 - decay)) >> 15 = 3892727430 */
    ck_assert_int_eq(p.exp_tc, 31170);
    ck_assert_uint_eq(p.decay_e, 3516421809u);
    ck_assert_uint_eq(p.init_e, 3892727430u);
    ck_assert_int_eq(p.t_refract, 2);
    ck_assert_int_eq(p.delta, 0);
    ck_assert(find(&r, "tau_m")->rel_err <= 0.5 / 32768 / (1 - exp(-0.05)));
    ck_assert(find(&r, "tau_syn_e")->rel_err < 1e-8);

    /* weights: 16-bit magnitudes with the smallest left shift that holds the largest */
    const double w[] = {2.0, -1.0, 1e-9};
    int32_t m[3];
    myl_qweights q = {0};
    ck_assert_int_eq(myl_quant_weights_spinnaker(w, 3, &r, 0, m, &q), 0);
    ck_assert_int_gt(m[0], 32767);
    ck_assert_int_le(m[0], 65535);
    ck_assert_int_lt(m[1], 0);
    ck_assert_int_eq(m[2], 0);
    ck_assert_int_eq(q.nzeroed, 1);
    /* half an LSB of 2^(shift - 15), back in weight units */
    ck_assert(q.max_err <= 0.5 * ldexp(1.0, q.exp - 15) / r.w_scale_e + 1e-15);
    /* a shared shift from another projection */
    q.exp = 16;
    q.exp_i = 16;
    ck_assert_int_eq(myl_quant_weights_spinnaker(w, 3, &r, 1, m, &q), 0);
    ck_assert_int_eq(q.exp, 16);
}
END_TEST

START_TEST(spinnaker_fires_with_float)
{
    myl_qlif f = driven();
    myl_spinnaker_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_spinnaker(&f, 0, 0, &p, &r), 0);
    ck_assert_int_eq(p.delta, 1);
    int tf[64], nc = 0;
    int nf = float_lif_spikes(&f, 1000, tf, 64);
    myl_spinnaker_state s = {(int32_t)myl_quant_vstate(&r, f.v_rest), 0, 0, 0};
    for (int i = 0; i < 1000; i++)
        if (myl_spinnaker_update(&p, &s, 0, 0)) {
            if (nc < nf && nc < 64 && abs(i - tf[nc]) > 1)
                ck_abort_msg("spike %d at tick %d, float at %d", nc, i, tf[nc]);
            nc++;
        }
    ck_assert_int_eq(nc, nf);
}
END_TEST

START_TEST(truenorth_params)
{
    /* if model (no decay) with a bias: the leak carries R * I * dt per tick */
    myl_qlif f = {
        .dt = 1e-3, .tau_m = INFINITY, .v_rest = 0, .v_th = 1, .v_reset = 0, .bias = 20, .r = 1};
    myl_truenorth_param p;
    myl_quant_report r;
    /* w_max 0.5 -> s = min(262143 / 1, 255 / 0.5) = 510; alpha 510; leak 510 * 0.02 = 10.2 */
    ck_assert_int_eq(myl_quant_truenorth(&f, 0, 0.5, &p, &r), 0);
    ck_assert_double_eq(r.v_scale, 510);
    ck_assert_int_eq(p.alpha, 510);
    ck_assert_int_eq(p.leak, 10);
    ck_assert_int_eq(p.leak_stoch, 0);
    ck_assert_int_eq(p.reset_mode, MYL_TN_RESET_NORMAL);
    ck_assert_int_eq(p.reset, 0);
    ck_assert(fabs(find(&r, "bias")->rel_err - 0.2 / 10.2) < 1e-12);
    /* weights: integers, and how many distinct values (4 axon types per neuron) */
    const double w[] = {0.5, 0.25, -0.5, 0.5, 0.001, 0.9};
    int32_t m[6];
    myl_qweights q = {0};
    ck_assert_int_eq(myl_quant_weights_truenorth(w, 6, &r, m, &q), 0);
    ck_assert_int_eq(m[0], 255);
    ck_assert_int_eq(m[1], 128); /* 127.5 rounds to even */
    ck_assert_int_eq(m[2], -255);
    ck_assert_int_eq(m[4], 1);
    ck_assert_int_eq(m[5], 255);
    ck_assert_int_eq(q.nclipped, 1);
    ck_assert_int_eq(q.ndistinct, 4);

    /* a leaky lif without bias: linear leak toward rest with reversal, stochastic when the
     * slope is below one unit per tick */
    myl_qlif g = driven();
    g.bias = 0;
    ck_assert_int_eq(myl_quant_truenorth(&g, 100, 0, &p, &r), 0);
    /* slope 100 * 0.5 * (1 - e^-0.05) = 2.44 per tick -> lambda -2, reversal on */
    ck_assert_int_eq(p.leak, -2);
    ck_assert_int_eq(p.leak_rev, 1);
    ck_assert_int_eq(p.leak_stoch, 0);
    ck_assert_int_eq(myl_quant_truenorth(&g, 10, 0, &p, &r), 0);
    /* 0.244 per tick: stochastic, (|lambda| + 1) / 256 = 0.244 -> |lambda| = round(61.4) = 61 */
    ck_assert_int_eq(p.leak, -61);
    ck_assert_int_eq(p.leak_stoch, 1);
    ck_assert(find(&r, "tau_m")->rel_err < 0.01);
    ck_assert(strstr(r.notes, "linear leak") != NULL);
    ck_assert(strstr(r.notes, "refractory") != NULL);
}
END_TEST

START_TEST(odin_params)
{
    myl_qlif f = driven();
    f.bias = 0;
    myl_odin_param p;
    myl_quant_report r;
    /* w_max 0.1 -> s = min(255 / 1, 7 / 0.1) = 70: threshold 70 */
    ck_assert_int_eq(myl_quant_odin(&f, 0, 0.1, &p, &r), 0);
    ck_assert(fabs(r.v_scale - 70) < 1e-9);
    ck_assert_int_eq(p.thr, 70);
    /* slope 70 * 0.5 * (1 - e^-0.05) = 1.70697 per tick. leak/period pairs by period:
     * 2/1 (17 % off), 3/2, 5/3 (2.3 %), 7/4 (2.5 %), 9/5, 10/6, 12/7 = 1.71429 (0.43 %):
     * the first within 1 % is 12 every 7 ticks */
    ck_assert_int_eq(p.leak_en, 1);
    ck_assert_int_eq(p.leak_period, 7);
    ck_assert_int_eq(p.leak, 12);
    ck_assert(strstr(r.notes, "refractory") != NULL);
    /* a slow leak: slope 0.170697 -> 1/6 (2.4 %), ..., 5/29 (1.006 %), 6/35 (0.43 %) */
    ck_assert_int_eq(myl_quant_odin(&f, 7, 0, &p, &r), 0);
    ck_assert_int_eq(p.leak, 6);
    ck_assert_int_eq(p.leak_period, 35);
    const double w[] = {0.1, -0.05, 0.004, 0.2};
    int32_t m[4];
    myl_qweights q = {0};
    ck_assert_int_eq(myl_quant_odin(&f, 0, 0.1, &p, &r), 0);
    ck_assert_int_eq(myl_quant_weights_odin(w, 4, &r, m, &q), 0);
    ck_assert_int_eq(m[0], 7);
    ck_assert_int_eq(m[1], -4); /* -3.5 rounds to even */
    ck_assert_int_eq(m[2], 0);
    ck_assert_int_eq(m[3], 7);
    ck_assert_int_eq(q.nzeroed, 1);
    ck_assert_int_eq(q.nclipped, 1);
}
END_TEST

START_TEST(vstate)
{
    myl_qlif f = cuba();
    myl_loihi_param p;
    myl_quant_report r;
    ck_assert_int_eq(myl_quant_loihi(&f, 1000, 0, &p, &r), 0);
    ck_assert_int_eq(myl_quant_vstate(&r, -65), 0);
    ck_assert_int_eq(myl_quant_vstate(&r, -60), 5000);
    ck_assert_int_eq(myl_quant_vstate(NULL, 1), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("quant");
    TCase *tc = tcase_create("loihi");
    tcase_add_test(tc, loihi_params);
    tcase_add_test(tc, loihi_reports_what_it_cannot_hold);
    tcase_add_test(tc, loihi_bias_exponent_choice);
    tcase_add_test(tc, loihi_weights);
    tcase_add_test(tc, loihi_weight_round_trip);
    tcase_add_test(tc, loihi_fires_with_float);
    suite_add_tcase(s, tc);
    tc = tcase_create("others");
    tcase_add_test(tc, spinnaker_params);
    tcase_add_test(tc, spinnaker_fires_with_float);
    tcase_add_test(tc, truenorth_params);
    tcase_add_test(tc, odin_params);
    tcase_add_test(tc, vstate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
