/* Network description and compilation: connection rules, weight and delay distributions, and
 * what the compiler makes of them.
 *
 * Rules are checked against their definitions (exact counts where the rule fixes them; degree
 * constraints; no self or repeated pairs when excluded; binomial statistics for
 * fixed_probability; uniform choice of partners by chi-square), distributions against their
 * moments and bounds, and the compiled form against the synapses generated: every synapse must
 * appear in exactly one row, with its target, delay and weight.
 */
#include "testlib.h"

#include "myelin/cnet.h"
#include "myelin/net.h"

#include "../sim/core/cnet_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct syns {
    myl_syn *s;
    size_t n, cap;
} syns;

static int collect(void *ctx, const myl_syn *s)
{
    syns *v = ctx;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->s = realloc(v->s, v->cap * sizeof *v->s);
    }
    v->s[v->n++] = *s;
    return 0;
}

static myl_net *two_pops(uint32_t a, uint32_t b, int same)
{
    myl_net *n;
    ck_assert_int_eq(myl_net_new(1e-3, &n), 0);
    ck_assert_int_eq(myl_net_add_pop(n, "a", a, MYL_MODEL_LIF, NULL, NULL), 0);
    if (!same)
        ck_assert_int_eq(myl_net_add_pop(n, "b", b, MYL_MODEL_LIF, NULL, NULL), 0);
    return n;
}

static myl_proj_desc desc(myl_conn_rule r, uint32_t pre, uint32_t post)
{
    myl_proj_desc d = {0};
    d.rule = r;
    d.pre = pre;
    d.post = post;
    d.weight = myl_const(1);
    d.delay = myl_const(1);
    d.delay_unit = 1;
    d.allow_self = 1;
    d.allow_multiple = 1;
    return d;
}

static syns gen(myl_net *n, const myl_proj_desc *d, uint64_t seed)
{
    uint32_t id;
    myl_diag dg = {0};
    ck_assert_msg(myl_net_add_proj(n, d, &id, &dg) == 0, "%s", dg.msg);
    syns v = {0};
    ck_assert_msg(myl_net_proj_generate(n, id, seed, collect, &v, &dg) == 0, "%s", dg.msg);
    return v;
}

/* pair counts in a (npre x npost) table */
static uint32_t *pairs(const syns *v, uint32_t npre, uint32_t npost)
{
    uint32_t *t = calloc((size_t)npre * npost, sizeof *t);
    for (size_t i = 0; i < v->n; i++) {
        ck_assert_uint_lt(v->s[i].pre, npre);
        ck_assert_uint_lt(v->s[i].post, npost);
        t[(size_t)v->s[i].pre * npost + v->s[i].post]++;
    }
    return t;
}

