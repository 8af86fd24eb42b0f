/* Tests for the network-file reader (sim/io/netfile.c), against docs/network-format.md.
 *
 * Each documented construct is parsed and checked through the public API (sizes, models,
 * projections, run settings) and, where that API says nothing, through what the network makes:
 * the synapses myl_net_proj_generate() emits (weights and delays in generation order), a short
 * simulation (refractory periods and regular periods as the engines see them), and, for
 * population parameters, which no public call returns, the network's internal view
 * (sim/core/net_internal.h), read only. Bad input is a table: each entry marks the offending
 * node with '@' (removed before parsing), and the test requires the return code and a message
 * that starts with "bad.yaml:LINE:COLUMN: " for that node and names the offending key or value.
 * Errors that only generation can find (an in-degree larger than the sources available, a rate
 * over 64 events per tick) are checked through myl_net_compile(). Then: allocation failure at
 * every allocation the reader makes, the example and benchmark networks (the two Brunel networks,
 * 15.6 million synapses each, are only parsed under the sanitizers), and regression inputs found
 * by fuzzing (tests/data/net/crash-*.yaml).
 *
 * Tables are one test each that checks every row and reports every failing row (on stderr and in
 * the failure message): a test per row would fork per row, which LeakSanitizer makes slow. The
 * .npy fixtures come from tests/data/net/gen.py. */
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/cnet.h"
#include "myelin/net.h"
#include "myelin/netfile.h"
#include "myelin/npy.h"
#include "myelin/sim.h"
#include "sim/core/net_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const char *datadir(void)
{
    static char dir[4096];
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s", myl_test_src("tests/data/net"));
    return dir;
}

static myl_netfile *parse_named(const char *text, const char *name)
{
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_parse(text, strlen(text), name, datadir(), &nf, &d);
    ck_assert_msg(rc == 0, "parse failed: %s: %s\n--- input ---\n%s", myl_err_name(rc),
                  d.set ? d.msg : "(no message)", text);
    ck_assert_ptr_nonnull(nf);
    ck_assert_ptr_nonnull(nf->net);
    return nf;
}

static myl_netfile *parse_ok(const char *text)
{
    return parse_named(text, "good.yaml");
}

/* Rows of a table that failed. A table is one test that reports every failing row (on stderr
 * and in the failure message), because a test per row forks once per row, which costs a tenth
 * of a second each under LeakSanitizer. */
typedef struct fails {
    int n;
    char text[3000];
} fails;

static void fail_row(fails *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void fail_row(fails *f, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  FAILED ROW: %s\n", line);
    size_t len = strlen(f->text);
    snprintf(f->text + len, sizeof f->text - len, "\n  %s", line);
    f->n++;
}

#define ck_rows(f, nrows)                                                                          \
    ck_assert_msg((f).n == 0, "%d of %d rows failed:%s", (f).n, (int)(nrows), (f).text)

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* Parse without asserting: 0 and *out, or the code with a message in d. */
static int try_parse(const char *text, const char *name, myl_netfile **out, myl_diag *d)
{
    *out = NULL;
    myl_diag_clear(d);
    return myl_netfile_parse(text, strlen(text), name, datadir(), out, d);
}

static int near(double a, double b)
{
    double m = fabs(b) > 1 ? fabs(b) : 1;
    return fabs(a - b) <= 1e-12 * m;
}

#define ck_near(a, b)                                                                              \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        ck_assert_msg(near(a_, b_), "%s is %.17g, expected %.17g", #a, a_, b_);                    \
    } while (0)

static uint32_t pop_id(const myl_netfile *nf, const char *name)
{
    uint32_t id = UINT32_MAX;
    ck_assert_msg(myl_net_find_pop(nf->net, name, &id) == 0, "no population '%s'", name);
    return id;
}

static const myl__pop *pop_of(const myl_netfile *nf, const char *name)
{
    return &nf->net->pops[pop_id(nf, name)];
}

static const myl_values *param(const myl_netfile *nf, const char *pop, myl_param p)
{
    return &pop_of(nf, pop)->param[p];
}

/* Element i of an array-valued parameter. */
static double elem(const myl_values *v, size_t i)
{
    ck_assert_int_eq(v->dist, MYL_DIST_ARRAY);
    ck_assert_uint_lt(i, v->n);
    return v->f32 ? (double)v->f32[i] : v->f64[i];
}

static void ck_const(const myl_netfile *nf, const char *pop, myl_param p, double want)
{
    const myl_values *v = param(nf, pop, p);
    ck_assert_msg(v->dist == MYL_DIST_CONST, "%s.%s is not a constant", pop, myl_param_name(p));
    ck_assert_msg(near(v->a, want), "%s.%s is %.17g, expected %.17g", pop, myl_param_name(p), v->a,
                  want);
}

static void ck_array(const myl_netfile *nf, const char *pop, myl_param p, const double *want,
                     size_t n)
{
    const myl_values *v = param(nf, pop, p);
    ck_assert_msg(v->dist == MYL_DIST_ARRAY, "%s.%s is not an array", pop, myl_param_name(p));
    ck_assert_uint_eq(v->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(near(elem(v, i), want[i]), "%s.%s[%zu] is %.17g, expected %.17g", pop,
                      myl_param_name(p), i, elem(v, i), want[i]);
}

static uint32_t proj_id(const myl_netfile *nf, const char *name)
{
    for (uint32_t i = 0; i < myl_net_nprojs(nf->net); i++) {
        const myl_proj_desc *D = myl_net_proj(nf->net, i);
        if (D->name && strcmp(D->name, name) == 0)
            return i;
    }
    ck_abort_msg("no projection '%s'", name);
    return UINT32_MAX;
}

/* Synapses of one projection, in generation order. */
#define MAXSYN 4096
typedef struct synlist {
    myl_syn s[MAXSYN];
    size_t n;
} synlist;
static synlist g_syn;

static int collect(void *ctx, const myl_syn *s)
{
    synlist *l = ctx;
    ck_assert_uint_lt(l->n, MAXSYN);
    l->s[l->n++] = *s;
    return 0;
}

static const synlist *gen(const myl_netfile *nf, const char *proj)
{
    g_syn.n = 0;
    myl_diag d = {0};
    int rc = myl_net_proj_generate(nf->net, proj_id(nf, proj), myl_net_seed(nf->net), collect,
                                   &g_syn, &d);
    ck_assert_msg(rc == 0, "generating %s: %s: %s", proj, myl_err_name(rc), d.msg);
    return &g_syn;
}

static void ck_syn(const synlist *l, size_t k, uint32_t pre, uint32_t post, double w,
                   uint32_t delay)
{
    ck_assert_uint_lt(k, l->n);
    const myl_syn *s = &l->s[k];
    ck_assert_msg(s->pre == pre && s->post == post && s->w == (float)w && s->delay == delay,
                  "synapse %zu is (%u -> %u, w %g, delay %u), expected (%u -> %u, w %g, delay %u)",
                  k, s->pre, s->post, (double)s->w, s->delay, pre, post, w, delay);
}

static myl_cnet *compile_ok(const myl_netfile *nf)
{
    myl_compile_opts o = {.seed = myl_net_seed(nf->net), .mem_limit = 1ull << 30};
    myl_cnet *c = NULL;
    myl_diag d = {0};
    int rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
    ck_assert_msg(rc == 0, "compile: %s: %s", myl_err_name(rc), d.msg);
    return c;
}

/* Run text with the event engine for nticks and return the ticks at which global neuron gid
 * spiked (at most max of them) in out; the count is the return value. */
static size_t spike_ticks(const char *text, uint32_t gid, uint64_t nticks, uint64_t *out,
                          size_t max)
{
    myl_netfile *nf = parse_ok(text);
    myl_cnet *c = compile_ok(nf);
    myl_sim *s = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    size_t n = 0;
    for (uint64_t t = 0; t < nticks; t++) {
        myl_tick_report r;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        for (uint32_t k = 0; k < r.nspiking; k++)
            if (r.spike[k] == gid && n < max)
                out[n++] = r.tick;
    }
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_netfile_free(nf);
    return n;
}

/* ---- run settings ---- */

START_TEST(run_defaults)
{
    const char *text = "populations: [{name: a, size: 1, model: lif}]\n";
    myl_netfile *nf = parse_named(text, "some/dir/my.net.yaml");
    ck_assert(myl_net_dt(nf->net) == 1e-3);
    ck_assert_uint_eq(myl_net_ticks(nf->net), 1000);
    ck_assert_uint_eq(myl_net_seed(nf->net), 1);
    ck_assert_int_eq(nf->has_duration, 0);
    ck_assert_str_eq(nf->path, "some/dir/my.net.yaml");
    ck_assert_str_eq(nf->name, "my.net"); /* the file name without its extension */
    ck_assert_ptr_null(nf->description);
    ck_assert_str_eq(nf->sha256,
                     "4f8361eaa75dceebc200ecb902d856cb288eff171b1635ce0b988efa3b1a9e45");
    ck_assert_uint_eq(myl_net_npops(nf->net), 1);
    ck_assert_uint_eq(myl_net_nprojs(nf->net), 0);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(run_settings)
{
    const char *text = "myelin: 1\n"
                       "name: balanced\n"
                       "description: two populations and their drive\n"
                       "run:\n"
                       "  dt: 0.1 ms\n"
                       "  duration: 1 s\n"
                       "  seed: 42\n"
                       "populations:\n"
                       "  - {name: a, size: 1, model: lif}\n"
                       "projections: []\n";
    myl_netfile *nf = parse_ok(text);
    ck_near(myl_net_dt(nf->net), 1e-4);
    ck_assert_uint_eq(myl_net_ticks(nf->net), 10000);
    ck_assert_uint_eq(myl_net_seed(nf->net), 42);
    ck_assert_int_eq(nf->has_duration, 1);
    ck_assert_str_eq(nf->name, "balanced");
    ck_assert_str_eq(nf->description, "two populations and their drive");
    ck_assert_str_eq(nf->path, "good.yaml");
    ck_assert_uint_eq(strlen(nf->sha256), 64);
    myl_netfile_free(nf);
}
END_TEST

static const struct {
    const char *text;
    double seconds;
} g_dt[] = {
    {"0.5 ms", 5e-4},        {"0.0005", 5e-4}, {"1 s", 1.0},    {"100 us", 1e-4},
    {"100 \xc2\xb5s", 1e-4}, /* µ, micro sign */
    {"100 \xce\xbcs", 1e-4}, /* μ, Greek mu */
    {"50000 ns", 5e-5},      {"2e-4 s", 2e-4}, {"0.1ms", 1e-4}, {"1e-3", 1e-3},
};

START_TEST(run_dt_units)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_dt); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "run: {dt: %s}\npopulations: [{name: a, size: 1, model: lif}]\n", g_dt[i].text);
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(text, "good.yaml", &nf, &d))
            fail_row(&f, "dt %s: %s", g_dt[i].text, d.msg);
        else if (!near(myl_net_dt(nf->net), g_dt[i].seconds))
            fail_row(&f, "dt %s is %.17g s, expected %g", g_dt[i].text, myl_net_dt(nf->net),
                     g_dt[i].seconds);
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_dt));
}
END_TEST

/* Durations: ticks must be whole; times are rounded to the nearest tick (halves away from zero)
 * after snapping values within 1e-9 of a whole number. */
static const struct {
    const char *dt, *duration;
    uint64_t ticks;
} g_duration[] = {
    {"0.1 ms", "2500", 2500},
    {"0.1 ms", "1 s", 10000},
    {"0.1 ms", "2.5 ms", 25},
    {"0.1 ms", "0.3 ms", 3},
    {"0.1 ms", "0.7 ms", 7},
    {"0.1 ms", "0.14 ms", 1},
    {"0.1 ms", "0.15 ms", 2},
    {"0.1 ms", "0.25 ms", 3},
    {"0.1 ms", "0.05 ms", 1},
    {"0.1 ms", "0.04 ms", 0},
    {"1 ms", "250 ticks", 250},
    {"1 ms", "1e4", 10000},
    {"1 ms", "0", 0},
    {"25 us", "1 ms", 40},
    {"1 ms", "1.5 s", 1500},
    {"0.1 ms", "1 tick", 1},
    {"1 ms", "18446744073709551615", UINT64_MAX},
};

START_TEST(run_duration)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_duration); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "run: {dt: %s, duration: %s}\npopulations: [{name: a, size: 1, model: lif}]\n",
                 g_duration[i].dt, g_duration[i].duration);
        myl_netfile *nf;
        myl_diag d;
        int rc = try_parse(text, "good.yaml", &nf, &d);
        if (rc && g_duration[i].ticks == UINT64_MAX && rc == MYL_ERANGE &&
            strstr(d.msg, "duration")) {
            /* more ticks than anything can run: an error is fine, a wrong number is not */
        } else if (rc) {
            fail_row(&f, "duration %s at dt %s: %s", g_duration[i].duration, g_duration[i].dt,
                     d.msg);
        } else if (myl_net_ticks(nf->net) != g_duration[i].ticks || !nf->has_duration) {
            fail_row(&f, "duration %s at dt %s is %llu ticks, expected %llu",
                     g_duration[i].duration, g_duration[i].dt,
                     (unsigned long long)myl_net_ticks(nf->net),
                     (unsigned long long)g_duration[i].ticks);
        }
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_duration));
}
END_TEST

static const struct {
    const char *text;
    uint64_t seed;
} g_seed[] = {
    {"0", 0},
    {"42", 42},
    {"9007199254740993", 9007199254740993ull}, /* 2^53 + 1: not a double */
    {"12345678901234567890", 12345678901234567890ull},
    {"18446744073709551615", UINT64_MAX},
};

START_TEST(run_seed)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_seed); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "run: {seed: %s}\npopulations: [{name: a, size: 1, model: lif}]\n",
                 g_seed[i].text);
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(text, "good.yaml", &nf, &d))
            fail_row(&f, "seed %s: %s", g_seed[i].text, d.msg);
        else if (myl_net_seed(nf->net) != g_seed[i].seed)
            fail_row(&f, "seed %s read as %llu", g_seed[i].text,
                     (unsigned long long)myl_net_seed(nf->net));
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_seed));
}
END_TEST

/* ---- neuron models ---- */

