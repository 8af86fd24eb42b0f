/* Mapping, routing and the energy accountant, on small hand-built hardware models whose every
 * expected figure can be worked out by hand. */
#include "testlib.h"

#include "myelin/energy.h"
#include "myelin/map.h"
#include "myelin/sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* 2 cores a tile, 2 x 2 tiles a chip, as many chips as needed; 10 neurons and 1000 bits of
 * synapse memory (100 synapses of 10 bits) a core; fan-in at most 50; 30 input axons. */
static myl_hw toy(void)
{
    myl_hw h;
    memset(&h, 0, sizeof h);
    h.name = (char *)"toy";
    h.cores_per_tile = 2;
    h.mesh_w = 2;
    h.mesh_h = 2;
    h.max_neurons = 10;
    h.syn_mem_bits = 1000;
    h.syn_bits = 10;
    h.max_fanin = 50;
    h.max_axons_in = 30;
    return h;
}

static myl_net *net_of(uint32_t n, uint32_t indegree, int self)
{
    myl_net *net;
    ck_assert_int_eq(myl_net_new(1e-3, &net), 0);
    ck_assert_int_eq(myl_net_add_pop(net, "p", n, MYL_MODEL_LIF, NULL, NULL), 0);
    if (indegree) {
        myl_proj_desc d = {0};
        d.pre = d.post = 0;
        d.rule = MYL_CONN_FIXED_INDEGREE;
        d.n = indegree;
        d.weight = myl_const(1);
        d.delay = myl_const(1);
        d.delay_unit = 1;
        d.allow_self = self;
        d.allow_multiple = 0;
        ck_assert_int_eq(myl_net_add_proj(net, &d, NULL, NULL), 0);
    }
    return net;
}

START_TEST(fill_and_balance)
{
    myl_hw hw = toy();
    myl_net *net = net_of(35, 0, 1);
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m;
    myl_diag d = {0};
    ck_assert_msg(myl_map_build(net, &hw, &o, &m, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(m->ncores, 4);
    uint32_t want[4] = {10, 10, 10, 5};
    for (int c = 0; c < 4; c++)
        ck_assert_uint_eq(m->use[c].neurons, want[c]);
    for (uint32_t g = 0; g < 35; g++)
        ck_assert_uint_eq(m->core_of[g], g / 10);
    /* placement: two cores a tile, tiles along a serpentine path */
    ck_assert(m->tile_x[0] == 0 && m->tile_y[0] == 0 && m->slot[0] == 0);
    ck_assert(m->tile_x[1] == 0 && m->tile_y[1] == 0 && m->slot[1] == 1);
    ck_assert(m->tile_x[2] == 1 && m->tile_y[2] == 0 && m->slot[2] == 0);
    ck_assert_uint_eq(m->ntiles, 2);
    ck_assert_uint_eq(m->nchips, 1);
    myl_map_free(m);
    o.strategy = MYL_MAP_BALANCE;
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, &d), 0);
    ck_assert_uint_eq(m->ncores, 4);
    for (int c = 0; c < 4; c++)
        ck_assert(m->use[c].neurons == 9 || m->use[c].neurons == 8);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

START_TEST(synapse_memory_binds)
{
    /* fan-in 20 takes 200 bits: five neurons fill 1000 bits */
    myl_hw hw = toy();
    hw.max_axons_in = 0;
    myl_net *net = net_of(40, 20, 0);
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m;
    myl_diag d = {0};
    ck_assert_msg(myl_map_build(net, &hw, &o, &m, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(m->ncores, 8);
    for (uint32_t c = 0; c < m->ncores; c++) {
        ck_assert_uint_eq(m->use[c].neurons, 5);
        ck_assert_uint_eq(m->use[c].syn_bits, 1000);
    }
    /* 8 cores at 2 a tile and 4 tiles a chip: one chip, all four tiles */
    ck_assert_uint_eq(m->nchips, 1);
    ck_assert_uint_eq(m->ntiles, 4);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

START_TEST(input_axons_bind)
{
    /* each neuron has 10 distinct sources out of 100; 30 input axons a core: a core closes
     * when the next neuron would bring the distinct sources over 30 */
    myl_hw hw = toy();
    hw.syn_mem_bits = 0;
    hw.max_neurons = 0;
    myl_net *net;
    ck_assert_int_eq(myl_net_new(1e-3, &net), 0);
    ck_assert_int_eq(myl_net_add_pop(net, "src", 100, MYL_MODEL_POISSON, NULL, NULL), 0);
    ck_assert_int_eq(myl_net_add_pop(net, "dst", 40, MYL_MODEL_LIF, NULL, NULL), 0);
    myl_proj_desc p = {0};
    p.pre = 0;
    p.post = 1;
    p.rule = MYL_CONN_FIXED_INDEGREE;
    p.n = 10;
    p.weight = myl_const(1);
    p.delay = myl_const(1);
    p.delay_unit = 1;
    ck_assert_int_eq(myl_net_add_proj(net, &p, NULL, NULL), 0);
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 3};
    myl_map *m;
    myl_diag d = {0};
    ck_assert_msg(myl_map_build(net, &hw, &o, &m, &d) == 0, "%s", d.msg);
    for (uint32_t c = 0; c < m->ncores; c++)
        ck_assert_uint_le(m->use[c].axons_in, 30);
    /* spike sources have no inputs: all 100 fit the first core, which then takes targets
     * while their distinct sources stay within 30 */
    ck_assert_uint_ge(m->use[0].neurons, 100);
    ck_assert_uint_gt(m->ncores, 2);
    uint64_t outs = 0, ins = 0;
    for (uint32_t c = 0; c < m->ncores; c++)
        outs += m->use[c].axons_out, ins += m->use[c].axons_in;
    /* every (source, destination core) route counted once at each end */
    ck_assert_uint_eq(outs, ins);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

START_TEST(binding_constraint_named)
{
    myl_hw hw = toy();
    myl_net *net = net_of(80, 60, 0); /* fan-in 60 > 50 */
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m = NULL;
    myl_diag d = {0};
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, &d), MYL_ENOFIT);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(d.msg, "population 'p'"));
    ck_assert_ptr_nonnull(strstr(d.msg, "fan-in 60"));
    ck_assert_ptr_nonnull(strstr(d.msg, "50"));
    myl_net_free(net);
    /* fan-in 45 is within the fan-in limit, but its 450 bits exceed 400 bits of memory */
    hw.syn_mem_bits = 400;
    net = net_of(50, 45, 0);
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, &d), MYL_ENOFIT);
    ck_assert_ptr_nonnull(strstr(d.msg, "synapse memory"));
    myl_net_free(net);
    /* too many chips */
    hw = toy();
    hw.chips_w = hw.chips_h = 1;
    net = net_of(100, 0, 1); /* 10 cores, one chip has 8 */
    myl_diag_clear(&d);
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, &d), MYL_ENOFIT);
    ck_assert_ptr_nonnull(strstr(d.msg, "10 cores"));
    myl_net_free(net);
}
END_TEST

