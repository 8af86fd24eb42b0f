/* Hardware models: finding a model by name, reading myelin's own model format
 * (docs/hardware-models.md), handing SANA-FE architecture files to sanafe_arch.c, and printing
 * a model for people (`myelin hw show`, `myelin hw list`).
 *
 * A model file is small, so it is loaded whole with libyaml's document API and walked with a few
 * typed accessors that know each node's line and column: every error names the file, the place,
 * the key and what was expected. The format is strict on purpose. Every number is a figure with
 * a mark and a source; a cost that is not known must be written as unknown with a reason (it is
 * then NAN, never a silent 0 J); unknown and duplicate keys are errors. A model is a private
 * record (hw_internal.h) whose string pool owns every string the public struct points to, so
 * myl_hw_free is one walk over the pool.
 */
#include "hw_internal.h"

#include "myelin/alloc.h"
#include "myl_config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_BYTES (16u << 20)
#define PATH_BYTES 4096

/* ---- the private record ------------------------------------------------------------------ */

myl__hw *myl__hw_priv(const myl_hw *hw)
{
    if (!hw || !hw->references)
        return NULL;
    /* Compares addresses only: nothing past the public struct is read unless it is ours. */
    uintptr_t tail = (uintptr_t)hw + offsetof(myl__hw, refs);
    return (uintptr_t)hw->references == tail ? (myl__hw *)(uintptr_t)hw : NULL;
}

myl__hw *myl__hw_new(void)
{
    return myl_calloc(1, sizeof(myl__hw));
}

void myl__hw_discard(myl__hw *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->npool; i++)
        myl_free(h->pool[i]);
    myl_free(h->pool);
    myl_free(h->warnings);
    myl_free(h);
}

const char *myl__hw_str(myl__hw *h, const char *s)
{
    for (size_t i = 0; i < h->npool; i++)
        if (strcmp(h->pool[i], s) == 0)
            return h->pool[i];
    if (h->npool == h->cappool) {
        size_t cap = h->cappool ? 2 * h->cappool : 32;
        char **p = myl_reallocarray(h->pool, cap, sizeof *p);
        if (!p)
            return NULL;
        h->pool = p;
        h->cappool = cap;
    }
    char *c = myl_strdup(s);
    if (!c)
        return NULL;
    h->pool[h->npool++] = c;
    return c;
}

int myl__hw_warn(myl__hw *h, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    char *w = myl_realloc(h->warnings, h->nwarnings + len + 2);
    if (!w)
        return MYL_ENOMEM;
    memcpy(w + h->nwarnings, line, len);
    h->nwarnings += len;
    w[h->nwarnings++] = '\n';
    w[h->nwarnings] = 0;
    h->warnings = w;
    return 0;
}

int myl__hw_finish(myl__hw **hp, const char *refs)
{
    size_t len = refs ? strlen(refs) : 0;
    myl__hw *h = myl_realloc(*hp, sizeof(myl__hw) + len + 1);
    if (!h) {
        myl__hw_discard(*hp);
        *hp = NULL;
        return MYL_ENOMEM;
    }
    if (len)
        memcpy(h->refs, refs, len);
    h->refs[len] = 0;
    h->pub.references = h->refs;
    *hp = h;
    return 0;
}

int myl__fig_known(const myl_fig *f)
{
    return !isnan(f->v);
}

/* ---- figures, for printing and tests ----------------------------------------------------- */

static const struct {
    myl__cap cap;
    const char *name;
    myl__unit unit;
} cap_names[] = {
    {MYL__CAP_CORES_PER_TILE, "cores per tile", MYL__U_COUNT},
    {MYL__CAP_MESH_W, "tiles per chip, width", MYL__U_COUNT},
    {MYL__CAP_MESH_H, "tiles per chip, height", MYL__U_COUNT},
    {MYL__CAP_CHIPS_W, "chips, width", MYL__U_COUNT},
    {MYL__CAP_CHIPS_H, "chips, height", MYL__U_COUNT},
    {MYL__CAP_NEURONS, "neurons per core", MYL__U_COUNT},
    {MYL__CAP_SYNAPSES, "synapses per core", MYL__U_COUNT},
    {MYL__CAP_SYN_MEM, "synapse memory per core", MYL__U_BITS},
    {MYL__CAP_SYN_BITS, "bits per synapse", MYL__U_BITS},
    {MYL__CAP_FANIN, "fan-in per neuron", MYL__U_COUNT},
    {MYL__CAP_AXONS_IN, "input axons per core", MYL__U_COUNT},
    {MYL__CAP_AXONS_OUT, "output axons per core", MYL__U_COUNT},
    {MYL__CAP_MAX_DELAY, "longest delay [ticks]", MYL__U_COUNT},
    {MYL__CAP_MAX_REFRACTORY, "longest refractory period [ticks]", MYL__U_COUNT},
    {MYL__CAP_WEIGHT_BITS, "weight bits", MYL__U_COUNT},
    {MYL__CAP_WEIGHT_EXP_MIN, "weight exponent, lowest", MYL__U_INT},
    {MYL__CAP_WEIGHT_EXP_MAX, "weight exponent, highest", MYL__U_INT},
};

typedef struct figlist {
    myl__figref *out;
    size_t max, n;
} figlist;

static void add_fig(figlist *l, myl__unit u, const myl_fig *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void add_fig(figlist *l, myl__unit u, const myl_fig *f, const char *fmt, ...)
{
    if (l->n < l->max) {
        myl__figref *r = &l->out[l->n];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->name, sizeof r->name, fmt, ap);
        va_end(ap);
        r->unit = u;
        r->fig = f;
    }
    l->n++;
}

static void add_op(figlist *l, const myl_op *op, const char *name)
{
    add_fig(l, MYL__U_ENERGY, &op->energy, "%s energy", name);
    add_fig(l, MYL__U_TIME, &op->latency, "%s latency", name);
}

size_t myl__hw_figs(const myl_hw *hw, myl__figref *out, size_t max)
{
    figlist l = {out, out ? max : 0, 0};
    char name[96];
    const myl__hw *h = myl__hw_priv(hw);
    if (h)
        for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
            const myl_fig *f = &h->cap[cap_names[i].cap];
            if (f->mark || f->source)
                add_fig(&l, cap_names[i].unit, f, "%s", cap_names[i].name);
        }
    add_op(&l, &hw->msg_in, "msg_in");
    for (uint32_t i = 0; i < hw->nsynapse && i < MYL_HW_MAX_VARIANTS; i++) {
        snprintf(name, sizeof name, "synapse '%.40s'", hw->synapse[i].name);
        add_op(&l, &hw->synapse[i].spike, name);
    }
    add_op(&l, &hw->dendrite, "dendrite");
    for (uint32_t i = 0; i < hw->nsoma && i < MYL_HW_MAX_VARIANTS; i++) {
        snprintf(name, sizeof name, "soma '%.40s' access", hw->soma[i].name);
        add_op(&l, &hw->soma[i].access, name);
        snprintf(name, sizeof name, "soma '%.40s' update", hw->soma[i].name);
        add_op(&l, &hw->soma[i].update, name);
        snprintf(name, sizeof name, "soma '%.40s' spike", hw->soma[i].name);
        add_op(&l, &hw->soma[i].spike, name);
    }
    add_op(&l, &hw->msg_out, "msg_out");
    add_op(&l, &hw->hop_n, "hop north");
    add_op(&l, &hw->hop_e, "hop east");
    add_op(&l, &hw->hop_s, "hop south");
    add_op(&l, &hw->hop_w, "hop west");
    add_op(&l, &hw->chip_hop, "chip_hop");
    if (hw->sync_table)
        for (uint32_t i = 0; i < hw->nsync && i < MYL_HW_MAX_SYNC; i++)
            add_fig(&l, MYL__U_TIME, &hw->sync_lat[i], "sync from %u tiles", hw->sync_tiles[i]);
    else
        add_fig(&l, MYL__U_TIME, &hw->sync, "sync");
    add_fig(&l, MYL__U_POWER, &hw->static_power, "static_power");
    add_fig(&l, MYL__U_TIME, &hw->tick_period, "tick_period");
    return l.n;
}

/* ---- YAML helpers ------------------------------------------------------------------------ */

int myl__yx_fail(myl__yx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return myl_diag_fail(x->d, rc, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
    return myl_diag_fail(x->d, rc, "%s: %s", x->file, msg);
}

yaml_node_t *myl__yx_node(myl__yx *x, int id)
{
    return yaml_document_get_node(x->doc, id);
}

const char *myl__yx_str(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

yaml_node_t *myl__yx_get(myl__yx *x, yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = myl__yx_node(x, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp(myl__yx_str(k), key) == 0)
            return myl__yx_node(x, p->value);
    }
    return NULL;
}

static const char *kind_name(yaml_node_type_t t)
{
    return t == YAML_SCALAR_NODE     ? "a single value"
           : t == YAML_SEQUENCE_NODE ? "a list"
           : t == YAML_MAPPING_NODE  ? "a mapping"
                                     : "nothing";
}

int myl__yx_want(myl__yx *x, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (n->type == t)
        return 0;
    return myl__yx_fail(x, n, MYL_EPARSE, "%s: expected %s, found %s", what, kind_name(t),
                        kind_name(n->type));
}

/* Levenshtein distance, with early exit: strings further apart than 2 count as 3. */
static int near_miss(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 48 || lb > 48 || (la > lb ? la - lb : lb - la) > 2)
        return 3;
    int row[49];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] < 3 ? row[lb] : 3;
}

