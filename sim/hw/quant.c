/* Quantisation of myelin's float lif / cuba_lif populations and their weights onto the integers
 * of the chips in sim/core/fixed.h.
 *
 * Each chip gets the same treatment: pick a voltage scale (chip LSBs per membrane unit), map
 * every parameter through the chip's own update equation so that the integer update reproduces
 * the float model's per-tick behaviour as closely as the format allows, and say in the report
 * what each parameter became. The mappings, and why each default scale is what it is, are in
 * docs/chip-arithmetic.md; the comments here say only how. Nothing here allocates.
 */
#include "myelin/quant.h"

#include "myelin/err.h"
#include "sim/core/fixed.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the float model ----------------------------------------------------------------------- */

static int is_cuba(const myl_qlif *f)
{
    return f->tau_syn_e > 0 || f->tau_syn_i > 0;
}

static int check(const myl_qlif *f)
{
    if (!f)
        return MYL_EINVAL;
    if (!(f->dt > 0 && isfinite(f->dt)) || !(f->tau_m > 0) || isnan(f->tau_m))
        return MYL_EINVAL;
    if (!(f->tau_syn_e >= 0 && isfinite(f->tau_syn_e)) ||
        !(f->tau_syn_i >= 0 && isfinite(f->tau_syn_i)))
        return MYL_EINVAL;
    if (is_cuba(f) && (!(f->tau_syn_e > 0 && f->tau_syn_i > 0) || isinf(f->tau_m)))
        return MYL_EINVAL; /* both currents or neither; `if` has no currents */
    if (!isfinite(f->v_rest) || !isfinite(f->v_th) || !isfinite(f->v_reset))
        return MYL_EINVAL;
    if (!(f->refractory >= 0 && isfinite(f->refractory)) || !isfinite(f->bias) || !isfinite(f->r))
        return MYL_EINVAL;
    return 0;
}

static int check_scale(double s)
{
    return s >= 0 && isfinite(s) ? 0 : MYL_EINVAL;
}

/* exp(-h/tau), with tau = INFINITY giving 1 (no decay) and tau = 0 giving 0 */
static double decay(double h, double tau)
{
    if (isinf(tau))
        return 1.0;
    return tau > 0 ? exp(-h / tau) : 0.0;
}

/* myelin's P21 (docs/models.md): the membrane's response at t+1 to a unit current at t. */
static double p21(double h, double tm, double ts, double r)
{
    const double p22 = exp(-h / tm);
    if (ts == tm)
        return r * (h / tm) * p22;
    return r * p22 * ts / (ts - tm) * expm1(h * (ts - tm) / (ts * tm));
}

/* How far v moves from v_rest in one tick at rest through the bias: R*I_bias*(1 - a) for a
 * leaky membrane with per-tick decay a, R*I_bias*dt for `if`. */
static double drive(const myl_qlif *f, double a)
{
    return isinf(f->tau_m) ? f->r * f->bias * f->dt : f->r * f->bias * (1.0 - a);
}

/* Membrane units a weight of 1 moves v by in total, on a chip whose synapses jump v at once:
 * 1 for lif and if, the summed PSP charge P21/(1 - exp(-dt/tau_s)) for cuba_lif. */
static double charge(const myl_qlif *f, double ts)
{
    if (!is_cuba(f))
        return 1.0;
    return p21(f->dt, f->tau_m, ts, f->r) / (1.0 - decay(f->dt, ts));
}

static double span(const myl_qlif *f)
{
    const double d = fabs(f->v_th - f->v_rest);
    return d > 0 ? d : 1.0;
}

/* ---- reports ------------------------------------------------------------------------------- */

static void rep_init(myl_quant_report *rep, double v_scale, double v_zero)
{
    memset(rep, 0, sizeof *rep);
    rep->v_scale = v_scale;
    rep->v_zero = v_zero;
}

