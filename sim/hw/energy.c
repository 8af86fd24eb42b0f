/* The energy and latency accountant (see energy.h; the formulas are in docs/energy.md).
 *
 * Everything that depends only on the network and the mapping is computed once: for each
 * neuron, the cores its spikes go to with their synapse counts, and the hop counts and latency
 * of the routes there; for each core, the constant per-tick cost of accessing its neurons. A
 * tick then costs O(spikes x destination cores + cores), outside the simulation's inner loops -
 * plus, with a simulator attached (myl_acct_attach), one look at every neuron's state to tell
 * which neurons the chip updates (O(neurons), as the chip itself does).
 *
 * A tick needs each core's latency, so it adds up, per core, whole numbers (messages in,
 * synaptic operations, updates at the core's cost) and the neuron side of its spikes, and
 * turns them into seconds in one pass over the cores. The per-core counts and energies of
 * the results are kept per neuron (spikes, firing ticks, updates) and per core (updates, busy
 * time) and added up when they are read (settle), so a tick writes no per-core record.
 */
#include "myelin/energy.h"

#include "myelin/alloc.h"
#include "myelin/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct acct_thread acct_thread;

typedef struct dest {
    uint32_t core;
    uint32_t nsyn;
} dest;

/* A neuron's destination cores are kept packed, one 32-bit word each: core << 8 | synapses
 * there, or core << 8 | DEST_WIDE followed by a word with the count when it is DEST_WIDE or
 * more. Half the bytes of a (core, count) pair: a tick reads the destinations of every spike,
 * and with Brunel on Loihi (~1,080 destination cores per recurrent neuron) those reads are most
 * of what pricing a tick costs. */
enum { DEST_SHIFT = 8, DEST_WIDE = 255 };
#define DEST_MAX_CORES (UINT32_C(1) << (32 - DEST_SHIFT))

/* The next destination at w: its core and synapse count; returns the word after it. */
static inline const uint32_t *dest_next(const uint32_t *w, uint32_t *core, uint32_t *nsyn)
{
    const uint32_t x = *w++;
    *core = x >> DEST_SHIFT;
    *nsyn = x & DEST_WIDE;
    if (*nsyn == DEST_WIDE)
        *nsyn = *w++;
    return w;
}

/* What one spike of neuron g costs: read for every spike of a tick. */
typedef struct spk_cost {
    uint64_t first; /* into dw */
    uint32_t nword; /* words of destinations in dw */
    uint32_t core;
    double lat_cnt;    /* the source core's neuron side per spike: generation, messages out */
    double lat_fire;   /* and per firing tick: a source's update */
    double route_lat;  /* longest route of the spike (0 without destinations) */
    double e_spike;    /* spike generation */
    double e_fire;     /* a source's update when it fires (SANA-FE's input soma) */
    double net_energy; /* messages out and in, hops, chip links: per spike */
    double e_syn;      /* synaptic operations at every destination */
} spk_cost;

/* The rest of what is known of neuron g: read when counts are settled. */
typedef struct src_info {
    uint32_t ndest;
    uint32_t hop_n, hop_e, hop_s, hop_w, chip;
    uint32_t source;       /* a spike source */
    double e_upd, lat_upd; /* an update of this (non-source) neuron: soma update, dendrite */
} src_info;

/* A stretch of 32-bit values the simulator keeps per neuron (chip arithmetic: its note of
 * which neurons needed an update; float: the membrane potentials) that lie contiguous in its
 * memory; the neurons and their cores are at rg and rcore [first ..]. */
typedef struct note_run {
    const char *p;
    uint64_t first;
    uint32_t n;
} note_run;

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
    spk_cost *sc;  /* [n] */
    src_info *src; /* [n] */
    uint32_t *dw;  /* destinations, packed (DEST_SHIFT) */
    myl_core_counts *cc;
    /* per core, this tick */
    uint64_t *msg;     /* messages in << 32 | synaptic operations; messages in alone when the
                        * tick's sums may not fit (then synaptic operations are in syn_w) */
    uint64_t *syn_w;   /* synaptic operations, in ticks whose sums may not fit msg */
    uint32_t max_nsyn; /* the most synapses of one neuron on one core */
    uint32_t *nupd;    /* updates at the core's update cost (update_e, update_l) */
    double *nside;     /* the rest of the neuron side: spikes, messages out, sources' and
                        * float neurons' own updates */
    /* per core, constant */
    double *access_e, *access_l; /* per tick */
    double *update_e, *update_l; /* per updated neuron of the core (chip arithmetic, or without
                                  * a simulator): the mean over its non-source neurons */
    uint32_t *core_n;            /* neurons mapped on each core */
    double access_e_sum;         /* access energy of all cores, per tick */
    /* per core, since the last settle */
    double *busy;          /* s of work */
    uint64_t *upd_sum;     /* updates at the core's update cost */
    uint64_t settled;      /* ticks whose constant parts are in cc */
    uint64_t *spk, *fires; /* [n] spikes and firing ticks since the last settle */
    uint64_t *upds;        /* [n] updates at the neuron's own cost since the last settle */
    int pending;           /* a tick since the last settle */
    uint32_t tiles, chips;
    double sync;
    /* with a simulator attached: the chip's update rule from the neurons' state */
    const myl_sim *sim;
    note_run *runs; /* where the simulator keeps what the update rule reads */
    uint32_t nruns;
    uint32_t nnotes;  /* neurons in runs */
    uint32_t *rg;     /* [nnotes] the neurons, in the order of runs */
    uint32_t *rcore;  /* [nnotes] their cores */
    uint32_t *always; /* float neurons without a potential to watch: charged every tick */
    uint32_t nalways;
    float *v_prev;   /* [n] membrane potential at the end of the last tick */
    float *v_rest;   /* [n] resting potential */
    uint8_t *driven; /* [n] a constant drive (bias) updates it every tick */
    uint64_t *fired; /* [n] tick + 1 of its last spike */
    myl_acct_totals tot;
    acct_thread *th; /* myl_acct_push's, made on its first call */
};