int myl__yx_keys(myl__yx *x, yaml_node_t *m, const char *const *allowed, const char *where)
{
    yaml_node_pair_t *start = m->data.mapping.pairs.start, *top = m->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = myl__yx_node(x, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            return myl__yx_fail(x, k, MYL_EPARSE, "%s: keys must be plain names", where);
        const char *key = myl__yx_str(k);
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *k2 = myl__yx_node(x, q->key);
            if (k2 && k2->type == YAML_SCALAR_NODE && strcmp(myl__yx_str(k2), key) == 0)
                return myl__yx_fail(x, k, MYL_EPARSE,
                                    "%s: key '%s' appears twice (first at line %zu)", where, key,
                                    k2->start_mark.line + 1);
        }
        if (!allowed)
            continue;
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (*a)
            continue;
        const char *best = NULL;
        int bd = 3;
        for (a = allowed; *a; a++) {
            int dd = near_miss(key, *a);
            if (dd < bd)
                bd = dd, best = *a;
        }
        char list[400];
        size_t len = 0;
        list[0] = 0;
        for (a = allowed; *a && len < sizeof list; a++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", a == allowed ? "" : ", ",
                                    *a);
        if (best)
            return myl__yx_fail(x, k, MYL_EPARSE,
                                "%s: unknown key '%s' (did you mean '%s'? expected one of: %s)",
                                where, key, best, list);
        return myl__yx_fail(x, k, MYL_EPARSE, "%s: unknown key '%s' (expected one of: %s)", where,
                            key, list);
    }
    return 0;
}

/* Length of the decimal number at the start of s (sign, digits, point, exponent), 0 if none.
 * *mant_len is the length without the exponent and *exp the exponent's value (clamped). */
static size_t scan_number(const char *s, size_t *mant_len, long *exp)
{
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    *mant_len = i;
    *exp = 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        int neg = 0;
        if (s[j] == '+' || s[j] == '-')
            neg = s[j++] == '-';
        if (s[j] < '0' || s[j] > '9')
            return i; /* "2e" is a number followed by the text "e" */
        long e = 0;
        while (s[j] >= '0' && s[j] <= '9') {
            if (e < 100000)
                e = e * 10 + (s[j] - '0');
            j++;
        }
        *exp = neg ? -e : e;
        return j;
    }
    return i;
}

/* The number written as mantissa text times 10^exp, correctly rounded. */
static double decimal(const char *s, size_t mant_len, long exp)
{
    char buf[128];
    if (mant_len > 100)
        mant_len = 100;
    snprintf(buf, sizeof buf, "%.*se%ld", (int)mant_len, s, exp);
    return strtod(buf, NULL);
}

