/* SANA-FE network files read into a myl_net (see sanafe.h; the translation is documented in
 * docs/energy.md, "Reading SANA-FE network files").
 *
 * The reader works in three passes over the YAML document that netfile.c loaded: groups (each
 * neuron's attributes resolved from the group's defaults and its entry), then edges (collected
 * as lists of synapses in SANA-FE's order), then mappings (a tile and core per neuron). Only then
 * is the myl_net built, because a group's myelin model depends on all of its neurons (a group
 * where any neuron has an input spike list, `poisson` or `rate` is a spike source; a
 * leaky_integrate_fire group is `if` without leak, `lif` with leak, `cuba_lif` with input decay).
 *
 * SANA-FE's semantics, as its source has them (src/yaml_snn.cpp, src/network.cpp,
 * src/models.cpp, src/chip.cpp; docs/energy.md has the details):
 *  - a group has as many neurons as its entries list; "a..b" is inclusive;
 *  - a dense edge's per-connection lists run source-major (source i, target j at i * n_target
 *    + j); a conv2d edge connects channel-major (c, y, x) neurons through a kernel stored
 *    (kernel_y, kernel_x, in_channel, out_channel), no padding; a sparse edge lists pairs;
 *  - a spike of timestep T is processed by the synapses at T and integrated by the soma at
 *    T + 1 (the time-step buffer); a dendritic delay d postpones that by d timesteps. So
 *    myelin's delay is d + 1, and SANA-FE's timestep T (from 1) is myelin's tick T - 1.
 * Every error names the file, the line and column, and what was expected, as netfile.c does.
 */
#include "myelin/sanafe.h"

#include "myelin/alloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_NEURONS (1u << 24) /* per group */
#define DT 1e-3                /* seconds per tick: SANA-FE has none, myelin's default */

/* ---- neuron attributes ------------------------------------------------------------------- */

enum { IN_NONE, IN_SPIKES, IN_POISSON, IN_RATE };
enum { RM_HARD, RM_SOFT, RM_NONE };

/* One neuron's attributes, SANA-FE's defaults first (LoihiLifModel::LoihiCompartment). */
typedef struct nattr {
    double threshold, reset, leak, idecay, bias, poisson, rate;
    uint64_t refractory;         /* refractory_delay */
    int reset_mode;              /* RM_* */
    int input;                   /* IN_*: the input attribute given */
    const yaml_node_t *spikes;   /* the `spikes` list */
    const yaml_node_t *in_where; /* where the input attribute was given */
    const char *soma;            /* soma_hw_name */
    const yaml_node_t *soma_where;
} nattr;

static const nattr nattr_default = {0.0, 0.0,     1.0,     0.0,  0.0,  0.0,  0.0,
                                    0,   RM_HARD, IN_NONE, NULL, NULL, NULL, NULL};

typedef struct group {
    const char *name;
    const yaml_node_t *node;
    uint32_t n;
    uint32_t pop;
    uint64_t first; /* global index of neuron 0 */
    int source;     /* a spike source (some neuron has an input attribute) */
    uint32_t *ai;   /* [n] each neuron's attribute set, in sets */
    nattr *sets;    /* one per entry of `neurons` (entries give ranges: a neuron each
                     * would cost a hundred bytes per neuron) */
    uint32_t nsets, capsets;
} group;

/* Neuron i's attributes. */
static const nattr *na(const group *g, uint32_t i)
{
    return &g->sets[g->ai[i]];
}

/* Synapses of one projection as collected, in SANA-FE's order. */
typedef struct synlist {
    uint32_t pre, post; /* groups */
    const char *kind;   /* "edges", "dense", "conv2d", "sparse" */
    const yaml_node_t *where;
    size_t n, cap;
    uint32_t *ipre, *ipost;
    double *w, *dly; /* delay in ticks (SANA-FE's + 1) */
    int dense;       /* all_to_all: w and dly already in myelin's target-major order */
} synlist;

typedef struct sx {
    yaml_document_t *doc;
    const char *file;
    myl_diag *d;
    myl_netfile *nf;
    group *g;
    size_t ng, capg; /* groups read, groups allocated */
    synlist *sl;
    size_t nsl, capsl;
    uint64_t nneurons;
    const yaml_node_t **map_where; /* [nneurons] mapping entry of each neuron */
    const char **map_soma;         /* [nneurons] soma named by its mapping */
} sx;

/* ---- YAML helpers ------------------------------------------------------------------------ */

