/* Mapping files: which core each neuron goes on (docs/mapping-format.md).
 *
 *   mapping:
 *     - {population: exc, neurons: 0..511, core: 3}
 *     - {population: exc, neurons: 512..1023, core: {chip: 0, tile: 1, core: 0}}
 *     - {population: inh, core: 7}
 *
 * A core is a global index (chip-major, then tile in row-major order over the chip's mesh, then
 * the core within its tile) or its coordinates. Every neuron must be placed exactly once.
 */
#include "myelin/map.h"

#include "myelin/alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct mctx {
    yaml_document_t doc;
    const char *file;
    myl_diag *d;
} mctx;

static int mfail(mctx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int mfail(mctx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return myl_diag_fail(x->d, rc, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
    return myl_diag_fail(x->d, rc, "%s: %s", x->file, msg);
}

static yaml_node_t *mget(mctx *x, yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&x->doc, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(&x->doc, p->value);
    }
    return NULL;
}

static int muint(mctx *x, yaml_node_t *n, const char *what, uint64_t *out)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return mfail(x, n, MYL_EPARSE, "%s: expected a whole number", what);
    const char *s = (const char *)n->data.scalar.value;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno)
        return mfail(x, n, MYL_EPARSE, "%s: expected a whole number, found '%s'", what, s);
    *out = v;
    return 0;
}

static int one_entry(mctx *x, yaml_node_t *e, const myl_net *net, const myl_hw *hw,
                     uint32_t *core_of, uint8_t *placed)
{
    if (e->type != YAML_MAPPING_NODE)
        return mfail(x, e, MYL_EPARSE, "mapping: each entry is a mapping {population, core}");
    for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&x->doc, p->key);
        const char *ks = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
        if (strcmp(ks, "population") && strcmp(ks, "neurons") && strcmp(ks, "core"))
            return mfail(x, k, MYL_EPARSE,
                         "mapping: unknown key '%s' (expected population, neurons, core)", ks);
    }
    yaml_node_t *pn = mget(x, e, "population"), *nn = mget(x, e, "neurons"),
                *cn = mget(x, e, "core");
    if (!pn || pn->type != YAML_SCALAR_NODE || !cn)
        return mfail(x, e, MYL_EPARSE, "mapping: an entry needs population and core");
    const char *pname = (const char *)pn->data.scalar.value;
    uint32_t pop;
    if (myl_net_find_pop(net, pname, &pop))
        return mfail(x, pn, MYL_EPARSE, "mapping: no population named '%s'", pname);
    uint64_t size = myl_net_pop_size(net, pop), first = myl_net_pop_first(net, pop);
    uint64_t lo = 0, hi = size - 1;
    if (nn) {
        if (nn->type != YAML_SCALAR_NODE)
            return mfail(x, nn, MYL_EPARSE, "mapping: neurons: expected N or A..B");
        const char *s = (const char *)nn->data.scalar.value;
        char *end;
        lo = strtoull(s, &end, 10);
        hi = lo;
        if (end[0] == '.' && end[1] == '.')
            hi = strtoull(end + 2, &end, 10);
        if (*end || hi < lo || *s == '-')
            return mfail(x, nn, MYL_EPARSE, "mapping: neurons: expected N or A..B, found '%s'",
                         s);
        if (hi >= size)
            return mfail(x, nn, MYL_ERANGE,
                         "mapping: population '%s' has %llu neurons; %llu is out of range",
                         pname, (unsigned long long)size, (unsigned long long)hi);
    }
    const uint64_t cpt = hw->cores_per_tile ? hw->cores_per_tile : 1;
    const uint64_t W = hw->mesh_w ? hw->mesh_w : 1, H = hw->mesh_h ? hw->mesh_h : 1;
    const uint64_t per_chip = W * H * cpt;
    const uint64_t chips = (uint64_t)hw->chips_w * hw->chips_h;
    uint64_t core;
    int rc;
    if (cn->type == YAML_MAPPING_NODE) {
        uint64_t chip = 0, tile, slot;
        yaml_node_t *ch = mget(x, cn, "chip"), *ti = mget(x, cn, "tile"),
                    *co = mget(x, cn, "core");
        if (ch && (rc = muint(x, ch, "core: chip", &chip)))
            return rc;
        if ((rc = muint(x, ti, "core: tile", &tile)) || (rc = muint(x, co, "core: core", &slot)))
            return rc;
        if (tile >= W * H)
            return mfail(x, ti, MYL_ERANGE, "mapping: %s has tiles 0..%llu, not %llu", hw->name,
                         (unsigned long long)(W * H - 1), (unsigned long long)tile);
        if (slot >= cpt)
            return mfail(x, co, MYL_ERANGE, "mapping: %s has %llu cores a tile; core %llu does "
                                            "not exist",
                         hw->name, (unsigned long long)cpt, (unsigned long long)slot);
        core = chip * per_chip + tile * cpt + slot;
    } else if ((rc = muint(x, cn, "core", &core))) {
        return rc;
    }
    if (chips && core >= chips * per_chip)
        return mfail(x, cn, MYL_ERANGE, "mapping: core %llu does not exist: %s has %llu cores",
                     (unsigned long long)core, hw->name, (unsigned long long)(chips * per_chip));
    if (core > UINT32_MAX)
        return mfail(x, cn, MYL_ERANGE, "mapping: core %llu is out of range",
                     (unsigned long long)core);
    for (uint64_t i = lo; i <= hi; i++) {
        if (placed[first + i])
            return mfail(x, e, MYL_EPARSE, "mapping: neuron %llu of '%s' is placed twice",
                         (unsigned long long)i, pname);
        placed[first + i] = 1;
        core_of[first + i] = (uint32_t)core;
    }
    return 0;
}

