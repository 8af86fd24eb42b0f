/* Network file reader: YAML (through libyaml's document API) into a myl_net.
 *
 * The document is loaded whole (network files are small; big arrays live in .npy files), then
 * walked with a handful of typed accessors that know the node's line and column, so every
 * message can say "net.yaml:12:5: projection 'ee': weight: expected a number or a distribution".
 * Unknown keys are errors, with the list of keys that would have been understood: a misspelt
 * parameter silently left at its default is the worst kind of bug in a simulation.
 *
 * Units (see docs/network-format.md): plain numbers are seconds for time constants and dt,
 * ticks for delays, refractory periods, periods, phases, spike times and durations, Hz for
 * rates, and the membrane unit for voltages and weights; any time may be written with a unit.
 */
#include "myelin/netfile.h"

#include "myelin/alloc.h"
#include "myelin/npy.h"
#include "myelin/sanafe.h"
#include "myelin/units.h"

#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_FILE_BYTES (1ull << 30)

typedef struct ctx {
    yaml_document_t doc;
    const char *file;
    const char *basedir;
    myl_diag *d;
    myl_net *net;
    double dt;
    /* arrays made while parsing, freed when done (the network copies what it keeps) */
    void **tmp;
    size_t ntmp, captmp;
} ctx;

/* ---- helpers ----------------------------------------------------------------------------- */

static int fail(ctx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(ctx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return myl_diag_fail(x->d, rc, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
    return myl_diag_fail(x->d, rc, "%s: %s", x->file, msg);
}

static void *keep(ctx *x, void *p)
{
    if (!p)
        return NULL;
    if (x->ntmp == x->captmp) {
        size_t cap = x->captmp ? x->captmp * 2 : 16;
        void **t = myl_reallocarray(x->tmp, cap, sizeof *t);
        if (!t) {
            myl_free(p);
            return NULL;
        }
        x->tmp = t;
        x->captmp = cap;
    }
    x->tmp[x->ntmp++] = p;
    return p;
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a single value";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static yaml_node_t *node(ctx *x, int id)
{
    return yaml_document_get_node(&x->doc, id);
}

/* Value of key in mapping m, or NULL. */
static yaml_node_t *get(ctx *x, yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
            return node(x, p->value);
    }
    return NULL;
}

/* The key node of `key` in mapping m (for messages about the key rather than its value). */
static yaml_node_t *keynode(ctx *x, yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
            return k;
    }
    return m;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps), capped at 3. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40)
        return 3;
    int d[41][41];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;
            d[i][j] = c;
        }
    return d[n][m] < 3 ? d[n][m] : 3;
}

/* Every key of m must be a scalar, appear once, and be in `allowed` (NULL-terminated). */
static int check_keys(ctx *x, yaml_node_t *m, const char *const *allowed, const char *where)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return fail(x, k, MYL_EPARSE, "%s: keys must be plain names", where);
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = node(x, q->key);
            if (k2->type == YAML_SCALAR_NODE && strcmp(scalar(k2), scalar(k)) == 0)
                return fail(x, k, MYL_EPARSE, "%s: key '%s' appears twice", where, scalar(k));
        }
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, scalar(k)) == 0;
        if (!ok) {
            const char *best = NULL;
            int bd = 3;
            for (const char *const *a = allowed; *a; a++) {
                int dd = distance(scalar(k), *a);
                if (dd < bd)
                    bd = dd, best = *a;
            }
            char list[512] = "";
            size_t len = 0;
            for (const char *const *a = allowed; *a; a++)
                len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0,
                                        "%s%s", a == allowed ? "" : ", ", *a);
            if (best)
                return fail(x, k, MYL_EPARSE,
                            "%s: unknown key '%s' (did you mean '%s'? expected one of: %s)", where,
                            scalar(k), best, list);
            return fail(x, k, MYL_EPARSE, "%s: unknown key '%s' (expected one of: %s)", where,
                        scalar(k), list);
        }
    }
    return 0;
}

static int want(ctx *x, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (n->type == t)
        return 0;
    const char *w = t == YAML_SCALAR_NODE     ? "a single value"
                    : t == YAML_SEQUENCE_NODE ? "a list"
                                              : "a mapping";
    return fail(x, n, MYL_EPARSE, "%s: expected %s, found %s", what, w, node_kind(n));
}

static int get_bool(ctx *x, yaml_node_t *n, const char *what, int *out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *s = scalar(n);
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off", NULL};
    for (const char *const *p = yes; *p; p++)
        if (strcmp(s, *p) == 0)
            return *out = 1, 0;
    for (const char *const *p = no; *p; p++)
        if (strcmp(s, *p) == 0)
            return *out = 0, 0;
    return fail(x, n, MYL_EPARSE, "%s: expected true or false, found '%s'", what, s);
}

/* Whole number in [lo, hi] (no unit). */
static int get_uint(ctx *x, yaml_node_t *n, const char *what, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *s = scalar(n);
    char *end;
    errno = 0;
    while (*s == ' ')
        s++;
    if (*s == '-' || *s == '+' || !*s)
        return fail(x, n, MYL_EPARSE, "%s: expected a whole number >= %llu, found '%s'", what,
                    (unsigned long long)lo, scalar(n));
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'e' || *end == 'E' || *end == '.') {
        /* 1e4 or 10000.0: accept when it is an exact whole number */
        double dv = strtod(s, &end);
        if (*end || dv != floor(dv) || dv < 0 || dv > 9007199254740992.0)
            return fail(x, n, MYL_EPARSE, "%s: expected a whole number, found '%s'", what,
                        scalar(n));
        v = (unsigned long long)dv;
    } else if (*end || errno == ERANGE) {
        return fail(x, n, MYL_EPARSE, "%s: expected a whole number, found '%s'", what, scalar(n));
    }
    if (v < lo || v > hi)
        return fail(x, n, MYL_ERANGE, "%s: %llu is outside [%llu, %llu]", what, v,
                    (unsigned long long)lo, (unsigned long long)hi);
    *out = v;
    return 0;
}

static int get_str(ctx *x, yaml_node_t *n, const char *what, const char **out)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    *out = scalar(n);
    return 0;
}

/* How the numbers of a value are converted into what the network stores. */
typedef enum conv {
    C_PLAIN,   /* membrane units, weights: plain, "mV" accepted */
    C_SECONDS, /* time constants: plain = seconds */
    C_TICKS,   /* delays, refractory, periods: plain = ticks; times converted to ticks */
    C_HZ,      /* rates */
} conv;

static myl_qkind conv_kind(conv c)
{
    switch (c) {
    case C_SECONDS:
    case C_TICKS:
        return MYL_Q_TIME;
    case C_HZ:
        return MYL_Q_RATE;
    default:
        return MYL_Q_VOLT;
    }
}

static const char *conv_expect(conv c)
{
    switch (c) {
    case C_SECONDS:
        return "a time (plain numbers are seconds; e.g. 20 ms)";
    case C_TICKS:
        return "a whole number of ticks or a time (e.g. 15 or 1.5 ms)";
    case C_HZ:
        return "a rate (plain numbers are Hz; e.g. 20 Hz)";
    default:
        return "a number";
    }
}

/* One number. For C_TICKS, *in_ticks tells whether it was given in ticks (plain or "ticks") -
 * then it must be whole - or as a time (then it is converted to fractional ticks). */