START_TEST(routes)
{
    /* two chips side by side (2 x 2 tiles each): from chip 0 tile (0,0) to chip 1 tile (1,1)
     * the x leg is east, link, east; the y leg one hop north */
    myl_hw hw = toy();
    myl_net *net = net_of(160, 0, 1); /* 16 cores: two chips */
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m;
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, NULL), 0);
    ck_assert_uint_eq(m->nchips, 2);
    ck_assert_uint_eq(m->chips_w, 2);
    uint32_t a = UINT32_MAX, b = UINT32_MAX;
    for (uint32_t c = 0; c < m->ncores; c++) {
        if (m->chip[c] == 0 && m->tile_x[c] == 0 && m->tile_y[c] == 0)
            a = c;
        if (m->chip[c] == 1 && m->tile_x[c] == 1 && m->tile_y[c] == 1)
            b = c;
    }
    ck_assert(a != UINT32_MAX && b != UINT32_MAX);
    myl_route r;
    myl_map_route(m, &hw, a, b, &r);
    ck_assert_uint_eq(r.e, 2);
    ck_assert_uint_eq(r.chip, 1);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_uint_eq(r.w + r.s, 0);
    myl_map_route(m, &hw, b, a, &r);
    ck_assert(r.w == 2 && r.chip == 1 && r.s == 1 && r.e + r.n == 0);
    myl_map_route(m, &hw, a, a, &r);
    ck_assert(r.e + r.w + r.n + r.s + r.chip == 0);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

/* The route by walking it, step by step, as the XY routing rule says: x first, then y; a step
 * that leaves a chip is a chip link, any other a router hop in its direction. */
static myl_route walk_route(const myl_map *m, const myl_hw *hw, uint32_t a, uint32_t b)
{
    myl_route r = {0};
    const int64_t W = hw->mesh_w, H = hw->mesh_h, cw = m->chips_w;
    int64_t x = (m->chip[a] % cw) * W + m->tile_x[a], y = (m->chip[a] / cw) * H + m->tile_y[a];
    const int64_t bx = (m->chip[b] % cw) * W + m->tile_x[b];
    const int64_t by = (m->chip[b] / cw) * H + m->tile_y[b];
    for (; x != bx; x += bx > x ? 1 : -1) {
        const int64_t nx = x + (bx > x ? 1 : -1);
        if (x / W != nx / W)
            r.chip++;
        else if (nx > x)
            r.e++;
        else
            r.w++;
    }
    for (; y != by; y += by > y ? 1 : -1) {
        const int64_t ny = y + (by > y ? 1 : -1);
        if (y / H != ny / H)
            r.chip++;
        else if (ny > y)
            r.n++;
        else
            r.s++;
    }
    return r;
}