static int fail(sx *x, const yaml_node_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(sx *x, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return myl_diag_fail(x->d, MYL_EPARSE, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
    return myl_diag_fail(x->d, MYL_EPARSE, "%s: %s", x->file, msg);
}

static yaml_node_t *node(sx *x, int id)
{
    return yaml_document_get_node(x->doc, id);
}

static const char *str(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static const char *kind(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE     ? "a single value"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
           : n->type == YAML_MAPPING_NODE  ? "a mapping"
                                           : "nothing";
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_at(sx *x, const yaml_node_t *n, size_t i)
{
    return node(x, n->data.sequence.items.start[i]);
}

static size_t map_len(const yaml_node_t *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static yaml_node_t *map_key(sx *x, const yaml_node_t *n, size_t i)
{
    return node(x, n->data.mapping.pairs.start[i].key);
}

static yaml_node_t *map_val(sx *x, const yaml_node_t *n, size_t i)
{
    return node(x, n->data.mapping.pairs.start[i].value);
}

static yaml_node_t *get(sx *x, const yaml_node_t *m, const char *key)
{
    for (size_t i = 0; i < map_len(m); i++) {
        yaml_node_t *k = map_key(x, m, i);
        if (k->type == YAML_SCALAR_NODE && strcmp(str(k), key) == 0)
            return map_val(x, m, i);
    }
    return NULL;
}

static int want(sx *x, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (n->type == t)
        return 0;
    return fail(x, n, "%s: expected %s, found %s", what,
                t == YAML_SCALAR_NODE     ? "a single value"
                : t == YAML_SEQUENCE_NODE ? "a list"
                                          : "a mapping",
                kind(n));
}

/* A mapping's keys must be plain names, each once, and among `allowed`. */
static int check_keys(sx *x, const yaml_node_t *m, const char *const *allowed, const char *what)
{
    for (size_t i = 0; i < map_len(m); i++) {
        yaml_node_t *k = map_key(x, m, i);
        if (k->type != YAML_SCALAR_NODE)
            return fail(x, k, "%s: keys must be plain names", what);
        for (size_t j = 0; j < i; j++)
            if (map_key(x, m, j)->type == YAML_SCALAR_NODE &&
                strcmp(str(map_key(x, m, j)), str(k)) == 0)
                return fail(x, k, "%s: key '%s' appears twice", what, str(k));
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, str(k)) == 0;
        if (!ok) {
            char list[400] = "";
            size_t len = 0;
            for (const char *const *a = allowed; *a && len < sizeof list; a++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                        a == allowed ? "" : ", ", *a);
            return fail(x, k, "%s: unknown key '%s' (expected one of: %s)", what, str(k), list);
        }
    }
    return 0;
}

static int number(sx *x, const yaml_node_t *n, const char *what, double *out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *s = str(n);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || !isfinite(v))
        return fail(x, n, "%s: expected a number, found '%s'", what, s);
    *out = v;
    return 0;
}

static int whole(sx *x, const yaml_node_t *n, const char *what, uint64_t hi, uint64_t *out)
{
    double v = 0;
    int rc = number(x, n, what, &v);
    if (rc)
        return rc;
    if (v < 0 || v != floor(v) || v > (double)hi)
        return fail(x, n, "%s: expected a whole number from 0 to %llu, found '%s'", what,
                    (unsigned long long)hi, str(n));
    *out = (uint64_t)v;
    return 0;
}

static int boolean(sx *x, const yaml_node_t *n, const char *what, int *out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    static const char *const t[] = {"true", "True", "TRUE", "yes", "1", NULL};
    static const char *const f[] = {"false", "False", "FALSE", "no", "0", NULL};
    for (int i = 0; t[i]; i++)
        if (strcmp(str(n), t[i]) == 0)
            return *out = 1, 0;
    for (int i = 0; f[i]; i++)
        if (strcmp(str(n), f[i]) == 0)
            return *out = 0, 0;
    return fail(x, n, "%s: expected true or false (or 1 or 0), found '%s'", what, str(n));
}

static int text(sx *x, const yaml_node_t *n, const char *what, const char **out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    if (!*str(n))
        return fail(x, n, "%s: is empty", what);
    *out = str(n);
    return 0;
}

/* A whole number in [p, e) of s (no sign, no spaces); -1 when it is not one. */
static int64_t parse_index(const char *p, const char *e)
{
    if (p == e || e - p > 10)
        return -1;
    int64_t v = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* "i" or "a..b" (inclusive, a <= b) in [p, e). */
static int parse_range(sx *x, const yaml_node_t *n, const char *what, const char *p, const char *e,
                       uint32_t *a, uint32_t *b)
{
    const char *dots = NULL;
    for (const char *q = p; q + 1 < e; q++)
        if (q[0] == '.' && q[1] == '.') {
            dots = q;
            break;
        }
    int64_t lo = parse_index(p, dots ? dots : e), hi = dots ? parse_index(dots + 2, e) : lo;
    if (lo < 0 || hi < 0 || hi >= MAX_NEURONS)
        return fail(x, n,
                    "%s: '%.*s' is not a neuron number or a range first..last of whole "
                    "numbers (e.g. 3 or 0..9)",
                    what, (int)(e - p), p);
    if (lo > hi)
        return fail(x, n, "%s: range '%.*s' is empty: %lld is above %lld (write first..last)", what,
                    (int)(e - p), p, (long long)lo, (long long)hi);
    *a = (uint32_t)lo;
    *b = (uint32_t)hi;
    return 0;
}

/* Attributes come as a mapping or as a list of mappings applied in order ("[a: 1, b: 2]");
 * call fn for every (key, value). */
typedef int (*kv_fn)(sx *x, const yaml_node_t *key, const yaml_node_t *val, void *ctx);

static int each_attr(sx *x, const yaml_node_t *n, const char *what, kv_fn fn, void *ctx)
{
    int rc = 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (size_t i = 0; i < seq_len(n) && !rc; i++)
            rc = each_attr(x, seq_at(x, n, i), what, fn, ctx);
        return rc;
    }
    if (n->type == YAML_SCALAR_NODE && !*str(n))
        return 0; /* `attributes:` with nothing after it */
    if (n->type != YAML_MAPPING_NODE)
        return fail(x, n,
                    "%s: expected attributes (a mapping, or a list of `name: value`), "
                    "found %s",
                    what, kind(n));
    for (size_t i = 0; i < map_len(n) && !rc; i++) {
        yaml_node_t *k = map_key(x, n, i);
        if (k->type != YAML_SCALAR_NODE)
            return fail(x, k, "%s: attribute names must be plain names", what);
        rc = fn(x, k, map_val(x, n, i), ctx);
    }
    return rc;
}

/* ---- neuron attributes ------------------------------------------------------------------- */

typedef struct nctx {
    nattr *a;
    const char *what;
    int section; /* 0 neuron, 1 soma: {...} */
} nctx;

static int neuron_kv(sx *x, const yaml_node_t *k, const yaml_node_t *v, void *vctx)
{
    nctx *c = vctx;
    nattr *a = c->a;
    const char *key = str(k);
    char what[300];
    snprintf(what, sizeof what, "%s: %s", c->what, key);
    static const char *const ignored[] = {"log_spikes",  "log_potential",   "log_u",
                                          "log_v",       "log_current",     "log_energy",
                                          "log_latency", "synapse_hw_name", "dendrite_hw_name",
                                          NULL};
    for (int i = 0; ignored[i]; i++)
        if (strcmp(key, ignored[i]) == 0)
            return 0; /* logging switches, and unit names myelin does not choose between */
    static const char *const unsupported[] = {"force_update",
                                              "force_soma_update",
                                              "force_update_every_timestep",
                                              "force_dendrite_update",
                                              "force_synapse_update",
                                              "force_potential",
                                              "noise",
                                              "noise_bits",
                                              NULL};
    for (int i = 0; unsupported[i]; i++)
        if (strcmp(key, unsupported[i]) == 0)
            return fail(x, k,
                        "%s: myelin cannot honour this attribute (it would change what the "
                        "neuron does or costs); remove it to run the network",
                        what);
    if (strcmp(key, "threshold") == 0)
        return number(x, v, what, &a->threshold);
    if (strcmp(key, "reset") == 0)
        return number(x, v, what, &a->reset);
    if (strcmp(key, "leak_decay") == 0) {
        int rc = number(x, v, what, &a->leak);
        if (!rc && !(a->leak >= 0 && a->leak <= 1))
            return fail(x, v, "%s: expected a decay factor from 0 to 1, found %g", what, a->leak);
        return rc;
    }
    if (strcmp(key, "input_decay") == 0) {
        int rc = number(x, v, what, &a->idecay);
        if (!rc && !(a->idecay >= 0 && a->idecay < 1))
            return fail(x, v, "%s: expected a decay factor from 0 to below 1, found %g", what,
                        a->idecay);
        return rc;
    }
    if (strcmp(key, "bias") == 0)
        return number(x, v, what, &a->bias);
    if (strcmp(key, "refractory_delay") == 0)
        return whole(x, v, what, 1000000000, &a->refractory);
    if (strcmp(key, "reset_mode") == 0 || strcmp(key, "reverse_reset_mode") == 0) {
        const char *m = NULL;
        int rc = text(x, v, what, &m);
        if (rc)
            return rc;
        int mode = strcmp(m, "hard") == 0                                 ? RM_HARD
                   : strcmp(m, "soft") == 0                               ? RM_SOFT
                   : strcmp(m, "none") == 0 || strcmp(m, "saturate") == 0 ? RM_NONE
                                                                          : -1;
        if (mode < 0)
            return fail(x, v, "%s: expected hard, soft, saturate or none, found '%s'", what, m);
        if (key[1] == 'e' && key[2] == 'v') { /* reverse_reset_mode */
            if (mode != RM_NONE)
                return fail(x, v,
                            "%s: myelin's neurons have no reverse threshold; only 'none' "
                            "(SANA-FE's default) can be read",
                            what);
            return 0;
        }
        /* leaky_integrate_fire resets on hard or soft only; saturate and none leave v */
        a->reset_mode = mode;
        return 0;
    }
    if (strcmp(key, "reverse_threshold") == 0 || strcmp(key, "reverse_reset") == 0) {
        double ignored_v;
        return number(x, v, what, &ignored_v); /* no effect without a reverse reset mode */
    }
    if (c->section == 0 &&
        (strcmp(key, "spikes") == 0 || strcmp(key, "poisson") == 0 || strcmp(key, "rate") == 0)) {
        int in = key[0] == 's' ? IN_SPIKES : key[0] == 'p' ? IN_POISSON : IN_RATE;
        if (a->input != IN_NONE && a->input != in && a->in_where != NULL)
            return fail(x, k,
                        "%s: the neuron already has another input attribute; myelin gives a "
                        "neuron one kind of input (spike list, poisson or rate)",
                        what);
        a->input = in;
        a->in_where = k;
        if (in == IN_SPIKES) {
            int rc = want(x, v, YAML_SEQUENCE_NODE, what);
            if (rc)
                return rc;
            for (size_t i = 0; i < seq_len(v); i++) {
                int b;
                if ((rc = boolean(x, seq_at(x, v, i), what, &b)))
                    return rc;
            }
            a->spikes = v;
            return 0;
        }
        if (in == IN_POISSON) {
            int rc = number(x, v, what, &a->poisson);
            if (!rc && !(a->poisson >= 0 && a->poisson < 1))
                return fail(x, v,
                            "%s: expected a probability per timestep from 0 to below 1, found "
                            "%g (for a spike every timestep write rate: 1)",
                            what, a->poisson);
            return rc;
        }
        int rc = number(x, v, what, &a->rate);
        if (!rc && !(a->rate >= 0 && a->rate <= 1))
            return fail(x, v, "%s: expected spikes per timestep from 0 to 1, found %g", what,
                        a->rate);
        return rc;
    }
    if (c->section == 0 && strcmp(key, "soma_hw_name") == 0) {
        a->soma_where = k;
        return text(x, v, what, &a->soma);
    }
    if (c->section == 0 && strcmp(key, "soma") == 0) {
        nctx sub = {a, what, 1};
        return each_attr(x, v, what, neuron_kv, &sub);
    }
    if (c->section == 0 && (strcmp(key, "dendrite") == 0 || strcmp(key, "synapse") == 0)) {
        if ((v->type == YAML_MAPPING_NODE && map_len(v) == 0) ||
            (v->type == YAML_SEQUENCE_NODE && seq_len(v) == 0))
            return 0;
        return fail(x, v,
                    "%s: myelin models no %s parameters of neurons (its synapses are "
                    "current-based and its dendrites plain accumulators)",
                    what, key);
    }
    return fail(x, k,
                "%s: unknown attribute (expected threshold, reset, reset_mode, leak_decay, "
                "input_decay, bias, refractory_delay, spikes, poisson, rate, soma, "
                "soma_hw_name or log_* switches)",
                what);
}

/* ---- groups ------------------------------------------------------------------------------ */

/* Calls fn(first, last, attrs or NULL, id node) for every entry of a group's `neurons`. */
typedef int (*entry_fn)(sx *x, group *g, uint32_t a, uint32_t b, const yaml_node_t *attrs,
                        const yaml_node_t *id, void *ctx);

static int each_entry(sx *x, group *g, const yaml_node_t *neurons, entry_fn fn, void *ctx)
{
    char what[300];
    snprintf(what, sizeof what, "group '%s': neurons", g->name);
    int rc = want(x, neurons, YAML_SEQUENCE_NODE, what);
    for (size_t i = 0; i < seq_len(neurons) && !rc; i++) {
        const yaml_node_t *e = seq_at(x, neurons, i);
        uint32_t a, b;
        if (e->type == YAML_SCALAR_NODE) {
            const char *s = str(e);
            if (!(rc = parse_range(x, e, what, s, s + strlen(s), &a, &b)))
                rc = fn(x, g, a, b, NULL, e, ctx);
        } else if (e->type == YAML_MAPPING_NODE) {
            for (size_t j = 0; j < map_len(e) && !rc; j++) {
                const yaml_node_t *k = map_key(x, e, j);
                if ((rc = want(x, k, YAML_SCALAR_NODE, what)))
                    break;
                const char *s = str(k);
                if (!(rc = parse_range(x, k, what, s, s + strlen(s), &a, &b)))
                    rc = fn(x, g, a, b, map_val(x, e, j), k, ctx);
            }
        } else {
            rc = fail(x, e,
                      "%s: expected a neuron number or range (0..9), optionally with "
                      "attributes (0..9: [threshold: 2]), found %s",
                      what, kind(e));
        }
    }
    return rc;
}

static int count_entry(sx *x, group *g, uint32_t a, uint32_t b, const yaml_node_t *attrs,
                       const yaml_node_t *id, void *ctx)
{
    (void)x, (void)attrs, (void)id, (void)ctx;
    g->n += b - a + 1;
    if (g->n > MAX_NEURONS)
        return fail(x, id, "group '%s': more than %u neurons", g->name, MAX_NEURONS);
    return 0;
}

typedef struct fill_ctx {
    const nattr *deflt;
    uint8_t *seen;
} fill_ctx;

static int fill_entry(sx *x, group *g, uint32_t a, uint32_t b, const yaml_node_t *attrs,
                      const yaml_node_t *id, void *vctx)
{
    fill_ctx *c = vctx;
    if (b >= g->n)
        return fail(x, id,
                    "group '%s': neuron %u does not exist; the group lists %u neurons, so they "
                    "are numbered 0..%u",
                    g->name, b, g->n, g->n - 1);
    for (uint32_t i = a; i <= b; i++)
        if (c->seen[i])
            return fail(x, id, "group '%s': neuron %u is listed twice", g->name, i);
    nattr one = *c->deflt;
    if (attrs) {
        char what[300];
        snprintf(what, sizeof what, "group '%s', neurons %u..%u", g->name, a, b);
        nctx nc = {&one, what, 0};
        int rc = each_attr(x, attrs, what, neuron_kv, &nc);
        if (rc)
            return rc;
    }
    if (g->nsets == g->capsets) {
        uint32_t cap = g->capsets ? g->capsets * 2 : 4;
        nattr *ns = myl_reallocarray(g->sets, cap, sizeof *ns);
        if (!ns)
            return MYL_ENOMEM;
        g->sets = ns;
        g->capsets = cap;
    }
    g->sets[g->nsets] = one;
    for (uint32_t i = a; i <= b; i++) {
        c->seen[i] = 1;
        g->ai[i] = g->nsets;
    }
    g->nsets++;
    return 0;
}

static int parse_group(sx *x, const yaml_node_t *gn, group *g)
{
    int rc = want(x, gn, YAML_MAPPING_NODE, "groups: a group");
    static const char *const keys[] = {"name", "attributes", "neurons", NULL};
    if (rc || (rc = check_keys(x, gn, keys, "group")))
        return rc;
    const yaml_node_t *nm = get(x, gn, "name"), *attrs = get(x, gn, "attributes"),
                      *neurons = get(x, gn, "neurons");
    if (!nm)
        return fail(x, gn, "group: 'name' is missing");
    if ((rc = text(x, nm, "group: name", &g->name)))
        return rc;
    if (strchr(g->name, '.') || strstr(g->name, "->") || strchr(g->name, '['))
        return fail(x, nm, "group '%s': a name may not contain '.', '->' or '['", g->name);
    g->node = gn;
    if (!neurons)
        return fail(x, gn, "group '%s': 'neurons' is missing", g->name);
    if ((rc = each_entry(x, g, neurons, count_entry, NULL)))
        return rc;
    if (g->n == 0)
        return fail(x, neurons, "group '%s': no neurons", g->name);
    nattr deflt = nattr_default;
    if (attrs) {
        char what[300];
        snprintf(what, sizeof what, "group '%s': attributes", g->name);
        nctx nc = {&deflt, what, 0};
        if ((rc = each_attr(x, attrs, what, neuron_kv, &nc)))
            return rc;
    }
    g->ai = myl_calloc(g->n, sizeof *g->ai);
    uint8_t *seen = myl_calloc(g->n, 1);
    if (!g->ai || !seen) {
        myl_free(seen);
        return MYL_ENOMEM;
    }
    fill_ctx fc = {&deflt, seen};
    rc = each_entry(x, g, neurons, fill_entry, &fc);
    myl_free(seen);
    if (rc)
        return rc;
    for (uint32_t k = 0; k < g->nsets; k++)
        if (g->sets[k].input != IN_NONE)
            g->source = 1;
    return 0;
}

static group *find_group(sx *x, const char *name, size_t len)
{
    for (size_t i = 0; i < x->ng; i++)
        if (strlen(x->g[i].name) == len && memcmp(x->g[i].name, name, len) == 0)
            return &x->g[i];
    return NULL;
}

/* ---- edges ------------------------------------------------------------------------------- */

static synlist *new_list(sx *x, uint32_t pre, uint32_t post, const char *kind,
                         const yaml_node_t *where)
{
    if (x->nsl == x->capsl) {
        size_t cap = x->capsl ? x->capsl * 2 : 8;
        synlist *s = myl_reallocarray(x->sl, cap, sizeof *s);
        if (!s)
            return NULL;
        x->sl = s;
        x->capsl = cap;
    }
    synlist *s = &x->sl[x->nsl++];
    memset(s, 0, sizeof *s);
    s->pre = pre, s->post = post, s->kind = kind, s->where = where;
    return s;
}

static int list_reserve(synlist *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < n)
        cap *= 2;
    uint32_t *a = myl_reallocarray(s->ipre, cap, sizeof *a);
    if (!a)
        return MYL_ENOMEM;
    s->ipre = a;
    uint32_t *b = myl_reallocarray(s->ipost, cap, sizeof *b);
    if (!b)
        return MYL_ENOMEM;
    s->ipost = b;
    double *w = myl_reallocarray(s->w, cap, sizeof *w);
    if (!w)
        return MYL_ENOMEM;
    s->w = w;
    double *dl = myl_reallocarray(s->dly, cap, sizeof *dl);
    if (!dl)
        return MYL_ENOMEM;
    s->dly = dl;
    s->cap = cap;
    return 0;
}

static int list_add(synlist *s, uint32_t i, uint32_t j, double w, double dly)
{
    int rc = list_reserve(s, s->n + 1);
    if (rc)
        return rc;
    s->ipre[s->n] = i, s->ipost[s->n] = j, s->w[s->n] = w, s->dly[s->n] = dly;
    s->n++;
    return 0;
}

static void list_release(synlist *s)
{
    myl_free(s->ipre);
    myl_free(s->ipost);
    myl_free(s->w);
    myl_free(s->dly);
}

/* A single edge's attributes: weight (w), delay (d), and synapse: / dendrite: sections. */
typedef struct ectx {
    double w, d;
    const yaml_node_t *wn, *dn;
    const char *what;
    int section; /* 0 both, 1 synapse, 2 dendrite */
} ectx;

static int edge_kv(sx *x, const yaml_node_t *k, const yaml_node_t *v, void *vctx)
{
    ectx *c = vctx;
    const char *key = str(k);
    char what[300];
    snprintf(what, sizeof what, "%s: %s", c->what, key);
    if (c->section == 0 && (strcmp(key, "synapse") == 0 || strcmp(key, "dendrite") == 0)) {
        ectx sub = *c;
        sub.section = key[0] == 's' ? 1 : 2;
        int rc = each_attr(x, v, what, edge_kv, &sub);
        c->w = sub.w, c->d = sub.d, c->wn = sub.wn, c->dn = sub.dn;
        return rc;
    }
    if (strcmp(key, "weight") == 0 || strcmp(key, "w") == 0) {
        if (c->wn)
            return fail(x, k, "%s: the weight is given twice", c->what);
        c->wn = v;
        return number(x, v, what, &c->w);
    }
    if (strcmp(key, "delay") == 0 || strcmp(key, "d") == 0) {
        if (c->dn)
            return fail(x, k, "%s: the delay is given twice", c->what);
        uint64_t dly;
        int rc = whole(x, v, what, 1000000, &dly);
        c->dn = v;
        c->d = (double)dly;
        return rc;
    }
    return fail(x, k,
                "%s: unknown attribute (expected weight or w, delay or d, synapse: or "
                "dendrite:); myelin's synapses are current-based with a weight and a delay",
                what);
}

/* A group edge's per-connection lists and parameters. */
typedef struct hctx {
    const char *what;
    int section;
    const yaml_node_t *type;
    const yaml_node_t *w, *dl, *pairs;
    uint64_t conv[8]; /* input_height, input_width, input_channels, kernel_count,
                       * kernel_height, kernel_width, stride_height, stride_width */
    const yaml_node_t *convn[8];
} hctx;

static const char *const conv_keys[8] = {"input_height",  "input_width",   "input_channels",
                                         "kernel_count",  "kernel_height", "kernel_width",
                                         "stride_height", "stride_width"};

static int hyper_kv(sx *x, const yaml_node_t *k, const yaml_node_t *v, void *vctx)
{
    hctx *c = vctx;
    const char *key = str(k);
    char what[300];
    snprintf(what, sizeof what, "%s: %s", c->what, key);
    if (c->section == 0 && strcmp(key, "type") == 0) {
        c->type = v;
        return want(x, v, YAML_SCALAR_NODE, what);
    }
    if (c->section == 0 && (strcmp(key, "synapse") == 0 || strcmp(key, "dendrite") == 0)) {
        hctx sub = *c;
        sub.section = 1;
        int rc = each_attr(x, v, what, hyper_kv, &sub);
        sub.section = 0;
        *c = sub;
        return rc;
    }
    if (strcmp(key, "weight") == 0 || strcmp(key, "w") == 0) {
        if (c->w)
            return fail(x, k, "%s: the weights are given twice", c->what);
        c->w = v;
        return 0;
    }
    if (strcmp(key, "delay") == 0 || strcmp(key, "d") == 0) {
        if (c->dl)
            return fail(x, k, "%s: the delays are given twice", c->what);
        c->dl = v;
        return 0;
    }
    if (c->section == 0 && strcmp(key, "source_target_pairs") == 0) {
        c->pairs = v;
        return want(x, v, YAML_SEQUENCE_NODE, what);
    }
    for (int i = 0; i < 8 && c->section == 0; i++)
        if (strcmp(key, conv_keys[i]) == 0) {
            c->convn[i] = v;
            return whole(x, v, what, 1u << 20, &c->conv[i]);
        }
    return fail(x, k,
                "%s: unknown attribute (expected type, weight or w, delay or d, synapse:, "
                "dendrite:, source_target_pairs, or the conv2d sizes input_height, "
                "input_width, input_channels, kernel_count, kernel_height, kernel_width, "
                "stride_height, stride_width)",
                what);
}

/* Per-connection values: a list of n numbers (of at least n when `longer` is set: SANA-FE
 * reads dense and conv2d lists up to the entries it needs), or one number for every
 * connection. delays: whole numbers, returned as myelin delays (+ 1). */
static int values(sx *x, const yaml_node_t *v, const char *what, size_t n, int longer, int delays,
                  double *out)
{
    int rc = 0;
    if (v->type == YAML_SCALAR_NODE) {
        double val;
        uint64_t u;
        rc = delays ? whole(x, v, what, 1000000, &u) : number(x, v, what, &val);
        if (delays)
            val = (double)u + 1;
        for (size_t i = 0; i < n && !rc; i++)
            out[i] = val;
        return rc;
    }
    if ((rc = want(x, v, YAML_SEQUENCE_NODE, what)))
        return rc;
    if (seq_len(v) < n || (!longer && seq_len(v) != n))
        return fail(x, v, "%s: %zu values for %zu connections; expected one per connection", what,
                    seq_len(v), n);
    for (size_t i = 0; i < n && !rc; i++) {
        const yaml_node_t *e = seq_at(x, v, i);
        if (delays) {
            uint64_t u;
            rc = whole(x, e, what, 1000000, &u);
            out[i] = (double)u + 1;
        } else {
            rc = number(x, e, what, &out[i]);
        }
    }
    return rc;
}

static int dense_edge(sx *x, hctx *h, group *a, group *b, synlist *s)
{
    /* all_to_all needs no pairs: only the per-connection values, target-major */
    const size_t n = (size_t)a->n * b->n;
    double *w = myl_calloc(n ? n : 1, sizeof *w), *dl = myl_calloc(n ? n : 1, sizeof *dl);
    s->w = myl_calloc(n ? n : 1, sizeof *s->w);
    s->dly = myl_calloc(n ? n : 1, sizeof *s->dly);
    int rc = MYL_ENOMEM;
    char what[300];
    if (!w || !dl || !s->w || !s->dly)
        goto done;
    for (size_t k = 0; k < n; k++)
        w[k] = 0, dl[k] = 1;
    snprintf(what, sizeof what, "%s: weight", h->what);
    if (h->w && (rc = values(x, h->w, what, n, 1, 0, w)))
        goto done;
    snprintf(what, sizeof what, "%s: delay", h->what);
    if (h->dl && (rc = values(x, h->dl, what, n, 1, 1, dl)))
        goto done;
    /* SANA-FE's lists run source-major (i * n_target + j); myelin's all_to_all target-major */
    for (uint32_t j = 0; j < b->n; j++)
        for (uint32_t i = 0; i < a->n; i++) {
            size_t k = (size_t)j * a->n + i, q = (size_t)i * b->n + j;
            s->w[k] = w[q], s->dly[k] = dl[q];
        }
    s->n = s->cap = n;
    s->dense = 1;
    rc = 0;
done:
    myl_free(w);
    myl_free(dl);
    return rc;
}

static int conv_edge(sx *x, hctx *h, const yaml_node_t *en, group *a, group *b, synlist *s)
{
    uint64_t *p = h->conv;
    static const uint64_t deflt[8] = {0, 0, 0, 1, 0, 0, 1, 1};
    for (int i = 0; i < 8; i++) {
        if (!h->convn[i]) {
            if (!deflt[i])
                return fail(x, en, "%s: conv2d needs %s", h->what, conv_keys[i]);
            p[i] = deflt[i];
        }
        if (p[i] == 0)
            return fail(x, h->convn[i], "%s: %s must be at least 1", h->what, conv_keys[i]);
    }
    const uint64_t H = p[0], W = p[1], C = p[2], K = p[3], KH = p[4], KW = p[5], SH = p[6],
                   SW = p[7];
    if (KH > H || KW > W)
        return fail(x, en, "%s: a %llux%llu kernel does not fit a %llux%llu input", h->what,
                    (unsigned long long)KH, (unsigned long long)KW, (unsigned long long)H,
                    (unsigned long long)W);
    const uint64_t OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1;
    if (C * H * W != a->n)
        return fail(x, en,
                    "%s: a %llu x %llu x %llu input (channels x height x width) needs %llu "
                    "neurons in group '%s', which has %u",
                    h->what, (unsigned long long)C, (unsigned long long)H, (unsigned long long)W,
                    (unsigned long long)(C * H * W), a->name, a->n);
    if (K * OH * OW != b->n)
        return fail(x, en,
                    "%s: %llu kernels over that input give %llu x %llu x %llu outputs, %llu "
                    "neurons, but group '%s' has %u",
                    h->what, (unsigned long long)K, (unsigned long long)K, (unsigned long long)OH,
                    (unsigned long long)OW, (unsigned long long)(K * OH * OW), b->name, b->n);
    const size_t nk = (size_t)(KH * KW * C * K);
    double *w = myl_calloc(nk, sizeof *w), *dl = myl_calloc(nk, sizeof *dl);
    int rc = MYL_ENOMEM;
    char what[300];
    if (!w || !dl)
        goto done;
    for (size_t k = 0; k < nk; k++)
        w[k] = 0, dl[k] = 1;
    snprintf(what, sizeof what,
             "%s: weight (the kernels, %llu x %llu x %llu x %llu: height, "
             "width, input channel, kernel)",
             h->what, (unsigned long long)KH, (unsigned long long)KW, (unsigned long long)C,
             (unsigned long long)K);
    if (h->w && (rc = values(x, h->w, what, nk, 1, 0, w)))
        goto done;
    snprintf(what, sizeof what, "%s: delay", h->what);
    if (h->dl && (rc = values(x, h->dl, what, nk, 1, 1, dl)))
        goto done;
    if ((rc = list_reserve(s, (size_t)(K * OH * OW * C * KH * KW))))
        goto done;
    /* SANA-FE's order: each output (channel, y, x), each input channel, each kernel tap */
    for (uint64_t co = 0; co < K; co++)
        for (uint64_t yo = 0; yo < OH; yo++)
            for (uint64_t xo = 0; xo < OW; xo++)
                for (uint64_t ci = 0; ci < C; ci++)
                    for (uint64_t ky = 0; ky < KH; ky++)
                        for (uint64_t kx = 0; kx < KW; kx++) {
                            uint64_t src = ci * H * W + (yo * SH + ky) * W + (xo * SW + kx);
                            uint64_t dst = co * OH * OW + yo * OW + xo;
                            uint64_t f = ((ky * KW + kx) * C + ci) * K + co;
                            list_add(s, (uint32_t)src, (uint32_t)dst, w[f], dl[f]);
                        }
    rc = 0;
done:
    myl_free(w);
    myl_free(dl);
    return rc;
}

static int sparse_edge(sx *x, hctx *h, const yaml_node_t *en, group *a, group *b, synlist *s)
{
    if (!h->pairs)
        return fail(x, en, "%s: sparse needs source_target_pairs: [[source, target], ...]",
                    h->what);
    const size_t n = seq_len(h->pairs);
    double *w = myl_calloc(n ? n : 1, sizeof *w), *dl = myl_calloc(n ? n : 1, sizeof *dl);
    int rc = MYL_ENOMEM;
    char what[300];
    if (!w || !dl || (rc = list_reserve(s, n)))
        goto done;
    for (size_t k = 0; k < n; k++)
        w[k] = 0, dl[k] = 1;
    snprintf(what, sizeof what, "%s: weight", h->what);
    if (h->w && (rc = values(x, h->w, what, n, 0, 0, w)))
        goto done;
    snprintf(what, sizeof what, "%s: delay", h->what);
    if (h->dl && (rc = values(x, h->dl, what, n, 0, 1, dl)))
        goto done;
    snprintf(what, sizeof what, "%s: source_target_pairs", h->what);
    for (size_t k = 0; k < n; k++) {
        const yaml_node_t *pr = seq_at(x, h->pairs, k);
        uint64_t i, j;
        if (pr->type != YAML_SEQUENCE_NODE || seq_len(pr) != 2) {
            rc = fail(x, pr, "%s: expected a pair [source, target], found %s", what, kind(pr));
            goto done;
        }
        if ((rc = whole(x, seq_at(x, pr, 0), what, UINT32_MAX, &i)) ||
            (rc = whole(x, seq_at(x, pr, 1), what, UINT32_MAX, &j)))
            goto done;
        if (i >= a->n || j >= b->n) {
            rc = fail(x, pr, "%s: pair [%llu, %llu], but '%s' has %u and '%s' %u neurons", what,
                      (unsigned long long)i, (unsigned long long)j, a->name, a->n, b->name, b->n);
            goto done;
        }
        list_add(s, (uint32_t)i, (uint32_t)j, w[k], dl[k]);
    }
    rc = 0;
done:
    myl_free(w);
    myl_free(dl);
    return rc;
}

/* "a.3 -> b.4" or "a -> b"; *ia, *ib are UINT32_MAX for whole groups. */
static int parse_edge_desc(sx *x, const yaml_node_t *k, group **ga, uint32_t *ia, group **gb,
                           uint32_t *ib)
{
    const char *s = str(k), *arrow = strstr(s, "->");
    if (!arrow)
        return fail(x, k,
                    "edges: '%s' is not an edge; expected 'group.n -> group.m' or "
                    "'group -> group'",
                    s);
    const char *side[2][2] = {{s, arrow}, {arrow + 2, s + strlen(s)}};
    group **gg[2] = {ga, gb};
    uint32_t *ii[2] = {ia, ib};
    for (int t = 0; t < 2; t++) {
        const char *p = side[t][0], *e = side[t][1];
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        const char *dot = memchr(p, '.', (size_t)(e - p));
        const char *gend = dot ? dot : e;
        if (gend == p)
            return fail(x, k, "edges: '%s': the %s group name is empty", s,
                        t ? "target" : "source");
        *gg[t] = find_group(x, p, (size_t)(gend - p));
        if (!*gg[t])
            return fail(x, k, "edges: '%s': no group named '%.*s'", s, (int)(gend - p), p);
        *ii[t] = UINT32_MAX;
        if (dot) {
            int64_t v = parse_index(dot + 1, e);
            if (v < 0)
                return fail(x, k, "edges: '%s': '%.*s' is not a neuron number", s,
                            (int)(e - dot - 1), dot + 1);
            if (v >= (*gg[t])->n)
                return fail(x, k, "edges: '%s': group '%s' has %u neurons, numbered 0..%u", s,
                            (*gg[t])->name, (*gg[t])->n, (*gg[t])->n - 1);
            *ii[t] = (uint32_t)v;
        }
    }
    if ((*ia == UINT32_MAX) != (*ib == UINT32_MAX))
        return fail(x, k,
                    "edges: '%s': give a neuron on both sides ('a.0 -> b.1') or on neither "
                    "('a -> b')",
                    s);
    if ((*gb)->source)
        return fail(x, k,
                    "edges: '%s': group '%s' is an input (its neurons have spike lists, poisson "
                    "or rate) and cannot receive synapses",
                    s, (*gb)->name);
    return 0;
}

static int parse_edge(sx *x, const yaml_node_t *k, const yaml_node_t *v)
{
    group *a, *b;
    uint32_t i, j;
    int rc = parse_edge_desc(x, k, &a, &i, &b, &j);
    if (rc)
        return rc;
    const uint32_t pa = (uint32_t)(a - x->g), pb = (uint32_t)(b - x->g);
    char what[300];
    snprintf(what, sizeof what, "edge '%s'", str(k));
    if (i != UINT32_MAX) {
        ectx c = {0, 0, NULL, NULL, what, 0};
        if ((rc = each_attr(x, v, what, edge_kv, &c)))
            return rc;
        /* single edges between the same two groups form one projection, in file order */
        synlist *s = NULL;
        for (size_t q = 0; q < x->nsl && !s; q++)
            if (x->sl[q].pre == pa && x->sl[q].post == pb && strcmp(x->sl[q].kind, "edges") == 0)
                s = &x->sl[q];
        if (!s && !(s = new_list(x, pa, pb, "edges", k)))
            return MYL_ENOMEM;
        return list_add(s, i, j, c.w, c.d + 1);
    }
    hctx h;
    memset(&h, 0, sizeof h);
    h.what = what;
    if ((rc = each_attr(x, v, what, hyper_kv, &h)))
        return rc;
    if (!h.type)
        return fail(x, v, "%s: 'type' is missing (dense, conv2d or sparse)", what);
    const char *t = str(h.type);
    int is_conv = strcmp(t, "conv2d") == 0, is_sparse = strcmp(t, "sparse") == 0;
    if (!is_conv && !is_sparse && strcmp(t, "dense") != 0)
        return fail(x, h.type, "%s: type '%s' (expected dense, conv2d or sparse)", what, t);
    for (int q = 0; q < 8 && !is_conv; q++)
        if (h.convn[q])
            return fail(x, h.convn[q], "%s: %s belongs to conv2d edges", what, conv_keys[q]);
    if (h.pairs && !is_sparse)
        return fail(x, h.pairs, "%s: source_target_pairs belongs to sparse edges", what);
    synlist *s = new_list(x, pa, pb, is_conv ? "conv2d" : is_sparse ? "sparse" : "dense", k);
    if (!s)
        return MYL_ENOMEM;
    return is_conv     ? conv_edge(x, &h, k, a, b, s)
           : is_sparse ? sparse_edge(x, &h, k, a, b, s)
                       : dense_edge(x, &h, a, b, s);
}

/* ---- mappings ---------------------------------------------------------------------------- */

typedef struct mctx {
    const yaml_node_t *core;
    const char *soma;
    const char *what;
} mctx;

static int mapping_kv(sx *x, const yaml_node_t *k, const yaml_node_t *v, void *vctx)
{
    mctx *c = vctx;
    const char *key = str(k);
    char what[300];
    snprintf(what, sizeof what, "%s: %s", c->what, key);
    if (strcmp(key, "core") == 0) {
        c->core = v;
        return want(x, v, YAML_SCALAR_NODE, what);
    }
    if (strcmp(key, "soma") == 0)
        return text(x, v, what, &c->soma);
    if (strcmp(key, "synapse") == 0 || strcmp(key, "dendrite") == 0) {
        const char *ignored;
        return text(x, v, what, &ignored); /* myelin charges the model's first such unit */
    }
    return fail(x, k, "%s: unknown key (expected core, soma, synapse or dendrite)", what);
}

static int parse_mapping(sx *x, const yaml_node_t *k, const yaml_node_t *v)
{
    int rc = want(x, k, YAML_SCALAR_NODE, "mappings");
    if (rc)
        return rc;
    const char *s = str(k), *dot = strchr(s, '.');
    group *g = find_group(x, s, dot ? (size_t)(dot - s) : strlen(s));
    if (!g)
        return fail(x, k, "mappings: no group named '%.*s'",
                    (int)(dot ? (size_t)(dot - s) : strlen(s)), s);
    uint32_t a = 0, b = g->n - 1;
    char what[300];
    snprintf(what, sizeof what, "mapping of '%s'", s);
    if (dot && (rc = parse_range(x, k, what, dot + 1, dot + strlen(dot), &a, &b)))
        return rc;
    if (b >= g->n)
        return fail(x, k, "%s: group '%s' has %u neurons, numbered 0..%u", what, g->name, g->n,
                    g->n - 1);
    mctx c = {NULL, NULL, what};
    if ((rc = each_attr(x, v, what, mapping_kv, &c)))
        return rc;
    if (!c.core)
        return fail(x, v, "%s: 'core' is missing; expected core: tile.core, e.g. core: 0.1", what);
    const char *cs = str(c.core), *cd = strchr(cs, '.');
    int64_t tile = cd ? parse_index(cs, cd) : -1,
            core = cd ? parse_index(cd + 1, cs + strlen(cs)) : -1;
    if (tile < 0 || core < 0 || tile > UINT32_MAX || core > UINT32_MAX)
        return fail(x, c.core,
                    "%s: core '%s': expected tile.core with whole numbers, e.g. 0.1 (core 1 of "
                    "tile 0)",
                    what, cs);
    for (uint32_t i = a; i <= b; i++) {
        uint64_t gi = g->first + i;
        x->nf->map_tile[gi] = (uint32_t)tile;
        x->nf->map_core[gi] = (uint32_t)core;
        x->nf->map_line[gi] = (uint32_t)k->start_mark.line + 1;
        x->map_where[gi] = k;
        if (c.soma)
            x->map_soma[gi] = c.soma;
    }
    return 0;
}

/* ---- building the myl_net ---------------------------------------------------------------- */

static double tau_of(double decay)
{
    /* decay per tick = exp(-dt / tau); no decay: a time constant so long that exp(-dt / tau)
     * rounds to 1 in float; full decay: so short that it rounds to 0 */
    if (decay >= 1)
        return 1e12 * DT;
    if (decay <= 0)
        return DT / 1000;
    return -DT / log(decay);
}

/* P21 of myelin's cuba_lif (docs/models.md) for r = 1. */
static double p21(double tau_m, double tau_s)
{
    double p22 = exp(-DT / tau_m);
    if (tau_s == tau_m)
        return (DT / tau_m) * p22;
    return p22 * tau_s / (tau_s - tau_m) * expm1(DT * (tau_s - tau_m) / (tau_s * tau_m));
}

/* myelin's value of parameter p for a neuron with SANA-FE attributes a, in a population of
 * model m (docs/energy.md, "Reading SANA-FE network files"). */
static double lif_value(const nattr *a, myl_model m, myl_param p)
{
    switch (p) {
    case MYL_P_V_TH:
        return a->threshold; /* fires when v > threshold: strict_threshold */
    case MYL_P_V_RESET:
        /* hard: v <- reset; soft: v <- v - threshold; none: v stays */
        return a->reset_mode == RM_HARD ? a->reset : a->reset_mode == RM_SOFT ? 0 : a->threshold;
    case MYL_P_REFRACTORY:
        /* SANA-FE counts refractory_delay down in the firing update itself, so a neuron is
         * held for refractory_delay - 1 timesteps after its spike */
        return a->refractory > 1 ? (double)(a->refractory - 1) : 0;
    case MYL_P_TAU_M:
        return tau_of(a->leak);
    case MYL_P_TAU_SYN_E:
    case MYL_P_TAU_SYN_I:
        return tau_of(a->idecay);
    case MYL_P_R:
        /* cuba_lif: r makes P21 = 1, so a current I adds I to v per tick as in SANA-FE */
        return m == MYL_MODEL_CUBA_LIF ? 1 / p21(tau_of(a->leak), tau_of(a->idecay)) : 1;
    case MYL_P_BIAS: {
        /* SANA-FE adds the bias once a tick after the leak: v <- d*v + bias (+ input) */
        if (m == MYL_MODEL_IF)
            return a->bias / DT; /* if: v <- v + r*bias*dt */
        if (m == MYL_MODEL_LIF)  /* lif: v <- d*v + (1 - d)*r*bias */
            return a->leak >= 1 ? 0 : a->bias / (1 - a->leak);
        /* cuba_lif: v <- P22*v + (1 - P22)*r*bias + P21*I */
        double p22 = (double)(float)exp(-DT / tau_of(a->leak));
        return p22 >= 1 ? 0 : a->bias / ((1 - p22) * lif_value(a, m, MYL_P_R));
    }
    default:
        return 0;
    }
}

/* Set parameter p of a population to each neuron's value: a constant when they agree (the
 * common case, without a per-neuron array), else an array. */
static int set_lif_param(sx *x, const group *g, myl_model m, myl_param p)
{
    const double v0 = lif_value(na(g, 0), m, p);
    int same = 1;
    for (uint32_t k = 0; k < g->nsets && same; k++)
        same = lif_value(&g->sets[k], m, p) == v0;
    myl_values val = myl_const(v0);
    double *v = NULL;
    if (!same) {
        if (!(v = myl_calloc(g->n, sizeof *v)))
            return MYL_ENOMEM;
        for (uint32_t i = 0; i < g->n; i++)
            v[i] = lif_value(na(g, i), m, p);
        val.dist = MYL_DIST_ARRAY;
        val.n = g->n;
        val.f64 = v;
    }
    int rc = myl_net_pop_set(x->nf->net, g->pop, p, &val, x->d);
    myl_free(v);
    return rc;
}

static int build_lif(sx *x, group *g)
{
    int cuba = 0, leaky = 0, hard = 0, soft = 0;
    for (uint32_t k = 0; k < g->nsets; k++) {
        const nattr *a = &g->sets[k];
        cuba |= a->idecay != 0;
        leaky |= a->leak != 1;
        hard |= a->reset_mode == RM_HARD;
        soft |= a->reset_mode != RM_HARD;
    }
    if (hard && soft)
        return fail(x, g->node,
                    "group '%s': some neurons reset hard and others soft or not at all; myelin "
                    "gives a population one reset mode (split the group)",
                    g->name);
    myl_model m = cuba ? MYL_MODEL_CUBA_LIF : leaky ? MYL_MODEL_LIF : MYL_MODEL_IF;
    for (uint32_t k = 0; k < g->nsets; k++) {
        const nattr *a = &g->sets[k];
        const float p22 = (float)exp(-DT / tau_of(a->leak));
        if (m == MYL_MODEL_LIF && a->leak >= 1 && a->bias != 0)
            return fail(x, g->node,
                        "group '%s': some neurons have a bias and no leak while others leak; "
                        "myelin cannot mix the two in one population (split the group)",
                        g->name);
        if (m == MYL_MODEL_CUBA_LIF && p22 >= 1 && a->bias != 0)
            return fail(x, g->node,
                        "group '%s': a neuron with input decay, a bias and no leak cannot be "
                        "expressed with myelin's cuba_lif",
                        g->name);
    }
    int rc = myl_net_add_pop(x->nf->net, g->name, g->n, m, &g->pop, x->d);
    static const myl_param ps[] = {MYL_P_V_TH,  MYL_P_V_RESET,   MYL_P_REFRACTORY, MYL_P_BIAS,
                                   MYL_P_TAU_M, MYL_P_TAU_SYN_E, MYL_P_TAU_SYN_I,  MYL_P_R};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0] && !rc; k++) {
        if ((ps[k] == MYL_P_TAU_M && m == MYL_MODEL_IF) ||
            ((ps[k] == MYL_P_TAU_SYN_E || ps[k] == MYL_P_TAU_SYN_I || ps[k] == MYL_P_R) &&
             m != MYL_MODEL_CUBA_LIF))
            continue;
        rc = set_lif_param(x, g, m, ps[k]);
    }
    if (!rc)
        rc = myl_net_pop_set_reset(x->nf->net, g->pop, hard ? MYL_RESET_TO : MYL_RESET_SUBTRACT);
    if (!rc)
        rc = myl_net_pop_set_strict_threshold(x->nf->net, g->pop, 1); /* v > threshold */
    return rc;
}