static int get_num(ctx *x, yaml_node_t *n, const char *what, conv c, double *out, int *in_ticks)
{
    int rc = want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    char why[128];
    myl_qunit u;
    double v;
    if (myl_quantity_parse(scalar(n), conv_kind(c), &v, &u, why))
        return fail(x, n, MYL_EPARSE, "%s: %s; expected %s", what, why, conv_expect(c));
    if (u == MYL_U_TICKS && c != C_TICKS)
        return fail(x, n, MYL_EPARSE, "%s: ticks are not allowed here; expected %s", what,
                    conv_expect(c));
    if (c == C_TICKS) {
        int t = u != MYL_U_SI;
        if (in_ticks)
            *in_ticks = t;
        if (t && v != floor(v))
            return fail(x, n, MYL_EPARSE,
                        "%s: %g ticks is not a whole number (write a time such as '%g ms' to "
                        "have it rounded to the nearest tick)",
                        what, v, v * x->dt * 1e3);
        if (!t)
            v /= x->dt;
    }
    *out = v;
    return 0;
}

/* Load a .npy named by node n, relative to the network file. */
static int load_npy(ctx *x, yaml_node_t *n, const char *what, myl_npy *a)
{
    const char *rel;
    int rc = get_str(x, n, what, &rel);
    if (rc)
        return rc;
    char path[4096];
    if (rel[0] == '/' || !x->basedir || !x->basedir[0])
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%s/%s", x->basedir, rel);
    myl_diag nd = {0};
    rc = myl_npy_load(path, a, &nd);
    if (rc)
        return fail(x, n, rc, "%s: %s", what, nd.msg);
    if (a->dtype == MYL_NPY_BOOL)
        return myl_npy_release(a), fail(x, n, MYL_EPARSE, "%s: %s holds booleans; expected "
                                                          "numbers", what, rel);
    return 0;
}

static int npy_shape_str(const myl_npy *a, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < a->ndim && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%llu", i ? ", " : "",
                                (unsigned long long)a->shape[i]);
    if (len < size)
        snprintf(buf + len, size - len, a->ndim == 1 ? ",)" : ")");
    return 0;
}

/* A myl_values from: a scalar; a list of numbers; {dist: uniform|normal, ...};
 * {npy: file[, unit: ...]}. `n` is the number of elements when known (0 if not). For weights
 * of all_to_all a .npy may be 2-D (rows, cols) = shape2. */
static int get_values(ctx *x, yaml_node_t *nd, const char *what, conv c, size_t n,
                      const uint64_t *shape2, myl_values *out)
{
    memset(out, 0, sizeof *out);
    out->lo = -INFINITY;
    out->hi = INFINITY;
    int rc;
    if (nd->type == YAML_SCALAR_NODE) {
        out->dist = MYL_DIST_CONST;
        return get_num(x, nd, what, c, &out->a, NULL);
    }
    if (nd->type == YAML_SEQUENCE_NODE) {
        size_t len = (size_t)(nd->data.sequence.items.top - nd->data.sequence.items.start);
        if (n && len != n)
            return fail(x, nd, MYL_EPARSE, "%s: %zu values given, %zu expected", what, len, n);
        double *arr = keep(x, myl_calloc(len ? len : 1, sizeof *arr));
        if (!arr)
            return MYL_ENOMEM;
        for (size_t i = 0; i < len; i++)
            if ((rc = get_num(x, node(x, nd->data.sequence.items.start[i]), what, c, &arr[i],
                              NULL)))
                return rc;
        out->dist = MYL_DIST_ARRAY;
        out->f64 = arr;
        out->n = len;
        return 0;
    }
    if (nd->type != YAML_MAPPING_NODE)
        return fail(x, nd, MYL_EPARSE, "%s: expected %s, a list or a distribution", what,
                    conv_expect(c));

    yaml_node_t *npy = get(x, nd, "npy");
    if (npy) {
        static const char *const keys[] = {"npy", "unit", NULL};
        if ((rc = check_keys(x, nd, keys, what)))
            return rc;
        double scale = 1.0;
        yaml_node_t *un = get(x, nd, "unit");
        if (un) {
            const char *u;
            if ((rc = get_str(x, un, what, &u)))
                return rc;
            char q[64];
            snprintf(q, sizeof q, "1 %s", u);
            myl_qunit qu;
            char why[128];
            if (myl_quantity_parse(q, conv_kind(c), &scale, &qu, why) ||
                (qu == MYL_U_TICKS && c != C_TICKS))
                return fail(x, un, MYL_EPARSE, "%s: unit '%s' does not fit; expected %s", what,
                            u, conv_expect(c));
            if (c == C_TICKS && qu == MYL_U_SI)
                scale /= x->dt;
        } else if (c == C_SECONDS || c == C_HZ) {
            scale = 1.0;
        }
        myl_npy a = {0};
        if ((rc = load_npy(x, npy, what, &a)))
            return rc;
        int shape_ok = (a.ndim == 1 && (!n || a.shape[0] == n)) ||
                       (shape2 && a.ndim == 2 && a.shape[0] == shape2[0] &&
                        a.shape[1] == shape2[1]);
        if (!shape_ok) {
            char sh[128];
            npy_shape_str(&a, sh, sizeof sh);
            myl_npy_release(&a);
            if (shape2)
                return fail(x, npy, MYL_EPARSE,
                            "%s: array has shape %s; expected (%zu,) or (%llu, %llu) "
                            "(rows = targets, columns = sources)",
                            what, sh, n, (unsigned long long)shape2[0],
                            (unsigned long long)shape2[1]);
            if (n)
                return fail(x, npy, MYL_EPARSE, "%s: array has shape %s; expected (%zu,)",
                            what, sh, n);
            return fail(x, npy, MYL_EPARSE, "%s: array has shape %s; expected one dimension",
                        what, sh);
        }
        double *arr = keep(x, myl_calloc(a.count ? a.count : 1, sizeof *arr));
        if (!arr) {
            myl_npy_release(&a);
            return MYL_ENOMEM;
        }
        for (uint64_t i = 0; i < a.count; i++) {
            arr[i] = myl_npy_get(&a, i) * scale;
            if (!isfinite(arr[i])) {
                myl_npy_release(&a);
                return fail(x, npy, MYL_EPARSE, "%s: element %llu is not a finite number",
                            what, (unsigned long long)i);
            }
        }
        out->dist = MYL_DIST_ARRAY;
        out->f64 = arr;
        out->n = (size_t)a.count;
        myl_npy_release(&a); /* zeroes a: read its count first */
        return 0;
    }

    yaml_node_t *dn = get(x, nd, "dist");
    if (!dn)
        return fail(x, nd, MYL_EPARSE,
                    "%s: a mapping here needs 'dist' (uniform, normal) or 'npy' (a file)", what);
    const char *dist;
    if ((rc = get_str(x, dn, what, &dist)))
        return rc;
    if (strcmp(dist, "uniform") == 0) {
        static const char *const keys[] = {"dist", "low", "high", NULL};
        if ((rc = check_keys(x, nd, keys, what)))
            return rc;
        yaml_node_t *lo = get(x, nd, "low"), *hi = get(x, nd, "high");
        if (!lo || !hi)
            return fail(x, nd, MYL_EPARSE, "%s: uniform needs low and high", what);
        int tl = 0, th = 0;
        if ((rc = get_num(x, lo, what, c, &out->a, &tl)) ||
            (rc = get_num(x, hi, what, c, &out->b, &th)))
            return rc;
        if (c == C_TICKS && tl != th)
            return fail(x, nd, MYL_EPARSE, "%s: give low and high in the same unit", what);
        if (!(out->b >= out->a))
            return fail(x, nd, MYL_ERANGE, "%s: uniform needs low <= high", what);
        out->dist = MYL_DIST_UNIFORM;
        out->integer = c == C_TICKS && tl;
        return 0;
    }
    if (strcmp(dist, "normal") == 0) {
        static const char *const keys[] = {"dist", "mean", "std", "low", "high", NULL};
        if ((rc = check_keys(x, nd, keys, what)))
            return rc;
        yaml_node_t *m = get(x, nd, "mean"), *s = get(x, nd, "std");
        if (!m || !s)
            return fail(x, nd, MYL_EPARSE, "%s: normal needs mean and std", what);
        int t;
        if ((rc = get_num(x, m, what, c, &out->a, &t)) ||
            (rc = get_num(x, s, what, c, &out->b, &t)))
            return rc;
        if (!(out->b >= 0))
            return fail(x, s, MYL_ERANGE, "%s: std must be >= 0", what);
        yaml_node_t *lo = get(x, nd, "low"), *hi = get(x, nd, "high");
        if (lo && (rc = get_num(x, lo, what, c, &out->lo, &t)))
            return rc;
        if (hi && (rc = get_num(x, hi, what, c, &out->hi, &t)))
            return rc;
        if (!(out->lo <= out->hi))
            return fail(x, nd, MYL_ERANGE, "%s: normal needs low <= high", what);
        out->dist = MYL_DIST_NORMAL;
        return 0;
    }
    return fail(x, dn, MYL_EPARSE, "%s: unknown distribution '%s' (expected uniform or normal)",
                what, dist);
}