int myl__yx_number(myl__yx *x, yaml_node_t *n, const char *what, double *out)
{
    int rc = myl__yx_want(x, n, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *s = myl__yx_str(n);
    size_t ml;
    long e;
    size_t len = scan_number(s, &ml, &e);
    if (!len || s[len])
        return myl__yx_fail(x, n, MYL_EPARSE, "%s: expected a number, found '%s'", what, s);
    double v = decimal(s, ml, e);
    if (!isfinite(v))
        return myl__yx_fail(x, n, MYL_EPARSE, "%s: '%s' is too large", what, s);
    *out = v;
    return 0;
}

int myl__yx_whole(myl__yx *x, yaml_node_t *n, const char *what, long long lo, long long hi,
                  long long *out)
{
    double v;
    int rc = myl__yx_number(x, n, what, &v);
    if (rc)
        return rc;
    if (v != floor(v) || v < (double)lo || v > (double)hi)
        return myl__yx_fail(x, n, MYL_EPARSE,
                            "%s: expected a whole number from %lld to %lld, "
                            "found '%s'",
                            what, lo, hi, myl__yx_str(n));
    *out = (long long)v;
    return 0;
}

/* ---- figures with units, marks and sources ----------------------------------------------- */

typedef struct unit_def {
    const char *sym;
    int p10;    /* power of ten */
    double mul; /* exact binary factor (bits per byte, ...) */
} unit_def;

static const unit_def energy_units[] = {{"J", 0, 1},          {"mJ", -3, 1},        {"uJ", -6, 1},
                                        {"\xc2\xb5J", -6, 1}, {"\xce\xbcJ", -6, 1}, {"nJ", -9, 1},
                                        {"pJ", -12, 1},       {"fJ", -15, 1},       {NULL, 0, 0}};
static const unit_def time_units[] = {{"s", 0, 1},          {"ms", -3, 1},        {"us", -6, 1},
                                      {"\xc2\xb5s", -6, 1}, {"\xce\xbcs", -6, 1}, {"ns", -9, 1},
                                      {"ps", -12, 1},       {NULL, 0, 0}};
static const unit_def power_units[] = {{"W", 0, 1},          {"mW", -3, 1},        {"uW", -6, 1},
                                       {"\xc2\xb5W", -6, 1}, {"\xce\xbcW", -6, 1}, {"nW", -9, 1},
                                       {NULL, 0, 0}};
static const unit_def bit_units[] = {{"bit", 0, 1},      {"bits", 0, 1},        {"B", 0, 8},
                                     {"KiB", 0, 8192.0}, {"MiB", 0, 8388608.0}, {NULL, 0, 0}};

static const unit_def *units_of(myl__unit u)
{
    switch (u) {
    case MYL__U_ENERGY:
        return energy_units;
    case MYL__U_TIME:
        return time_units;
    case MYL__U_POWER:
        return power_units;
    case MYL__U_BITS:
        return bit_units;
    default:
        return NULL;
    }
}

static const char *unit_expect(myl__unit u)
{
    switch (u) {
    case MYL__U_ENERGY:
        return "an energy (J, mJ, uJ, nJ, pJ or fJ; a plain number is joules)";
    case MYL__U_TIME:
        return "a time (s, ms, us, ns or ps; a plain number is seconds)";
    case MYL__U_POWER:
        return "a power (W, mW, uW or nW; a plain number is watts)";
    case MYL__U_BITS:
        return "a size (bits, B, KiB or MiB; a plain number is bits)";
    case MYL__U_INT:
        return "a whole number";
    default:
        return "a whole number >= 0";
    }
}

/* "23.6 pJ" into SI units; 0 or MYL_EPARSE with the reason in why. */
static int quantity(const char *s, myl__unit u, double *out, char *why, size_t nwhy)
{
    while (*s == ' ')
        s++;
    size_t ml;
    long e;
    size_t len = scan_number(s, &ml, &e);
    if (!len) {
        snprintf(why, nwhy, "'%s' is not a number", s);
        return MYL_EPARSE;
    }
    const char *us = s + len;
    while (*us == ' ')
        us++;
    size_t ul = strlen(us);
    while (ul && us[ul - 1] == ' ')
        ul--;
    int p10 = 0;
    double mul = 1;
    if (ul) {
        const unit_def *t = units_of(u);
        const unit_def *hit = NULL;
        for (; t && t->sym; t++)
            if (strlen(t->sym) == ul && memcmp(t->sym, us, ul) == 0)
                hit = t;
        if (!hit) {
            snprintf(why, nwhy, "'%.*s' is not a unit of %s", (int)ul, us, unit_expect(u));
            return MYL_EPARSE;
        }
        p10 = hit->p10;
        mul = hit->mul;
    }
    double v = decimal(s, ml, e + p10) * mul;
    if (!isfinite(v)) {
        snprintf(why, nwhy, "'%s' is too large", s);
        return MYL_EPARSE;
    }
    *out = v;
    return 0;
}

typedef struct rd {
    myl__yx y;
    yaml_node_t *refs; /* the references mapping, or NULL */
} rd;

static int is_key_like(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\n')
            return 0;
    return 1;
}

/* The citation text for a figure's `source`: a key of `references`, or text (with a space). */
static int resolve_source(rd *r, yaml_node_t *sn, const char *what, const char **text)
{
    int rc = myl__yx_want(&r->y, sn, YAML_SCALAR_NODE, what);
    if (rc)
        return rc;
    const char *s = myl__yx_str(sn);
    if (!*s)
        return myl__yx_fail(&r->y, sn, MYL_EPARSE, "%s: the source is empty", what);
    if (!is_key_like(s)) {
        *text = s;
        return 0;
    }
    yaml_node_t *t = myl__yx_get(&r->y, r->refs, s);
    if (t && t->type == YAML_SCALAR_NODE) {
        *text = myl__yx_str(t);
        return 0;
    }
    char list[400] = "";
    size_t len = 0;
    if (r->refs)
        for (yaml_node_pair_t *p = r->refs->data.mapping.pairs.start;
             p < r->refs->data.mapping.pairs.top && len < sizeof list; p++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                    myl__yx_str(myl__yx_node(&r->y, p->key)));
    return myl__yx_fail(&r->y, sn, MYL_EPARSE,
                        "%s: source '%s' is not a key of 'references' (%s%s); a citation written "
                        "out in full needs at least one space",
                        what, s, len ? "keys: " : "there are none", list);
}

static const char marks[] = "MSCV?D";

/* One figure: [value, mark, source(, note)], {value:, mark:, source:(, note:)},
 * [unknown, reason] or {unknown: reason}. Numbers are checked against u (units; >= 0 for
 * energies, times and powers; whole for counts). */
static int rd_fig(rd *r, yaml_node_t *n, const char *what, myl__unit u, int allow_unknown,
                  myl_fig *f)
{
    yaml_node_t *vn = NULL, *mn = NULL, *sn = NULL, *nn = NULL, *un = NULL;
    int rc;
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = n->data.sequence.items.start;
        size_t len = (size_t)(n->data.sequence.items.top - it);
        yaml_node_t *first = len ? myl__yx_node(&r->y, it[0]) : NULL;
        if (first && first->type == YAML_SCALAR_NODE &&
            (strcmp(myl__yx_str(first), "unknown") == 0 ||
             strcmp(myl__yx_str(first), "null") == 0 || strcmp(myl__yx_str(first), "~") == 0)) {
            if (len != 2)
                return myl__yx_fail(&r->y, n, MYL_EPARSE,
                                    "%s: an unknown figure is written [unknown, \"why it is not "
                                    "known\"]",
                                    what);
            un = myl__yx_node(&r->y, it[1]);
        } else {
            if (len < 3 || len > 4)
                return myl__yx_fail(&r->y, n, MYL_EPARSE,
                                    "%s: expected [value, mark, source] or [value, mark, source, "
                                    "note], found a list of %zu",
                                    what, len);
            vn = first;
            mn = myl__yx_node(&r->y, it[1]);
            sn = myl__yx_node(&r->y, it[2]);
            nn = len == 4 ? myl__yx_node(&r->y, it[3]) : NULL;
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        static const char *const keys[] = {"value", "mark", "source", "note", "unknown", NULL};
        if ((rc = myl__yx_keys(&r->y, n, keys, what)))
            return rc;
        un = myl__yx_get(&r->y, n, "unknown");
        vn = myl__yx_get(&r->y, n, "value");
        mn = myl__yx_get(&r->y, n, "mark");
        sn = myl__yx_get(&r->y, n, "source");
        nn = myl__yx_get(&r->y, n, "note");
        if (un && (vn || mn || sn || nn))
            return myl__yx_fail(&r->y, n, MYL_EPARSE,
                                "%s: an unknown figure has only 'unknown: <reason>'", what);
        if (!un && (!vn || !mn || !sn))
            return myl__yx_fail(&r->y, n, MYL_EPARSE, "%s: a figure needs value, mark and source",
                                what);
    } else {
        const char *s = n->type == YAML_SCALAR_NODE ? myl__yx_str(n) : "";
        if (n->type == YAML_SCALAR_NODE &&
            (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || strcmp(s, "unknown") == 0 || !*s))
            return myl__yx_fail(&r->y, n, MYL_EPARSE,
                                "%s: an unknown figure needs a reason: write [unknown, \"why\"]",
                                what);
        return myl__yx_fail(&r->y, n, MYL_EPARSE,
                            "%s: '%s' has no mark and no source; write [%s, mark, source] "
                            "(marks: M S C V ? D)",
                            what, s, *s ? s : "value");
    }

    if (un) {
        if (!allow_unknown)
            return myl__yx_fail(&r->y, n, MYL_EPARSE, "%s: this figure cannot be unknown", what);
        if ((rc = myl__yx_want(&r->y, un, YAML_SCALAR_NODE, what)))
            return rc;
        if (!*myl__yx_str(un))
            return myl__yx_fail(&r->y, un, MYL_EPARSE, "%s: say why the figure is unknown", what);
        char buf[1200];
        snprintf(buf, sizeof buf, "unknown: %s", myl__yx_str(un));
        if (!(f->source = myl__hw_str(r->y.h, buf)))
            return MYL_ENOMEM;
        f->v = NAN;
        f->mark = 0;
        return 0;
    }

    /* value */
    if ((rc = myl__yx_want(&r->y, vn, YAML_SCALAR_NODE, what)))
        return rc;
    char why[200];
    double v;
    if (quantity(myl__yx_str(vn), u, &v, why, sizeof why))
        return myl__yx_fail(&r->y, vn, MYL_EPARSE, "%s: %s; expected %s", what, why,
                            unit_expect(u));
    if (u != MYL__U_INT && v < 0)
        return myl__yx_fail(&r->y, vn, MYL_EPARSE, "%s: %s is negative; expected %s >= 0", what,
                            myl__yx_str(vn), unit_expect(u));
    if ((u == MYL__U_COUNT || u == MYL__U_BITS || u == MYL__U_INT) && v != floor(v))
        return myl__yx_fail(&r->y, vn, MYL_EPARSE, "%s: %s is not a whole number", what,
                            myl__yx_str(vn));
    /* mark */
    if ((rc = myl__yx_want(&r->y, mn, YAML_SCALAR_NODE, what)))
        return rc;
    const char *m = myl__yx_str(mn);
    if (strlen(m) != 1 || !strchr(marks, m[0]))
        return myl__yx_fail(&r->y, mn, MYL_EPARSE,
                            "%s: mark '%s' is not one of M (measured on silicon), S (pre-silicon "
                            "simulation), C (calibrated), V (vendor claim), \"?\" (unconfirmed), "
                            "D (derived here)",
                            what, m);
    /* source and note */
    const char *src = NULL;
    if ((rc = resolve_source(r, sn, what, &src)))
        return rc;
    char buf[2400];
    if (nn) {
        if ((rc = myl__yx_want(&r->y, nn, YAML_SCALAR_NODE, what)))
            return rc;
        snprintf(buf, sizeof buf, "%s; %s", src, myl__yx_str(nn));
    } else {
        snprintf(buf, sizeof buf, "%s", src);
    }
    if (!(f->source = myl__hw_str(r->y.h, buf)))
        return MYL_ENOMEM;
    f->v = v;
    f->mark = m[0];
    return 0;
}

/* A required key of mapping m. */
static int need(rd *r, yaml_node_t *m, const char *key, const char *where, yaml_node_t **out)
{
    if ((*out = myl__yx_get(&r->y, m, key)))
        return 0;
    return myl__yx_fail(&r->y, m, MYL_EPARSE, "%s: '%s' is missing", where, key);
}

/* A count figure stored as a capacity: value in [lo, hi]. */
static int rd_cap(rd *r, yaml_node_t *n, const char *what, myl__unit u, long long lo, long long hi,
                  myl__cap cap, const char *lo_why)
{
    myl_fig *f = &r->y.h->cap[cap];
    int rc = rd_fig(r, n, what, u, 0, f);
    if (rc)
        return rc;
    if (f->v < (double)lo)
        return myl__yx_fail(&r->y, n, MYL_EPARSE, "%s: %.17g is below %lld%s%s", what, f->v, lo,
                            lo_why ? "; " : "", lo_why ? lo_why : "");
    if (f->v > (double)hi)
        return myl__yx_fail(&r->y, n, MYL_EPARSE, "%s: %.17g is above the limit %lld", what, f->v,
                            hi);
    return 0;
}

static int rd_op(rd *r, yaml_node_t *n, const char *what, myl_op *op)
{
    static const char *const keys[] = {"energy", "latency", NULL};
    int rc = myl__yx_want(&r->y, n, YAML_MAPPING_NODE, what);
    if (rc || (rc = myl__yx_keys(&r->y, n, keys, what)))
        return rc;
    yaml_node_t *e, *l;
    if ((rc = need(r, n, "energy", what, &e)) || (rc = need(r, n, "latency", what, &l)))
        return rc;
    char w[300];
    snprintf(w, sizeof w, "%s: energy", what);
    if ((rc = rd_fig(r, e, w, MYL__U_ENERGY, 1, &op->energy)))
        return rc;
    snprintf(w, sizeof w, "%s: latency", what);
    return rd_fig(r, l, w, MYL__U_TIME, 1, &op->latency);
}

/* ---- sections of a myelin model ---------------------------------------------------------- */

static int rd_organisation(rd *r, yaml_node_t *o)
{
    static const char *const keys[] = {"cores_per_tile", "mesh", "chips", NULL};
    static const char *const wh[] = {"width", "height", NULL};
    int rc = myl__yx_want(&r->y, o, YAML_MAPPING_NODE, "organisation");
    if (rc || (rc = myl__yx_keys(&r->y, o, keys, "organisation")))
        return rc;
    myl__hw *h = r->y.h;
    yaml_node_t *n, *mesh, *chips, *w, *hh;
    if ((rc = need(r, o, "cores_per_tile", "organisation", &n)) ||
        (rc = rd_cap(r, n, "organisation: cores_per_tile", MYL__U_COUNT, 1, UINT32_MAX,
                     MYL__CAP_CORES_PER_TILE, "a tile holds at least one core")))
        return rc;
    if ((rc = need(r, o, "mesh", "organisation", &mesh)) ||
        (rc = myl__yx_want(&r->y, mesh, YAML_MAPPING_NODE, "organisation: mesh")) ||
        (rc = myl__yx_keys(&r->y, mesh, wh, "organisation: mesh")) ||
        (rc = need(r, mesh, "width", "organisation: mesh", &w)) ||
        (rc = need(r, mesh, "height", "organisation: mesh", &hh)) ||
        (rc = rd_cap(r, w, "organisation: mesh: width", MYL__U_COUNT, 1, 65535, MYL__CAP_MESH_W,
                     "a chip's mesh is at least 1 x 1 tiles")) ||
        (rc = rd_cap(r, hh, "organisation: mesh: height", MYL__U_COUNT, 1, 65535, MYL__CAP_MESH_H,
                     "a chip's mesh is at least 1 x 1 tiles")))
        return rc;
    if ((rc = need(r, o, "chips", "organisation", &chips)) ||
        (rc = myl__yx_want(&r->y, chips, YAML_MAPPING_NODE, "organisation: chips")) ||
        (rc = myl__yx_keys(&r->y, chips, wh, "organisation: chips")) ||
        (rc = need(r, chips, "width", "organisation: chips", &w)) ||
        (rc = need(r, chips, "height", "organisation: chips", &hh)) ||
        (rc = rd_cap(r, w, "organisation: chips: width", MYL__U_COUNT, 0, 65535, MYL__CAP_CHIPS_W,
                     NULL)) ||
        (rc = rd_cap(r, hh, "organisation: chips: height", MYL__U_COUNT, 0, 65535, MYL__CAP_CHIPS_H,
                     NULL)))
        return rc;
    h->pub.cores_per_tile = (uint32_t)h->cap[MYL__CAP_CORES_PER_TILE].v;
    h->pub.mesh_w = (uint32_t)h->cap[MYL__CAP_MESH_W].v;
    h->pub.mesh_h = (uint32_t)h->cap[MYL__CAP_MESH_H].v;
    h->pub.chips_w = (uint32_t)h->cap[MYL__CAP_CHIPS_W].v;
    h->pub.chips_h = (uint32_t)h->cap[MYL__CAP_CHIPS_H].v;
    return 0;
}

static int rd_core(rd *r, yaml_node_t *c)
{
    static const struct {
        const char *key;
        myl__cap cap;
        myl__unit unit;
        long long hi;
    } caps[] = {
        {"neurons", MYL__CAP_NEURONS, MYL__U_COUNT, UINT32_MAX},
        {"synapses", MYL__CAP_SYNAPSES, MYL__U_COUNT, 1ll << 52},
        {"synapse_memory", MYL__CAP_SYN_MEM, MYL__U_BITS, 1ll << 52},
        {"synapse_bits", MYL__CAP_SYN_BITS, MYL__U_BITS, 4096},
        {"fan_in", MYL__CAP_FANIN, MYL__U_COUNT, UINT32_MAX},
        {"axons_in", MYL__CAP_AXONS_IN, MYL__U_COUNT, UINT32_MAX},
        {"axons_out", MYL__CAP_AXONS_OUT, MYL__U_COUNT, UINT32_MAX},
        {"max_delay", MYL__CAP_MAX_DELAY, MYL__U_COUNT, UINT32_MAX},
        {"max_refractory", MYL__CAP_MAX_REFRACTORY, MYL__U_COUNT, UINT32_MAX},
    };
    static const char *const keys[] = {
        "neurons",  "synapses",  "synapse_memory", "synapse_bits",   "fan_in",
        "axons_in", "axons_out", "max_delay",      "max_refractory", NULL};
    int rc = myl__yx_want(&r->y, c, YAML_MAPPING_NODE, "core");
    if (rc || (rc = myl__yx_keys(&r->y, c, keys, "core")))
        return rc;
    myl__hw *h = r->y.h;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        yaml_node_t *n = myl__yx_get(&r->y, c, caps[i].key);
        if (!n)
            continue;
        char what[64];
        snprintf(what, sizeof what, "core: %s", caps[i].key);
        if ((rc = rd_cap(r, n, what, caps[i].unit, 1, caps[i].hi, caps[i].cap,
                         "0 would mean no limit: leave the key out instead")))
            return rc;
    }
    h->pub.max_neurons = (uint32_t)h->cap[MYL__CAP_NEURONS].v;
    h->pub.max_synapses = (uint64_t)h->cap[MYL__CAP_SYNAPSES].v;
    h->pub.syn_mem_bits = (uint64_t)h->cap[MYL__CAP_SYN_MEM].v;
    h->pub.syn_bits = (uint32_t)h->cap[MYL__CAP_SYN_BITS].v;
    h->pub.max_fanin = (uint32_t)h->cap[MYL__CAP_FANIN].v;
    h->pub.max_axons_in = (uint32_t)h->cap[MYL__CAP_AXONS_IN].v;
    h->pub.max_axons_out = (uint32_t)h->cap[MYL__CAP_AXONS_OUT].v;
    h->pub.max_delay = (uint32_t)h->cap[MYL__CAP_MAX_DELAY].v;
    h->pub.max_refractory = (uint32_t)h->cap[MYL__CAP_MAX_REFRACTORY].v;

    yaml_node_t *mem = myl__yx_get(&r->y, c, "synapse_memory");
    yaml_node_t *bits = myl__yx_get(&r->y, c, "synapse_bits");
    if (mem && !bits)
        return myl__yx_fail(&r->y, mem, MYL_EPARSE,
                            "core: synapse_memory needs synapse_bits (the bits one synapse takes "
                            "in that memory)");
    if (bits && !mem)
        return myl__yx_fail(&r->y, bits, MYL_EPARSE,
                            "core: synapse_bits needs synapse_memory (the memory they are counted "
                            "against)");
    if (mem && h->pub.syn_mem_bits < h->pub.syn_bits)
        return myl__yx_fail(&r->y, mem, MYL_EPARSE,
                            "core: synapse_memory: %llu bits cannot hold one synapse of "
                            "synapse_bits = %u bits",
                            (unsigned long long)h->pub.syn_mem_bits, h->pub.syn_bits);
    yaml_node_t *fan = myl__yx_get(&r->y, c, "fan_in");
    if (fan && h->pub.max_synapses && h->pub.max_fanin > h->pub.max_synapses)
        return myl__yx_fail(&r->y, fan, MYL_EPARSE,
                            "core: fan_in: %u synapses into one neuron is more than the core's "
                            "synapses = %llu",
                            h->pub.max_fanin, (unsigned long long)h->pub.max_synapses);
    return 0;
}

