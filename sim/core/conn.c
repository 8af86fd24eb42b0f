/* Connection rules: turning a projection's description into synapses, deterministically.
 *
 * A projection draws from three streams keyed by (seed, projection index): one for which pairs
 * connect, one for weights, one for delays. Changing the weight distribution therefore never
 * rewires the network. Generation is cheap enough to run more than once (the compiler counts
 * first, then fills), so nothing here allocates per synapse.
 *
 * Costs: all_to_all and explicit are O(synapses); fixed_probability skips ahead geometrically,
 * O(synapses) rather than O(pre x post); fixed_in/outdegree without multiple connections use
 * Floyd's sampling with a bitmap, O(degree) per neuron; fixed_total_number without multiple
 * connections rejects duplicates with a hash set, O(n) expected while n is well below pre x post.
 */
#include "net_internal.h"

#include "myelin/alloc.h"
#include "myelin/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_DELAY_TICKS (1u << 24)

typedef struct gen {
    const myl__proj *P;
    const myl_net *net;
    uint32_t idx;
    myl_rng_stream conn, wts, dls;
    uint64_t k; /* synapses emitted so far: index into weight/delay arrays */
    myl_syn_fn fn;
    void *ctx;
    myl_diag *d;
    double dt;
    char where[300];
    int constant; /* weight and delay are constants: cw, cd */
    float cw;
    uint32_t cd;
} gen;

static const char *proj_name(const gen *g)
{
    return g->P->d.name ? g->P->d.name : "(unnamed)";
}

/* "net.yaml:12:5: " when the projection knows where it was written */
static const char *origin(const gen *g)
{
    return g->where;
}

static double draw(const myl_values *v, myl_rng_stream *s, uint64_t k)
{
    switch (v->dist) {
    case MYL_DIST_CONST:
        return v->a;
    case MYL_DIST_ARRAY:
        return v->f32 ? (double)v->f32[k] : v->f64[k];
    case MYL_DIST_UNIFORM:
        if (v->integer) {
            /* whole numbers a..b; a span beyond 2^53 is refused when the projection is added */
            return v->a + (double)myl_rng_below(s, (uint64_t)(v->b - v->a) + 1);
        }
        return v->a + myl_rng_uniform(s) * (v->b - v->a);
    case MYL_DIST_NORMAL: {
        double x = v->a + v->b * myl_rng_normal(s);
        return x < v->lo ? v->lo : x > v->hi ? v->hi : x;
    }
    }
    return NAN;
}

/* Turn a drawn weight and delay into the synapse's float weight and whole-tick delay. */
static int check_wd(gen *g, double w, double draw_d, float *wout, uint32_t *dout)
{
    const myl_proj_desc *D = &g->P->d;
    if (!isfinite(w))
        return myl_diag_fail(g->d, MYL_EPARSE, "%sprojection '%s': weight of synapse %llu is %g",
                             origin(g), proj_name(g), (unsigned long long)g->k, w);
    if (D->sign == MYL_SIGN_EXC)
        w = fabs(w);
    else if (D->sign == MYL_SIGN_INH)
        w = -fabs(w);
    double dt = draw_d * D->delay_unit;
    /* nearest tick, halves away from zero; never truncated */
    double rd = dt >= 0 ? myl_round_ticks(dt) : 0;
    if (!(rd >= 1))
        return myl_diag_fail(g->d, MYL_EPARSE,
                             "%sprojection '%s': synapse %llu has a delay of %g ticks (%g ms at "
                             "dt = %g ms), which rounds to %g; delays must be at least 1 tick",
                             origin(g), proj_name(g), (unsigned long long)g->k, dt,
                             dt * g->dt * 1e3, g->dt * 1e3, rd);
    if (rd > MAX_DELAY_TICKS)
        return myl_diag_fail(g->d, MYL_ERANGE,
                             "%sprojection '%s': synapse %llu has a delay of %g ticks; the most "
                             "myelin supports is %u",
                             origin(g), proj_name(g), (unsigned long long)g->k, rd,
                             MAX_DELAY_TICKS);
    if (fabs(w) > 3.0e38)
        return myl_diag_fail(g->d, MYL_ERANGE,
                             "%sprojection '%s': weight %g of synapse %llu does not fit a float",
                             origin(g), proj_name(g), w, (unsigned long long)g->k);
    *wout = (float)w;
    *dout = (uint32_t)rd;
    return 0;
}