/* ---- sections ---------------------------------------------------------------------------- */

static int parse_run(ctx *x, yaml_node_t *run, myl_netfile *nf, uint64_t *ticks, uint64_t *seed)
{
    static const char *const keys[] = {"dt", "duration", "seed", NULL};
    int rc = want(x, run, YAML_MAPPING_NODE, "run");
    if (rc || (rc = check_keys(x, run, keys, "run")))
        return rc;
    yaml_node_t *du = get(x, run, "duration"), *sd = get(x, run, "seed");
    if (du) {
        double t;
        if ((rc = get_num(x, du, "run: duration", C_TICKS, &t, NULL)))
            return rc;
        t = round(t * (1 + 1e-12));
        if (!(t >= 0 && t < 1e18))
            return fail(x, du, MYL_ERANGE, "run: duration must be >= 0");
        *ticks = (uint64_t)t;
        nf->has_duration = 1;
    }
    if (sd && (rc = get_uint(x, sd, "run: seed", 0, UINT64_MAX, seed)))
        return rc;
    return 0;
}

static const char *const pop_keys_neuron[] = {
    "name",      "size",   "model",   "tau_m",      "tau_syn",     "tau_syn_e", "tau_syn_i",
    "v_rest",    "v_leak", "v_th",    "v_reset",    "reset",       "refractory", "bias",
    "r",         "v_init", "record_v", "strict_threshold", "input_rate", "input_weight", NULL};
static const char *const pop_keys_poisson[] = {"name", "size", "model", "rate", NULL};
static const char *const pop_keys_regular[] = {"name", "size",  "model",
                                               "period", "rate", "phase", NULL};
static const char *const pop_keys_times[] = {"name", "size", "model", "times", "neurons", NULL};
static const char *const pop_keys_events[] = {"name", "size", "model", NULL};

static int set_param(ctx *x, uint32_t pop, yaml_node_t *pn, myl_param p, conv c,
                     const char *what)
{
    myl_values v;
    uint32_t size = myl_net_pop_size(x->net, pop);
    int rc = get_values(x, pn, what, c, size, NULL, &v);
    if (rc)
        return rc;
    myl_diag d = {0};
    rc = myl_net_pop_set(x->net, pop, p, &v, &d);
    if (rc)
        return fail(x, pn, rc == MYL_EINVAL ? MYL_EPARSE : rc, "%s", d.msg);
    return 0;
}

static int parse_spike_times(ctx *x, yaml_node_t *pm, uint32_t pop, const char *where)
{
    uint32_t size = myl_net_pop_size(x->net, pop);
    yaml_node_t *tn = get(x, pm, "times"), *nn = get(x, pm, "neurons");
    char what[300];
    snprintf(what, sizeof what, "%s: times", where);
    if (!tn)
        return fail(x, pm, MYL_EPARSE, "%s: a spike_times source needs 'times'", where);
    int rc;
    uint32_t *neu = NULL;
    double *tt = NULL;
    size_t n = 0;
    if (nn) {
        /* parallel arrays: neurons[k] spikes at times[k] */
        myl_values nv, tv;
        if ((rc = get_values(x, nn, what, C_PLAIN, 0, NULL, &nv)) ||
            (rc = get_values(x, tn, what, C_TICKS, 0, NULL, &tv)))
            return rc;
        if (nv.dist != MYL_DIST_ARRAY || tv.dist != MYL_DIST_ARRAY || nv.n != tv.n)
            return fail(x, pm, MYL_EPARSE,
                        "%s: 'neurons' and 'times' must be lists (or .npy files) of equal length",
                        where);
        n = nv.n;
        neu = keep(x, myl_calloc(n ? n : 1, sizeof *neu));
        if (!neu)
            return MYL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            double v = nv.f64[i];
            if (!(v >= 0 && v < size) || v != floor(v)) {
                yaml_node_t *at = nn->type == YAML_SEQUENCE_NODE
                                      ? node(x, nn->data.sequence.items.start[i])
                                      : nn;
                return fail(x, at, MYL_ERANGE,
                            "%s: neurons: index %g at position %zu is not in 0..%u", where, v, i,
                            size - 1);
            }
            neu[i] = (uint32_t)v;
        }
        tt = (double *)tv.f64;
    } else if (tn->type == YAML_SEQUENCE_NODE) {
        /* a list of lists (one per neuron), or a flat list when size is 1 */
        yaml_node_item_t *it = tn->data.sequence.items.start;
        size_t len = (size_t)(tn->data.sequence.items.top - it);
        int nested = len && node(x, it[0])->type == YAML_SEQUENCE_NODE;
        if (!nested && size != 1 && len)
            return fail(x, tn, MYL_EPARSE,
                        "%s: with %u neurons, give one list of times per neuron", what, size);
        if (nested && len != size)
            return fail(x, tn, MYL_EPARSE, "%s: %zu lists given for %u neurons", what, len, size);
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *e = node(x, it[i]);
            n += nested ? (e->type == YAML_SEQUENCE_NODE
                               ? (size_t)(e->data.sequence.items.top - e->data.sequence.items.start)
                               : 0)
                        : 1;
        }
        neu = keep(x, myl_calloc(n ? n : 1, sizeof *neu));
        tt = keep(x, myl_calloc(n ? n : 1, sizeof *tt));
        if (!neu || !tt)
            return MYL_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *e = node(x, it[i]);
            if (!nested) {
                neu[k] = 0;
                if ((rc = get_num(x, e, what, C_TICKS, &tt[k++], NULL)))
                    return rc;
                continue;
            }
            if ((rc = want(x, e, YAML_SEQUENCE_NODE, what)))
                return rc;
            for (yaml_node_item_t *j = e->data.sequence.items.start; j < e->data.sequence.items.top;
                 j++) {
                neu[k] = (uint32_t)i;
                if ((rc = get_num(x, node(x, *j), what, C_TICKS, &tt[k++], NULL)))
                    return rc;
            }
        }
    } else {
        return fail(x, tn, MYL_EPARSE,
                    "%s: expected a list of times per neuron, or 'neurons' and 'times' arrays",
                    what);
    }
    uint64_t *ticks = keep(x, myl_calloc(n ? n : 1, sizeof *ticks));
    yaml_node_t **where_t = keep(x, myl_calloc(n ? n : 1, sizeof *where_t));
    if (!ticks || !where_t)
        return MYL_ENOMEM;
    /* the node of each time, for messages */
    for (size_t i = 0; i < n; i++)
        where_t[i] = tn;
    if (!nn && tn->type == YAML_SEQUENCE_NODE) {
        size_t k = 0;
        for (yaml_node_item_t *it = tn->data.sequence.items.start;
             it < tn->data.sequence.items.top; it++) {
            yaml_node_t *e = node(x, *it);
            if (e->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *j = e->data.sequence.items.start;
                     j < e->data.sequence.items.top && k < n; j++)
                    where_t[k++] = node(x, *j);
            } else if (k < n) {
                where_t[k++] = e;
            }
        }
    } else if (nn && tn->type == YAML_SEQUENCE_NODE) {
        size_t k = 0;
        for (yaml_node_item_t *it = tn->data.sequence.items.start;
             it < tn->data.sequence.items.top && k < n; it++)
            where_t[k++] = node(x, *it);
    }
    for (size_t i = 0; i < n; i++) {
        /* a spike at time t belongs to the tick that contains it */
        double t = floor(tt[i] + 1e-9 * (fabs(tt[i]) > 1 ? fabs(tt[i]) : 1));
        if (!(t >= 0 && t < 1e18))
            return fail(x, where_t[i], MYL_ERANGE, "%s: spike time %g ticks is %s", what, tt[i],
                        t < 0 ? "negative" : "out of range");
        ticks[i] = (uint64_t)t;
    }
    myl_diag d = {0};
    rc = myl_net_pop_set_times(x->net, pop, neu, ticks, n, &d);
    return rc ? fail(x, tn, rc, "%s", d.msg) : 0;
}

