/* Compiler: myl_net + layout -> myl_cnet (see cnet.h for the representation).
 *
 *   1. bounds: the largest delay each projection can produce (exact for constants, uniform and
 *      arrays; mean + 8.6 sd for an unclipped normal, beyond which the Box-Muller draw from 53-bit
 *      uniforms cannot go), which fixes the delay-ring length R and so each synapse's stage;
 *      a memory estimate from rule bounds, checked before anything large is allocated;
 *   2. pass 1: generate every synapse, counting per row key (source, core, stage) in a hash
 *      table, noting whether a row has one shared weight and delay, each target's worst-case
 *      input (for the fixed-point scale) and the finest weight resolution;
 *   3. rows sorted by key with a counting sort on the source, offsets assigned;
 *   4. pass 2: generate again (same seed, same synapses) and write the words and weights;
 *   5. cores: local order, segments, kernel constants, initial state.
 */
#include "cnet_internal.h"

#include "myelin/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- layout ------------------------------------------------------------------------------ */

int myl_layout_default(const myl_net *net, uint32_t max_per_core, myl_layout *out)
{
    if (!net || !out)
        return MYL_EINVAL;
    if (max_per_core == 0 || max_per_core > MYL_MAX_CORE_NEURONS)
        max_per_core = MYL_MAX_CORE_NEURONS;
    out->ncores = 0;
    out->core_of = myl_calloc(net->nneurons ? net->nneurons : 1, sizeof *out->core_of);
    if (!out->core_of)
        return MYL_ENOMEM;
    uint32_t c = 0;
    for (uint32_t p = 0; p < net->npops; p++) {
        const myl__pop *P = &net->pops[p];
        for (uint32_t i = 0; i < P->size; i++)
            out->core_of[P->first + i] = c + i / max_per_core;
        c += (P->size + max_per_core - 1) / max_per_core;
    }
    out->ncores = c;
    return 0;
}

void myl_layout_release(myl_layout *l)
{
    if (!l)
        return;
    myl_free(l->core_of);
    l->core_of = NULL;
    l->ncores = 0;
}

/* ---- bounds ------------------------------------------------------------------------------ */

static double values_max(const myl_values *v)
{
    switch (v->dist) {
    case MYL_DIST_CONST:
        return v->a;
    case MYL_DIST_UNIFORM:
        return v->b;
    case MYL_DIST_NORMAL: {
        double m = v->a + 8.6 * v->b;
        return m < v->hi ? m : v->hi;
    }
    case MYL_DIST_ARRAY: {
        double m = -INFINITY;
        for (size_t i = 0; i < v->n; i++) {
            double x = v->f32 ? v->f32[i] : v->f64[i];
            if (x > m)
                m = x;
        }
        return m;
    }
    }
    return 0;
}

static uint32_t proj_delay_bound(const myl__proj *P)
{
    double m = round(values_max(&P->d.delay) * P->d.delay_unit);
    if (!(m >= 1))
        return 1;
    return m > (double)(1u << 24) ? (1u << 24) : (uint32_t)m;
}

static uint16_t pop_max_count(const myl__pop *p)
{
    switch (p->model) {
    case MYL_MODEL_POISSON:
        return MYL_POISSON_KMAX;
    case MYL_MODEL_EVENTS:
        return MYL_MAX_COUNT; /* a stream may put many events on one neuron in one tick */
    case MYL_MODEL_SPIKE_TIMES: {
        uint32_t best = p->ntimes ? 1 : 0, run = 0;
        for (size_t j = 0; j < p->ntimes; j++) {
            if (j && p->t_tick[j] == p->t_tick[j - 1] && p->t_neuron[j] == p->t_neuron[j - 1])
                run++;
            else
                run = 1;
            if (run > best)
                best = run;
        }
        return best > MYL_MAX_COUNT ? MYL_MAX_COUNT : (uint16_t)best;
    }
    default:
        return 1;
    }
}

static uint64_t phys_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psz <= 0)
        return 4ull << 30;
    return (uint64_t)pages * (uint64_t)psz;
}

