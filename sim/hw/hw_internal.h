/* Hardware models, internal view: what the two readers (hw.c for myelin's own format,
 * sanafe_arch.c for SANA-FE architecture files) share, and what the rest of sim/hw and the tests
 * may ask of a loaded model beyond the public struct.
 *
 * A model made by myl_hw_load is the first member of a larger private record (myl__hw). The
 * record keeps what the public struct has no room for: where each organisation and capacity
 * number came from (a myl_fig per number, so `myelin hw show` can cite it), the warnings a
 * SANA-FE file produced, and a pool that owns every string the model points to (figure sources
 * are shared between figures, so they cannot each be freed on their own). myl__hw_priv() tells
 * a loaded model from a struct someone filled in by hand without reading past the public struct.
 *
 * Unknown figures: a figure the file marks as unknown (with a reason) has mark 0, a source that
 * starts with "unknown: ", and v = NAN - except static_power, whose v is 0 as hw.h promises.
 * Whoever sums costs must treat NAN as "unknown", not as 0 J. myl__fig_known() says which.
 */
#ifndef MYL_HW_INTERNAL_H
#define MYL_HW_INTERNAL_H

#include "myelin/hw.h"

#include <stddef.h>
#include <yaml.h>

/* Organisation and capacity numbers, in the order `myelin hw show` prints them. */
typedef enum myl__cap {
    MYL__CAP_CORES_PER_TILE,
    MYL__CAP_MESH_W,
    MYL__CAP_MESH_H,
    MYL__CAP_CHIPS_W,
    MYL__CAP_CHIPS_H,
    MYL__CAP_NEURONS,
    MYL__CAP_SYNAPSES,
    MYL__CAP_SYN_MEM,
    MYL__CAP_SYN_BITS,
    MYL__CAP_FANIN,
    MYL__CAP_AXONS_IN,
    MYL__CAP_AXONS_OUT,
    MYL__CAP_MAX_DELAY,
    MYL__CAP_MAX_REFRACTORY,
    MYL__CAP_WEIGHT_BITS,
    MYL__CAP_WEIGHT_EXP_MIN,
    MYL__CAP_WEIGHT_EXP_MAX,
    MYL__CAP_COUNT
} myl__cap;

typedef struct myl__hw {
    myl_hw pub;                  /* first: a loaded myl_hw * is a myl__hw * */
    myl_fig cap[MYL__CAP_COUNT]; /* v = the number as written; mark 0 and source NULL: not
                                    given (no limit) */
    char *warnings;              /* lines "file:line:col: ...\n", or NULL; owned here */
    size_t nwarnings;            /* bytes in warnings */
    char **pool;                 /* every string the model owns */
    size_t npool, cappool;
    char refs[]; /* pub.references points here (see myl__hw_priv) */
} myl__hw;

/* The private record of a model made by myl_hw_load, or NULL for any other struct. */
myl__hw *myl__hw_priv(const myl_hw *hw);

/* A fresh private record with nothing set (all costs unset, mark 0). NULL when out of memory. */
myl__hw *myl__hw_new(void);
/* Free a record made by myl__hw_new whether or not myl__hw_finish ran. NULL is fine. */
void myl__hw_discard(myl__hw *h);
/* Copy s into the record's pool; NULL when out of memory. An identical string already in the
 * pool is shared. */
const char *myl__hw_str(myl__hw *h, const char *s);
/* Append a line (a newline is added) to the warnings. MYL_ENOMEM or 0. */
int myl__hw_warn(myl__hw *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Last step of loading: copy `refs` (may be NULL) into the record's tail, which may move the
 * record; *hp is updated. MYL_ENOMEM (the record is then freed and *hp is NULL) or 0. */
int myl__hw_finish(myl__hw **hp, const char *refs);

/* myl_hw_load's work on text already in memory (for fuzzing and tests): `path` names the model
 * (its base name without .yaml) and the file in messages. Same errors as myl_hw_load. */
int myl__hw_parse(const char *text, size_t len, const char *path, myl_hw **out, myl_diag *d);

/* Is this figure a number (not unknown)? */
int myl__fig_known(const myl_fig *f);

/* Every figure of a model, for printing and for tests: name ("synapse 'dense' energy", ...),
 * unit kind and a pointer into the model. Capacity figures are included only when the model
 * has a private record and the number was given. Returns how many there are; fills up to max. */
typedef enum myl__unit {
    MYL__U_ENERGY, /* J */
    MYL__U_TIME,   /* s */
    MYL__U_POWER,  /* W */
    MYL__U_COUNT,  /* plain whole number */
    MYL__U_BITS,   /* bits */
    MYL__U_INT,    /* signed whole number (weight exponent) */
} myl__unit;

typedef struct myl__figref {
    char name[96];
    myl__unit unit;
    const myl_fig *fig;
} myl__figref;

size_t myl__hw_figs(const myl_hw *hw, myl__figref *out, size_t max);

/* ---- YAML helpers shared by the two readers ---------------------------------------------- */

typedef struct myl__yx {
    yaml_document_t *doc;
    const char *file; /* as named in messages */
    myl_diag *d;
    myl__hw *h;
} myl__yx;

/* Write "file:line:col: <message>" (n may be NULL: "file: <message>") into the diag; returns rc. */
int myl__yx_fail(myl__yx *x, const yaml_node_t *n, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
yaml_node_t *myl__yx_node(myl__yx *x, int id);
/* Value of `key` in mapping m, or NULL. */
yaml_node_t *myl__yx_get(myl__yx *x, yaml_node_t *m, const char *key);
/* The scalar text of n (n must be a scalar). */
const char *myl__yx_str(const yaml_node_t *n);
/* MYL_EPARSE unless n is of type t: "<what>: expected a mapping, found a list". */
int myl__yx_want(myl__yx *x, yaml_node_t *n, yaml_node_type_t t, const char *what);
/* Every key of mapping m is a scalar and appears once; if `allowed` is not NULL, every key is
 * in it (NULL-terminated), else an error naming the key, a near miss and the allowed keys. */
int myl__yx_keys(myl__yx *x, yaml_node_t *m, const char *const *allowed, const char *where);
/* A plain decimal number (123, -1.5, 2.5e-12) as a double; MYL_EPARSE otherwise. */
int myl__yx_number(myl__yx *x, yaml_node_t *n, const char *what, double *out);
/* A whole number in [lo, hi]; MYL_EPARSE otherwise. */
int myl__yx_whole(myl__yx *x, yaml_node_t *n, const char *what, long long lo, long long hi,
                  long long *out);

/* Read a SANA-FE architecture document (`root` is its root mapping, which has an
 * `architecture` key) into x->h. Errors: MYL_EPARSE with "file:line:col: ..." in x->d,
 * MYL_ENOMEM. Attributes myelin does not model are listed in x->h->warnings; an energy_* or
 * latency_* attribute it does not know is an error. */
int myl__sanafe_arch_read(myl__yx *x, yaml_node_t *root);

#endif