static int parse_pop(ctx *x, yaml_node_t *pm, size_t index)
{
    char where[200];
    snprintf(where, sizeof where, "population %zu", index + 1);
    int rc = want(x, pm, YAML_MAPPING_NODE, where);
    if (rc)
        return rc;
    yaml_node_t *nn = get(x, pm, "name"), *sn = get(x, pm, "size"), *mn = get(x, pm, "model");
    if (!nn || !sn || !mn)
        return fail(x, pm, MYL_EPARSE, "%s: needs name, size and model", where);
    const char *name, *model;
    uint64_t size;
    char wn[240];
    snprintf(wn, sizeof wn, "%s: name", where);
    if ((rc = get_str(x, nn, wn, &name)))
        return rc;
    snprintf(where, sizeof where, "population '%s'", name);
    char wk[260];
    snprintf(wk, sizeof wk, "%s: size", where);
    if ((rc = get_uint(x, sn, wk, 1, UINT32_MAX - 1, &size)))
        return rc;
    snprintf(wk, sizeof wk, "%s: model", where);
    if ((rc = get_str(x, mn, wk, &model)))
        return rc;
    myl_model m;
    if (myl_model_from_name(model, &m))
        return fail(x, mn, MYL_EPARSE,
                    "%s: unknown model '%s' (expected lif, cuba_lif, if, li, poisson, regular, "
                    "spike_times or events)",
                    where, model);
    const char *keys_model[sizeof pop_keys_neuron / sizeof pop_keys_neuron[0]];
    const char *const *keys = m == MYL_MODEL_POISSON       ? pop_keys_poisson
                              : m == MYL_MODEL_REGULAR     ? pop_keys_regular
                              : m == MYL_MODEL_SPIKE_TIMES ? pop_keys_times
                              : m == MYL_MODEL_EVENTS      ? pop_keys_events
                                                           : keys_model;
    if (keys == keys_model) {
        /* the keys this neuron model understands: its parameters and the common keys */
        size_t nk = 0;
        for (const char *const *k = pop_keys_neuron; *k; k++) {
            myl_param pp;
            const char *pname = strcmp(*k, "v_leak") == 0 ? "v_rest" : *k;
            int is_param = myl_param_from_name(pname, &pp) == 0;
            int ok = !is_param || myl_model_has_param(m, pp);
            if (strcmp(*k, "tau_syn") == 0)
                ok = myl_model_has_param(m, MYL_P_TAU_SYN_E);
            if ((strcmp(*k, "reset") == 0 || strcmp(*k, "strict_threshold") == 0) &&
                m == MYL_MODEL_LI)
                ok = 0;
            if (ok)
                keys_model[nk++] = *k;
        }
        keys_model[nk] = NULL;
    }
    char where2[260];
    snprintf(where2, sizeof where2, "%s (%s)", where, model);
    if ((rc = check_keys(x, pm, keys, where2)))
        return rc;
    uint32_t pop;
    myl_diag d = {0};
    if ((rc = myl_net_add_pop(x->net, name, (uint32_t)size, m, &pop, &d)))
        return fail(x, nn, rc == MYL_EINVAL ? MYL_EPARSE : rc, "name: %s", d.msg);

    static const struct {
        const char *key;
        myl_param p;
        conv c;
    } params[] = {
        {"tau_m", MYL_P_TAU_M, C_SECONDS},     {"tau_syn_e", MYL_P_TAU_SYN_E, C_SECONDS},
        {"tau_syn_i", MYL_P_TAU_SYN_I, C_SECONDS}, {"v_rest", MYL_P_V_REST, C_PLAIN},
        {"v_leak", MYL_P_V_REST, C_PLAIN},     {"v_th", MYL_P_V_TH, C_PLAIN},
        {"v_reset", MYL_P_V_RESET, C_PLAIN},   {"refractory", MYL_P_REFRACTORY, C_TICKS},
        {"bias", MYL_P_BIAS, C_PLAIN},         {"r", MYL_P_R, C_PLAIN},
        {"v_init", MYL_P_V_INIT, C_PLAIN},     {"rate", MYL_P_RATE, C_HZ},
        {"period", MYL_P_PERIOD, C_TICKS},     {"phase", MYL_P_PHASE, C_TICKS},
        {"input_rate", MYL_P_INPUT_RATE, C_HZ}, {"input_weight", MYL_P_INPUT_WEIGHT, C_PLAIN},
    };
    if (get(x, pm, "v_rest") && get(x, pm, "v_leak"))
        return fail(x, keynode(x, pm, "v_leak"), MYL_EPARSE,
                    "%s: v_leak is another name for v_rest; give one of them", where);
    yaml_node_t *ts = get(x, pm, "tau_syn");
    if (ts) {
        if (get(x, pm, "tau_syn_e") || get(x, pm, "tau_syn_i"))
            return fail(x, keynode(x, pm, "tau_syn"), MYL_EPARSE,
                        "%s: tau_syn sets both tau_syn_e and tau_syn_i; give either", where);
        char what[300];
        snprintf(what, sizeof what, "%s: tau_syn", where);
        if ((rc = set_param(x, pop, ts, MYL_P_TAU_SYN_E, C_SECONDS, what)) ||
            (rc = set_param(x, pop, ts, MYL_P_TAU_SYN_I, C_SECONDS, what)))
            return rc;
    }
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        yaml_node_t *pn = get(x, pm, params[i].key);
        if (!pn)
            continue;
        char what[300];
        snprintf(what, sizeof what, "%s: %s", where, params[i].key);
        if (m == MYL_MODEL_REGULAR && params[i].p == MYL_P_RATE) {
            /* regular sources: a rate is a period of round(1 / (rate * dt)) ticks */
            if (get(x, pm, "period"))
                return fail(x, keynode(x, pm, "rate"), MYL_EPARSE,
                            "%s: give period or rate, not both", where);
            double hz;
            if ((rc = get_num(x, pn, what, C_HZ, &hz, NULL)))
                return rc;
            if (!(hz > 0))
                return fail(x, pn, MYL_ERANGE, "%s: a regular source needs a rate above 0 Hz",
                            what);
            double per = myl_ticks_round(1.0 / hz, x->dt);
            if (!(per >= 1))
                return fail(x, pn, MYL_ERANGE,
                            "%s: a rate of %g Hz is more than one spike per tick of %g s", what,
                            hz, x->dt);
            myl_values v = myl_const(per);
            if ((rc = myl_net_pop_set(x->net, pop, MYL_P_PERIOD, &v, &d)))
                return fail(x, pn, rc, "%s", d.msg);
            continue;
        }
        if ((rc = set_param(x, pop, pn, params[i].p, params[i].c, what)))
            return rc;
    }
    yaml_node_t *rn = get(x, pm, "reset");
    if (rn) {
        const char *r;
        snprintf(wk, sizeof wk, "%s: reset", where);
        if ((rc = get_str(x, rn, wk, &r)))
            return rc;
        if (strcmp(r, "to_reset") == 0)
            myl_net_pop_set_reset(x->net, pop, MYL_RESET_TO);
        else if (strcmp(r, "subtract") == 0)
            myl_net_pop_set_reset(x->net, pop, MYL_RESET_SUBTRACT);
        else
            return fail(x, rn, MYL_EPARSE,
                        "%s: reset: '%s' is not a reset mode (expected to_reset or subtract)",
                        where, r);
    }
    yaml_node_t *st = get(x, pm, "strict_threshold");
    if (st) {
        int b;
        snprintf(wk, sizeof wk, "%s: strict_threshold", where);
        if ((rc = get_bool(x, st, wk, &b)))
            return rc;
        myl_net_pop_set_strict_threshold(x->net, pop, b);
    }
    yaml_node_t *rv = get(x, pm, "record_v");
    if (rv) {
        int b;
        snprintf(wk, sizeof wk, "%s: record_v", where);
        if ((rc = get_bool(x, rv, wk, &b)))
            return rc;
        myl_net_pop_set_record_v(x->net, pop, b);
    }
    if (m == MYL_MODEL_SPIKE_TIMES)
        return parse_spike_times(x, pm, pop, where);
    return 0;
}