/* Set parameter p of population pop to per-neuron values (a constant when they agree). */
static int set_param(sx *x, uint32_t pop, myl_param p, const double *v, uint32_t n)
{
    int same = 1;
    for (uint32_t i = 1; i < n && same; i++)
        same = v[i] == v[0];
    myl_values val = myl_const(v[0]);
    if (!same) {
        val.dist = MYL_DIST_ARRAY;
        val.n = n;
        val.f64 = v;
    }
    return myl_net_pop_set(x->nf->net, pop, p, &val, x->d);
}

static int build_source(sx *x, group *g)
{
    const uint32_t n = g->n;
    int kind = IN_NONE;
    uint32_t first = 0;
    for (uint32_t i = 0; i < n; i++) {
        const nattr *a = na(g, i);
        if (a->input == IN_NONE)
            continue;
        if (kind != IN_NONE && a->input != kind)
            return fail(x, a->in_where,
                        "group '%s': neuron %u's input is of another kind than neuron %u's; "
                        "myelin gives a population one kind of spike source (split the group)",
                        g->name, i, first);
        if (kind == IN_NONE)
            first = i;
        kind = a->input;
    }
    myl_model m = kind == IN_SPIKES    ? MYL_MODEL_SPIKE_TIMES
                  : kind == IN_POISSON ? MYL_MODEL_POISSON
                                       : MYL_MODEL_REGULAR;
    int rc = myl_net_add_pop(x->nf->net, g->name, n, m, &g->pop, x->d);
    if (rc)
        return rc;
    if (kind == IN_SPIKES) {
        /* entry k of a list is timestep k + 1, myelin's tick k */
        size_t total = 0;
        for (uint32_t i = 0; i < n; i++)
            if (na(g, i)->spikes)
                total += seq_len(na(g, i)->spikes);
        uint32_t *nn = myl_calloc(total ? total : 1, sizeof *nn);
        uint64_t *tk = myl_calloc(total ? total : 1, sizeof *tk);
        if (!nn || !tk) {
            myl_free(nn), myl_free(tk);
            return MYL_ENOMEM;
        }
        size_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            const yaml_node_t *l = na(g, i)->spikes;
            for (size_t q = 0; l && q < seq_len(l); q++) {
                int b = 0;
                boolean(x, seq_at(x, l, q), "spikes", &b); /* checked when read */
                if (b)
                    nn[k] = i, tk[k++] = q;
            }
        }
        rc = myl_net_pop_set_times(x->nf->net, g->pop, nn, tk, k, x->d);
        myl_free(nn), myl_free(tk);
        return rc;
    }
    double *v = myl_calloc(n, sizeof *v), *ph = myl_calloc(n, sizeof *ph);
    if (!v || !ph) {
        myl_free(v), myl_free(ph);
        return MYL_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        const nattr *a = na(g, i);
        if (kind == IN_POISSON) {
            /* a spike with probability p each timestep: the Poisson rate with the same chance
             * of at least one spike per tick */
            v[i] = a->input == IN_POISSON ? -log1p(-a->poisson) / DT : 0;
        } else {
            /* a spike at timesteps T with T % floor(1 / rate) == 0, T from 1: myelin ticks
             * P - 1, 2P - 1, ...; a neuron without a rate never fires */
            double per = a->input == IN_RATE && a->rate > 0 ? floor(1 / a->rate) : 0;
            v[i] = per >= 1 ? per : 1;
            ph[i] = per >= 1 ? per - 1 : 1e17;
        }
    }
    rc = set_param(x, g->pop, kind == IN_POISSON ? MYL_P_RATE : MYL_P_PERIOD, v, n);
    if (!rc && kind == IN_RATE)
        rc = set_param(x, g->pop, MYL_P_PHASE, ph, n);
    myl_free(v), myl_free(ph);
    return rc;
}

