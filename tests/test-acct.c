/* The energy and latency accountant (sim/hw/energy.c) against a plain reference written here.
 *
 * The reference prices every tick from scratch by the definitions of docs/energy.md and
 * energy.h, and shares nothing with the accountant but its inputs (the tick report, the
 * compiled network, the mapping, the model, the simulator): each spike's synapses are walked
 * one by one (myl_cnet_targets) and each target's core looked up in the mapping, which gives
 * per core the messages in (one per spike and destination core, times the spike's count) and
 * the synaptic operations, and at the source's core the messages out and the hops and chip
 * crossings of their XY routes (myl_map_route). Every mapped neuron is accessed every tick; the
 * neurons the chip updates are found by the chip's rule from the membrane potentials before and
 * after the step on float chips (a bias, away from rest at the start of the tick, moved, or
 * fired), each at its own soma unit's update and the dendrite, and from the engine's
 * per-neuron note on chips with their own arithmetic, each at its core's mean update cost; a
 * spike source is updated once in a tick it fires, at its (input) soma's update cost. A core's
 * latency is the longer of its neuron side and its message side, a tick's the slowest core +
 * the longest route + the barrier for the tiles in use. Unknown figures count as 0. A core's
 * energy is that of its own operations, with a message's network energy (its arrival
 * included) charged where it is sent.
 *
 * Every tick, myl_acct_tick's energy, energy parts and latencies must equal the reference's
 * within a relative 1e-9 (sums may be added in another order), and its slowest core must be
 * one whose latency is the reference's largest; at the end the totals and every core's counts
 * must match (integers exactly, energy and busy time within 1e-9). A second accountant gets the
 * same ticks through myl_acct_push / myl_acct_pop, priced on its own thread while the
 * simulator steps on: every tick's cost, the totals and the per-core counts must be the first
 * accountant's to the last bit.
 *
 * The runs: a recurrent network of lif, cuba_lif and if neurons with Poisson drive (sources
 * that spike several times in a tick), built so that each part of the update rule decides for
 * some neurons, on every shipped chip, mapped by fill, balance and locality, with the chip's
 * per-core neuron capacity lowered so that the network spreads over many cores (and over two
 * chips on loihi-sanafe and spinnaker1); each run is priced with the chip's own figures and
 * with made-up ones that give every operation a distinct nonzero cost (the shipped figures
 * leave most of TrueNorth's and SpiNNaker's operations unknown, so free), an input soma for
 * the sources and a second soma unit for some populations, which then share cores with the
 * others. SANA-FE's example_snn and conv on its example chip, with the files' mappings and
 * soma units (skipped without the shared data). And 108,000 spikes injected into two neurons
 * whose synapses reach 70,000 neurons on one core: 7.35e9 synaptic operations on a core in a
 * tick, past 32 bits.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "testlib.h"

#include "myelin/chipq.h"
#include "myelin/cnet.h"
#include "myelin/energy.h"
#include "myelin/hw.h"
#include "myelin/map.h"
#include "myelin/net.h"
#include "myelin/netfile.h"
#include "myelin/sanafe.h"
#include "myelin/sim.h"

#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SEED = 5 };

/* ---- the reference ----------------------------------------------------------------------- */

/* A figure as charged: an unknown one (NAN) counts as 0. */
static double fig(myl_fig f)
{
    return isnan(f.v) ? 0 : f.v;
}

/* What the runs exercised, to make sure they test what they are meant to. */
typedef struct coverage {
    uint64_t multi_count;      /* spikes with a count above 1 */
    uint64_t max_count;        /* largest count of one spike */
    uint64_t multi_dest;       /* spikes whose synapses reach several cores */
    uint64_t shared_core;      /* (tick, core) where several neurons spiked */
    uint64_t quiet_core;       /* (tick, core) without messages in while another core had some */
    uint64_t max_synop;        /* most synaptic operations of one core in one tick */
    uint64_t period_ticks;     /* ticks that took the chip's real-time period */
    uint64_t work_ticks;       /* ticks that took longer than it */
    uint64_t chip_crossings;   /* messages' chip-to-chip crossings */
    uint32_t max_cores;        /* most cores of a run */
    uint32_t max_chips;        /* most chips of a run */
    uint32_t shared_soma_core; /* cores holding neurons of different soma units */
} coverage;

typedef struct ref {
    const myl_cnet *c;
    const myl_map *m;
    const myl_hw *hw;
    const myl_sim *sim;
    uint32_t n, ncores, nchips, ntiles;
    int *soma;               /* [n] soma unit of each neuron, -1 for none (free) */
    uint8_t *source;         /* [n] a spike source */
    float *v_rest;           /* [n] */
    uint8_t *bias;           /* [n] a nonzero bias */
    float *v_prev;           /* [n] membrane potential at the end of the last tick */
    uint8_t *fired;          /* [n] scratch: spiked this tick */
    uint64_t *nsyn;          /* [ncores] scratch: one spike's synapses on each core */
    uint32_t *spiking;       /* [ncores] scratch: neurons of each core that spiked */
    myl_core_counts *tick;   /* [ncores] this tick's counts, energy and latency (busy) */
    double *nside, *mside;   /* [ncores] this tick's neuron side and message side */
    double *mean_e, *mean_l; /* [ncores] scratch: chip arithmetic's update cost on the core */
    myl_core_counts *cc;     /* [ncores] since the start */
    myl_acct_totals tot;
    coverage *cov;
} ref;

