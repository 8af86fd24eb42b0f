/* Operation counts and their cost on a hardware model: the figures the energy accountant
 * (energy.h) produces and the results database (db.h) stores. Plain data. */
#ifndef MYELIN_COUNTS_H
#define MYELIN_COUNTS_H

#include <stdint.h>

enum {
    MYL_E_SYNAPSE, /* synaptic operations */
    MYL_E_NEURON,  /* soma access and update, dendrite */
    MYL_E_SPIKE,   /* spike generation */
    MYL_E_NETWORK, /* messages in and out, hops, chip links */
    MYL_E_STATIC,  /* static power over the simulated time */
    MYL_E_PARTS
};

typedef struct myl_core_counts {
    uint64_t access, update, spike, synop, msg_in, msg_out;
    uint64_t hop_n, hop_e, hop_s, hop_w, chip;
    double energy;  /* J, dynamic */
    double busy;    /* s: sum over ticks of this core's work */
} myl_core_counts;

typedef struct myl_tick_cost {
    double energy;               /* J, this tick, static included */
    double part[MYL_E_PARTS];
    double latency;              /* s */
    double core_latency, net_latency, sync_latency;
    uint32_t slowest_core;
} myl_tick_cost;

/* "synapse", "neuron", "spike", "network", "static" */
static inline const char *myl_energy_part_name(int part)
{
    static const char *const n[MYL_E_PARTS] = {"synapse", "neuron", "spike", "network",
                                                "static"};
    return part >= 0 && part < MYL_E_PARTS ? n[part] : "?";
}

#endif