static const char *const arith_names[MYL_ARITH_COUNT] = {"float", "loihi", "truenorth", "spinnaker",
                                                         "odin"};

const char *myl_arith_name(myl_arith a)
{
    return (unsigned)a < MYL_ARITH_COUNT ? arith_names[a] : "unknown";
}

static int rd_arith(rd *r, yaml_node_t *a)
{
    static const char *const keys[] = {"kind", "weight_bits", "weight_exponent", NULL};
    static const char *const mm[] = {"min", "max", NULL};
    int rc = myl__yx_want(&r->y, a, YAML_MAPPING_NODE, "arithmetic");
    if (rc || (rc = myl__yx_keys(&r->y, a, keys, "arithmetic")))
        return rc;
    myl__hw *h = r->y.h;
    yaml_node_t *k, *wb, *we;
    if ((rc = need(r, a, "kind", "arithmetic", &k)) ||
        (rc = myl__yx_want(&r->y, k, YAML_SCALAR_NODE, "arithmetic: kind")))
        return rc;
    int found = 0;
    for (int i = 0; i < MYL_ARITH_COUNT && !found; i++)
        if (strcmp(myl__yx_str(k), arith_names[i]) == 0)
            h->pub.arith = (myl_arith)i, found = 1;
    if (!found)
        return myl__yx_fail(&r->y, k, MYL_EPARSE,
                            "arithmetic: kind: unknown arithmetic '%s' (expected float, loihi, "
                            "truenorth, spinnaker or odin)",
                            myl__yx_str(k));
    if ((wb = myl__yx_get(&r->y, a, "weight_bits"))) {
        if ((rc = rd_cap(r, wb, "arithmetic: weight_bits", MYL__U_COUNT, 1, 64,
                         MYL__CAP_WEIGHT_BITS, "a weight has at least one bit")))
            return rc;
        h->pub.weight_bits = (uint32_t)h->cap[MYL__CAP_WEIGHT_BITS].v;
    } else if (h->pub.arith != MYL_ARITH_FLOAT) {
        return myl__yx_fail(&r->y, a, MYL_EPARSE,
                            "arithmetic: '%s' is fixed point and needs weight_bits",
                            myl__yx_str(k));
    }
    if ((we = myl__yx_get(&r->y, a, "weight_exponent"))) {
        yaml_node_t *lo, *hi;
        if ((rc = myl__yx_want(&r->y, we, YAML_MAPPING_NODE, "arithmetic: weight_exponent")) ||
            (rc = myl__yx_keys(&r->y, we, mm, "arithmetic: weight_exponent")) ||
            (rc = need(r, we, "min", "arithmetic: weight_exponent", &lo)) ||
            (rc = need(r, we, "max", "arithmetic: weight_exponent", &hi)) ||
            (rc = rd_cap(r, lo, "arithmetic: weight_exponent: min", MYL__U_INT, -64, 64,
                         MYL__CAP_WEIGHT_EXP_MIN, NULL)) ||
            (rc = rd_cap(r, hi, "arithmetic: weight_exponent: max", MYL__U_INT, -64, 64,
                         MYL__CAP_WEIGHT_EXP_MAX, NULL)))
            return rc;
        h->pub.weight_exp_min = (int)h->cap[MYL__CAP_WEIGHT_EXP_MIN].v;
        h->pub.weight_exp_max = (int)h->cap[MYL__CAP_WEIGHT_EXP_MAX].v;
        if (h->pub.weight_exp_min > h->pub.weight_exp_max)
            return myl__yx_fail(&r->y, we, MYL_EPARSE,
                                "arithmetic: weight_exponent: min %d is above max %d",
                                h->pub.weight_exp_min, h->pub.weight_exp_max);
    }
    return 0;
}