uint64_t myl_net_estimate_bytes(const myl_net *net, uint32_t ncores)
{
    uint64_t syn = 0;
    for (uint32_t j = 0; j < net->nprojs; j++)
        syn += myl_net_proj_nsyn_bound(net, j);
    /* 8 bytes per synapse at most, a row per (source, core) at most, neuron state and rings */
    uint64_t rows = 0;
    for (uint32_t j = 0; j < net->nprojs; j++) {
        uint64_t npre = net->pops[net->projs[j].d.pre].size;
        uint64_t b = myl_net_proj_nsyn_bound(net, j);
        rows += b < npre * (uint64_t)(ncores ? ncores : 1) ? b : npre * ncores;
    }
    return syn * 8 + rows * (sizeof(myl__row) + 16) + net->nneurons * 64;
}

/* ---- row table (hash of (source, core, stage) -> row) ------------------------------------ */

/* Row keys pack into 64 bits: source (32) | core (20) | stage (12). */
#define KEY_CORE_BITS 20
#define KEY_STAGE_BITS 12
#define MAX_KEY_CORES (1u << KEY_CORE_BITS)
#define MAX_KEY_STAGES (1u << KEY_STAGE_BITS)

static inline uint64_t rkey(uint32_t g, uint32_t core, uint32_t stage)
{
    return (uint64_t)g << 32 | (uint64_t)core << KEY_STAGE_BITS | stage;
}
static inline uint32_t rkey_g(uint64_t k)
{
    return (uint32_t)(k >> 32);
}
static inline uint32_t rkey_core(uint64_t k)
{
    return (uint32_t)(k >> KEY_STAGE_BITS) & (MAX_KEY_CORES - 1);
}
static inline uint32_t rkey_stage(uint64_t k)
{
    return (uint32_t)k & (MAX_KEY_STAGES - 1);
}

typedef struct rent {
    uint64_t key;   /* UINT64_MAX: empty slot */
    uint32_t len;
    uint32_t fill;  /* pass 2: synapses written so far */
    uint32_t homog;
    float w0;
    uint32_t d0;
    uint32_t pad;
    uint64_t row;   /* index in the sorted row table */
} rent;

/* Open addressing with linear probing, entries stored in the slots. Rows are few compared with
 * synapses (one per source and core reached), so the table stays within the caches for networks
 * of tens of thousands of neurons. */
typedef struct rtab {
    rent *slot;
    uint64_t n, mask;
    rent *last; /* one-entry cache: source-major rules hit the same row many times in a row */
} rtab;

/* Murmur3's 64-bit finaliser: every key bit reaches the low bits used as the slot index. */
static inline uint64_t rkey_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    return k ^ (k >> 33);
}

static int rtab_grow(rtab *t)
{
    uint64_t ncap = t->mask ? (t->mask + 1) * 2 : 4096;
    rent *slot = myl_calloc(ncap, sizeof *slot);
    if (!slot)
        return MYL_ENOMEM;
    for (uint64_t i = 0; i < ncap; i++)
        slot[i].key = UINT64_MAX;
    for (uint64_t i = 0; t->slot && i <= t->mask; i++) {
        if (t->slot[i].key == UINT64_MAX)
            continue;
        for (uint64_t j = rkey_hash(t->slot[i].key);; j++)
            if (slot[j & (ncap - 1)].key == UINT64_MAX) {
                slot[j & (ncap - 1)] = t->slot[i];
                break;
            }
    }
    myl_free(t->slot);
    t->slot = slot;
    t->mask = ncap - 1;
    t->last = NULL;
    return 0;
}

/* Find key; insert it when `insert` (else NULL if absent). NULL on allocation failure. */
static inline rent *rtab_get(rtab *t, uint64_t key, int insert)
{
    if (t->last && t->last->key == key)
        return t->last;
    if (insert && (t->n + 1) * 2 > t->mask + 1 && rtab_grow(t))
        return NULL;
    for (uint64_t j = rkey_hash(key);; j++) {
        rent *e = &t->slot[j & t->mask];
        if (e->key == key)
            return t->last = e;
        if (e->key == UINT64_MAX) {
            if (!insert)
                return NULL;
            memset(e, 0, sizeof *e);
            e->key = key;
            t->n++;
            return t->last = e;
        }
    }
}

static void rtab_free(rtab *t)
{
    myl_free(t->slot);
}

/* ---- passes ------------------------------------------------------------------------------ */

typedef struct pass {
    myl_cnet *c;
    rtab *rt;
    const int32_t *chip_syn; /* the projection's chip inputs, or NULL */
    uint64_t chip_n, chip_k;
    const uint32_t *core_of;
    uint64_t pre_first, post_first;
    double maxcount; /* most spikes the projection's source emits per tick */
    int fill;        /* 0: pass 1 (count), 1: pass 2 (write) */
    /* pass 1 */
    double *insum;   /* [n] worst-case |input| per target and tick */
    int min_exp;     /* exponent of the finest mantissa bit among the weights */
    uint32_t max_delay;
    uint64_t nsyn, limit_syn;
} pass;