static int add_projection(sx *x, synlist *s)
{
    const group *a = &x->g[s->pre], *b = &x->g[s->post];
    char name[300], origin[600];
    if (strcmp(s->kind, "edges") == 0)
        snprintf(name, sizeof name, "%s->%s", a->name, b->name);
    else
        snprintf(name, sizeof name, "%s->%s %s", a->name, b->name, s->kind);
    snprintf(origin, sizeof origin, "%s:%zu:%zu", x->file, s->where->start_mark.line + 1,
             s->where->start_mark.column + 1);
    myl_proj_desc p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.origin = origin;
    p.pre = a->pop;
    p.post = b->pop;
    p.rule = s->dense ? MYL_CONN_ALL_TO_ALL : MYL_CONN_EXPLICIT;
    p.allow_self = 1;
    p.allow_multiple = 1;
    if (!s->dense) {
        p.nexplicit = s->n;
        p.pre_idx = s->ipre;
        p.post_idx = s->ipost;
    }
    p.delay_unit = 1;
    p.sign = MYL_SIGN_ANY;
    double *arr[2] = {s->w, s->dly};
    myl_values *val[2] = {&p.weight, &p.delay};
    for (int k = 0; k < 2; k++) {
        int same = 1;
        for (size_t i = 1; i < s->n && same; i++)
            same = arr[k][i] == arr[k][0];
        *val[k] = myl_const(s->n ? arr[k][0] : k);
        if (!same) {
            val[k]->dist = MYL_DIST_ARRAY;
            val[k]->n = s->n;
            val[k]->f64 = arr[k];
        }
    }
    return myl_net_add_proj(x->nf->net, &p, NULL, x->d);
}