/* A variant name: letters, digits, '_', '-', '.'; unique among `names`. */
static int rd_variant_name(rd *r, yaml_node_t *v, const char *what, char **names, uint32_t n,
                           const char **out)
{
    yaml_node_t *nn;
    int rc = need(r, v, "name", what, &nn);
    if (rc || (rc = myl__yx_want(&r->y, nn, YAML_SCALAR_NODE, what)))
        return rc;
    const char *s = myl__yx_str(nn);
    int ok = *s != 0;
    for (const char *p = s; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '_' || *p == '-' || *p == '.';
    if (!ok)
        return myl__yx_fail(&r->y, nn, MYL_EPARSE,
                            "%s: name '%s' must be letters, digits, '_', '-' or '.'", what, s);
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return myl__yx_fail(&r->y, nn, MYL_EPARSE,
                                "%s: a variant named '%s' is already "
                                "defined",
                                what, s);
    if (!(*out = myl__hw_str(r->y.h, s)))
        return MYL_ENOMEM;
    return 0;
}

static int rd_variants(rd *r, yaml_node_t *list, const char *what, yaml_node_item_t **items,
                       size_t *n)
{
    int rc = myl__yx_want(&r->y, list, YAML_SEQUENCE_NODE, what);
    if (rc)
        return rc;
    *items = list->data.sequence.items.start;
    *n = (size_t)(list->data.sequence.items.top - *items);
    if (*n == 0)
        return myl__yx_fail(&r->y, list, MYL_EPARSE, "%s: at least one variant is needed", what);
    if (*n > MYL_HW_MAX_VARIANTS)
        return myl__yx_fail(&r->y, list, MYL_EPARSE, "%s: %zu variants; at most %d are allowed",
                            what, *n, MYL_HW_MAX_VARIANTS);
    return 0;
}

static int rd_synapses(rd *r, yaml_node_t *list)
{
    static const char *const keys[] = {"name", "energy", "latency", NULL};
    myl_hw *hw = &r->y.h->pub;
    yaml_node_item_t *it;
    size_t n;
    int rc = rd_variants(r, list, "costs: synapse", &it, &n);
    if (rc)
        return rc;
    char *names[MYL_HW_MAX_VARIANTS];
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = myl__yx_node(&r->y, it[i]);
        char what[120];
        snprintf(what, sizeof what, "costs: synapse %zu", i + 1);
        const char *name;
        if ((rc = myl__yx_want(&r->y, v, YAML_MAPPING_NODE, what)) ||
            (rc = myl__yx_keys(&r->y, v, keys, what)) ||
            (rc = rd_variant_name(r, v, what, names, (uint32_t)i, &name)))
            return rc;
        names[i] = (char *)name;
        hw->synapse[i].name = names[i];
        snprintf(what, sizeof what, "costs: synapse '%s'", name);
        yaml_node_t *e, *l;
        char w[200];
        if ((rc = need(r, v, "energy", what, &e)) || (rc = need(r, v, "latency", what, &l)))
            return rc;
        snprintf(w, sizeof w, "%s: energy", what);
        if ((rc = rd_fig(r, e, w, MYL__U_ENERGY, 1, &hw->synapse[i].spike.energy)))
            return rc;
        snprintf(w, sizeof w, "%s: latency", what);
        if ((rc = rd_fig(r, l, w, MYL__U_TIME, 1, &hw->synapse[i].spike.latency)))
            return rc;
        hw->nsynapse = (uint32_t)i + 1;
    }
    return 0;
}

static int rd_somas(rd *r, yaml_node_t *list)
{
    static const char *const keys[] = {"name", "access", "update", "spike", "input", NULL};
    myl_hw *hw = &r->y.h->pub;
    yaml_node_item_t *it;
    size_t n;
    int rc = rd_variants(r, list, "costs: soma", &it, &n);
    if (rc)
        return rc;
    char *names[MYL_HW_MAX_VARIANTS];
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = myl__yx_node(&r->y, it[i]);
        char what[120], w[200];
        snprintf(what, sizeof what, "costs: soma %zu", i + 1);
        const char *name;
        if ((rc = myl__yx_want(&r->y, v, YAML_MAPPING_NODE, what)) ||
            (rc = myl__yx_keys(&r->y, v, keys, what)) ||
            (rc = rd_variant_name(r, v, what, names, (uint32_t)i, &name)))
            return rc;
        names[i] = (char *)name;
        myl_soma_cost *s = &hw->soma[i];
        s->name = names[i];
        snprintf(what, sizeof what, "costs: soma '%s'", name);
        static const char *const ops[] = {"access", "update", "spike"};
        myl_op *dst[] = {&s->access, &s->update, &s->spike};
        for (int k = 0; k < 3; k++) {
            yaml_node_t *o;
            if ((rc = need(r, v, ops[k], what, &o)))
                return rc;
            snprintf(w, sizeof w, "%s: %s", what, ops[k]);
            if ((rc = rd_op(r, o, w, dst[k])))
                return rc;
        }
        yaml_node_t *in = myl__yx_get(&r->y, v, "input");
        if (in) {
            snprintf(w, sizeof w, "%s: input", what);
            if ((rc = myl__yx_want(&r->y, in, YAML_SCALAR_NODE, w)))
                return rc;
            const char *b = myl__yx_str(in);
            if (strcmp(b, "true") == 0)
                s->input = 1;
            else if (strcmp(b, "false") == 0)
                s->input = 0;
            else
                return myl__yx_fail(&r->y, in, MYL_EPARSE,
                                    "%s: expected true or false, found "
                                    "'%s'",
                                    w, b);
        }
        hw->nsoma = (uint32_t)i + 1;
    }
    return 0;
}

static int rd_sync(rd *r, yaml_node_t *n)
{
    myl_hw *hw = &r->y.h->pub;
    yaml_node_t *t = n->type == YAML_MAPPING_NODE ? myl__yx_get(&r->y, n, "table") : NULL;
    if (!t)
        return rd_fig(r, n, "costs: sync", MYL__U_TIME, 1, &hw->sync);
    static const char *const keys[] = {"table", NULL};
    int rc = myl__yx_keys(&r->y, n, keys, "costs: sync");
    if (rc || (rc = myl__yx_want(&r->y, t, YAML_MAPPING_NODE, "costs: sync: table")) ||
        (rc = myl__yx_keys(&r->y, t, NULL, "costs: sync: table")))
        return rc;
    size_t len = (size_t)(t->data.mapping.pairs.top - t->data.mapping.pairs.start);
    if (len == 0 || len > MYL_HW_MAX_SYNC)
        return myl__yx_fail(&r->y, t, MYL_EPARSE,
                            "costs: sync: table: %zu entries; expected 1 to %d (tiles in use: "
                            "latency)",
                            len, MYL_HW_MAX_SYNC);
    hw->sync_table = 1;
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &t->data.mapping.pairs.start[i];
        yaml_node_t *k = myl__yx_node(&r->y, p->key), *v = myl__yx_node(&r->y, p->value);
        long long tiles;
        if ((rc = myl__yx_whole(&r->y, k, "costs: sync: table: tiles in use", 1, UINT32_MAX,
                                &tiles)))
            return rc;
        if (i == 0 && tiles != 1)
            return myl__yx_fail(&r->y, k, MYL_EPARSE,
                                "costs: sync: table: the first entry must be for 1 tile, so that "
                                "every count has a latency; found %lld",
                                tiles);
        if (i > 0 && (uint32_t)tiles <= hw->sync_tiles[i - 1])
            return myl__yx_fail(&r->y, k, MYL_EPARSE,
                                "costs: sync: table: tile counts must increase; %lld follows %u",
                                tiles, hw->sync_tiles[i - 1]);
        char what[80];
        snprintf(what, sizeof what, "costs: sync: table: %lld", tiles);
        if ((rc = rd_fig(r, v, what, MYL__U_TIME, 0, &hw->sync_lat[i])))
            return rc;
        hw->sync_tiles[i] = (uint32_t)tiles;
        hw->nsync = (uint32_t)i + 1;
    }
    return 0;
}

static int rd_costs(rd *r, yaml_node_t *c)
{
    static const char *const keys[] = {"msg_in",       "synapse",     "dendrite", "soma",
                                       "msg_out",      "hop",         "chip_hop", "sync",
                                       "static_power", "tick_period", NULL};
    static const char *const dirs[] = {"north", "east", "south", "west", NULL};
    int rc = myl__yx_want(&r->y, c, YAML_MAPPING_NODE, "costs");
    if (rc || (rc = myl__yx_keys(&r->y, c, keys, "costs")))
        return rc;
    myl_hw *hw = &r->y.h->pub;
    yaml_node_t *n;
    if ((rc = need(r, c, "msg_in", "costs", &n)) ||
        (rc = rd_op(r, n, "costs: msg_in", &hw->msg_in)))
        return rc;
    if ((rc = need(r, c, "synapse", "costs", &n)) || (rc = rd_synapses(r, n)))
        return rc;
    if ((rc = need(r, c, "dendrite", "costs", &n)) ||
        (rc = rd_op(r, n, "costs: dendrite", &hw->dendrite)))
        return rc;
    if ((rc = need(r, c, "soma", "costs", &n)) || (rc = rd_somas(r, n)))
        return rc;
    if ((rc = need(r, c, "msg_out", "costs", &n)) ||
        (rc = rd_op(r, n, "costs: msg_out", &hw->msg_out)))
        return rc;
    yaml_node_t *hop;
    if ((rc = need(r, c, "hop", "costs", &hop)) ||
        (rc = myl__yx_want(&r->y, hop, YAML_MAPPING_NODE, "costs: hop")) ||
        (rc = myl__yx_keys(&r->y, hop, dirs, "costs: hop")))
        return rc;
    myl_op *hops[] = {&hw->hop_n, &hw->hop_e, &hw->hop_s, &hw->hop_w};
    for (int i = 0; i < 4; i++) {
        char what[40];
        snprintf(what, sizeof what, "costs: hop: %s", dirs[i]);
        if ((rc = need(r, hop, dirs[i], "costs: hop", &n)) || (rc = rd_op(r, n, what, hops[i])))
            return rc;
    }
    if ((rc = need(r, c, "chip_hop", "costs", &n)) ||
        (rc = rd_op(r, n, "costs: chip_hop", &hw->chip_hop)))
        return rc;
    if ((rc = need(r, c, "sync", "costs", &n)) || (rc = rd_sync(r, n)))
        return rc;
    if ((rc = need(r, c, "static_power", "costs", &n)) ||
        (rc = rd_fig(r, n, "costs: static_power", MYL__U_POWER, 1, &hw->static_power)))
        return rc;
    if (isnan(hw->static_power.v))
        hw->static_power.v = 0; /* hw.h: 0 when unknown (mark 0 says it is unknown) */
    if ((rc = need(r, c, "tick_period", "costs", &n)) ||
        (rc = rd_fig(r, n, "costs: tick_period", MYL__U_TIME, 0, &hw->tick_period)))
        return rc;
    return 0;
}