/* Track the exponent of the finest mantissa bit among the weights, from the float's bits. */
static void note_weight_bits(pass *ps, float w)
{
    if (w == 0)
        return;
    uint32_t b;
    memcpy(&b, &w, sizeof b);
    int be = (int)((b >> 23) & 0xFF);
    int lsb = be ? be - 150 : -149;
    if (lsb < ps->min_exp)
        ps->min_exp = lsb;
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int on_syn(void *ctx, const myl_syn *s)
{
    pass *ps = ctx;
    myl_cnet *c = ps->c;
    float w = s->w;
    if (ps->chip_syn) {
        /* the chip's integer input replaces the float weight */
        if (ps->chip_k >= ps->chip_n)
            return MYL_ESTATE;
        w = (float)ps->chip_syn[ps->chip_k++];
    }
    const uint32_t delay = s->delay;
    uint32_t g = (uint32_t)(ps->pre_first + s->pre);
    uint32_t t = (uint32_t)(ps->post_first + s->post);
    uint32_t stage = (delay - 1) / c->ring;
    if (stage >= MAX_KEY_STAGES)
        return MYL_ERANGE;
    rent *e = rtab_get(ps->rt, rkey(g, ps->core_of[t], stage), !ps->fill);
    if (!e)
        return ps->fill ? MYL_ESTATE : MYL_ENOMEM;

    if (ps->fill) {
        const myl__row *r = &c->row[e->row];
        uint32_t pos = e->fill++;
        uint32_t din = delay - r->stage * c->ring;
        c->word[r->off + pos] = myl__syn_pack(c->local_of[t], w < 0, din);
        if (!r->homog)
            c->wt[r->woff + pos] = (float)rint(ldexp((double)w, c->kshift));
        return 0;
    }

    if (++ps->nsyn > ps->limit_syn || e->len == UINT32_MAX)
        return MYL_ETOOBIG;
    if (e->len == 0) {
        e->w0 = w;
        e->d0 = delay;
        e->homog = 1;
    } else if (e->homog && (!same_bits(e->w0, w) || e->d0 != delay)) {
        e->homog = 0;
    }
    e->len++;
    ps->insum[t] += fabs((double)w) * ps->maxcount;
    note_weight_bits(ps, w);
    if (delay > ps->max_delay)
        ps->max_delay = delay;
    return 0;
}

static int run_pass(const myl_net *net, pass *ps, myl_diag *d)
{
    for (uint32_t j = 0; j < net->nprojs; j++) {
        const myl_proj_desc *D = &net->projs[j].d;
        ps->pre_first = net->pops[D->pre].first;
        ps->post_first = net->pops[D->post].first;
        ps->maxcount = pop_max_count(&net->pops[D->pre]);
        const myl_chip *chip = ps->c->chip;
        ps->chip_syn = chip && chip->syn ? chip->syn[j] : NULL;
        ps->chip_n = ps->chip_syn ? chip->nsyn[j] : 0;
        ps->chip_k = 0;
        int rc = myl_net_proj_generate(net, j, ps->c->seed, on_syn, ps, d);
        if (!rc && ps->chip_syn && ps->chip_k != ps->chip_n)
            rc = MYL_ESTATE;
        if (rc == MYL_ERANGE && !(d && d->set))
            return myl_diag_fail(d, rc,
                                 "projection %s: delays span more than %u rings of %u ticks",
                                 D->name ? D->name : "(unnamed)", MAX_KEY_STAGES, ps->c->ring);
        if (rc == MYL_ETOOBIG)
            return myl_diag_fail(d, rc,
                                 "projection %s: the network needs more memory than the limit "
                                 "allows (over %llu synapses)",
                                 D->name ? D->name : "(unnamed)",
                                 (unsigned long long)ps->limit_syn);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_row_in_source(const rent *a, const rent *b)
{
    return a->key < b->key ? -1 : a->key > b->key;
}

#define SORT_FEW 32 /* rows of one source sorted by insertion */

typedef struct kslot {
    uint64_t key, slot;
} kslot;

static int kslot_cmp(const void *a, const void *b)
{
    const kslot *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Rows grouped by source (counting sort), ordered by (core, stage) within a source. */
static int build_rows(myl_cnet *c, rtab *rt)
{
    c->row_ptr = myl_calloc((size_t)c->n + 1, sizeof *c->row_ptr);
    c->nrows = rt->n;
    c->row = myl_calloc(rt->n ? rt->n : 1, sizeof *c->row);
    uint64_t *order = myl_calloc(rt->n ? rt->n : 1, sizeof *order);
    if (!c->row_ptr || !c->row || !order) {
        myl_free(order);
        return MYL_ENOMEM;
    }
    if (rt->n > UINT32_MAX) {
        myl_free(order);
        return MYL_ETOOBIG; /* messages name rows with 32 bits */
    }
    const uint64_t nslots = rt->slot ? rt->mask + 1 : 0;
    for (uint64_t i = 0; i < nslots; i++)
        if (rt->slot[i].key != UINT64_MAX)
            c->row_ptr[rkey_g(rt->slot[i].key) + 1]++;
    for (uint32_t g = 0; g < c->n; g++)
        c->row_ptr[g + 1] += c->row_ptr[g];
    for (uint64_t i = 0; i < nslots; i++) {
        if (rt->slot[i].key == UINT64_MAX)
            continue;
        uint32_t g = rkey_g(rt->slot[i].key);
        /* row_ptr[g] is used as a cursor and restored below */
        order[c->row_ptr[g]++] = i;
    }
    for (uint32_t g = c->n; g > 0; g--)
        c->row_ptr[g] = c->row_ptr[g - 1];
    c->row_ptr[0] = 0;
    /* a source's rows in key order: insertion sort for the few rows most sources have, a
     * merge-free qsort of (key, slot) pairs for a source spread over many cores */
    uint64_t most = 0;
    for (uint32_t g = 0; g < c->n; g++)
        if (c->row_ptr[g + 1] - c->row_ptr[g] > most)
            most = c->row_ptr[g + 1] - c->row_ptr[g];
    kslot *ks = most > SORT_FEW ? myl_calloc(most, sizeof *ks) : NULL;
    if (most > SORT_FEW && !ks) {
        myl_free(order);
        return MYL_ENOMEM;
    }
    for (uint32_t g = 0; g < c->n; g++) {
        uint64_t a = c->row_ptr[g], b = c->row_ptr[g + 1];
        if (b - a > SORT_FEW) {
            for (uint64_t i = a; i < b; i++)
                ks[i - a] = (kslot){rt->slot[order[i]].key, order[i]};
            qsort(ks, b - a, sizeof *ks, kslot_cmp);
            for (uint64_t i = a; i < b; i++)
                order[i] = ks[i - a].slot;
            continue;
        }
        for (uint64_t i = a + 1; i < b; i++) {
            uint64_t x = order[i], j = i;
            while (j > a && cmp_row_in_source(&rt->slot[order[j - 1]], &rt->slot[x]) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = x;
        }
    }
    uint64_t off = 0, woff = 0;
    for (uint64_t r = 0; r < rt->n; r++) {
        rent *e = &rt->slot[order[r]];
        e->row = r;
        myl__row *R = &c->row[r];
        R->off = off;
        R->len = e->len;
        R->core = rkey_core(e->key);
        R->stage = rkey_stage(e->key);
        R->homog = e->homog;
        off += e->len;
        if (e->homog) {
            R->w = (float)rint(ldexp((double)e->w0, c->kshift));
            c->homog_syn += e->len;
        } else {
            R->woff = woff;
            woff += e->len;
        }
    }
    c->nsyn = off;
    c->nwt = woff;
    myl_free(order);
    myl_free(ks);
    c->fanout = myl_calloc(c->n, sizeof *c->fanout);
    if (!c->fanout)
        return MYL_ENOMEM;
    for (uint32_t g = 0; g < c->n; g++)
        for (uint64_t q = c->row_ptr[g]; q < c->row_ptr[g + 1]; q++)
            c->fanout[g] += c->row[q].len;
    return 0;
}

/* ---- cores ------------------------------------------------------------------------------- */

static int build_cores(const myl_net *net, myl_cnet *c, const myl_layout *lay, myl_diag *d)
{
    c->core = myl_calloc(c->ncores ? c->ncores : 1, sizeof *c->core);
    if (!c->core)
        return MYL_ENOMEM;
    for (uint32_t g = 0; g < c->n; g++) {
        if (lay->core_of[g] >= c->ncores)
            return myl_diag_fail(d, MYL_EINVAL, "layout puts neuron %u on core %u of %u", g,
                                 lay->core_of[g], c->ncores);
        c->core[lay->core_of[g]].n++;
    }
    for (uint32_t k = 0; k < c->ncores; k++) {
        myl__core *C = &c->core[k];
        if (C->n > MYL_MAX_CORE_NEURONS)
            return myl_diag_fail(d, MYL_ETOOBIG, "core %u holds %u neurons; at most %u", k,
                                 C->n, MYL_MAX_CORE_NEURONS);
        C->gid = myl_calloc(C->n ? C->n : 1, sizeof *C->gid);
        C->v0 = myl_calloc(C->n ? C->n : 1, sizeof *C->v0);
        C->iv0 = myl_calloc(C->n ? C->n : 1, sizeof *C->iv0);
        if (!C->gid || !C->v0 || !C->iv0)
            return MYL_ENOMEM;
        C->n = 0;
    }
    for (uint32_t g = 0; g < c->n; g++) {
        myl__core *C = &c->core[lay->core_of[g]];
        c->local_of[g] = C->n;
        C->gid[C->n++] = g;
    }
    /* segments: runs of one population in a core's ascending global order */
    for (uint32_t k = 0; k < c->ncores; k++) {
        myl__core *C = &c->core[k];
        uint32_t nseg = 0, pop = 0, prev = UINT32_MAX;
        for (uint32_t l = 0; l < C->n; l++) {
            while (C->gid[l] >= net->pops[pop].first + net->pops[pop].size)
                pop++;
            if (pop != prev)
                nseg++, prev = pop;
        }
        C->seg = myl_calloc(nseg ? nseg : 1, sizeof *C->seg);
        if (!C->seg)
            return MYL_ENOMEM;
        pop = 0, prev = UINT32_MAX;
        for (uint32_t l = 0; l < C->n; l++) {
            while (C->gid[l] >= net->pops[pop].first + net->pops[pop].size)
                pop++;
            if (pop != prev) {
                C->seg[C->nseg++] = (myl__seg){.pop = pop, .lo = l};
                prev = pop;
            }
            C->seg[C->nseg - 1].n++;
        }
        for (uint32_t s = 0; s < C->nseg; s++) {
            int rc = myl__seg_prepare(net, net->dt, c->seed, c->chip, C, &C->seg[s], d);
            if (rc)
                return rc;
            if (C->seg[s].syn_current)
                C->two_rec = 1;
            if (!myl_model_is_source(C->seg[s].model))
                c->nmodel += C->seg[s].n;
        }
    }
    return 0;
}

void myl_cnet_free(myl_cnet *c)
{
    if (!c)
        return;
    if (c->core)
        for (uint32_t k = 0; k < c->ncores; k++) {
            for (uint32_t s = 0; s < c->core[k].nseg; s++)
                myl__seg_release(&c->core[k].seg[s]);
            myl_free(c->core[k].seg);
            myl_free(c->core[k].gid);
            myl_free(c->core[k].v0);
            myl_free(c->core[k].iv0);
        }
    myl_free(c->core);
    myl_free(c->core_of);
    myl_free(c->local_of);
    myl_free(c->row_ptr);
    myl_free(c->fanout);
    myl_free(c->row);
    myl_free(c->word);
    myl_free(c->wt);
    myl_free(c);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int myl_net_compile(const myl_net *net, const myl_layout *layout, const myl_compile_opts *opts,
                    myl_cnet **out, myl_diag *d)
{
    if (!net || !out)
        return MYL_EINVAL;
    *out = NULL;
    double t0 = now_s();
    myl_compile_opts o = {0};
    if (opts)
        o = *opts;
    if (o.mem_limit == 0)
        o.mem_limit = phys_mem() / 10 * 8;
    if (o.ring_slots && (o.ring_slots > MYL_MAX_RING || (o.ring_slots & (o.ring_slots - 1))))
        return myl_diag_fail(d, MYL_EINVAL, "ring length %u is not a power of two <= %u",
                             o.ring_slots, MYL_MAX_RING);
    if (net->nneurons == 0)
        return myl_diag_fail(d, MYL_EINVAL, "the network has no neurons");

    /* the estimate counts at 8 bytes per synapse and is exact for all rules but
     * fixed_probability, so refuse before generating or allocating anything */
    uint64_t est = myl_net_estimate_bytes(net, layout ? layout->ncores : net->npops);
    if (est > o.mem_limit)
        return myl_diag_fail(d, MYL_ETOOBIG,
                             "the network needs about %.2f GiB, more than the %.2f GiB allowed "
                             "(%.0f%% of this machine's memory)",
                             est / 1073741824.0, o.mem_limit / 1073741824.0,
                             opts && opts->mem_limit ? 100.0 * o.mem_limit / phys_mem() : 80.0);
    myl_layout own = {0};
    int rc;
    if (!layout) {
        if ((rc = myl_layout_default(net, 0, &own)))
            return rc;
        layout = &own;
    }

    myl_cnet *c = myl_calloc(1, sizeof *c);
    rtab rt = {0};
    pass ps = {0};
    if (!c) {
        myl_layout_release(&own);
        return MYL_ENOMEM;
    }
    c->net = net;
    c->chip = o.chip;
    c->seed = o.seed;
    c->n = (uint32_t)net->nneurons;
    c->ncores = layout->ncores;
    if (c->ncores > MAX_KEY_CORES) {
        rc = myl_diag_fail(d, MYL_ETOOBIG, "the layout uses %u cores; at most %u are supported",
                           c->ncores, MAX_KEY_CORES);
        goto fail;
    }
    c->core_of = myl_calloc(c->n, sizeof *c->core_of);
    c->local_of = myl_calloc(c->n, sizeof *c->local_of);
    ps.insum = myl_calloc(c->n, sizeof *ps.insum);
    if (!c->core_of || !c->local_of || !ps.insum) {
        rc = MYL_ENOMEM;
        goto fail;
    }
    memcpy(c->core_of, layout->core_of, c->n * sizeof *c->core_of);

    /* ring length from the largest delay any projection can produce */
    uint32_t dmax = 1;
    for (uint32_t j = 0; j < net->nprojs; j++) {
        uint32_t b = proj_delay_bound(&net->projs[j]);
        if (b > dmax)
            dmax = b;
    }
    if (o.ring_slots) {
        c->ring = o.ring_slots;
    } else {
        c->ring = 2;
        while (c->ring < dmax && c->ring < MYL_MAX_RING)
            c->ring <<= 1;
        /* rings are 8 bytes per neuron and slot, twice with two receptors: keep them under a
         * quarter of the memory limit; longer delays then use more stages */
        while (c->ring > 16 && (uint64_t)c->n * c->ring * 16 > o.mem_limit / 4)
            c->ring >>= 1;
    }

    if ((rc = build_cores(net, c, layout, d)))
        goto fail;

    ps.c = c;
    ps.rt = &rt;
    ps.core_of = c->core_of;
    ps.min_exp = INT32_MAX;
    ps.limit_syn = o.mem_limit / 4; /* a synapse takes at least 4 bytes */
    if ((rc = run_pass(net, &ps, d)))
        goto fail;
    c->max_delay = ps.max_delay;

    /* Poisson input of neurons counts towards the scale like synapses do */
    for (uint32_t k = 0; k < c->ncores; k++) {
        const myl__core *C = &c->core[k];
        for (uint32_t g = 0; g < C->nseg; g++) {
            const myl__seg *S = &C->seg[g];
            if (!S->in_w)
                continue;
            for (uint32_t i = 0; i < S->n; i++) {
                float w = S->in_w[S->in_hetero ? i : 0];
                ps.insum[C->gid[S->lo + i]] += fabs((double)w) * MYL_POISSON_KMAX;
                note_weight_bits(&ps, w);
            }
        }
    }

    /* fixed-point scale: exact weights, and the worst input sum below 2^53 */
    double maxin = 0;
    for (uint32_t g = 0; g < c->n; g++)
        if (ps.insum[g] > maxin)
            maxin = ps.insum[g];
    int k_exact = ps.min_exp == INT32_MAX ? 0 : -ps.min_exp;
    int k_max = maxin > 0 ? (int)floor(52.0 - log2(maxin)) : 1000;
    c->kshift = k_exact < k_max ? k_exact : k_max;
    if (c->kshift > 900)
        c->kshift = 900;
    c->inputs_exact = k_exact <= k_max;
    c->inv_scale = ldexp(1.0, -c->kshift);
    for (uint32_t k = 0; k < c->ncores; k++)
        for (uint32_t g = 0; g < c->core[k].nseg; g++) {
            myl__seg *S = &c->core[k].seg[g];
            for (uint32_t i = 0; S->in_w && i < (S->in_hetero ? S->n : 1); i++)
                S->in_ws[i] = rint(ldexp((double)S->in_w[i], c->kshift));
        }

    if ((rc = build_rows(c, &rt)))
        goto fail;
    uint64_t bytes = c->nsyn * 4 + c->nwt * 4 + c->nrows * sizeof(myl__row);
    if (bytes > o.mem_limit) {
        rc = myl_diag_fail(d, MYL_ETOOBIG,
                           "the network's %llu synapses need %.2f GiB, more than the %.2f GiB "
                           "allowed",
                           (unsigned long long)c->nsyn, bytes / 1073741824.0,
                           o.mem_limit / 1073741824.0);
        goto fail;
    }
    c->word = myl_calloc(c->nsyn ? c->nsyn : 1, sizeof *c->word);
    c->wt = myl_calloc(c->nwt ? c->nwt : 1, sizeof *c->wt);
    if (!c->word || !c->wt) {
        rc = MYL_ENOMEM;
        goto fail;
    }
    myl_free(ps.insum);
    ps.insum = NULL;
    ps.fill = 1;
    if ((rc = run_pass(net, &ps, d)))
        goto fail;

    rtab_free(&rt);
    myl_layout_release(&own);
    c->build_s = now_s() - t0;
    c->chip = NULL; /* the caller's: not kept */
    *out = c;
    return 0;
fail:
    myl_free(ps.insum);
    rtab_free(&rt);
    myl_layout_release(&own);
    myl_cnet_free(c);
    return rc;
}

void myl_cnet_info_get(const myl_cnet *c, myl_cnet_info *info)
{
    memset(info, 0, sizeof *info);
    info->nneurons = c->n;
    info->nmodel = c->nmodel;
    info->nsyn = c->nsyn;
    info->nrows = c->nrows;
    info->ncores = c->ncores;
    info->max_delay = c->max_delay;
    info->ring_slots = c->ring;
    info->weight_shift = c->kshift;
    info->inputs_exact = c->inputs_exact;
    info->homog_syn = c->homog_syn;
    info->bytes_syn = c->nsyn * 4 + c->nwt * 4;
    uint64_t b = info->bytes_syn + c->nrows * sizeof(myl__row) + ((uint64_t)c->n + 1) * 8 +
                 (uint64_t)c->n * 8;
    for (uint32_t k = 0; k < c->ncores; k++) {
        const myl__core *C = &c->core[k];
        b += (uint64_t)C->n * 8 + C->nseg * sizeof(myl__seg);
        for (uint32_t s = 0; s < C->nseg; s++)
            b += (C->seg[s].hetero ? C->seg[s].n : 1) * sizeof(myl__kconst);
    }
    info->bytes_total = b;
    info->build_s = c->build_s;
}

const myl_net *myl_cnet_net(const myl_cnet *c)
{
    return c->net;
}

void myl_cnet_rows(const myl_cnet *c, uint32_t g, myl_row_fn fn, void *ctx)
{
    if (g >= c->n)
        return;
    for (uint64_t q = c->row_ptr[g]; q < c->row_ptr[g + 1]; q++)
        fn(ctx, c->row[q].core, c->row[q].len, c->row[q].stage);
}

void myl_cnet_targets(const myl_cnet *c, uint32_t g, myl_target_fn fn, void *ctx)
{
    if (g >= c->n)
        return;
    for (uint64_t q = c->row_ptr[g]; q < c->row_ptr[g + 1]; q++) {
        const myl__row *r = &c->row[q];
        const uint32_t *gid = c->core[r->core].gid;
        for (uint32_t k = 0; k < r->len; k++)
            fn(ctx, gid[myl__syn_tgt(c->word[r->off + k])]);
    }
}

uint32_t myl_cnet_core_of(const myl_cnet *c, uint32_t g)
{
    return g < c->n ? c->core_of[g] : UINT32_MAX;
}

uint32_t myl_cnet_core_size(const myl_cnet *c, uint32_t core)
{
    return core < c->ncores ? c->core[core].n : 0;
}

uint32_t myl_cnet_pop_of(const myl_cnet *c, uint32_t g)
{
    const myl_net *net = c->net;
    uint32_t lo = 0, hi = net->npops;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (net->pops[mid].first <= g)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