static inline int emit(gen *g, uint32_t pre, uint32_t post)
{
    myl_syn s = {pre, post, g->cw, g->cd};
    if (!g->constant) {
        const myl_proj_desc *D = &g->P->d;
        double w = draw(&D->weight, &g->wts, g->k);
        double dl = draw(&D->delay, &g->dls, g->k);
        int rc = check_wd(g, w, dl, &s.w, &s.delay);
        if (rc)
            return rc;
    }
    g->k++;
    return g->fn(g->ctx, &s);
}

/* Bitmap of n bits with a list of set bits, so clearing costs what setting did. */
typedef struct pick {
    uint64_t *bits;
    uint32_t *set;
    size_t nset;
} pick;

static int pick_init(pick *p, uint64_t n, uint64_t k)
{
    p->bits = myl_calloc((n + 63) / 64, sizeof *p->bits);
    p->set = myl_calloc(k ? k : 1, sizeof *p->set);
    p->nset = 0;
    if (!p->bits || !p->set) {
        myl_free(p->bits);
        myl_free(p->set);
        return MYL_ENOMEM;
    }
    return 0;
}

static int pick_test_set(pick *p, uint32_t i)
{
    uint64_t m = 1ull << (i & 63);
    if (p->bits[i >> 6] & m)
        return 1;
    p->bits[i >> 6] |= m;
    p->set[p->nset++] = i;
    return 0;
}

static void pick_clear(pick *p)
{
    for (size_t i = 0; i < p->nset; i++)
        p->bits[p->set[i] >> 6] = 0;
    p->nset = 0;
}

static void pick_free(pick *p)
{
    myl_free(p->bits);
    myl_free(p->set);
}

/* k partners for `fixed` among n candidates, skipping `self` (UINT32_MAX for none).
 * emit_pair(g, fixed, other) is called in draw order. */
static int choose(gen *g, pick *pk, uint32_t fixed, uint32_t n, uint32_t self, uint64_t k,
                  int fixed_is_post)
{
    uint32_t avail = n - (self != UINT32_MAX);
    int rc = 0;
    if (g->P->d.allow_multiple) {
        for (uint64_t j = 0; j < k && !rc; j++) {
            uint32_t o = (uint32_t)myl_rng_below(&g->conn, avail);
            if (self != UINT32_MAX && o >= self)
                o++;
            rc = fixed_is_post ? emit(g, o, fixed) : emit(g, fixed, o);
        }
        return rc;
    }
    /* Floyd's algorithm: k distinct values from [0, avail) in k draws */
    for (uint64_t j = avail - k; j < avail && !rc; j++) {
        uint32_t t = (uint32_t)myl_rng_below(&g->conn, j + 1);
        if (pick_test_set(pk, t)) {
            t = (uint32_t)j;
            pick_test_set(pk, t);
        }
        uint32_t o = t;
        if (self != UINT32_MAX && o >= self)
            o++;
        rc = fixed_is_post ? emit(g, o, fixed) : emit(g, fixed, o);
    }
    pick_clear(pk);
    return rc;
}

/* Open-addressing set of (pre, post) pairs for fixed_total_number without repeats. */
typedef struct pairset {
    uint64_t *slot; /* key + 1; 0 = empty */
    uint64_t mask;
} pairset;

static int pairset_insert(pairset *s, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (uint64_t i = h >> 20;; i++) {
        uint64_t *e = &s->slot[i & s->mask];
        if (*e == key + 1)
            return 1;
        if (*e == 0) {
            *e = key + 1;
            return 0;
        }
    }
}