static void stop_thread(myl_acct *a);

void myl_acct_free(myl_acct *a)
{
    if (!a)
        return;
    stop_thread(a);
    void *arrays[] = {a->sc,     a->src,   a->dw,       a->cc,       a->msg,      a->syn_w,
                      a->nupd,   a->nside, a->access_e, a->access_l, a->update_e, a->update_l,
                      a->core_n, a->busy,  a->upd_sum,  a->spk,      a->fires,    a->upds,
                      a->runs,   a->rg,    a->rcore,    a->always,   a->v_prev,   a->v_rest,
                      a->driven, a->fired};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        myl_free(arrays[i]);
    myl_free(a);
}

/* A source's synapses merged per destination core of the mapping (not of the engine's layout,
 * which may be coarser): the cores in order of first reach, with a synapse count each. */
typedef struct tgt_ctx {
    const uint32_t *core_of; /* the mapping's */
    uint32_t *slot;          /* [ncores] position in d + 1 while this source is merged, else 0 */
    uint64_t *seen;          /* [ncores / 64] the cores in d, a bit each */
    dest *d, *sorted;        /* [cap] the destinations in order of first reach; by core */
    uint32_t n, cap;
    int oom;
} tgt_ctx;

static int dest_cmp(const void *a, const void *b)
{
    const dest *x = a, *y = b;
    return x->core < y->core ? -1 : x->core > y->core;
}

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
        if (v)
            t->d = v;
        dest *w = v ? myl_reallocarray(t->sorted, cap, sizeof *w) : NULL;
        if (!w) {
            t->oom = 1;
            return;
        }
        t->sorted = w, t->cap = cap;
    }
    t->d[t->n] = (dest){core, 1};
    t->slot[core] = ++t->n;
    t->seen[core >> 6] |= UINT64_C(1) << (core & 63);
}

/* The destinations of the neuron just collected, by core; clears the collection. A neuron
 * that reaches many cores is put in order by a pass over the bitmap of cores, faster than a
 * sort; one that reaches few, by a sort. */
static const dest *take_sorted(tgt_ctx *t, uint32_t ncores)
{
    const uint32_t nwords = (ncores + 63) / 64;
    const dest *out = t->d;
    if (t->n > 1 && t->n >= nwords / 8) {
        uint32_t j = 0;
        for (uint32_t w = 0; w < nwords && j < t->n; w++)
            for (uint64_t x = t->seen[w]; x; x &= x - 1)
                t->sorted[j++] = t->d[t->slot[w * 64 + (uint32_t)__builtin_ctzll(x)] - 1];
        out = t->sorted;
    } else if (t->n > 1) {
        qsort(t->d, t->n, sizeof *t->d, dest_cmp);
    }
    for (uint32_t j = 0; j < t->n; j++) {
        t->slot[t->d[j].core] = 0;
        t->seen[t->d[j].core >> 6] = 0;
    }
    return out;
}