START_TEST(all_to_all_and_order)
{
    myl_net *n = two_pops(7, 5, 0);
    myl_proj_desc d = desc(MYL_CONN_ALL_TO_ALL, 0, 1);
    syns v = gen(n, &d, 1);
    ck_assert_uint_eq(v.n, 35);
    /* target-major: synapse k is (pre k % 7, post k / 7), a (post, pre) matrix in C order */
    for (size_t k = 0; k < v.n; k++) {
        ck_assert_uint_eq(v.s[k].pre, k % 7);
        ck_assert_uint_eq(v.s[k].post, k / 7);
    }
    free(v.s);
    /* within one population without self connections */
    d = desc(MYL_CONN_ALL_TO_ALL, 0, 0);
    d.allow_self = 0;
    v = gen(n, &d, 1);
    ck_assert_uint_eq(v.n, 42);
    for (size_t k = 0; k < v.n; k++)
        ck_assert_uint_ne(v.s[k].pre, v.s[k].post);
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(one_to_one)
{
    myl_net *n = two_pops(9, 9, 0);
    myl_proj_desc d = desc(MYL_CONN_ONE_TO_ONE, 0, 1);
    syns v = gen(n, &d, 1);
    ck_assert_uint_eq(v.n, 9);
    for (size_t k = 0; k < v.n; k++)
        ck_assert(v.s[k].pre == k && v.s[k].post == k);
    free(v.s);
    /* sizes must match */
    myl_net *m = two_pops(3, 4, 0);
    d = desc(MYL_CONN_ONE_TO_ONE, 0, 1);
    myl_diag dg = {0};
    ck_assert_int_eq(myl_net_add_proj(m, &d, NULL, &dg), MYL_EINVAL);
    ck_assert_ptr_nonnull(strstr(dg.msg, "one_to_one"));
    myl_net_free(m);
    myl_net_free(n);
}
END_TEST

START_TEST(fixed_indegree)
{
    const uint32_t N = 200, K = 50;
    for (int multi = 0; multi <= 1; multi++) {
        myl_net *n = two_pops(N, N, 1);
        myl_proj_desc d = desc(MYL_CONN_FIXED_INDEGREE, 0, 0);
        d.n = K;
        d.allow_self = 0;
        d.allow_multiple = multi;
        syns v = gen(n, &d, 42);
        ck_assert_uint_eq(v.n, (size_t)N * K);
        uint32_t *t = pairs(&v, N, N);
        uint64_t indeg[200] = {0}, outdeg[200] = {0}, repeats = 0;
        for (uint32_t i = 0; i < N; i++)
            for (uint32_t j = 0; j < N; j++) {
                uint32_t c = t[i * N + j];
                indeg[j] += c;
                outdeg[i] += c;
                if (i == j)
                    ck_assert_uint_eq(c, 0);
                if (c > 1)
                    repeats += c - 1;
            }
        for (uint32_t j = 0; j < N; j++)
            ck_assert_uint_eq(indeg[j], K);
        if (!multi)
            ck_assert_uint_eq(repeats, 0);
        else
            ck_assert_uint_gt(repeats, 0); /* 10,000 draws of 199: repeats are certain */
        /* sources chosen uniformly: out-degrees are Binomial(N*K, 1/(N-1)) around K */
        double chi = 0, e = (double)N * K / N;
        for (uint32_t i = 0; i < N; i++)
            chi += (outdeg[i] - e) * (outdeg[i] - e) / e;
        /* 199 degrees of freedom (fewer without repeats, which only lowers chi): 5 sigma */
        ck_assert_msg(chi < 199 + 5 * sqrt(2 * 199.0), "chi-square %g", chi);
        free(t);
        free(v.s);
        myl_net_free(n);
    }
}
END_TEST

START_TEST(fixed_indegree_too_many)
{
    myl_net *n = two_pops(10, 10, 0);
    myl_proj_desc d = desc(MYL_CONN_FIXED_INDEGREE, 0, 1);
    d.n = 11;
    d.allow_multiple = 0;
    uint32_t id;
    ck_assert_int_eq(myl_net_add_proj(n, &d, &id, NULL), 0);
    syns v = {0};
    myl_diag dg = {0};
    ck_assert_int_eq(myl_net_proj_generate(n, id, 1, collect, &v, &dg), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(dg.msg, "indegree 11"));
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(fixed_outdegree)
{
    myl_net *n = two_pops(30, 80, 0);
    myl_proj_desc d = desc(MYL_CONN_FIXED_OUTDEGREE, 0, 1);
    d.n = 80;
    d.allow_multiple = 0; /* every target exactly once */
    syns v = gen(n, &d, 3);
    uint32_t *t = pairs(&v, 30, 80);
    for (uint32_t i = 0; i < 30 * 80; i++)
        ck_assert_uint_eq(t[i], 1);
    /* source-major order */
    for (size_t k = 0; k < v.n; k++)
        ck_assert_uint_eq(v.s[k].pre, k / 80);
    free(t);
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(fixed_probability)
{
    const uint32_t A = 300, B = 400;
    const double p = 0.05;
    myl_net *n = two_pops(A, B, 0);
    myl_proj_desc d = desc(MYL_CONN_FIXED_PROBABILITY, 0, 1);
    d.p = p;
    syns v = gen(n, &d, 9);
    double m = (double)A * B * p, sd = sqrt(m * (1 - p));
    ck_assert_msg(fabs(v.n - m) < 5 * sd, "%zu synapses, expected %g +- %g", v.n, m, sd);
    uint32_t *t = pairs(&v, A, B);
    uint64_t upper = 0;
    for (uint32_t i = 0; i < A * B; i++)
        ck_assert_uint_le(t[i], 1);
    for (size_t k = 0; k < v.n; k++)
        upper += v.s[k].pre < A / 2;
    /* each half of the sources gets half the synapses */
    ck_assert(fabs(upper - v.n / 2.0) < 5 * sqrt(v.n / 4.0));
    /* target-major, ascending pair index */
    for (size_t k = 1; k < v.n; k++)
        ck_assert((uint64_t)v.s[k].post * A + v.s[k].pre >
                  (uint64_t)v.s[k - 1].post * A + v.s[k - 1].pre);
    free(t);
    free(v.s);
    /* p = 0 and p = 1 */
    d.p = 0;
    v = gen(n, &d, 9);
    ck_assert_uint_eq(v.n, 0);
    free(v.s);
    d.p = 1;
    v = gen(n, &d, 9);
    ck_assert_uint_eq(v.n, (size_t)A * B);
    free(v.s);
    /* outside [0, 1] */
    d.p = 1.5;
    myl_diag dg = {0};
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, &dg), MYL_ERANGE);
    myl_net_free(n);
}
END_TEST

START_TEST(fixed_total_number)
{
    myl_net *n = two_pops(20, 20, 1);
    myl_proj_desc d = desc(MYL_CONN_FIXED_TOTAL_NUMBER, 0, 0);
    d.n = 380; /* every pair but the diagonal */
    d.allow_self = 0;
    d.allow_multiple = 0;
    syns v = gen(n, &d, 5);
    ck_assert_uint_eq(v.n, 380);
    uint32_t *t = pairs(&v, 20, 20);
    for (uint32_t i = 0; i < 20; i++)
        for (uint32_t j = 0; j < 20; j++)
            ck_assert_uint_eq(t[i * 20 + j], i != j);
    free(t);
    free(v.s);
    d.n = 381;
    uint32_t id;
    ck_assert_int_eq(myl_net_add_proj(n, &d, &id, NULL), 0);
    v = (syns){0};
    ck_assert_int_eq(myl_net_proj_generate(n, id, 1, collect, &v, NULL), MYL_EPARSE);
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(explicit_pairs)
{
    myl_net *n = two_pops(5, 6, 0);
    uint32_t pre[4] = {4, 0, 4, 2}, post[4] = {5, 0, 5, 1};
    float w[4] = {0.5f, -1.0f, 2.0f, 0.25f};
    myl_proj_desc d = desc(MYL_CONN_EXPLICIT, 0, 1);
    d.nexplicit = 4;
    d.pre_idx = pre;
    d.post_idx = post;
    d.weight = (myl_values){.dist = MYL_DIST_ARRAY, .n = 4, .f32 = w};
    syns v = gen(n, &d, 1);
    ck_assert_uint_eq(v.n, 4);
    for (int k = 0; k < 4; k++) {
        ck_assert_uint_eq(v.s[k].pre, pre[k]);
        ck_assert_uint_eq(v.s[k].post, post[k]);
        ck_assert_float_eq(v.s[k].w, w[k]);
    }
    free(v.s);
    post[1] = 6; /* out of range */
    myl_diag dg = {0};
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, &dg), MYL_ERANGE);
    ck_assert_ptr_nonnull(strstr(dg.msg, "pair 1"));
    myl_net_free(n);
}
END_TEST

