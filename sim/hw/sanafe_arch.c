/* SANA-FE architecture files (Boyle et al., IEEE TCAD 2025; github SLAM-Lab/SANA-FE) read into
 * a myl_hw, so that the calibrated files people already have can be used as they are.
 *
 * A SANA-FE file describes one chip: `architecture` (mesh width and height, tick
 * synchronisation) -> `tile[]` (one router each, hop costs per direction) -> `core[]`
 * (max_neurons_supported) -> units axon_in, synapse, dendrite, soma, axon_out with their
 * energy_* / latency_* attributes. `name: x[a..b]` makes b-a+1 copies. myelin's model is
 * homogeneous (every tile alike, every core alike), so the reader counts copies - tiles must
 * fill width x height, cores per tile come from the core entries - and requires repeated
 * entries to agree; a file that mixes different tiles or cores is refused rather than averaged.
 *
 * What is kept: every cost, as a figure marked 'C' whose source names the file. Synapse and soma
 * units become named variants (a range such as loihi_inputs[0..1023] is one variant named
 * loihi_inputs, which myl_hw_soma_index also finds as "loihi_inputs[5]"); soma `model: input`
 * marks a spike-source soma. The first axon_in, dendrite and axon_out unit is used.
 *
 * What is not: attributes myelin does not model (link_buffer_size, buffer_position, neuron
 * parameters, log_* switches, plugins, unit models other than the plain ones) load with a line
 * in the model's warnings, which `myelin hw show` prints; an energy_* or latency_* attribute
 * this reader does not know is an error, because ignoring a cost would silently under-count. A
 * cost attribute that is absent is taken as 0, as SANA-FE does, marked 'D' and warned about.
 */
#include "hw_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sx {
    myl__yx *x;
    const char *src;   /* "SANA-FE architecture file loihi.yaml" (pooled) */
    const char *deflt; /* source of a cost taken as 0 because it was absent (pooled) */
} sx;

/* One core's costs as read, before they are copied into the model (or compared with it). */
typedef struct core_costs {
    myl_op msg_in, dendrite, msg_out;
    myl_synapse_cost synapse[MYL_HW_MAX_VARIANTS];
    uint32_t nsynapse;
    myl_soma_cost soma[MYL_HW_MAX_VARIANTS];
    uint32_t nsoma;
    myl_fig max_neurons;
} core_costs;

typedef struct tile_costs {
    myl_op hop[4]; /* n, e, s, w */
} tile_costs;

static const char *const dir_names[4] = {"north", "east", "south", "west"};

