/* The engines against each other and against a plain reference.
 *
 * 1. Event vs dense: on every network below, under several layouts (one core per population,
 *    many small cores) and delay-ring lengths (long enough, and short enough that long delays
 *    need several stages), both engines must produce the same spikes every tick and end with
 *    bit-identical membrane potentials.
 * 2. Reference: a deliberately simple simulator written here from docs/models.md - synapses as
 *    a flat list from myl_net_proj_generate, a per-neuron map of pending input keyed by arrival
 *    tick, the LIF update written out - must agree spike for spike with the event engine on LIF
 *    networks. It shares no code with the engines but the connection generator.
 */
#include "testlib.h"

#include "myelin/cnet.h"
#include "myelin/netfile.h"
#include "myelin/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NET_FEEDFORWARD =
    "run: {dt: 0.1 ms, seed: 3}\n"
    "populations:\n"
    "  - {name: in, size: 100, model: poisson, rate: 40 Hz}\n"
    "  - {name: h, size: 60, model: lif, tau_m: 10 ms, v_th: 1, v_reset: 0, refractory: 2}\n"
    "  - {name: out, size: 20, model: lif, tau_m: 15 ms, v_th: 1.5, refractory: 1 ms}\n"
    "projections:\n"
    "  - {from: in, to: h, rule: all_to_all, weight: {dist: uniform, low: -0.1, high: 0.4},\n"
    "     delay: {dist: uniform, low: 1, high: 10}}\n"
    "  - {from: h, to: out, rule: fixed_probability, p: 0.3,\n"
    "     weight: {dist: normal, mean: 0.6, std: 0.3, low: 0, high: 2}, delay: 2 ms}\n";

static const char *const NET_BALANCED =
    "run: {dt: 0.1 ms, seed: 11}\n"
    "populations:\n"
    "  - {name: e, size: 400, model: lif, tau_m: 20 ms, v_th: 20, v_reset: 10, refractory: 2 ms,\n"
    "     v_init: {dist: uniform, low: 0, high: 20}, input_rate: 9 kHz, input_weight: 0.2}\n"
    "  - {name: i, size: 100, model: lif, tau_m: 20 ms, v_th: 20, v_reset: 10, refractory: 2 ms,\n"
    "     v_init: {dist: uniform, low: 0, high: 20}, input_rate: 9 kHz, input_weight: 0.2}\n"
    "projections:\n"
    "  - {from: e, to: e, rule: fixed_indegree, indegree: 40, weight: 0.2, delay: 1.5 ms}\n"
    "  - {from: e, to: i, rule: fixed_indegree, indegree: 40, weight: 0.2, delay: 1.5 ms}\n"
    "  - {from: i, to: e, rule: fixed_indegree, indegree: 10, weight: -1, delay: 1.5 ms}\n"
    "  - {from: i, to: i, rule: fixed_indegree, indegree: 10, weight: -1, delay: 1.5 ms,\n"
    "     allow_self: false}\n";

/* delays up to 600 ticks, refractoriness, subtractive reset */
static const char *const NET_DELAYS =
    "run: {dt: 1 ms, seed: 5}\n"
    "populations:\n"
    "  - {name: src, size: 50, model: poisson, rate: 30 Hz}\n"
    "  - {name: a, size: 80, model: lif, tau_m: 30 ms, v_th: 1, reset: subtract,\n"
    "     refractory: 3}\n"
    "  - {name: b, size: 40, model: lif, tau_m: 30 ms, v_th: 1, refractory: 7}\n"
    "projections:\n"
    "  - {from: src, to: a, rule: fixed_outdegree, outdegree: 10, weight: 0.45,\n"
    "     delay: {dist: uniform, low: 1, high: 600}}\n"
    "  - {from: a, to: b, rule: fixed_total_number, n: 900, weight: {dist: uniform, low: 0, "
    "high: 0.5},\n"
    "     delay: {dist: uniform, low: 60, high: 300}, allow_multiple: false}\n"
    "  - {from: b, to: a, rule: all_to_all, weight: -0.2, delay: 64}\n"
    "  - {from: a, to: a, rule: fixed_probability, p: 0.05, weight: 0.3, delay: 65,\n"
    "     allow_self: false}\n";