/* The soma unit of each population: every neuron of a group must name the same one. */
static int group_somas(sx *x)
{
    myl_netfile *nf = x->nf;
    for (size_t q = 0; q < x->ng; q++) {
        group *g = &x->g[q];
        const char *name = NULL;
        const yaml_node_t *where = NULL;
        for (uint32_t i = 0; i < g->n; i++) {
            uint64_t gi = g->first + i;
            const char *s = x->map_soma && x->map_soma[gi] ? x->map_soma[gi] : na(g, i)->soma;
            const yaml_node_t *w =
                x->map_soma && x->map_soma[gi] ? x->map_where[gi] : na(g, i)->soma_where;
            if (i == 0) {
                name = s, where = w;
                continue;
            }
            if ((s == NULL) != (name == NULL) || (s && strcmp(s, name) != 0))
                return fail(x,
                            w       ? w
                            : where ? where
                                    : g->node,
                            "group '%s': neuron %u is mapped with soma unit '%s' but neuron 0 "
                            "with '%s'; myelin gives a population one soma unit (split the "
                            "group)",
                            g->name, i, s ? s : "(the default)", name ? name : "(the default)");
        }
        if (name) {
            if (!nf->soma && !(nf->soma = myl_calloc(x->ng, sizeof *nf->soma)))
                return MYL_ENOMEM;
            if (!(nf->soma[g->pop] = myl_strdup(name)))
                return MYL_ENOMEM;
        }
    }
    return 0;
}