static int warn_at(sx *s, const yaml_node_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int warn_at(sx *s, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file = strrchr(s->x->file, '/');
    file = file ? file + 1 : s->x->file;
    if (n)
        return myl__hw_warn(s->x->h, "%s:%zu:%zu: %s", file, n->start_mark.line + 1,
                            n->start_mark.column + 1, msg);
    return myl__hw_warn(s->x->h, "%s: %s", file, msg);
}

/* "x[a..b]": the base name "x" and the number of copies b-a+1; "x" alone is one copy. */
static int name_range(sx *s, yaml_node_t *n, const char *what, char *base, size_t size,
                      long long *copies)
{
    int rc = myl__yx_want(s->x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *v = myl__yx_str(n);
    const char *br = strchr(v, '[');
    if (!*v || br == v)
        return myl__yx_fail(s->x, n, MYL_EPARSE, "%s: name '%s' is empty before the range", what,
                            v);
    if (!br || !strstr(br, "..")) {
        snprintf(base, size, "%s", v);
        *copies = 1;
        return 0;
    }
    snprintf(base, size, "%.*s", (int)(br - v), v);
    const char *p = br + 1;
    char *end;
    if (*p < '0' || *p > '9')
        goto bad;
    long long a = strtoll(p, &end, 10);
    if (end[0] != '.' || end[1] != '.' || end[2] < '0' || end[2] > '9')
        goto bad;
    long long b = strtoll(end + 2, &end, 10);
    if (end[0] != ']' || end[1] != 0)
        goto bad;
    if (a > b)
        return myl__yx_fail(s->x, n, MYL_EPARSE,
                            "%s: range in '%s' is empty: %lld is above %lld (write "
                            "name[first..last])",
                            what, v, a, b);
    if (b - a >= 1000000)
        return myl__yx_fail(s->x, n, MYL_EPARSE,
                            "%s: range in '%s' makes more than 1000000 "
                            "copies",
                            what, v);
    *copies = b - a + 1;
    return 0;
bad:
    return myl__yx_fail(s->x, n, MYL_EPARSE,
                        "%s: bad range in '%s'; expected name[first..last] with whole numbers, "
                        "e.g. core[0..3]",
                        what, v);
}

/* A cost attribute: plain number >= 0, in SI units. Absent: 0, marked D and warned about. */
static int cost(sx *s, yaml_node_t *attrs, const char *key, const char *where, myl_fig *f)
{
    yaml_node_t *n = myl__yx_get(s->x, attrs, key);
    char what[512];
    snprintf(what, sizeof what, "%.300s: %.100s", where, key);
    if (!n) {
        f->v = 0;
        f->mark = 'D';
        f->source = s->deflt;
        return warn_at(s, attrs, "%s is not given: taken as 0, as SANA-FE does", what);
    }
    double v;
    int rc = myl__yx_number(s->x, n, what, &v);
    if (rc)
        return rc;
    if (v < 0)
        return myl__yx_fail(s->x, n, MYL_EPARSE, "%s: %s is negative; a cost is >= 0", what,
                            myl__yx_str(n));
    f->v = v;
    f->mark = 'C';
    f->source = s->src;
    return 0;
}

static int op2(sx *s, yaml_node_t *attrs, const char *ekey, const char *lkey, const char *where,
               myl_op *op)
{
    int rc = cost(s, attrs, ekey, where, &op->energy);
    return rc ? rc : cost(s, attrs, lkey, where, &op->latency);
}

/* Check the keys of an attributes mapping: those in `known` are used; an unknown energy_* or
 * latency_* is an error; anything else is warned about and ignored. */
static int attrs_check(sx *s, yaml_node_t *attrs, const char *const *known, const char *where)
{
    int rc = myl__yx_keys(s->x, attrs, NULL, where);
    if (rc)
        return rc;
    for (yaml_node_pair_t *p = attrs->data.mapping.pairs.start; p < attrs->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = myl__yx_node(s->x, p->key), *v = myl__yx_node(s->x, p->value);
        const char *key = myl__yx_str(k);
        const char *const *a = known;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (*a)
            continue;
        if (strncmp(key, "energy_", 7) == 0 || strncmp(key, "latency_", 8) == 0) {
            char list[300] = "";
            size_t len = 0;
            for (a = known; *a && len < sizeof list; a++)
                if (strncmp(*a, "energy_", 7) == 0 || strncmp(*a, "latency_", 8) == 0)
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                            *a);
            return myl__yx_fail(s->x, k, MYL_EPARSE,
                                "%s: unknown cost '%s': myelin would ignore it and under-count "
                                "(costs here: %s)",
                                where, key, len ? list : "none");
        }
        if ((rc = warn_at(s, k, "%s: %s%s%s: not modelled by myelin (ignored)", where, key,
                          v->type == YAML_SCALAR_NODE ? " = " : "",
                          v->type == YAML_SCALAR_NODE ? myl__yx_str(v) : "")))
            return rc;
    }
    return 0;
}

/* Keys of a structural mapping (architecture, tile, core, unit): `known` are read; others are
 * warned about. */
static int struct_check(sx *s, yaml_node_t *m, const char *const *known, const char *where)
{
    int rc = myl__yx_keys(s->x, m, NULL, where);
    if (rc)
        return rc;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = myl__yx_node(s->x, p->key);
        const char *const *a = known;
        while (*a && strcmp(*a, myl__yx_str(k)) != 0)
            a++;
        if (!*a && (rc = warn_at(s, k, "%s: section '%s' is not read by myelin (ignored)", where,
                                 myl__yx_str(k))))
            return rc;
    }
    return 0;
}

/* Items of a section that may be one mapping or a list of them. */
static int items_of(sx *s, yaml_node_t *n, const char *what, yaml_node_t **one,
                    yaml_node_item_t **items, size_t *count)
{
    if (n->type == YAML_MAPPING_NODE) {
        *one = n;
        *items = NULL;
        *count = 1;
        return 0;
    }
    int rc = myl__yx_want(s->x, n, YAML_SEQUENCE_NODE, what);
    if (rc)
        return rc;
    *one = NULL;
    *items = n->data.sequence.items.start;
    *count = (size_t)(n->data.sequence.items.top - *items);
    if (!*count)
        return myl__yx_fail(s->x, n, MYL_EPARSE, "%s: the list is empty", what);
    return 0;
}

static yaml_node_t *item(sx *s, yaml_node_t *one, yaml_node_item_t *items, size_t i)
{
    return one ? one : myl__yx_node(s->x, items[i]);
}