START_TEST(neuron_lif_every_param)
{
    const char *text = "run: {dt: 0.1 ms}\n"
                       "populations:\n"
                       "  - name: a\n"
                       "    size: 3\n"
                       "    model: lif\n"
                       "    tau_m: 10 ms\n"
                       "    v_rest: -65 mV\n"
                       "    v_th: [-50, -51 mV, -52]\n"
                       "    v_reset: -70\n"
                       "    reset: subtract\n"
                       "    refractory: 2 ms\n"
                       "    bias: 0.5\n"
                       "    r: 2\n"
                       "    v_init: {dist: uniform, low: -70, high: -60}\n"
                       "    strict_threshold: true\n"
                       "    record_v: true\n"
                       "    input_rate: 8 kHz\n"
                       "    input_weight: 0.2\n"
                       "  - {name: b, size: 2, model: lif}\n";
    myl_netfile *nf = parse_ok(text);
    ck_assert_int_eq(myl_net_pop_model(nf->net, pop_id(nf, "a")), MYL_MODEL_LIF);
    ck_assert_uint_eq(myl_net_pop_size(nf->net, pop_id(nf, "a")), 3);
    ck_const(nf, "a", MYL_P_TAU_M, 10e-3);
    ck_const(nf, "a", MYL_P_V_REST, -65);
    const double vth[] = {-50, -51, -52};
    ck_array(nf, "a", MYL_P_V_TH, vth, 3);
    ck_const(nf, "a", MYL_P_V_RESET, -70);
    ck_const(nf, "a", MYL_P_REFRACTORY, 20); /* ticks */
    ck_const(nf, "a", MYL_P_BIAS, 0.5);
    ck_const(nf, "a", MYL_P_R, 2);
    const myl_values *vi = param(nf, "a", MYL_P_V_INIT);
    ck_assert_int_eq(vi->dist, MYL_DIST_UNIFORM);
    ck_assert(vi->a == -70 && vi->b == -60 && !vi->integer);
    ck_const(nf, "a", MYL_P_INPUT_RATE, 8000);
    ck_const(nf, "a", MYL_P_INPUT_WEIGHT, 0.2);
    const myl__pop *a = pop_of(nf, "a");
    ck_assert_int_eq(a->reset, MYL_RESET_SUBTRACT);
    ck_assert_int_eq(a->strict, 1);
    ck_assert_int_eq(a->record_v, 1);

    /* the documented defaults */
    ck_const(nf, "b", MYL_P_TAU_M, 20e-3);
    ck_const(nf, "b", MYL_P_V_REST, 0);
    ck_const(nf, "b", MYL_P_V_TH, 1);
    ck_const(nf, "b", MYL_P_V_RESET, 0);
    ck_const(nf, "b", MYL_P_REFRACTORY, 0);
    ck_const(nf, "b", MYL_P_BIAS, 0);
    ck_const(nf, "b", MYL_P_R, 1);
    const myl__pop *b = pop_of(nf, "b");
    ck_assert_int_eq(b->param_set[MYL_P_V_INIT], 0); /* v_init defaults to v_rest */
    ck_assert_int_eq(b->reset, MYL_RESET_TO);
    ck_assert_int_eq(b->strict, 0);
    ck_assert_int_eq(b->record_v, 0);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(neuron_cuba_lif)
{
    const char *text = "populations:\n"
                       "  - {name: a, size: 2, model: cuba_lif, tau_m: 10 ms, tau_syn_e: 5 ms,\n"
                       "     tau_syn_i: 10 ms, v_leak: -49, reset: to_reset, strict_threshold: "
                       "false, record_v: false}\n"
                       "  - {name: b, size: 2, model: cuba_lif, tau_syn: 3 ms}\n"
                       "  - {name: c, size: 2, model: cuba_lif}\n";
    myl_netfile *nf = parse_ok(text);
    ck_assert_int_eq(myl_net_pop_model(nf->net, pop_id(nf, "a")), MYL_MODEL_CUBA_LIF);
    ck_const(nf, "a", MYL_P_TAU_M, 10e-3);
    ck_const(nf, "a", MYL_P_TAU_SYN_E, 5e-3);
    ck_const(nf, "a", MYL_P_TAU_SYN_I, 10e-3);
    ck_const(nf, "a", MYL_P_V_REST, -49); /* v_leak is v_rest */
    ck_assert_int_eq(pop_of(nf, "a")->reset, MYL_RESET_TO);
    ck_assert_int_eq(pop_of(nf, "a")->strict, 0);
    ck_assert_int_eq(pop_of(nf, "a")->record_v, 0);
    /* tau_syn sets both */
    ck_const(nf, "b", MYL_P_TAU_SYN_E, 3e-3);
    ck_const(nf, "b", MYL_P_TAU_SYN_I, 3e-3);
    /* defaults: 5 ms */
    ck_const(nf, "c", MYL_P_TAU_SYN_E, 5e-3);
    ck_const(nf, "c", MYL_P_TAU_SYN_I, 5e-3);
    ck_const(nf, "c", MYL_P_TAU_M, 20e-3);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(neuron_if_li)
{
    const char *text = "populations:\n"
                       "  - {name: i, size: 2, model: if, v_th: 5, v_reset: -1, bias: 3, r: 0.5,\n"
                       "     refractory: 4, v_init: [1, 2], reset: subtract}\n"
                       "  - {name: l, size: 2, model: li, tau_m: 30 ms, tau_syn_e: 2 ms,\n"
                       "     tau_syn_i: 4 ms, v_rest: -1, bias: 2, r: 3, v_init: 0.5,\n"
                       "     input_rate: 100 Hz, input_weight: 1}\n"
                       "  - {name: l0, size: 1, model: li, tau_syn: 1 ms}\n";
    myl_netfile *nf = parse_ok(text);
    ck_assert_int_eq(myl_net_pop_model(nf->net, pop_id(nf, "i")), MYL_MODEL_IF);
    ck_const(nf, "i", MYL_P_V_TH, 5);
    ck_const(nf, "i", MYL_P_V_RESET, -1);
    ck_const(nf, "i", MYL_P_BIAS, 3);
    ck_const(nf, "i", MYL_P_R, 0.5);
    ck_const(nf, "i", MYL_P_REFRACTORY, 4);
    const double vi[] = {1, 2};
    ck_array(nf, "i", MYL_P_V_INIT, vi, 2);
    ck_assert_int_eq(pop_of(nf, "i")->reset, MYL_RESET_SUBTRACT);

    ck_assert_int_eq(myl_net_pop_model(nf->net, pop_id(nf, "l")), MYL_MODEL_LI);
    ck_const(nf, "l", MYL_P_TAU_M, 30e-3);
    ck_const(nf, "l", MYL_P_TAU_SYN_E, 2e-3);
    ck_const(nf, "l", MYL_P_TAU_SYN_I, 4e-3);
    ck_const(nf, "l", MYL_P_V_REST, -1);
    ck_const(nf, "l", MYL_P_BIAS, 2);
    ck_const(nf, "l", MYL_P_R, 3);
    ck_const(nf, "l", MYL_P_V_INIT, 0.5);
    ck_const(nf, "l", MYL_P_INPUT_RATE, 100);
    ck_const(nf, "l", MYL_P_INPUT_WEIGHT, 1);
    ck_assert_int_eq(pop_of(nf, "l")->record_v, 1); /* li: membrane recorded */
    ck_const(nf, "l0", MYL_P_TAU_SYN_E, 1e-3);
    ck_const(nf, "l0", MYL_P_TAU_SYN_I, 1e-3);
    myl_netfile_free(nf);
}
END_TEST

/* "The spiking models take v_rest (alias v_leak), v_th, v_reset, reset, refractory, bias, r,
 * v_init, strict_threshold, record_v, and input_rate / input_weight" (li, which never spikes,
 * has no threshold, reset or refractory period: see li_params). */
static const char *const g_models_neuron[] = {"lif", "cuba_lif", "if"};

START_TEST(li_params)
{
    /* li takes the membrane and input parameters, and no threshold, reset or refractoriness */
    myl_netfile *nf;
    myl_diag d;
    ck_assert_msg(try_parse("populations:\n"
                            "  - {name: a, size: 2, model: li, tau_m: 5 ms, tau_syn: 2 ms, "
                            "v_rest: 1, bias: 3, r: 2, v_init: 0.5, record_v: true}\n",
                            "good.yaml", &nf, &d) == 0,
                  "%s", d.msg);
    ck_assert(param(nf, "a", MYL_P_TAU_SYN_E)->a == 2e-3 && param(nf, "a", MYL_P_BIAS)->a == 3);
    myl_netfile_free(nf);
    static const char *const no[] = {"v_th: 1", "v_reset: 0", "refractory: 2",
                                     "reset: subtract", "strict_threshold: true"};
    for (size_t i = 0; i < NROWS(no); i++) {
        char text[256];
        snprintf(text, sizeof text, "populations:\n  - {name: a, size: 2, model: li, %s}\n",
                 no[i]);
        ck_assert_int_eq(try_parse(text, "bad.yaml", &nf, &d), MYL_EPARSE);
        ck_assert_ptr_nonnull(strstr(d.msg, "unknown key"));
    }
}
END_TEST

START_TEST(neuron_common_params)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_models_neuron); i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "populations:\n"
                 "  - {name: a, size: 2, model: %s, v_leak: 1, v_th: 3, v_reset: 0.5, reset: "
                 "subtract,\n"
                 "     refractory: 2, bias: 0.25, r: 4, v_init: 2, strict_threshold: true,\n"
                 "     record_v: true, input_rate: 5 Hz, input_weight: 0.5}\n",
                 g_models_neuron[i]);
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(text, "good.yaml", &nf, &d)) {
            fail_row(&f, "model %s: %s", g_models_neuron[i], d.msg);
            continue;
        }
        const myl_values *v = param(nf, "a", MYL_P_V_REST);
        if (v->a != 1 || param(nf, "a", MYL_P_BIAS)->a != 0.25 || param(nf, "a", MYL_P_R)->a != 4 ||
            param(nf, "a", MYL_P_V_INIT)->a != 2 || param(nf, "a", MYL_P_INPUT_RATE)->a != 5 ||
            param(nf, "a", MYL_P_INPUT_WEIGHT)->a != 0.5 || !pop_of(nf, "a")->record_v)
            fail_row(&f, "model %s: a parameter was not set", g_models_neuron[i]);
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_models_neuron));
}
END_TEST

START_TEST(neuron_numbering)
{
    const char *text = "populations:\n"
                       "  - {name: e, size: 5, model: lif}\n"
                       "  - {name: p, size: 2, model: poisson, rate: 1}\n"
                       "  - {name: i, size: 3, model: cuba_lif}\n"
                       "  - {name: r, size: 1, model: regular, period: 3}\n"
                       "  - {name: t, size: 4, model: spike_times, times: [[], [], [], []]}\n"
                       "  - {name: f, size: 6, model: if}\n"
                       "  - {name: l, size: 7, model: li}\n";
    myl_netfile *nf = parse_ok(text);
    static const struct {
        const char *name;
        myl_model m;
        uint32_t size;
        uint64_t first;
    } want[] = {{"e", MYL_MODEL_LIF, 5, 0},          {"p", MYL_MODEL_POISSON, 2, 5},
                {"i", MYL_MODEL_CUBA_LIF, 3, 7},     {"r", MYL_MODEL_REGULAR, 1, 10},
                {"t", MYL_MODEL_SPIKE_TIMES, 4, 11}, {"f", MYL_MODEL_IF, 6, 15},
                {"l", MYL_MODEL_LI, 7, 21}};
    ck_assert_uint_eq(myl_net_npops(nf->net), 7);
    ck_assert_uint_eq(myl_net_nneurons(nf->net), 28);
    for (uint32_t k = 0; k < 7; k++) {
        ck_assert_str_eq(myl_net_pop_name(nf->net, k), want[k].name);
        ck_assert_int_eq(myl_net_pop_model(nf->net, k), want[k].m);
        ck_assert_uint_eq(myl_net_pop_size(nf->net, k), want[k].size);
        ck_assert_uint_eq(myl_net_pop_first(nf->net, k), want[k].first);
    }
    myl_netfile_free(nf);
}
END_TEST

/* ---- value forms ---- */

START_TEST(values_forms)
{
    const char *text =
        "populations:\n"
        "  - name: a\n"
        "    size: 3\n"
        "    model: lif\n"
        "    v_th: 20\n"
        "    v_reset: [1, 2.5, -3e-1]\n"
        "    v_rest: {dist: uniform, low: -2, high: 4}\n"
        "    v_init: {dist: normal, mean: -55, std: 2, low: -60, high: -50}\n"
        "    bias: {dist: normal, mean: 1, std: 0.5}\n"
        "    tau_m: {npy: tau_ms_f8_3.npy, unit: ms}\n"
        "    r: {npy: vth_i4_3.npy}\n"
        "    input_weight: {dist: normal, mean: 0, std: 0}\n"
        "  - {name: b, size: 3, model: lif, tau_m: [10 ms, 0.02, 30000 us], v_th: {npy: "
        "vth_i4_3.npy}}\n"
        "  - {name: c, size: 1, model: lif, tau_m: {dist: uniform, low: 10 ms, high: 20 ms},\n"
        "     v_init: [7], refractory: {dist: uniform, low: 1, high: 3}}\n";
    myl_netfile *nf = parse_ok(text);
    ck_const(nf, "a", MYL_P_V_TH, 20);
    const double vr[] = {1, 2.5, -0.3};
    ck_array(nf, "a", MYL_P_V_RESET, vr, 3);
    const myl_values *v = param(nf, "a", MYL_P_V_REST);
    ck_assert_int_eq(v->dist, MYL_DIST_UNIFORM);
    ck_assert(v->a == -2 && v->b == 4);
    v = param(nf, "a", MYL_P_V_INIT);
    ck_assert_int_eq(v->dist, MYL_DIST_NORMAL);
    ck_assert(v->a == -55 && v->b == 2 && v->lo == -60 && v->hi == -50);
    v = param(nf, "a", MYL_P_BIAS);
    ck_assert_int_eq(v->dist, MYL_DIST_NORMAL);
    ck_assert(v->a == 1 && v->b == 0.5 && v->lo == -INFINITY && v->hi == INFINITY);
    const double tau[] = {10e-3, 20e-3, 30e-3};
    ck_array(nf, "a", MYL_P_TAU_M, tau, 3);
    const double r[] = {18, 19, 20};
    ck_array(nf, "a", MYL_P_R, r, 3);
    v = param(nf, "a", MYL_P_INPUT_WEIGHT);
    ck_assert(v->dist == MYL_DIST_NORMAL && v->b == 0);
    ck_array(nf, "b", MYL_P_TAU_M, tau, 3);
    ck_array(nf, "b", MYL_P_V_TH, r, 3);
    v = param(nf, "c", MYL_P_TAU_M);
    ck_assert_int_eq(v->dist, MYL_DIST_UNIFORM);
    ck_near(v->a, 10e-3);
    ck_near(v->b, 20e-3);
    const double seven[] = {7};
    ck_array(nf, "c", MYL_P_V_INIT, seven, 1);
    v = param(nf, "c", MYL_P_REFRACTORY);
    ck_assert_int_eq(v->dist, MYL_DIST_UNIFORM);
    ck_assert(v->a == 1 && v->b == 3);
    myl_netfile_free(nf);
}
END_TEST

