/* The two engines (see sim.h). They share everything but how input reaches a neuron:
 *
 *   event  scheduler -> synapse rows -> per-core delay rings (int64, slot-major: ring[slot][n])
 *   dense  spike history (uint16 counts, hist[slot][neuron]) <- every synapse, every tick,
 *          from a target-major copy of the synapses
 *
 * Per tick, in order: deliver (event) or evaluate (dense) the input due now; step each core's
 * segments (neurons through the kernels, sources through their generators); turn spikes into
 * messages (event) or history entries (dense); assemble the report. Cores are visited in index
 * order and touch only their own state and rings during the neuron step, so the step can later
 * run cores in parallel; delivery writes into other cores' rings and stays a separate phase.
 */
#include "myelin/sim.h"

#include "cnet_internal.h"
#include "myelin/alloc.h"
#include "myelin/sched.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct core_rt {
    myl__nstate st;
    /* spikes injected for the next tick (events populations): a count per local neuron, a
     * bitmap of the neurons with one, and the list of those neurons in injection order */
    uint32_t *inj_cnt;
    uint64_t *inj_bits;
    uint32_t *inj;
    size_t ninj, capinj;
    double *ring_e, *ring_i; /* event: [ring][n]; dense: [1][n]; whole numbers of weight units */
    uint8_t *act;            /* not at a fixed point of the no-input dynamics */
    size_t *cursor;          /* per segment: spike_times position */
    uint64_t *seg_active;    /* per segment: neurons active after the last tick */
} core_rt;

/* dense: synapses by target, in (core, local) order */
typedef struct dsyn {
    uint32_t src;
    float w;
    uint32_t dly; /* full delay in ticks | receptor << 31 */
} dsyn;

/* What delivery needs of a core, packed together. */
typedef struct core_fast {
    double *re, *ri; /* ri == re when the core has one receptor */
    size_t n;
} core_fast;

struct myl_sim {
    const myl_cnet *c;
    core_fast *fast;
    myl_msg *outbox; /* messages for the next tick, pushed in one go */
    size_t noutbox, capoutbox;
    myl_engine engine;
    uint64_t now;
    core_rt *rt;
    myl_sched *sched;
    uint32_t *spk_local;
    uint16_t *spk_cnt;
    uint32_t *scratch, *scratch2; /* per neuron of the largest core */
    uint64_t *core_active;        /* [ncores], this tick */
    uint64_t *nspk;      /* spikes per neuron so far */
    uint32_t *out_gid;
    uint16_t *out_cnt;
    uint32_t nvrec;
    uint32_t *v_gid;
    float *v_val;
    /* dense */
    uint16_t *hist;      /* [hslots][n] */
    uint32_t hslots;
    uint64_t *tptr;      /* [ntargets + 1], targets numbered core by core */
    uint32_t *core_base; /* first target number of each core */
    dsyn *dsyn;
    size_t bytes;
};

const char *myl_engine_name(myl_engine e)
{
    return e == MYL_ENGINE_DENSE ? "dense" : "event";
}

int myl_engine_from_name(const char *name, myl_engine *e)
{
    if (strcmp(name, "event") == 0)
        *e = MYL_ENGINE_EVENT;
    else if (strcmp(name, "dense") == 0)
        *e = MYL_ENGINE_DENSE;
    else
        return MYL_ENOTFOUND;
    return 0;
}

void myl_sim_free(myl_sim *s)
{
    if (!s)
        return;
    if (s->rt)
        for (uint32_t k = 0; k < s->c->ncores; k++) {
            core_rt *r = &s->rt[k];
            myl_afree(r->st.v);
            myl_afree(r->st.ie);
            myl_afree(r->st.ii);
            myl_afree(r->st.ref);
            myl_afree(r->ring_e);
            myl_afree(r->ring_i);
            myl_afree(r->act);
            myl_afree(r->st.xe);
            myl_afree(r->st.xi);
            myl_afree(r->st.busy);
            myl_afree(r->st.out);
            myl_afree(r->st.cv);
            myl_afree(r->st.cu);
            myl_afree(r->st.ci);
            myl_free(r->cursor);
            myl_free(r->seg_active);
            myl_free(r->inj);
            myl_free(r->inj_cnt);
            myl_free(r->inj_bits);
        }
    myl_free(s->rt);
    myl_free(s->fast);
    myl_free(s->outbox);
    myl_sched_free(s->sched);
    myl_free(s->spk_local);
    myl_free(s->spk_cnt);
    myl_free(s->scratch);
    myl_free(s->scratch2);
    myl_free(s->core_active);
    myl_free(s->nspk);
    myl_free(s->out_gid);
    myl_free(s->out_cnt);
    myl_free(s->v_gid);
    myl_free(s->v_val);
    myl_afree(s->hist);
    myl_free(s->tptr);
    myl_free(s->core_base);
    myl_free(s->dsyn);
    myl_free(s);
}

