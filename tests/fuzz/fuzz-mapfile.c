/* libFuzzer target for mapping files (docs/mapping-format.md): each input is written to a
 * file and read against a fixed network (two populations of 6 and 4 neurons, all-to-all) on the
 * loihi model. It must either give a core for every neuron - which the mapper then checks
 * against the chip's capacities - or fail with a message that names the file; never crash,
 * hang, over-read or leak. Corpus: tests/fuzz/corpus/mapfile. */
#include "myelin/alloc.h"
#include "myelin/hw.h"
#include "myelin/map.h"
#include "myelin/net.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static myl_net *net;
static myl_hw *hw;
static char path[64];

static void setup(void)
{
    uint32_t a, b;
    if (myl_net_new(1e-3, &net) || myl_net_add_pop(net, "exc", 6, MYL_MODEL_LIF, &a, NULL) ||
        myl_net_add_pop(net, "inh", 4, MYL_MODEL_LIF, &b, NULL))
        abort();
    myl_proj_desc p = {0};
    p.pre = a;
    p.post = b;
    p.rule = MYL_CONN_ALL_TO_ALL;
    p.weight = myl_const(1);
    p.delay = myl_const(1);
    p.delay_unit = 1;
    myl_diag d = {0};
    if (myl_net_add_proj(net, &p, NULL, NULL) || myl_hw_load("loihi", &hw, &d)) {
        fprintf(stderr, "fuzz-mapfile: setup: %s\n", d.msg);
        abort();
    }
    snprintf(path, sizeof path, "/tmp/fuzz-mapfile-%ld.yaml", (long)getpid());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!net)
        setup();
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    uint32_t *core_of = NULL;
    myl_diag d = {0};
    int rc = myl_map_read_file(path, net, hw, &core_of, &d);
    if (rc) {
        if (core_of || rc > 0 || (rc != MYL_ENOMEM && (!d.set || strstr(d.msg, path) == NULL)))
            abort();
        return 0;
    }
    if (!core_of)
        abort();
    myl_map_opts o = {.strategy = MYL_MAP_EXPLICIT, .seed = 1, .core_of = core_of};
    myl_map *m = NULL;
    myl_diag_clear(&d);
    rc = myl_map_build(net, hw, &o, &m, &d);
    if (rc == 0) {
        /* the map numbers the cores in use densely; neurons share a core there exactly when
         * the file put them together */
        const uint64_t n = myl_net_nneurons(net);
        for (uint64_t i = 0; i < n; i++) {
            if (m->core_of[i] >= m->ncores)
                abort();
            for (uint64_t j = 0; j < n; j++)
                if ((m->core_of[i] == m->core_of[j]) != (core_of[i] == core_of[j]))
                    abort();
        }
    } else if (m || rc > 0 || (rc != MYL_ENOMEM && !d.set)) {
        abort();
    }
    myl_map_free(m);
    myl_free(core_of);
    return 0;
}