static int read_all(sx *x, yaml_node_t *root)
{
    static const char *const top[] = {"network", "mappings", NULL};
    int rc = check_keys(x, root, top, "top level of a SANA-FE network file");
    if (rc)
        return rc;
    const yaml_node_t *net = get(x, root, "network"), *maps = get(x, root, "mappings");
    static const char *const netk[] = {"name", "groups", "edges", NULL};
    if ((rc = want(x, net, YAML_MAPPING_NODE, "network")) ||
        (rc = check_keys(x, net, netk, "network")))
        return rc;
    const yaml_node_t *nm = get(x, net, "name"), *groups = get(x, net, "groups"),
                      *edges = get(x, net, "edges");
    if (nm) {
        const char *s = NULL;
        if ((rc = text(x, nm, "network: name", &s)))
            return rc;
        myl_free(x->nf->name);
        if (!(x->nf->name = myl_strdup(s)))
            return MYL_ENOMEM;
    }
    if (!groups)
        return fail(x, net, "network: 'groups' is missing");
    if ((rc = want(x, groups, YAML_SEQUENCE_NODE, "network: groups")))
        return rc;
    if (seq_len(groups) == 0)
        return fail(x, groups, "network: groups: the list is empty");
    x->g = myl_calloc(seq_len(groups), sizeof *x->g);
    if (!x->g)
        return MYL_ENOMEM;
    x->capg = seq_len(groups);
    for (size_t i = 0; i < seq_len(groups); i++) {
        group *g = &x->g[i];
        if ((rc = parse_group(x, seq_at(x, groups, i), g)))
            return rc;
        if (find_group(x, g->name, strlen(g->name)))
            return fail(x, get(x, seq_at(x, groups, i), "name"), "group '%s' is defined twice",
                        g->name);
        g->first = x->nneurons;
        x->nneurons += g->n;
        x->ng++;
        if (x->nneurons >= UINT32_MAX)
            return fail(x, g->node, "the network has more than %u neurons", UINT32_MAX - 1);
    }
    if (edges && !(edges->type == YAML_SCALAR_NODE && !*str(edges))) {
        if ((rc = want(x, edges, YAML_SEQUENCE_NODE, "network: edges")))
            return rc;
        for (size_t i = 0; i < seq_len(edges) && !rc; i++) {
            const yaml_node_t *e = seq_at(x, edges, i);
            if ((rc = want(x, e, YAML_MAPPING_NODE, "network: edges: an edge")))
                return rc;
            for (size_t j = 0; j < map_len(e) && !rc; j++) {
                const yaml_node_t *k = map_key(x, e, j);
                if (!(rc = want(x, k, YAML_SCALAR_NODE, "network: edges")))
                    rc = parse_edge(x, k, map_val(x, e, j));
            }
        }
        if (rc)
            return rc;
    }

    /* the network */
    myl_netfile *nf = x->nf;
    if ((rc = myl_net_new(DT, &nf->net)))
        return rc;
    myl_net_set_run(nf->net, 1000, 1);
    for (size_t i = 0; i < x->ng && !rc; i++)
        rc = x->g[i].source ? build_source(x, &x->g[i]) : build_lif(x, &x->g[i]);
    for (size_t i = 0; i < x->nsl && !rc; i++)
        rc = add_projection(x, &x->sl[i]);
    if (rc)
        return rc;

    /* the mapping */
    if (maps && !(maps->type == YAML_SCALAR_NODE && !*str(maps))) {
        if ((rc = want(x, maps, YAML_SEQUENCE_NODE, "mappings")))
            return rc;
        const size_t nn = (size_t)x->nneurons;
        nf->map_tile = myl_calloc(nn, sizeof *nf->map_tile);
        nf->map_core = myl_calloc(nn, sizeof *nf->map_core);
        nf->map_line = myl_calloc(nn, sizeof *nf->map_line);
        x->map_where = myl_calloc(nn, sizeof *x->map_where);
        x->map_soma = myl_calloc(nn, sizeof *x->map_soma);
        if (!nf->map_tile || !nf->map_core || !nf->map_line || !x->map_where || !x->map_soma)
            return MYL_ENOMEM;
        for (size_t i = 0; i < seq_len(maps) && !rc; i++) {
            const yaml_node_t *e = seq_at(x, maps, i);
            if (e->type != YAML_MAPPING_NODE || map_len(e) != 1)
                return fail(x, e,
                            "mappings: expected one `group.neurons: [core: tile.core]` per "
                            "entry, found %s",
                            e->type == YAML_MAPPING_NODE ? "several keys" : kind(e));
            rc = parse_mapping(x, map_key(x, e, 0), map_val(x, e, 0));
        }
        if (rc)
            return rc;
        for (size_t q = 0; q < x->ng; q++)
            for (uint32_t i = 0; i < x->g[q].n; i++)
                if (!x->map_where[x->g[q].first + i])
                    return fail(x, maps,
                                "mappings: neuron %s.%u is not mapped; a SANA-FE mapping places "
                                "every neuron",
                                x->g[q].name, i);
    }
    return group_somas(x);
}