START_TEST(weights_and_signs)
{
    myl_net *n = two_pops(100, 100, 0);
    myl_proj_desc d = desc(MYL_CONN_ALL_TO_ALL, 0, 1);
    d.weight = (myl_values){.dist = MYL_DIST_NORMAL, .a = 1, .b = 2, .lo = -0.5, .hi = 3};
    syns v = gen(n, &d, 1);
    size_t at_lo = 0, at_hi = 0;
    for (size_t k = 0; k < v.n; k++) {
        ck_assert(v.s[k].w >= -0.5f && v.s[k].w <= 3.0f);
        at_lo += v.s[k].w == -0.5f;
        at_hi += v.s[k].w == 3.0f;
    }
    /* clipped, not redrawn: P(x < -0.5) = Phi(-0.75) = 0.2266, P(x > 3) = Phi(-1) = 0.1587 */
    double N = (double)v.n;
    ck_assert(fabs(at_lo / N - 0.2266) < 5 * sqrt(0.2266 * 0.7734 / N));
    ck_assert(fabs(at_hi / N - 0.1587) < 5 * sqrt(0.1587 * 0.8413 / N));
    free(v.s);
    d.weight = (myl_values){.dist = MYL_DIST_UNIFORM, .a = -1, .b = 1};
    d.sign = MYL_SIGN_INH;
    v = gen(n, &d, 1);
    double sum = 0;
    for (size_t k = 0; k < v.n; k++) {
        ck_assert(v.s[k].w <= 0 && v.s[k].w >= -1);
        sum += v.s[k].w;
    }
    /* |U(-1, 1)| has mean 1/2 */
    ck_assert(fabs(sum / v.n + 0.5) < 5 * sqrt(1.0 / 12 / v.n));
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(delays)
{
    myl_net *n = two_pops(50, 50, 0);
    myl_proj_desc d = desc(MYL_CONN_ALL_TO_ALL, 0, 1);
    /* seconds to ticks: nearest tick, halves away from zero (dt = 1 ms) */
    d.delay_unit = 1 / 1e-3;
    d.delay = myl_const(2.5e-3);
    syns v = gen(n, &d, 1);
    for (size_t k = 0; k < v.n; k++)
        ck_assert_uint_eq(v.s[k].delay, 3);
    free(v.s);
    d.delay = myl_const(1.49e-3);
    v = gen(n, &d, 1);
    ck_assert_uint_eq(v.s[0].delay, 1);
    free(v.s);
    /* whole-number uniform in ticks: every value 1..8 equally often, both ends included */
    d.delay_unit = 1;
    d.delay = (myl_values){.dist = MYL_DIST_UNIFORM, .a = 1, .b = 8, .integer = 1};
    v = gen(n, &d, 1);
    uint32_t hist[10] = {0};
    for (size_t k = 0; k < v.n; k++) {
        ck_assert(v.s[k].delay >= 1 && v.s[k].delay <= 8);
        hist[v.s[k].delay]++;
    }
    double e = v.n / 8.0, chi = 0;
    for (int i = 1; i <= 8; i++)
        chi += (hist[i] - e) * (hist[i] - e) / e;
    ck_assert_msg(chi < 7 + 5 * sqrt(14.0), "chi-square %g", chi);
    free(v.s);
    /* zero delay */
    d.delay = myl_const(0.4);
    uint32_t id;
    ck_assert_int_eq(myl_net_add_proj(n, &d, &id, NULL), 0);
    v = (syns){0};
    myl_diag dg = {0};
    ck_assert_int_eq(myl_net_proj_generate(n, id, 1, collect, &v, &dg), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(dg.msg, "at least 1 tick"));
    free(v.s);
    myl_net_free(n);
}
END_TEST

START_TEST(deterministic)
{
    myl_net *n = two_pops(100, 100, 0);
    myl_proj_desc d = desc(MYL_CONN_FIXED_INDEGREE, 0, 1);
    d.n = 10;
    d.weight = (myl_values){.dist = MYL_DIST_NORMAL, .a = 0, .b = 1, .lo = -INFINITY,
                            .hi = INFINITY};
    syns a = gen(n, &d, 77), b = {0}, c = {0};
    ck_assert_int_eq(myl_net_proj_generate(n, 0, 77, collect, &b, NULL), 0);
    ck_assert_int_eq(myl_net_proj_generate(n, 0, 78, collect, &c, NULL), 0);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_int_eq(memcmp(a.s, b.s, a.n * sizeof *a.s), 0);
    ck_assert_int_ne(memcmp(a.s, c.s, a.n * sizeof *a.s), 0);
    /* the weight stream is separate: the same projection with other weights makes the same
     * pairs (streams are keyed by projection index, so build it as projection 0 again) */
    myl_net *n2 = two_pops(100, 100, 0);
    myl_proj_desc d2 = d;
    d2.weight = myl_const(3);
    syns e = gen(n2, &d2, 77);
    myl_net_free(n2);
    for (size_t k = 0; k < a.n; k++)
        ck_assert(a.s[k].pre == e.s[k].pre && a.s[k].post == e.s[k].post);
    free(a.s), free(b.s), free(c.s), free(e.s);
    myl_net_free(n);
}
END_TEST

/* Pairs only: every rule, with random weights and delays, gives the full generation's pre and
 * post in the same order, with weight and delay 0. */
START_TEST(pairs_only_match)
{
    static const myl_conn_rule rules[] = {MYL_CONN_ALL_TO_ALL,        MYL_CONN_ONE_TO_ONE,
                                          MYL_CONN_FIXED_PROBABILITY, MYL_CONN_FIXED_INDEGREE,
                                          MYL_CONN_FIXED_OUTDEGREE,   MYL_CONN_FIXED_TOTAL_NUMBER};
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        myl_net *n = two_pops(60, 60, 0);
        myl_proj_desc d = desc(rules[r], 0, 1);
        d.n = 7;
        d.p = 0.2;
        d.weight = (myl_values){.dist = MYL_DIST_NORMAL, .a = 0, .b = 1, .lo = -INFINITY,
                                .hi = INFINITY};
        d.delay = (myl_values){.dist = MYL_DIST_UNIFORM, .a = 1, .b = 9, .integer = 1};
        syns a = gen(n, &d, 5), b = {0};
        ck_assert_uint_gt(a.n, 0);
        ck_assert_int_eq(myl_net_proj_generate_pairs(n, 0, 5, collect, &b, NULL), 0);
        ck_assert_uint_eq(a.n, b.n);
        for (size_t k = 0; k < a.n; k++) {
            ck_assert(a.s[k].pre == b.s[k].pre && a.s[k].post == b.s[k].post);
            ck_assert(b.s[k].w == 0 && b.s[k].delay == 0);
        }
        free(a.s), free(b.s);
        myl_net_free(n);
    }
}
END_TEST