static double sync_latency(const myl_hw *hw, uint32_t tiles)
{
    if (!hw->sync_table)
        return hw->sync.v;
    /* the entry for the largest tile count not above the tiles in use (loading requires
     * the table in increasing tile counts) */
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

/* n elements of size sz, zeroed; at least one, so that an empty network needs no NULL checks */
static void *zalloc(size_t n, size_t sz)
{
    return myl_calloc(n ? n : 1, sz);
}

int myl_acct_new(const myl_cnet *c, const myl_map *m, const myl_hw *hw, const int *soma,
                 myl_acct **out)
{
    *out = NULL;
    if (m->ncores > DEST_MAX_CORES)
        return MYL_ERANGE;
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
    const uint32_t n = a->n, nc = a->ncores;
    a->sc = zalloc(n, sizeof *a->sc);
    a->src = zalloc(n, sizeof *a->src);
    a->cc = zalloc(nc, sizeof *a->cc);
    a->msg = zalloc(nc, sizeof *a->msg);
    a->syn_w = zalloc(nc, sizeof *a->syn_w);
    a->nupd = zalloc(nc, sizeof *a->nupd);
    a->nside = zalloc(nc, sizeof *a->nside);
    a->access_e = zalloc(nc, sizeof *a->access_e);
    a->access_l = zalloc(nc, sizeof *a->access_l);
    a->update_e = zalloc(nc, sizeof *a->update_e);
    a->update_l = zalloc(nc, sizeof *a->update_l);
    a->core_n = zalloc(nc, sizeof *a->core_n);
    a->busy = zalloc(nc, sizeof *a->busy);
    a->upd_sum = zalloc(nc, sizeof *a->upd_sum);
    a->spk = zalloc(n, sizeof *a->spk);
    a->fires = zalloc(n, sizeof *a->fires);
    a->upds = zalloc(n, sizeof *a->upds);
    uint32_t *models = zalloc(nc, sizeof *models);
    tgt_ctx tc = {m->core_of,
                  zalloc(nc, sizeof *tc.slot),
                  zalloc((nc + 63) / 64, sizeof *tc.seen),
                  NULL,
                  NULL,
                  0,
                  0,
                  0};
    myl_place *place = zalloc(nc, sizeof *place); /* each core's, for its routes */
    uint64_t total = 0, cap = 0;
    int err = MYL_ENOMEM;
    if (!a->sc || !a->src || !a->cc || !a->msg || !a->syn_w || !a->nupd || !a->nside ||
        !a->access_e || !a->access_l || !a->update_e || !a->update_l || !a->core_n || !a->busy ||
        !a->upd_sum || !a->spk || !a->fires || !a->upds || !models || !tc.slot || !tc.seen ||
        !place)
        goto fail;
    for (uint32_t j = 0; j < nc; j++)
        myl_map_place(m, hw, j, &place[j]);
    const int in_soma = input_soma(hw);
    const myl_synapse_cost *syn = hw->nsynapse ? &hw->synapse[0] : NULL;
    for (uint32_t g = 0; g < n; g++) {
        /* destinations of the neuron's spikes: one message per core its synapses reach */
        spk_cost *k = &a->sc[g];
        src_info *s = &a->src[g];
        tc.n = 0;
        myl_cnet_targets(c, g, on_target, &tc);
        if (tc.oom)
            goto fail;
        const dest *dd = take_sorted(&tc, nc);
        uint32_t words = tc.n;
        for (uint32_t j = 0; j < tc.n; j++)
            words += dd[j].nsyn >= DEST_WIDE;
        if (total + words > cap) {
            /* a synapse adds at most one word (a count past DEST_WIDE covers that many
             * synapses), a neuron at most one more: sized once for that, the pages that stay
             * unused are never touched; grown only if the count was off */
            uint64_t ncap = cap ? cap * 2 : info.nsyn + n + 1;
            while (ncap < total + words)
                ncap *= 2;
            uint32_t *v = myl_reallocarray(a->dw, ncap, sizeof *v);
            if (!v)
                goto fail;
            a->dw = v, cap = ncap;
        }
        k->first = total;
        k->nword = words;
        for (uint32_t j = 0; j < tc.n; j++) {
            const uint32_t ns = dd[j].nsyn;
            a->dw[total++] = dd[j].core << DEST_SHIFT | (ns < DEST_WIDE ? ns : DEST_WIDE);
            if (ns >= DEST_WIDE)
                a->dw[total++] = ns;
            if (ns > a->max_nsyn)
                a->max_nsyn = ns;
        }
        s->ndest = tc.n;
        k->core = m->core_of[g];
        uint32_t pop = myl_cnet_pop_of(c, g);
        int src = myl_model_is_source(myl_net_pop_model(net, pop));
        /* the soma variant, -1 for none (a source without an input soma) */
        int v = soma && soma[pop] >= 0 ? soma[pop] : src ? in_soma : 0;
        const int sv = hw->nsoma && v < (int)hw->nsoma ? v : -1;
        s->source = (uint32_t)src;
        /* messages: one out of the source core per destination core, one into each */
        k->net_energy = (double)s->ndest * (hw->msg_out.energy.v + hw->msg_in.energy.v);
        for (uint32_t j = 0; j < tc.n; j++) {
            myl_route r;
            myl_route_between(&place[k->core], &place[dd[j].core], &r);
            s->hop_n += r.n, s->hop_e += r.e, s->hop_s += r.s, s->hop_w += r.w;
            s->chip += r.chip;
            double lat = r.n * hw->hop_n.latency.v + r.e * hw->hop_e.latency.v +
                         r.s * hw->hop_s.latency.v + r.w * hw->hop_w.latency.v +
                         r.chip * hw->chip_hop.latency.v;
            if (lat > k->route_lat)
                k->route_lat = lat;
            k->e_syn += syn ? dd[j].nsyn * syn->spike.energy.v : 0;
        }
        k->net_energy += s->hop_n * hw->hop_n.energy.v + s->hop_e * hw->hop_e.energy.v +
                         s->hop_s * hw->hop_s.energy.v + s->hop_w * hw->hop_w.energy.v +
                         s->chip * hw->chip_hop.energy.v;
        /* per spike: the source core's neuron side, and each destination's message side */
        k->lat_cnt = (double)s->ndest * hw->msg_out.latency.v;
        if (sv >= 0) {
            const myl_soma_cost *so = &hw->soma[sv];
            k->e_spike = so->spike.energy.v;
            k->lat_cnt += so->spike.latency.v;
            if (src) {
                k->e_fire = so->update.energy.v;
                k->lat_fire = so->update.latency.v;
            } else {
                s->e_upd = so->update.energy.v + hw->dendrite.energy.v;
                s->lat_upd = so->update.latency.v + hw->dendrite.latency.v;
            }
            /* per-core constants: accessing every mapped neuron each tick; the update cost
             * of the core's neurons (the mean over them when populations with different
             * somas share a core) */
            a->access_e[k->core] += so->access.energy.v;
            a->access_l[k->core] += so->access.latency.v;
            if (!src) {
                a->update_e[k->core] += s->e_upd;
                a->update_l[k->core] += s->lat_upd;
                models[k->core]++;
            }
        }
        a->core_n[k->core]++;
    }
    if (total < cap) { /* give back the room reserved for the worst case */
        uint32_t *v = myl_reallocarray(a->dw, total ? total : 1, sizeof *v);
        if (v)
            a->dw = v;
    }
    for (uint32_t j = 0; j < nc; j++) {
        if (models[j]) {
            a->update_e[j] /= models[j];
            a->update_l[j] /= models[j];
        }
        a->access_e_sum += a->access_e[j];
    }
    a->tiles = m->ntiles;
    a->chips = m->nchips;
    a->sync = sync_latency(hw, a->tiles);
    myl_free(models);
    myl_free(place);
    myl_free(tc.d);
    myl_free(tc.sorted);
    myl_free(tc.seen);
    myl_free(tc.slot);
    *out = a;
    return 0;
fail:
    myl_free(models);
    myl_free(place);
    myl_free(tc.d);
    myl_free(tc.sorted);
    myl_free(tc.seen);
    myl_free(tc.slot);
    myl_acct_free(a);
    return err;
}

/* Where the simulator keeps neuron g's update note (chip arithmetic) or membrane potential. */
static const char *note_addr(const myl_sim *sim, uint32_t g, int floats)
{
    return floats ? (const char *)myl_sim_v_addr(sim, g) : (const char *)myl_sim_busy_addr(sim, g);
}

/* The runs of the non-source neurons' notes or potentials: mostly a few, as the simulator
 * keeps a population's neurons in order. Float neurons without a potential are listed in
 * `always`. */
static int build_runs(myl_acct *a, const myl_sim *sim, int floats)
{
    uint32_t nruns = 0, nnotes = 0, nalways = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *end = NULL;
        nruns = nnotes = nalways = 0;
        for (uint32_t g = 0; g < a->n; g++) {
            if (a->src[g].source)
                continue;
            const char *p = note_addr(sim, g, floats);
            if (!p) {
                if (pass && floats)
                    a->always[nalways] = g;
                nalways += (uint32_t)floats;
                continue;
            }
            if (p != end) {
                if (pass)
                    a->runs[nruns] = (note_run){p, nnotes, 0};
                nruns++;
            }
            if (pass) {
                a->runs[nruns - 1].n++;
                a->rg[nnotes] = g;
                a->rcore[nnotes] = a->sc[g].core;
            }
            nnotes++;
            end = p + 4;
        }
        if (pass)
            break;
        a->runs = zalloc(nruns, sizeof *a->runs);
        a->rg = zalloc(nnotes, sizeof *a->rg);
        a->rcore = zalloc(nnotes, sizeof *a->rcore);
        a->always = zalloc(nalways, sizeof *a->always);
        if (!a->runs || !a->rg || !a->rcore || !a->always)
            return MYL_ENOMEM;
    }
    a->nruns = nruns, a->nnotes = nnotes, a->nalways = nalways;
    return 0;
}