static const char *const proj_keys[] = {
    "name",   "from", "to",     "rule",       "p",              "indegree", "outdegree", "n",
    "pre",    "post", "weight", "delay",      "sign",           "allow_self",
    "allow_multiple", NULL};

static int index_array(ctx *x, yaml_node_t *n, const char *what, uint32_t size, uint32_t **out,
                       size_t *len)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        /* check each element where it stands */
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++, i++) {
            yaml_node_t *e = node(x, *it);
            double v = 0;
            int rc = get_num(x, e, what, C_PLAIN, &v, NULL);
            if (rc)
                return rc;
            if (!(v >= 0 && v < size) || v != floor(v))
                return fail(x, e, MYL_ERANGE, "%s: index %g at position %zu is not in 0..%u",
                            what, v, i, size - 1);
        }
    }
    myl_values v;
    int rc = get_values(x, n, what, C_PLAIN, 0, NULL, &v);
    if (rc)
        return rc;
    if (v.dist != MYL_DIST_ARRAY)
        return fail(x, n, MYL_EPARSE, "%s: expected a list of neuron indices or a .npy file",
                    what);
    uint32_t *a = keep(x, myl_calloc(v.n ? v.n : 1, sizeof *a));
    if (!a)
        return MYL_ENOMEM;
    for (size_t i = 0; i < v.n; i++) {
        double d = v.f64[i];
        if (!(d >= 0 && d < size) || d != floor(d))
            return fail(x, n, MYL_ERANGE, "%s: index %g at position %zu is not in 0..%u", what, d,
                        i, size - 1);
        a[i] = (uint32_t)d;
    }
    *out = a;
    *len = v.n;
    return 0;
}