START_TEST(routes_every_pair)
{
    myl_hw hw = toy();
    myl_net *net = net_of(900, 0, 1); /* 90 cores: several chips in both directions */
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m;
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, NULL), 0);
    ck_assert_uint_ge(m->nchips, 4);
    ck_assert_uint_ge(m->chips_w, 2);
    ck_assert_uint_ge(m->chips_h, 2);
    uint64_t chips = 0;
    for (uint32_t a = 0; a < m->ncores; a++)
        for (uint32_t b = 0; b < m->ncores; b++) {
            myl_route r, w = walk_route(m, &hw, a, b);
            myl_map_route(m, &hw, a, b, &r);
            ck_assert_msg(r.e == w.e && r.w == w.w && r.n == w.n && r.s == w.s &&
                              r.chip == w.chip,
                          "core %u -> %u", a, b);
            chips += r.chip;
        }
    ck_assert_uint_gt(chips, 0);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

START_TEST(locality_cuts_hops)
{
    /* 20 chains of 40 neurons, each neuron feeding the next of its chain; the chains are
     * interleaved in the neuron numbering (neuron k is chain k % 20), so filling in order
     * spreads every chain over all cores, while a walk of the graph keeps chains together */
    myl_hw hw = toy();
    hw.max_axons_in = 0;
    hw.syn_mem_bits = 0;
    myl_net *net;
    ck_assert_int_eq(myl_net_new(1e-3, &net), 0);
    ck_assert_int_eq(myl_net_add_pop(net, "p", 800, MYL_MODEL_LIF, NULL, NULL), 0);
    uint32_t pre[780], post[780];
    for (uint32_t k = 0; k < 780; k++)
        pre[k] = k, post[k] = k + 20;
    myl_proj_desc p = {0};
    p.rule = MYL_CONN_EXPLICIT;
    p.nexplicit = 780;
    p.pre_idx = pre;
    p.post_idx = post;
    p.weight = myl_const(1);
    p.delay = myl_const(1);
    p.delay_unit = 1;
    p.allow_self = 1;
    ck_assert_int_eq(myl_net_add_proj(net, &p, NULL, NULL), 0);
    uint64_t hops[2];
    for (int s = 0; s < 2; s++) {
        myl_map_opts o = {.strategy = s ? MYL_MAP_LOCALITY : MYL_MAP_FILL, .seed = 1};
        myl_map *m;
        ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, NULL), 0);
        hops[s] = 0;
        for (uint32_t k = 0; k < 780; k++) {
            myl_route r;
            myl_map_route(m, &hw, m->core_of[pre[k]], m->core_of[post[k]], &r);
            hops[s] += r.e + r.w + r.n + r.s + 4 * r.chip;
        }
        myl_map_free(m);
    }
    ck_assert_msg(hops[1] * 2 < hops[0], "locality %llu hops vs fill %llu",
                  (unsigned long long)hops[1], (unsigned long long)hops[0]);
    myl_net_free(net);
}
END_TEST

/* ---- energy ------------------------------------------------------------------------------- */

static void set_op(myl_op *o, double e, double l)
{
    o->energy.v = e;
    o->latency.v = l;
}