/* What attach made, freed: it failed. */
static int detach(myl_acct *a, int rc)
{
    void **arrays[] = {(void **)&a->runs,   (void **)&a->rg,     (void **)&a->rcore,
                       (void **)&a->always, (void **)&a->v_prev, (void **)&a->v_rest,
                       (void **)&a->driven, (void **)&a->fired};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        myl_free(*arrays[i]);
        *arrays[i] = NULL;
    }
    a->nruns = a->nnotes = a->nalways = 0;
    a->sim = NULL;
    return rc;
}

int myl_acct_attach(myl_acct *a, const myl_sim *sim, uint64_t seed)
{
    if (!a || !sim || a->sim)
        return MYL_EINVAL;
    if (a->th || a->tot.ticks)
        return MYL_ESTATE; /* ticks were priced without it */
    const uint32_t n = a->n;
    /* a chip's integer state has its own rest: the engine's note of each neuron that needed
     * an update, summed per core of the mapping; float neurons are watched for the chip's
     * rule */
    const int floats = a->hw->arith == MYL_ARITH_FLOAT;
    int rc = build_runs(a, sim, floats);
    if (rc)
        return detach(a, rc);
    if (!floats) {
        a->sim = sim;
        return 0;
    }
    a->v_prev = zalloc(n, sizeof *a->v_prev);
    a->v_rest = zalloc(n, sizeof *a->v_rest);
    a->driven = zalloc(n, sizeof *a->driven);
    a->fired = zalloc(n, sizeof *a->fired);
    if (!a->v_prev || !a->v_rest || !a->driven || !a->fired)
        return detach(a, MYL_ENOMEM);
    const myl_net *net = a->net;
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        const uint64_t first = myl_net_pop_first(net, p);
        const uint32_t size = myl_net_pop_size(net, p);
        if (myl_model_is_source(myl_net_pop_model(net, p)))
            continue; /* charged when they fire */
        const myl_values *vr = myl_net_pop_param(net, p, MYL_P_V_REST);
        const myl_values *bias = myl_net_pop_param(net, p, MYL_P_BIAS);
        for (uint32_t i = 0; i < size; i++) {
            const uint64_t g = first + i;
            /* keyed as the compiler draws per-neuron parameters (sim/core/neuron.c) */
            a->v_rest[g] = (float)myl_values_at(vr, seed, p * MYL_P_COUNT + MYL_P_V_REST, i);
            a->driven[g] = myl_values_at(bias, seed, p * MYL_P_COUNT + MYL_P_BIAS, i) != 0;
            const float *v = myl_sim_v_addr(sim, (uint32_t)g);
            if (v)
                a->v_prev[g] = *v;
        }
    }
    a->sim = sim;
    return 0;
}

/* Add what the ticks since the last call did to every core's counts: the constant parts, the
 * updates and busy time kept per core, and each neuron's spikes at its core and at the cores
 * they reached. */