/* current-based neurons with heterogeneous parameters, inhibition, several receptors */
static const char *const NET_CUBA =
    "run: {dt: 0.1 ms, seed: 2}\n"
    "populations:\n"
    "  - {name: e, size: 160, model: cuba_lif, tau_m: 20 ms, tau_syn_e: 5 ms, tau_syn_i: 10 ms,\n"
    "     v_rest: -49, v_th: {dist: uniform, low: -51, high: -49}, v_reset: -60,\n"
    "     refractory: 5 ms, v_init: {dist: uniform, low: -60, high: -50}}\n"
    "  - {name: i, size: 40, model: cuba_lif, tau_m: {dist: uniform, low: 15 ms, high: 25 ms},\n"
    "     tau_syn: 8 ms, v_rest: -49, v_th: -50, v_reset: -60, refractory: 5 ms,\n"
    "     v_init: {dist: uniform, low: -60, high: -50}}\n"
    "  - {name: r, size: 5, model: li, tau_m: 10 ms, tau_syn: 5 ms}\n"
    "projections:\n"
    "  - {from: e, to: e, rule: fixed_probability, p: 0.1, weight: 1.62, delay: 1}\n"
    "  - {from: e, to: i, rule: fixed_probability, p: 0.1, weight: 1.62, delay: 2}\n"
    "  - {from: i, to: e, rule: fixed_probability, p: 0.1, weight: -9, delay: 1}\n"
    "  - {from: i, to: i, rule: fixed_probability, p: 0.1, weight: -9, delay: 3}\n"
    "  - {from: e, to: r, rule: all_to_all, weight: {dist: normal, mean: 0.1, std: 0.05},\n"
    "     delay: 1}\n";

/* every source kind, multiplicity, an if population, a delta li readout */
static const char *const NET_SOURCES =
    "run: {dt: 1 ms, seed: 9}\n"
    "populations:\n"
    "  - {name: reg, size: 4, model: regular, period: [5, 7, 11, 13], phase: [0, 1, 2, 3]}\n"
    "  - {name: st, size: 3, model: spike_times,\n"
    "     times: [[1, 1, 1, 40, 41], [3 ms, 3 ms, 90 ms], [0, 250]]}\n"
    "  - {name: burst, size: 10, model: poisson, rate: 3 kHz}\n"
    "  - {name: x, size: 30, model: if, v_th: 3, bias: 20, refractory: 2}\n"
    "  - {name: y, size: 10, model: lif, tau_m: 5 ms, v_th: 2, strict_threshold: true}\n"
    "  - {name: ro, size: 3, model: li, tau_m: 50 ms}\n"
    "projections:\n"
    "  - {from: reg, to: x, rule: all_to_all, weight: 0.5, delay: {dist: uniform, low: 1, high: "
    "4}}\n"
    "  - {from: st, to: x, rule: fixed_outdegree, outdegree: 5, weight: 1.1, delay: 2}\n"
    "  - {from: burst, to: y, rule: fixed_indegree, indegree: 3, weight: 0.25, delay: 1}\n"
    "  - {from: x, to: y, rule: fixed_probability, p: 0.2, weight: -0.3, delay: 3,\n"
    "     sign: inhibitory}\n"
    "  - {from: y, to: ro, rule: all_to_all, weight: 1, delay: 1}\n"
    "  - {from: x, to: x, rule: explicit, pre: [0, 1, 2, 3], post: [1, 2, 3, 0], weight: 2,\n"
    "     delay: [1, 2, 3, 4]}\n";