/* The whole myelin model document. The references go into *refs_text (caller frees). */
static int rd_model(rd *r, yaml_node_t *root, char **refs_text)
{
    static const char *const keys[] = {"myelin_hw", "description", "references", "organisation",
                                       "core",      "arithmetic",  "costs",      NULL};
    myl__yx *x = &r->y;
    int rc = myl__yx_keys(x, root, keys, "top level");
    if (rc)
        return rc;
    yaml_node_t *n;
    long long ver;
    if ((n = myl__yx_get(x, root, "myelin_hw")) == NULL)
        return myl__yx_fail(x, root, MYL_EPARSE,
                            "top level: 'myelin_hw: 1' is missing (a myelin hardware model "
                            "starts with it; a SANA-FE file starts with 'architecture:')");
    if ((rc = myl__yx_whole(x, n, "myelin_hw (format version)", 1, 1, &ver)))
        return rc;
    if ((rc = need(r, root, "description", "top level", &n)) ||
        (rc = myl__yx_want(x, n, YAML_SCALAR_NODE, "description")))
        return rc;
    if (!*myl__yx_str(n))
        return myl__yx_fail(x, n, MYL_EPARSE, "description: is empty");
    if (!(x->h->pub.description = (char *)myl__hw_str(x->h, myl__yx_str(n))))
        return MYL_ENOMEM;

    if ((r->refs = myl__yx_get(x, root, "references"))) {
        if ((rc = myl__yx_want(x, r->refs, YAML_MAPPING_NODE, "references")) ||
            (rc = myl__yx_keys(x, r->refs, NULL, "references")))
            return rc;
        size_t need_bytes = 1;
        for (yaml_node_pair_t *p = r->refs->data.mapping.pairs.start;
             p < r->refs->data.mapping.pairs.top; p++) {
            yaml_node_t *k = myl__yx_node(x, p->key), *v = myl__yx_node(x, p->value);
            if (!is_key_like(myl__yx_str(k)))
                return myl__yx_fail(x, k, MYL_EPARSE,
                                    "references: key '%s' must be one word (figures refer to it)",
                                    myl__yx_str(k));
            if ((rc = myl__yx_want(x, v, YAML_SCALAR_NODE, "references")))
                return rc;
            if (!*myl__yx_str(v))
                return myl__yx_fail(x, v, MYL_EPARSE, "references: '%s' is empty", myl__yx_str(k));
            need_bytes += strlen(myl__yx_str(k)) + strlen(myl__yx_str(v)) + 3;
        }
        char *t = myl_malloc(need_bytes);
        if (!t)
            return MYL_ENOMEM;
        size_t len = 0;
        for (yaml_node_pair_t *p = r->refs->data.mapping.pairs.start;
             p < r->refs->data.mapping.pairs.top; p++)
            len += (size_t)snprintf(t + len, need_bytes - len, "%s: %s\n",
                                    myl__yx_str(myl__yx_node(x, p->key)),
                                    myl__yx_str(myl__yx_node(x, p->value)));
        *refs_text = t;
    }
    if ((rc = need(r, root, "organisation", "top level", &n)) || (rc = rd_organisation(r, n)))
        return rc;
    if ((n = myl__yx_get(x, root, "core")) && (rc = rd_core(r, n)))
        return rc;
    if ((rc = need(r, root, "arithmetic", "top level", &n)) || (rc = rd_arith(r, n)))
        return rc;
    if ((rc = need(r, root, "costs", "top level", &n)) || (rc = rd_costs(r, n)))
        return rc;
    return 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int read_file(const char *path, char **buf, size_t *len, myl_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return myl_diag_fail(d, errno == ENOENT ? MYL_ENOTFOUND : MYL_EIO, "%s: cannot open: %s",
                             path, strerror(errno));
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_BYTES) {
                rc = myl_diag_fail(d, MYL_ETOOBIG,
                                   "%s: larger than %u bytes; not a hardware "
                                   "model",
                                   path, MAX_FILE_BYTES);
                break;
            }
            cap = cap ? 2 * cap : 16384;
            char *nb = myl_realloc(b, cap + 1);
            if (!nb) {
                rc = MYL_ENOMEM;
                break;
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (!got) {
            if (ferror(f))
                rc = myl_diag_fail(d, MYL_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) {
        myl_free(b);
        return rc;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

/* "dir/loihi.yaml" -> "loihi". */
static void base_name(const char *path, char *out, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
        n -= 4;
    snprintf(out, size, "%.*s", (int)n, b);
}

int myl__hw_parse(const char *text, size_t len, const char *path, myl_hw **out, myl_diag *d)
{
    char *refs = NULL;
    myl__hw *h = myl__hw_new();
    if (!h)
        return MYL_ENOMEM;
    yaml_document_t doc;
    int have_doc = 0;
    yaml_parser_t p;
    int rc = MYL_ENOMEM;
    if (!yaml_parser_initialize(&p))
        goto done;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        if (p.error == YAML_MEMORY_ERROR)
            rc = MYL_ENOMEM;
        else
            rc = myl_diag_fail(d, MYL_EPARSE, "%s:%zu:%zu: YAML syntax error: %s%s%s", path,
                               p.problem_mark.line + 1, p.problem_mark.column + 1,
                               p.problem ? p.problem : "malformed", p.context ? " " : "",
                               p.context ? p.context : "");
        yaml_parser_delete(&p);
        goto done;
    }
    yaml_parser_delete(&p);
    have_doc = 1;

    myl__yx x = {.doc = &doc, .file = path, .d = d, .h = h};
    char name[256];
    base_name(path, name, sizeof name);
    if (!(h->pub.name = (char *)myl__hw_str(h, name)) ||
        !(h->pub.path = (char *)myl__hw_str(h, path)))
        goto done;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = myl__yx_fail(&x, NULL, MYL_EPARSE,
                          "the file is empty; expected a hardware model (docs/hardware-models.md)");
        goto done;
    }
    if ((rc = myl__yx_want(&x, root, YAML_MAPPING_NODE, "top level")))
        goto done;
    if (myl__yx_get(&x, root, "architecture")) {
        h->pub.sanafe = 1;
        rc = myl__sanafe_arch_read(&x, root);
    } else {
        rd r = {.y = x};
        rc = rd_model(&r, root, &refs);
    }
done:
    if (have_doc)
        yaml_document_delete(&doc);
    if (!rc)
        rc = myl__hw_finish(&h, refs);
    else
        myl__hw_discard(h);
    myl_free(refs);
    if (rc)
        return rc;
    *out = &h->pub;
    return 0;
}

static int load_path(const char *path, myl_hw **out, myl_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, d);
    if (rc)
        return rc;
    rc = myl__hw_parse(text, len, path, out, d);
    myl_free(text);
    return rc;
}

/* The directories searched for models, in order: $MYELIN_HW_PATH (colon-separated), the
 * source tree's hw_models, the installed data directory. fn returns nonzero to stop. */
static int each_dir(int (*fn)(const char *dir, void *arg), void *arg)
{
    const char *env = getenv("MYELIN_HW_PATH");
    char dir[PATH_BYTES];
    int rc;
    while (env && *env) {
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);
        if (n && n < sizeof dir) {
            memcpy(dir, env, n);
            dir[n] = 0;
            if ((rc = fn(dir, arg)))
                return rc;
        }
        env = colon ? colon + 1 : NULL;
    }
#ifdef MYL_HW_SOURCE_DIR
    if ((rc = fn(MYL_HW_SOURCE_DIR, arg)))
        return rc;
#endif
#ifdef MYL_HW_DIR
#ifdef MYL_HW_SOURCE_DIR
    if (strcmp(MYL_HW_DIR, MYL_HW_SOURCE_DIR) != 0)
#endif
        if ((rc = fn(MYL_HW_DIR, arg)))
            return rc;
#endif
    return 0;
}

typedef struct find_arg {
    const char *name;
    char path[PATH_BYTES];
    char searched[1024];
    size_t nsearched;
} find_arg;

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int find_in(const char *dir, void *arg)
{
    find_arg *a = arg;
    if (a->nsearched < sizeof a->searched)
        a->nsearched +=
            (size_t)snprintf(a->searched + a->nsearched, sizeof a->searched - a->nsearched, "%s%s",
                             a->nsearched ? ", " : "", dir);
    snprintf(a->path, sizeof a->path, "%s/%s.yaml", dir, a->name);
    return is_file(a->path);
}

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

