/* The dense baseline (see dense.h). Every figure is from Horowitz, "Computing's energy
 * problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V; the same table is in
 * shared/reference/hardware.md. */
#include "myelin/dense.h"

#include <math.h>

#define E_FADD32 0.9e-12  /* 32-bit float add (M, Horowitz 2014) */
#define E_FMUL32 3.7e-12  /* 32-bit float multiply (M, Horowitz 2014) */
#define E_SRAM8K 5e-12    /* 32-bit read, 8 KiB SRAM (M, Horowitz 2014) */
#define E_SRAM32K 10e-12  /* 32-bit read, 32 KiB SRAM (M, Horowitz 2014) */
#define E_SRAM1M 50e-12   /* 32-bit read, 1 MiB SRAM (M, Horowitz 2014) */
#define E_DRAM 640e-12    /* 32-bit read, DRAM (M, Horowitz 2014) */

/* A 32-bit read from a memory holding `bytes`: the smallest of Horowitz's memories that holds
 * them, interpolated on a log scale between 8 KiB, 32 KiB and 1 MiB; DRAM beyond. */
static double fetch(double bytes, const char **what)
{
    if (bytes <= 8192) {
        *what = "8 KiB SRAM";
        return E_SRAM8K;
    }
    if (bytes <= 32768) {
        *what = "32 KiB SRAM";
        return E_SRAM8K + (E_SRAM32K - E_SRAM8K) * log2(bytes / 8192) / 2;
    }
    if (bytes <= 1048576) {
        *what = "1 MiB SRAM";
        return E_SRAM32K + (E_SRAM1M - E_SRAM32K) * log2(bytes / 32768) / 5;
    }
    *what = "DRAM";
    return E_DRAM;
}

void myl_dense_cost_get(uint64_t synapses, uint64_t neurons, uint64_t ticks, uint64_t events,
                        myl_dense_cost *out)
{
    out->macs = synapses * ticks;
    out->updates = neurons * ticks;
    out->acs = events;
    out->weight_fetch = fetch(4.0 * (double)synapses, &out->memory);
    out->e_mac = E_FMUL32 + E_FADD32 + out->weight_fetch;
    out->e_ac = E_FADD32 + out->weight_fetch;
    /* a LIF update: the decay (a multiply and two adds), the threshold compare (an add), and
     * the state read and written back from the neuron memory */
    const char *nm;
    double state = fetch(4.0 * (double)neurons, &nm);
    out->e_update = E_FMUL32 + 3 * E_FADD32 + 2 * state;
    out->energy_dense = (double)out->macs * out->e_mac + (double)out->updates * out->e_update;
    out->energy_event = (double)out->acs * out->e_ac + (double)out->updates * out->e_update;
}