static void settle(myl_acct *a)
{
    if (!a->pending)
        return;
    a->pending = 0;
    const uint64_t n = a->tot.ticks - a->settled;
    for (uint32_t k = 0; k < a->ncores; k++) {
        myl_core_counts *cc = &a->cc[k];
        cc->access += (uint64_t)a->core_n[k] * n;
        cc->energy += a->access_e[k] * (double)n + a->update_e[k] * (double)a->upd_sum[k];
        cc->update += a->upd_sum[k];
        cc->busy += a->busy[k];
        a->upd_sum[k] = 0;
        a->busy[k] = 0;
    }
    a->settled = a->tot.ticks;
    const myl_hw *hw = a->hw;
    const double syn_e = hw->nsynapse ? hw->synapse[0].spike.energy.v : 0;
    for (uint32_t g = 0; g < a->n; g++) {
        const uint64_t cnt = a->spk[g], fires = a->fires[g], upds = a->upds[g];
        const spk_cost *k = &a->sc[g];
        const src_info *s = &a->src[g];
        if (upds) {
            myl_core_counts *cu = &a->cc[k->core];
            cu->update += upds;
            cu->energy += (double)upds * s->e_upd;
            a->upds[g] = 0;
        }
        if (!cnt)
            continue;
        a->spk[g] = a->fires[g] = 0;
        myl_core_counts *cs = &a->cc[k->core];
        cs->spike += cnt;
        if (s->source)
            cs->update += fires;
        cs->msg_out += cnt * s->ndest;
        cs->hop_n += cnt * s->hop_n, cs->hop_e += cnt * s->hop_e;
        cs->hop_s += cnt * s->hop_s, cs->hop_w += cnt * s->hop_w;
        cs->chip += cnt * s->chip;
        cs->energy += (double)cnt * (k->e_spike + k->net_energy) + (double)fires * k->e_fire;
        for (const uint32_t *w = a->dw + k->first, *end = w + k->nword; w < end;) {
            uint32_t core, nsyn;
            w = dest_next(w, &core, &nsyn);
            myl_core_counts *cd = &a->cc[core];
            cd->synop += (uint64_t)nsyn * cnt;
            cd->msg_in += cnt;
            cd->energy += (double)cnt * nsyn * syn_e;
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
 * fire (docs/energy.md). Each at its own cost; returns the energy. vs: the potentials in the
 * order of runs, or NULL to read them from the simulator. */
static double count_updates(myl_acct *a, const float *vs)
{
    const uint64_t stamp = a->tot.ticks + 1;
    double e = 0;
    /* consecutive neurons mostly share a core: their latency is summed here before it is
     * added to the core's, which keeps the additions off memory */
    uint32_t core = 0;
    double lat = 0;
    for (uint32_t r = 0; r < a->nruns; r++) {
        const note_run *R = &a->runs[r];
        const float *v = vs ? vs + R->first : (const float *)(const void *)R->p;
        for (uint32_t i = 0; i < R->n; i++) {
            const uint32_t g = a->rg[R->first + i];
            if (!a->driven[g]) {
                const int upd = fbits(a->v_prev[g]) != fbits(a->v_rest[g]) ||
                                fbits(v[i]) != fbits(a->v_prev[g]) || a->fired[g] == stamp;
                a->v_prev[g] = v[i];
                if (!upd)
                    continue;
            }
            a->upds[g]++;
            e += a->src[g].e_upd;
            if (a->rcore[R->first + i] != core) {
                a->nside[core] += lat;
                core = a->rcore[R->first + i], lat = 0;
            }
            lat += a->src[g].lat_upd;
        }
    }
    a->nside[core] += lat;
    for (uint32_t i = 0; i < a->nalways; i++) { /* no potential to watch */
        const uint32_t g = a->always[i];
        a->upds[g]++;
        e += a->src[g].e_upd;
        a->nside[a->sc[g].core] += a->src[g].lat_upd;
    }
    return e;
}

/* Chip arithmetic: the neurons the engine had to update, counted per core. notes: the notes
 * in the order of runs, or NULL to read them from the simulator. */
static void count_busy(myl_acct *a, const int32_t *notes)
{
    uint32_t *restrict nupd = a->nupd;
    for (uint32_t r = 0; r < a->nruns; r++) {
        const note_run *R = &a->runs[r];
        const int32_t *restrict note =
            notes ? notes + R->first : (const int32_t *)(const void *)R->p;
        const uint32_t *restrict core = a->rcore + R->first;
        for (uint32_t i = 0; i < R->n; i++)
            nupd[core[i]] += note[i] != 0;
    }
}

/* One spike: its energy, its source core's neuron side, one message into each destination
 * core and its synapses there. Packed: a core's messages in the high 32 bits of msg[core],
 * its synaptic operations in the low 32 (the caller knows they fit); wide: messages in msg,
 * synaptic operations in syn. */
typedef struct tick_sums {
    double e_spike, e_neuron, e_net, e_syn, route;
} tick_sums;

static inline void count_spike(myl_acct *a, uint32_t g, uint32_t cnt, int wide,
                               uint64_t *restrict msg, uint64_t *restrict syn,
                               double *restrict nside, tick_sums *restrict t)
{
    const spk_cost *k = &a->sc[g];
    const double c = cnt;
    a->spk[g] += cnt;
    a->fires[g]++;
    t->e_spike += c * k->e_spike;
    t->e_neuron += k->e_fire;
    t->e_net += c * k->net_energy;
    t->e_syn += c * k->e_syn;
    t->route = k->route_lat > t->route ? k->route_lat : t->route;
    nside[k->core] += c * k->lat_cnt + k->lat_fire;
    const uint64_t one = wide ? cnt : (uint64_t)cnt << 32;
    for (const uint32_t *w = a->dw + k->first, *end = w + k->nword; w < end;) {
        uint32_t core, nsyn;
        w = dest_next(w, &core, &nsyn);
        if (wide) {
            msg[core] += one;
            syn[core] += (uint64_t)nsyn * cnt;
        } else {
            msg[core] += one + (uint64_t)nsyn * cnt;
        }
    }
}

static inline void prefetch_dests(const myl_acct *a, uint32_t g)
{
    const spk_cost *k = &a->sc[g];
    const char *p = (const char *)(a->dw + k->first);
    const uint32_t bytes = k->nword * (uint32_t)sizeof *a->dw;
    if (bytes <= 64)
        return; /* a line or less: read when it is needed, like the spike's own record */
    for (uint32_t b = 0; b < bytes && b < 4096; b += 64)
        __builtin_prefetch(p + b);
}

/* The spikes of a tick. Consecutive spikes mostly come from one core and go to one core (a
 * population is mapped in order), and adding to the same core's sums one after another waits
 * for each addition; the spikes are taken from the two halves of the list in turn, which
 * gives the processor two independent chains. */
static inline void count_spikes(myl_acct *a, const myl_tick_report *r, int wide, tick_sums *out)
{
    tick_sums sums = {0}, *t = &sums; /* in registers, not in *out, while the spikes are added */
    const uint64_t stamp = a->tot.ticks + 1;
    uint64_t *msg = a->msg, *syn = a->syn_w;
    double *nside = a->nside;
    const uint32_t n = r->nspiking, half = n / 2;
    if (a->fired)
        for (uint32_t i = 0; i < n; i++)
            a->fired[r->spike[i]] = stamp;
    for (uint32_t i = 0; i < half; i++) {
        /* the destinations of the next spikes: a recurrent neuron's span KiB of memory that
         * the hardware prefetchers find only after some misses */
        if (i + 1 < half) {
            prefetch_dests(a, r->spike[i + 1]);
            prefetch_dests(a, r->spike[half + i + 1]);
        }
        count_spike(a, r->spike[i], r->count[i], wide, msg, syn, nside, t);
        count_spike(a, r->spike[half + i], r->count[half + i], wide, msg, syn, nside, t);
    }
    if (n & 1)
        count_spike(a, r->spike[n - 1], r->count[n - 1], wide, msg, syn, nside, t);
    *out = sums;
}

/* The pass over the cores that ends a tick: each core's latency (the longer of its neuron and
 * message sides, which work concurrently), its busy time and updates, the slowest core; it
 * clears the tick's sums. Returns the energy of the updates at the cores' costs. */
static inline double close_cores(myl_acct *a, int wide, double *slowest, uint32_t *which)
{
    const myl_hw *hw = a->hw;
    const double lat_in = hw->msg_in.latency.v;
    const double lat_syn = hw->nsynapse ? hw->synapse[0].spike.latency.v : 0;
    const uint32_t nc = a->ncores;
    uint64_t *restrict msg = a->msg, *restrict syn = a->syn_w, *restrict upd_sum = a->upd_sum;
    uint32_t *restrict nupd = a->nupd;
    double *restrict nside = a->nside, *restrict busy = a->busy;
    const double *restrict access_l = a->access_l, *restrict update_l = a->update_l,
                           *restrict update_e = a->update_e;
    double slow = 0, e_upd = 0;
    for (uint32_t k = 0; k < nc; k++) {
        const double nl = access_l[k] + (double)nupd[k] * update_l[k] + nside[k];
        const uint64_t m = wide ? msg[k] : msg[k] >> 32;
        const uint64_t sy = wide ? syn[k] : msg[k] & 0xFFFFFFFFu;
        const double ml = (double)(int64_t)m * lat_in + (double)(int64_t)sy * lat_syn;
        const double t = nl > ml ? nl : ml;
        busy[k] += t;
        e_upd += (double)nupd[k] * update_e[k];
        upd_sum[k] += nupd[k];
        slow = t > slow ? t : slow;
        nside[k] = t; /* for finding the slowest core below */
        msg[k] = 0, nupd[k] = 0;
        if (wide)
            syn[k] = 0;
    }
    uint32_t k = 0;
    while (k < nc && nside[k] != slow)
        k++;
    memset(nside, 0, (size_t)nc * sizeof *nside);
    *slowest = slow;
    *which = k < nc ? k : 0;
    return e_upd;
}

/* 1 when a tick's sums do not fit the packed form: more than 2^32 - 1 synaptic operations or
 * messages could reach one core. A core's synaptic operations are at most the tick's spike
 * count times the most synapses one neuron has on one core. */
static int needs_wide(const myl_acct *a, const myl_tick_report *r)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < r->nspiking; i++)
        total += r->count[i];
    return total > UINT32_MAX / (a->max_nsyn ? a->max_nsyn : 1);
}

/* Price one tick. snap: the simulator's notes or potentials as they were after the step, in
 * the order of runs; NULL to read them from the simulator. */
static void price(myl_acct *a, const myl_tick_report *r, const uint32_t *snap, myl_tick_cost *out)
{
    const myl_hw *hw = a->hw;
    memset(out, 0, sizeof *out);
    /* every core's access (its counts are settled later), and without a simulator the
     * engine's count of neurons with input or away from a fixed point, at the core's mean
     * update cost */
    out->part[MYL_E_NEURON] += a->access_e_sum;
    for (uint32_t k = 0; !a->sim && k < a->ncores && k < r->ncores; k++)
        a->nupd[k] += (uint32_t)r->core_active[k];
    tick_sums t = {0};
    const int wide = needs_wide(a, r);
    if (wide)
        count_spikes(a, r, 1, &t);
    else
        count_spikes(a, r, 0, &t);
    out->part[MYL_E_SPIKE] += t.e_spike;
    out->part[MYL_E_NEURON] += t.e_neuron;
    out->part[MYL_E_NETWORK] += t.e_net;
    out->part[MYL_E_SYNAPSE] += t.e_syn;
    if (a->sim && a->hw->arith != MYL_ARITH_FLOAT)
        count_busy(a, (const int32_t *)snap);
    else if (a->sim)
        out->part[MYL_E_NEURON] += count_updates(a, (const float *)snap);
    double slow;
    uint32_t which;
    out->part[MYL_E_NEURON] +=
        wide ? close_cores(a, 1, &slow, &which) : close_cores(a, 0, &slow, &which);
    out->slowest_core = which;
    out->core_latency = slow;
    out->net_latency = t.route;
    out->sync_latency = a->sync;
    out->latency = slow + t.route + a->sync;
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

/* ---- pricing on a thread of its own ------------------------------------------------------
 * The caller pushes ticks into a queue of jobs and pops their costs in order; the thread
 * prices the queued jobs while the engine steps on. It is woken for each tick, or, when it
 * prices a tick in less time than waking it takes, once half the queue is waiting (and when
 * the caller waits for a cost), so that the hand-over costs the engine little. */

/* A tick waiting to be priced, with its own copy of what the simulator will overwrite. */
typedef struct acct_job {
    myl_tick_report rep; /* spike, count and core_active point into the buffers below */
    uint32_t *spike;
    uint16_t *count;
    uint32_t cap;          /* of spike and count */
    uint64_t *core_active; /* without a simulator: the engine's per-core counts */
    uint32_t *snap;        /* [nnotes] the notes or potentials, in the order of runs */
    myl_tick_cost cost;
} acct_job;

/* The queue holds up to 64 ticks, fewer when their copies of the simulator's notes would take
 * more than 32 MiB. */
enum { MAX_DEPTH = 64, QUEUE_BYTES = 32 << 20, BATCH_BELOW_NS = 20000 };

struct acct_thread {
    uv_thread_t th;
    uv_mutex_t mu;
    uv_cond_t work, done;
    int running; /* a thread prices the jobs; 0: myl_acct_push prices them itself */
    int stop, idle, waiting;
    uint32_t depth;
    uint32_t batch;                  /* ticks queued before the thread is woken */
    uint32_t polled;                 /* pops that found nothing priced since the last push */
    double ns_avg;                   /* the thread's time per tick, a running mean */
    acct_job *job;                   /* [depth] */
    uint64_t pushed, priced, popped; /* pushed and popped: the caller's; priced: the thread's */
};

static void worker_main(void *arg)
{
    myl_acct *a = arg;
    acct_thread *w = a->th;
    uv_mutex_lock(&w->mu);
    for (;;) {
        while (w->priced == w->pushed && !w->stop) {
            w->idle = 1;
            uv_cond_wait(&w->work, &w->mu);
            w->idle = 0;
        }
        if (w->priced == w->pushed)
            break;
        acct_job *j = &w->job[w->priced % w->depth];
        uv_mutex_unlock(&w->mu);
        const uint64_t t0 = uv_hrtime();
        price(a, &j->rep, j->snap, &j->cost);
        const uint64_t took = uv_hrtime() - t0;
        uv_mutex_lock(&w->mu);
        /* ticks priced in less than the time it takes to wake a thread are handed over in
         * batches: half the queue at once */
        w->ns_avg = w->priced ? w->ns_avg + ((double)took - w->ns_avg) / 16 : (double)took;
        w->batch = w->ns_avg < BATCH_BELOW_NS ? (w->depth + 1) / 2 : 1;
        w->priced++;
        if (w->waiting)
            uv_cond_signal(&w->done);
    }
    uv_mutex_unlock(&w->mu);
}

/* With the lock held: wait until tick `upto` - 1 is priced. */
static void wait_priced(acct_thread *w, uint64_t upto)
{
    if (w->priced >= upto)
        return;
    if (w->idle)
        uv_cond_signal(&w->work);
    w->waiting = 1;
    while (w->priced < upto)
        uv_cond_wait(&w->done, &w->mu);
    w->waiting = 0;
}

/* Wait until every pushed tick is priced: then the accountant's state is the caller's again. */
static void drain(myl_acct *a)
{
    acct_thread *w = a->th;
    if (!w || !w->running)
        return;
    uv_mutex_lock(&w->mu);
    wait_priced(w, w->pushed);
    uv_mutex_unlock(&w->mu);
}

static void stop_thread(myl_acct *a)
{
    acct_thread *w = a->th;
    if (!w)
        return;
    if (w->running) {
        uv_mutex_lock(&w->mu);
        w->stop = 1;
        uv_cond_signal(&w->work);
        uv_mutex_unlock(&w->mu);
        uv_thread_join(&w->th);
        uv_cond_destroy(&w->done);
        uv_cond_destroy(&w->work);
        uv_mutex_destroy(&w->mu);
    }
    for (uint32_t i = 0; w->job && i < w->depth; i++) {
        myl_free(w->job[i].spike);
        myl_free(w->job[i].count);
        myl_free(w->job[i].core_active);
        myl_free(w->job[i].snap);
    }
    myl_free(w->job);
    myl_free(w);
    a->th = NULL;
}

/* The CPUs this process may run on. */
static unsigned cpus_available(void)
{
#if UV_VERSION_HEX >= 0x012C00 /* 1.44 */
    return uv_available_parallelism();
#else
    return 2; /* unknown: assume a second one */
#endif
}

static int start_thread(myl_acct *a)
{
    acct_thread *w = myl_calloc(1, sizeof *w);
    if (!w)
        return MYL_ENOMEM;
    a->th = w;
    /* on one CPU a thread would only take turns with the engine: push prices each tick as it
     * comes, from the simulator's own memory, and keeps one cost to pop */
    const int threaded = cpus_available() >= 2;
    const uint64_t per_job = (uint64_t)a->nnotes * 4 + (a->sim ? 0 : (uint64_t)a->ncores * 8);
    const uint64_t fit = per_job ? QUEUE_BYTES / per_job : MAX_DEPTH;
    w->depth = !threaded ? 1 : fit < 2 ? 2 : fit > MAX_DEPTH ? MAX_DEPTH : (uint32_t)fit;
    w->job = myl_calloc(w->depth, sizeof *w->job);
    int ok = w->job != NULL;
    for (uint32_t i = 0; ok && threaded && i < w->depth; i++) {
        w->job[i].snap = zalloc(a->nnotes, sizeof *w->job[i].snap);
        if (!a->sim)
            w->job[i].core_active = zalloc(a->ncores, sizeof *w->job[i].core_active);
        ok = w->job[i].snap && (a->sim || w->job[i].core_active);
    }
    if (!ok) {
        stop_thread(a);
        return MYL_ENOMEM;
    }
    /* where no thread can be made, the ticks are priced as they are pushed too */
    if (!threaded || uv_mutex_init(&w->mu))
        return 0;
    if (uv_cond_init(&w->work) == 0) {
        if (uv_cond_init(&w->done) == 0) {
            w->running = 1;
            w->batch = 1;
            if (uv_thread_create(&w->th, worker_main, a) == 0)
                return 0;
            w->running = 0;
            uv_cond_destroy(&w->done);
        }
        uv_cond_destroy(&w->work);
    }
    uv_mutex_destroy(&w->mu);
    return 0;
}

int myl_acct_push(myl_acct *a, const myl_tick_report *r)
{
    int rc;
    if (!a || !r)
        return MYL_EINVAL;
    if (!a->th && (rc = start_thread(a)))
        return rc;
    acct_thread *w = a->th;
    if (w->pushed - w->popped >= w->depth)
        return MYL_ESTATE;
    /* the slot's last tick was popped, so the thread is done with it */
    acct_job *j = &w->job[w->pushed % w->depth];
    w->polled = 0;
    if (!w->running) { /* no thread: priced now, from the simulator's memory */
        price(a, r, NULL, &j->cost);
        w->pushed++, w->priced++;
        return 0;
    }
    if (r->nspiking > j->cap) {
        uint32_t cap = j->cap ? j->cap : 1024;
        while (cap < r->nspiking)
            cap = cap > UINT32_MAX / 2 ? r->nspiking : cap * 2;
        uint32_t *spike = myl_reallocarray(j->spike, cap, sizeof *spike);
        if (spike)
            j->spike = spike;
        uint16_t *count = spike ? myl_reallocarray(j->count, cap, sizeof *count) : NULL;
        if (!count)
            return MYL_ENOMEM;
        j->count = count;
        j->cap = cap;
    }
    j->rep = *r;
    j->rep.spike = j->spike;
    j->rep.count = j->count;
    if (r->nspiking) {
        memcpy(j->spike, r->spike, r->nspiking * sizeof *r->spike);
        memcpy(j->count, r->count, r->nspiking * sizeof *r->count);
    }
    j->rep.core_active = NULL;
    if (!a->sim) {
        j->rep.ncores = r->ncores < a->ncores ? r->ncores : a->ncores;
        if (j->rep.ncores)
            memcpy(j->core_active, r->core_active, j->rep.ncores * sizeof *r->core_active);
        j->rep.core_active = j->core_active;
    }
    for (uint32_t k = 0; k < a->nruns; k++)
        memcpy(j->snap + a->runs[k].first, a->runs[k].p, (size_t)a->runs[k].n * 4);
    j->rep.nv = 0, j->rep.v_gid = NULL, j->rep.v = NULL; /* not kept */
    uv_mutex_lock(&w->mu);
    w->pushed++;
    if (w->idle && w->pushed - w->priced >= w->batch)
        uv_cond_signal(&w->work);
    uv_mutex_unlock(&w->mu);
    return 0;
}

int myl_acct_pop(myl_acct *a, myl_tick_cost *out, int wait)
{
    if (!a || !out)
        return MYL_EINVAL;
    acct_thread *w = a->th;
    if (!w || w->popped == w->pushed)
        return MYL_ESTATE;
    if (w->running) {
        uv_mutex_lock(&w->mu);
        if (w->priced <= w->popped && !wait) {
            /* a caller asking again without pushing more: the thread may be waiting for a
             * batch that will not come */
            if (w->polled++ && w->idle)
                uv_cond_signal(&w->work);
            uv_mutex_unlock(&w->mu);
            return 1;
        }
        wait_priced(w, w->popped + 1);
        uv_mutex_unlock(&w->mu);
    }
    *out = w->job[w->popped % w->depth].cost;
    w->popped++;
    return 0;
}

int myl_acct_full(const myl_acct *a)
{
    return a && a->th && a->th->pushed - a->th->popped >= a->th->depth;
}

void myl_acct_tick(myl_acct *a, const myl_tick_report *r, myl_tick_cost *out)
{
    drain(a);
    price(a, r, NULL, out);
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
    drain(a);
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
    drain(a);
    settle(a);
    return core < a->ncores ? &a->cc[core] : NULL;
}