int myl_hw_load(const char *name_or_path, myl_hw **out, myl_diag *d)
{
    if (!name_or_path || !out)
        return MYL_EINVAL;
    *out = NULL;
    if (!*name_or_path)
        return myl_diag_fail(d, MYL_EINVAL, "hardware model: the name is empty");
    if (looks_like_path(name_or_path) || is_file(name_or_path))
        return load_path(name_or_path, out, d);
    find_arg *a = myl_calloc(1, sizeof *a);
    if (!a)
        return MYL_ENOMEM;
    a->name = name_or_path;
    int rc;
    if (each_dir(find_in, a)) {
        rc = load_path(a->path, out, d);
        myl_free(a);
        return rc;
    }
    char **names = NULL;
    size_t n = 0;
    char list[1024] = "";
    size_t len = 0;
    rc = myl_hw_names(&names, &n);
    if (rc == MYL_ENOMEM) {
        myl_free(a);
        return rc;
    }
    for (size_t i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
    myl_hw_names_free(names, n);
    rc = myl_diag_fail(d, MYL_ENOTFOUND,
                       "no hardware model '%s' (searched %s; MYELIN_HW_PATH adds directories); "
                       "models: %s",
                       name_or_path, a->nsearched ? a->searched : "nowhere",
                       n ? list : "none found");
    myl_free(a);
    return rc;
}

void myl_hw_free(myl_hw *hw)
{
    if (!hw)
        return;
    myl__hw *h = myl__hw_priv(hw);
    if (h) {
        myl__hw_discard(h);
        return;
    }
    /* A struct filled in by hand: free the strings hw.h says it owns. */
    for (uint32_t i = 0; i < hw->nsynapse && i < MYL_HW_MAX_VARIANTS; i++)
        myl_free(hw->synapse[i].name);
    for (uint32_t i = 0; i < hw->nsoma && i < MYL_HW_MAX_VARIANTS; i++)
        myl_free(hw->soma[i].name);
    myl_free(hw->name);
    myl_free(hw->description);
    myl_free(hw->path);
    myl_free(hw->references);
    myl_free(hw);
}

/* ---- listing ----------------------------------------------------------------------------- */

typedef struct names_arg {
    char **v;
    size_t n, cap;
    int rc;
} names_arg;

static int list_in(const char *dir, void *arg)
{
    names_arg *a = arg;
    DIR *dp = opendir(dir);
    if (!dp)
        return 0; /* a directory that does not exist holds no models */
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0 || e->d_name[0] == '.')
            continue;
        char path[PATH_BYTES];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!is_file(path))
            continue;
        char name[256];
        base_name(e->d_name, name, sizeof name);
        int dup = 0;
        for (size_t i = 0; i < a->n && !dup; i++)
            dup = strcmp(a->v[i], name) == 0;
        if (dup)
            continue;
        if (a->n == a->cap) {
            size_t cap = a->cap ? 2 * a->cap : 16;
            char **v = myl_reallocarray(a->v, cap, sizeof *v);
            if (!v) {
                a->rc = MYL_ENOMEM;
                break;
            }
            a->v = v;
            a->cap = cap;
        }
        if (!(a->v[a->n] = myl_strdup(name))) {
            a->rc = MYL_ENOMEM;
            break;
        }
        a->n++;
    }
    closedir(dp);
    return a->rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int myl_hw_names(char ***names, size_t *n)
{
    if (!names || !n)
        return MYL_EINVAL;
    *names = NULL;
    *n = 0;
    names_arg a = {0};
    each_dir(list_in, &a);
    if (a.rc) {
        myl_hw_names_free(a.v, a.n);
        return a.rc;
    }
    if (a.n)
        qsort(a.v, a.n, sizeof *a.v, cmp_str);
    *names = a.v;
    *n = a.n;
    return 0;
}

void myl_hw_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        myl_free(names[i]);
    myl_free(names);
}

/* ---- lookups ----------------------------------------------------------------------------- */

/* Does `want` name the variant `have`? Exact, or "have[i]" for one copy of a SANA-FE range. */
static int variant_is(const char *have, const char *want)
{
    if (strcmp(have, want) == 0)
        return 1;
    size_t n = strlen(have);
    if (strncmp(have, want, n) != 0 || want[n] != '[')
        return 0;
    const char *p = want + n + 1;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return p[0] == ']' && p[1] == 0;
}

int myl_hw_soma_index(const myl_hw *hw, const char *name)
{
    if (!hw || hw->nsoma == 0)
        return -1;
    if (!name)
        return 0;
    for (uint32_t i = 0; i < hw->nsoma && i < MYL_HW_MAX_VARIANTS; i++)
        if (hw->soma[i].name && variant_is(hw->soma[i].name, name))
            return (int)i;
    return -1;
}

int myl_hw_synapse_index(const myl_hw *hw, const char *name)
{
    if (!hw || hw->nsynapse == 0)
        return -1;
    if (!name)
        return 0;
    for (uint32_t i = 0; i < hw->nsynapse && i < MYL_HW_MAX_VARIANTS; i++)
        if (hw->synapse[i].name && variant_is(hw->synapse[i].name, name))
            return (int)i;
    return -1;
}

/* ---- printing ---------------------------------------------------------------------------- */

/* Value with an SI prefix: "23.6 pJ", "1.8 µs", "29 mW"; "unknown" for NAN. */
static void fmt_si(double v, myl__unit u, char *buf, size_t size)
{
    static const char *const pre[] = {"f", "p", "n", "\xc2\xb5", "m", ""};
    const char *base = u == MYL__U_ENERGY ? "J" : u == MYL__U_TIME ? "s" : "W";
    if (isnan(v)) {
        snprintf(buf, size, "unknown");
        return;
    }
    if (v == 0) {
        snprintf(buf, size, "0 %s", base);
        return;
    }
    int k = 5;
    double s = v;
    while (k > 0 && fabs(s) < 0.9995) {
        s *= 1000;
        k--;
    }
    snprintf(buf, size, "%.4g %s%s", s, pre[k], base);
}

static void fmt_count(const myl_fig *f, myl__unit u, char *buf, size_t size)
{
    if (u == MYL__U_INT) {
        snprintf(buf, size, "%lld", (long long)f->v);
        return;
    }
    unsigned long long n = (unsigned long long)f->v;
    if (u == MYL__U_BITS && n >= 8192 && n % 8388608 == 0)
        snprintf(buf, size, "%llu MiB (%llu bits)", n / 8388608, n);
    else if (u == MYL__U_BITS && n >= 8192 && n % 8192 == 0)
        snprintf(buf, size, "%llu KiB (%llu bits)", n / 8192, n);
    else if (u == MYL__U_BITS)
        snprintf(buf, size, "%llu bit%s", n, n == 1 ? "" : "s");
    else
        snprintf(buf, size, "%llu", n);
}

/* Sources, numbered by citation in order of first use; the note after "; " (which table row,
 * how a number was derived) gets a letter, so each long citation is printed once. */
#define SRC_REFS 32
#define SRC_NOTES 64

typedef struct srcs {
    struct {
        const char *ref;
        size_t len;
        const char *note[SRC_NOTES];
        int nnote;
    } r[SRC_REFS];
    int n;
} srcs;

/* The label of source s ("3", "3b"), or "" when the table is full. */
static void src_label(srcs *t, const char *s, char *buf, size_t size)
{
    buf[0] = 0;
    if (!s)
        return;
    const char *semi = strstr(s, "; ");
    size_t len = semi ? (size_t)(semi - s) : strlen(s);
    const char *note = semi ? semi + 2 : NULL;
    int i = 0;
    while (i < t->n && !(t->r[i].len == len && strncmp(t->r[i].ref, s, len) == 0))
        i++;
    if (i == t->n) {
        if (t->n == SRC_REFS)
            return;
        t->r[i].ref = s;
        t->r[i].len = len;
        t->r[i].nnote = 0;
        t->n++;
    }
    if (!note) {
        snprintf(buf, size, "%d", i + 1);
        return;
    }
    int j = 0;
    while (j < t->r[i].nnote && strcmp(t->r[i].note[j], note) != 0)
        j++;
    if (j == t->r[i].nnote) {
        if (j == SRC_NOTES) {
            snprintf(buf, size, "%d", i + 1);
            return;
        }
        t->r[i].note[t->r[i].nnote++] = note;
    }
    if (j < 26)
        snprintf(buf, size, "%d%c", i + 1, 'a' + j);
    else
        snprintf(buf, size, "%d%c%c", i + 1, 'a' + j / 26 - 1, 'a' + j % 26);
}

static void print_sources(FILE *f, const srcs *t)
{
    if (!t->n)
        return;
    fprintf(f, "\nSources\n");
    for (int i = 0; i < t->n; i++) {
        fprintf(f, "  %2d  %.*s\n", i + 1, (int)t->r[i].len, t->r[i].ref);
        for (int j = 0; j < t->r[i].nnote; j++) {
            char l[8];
            if (j < 26)
                snprintf(l, sizeof l, "%c", 'a' + j);
            else
                snprintf(l, sizeof l, "%c%c", 'a' + j / 26 - 1, 'a' + j % 26);
            fprintf(f, "      %-3s %s\n", l, t->r[i].note[j]);
        }
    }
}

/* "23.6 pJ [S] 1" for one figure, in a field of fixed width. */
static void fig_cell(const myl_fig *f, myl__unit u, srcs *t, char *buf, size_t size)
{
    char v[64];
    if (u == MYL__U_COUNT || u == MYL__U_BITS || u == MYL__U_INT)
        fmt_count(f, u, v, sizeof v);
    else
        fmt_si(f->v, u, v, sizeof v);
    char no[16];
    src_label(t, f->source, no, sizeof no);
    if (f->mark)
        snprintf(buf, size, "%s [%c] %s", v, f->mark, no);
    else if (f->source && strncmp(f->source, "unknown", 7) == 0)
        snprintf(buf, size, "unknown %s", no);
    else
        snprintf(buf, size, "%s %s", v, no);
}

static void print_op(FILE *f, const char *label, const myl_op *op, srcs *t)
{
    char e[96], l[96];
    fig_cell(&op->energy, MYL__U_ENERGY, t, e, sizeof e);
    fig_cell(&op->latency, MYL__U_TIME, t, l, sizeof l);
    fprintf(f, "  %-40s %-22s %s\n", label, e, l);
}