static int parse_proj(ctx *x, yaml_node_t *pm, size_t index)
{
    char where[300];
    snprintf(where, sizeof where, "projection %zu", index + 1);
    int rc = want(x, pm, YAML_MAPPING_NODE, where);
    if (rc || (rc = check_keys(x, pm, proj_keys, where)))
        return rc;
    yaml_node_t *fn = get(x, pm, "from"), *tn = get(x, pm, "to"), *rn = get(x, pm, "rule");
    if (!fn || !tn || !rn)
        return fail(x, pm, MYL_EPARSE, "%s: needs from, to and rule", where);
    const char *from, *to, *rule, *name = NULL;
    char wk[340];
    snprintf(wk, sizeof wk, "%s: from", where);
    if ((rc = get_str(x, fn, wk, &from)))
        return rc;
    snprintf(wk, sizeof wk, "%s: to", where);
    if ((rc = get_str(x, tn, wk, &to)))
        return rc;
    snprintf(wk, sizeof wk, "%s: rule", where);
    if ((rc = get_str(x, rn, wk, &rule)))
        return rc;
    char defname[256];
    yaml_node_t *nn = get(x, pm, "name");
    snprintf(wk, sizeof wk, "%s: name", where);
    if (nn && (rc = get_str(x, nn, wk, &name)))
        return rc;
    if (!name) {
        snprintf(defname, sizeof defname, "%s->%s", from, to);
        name = defname;
    }
    snprintf(where, sizeof where, "projection '%s'", name);
    myl_proj_desc D = {0};
    D.name = name;
    D.delay_unit = 1.0;
    D.allow_self = 1;
    D.allow_multiple = 1;
    if (myl_net_find_pop(x->net, from, &D.pre))
        return fail(x, fn, MYL_EPARSE, "%s: no population named '%s'", where, from);
    if (myl_net_find_pop(x->net, to, &D.post))
        return fail(x, tn, MYL_EPARSE, "%s: no population named '%s'", where, to);
    if (myl_model_is_source(myl_net_pop_model(x->net, D.post)))
        return fail(x, tn, MYL_EPARSE,
                    "%s: to: '%s' is a spike source (%s); a projection needs neurons to reach",
                    where, to, myl_model_name(myl_net_pop_model(x->net, D.post)));
    if (myl_conn_rule_from_name(rule, &D.rule))
        return fail(x, rn, MYL_EPARSE,
                    "%s: unknown rule '%s' (expected all_to_all, one_to_one, fixed_probability, "
                    "fixed_indegree, fixed_outdegree, fixed_total_number or explicit)",
                    where, rule);
    uint32_t npre = myl_net_pop_size(x->net, D.pre), npost = myl_net_pop_size(x->net, D.post);

    /* the rule's own key, and no other rule's */
    static const struct {
        myl_conn_rule r;
        const char *key;
    } rk[] = {{MYL_CONN_FIXED_PROBABILITY, "p"},
              {MYL_CONN_FIXED_INDEGREE, "indegree"},
              {MYL_CONN_FIXED_OUTDEGREE, "outdegree"},
              {MYL_CONN_FIXED_TOTAL_NUMBER, "n"},
              {MYL_CONN_EXPLICIT, "pre"},
              {MYL_CONN_EXPLICIT, "post"}};
    for (size_t i = 0; i < sizeof rk / sizeof rk[0]; i++) {
        yaml_node_t *k = get(x, pm, rk[i].key);
        if (k && rk[i].r != D.rule) {
            /* point at the key itself */
            for (yaml_node_pair_t *pp = pm->data.mapping.pairs.start;
                 pp < pm->data.mapping.pairs.top; pp++)
                if (node(x, pp->value) == k)
                    k = node(x, pp->key);
            return fail(x, k, MYL_EPARSE, "%s: '%s' belongs to rule %s, not %s", where,
                        rk[i].key, myl_conn_rule_name(rk[i].r), rule);
        }
        if (!k && rk[i].r == D.rule)
            return fail(x, pm, MYL_EPARSE, "%s: rule %s needs '%s'", where, rule, rk[i].key);
    }
    char what[360];
    switch (D.rule) {
    case MYL_CONN_FIXED_PROBABILITY: {
        yaml_node_t *pn = get(x, pm, "p");
        snprintf(what, sizeof what, "%s: p", where);
        if ((rc = get_num(x, pn, what, C_PLAIN, &D.p, NULL)))
            return rc;
        if (!(D.p >= 0 && D.p <= 1))
            return fail(x, pn, MYL_ERANGE, "%s: probability %g is outside [0, 1]", what, D.p);
        break;
    }
    case MYL_CONN_FIXED_INDEGREE:
        snprintf(wk, sizeof wk, "%s: indegree", where);
        if ((rc = get_uint(x, get(x, pm, "indegree"), wk, 0, UINT32_MAX, &D.n)))
            return rc;
        break;
    case MYL_CONN_FIXED_OUTDEGREE:
        snprintf(wk, sizeof wk, "%s: outdegree", where);
        if ((rc = get_uint(x, get(x, pm, "outdegree"), wk, 0, UINT32_MAX, &D.n)))
            return rc;
        break;
    case MYL_CONN_FIXED_TOTAL_NUMBER:
        snprintf(wk, sizeof wk, "%s: n", where);
        if ((rc = get_uint(x, get(x, pm, "n"), wk, 0, 1ull << 40, &D.n)))
            return rc;
        break;
    case MYL_CONN_EXPLICIT: {
        uint32_t *pre, *post;
        size_t n1, n2;
        snprintf(what, sizeof what, "%s: pre", where);
        if ((rc = index_array(x, get(x, pm, "pre"), what, npre, &pre, &n1)))
            return rc;
        snprintf(what, sizeof what, "%s: post", where);
        if ((rc = index_array(x, get(x, pm, "post"), what, npost, &post, &n2)))
            return rc;
        if (n1 != n2)
            return fail(x, pm, MYL_EPARSE, "%s: pre has %zu indices and post %zu", where, n1, n2);
        D.pre_idx = pre;
        D.post_idx = post;
        D.nexplicit = n1;
        break;
    }
    default:
        break;
    }
    yaml_node_t *k;
    snprintf(wk, sizeof wk, "%s: allow_self", where);
    if ((k = get(x, pm, "allow_self")) && (rc = get_bool(x, k, wk, &D.allow_self)))
        return rc;
    snprintf(wk, sizeof wk, "%s: allow_multiple", where);
    if ((k = get(x, pm, "allow_multiple")) && (rc = get_bool(x, k, wk, &D.allow_multiple)))
        return rc;
    if ((k = get(x, pm, "sign"))) {
        const char *s;
        snprintf(wk, sizeof wk, "%s: sign", where);
        if ((rc = get_str(x, k, wk, &s)))
            return rc;
        if (strcmp(s, "excitatory") == 0)
            D.sign = MYL_SIGN_EXC;
        else if (strcmp(s, "inhibitory") == 0)
            D.sign = MYL_SIGN_INH;
        else
            return fail(x, k, MYL_EPARSE,
                        "%s: sign: '%s' is not a sign (expected excitatory or inhibitory)", where,
                        s);
    }
    /* per-synapse arrays: the count follows from the rule where it can */
    size_t nsyn = 0;
    uint64_t shape2[2] = {npost, npre};
    int have_shape2 = 0;
    switch (D.rule) {
    case MYL_CONN_ALL_TO_ALL:
        nsyn = (size_t)npre * npost - (D.pre == D.post && !D.allow_self ? npre : 0);
        have_shape2 = !(D.pre == D.post && !D.allow_self);
        break;
    case MYL_CONN_ONE_TO_ONE:
        nsyn = npre;
        break;
    case MYL_CONN_FIXED_INDEGREE:
        nsyn = (size_t)D.n * npost;
        break;
    case MYL_CONN_FIXED_OUTDEGREE:
        nsyn = (size_t)D.n * npre;
        break;
    case MYL_CONN_FIXED_TOTAL_NUMBER:
        nsyn = (size_t)D.n;
        break;
    case MYL_CONN_EXPLICIT:
        nsyn = D.nexplicit;
        break;
    default:
        break;
    }
    yaml_node_t *wn = get(x, pm, "weight"), *dn = get(x, pm, "delay");
    if (!wn)
        return fail(x, pm, MYL_EPARSE, "%s: needs a weight", where);
    snprintf(what, sizeof what, "%s: weight", where);
    if ((rc = get_values(x, wn, what, C_PLAIN, nsyn, have_shape2 ? shape2 : NULL, &D.weight)))
        return rc;
    if (dn) {
        snprintf(what, sizeof what, "%s: delay", where);
        if ((rc = get_values(x, dn, what, C_TICKS, nsyn, have_shape2 ? shape2 : NULL, &D.delay)))
            return rc;
        if (D.delay.dist == MYL_DIST_CONST && !(myl_ticks_round(D.delay.a * x->dt, x->dt) >= 1))
            return fail(x, dn, MYL_ERANGE,
                        "%s: %g ticks rounds to %g; delays must be at least 1 tick (dt = %g s)",
                        what, D.delay.a, myl_ticks_round(D.delay.a * x->dt, x->dt), x->dt);
    } else {
        D.delay = myl_const(1);
    }
    if (D.rule == MYL_CONN_FIXED_PROBABILITY &&
        (D.weight.dist == MYL_DIST_ARRAY || D.delay.dist == MYL_DIST_ARRAY))
        return fail(x, D.weight.dist == MYL_DIST_ARRAY ? wn : dn, MYL_EPARSE,
                    "%s: fixed_probability makes a random number of synapses, so weights and "
                    "delays cannot be arrays",
                    where);
    char origin[4200];
    snprintf(origin, sizeof origin, "%s:%zu:%zu", x->file, pm->start_mark.line + 1,
             pm->start_mark.column + 1);
    D.origin = origin;
    myl_diag d = {0};
    if ((rc = myl_net_add_proj(x->net, &D, NULL, &d)))
        return fail(x, pm, rc == MYL_EINVAL ? MYL_EPARSE : rc, "%s", d.msg);
    return 0;
}

/* ---- inputs and outputs ------------------------------------------------------------------ */

static const char *const input_keys[] = {"population", "trace",  "format", "sample",
                                         "sensor",     "polarity", "downsample", "crop",
                                         "origin",     NULL};