START_TEST(energy_by_hand)
{
    /* three source neurons fill core 0; neuron 0 spikes at ticks 2 and 5 into the 3 neurons
     * of core 1 (same tile): per spike one message out and in, 3 synaptic operations; core 1
     * accesses its neurons every tick and updates them at the ticks their input arrives */
    myl_hw hw = toy();
    hw.max_neurons = 3;
    hw.syn_mem_bits = 0;
    hw.max_axons_in = 0;
    hw.nsoma = 1;
    hw.soma[0].name = (char *)"lif";
    set_op(&hw.soma[0].access, 2e-12, 1e-9);
    set_op(&hw.soma[0].update, 5e-12, 2e-9);
    set_op(&hw.soma[0].spike, 7e-12, 3e-9);
    hw.nsynapse = 1;
    set_op(&hw.synapse[0].spike, 11e-12, 4e-9);
    set_op(&hw.msg_out, 13e-12, 5e-9);
    set_op(&hw.msg_in, 17e-12, 6e-9);
    hw.sync.v = 100e-9;
    myl_net *net;
    ck_assert_int_eq(myl_net_new(1e-3, &net), 0);
    uint32_t src, dst;
    ck_assert_int_eq(myl_net_add_pop(net, "s", 3, MYL_MODEL_SPIKE_TIMES, &src, NULL), 0);
    ck_assert_int_eq(myl_net_add_pop(net, "n", 3, MYL_MODEL_LIF, &dst, NULL), 0);
    uint32_t neu[2] = {0, 0};
    uint64_t tk[2] = {2, 5};
    ck_assert_int_eq(myl_net_pop_set_times(net, src, neu, tk, 2, NULL), 0);
    myl_values th = myl_const(100);
    ck_assert_int_eq(myl_net_pop_set(net, dst, MYL_P_V_TH, &th, NULL), 0);
    myl_proj_desc p = {0};
    p.pre = src;
    p.post = dst;
    p.rule = MYL_CONN_ALL_TO_ALL;
    p.weight = myl_const(1);
    p.delay = myl_const(1);
    p.delay_unit = 1;
    ck_assert_int_eq(myl_net_add_proj(net, &p, NULL, NULL), 0);
    myl_map_opts o = {.strategy = MYL_MAP_FILL, .seed = 1};
    myl_map *m;
    ck_assert_int_eq(myl_map_build(net, &hw, &o, &m, NULL), 0);
    ck_assert_uint_eq(m->ncores, 2);
    myl_layout lay;
    ck_assert_int_eq(myl_map_layout(m, &lay), 0);
    myl_cnet *c;
    ck_assert_int_eq(myl_net_compile(net, &lay, NULL, &c, NULL), 0);
    myl_acct *a;
    ck_assert_int_eq(myl_acct_new(c, m, &hw, NULL, &a), 0);
    myl_sim *s;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    const int T = 10;
    double e_sum = 0, lat_sum = 0;
    for (int t = 0; t < T; t++) {
        myl_tick_report r;
        myl_tick_cost k;
        ck_assert_int_eq(myl_sim_step(s, &r), 0);
        myl_acct_tick(a, &r, &k);
        e_sum += k.energy;
        lat_sum += k.latency;
        /* by hand: core 1 accesses 3 neurons every tick; the source has no input soma, so
         * core 0 costs nothing but its messages */
        int spike = t == 2 || t == 5;
        /* the targets start at rest (v = v_rest = 0): updated on tick 0 (not yet known to be
         * at rest), then from tick 3, when the first input arrives, on every tick while their
         * potential decays back */
        int upd = t == 0 || t >= 3 ? 3 : 0;
        double e = 3 * 2e-12 + upd * 5e-12;
        /* a core's neuron side (access, update, messages out) and message side (messages in,
         * synaptic operations) run concurrently and the core takes the longer, as in
         * SANA-FE's timing model (docs/energy.md); they used to be added */
        double l1 = 3 * 1e-9 + upd * 2e-9, l1m = 0;
        double l0 = 0;
        if (spike) {
            e += 13e-12 + 17e-12 + 3 * 11e-12;
            l0 += 5e-9;
            l1m += 6e-9 + 3 * 4e-9;
        }
        if (l1m > l1)
            l1 = l1m;
        ck_assert_msg(fabs(k.energy - e) < 1e-18, "tick %d: energy %g, expected %g", t,
                      k.energy, e);
        double want = (l1 > l0 ? l1 : l0) + 100e-9;
        ck_assert_msg(fabs(k.latency - want) < 1e-15, "tick %d: latency %g, expected %g", t,
                      k.latency, want);
    }
    myl_acct_totals tot;
    myl_acct_get_totals(a, &tot);
    ck_assert(fabs(tot.energy - e_sum) < 1e-18);
    ck_assert(fabs(tot.sim_time - lat_sum) < 1e-15);
    ck_assert_uint_eq(tot.synops, 6);
    ck_assert_uint_eq(m->core_of[3], 1);
    ck_assert_uint_eq(tot.messages, 2);
    ck_assert_uint_eq(tot.spikes, 2);
    ck_assert_uint_eq(tot.hops, 0);
    myl_sim_free(s);
    myl_acct_free(a);
    myl_cnet_free(c);
    myl_layout_release(&lay);
    myl_map_free(m);
    myl_net_free(net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("mapping");
    tcase_add_test(tc, fill_and_balance);
    tcase_add_test(tc, synapse_memory_binds);
    tcase_add_test(tc, input_axons_bind);
    tcase_add_test(tc, binding_constraint_named);
    tcase_add_test(tc, routes);
    tcase_add_test(tc, routes_every_pair);
    tcase_add_test(tc, locality_cuts_hops);
    suite_add_tcase(s, tc);
    tc = tcase_create("energy");
    tcase_add_test(tc, energy_by_hand);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
