/* The energy and latency accountant (see energy.h; the formulas are in docs/energy.md).
 *
 * Everything that depends only on the network and the mapping is computed once: for each
 * neuron, the cores its spikes go to with their synapse counts, and the hop counts and latency
 * of the routes there; for each core, the constant per-tick cost of accessing its neurons. A
 * tick then costs O(spikes x destination cores + cores), outside the simulation's inner loops -
 * plus, with a simulator attached (myl_acct_attach), one look at every neuron's membrane
 * potential to tell which neurons the chip updates (O(neurons), as the chip itself does).
 */
#include "myelin/energy.h"

#include "myelin/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dest {
    uint32_t core;
    uint32_t nsyn;
} dest;

/* What one spike of neuron g costs the network, by route. */
typedef struct src_info {
    uint64_t first; /* into dests */
    uint32_t ndest;
    uint32_t core;
    int16_t soma;   /* variant, -1 for none (a source without an input soma) */
    uint8_t source; /* a spike source */
    uint8_t pad;
    uint32_t hop_n, hop_e, hop_s, hop_w, chip;
    double route_lat;  /* longest route of the spike */
    double net_energy; /* messages out and in, hops, chip links: per spike */
    /* what the tick of a spike needs at once, per spike (x count) and per firing neuron; the
     * counts and each core's energy are added up when they are read (settle) */
    double e_spike;  /* spike generation */
    double e_syn;    /* synaptic operations at every destination */
    double e_fire;   /* a source's update when it fires (SANA-FE's input soma) */
    double lat_cnt;  /* the source core's neuron side: spike generation, messages out */
    double lat_fire; /* and a source's update */
    double e_upd, lat_upd; /* an update of this (non-source) neuron: soma update, dendrite */
} src_info;

/* The model's costs with unknown figures (NAN) as 0; which were unknown is kept apart. */
typedef struct costs {
    myl_hw hw;        /* a copy whose figures are all numbers */
    uint32_t unknown; /* bit per COST_* below */
} costs;

enum {
    COST_SYN_E = 1u << 0,
    COST_SYN_L = 1u << 1,
    COST_IN_E = 1u << 2,
    COST_IN_L = 1u << 3,
    COST_OUT_E = 1u << 4,
    COST_OUT_L = 1u << 5,
    COST_HOP_E = 1u << 6,
    COST_HOP_L = 1u << 7,
    COST_CHIP_E = 1u << 8,
    COST_CHIP_L = 1u << 9,
    COST_SOMA_E = 1u << 10,
    COST_SOMA_L = 1u << 11,
    COST_DEND = 1u << 12,
    COST_SYNC = 1u << 13,
    COST_STATIC = 1u << 14,
};

static void known(myl_fig *f, uint32_t bit, uint32_t *unknown)
{
    if (isnan(f->v)) {
        f->v = 0;
        *unknown |= bit;
    }
}

static void known_op(myl_op *o, uint32_t be, uint32_t bl, uint32_t *u)
{
    known(&o->energy, be, u);
    known(&o->latency, bl, u);
}

static void sanitize(const myl_hw *in, costs *c)
{
    c->hw = *in;
    c->unknown = 0;
    myl_hw *h = &c->hw;
    uint32_t *u = &c->unknown;
    for (uint32_t i = 0; i < h->nsynapse; i++)
        known_op(&h->synapse[i].spike, COST_SYN_E, COST_SYN_L, u);
    for (uint32_t i = 0; i < h->nsoma; i++) {
        known_op(&h->soma[i].access, COST_SOMA_E, COST_SOMA_L, u);
        known_op(&h->soma[i].update, COST_SOMA_E, COST_SOMA_L, u);
        known_op(&h->soma[i].spike, COST_SOMA_E, COST_SOMA_L, u);
    }
    known_op(&h->msg_in, COST_IN_E, COST_IN_L, u);
    known_op(&h->msg_out, COST_OUT_E, COST_OUT_L, u);
    known_op(&h->dendrite, COST_DEND, COST_DEND, u);
    known_op(&h->hop_n, COST_HOP_E, COST_HOP_L, u);
    known_op(&h->hop_e, COST_HOP_E, COST_HOP_L, u);
    known_op(&h->hop_s, COST_HOP_E, COST_HOP_L, u);
    known_op(&h->hop_w, COST_HOP_E, COST_HOP_L, u);
    known_op(&h->chip_hop, COST_CHIP_E, COST_CHIP_L, u);
    known(&h->sync, COST_SYNC, u);
    for (uint32_t i = 0; i < h->nsync; i++)
        known(&h->sync_lat[i], COST_SYNC, u);
    known(&h->static_power, COST_STATIC, u);
    known(&h->tick_period, 0, u);
}