/* "voltages, weights, bias: mV is accepted and ignored" - also as the unit of an array file */
START_TEST(values_npy_unit_mV)
{
    const char *text = "populations:\n"
                       "  - {name: a, size: 3, model: lif, v_th: {npy: vth_i4_3.npy, unit: mV}}\n"
                       "projections:\n"
                       "  - {name: p, from: a, to: a, rule: one_to_one, weight: {npy: w_f8_3.npy, "
                       "unit: mV}}\n";
    myl_netfile *nf = parse_ok(text);
    const double vth[] = {18, 19, 20};
    ck_array(nf, "a", MYL_P_V_TH, vth, 3);
    const synlist *l = gen(nf, "p");
    ck_syn(l, 1, 1, 1, -1.25, 1);
    myl_netfile_free(nf);
}
END_TEST

/* ---- units ---- */

static const struct {
    const char *key, *model, *text;
    myl_param p;
    double want;
} g_units[] = {
    {"tau_m", "lif", "20 ms", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "0.02", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "0.02 s", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "20000 us", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "20000 \xc2\xb5s", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "20000 \xce\xbcs", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "2e7 ns", MYL_P_TAU_M, 20e-3},
    {"tau_m", "lif", "20ms", MYL_P_TAU_M, 20e-3},
    {"tau_syn_e", "cuba_lif", "500 us", MYL_P_TAU_SYN_E, 0.5e-3},
    {"tau_syn_i", "cuba_lif", "7 ms", MYL_P_TAU_SYN_I, 7e-3},
    {"v_th", "lif", "-50 mV", MYL_P_V_TH, -50},
    {"v_th", "lif", "-50mV", MYL_P_V_TH, -50},
    {"v_rest", "lif", "-65", MYL_P_V_REST, -65},
    {"v_reset", "lif", "1.5 mV", MYL_P_V_RESET, 1.5},
    {"bias", "lif", "2 mV", MYL_P_BIAS, 2},
    {"input_weight", "lif", "0.25 mV", MYL_P_INPUT_WEIGHT, 0.25},
    {"refractory", "lif", "20", MYL_P_REFRACTORY, 20},
    {"refractory", "lif", "20 ticks", MYL_P_REFRACTORY, 20},
    {"refractory", "lif", "1 tick", MYL_P_REFRACTORY, 1},
    {"refractory", "lif", "2 ms", MYL_P_REFRACTORY, 20},
    {"refractory", "lif", "200 us", MYL_P_REFRACTORY, 2},
    {"input_rate", "lif", "8 kHz", MYL_P_INPUT_RATE, 8000},
    {"input_rate", "lif", "15", MYL_P_INPUT_RATE, 15},
    {"rate", "poisson", "20 Hz", MYL_P_RATE, 20},
    {"rate", "poisson", "2 kHz", MYL_P_RATE, 2000},
    {"rate", "poisson", "0.001 MHz", MYL_P_RATE, 1000},
    {"rate", "poisson", "35", MYL_P_RATE, 35},
    {"period", "regular", "7", MYL_P_PERIOD, 7},
    {"period", "regular", "1 ms", MYL_P_PERIOD, 10},
    {"phase", "regular", "3 ticks", MYL_P_PHASE, 3},
    {"phase", "regular", "0.5 ms", MYL_P_PHASE, 5},
};

START_TEST(units_table)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_units); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "run: {dt: 0.1 ms}\npopulations:\n  - {name: a, size: 2, model: %s, %s: %s}\n",
                 g_units[i].model, g_units[i].key, g_units[i].text);
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(text, "good.yaml", &nf, &d)) {
            fail_row(&f, "%s: %s: %s", g_units[i].key, g_units[i].text, d.msg);
            continue;
        }
        const myl_values *v = param(nf, "a", g_units[i].p);
        if (v->dist != MYL_DIST_CONST || !near(v->a, g_units[i].want))
            fail_row(&f, "%s: %s is %.17g, expected %.17g", g_units[i].key, g_units[i].text, v->a,
                     g_units[i].want);
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_units));
}
END_TEST

/* ---- spike sources ---- */

START_TEST(source_poisson_regular)
{
    const char *text = "run: {dt: 1 ms}\n"
                       "populations:\n"
                       "  - {name: p, size: 3, model: poisson, rate: [1 Hz, 2 kHz, 3]}\n"
                       "  - {name: q, size: 2, model: poisson, rate: {dist: uniform, low: 1 Hz, "
                       "high: 2 kHz}}\n"
                       "  - {name: r, size: 2, model: regular, period: 10, phase: 5}\n"
                       "  - {name: s, size: 1, model: regular, rate: 100 Hz}\n"
                       "  - {name: t, size: 1, model: regular, rate: 300 Hz, phase: 2 ms}\n"
                       "  - {name: u, size: 1, model: regular, rate: 400 Hz}\n"
                       "  - {name: v, size: 2, model: regular, period: [2, 3 ms]}\n";
    myl_netfile *nf = parse_ok(text);
    const double rates[] = {1, 2000, 3};
    ck_array(nf, "p", MYL_P_RATE, rates, 3);
    const myl_values *v = param(nf, "q", MYL_P_RATE);
    ck_assert(v->dist == MYL_DIST_UNIFORM && v->a == 1 && v->b == 2000);
    ck_const(nf, "r", MYL_P_PERIOD, 10);
    ck_const(nf, "r", MYL_P_PHASE, 5);
    /* period = round(1 / (rate * dt)) ticks */
    ck_const(nf, "s", MYL_P_PERIOD, 10);
    ck_const(nf, "t", MYL_P_PERIOD, 3);
    ck_const(nf, "t", MYL_P_PHASE, 2);
    ck_const(nf, "u", MYL_P_PERIOD, 3); /* 2.5 ticks: halves away from zero */
    const double per[] = {2, 3};
    ck_array(nf, "v", MYL_P_PERIOD, per, 2);
    myl_netfile_free(nf);
}
END_TEST

static void ck_times(const myl_netfile *nf, const char *pop, const uint32_t *neuron,
                     const uint64_t *tick, size_t n)
{
    const myl__pop *p = pop_of(nf, pop);
    ck_assert_uint_eq(p->ntimes, n);
    /* stored sorted by (tick, neuron) */
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(p->t_neuron[i] == neuron[i] && p->t_tick[i] == tick[i],
                      "%s: spike %zu is (neuron %u, tick %llu), expected (%u, %llu)", pop, i,
                      p->t_neuron[i], (unsigned long long)p->t_tick[i], neuron[i],
                      (unsigned long long)tick[i]);
}

START_TEST(source_spike_times)
{
    const char *text =
        "run: {dt: 0.1 ms}\n"
        "populations:\n"
        "  - {name: lists, size: 2, model: spike_times, times: [[10 ms, 20 ms], [15]]}\n"
        "  - {name: flat, size: 1, model: spike_times, times: [3, 1 ms, 0.3 ms, 3 ticks]}\n"
        "  - {name: pairs, size: 2, model: spike_times, neurons: [1, 0, 1],\n"
        "     times: [0.5 ms, 0.3 ms, 2]}\n"
        "  - {name: files, size: 2, model: spike_times, neurons: {npy: st_neurons_i4_3.npy},\n"
        "     times: {npy: st_times_ms_f8_3.npy, unit: ms}}\n"
        "  - {name: none, size: 3, model: spike_times, times: [[], [1], []]}\n"
        "  - {name: empty, size: 2, model: spike_times, times: []}\n";
    myl_netfile *nf = parse_ok(text);
    {
        const uint32_t n[] = {1, 0, 0};
        const uint64_t t[] = {15, 100, 200};
        ck_times(nf, "lists", n, t, 3);
    }
    {
        const uint32_t n[] = {0, 0, 0, 0};
        const uint64_t t[] = {3, 3, 3, 10}; /* repeated times are kept */
        ck_times(nf, "flat", n, t, 4);
    }
    {
        const uint32_t n[] = {1, 0, 1};
        const uint64_t t[] = {2, 3, 5};
        ck_times(nf, "pairs", n, t, 3);
    }
    {
        /* neurons [1, 0, 1] at [0.5, 0.3, 2.0] ms */
        const uint32_t n[] = {0, 1, 1};
        const uint64_t t[] = {3, 5, 20};
        ck_times(nf, "files", n, t, 3);
    }
    {
        const uint32_t n[] = {1};
        const uint64_t t[] = {1};
        ck_times(nf, "none", n, t, 1);
    }
    ck_times(nf, "empty", NULL, NULL, 0);
    myl_netfile_free(nf);
}
END_TEST

/* Spike times map to the tick that contains them, floor(t / dt), after snapping. */
static const struct {
    const char *dt, *t;
    uint64_t tick;
} g_spike_floor[] = {
    {"0.1 ms", "0.3 ms", 3},  {"0.1 ms", "0.35 ms", 3}, {"0.1 ms", "0.29 ms", 2},
    {"0.1 ms", "0.7 ms", 7},  {"0.1 ms", "0.15 ms", 1}, {"0.1 ms", "0.099 ms", 0},
    {"0.1 ms", "0 ms", 0},    {"0.1 ms", "1 s", 10000}, {"0.1 ms", "12", 12},
    {"1 ms", "2.999 ms", 2},  {"1 ms", "3e-3 s", 3},    {"25 us", "0.1 ms", 4},
    {"0.1 ms", "2.3 ms", 23}, {"0.1 ms", "5.1 ms", 51}, {"0.1 ms", "0.6 ms", 6},
};

START_TEST(time_spike_floor)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_spike_floor); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "run: {dt: %s}\npopulations: [{name: t, size: 1, model: spike_times, times: "
                 "[%s]}]\n",
                 g_spike_floor[i].dt, g_spike_floor[i].t);
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(text, "good.yaml", &nf, &d)) {
            fail_row(&f, "spike at %s, dt %s: %s", g_spike_floor[i].t, g_spike_floor[i].dt, d.msg);
            continue;
        }
        const myl__pop *p = pop_of(nf, "t");
        if (p->ntimes != 1 || p->t_tick[0] != g_spike_floor[i].tick)
            fail_row(&f, "spike at %s, dt %s: tick %llu, expected %llu", g_spike_floor[i].t,
                     g_spike_floor[i].dt, p->ntimes ? (unsigned long long)p->t_tick[0] : 0ull,
                     (unsigned long long)g_spike_floor[i].tick);
        myl_netfile_free(nf);
    }
    ck_rows(f, NROWS(g_spike_floor));
}
END_TEST

/* ---- projections ---- */

#define POPS3                                                                                      \
    "populations:\n"                                                                               \
    "  - {name: a, size: 3, model: lif}\n"                                                         \
    "  - {name: b, size: 2, model: lif}\n"                                                         \
    "  - {name: s, size: 2, model: poisson, rate: 10}\n"