static void *acount(myl_sim *s, size_t n, size_t size)
{
    s->bytes += n * size;
    return myl_aligned_calloc(n ? n : 1, size);
}

/* Target-major copy of the synapses for the dense engine. */
static int build_dense(myl_sim *s)
{
    const myl_cnet *c = s->c;
    s->core_base = myl_calloc(c->ncores + 1, sizeof *s->core_base);
    if (!s->core_base)
        return MYL_ENOMEM;
    for (uint32_t k = 0; k < c->ncores; k++)
        s->core_base[k + 1] = s->core_base[k] + c->core[k].n;
    uint32_t nt = s->core_base[c->ncores];
    s->tptr = myl_calloc((size_t)nt + 1, sizeof *s->tptr);
    s->dsyn = myl_calloc(c->nsyn ? c->nsyn : 1, sizeof *s->dsyn);
    if (!s->tptr || !s->dsyn)
        return MYL_ENOMEM;
    s->bytes += ((size_t)nt + 1) * sizeof *s->tptr + c->nsyn * sizeof *s->dsyn;
    for (uint64_t r = 0; r < c->nrows; r++) {
        const myl__row *R = &c->row[r];
        for (uint32_t j = 0; j < R->len; j++)
            s->tptr[s->core_base[R->core] + myl__syn_tgt(c->word[R->off + j]) + 1]++;
    }
    for (uint32_t t = 0; t < nt; t++)
        s->tptr[t + 1] += s->tptr[t];
    uint64_t *fill = myl_calloc(nt ? nt : 1, sizeof *fill);
    if (!fill)
        return MYL_ENOMEM;
    for (uint32_t g = 0; g < c->n; g++)
        for (uint64_t r = c->row_ptr[g]; r < c->row_ptr[g + 1]; r++) {
            const myl__row *R = &c->row[r];
            for (uint32_t j = 0; j < R->len; j++) {
                uint32_t wd = c->word[R->off + j];
                uint32_t t = s->core_base[R->core] + myl__syn_tgt(wd);
                dsyn *e = &s->dsyn[s->tptr[t] + fill[t]++];
                e->src = g;
                e->w = R->homog ? R->w : c->wt[R->woff + j];
                e->dly = (R->stage * c->ring + myl__syn_dly(wd)) | myl__syn_rec(wd) << 31;
            }
        }
    myl_free(fill);
    s->hslots = 2;
    while (s->hslots <= c->max_delay)
        s->hslots <<= 1;
    s->hist = acount(s, (size_t)s->hslots * c->n, sizeof *s->hist);
    return s->hist ? 0 : MYL_ENOMEM;
}

