/* Running a compiled network, one tick at a time, with either engine.
 *
 * event: per tick, only the work spikes cause. The scheduler hands out the spike messages due
 *   now; each names a synapse row, whose weights are added into the targets' delay rings at slot
 *   (emission tick + delay); neurons are updated only if they have input or are not at a fixed
 *   point of their no-input dynamics; each spike becomes one message per row of its source,
 *   pushed back into the scheduler.
 * dense: the clock-driven reference, as a GPU framework runs it: every neuron every tick, and
 *   every synapse every tick, checking whether its source spiked `delay` ticks ago in a spike
 *   history ring.
 * Both use the same neuron kernels, the same exact (integer) input sums and the same keyed
 * random draws, so they produce the same spikes bit for bit. Timing rule: a spike emitted at
 * tick t through a synapse of delay d is part of the target's input at tick t + d.
 */
#ifndef MYELIN_SIM_H
#define MYELIN_SIM_H

#include "myelin/cnet.h"

#include <stddef.h>
#include <stdint.h>

typedef enum myl_engine { MYL_ENGINE_EVENT, MYL_ENGINE_DENSE } myl_engine;

const char *myl_engine_name(myl_engine e);
int myl_engine_from_name(const char *name, myl_engine *e);

/* What one tick did. Arrays belong to the simulator and are valid until the next step. */
typedef struct myl_tick_report {
    uint64_t tick;
    uint32_t nspiking;       /* neurons that spiked */
    const uint32_t *spike;   /* their global indices, ascending */
    const uint16_t *count;   /* spikes each (1 for neurons; a source may emit several) */
    uint64_t spikes;         /* sum of count */
    uint64_t syn_events;     /* synapses reached by this tick's spikes (fan-out times count);
                              * the same in both engines; some arrive in later ticks */
    uint64_t syn_evals;      /* synapses looked at this tick: event, the rows walked;
                              * dense, every synapse */
    uint64_t input_events;   /* Poisson input events of neurons (input_rate) */
    uint64_t updates;        /* neuron updates done */
    uint64_t active;         /* neurons with input or not at rest (what needed an update) */
    uint32_t ncores;         /* per-core figures of this tick, indexed like the layout */
    const uint64_t *core_active; /* neurons of each core with input or not at rest */
    uint32_t nv;             /* recorded membrane potentials */
    const uint32_t *v_gid;
    const float *v;
} myl_tick_report;

typedef struct myl_sim myl_sim;

int myl_sim_new(const myl_cnet *c, myl_engine engine, myl_sim **out);
void myl_sim_free(myl_sim *s);
/* Advance one tick and describe it. MYL_ENOMEM if a message could not be queued (the run
 * cannot continue). */
int myl_sim_step(myl_sim *s, myl_tick_report *r);
uint64_t myl_sim_now(const myl_sim *s);
myl_engine myl_sim_engine(const myl_sim *s);
/* Bytes of engine state (neuron state, rings or history, queues, dense synapse copy). */
size_t myl_sim_memory(const myl_sim *s);
/* Spikes of a neuron of an `events` population (one fed by an event stream) in the next tick:
 * call before myl_sim_step; counts for the same neuron add up. MYL_EINVAL if gid is not in an
 * events population, MYL_ERANGE (and nothing injected) if its count for the tick would pass
 * 65535. */
int myl_sim_inject(myl_sim *s, uint32_t gid, uint32_t count);

/* Membrane potential of neuron gid now (NAN for sources). */
float myl_sim_v(const myl_sim *s, uint32_t gid);
/* Where neuron gid's float membrane potential lives, valid for the simulator's lifetime and
 * updated in place by every step: for reading it each tick without a lookup. NULL for sources,
 * for neurons on chip arithmetic (integer state) and for a gid out of range. */
const float *myl_sim_v_addr(const myl_sim *s, uint32_t gid);
/* For a neuron on chip arithmetic: where the simulator notes, each step, whether the neuron
 * needed an update (it had input, or its state was not at a fixed point): nonzero if so. Valid
 * for the simulator's lifetime; NULL for other neurons and a gid out of range. */
const int32_t *myl_sim_busy_addr(const myl_sim *s, uint32_t gid);
/* Spikes of each neuron (indexed globally) since the simulator was made. */
const uint64_t *myl_sim_spike_counts(const myl_sim *s);

#endif
