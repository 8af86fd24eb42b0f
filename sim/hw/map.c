/* Mapping (see map.h).
 *
 * The connectivity is generated once into incoming lists (the sources of each neuron, 4 bytes
 * a synapse), which is all that fan-in, input axons and output axons need. Neurons are then
 * taken in the strategy's order and packed: a neuron joins the current core if every capacity
 * still holds with it, else a new core is opened; a neuron that does not fit even an empty core
 * is reported with the capacity it breaks. Input axons are counted with a per-source stamp (the
 * last core that counted it), so packing is O(synapses). Output axons depend on where all the
 * targets went, so they are checked once packing is done; if a core sends on more routes than
 * the chip allows, packing starts again with fewer neurons per core.
 */
#include "myelin/map.h"

#include "myelin/alloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *myl_map_strategy_name(myl_map_strategy s)
{
    static const char *const n[] = {"fill", "balance", "locality", "explicit"};
    return (unsigned)s < 4 ? n[s] : "?";
}

int myl_map_strategy_from_name(const char *name, myl_map_strategy *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, myl_map_strategy_name((myl_map_strategy)i)) == 0) {
            *s = (myl_map_strategy)i;
            return 0;
        }
    return MYL_ENOTFOUND;
}

void myl_map_free(myl_map *m)
{
    if (!m)
        return;
    myl_free(m->core_of);
    myl_free(m->chip);
    myl_free(m->tile_x);
    myl_free(m->tile_y);
    myl_free(m->slot);
    myl_free(m->use);
    myl_free(m);
}

/* ---- connectivity ------------------------------------------------------------------------- */

typedef struct graph {
    uint32_t n;
    uint64_t *in_ptr; /* [n + 1] */
    uint32_t *in_src; /* sources of each neuron */
    uint64_t nsyn;
} graph;

typedef struct gctx {
    graph *g;
    uint64_t pre0, post0;
    uint64_t *fill; /* NULL while counting */
} gctx;

static int on_syn(void *ctx, const myl_syn *s)
{
    gctx *c = ctx;
    uint64_t t = c->post0 + s->post;
    if (!c->fill) {
        c->g->in_ptr[t + 1]++;
        return 0;
    }
    c->g->in_src[c->g->in_ptr[t] + c->fill[t]++] = (uint32_t)(c->pre0 + s->pre);
    return 0;
}

static void graph_free(graph *g)
{
    myl_free(g->in_ptr);
    myl_free(g->in_src);
}

static int graph_build(const myl_net *net, uint64_t seed, graph *g, myl_diag *d)
{
    memset(g, 0, sizeof *g);
    g->n = (uint32_t)myl_net_nneurons(net);
    g->in_ptr = myl_calloc((size_t)g->n + 1, sizeof *g->in_ptr);
    if (!g->in_ptr)
        return MYL_ENOMEM;
    uint64_t *fill = NULL;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (pass) {
            for (uint32_t i = 0; i < g->n; i++)
                g->in_ptr[i + 1] += g->in_ptr[i];
            g->nsyn = g->in_ptr[g->n];
            g->in_src = myl_calloc(g->nsyn ? g->nsyn : 1, sizeof *g->in_src);
            fill = myl_calloc(g->n ? g->n : 1, sizeof *fill);
            if (!g->in_src || !fill) {
                rc = MYL_ENOMEM;
                break;
            }
        }
        for (uint32_t j = 0; j < myl_net_nprojs(net) && !rc; j++) {
            const myl_proj_desc *D = myl_net_proj(net, j);
            gctx c = {g, myl_net_pop_first(net, D->pre), myl_net_pop_first(net, D->post),
                      pass ? fill : NULL};
            /* the counting pass checks every weight and delay; the filling one needs only
             * the pairs */
            rc = pass ? myl_net_proj_generate_pairs(net, j, seed, on_syn, &c, d)
                      : myl_net_proj_generate(net, j, seed, on_syn, &c, d);
        }
    }
    myl_free(fill);
    if (rc)
        graph_free(g);
    return rc;
}

/* ---- orders ------------------------------------------------------------------------------- */

/* Breadth-first order over the undirected connectivity graph. Outgoing lists are built from
 * the incoming ones for the walk and freed after. */