struct myl_acct {
    costs cost;
    const myl_hw *hw;
    const myl_net *net;
    uint32_t n, ncores;
    src_info *src;
    dest *dests;
    myl_core_counts *cc;
    double *neuron_lat;          /* [ncores] scratch: this tick's neuron side of each core */
    double *msg_lat;             /* [ncores] scratch: this tick's message side */
    double *access_e, *access_l; /* per core per tick */
    double *update_e, *update_l; /* per active neuron of the core */
    uint32_t *core_n;            /* neurons mapped on each core */
    /* Each core costs its access every tick whatever happens; those constant parts are added
     * once when the counts are read (settle). */
    double access_e_sum;         /* access energy of all cores, per tick */
    uint64_t settled;            /* ticks whose constant parts are in cc */
    uint64_t *spk, *fires;       /* [n] spikes and firing ticks since the last settle */
    uint64_t *upds;              /* [n] updates (by the chip's rule) since the last settle */
    int pending;                 /* a tick since the last settle */
    uint32_t tiles, chips;
    double sync;
    /* with a simulator attached: the chip's update rule from the neurons' state */
    const myl_sim *sim;
    const int32_t **busy; /* chip arithmetic: [n] where the simulator notes an update */
    const float **v; /* [n] where the simulator keeps each neuron's membrane potential */
    float *v_prev;   /* [n] membrane potential at the end of the last tick */
    float *v_rest;   /* [n] resting potential */
    uint8_t *driven; /* [n] 1: a constant drive (bias) updates it every tick; 2: a source */
    uint64_t *fired; /* [n] tick + 1 of its last spike */
    myl_acct_totals tot;
};

void myl_acct_free(myl_acct *a)
{
    if (!a)
        return;
    myl_free(a->src);
    myl_free(a->dests);
    myl_free(a->cc);
    myl_free(a->neuron_lat);
    myl_free(a->msg_lat);
    myl_free(a->busy);
    myl_free(a->v);
    myl_free(a->v_prev);
    myl_free(a->v_rest);
    myl_free(a->driven);
    myl_free(a->fired);
    myl_free(a->access_e);
    myl_free(a->access_l);
    myl_free(a->update_e);
    myl_free(a->update_l);
    myl_free(a->core_n);
    myl_free(a->spk);
    myl_free(a->fires);
    myl_free(a->upds);
    myl_free(a);
}

/* Collects a neuron's rows merged per destination core (rows come in core order); counts
 * without storing once the buffer is full, so the caller can grow it and ask again. */
/* A source's synapses merged per destination core of the mapping (not of the engine's layout,
 * which may be coarser): the cores in order of first reach, with a synapse count each. */
typedef struct tgt_ctx {
    const uint32_t *core_of; /* the mapping's */
    uint32_t *slot;          /* [ncores] position in d + 1 while this source is merged, else 0 */
    dest *d;
    uint32_t n, cap;
    int oom;
} tgt_ctx;

static void on_target(void *ctx, uint32_t target)
{
    tgt_ctx *t = ctx;
    const uint32_t core = t->core_of[target];
    if (t->slot[core]) {
        t->d[t->slot[core] - 1].nsyn++;
        return;
    }
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        dest *v = myl_reallocarray(t->d, cap, sizeof *v);
        if (!v) {
            t->oom = 1;
            return;
        }
        t->d = v, t->cap = cap;
    }
    t->d[t->n] = (dest){core, 1};
    t->slot[core] = ++t->n;
}