int myl_sim_new(const myl_cnet *c, myl_engine engine, myl_sim **out)
{
    if (!c || !out || (engine != MYL_ENGINE_EVENT && engine != MYL_ENGINE_DENSE))
        return MYL_EINVAL;
    myl_sim *s = myl_calloc(1, sizeof *s);
    if (!s)
        return MYL_ENOMEM;
    s->c = c;
    s->engine = engine;
    s->rt = myl_calloc(c->ncores ? c->ncores : 1, sizeof *s->rt);
    s->fast = myl_calloc(c->ncores ? c->ncores : 1, sizeof *s->fast);
    uint32_t maxn = 0;
    int rc = MYL_ENOMEM;
    if (!s->rt || !s->fast)
        goto fail;
    size_t slots = engine == MYL_ENGINE_EVENT ? c->ring : 1;
    for (uint32_t k = 0; k < c->ncores; k++) {
        const myl__core *C = &c->core[k];
        core_rt *r = &s->rt[k];
        if (C->n > maxn)
            maxn = C->n;
        r->st.v = acount(s, C->n, sizeof(float));
        r->st.ie = acount(s, C->n, sizeof(float));
        r->st.ii = acount(s, C->n, sizeof(float));
        r->st.ref = acount(s, C->n, sizeof(int32_t));
        r->ring_e = acount(s, slots * C->n, sizeof(double));
        r->ring_i = C->two_rec ? acount(s, slots * C->n, sizeof(double)) : NULL;
        r->act = acount(s, C->n, 1);
        r->st.xe = acount(s, C->n, sizeof(float));
        r->st.xi = acount(s, C->n, sizeof(float));
        r->st.busy = acount(s, C->n, sizeof(int32_t));
        r->st.out = acount(s, C->n, sizeof(int32_t));
        r->st.cv = acount(s, C->n, sizeof(int32_t));
        r->st.cu = acount(s, C->n, sizeof(int32_t));
        r->st.ci = acount(s, C->n, sizeof(int32_t));
        r->cursor = myl_calloc(C->nseg ? C->nseg : 1, sizeof *r->cursor);
        r->seg_active = myl_calloc(C->nseg ? C->nseg : 1, sizeof *r->seg_active);
        if (!r->st.v || !r->st.ie || !r->st.ii || !r->st.ref || !r->ring_e ||
            (C->two_rec && !r->ring_i) || !r->act || !r->st.xe || !r->st.xi || !r->st.busy ||
            !r->st.out || !r->st.cv || !r->st.cu || !r->st.ci || !r->cursor ||
            !r->seg_active)
            goto fail;
        for (uint32_t g = 0; g < C->nseg; g++)
            r->seg_active[g] = C->seg[g].n;
        s->fast[k] = (core_fast){r->ring_e, r->ring_i ? r->ring_i : r->ring_e, C->n};
        memcpy(r->st.v, C->v0, C->n * sizeof(float));
        memcpy(r->st.cv, C->iv0, C->n * sizeof(int32_t));
        /* every neuron starts active: its initial state need not be a fixed point */
        memset(r->act, 1, C->n);
        for (uint32_t g = 0; g < C->nseg; g++)
            if (C->seg[g].record_v)
                s->nvrec += C->seg[g].n;
    }
    s->spk_local = myl_calloc(maxn ? maxn : 1, sizeof *s->spk_local);
    s->spk_cnt = myl_calloc(maxn ? maxn : 1, sizeof *s->spk_cnt);
    s->scratch = myl_calloc(maxn ? maxn : 1, sizeof *s->scratch);
    s->scratch2 = myl_calloc(maxn ? maxn : 1, sizeof *s->scratch2);
    s->core_active = myl_calloc(c->ncores ? c->ncores : 1, sizeof *s->core_active);
    s->nspk = myl_calloc(c->n, sizeof *s->nspk);
    s->out_gid = myl_calloc(c->n, sizeof *s->out_gid);
    s->out_cnt = myl_calloc(c->n, sizeof *s->out_cnt);
    s->v_gid = myl_calloc(s->nvrec ? s->nvrec : 1, sizeof *s->v_gid);
    s->v_val = myl_calloc(s->nvrec ? s->nvrec : 1, sizeof *s->v_val);
    if (!s->spk_local || !s->spk_cnt || !s->scratch || !s->scratch2 || !s->core_active || !s->nspk || !s->out_gid || !s->out_cnt || !s->v_gid || !s->v_val)
        goto fail;
    s->bytes += (size_t)maxn * 10 + (size_t)c->n * 14 + s->nvrec * 8;
    if (engine == MYL_ENGINE_EVENT) {
        uint64_t far = 2 + (uint64_t)(c->max_delay ? (c->max_delay - 1) / c->ring : 0) * c->ring;
        uint32_t horizon = far > (1u << 16) ? (1u << 16) : (uint32_t)far;
        if ((rc = myl_sched_new(0, horizon, &s->sched)))
            goto fail;
    } else if ((rc = build_dense(s))) {
        goto fail;
    }
    *out = s;
    return 0;
fail:
    myl_sim_free(s);
    return rc;
}

uint64_t myl_sim_now(const myl_sim *s)
{
    return s->now;
}