static void *zalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void ref_init(ref *R, const myl_cnet *c, const myl_map *m, const myl_hw *hw, const int *soma,
                     const myl_sim *sim, uint64_t seed, coverage *cov)
{
    memset(R, 0, sizeof *R);
    const myl_net *net = myl_cnet_net(c);
    R->c = c, R->m = m, R->hw = hw, R->sim = sim, R->cov = cov;
    R->n = (uint32_t)myl_net_nneurons(net);
    R->ncores = m->ncores;
    ck_assert_uint_eq(m->nneurons, R->n);
    R->soma = zalloc(R->n, sizeof *R->soma);
    R->source = zalloc(R->n, sizeof *R->source);
    R->v_rest = zalloc(R->n, sizeof *R->v_rest);
    R->bias = zalloc(R->n, sizeof *R->bias);
    R->v_prev = zalloc(R->n, sizeof *R->v_prev);
    R->fired = zalloc(R->n, sizeof *R->fired);
    R->nsyn = zalloc(R->ncores, sizeof *R->nsyn);
    R->spiking = zalloc(R->ncores, sizeof *R->spiking);
    R->tick = zalloc(R->ncores, sizeof *R->tick);
    R->nside = zalloc(R->ncores, sizeof *R->nside);
    R->mside = zalloc(R->ncores, sizeof *R->mside);
    R->mean_e = zalloc(R->ncores, sizeof *R->mean_e);
    R->mean_l = zalloc(R->ncores, sizeof *R->mean_l);
    R->cc = zalloc(R->ncores, sizeof *R->cc);
    /* the model's input soma, for spike sources not given one */
    int in_soma = -1;
    for (uint32_t u = 0; u < hw->nsoma && in_soma < 0; u++)
        if (hw->soma[u].input)
            in_soma = (int)u;
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        const int src = myl_model_is_source(myl_net_pop_model(net, p));
        const uint64_t first = myl_net_pop_first(net, p);
        for (uint32_t i = 0; i < myl_net_pop_size(net, p); i++) {
            const uint64_t g = first + i;
            int u = soma && soma[p] >= 0 ? soma[p] : src ? in_soma : 0;
            R->soma[g] = u >= 0 && u < (int)hw->nsoma ? u : -1;
            R->source[g] = (uint8_t)src;
            if (src)
                continue;
            /* per-neuron parameters, drawn as the network's compiler draws them */
            R->v_rest[g] = (float)myl_values_at(myl_net_pop_param(net, p, MYL_P_V_REST), seed,
                                                p * MYL_P_COUNT + MYL_P_V_REST, i);
            R->bias[g] = myl_values_at(myl_net_pop_param(net, p, MYL_P_BIAS), seed,
                                       p * MYL_P_COUNT + MYL_P_BIAS, i) != 0;
            R->v_prev[g] = myl_sim_v(sim, (uint32_t)g);
        }
    }
    /* chips from the first to the last one used; tiles with at least one core in use */
    for (uint32_t k = 0; k < R->ncores; k++) {
        if (m->chip[k] + 1 > R->nchips)
            R->nchips = m->chip[k] + 1;
        int seen = 0;
        for (uint32_t j = 0; j < k && !seen; j++)
            seen = m->chip[j] == m->chip[k] && m->tile_x[j] == m->tile_x[k] &&
                   m->tile_y[j] == m->tile_y[k];
        R->ntiles += !seen;
    }
    if (R->ncores > cov->max_cores)
        cov->max_cores = R->ncores;
    if (R->nchips > cov->max_chips)
        cov->max_chips = R->nchips;
    /* cores where neurons of different soma units sit together */
    for (uint32_t k = 0; k < R->ncores; k++) {
        int first = -2, mixed = 0;
        for (uint32_t g = 0; g < R->n; g++)
            if (m->core_of[g] == k) {
                if (first == -2)
                    first = R->soma[g];
                else if (R->soma[g] != first)
                    mixed = 1;
            }
        cov->shared_soma_core += (uint32_t)mixed;
    }
}

static void ref_free(ref *R)
{
    free(R->soma);
    free(R->source);
    free(R->v_rest);
    free(R->bias);
    free(R->v_prev);
    free(R->fired);
    free(R->nsyn);
    free(R->spiking);
    free(R->tick);
    free(R->nside);
    free(R->mside);
    free(R->mean_e);
    free(R->mean_l);
    free(R->cc);
}

static void count_target(void *ctx, uint32_t target)
{
    ref *R = ctx;
    R->nsyn[R->m->core_of[target]]++;
}

/* The barrier: a fixed time, or the table's entry for the largest tile count not above the
 * tiles in use. */
static double ref_sync(const myl_hw *hw, uint32_t tiles)
{
    if (!hw->sync_table)
        return fig(hw->sync);
    double lat = hw->nsync ? fig(hw->sync_lat[0]) : 0;
    uint32_t best = 0;
    for (uint32_t i = 0; i < hw->nsync; i++)
        if (hw->sync_tiles[i] <= tiles && hw->sync_tiles[i] >= best)
            best = hw->sync_tiles[i], lat = fig(hw->sync_lat[i]);
    return lat;
}

/* The update cost of a neuron on chip arithmetic: the mean, over the neurons of its core
 * (spike sources aside), of their soma's update and the dendrite. */
static void core_mean_update(const ref *R, double *e, double *l)
{
    const myl_hw *hw = R->hw;
    memset(e, 0, R->ncores * sizeof *e);
    memset(l, 0, R->ncores * sizeof *l);
    uint32_t *n = zalloc(R->ncores, sizeof *n);
    for (uint32_t g = 0; g < R->n; g++) {
        if (R->source[g] || R->soma[g] < 0)
            continue;
        const uint32_t k = R->m->core_of[g];
        const myl_soma_cost *s = &hw->soma[R->soma[g]];
        e[k] += fig(s->update.energy) + fig(hw->dendrite.energy);
        l[k] += fig(s->update.latency) + fig(hw->dendrite.latency);
        n[k]++;
    }
    for (uint32_t k = 0; k < R->ncores; k++)
        if (n[k])
            e[k] /= n[k], l[k] /= n[k];
    free(n);
}

/* One tick, from the report of the step just taken and the simulator's state after it: its
 * cost in *out, each core's counts and latency (busy) of the tick in R->tick. */