static void print_cap(FILE *f, const myl__hw *h, myl__cap c, const char *label, myl__unit u,
                      double v, srcs *t)
{
    char cell[160];
    if (h && (h->cap[c].mark || h->cap[c].source)) {
        fig_cell(&h->cap[c], u, t, cell, sizeof cell);
    } else if (v == 0 && c != MYL__CAP_CHIPS_W && c != MYL__CAP_CHIPS_H) {
        snprintf(cell, sizeof cell, "no limit");
    } else {
        myl_fig tmp = {v, 0, NULL};
        fig_cell(&tmp, u, t, cell, sizeof cell);
    }
    if ((c == MYL__CAP_CHIPS_W || c == MYL__CAP_CHIPS_H) && v == 0)
        fprintf(f, "  %-40s %s (0: as many as needed)\n", label, cell);
    else
        fprintf(f, "  %-40s %s\n", label, cell);
}

void myl_hw_describe(const myl_hw *hw, FILE *f)
{
    if (!hw || !f)
        return;
    const myl__hw *h = myl__hw_priv(hw);
    srcs tt; /* about 17 KiB: printing allocates nothing, so it cannot fail half-way */
    srcs *t = &tt;
    t->n = 0;
    char a[96], b[96];
    fprintf(f, "%s: %s\n", hw->name ? hw->name : "(unnamed)",
            hw->description ? hw->description : "");
    if (hw->path)
        fprintf(f, "  file: %s%s\n", hw->path,
                hw->sanafe ? " (SANA-FE architecture file, converted)" : "");
    unsigned long long per_chip =
        (unsigned long long)hw->cores_per_tile * hw->mesh_w * (unsigned long long)hw->mesh_h;
    fprintf(f, "  %llu core%s per chip = %u x %u tiles of %u core%s; chips %u x %u%s\n", per_chip,
            per_chip == 1 ? "" : "s", hw->mesh_w, hw->mesh_h, hw->cores_per_tile,
            hw->cores_per_tile == 1 ? "" : "s", hw->chips_w, hw->chips_h,
            hw->chips_w == 0 || hw->chips_h == 0 ? " (0: as many as needed)" : "");
    fprintf(f, "  marks: M measured on silicon, S pre-silicon simulation, C calibrated by a "
               "simulator,\n         V vendor claim, ? unconfirmed, D derived here; numbers "
               "refer to the sources below\n");

    fprintf(f, "\nOrganisation and capacities\n");
    print_cap(f, h, MYL__CAP_CORES_PER_TILE, "cores per tile", MYL__U_COUNT, hw->cores_per_tile, t);
    print_cap(f, h, MYL__CAP_MESH_W, "tiles per chip, width", MYL__U_COUNT, hw->mesh_w, t);
    print_cap(f, h, MYL__CAP_MESH_H, "tiles per chip, height", MYL__U_COUNT, hw->mesh_h, t);
    print_cap(f, h, MYL__CAP_CHIPS_W, "chips, width", MYL__U_COUNT, hw->chips_w, t);
    print_cap(f, h, MYL__CAP_CHIPS_H, "chips, height", MYL__U_COUNT, hw->chips_h, t);
    print_cap(f, h, MYL__CAP_NEURONS, "neurons per core", MYL__U_COUNT, hw->max_neurons, t);
    print_cap(f, h, MYL__CAP_SYNAPSES, "synapses per core", MYL__U_COUNT, (double)hw->max_synapses,
              t);
    print_cap(f, h, MYL__CAP_SYN_MEM, "synapse memory per core", MYL__U_BITS,
              (double)hw->syn_mem_bits, t);
    print_cap(f, h, MYL__CAP_SYN_BITS, "bits per synapse", MYL__U_BITS, hw->syn_bits, t);
    print_cap(f, h, MYL__CAP_FANIN, "fan-in per neuron", MYL__U_COUNT, hw->max_fanin, t);
    print_cap(f, h, MYL__CAP_AXONS_IN, "input axons per core", MYL__U_COUNT, hw->max_axons_in, t);
    print_cap(f, h, MYL__CAP_AXONS_OUT, "output axons per core", MYL__U_COUNT, hw->max_axons_out,
              t);
    print_cap(f, h, MYL__CAP_MAX_DELAY, "longest delay [ticks]", MYL__U_COUNT, hw->max_delay, t);
    print_cap(f, h, MYL__CAP_MAX_REFRACTORY, "longest refractory [ticks]", MYL__U_COUNT,
              hw->max_refractory, t);

    fprintf(f, "\nArithmetic: %s\n", myl_arith_name(hw->arith));
    if (hw->weight_bits)
        print_cap(f, h, MYL__CAP_WEIGHT_BITS, "weight bits", MYL__U_COUNT, hw->weight_bits, t);
    else
        fprintf(f, "  %-40s float\n", "weights");
    if (hw->weight_exp_min || hw->weight_exp_max || (h && h->cap[MYL__CAP_WEIGHT_EXP_MIN].mark)) {
        print_cap(f, h, MYL__CAP_WEIGHT_EXP_MIN, "weight exponent, lowest", MYL__U_INT,
                  hw->weight_exp_min, t);
        print_cap(f, h, MYL__CAP_WEIGHT_EXP_MAX, "weight exponent, highest", MYL__U_INT,
                  hw->weight_exp_max, t);
    }

    fprintf(f, "\n%-42s %-22s %s\n", "Costs per operation", "energy", "latency");
    print_op(f, "message in (axon_in)", &hw->msg_in, t);
    for (uint32_t i = 0; i < hw->nsynapse && i < MYL_HW_MAX_VARIANTS; i++) {
        snprintf(a, sizeof a, "synapse '%.24s'%s", hw->synapse[i].name,
                 i == 0 && hw->nsynapse > 1 ? " (default)" : "");
        print_op(f, a, &hw->synapse[i].spike, t);
    }
    print_op(f, "dendrite (per updated neuron)", &hw->dendrite, t);
    for (uint32_t i = 0; i < hw->nsoma && i < MYL_HW_MAX_VARIANTS; i++) {
        const myl_soma_cost *s = &hw->soma[i];
        fprintf(f, "  soma '%s'%s%s\n", s->name ? s->name : "?",
                i == 0 && hw->nsoma > 1 ? " (default)" : "", s->input ? " (input)" : "");
        print_op(f, "  access (every neuron, tick)", &s->access, t);
        print_op(f, "  update (active neuron)", &s->update, t);
        print_op(f, "  spike (neuron fires)", &s->spike, t);
    }
    print_op(f, "message out (axon_out)", &hw->msg_out, t);
    print_op(f, "hop north", &hw->hop_n, t);
    print_op(f, "hop east", &hw->hop_e, t);
    print_op(f, "hop south", &hw->hop_s, t);
    print_op(f, "hop west", &hw->hop_w, t);
    print_op(f, "chip-to-chip hop", &hw->chip_hop, t);

    fprintf(f, "\nTime step and power\n");
    if (hw->sync_table) {
        for (uint32_t i = 0; i < hw->nsync && i < MYL_HW_MAX_SYNC; i++) {
            snprintf(a, sizeof a, "sync, %u tile%s or more", hw->sync_tiles[i],
                     hw->sync_tiles[i] == 1 ? "" : "s");
            fig_cell(&hw->sync_lat[i], MYL__U_TIME, t, b, sizeof b);
            fprintf(f, "  %-40s %s\n", a, b);
        }
    } else {
        fig_cell(&hw->sync, MYL__U_TIME, t, b, sizeof b);
        fprintf(f, "  %-40s %s\n", "sync (every tick)", b);
    }
    fig_cell(&hw->static_power, MYL__U_POWER, t, b, sizeof b);
    fprintf(f, "  %-40s %s\n", "static power per chip", b);
    fig_cell(&hw->tick_period, MYL__U_TIME, t, b, sizeof b);
    fprintf(f, "  %-40s %s%s\n", "tick period", b,
            hw->tick_period.v == 0 ? " (free running: a tick lasts as long as its work)" : "");

    print_sources(f, t);
    if (h && h->warnings) {
        fprintf(f, "\nNot modelled (from the file, ignored)\n");
        const char *p = h->warnings;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            fprintf(f, "  %.*s\n", (int)n, p);
            p += n + (nl != NULL);
        }
    }
}

void myl_hw_summary(const myl_hw *hw, FILE *f)
{
    if (!hw || !f)
        return;
    unsigned long long per_chip =
        (unsigned long long)hw->cores_per_tile * hw->mesh_w * (unsigned long long)hw->mesh_h;
    char size[96], chips[40];
    if (hw->chips_w == 0 || hw->chips_h == 0)
        snprintf(chips, sizeof chips, "chips: any");
    else if (hw->chips_w == 1 && hw->chips_h == 1)
        snprintf(chips, sizeof chips, "1 chip");
    else
        snprintf(chips, sizeof chips, "%ux%u chips", hw->chips_w, hw->chips_h);
    snprintf(size, sizeof size, "%llu core%s (%ux%u x %u), %s", per_chip, per_chip == 1 ? "" : "s",
             hw->mesh_w, hw->mesh_h, hw->cores_per_tile, chips);
    const char *desc = hw->description ? hw->description : "";
    size_t dl = strcspn(desc, "\n");
    fprintf(f, "%-14s %-36s %-10s %.*s%s\n", hw->name ? hw->name : "?", size,
            myl_arith_name(hw->arith), (int)dl, desc, hw->sanafe ? " [SANA-FE]" : "");
}