myl_engine myl_sim_engine(const myl_sim *s)
{
    return s->engine;
}

size_t myl_sim_memory(const myl_sim *s)
{
    return s->bytes + (s->sched ? myl_sched_memory(s->sched) : 0);
}

/* The segment neuron gid is in, with its core and local index; NULL for a gid out of range. */
static const myl__seg *seg_of(const myl_sim *s, uint32_t gid, uint32_t *k, uint32_t *l)
{
    if (gid >= s->c->n)
        return NULL;
    *k = s->c->core_of[gid];
    *l = s->c->local_of[gid];
    const myl__core *C = &s->c->core[*k];
    for (uint32_t g = 0; g < C->nseg; g++)
        if (*l >= C->seg[g].lo && *l < C->seg[g].lo + C->seg[g].n)
            return &C->seg[g];
    return NULL;
}

int myl_sim_inject(myl_sim *s, uint32_t gid, uint32_t count)
{
    if (count == 0)
        return 0;
    uint32_t k, l;
    const myl__seg *S = seg_of(s, gid, &k, &l);
    if (!S || S->model != MYL_MODEL_EVENTS)
        return MYL_EINVAL;
    const myl__core *C = &s->c->core[k];
    core_rt *rt = &s->rt[k];
    if (!rt->inj_cnt) {
        rt->inj_cnt = myl_calloc(C->n, sizeof *rt->inj_cnt);
        rt->inj_bits = myl_calloc((C->n + 63) / 64, sizeof *rt->inj_bits);
        if (!rt->inj_cnt || !rt->inj_bits) {
            myl_free(rt->inj_cnt), myl_free(rt->inj_bits);
            rt->inj_cnt = NULL, rt->inj_bits = NULL;
            return MYL_ENOMEM;
        }
    }
    if ((uint64_t)rt->inj_cnt[l] + count > MYL_MAX_COUNT)
        return MYL_ERANGE; /* refused here, so that the step itself never fails on it */
    if (rt->inj_cnt[l] == 0) {
        if (rt->ninj == rt->capinj) {
            size_t cap = rt->capinj ? rt->capinj * 2 : 256;
            uint32_t *v = myl_reallocarray(rt->inj, cap, sizeof *v);
            if (!v)
                return MYL_ENOMEM;
            rt->inj = v;
            rt->capinj = cap;
        }
        rt->inj[rt->ninj++] = l;
        rt->inj_bits[l / 64] |= (uint64_t)1 << (l % 64);
    }
    rt->inj_cnt[l] += count;
    return 0;
}

