/* The dense baseline: what the same network costs evaluated densely on a conventional
 * accelerator, as NeuroBench (Yik et al. 2024) counts it - every synapse every step is a
 * multiply-accumulate (MAC), every neuron every step an update - priced with the 45 nm figures
 * of Horowitz, "Computing's energy problem", ISSCC 2014 (docs/energy.md). Beside it, the
 * event-driven count of the same run: synaptic events as accumulates (ACs). */
#ifndef MYELIN_DENSE_H
#define MYELIN_DENSE_H

#include <stdint.h>

typedef struct myl_dense_cost {
    uint64_t macs;          /* dense: synapses x ticks */
    uint64_t updates;       /* dense: neurons x ticks */
    uint64_t acs;           /* event-driven: synaptic events */
    double e_mac;           /* J per MAC: fp32 multiply + add + weight fetch */
    double e_update;        /* J per neuron update */
    double e_ac;            /* J per AC: fp32 add + weight fetch */
    double energy_dense;    /* J: macs * e_mac + updates * e_update */
    double energy_event;    /* J: acs * e_ac + updates * e_update (event-driven on the same
                             * accelerator, neurons still updated every step) */
    double weight_fetch;    /* J per 32-bit weight read, by the size of the weight memory */
    const char *memory;     /* "8 KiB SRAM", "1 MiB SRAM", "DRAM" */
} myl_dense_cost;

/* Figures for a network of `synapses` float weights and `neurons` neurons run for `ticks`,
 * with `events` synaptic events. */
void myl_dense_cost_get(uint64_t synapses, uint64_t neurons, uint64_t ticks, uint64_t events,
                        myl_dense_cost *out);

#endif