static void ref_tick(ref *R, const myl_tick_report *r, myl_tick_cost *out)
{
    const myl_hw *hw = R->hw;
    const myl_map *m = R->m;
    coverage *cov = R->cov;
    memset(out, 0, sizeof *out);
    memset(R->tick, 0, R->ncores * sizeof *R->tick);
    memset(R->fired, 0, R->n * sizeof *R->fired);
    memset(R->spiking, 0, R->ncores * sizeof *R->spiking);
    for (uint32_t k = 0; k < R->ncores; k++)
        R->nside[k] = R->mside[k] = 0;
    for (uint32_t i = 0; i < r->nspiking; i++)
        R->fired[r->spike[i]] = 1;
    const int chip_arith = hw->arith != MYL_ARITH_FLOAT;
    if (chip_arith)
        core_mean_update(R, R->mean_e, R->mean_l);

    /* the neuron side: every neuron accessed, those the chip updates updated */
    for (uint32_t g = 0; g < R->n; g++) {
        const uint32_t k = m->core_of[g];
        myl_core_counts *t = &R->tick[k];
        const myl_soma_cost *s = R->soma[g] >= 0 ? &hw->soma[R->soma[g]] : NULL;
        t->access++;
        if (s) {
            t->energy += fig(s->access.energy);
            out->part[MYL_E_NEURON] += fig(s->access.energy);
            R->nside[k] += fig(s->access.latency);
        }
        int upd;
        double ue = 0, ul = 0;
        if (R->source[g]) {
            upd = R->fired[g]; /* once per tick, whatever its count */
            if (s)
                ue = fig(s->update.energy), ul = fig(s->update.latency);
        } else if (chip_arith) {
            const int32_t *busy = myl_sim_busy_addr(R->sim, g);
            upd = busy && *busy;
            ue = R->mean_e[k], ul = R->mean_l[k];
        } else {
            const float v = myl_sim_v(R->sim, g);
            upd = R->bias[g] || R->v_prev[g] != R->v_rest[g] || v != R->v_prev[g] || R->fired[g];
            R->v_prev[g] = v;
            if (s) {
                ue = fig(s->update.energy) + fig(hw->dendrite.energy);
                ul = fig(s->update.latency) + fig(hw->dendrite.latency);
            }
        }
        if (upd) {
            t->update++;
            t->energy += ue;
            out->part[MYL_E_NEURON] += ue;
            R->nside[k] += ul;
        }
    }

    /* spikes: generated at the source's core, one message per spike and destination core */
    double route_max = 0;
    for (uint32_t i = 0; i < r->nspiking; i++) {
        const uint32_t g = r->spike[i], cnt = r->count[i];
        const uint32_t ks = m->core_of[g];
        myl_core_counts *ts = &R->tick[ks];
        const myl_soma_cost *s = R->soma[g] >= 0 ? &hw->soma[R->soma[g]] : NULL;
        ts->spike += cnt;
        if (s) {
            ts->energy += cnt * fig(s->spike.energy);
            out->part[MYL_E_SPIKE] += cnt * fig(s->spike.energy);
            R->nside[ks] += cnt * fig(s->spike.latency);
        }
        R->spiking[ks]++;
        cov->multi_count += cnt > 1;
        if (cnt > cov->max_count)
            cov->max_count = cnt;
        memset(R->nsyn, 0, R->ncores * sizeof *R->nsyn);
        myl_cnet_targets(R->c, g, count_target, R);
        uint32_t ndest = 0;
        for (uint32_t d = 0; d < R->ncores; d++) {
            if (!R->nsyn[d])
                continue;
            ndest++;
            myl_core_counts *td = &R->tick[d];
            ts->msg_out += cnt;
            td->msg_in += cnt;
            td->synop += R->nsyn[d] * cnt;
            myl_route rt;
            myl_map_route(m, hw, ks, d, &rt);
            ts->hop_n += (uint64_t)rt.n * cnt;
            ts->hop_e += (uint64_t)rt.e * cnt;
            ts->hop_s += (uint64_t)rt.s * cnt;
            ts->hop_w += (uint64_t)rt.w * cnt;
            ts->chip += (uint64_t)rt.chip * cnt;
            const double lat = rt.n * fig(hw->hop_n.latency) + rt.e * fig(hw->hop_e.latency) +
                               rt.s * fig(hw->hop_s.latency) + rt.w * fig(hw->hop_w.latency) +
                               rt.chip * fig(hw->chip_hop.latency);
            if (lat > route_max)
                route_max = lat;
            cov->chip_crossings += rt.chip;
        }
        cov->multi_dest += ndest > 1;
    }

    /* per core: messages and synapses, then the longer of the two sides */
    const myl_synapse_cost *syn = hw->nsynapse ? &hw->synapse[0] : NULL;
    const double syn_e = syn ? fig(syn->spike.energy) : 0,
                 syn_l = syn ? fig(syn->spike.latency) : 0;
    double slow = 0;
    uint64_t msg_in_any = 0;
    for (uint32_t k = 0; k < R->ncores; k++)
        msg_in_any += R->tick[k].msg_in;
    for (uint32_t k = 0; k < R->ncores; k++) {
        myl_core_counts *t = &R->tick[k];
        R->nside[k] += t->msg_out * fig(hw->msg_out.latency);
        R->mside[k] = t->msg_in * fig(hw->msg_in.latency) + t->synop * syn_l;
        t->busy = R->nside[k] > R->mside[k] ? R->nside[k] : R->mside[k];
        if (t->busy > slow)
            slow = t->busy;
        out->part[MYL_E_SYNAPSE] += t->synop * syn_e;
        /* a message's network energy, its arrival included, goes to the core that sends it */
        const double net = t->msg_out * fig(hw->msg_out.energy) +
                           t->msg_in * fig(hw->msg_in.energy) + t->hop_n * fig(hw->hop_n.energy) +
                           t->hop_e * fig(hw->hop_e.energy) + t->hop_s * fig(hw->hop_s.energy) +
                           t->hop_w * fig(hw->hop_w.energy) + t->chip * fig(hw->chip_hop.energy);
        out->part[MYL_E_NETWORK] += net;
        t->energy += t->synop * syn_e + t->msg_out * fig(hw->msg_out.energy) +
                     t->msg_out * fig(hw->msg_in.energy) + t->hop_n * fig(hw->hop_n.energy) +
                     t->hop_e * fig(hw->hop_e.energy) + t->hop_s * fig(hw->hop_s.energy) +
                     t->hop_w * fig(hw->hop_w.energy) + t->chip * fig(hw->chip_hop.energy);
        cov->shared_core += R->spiking[k] > 1;
        cov->quiet_core += msg_in_any && !t->msg_in;
        if (t->synop > cov->max_synop)
            cov->max_synop = t->synop;
    }
    out->core_latency = slow;
    out->net_latency = route_max;
    out->sync_latency = ref_sync(hw, R->ntiles);
    out->latency = out->core_latency + out->net_latency + out->sync_latency;
    const double period = fig(hw->tick_period);
    const double step = out->latency > period ? out->latency : period;
    if (period > 0)
        *(out->latency > period ? &cov->work_ticks : &cov->period_ticks) += 1;
    out->part[MYL_E_STATIC] = fig(hw->static_power) * R->nchips * step;
    for (int p = 0; p < MYL_E_PARTS; p++)
        out->energy += out->part[p];

    /* the run so far */
    for (uint32_t k = 0; k < R->ncores; k++) {
        const myl_core_counts *t = &R->tick[k];
        myl_core_counts *c = &R->cc[k];
        c->access += t->access, c->update += t->update, c->spike += t->spike;
        c->synop += t->synop, c->msg_in += t->msg_in, c->msg_out += t->msg_out;
        c->hop_n += t->hop_n, c->hop_e += t->hop_e, c->hop_s += t->hop_s, c->hop_w += t->hop_w;
        c->chip += t->chip;
        c->energy += t->energy;
        c->busy += t->busy;
        R->tot.synops += t->synop, R->tot.spikes += t->spike, R->tot.messages += t->msg_out;
        R->tot.hops += t->hop_n + t->hop_e + t->hop_s + t->hop_w;
        R->tot.chip_hops += t->chip, R->tot.updates += t->update, R->tot.accesses += t->access;
    }
    R->tot.ticks++;
    R->tot.energy += out->energy;
    for (int p = 0; p < MYL_E_PARTS; p++)
        R->tot.part[p] += out->part[p];
    R->tot.sim_time += step;
}