static int u32_cmp(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* One neuron's injected spikes, merged, onto the output; its entry cleared. */
static inline void take_one(core_rt *rt, uint32_t l, uint32_t *spk, uint16_t *cnt, uint32_t *ns)
{
    spk[*ns] = l;
    cnt[(*ns)++] = (uint16_t)rt->inj_cnt[l]; /* at most MYL_MAX_COUNT: myl_sim_inject checks */
    rt->inj_cnt[l] = 0;
    rt->inj_bits[l / 64] &= ~((uint64_t)1 << (l % 64));
}

/* The injected spikes of segment S, merged per neuron, in local order. A few are sorted; many
 * are read off the bitmap, in order by construction. */
static void take_injected(core_rt *rt, const myl__seg *S, uint32_t *spk, uint16_t *cnt,
                          uint32_t *ns)
{
    *ns = 0;
    if (!rt->ninj || S->n == 0)
        return;
    const uint32_t lo = S->lo, hi = S->lo + S->n; /* [lo, hi) */
    const size_t w0 = lo / 64, w1 = (hi - 1) / 64;
    if (rt->ninj * 8 < w1 - w0 + 1) {
        qsort(rt->inj, rt->ninj, sizeof *rt->inj, u32_cmp);
        for (size_t i = 0; i < rt->ninj; i++) {
            const uint32_t l = rt->inj[i];
            if (l >= lo && l < hi && rt->inj_cnt[l])
                take_one(rt, l, spk, cnt, ns);
        }
        return;
    }
    for (size_t w = w0; w <= w1; w++) {
        uint64_t b = rt->inj_bits[w];
        if (w == w0)
            b &= ~(uint64_t)0 << (lo % 64);
        if (w == w1 && hi % 64)
            b &= ~(~(uint64_t)0 << (hi % 64));
        while (b) {
            const uint32_t l = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
            b &= b - 1;
            take_one(rt, l, spk, cnt, ns);
        }
    }
}

const uint64_t *myl_sim_spike_counts(const myl_sim *s)
{
    return s->nspk;
}

float myl_sim_v(const myl_sim *s, uint32_t gid)
{
    uint32_t k, l;
    const myl__seg *S = seg_of(s, gid, &k, &l);
    if (!S || myl_model_is_source(S->model))
        return NAN;
    const myl__nstate *st = &s->rt[k].st;
    return S->arith ? (float)st->cv[l] : st->v[l]; /* chip: its integer v */
}

const float *myl_sim_v_addr(const myl_sim *s, uint32_t gid)
{
    uint32_t k, l;
    const myl__seg *S = seg_of(s, gid, &k, &l);
    return !S || myl_model_is_source(S->model) || S->arith ? NULL : &s->rt[k].st.v[l];
}

const int32_t *myl_sim_busy_addr(const myl_sim *s, uint32_t gid)
{
    uint32_t k, l;
    const myl__seg *S = seg_of(s, gid, &k, &l);
    return S && S->arith ? &s->rt[k].st.busy[l] : NULL;
}

/* ---- event engine: delivery -------------------------------------------------------------- */

/* The inner loops of delivery, with restrict so the compiler knows the accumulator stores do
 * not change the synapse words it is reading. */
static inline void add_homog(double *restrict slot, const uint32_t *restrict w, uint32_t len,
                             double x)
{
    uint32_t j = 0;
    for (; j + 4 <= len; j += 4) {
        const uint32_t a = myl__syn_tgt(w[j]), b = myl__syn_tgt(w[j + 1]);
        const uint32_t c = myl__syn_tgt(w[j + 2]), d = myl__syn_tgt(w[j + 3]);
        slot[a] += x;
        slot[b] += x;
        slot[c] += x;
        slot[d] += x;
    }
    for (; j < len; j++)
        slot[myl__syn_tgt(w[j])] += x;
}

/* ri is NULL on a core with one receptor: then every synapse goes to re. */
static inline void add_rows(double *restrict re, double *restrict ri, const uint32_t *restrict w,
                            const float *restrict wt, uint32_t len, uint64_t emitted,
                            uint32_t mask, size_t n, double cnt)
{
    for (uint32_t j = 0; j < len; j++) {
        const uint32_t wd = w[j];
        double *ring = ri && myl__syn_rec(wd) ? ri : re;
        ring[((emitted + myl__syn_dly(wd)) & mask) * n + myl__syn_tgt(wd)] += (double)wt[j] * cnt;
    }
}

static void deliver(myl_sim *s, uint64_t t, const myl_msg *m, size_t nm, myl_tick_report *r)
{
    const myl_cnet *c = s->c;
    const myl__row *rows = c->row;
    const uint32_t *words = c->word;
    const core_fast *fast = s->fast;
    const uint32_t mask = c->ring - 1;
    uint64_t events = 0;
    for (size_t i = 0; i < nm; i++) {
        const myl__row *R = &rows[m[i].a];
        const core_fast *cf = &fast[R->core];
        const size_t n = cf->n;
        const double cnt = m[i].b;
        const uint64_t emitted = t - 1 - (uint64_t)R->stage * c->ring;
        const uint32_t *w = words + R->off;
        const uint32_t len = R->len;
        events += (uint64_t)len * m[i].b;
        if (R->homog) {
            /* one weight, one delay: one accumulator slot for the whole row */
            if (len)
                add_homog((myl__syn_rec(w[0]) ? cf->ri : cf->re) +
                              ((emitted + myl__syn_dly(w[0])) & mask) * n,
                          w, len, (double)R->w * cnt);
        } else if (cf->ri == cf->re) {
            add_rows(cf->re, NULL, w, c->wt + R->woff, len, emitted, mask, n, cnt);
        } else {
            add_rows(cf->re, cf->ri, w, c->wt + R->woff, len, emitted, mask, n, cnt);
        }
    }
    r->syn_evals += events;
}

/* ---- dense engine: evaluation ------------------------------------------------------------ */

static void evaluate(myl_sim *s, uint32_t k, uint64_t t, myl_tick_report *r)
{
    const myl_cnet *c = s->c;
    const myl__core *C = &c->core[k];
    core_rt *rt = &s->rt[k];
    const uint32_t hmask = s->hslots - 1, n = c->n;
    const uint64_t base = s->core_base[k];
    for (uint32_t g = 0; g < C->nseg; g++) {
        const myl__seg *S = &C->seg[g];
        if (myl_model_is_source(S->model))
            continue;
        for (uint32_t l = S->lo; l < S->lo + S->n; l++) {
            double acc[2] = {0, 0};
            for (uint64_t j = s->tptr[base + l]; j < s->tptr[base + l + 1]; j++) {
                const dsyn *e = &s->dsyn[j];
                uint32_t d = e->dly & 0x7FFFFFFFu;
                /* before tick d there is no history yet: those slots hold zeros */
                uint32_t cnt = s->hist[(size_t)((t - d) & hmask) * n + e->src];
                acc[e->dly >> 31] += (double)e->w * cnt;
            }
            if (rt->ring_i) {
                rt->ring_e[l] = acc[0];
                rt->ring_i[l] = acc[1];
            } else {
                rt->ring_e[l] = acc[0] + acc[1];
            }
        }
        r->syn_evals += s->tptr[base + S->lo + S->n] - s->tptr[base + S->lo];
    }
}

/* ---- tick -------------------------------------------------------------------------------- */

static int pair_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Spike lists come out per core; with cores that interleave global indices, sort them. */
static void sort_spikes(myl_sim *s, uint32_t n)
{
    int sorted = 1;
    for (uint32_t i = 1; i < n && sorted; i++)
        sorted = s->out_gid[i - 1] < s->out_gid[i];
    if (sorted)
        return;
    uint64_t *tmp = myl_calloc(n, sizeof *tmp);
    if (!tmp) {
        /* insertion sort needs no memory */
        for (uint32_t i = 1; i < n; i++) {
            uint32_t g = s->out_gid[i];
            uint16_t ct = s->out_cnt[i];
            uint32_t j = i;
            while (j > 0 && s->out_gid[j - 1] > g) {
                s->out_gid[j] = s->out_gid[j - 1];
                s->out_cnt[j] = s->out_cnt[j - 1];
                j--;
            }
            s->out_gid[j] = g;
            s->out_cnt[j] = ct;
        }
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        tmp[i] = (uint64_t)s->out_gid[i] << 16 | s->out_cnt[i];
    qsort(tmp, n, sizeof *tmp, pair_cmp);
    for (uint32_t i = 0; i < n; i++) {
        s->out_gid[i] = (uint32_t)(tmp[i] >> 16);
        s->out_cnt[i] = (uint16_t)tmp[i];
    }
    myl_free(tmp);
}

int myl_sim_step(myl_sim *s, myl_tick_report *r)
{
    const myl_cnet *c = s->c;
    const uint64_t t = s->now;
    const int ev = s->engine == MYL_ENGINE_EVENT;
    memset(r, 0, sizeof *r);
    r->tick = t;

    if (ev) {
        const myl_msg *m;
        size_t nm;
        int rc = myl_sched_take(s->sched, &m, &nm);
        if (rc)
            return rc;
        deliver(s, t, m, nm, r);
    } else {
        /* this tick's history slot: cleared, then filled with this tick's spikes below */
        memset(s->hist + (size_t)(t & (s->hslots - 1)) * c->n, 0, (size_t)c->n * 2);
        for (uint32_t k = 0; k < c->ncores; k++)
            evaluate(s, k, t, r);
    }

    uint32_t nout = 0, nv = 0;
    const size_t slot = ev ? (size_t)(t & (c->ring - 1)) : 0;
    for (uint32_t k = 0; k < c->ncores; k++) {
        const myl__core *C = &c->core[k];
        core_rt *rt = &s->rt[k];
        const uint64_t active0 = r->active;
        double *in_e = rt->ring_e + slot * C->n;
        double *in_i = rt->ring_i ? rt->ring_i + slot * C->n : NULL;
        for (uint32_t g = 0; g < C->nseg; g++) {
            const myl__seg *S = &C->seg[g];
            uint32_t ns;
            if (S->model == MYL_MODEL_EVENTS) {
                take_injected(rt, S, s->spk_local, s->spk_cnt, &ns);
            } else if (myl_model_is_source(S->model)) {
                ns = myl__source_step(c, S, &rt->cursor[g], t, s->spk_local, s->spk_cnt,
                                      s->scratch);
            } else if (S->arith) {
                uint64_t a0 = r->active;
                ns = myl__chip_step(S, &rt->st, in_e, in_i, c->inv_scale, rt->act, t, c->seed,
                                    s->spk_local, s->spk_cnt, &r->updates, &r->active);
                rt->seg_active[g] = r->active - a0;
            } else {
                /* the event engine updates only busy neurons while few are busy; otherwise a
                 * whole-segment pass is cheaper and, neurons at rest being fixed points, gives
                 * the same result */
                if (S->poisson)
                    r->input_events += myl__input_step(c, S, t, in_e, in_i, s->scratch, s->scratch2);
                int sparse = ev && rt->seg_active[g] * 8 < S->n;
                uint64_t a0 = r->active;
                ns = myl__seg_step(S, &rt->st, in_e, in_i, c->inv_scale, rt->act, sparse,
                                   s->spk_local, &r->updates, &r->active);
                rt->seg_active[g] = r->active - a0;
                for (uint32_t i = 0; i < ns; i++)
                    s->spk_cnt[i] = 1;
                if (S->record_v)
                    for (uint32_t i = 0; i < S->n; i++) {
                        s->v_gid[nv] = C->gid[S->lo + i];
                        s->v_val[nv++] = rt->st.v[S->lo + i];
                    }
            }
            for (uint32_t i = 0; i < ns; i++) {
                const uint32_t gid = C->gid[s->spk_local[i]];
                s->out_gid[nout] = gid;
                s->out_cnt[nout++] = s->spk_cnt[i];
                s->nspk[gid] += s->spk_cnt[i];
                r->spikes += s->spk_cnt[i];
            }
        }
        s->core_active[k] = r->active - active0;
        rt->ninj = 0;
    }
    sort_spikes(s, nout);
    for (uint32_t i = 0; i < nout; i++)
        r->syn_events += c->fanout[s->out_gid[i]] * s->out_cnt[i];

    if (ev) {
        /* one message per row of each spiking neuron; rows of the first stage are all due next
         * tick and go in together */
        s->noutbox = 0;
        for (uint32_t i = 0; i < nout; i++) {
            const uint32_t g = s->out_gid[i];
            const uint64_t q0 = c->row_ptr[g], q1 = c->row_ptr[g + 1];
            if (s->noutbox + (q1 - q0) > s->capoutbox) {
                size_t cap = s->capoutbox ? s->capoutbox * 2 : 4096;
                while (cap < s->noutbox + (q1 - q0))
                    cap *= 2;
                myl_msg *o = myl_reallocarray(s->outbox, cap, sizeof *o);
                if (!o)
                    return MYL_ENOMEM;
                s->outbox = o;
                s->capoutbox = cap;
            }
            for (uint64_t q = q0; q < q1; q++) {
                const myl_msg msg = {(uint32_t)q, s->out_cnt[i]};
                if (c->row[q].stage == 0) {
                    s->outbox[s->noutbox++] = msg;
                } else {
                    uint64_t due = t + 1 + (uint64_t)c->row[q].stage * c->ring;
                    int rc = myl_sched_push(s->sched, due, msg);
                    if (rc)
                        return rc;
                }
            }
        }
        int rc = myl_sched_push_many(s->sched, t + 1, s->outbox, s->noutbox);
        if (rc)
            return rc;
    } else {
        uint16_t *h = s->hist + (size_t)(t & (s->hslots - 1)) * c->n;
        for (uint32_t i = 0; i < nout; i++)
            h[s->out_gid[i]] = s->out_cnt[i];
    }
    r->nspiking = nout;
    r->ncores = c->ncores;
    r->core_active = s->core_active;
    r->spike = s->out_gid;
    r->count = s->out_cnt;
    r->nv = nv;
    r->v_gid = s->v_gid;
    r->v = s->v_val;
    s->now = t + 1;
    return 0;
}