/* A unit entry: {name, attributes}; returns its attributes mapping and base name. */
static int unit_entry(sx *s, yaml_node_t *u, const char *what, char *base, size_t size,
                      yaml_node_t **attrs)
{
    static const char *const keys[] = {"name", "attributes", NULL};
    int rc = myl__yx_want(s->x, u, YAML_MAPPING_NODE, what);
    if (rc || (rc = struct_check(s, u, keys, what)))
        return rc;
    yaml_node_t *nn = myl__yx_get(s->x, u, "name");
    if (!nn)
        return myl__yx_fail(s->x, u, MYL_EPARSE, "%s: 'name' is missing", what);
    long long copies;
    if ((rc = name_range(s, nn, what, base, size, &copies)))
        return rc;
    *attrs = myl__yx_get(s->x, u, "attributes");
    if (!*attrs)
        return myl__yx_fail(s->x, u, MYL_EPARSE, "%s '%s': 'attributes' is missing", what, base);
    char w[512];
    snprintf(w, sizeof w, "%.300s '%.100s': attributes", what, base);
    return myl__yx_want(s->x, *attrs, YAML_MAPPING_NODE, w);
}

/* The unit's `model`, if any; warns about models that are not the plain ones. */
static int unit_model(sx *s, yaml_node_t *attrs, const char *where, const char *const *plain,
                      const char **model)
{
    yaml_node_t *m = myl__yx_get(s->x, attrs, "model");
    *model = NULL;
    if (!m)
        return 0;
    char what[512];
    snprintf(what, sizeof what, "%.300s: model", where);
    int rc = myl__yx_want(s->x, m, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    *model = myl__yx_str(m);
    for (const char *const *p = plain; *p; p++)
        if (strcmp(*p, *model) == 0)
            return 0;
    return warn_at(s, m,
                   "%s = %s: not modelled by myelin; the costs are used with myelin's own "
                   "model",
                   what, *model);
}

static int ops_equal(const myl_op *a, const myl_op *b)
{
    return a->energy.v == b->energy.v && a->latency.v == b->latency.v;
}

/* A section whose first unit is used (axon_in, dendrite, axon_out). */
static int single_unit(sx *s, yaml_node_t *core, const char *section, const char *ekey,
                       const char *lkey, const char *const *plain, const char *where, myl_op *op)
{
    char what[512];
    snprintf(what, sizeof what, "%.300s: %.100s", where, section);
    yaml_node_t *sec = myl__yx_get(s->x, core, section);
    if (!sec)
        return myl__yx_fail(s->x, core, MYL_EPARSE, "%s: '%s' is missing (SANA-FE needs it too)",
                            where, section);
    yaml_node_t *one;
    yaml_node_item_t *items;
    size_t n;
    int rc = items_of(s, sec, what, &one, &items, &n);
    if (rc)
        return rc;
    const char *const keys[] = {ekey, lkey, "model", NULL};
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *u = item(s, one, items, i), *attrs;
        char base[128], w[512];
        if ((rc = unit_entry(s, u, what, base, sizeof base, &attrs)))
            return rc;
        snprintf(w, sizeof w, "%.300s '%.100s'", what, base);
        const char *model;
        if ((rc = attrs_check(s, attrs, keys, w)) ||
            (plain && (rc = unit_model(s, attrs, w, plain, &model))))
            return rc;
        myl_op o;
        if ((rc = op2(s, attrs, ekey, lkey, w, &o)))
            return rc;
        if (i == 0)
            *op = o;
        else if (!ops_equal(&o, op) &&
                 (rc = warn_at(s, u, "%s: only the first unit's costs are used; '%s' differs", what,
                               base)))
            return rc;
    }
    return 0;
}