static void note(myl_quant_report *rep, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(myl_quant_report *rep, const char *fmt, ...)
{
    size_t len = strlen(rep->notes);
    if (len + 3 >= sizeof rep->notes)
        return;
    if (len) {
        memcpy(rep->notes + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->notes + len, sizeof rep->notes - len, fmt, ap);
    va_end(ap);
}

static void add(myl_quant_report *rep, const char *name, double want, double got, double err)
{
    if (rep->n >= MYL_QUANT_ITEMS)
        return;
    myl_quant_item *it = &rep->item[rep->n++];
    it->name = name;
    it->want = want;
    it->got = got;
    it->rel_err = err;
    if (err > rep->max_rel_err || isnan(err))
        rep->max_rel_err = err;
}

/* |got - want| / ref, 0 when they agree, |got - want| when ref is 0 */
static double rel(double want, double got, double ref)
{
    if (want == got)
        return 0.0;
    const double d = fabs(got - want);
    return ref > 0 && isfinite(ref) ? d / ref : d;
}

static void add_value(myl_quant_report *rep, const char *name, double want, double got)
{
    add(rep, name, want, got, rel(want, got, fabs(want)));
}

static void add_voltage(myl_quant_report *rep, const myl_qlif *f, const char *name, double want,
                        double got)
{
    add(rep, name, want, got, rel(want, got, span(f)));
}

/* A time constant through its per-tick decay factor; a_got is what the chip multiplies by. */
static void add_tau(myl_quant_report *rep, const char *name, double h, double tau, double a_got)
{
    const double a = decay(h, tau);
    double got;
    if (a_got <= 0)
        got = 0.0;
    else if (a_got >= 1)
        got = INFINITY;
    else
        got = -h / log(a_got);
    const double err = a_got == a ? 0.0 : fabs(a_got - a) / (a < 1 ? 1.0 - a : 1.0);
    add(rep, name, tau, got, err);
}

static void finish_weights_scale(myl_quant_report *rep, double we, double wi)
{
    rep->w_scale_e = we;
    rep->w_scale_i = wi;
}

static int64_t round_sat(double x, int64_t lo, int64_t hi, int *clipped)
{
    const double r = nearbyint(x);
    if (!(r >= (double)lo)) {
        *clipped = 1;
        return lo;
    }
    if (!(r <= (double)hi)) {
        *clipped = 1;
        return hi;
    }
    return (int64_t)r;
}

int64_t myl_quant_vstate(const myl_quant_report *rep, double v)
{
    int clipped = 0;
    if (!rep)
        return 0;
    return round_sat((v - rep->v_zero) * rep->v_scale, -INT64_MAX, INT64_MAX, &clipped);
}

/* ---- Loihi --------------------------------------------------------------------------------- */

double myl_quant_loihi_vscale(const myl_qlif *f, double w_max)
{
    if (check(f))
        return 0.0;
    /* v_th - v_rest at 2^22: a 16-bit threshold mantissa, one bit of headroom in u and v */
    double s = (double)(1 << 22) / span(f);
    const double fe = is_cuba(f) ? fabs(p21(f->dt, f->tau_m, f->tau_syn_e, f->r)) : 1.0;
    const double fi = is_cuba(f) ? fabs(p21(f->dt, f->tau_m, f->tau_syn_i, f->r)) : 1.0;
    const double fw = fe > fi ? fe : fi;
    if (w_max > 0 && fw > 0) /* the largest weight: mantissa 255 at weight_exp 7 */
        s = fmin(s, 255.0 * 128.0 * 64.0 / (w_max * fw));
    /* the bias: mantissa 4095 at exponent 7, with the decay the chip will have */
    const double b =
        fabs(drive(f, 1.0 - nearbyint(4096.0 * (1.0 - decay(f->dt, f->tau_m))) / 4096));
    if (b > 0)
        s = fmin(s, 4095.0 * 128.0 / b);
    return s;
}

int myl_quant_loihi(const myl_qlif *f, double v_scale, double w_max, myl_loihi_param *out,
                    myl_quant_report *rep)
{
    if (check(f) || check_scale(v_scale) || !out || !rep)
        return MYL_EINVAL;
    const double h = f->dt;
    const double s = v_scale > 0 ? v_scale : myl_quant_loihi_vscale(f, w_max);
    int clip = 0;
    rep_init(rep, s, f->v_rest);
    memset(out, 0, sizeof *out);

    /* voltage decay: 4096 - dv = 4096 exp(-dt/tau_m) */
    const double a_m = decay(h, f->tau_m);
    out->dv = (int32_t)round_sat(4096.0 * (1.0 - a_m), 0, 4095, &clip);
    const double a_mq = (4096.0 - out->dv) / 4096.0;
    add_tau(rep, "tau_m", h, f->tau_m, a_mq);

    /* current decay: 4096 - du - 1 = 4096 exp(-dt/tau_syn); du = 4095 makes u last one tick,
     * which is a delta synapse (the reason for Loihi's +1 offset) */
    double we = s / 64.0, wi = s / 64.0;
    if (is_cuba(f)) {
        const double a_e = decay(h, f->tau_syn_e);
        out->du = (int32_t)round_sat(4095.0 - 4096.0 * a_e, 0, 4095, &clip);
        const double a_eq = (4095.0 - out->du) / 4096.0;
        add_tau(rep, "tau_syn_e", h, f->tau_syn_e, a_eq);
        add_tau(rep, "tau_syn_i", h, f->tau_syn_i, a_eq);
        if (f->tau_syn_i != f->tau_syn_e)
            note(rep, "Loihi has one synaptic current: inhibitory input decays with tau_syn_e");
        we = s * p21(h, f->tau_m, f->tau_syn_e, f->r) / 64.0;
        wi = s * p21(h, f->tau_m, f->tau_syn_i, f->r) / 64.0;
    } else {
        out->du = 4095;
    }
    finish_weights_scale(rep, we, wi);

    /* threshold: the chip spikes on v > vth << 6, i.e. on v >= (vth << 6) + 1 */
    const double t = nearbyint(s * (f->v_th - f->v_rest));
    clip = 0;
    const int64_t m = round_sat((f->strict ? t : t - 1.0) / 64.0, 0, MYL_LOIHI_VTH_MAX, &clip);
    out->vth = (int32_t)m;
    add_voltage(rep, f, "v_th", f->v_th, f->v_rest + (double)(64 * m + !f->strict) / s);
    if (clip)
        note(rep, "v_th outside the 17-bit threshold mantissa: clipped to %lld", (long long)m);

    /* reset: always to 0, which stands for v_rest */
    add_voltage(rep, f, "v_reset", f->v_reset, f->v_rest);
    if (f->v_reset != f->v_rest)
        note(rep, "Loihi resets v to 0 (v_rest), not to v_reset");
    if (f->reset_subtract)
        note(rep, "Loihi has no subtractive reset: v is reset to 0");

    /* bias: the drive per tick, v_inf - v_rest = bias / (1 - a) with the chip's decay */
    const double fac = isinf(f->tau_m) ? h : 1.0 - a_mq;
    const double b = s * f->r * f->bias * fac;
    int e = 0;
    int64_t bm = 0;
    for (e = 0; e <= MYL_LOIHI_BIAS_EXP_MAX; e++) {
        clip = 0;
        bm = round_sat(b / (double)(1 << e), -MYL_LOIHI_BIAS_MANT_MAX - 1, MYL_LOIHI_BIAS_MANT_MAX,
                       &clip);
        if (!clip)
            break;
    }
    if (e > MYL_LOIHI_BIAS_EXP_MAX) {
        e = MYL_LOIHI_BIAS_EXP_MAX;
        note(rep, "bias beyond 4095 * 2^7 per tick: clipped");
    }
    out->bias_mant = (int32_t)bm;
    out->bias_exp = e;
    const double bden = s * f->r * fac;
    add_value(rep, "bias", f->bias, bden != 0 ? (double)bm * (double)(1 << e) / bden : f->bias);

    /* refractory: nengo-loihi's counter, v held at 0 */
    clip = 0;
    out->refr = (int32_t)round_sat(f->refractory, 0, 63, &clip);
    add_value(rep, "refractory", f->refractory, out->refr);
    if (clip)
        note(rep, "refractory beyond 63 ticks: clipped");
    return 0;
}

/* ---- TrueNorth ----------------------------------------------------------------------------- */

double myl_quant_truenorth_vscale(const myl_qlif *f, double w_max)
{
    if (check(f))
        return 0.0;
    /* the weights are the coarse part (9 bits): the largest at 255, unless v_th would then
     * not fit the 18-bit threshold */
    const double th = (double)MYL_TN_THRESH_MAX / span(f);
    const double fe = fabs(charge(f, f->tau_syn_e)), fi = fabs(charge(f, f->tau_syn_i));
    const double fw = fe > fi ? fe : fi;
    if (!(w_max > 0 && fw > 0))
        return 65536.0 / span(f);
    return fmin(th, (double)MYL_TN_WEIGHT_MAX / (w_max * fw));
}

/* A leak of `rate` chip units per tick as lambda: deterministic when it is at least 1, else
 * stochastic, moving one unit with probability (|lambda| + 1) / 256. Returns the mean. */
static double tn_leak(double rate, myl_truenorth_param *out)
{
    const double ar = fabs(rate);
    const int sg = rate < 0 ? -1 : 1;
    int clip = 0;
    if (ar >= 1.0) {
        const int64_t l = round_sat(ar, 1, MYL_TN_WEIGHT_MAX, &clip);
        out->leak = sg * (int32_t)l;
        out->leak_stoch = 0;
        return sg * (double)l;
    }
    const int64_t l = round_sat(256.0 * ar - 1.0, 1, MYL_TN_WEIGHT_MAX, &clip);
    out->leak = sg * (int32_t)l;
    out->leak_stoch = 1;
    return sg * (double)(l + 1) / 256.0;
}

int myl_quant_truenorth(const myl_qlif *f, double v_scale, double w_max, myl_truenorth_param *out,
                        myl_quant_report *rep)
{
    if (check(f) || check_scale(v_scale) || !out || !rep)
        return MYL_EINVAL;
    const double h = f->dt;
    const double s = v_scale > 0 ? v_scale : myl_quant_truenorth_vscale(f, w_max);
    int clip = 0;
    rep_init(rep, s, f->v_rest);
    memset(out, 0, sizeof *out);

    /* leak: one linear leak per tick carries either the bias or the membrane decay */
    const double a_m = decay(h, f->tau_m);
    const double d = s * drive(f, a_m);
    double a_got = 1.0, b_got = 0.0;
    if (d != 0) {
        const double got = tn_leak(d, out);
        b_got = got / (s * f->r * (isinf(f->tau_m) ? h : 1.0 - a_m));
        if (!isinf(f->tau_m))
            note(rep, "TrueNorth's one linear leak carries the bias: the membrane decay is lost");
    } else if (!isinf(f->tau_m)) {
        /* decay toward v_rest at the slope the float model has half-way to threshold */
        const double k = s * span(f) / 2.0 * (1.0 - a_m);
        const double got = -tn_leak(-k, out);
        out->leak_rev = 1;
        a_got = fmax(0.0, 1.0 - 2.0 * got / (s * span(f)));
        note(rep, "the membrane decay is a linear leak toward v_rest (slope at mid-threshold)");
    }
    add_tau(rep, "tau_m", h, f->tau_m, a_got);
    add_value(rep, "bias", f->bias, b_got);

    double we = s, wi = s;
    if (is_cuba(f)) {
        add_tau(rep, "tau_syn_e", h, f->tau_syn_e, 0.0);
        add_tau(rep, "tau_syn_i", h, f->tau_syn_i, 0.0);
        note(rep, "TrueNorth has no synaptic current: a weight moves v by its PSP's whole charge");
        we = s * charge(f, f->tau_syn_e);
        wi = s * charge(f, f->tau_syn_i);
    }
    finish_weights_scale(rep, we, wi);

    /* threshold: V >= alpha (+1 for a strict threshold); no negative threshold to speak of */
    const double t = nearbyint(s * (f->v_th - f->v_rest));
    const int64_t alpha = round_sat(t + (f->strict ? 1 : 0), 0, MYL_TN_THRESH_MAX, &clip);
    out->alpha = (int32_t)alpha;
    add_voltage(rep, f, "v_th", f->v_th, f->v_rest + (double)(alpha - !!f->strict) / s);
    if (clip)
        note(rep, "v_th outside the 18-bit threshold: clipped");
    out->beta = MYL_TN_THRESH_MAX;
    out->neg_sat = 1;
    out->tmask = 0;

    /* reset to R, or linear (V - alpha), which is myelin's subtract when v_reset = v_rest */
    clip = 0;
    if (f->reset_subtract) {
        out->reset_mode = MYL_TN_RESET_LINEAR;
        add_voltage(rep, f, "v_reset", f->v_reset, f->v_rest);
        if (f->v_reset != f->v_rest)
            note(rep, "linear reset subtracts alpha: v_reset taken as v_rest");
    } else {
        out->reset_mode = MYL_TN_RESET_NORMAL;
        const int64_t r =
            round_sat(s * (f->v_reset - f->v_rest), -MYL_TN_THRESH_MAX, MYL_TN_THRESH_MAX, &clip);
        out->reset = (int32_t)r;
        add_voltage(rep, f, "v_reset", f->v_reset, f->v_rest + (double)r / s);
    }
    add_value(rep, "refractory", f->refractory, 0.0);
    if (f->refractory > 0)
        note(rep, "TrueNorth has no refractory period");
    return 0;
}

/* ---- SpiNNaker ----------------------------------------------------------------------------- */

static int32_t s1615(double x, int *clip)
{
    return (int32_t)round_sat(x * MYL_S1615_ONE, INT32_MIN, INT32_MAX, clip);
}

static uint32_t u032(double x)
{
    int clip = 0;
    return (uint32_t)round_sat(x * 4294967296.0, 0, UINT32_MAX, &clip);
}

double myl_quant_spinnaker_vscale(const myl_qlif *f, double w_max)
{
    (void)w_max;
    if (check(f))
        return 0.0;
    /* a power of two that brings the largest voltage to at most 2^10 (s16.15 holds +-2^16):
     * 2^-15 LSBs of resolution and 64 times the range in reserve for alpha = I*R + V_rest */
    double m = fabs(f->v_rest);
    m = fmax(m, fabs(f->v_th));
    m = fmax(m, fabs(f->v_reset));
    m = fmax(m, span(f));
    int k = (int)floor(log2(1024.0 / m));
    k = k < -30 ? -30 : (k > 30 ? 30 : k);
    return ldexp(1.0, k);
}

/* sPyNNaker's exp_synapse_utils.h decay_and_init: init = (tau/ts) * (1 - decay) as
 * decay_s1615_to_u032(kdivk(tau, ts), 1.0ulr - decay), with 1.0ulr the largest u0.32. */
static uint32_t spinn_init(double tau_over_ts, uint32_t dec)
{
    int clip = 0;
    const uint64_t k = (uint64_t)(uint32_t)s1615(tau_over_ts, &clip);
    const uint64_t x = (k * (uint64_t)(UINT32_MAX - dec)) >> 15;
    return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

int myl_quant_spinnaker(const myl_qlif *f, double v_scale, double w_max, myl_spinnaker_param *out,
                        myl_quant_report *rep)
{
    if (check(f) || check_scale(v_scale) || !out || !rep)
        return MYL_EINVAL;
    const double h = f->dt;
    const double s = v_scale > 0 ? v_scale : myl_quant_spinnaker_vscale(f, w_max);
    int clip = 0;
    rep_init(rep, s * MYL_S1615_ONE, 0.0);
    memset(out, 0, sizeof *out);

    /* voltages in s16.15 as they are (no offset); R = 1, so currents are in membrane units */
    out->v_rest = s1615(s * f->v_rest, &clip);
    out->v_reset = s1615(s * f->v_reset, &clip);
    out->v_thresh = s1615(s * f->v_th, &clip);
    if (f->strict) /* V >= thresh + 1 LSB is V > thresh */
        out->v_thresh = out->v_thresh < INT32_MAX ? out->v_thresh + 1 : out->v_thresh;
    if (clip)
        note(rep, "a voltage outside s16.15 (+-65536): clipped");
    out->r = MYL_S1615_ONE;
    add_voltage(rep, f, "v_th", f->v_th, (out->v_thresh - !!f->strict) / (s * MYL_S1615_ONE));
    add_voltage(rep, f, "v_reset", f->v_reset, out->v_reset / (s * MYL_S1615_ONE));
    if (f->reset_subtract)
        note(rep, "sPyNNaker's LIF resets to V_reset: no subtractive reset");

    clip = 0;
    const double a_m = decay(h, f->tau_m);
    out->exp_tc = s1615(a_m, &clip);
    const double a_q = out->exp_tc / (double)MYL_S1615_ONE;
    add_tau(rep, "tau_m", h, f->tau_m, a_q);
    if (a_q >= 1.0)
        note(rep, "exp(-dt/tau_m) is 1 in s16.15: V = alpha - (alpha - V) never moves");

    /* the bias as I_offset: the steady state V_rest + I_offset * R is v_rest + R*I_bias */
    clip = 0;
    out->i_offset = s1615(s * f->r * f->bias, &clip);
    const double sr = s * f->r;
    add_value(rep, "bias", f->bias, sr != 0 ? out->i_offset / (MYL_S1615_ONE * sr) : f->bias);
    if (isinf(f->tau_m) && f->bias != 0)
        note(rep, "the if model's ramp needs exp_TC < 1: not representable");

    clip = 0;
    out->t_refract = (int32_t)round_sat(f->refractory, 0, INT32_MAX, &clip);
    add_value(rep, "refractory", f->refractory, out->t_refract);

    /* synapses: a current jumps by w * init and moves V by (1 - exp_TC) * I each tick, which
     * myelin's P21 * w must equal */
    const double g = 1.0 - a_q;
    double we = 0, wi = 0;
    if (is_cuba(f)) {
        out->decay_e = u032(decay(h, f->tau_syn_e));
        out->decay_i = u032(decay(h, f->tau_syn_i));
        out->init_e = spinn_init(f->tau_syn_e / h, out->decay_e);
        out->init_i = spinn_init(f->tau_syn_i / h, out->decay_i);
        add_tau(rep, "tau_syn_e", h, f->tau_syn_e, out->decay_e / 4294967296.0);
        add_tau(rep, "tau_syn_i", h, f->tau_syn_i, out->decay_i / 4294967296.0);
        const double ie = out->init_e / 4294967296.0, ii = out->init_i / 4294967296.0;
        if (g > 0 && ie > 0)
            we = s * p21(h, f->tau_m, f->tau_syn_e, f->r) / (ie * g);
        if (g > 0 && ii > 0)
            wi = s * p21(h, f->tau_m, f->tau_syn_i, f->r) / (ii * g);
        note(rep, "input at tick t moves V at t, one tick before myelin's cuba_lif");
    } else {
        out->delta = 1;
        if (g > 0)
            we = wi = s / g;
    }
    finish_weights_scale(rep, we, wi);
    out->shift_e = out->shift_i = 0; /* set from myl_quant_weights_spinnaker */
    return 0;
}

/* ---- ODIN ---------------------------------------------------------------------------------- */

double myl_quant_odin_vscale(const myl_qlif *f, double w_max)
{
    if (check(f))
        return 0.0;
    /* 3-bit weights are the coarse part: the largest at 7, unless v_th would not fit 8 bits */
    const double th = (double)MYL_ODIN_V_MAX / span(f);
    const double fe = fabs(charge(f, f->tau_syn_e)), fi = fabs(charge(f, f->tau_syn_i));
    const double fw = fe > fi ? fe : fi;
    if (!(w_max > 0 && fw > 0))
        return th;
    return fmin(th, (double)MYL_ODIN_W_MAX / (w_max * fw));
}

int myl_quant_odin(const myl_qlif *f, double v_scale, double w_max, myl_odin_param *out,
                   myl_quant_report *rep)
{
    if (check(f) || check_scale(v_scale) || !out || !rep)
        return MYL_EINVAL;
    const double h = f->dt;
    const double s = v_scale > 0 ? v_scale : myl_quant_odin_vscale(f, w_max);
    int clip = 0;
    rep_init(rep, s, f->v_rest);
    memset(out, 0, sizeof *out);

    const double t = nearbyint(s * (f->v_th - f->v_rest));
    const int64_t thr = round_sat(t + (f->strict ? 1 : 0), 0, MYL_ODIN_V_MAX, &clip);
    out->thr = (int32_t)thr;
    add_voltage(rep, f, "v_th", f->v_th, f->v_rest + (double)(thr - !!f->strict) / s);
    if (clip)
        note(rep, "v_th outside the 8-bit threshold: clipped");

    /* leak: leak/period units per tick, matching the decay's slope half-way to threshold */
    const double a_m = decay(h, f->tau_m);
    double a_got = 1.0;
    if (!isinf(f->tau_m)) {
        const double k = s * span(f) / 2.0 * (1.0 - a_m);
        /* leak/period pairs near k: the shortest period within 1 % (or the best pair when
         * none is), so the leak comes in small, frequent steps */
        int64_t bl = 1, bp = 1;
        double best = INFINITY;
        for (int pass = 0; pass < 2; pass++) {
            const double tol = pass ? fmax(best, 0.01 * k) : 0;
            int64_t pmin = INT64_MAX;
            for (int64_t l = 1; l <= MYL_ODIN_LEAK_MAX; l++) {
                clip = 0;
                const int64_t per = round_sat((double)l / k, 1, (int64_t)1 << 24, &clip);
                const double err = fabs((double)l / (double)per - k);
                if (!pass && err < best)
                    best = err;
                if (pass && err <= tol * (1 + 1e-12) && per < pmin) {
                    pmin = per;
                    bl = l;
                    bp = per;
                }
            }
        }
        out->leak = (int32_t)bl;
        out->leak_en = 1;
        out->leak_period = (uint32_t)bp;
        out->leak_phase = 0;
        a_got = fmax(0.0, 1.0 - 2.0 * ((double)bl / (double)bp) / (s * span(f)));
        note(rep, "the membrane decay is a linear leak toward v_rest (slope at mid-threshold)");
    }
    add_tau(rep, "tau_m", h, f->tau_m, a_got);

    add_value(rep, "bias", f->bias, 0.0);
    if (f->bias != 0)
        note(rep, "ODIN has no bias current");
    add_voltage(rep, f, "v_reset", f->v_reset, f->v_rest);
    if (f->v_reset != f->v_rest || f->reset_subtract)
        note(rep, "ODIN resets v to 0 (v_rest)");
    add_value(rep, "refractory", f->refractory, 0.0);
    if (f->refractory > 0)
        note(rep, "ODIN's LIF has no refractory period");

    double we = s, wi = s;
    if (is_cuba(f)) {
        add_tau(rep, "tau_syn_e", h, f->tau_syn_e, 0.0);
        add_tau(rep, "tau_syn_i", h, f->tau_syn_i, 0.0);
        note(rep, "ODIN has no synaptic current: a weight moves v by its PSP's whole charge");
        we = s * charge(f, f->tau_syn_e);
        wi = s * charge(f, f->tau_syn_i);
    }
    finish_weights_scale(rep, we, wi);
    return 0;
}

/* ---- weights ------------------------------------------------------------------------------- */

static int check_weights(const double *w, size_t n, const myl_quant_report *nq, const int32_t *mant,
                         const myl_qweights *out)
{
    if ((n && (!w || !mant)) || !nq || !out)
        return MYL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return MYL_EINVAL;
    return 0;
}

/* the chip weight units w stands for */
static double wtarget(const myl_quant_report *nq, double w)
{
    return w * (w >= 0 ? nq->w_scale_e : nq->w_scale_i);
}

/* what a chip weight of `units` stands for, back in myelin weight units */
static double wback(const myl_quant_report *nq, double units, double w)
{
    const double sc = w >= 0 ? nq->w_scale_e : nq->w_scale_i;
    return sc != 0 ? units / sc : 0.0;
}

static void tally(myl_qweights *out, double w, double got, int clipped, double *wmax)
{
    const double e = fabs(got - w);
    if (e > out->max_err)
        out->max_err = e;
    if (fabs(w) > *wmax)
        *wmax = fabs(w);
    out->nclipped += clipped != 0;
    out->nzeroed += w != 0 && got == 0;
}

static void finish_weights(myl_qweights *out, double wmax)
{
    out->max_rel_err = wmax > 0 ? out->max_err / wmax : 0.0;
}

/* distinct values of small integers -lim..lim */
static uint32_t count_distinct(const int32_t *m, size_t n, int32_t lim)
{
    uint64_t seen[8] = {0}; /* enough for lim <= 255 */
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t b = (uint32_t)(m[i] + lim);
        const uint64_t bit = (uint64_t)1 << (b & 63);
        if (!(seen[b >> 6] & bit)) {
            seen[b >> 6] |= bit;
            k++;
        }
    }
    return k;
}

int myl_quant_weights_loihi(const double *w, size_t n, const myl_quant_report *nq, int fix_exp,
                            int32_t *mant, myl_qweights *out)
{
    if (check_weights(w, n, nq, mant, out))
        return MYL_EINVAL;
    const int32_t fixed = out->exp;
    double tpos = 0, tneg = 0, wmax = 0;
    int any_pos = 0, any_neg = 0;
    for (size_t i = 0; i < n; i++) {
        const double t = wtarget(nq, w[i]);
        any_pos |= t > 0;
        any_neg |= t < 0;
        tpos = fmax(tpos, t);
        tneg = fmin(tneg, t);
    }
    memset(out, 0, sizeof *out);
    out->sign_mode = any_pos && any_neg ? MYL_LOIHI_MIXED
                     : any_neg          ? MYL_LOIHI_INHIBITORY
                                        : MYL_LOIHI_EXCITATORY;
    /* mixed weights spend one of their 8 bits on the sign: even values -256..254 */
    const int64_t step = out->sign_mode == MYL_LOIHI_MIXED ? 2 : 1;
    const int64_t lo = out->sign_mode == MYL_LOIHI_MIXED        ? -256
                       : out->sign_mode == MYL_LOIHI_INHIBITORY ? -255
                                                                : 0;
    const int64_t hi = out->sign_mode == MYL_LOIHI_MIXED        ? 254
                       : out->sign_mode == MYL_LOIHI_EXCITATORY ? 255
                                                                : 0;
    int e = 0;
    if (fix_exp) {
        e = fixed < 0 ? 0 : (fixed > 7 ? 7 : fixed);
    } else {
        /* the smallest exponent at which the extremes still round into range */
        for (e = 0; e < 7; e++) {
            const double sc = (double)step * (double)(1 << e);
            if (nearbyint(tpos / sc) * (double)step <= (double)hi &&
                nearbyint(tneg / sc) * (double)step >= (double)lo)
                break;
        }
    }
    out->exp = e;
    const double unit = (double)(1 << e);
    for (size_t i = 0; i < n; i++) {
        int clipped = 0;
        const int64_t q =
            round_sat(wtarget(nq, w[i]) / (unit * (double)step), lo / step, hi / step, &clipped);
        mant[i] = (int32_t)(q * step);
        tally(out, w[i], wback(nq, (double)mant[i] * unit, w[i]), clipped, &wmax);
    }
    finish_weights(out, wmax);
    out->ndistinct = count_distinct(mant, n, 256);
    return 0;
}

int myl_quant_weights_truenorth(const double *w, size_t n, const myl_quant_report *nq,
                                int32_t *mant, myl_qweights *out)
{
    if (check_weights(w, n, nq, mant, out))
        return MYL_EINVAL;
    double wmax = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int clipped = 0;
        mant[i] =
            (int32_t)round_sat(wtarget(nq, w[i]), -MYL_TN_WEIGHT_MAX, MYL_TN_WEIGHT_MAX, &clipped);
        tally(out, w[i], wback(nq, mant[i], w[i]), clipped, &wmax);
    }
    finish_weights(out, wmax);
    out->ndistinct = count_distinct(mant, n, MYL_TN_WEIGHT_MAX);
    return 0;
}

int myl_quant_weights_odin(const double *w, size_t n, const myl_quant_report *nq, int32_t *mant,
                           myl_qweights *out)
{
    if (check_weights(w, n, nq, mant, out))
        return MYL_EINVAL;
    double wmax = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int clipped = 0;
        mant[i] = (int32_t)round_sat(wtarget(nq, w[i]), -MYL_ODIN_W_MAX, MYL_ODIN_W_MAX, &clipped);
        tally(out, w[i], wback(nq, mant[i], w[i]), clipped, &wmax);
    }
    finish_weights(out, wmax);
    out->ndistinct = count_distinct(mant, n, MYL_ODIN_W_MAX);
    return 0;
}