/* ---- comparison -------------------------------------------------------------------------- */

static void same(double got, double want, const char *ctx, const char *what)
{
    if (got == want)
        return;
    if (!(fabs(got - want) <= 1e-9 * fmax(fabs(got), fabs(want))))
        ck_abort_msg("%s: %s is %.17g, the reference gives %.17g", ctx, what, got, want);
}

static void same_u(uint64_t got, uint64_t want, const char *ctx, const char *what)
{
    if (got != want)
        ck_abort_msg("%s: %s is %llu, the reference gives %llu", ctx, what, (unsigned long long)got,
                     (unsigned long long)want);
}

static void compare_tick(const ref *R, const myl_tick_cost *got, const myl_tick_cost *want,
                         const char *ctx)
{
    same(got->energy, want->energy, ctx, "energy");
    for (int p = 0; p < MYL_E_PARTS; p++)
        same(got->part[p], want->part[p], ctx, myl_energy_part_name(p));
    same(got->latency, want->latency, ctx, "latency");
    same(got->core_latency, want->core_latency, ctx, "core latency");
    same(got->net_latency, want->net_latency, ctx, "network latency");
    same(got->sync_latency, want->sync_latency, ctx, "sync latency");
    /* cores may tie: the one named must be one of the slowest */
    if (got->slowest_core >= R->ncores)
        ck_abort_msg("%s: slowest core %u of %u", ctx, got->slowest_core, R->ncores);
    same(R->tick[got->slowest_core].busy, want->core_latency, ctx, "the slowest core's latency");
}

static void compare_end(ref *R, myl_acct *a, const char *ctx)
{
    myl_acct_totals t;
    myl_acct_get_totals(a, &t);
    same_u(t.ticks, R->tot.ticks, ctx, "ticks");
    same(t.energy, R->tot.energy, ctx, "total energy");
    for (int p = 0; p < MYL_E_PARTS; p++)
        same(t.part[p], R->tot.part[p], ctx, myl_energy_part_name(p));
    same(t.sim_time, R->tot.sim_time, ctx, "simulated time");
    same(t.mean_power, R->tot.sim_time > 0 ? R->tot.energy / R->tot.sim_time : 0, ctx,
         "mean power");
    same(t.energy_per_tick, R->tot.energy / R->tot.ticks, ctx, "energy per tick");
    same_u(t.synops, R->tot.synops, ctx, "synaptic operations");
    same_u(t.spikes, R->tot.spikes, ctx, "spikes");
    same_u(t.messages, R->tot.messages, ctx, "messages");
    same_u(t.hops, R->tot.hops, ctx, "hops");
    same_u(t.chip_hops, R->tot.chip_hops, ctx, "chip crossings");
    same_u(t.updates, R->tot.updates, ctx, "updates");
    same_u(t.accesses, R->tot.accesses, ctx, "accesses");
    ck_assert_uint_eq(myl_acct_ncores(a), R->ncores);
    for (uint32_t k = 0; k < R->ncores; k++) {
        const myl_core_counts *g = myl_acct_core(a, k), *w = &R->cc[k];
        char where[512];
        snprintf(where, sizeof where, "%s, core %u", ctx, k);
        same_u(g->access, w->access, where, "access");
        same_u(g->update, w->update, where, "update");
        same_u(g->spike, w->spike, where, "spike");
        same_u(g->synop, w->synop, where, "synop");
        same_u(g->msg_in, w->msg_in, where, "msg_in");
        same_u(g->msg_out, w->msg_out, where, "msg_out");
        same_u(g->hop_n, w->hop_n, where, "hop_n");
        same_u(g->hop_e, w->hop_e, where, "hop_e");
        same_u(g->hop_s, w->hop_s, where, "hop_s");
        same_u(g->hop_w, w->hop_w, where, "hop_w");
        same_u(g->chip, w->chip, where, "chip");
        same(g->energy, w->energy, where, "energy");
        same(g->busy, w->busy, where, "busy");
    }
    ck_assert_ptr_null(myl_acct_core(a, R->ncores));
}

/* ---- runs -------------------------------------------------------------------------------- */

/* A model for the accountant, and the soma unit of each population (NULL: defaults). */
typedef struct pricing {
    const char *name;
    const myl_hw *hw;
    const int *soma;
} pricing;

