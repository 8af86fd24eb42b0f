/* Mapping: neurons onto the cores of a chip, cores onto tiles, tiles onto chips.
 *
 * A mapping must respect every per-core capacity of the hardware model: neurons, synapses (or
 * synapse memory), fan-in of each neuron, input axons (distinct source neurons whose spikes the
 * core receives) and output axons (distinct (neuron, destination core) routes leaving it).
 * Strategies:
 *   fill      neurons in network order, each core filled before the next (what most vendor
 *             toolchains do);
 *   balance   the same number of cores as fill, with the load spread evenly over them;
 *   locality  neurons ordered by a breadth-first walk of the connectivity graph (so neurons that
 *             talk to each other are neighbours in the order), then filled, and cores laid on
 *             the mesh along a serpentine path so that consecutive cores are physically close;
 *   explicit  from a mapping file (docs/mapping-format.md) or a SANA-FE network's mappings.
 * Cores are then placed: core i on tile i / cores_per_tile (serpentine over the mesh), tiles
 * beyond one chip on the next chip.
 */
#ifndef MYELIN_MAP_H
#define MYELIN_MAP_H

#include "myelin/cnet.h"
#include "myelin/hw.h"
#include "myelin/net.h"

typedef enum myl_map_strategy {
    MYL_MAP_FILL,
    MYL_MAP_BALANCE,
    MYL_MAP_LOCALITY,
    MYL_MAP_EXPLICIT
} myl_map_strategy;

const char *myl_map_strategy_name(myl_map_strategy s);
int myl_map_strategy_from_name(const char *name, myl_map_strategy *s);

/* Per-core usage. */
typedef struct myl_core_use {
    uint32_t neurons;
    uint64_t synapses;   /* synapses onto the core's neurons */
    uint64_t syn_bits;   /* synapse memory they take */
    uint32_t axons_in;
    uint32_t axons_out;
    uint32_t max_fanin;
} myl_core_use;

typedef struct myl_map {
    myl_map_strategy strategy;
    uint32_t nneurons;
    uint32_t ncores;          /* cores used, numbered 0 .. ncores-1 */
    uint32_t *core_of;        /* [nneurons] */
    /* placement of each core */
    uint32_t *chip;           /* chip index */
    uint32_t *tile_x, *tile_y; /* tile coordinates within the chip's mesh */
    uint32_t *slot;           /* core index within its tile */
    uint32_t nchips, chips_w, chips_h;
    uint32_t ntiles;          /* tiles with at least one core in use */
    myl_core_use *use;        /* [ncores] */
    uint64_t nsyn;
} myl_map;

typedef struct myl_map_opts {
    myl_map_strategy strategy;
    uint64_t seed;            /* connectivity is generated with this seed */
    /* explicit: core of every neuron (global core numbering), from a mapping file */
    const uint32_t *core_of;
} myl_map_opts;

/* Map net onto hw. MYL_ENOFIT (with the binding constraint in d) when it cannot fit, e.g.
 * "population 'L1': neuron 12 has fan-in 5,000 but a loihi core holds at most 4,096 inputs". */
int myl_map_build(const myl_net *net, const myl_hw *hw, const myl_map_opts *o, myl_map **out,
                  myl_diag *d);
void myl_map_free(myl_map *m);

/* The layout the compiler needs (core_of copied). */
int myl_map_layout(const myl_map *m, myl_layout *out);

/* XY (dimension-order) route from core a to core b: hops by direction, chip crossings. Routes go
 * east/west first, then north/south; a route between chips runs to the chip's edge, crosses the
 * chip-to-chip link(s) and continues on the next chip's mesh. */
typedef struct myl_route {
    uint32_t e, w, n, s; /* router hops */
    uint32_t chip;       /* chip-to-chip crossings */
} myl_route;
void myl_map_route(const myl_map *m, const myl_hw *hw, uint32_t a, uint32_t b, myl_route *r);

/* Where core k sits on the grid of all chips' tiles (x, y), and in which chip column and row
 * (cx, cy): what myl_map_route needs of it. A caller routing many pairs computes each core's
 * place once and routes by myl_route_between. */
typedef struct myl_place {
    int64_t x, y, cx, cy;
} myl_place;
void myl_map_place(const myl_map *m, const myl_hw *hw, uint32_t k, myl_place *p);

/* The XY route from a to b: x first, then y; every step is a router hop, or a chip link where it
 * crosses a chip's edge. */
static inline void myl_route_between(const myl_place *a, const myl_place *b, myl_route *r)
{
    const int64_t dx = b->x > a->x ? b->x - a->x : a->x - b->x;
    const int64_t dy = b->y > a->y ? b->y - a->y : a->y - b->y;
    const int64_t cx = b->cx - a->cx, cy = b->cy - a->cy;
    const uint32_t crx = (uint32_t)(cx < 0 ? -cx : cx), cry = (uint32_t)(cy < 0 ? -cy : cy);
    r->chip = crx + cry;
    r->e = b->x > a->x ? (uint32_t)dx - crx : 0;
    r->w = b->x > a->x ? 0 : (uint32_t)dx - crx;
    r->n = b->y > a->y ? (uint32_t)dy - cry : 0;
    r->s = b->y > a->y ? 0 : (uint32_t)dy - cry;
}

/* Read a mapping file (YAML; docs/mapping-format.md) into a core per neuron (global cores:
 * chip-major, then tile, then slot, as myl_map numbers them for fill). */
int myl_map_read_file(const char *path, const myl_net *net, const myl_hw *hw, uint32_t **core_of,
                      myl_diag *d);

#endif