/* under 1 % of neurons active: the event engine updates only a few neurons per tick */
static const char *const NET_SPARSE =
    "run: {dt: 1 ms, seed: 4}\n"
    "populations:\n"
    "  - {name: s, size: 20, model: poisson, rate: 2 Hz}\n"
    "  - {name: a, size: 2000, model: lif, tau_m: 10 ms, v_th: 1, v_rest: -0.5,\n"
    "     v_init: -0.5}\n"
    "projections:\n"
    "  - {from: s, to: a, rule: fixed_outdegree, outdegree: 50, weight: 1.2, delay: 1}\n"
    "  - {from: a, to: a, rule: fixed_outdegree, outdegree: 2, weight: 0.8, delay: 5,\n"
    "     allow_self: false}\n";

static myl_netfile *load(const char *text)
{
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_parse(text, strlen(text), "test.yaml", ".", &nf, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    return nf;
}

static myl_cnet *compile(const myl_net *net, uint32_t per_core, uint32_t ring)
{
    myl_layout lay;
    ck_assert_int_eq(myl_layout_default(net, per_core, &lay), 0);
    myl_compile_opts o = {.seed = myl_net_seed(net), .ring_slots = ring};
    myl_cnet *c = NULL;
    myl_diag d = {0};
    int rc = myl_net_compile(net, &lay, &o, &c, &d);
    myl_layout_release(&lay);
    ck_assert_msg(rc == 0, "%s", d.msg);
    return c;
}

/* Run both engines for T ticks; same spikes every tick, same state at the end. Returns the
 * number of spikes (so a test can insist the network did something). */
static uint64_t agree(const myl_net *net, uint32_t per_core, uint32_t ring, uint64_t T)
{
    myl_cnet *c = compile(net, per_core, ring);
    myl_sim *ev, *de;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &ev), 0);
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_DENSE, &de), 0);
    uint64_t spikes = 0, upd_ev = 0, upd_de = 0;
    for (uint64_t t = 0; t < T; t++) {
        myl_tick_report a, b;
        ck_assert_int_eq(myl_sim_step(ev, &a), 0);
        ck_assert_int_eq(myl_sim_step(de, &b), 0);
        if (a.nspiking != b.nspiking)
            ck_abort_msg("tick %llu (cores of %u, ring %u): %u neurons spike in the event "
                         "engine, %u in the dense one",
                         (unsigned long long)t, per_core, ring, a.nspiking, b.nspiking);
        for (uint32_t i = 0; i < a.nspiking; i++)
            if (a.spike[i] != b.spike[i] || a.count[i] != b.count[i])
                ck_abort_msg("tick %llu: spike %u is neuron %u x%u (event) vs %u x%u (dense)",
                             (unsigned long long)t, i, a.spike[i], a.count[i], b.spike[i],
                             b.count[i]);
        if (a.syn_events != b.syn_events || a.input_events != b.input_events)
            ck_abort_msg("tick %llu: synaptic events %llu vs %llu", (unsigned long long)t,
                         (unsigned long long)a.syn_events, (unsigned long long)b.syn_events);
        if (a.nv != b.nv || memcmp(a.v, b.v, a.nv * sizeof *a.v) != 0)
            ck_abort_msg("tick %llu: recorded membranes differ", (unsigned long long)t);
        spikes += a.spikes;
        upd_ev += a.updates;
        upd_de += b.updates;
    }
    for (uint32_t g = 0; g < myl_net_nneurons(net); g++) {
        float x = myl_sim_v(ev, g), y = myl_sim_v(de, g);
        if (memcmp(&x, &y, sizeof x) != 0)
            ck_abort_msg("neuron %u ends at v = %.9g (event) vs %.9g (dense)", g, x, y);
    }
    ck_assert_uint_le(upd_ev, upd_de);
    myl_sim_free(ev);
    myl_sim_free(de);
    myl_cnet_free(c);
    return spikes;
}

static void all_layouts(const char *text, uint64_t T, uint64_t min_spikes)
{
    myl_netfile *nf = load(text);
    uint64_t s0 = agree(nf->net, 0, 0, T);
    ck_assert_msg(s0 >= min_spikes, "only %llu spikes", (unsigned long long)s0);
    /* many small cores: rows split across cores, spike lists merged across cores */
    ck_assert_uint_eq(agree(nf->net, 7, 0, T), s0);
    /* short rings: long delays travel in several stages through the scheduler */
    ck_assert_uint_eq(agree(nf->net, 0, 4, T), s0);
    ck_assert_uint_eq(agree(nf->net, 13, 2, T), s0);
    myl_netfile_free(nf);
}