START_TEST(proj_defaults_and_keys)
{
    const char *text =
        "run: {seed: 7}\n" POPS3 "projections:\n"
        "  - {from: a, to: b, rule: all_to_all, weight: 0.5}\n"
        "  - {name: p, from: a, to: a, rule: fixed_probability, p: 0.25, weight: 1,\n"
        "     allow_self: false, allow_multiple: false}\n"
        "  - {name: in, from: s, to: a, rule: fixed_indegree, indegree: 2, weight: 1}\n"
        "  - {name: out, from: a, to: b, rule: fixed_outdegree, outdegree: 1, weight: 1}\n"
        "  - {name: tot, from: a, to: b, rule: fixed_total_number, n: 5, weight: 1}\n"
        "  - {name: one, from: b, to: b, rule: one_to_one, weight: 1, sign: inhibitory}\n"
        "  - {name: ex, from: a, to: b, rule: explicit, pre: [2, 0], post: [1, 1], weight: 1,\n"
        "     sign: excitatory, allow_self: true, allow_multiple: true}\n";
    myl_netfile *nf = parse_ok(text);
    ck_assert_uint_eq(myl_net_nprojs(nf->net), 7);
    const myl_proj_desc *D = myl_net_proj(nf->net, 0);
    ck_assert_str_eq(D->name, "a->b");
    ck_assert_uint_eq(D->pre, pop_id(nf, "a"));
    ck_assert_uint_eq(D->post, pop_id(nf, "b"));
    ck_assert_int_eq(D->rule, MYL_CONN_ALL_TO_ALL);
    ck_assert_int_eq(D->allow_self, 1);
    ck_assert_int_eq(D->allow_multiple, 1);
    ck_assert_int_eq(D->sign, MYL_SIGN_ANY);
    ck_assert(D->weight.dist == MYL_DIST_CONST && D->weight.a == 0.5);
    /* default delay: 1 tick */
    const synlist *l = gen(nf, "a->b");
    ck_assert_uint_eq(l->n, 6);
    for (size_t k = 0; k < l->n; k++)
        ck_assert_uint_eq(l->s[k].delay, 1);

    D = myl_net_proj(nf->net, proj_id(nf, "p"));
    ck_assert_int_eq(D->rule, MYL_CONN_FIXED_PROBABILITY);
    ck_assert(D->p == 0.25);
    ck_assert_int_eq(D->allow_self, 0);
    ck_assert_int_eq(D->allow_multiple, 0);
    D = myl_net_proj(nf->net, proj_id(nf, "in"));
    ck_assert_int_eq(D->rule, MYL_CONN_FIXED_INDEGREE);
    ck_assert_uint_eq(D->n, 2);
    ck_assert_uint_eq(D->pre, pop_id(nf, "s"));
    D = myl_net_proj(nf->net, proj_id(nf, "out"));
    ck_assert_int_eq(D->rule, MYL_CONN_FIXED_OUTDEGREE);
    ck_assert_uint_eq(D->n, 1);
    D = myl_net_proj(nf->net, proj_id(nf, "tot"));
    ck_assert_int_eq(D->rule, MYL_CONN_FIXED_TOTAL_NUMBER);
    ck_assert_uint_eq(D->n, 5);
    D = myl_net_proj(nf->net, proj_id(nf, "one"));
    ck_assert_int_eq(D->rule, MYL_CONN_ONE_TO_ONE);
    ck_assert_int_eq(D->sign, MYL_SIGN_INH);
    D = myl_net_proj(nf->net, proj_id(nf, "ex"));
    ck_assert_int_eq(D->rule, MYL_CONN_EXPLICIT);
    ck_assert_int_eq(D->sign, MYL_SIGN_EXC);
    ck_assert_uint_eq(D->nexplicit, 2);
    ck_assert(D->pre_idx[0] == 2 && D->pre_idx[1] == 0);
    ck_assert(D->post_idx[0] == 1 && D->post_idx[1] == 1);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_explicit_order)
{
    const char *text = "run: {dt: 0.1 ms}\n" POPS3 "projections:\n"
                       "  - {name: ex, from: a, to: b, rule: explicit, pre: [0, 1, 2],\n"
                       "     post: [1, 0, 1], weight: [0.5, -1, 2], delay: [1, 2 ms, 0.25 ms]}\n"
                       "  - {name: npy, from: a, to: a, rule: explicit, pre: {npy: pre_i8_4.npy},\n"
                       "     post: {npy: post_u2_4.npy}, weight: [1, 2, 3, 4],\n"
                       "     delay: {npy: d_ticks_f8_4.npy}}\n"
                       "  - {name: ms, from: a, to: b, rule: explicit, pre: [2, 2, 0],\n"
                       "     post: [0, 0, 1], weight: {npy: w_f8_3.npy},\n"
                       "     delay: {npy: d_ms_f8_3.npy, unit: ms}}\n"
                       "  - {name: none, from: a, to: b, rule: explicit, pre: [], post: [],\n"
                       "     weight: 1}\n";
    myl_netfile *nf = parse_ok(text);
    const synlist *l = gen(nf, "ex");
    ck_assert_uint_eq(l->n, 3);
    ck_syn(l, 0, 0, 1, 0.5, 1);
    ck_syn(l, 1, 1, 0, -1, 20);
    ck_syn(l, 2, 2, 1, 2, 3); /* 2.5 ticks: halves away from zero */

    /* learned delays in ticks are rounded to the nearest tick: 1.4, 1.5, 2.5, 7 */
    l = gen(nf, "npy");
    ck_assert_uint_eq(l->n, 4);
    ck_syn(l, 0, 0, 1, 1, 1);
    ck_syn(l, 1, 1, 1, 2, 2);
    ck_syn(l, 2, 2, 0, 3, 3);
    ck_syn(l, 3, 0, 2, 4, 7);

    /* 0.15, 1.5 and 0.3 ms at dt = 0.1 ms: 2, 15 and 3 ticks */
    l = gen(nf, "ms");
    ck_assert_uint_eq(l->n, 3);
    ck_syn(l, 0, 2, 0, 0.5, 2);
    ck_syn(l, 1, 2, 0, -1.25, 15);
    ck_syn(l, 2, 0, 1, 2.0, 3);

    l = gen(nf, "none");
    ck_assert_uint_eq(l->n, 0);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_all_to_all_order)
{
    const char *text = POPS3 "projections:\n"
                             "  - {name: m, from: a, to: b, rule: all_to_all, weight: {npy: "
                             "w_f4_2x3.npy},\n"
                             "     delay: {npy: w_f4_2x3.npy}}\n"
                             "  - {name: l, from: a, to: b, rule: all_to_all, weight: [1, 2, 3, "
                             "4, 5, 6],\n"
                             "     delay: [6, 5, 4, 3, 2, 1]}\n"
                             "  - {name: self, from: a, to: a, rule: all_to_all, allow_self: "
                             "false,\n"
                             "     weight: [1, 2, 3, 4, 5, 6]}\n"
                             "  - {name: o, from: a, to: a, rule: one_to_one, weight: [7, 8, 9], "
                             "delay: [3, 2, 1]}\n";
    myl_netfile *nf = parse_ok(text);
    /* (targets, sources) = (2, 3): synapse (pre i, post j) takes W[j][i], target-major */
    const synlist *l = gen(nf, "m");
    ck_assert_uint_eq(l->n, 6);
    for (uint32_t j = 0, k = 0; j < 2; j++)
        for (uint32_t i = 0; i < 3; i++, k++)
            ck_syn(l, k, i, j, 1 + 3 * j + i, 1 + 3 * j + i);
    l = gen(nf, "l");
    ck_assert_uint_eq(l->n, 6);
    for (uint32_t j = 0, k = 0; j < 2; j++)
        for (uint32_t i = 0; i < 3; i++, k++)
            ck_syn(l, k, i, j, 1 + k, 6 - k);
    l = gen(nf, "self");
    ck_assert_uint_eq(l->n, 6);
    static const uint32_t pairs[6][2] = {{1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}, {1, 2}};
    for (uint32_t k = 0; k < 6; k++)
        ck_syn(l, k, pairs[k][0], pairs[k][1], 1 + k, 1);
    l = gen(nf, "o");
    ck_assert_uint_eq(l->n, 3);
    for (uint32_t k = 0; k < 3; k++)
        ck_syn(l, k, k, k, 7 + k, 3 - k);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_degree_order)
{
    const char *text = "populations:\n"
                       "  - {name: a, size: 5, model: lif}\n"
                       "  - {name: b, size: 3, model: lif}\n"
                       "projections:\n"
                       "  - {name: in, from: a, to: b, rule: fixed_indegree, indegree: 4,\n"
                       "     allow_multiple: false, weight: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
                       "11]}\n"
                       "  - {name: out, from: b, to: a, rule: fixed_outdegree, outdegree: 5,\n"
                       "     allow_multiple: false, weight: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
                       "11, 12, 13, 14]}\n"
                       "  - {name: tot, from: a, to: b, rule: fixed_total_number, n: 15,\n"
                       "     allow_multiple: false, weight: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
                       "11, 12, 13, 14], delay: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, "
                       "15]}\n"
                       "  - {name: self, from: a, to: a, rule: fixed_indegree, indegree: 4,\n"
                       "     allow_self: false, allow_multiple: false, weight: 1}\n"
                       "  - {name: multi, from: a, to: b, rule: fixed_indegree, indegree: 9, "
                       "weight: 1}\n";
    myl_netfile *nf = parse_ok(text);
    /* for each target, its indegree sources, all distinct */
    const synlist *l = gen(nf, "in");
    ck_assert_uint_eq(l->n, 12);
    for (uint32_t k = 0; k < 12; k++) {
        ck_assert_uint_eq(l->s[k].post, k / 4);
        ck_assert(l->s[k].w == (float)k);
        for (uint32_t m = k / 4 * 4; m < k; m++)
            ck_assert_uint_ne(l->s[m].pre, l->s[k].pre);
    }
    /* for each source, its outdegree targets: all of a, once each */
    l = gen(nf, "out");
    ck_assert_uint_eq(l->n, 15);
    for (uint32_t k = 0; k < 15; k++) {
        ck_assert_uint_eq(l->s[k].pre, k / 5);
        ck_assert(l->s[k].w == (float)k);
        for (uint32_t m = k / 5 * 5; m < k; m++)
            ck_assert_uint_ne(l->s[m].post, l->s[k].post);
    }
    /* draw order; without multiple connections every one of the 15 pairs exactly once */
    l = gen(nf, "tot");
    ck_assert_uint_eq(l->n, 15);
    int seen[5][3] = {{0}};
    for (uint32_t k = 0; k < 15; k++) {
        ck_assert(l->s[k].w == (float)k);
        ck_assert_uint_eq(l->s[k].delay, k + 1);
        ck_assert_int_eq(seen[l->s[k].pre][l->s[k].post]++, 0);
    }
    /* without self connections: 4 distinct sources other than the target */
    l = gen(nf, "self");
    ck_assert_uint_eq(l->n, 20);
    for (uint32_t k = 0; k < 20; k++)
        ck_assert_uint_ne(l->s[k].pre, l->s[k].post);
    /* multiple connections allowed (the default): more than there are sources */
    l = gen(nf, "multi");
    ck_assert_uint_eq(l->n, 27);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_probability)
{
    const char *text = "populations:\n"
                       "  - {name: a, size: 20, model: lif}\n"
                       "projections:\n"
                       "  - {name: all, from: a, to: a, rule: fixed_probability, p: 1, weight: "
                       "1}\n"
                       "  - {name: noself, from: a, to: a, rule: fixed_probability, p: 1.0,\n"
                       "     allow_self: false, weight: 1}\n"
                       "  - {name: none, from: a, to: a, rule: fixed_probability, p: 0, weight: "
                       "1}\n"
                       "  - {name: half, from: a, to: a, rule: fixed_probability, p: 0.5, "
                       "weight: 1}\n";
    myl_netfile *nf = parse_ok(text);
    const synlist *l = gen(nf, "all");
    ck_assert_uint_eq(l->n, 400);
    for (uint32_t k = 0; k < 400; k++) /* target-major: for each target, each source */
        ck_assert(l->s[k].post == k / 20 && l->s[k].pre == k % 20);
    l = gen(nf, "noself");
    ck_assert_uint_eq(l->n, 380);
    for (uint32_t k = 0; k < 380; k++)
        ck_assert_uint_ne(l->s[k].pre, l->s[k].post);
    l = gen(nf, "none");
    ck_assert_uint_eq(l->n, 0);
    l = gen(nf, "half");
    ck_assert(l->n > 120 && l->n < 280);
    for (size_t k = 1; k < l->n; k++) /* still target-major */
        ck_assert(l->s[k].post * 20 + l->s[k].pre > l->s[k - 1].post * 20 + l->s[k - 1].pre);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_sign)
{
    const char *text = "populations:\n"
                       "  - {name: a, size: 3, model: lif}\n"
                       "  - {name: b, size: 3, model: lif}\n"
                       "projections:\n"
                       "  - {name: inh, from: a, to: b, rule: one_to_one, weight: 0.5, sign: "
                       "inhibitory}\n"
                       "  - {name: exc, from: a, to: b, rule: explicit, pre: [0, 1],\n"
                       "     post: [0, 1], weight: [-2, 3], sign: excitatory}\n"
                       "  - {name: inl, from: a, to: b, rule: explicit, pre: [0, 1],\n"
                       "     post: [0, 1], weight: [1, -2], sign: inhibitory}\n"
                       "  - {name: dist, from: a, to: b, rule: all_to_all, sign: excitatory,\n"
                       "     weight: {dist: normal, mean: 0, std: 1}}\n";
    myl_netfile *nf = parse_ok(text);
    const synlist *l = gen(nf, "inh");
    ck_assert_uint_eq(l->n, 3);
    for (uint32_t k = 0; k < 3; k++)
        ck_syn(l, k, k, k, -0.5, 1);
    l = gen(nf, "exc");
    ck_syn(l, 0, 0, 0, 2, 1);
    ck_syn(l, 1, 1, 1, 3, 1);
    l = gen(nf, "inl");
    ck_syn(l, 0, 0, 0, -1, 1);
    ck_syn(l, 1, 1, 1, -2, 1);
    l = gen(nf, "dist");
    ck_assert_uint_eq(l->n, 9);
    for (size_t k = 0; k < l->n; k++)
        ck_assert(l->s[k].w >= 0);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(proj_distributions)
{
    const char *text = "run: {dt: 0.1 ms, seed: 3}\n"
                       "populations:\n"
                       "  - {name: a, size: 20, model: lif}\n"
                       "projections:\n"
                       "  - {name: ui, from: a, to: a, rule: all_to_all, weight: {dist: uniform, "
                       "low: 1, high: 2},\n"
                       "     delay: {dist: uniform, low: 1, high: 3}}\n"
                       "  - {name: ut, from: a, to: a, rule: all_to_all, weight: 1,\n"
                       "     delay: {dist: uniform, low: 1 ms, high: 5 ms}}\n"
                       "  - {name: nc, from: a, to: a, rule: all_to_all,\n"
                       "     weight: {dist: normal, mean: 0, std: 1, low: -0.5, high: 0.5},\n"
                       "     delay: {dist: normal, mean: 3, std: 5, low: 1, high: 6}}\n";
    myl_netfile *nf = parse_ok(text);
    /* whole-number bounds in ticks: whole numbers 1..3, each of them */
    const synlist *l = gen(nf, "ui");
    ck_assert_uint_eq(l->n, 400);
    int count[4] = {0};
    for (size_t k = 0; k < l->n; k++) {
        ck_assert(l->s[k].w >= 1 && l->s[k].w <= 2);
        ck_assert(l->s[k].delay >= 1 && l->s[k].delay <= 3);
        count[l->s[k].delay]++;
    }
    ck_assert(count[1] > 50 && count[2] > 50 && count[3] > 50);
    /* in time units: a time drawn and rounded per synapse, 10..50 ticks */
    l = gen(nf, "ut");
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t k = 0; k < l->n; k++) {
        ck_assert(l->s[k].delay >= 10 && l->s[k].delay <= 50);
        lo = l->s[k].delay < lo ? l->s[k].delay : lo;
        hi = l->s[k].delay > hi ? l->s[k].delay : hi;
    }
    ck_assert(lo <= 12 && hi >= 48);
    /* normal, clipped into [low, high]: both bounds are reached */
    l = gen(nf, "nc");
    int wlo = 0, whi = 0, dlo = 0, dhi = 0;
    for (size_t k = 0; k < l->n; k++) {
        ck_assert(l->s[k].w >= -0.5f && l->s[k].w <= 0.5f);
        ck_assert(l->s[k].delay >= 1 && l->s[k].delay <= 6);
        wlo += l->s[k].w == -0.5f;
        whi += l->s[k].w == 0.5f;
        dlo += l->s[k].delay == 1;
        dhi += l->s[k].delay == 6;
    }
    ck_assert(wlo > 0 && whi > 0 && dlo > 0 && dhi > 0);
    myl_netfile_free(nf);
}
END_TEST

/* ---- time conversions ---- */

/* Delays: whole ticks, or times rounded to the nearest tick, halves away from zero. */
static const struct {
    const char *dt, *delay;
    uint32_t ticks;
} g_delay[] = {
    {"0.1 ms", "1.5 ms", 15}, {"0.1 ms", "0.15 ms", 2},  {"0.1 ms", "0.05 ms", 1},
    {"0.1 ms", "0.25 ms", 3}, {"0.1 ms", "0.3 ms", 3},   {"0.1 ms", "0.7 ms", 7},
    {"0.1 ms", "0.14 ms", 1}, {"0.1 ms", "0.16 ms", 2},  {"0.1 ms", "3", 3},
    {"0.1 ms", "3 ticks", 3}, {"1 ms", "2.5 ms", 3},     {"1 ms", "1e-3 s", 1},
    {"25 us", "1 ms", 40},    {"0.1 ms", "0.45 ms", 5},  {"0.1 ms", "1.05 ms", 11},
    {"1 ms", "1500 us", 2},   {"0.1 ms", "2.35 ms", 24}, {"0.1 ms", "0.35 ms", 4},
};

START_TEST(time_delay_rounding)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_delay); i++) {
        /* as the one delay of a projection, and inside a list (a per-synapse array) */
        for (int list = 0; list < 2; list++) {
            char text[512];
            snprintf(text, sizeof text,
                     "run: {dt: %s}\npopulations: [{name: a, size: 2, model: lif}]\n"
                     "projections: [{name: p, from: a, to: a, rule: one_to_one, weight: 1, "
                     "delay: %s%s%s}]\n",
                     g_delay[i].dt, list ? "[1, " : "", g_delay[i].delay, list ? "]" : "");
            myl_netfile *nf;
            myl_diag d;
            if (try_parse(text, "good.yaml", &nf, &d)) {
                fail_row(&f, "delay %s at dt %s: %s", g_delay[i].delay, g_delay[i].dt, d.msg);
                continue;
            }
            g_syn.n = 0;
            int rc = myl_net_proj_generate(nf->net, 0, 1, collect, &g_syn, &d);
            if (rc)
                fail_row(&f, "delay %s at dt %s: generation: %s", g_delay[i].delay, g_delay[i].dt,
                         d.msg);
            else if (g_syn.n != 2 || g_syn.s[1].delay != g_delay[i].ticks)
                fail_row(&f, "delay %s%s%s at dt %s is %u ticks, expected %u", list ? "[1, " : "",
                         g_delay[i].delay, list ? "]" : "", g_delay[i].dt,
                         g_syn.n == 2 ? g_syn.s[1].delay : 0, g_delay[i].ticks);
            myl_netfile_free(nf);
        }
    }
    ck_rows(f, NROWS(g_delay));
}
END_TEST