/* ---- compilation -------------------------------------------------------------------------- */

START_TEST(compiled_rows_hold_every_synapse)
{
    /* a mixed network on small cores: every generated synapse is in exactly one row of its
     * source, on its target's core, with its delay and (scaled) weight */
    myl_net *n;
    ck_assert_int_eq(myl_net_new(1e-3, &n), 0);
    ck_assert_int_eq(myl_net_add_pop(n, "a", 40, MYL_MODEL_LIF, NULL, NULL), 0);
    ck_assert_int_eq(myl_net_add_pop(n, "b", 30, MYL_MODEL_CUBA_LIF, NULL, NULL), 0);
    myl_proj_desc d = desc(MYL_CONN_FIXED_PROBABILITY, 0, 1);
    d.p = 0.3;
    d.weight = (myl_values){.dist = MYL_DIST_UNIFORM, .a = -2, .b = 2};
    d.delay = (myl_values){.dist = MYL_DIST_UNIFORM, .a = 1, .b = 40, .integer = 1};
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, NULL), 0);
    d = desc(MYL_CONN_ALL_TO_ALL, 1, 0);
    d.weight = myl_const(0.125);
    d.delay = myl_const(7);
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, NULL), 0);
    myl_layout lay;
    ck_assert_int_eq(myl_layout_default(n, 8, &lay), 0);
    myl_compile_opts o = {.seed = 5, .ring_slots = 16};
    myl_cnet *c;
    myl_diag dg = {0};
    ck_assert_msg(myl_net_compile(n, &lay, &o, &c, &dg) == 0, "%s", dg.msg);
    myl_cnet_info info;
    myl_cnet_info_get(c, &info);
    ck_assert(info.inputs_exact);
    uint64_t total = 0;
    for (uint32_t p = 0; p < 2; p++) {
        syns v = {0};
        ck_assert_int_eq(myl_net_proj_generate(n, p, 5, collect, &v, NULL), 0);
        uint64_t pre0 = myl_net_pop_first(n, p), post0 = myl_net_pop_first(n, 1 - p);
        for (size_t k = 0; k < v.n; k++) {
            uint32_t g = (uint32_t)(pre0 + v.s[k].pre), t = (uint32_t)(post0 + v.s[k].post);
            int found = 0;
            for (uint64_t q = c->row_ptr[g]; q < c->row_ptr[g + 1] && !found; q++) {
                const myl__row *R = &c->row[q];
                if (R->core != lay.core_of[t])
                    continue;
                for (uint32_t j = 0; j < R->len && !found; j++) {
                    uint32_t w = c->word[R->off + j];
                    float ws = R->homog ? R->w : c->wt[R->woff + j];
                    found = myl__syn_tgt(w) == c->local_of[t] &&
                            R->stage * c->ring + myl__syn_dly(w) == v.s[k].delay &&
                            ldexp(ws, -c->kshift) == v.s[k].w &&
                            (int)myl__syn_rec(w) == (v.s[k].w < 0);
                }
            }
            if (!found)
                ck_abort_msg("synapse %u -> %u (delay %u, w %g) is in no row", g, t,
                             v.s[k].delay, v.s[k].w);
        }
        total += v.n;
        free(v.s);
    }
    ck_assert_uint_eq(info.nsyn, total);
    /* the all_to_all rows share weight and delay (4 bytes a synapse), and so do the rows of
     * the other projection that hold a single synapse; the search above found every synapse's
     * weight where its row keeps it, so no row is wrongly marked as shared */
    ck_assert_uint_ge(info.homog_syn, 30 * 40);
    ck_assert_uint_lt(info.homog_syn, info.nsyn);
    myl_cnet_free(c);
    myl_layout_release(&lay);
    myl_net_free(n);
}
END_TEST