static int get_pair(ctx *x, yaml_node_t *n, const char *what, uint64_t *a, uint64_t *b)
{
    int rc = want(x, n, YAML_SEQUENCE_NODE, what);
    if (rc)
        return rc;
    yaml_node_item_t *it = n->data.sequence.items.start;
    if (n->data.sequence.items.top - it != 2)
        return fail(x, n, MYL_EPARSE, "%s: expected two numbers [a, b]", what);
    if ((rc = get_uint(x, node(x, it[0]), what, 0, 65535, a)) ||
        (rc = get_uint(x, node(x, it[1]), what, 0, 65536, b)))
        return rc;
    return 0;
}

static int parse_input(ctx *x, myl_netfile *nf, yaml_node_t *m, size_t index)
{
    char where[64];
    snprintf(where, sizeof where, "input %zu", index + 1);
    int rc = want(x, m, YAML_MAPPING_NODE, where);
    if (rc || (rc = check_keys(x, m, input_keys, where)))
        return rc;
    myl_binding *b = &nf->inputs[nf->ninputs];
    memset(b, 0, sizeof *b);
    b->downsample = 1;
    b->origin_first = 1;
    b->opts.csv_units = -1;
    char w[4200];
    snprintf(w, sizeof w, "%s:%zu:%zu", x->file, m->start_mark.line + 1, m->start_mark.column + 1);
    if (!(b->where = myl_strdup(w)))
        return MYL_ENOMEM;
    nf->ninputs++;
    const char *s;
    yaml_node_t *n = get(x, m, "population");
    if (!n)
        return fail(x, m, MYL_EPARSE, "%s: needs the population it feeds", where);
    if ((rc = get_str(x, n, where, &s)))
        return rc;
    uint32_t pop;
    if (myl_net_find_pop(x->net, s, &pop))
        return fail(x, n, MYL_EPARSE, "%s: no population named '%s'", where, s);
    if (myl_net_pop_model(x->net, pop) != MYL_MODEL_EVENTS)
        return fail(x, n, MYL_EPARSE, "%s: population '%s' must have model: events", where, s);
    if (!(b->population = myl_strdup(s)))
        return MYL_ENOMEM;
    if ((n = get(x, m, "trace"))) {
        if ((rc = get_str(x, n, where, &s)))
            return rc;
        if (!(b->source = myl_strdup(s)))
            return MYL_ENOMEM;
    }
    if ((n = get(x, m, "format"))) {
        if ((rc = get_str(x, n, where, &s)))
            return rc;
        if (strcmp(s, "auto") && myl_trace_format_from_name(s, &b->opts.format))
            return fail(x, n, MYL_EPARSE,
                        "%s: unknown format '%s' (expected auto, myelin, aedat2, aedat3, "
                        "aedat4, evt2, evt3, dat, nmnist, shd or csv)",
                        where, s);
    }
    uint64_t v, v2;
    if ((n = get(x, m, "sample"))) {
        if ((rc = get_uint(x, n, where, 0, INT64_MAX, &v)))
            return rc;
        b->opts.sample = (int64_t)v;
    }
    if ((n = get(x, m, "sensor"))) {
        if ((rc = get_pair(x, n, "sensor", &v, &v2)))
            return rc;
        if (!v || !v2)
            return fail(x, n, MYL_ERANGE, "%s: sensor size must be at least 1 x 1", where);
        b->width = (uint32_t)v;
        b->height = (uint32_t)v2;
    }
    if ((n = get(x, m, "polarity"))) {
        if ((rc = get_str(x, n, where, &s)))
            return rc;
        if (strcmp(s, "merge") == 0)
            b->merge_polarity = 1;
        else if (strcmp(s, "separate") != 0)
            return fail(x, n, MYL_EPARSE, "%s: polarity '%s' (expected separate or merge)",
                        where, s);
    }
    if ((n = get(x, m, "downsample"))) {
        if ((rc = get_uint(x, n, where, 1, 65536, &v)))
            return rc;
        b->downsample = (uint32_t)v;
    }
    if ((n = get(x, m, "crop"))) {
        static const char *const ck[] = {"x", "y", NULL};
        if ((rc = want(x, n, YAML_MAPPING_NODE, "crop")) || (rc = check_keys(x, n, ck, "crop")))
            return rc;
        yaml_node_t *cx = get(x, n, "x"), *cy = get(x, n, "y");
        if (!cx || !cy)
            return fail(x, n, MYL_EPARSE, "crop: needs x: [from, to] and y: [from, to]");
        if ((rc = get_pair(x, cx, "crop: x", &v, &v2)))
            return rc;
        if (v2 <= v)
            return fail(x, cx, MYL_ERANGE, "crop: x: [%llu, %llu] is empty",
                        (unsigned long long)v, (unsigned long long)v2);
        b->crop_x0 = (uint32_t)v, b->crop_x1 = (uint32_t)v2;
        if ((rc = get_pair(x, cy, "crop: y", &v, &v2)))
            return rc;
        if (v2 <= v)
            return fail(x, cy, MYL_ERANGE, "crop: y: [%llu, %llu] is empty",
                        (unsigned long long)v, (unsigned long long)v2);
        b->crop_y0 = (uint32_t)v, b->crop_y1 = (uint32_t)v2;
    }
    if ((n = get(x, m, "origin"))) {
        if ((rc = get_str(x, n, where, &s)))
            return rc;
        if (strcmp(s, "first") != 0) {
            /* a time in the stream's clock: plain numbers are microseconds */
            double t;
            myl_qunit u;
            char why[128];
            if (myl_quantity_parse(s, MYL_Q_TIME, &t, &u, why) || u == MYL_U_TICKS)
                return fail(x, n, MYL_EPARSE,
                            "%s: origin: expected 'first' or a time (plain numbers are "
                            "microseconds), found '%s'",
                            where, s);
            b->origin_first = 0;
            b->origin_us = (int64_t)llround(u == MYL_U_NONE ? t : t * 1e6);
        }
    }
    return 0;
}

static int parse_io(ctx *x, yaml_node_t *root, myl_netfile *nf)
{
    int rc;
    yaml_node_t *in = get(x, root, "inputs"), *out = get(x, root, "outputs");
    if (in) {
        if ((rc = want(x, in, YAML_SEQUENCE_NODE, "inputs")))
            return rc;
        size_t n = (size_t)(in->data.sequence.items.top - in->data.sequence.items.start);
        nf->inputs = myl_calloc(n ? n : 1, sizeof *nf->inputs);
        if (!nf->inputs)
            return MYL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            if ((rc = parse_input(x, nf, node(x, in->data.sequence.items.start[i]), i)))
                return rc;
            for (size_t j = 0; j < i; j++)
                if (strcmp(nf->inputs[j].population, nf->inputs[i].population) == 0)
                    return fail(x, node(x, in->data.sequence.items.start[i]), MYL_EPARSE,
                                "inputs: population '%s' is fed twice",
                                nf->inputs[i].population);
        }
    }
    if (out) {
        if ((rc = want(x, out, YAML_SEQUENCE_NODE, "outputs")))
            return rc;
        size_t n = (size_t)(out->data.sequence.items.top - out->data.sequence.items.start);
        nf->outputs = myl_calloc(n ? n : 1, sizeof *nf->outputs);
        if (!nf->outputs)
            return MYL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *e = node(x, out->data.sequence.items.start[i]);
            const char *s;
            uint32_t pop;
            if ((rc = get_str(x, e, "outputs", &s)))
                return rc;
            if (myl_net_find_pop(x->net, s, &pop))
                return fail(x, e, MYL_EPARSE, "outputs: no population named '%s'", s);
            if (!(nf->outputs[nf->noutputs++] = myl_strdup(s)))
                return MYL_ENOMEM;
        }
    }
    return 0;
}