/* The spike ticks of a regular source of the given period and phase, as the engine runs it. */
static size_t regular_ticks(const char *period, const char *phase, uint64_t *out, size_t max)
{
    char text[512];
    snprintf(text, sizeof text,
             "run: {dt: 0.1 ms}\n"
             "populations: [{name: r, size: 1, model: regular, period: %s, phase: %s}]\n",
             period, phase);
    return spike_ticks(text, 0, 40, out, max);
}

/* The spike ticks of a neuron driven to fire whenever it can, with the given refractory
 * period: a regular source spiking every tick excites it far above threshold. */
static size_t refractory_ticks(const char *refr, uint64_t *out, size_t max)
{
    char text[1024];
    snprintf(text, sizeof text,
             "run: {dt: 0.1 ms}\n"
             "populations:\n"
             "  - {name: src, size: 1, model: regular, period: 1}\n"
             "  - {name: n, size: 1, model: lif, v_th: 1, v_reset: 0, refractory: %s}\n"
             "projections: [{from: src, to: n, rule: one_to_one, weight: 10}]\n",
             refr);
    return spike_ticks(text, 1, 40, out, max);
}

static void same_ticks(fails *f, const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                       const char *what, const char *like)
{
    int same = na == nb;
    for (size_t i = 0; same && i < na; i++)
        same = a[i] == b[i];
    if (!same)
        fail_row(f, "%s: %zu spikes (first two at %llu, %llu), but as %s: %zu (at %llu, %llu)",
                 what, na, na ? (unsigned long long)a[0] : 0ull,
                 na > 1 ? (unsigned long long)a[1] : 0ull, like, nb,
                 nb ? (unsigned long long)b[0] : 0ull, nb > 1 ? (unsigned long long)b[1] : 0ull);
}

static const struct {
    const char *time, *ticks;
} g_tick_times[] = {
    {"0.2 ms", "2"},  {"0.3 ms", "3"},  {"0.7 ms", "7"},  {"0.15 ms", "2"}, {"0.25 ms", "3"},
    {"0.35 ms", "4"}, {"0.14 ms", "1"}, {"0.05 ms", "1"}, {"0.6 ms", "6"},  {"1.05 ms", "11"},
};

START_TEST(time_period_phase_rounding)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_tick_times); i++) {
        uint64_t a[64], b[64];
        const char *t = g_tick_times[i].time, *k = g_tick_times[i].ticks;
        char what[128], like[64];
        snprintf(like, sizeof like, "%s ticks", k);
        size_t na = regular_ticks(t, "0", a, 64), nb = regular_ticks(k, "0", b, 64);
        snprintf(what, sizeof what, "period %s", t);
        same_ticks(&f, a, na, b, nb, what, like);
        na = regular_ticks("7", t, a, 64);
        nb = regular_ticks("7", k, b, 64);
        snprintf(what, sizeof what, "phase %s", t);
        same_ticks(&f, a, na, b, nb, what, like);
    }
    ck_rows(f, 2 * NROWS(g_tick_times));
}
END_TEST

START_TEST(time_refractory_rounding)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_tick_times); i++) {
        uint64_t a[64], b[64];
        const char *t = g_tick_times[i].time, *k = g_tick_times[i].ticks;
        size_t na = refractory_ticks(t, a, 64), nb = refractory_ticks(k, b, 64);
        char what[128], like[64];
        snprintf(what, sizeof what, "refractory %s", t);
        snprintf(like, sizeof like, "%s ticks", k);
        same_ticks(&f, a, na, b, nb, what, like);
    }
    ck_rows(f, NROWS(g_tick_times));
}
END_TEST

/* The two checks above compare like with like; this one makes sure they can tell a difference. */
START_TEST(time_checks_discriminate)
{
    uint64_t a[64], b[64];
    size_t na = refractory_ticks("1", a, 64), nb = refractory_ticks("2", b, 64);
    ck_assert(na != nb || memcmp(a, b, na * sizeof *a) != 0);
    ck_assert_uint_gt(na, 5);
    na = regular_ticks("2", "0", a, 64);
    nb = regular_ticks("3", "0", b, 64);
    ck_assert_uint_ne(na, nb);
    na = regular_ticks("7", "1", a, 64);
    nb = regular_ticks("7", "2", b, 64);
    ck_assert(na > 0 && nb > 0 && a[0] != b[0]);
}
END_TEST

/* ---- bad input ---- */

typedef struct bad_case {
    const char *name;
    const char *yaml;   /* '@' marks the first character of the offending node; none: no node */
    int rc, rc2;        /* the code expected (rc2: another acceptable one, or 0) */
    const char *has[3]; /* what the message must contain besides the position */
} bad_case;

#define POP1 "populations:\n  - {name: a, size: 3, model: lif}\n"
#define PROJ "projections:\n  - "