static int dest_cmp(const void *a, const void *b)
{
    const dest *x = a, *y = b;
    return x->core < y->core ? -1 : x->core > y->core;
}

static double sync_latency(const myl_hw *hw, uint32_t tiles)
{
    if (!hw->sync_table)
        return hw->sync.v;
    /* the entry for the largest tile count not above the tiles in use */
    double lat = hw->nsync ? hw->sync_lat[0].v : 0;
    for (uint32_t i = 0; i < hw->nsync; i++)
        if (hw->sync_tiles[i] <= tiles)
            lat = hw->sync_lat[i].v;
    return lat;
}

static int input_soma(const myl_hw *hw)
{
    for (uint32_t i = 0; i < hw->nsoma; i++)
        if (hw->soma[i].input)
            return (int)i;
    return -1;
}

int myl_acct_new(const myl_cnet *c, const myl_map *m, const myl_hw *hw, const int *soma,
                 myl_acct **out)
{
    *out = NULL;
    myl_acct *a = myl_calloc(1, sizeof *a);
    if (!a)
        return MYL_ENOMEM;
    myl_cnet_info info;
    myl_cnet_info_get(c, &info);
    const myl_net *net = myl_cnet_net(c);
    sanitize(hw, &a->cost);
    hw = a->hw = &a->cost.hw;
    a->net = net;
    a->n = (uint32_t)info.nneurons;
    a->ncores = m->ncores;
    if (m->nneurons != a->n) {
        myl_free(a);
        return MYL_EINVAL;
    }
    a->src = myl_calloc(a->n ? a->n : 1, sizeof *a->src);
    a->cc = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->cc);
    a->neuron_lat = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->neuron_lat);
    a->msg_lat = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->msg_lat);
    a->access_e = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->access_e);
    a->access_l = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->access_l);
    a->update_e = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->update_e);
    a->update_l = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->update_l);
    uint32_t *models = myl_calloc(a->ncores ? a->ncores : 1, sizeof *models);
    a->core_n = myl_calloc(a->ncores ? a->ncores : 1, sizeof *a->core_n);
    a->spk = myl_calloc(a->n ? a->n : 1, sizeof *a->spk);
    a->fires = myl_calloc(a->n ? a->n : 1, sizeof *a->fires);
    a->upds = myl_calloc(a->n ? a->n : 1, sizeof *a->upds);
    tgt_ctx tc = {m->core_of, myl_calloc(a->ncores ? a->ncores : 1, sizeof *tc.slot), NULL, 0,
                  0, 0};
    uint64_t total = 0, cap = 0;
    int err = MYL_ENOMEM;
    if (!a->src || !a->cc || !a->neuron_lat || !a->msg_lat || !a->access_e || !a->access_l ||
        !a->update_e || !a->update_l || !models || !a->core_n || !tc.slot || !a->spk ||
        !a->fires || !a->upds)
        goto fail;
    const int in_soma = input_soma(hw);
    for (uint32_t g = 0; g < a->n; g++) {
        /* destinations of the neuron's spikes: one message per core its synapses reach */
        src_info *s = &a->src[g];
        tc.n = 0;
        myl_cnet_targets(c, g, on_target, &tc);
        if (tc.oom)
            goto fail;
        for (uint32_t k = 0; k < tc.n; k++)
            tc.slot[tc.d[k].core] = 0;
        if (tc.n > 1)
            qsort(tc.d, tc.n, sizeof *tc.d, dest_cmp);
        if (total + tc.n > cap) {
            uint64_t ncap = cap ? cap * 2 : 1024;
            while (ncap < total + tc.n)
                ncap *= 2;
            dest *v = myl_reallocarray(a->dests, ncap, sizeof *v);
            if (!v)
                goto fail;
            a->dests = v, cap = ncap;
        }
        if (tc.n)
            memcpy(a->dests + total, tc.d, tc.n * sizeof *tc.d);
        s->first = total;
        s->ndest = tc.n;
        total += tc.n;
        s->core = m->core_of[g];
        uint32_t pop = myl_cnet_pop_of(c, g);
        int src = myl_model_is_source(myl_net_pop_model(net, pop));
        int v = soma && soma[pop] >= 0 ? soma[pop] : src ? in_soma : 0;
        s->soma = (int16_t)(v < (int)hw->nsoma ? v : -1);
        if (hw->nsoma == 0)
            s->soma = -1;
        s->source = (uint8_t)src;
        /* messages: one out of the source core per destination core, one into each */
        s->net_energy = (double)s->ndest * (hw->msg_out.energy.v + hw->msg_in.energy.v);
        for (uint32_t k = 0; k < s->ndest; k++) {
            myl_route r;
            myl_map_route(m, hw, s->core, a->dests[s->first + k].core, &r);
            s->hop_n += r.n, s->hop_e += r.e, s->hop_s += r.s, s->hop_w += r.w;
            s->chip += r.chip;
            double lat = r.n * hw->hop_n.latency.v + r.e * hw->hop_e.latency.v +
                         r.s * hw->hop_s.latency.v + r.w * hw->hop_w.latency.v +
                         r.chip * hw->chip_hop.latency.v;
            if (lat > s->route_lat)
                s->route_lat = lat;
        }
        s->net_energy += s->hop_n * hw->hop_n.energy.v + s->hop_e * hw->hop_e.energy.v +
                         s->hop_s * hw->hop_s.energy.v + s->hop_w * hw->hop_w.energy.v +
                         s->chip * hw->chip_hop.energy.v;
        /* per spike: the source core's neuron side, and each destination's message side */
        const myl_synapse_cost *syn = hw->nsynapse ? &hw->synapse[0] : NULL;
        s->lat_cnt = (double)s->ndest * hw->msg_out.latency.v;
        if (s->soma >= 0) {
            const myl_soma_cost *sc = &hw->soma[s->soma];
            s->e_spike = sc->spike.energy.v;
            s->lat_cnt += sc->spike.latency.v;
            if (src) {
                s->e_fire = sc->update.energy.v;
                s->lat_fire = sc->update.latency.v;
            } else {
                s->e_upd = sc->update.energy.v + hw->dendrite.energy.v;
                s->lat_upd = sc->update.latency.v + hw->dendrite.latency.v;
            }
        }
        for (uint32_t k = 0; k < s->ndest; k++)
            s->e_syn += syn ? a->dests[s->first + k].nsyn * syn->spike.energy.v : 0;
        /* per-core constants: accessing every mapped neuron each tick; the update cost of
         * the core's neurons (the mean over them when populations with different somas share
         * a core) */
        if (s->soma >= 0) {
            const myl_soma_cost *sc = &hw->soma[s->soma];
            a->access_e[s->core] += sc->access.energy.v;
            a->access_l[s->core] += sc->access.latency.v;
            if (!src) {
                a->update_e[s->core] += sc->update.energy.v + hw->dendrite.energy.v;
                a->update_l[s->core] += sc->update.latency.v + hw->dendrite.latency.v;
                models[s->core]++;
            }
        }
        a->core_n[s->core]++;
    }
    for (uint32_t k = 0; k < a->ncores; k++) {
        if (models[k]) {
            a->update_e[k] /= models[k];
            a->update_l[k] /= models[k];
        }
        a->access_e_sum += a->access_e[k];
        a->neuron_lat[k] = a->access_l[k]; /* the first tick's neuron side starts there */
    }
    a->tiles = m->ntiles;
    a->chips = m->nchips;
    a->sync = sync_latency(hw, a->tiles);
    myl_free(models);
    myl_free(tc.d);
    myl_free(tc.slot);
    *out = a;
    return 0;