/* Injects spikes before tick t (the run with large counts). */
typedef void (*inject_fn)(myl_sim *s, uint64_t t);

#define MAX_PRICINGS 2

/* Two costs equal to the last bit (field by field: the struct has padding). */
static int same_cost(const myl_tick_cost *x, const myl_tick_cost *y)
{
    return memcmp(&x->energy, &y->energy, sizeof x->energy) == 0 &&
           memcmp(x->part, y->part, sizeof x->part) == 0 &&
           memcmp(&x->latency, &y->latency, sizeof x->latency) == 0 &&
           memcmp(&x->core_latency, &y->core_latency, sizeof x->core_latency) == 0 &&
           memcmp(&x->net_latency, &y->net_latency, sizeof x->net_latency) == 0 &&
           memcmp(&x->sync_latency, &y->sync_latency, sizeof x->sync_latency) == 0 &&
           x->slowest_core == y->slowest_core;
}

/* Map nf onto hw (by mo), quantise it for a chip with its own arithmetic, compile it on the
 * engine's own layout and run it for `ticks`, as `myelin run --hw` does, with one accountant
 * and one reference per pricing (each of whose models must have hw's organisation), comparing
 * them every tick and at the end. */
static void run(myl_netfile *nf, const myl_hw *hw, const myl_map_opts *mo, const pricing *pr,
                int npr, uint64_t ticks, inject_fn inject, const char *ctx, coverage *cov)
{
    myl_diag d = {0};
    myl_map *m = NULL;
    if (myl_map_build(nf->net, hw, mo, &m, &d))
        ck_abort_msg("%s: map: %s", ctx, d.msg);
    myl_chipq *q = NULL;
    if (hw->arith != MYL_ARITH_FLOAT && myl_chipq_build(nf->net, hw, SEED, &q, &d))
        ck_abort_msg("%s: quantise: %s", ctx, d.msg);
    myl_compile_opts co = {.seed = SEED, .chip = q ? myl_chipq_program(q) : NULL};
    myl_cnet *c = NULL;
    if (myl_net_compile(nf->net, NULL, &co, &c, &d))
        ck_abort_msg("%s: compile: %s", ctx, d.msg);
    myl_sim *s = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    myl_acct *a[MAX_PRICINGS], *b[MAX_PRICINGS]; /* b: the same, priced on its thread */
    myl_tick_cost *cost_log[MAX_PRICINGS];       /* a's costs, to compare b's with */
    uint64_t npopped[MAX_PRICINGS] = {0};
    int rc;
    ref R[MAX_PRICINGS];
    ck_assert_int_le(npr, MAX_PRICINGS);
    for (int j = 0; j < npr; j++) {
        ck_assert_int_eq(pr[j].hw->arith, hw->arith);
        ck_assert_int_eq(myl_acct_new(c, m, pr[j].hw, pr[j].soma, &a[j]), 0);
        ck_assert_int_eq(myl_acct_attach(a[j], s, SEED), 0);
        ck_assert_int_eq(myl_acct_new(c, m, pr[j].hw, pr[j].soma, &b[j]), 0);
        ck_assert_int_eq(myl_acct_attach(b[j], s, SEED), 0);
        cost_log[j] = calloc(ticks ? ticks : 1, sizeof *cost_log[j]);
        ck_assert_ptr_nonnull(cost_log[j]);
        ref_init(&R[j], c, m, pr[j].hw, pr[j].soma, s, SEED, cov);
    }
    for (uint64_t t = 0; t < ticks; t++) {
        if (inject)
            inject(s, t);
        myl_tick_report r;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        for (int j = 0; j < npr; j++) {
            myl_tick_cost got, want;
            myl_acct_tick(a[j], &r, &got);
            ref_tick(&R[j], &r, &want);
            char where[400];
            snprintf(where, sizeof where, "%s, %s figures, tick %llu", ctx, pr[j].name,
                     (unsigned long long)t);
            compare_tick(&R[j], &got, &want, where);
            /* pushed, the tick is priced while the simulator steps on: the previous tick's
             * cost comes back, equal to the last bit */
            ck_assert_int_eq(myl_acct_push(b[j], &r), 0);
            cost_log[j][t] = got;
            myl_tick_cost late;
            while ((rc = myl_acct_pop(b[j], &late, myl_acct_full(b[j]))) == 0) {
                if (!same_cost(&late, &cost_log[j][npopped[j]]))
                    ck_abort_msg("%s: priced on a thread, tick %llu differs", where,
                                 (unsigned long long)npopped[j]);
                npopped[j]++;
            }
            ck_assert(rc == 1 || rc == MYL_ESTATE);
            ck_assert(!myl_acct_full(b[j]));
        }
    }
    for (int j = 0; j < npr; j++) {
        myl_tick_cost late;
        while (myl_acct_pop(b[j], &late, 1) == 0) {
            ck_assert(same_cost(&late, &cost_log[j][npopped[j]]));
            npopped[j]++;
        }
        ck_assert_uint_eq(npopped[j], ticks);
        ck_assert_int_eq(myl_acct_pop(b[j], &late, 1), MYL_ESTATE); /* nothing left */
        myl_acct_totals ta, tb;
        myl_acct_get_totals(a[j], &ta);
        myl_acct_get_totals(b[j], &tb);
        ck_assert_mem_eq(&ta, &tb, sizeof ta);
        for (uint32_t k = 0; k < myl_acct_ncores(a[j]); k++)
            ck_assert_mem_eq(myl_acct_core(a[j], k), myl_acct_core(b[j], k),
                             sizeof(myl_core_counts));
        myl_acct_free(b[j]);
        free(cost_log[j]);
    }
    for (int j = 0; j < npr; j++) {
        char where[400];
        snprintf(where, sizeof where, "%s, %s figures, %llu ticks", ctx, pr[j].name,
                 (unsigned long long)ticks);
        compare_end(&R[j], a[j], where);
        ck_assert_uint_gt(R[j].tot.spikes, 0);
        myl_acct_free(a[j]);
        ref_free(&R[j]);
    }
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_chipq_free(q);
    myl_map_free(m);
}