START_TEST(too_big_is_refused_before_allocating)
{
    /* 100,000 x 100,000 all_to_all is 10^10 synapses: refused from the estimate, with a
     * message, and nothing large allocated (this test would run out of memory otherwise) */
    myl_net *n = two_pops(100000, 100000, 0);
    myl_proj_desc d = desc(MYL_CONN_ALL_TO_ALL, 0, 1);
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, NULL), 0);
    myl_cnet *c = NULL;
    myl_diag dg = {0};
    myl_compile_opts o = {.seed = 1, .mem_limit = 1ull << 30};
    ck_assert_int_eq(myl_net_compile(n, NULL, &o, &c, &dg), MYL_ETOOBIG);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(dg.msg, "GiB"));
    myl_net_free(n);
}
END_TEST

START_TEST(weights_spanning_many_octaves)
{
    /* weights 1e-30 and 1e6 cannot all be exact within 2^53: the scale favours the sum bound
     * and says so */
    myl_net *n = two_pops(2, 2, 0);
    float w[4] = {1e-30f, 1e6f, 1.0f, 0.5f};
    myl_proj_desc d = desc(MYL_CONN_ALL_TO_ALL, 0, 1);
    d.weight = (myl_values){.dist = MYL_DIST_ARRAY, .n = 4, .f32 = w};
    ck_assert_int_eq(myl_net_add_proj(n, &d, NULL, NULL), 0);
    myl_cnet *c;
    ck_assert_int_eq(myl_net_compile(n, NULL, NULL, &c, NULL), 0);
    myl_cnet_info info;
    myl_cnet_info_get(c, &info);
    ck_assert(!info.inputs_exact);
    /* the largest input (2e6) times 2^k stays below 2^53 */
    ck_assert(ldexp(2e6, info.weight_shift) < 0x1p53);
    myl_cnet_free(c);
    myl_net_free(n);
}
END_TEST