fail:
    myl_free(models);
    myl_free(tc.d);
    myl_free(tc.slot);
    myl_acct_free(a);
    return err;
}

int myl_acct_attach(myl_acct *a, const myl_sim *sim, uint64_t seed)
{
    if (!a || !sim)
        return MYL_EINVAL;
    const uint32_t n = a->n;
    if (a->hw->arith != MYL_ARITH_FLOAT) {
        /* a chip's integer state has its own rest: the engine's count of neurons that needed
         * an update, taken per neuron so that it can be summed per core of the mapping */
        a->busy = myl_calloc(n ? n : 1, sizeof *a->busy);
        if (!a->busy)
            return MYL_ENOMEM;
        for (uint32_t g = 0; g < n; g++)
            a->busy[g] = a->src[g].source ? NULL : myl_sim_busy_addr(sim, g);
        a->sim = sim;
        return 0;
    }
    a->v = myl_calloc(n ? n : 1, sizeof *a->v);
    a->v_prev = myl_calloc(n ? n : 1, sizeof *a->v_prev);
    a->v_rest = myl_calloc(n ? n : 1, sizeof *a->v_rest);
    a->driven = myl_calloc(n ? n : 1, sizeof *a->driven);
    a->fired = myl_calloc(n ? n : 1, sizeof *a->fired);
    if (!a->v || !a->v_prev || !a->v_rest || !a->driven || !a->fired) {
        myl_free(a->v), myl_free(a->v_prev), myl_free(a->v_rest), myl_free(a->driven);
        myl_free(a->fired);
        a->v = NULL, a->v_prev = a->v_rest = NULL, a->driven = NULL, a->fired = NULL;
        return MYL_ENOMEM;
    }
    const myl_net *net = a->net;
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        const uint64_t first = myl_net_pop_first(net, p);
        const uint32_t size = myl_net_pop_size(net, p);
        const myl_model m = myl_net_pop_model(net, p);
        const int src = myl_model_is_source(m);
        const myl_values *vr = src ? NULL : myl_net_pop_param(net, p, MYL_P_V_REST);
        const myl_values *bias = src ? NULL : myl_net_pop_param(net, p, MYL_P_BIAS);
        for (uint32_t i = 0; i < size; i++) {
            const uint64_t g = first + i;
            if (src) {
                a->driven[g] = 2;
                continue;
            }
            /* keyed as the compiler draws per-neuron parameters (sim/core/neuron.c) */
            a->v_rest[g] = (float)myl_values_at(vr, seed, p * MYL_P_COUNT + MYL_P_V_REST, i);
            a->driven[g] = myl_values_at(bias, seed, p * MYL_P_COUNT + MYL_P_BIAS, i) != 0;
            a->v[g] = myl_sim_v_addr(sim, (uint32_t)g);
            if (!a->v[g]) { /* not float state: nothing to watch, charge every tick */
                a->driven[g] = 1;
                continue;
            }
            a->v_prev[g] = *a->v[g];
        }
    }
    a->sim = sim;
    return 0;
}