/* ---- top level --------------------------------------------------------------------------- */

static const char *const top_keys[] = {"myelin",      "name",   "description", "run",
                                       "populations", "projections", "inputs", "outputs",
                                       NULL};

static int parse_doc(ctx *x, myl_netfile *nf)
{
    yaml_node_t *root = yaml_document_get_root_node(&x->doc);
    if (!root)
        return fail(x, NULL, MYL_EPARSE, "the file is empty; expected a network description");
    int rc = want(x, root, YAML_MAPPING_NODE, "top level");
    if (rc)
        return rc;
    /* a top-level `network:` is a SANA-FE network file (sanafe.h) */
    if (get(x, root, "network"))
        return myl__sanafe_net_read(&x->doc, x->file, nf, x->d);
    if ((rc = check_keys(x, root, top_keys, "top level")))
        return rc;
    yaml_node_t *v = get(x, root, "myelin");
    if (v) {
        uint64_t ver;
        if ((rc = get_uint(x, v, "myelin (format version)", 1, 1, &ver)))
            return rc;
    }
    yaml_node_t *nm = get(x, root, "name"), *ds = get(x, root, "description");
    const char *s;
    if (nm) {
        if ((rc = get_str(x, nm, "name", &s)))
            return rc;
        myl_free(nf->name);
        if (!(nf->name = myl_strdup(s)))
            return MYL_ENOMEM;
    }
    if (ds) {
        if ((rc = get_str(x, ds, "description", &s)))
            return rc;
        if (!(nf->description = myl_strdup(s)))
            return MYL_ENOMEM;
    }
    /* dt first: every time below is converted with it */
    yaml_node_t *run = get(x, root, "run");
    yaml_node_t *dtn = run && run->type == YAML_MAPPING_NODE ? get(x, run, "dt") : NULL;
    x->dt = 1e-3;
    if (dtn) {
        if ((rc = get_num(x, dtn, "run: dt", C_SECONDS, &x->dt, NULL)))
            return rc;
        if (!(x->dt > 0 && x->dt < 1e3))
            return fail(x, dtn, MYL_ERANGE, "run: dt must be a positive time, found %g s", x->dt);
    }
    if ((rc = myl_net_new(x->dt, &x->net)))
        return rc;
    nf->net = x->net;
    uint64_t ticks = 1000, seed = 1;
    if (run && (rc = parse_run(x, run, nf, &ticks, &seed)))
        return rc;
    myl_net_set_run(x->net, ticks, seed);

    yaml_node_t *pops = get(x, root, "populations");
    if (!pops)
        return fail(x, root, MYL_EPARSE, "top level: 'populations' is missing");
    if ((rc = want(x, pops, YAML_SEQUENCE_NODE, "populations")))
        return rc;
    size_t i = 0;
    for (yaml_node_item_t *it = pops->data.sequence.items.start; it < pops->data.sequence.items.top;
         it++, i++)
        if ((rc = parse_pop(x, node(x, *it), i)))
            return rc;
    if (i == 0)
        return fail(x, pops, MYL_EPARSE, "populations: the list is empty");

    yaml_node_t *projs = get(x, root, "projections");
    if (projs) {
        if ((rc = want(x, projs, YAML_SEQUENCE_NODE, "projections")))
            return rc;
        i = 0;
        for (yaml_node_item_t *it = projs->data.sequence.items.start;
             it < projs->data.sequence.items.top; it++, i++)
            if ((rc = parse_proj(x, node(x, *it), i)))
                return rc;
    }
    return parse_io(x, root, nf);
}

static void sha256_hex(const char *text, size_t len, char out[65])
{
    struct sha256_ctx h;
    uint8_t dig[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    sha256_update(&h, len, (const uint8_t *)text);
    sha256_digest(&h, sizeof dig, dig);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    char *s = myl_malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    return s;
}

void myl_netfile_free(myl_netfile *nf)
{
    if (!nf)
        return;
    for (size_t i = 0; i < nf->ninputs; i++)
        myl_binding_release(&nf->inputs[i]);
    myl_free(nf->inputs);
    for (size_t i = 0; i < nf->noutputs; i++)
        myl_free(nf->outputs[i]);
    myl_free(nf->outputs);
    myl_free(nf->dir);
    myl_free(nf->map_tile);
    myl_free(nf->map_core);
    myl_free(nf->map_line);
    if (nf->soma && nf->net)
        for (uint32_t p = 0; p < myl_net_npops(nf->net); p++)
            myl_free(nf->soma[p]);
    myl_free(nf->soma);
    myl_net_free(nf->net);
    myl_free(nf->path);
    myl_free(nf->name);
    myl_free(nf->description);
    myl_free(nf);
}

int myl_netfile_parse(const char *text, size_t len, const char *name, const char *basedir,
                      myl_netfile **out, myl_diag *d)
{
    if (!text || !name || !out)
        return MYL_EINVAL;
    *out = NULL;
    myl_netfile *nf = myl_calloc(1, sizeof *nf);
    if (!nf)
        return MYL_ENOMEM;
    ctx x = {.file = name, .basedir = basedir, .d = d};
    int rc = MYL_ENOMEM;
    if (!(nf->path = myl_strdup(name)) || !(nf->name = base_name(name)) ||
        !(nf->dir = myl_strdup(basedir ? basedir : ".")))
        goto done;
    sha256_hex(text, len, nf->sha256);

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        goto done;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &x.doc)) {
        if (p.error == YAML_MEMORY_ERROR)
            rc = MYL_ENOMEM;
        else
            rc = myl_diag_fail(d, MYL_EPARSE, "%s:%zu:%zu: YAML syntax error: %s%s%s", name,
                               p.problem_mark.line + 1, p.problem_mark.column + 1,
                               p.problem ? p.problem : "malformed",
                               p.context ? " " : "", p.context ? p.context : "");
        yaml_parser_delete(&p);
        goto done;
    }
    yaml_parser_delete(&p);
    rc = parse_doc(&x, nf);
    yaml_document_delete(&x.doc);
done:
    for (size_t i = 0; i < x.ntmp; i++)
        myl_free(x.tmp[i]);
    myl_free(x.tmp);
    if (rc) {
        if (!nf->net)
            myl_net_free(x.net);
        myl_netfile_free(nf);
        return rc;
    }
    *out = nf;
    return 0;
}

int myl_netfile_load(const char *path, myl_netfile **out, myl_diag *d)
{
    if (!path || !out)
        return MYL_EINVAL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return myl_diag_fail(d, MYL_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                rc = myl_diag_fail(d, MYL_ETOOBIG, "%s: larger than %llu bytes; put large arrays "
                                                   "in .npy files",
                                   path, (unsigned long long)MAX_FILE_BYTES);
                break;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = myl_realloc(buf, cap + 1);
            if (!nb) {
                rc = MYL_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = myl_diag_fail(d, MYL_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) {
        myl_free(buf);
        return rc;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    rc = myl_netfile_parse(buf ? buf : "", len, path, dir, out, d);
    myl_free(buf);
    return rc;
}