static const bad_case g_bad[] = {
    /* syntax and structure */
    {"syntax_tab", "run:\n@\tdt: 1 ms\n" POP1, MYL_EPARSE, 0, {"syntax"}},
    {"syntax_mapping_value", "name: a@: b\n" POP1, MYL_EPARSE, 0, {"syntax"}},
    {"syntax_unclosed_flow",
     "populations: [{name: a, size: 1, model: lif}\n@",
     MYL_EPARSE,
     0,
     {"syntax"}},
    {"empty_file", "", MYL_EPARSE, 0, {"empty"}},
    {"comment_only", "# nothing here\n", MYL_EPARSE, 0, {"empty"}},
    {"top_list", "@- a\n- b\n", MYL_EPARSE, 0, {"top level", "mapping"}},
    {"top_scalar", "@just text\n", MYL_EPARSE, 0, {"top level", "mapping"}},
    {"key_not_scalar", "? @[a, b]\n: 1\n" POP1, MYL_EPARSE, 0, {"key"}},
    /* unknown keys, at every level */
    {"unknown_top", POP1 "@projection: []\n", MYL_EPARSE, 0, {"'projection'", "projections"}},
    {"unknown_run", "run:\n  dt: 1 ms\n  @tiks: 5\n" POP1, MYL_EPARSE, 0, {"'tiks'", "duration"}},
    {"unknown_pop",
     "populations:\n  - {name: a, size: 3, model: lif, @tau_mem: 10 ms}\n",
     MYL_EPARSE,
     0,
     {"'tau_mem'", "tau_m"}},
    {"unknown_pop_block",
     "populations:\n  - name: a\n    size: 3\n    model: lif\n    @v_thr: 1\n",
     MYL_EPARSE,
     0,
     {"'v_thr'", "v_th", "refractory"}},
    {"unknown_pop_source",
     "populations:\n  - {name: s, size: 3, model: poisson, @tau_m: 10 ms}\n",
     MYL_EPARSE,
     0,
     {"'tau_m'", "rate"}},
    {"unknown_proj",
     POP1 PROJ "{from: a, to: a, rule: fixed_indegree, @indgree: 2, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'indgree'", "indegree", "allow_multiple"}}, /* a misspelt key lists the keys */
    {"unknown_dist_key",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: {dist: uniform, low: 0, @hi: 1}}\n",
     MYL_EPARSE,
     0,
     {"'hi'", "high"}},
    {"unknown_npy_key",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: vth_i4_3.npy, @units: mV}}\n",
     MYL_EPARSE,
     0,
     {"'units'", "unit"}},
    {"unknown_key_for_model",
     "populations:\n  - {name: a, size: 3, model: lif, @tau_syn_e: 5 ms}\n",
     MYL_EPARSE,
     0,
     {"'tau_syn_e'"}},
    {"unknown_key_if_tau_m",
     "populations:\n  - {name: a, size: 3, model: if, @tau_m: 5 ms}\n",
     MYL_EPARSE,
     0,
     {"'tau_m'"}},
    {"unknown_record_v_source",
     "populations:\n  - {name: s, size: 3, model: poisson, rate: 5, @record_v: true}\n",
     MYL_EPARSE,
     0,
     {"'record_v'"}},
    {"unknown_times_on_lif",
     "populations:\n  - {name: a, size: 1, model: lif, @times: [1]}\n",
     MYL_EPARSE,
     0,
     {"'times'"}},
    /* duplicate keys */
    {"dup_top", "run: {dt: 1 ms}\n@run: {dt: 2 ms}\n" POP1, MYL_EPARSE, 0, {"'run'"}},
    {"dup_pop",
     "populations:\n  - {name: a, size: 3, @size: 4, model: lif}\n",
     MYL_EPARSE,
     0,
     {"'size'"}},
    {"dup_proj",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, @weight: 2}\n",
     MYL_EPARSE,
     0,
     {"'weight'"}},
    {"dup_dist",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: {dist: uniform, low: 0, "
     "high: 1, @low: 2}}\n",
     MYL_EPARSE,
     0,
     {"'low'"}},
    /* wrong types */
    {"type_size_list",
     "populations:\n  - {name: a, size: @[1, 2], model: lif}\n",
     MYL_EPARSE,
     0,
     {"size", "list"}},
    {"type_p_list",
     POP1 PROJ "{from: a, to: a, rule: fixed_probability, p: @[0.1], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"p:", "list"}},
    {"type_populations_mapping", "populations: @{a: 1}\n", MYL_EPARSE, 0, {"populations"}},
    {"type_projections_scalar", POP1 "projections: @all\n", MYL_EPARSE, 0, {"projections"}},
    {"type_run_scalar", "run: @5\n" POP1, MYL_EPARSE, 0, {"run"}},
    {"type_pop_scalar", "populations:\n  - @a\n", MYL_EPARSE, 0, {"population"}},
    {"type_proj_list", POP1 PROJ "@[a, a]\n", MYL_EPARSE, 0, {"projection"}},
    {"type_bool",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, allow_self: @maybe}\n",
     MYL_EPARSE,
     0,
     {"allow_self", "maybe"}},
    {"type_bool_multiple",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, allow_multiple: @[true]}\n",
     MYL_EPARSE,
     0,
     {"allow_multiple"}},
    {"type_strict",
     "populations:\n  - {name: a, size: 3, model: lif, strict_threshold: @2}\n",
     MYL_EPARSE,
     0,
     {"strict_threshold", "2"}},
    {"type_record_v",
     "populations:\n  - {name: a, size: 3, model: lif, record_v: @{a: 1}}\n",
     MYL_EPARSE,
     0,
     {"record_v"}},
    {"type_weight_text",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: @abc}\n",
     MYL_EPARSE,
     0,
     {"weight", "abc"}},
    {"type_weight_nan",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: @.nan}\n",
     MYL_EPARSE,
     0,
     {"weight", "nan"}},
    {"type_weight_inf",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: @inf}\n",
     MYL_EPARSE,
     0,
     {"weight", "inf"}},
    {"type_name_list",
     "populations:\n  - {name: @[a], size: 3, model: lif}\n",
     MYL_EPARSE,
     0,
     {"name"}},
    {"type_model_list",
     "populations:\n  - {name: a, size: 3, model: @[lif]}\n",
     MYL_EPARSE,
     0,
     {"model"}},
    {"type_times_scalar",
     "populations:\n  - {name: c, size: 1, model: spike_times, times: @5}\n",
     MYL_EPARSE,
     0,
     {"times"}},
    {"type_times_inner",
     "populations:\n  - {name: c, size: 2, model: spike_times, times: [[1], "
     "@2]}\n",
     MYL_EPARSE,
     0,
     {"times"}},
    {"type_description", "description: @{a: 1}\n" POP1, MYL_EPARSE, 0, {"description"}},
    {"type_file_name", "name: @[x]\n" POP1, MYL_EPARSE, 0, {"name"}},
    {"type_mapping_without_dist",
     "populations:\n  - {name: a, size: 3, model: lif, tau_m: @{mean: 1}}\n",
     MYL_EPARSE,
     0,
     {"tau_m", "dist"}},
    {"type_sign_list",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, sign: @[a]}\n",
     MYL_EPARSE,
     0,
     {"sign"}},
    {"type_rule_list",
     POP1 PROJ "{from: a, to: a, rule: @[all_to_all], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"rule"}},
    {"type_from_mapping",
     POP1 PROJ "{from: @{a: 1}, to: a, rule: all_to_all, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"from"}},
    {"type_reset_list",
     "populations:\n  - {name: a, size: 3, model: lif, reset: @[subtract]}\n",
     MYL_EPARSE,
     0,
     {"reset"}},
    {"type_indegree_list",
     POP1 PROJ "{from: a, to: a, rule: fixed_indegree, indegree: @[1], "
               "weight: 1}\n",
     MYL_EPARSE,
     0,
     {"indegree"}},
    {"type_npy_list",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @[a.npy]}}\n",
     MYL_EPARSE,
     0,
     {"v_th"}},
    /* unknown names */
    {"unknown_model",
     "populations:\n  - {name: a, size: 3, model: @lif2}\n",
     MYL_EPARSE,
     0,
     {"'lif2'", "model"}},
    {"unknown_rule",
     POP1 PROJ "{from: a, to: a, rule: @all2all, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'all2all'", "rule"}},
    {"unknown_dist",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: {dist: @gamma, "
     "low: 0, high: 1}}\n",
     MYL_EPARSE,
     0,
     {"'gamma'"}},
    {"unknown_reset",
     "populations:\n  - {name: a, size: 3, model: lif, reset: @zero}\n",
     MYL_EPARSE,
     0,
     {"'zero'", "reset"}},
    {"unknown_sign",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, sign: @positive}\n",
     MYL_EPARSE,
     0,
     {"'positive'", "sign"}},
    /* missing keys */
    {"missing_name", "populations:\n  - @{size: 3, model: lif}\n", MYL_EPARSE, 0, {"name"}},
    {"missing_size", "populations:\n  - @{name: a, model: lif}\n", MYL_EPARSE, 0, {"size"}},
    {"missing_model", "populations:\n  - @{name: a, size: 3}\n", MYL_EPARSE, 0, {"model"}},
    {"missing_model_block", "populations:\n  - @name: a\n    size: 3\n", MYL_EPARSE, 0, {"model"}},
    {"missing_from", POP1 PROJ "@{to: a, rule: all_to_all, weight: 1}\n", MYL_EPARSE, 0, {"from"}},
    {"missing_to", POP1 PROJ "@{from: a, rule: all_to_all, weight: 1}\n", MYL_EPARSE, 0, {"to"}},
    {"missing_rule", POP1 PROJ "@{from: a, to: a, weight: 1}\n", MYL_EPARSE, 0, {"rule"}},
    {"missing_weight",
     POP1 PROJ "@{from: a, to: a, rule: all_to_all}\n",
     MYL_EPARSE,
     0,
     {"weight"}},
    {"missing_p",
     POP1 PROJ "@{from: a, to: a, rule: fixed_probability, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'p'"}},
    {"missing_indegree",
     POP1 PROJ "@{from: a, to: a, rule: fixed_indegree, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"indegree"}},
    {"missing_outdegree",
     POP1 PROJ "@{from: a, to: a, rule: fixed_outdegree, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"outdegree"}},
    {"missing_n",
     POP1 PROJ "@{from: a, to: a, rule: fixed_total_number, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'n'"}},
    {"missing_pre",
     POP1 PROJ "@{from: a, to: a, rule: explicit, post: [0], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'pre'"}},
    {"missing_post",
     POP1 PROJ "@{from: a, to: a, rule: explicit, pre: [0], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'post'"}},
    {"missing_populations", "@run: {dt: 1 ms}\n", MYL_EPARSE, 0, {"populations"}},
    {"missing_times",
     "populations:\n  - @{name: c, size: 1, model: spike_times}\n",
     MYL_EPARSE,
     0,
     {"times"}},
    {"missing_uniform_high",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: @{dist: uniform, low: 0}}\n",
     MYL_EPARSE,
     0,
     {"high"}},
    {"missing_normal_std",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: @{dist: normal, mean: 0}}\n",
     MYL_EPARSE,
     0,
     {"std"}},
    /* a rule's key on another rule, and keys that exclude each other */
    {"rule_key_p_on_all",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, @p: 0.1, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'p'", "fixed_probability"}},
    {"rule_key_n_on_indegree",
     POP1 PROJ "{from: a, to: a, rule: fixed_indegree, indegree: 1, @n: 5, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'n'", "fixed_total_number"}},
    {"rule_key_pre_on_one",
     POP1 PROJ "{from: a, to: a, rule: one_to_one, @pre: [0], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'pre'", "explicit"}},
    {"v_rest_and_v_leak",
     "populations:\n  - {name: a, size: 3, model: lif, v_rest: 0, @v_leak: 1}\n",
     MYL_EPARSE,
     0,
     {"v_leak", "v_rest"}},
    {"tau_syn_and_tau_syn_e",
     "populations:\n  - {name: a, size: 3, model: cuba_lif, tau_syn_e: 3 ms, @tau_syn: 2 ms}\n",
     MYL_EPARSE,
     0,
     {"tau_syn"}},
    {"regular_rate_and_period",
     "populations:\n  - {name: r, size: 3, model: regular, period: 10, @rate: 100 Hz}\n",
     MYL_EPARSE,
     0,
     {"rate", "period"}},
    /* sizes and names */
    {"size_zero",
     "populations:\n  - {name: a, size: @0, model: lif}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"size", "0"}},
    {"size_negative",
     "populations:\n  - {name: a, size: @-3, model: lif}\n",
     MYL_EPARSE,
     MYL_ERANGE,
     {"size", "-3"}},
    {"size_fraction",
     "populations:\n  - {name: a, size: @2.5, model: lif}\n",
     MYL_EPARSE,
     0,
     {"size", "2.5"}},
    {"size_huge",
     "populations:\n  - {name: a, size: @4294967296, model: lif}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"size"}},
    {"dup_pop_name",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: @a, size: 2, model: if}\n",
     MYL_EPARSE,
     0,
     {"'a'"}},
    {"from_unknown",
     POP1 PROJ "{from: @nope, to: a, rule: all_to_all, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'nope'"}},
    {"to_unknown",
     POP1 PROJ "{from: a, to: @nope, rule: all_to_all, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'nope'"}},
    {"to_source",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: s, size: 3, model: poisson, "
     "rate: 1}\n" PROJ "{from: a, to: @s, rule: one_to_one, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"'s'", "source"}},
    {"one_to_one_sizes",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n" PROJ
     "@{from: a, to: b, rule: one_to_one, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"one_to_one"}},
    /* numbers out of range */
    {"p_above_one",
     POP1 PROJ "{from: a, to: a, rule: fixed_probability, p: @1.5, weight: 1}\n",
     MYL_ERANGE,
     0,
     {"p:", "1.5"}},
    {"p_negative",
     POP1 PROJ "{from: a, to: a, rule: fixed_probability, p: @-0.1, weight: 1}\n",
     MYL_ERANGE,
     0,
     {"p:", "-0.1"}},
    {"p_text",
     POP1 PROJ "{from: a, to: a, rule: fixed_probability, p: @half, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"p:", "half"}},
    {"delay_zero",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @0}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"delay"}},
    {"delay_negative",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @-2}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"delay", "-2"}},
    {"delay_negative_time",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @-2 ms}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"delay", "-2"}},
    {"delay_rounds_to_zero",
     "run: {dt: 0.1 ms}\n" POP1 PROJ
     "{from: a, to: a, rule: all_to_all, weight: 1, delay: @0.04 ms}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"delay", "1 tick"}},
    {"delay_not_whole",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @1.5}\n",
     MYL_EPARSE,
     0,
     {"delay", "1.5"}},
    {"delay_ticks_not_whole",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @2.5 ticks}\n",
     MYL_EPARSE,
     0,
     {"delay", "2.5"}},
    {"refractory_not_whole",
     "populations:\n  - {name: a, size: 3, model: lif, refractory: @2.5}\n",
     MYL_EPARSE,
     0,
     {"refractory", "2.5"}},
    {"period_not_whole",
     "populations:\n  - {name: r, size: 3, model: regular, period: @0.5}\n",
     MYL_EPARSE,
     0,
     {"period", "0.5"}},
    {"phase_not_whole",
     "populations:\n  - {name: r, size: 3, model: regular, phase: @1.25}\n",
     MYL_EPARSE,
     0,
     {"phase", "1.25"}},
    {"duration_not_whole", "run: {duration: @10.5}\n" POP1, MYL_EPARSE, 0, {"duration", "10.5"}},
    {"duration_negative", "run: {duration: @-5}\n" POP1, MYL_ERANGE, MYL_EPARSE, {"duration"}},
    {"spike_time_not_whole",
     "populations:\n  - {name: c, size: 1, model: spike_times, times: [2, @1.5]}\n",
     MYL_EPARSE,
     0,
     {"times", "1.5"}},
    {"dt_zero", "run: {dt: @0}\n" POP1, MYL_ERANGE, MYL_EPARSE, {"dt"}},
    {"dt_negative", "run: {dt: @-1 ms}\n" POP1, MYL_ERANGE, MYL_EPARSE, {"dt"}},
    {"dt_ticks", "run: {dt: @5 ticks}\n" POP1, MYL_EPARSE, 0, {"dt", "ticks"}},
    {"seed_negative", "run: {seed: @-1}\n" POP1, MYL_EPARSE, MYL_ERANGE, {"seed", "-1"}},
    {"seed_fraction", "run: {seed: @1.5}\n" POP1, MYL_EPARSE, 0, {"seed", "1.5"}},
    {"seed_too_big", "run: {seed: @18446744073709551616}\n" POP1, MYL_EPARSE, MYL_ERANGE, {"seed"}},
    {"version_two", "myelin: @2\n" POP1, MYL_ERANGE, MYL_EPARSE, {"myelin", "2"}},
    {"populations_empty", "populations: @[]\n", MYL_EPARSE, 0, {"populations"}},
    {"indegree_fraction",
     POP1 PROJ "{from: a, to: a, rule: fixed_indegree, indegree: @1.5, weight: 1}\n",
     MYL_EPARSE,
     0,
     {"indegree", "1.5"}},
    {"outdegree_negative",
     POP1 PROJ "{from: a, to: a, rule: fixed_outdegree, outdegree: @-1, weight: 1}\n",
     MYL_EPARSE,
     MYL_ERANGE,
     {"outdegree", "-1"}},
    {"n_negative",
     POP1 PROJ "{from: a, to: a, rule: fixed_total_number, n: @-5, weight: 1}\n",
     MYL_EPARSE,
     MYL_ERANGE,
     {"-5"}},
    {"regular_rate_too_high",
     "run: {dt: 0.1 ms}\npopulations:\n  - {name: r, size: 1, model: regular, rate: @30 kHz}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"rate"}},
    /* units */
    {"unit_time_mm",
     "populations:\n  - {name: a, size: 3, model: lif, tau_m: @20 mm}\n",
     MYL_EPARSE,
     0,
     {"tau_m", "'mm'"}},
    {"unit_rate_ms",
     "populations:\n  - {name: s, size: 3, model: poisson, rate: @20 ms}\n",
     MYL_EPARSE,
     0,
     {"rate", "'ms'"}},
    {"unit_weight_ms",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: @1 ms}\n",
     MYL_EPARSE,
     0,
     {"weight", "'ms'"}},
    {"unit_delay_hz",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @1 Hz}\n",
     MYL_EPARSE,
     0,
     {"delay", "'Hz'"}},
    {"unit_v_th_volts",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: @0.02 V}\n",
     MYL_EPARSE,
     0,
     {"v_th", "'V'"}},
    {"unit_ticks_tau",
     "populations:\n  - {name: a, size: 3, model: lif, tau_m: @5 ticks}\n",
     MYL_EPARSE,
     0,
     {"tau_m", "ticks"}},
    {"unit_ticks_rate",
     "populations:\n  - {name: s, size: 3, model: poisson, rate: @5 ticks}\n",
     MYL_EPARSE,
     0,
     {"rate", "ticks"}},
    {"unit_npy_ticks_tau",
     "populations:\n  - {name: a, size: 3, model: lif, tau_m: {npy: tau_ms_f8_3.npy, unit: "
     "@ticks}}\n",
     MYL_EPARSE,
     0,
     {"tau_m", "ticks"}},
    {"unit_npy_weight_ms",
     POP1 PROJ "{from: a, to: a, rule: one_to_one, weight: {npy: w_f8_3.npy, unit: @ms}}\n",
     MYL_EPARSE,
     0,
     {"weight", "ms"}},
    {"unit_npy_rate_bogus",
     "populations:\n  - {name: s, size: 3, model: poisson, rate: {npy: w_f8_3.npy, unit: "
     "@Hertz}}\n",
     MYL_EPARSE,
     0,
     {"rate", "Hertz"}},
    /* lists and arrays */
    {"list_wrong_length",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: @[1, 2]}\n",
     MYL_EPARSE,
     0,
     {"v_th", "2", "3"}},
    {"list_bad_element",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: [1, @x, 2]}\n",
     MYL_EPARSE,
     0,
     {"v_th", "x"}},
    {"list_nested",
     "populations:\n  - {name: a, size: 2, model: lif, v_th: [1, @[2]]}\n",
     MYL_EPARSE,
     0,
     {"v_th"}},
    {"weight_list_length",
     POP1 PROJ "{from: a, to: a, rule: explicit, pre: [0, 1], post: [0, 1], weight: @[1, 2, 3]}\n",
     MYL_EPARSE,
     0,
     {"weight", "3"}},
    {"delay_list_length",
     POP1 PROJ "{from: a, to: a, rule: one_to_one, weight: 1, delay: @[1]}\n",
     MYL_EPARSE,
     0,
     {"delay", "1"}},
    {"probability_weight_list",
     POP1 PROJ "{from: a, to: a, rule: fixed_probability, p: 0.5, weight: @[1, 2]}\n",
     MYL_EPARSE,
     0,
     {"weight", "fixed_probability"}},
    {"npy_wrong_shape",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @w_f4_2x3.npy}}\n",
     MYL_EPARSE,
     0,
     {"v_th", "(2, 3)"}},
    {"npy_wrong_length",
     "populations:\n  - {name: a, size: 4, model: lif, v_th: {npy: @w_f8_3.npy}}\n",
     MYL_EPARSE,
     0,
     {"v_th", "(3,)"}},
    {"npy_3d_weights",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n" PROJ
     "{from: a, to: b, rule: all_to_all, weight: {npy: @f8_1x3x1.npy}}\n",
     MYL_EPARSE,
     0,
     {"weight", "(1, 3, 1)"}},
    {"npy_2d_transposed",
     "populations:\n  - {name: a, size: 2, model: lif}\n  - {name: b, size: 3, model: lif}\n" PROJ
     "{from: a, to: b, rule: all_to_all, weight: {npy: @w_f4_2x3.npy}}\n",
     MYL_EPARSE,
     0,
     {"weight", "(2, 3)", "(3, 2)"}},
    {"npy_2d_not_all_to_all",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n" PROJ
     "{from: a, to: b, rule: fixed_total_number, n: 6, weight: {npy: @w_f4_2x3.npy}}\n",
     MYL_EPARSE,
     0,
     {"weight", "(2, 3)"}},
    {"npy_scalar",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @f8_scalar.npy}}\n",
     MYL_EPARSE,
     0,
     {"v_th", "()"}},
    {"npy_bool",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @b1_3.npy}}\n",
     MYL_EPARSE,
     0,
     {"v_th", "b1_3.npy", "bool"}},
    {"npy_missing",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @missing.npy}}\n",
     MYL_EIO,
     0,
     {"v_th", "missing.npy"}},
    {"npy_directory",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @.}}\n",
     MYL_EIO,
     MYL_EPARSE,
     {"v_th"}},
    {"npy_not_npy",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @gen.py}}\n",
     MYL_EPARSE,
     0,
     {"v_th", "gen.py"}},
    {"npy_nan",
     "populations:\n  - {name: a, size: 3, model: lif, v_th: {npy: @nan_f8_3.npy}}\n",
     MYL_EPARSE,
     MYL_ERANGE,
     {"v_th"}},
    /* explicit connectivity */
    {"pre_out_of_range",
     POP1 PROJ "{from: a, to: a, rule: explicit, pre: [0, @7], post: [0, 1], weight: 1}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"pre", "7"}},
    {"post_negative",
     POP1 PROJ "{from: a, to: a, rule: explicit, pre: [0, 1], post: [0, @-1], weight: 1}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"post", "-1"}},
    {"pre_fraction",
     POP1 PROJ "{from: a, to: a, rule: explicit, pre: [0, @0.5], post: [0, 1], weight: 1}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"pre", "0.5"}},
    {"pre_npy_out_of_range",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n" PROJ
     "{from: b, to: a, rule: explicit, pre: @{npy: pre_i8_4.npy}, post: [0, 0, 0, 0], weight: "
     "1}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"pre", "2"}},
    {"pre_post_lengths",
     POP1 PROJ "@{from: a, to: a, rule: explicit, pre: [0, 1], post: [0], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"pre", "post"}},
    {"pre_scalar",
     POP1 PROJ "{from: a, to: a, rule: explicit, pre: @0, post: [0], weight: 1}\n",
     MYL_EPARSE,
     0,
     {"pre"}},
    /* distributions */
    {"uniform_low_above_high",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: @{dist: uniform, low: 5, high: "
     "1}}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"v_init", "low", "high"}},
    {"normal_std_negative",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: {dist: normal, mean: 0, std: "
     "@-1}}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"v_init", "std"}},
    {"normal_low_above_high",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: @{dist: normal, mean: 0, std: 1, "
     "low: 2, high: 1}}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"v_init", "low", "high"}},
    {"uniform_mixed_units",
     POP1 PROJ "{from: a, to: a, rule: all_to_all, weight: 1, delay: @{dist: uniform, low: 1, "
               "high: 5 ms}}\n",
     MYL_EPARSE,
     0,
     {"delay"}},
    {"dist_bound_text",
     "populations:\n  - {name: a, size: 3, model: lif, v_init: {dist: uniform, low: 0, high: "
     "@big}}\n",
     MYL_EPARSE,
     0,
     {"v_init", "big"}},
    /* spike sources */
    {"spike_time_negative",
     "populations:\n  - {name: c, size: 1, model: spike_times, times: [1, @-2 ms]}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"times", "-2"}},
    {"spike_time_negative_nested",
     "populations:\n  - {name: c, size: 2, model: spike_times, times: [[1], [@-3]]}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"times", "-3"}},
    {"spike_lists_count",
     "populations:\n  - {name: c, size: 2, model: spike_times, times: @[[1], [2], [3]]}\n",
     MYL_EPARSE,
     0,
     {"times", "3"}},
    {"spike_flat_for_two",
     "populations:\n  - {name: c, size: 2, model: spike_times, times: @[1, 2]}\n",
     MYL_EPARSE,
     0,
     {"times"}},
    {"spike_pairs_unequal",
     "populations:\n  - @{name: c, size: 2, model: spike_times, neurons: [0, 1], times: [1]}\n",
     MYL_EPARSE,
     0,
     {"neurons", "times"}},
    {"spike_neuron_out_of_range",
     "populations:\n  - {name: c, size: 2, model: spike_times, neurons: [0, @2], times: [1, 2]}\n",
     MYL_ERANGE,
     MYL_EPARSE,
     {"neurons", "2"}},
    {"spike_unit_hz",
     "populations:\n  - {name: c, size: 1, model: spike_times, times: [@1 Hz]}\n",
     MYL_EPARSE,
     0,
     {"times", "'Hz'"}},
};
#define NBAD (int)(sizeof g_bad / sizeof g_bad[0])

/* Copy src without its '@' marker into dst; *line and *col (1-based, columns in characters)
 * locate the marker, 0 if there is none. */
static void unmark(const char *src, char *dst, size_t cap, int *line, int *col)
{
    int l = 1, c = 1;
    size_t n = 0;
    *line = *col = 0;
    for (const char *p = src; *p; p++) {
        if (*p == '@' && !*line) {
            *line = l;
            *col = c;
            continue;
        }
        ck_assert_uint_lt(n + 1, cap);
        dst[n++] = *p;
        if (*p == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            c++;
        }
    }
    dst[n] = 0;
}

/* Does the outcome of a bad case match: code, position prefix, key or value named? */
static void check_bad(fails *f, const bad_case *b, int rc, const myl_netfile *nf, const myl_diag *d,
                      const char *file, int line, int col)
{
    if (rc == 0 || nf) {
        fail_row(f, "%s: accepted", b->name);
        return;
    }
    if (!(rc == b->rc || (b->rc2 && rc == b->rc2)))
        fail_row(f, "%s: returned %s, expected %s%s%s (%s)", b->name, myl_err_name(rc),
                 myl_err_name(b->rc), b->rc2 ? " or " : "", b->rc2 ? myl_err_name(b->rc2) : "",
                 d->set ? d->msg : "no message");
    if (!d->set) {
        fail_row(f, "%s: no message", b->name);
        return;
    }
    char want[512];
    if (line)
        snprintf(want, sizeof want, "%s:%d:%d: ", file, line, col);
    else
        snprintf(want, sizeof want, "%s:", file);
    if (strncmp(d->msg, want, strlen(want)) != 0) {
        fail_row(f, "%s: message does not start with \"%s\": %s", b->name, want, d->msg);
        return;
    }
    for (int k = 0; k < 3 && b->has[k]; k++)
        if (!strstr(d->msg + strlen(want), b->has[k]))
            fail_row(f, "%s: message lacks \"%s\": %s", b->name, b->has[k], d->msg);
}

START_TEST(bad_input)
{
    fails f = {0};
    for (int i = 0; i < NBAD; i++) {
        const bad_case *b = &g_bad[i];
        char text[2048];
        int line, col;
        unmark(b->yaml, text, sizeof text, &line, &col);
        myl_netfile *nf;
        myl_diag d;
        int rc = try_parse(text, "bad.yaml", &nf, &d);
        check_bad(&f, b, rc, nf, &d, "bad.yaml", line, col);
        myl_netfile_free(nf);
    }
    ck_rows(f, NBAD);
}
END_TEST

/* The same inputs read from files give the same code and message, naming the path as given. */
START_TEST(bad_input_file)
{
    fails f = {0};
    const char *path = myl_test_tmp("bad-file.yaml");
    for (int i = 0; i < NBAD; i++) {
        const bad_case *b = &g_bad[i];
        if (strstr(b->yaml, "npy"))
            continue; /* .npy names resolve against the file's directory: see files_relative */
        char text[2048];
        int line, col;
        unmark(b->yaml, text, sizeof text, &line, &col);
        FILE *fp = fopen(path, "wb");
        ck_assert_ptr_nonnull(fp);
        ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
        ck_assert_int_eq(fclose(fp), 0);
        myl_netfile *nf, *nf2 = NULL;
        myl_diag d, d2 = {0};
        int rc = try_parse(text, "bad.yaml", &nf, &d);
        int rc2 = myl_netfile_load(path, &nf2, &d2);
        char want[1200];
        const char *rest = strncmp(d.msg, "bad.yaml", 8) == 0 ? d.msg + 8 : d.msg;
        snprintf(want, sizeof want, "%s%s", path, rest);
        if (rc2 != rc || nf2 || strcmp(d2.msg, want) != 0)
            fail_row(&f, "%s: from a file: %s \"%s\", from memory: %s \"%s\"", b->name,
                     myl_err_name(rc2), d2.msg, myl_err_name(rc), d.msg);
        myl_netfile_free(nf);
        myl_netfile_free(nf2);
    }
    ck_rows(f, NBAD);
}
END_TEST

/* Errors that only generating the synapses can find: myl_net_compile() refuses the network. */
static const struct {
    const char *name, *yaml;
    int rc;
    const char *has[3];
} g_bad_compile[] = {
    {"indegree_above_sources",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n"
     "projections:\n  - {name: ab, from: a, to: b, rule: fixed_indegree, indegree: 4,\n"
     "     allow_multiple: false, weight: 1}\n",
     MYL_EPARSE,
     {"'ab'", "indegree", "4"}},
    {"indegree_self_excluded",
     "populations:\n  - {name: a, size: 3, model: lif}\n"
     "projections:\n  - {name: aa, from: a, to: a, rule: fixed_indegree, indegree: 3,\n"
     "     allow_multiple: false, allow_self: false, weight: 1}\n",
     MYL_EPARSE,
     {"'aa'", "indegree", "3"}},
    {"outdegree_above_targets",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n"
     "projections:\n  - {name: ab, from: a, to: b, rule: fixed_outdegree, outdegree: 3,\n"
     "     allow_multiple: false, weight: 1}\n",
     MYL_EPARSE,
     {"'ab'", "outdegree", "3"}},
    {"total_above_pairs",
     "populations:\n  - {name: a, size: 3, model: lif}\n  - {name: b, size: 2, model: lif}\n"
     "projections:\n  - {name: ab, from: a, to: b, rule: fixed_total_number, n: 7,\n"
     "     allow_multiple: false, weight: 1}\n",
     MYL_EPARSE,
     {"'ab'", "7", "6"}},
    {"poisson_rate_over_64",
     "run: {dt: 0.1 ms}\npopulations:\n  - {name: src, size: 2, model: poisson, rate: 1 MHz}\n",
     MYL_ERANGE,
     {"'src'", "rate", "64"}},
    {"input_rate_over_64",
     "run: {dt: 1 ms}\npopulations:\n  - {name: n, size: 2, model: lif, input_rate: 65 kHz,\n"
     "     input_weight: 1}\n",
     MYL_ERANGE,
     {"'n'", "input_rate", "64"}},
    {"delay_list_rounds_to_zero",
     "run: {dt: 0.1 ms}\npopulations:\n  - {name: a, size: 3, model: lif}\n"
     "projections:\n  - {name: aa, from: a, to: a, rule: explicit, pre: [0, 1], post: [1, 2],\n"
     "     weight: 1, delay: [1 ms, 0.04 ms]}\n",
     MYL_EPARSE,
     {"'aa'", "synapse 1", "1 tick"}},
    {"delay_uniform_zero",
     "populations:\n  - {name: a, size: 10, model: lif}\n"
     "projections:\n  - {name: aa, from: a, to: a, rule: all_to_all, weight: 1,\n"
     "     delay: {dist: uniform, low: 0, high: 2}}\n",
     MYL_EPARSE,
     {"'aa'", "1 tick"}},
};
#define NBADC (int)(sizeof g_bad_compile / sizeof g_bad_compile[0])

START_TEST(bad_at_compile)
{
    fails f = {0};
    for (int i = 0; i < NBADC; i++) {
        myl_netfile *nf;
        myl_diag d;
        if (try_parse(g_bad_compile[i].yaml, "bad.yaml", &nf, &d)) {
            fail_row(&f, "%s: refused by the reader: %s", g_bad_compile[i].name, d.msg);
            continue;
        }
        myl_compile_opts o = {.seed = 1, .mem_limit = 1ull << 28};
        myl_cnet *c = (myl_cnet *)&c;
        int rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
        if (rc != g_bad_compile[i].rc || c)
            fail_row(&f, "%s: compile returned %s, expected %s (%s)", g_bad_compile[i].name,
                     myl_err_name(rc), myl_err_name(g_bad_compile[i].rc), d.msg);
        for (int k = 0; k < 3 && g_bad_compile[i].has[k]; k++)
            if (!strstr(d.msg, g_bad_compile[i].has[k]))
                fail_row(&f, "%s: message lacks \"%s\": %s", g_bad_compile[i].name,
                         g_bad_compile[i].has[k], d.msg);
        if (rc == 0)
            myl_cnet_free(c);
        myl_netfile_free(nf);
    }
    ck_rows(f, NBADC);
}
END_TEST

/* Values no neuron can have: rejected before anything runs, by the reader (with a position) or
 * at the latest by the compiler (naming the population and the parameter). */
static const struct {
    const char *name, *yaml, *param;
} g_bad_value[] = {
    {"tau_m_zero", "populations: [{name: a, size: 2, model: lif, tau_m: 0}]\n", "tau_m"},
    {"tau_m_negative", "populations: [{name: a, size: 2, model: lif, tau_m: -5 ms}]\n", "tau_m"},
    {"tau_syn_zero", "populations: [{name: a, size: 2, model: cuba_lif, tau_syn_e: 0}]\n",
     "tau_syn_e"},
    {"refractory_negative", "populations: [{name: a, size: 2, model: lif, refractory: -1}]\n",
     "refractory"},
    {"period_zero", "populations: [{name: r, size: 2, model: regular, period: 0}]\n", "period"},
    {"phase_negative", "populations: [{name: r, size: 2, model: regular, phase: -1}]\n", "phase"},
    {"rate_negative", "populations: [{name: p, size: 2, model: poisson, rate: -5 Hz}]\n", "rate"},
    {"input_rate_negative",
     "populations: [{name: a, size: 2, model: lif, input_rate: -5, input_weight: 1}]\n",
     "input_rate"},
};
#define NBADV (int)(sizeof g_bad_value / sizeof g_bad_value[0])

START_TEST(bad_value_rejected)
{
    fails f = {0};
    for (int i = 0; i < NBADV; i++) {
        myl_netfile *nf;
        myl_diag d;
        int rc = try_parse(g_bad_value[i].yaml, "bad.yaml", &nf, &d);
        if (rc) {
            if (strncmp(d.msg, "bad.yaml:1:", 11) != 0)
                fail_row(&f, "%s: no position: %s", g_bad_value[i].name, d.msg);
        } else {
            myl_compile_opts o = {.seed = 1, .mem_limit = 1ull << 28};
            myl_cnet *c = NULL;
            rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
            if (rc == 0)
                fail_row(&f, "%s: accepted by the reader and the compiler", g_bad_value[i].name);
            myl_cnet_free(c);
            myl_netfile_free(nf);
        }
        if (rc && rc != MYL_EPARSE && rc != MYL_ERANGE)
            fail_row(&f, "%s: %s", g_bad_value[i].name, myl_err_name(rc));
        if (rc && !strstr(d.msg, g_bad_value[i].param))
            fail_row(&f, "%s: message lacks %s: %s", g_bad_value[i].name, g_bad_value[i].param,
                     d.msg);
    }
    ck_rows(f, NBADV);
}
END_TEST

START_TEST(bad_api)
{
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_netfile_parse(NULL, 0, "x", NULL, &nf, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_netfile_parse("a: 1", 4, NULL, NULL, &nf, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_netfile_parse("a: 1", 4, "x", NULL, NULL, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_netfile_load(NULL, &nf, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_netfile_load("x", NULL, &d), MYL_EINVAL);
    ck_assert_ptr_null(nf);
    /* an unreadable file */
    const char *missing = myl_test_tmp("does-not-exist.yaml");
    ck_assert_int_eq(myl_netfile_load(missing, &nf, &d), MYL_EIO);
    ck_assert_ptr_null(nf);
    ck_assert_msg(strstr(d.msg, missing) != NULL, "%s", d.msg);
    /* a diag is optional */
    ck_assert_int_eq(myl_netfile_parse("x: 1\n", 5, "n", NULL, &nf, NULL), MYL_EPARSE);
    ck_assert_ptr_null(nf);
    myl_netfile_free(NULL);
    /* text need not be NUL-terminated: only len bytes are read */
    const char text[] = "populations: [{name: a, size: 1, model: lif}]\nXXXX";
    myl_diag d2 = {0};
    ck_assert_int_eq(myl_netfile_parse(text, sizeof text - 5, "n", NULL, &nf, &d2), 0);
    myl_netfile_free(nf);
}
END_TEST

/* ---- files ---- */

static myl_netfile *load_ok(const char *rel)
{
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    const char *path = myl_test_src(rel);
    int rc = myl_netfile_load(path, &nf, &d);
    ck_assert_msg(rc == 0, "%s: %s: %s", path, myl_err_name(rc), d.msg);
    ck_assert_str_eq(nf->path, path);
    return nf;
}

static const char *const g_shipped[] = {
    "traces/example.yaml",
    "bench/networks/brunel.yaml",
    "bench/networks/brunel-sources.yaml",
    "bench/networks/cuba.yaml",
};

START_TEST(files_shipped_compile)
{
    for (size_t i = 0; i < NROWS(g_shipped); i++) {
        myl_netfile *nf = load_ok(g_shipped[i]);
        ck_assert_uint_gt(myl_net_npops(nf->net), 0);
        ck_assert_int_eq(nf->has_duration, 1);
        ck_near(myl_net_dt(nf->net), 1e-4);
        ck_assert_uint_eq(myl_net_ticks(nf->net), 10000);
        uint64_t est = myl_net_estimate_bytes(nf->net, myl_net_npops(nf->net));
        if (SANITIZED && est > (64u << 20)) {
            /* the Brunel networks have 15.6 million synapses: compiling them under the
             * sanitizers takes longer than the whole suite may; the plain build does it */
            fprintf(stderr, "%s: %.0f MB, not compiled under sanitizers\n", g_shipped[i],
                    est / 1e6);
            myl_netfile_free(nf);
            continue;
        }
        myl_cnet *c = compile_ok(nf);
        myl_cnet_info info;
        myl_cnet_info_get(c, &info);
        ck_assert_uint_eq(info.nneurons, myl_net_nneurons(nf->net));
        ck_assert_uint_gt(info.nsyn, 0);
        myl_cnet_free(c);
        myl_netfile_free(nf);
    }
}
END_TEST

START_TEST(files_example_contents)
{
    myl_netfile *nf = load_ok("traces/example.yaml");
    ck_assert_str_eq(nf->name, "example-balanced");
    ck_assert_uint_eq(myl_net_npops(nf->net), 4);
    ck_assert_uint_eq(myl_net_nprojs(nf->net), 6);
    ck_assert_uint_eq(myl_net_nneurons(nf->net), 2000);
    ck_const(nf, "exc", MYL_P_REFRACTORY, 20);
    ck_const(nf, "drive_e", MYL_P_RATE, 8000);
    ck_assert_uint_eq(myl_net_pop_size(nf->net, pop_id(nf, "exc")), 800);
    ck_assert_uint_eq(myl_net_pop_size(nf->net, pop_id(nf, "inh")), 200);
    const myl_proj_desc *D = myl_net_proj(nf->net, proj_id(nf, "ee"));
    ck_assert_int_eq(D->rule, MYL_CONN_FIXED_INDEGREE);
    ck_assert_uint_eq(D->n, 80);
    ck_assert_int_eq(D->allow_self, 0);
    myl_netfile_free(nf);
}
END_TEST

static int count_delays(void *ctx, const myl_syn *s)
{
    uint64_t *hist = ctx;
    hist[s->delay < 63 ? s->delay : 63]++;
    return 0;
}

START_TEST(files_example_delays)
{
    myl_netfile *nf = load_ok("traces/example.yaml");
    uint64_t hist[64] = {0};
    myl_diag d = {0};
    ck_assert_int_eq(myl_net_proj_generate(nf->net, proj_id(nf, "ie"), 1, count_delays, hist, &d),
                     0);
    ck_assert_uint_eq(hist[15], 800 * 20); /* 1.5 ms at 0.1 ms */
    memset(hist, 0, sizeof hist);
    ck_assert_int_eq(myl_net_proj_generate(nf->net, proj_id(nf, "ee"), 1, count_delays, hist, &d),
                     0);
    uint64_t n = 0;
    for (int k = 0; k < 64; k++) {
        if (hist[k])
            ck_assert_msg(k >= 10 && k <= 50, "delay %d ticks in 1-5 ms", k);
        n += hist[k];
    }
    ck_assert_uint_eq(n, 800 * 80);
    myl_netfile_free(nf);
}
END_TEST

/* A file on disk naming .npy files relative to its own directory. */
START_TEST(files_relative)
{
    myl_netfile *nf = load_ok("tests/data/net/good.yaml");
    ck_assert_str_eq(nf->name, "good");
    const double tau[] = {10e-3, 20e-3, 30e-3};
    ck_array(nf, "exc", MYL_P_TAU_M, tau, 3);
    const synlist *l = gen(nf, "w2d");
    ck_assert_uint_eq(l->n, 6);
    ck_syn(l, 4, 1, 1, 5, 2);
    myl_netfile_free(nf);

    /* a missing .npy is reported with the network file's path and position */
    myl_diag d = {0};
    nf = NULL;
    ck_assert_int_eq(myl_netfile_load(myl_test_src("tests/data/net/bad-npy.yaml"), &nf, &d),
                     MYL_EIO);
    ck_assert_ptr_null(nf);
    ck_assert_msg(strstr(d.msg, "bad-npy.yaml:5:17: ") != NULL, "%s", d.msg);
    ck_assert_msg(strstr(d.msg, "no-such-file.npy") != NULL, "%s", d.msg);
}
END_TEST

/* ---- allocation failure ---- */

/* Moderately rich files: every value form, every kind of population, five rules; the second
 * has its arrays in .npy files. */
static const char g_rich_lists[] =
    "myelin: 1\n"
    "name: rich\n"
    "description: every kind of value\n"
    "run: {dt: 0.1 ms, duration: 10 ms, seed: 5}\n"
    "populations:\n"
    "  - {name: exc, size: 3, model: lif, tau_m: [10 ms, 20 ms, 30 ms], r: [18, 19, 20],\n"
    "     v_th: [18, 19, 20], v_init: {dist: uniform, low: 0, high: 10}, refractory: 2 ms,\n"
    "     input_rate: 1 kHz, input_weight: 0.5}\n"
    "  - {name: inh, size: 2, model: cuba_lif, tau_syn: 3 ms, v_th: [1, 2 mV],\n"
    "     v_init: {dist: normal, mean: 0, std: 1, low: -1, high: 1}}\n"
    "  - {name: src, size: 2, model: spike_times, times: [[1 ms, 2 ms], [0.3 ms]]}\n"
    "  - {name: pairs, size: 2, model: spike_times, neurons: [1, 0, 1],\n"
    "     times: [0.5 ms, 0.3 ms, 2 ms]}\n"
    "  - {name: reg, size: 1, model: regular, rate: 100 Hz, phase: 1 ms}\n"
    "projections:\n"
    "  - {name: ee, from: exc, to: exc, rule: fixed_indegree, indegree: 2, weight: 0.2,\n"
    "     delay: {dist: uniform, low: 1 ms, high: 2 ms}, allow_self: false}\n"
    "  - {name: ei, from: exc, to: inh, rule: all_to_all, weight: [1, 2, 3, 4, 5, 6],\n"
    "     sign: excitatory}\n"
    "  - {name: x, from: exc, to: exc, rule: explicit, pre: [0, 1, 2, 0],\n"
    "     post: [1, 1, 0, 2], weight: [1, 2, 3, 4], delay: [1, 2, 3, 7]}\n"
    "  - {from: src, to: inh, rule: one_to_one, weight: [1, 2], delay: [1, 2]}\n"
    "  - {from: reg, to: inh, rule: fixed_probability, p: 0.5, weight: -1}\n";

static const char g_rich_npy[] =
    "run: {dt: 0.1 ms, duration: 10 ms, seed: 5}\n"
    "populations:\n"
    "  - {name: exc, size: 3, model: lif, tau_m: {npy: tau_ms_f8_3.npy, unit: ms},\n"
    "     r: {npy: vth_i4_3.npy}}\n"
    "  - {name: inh, size: 2, model: cuba_lif}\n"
    "  - {name: pairs, size: 2, model: spike_times, neurons: {npy: st_neurons_i4_3.npy},\n"
    "     times: {npy: st_times_ms_f8_3.npy, unit: ms}}\n"
    "projections:\n"
    "  - {name: ei, from: exc, to: inh, rule: all_to_all, weight: {npy: w_f4_2x3.npy}}\n"
    "  - {name: x, from: exc, to: exc, rule: explicit, pre: {npy: pre_i8_4.npy},\n"
    "     post: {npy: post_u2_4.npy}, weight: {npy: d_ticks_f8_4.npy},\n"
    "     delay: {npy: d_ticks_f8_4.npy}}\n";

/* Fail allocation n = 1, 2, ... of parsing text until the parse no longer reaches allocation n:
 * each failure must come back as an error (MYL_ENOMEM, or another code with a message) with
 * nothing allocated left behind (LeakSanitizer checks that in the sanitizer build). */
static void alloc_fail_each(const char *text, const char *name)
{
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_parse(text, strlen(text), name, datadir(), &nf, &d);
    ck_assert_msg(rc == 0, "%s: %s", name, d.msg);
    myl_netfile_free(nf);
    long n;
    for (n = 1;; n++) {
        myl_diag_clear(&d);
        nf = (myl_netfile *)&nf;
        myl_test_fail_after(n);
        rc = myl_netfile_parse(text, strlen(text), name, datadir(), &nf, &d);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        if (made < n) { /* the n-th allocation was never made: done */
            ck_assert_msg(rc == 0, "%s: %s", name, d.msg);
            myl_netfile_free(nf);
            break;
        }
        ck_assert_msg(rc != 0, "%s: allocation %ld failed but the parse succeeded", name, n);
        ck_assert_msg(rc == MYL_ENOMEM || (rc < 0 && d.set), "%s: allocation %ld: %s, no message",
                      name, n, myl_err_name(rc));
        ck_assert_ptr_null(nf);
    }
    ck_assert_int_gt(n, 20);
}

START_TEST(alloc_fail_parse)
{
    alloc_fail_each(g_rich_lists, "rich.yaml");
}
END_TEST

START_TEST(alloc_fail_parse_npy)
{
    alloc_fail_each(g_rich_npy, "rich-npy.yaml");
}
END_TEST

START_TEST(alloc_fail_load)
{
    const char *path = myl_test_src("tests/data/net/good.yaml");
    long n;
    for (n = 1;; n++) {
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        myl_test_fail_after(n);
        int rc = myl_netfile_load(path, &nf, &d);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        if (made < n) {
            ck_assert_msg(rc == 0, "%s", d.msg);
            myl_netfile_free(nf);
            break;
        }
        ck_assert_msg(rc == MYL_ENOMEM || (rc < 0 && d.set), "allocation %ld: %s", n,
                      myl_err_name(rc));
        ck_assert_ptr_null(nf);
    }
    ck_assert_int_gt(n, 10);
}
END_TEST

/* ---- regressions found by fuzzing (tests/data/net/crash-*.yaml) ---- */

/* Each input once crashed, leaked or hung the reader or the compiler; now it must give this. */
static const struct {
    const char *file;
    int rc, rc_compile; /* from the reader; from myl_net_compile (64 MiB) if it parses */
    const char *has;    /* in the message, or NULL */
} g_crash[] = {
    {"crash-layout-before-limit.yaml", 0, MYL_ETOOBIG, NULL},
    /* refused when read, where the file can name the line */
    {"crash-uniform-delay-huge.yaml", MYL_ERANGE, 0, "uniform bounds"},
};

/* An allocator that refuses any single request over 128 MiB (twice the compiler's limit in
 * these tests) and remembers the largest it refused: the compiler must check its limit before
 * it allocates, not run the machine out of memory first. */
#define CAP_REQUEST ((size_t)128 << 20)
static size_t g_refused;

static void *capped_malloc(size_t n)
{
    if (n > CAP_REQUEST) {
        g_refused = n > g_refused ? n : g_refused;
        return NULL;
    }
    return malloc(n);
}

static void *capped_realloc(void *p, size_t n)
{
    if (n > CAP_REQUEST) {
        g_refused = n > g_refused ? n : g_refused;
        return NULL;
    }
    return realloc(p, n);
}

START_TEST(fuzz_regressions)
{
    fails f = {0};
    for (size_t i = 0; i < NROWS(g_crash); i++) {
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        char rel[256];
        snprintf(rel, sizeof rel, "tests/data/net/%s", g_crash[i].file);
        int rc = myl_netfile_load(myl_test_src(rel), &nf, &d);
        if (rc != g_crash[i].rc)
            fail_row(&f, "%s: %s (%s), expected %s", g_crash[i].file, myl_err_name(rc), d.msg,
                     myl_err_name(g_crash[i].rc));
        if (rc == 0) {
            myl_compile_opts o = {.seed = 1, .mem_limit = 64ull << 20};
            myl_cnet *c = NULL;
            g_refused = 0;
            myl_alloc_set(capped_malloc, capped_realloc, free);
            rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
            myl_alloc_set(NULL, NULL, NULL);
            if (g_refused)
                fail_row(&f, "%s: compiling with a limit of 64 MiB asked for %zu bytes at once",
                         g_crash[i].file, g_refused);
            if (rc != g_crash[i].rc_compile || (rc && !d.set))
                fail_row(&f, "%s: compile %s (%s), expected %s with a message", g_crash[i].file,
                         myl_err_name(rc), d.msg, myl_err_name(g_crash[i].rc_compile));
            myl_cnet_free(c);
            myl_netfile_free(nf);
        } else if (nf || !d.set) {
            fail_row(&f, "%s: failed without a message, or left a network", g_crash[i].file);
        }
        if (g_crash[i].has && !strstr(d.msg, g_crash[i].has))
            fail_row(&f, "%s: message lacks \"%s\": %s", g_crash[i].file, g_crash[i].has, d.msg);
    }
    ck_rows(f, NROWS(g_crash));
}
END_TEST

static Suite *netfile_suite(void)
{
    Suite *s = suite_create("netfile");
    TCase *tc;

    tc = tcase_create("run");
    tcase_add_test(tc, run_defaults);
    tcase_add_test(tc, run_settings);
    tcase_add_test(tc, run_dt_units);
    tcase_add_test(tc, run_duration);
    tcase_add_test(tc, run_seed);
    suite_add_tcase(s, tc);

    tc = tcase_create("neuron");
    tcase_add_test(tc, neuron_lif_every_param);
    tcase_add_test(tc, neuron_cuba_lif);
    tcase_add_test(tc, neuron_if_li);
    tcase_add_test(tc, neuron_common_params);
    tcase_add_test(tc, li_params);
    tcase_add_test(tc, neuron_numbering);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, values_forms);
    tcase_add_test(tc, values_npy_unit_mV);
    tcase_add_test(tc, units_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("sources");
    tcase_add_test(tc, source_poisson_regular);
    tcase_add_test(tc, source_spike_times);
    suite_add_tcase(s, tc);

    tc = tcase_create("projections");
    tcase_add_test(tc, proj_defaults_and_keys);
    tcase_add_test(tc, proj_explicit_order);
    tcase_add_test(tc, proj_all_to_all_order);
    tcase_add_test(tc, proj_degree_order);
    tcase_add_test(tc, proj_probability);
    tcase_add_test(tc, proj_sign);
    tcase_add_test(tc, proj_distributions);
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_add_test(tc, time_delay_rounding);
    tcase_add_test(tc, time_spike_floor);
    tcase_add_test(tc, time_period_phase_rounding);
    tcase_add_test(tc, time_refractory_rounding);
    tcase_add_test(tc, time_checks_discriminate);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, bad_input_file);
    tcase_add_test(tc, bad_at_compile);
    tcase_add_test(tc, bad_value_rejected);
    tcase_add_test(tc, bad_api);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, files_shipped_compile);
    tcase_add_test(tc, files_example_contents);
    tcase_add_test(tc, files_example_delays);
    tcase_add_test(tc, files_relative);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_test(tc, alloc_fail_parse);
    tcase_add_test(tc, alloc_fail_parse_npy);
    tcase_add_test(tc, alloc_fail_load);
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_add_test(tc, fuzz_regressions);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return myl_test_run(netfile_suite());
}
