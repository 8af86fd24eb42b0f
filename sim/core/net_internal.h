/* Internal view of myl_net, shared by the files of sim/core that generate and compile it. */
#ifndef MYL_NET_INTERNAL_H
#define MYL_NET_INTERNAL_H

#include "myelin/net.h"

typedef struct myl__pop {
    char *name;
    uint32_t size;
    uint64_t first;
    myl_model model;
    myl_values param[MYL_P_COUNT];
    int param_set[MYL_P_COUNT];
    myl_reset reset;
    int strict;
    int record_v;
    /* spike_times: sorted by (tick, neuron) */
    size_t ntimes;
    uint32_t *t_neuron;
    uint64_t *t_tick;
} myl__pop;

typedef struct myl__proj {
    myl_proj_desc d; /* arrays and name owned */
} myl__proj;

struct myl_net {
    double dt;
    uint64_t ticks;
    uint64_t seed;
    myl__pop *pops;
    uint32_t npops, cappops;
    myl__proj *projs;
    uint32_t nprojs, capprojs;
    uint64_t nneurons;
};

/* Default value of parameter p for model m (NAN for v_init: "use v_rest"). */
double myl__param_default(myl_model m, myl_param p);

#endif