START_TEST(alloc_failure)
{
    int ok = 0;
    for (long k = 1; !ok && k < 5000; k++) {
        myl_test_fail_after(k);
        myl_net *n = NULL;
        myl_cnet *c = NULL;
        int rc = myl_net_new(1e-3, &n);
        if (!rc)
            rc = myl_net_add_pop(n, "a", 50, MYL_MODEL_LIF, NULL, NULL);
        if (!rc)
            rc = myl_net_add_pop(n, "s", 5, MYL_MODEL_POISSON, NULL, NULL);
        myl_proj_desc d = desc(MYL_CONN_FIXED_TOTAL_NUMBER, 1, 0);
        d.n = 100;
        d.allow_multiple = 0;
        if (!rc)
            rc = myl_net_add_proj(n, &d, NULL, NULL);
        d = desc(MYL_CONN_FIXED_INDEGREE, 0, 0);
        d.n = 5;
        d.allow_multiple = 0;
        if (!rc)
            rc = myl_net_add_proj(n, &d, NULL, NULL);
        if (!rc)
            rc = myl_net_compile(n, NULL, NULL, &c, NULL);
        ok = rc == 0;
        if (!ok)
            ck_assert_int_eq(rc, MYL_ENOMEM);
        myl_test_fail_after(0);
        myl_cnet_free(c);
        myl_net_free(n);
    }
    ck_assert(ok);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, all_to_all_and_order);
    tcase_add_test(tc, one_to_one);
    tcase_add_test(tc, pairs_only_match);
    tcase_add_test(tc, fixed_indegree);
    tcase_add_test(tc, fixed_indegree_too_many);
    tcase_add_test(tc, fixed_outdegree);
    tcase_add_test(tc, fixed_probability);
    tcase_add_test(tc, fixed_total_number);
    tcase_add_test(tc, explicit_pairs);
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, weights_and_signs);
    tcase_add_test(tc, delays);
    tcase_add_test(tc, deterministic);
    suite_add_tcase(s, tc);
    tc = tcase_create("compile");
    tcase_add_test(tc, compiled_rows_hold_every_synapse);
    tcase_add_test(tc, too_big_is_refused_before_allocating);
    tcase_add_test(tc, weights_spanning_many_octaves);
    tcase_add_test(tc, alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