static void made_up_op(myl_op *o, double e, double l)
{
    o->energy.v = e;
    o->latency.v = l;
}

/* hw with made-up figures: every operation a distinct nonzero cost, each soma unit its own,
 * an input soma added if it has none, and a soma unit `alt` added; a barrier table by tiles
 * and a real-time tick that some ticks outlast. Names point at hw's or at literals. */
static myl_hw made_up(const myl_hw *hw)
{
    myl_hw p = *hw;
    made_up_op(&p.msg_in, 7e-12, 2e-9);
    for (uint32_t i = 0; i < p.nsynapse; i++)
        made_up_op(&p.synapse[i].spike, (3 + i) * 1e-12, (0.5 + i) * 1e-9);
    made_up_op(&p.dendrite, 1.5e-12, 0.25e-9);
    int has_input = 0;
    for (uint32_t i = 0; i < p.nsoma; i++)
        has_input |= p.soma[i].input;
    if (!has_input && p.nsoma < MYL_HW_MAX_VARIANTS) {
        memset(&p.soma[p.nsoma], 0, sizeof p.soma[0]);
        p.soma[p.nsoma].name = (char *)"made-up input";
        p.soma[p.nsoma++].input = 1;
    }
    if (p.nsoma < MYL_HW_MAX_VARIANTS) {
        memset(&p.soma[p.nsoma], 0, sizeof p.soma[0]);
        p.soma[p.nsoma++].name = (char *)"alt";
    }
    for (uint32_t i = 0; i < p.nsoma; i++) {
        myl_soma_cost *s = &p.soma[i];
        if (s->input) {
            made_up_op(&s->access, 0.5e-12, 0.2e-9);
            made_up_op(&s->update, 4e-12, 2e-9);
            made_up_op(&s->spike, 1e-12, 1e-9);
        } else {
            made_up_op(&s->access, (2 + i) * 1e-12, (1 + 0.5 * i) * 1e-9);
            made_up_op(&s->update, (5 + 2 * i) * 1e-12, (3 + i) * 1e-9);
            made_up_op(&s->spike, (11 + i) * 1e-12, (7 + i) * 1e-9);
        }
    }
    made_up_op(&p.msg_out, 13e-12, 5e-9);
    made_up_op(&p.hop_n, 17e-12, 4e-9);
    made_up_op(&p.hop_e, 19e-12, 6e-9);
    made_up_op(&p.hop_s, 23e-12, 8e-9);
    made_up_op(&p.hop_w, 29e-12, 10e-9);
    made_up_op(&p.chip_hop, 31e-12, 50e-9);
    static const uint32_t tiles[] = {1, 2, 4, 9, 30};
    static const double lat[] = {100e-9, 150e-9, 300e-9, 500e-9, 900e-9};
    p.sync_table = 1;
    p.nsync = 5;
    for (uint32_t i = 0; i < p.nsync; i++) {
        p.sync_tiles[i] = tiles[i];
        p.sync_lat[i].v = lat[i];
    }
    p.static_power.v = 0.02;
    p.tick_period.v = 2e-6;
    return p;
}

/* The recurrent network; `small` fits ODIN's one core of 256 neurons and its single delay. Each
 * part of the update rule decides for some neurons: `i` is held at a v_reset away from rest
 * while refractory, `b` (bias-driven) at rest, `h` (no leak, no bias) keeps its potential
 * between inputs, `c`'s current moves v a tick after its input. */
static myl_netfile *recurrent(int small)
{
    char yaml[4096];
    const char *dly = small ? "1" : "{dist: uniform, low: 1, high: 8}";
    snprintf(yaml, sizeof yaml,
             "run: {dt: 1 ms, seed: %d}\n"
             "populations:\n"
             "  - {name: x, size: %d, model: poisson, rate: 1500 Hz}\n"
             "  - {name: e, size: %d, model: lif, tau_m: 20 ms, v_th: 1, v_reset: 0,"
             " refractory: 2 ms, v_init: {dist: uniform, low: 0, high: 0.9}}\n"
             "  - {name: i, size: %d, model: lif, tau_m: 10 ms, v_th: 1, v_reset: -0.25,"
             " refractory: 2 ms}\n"
             "  - {name: b, size: %d, model: if, v_th: 1, bias: 90, refractory: 3 ms}\n"
             "  - {name: y, size: %d, model: poisson, rate: 700 Hz}\n"
             "  - {name: c, size: %d, model: cuba_lif, tau_m: 20 ms, tau_syn: 5 ms, v_th: 1}\n"
             "  - {name: h, size: %d, model: if, v_th: 1}\n"
             "projections:\n"
             "  - {from: x, to: e, rule: fixed_indegree, indegree: 4, weight: 0.25, delay: 1}\n"
             "  - {from: x, to: i, rule: fixed_indegree, indegree: 4, weight: 0.3, delay: %s}\n"
             "  - {from: x, to: h, rule: fixed_indegree, indegree: 1, weight: 0.3, delay: 1}\n"
             "  - {from: y, to: c, rule: one_to_one, weight: 0.5, delay: %s}\n"
             "  - {from: e, to: e, rule: fixed_indegree, indegree: 12, weight: 0.1, delay: %s}\n"
             "  - {from: e, to: i, rule: fixed_indegree, indegree: 10, weight: 0.1, delay: 1}\n"
             "  - {from: i, to: e, rule: fixed_indegree, indegree: 8, weight: 0.4,"
             " sign: inhibitory, delay: %s}\n"
             "  - {from: b, to: e, rule: fixed_indegree, indegree: 1, weight: 0.2, delay: %s}\n"
             "  - {from: c, to: i, rule: fixed_indegree, indegree: 2, weight: 0.2, delay: %s}\n"
             "  - {from: h, to: i, rule: fixed_indegree, indegree: 1, weight: 0.2, delay: %s}\n",
             SEED, small ? 20 : 40, small ? 140 : 250, small ? 40 : 60, small ? 6 : 10,
             small ? 15 : 20, small ? 15 : 20, small ? 10 : 20, small ? "1" : "2",
             small ? "1" : "3", dly, small ? "1" : "2", small ? "1" : "4", small ? "1" : "5",
             small ? "1" : "6");
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    if (myl_netfile_parse(yaml, strlen(yaml), "recurrent.yaml", ".", &nf, &d))
        ck_abort_msg("%s", d.msg);
    return nf;
}