/* Add what the ticks since the last call did to every core's counts: the constant parts, and
 * each neuron's spikes at its core and at the cores they reached. */
static void settle(myl_acct *a)
{
    if (!a->pending)
        return;
    a->pending = 0;
    const uint64_t n = a->tot.ticks - a->settled;
    for (uint32_t k = 0; n && k < a->ncores; k++) {
        myl_core_counts *cc = &a->cc[k];
        cc->access += (uint64_t)a->core_n[k] * n;
        cc->energy += a->access_e[k] * (double)n;
        cc->busy += a->access_l[k] * (double)n;
    }
    a->settled = a->tot.ticks;
    const myl_hw *hw = a->hw;
    const double syn_e = hw->nsynapse ? hw->synapse[0].spike.energy.v : 0;
    for (uint32_t g = 0; g < a->n; g++) {
        const uint64_t cnt = a->spk[g], fires = a->fires[g], upds = a->upds[g];
        if (upds) {
            myl_core_counts *cu = &a->cc[a->src[g].core];
            cu->update += upds;
            cu->energy += (double)upds * a->src[g].e_upd;
            a->upds[g] = 0;
        }
        if (!cnt)
            continue;
        a->spk[g] = a->fires[g] = 0;
        const src_info *s = &a->src[g];
        myl_core_counts *cs = &a->cc[s->core];
        cs->spike += cnt;
        if (s->source)
            cs->update += fires;
        cs->msg_out += cnt * s->ndest;
        cs->hop_n += cnt * s->hop_n, cs->hop_e += cnt * s->hop_e;
        cs->hop_s += cnt * s->hop_s, cs->hop_w += cnt * s->hop_w;
        cs->chip += cnt * s->chip;
        cs->energy += (double)cnt * (s->e_spike + s->net_energy) + (double)fires * s->e_fire;
        for (uint32_t k = 0; k < s->ndest; k++) {
            const dest *dd = &a->dests[s->first + k];
            myl_core_counts *cd = &a->cc[dd->core];
            cd->synop += (uint64_t)dd->nsyn * cnt;
            cd->msg_in += cnt;
            cd->energy += (double)cnt * dd->nsyn * syn_e;
        }
    }
}

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* The chip's update rule, from the state the simulator reached: a neuron is updated when it
 * starts the tick away from rest, is driven by a bias, or its update moves it or makes it
 * fire (docs/energy.md). */