static int bfs_order(const graph *g, uint32_t *order)
{
    uint64_t *out_ptr = myl_calloc((size_t)g->n + 1, sizeof *out_ptr);
    uint32_t *out_dst = myl_calloc(g->nsyn ? g->nsyn : 1, sizeof *out_dst);
    uint8_t *seen = myl_calloc(g->n ? g->n : 1, 1);
    if (!out_ptr || !out_dst || !seen) {
        myl_free(out_ptr), myl_free(out_dst), myl_free(seen);
        return MYL_ENOMEM;
    }
    for (uint64_t k = 0; k < g->nsyn; k++)
        out_ptr[g->in_src[k] + 1]++;
    for (uint32_t i = 0; i < g->n; i++)
        out_ptr[i + 1] += out_ptr[i];
    for (uint32_t t = 0; t < g->n; t++)
        for (uint64_t k = g->in_ptr[t]; k < g->in_ptr[t + 1]; k++)
            out_dst[out_ptr[g->in_src[k]]++] = t;
    for (uint32_t i = g->n; i > 0; i--)
        out_ptr[i] = out_ptr[i - 1];
    out_ptr[0] = 0;
    /* order doubles as the BFS queue */
    uint32_t head = 0, tail = 0;
    for (uint32_t root = 0; root < g->n; root++) {
        if (seen[root])
            continue;
        seen[root] = 1;
        order[tail++] = root;
        while (head < tail) {
            uint32_t v = order[head++];
            for (uint64_t k = g->in_ptr[v]; k < g->in_ptr[v + 1]; k++)
                if (!seen[g->in_src[k]])
                    seen[g->in_src[k]] = 1, order[tail++] = g->in_src[k];
            for (uint64_t k = out_ptr[v]; k < out_ptr[v + 1]; k++)
                if (!seen[out_dst[k]])
                    seen[out_dst[k]] = 1, order[tail++] = out_dst[k];
        }
    }
    myl_free(out_ptr), myl_free(out_dst), myl_free(seen);
    return 0;
}

/* ---- packing ------------------------------------------------------------------------------ */

static const char *pop_of(const myl_net *net, uint32_t g, uint64_t *local)
{
    for (uint32_t p = 0; p < myl_net_npops(net); p++) {
        uint64_t f = myl_net_pop_first(net, p);
        if (g >= f && g < f + myl_net_pop_size(net, p)) {
            *local = g - f;
            return myl_net_pop_name(net, p);
        }
    }
    *local = g;
    return "?";
}

static const char *bytes_str(uint64_t bits, char *buf, size_t n)
{
    double b = bits / 8.0;
    if (b >= 1048576)
        snprintf(buf, n, "%.1f MiB", b / 1048576);
    else if (b >= 1024)
        snprintf(buf, n, "%.1f KiB", b / 1024);
    else
        snprintf(buf, n, "%.0f B", b);
    return buf;
}

/* Does neuron g alone fit an empty core? If not, say which capacity it breaks. */
static int fits_alone(const myl_net *net, const myl_hw *hw, const graph *G, uint32_t g,
                      myl_diag *d)
{
    uint64_t fanin = G->in_ptr[g + 1] - G->in_ptr[g], local;
    const char *pop = pop_of(net, g, &local);
    char a[32], b[32];
    if (hw->max_fanin && fanin > hw->max_fanin)
        return myl_diag_fail(d, MYL_ENOFIT,
                             "population '%s': neuron %llu has fan-in %llu, but a %s core takes "
                             "at most %u synapses into one neuron",
                             pop, (unsigned long long)local, (unsigned long long)fanin, hw->name,
                             hw->max_fanin);
    if (hw->max_synapses && fanin > hw->max_synapses)
        return myl_diag_fail(d, MYL_ENOFIT,
                             "population '%s': neuron %llu has fan-in %llu, more than the %llu "
                             "synapses a %s core holds",
                             pop, (unsigned long long)local, (unsigned long long)fanin,
                             (unsigned long long)hw->max_synapses, hw->name);
    if (hw->syn_mem_bits && fanin * hw->syn_bits > hw->syn_mem_bits)
        return myl_diag_fail(d, MYL_ENOFIT,
                             "population '%s': neuron %llu has fan-in %llu, which needs %s of "
                             "synapse memory (%u bits a synapse); a %s core has %s",
                             pop, (unsigned long long)local, (unsigned long long)fanin,
                             bytes_str(fanin * hw->syn_bits, a, sizeof a), hw->syn_bits, hw->name,
                             bytes_str(hw->syn_mem_bits, b, sizeof b));
    if (hw->max_axons_in && fanin > hw->max_axons_in) {
        /* distinct sources only */
        return 0;
    }
    return 0;
}