static int generate(const myl_net *net, uint32_t proj, uint64_t seed, myl_syn_fn fn, void *ctx,
                    myl_diag *d, int pairs_only)
{
    if (!net || proj >= net->nprojs || !fn)
        return MYL_EINVAL;
    gen g = {.P = &net->projs[proj], .net = net, .idx = proj, .fn = fn, .ctx = ctx, .d = d,
             .dt = net->dt};
    if (g.P->d.origin)
        snprintf(g.where, sizeof g.where, "%s: ", g.P->d.origin);
    myl_rng_stream_init(&g.conn, seed, MYL_RNG_CONN, proj, 0);
    myl_rng_stream_init(&g.wts, seed, MYL_RNG_CONN, proj, 1);
    myl_rng_stream_init(&g.dls, seed, MYL_RNG_CONN, proj, 2);
    const myl_proj_desc *D = &g.P->d;
    if (pairs_only) {
        /* weights and delays come from streams of their own: leaving them out changes
         * nothing else */
        g.constant = 1;
    } else if (D->weight.dist == MYL_DIST_CONST && D->delay.dist == MYL_DIST_CONST) {
        /* the common case: check the one weight and delay once */
        int rc = check_wd(&g, D->weight.a, D->delay.a, &g.cw, &g.cd);
        if (rc)
            return rc;
        g.constant = 1;
    }
    const uint32_t npre = net->pops[D->pre].size, npost = net->pops[D->post].size;
    const int same = D->pre == D->post && !D->allow_self;
    int rc = 0;

    switch (D->rule) {
    case MYL_CONN_ALL_TO_ALL:
        for (uint32_t j = 0; j < npost && !rc; j++)
            for (uint32_t i = 0; i < npre && !rc; i++)
                if (!(same && i == j))
                    rc = emit(&g, i, j);
        break;
    case MYL_CONN_ONE_TO_ONE:
        if (!same)
            for (uint32_t i = 0; i < npre && !rc; i++)
                rc = emit(&g, i, i);
        break;
    case MYL_CONN_FIXED_PROBABILITY: {
        if (D->p <= 0)
            break;
        uint64_t total = (uint64_t)npre * npost;
        if (D->p >= 1) {
            for (uint64_t x = 0; x < total && !rc; x++) {
                uint32_t j = (uint32_t)(x / npre), i = (uint32_t)(x % npre);
                if (!(same && i == j))
                    rc = emit(&g, i, j);
            }
            break;
        }
        /* geometric gaps between successes over the post-major pair index */
        double l1p = log1p(-D->p);
        uint64_t x = 0;
        for (;;) {
            double u = 1.0 - myl_rng_uniform(&g.conn); /* (0, 1] */
            double gap = floor(log(u) / l1p);
            if (gap >= (double)(total - x))
                break;
            x += (uint64_t)gap;
            uint32_t j = (uint32_t)(x / npre), i = (uint32_t)(x % npre);
            if (!(same && i == j) && (rc = emit(&g, i, j)))
                break;
            if (++x >= total)
                break;
        }
        break;
    }
    case MYL_CONN_FIXED_INDEGREE:
    case MYL_CONN_FIXED_OUTDEGREE: {
        int in = D->rule == MYL_CONN_FIXED_INDEGREE;
        uint32_t nfix = in ? npost : npre, nother = in ? npre : npost;
        uint64_t avail = nother - (same ? 1 : 0);
        if (!D->allow_multiple && D->n > avail)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%sprojection '%s': %s %llu, but only %llu distinct %s neurons "
                                 "are available without multiple connections",
                                 origin(&g), proj_name(&g), in ? "indegree" : "outdegree",
                                 (unsigned long long)D->n, (unsigned long long)avail,
                                 in ? "source" : "target");
        if (D->n > 0 && avail == 0)
            return myl_diag_fail(d, MYL_EPARSE, "%sprojection '%s': no neurons to connect to",
                                 origin(&g), proj_name(&g));
        pick pk = {0};
        if (!D->allow_multiple && (rc = pick_init(&pk, nother, D->n)))
            return rc;
        for (uint32_t f = 0; f < nfix && !rc; f++)
            rc = choose(&g, &pk, f, nother, same ? f : UINT32_MAX, D->n, in);
        if (!D->allow_multiple)
            pick_free(&pk);
        break;
    }
    case MYL_CONN_FIXED_TOTAL_NUMBER: {
        uint64_t total = (uint64_t)npre * npost - (same ? npre : 0);
        if (!D->allow_multiple && D->n > total)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%sprojection '%s': %llu synapses asked, only %llu distinct "
                                 "pairs exist",
                                 origin(&g), proj_name(&g), (unsigned long long)D->n,
                                 (unsigned long long)total);
        if (D->n > 0 && total == 0)
            return myl_diag_fail(d, MYL_EPARSE, "%sprojection '%s': no pairs to connect",
                                 origin(&g), proj_name(&g));
        pairset ps = {0};
        if (!D->allow_multiple) {
            uint64_t cap = 64;
            while (cap < 2 * D->n)
                cap <<= 1;
            ps.slot = myl_calloc(cap, sizeof *ps.slot);
            if (!ps.slot)
                return MYL_ENOMEM;
            ps.mask = cap - 1;
        }
        for (uint64_t k = 0; k < D->n && !rc;) {
            uint32_t i = (uint32_t)myl_rng_below(&g.conn, npre);
            uint32_t j = (uint32_t)myl_rng_below(&g.conn, npost);
            if (same && i == j)
                continue;
            if (!D->allow_multiple && pairset_insert(&ps, (uint64_t)i * npost + j))
                continue;
            rc = emit(&g, i, j);
            k++;
        }
        myl_free(ps.slot);
        break;
    }
    case MYL_CONN_EXPLICIT:
        for (size_t k = 0; k < D->nexplicit && !rc; k++) {
            if (same && D->pre_idx[k] == D->post_idx[k])
                return myl_diag_fail(d, MYL_EPARSE,
                                     "%sprojection '%s': pair %zu connects neuron %u to itself "
                                     "and allow_self is false",
                                     origin(&g), proj_name(&g), k, D->pre_idx[k]);
            rc = emit(&g, D->pre_idx[k], D->post_idx[k]);
        }
        break;
    default:
        return MYL_EINVAL;
    }
    return rc;
}