static void count_updates(myl_acct *a, myl_tick_cost *out)
{
    const uint64_t stamp = a->tot.ticks + 1;
    for (uint32_t g = 0; g < a->n; g++) {
        if (a->driven[g] == 2)
            continue; /* sources: charged when they fire */
        if (!a->driven[g]) {
            const float v = *a->v[g];
            const int upd = fbits(a->v_prev[g]) != fbits(a->v_rest[g]) ||
                            fbits(v) != fbits(a->v_prev[g]) || a->fired[g] == stamp;
            a->v_prev[g] = v;
            if (!upd)
                continue;
        }
        const src_info *s = &a->src[g];
        a->upds[g]++;
        out->part[MYL_E_NEURON] += s->e_upd;
        a->neuron_lat[s->core] += s->lat_upd;
    }
}

/* Chip arithmetic: the neurons the engine had to update, each at its core's update cost. */
static void count_busy(myl_acct *a, myl_tick_cost *out)
{
    for (uint32_t g = 0; g < a->n; g++) {
        if (!a->busy[g] || !*a->busy[g])
            continue;
        const uint32_t k = a->src[g].core;
        a->cc[k].update++;
        out->part[MYL_E_NEURON] += a->update_e[k];
        a->cc[k].energy += a->update_e[k];
        a->neuron_lat[k] += a->update_l[k];
    }
}

void myl_acct_tick(myl_acct *a, const myl_tick_report *r, myl_tick_cost *out)
{
    const myl_hw *hw = a->hw;
    memset(out, 0, sizeof *out);
    double net_lat = 0;
    const uint64_t stamp = a->tot.ticks + 1;
    /* every core's access (its counts are settled later), and without a simulator the
     * engine's count of neurons with input or away from a fixed point, at the core's mean
     * update cost */
    out->part[MYL_E_NEURON] += a->access_e_sum;
    for (uint32_t k = 0; !a->sim && k < a->ncores && k < r->ncores; k++) {
        const uint64_t act = r->core_active[k];
        if (!act)
            continue;
        myl_core_counts *cc = &a->cc[k];
        a->neuron_lat[k] += act * a->update_l[k];
        out->part[MYL_E_NEURON] += act * a->update_e[k];
        cc->energy += act * a->update_e[k];
        cc->update += act;
    }
    const double lat_in = a->hw->msg_in.latency.v;
    const double lat_syn = a->hw->nsynapse ? a->hw->synapse[0].spike.latency.v : 0;
    for (uint32_t i = 0; i < r->nspiking; i++) {
        const uint32_t g = r->spike[i];
        const src_info *s = &a->src[g];
        const uint32_t cnt = r->count[i];
        if (a->fired)
            a->fired[g] = stamp;
        a->spk[g] += cnt;
        a->fires[g]++;
        /* the source core's neuron side: spike generation, a source's update, the messages
         * out (one per destination core, received by each core's message side) */
        out->part[MYL_E_SPIKE] += cnt * s->e_spike;
        out->part[MYL_E_NEURON] += s->e_fire;
        out->part[MYL_E_NETWORK] += cnt * s->net_energy;
        out->part[MYL_E_SYNAPSE] += cnt * s->e_syn;
        a->neuron_lat[s->core] += cnt * s->lat_cnt + s->lat_fire;
        if (s->ndest && s->route_lat > net_lat)
            net_lat = s->route_lat;
        /* each destination core's message side: the message in, the synaptic operations */
        for (uint32_t k = 0; k < s->ndest; k++) {
            const dest *dd = &a->dests[s->first + k];
            a->msg_lat[dd->core] += cnt * (lat_in + dd->nsyn * lat_syn);
        }
    }
    if (a->busy)
        count_busy(a, out);
    else if (a->sim)
        count_updates(a, out);
    /* a core's neuron side (access, update, spike, messages out) and message side (messages
     * in, synaptic operations) work concurrently: the core takes the longer of the two */
    double slow = 0;
    for (uint32_t k = 0; k < a->ncores; k++) {
        const double t = a->neuron_lat[k] > a->msg_lat[k] ? a->neuron_lat[k] : a->msg_lat[k];
        a->cc[k].busy += t - a->access_l[k]; /* settle adds the access time of every tick */
        if (t > slow)
            slow = t, out->slowest_core = k;
        a->neuron_lat[k] = a->access_l[k]; /* ready for the next tick */
        a->msg_lat[k] = 0;
    }
    out->core_latency = slow;
    out->net_latency = net_lat;
    out->sync_latency = a->sync;
    out->latency = slow + net_lat + a->sync;
    /* a chip with a real-time step takes that long per tick however little it does */
    double step = hw->tick_period.v > out->latency ? hw->tick_period.v : out->latency;
    out->part[MYL_E_STATIC] = hw->static_power.v * a->chips * step;
    for (int p = 0; p < MYL_E_PARTS; p++) {
        out->energy += out->part[p];
        a->tot.part[p] += out->part[p];
    }
    a->tot.energy += out->energy;
    a->tot.sim_time += step;
    a->tot.ticks++;
    a->pending = 1;
}

