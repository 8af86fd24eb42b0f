/* SANA-FE network files (Boyle et al., IEEE TCAD 44(8), 2025; github SLAM-Lab/SANA-FE) read as
 * myelin networks, with their mappings.
 *
 * A SANA-FE network file is YAML with a top-level `network:` (groups of neurons given as ranges
 * with attributes, and edges between single neurons or whole groups: dense, conv2d, sparse) and
 * `mappings:` (each neuron range onto `core: tile.core`, optionally naming the soma unit).
 * myl_netfile_load() recognises such a file by its `network:` key and reads it here; the result
 * is an ordinary myl_netfile whose `map_*` fields carry the mapping and whose `soma` names the
 * soma unit of each population. docs/energy.md ("Reading SANA-FE network files") gives the
 * translation: groups become populations (spike sources for neurons with input spike lists,
 * poisson or rate attributes; if, lif or cuba_lif for leaky_integrate_fire), group edges become
 * projections whose synapses come out in SANA-FE's order, and SANA-FE's timing (a spike at
 * timestep T is integrated by its target at T + 1 + delay) becomes myelin's (delay >= 1).
 */
#ifndef MYELIN_SANAFE_H
#define MYELIN_SANAFE_H

#include "myelin/err.h"
#include "myelin/hw.h"
#include "myelin/netfile.h"

#include <stdint.h>

/* The core of every neuron (global index) on hw, in the numbering explicit mappings use
 * (myl_map_opts.core_of: chip-major, then tile in row-major order over the mesh, then the core
 * within the tile), from a SANA-FE network's mapping. SANA-FE numbers tiles column by column
 * (tile id = x * height + y), so "core: 5.2" on a 8 x 4 mesh is the core 2 of the tile at
 * x = 1, y = 1. *core_of is allocated (free()) and has myl_net_nneurons() entries.
 * MYL_ENOTFOUND when the file gave no mapping; MYL_ENOFIT, naming the mapping's file and line,
 * when a tile or core does not exist on hw. */
int myl_sanafe_core_of(const myl_netfile *nf, const myl_hw *hw, uint32_t **core_of, myl_diag *d);

/* Internal: netfile.c hands a loaded YAML document whose top level has `network:` to this
 * reader, with nf's path, name, dir and digest already set. MYL_EPARSE with "file:line:col:
 * what was expected" for content myelin cannot read, MYL_ENOMEM. */
struct yaml_document_s;
int myl__sanafe_net_read(struct yaml_document_s *doc, const char *file, myl_netfile *nf,
                         myl_diag *d);

#endif
