/* Energy and latency of a run on a hardware model, from operation counts.
 *
 * Per tick and per core the accountant counts what the chip would do (docs/energy.md gives the
 * formulas and how they compare with SANA-FE's):
 *   access   every mapped neuron, every tick (soma access)
 *   update   neurons the chip updates (soma update, dendrite): with a simulator attached
 *            (myl_acct_attach), a neuron that starts the tick away from rest (v != v_rest), is
 *            driven by a bias, or whose update moves it or makes it fire, and a spike source
 *            when it fires; on chip arithmetic, or without a simulator, the engine's count of
 *            neurons with input or away from a fixed point of their dynamics, a lower bound
 *   spike    neurons that fire (soma spike)
 *   synop    synapses processing a spike (synapse unit)
 *   msg_in   messages arriving at a core (axon_in): one per spike and destination core
 *   msg_out  messages leaving a core (axon_out): the same messages, at their source
 *   hops     router hops by direction along the XY route, and chip-to-chip crossings
 * Synaptic work is charged in the tick of the spike (delays are applied in the dendrite), as
 * SANA-FE does. Energy = sum of counts x energy per operation + static power x simulated time.
 * Latency of a tick: each core has a neuron side (access, update, spike generation, messages
 * out) and a message side (messages in, synaptic operations) that work concurrently, so a core
 * takes the longer of the two; the tick takes the slowest core + the longest route taken that
 * tick + the barrier synchronisation for the tiles in use. Spike sources stand for input
 * arriving at the chip: they cost what the model's `input` soma costs (nothing when it has
 * none), and their messages and hops are charged like any other. A cost the model marks as
 * unknown counts as 0 and is named in the totals whenever the run used that operation.
 */
#ifndef MYELIN_ENERGY_H
#define MYELIN_ENERGY_H

#include "myelin/cnet.h"
#include "myelin/counts.h"
#include "myelin/hw.h"
#include "myelin/map.h"
#include "myelin/sim.h"

typedef struct myl_acct myl_acct;

/* c: the compiled network the engine runs, on any layout (the accountant takes cores from the
 * mapping m, and each spike's destination cores from the targets of its synapses); it must
 * outlive the accountant. soma[p]: the soma variant of population p (myl_hw_soma_index), or -1
 * for the default (and, for spike sources, the model's input soma if it has one). NULL:
 * defaults everywhere. MYL_EINVAL when m maps another number of neurons, MYL_ERANGE beyond
 * 2^24 cores, MYL_ENOMEM. */
int myl_acct_new(const myl_cnet *c, const myl_map *m, const myl_hw *hw, const int *soma,
                 myl_acct **out);
void myl_acct_free(myl_acct *a);
/* Let the accountant see the simulator's neurons (their membrane potentials, each tick after
 * the step), so that it counts updates by the chip's rule rather than the engine's; seed is the
 * one the network was compiled with (per-neuron v_rest and bias). For a chip with its own
 * integer arithmetic it reads the engine's per-neuron note of which neurons needed an update.
 * Call once, before the first tick; the simulator must outlive the accountant's use. Without
 * it, the engine's per-core counts (core_active) are used, which is right only when the network
 * was compiled on the mapping's layout (myl_map_layout). MYL_EINVAL (also when attached
 * already), MYL_ENOMEM. */
int myl_acct_attach(myl_acct *a, const myl_sim *sim, uint64_t seed);
/* Account one tick of the run. */
void myl_acct_tick(myl_acct *a, const myl_tick_report *r, myl_tick_cost *out);

/* The same on a thread of its own, which prices ticks while the simulator steps on:
 * myl_acct_push queues the tick's report (it copies what the simulator will overwrite: the
 * spikes, and the attached simulator's update notes or potentials) and myl_acct_pop returns the
 * queued ticks' costs in order, the same to the last bit as myl_acct_tick's. pop returns 0 with
 * the oldest tick's cost, 1 when it is not priced yet and wait is 0 (with wait, it waits),
 * MYL_ESTATE when nothing is queued. push returns MYL_ESTATE when the queue is full (up to 64
 * ticks; myl_acct_full says so: pop with wait first), MYL_ENOMEM. The loop of a run:
 *
 *     myl_acct_push(a, &report);
 *     while (myl_acct_pop(a, &cost, myl_acct_full(a)) == 0)
 *         ... the cost of the next tick in order ...
 *
 * and at the end myl_acct_pop(a, &cost, 1) until it returns MYL_ESTATE. On one CPU, or where no
 * thread can be made, push prices the tick itself. myl_acct_tick, the totals and the per-core
 * counts wait for the queued ticks to be priced. */
int myl_acct_push(myl_acct *a, const myl_tick_report *r);
int myl_acct_pop(myl_acct *a, myl_tick_cost *out, int wait);
int myl_acct_full(const myl_acct *a);

typedef struct myl_acct_totals {
    uint64_t ticks;
    double energy, part[MYL_E_PARTS];
    double sim_time;   /* s: sum of tick latencies (or the chip's real-time ticks) */
    double mean_power; /* W */
    double energy_per_tick;
    uint64_t synops, spikes, messages, hops, chip_hops, updates, accesses;
    /* operations the run performed whose cost the model gives as unknown: they are counted
     * at 0, and named here ("chip-to-chip hop energy (14 crossings)"), empty when none */
    char unknown[256];
} myl_acct_totals;

void myl_acct_get_totals(myl_acct *a, myl_acct_totals *t);
uint32_t myl_acct_ncores(const myl_acct *a);
/* The counts of core `core` (the cores' counts are contiguous) so far. */
const myl_core_counts *myl_acct_core(myl_acct *a, uint32_t core);

#endif