int myl_map_read_file(const char *path, const myl_net *net, const myl_hw *hw, uint32_t **core_of,
                      myl_diag *d)
{
    *core_of = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
    mctx x = {.file = path, .d = d};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        return MYL_ENOMEM;
    }
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, &x.doc);
    int rc = 0;
    if (!ok)
        rc = myl_diag_fail(d, MYL_EPARSE, "%s:%zu:%zu: YAML syntax error: %s", path,
                           p.problem_mark.line + 1, p.problem_mark.column + 1,
                           p.problem ? p.problem : "malformed");
    yaml_parser_delete(&p);
    fclose(f);
    if (rc)
        return rc;
    uint64_t n = myl_net_nneurons(net);
    uint32_t *cores = myl_calloc(n ? n : 1, sizeof *cores);
    uint8_t *placed = myl_calloc(n ? n : 1, 1);
    yaml_node_t *root = yaml_document_get_root_node(&x.doc);
    if (!cores || !placed) {
        rc = MYL_ENOMEM;
    } else if (!root || root->type != YAML_MAPPING_NODE || !mget(&x, root, "mapping")) {
        rc = mfail(&x, root, MYL_EPARSE, "expected a top-level 'mapping:' list");
    } else {
        yaml_node_t *list = mget(&x, root, "mapping");
        if (list->type != YAML_SEQUENCE_NODE)
            rc = mfail(&x, list, MYL_EPARSE, "mapping: expected a list of entries");
        for (yaml_node_item_t *it = list->type == YAML_SEQUENCE_NODE
                                        ? list->data.sequence.items.start
                                        : NULL;
             !rc && it && it < list->data.sequence.items.top; it++)
            rc = one_entry(&x, yaml_document_get_node(&x.doc, *it), net, hw, cores, placed);
        for (uint64_t g = 0; !rc && g < n; g++)
            if (!placed[g]) {
                for (uint32_t pp = 0; pp < myl_net_npops(net); pp++) {
                    uint64_t f0 = myl_net_pop_first(net, pp);
                    if (g >= f0 && g < f0 + myl_net_pop_size(net, pp))
                        rc = myl_diag_fail(d, MYL_EPARSE,
                                           "%s: neuron %llu of population '%s' is not mapped",
                                           path, (unsigned long long)(g - f0),
                                           myl_net_pop_name(net, pp));
                }
            }
    }
    yaml_document_delete(&x.doc);
    myl_free(placed);
    if (rc) {
        myl_free(cores);
        return rc;
    }
    *core_of = cores;
    return 0;
}