static int read_core(sx *s, yaml_node_t *core, const char *where, core_costs *cc)
{
    static const char *const core_keys[] = {"name",     "attributes", "axon_in",  "synapse",
                                            "dendrite", "soma",       "axon_out", NULL};
    static const char *const core_attrs[] = {"max_neurons_supported", NULL};
    static const char *const syn_keys[] = {"energy_process_spike", "latency_process_spike", "model",
                                           NULL};
    static const char *const soma_keys[] = {"energy_access_neuron",
                                            "latency_access_neuron",
                                            "energy_update_neuron",
                                            "latency_update_neuron",
                                            "energy_spike_out",
                                            "latency_spike_out",
                                            "model",
                                            NULL};
    static const char *const plain_syn[] = {"current_based", NULL};
    static const char *const plain_dend[] = {"accumulator", NULL};
    static const char *const plain_soma[] = {"leaky_integrate_fire", "input", NULL};
    int rc = struct_check(s, core, core_keys, where);
    if (rc)
        return rc;
    memset(cc, 0, sizeof *cc);
    char what[512], w[512], base[128];

    yaml_node_t *attrs = myl__yx_get(s->x, core, "attributes");
    if (attrs) {
        snprintf(what, sizeof what, "%.300s: attributes", where);
        if ((rc = myl__yx_want(s->x, attrs, YAML_MAPPING_NODE, what)) ||
            (rc = attrs_check(s, attrs, core_attrs, what)))
            return rc;
        yaml_node_t *mn = myl__yx_get(s->x, attrs, "max_neurons_supported");
        if (mn) {
            long long v;
            snprintf(w, sizeof w, "%.300s: max_neurons_supported", what);
            if ((rc = myl__yx_whole(s->x, mn, w, 1, UINT32_MAX, &v)))
                return rc;
            cc->max_neurons.v = (double)v;
            cc->max_neurons.mark = 'C';
            cc->max_neurons.source = s->src;
        }
    }
    if ((rc = single_unit(s, core, "axon_in", "energy_message_in", "latency_message_in", NULL,
                          where, &cc->msg_in)) ||
        (rc = single_unit(s, core, "dendrite", "energy_update", "latency_update", plain_dend, where,
                          &cc->dendrite)) ||
        (rc = single_unit(s, core, "axon_out", "energy_message_out", "latency_message_out", NULL,
                          where, &cc->msg_out)))
        return rc;

    /* synapse variants */
    snprintf(what, sizeof what, "%.300s: synapse", where);
    yaml_node_t *sec = myl__yx_get(s->x, core, "synapse"), *one;
    yaml_node_item_t *items;
    size_t n;
    if (!sec)
        return myl__yx_fail(s->x, core, MYL_EPARSE, "%s: 'synapse' is missing", where);
    if ((rc = items_of(s, sec, what, &one, &items, &n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *u = item(s, one, items, i);
        if ((rc = unit_entry(s, u, what, base, sizeof base, &attrs)))
            return rc;
        snprintf(w, sizeof w, "%.300s '%.100s'", what, base);
        const char *model;
        if ((rc = attrs_check(s, attrs, syn_keys, w)) ||
            (rc = unit_model(s, attrs, w, plain_syn, &model)))
            return rc;
        for (uint32_t j = 0; j < cc->nsynapse; j++)
            if (strcmp(cc->synapse[j].name, base) == 0)
                return myl__yx_fail(s->x, myl__yx_get(s->x, u, "name"), MYL_EPARSE,
                                    "%s: a synapse unit named '%s' is already defined", what, base);
        if (cc->nsynapse == MYL_HW_MAX_VARIANTS)
            return myl__yx_fail(s->x, u, MYL_EPARSE, "%s: more than %d synapse units", what,
                                MYL_HW_MAX_VARIANTS);
        myl_synapse_cost *sc = &cc->synapse[cc->nsynapse];
        if (!(sc->name = (char *)myl__hw_str(s->x->h, base)))
            return MYL_ENOMEM;
        if ((rc = op2(s, attrs, "energy_process_spike", "latency_process_spike", w, &sc->spike)))
            return rc;
        cc->nsynapse++;
    }

    /* soma variants */
    snprintf(what, sizeof what, "%.300s: soma", where);
    if (!(sec = myl__yx_get(s->x, core, "soma")))
        return myl__yx_fail(s->x, core, MYL_EPARSE, "%s: 'soma' is missing", where);
    if ((rc = items_of(s, sec, what, &one, &items, &n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *u = item(s, one, items, i);
        if ((rc = unit_entry(s, u, what, base, sizeof base, &attrs)))
            return rc;
        snprintf(w, sizeof w, "%.300s '%.100s'", what, base);
        const char *model;
        if ((rc = attrs_check(s, attrs, soma_keys, w)) ||
            (rc = unit_model(s, attrs, w, plain_soma, &model)))
            return rc;
        for (uint32_t j = 0; j < cc->nsoma; j++)
            if (strcmp(cc->soma[j].name, base) == 0)
                return myl__yx_fail(s->x, myl__yx_get(s->x, u, "name"), MYL_EPARSE,
                                    "%s: a soma unit named '%s' is already defined", what, base);
        if (cc->nsoma == MYL_HW_MAX_VARIANTS)
            return myl__yx_fail(s->x, u, MYL_EPARSE, "%s: more than %d soma units", what,
                                MYL_HW_MAX_VARIANTS);
        myl_soma_cost *sc = &cc->soma[cc->nsoma];
        if (!(sc->name = (char *)myl__hw_str(s->x->h, base)))
            return MYL_ENOMEM;
        sc->input = model && strcmp(model, "input") == 0;
        if ((rc = op2(s, attrs, "energy_access_neuron", "latency_access_neuron", w, &sc->access)) ||
            (rc = op2(s, attrs, "energy_update_neuron", "latency_update_neuron", w, &sc->update)) ||
            (rc = op2(s, attrs, "energy_spike_out", "latency_spike_out", w, &sc->spike)))
            return rc;
        cc->nsoma++;
    }
    return 0;
}

/* Do two cores agree on everything myelin keeps? */
static const char *core_diff(const core_costs *a, const core_costs *b)
{
    if (a->max_neurons.v != b->max_neurons.v)
        return "max_neurons_supported";
    if (!ops_equal(&a->msg_in, &b->msg_in))
        return "axon_in costs";
    if (!ops_equal(&a->dendrite, &b->dendrite))
        return "dendrite costs";
    if (!ops_equal(&a->msg_out, &b->msg_out))
        return "axon_out costs";
    if (a->nsynapse != b->nsynapse || a->nsoma != b->nsoma)
        return "the number of synapse or soma units";
    for (uint32_t i = 0; i < a->nsynapse; i++)
        if (strcmp(a->synapse[i].name, b->synapse[i].name) != 0 ||
            !ops_equal(&a->synapse[i].spike, &b->synapse[i].spike))
            return "synapse units";
    for (uint32_t i = 0; i < a->nsoma; i++)
        if (strcmp(a->soma[i].name, b->soma[i].name) != 0 || a->soma[i].input != b->soma[i].input ||
            !ops_equal(&a->soma[i].access, &b->soma[i].access) ||
            !ops_equal(&a->soma[i].update, &b->soma[i].update) ||
            !ops_equal(&a->soma[i].spike, &b->soma[i].spike))
            return "soma units";
    return NULL;
}

/* One tile entry: its hop costs and its cores; *ncores is the number of cores per tile. */
static int read_tile(sx *s, yaml_node_t *t, const char *where, const tile_costs *first_tile,
                     tile_costs *tc, core_costs *first, int *have_first, long long *ncores)
{
    static const char *const tile_keys[] = {"name", "attributes", "core", NULL};
    static const char *const hop_keys[] = {
        "energy_north_hop", "latency_north_hop", "energy_east_hop",
        "latency_east_hop", "energy_south_hop",  "latency_south_hop",
        "energy_west_hop",  "latency_west_hop",  NULL};
    int rc = struct_check(s, t, tile_keys, where);
    if (rc)
        return rc;
    char what[512], ek[40], lk[40];
    yaml_node_t *attrs = myl__yx_get(s->x, t, "attributes");
    if (!attrs)
        return myl__yx_fail(s->x, t, MYL_EPARSE, "%s: 'attributes' (hop costs) is missing", where);
    snprintf(what, sizeof what, "%.300s: attributes", where);
    if ((rc = myl__yx_want(s->x, attrs, YAML_MAPPING_NODE, what)) ||
        (rc = attrs_check(s, attrs, hop_keys, what)))
        return rc;
    for (int d = 0; d < 4; d++) {
        snprintf(ek, sizeof ek, "energy_%s_hop", dir_names[d]);
        snprintf(lk, sizeof lk, "latency_%s_hop", dir_names[d]);
        if ((rc = op2(s, attrs, ek, lk, what, &tc->hop[d])))
            return rc;
        if (first_tile && !ops_equal(&tc->hop[d], &first_tile->hop[d]))
            return myl__yx_fail(s->x, t, MYL_EPARSE,
                                "%s: its %s hop costs differ from the first tile's; myelin "
                                "models chips whose tiles are all alike",
                                where, dir_names[d]);
    }
    yaml_node_t *cores = myl__yx_get(s->x, t, "core"), *one;
    if (!cores)
        return myl__yx_fail(s->x, t, MYL_EPARSE, "%s: 'core' is missing", where);
    yaml_node_item_t *items;
    size_t n;
    snprintf(what, sizeof what, "%.300s: core", where);
    if ((rc = items_of(s, cores, what, &one, &items, &n)))
        return rc;
    *ncores = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *c = item(s, one, items, i);
        if ((rc = myl__yx_want(s->x, c, YAML_MAPPING_NODE, what)))
            return rc;
        yaml_node_t *nn = myl__yx_get(s->x, c, "name");
        if (!nn)
            return myl__yx_fail(s->x, c, MYL_EPARSE, "%s: 'name' is missing", what);
        char base[128], w[512];
        long long copies;
        if ((rc = name_range(s, nn, what, base, sizeof base, &copies)))
            return rc;
        *ncores += copies;
        snprintf(w, sizeof w, "%.300s '%.100s'", what, base);
        core_costs cc;
        if ((rc = read_core(s, c, w, &cc)))
            return rc;
        if (!*have_first) {
            *first = cc;
            *have_first = 1;
        } else {
            const char *diff = core_diff(first, &cc);
            if (diff)
                return myl__yx_fail(s->x, c, MYL_EPARSE,
                                    "%s: differs from the first core in %s; myelin models chips "
                                    "whose cores are all alike",
                                    w, diff);
        }
    }
    return 0;
}

static int read_sync(sx *s, yaml_node_t *attrs)
{
    myl_hw *hw = &s->x->h->pub;
    yaml_node_t *model = myl__yx_get(s->x, attrs, "sync_model");
    yaml_node_t *lat = myl__yx_get(s->x, attrs, "latency_sync");
    int rc, table;
    if (model) {
        if ((rc = myl__yx_want(s->x, model, YAML_SCALAR_NODE, "architecture: sync_model")))
            return rc;
        const char *m = myl__yx_str(model);
        if (strcmp(m, "fixed") == 0)
            table = 0;
        else if (strcmp(m, "table") == 0)
            table = 1;
        else
            return myl__yx_fail(s->x, model, MYL_EPARSE,
                                "architecture: sync_model '%s' (expected fixed or table)", m);
    } else {
        table = lat && lat->type == YAML_MAPPING_NODE;
    }
    if (!lat) {
        if (table)
            return myl__yx_fail(s->x, model, MYL_EPARSE,
                                "architecture: sync_model table needs latency_sync {tiles: "
                                "seconds, ...}");
        hw->sync.v = 0;
        hw->sync.mark = 'D';
        hw->sync.source = s->deflt;
        return warn_at(s, attrs,
                       "architecture: latency_sync is not given: taken as 0, as "
                       "SANA-FE does");
    }
    if (!table) {
        double v;
        if ((rc = myl__yx_number(s->x, lat, "architecture: latency_sync", &v)))
            return rc;
        if (v < 0)
            return myl__yx_fail(s->x, lat, MYL_EPARSE, "architecture: latency_sync: %s is negative",
                                myl__yx_str(lat));
        hw->sync = (myl_fig){v, 'C', s->src};
        return 0;
    }
    if ((rc = myl__yx_want(s->x, lat, YAML_MAPPING_NODE, "architecture: latency_sync")) ||
        (rc = myl__yx_keys(s->x, lat, NULL, "architecture: latency_sync")))
        return rc;
    size_t n = (size_t)(lat->data.mapping.pairs.top - lat->data.mapping.pairs.start);
    if (n == 0 || n > MYL_HW_MAX_SYNC)
        return myl__yx_fail(s->x, lat, MYL_EPARSE,
                            "architecture: latency_sync: %zu entries; expected 1 to %d", n,
                            MYL_HW_MAX_SYNC);
    hw->sync_table = 1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &lat->data.mapping.pairs.start[i];
        yaml_node_t *k = myl__yx_node(s->x, p->key), *v = myl__yx_node(s->x, p->value);
        long long tiles;
        double sec;
        if ((rc = myl__yx_whole(s->x, k, "architecture: latency_sync: tiles", 1, UINT32_MAX,
                                &tiles)) ||
            (rc = myl__yx_number(s->x, v, "architecture: latency_sync: latency", &sec)))
            return rc;
        if (i == 0 && tiles != 1)
            return myl__yx_fail(s->x, k, MYL_EPARSE,
                                "architecture: latency_sync: the first entry must be for 1 tile "
                                "(found %lld), so that every count has a latency",
                                tiles);
        if (i > 0 && (uint32_t)tiles <= hw->sync_tiles[i - 1])
            return myl__yx_fail(s->x, k, MYL_EPARSE,
                                "architecture: latency_sync: tile counts must increase; %lld "
                                "follows %u",
                                tiles, hw->sync_tiles[i - 1]);
        if (sec < 0)
            return myl__yx_fail(s->x, v, MYL_EPARSE, "architecture: latency_sync: %s is negative",
                                myl__yx_str(v));
        hw->sync_tiles[i] = (uint32_t)tiles;
        hw->sync_lat[i] = (myl_fig){sec, 'C', s->src};
        hw->nsync = (uint32_t)i + 1;
    }
    return 0;
}

static void set_cap(sx *s, myl__cap c, double v, char mark, const char *src)
{
    s->x->h->cap[c] = (myl_fig){v, mark, src};
}

int myl__sanafe_arch_read(myl__yx *x, yaml_node_t *root)
{
    static const char *const top_keys[] = {"architecture", NULL};
    static const char *const arch_keys[] = {"name", "attributes", "tile", NULL};
    static const char *const arch_attrs[] = {"width",        "height",   "sync_model",
                                             "latency_sync", "topology", NULL};
    myl__hw *h = x->h;
    myl_hw *hw = &h->pub;
    sx s = {.x = x};
    char buf[600];
    const char *file = strrchr(x->file, '/');
    file = file ? file + 1 : x->file;
    snprintf(buf, sizeof buf, "SANA-FE architecture file %s", file);
    if (!(s.src = myl__hw_str(h, buf)))
        return MYL_ENOMEM;
    snprintf(buf, sizeof buf,
             "SANA-FE architecture file %s: not given; taken as 0, SANA-FE's default", file);
    if (!(s.deflt = myl__hw_str(h, buf)))
        return MYL_ENOMEM;

    int rc = struct_check(&s, root, top_keys, "top level");
    if (rc)
        return rc;
    yaml_node_t *arch = myl__yx_get(x, root, "architecture");
    if ((rc = myl__yx_want(x, arch, YAML_MAPPING_NODE, "architecture")) ||
        (rc = struct_check(&s, arch, arch_keys, "architecture")))
        return rc;
    const char *aname = file;
    yaml_node_t *nn = myl__yx_get(x, arch, "name");
    if (nn) {
        if ((rc = myl__yx_want(x, nn, YAML_SCALAR_NODE, "architecture: name")))
            return rc;
        aname = myl__yx_str(nn);
        if (strchr(aname, '['))
            return myl__yx_fail(x, nn, MYL_EPARSE,
                                "architecture: name '%s': one architecture per file", aname);
    }
    snprintf(buf, sizeof buf, "SANA-FE architecture '%s' (from %s)", aname, file);
    if (!(hw->description = (char *)myl__hw_str(h, buf)))
        return MYL_ENOMEM;

    /* architecture attributes */
    yaml_node_t *attrs = myl__yx_get(x, arch, "attributes");
    if (!attrs)
        return myl__yx_fail(x, arch, MYL_EPARSE,
                            "architecture: 'attributes' (width, height, ...) is missing");
    if ((rc = myl__yx_want(x, attrs, YAML_MAPPING_NODE, "architecture: attributes")) ||
        (rc = attrs_check(&s, attrs, arch_attrs, "architecture: attributes")))
        return rc;
    yaml_node_t *topo = myl__yx_get(x, attrs, "topology");
    if (topo && (topo->type != YAML_SCALAR_NODE || strcmp(myl__yx_str(topo), "mesh") != 0))
        return myl__yx_fail(x, topo, MYL_EPARSE,
                            "architecture: topology '%s': myelin models a 2-D mesh only",
                            topo->type == YAML_SCALAR_NODE ? myl__yx_str(topo) : "?");
    if ((rc = read_sync(&s, attrs)))
        return rc;

    /* tiles */
    yaml_node_t *tiles = myl__yx_get(x, arch, "tile"), *one;
    if (!tiles)
        return myl__yx_fail(x, arch, MYL_EPARSE, "architecture: 'tile' is missing");
    yaml_node_item_t *items;
    size_t n;
    if ((rc = items_of(&s, tiles, "architecture: tile", &one, &items, &n)))
        return rc;
    long long ntiles = 0, cores_per_tile = -1;
    tile_costs first_tile = {0};
    core_costs first_core;
    int have_core = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *t = item(&s, one, items, i);
        if ((rc = myl__yx_want(x, t, YAML_MAPPING_NODE, "architecture: tile")))
            return rc;
        yaml_node_t *tn = myl__yx_get(x, t, "name");
        if (!tn)
            return myl__yx_fail(x, t, MYL_EPARSE, "architecture: tile: 'name' is missing");
        char base[128], w[512];
        long long copies, ncores = 0;
        if ((rc = name_range(&s, tn, "architecture: tile", base, sizeof base, &copies)))
            return rc;
        snprintf(w, sizeof w, "tile '%s'", base);
        tile_costs tc;
        if ((rc = read_tile(&s, t, w, i ? &first_tile : NULL, &tc, &first_core, &have_core,
                            &ncores)))
            return rc;
        if (i == 0) {
            first_tile = tc;
            cores_per_tile = ncores;
        } else {
            if (ncores != cores_per_tile)
                return myl__yx_fail(x, t, MYL_EPARSE,
                                    "%s: %lld cores, the first tile has %lld; myelin models "
                                    "chips whose tiles are all alike",
                                    w, ncores, cores_per_tile);
        }
        ntiles += copies;
    }
    if (cores_per_tile > UINT32_MAX)
        return myl__yx_fail(x, tiles, MYL_EPARSE, "architecture: tile: %lld cores per tile",
                            cores_per_tile);

    /* mesh */
    yaml_node_t *wn = myl__yx_get(x, attrs, "width"), *hn = myl__yx_get(x, attrs, "height");
    long long mw, mh;
    if (!wn && !hn) {
        mw = ntiles;
        mh = 1;
        if ((rc = warn_at(&s, attrs,
                          "architecture: width and height are not given: the %lld "
                          "tiles are laid out as %lld x 1",
                          ntiles, ntiles)))
            return rc;
    } else if (!wn || !hn) {
        return myl__yx_fail(x, attrs, MYL_EPARSE, "architecture: attributes: '%s' is missing",
                            wn ? "height" : "width");
    } else if ((rc = myl__yx_whole(x, wn, "architecture: width", 1, 65535, &mw)) ||
               (rc = myl__yx_whole(x, hn, "architecture: height", 1, 65535, &mh))) {
        return rc;
    }
    if (mw * mh != ntiles)
        return myl__yx_fail(x, wn ? wn : attrs, MYL_EPARSE,
                            "architecture: width x height = %lld x %lld = %lld tiles, but the "
                            "file defines %lld",
                            mw, mh, mw * mh, ntiles);

    /* into the model */
    hw->cores_per_tile = (uint32_t)cores_per_tile;
    hw->mesh_w = (uint32_t)mw;
    hw->mesh_h = (uint32_t)mh;
    hw->chips_w = hw->chips_h = 1;
    snprintf(buf, sizeof buf, "SANA-FE architecture file %s describes one chip", file);
    const char *one_chip = myl__hw_str(h, buf);
    snprintf(buf, sizeof buf,
             "SANA-FE architecture file %s: counted from the core entries of a tile", file);
    const char *counted = myl__hw_str(h, buf);
    if (!one_chip || !counted)
        return MYL_ENOMEM;
    set_cap(&s, MYL__CAP_CORES_PER_TILE, (double)cores_per_tile, 'C', counted);
    set_cap(&s, MYL__CAP_MESH_W, (double)mw, wn ? 'C' : 'D', s.src);
    set_cap(&s, MYL__CAP_MESH_H, (double)mh, hn ? 'C' : 'D', s.src);
    set_cap(&s, MYL__CAP_CHIPS_W, 1, 'D', one_chip);
    set_cap(&s, MYL__CAP_CHIPS_H, 1, 'D', one_chip);
    if (first_core.max_neurons.mark) {
        h->cap[MYL__CAP_NEURONS] = first_core.max_neurons;
        hw->max_neurons = (uint32_t)first_core.max_neurons.v;
    }
    hw->arith = MYL_ARITH_FLOAT;
    hw->msg_in = first_core.msg_in;
    hw->dendrite = first_core.dendrite;
    hw->msg_out = first_core.msg_out;
    memcpy(hw->synapse, first_core.synapse, sizeof hw->synapse);
    hw->nsynapse = first_core.nsynapse;
    memcpy(hw->soma, first_core.soma, sizeof hw->soma);
    hw->nsoma = first_core.nsoma;
    hw->hop_n = first_tile.hop[0];
    hw->hop_e = first_tile.hop[1];
    hw->hop_s = first_tile.hop[2];
    hw->hop_w = first_tile.hop[3];

    snprintf(buf, sizeof buf,
             "unknown: SANA-FE architecture file %s describes one chip; no chip-to-chip link "
             "cost is given",
             file);
    const char *nochip = myl__hw_str(h, buf);
    snprintf(buf, sizeof buf,
             "unknown: SANA-FE architecture file %s gives no static power (SANA-FE counts "
             "dynamic energy only)",
             file);
    const char *nostatic = myl__hw_str(h, buf);
    snprintf(buf, sizeof buf,
             "SANA-FE architecture file %s: no fixed tick; SANA-FE's time steps last as long as "
             "their work",
             file);
    const char *free_run = myl__hw_str(h, buf);
    if (!nochip || !nostatic || !free_run)
        return MYL_ENOMEM;
    hw->chip_hop.energy = (myl_fig){NAN, 0, nochip};
    hw->chip_hop.latency = (myl_fig){NAN, 0, nochip};
    hw->static_power = (myl_fig){0, 0, nostatic};
    hw->tick_period = (myl_fig){0, 'D', free_run};
    return 0;
}