static uint32_t pop_of(const myl_netfile *nf, const char *name)
{
    uint32_t p;
    if (myl_net_find_pop(nf->net, name, &p))
        ck_abort_msg("no population '%s'", name);
    return p;
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Every shipped chip, every strategy, the chip's figures and made-up ones. cap: the per-core
 * neuron capacity the mapping is given (0: the chip's own), so that the network spreads. */
START_TEST(recurrent_on_every_chip)
{
    static const struct {
        const char *name;
        uint32_t cap;
    } chips[] = {
        {"ideal", 0},        /* one core */
        {"loihi", 29},       /* 15 cores on 4 tiles; balance puts 28 on each */
        {"loihi-sanafe", 3}, /* 140 cores: two chips of 128 */
        {"truenorth", 8},    /* 53 cores, a tile each */
        {"spinnaker1", 16},  /* 27 cores: two chips of 18 */
        {"spinnaker2", 31},  /* 14 cores; balance puts 30 on each */
        {"odin", 0},         /* one core of 256 neurons */
    };
    static const myl_map_strategy st[] = {MYL_MAP_FILL, MYL_MAP_BALANCE, MYL_MAP_LOCALITY};
    coverage cov = {0};
    for (size_t k = 0; k < sizeof chips / sizeof chips[0]; k++) {
        myl_hw *shipped = NULL;
        myl_diag d = {0};
        if (myl_hw_load(chips[k].name, &shipped, &d))
            ck_abort_msg("%s: %s", chips[k].name, d.msg);
        myl_hw hw = *shipped;
        if (chips[k].cap)
            hw.max_neurons = chips[k].cap;
        const myl_hw mu = made_up(&hw);
        myl_netfile *nf = recurrent(strcmp(chips[k].name, "odin") == 0);
        /* sources on the input soma, i and b on `alt`, the others on the first unit */
        int soma[8];
        for (uint32_t p = 0; p < myl_net_npops(nf->net) && p < 8; p++)
            soma[p] = -1;
        soma[pop_of(nf, "i")] = soma[pop_of(nf, "b")] = myl_hw_soma_index(&mu, "alt");
        ck_assert_int_ge(soma[pop_of(nf, "i")], 1);
        const pricing pr[2] = {{"the chip's", &hw, NULL}, {"made-up", &mu, soma}};
        for (size_t j = 0; j < sizeof st / sizeof st[0]; j++) {
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s by %s", chips[k].name, myl_map_strategy_name(st[j]));
            myl_map_opts mo = {.strategy = st[j], .seed = SEED};
            run(nf, &hw, &mo, pr, 2, 150, NULL, ctx, &cov);
        }
        myl_netfile_free(nf);
        myl_hw_free(shipped);
    }
    /* the runs reached what they are meant to */
    ck_assert_uint_gt(cov.multi_count, 0);
    ck_assert_uint_gt(cov.multi_dest, 0);
    ck_assert_uint_gt(cov.shared_core, 0);
    ck_assert_uint_gt(cov.quiet_core, 0);
    ck_assert_uint_gt(cov.chip_crossings, 0);
    ck_assert_uint_gt(cov.period_ticks, 0);
    ck_assert_uint_gt(cov.work_ticks, 0);
    ck_assert_uint_ge(cov.max_cores, 100);
    ck_assert_uint_ge(cov.max_chips, 2);
    ck_assert_uint_gt(cov.shared_soma_core, 0);
}
END_TEST

/* SANA-FE's sample networks on its example chip, with the files' mappings and soma units:
 * example_snn puts an input neuron (soma unit demo_input) on a core with two LIF neurons (the
 * default unit); conv's hidden neurons are driven by a bias. */
START_TEST(sanafe_examples)
{
    if (!myl_test_have_shared())
        return;
    static const char *const nets[] = {"example_snn.yaml", "conv.yaml"};
    myl_hw *hw = NULL;
    myl_diag d = {0};
    if (myl_hw_load(myl_test_src("../shared/data/sanafe/example_chip.yaml"), &hw, &d))
        ck_abort_msg("%s", d.msg);
    const myl_hw mu = made_up(hw);
    coverage cov = {0};
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "../shared/data/sanafe/%s", nets[i]);
        myl_netfile *nf = NULL;
        if (myl_netfile_load(myl_test_src(path), &nf, &d))
            ck_abort_msg("%s", d.msg);
        uint32_t *cores = NULL;
        if (myl_sanafe_core_of(nf, hw, &cores, &d))
            ck_abort_msg("%s: %s", nets[i], d.msg);
        int soma[8];
        const uint32_t np = myl_net_npops(nf->net);
        ck_assert_uint_le(np, 8);
        for (uint32_t p = 0; p < np; p++)
            soma[p] = nf->soma && nf->soma[p] ? myl_hw_soma_index(hw, nf->soma[p]) : -1;
        const pricing pr[2] = {{"the chip's", hw, soma}, {"made-up", &mu, soma}};
        myl_map_opts mo = {.strategy = MYL_MAP_EXPLICIT, .seed = SEED, .core_of = cores};
        char ctx[300];
        snprintf(ctx, sizeof ctx, "%s on example_chip", nets[i]);
        run(nf, hw, &mo, pr, 2, 100, NULL, ctx, &cov);
        free(cores);
        myl_netfile_free(nf);
    }
    ck_assert_uint_gt(cov.shared_soma_core, 0);
    myl_hw_free(hw);
}
END_TEST

/* 65,000 and 40,000 spikes of two input neurons in tick 1 (and 3,000 in tick 3), each spike
 * reaching all 70,000 neurons of the one core: synaptic operations per core and tick past
 * 2^32. */
static void inject_many(myl_sim *s, uint64_t t)
{
    if (t == 1) {
        ck_assert_int_eq(myl_sim_inject(s, 0, 65000), 0);
        ck_assert_int_eq(myl_sim_inject(s, 1, 40000), 0);
    } else if (t == 3) {
        ck_assert_int_eq(myl_sim_inject(s, 1, 3000), 0);
    }
}