typedef struct packer {
    const myl_net *net;
    const myl_hw *hw;
    const graph *G;
    uint32_t *stamp; /* [n]: last core that counted this source as an input axon */
    uint32_t *seen;  /* [n]: the last attempt (try_id) that counted this source */
    uint32_t try_id; /* attempts to add a neuron to a core, so far */
    uint32_t neuron_cap;
    myl_core_use cur;
    uint32_t core;
} packer;

/* Add g to the current core if it fits, returning 1; 0 if a capacity would break. */
static int try_add(packer *p, uint32_t g)
{
    const myl_hw *hw = p->hw;
    const graph *G = p->G;
    uint64_t fanin = G->in_ptr[g + 1] - G->in_ptr[g];
    if (p->cur.neurons + 1 > p->neuron_cap)
        return 0;
    if (hw->max_neurons && p->cur.neurons + 1 > hw->max_neurons)
        return 0;
    if (hw->max_synapses && p->cur.synapses + fanin > hw->max_synapses)
        return 0;
    if (hw->syn_mem_bits && (p->cur.synapses + fanin) * hw->syn_bits > hw->syn_mem_bits)
        return 0;
    uint32_t newax = 0;
    if (hw->max_axons_in) {
        /* sources not yet counted for this core, each once however many synapses it has (a
         * fresh attempt id each time, so that no marks need clearing when g is tried again) */
        if (++p->try_id == 0) {
            memset(p->seen, 0, G->n * sizeof *p->seen);
            p->try_id = 1;
        }
        const uint32_t id = p->try_id;
        for (uint64_t k = G->in_ptr[g]; k < G->in_ptr[g + 1]; k++) {
            uint32_t s = G->in_src[k];
            if (p->stamp[s] != p->core + 1 && p->seen[s] != id) {
                p->seen[s] = id;
                newax++;
            }
        }
        if (p->cur.axons_in + newax > hw->max_axons_in)
            return 0;
    }
    for (uint64_t k = G->in_ptr[g]; k < G->in_ptr[g + 1]; k++) {
        uint32_t s = G->in_src[k];
        if (p->stamp[s] != p->core + 1) {
            p->stamp[s] = p->core + 1;
            p->cur.axons_in++;
        }
    }
    p->cur.neurons++;
    p->cur.synapses += fanin;
    if (fanin > p->cur.max_fanin)
        p->cur.max_fanin = (uint32_t)fanin;
    return 1;
}

static int pack(const myl_net *net, const myl_hw *hw, const graph *G, const uint32_t *order,
                uint32_t neuron_cap, uint32_t *core_of, uint32_t *ncores, myl_diag *d)
{
    packer p = {net, hw, G, NULL, NULL, 0, neuron_cap, {0}, 0};
    p.stamp = myl_calloc(G->n ? G->n : 1, sizeof *p.stamp);
    p.seen = myl_calloc(G->n ? G->n : 1, sizeof *p.seen);
    if (!p.stamp || !p.seen) {
        myl_free(p.stamp);
        myl_free(p.seen);
        return MYL_ENOMEM;
    }
    int rc = 0;
    for (uint32_t i = 0; i < G->n && !rc; i++) {
        uint32_t g = order ? order[i] : i;
        if (try_add(&p, g)) {
            core_of[g] = p.core;
            continue;
        }
        if (p.cur.neurons == 0) {
            /* an empty core refused it: name the capacity */
            rc = fits_alone(net, hw, G, g, d);
            if (!rc) {
                uint64_t local;
                const char *pop = pop_of(net, g, &local);
                rc = myl_diag_fail(d, MYL_ENOFIT,
                                   "population '%s': neuron %llu receives from more distinct "
                                   "neurons than the %u input axons of a %s core",
                                   pop, (unsigned long long)local, hw->max_axons_in, hw->name);
            }
            break;
        }
        p.core++;
        memset(&p.cur, 0, sizeof p.cur);
        if (!try_add(&p, g)) {
            rc = fits_alone(net, hw, G, g, d);
            if (!rc) {
                uint64_t local;
                const char *pop = pop_of(net, g, &local);
                rc = myl_diag_fail(d, MYL_ENOFIT,
                                   "population '%s': neuron %llu receives from more distinct "
                                   "neurons than the %u input axons of a %s core",
                                   pop, (unsigned long long)local, hw->max_axons_in, hw->name);
            }
            break;
        }
        core_of[g] = p.core;
    }
    *ncores = G->n ? p.core + 1 : 0;
    myl_free(p.stamp);
    myl_free(p.seen);
    return rc;
}

