/* Network files: a network, its run settings and (later) its inputs, in one YAML file.
 * The format is documented in docs/network-format.md; this module reads it into a myl_net.
 *
 * Every error names the file, the line and column of the offending node, and what was expected.
 * Arrays may come from .npy files, named relative to the network file.
 */
#ifndef MYELIN_NETFILE_H
#define MYELIN_NETFILE_H

#include "myelin/err.h"
#include "myelin/net.h"
#include "myelin/replay.h"

#include <stddef.h>
#include <stdint.h>

typedef struct myl_netfile {
    myl_net *net;
    char *path;       /* as given ("<embedded>" for built-in text) */
    char *name;       /* the file's `name:`, else its base name without extension */
    char *description;
    char sha256[65];  /* hex digest of the file's bytes */
    int has_duration; /* run.duration was given */
    myl_binding *inputs; /* `inputs:`: streams bound to events populations */
    size_t ninputs;
    char **outputs;      /* `outputs:`: populations whose spikes --output streams */
    size_t noutputs;
    char *dir;           /* the network file's directory, for relative paths */
    /* What a SANA-FE network file (sanafe.h) carries beyond the network; NULL when absent.
     * The mapping places every neuron (global index) on a core of a tile, as the file numbers
     * them; myl_sanafe_core_of() turns it into cores of a hardware model. */
    uint32_t *map_tile; /* [nneurons] tile of each neuron */
    uint32_t *map_core; /* [nneurons] core within that tile */
    uint32_t *map_line; /* [nneurons] line of the mapping entry that placed it */
    char **soma;        /* [npops] soma unit each population is mapped with (a hardware
                         * model's soma variant, myl_hw_soma_index); NULL entries: default */
} myl_netfile;

/* Read and check a network file. MYL_EPARSE (bad content), MYL_EIO (unreadable), MYL_ENOMEM. */
int myl_netfile_load(const char *path, myl_netfile **out, myl_diag *d);
/* The same from text in memory; `name` is used in messages, `basedir` resolves .npy paths. */
int myl_netfile_parse(const char *text, size_t len, const char *name, const char *basedir,
                      myl_netfile **out, myl_diag *d);
void myl_netfile_free(myl_netfile *nf);

#endif