START_TEST(large_counts)
{
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n"
                       "  - {name: in, size: 2, model: events}\n"
                       "  - {name: out, size: 70000, model: lif, tau_m: 10 ms, v_th: 1}\n"
                       "projections:\n"
                       "  - {from: in, to: out, rule: all_to_all, weight: 1.0e-6, delay: 1}\n";
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    if (myl_netfile_parse(yaml, strlen(yaml), "large.yaml", ".", &nf, &d))
        ck_abort_msg("%s", d.msg);
    myl_hw *hw = NULL;
    if (myl_hw_load("ideal", &hw, &d))
        ck_abort_msg("%s", d.msg);
    const myl_hw mu = made_up(hw);
    const pricing pr[2] = {{"the chip's", hw, NULL}, {"made-up", &mu, NULL}};
    myl_map_opts mo = {.strategy = MYL_MAP_FILL, .seed = SEED};
    coverage cov = {0};
    run(nf, hw, &mo, pr, 2, 6, inject_many, "large counts on ideal", &cov);
    ck_assert_uint_eq(cov.max_count, 65000);
    ck_assert_uint_eq(cov.max_synop, 105000ull * 70000);
    ck_assert_uint_gt(cov.max_synop, UINT32_MAX);
    myl_hw_free(hw);
    myl_netfile_free(nf);
}
END_TEST

/* Threads of this process (Linux). */
static int threads_now(void)
{
    DIR *dir = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

/* The queue's contract: pop with nothing queued, push on a full queue, attach after a push, a
 * caller that only polls (pop without waiting) gets every cost, and the accountant prices on a
 * thread of its own exactly when the process may use two CPUs or more (`acct-one-cpu` runs this
 * pinned to one). */
START_TEST(queue)
{
    myl_netfile *nf = recurrent(1);
    myl_hw *hw = NULL;
    myl_diag d = {0};
    if (myl_hw_load("loihi", &hw, &d))
        ck_abort_msg("%s", d.msg);
    myl_map_opts mo = {.strategy = MYL_MAP_FILL, .seed = SEED};
    myl_map *m = NULL;
    myl_chipq *q = NULL;
    myl_cnet *c = NULL;
    if (myl_map_build(nf->net, hw, &mo, &m, &d) || myl_chipq_build(nf->net, hw, SEED, &q, &d))
        ck_abort_msg("%s", d.msg);
    myl_compile_opts co = {.seed = SEED, .chip = myl_chipq_program(q)};
    if (myl_net_compile(nf->net, NULL, &co, &c, &d))
        ck_abort_msg("%s", d.msg);
    myl_sim *s = NULL, *s2 = NULL;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s2), 0);
    myl_acct *a = NULL, *b = NULL;
    ck_assert_int_eq(myl_acct_new(c, m, hw, NULL, &a), 0);
    ck_assert_int_eq(myl_acct_new(c, m, hw, NULL, &b), 0);
    ck_assert_int_eq(myl_acct_attach(a, s, SEED), 0);
    ck_assert_int_eq(myl_acct_attach(a, s, SEED), MYL_EINVAL); /* once */
    ck_assert_int_eq(myl_acct_attach(b, s2, SEED), 0);
    myl_tick_cost cost, want[200];
    ck_assert_int_eq(myl_acct_pop(a, &cost, 1), MYL_ESTATE);
    ck_assert(!myl_acct_full(a));

    const int before = threads_now();
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    const int cpus = CPU_COUNT(&set);
    /* push until the queue is full, never popping; b prices the same ticks in line */
    uint32_t pushed = 0;
    for (;;) {
        myl_tick_report r, r2;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        ck_assert_int_eq(myl_sim_step(s2, &r2), 0);
        myl_acct_tick(b, &r2, &want[pushed]);
        ck_assert_int_eq(myl_acct_push(a, &r), 0);
        pushed++;
        /* the thread, made at the first push (a sanitizer's runtime may start one of its own
         * with it) */
        if (pushed == 1 && cpus >= 2)
            ck_assert_int_gt(threads_now(), before);
        else if (pushed == 1)
            ck_assert_int_eq(threads_now(), before);
        if (myl_acct_full(a))
            break;
        ck_assert_uint_lt(pushed, 200);
    }
    ck_assert_int_eq(myl_acct_attach(a, s, SEED), MYL_EINVAL);
    myl_tick_report r;
    ck_assert_int_eq(myl_sim_step(s, &r), 0);
    ck_assert_int_eq(myl_acct_push(a, &r), MYL_ESTATE); /* full */
    /* a caller that only polls: every cost comes, in order, within a few seconds */
    uint32_t popped = 0;
    for (int tries = 0; popped < pushed && tries < 200000; tries++) {
        int rc = myl_acct_pop(a, &cost, 0);
        if (rc == 1) {
            usleep(10);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        ck_assert(same_cost(&cost, &want[popped]));
        popped++;
    }
    ck_assert_uint_eq(popped, pushed);
    ck_assert_int_eq(myl_acct_pop(a, &cost, 0), MYL_ESTATE);
    myl_acct_free(a);
    myl_acct_free(b);
    /* attach refuses an accountant that has priced ticks without it */
    ck_assert_int_eq(myl_acct_new(c, m, hw, NULL, &a), 0);
    ck_assert_int_eq(myl_sim_step(s, &r), 0);
    myl_acct_tick(a, &r, &cost);
    ck_assert_int_eq(myl_acct_attach(a, s, SEED), MYL_ESTATE);
    myl_acct_free(a);
    myl_sim_free(s);
    myl_sim_free(s2);
    myl_cnet_free(c);
    myl_chipq_free(q);
    myl_map_free(m);
    myl_hw_free(hw);
    myl_netfile_free(nf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("acct");
    TCase *tc = tcase_create("reference");
    tcase_add_test(tc, recurrent_on_every_chip);
    tcase_add_test(tc, sanafe_examples);
    tcase_add_test(tc, large_counts);
    tcase_add_test(tc, queue);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
