/* libFuzzer target for the network-file reader: any input must either be read - and then be
 * compiled, or refused by the compiler with a message - or fail with a code and a message that
 * names the input; never crash, hang, over-read or leak. The compiler gets 64 MiB, so inputs
 * that describe huge networks are refused from the size estimate instead of being built.
 * Array files named by the input resolve against tests/data/net, so the .npy fixtures there are
 * reachable ($MYL_SOURCE_ROOT overrides the source root compiled in). Corpus:
 * tests/fuzz/corpus/netfile (the repository's networks, the test fixtures, broken files).
 *
 * Every allocation myelin makes goes through an allocator that refuses single requests over
 * 256 MiB: the compiler builds its default layout (4 bytes per neuron) before it checks the
 * memory limit, so a file with 2^32 - 1 neurons would otherwise take 17 GB and stop the fuzzer
 * on out-of-memory (tests/data/net/crash-layout-before-limit.yaml). Refused requests must come
 * back as MYL_ENOMEM, cleanly, which exercises those paths too. */
#include "myelin/alloc.h"
#include "myelin/cnet.h"
#include "myelin/netfile.h"
#include "myl_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUEST ((size_t)256 << 20)

static void *capped_malloc(size_t n)
{
    return n > MAX_REQUEST ? NULL : malloc(n);
}

static void *capped_realloc(void *p, size_t n)
{
    return n > MAX_REQUEST ? NULL : realloc(p, n);
}

static const char *basedir(void)
{
    static char dir[4096];
    if (!dir[0]) {
        const char *root = getenv("MYL_SOURCE_ROOT");
        snprintf(dir, sizeof dir, "%s/tests/data/net", root ? root : MYL_SOURCE_ROOT);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        myl_alloc_set(capped_malloc, capped_realloc, free);
        init = 1;
    }
    myl_netfile *nf = NULL;
    myl_diag d = {0};
    int rc = myl_netfile_parse((const char *)data, size, "fuzz.yaml", basedir(), &nf, &d);
    if (rc) {
        /* refused: no network, and a message that names the input */
        if (nf || rc > 0 || (rc != MYL_ENOMEM && (!d.set || strncmp(d.msg, "fuzz.yaml", 9) != 0)))
            abort();
        return 0;
    }
    if (!nf || !nf->net || !nf->path || !nf->name || strlen(nf->sha256) != 64)
        abort();
    myl_compile_opts o = {.seed = myl_net_seed(nf->net), .mem_limit = 64ull << 20};
    myl_cnet *c = NULL;
    myl_diag_clear(&d);
    rc = myl_net_compile(nf->net, NULL, &o, &c, &d);
    if (rc == 0) {
        myl_cnet_info info;
        myl_cnet_info_get(c, &info);
        if (!c || info.nneurons != myl_net_nneurons(nf->net))
            abort();
    } else if (c || rc > 0 || (rc != MYL_ENOMEM && !d.set)) {
        abort();
    }
    myl_cnet_free(c);
    myl_netfile_free(nf);
    return 0;
}