START_TEST(feedforward)
{
    all_layouts(NET_FEEDFORWARD, 3000, 1000);
}
END_TEST

START_TEST(balanced)
{
    all_layouts(NET_BALANCED, 2000, 2000);
}
END_TEST

START_TEST(long_delays)
{
    all_layouts(NET_DELAYS, 2500, 1000);
}
END_TEST

START_TEST(current_based)
{
    all_layouts(NET_CUBA, 3000, 500);
}
END_TEST

START_TEST(sources)
{
    all_layouts(NET_SOURCES, 400, 300);
}
END_TEST

START_TEST(sparse_activity)
{
    all_layouts(NET_SPARSE, 3000, 50);
}
END_TEST

/* ---- the plain reference ------------------------------------------------------------------ */

typedef struct pend {
    uint64_t tick;
    double x;
    struct pend *next;
} pend;

typedef struct ref {
    const myl_net *net;
    uint64_t n;
    float *v;
    int32_t *ref;
    pend **q; /* per neuron: pending input, unsorted */
    /* synapses: outgoing lists per source */
    uint64_t *off, *cnt;
    uint32_t *tgt, *dly;
    float *w;
    uint64_t nsyn, cap;
} ref;

typedef struct gen_ctx {
    ref *r;
    uint64_t pre_first, post_first;
    int count_only;
} gen_ctx;

static int collect(void *ctx, const myl_syn *s)
{
    gen_ctx *g = ctx;
    ref *r = g->r;
    uint64_t src = g->pre_first + s->pre;
    if (g->count_only) {
        r->cnt[src]++;
        return 0;
    }
    uint64_t k = r->off[src] + r->cnt[src]++;
    r->tgt[k] = (uint32_t)(g->post_first + s->post);
    r->dly[k] = s->delay;
    r->w[k] = s->w;
    return 0;
}

static void ref_build(ref *r, const myl_net *net, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->net = net;
    r->n = myl_net_nneurons(net);
    r->v = calloc(r->n, sizeof *r->v);
    r->ref = calloc(r->n, sizeof *r->ref);
    r->q = calloc(r->n, sizeof *r->q);
    r->off = calloc(r->n + 1, sizeof *r->off);
    r->cnt = calloc(r->n, sizeof *r->cnt);
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            for (uint64_t i = 0; i < r->n; i++)
                r->off[i + 1] = r->off[i] + r->cnt[i];
            r->nsyn = r->off[r->n];
            r->tgt = calloc(r->nsyn + 1, sizeof *r->tgt);
            r->dly = calloc(r->nsyn + 1, sizeof *r->dly);
            r->w = calloc(r->nsyn + 1, sizeof *r->w);
            memset(r->cnt, 0, r->n * sizeof *r->cnt);
        }
        for (uint32_t j = 0; j < myl_net_nprojs(net); j++) {
            const myl_proj_desc *D = myl_net_proj(net, j);
            gen_ctx g = {r, myl_net_pop_first(net, D->pre), myl_net_pop_first(net, D->post),
                         !pass};
            myl_diag d = {0};
            ck_assert_int_eq(myl_net_proj_generate(net, j, seed, collect, &g, &d), 0);
        }
    }
}

static void ref_free(ref *r)
{
    for (uint64_t i = 0; i < r->n; i++)
        for (pend *p = r->q[i], *nx; p; p = nx) {
            nx = p->next;
            free(p);
        }
    free(r->v), free(r->ref), free(r->q), free(r->off), free(r->cnt);
    free(r->tgt), free(r->dly), free(r->w);
}

/* One tick of the reference for a network of lif neurons (all homogeneous, as written in the
 * network below) fed by spike_times sources. src_spk: sources' spikes this tick (global ids). */