/* the smallest left shift (0..16) at which t (an s16.15 value) fits 16 bits */
static int spinn_shift(double t)
{
    int k;
    for (k = 0; k < 16; k++)
        if (nearbyint(ldexp(t, 15 - k)) <= MYL_SPINN_RING_MAX)
            break;
    return k;
}

int myl_quant_weights_spinnaker(const double *w, size_t n, const myl_quant_report *nq, int fix_exp,
                                int32_t *mant, myl_qweights *out)
{
    if (check_weights(w, n, nq, mant, out))
        return MYL_EINVAL;
    const int32_t fe = out->exp, fi = out->exp_i;
    double te = 0, ti = 0, wmax = 0;
    for (size_t i = 0; i < n; i++) {
        const double t = fabs(wtarget(nq, w[i]));
        if (w[i] >= 0)
            te = fmax(te, t);
        else
            ti = fmax(ti, t);
    }
    memset(out, 0, sizeof *out);
    if (fix_exp) {
        out->exp = fe < 0 ? 0 : (fe > 16 ? 16 : fe);
        out->exp_i = fi < 0 ? 0 : (fi > 16 ? 16 : fi);
    } else {
        out->exp = spinn_shift(te);
        out->exp_i = spinn_shift(ti);
    }
    for (size_t i = 0; i < n; i++) {
        int clipped = 0;
        const int k = w[i] >= 0 ? out->exp : out->exp_i;
        const int64_t q =
            round_sat(ldexp(fabs(wtarget(nq, w[i])), 15 - k), 0, MYL_SPINN_RING_MAX, &clipped);
        mant[i] = (int32_t)(w[i] >= 0 ? q : -q);
        const double units = ldexp((double)q, k - 15) * (w[i] >= 0 ? 1 : -1);
        tally(out, w[i], wback(nq, units, w[i]), clipped, &wmax);
    }
    finish_weights(out, wmax);
    return 0;
}