int myl__sanafe_net_read(struct yaml_document_s *doc, const char *file, myl_netfile *nf,
                         myl_diag *d)
{
    sx x;
    memset(&x, 0, sizeof x);
    x.doc = doc;
    x.file = file;
    x.d = d;
    x.nf = nf;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    int rc = root ? read_all(&x, root) : MYL_EINVAL;
    for (size_t i = 0; i < x.capg; i++) {
        myl_free(x.g[i].ai);
        myl_free(x.g[i].sets);
    }
    myl_free(x.g);
    for (size_t i = 0; i < x.nsl; i++)
        list_release(&x.sl[i]);
    myl_free(x.sl);
    myl_free(x.map_where);
    myl_free(x.map_soma);
    return rc;
}

/* ---- the mapping on a hardware model ----------------------------------------------------- */

int myl_sanafe_core_of(const myl_netfile *nf, const myl_hw *hw, uint32_t **core_of, myl_diag *d)
{
    if (!nf || !hw || !core_of)
        return MYL_EINVAL;
    *core_of = NULL;
    if (!nf->map_tile)
        return MYL_ENOTFOUND;
    const uint64_t n = myl_net_nneurons(nf->net);
    const uint32_t W = hw->mesh_w ? hw->mesh_w : 1, H = hw->mesh_h ? hw->mesh_h : 1;
    const uint32_t cpt = hw->cores_per_tile ? hw->cores_per_tile : 1;
    uint32_t *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return MYL_ENOMEM;
    for (uint64_t g = 0; g < n; g++) {
        uint32_t t = nf->map_tile[g], k = nf->map_core[g];
        if ((uint64_t)t >= (uint64_t)W * H || k >= cpt) {
            free(c);
            return myl_diag_fail(d, MYL_ENOFIT,
                                 "%s:%u: the mapping puts neurons on core %u.%u, but %s has %llu "
                                 "tiles (0..%llu) of %u cores (0..%u)",
                                 nf->path, nf->map_line[g], t, k, hw->name,
                                 (unsigned long long)W * H, (unsigned long long)W * H - 1, cpt,
                                 cpt - 1);
        }
        /* SANA-FE: tile id = x * height + y; myelin's explicit cores run row-major */
        uint32_t tx = t / H, ty = t % H;
        c[g] = ((uint32_t)ty * W + tx) * cpt + k;
    }
    *core_of = c;
    return 0;
}