/* Usage of every core once all neurons are placed, output axons included. */
static int measure(const myl_hw *hw, const graph *G, myl_map *m)
{
    myl_core_use *u = myl_calloc(m->ncores ? m->ncores : 1, sizeof *u);
    uint32_t *stamp = myl_calloc(G->n ? G->n : 1, sizeof *stamp);
    if (!u || !stamp) {
        myl_free(u), myl_free(stamp);
        return MYL_ENOMEM;
    }
    /* neurons of each core, in order */
    uint32_t *start = myl_calloc((size_t)m->ncores + 1, sizeof *start);
    uint32_t *members = myl_calloc(G->n ? G->n : 1, sizeof *members);
    if (!start || !members) {
        myl_free(u), myl_free(stamp), myl_free(start), myl_free(members);
        return MYL_ENOMEM;
    }
    for (uint32_t g = 0; g < G->n; g++)
        start[m->core_of[g] + 1]++;
    for (uint32_t c = 0; c < m->ncores; c++)
        start[c + 1] += start[c];
    for (uint32_t g = 0; g < G->n; g++)
        members[start[m->core_of[g]]++] = g;
    for (uint32_t c = m->ncores; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    for (uint32_t c = 0; c < m->ncores; c++) {
        for (uint32_t i = start[c]; i < start[c + 1]; i++) {
            uint32_t g = members[i];
            uint64_t fanin = G->in_ptr[g + 1] - G->in_ptr[g];
            u[c].neurons++;
            u[c].synapses += fanin;
            if (fanin > u[c].max_fanin)
                u[c].max_fanin = (uint32_t)fanin;
            for (uint64_t k = G->in_ptr[g]; k < G->in_ptr[g + 1]; k++) {
                uint32_t s = G->in_src[k];
                if (stamp[s] != c + 1) {
                    stamp[s] = c + 1;
                    u[c].axons_in++;
                    /* a new (source, destination core) route leaves the source's core */
                    u[m->core_of[s]].axons_out++;
                }
            }
        }
        u[c].syn_bits = u[c].synapses * hw->syn_bits;
    }
    myl_free(stamp), myl_free(start), myl_free(members);
    myl_free(m->use);
    m->use = u;
    return 0;
}

/* ---- placement ---------------------------------------------------------------------------- */

/* Position k along a serpentine path over a w x h grid. */
static void snake(uint32_t k, uint32_t w, uint32_t *x, uint32_t *y)
{
    *y = k / w;
    *x = (*y & 1) ? w - 1 - k % w : k % w;
}

static int place(const myl_hw *hw, myl_map *m, const uint32_t *phys, myl_diag *d)
{
    const uint32_t cpt = hw->cores_per_tile ? hw->cores_per_tile : 1;
    const uint32_t tiles = (hw->mesh_w ? hw->mesh_w : 1) * (hw->mesh_h ? hw->mesh_h : 1);
    const uint64_t per_chip = (uint64_t)tiles * cpt;
    uint64_t last = 0;
    for (uint32_t c = 0; c < m->ncores; c++) {
        uint64_t pc = phys ? phys[c] : c;
        if (pc > last)
            last = pc;
    }
    uint64_t chips = m->ncores ? last / per_chip + 1 : 0;
    uint64_t max_chips = (uint64_t)hw->chips_w * hw->chips_h;
    if (max_chips && chips > max_chips)
        return myl_diag_fail(d, MYL_ENOFIT,
                             "the network needs %u cores; %s has %llu cores a chip and %llu "
                             "chip%s",
                             m->ncores, hw->name, (unsigned long long)per_chip,
                             (unsigned long long)max_chips, max_chips == 1 ? "" : "s");
    m->nchips = (uint32_t)chips;
    if (hw->chips_w) {
        m->chips_w = hw->chips_w;
        m->chips_h = hw->chips_h;
    } else {
        /* as many as needed, arranged as squarely as possible */
        uint32_t w = 1;
        while ((uint64_t)w * w < chips)
            w++;
        m->chips_w = w;
        m->chips_h = (uint32_t)((chips + w - 1) / (w ? w : 1));
        if (!m->chips_h)
            m->chips_h = 1;
    }
    m->chip = myl_calloc(m->ncores ? m->ncores : 1, sizeof *m->chip);
    m->tile_x = myl_calloc(m->ncores ? m->ncores : 1, sizeof *m->tile_x);
    m->tile_y = myl_calloc(m->ncores ? m->ncores : 1, sizeof *m->tile_y);
    m->slot = myl_calloc(m->ncores ? m->ncores : 1, sizeof *m->slot);
    if (!m->chip || !m->tile_x || !m->tile_y || !m->slot)
        return MYL_ENOMEM;
    uint32_t prev_tile = UINT32_MAX, prev_chip = UINT32_MAX;
    m->ntiles = 0;
    for (uint32_t c = 0; c < m->ncores; c++) {
        uint64_t pc = phys ? phys[c] : c;
        uint32_t chip = (uint32_t)(pc / per_chip);
        uint32_t t = (uint32_t)(pc % per_chip / cpt);
        m->chip[c] = chip;
        m->slot[c] = (uint32_t)(pc % cpt);
        if (phys) {
            /* explicit numbering is row-major, as files give it */
            m->tile_x[c] = t % (hw->mesh_w ? hw->mesh_w : 1);
            m->tile_y[c] = t / (hw->mesh_w ? hw->mesh_w : 1);
        } else {
            snake(t, hw->mesh_w ? hw->mesh_w : 1, &m->tile_x[c], &m->tile_y[c]);
        }
        if (t != prev_tile || chip != prev_chip)
            m->ntiles++;
        prev_tile = t;
        prev_chip = chip;
    }
    return 0;
}

void myl_map_place(const myl_map *m, const myl_hw *hw, uint32_t k, myl_place *p)
{
    const uint32_t W = hw->mesh_w ? hw->mesh_w : 1, H = hw->mesh_h ? hw->mesh_h : 1;
    const uint32_t cw = m->chips_w ? m->chips_w : 1;
    /* global grid coordinates; they are never negative, so the chip of x is x / W */
    p->x = (int64_t)(m->chip[k] % cw) * W + m->tile_x[k];
    p->y = (int64_t)(m->chip[k] / cw) * H + m->tile_y[k];
    p->cx = p->x / (int64_t)W;
    p->cy = p->y / (int64_t)H;
}

void myl_map_route(const myl_map *m, const myl_hw *hw, uint32_t a, uint32_t b, myl_route *r)
{
    myl_place pa, pb;
    myl_map_place(m, hw, a, &pa);
    myl_map_place(m, hw, b, &pb);
    myl_route_between(&pa, &pb, r);
}

/* ---- entry -------------------------------------------------------------------------------- */

int myl_map_build(const myl_net *net, const myl_hw *hw, const myl_map_opts *o, myl_map **out,
                  myl_diag *d)
{
    if (!net || !hw || !o || !out)
        return MYL_EINVAL;
    *out = NULL;
    graph G;
    int rc = graph_build(net, o->seed, &G, d);
    if (rc)
        return rc;
    myl_map *m = myl_calloc(1, sizeof *m);
    uint32_t *order = NULL, *phys = NULL;
    if (!m || !(m->core_of = myl_calloc(G.n ? G.n : 1, sizeof *m->core_of))) {
        rc = MYL_ENOMEM;
        goto done;
    }
    m->strategy = o->strategy;
    m->nsyn = G.nsyn;
    m->nneurons = G.n;

    if (o->strategy == MYL_MAP_EXPLICIT) {
        if (!o->core_of) {
            rc = MYL_EINVAL;
            goto done;
        }
        /* physical cores as given, numbered densely in ascending order */
        uint32_t maxc = 0;
        for (uint32_t g = 0; g < G.n; g++)
            if (o->core_of[g] > maxc)
                maxc = o->core_of[g];
        uint32_t *dense = myl_calloc((size_t)maxc + 1, sizeof *dense);
        phys = myl_calloc((size_t)maxc + 1, sizeof *phys);
        if (!dense || !phys) {
            myl_free(dense);
            rc = MYL_ENOMEM;
            goto done;
        }
        for (uint32_t g = 0; g < G.n; g++)
            dense[o->core_of[g]] = 1;
        for (uint32_t c = 0; c <= maxc; c++)
            if (dense[c]) {
                phys[m->ncores] = c;
                dense[c] = m->ncores++;
            }
        for (uint32_t g = 0; g < G.n; g++)
            m->core_of[g] = dense[o->core_of[g]];
        myl_free(dense);
    } else {
        if (o->strategy == MYL_MAP_LOCALITY) {
            order = myl_calloc(G.n ? G.n : 1, sizeof *order);
            if (!order || (rc = bfs_order(&G, order))) {
                rc = rc ? rc : MYL_ENOMEM;
                goto done;
            }
        }
        uint32_t cap = UINT32_MAX;
        if ((rc = pack(net, hw, &G, order, cap, m->core_of, &m->ncores, d)))
            goto done;
        if (o->strategy == MYL_MAP_BALANCE && m->ncores > 1) {
            /* as many cores as fill needed, the neurons spread evenly over them */
            uint32_t even = (uint32_t)((G.n + m->ncores - 1) / m->ncores);
            if ((rc = pack(net, hw, &G, order, even, m->core_of, &m->ncores, d)))
                goto done;
        }
    }
    if ((rc = measure(hw, &G, m)))
        goto done;
    /* output axons: repack with fewer neurons per core until every core's routes fit */
    for (int tries = 0; hw->max_axons_out && o->strategy != MYL_MAP_EXPLICIT; tries++) {
        uint32_t worst = UINT32_MAX;
        for (uint32_t c = 0; c < m->ncores; c++)
            if (m->use[c].axons_out > hw->max_axons_out &&
                (worst == UINT32_MAX || m->use[c].axons_out > m->use[worst].axons_out))
                worst = c;
        if (worst == UINT32_MAX)
            break;
        uint32_t cap = m->use[worst].neurons * 4 / 5;
        if (cap == 0 || tries > 60) {
            rc = myl_diag_fail(d, MYL_ENOFIT,
                               "a core's neurons send on %u routes to other cores; a %s core has "
                               "%u output axons, and fewer neurons per core cannot fix it",
                               m->use[worst].axons_out, hw->name, hw->max_axons_out);
            goto done;
        }
        if ((rc = pack(net, hw, &G, order, cap, m->core_of, &m->ncores, d)) ||
            (rc = measure(hw, &G, m)))
            goto done;
    }
    if (o->strategy == MYL_MAP_EXPLICIT) {
        /* an explicit mapping is checked, not repaired */
        for (uint32_t c = 0; c < m->ncores && !rc; c++) {
            const myl_core_use *u = &m->use[c];
            const char *what = NULL;
            uint64_t have = 0, lim = 0;
            if (hw->max_neurons && u->neurons > hw->max_neurons)
                what = "neurons", have = u->neurons, lim = hw->max_neurons;
            else if (hw->max_synapses && u->synapses > hw->max_synapses)
                what = "synapses", have = u->synapses, lim = hw->max_synapses;
            else if (hw->syn_mem_bits && u->syn_bits > hw->syn_mem_bits)
                what = "bits of synapse memory", have = u->syn_bits, lim = hw->syn_mem_bits;
            else if (hw->max_axons_in && u->axons_in > hw->max_axons_in)
                what = "input axons", have = u->axons_in, lim = hw->max_axons_in;
            else if (hw->max_axons_out && u->axons_out > hw->max_axons_out)
                what = "output axons", have = u->axons_out, lim = hw->max_axons_out;
            else if (hw->max_fanin && u->max_fanin > hw->max_fanin)
                what = "synapses into one neuron", have = u->max_fanin, lim = hw->max_fanin;
            if (what)
                rc = myl_diag_fail(d, MYL_ENOFIT,
                                   "the mapping overfills core %u: %llu %s, a %s core has %llu",
                                   phys[c], (unsigned long long)have, what, hw->name,
                                   (unsigned long long)lim);
        }
        if (rc)
            goto done;
    }
    rc = place(hw, m, phys, d);
done:
    myl_free(order);
    myl_free(phys);
    graph_free(&G);
    if (rc) {
        myl_map_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int myl_map_layout(const myl_map *m, myl_layout *out)
{
    out->ncores = m->ncores;
    out->core_of = myl_calloc(m->nneurons ? m->nneurons : 1, sizeof *out->core_of);
    if (!out->core_of)
        return MYL_ENOMEM;
    memcpy(out->core_of, m->core_of, (size_t)m->nneurons * sizeof *out->core_of);
    return 0;
}