uint64_t myl_net_proj_nsyn_bound(const myl_net *net, uint32_t proj)
{
    const myl_proj_desc *D = &net->projs[proj].d;
    uint64_t npre = net->pops[D->pre].size, npost = net->pops[D->post].size;
    switch (D->rule) {
    case MYL_CONN_ALL_TO_ALL:
        return npre * npost;
    case MYL_CONN_ONE_TO_ONE:
        return npre;
    case MYL_CONN_FIXED_PROBABILITY: {
        double n = (double)npre * (double)npost;
        double m = n * D->p, sd = sqrt(n * D->p * (1 - D->p));
        double b = ceil(m + 4 * sd);
        return b > n ? (uint64_t)n : (uint64_t)b;
    }
    case MYL_CONN_FIXED_INDEGREE:
        return D->n * npost;
    case MYL_CONN_FIXED_OUTDEGREE:
        return D->n * npre;
    case MYL_CONN_FIXED_TOTAL_NUMBER:
        return D->n;
    case MYL_CONN_EXPLICIT:
        return D->nexplicit;
    default:
        return 0;
    }
}

int myl_net_proj_generate(const myl_net *net, uint32_t proj, uint64_t seed, myl_syn_fn fn,
                          void *ctx, myl_diag *d)
{
    return generate(net, proj, seed, fn, ctx, d, 0);
}

int myl_net_proj_generate_pairs(const myl_net *net, uint32_t proj, uint64_t seed, myl_syn_fn fn,
                                void *ctx, myl_diag *d)
{
    return generate(net, proj, seed, fn, ctx, d, 1);
}