static uint32_t ref_step(ref *r, uint64_t t, const double *tau, const double *vth,
                         const double *vreset, const int *refr, const uint32_t *src_spk,
                         uint32_t nsrc, uint32_t *out)
{
    uint32_t nout = 0;
    for (uint64_t g = 0; g < r->n; g++) {
        uint32_t p = 0;
        while (g >= myl_net_pop_first(r->net, p) + myl_net_pop_size(r->net, p))
            p++;
        if (tau[p] == 0)
            continue; /* a source */
        /* input due now, summed in double: weights here are multiples of 1/64, so exact */
        double x = 0;
        for (pend **pp = &r->q[g]; *pp;) {
            if ((*pp)->tick == t) {
                pend *dead = *pp;
                x += dead->x;
                *pp = dead->next;
                free(dead);
            } else {
                pp = &(*pp)->next;
            }
        }
        /* docs/models.md, lif with v_rest = 0 and no bias */
        if (r->ref[g] > 0) {
            r->ref[g]--;
            continue;
        }
        float a = (float)exp(-1e-3 / tau[p]);
        float v = 0.0f + (r->v[g] - 0.0f) * a + (float)x;
        if (v >= (float)vth[p]) {
            v = (float)vreset[p];
            r->ref[g] = refr[p];
            out[nout++] = (uint32_t)g;
        }
        r->v[g] = v;
    }
    for (uint32_t i = 0; i < nsrc; i++)
        out[nout++] = src_spk[i];
    /* spikes at t become input at t + d */
    for (uint32_t i = 0; i < nout; i++)
        for (uint64_t k = r->off[out[i]]; k < r->off[out[i] + 1]; k++) {
            pend *p = malloc(sizeof *p);
            p->tick = t + r->dly[k];
            p->x = r->w[k];
            p->next = r->q[r->tgt[k]];
            r->q[r->tgt[k]] = p;
        }
    return nout;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(reference)
{
    static const char *const text =
        "run: {dt: 1 ms, seed: 21}\n"
        "populations:\n"
        "  - {name: s, size: 30, model: spike_times, neurons: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
        "11, 12, 13, 14, 0, 2, 4, 6, 8], times: [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, "
        "39, 42, 100, 130, 160, 190, 220]}\n"
        "  - {name: a, size: 60, model: lif, tau_m: 12 ms, v_th: 1, v_reset: 0, refractory: 3}\n"
        "  - {name: b, size: 40, model: lif, tau_m: 25 ms, v_th: 0.75, v_reset: -0.25, "
        "refractory: 1}\n"
        "projections:\n"
        "  - {from: s, to: a, rule: fixed_outdegree, outdegree: 20, weight: 0.75,\n"
        "     delay: {dist: uniform, low: 1, high: 9}}\n"
        "  - {from: a, to: a, rule: fixed_indegree, indegree: 6, weight: 0.28125,\n"
        "     delay: {dist: uniform, low: 2, high: 30}}\n"
        "  - {from: a, to: b, rule: fixed_probability, p: 0.2, weight: 0.3125, delay: 4}\n"
        "  - {from: b, to: a, rule: all_to_all, weight: -0.015625, delay: 7}\n";
    const double tau[3] = {0, 12e-3, 25e-3}, vth[3] = {0, 1, 0.75}, vres[3] = {0, 0, -0.25};
    const int refr[3] = {0, 3, 1};
    myl_netfile *nf = load(text);
    ref r;
    ref_build(&r, nf->net, myl_net_seed(nf->net));
    myl_cnet *c = compile(nf->net, 0, 0);
    myl_sim *ev;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &ev), 0);
    uint32_t out[200];
    uint64_t total = 0;
    for (uint64_t t = 0; t < 600; t++) {
        myl_tick_report a;
        ck_assert_int_eq(myl_sim_step(ev, &a), 0);
        /* the sources' spikes this tick, from the event engine's report (they are inputs) */
        uint32_t src[30], nsrc = 0;
        for (uint32_t i = 0; i < a.nspiking; i++)
            if (a.spike[i] < 30)
                src[nsrc++] = a.spike[i];
        uint32_t n = ref_step(&r, t, tau, vth, vres, refr, src, nsrc, out);
        qsort(out, n, sizeof *out, cmp_u32);
        if (n != a.nspiking)
            ck_abort_msg("tick %llu: reference has %u spikes, engine %u", (unsigned long long)t,
                         n, a.nspiking);
        for (uint32_t i = 0; i < n; i++)
            if (out[i] != a.spike[i])
                ck_abort_msg("tick %llu: reference spike %u is neuron %u, engine %u",
                             (unsigned long long)t, i, out[i], a.spike[i]);
        total += n;
    }
    for (uint32_t g = 30; g < 130; g++) {
        float x = myl_sim_v(ev, g);
        if (memcmp(&x, &r.v[g], sizeof x) != 0)
            ck_abort_msg("neuron %u: v %.9g (engine) vs %.9g (reference)", g, x, r.v[g]);
    }
    ck_assert_uint_gt(total, 200);
    myl_sim_free(ev);
    myl_cnet_free(c);
    ref_free(&r);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(reproducible)
{
    /* same seed, same spikes; another seed, other spikes */
    myl_netfile *nf = load(NET_BALANCED);
    uint64_t h[3];
    uint64_t seeds[3] = {11, 11, 12};
    for (int k = 0; k < 3; k++) {
        myl_layout lay;
        ck_assert_int_eq(myl_layout_default(nf->net, 0, &lay), 0);
        myl_compile_opts o = {.seed = seeds[k]};
        myl_cnet *c;
        myl_diag d = {0};
        ck_assert_int_eq(myl_net_compile(nf->net, &lay, &o, &c, &d), 0);
        myl_layout_release(&lay);
        myl_sim *s;
        ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
        h[k] = 1469598103934665603ull;
        for (int t = 0; t < 500; t++) {
            myl_tick_report rep;
            ck_assert_int_eq(myl_sim_step(s, &rep), 0);
            for (uint32_t i = 0; i < rep.nspiking; i++)
                h[k] = (h[k] ^ (rep.spike[i] + ((uint64_t)t << 32))) * 1099511628211ull;
        }
        myl_sim_free(s);
        myl_cnet_free(c);
    }
    ck_assert_uint_eq(h[0], h[1]);
    ck_assert_uint_ne(h[0], h[2]);
    myl_netfile_free(nf);
}
END_TEST