static void name_unknown(const myl_acct *a, const myl_acct_totals *t, char *buf, size_t n)
{
    const uint32_t u = a->cost.unknown;
    const struct {
        uint32_t bits;
        uint64_t count;
        const char *what;
    } used[] = {
        {COST_SYN_E | COST_SYN_L, t->synops, "synaptic operations"},
        {COST_SOMA_E | COST_SOMA_L, t->accesses + t->updates + t->spikes, "neuron operations"},
        {COST_IN_E | COST_IN_L | COST_OUT_E | COST_OUT_L, t->messages, "messages"},
        {COST_HOP_E | COST_HOP_L, t->hops, "router hops"},
        {COST_CHIP_E | COST_CHIP_L, t->chip_hops, "chip-to-chip crossings"},
        {COST_DEND, t->updates, "dendrite updates"},
        {COST_SYNC, t->ticks, "barrier synchronisations"},
        {COST_STATIC, t->ticks, "static power"},
    };
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if ((u & used[i].bits) && used[i].count && len + 2 < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s (%llu)", len ? ", " : "",
                                    used[i].what, (unsigned long long)used[i].count);
}

void myl_acct_get_totals(myl_acct *a, myl_acct_totals *t)
{
    settle(a);
    *t = a->tot;
    for (uint32_t k = 0; k < a->ncores; k++) {
        const myl_core_counts *c = &a->cc[k];
        t->synops += c->synop;
        t->spikes += c->spike;
        t->messages += c->msg_out;
        t->hops += c->hop_n + c->hop_e + c->hop_s + c->hop_w;
        t->chip_hops += c->chip;
        t->updates += c->update;
    }
    t->accesses = (uint64_t)a->n * a->tot.ticks;
    t->mean_power = t->sim_time > 0 ? t->energy / t->sim_time : 0;
    t->energy_per_tick = t->ticks ? t->energy / t->ticks : 0;
    name_unknown(a, t, t->unknown, sizeof t->unknown);
}

uint32_t myl_acct_ncores(const myl_acct *a)
{
    return a->ncores;
}

const myl_core_counts *myl_acct_core(myl_acct *a, uint32_t core)
{
    settle(a);
    return core < a->ncores ? &a->cc[core] : NULL;
}