START_TEST(alloc_failure)
{
    /* every allocation of compile, engine start and the first ticks may fail: errors, no leaks */
    myl_netfile *nf = load(NET_SOURCES);
    int ok = 0;
    for (long n = 1; !ok && n < 100000; n++) {
        myl_test_fail_after(n);
        myl_cnet *c = NULL;
        myl_sim *s = NULL;
        myl_compile_opts o = {.seed = 1};
        int rc = myl_net_compile(nf->net, NULL, &o, &c, NULL);
        if (!rc)
            rc = myl_sim_new(c, MYL_ENGINE_EVENT, &s);
        for (int t = 0; !rc && t < 50; t++) {
            myl_tick_report r;
            rc = myl_sim_step(s, &r);
        }
        ok = rc == 0;
        if (!ok)
            ck_assert_int_eq(rc, MYL_ENOMEM);
        myl_test_fail_after(0);
        myl_sim_free(s);
        myl_cnet_free(c);
    }
    ck_assert(ok);
    myl_netfile_free(nf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("event_vs_dense");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, feedforward);
    tcase_add_test(tc, balanced);
    tcase_add_test(tc, long_delays);
    tcase_add_test(tc, current_based);
    tcase_add_test(tc, sources);
    tcase_add_test(tc, sparse_activity);
    suite_add_tcase(s, tc);
    tc = tcase_create("reference");
    tcase_add_test(tc, reference);
    suite_add_tcase(s, tc);
    tc = tcase_create("determinism");
    tcase_add_test(tc, reproducible);
    suite_add_tcase(s, tc);
    tc = tcase_create("failure");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
