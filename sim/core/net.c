/* Network description storage: populations, projections, and the model and rule tables that say
 * which parameters exist and what they default to. Everything handed in is copied, so callers
 * may free their buffers as soon as a call returns. */
#include "net_internal.h"

#include "myelin/alloc.h"
#include "myelin/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- model table ------------------------------------------------------------------------- */

#define PB(p) (1u << (p))
#define NEURON_INPUT (PB(MYL_P_INPUT_RATE) | PB(MYL_P_INPUT_WEIGHT))
#define NEURON_COMMON                                                                              \
    (PB(MYL_P_V_REST) | PB(MYL_P_V_TH) | PB(MYL_P_V_RESET) | PB(MYL_P_REFRACTORY) |                \
     PB(MYL_P_BIAS) | PB(MYL_P_R) | PB(MYL_P_V_INIT) | NEURON_INPUT)

static const struct {
    const char *name;
    int source;
    uint32_t params;
} g_models[MYL_MODEL_COUNT] = {
    [MYL_MODEL_LIF] = {"lif", 0, NEURON_COMMON | PB(MYL_P_TAU_M)},
    [MYL_MODEL_CUBA_LIF] = {"cuba_lif", 0,
                            NEURON_COMMON | PB(MYL_P_TAU_M) | PB(MYL_P_TAU_SYN_E) |
                                PB(MYL_P_TAU_SYN_I)},
    [MYL_MODEL_IF] = {"if", 0, NEURON_COMMON},
    [MYL_MODEL_LI] = {"li", 0,
                      PB(MYL_P_V_REST) | PB(MYL_P_BIAS) | PB(MYL_P_R) | PB(MYL_P_V_INIT) |
                          PB(MYL_P_TAU_M) | PB(MYL_P_TAU_SYN_E) | PB(MYL_P_TAU_SYN_I) |
                          NEURON_INPUT},
    [MYL_MODEL_POISSON] = {"poisson", 1, PB(MYL_P_RATE)},
    [MYL_MODEL_REGULAR] = {"regular", 1, PB(MYL_P_PERIOD) | PB(MYL_P_PHASE)},
    [MYL_MODEL_SPIKE_TIMES] = {"spike_times", 1, 0},
    [MYL_MODEL_EVENTS] = {"events", 1, 0},
};

static const char *const g_param_names[MYL_P_COUNT] = {
    [MYL_P_TAU_M] = "tau_m",
    [MYL_P_TAU_SYN_E] = "tau_syn_e",
    [MYL_P_TAU_SYN_I] = "tau_syn_i",
    [MYL_P_V_REST] = "v_rest",
    [MYL_P_V_TH] = "v_th",
    [MYL_P_V_RESET] = "v_reset",
    [MYL_P_REFRACTORY] = "refractory",
    [MYL_P_BIAS] = "bias",
    [MYL_P_R] = "r",
    [MYL_P_V_INIT] = "v_init",
    [MYL_P_RATE] = "rate",
    [MYL_P_PERIOD] = "period",
    [MYL_P_PHASE] = "phase",
    [MYL_P_INPUT_RATE] = "input_rate",
    [MYL_P_INPUT_WEIGHT] = "input_weight",
};

static const char *const g_rule_names[MYL_CONN_COUNT] = {
    [MYL_CONN_ALL_TO_ALL] = "all_to_all",
    [MYL_CONN_ONE_TO_ONE] = "one_to_one",
    [MYL_CONN_FIXED_PROBABILITY] = "fixed_probability",
    [MYL_CONN_FIXED_INDEGREE] = "fixed_indegree",
    [MYL_CONN_FIXED_OUTDEGREE] = "fixed_outdegree",
    [MYL_CONN_FIXED_TOTAL_NUMBER] = "fixed_total_number",
    [MYL_CONN_EXPLICIT] = "explicit",
};

double myl__param_default(myl_model m, myl_param p)
{
    switch (p) {
    case MYL_P_TAU_M:
        return 20e-3;
    case MYL_P_TAU_SYN_E:
    case MYL_P_TAU_SYN_I:
        /* li without a synaptic time constant takes its input as a delta */
        return m == MYL_MODEL_LI ? 0.0 : 5e-3;
    case MYL_P_V_REST:
    case MYL_P_V_RESET:
    case MYL_P_REFRACTORY:
    case MYL_P_BIAS:
    case MYL_P_PHASE:
    case MYL_P_INPUT_RATE:
    case MYL_P_INPUT_WEIGHT:
        return 0.0;
    case MYL_P_V_TH:
        return 1.0;
    case MYL_P_R:
        return 1.0;
    case MYL_P_V_INIT:
        return NAN;
    case MYL_P_RATE:
        return 0.0;
    case MYL_P_PERIOD:
        return 1.0;
    default:
        return 0.0;
    }
}

const char *myl_model_name(myl_model m)
{
    return (unsigned)m < MYL_MODEL_COUNT ? g_models[m].name : "?";
}

int myl_model_from_name(const char *name, myl_model *m)
{
    for (int i = 0; i < MYL_MODEL_COUNT; i++)
        if (strcmp(name, g_models[i].name) == 0) {
            *m = (myl_model)i;
            return 0;
        }
    return MYL_ENOTFOUND;
}

int myl_model_is_source(myl_model m)
{
    return (unsigned)m < MYL_MODEL_COUNT && g_models[m].source;
}

int myl_model_has_param(myl_model m, myl_param p)
{
    return (unsigned)m < MYL_MODEL_COUNT && (unsigned)p < MYL_P_COUNT &&
           (g_models[m].params & PB(p));
}

const char *myl_param_name(myl_param p)
{
    return (unsigned)p < MYL_P_COUNT ? g_param_names[p] : "?";
}

int myl_param_from_name(const char *name, myl_param *p)
{
    for (int i = 0; i < MYL_P_COUNT; i++)
        if (strcmp(name, g_param_names[i]) == 0) {
            *p = (myl_param)i;
            return 0;
        }
    return MYL_ENOTFOUND;
}

const char *myl_conn_rule_name(myl_conn_rule r)
{
    return (unsigned)r < MYL_CONN_COUNT ? g_rule_names[r] : "?";
}

int myl_conn_rule_from_name(const char *name, myl_conn_rule *r)
{
    for (int i = 0; i < MYL_CONN_COUNT; i++)
        if (strcmp(name, g_rule_names[i]) == 0) {
            *r = (myl_conn_rule)i;
            return 0;
        }
    return MYL_ENOTFOUND;
}

/* ---- values ------------------------------------------------------------------------------ */

static void values_release(myl_values *v)
{
    myl_free((void *)v->f32);
    myl_free((void *)v->f64);
    v->f32 = NULL;
    v->f64 = NULL;
}

/* Deep copy of src into dst (dst's old arrays are not touched). */
static int values_copy(myl_values *dst, const myl_values *src)
{
    *dst = *src;
    dst->f32 = NULL;
    dst->f64 = NULL;
    if (src->dist != MYL_DIST_ARRAY)
        return 0;
    if (src->f32) {
        float *a = myl_calloc(src->n, sizeof *a);
        if (!a)
            return MYL_ENOMEM;
        if (src->n)
            memcpy(a, src->f32, src->n * sizeof *a);
        dst->f32 = a;
    } else if (src->f64) {
        double *a = myl_calloc(src->n, sizeof *a);
        if (!a)
            return MYL_ENOMEM;
        if (src->n)
            memcpy(a, src->f64, src->n * sizeof *a);
        dst->f64 = a;
    } else {
        return MYL_EINVAL;
    }
    return 0;
}

double myl_values_at(const myl_values *v, uint64_t seed, uint32_t id, uint64_t i)
{
    switch (v->dist) {
    case MYL_DIST_CONST:
        return v->a;
    case MYL_DIST_ARRAY:
        return v->f32 ? (double)v->f32[i] : v->f64[i];
    case MYL_DIST_UNIFORM: {
        uint32_t w[4];
        myl_rng_draw(seed, MYL_RNG_INIT, id, 0, i, w);
        double u = myl_u01(w[0], w[1]);
        if (v->integer)
            return v->a + floor(u * (v->b - v->a + 1.0));
        return v->a + u * (v->b - v->a);
    }
    case MYL_DIST_NORMAL: {
        uint32_t w[4];
        myl_rng_draw(seed, MYL_RNG_INIT, id, 0, i, w);
        double u1 = myl_u01_open0(w[0], w[1]), u2 = myl_u01(w[2], w[3]);
        double x = v->a + v->b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        return x < v->lo ? v->lo : x > v->hi ? v->hi : x;
    }
    }
    return NAN;
}

static int values_check(const myl_values *v, size_t n, myl_diag *d, const char *what)
{
    if (v->dist == MYL_DIST_UNIFORM && v->integer &&
        !(v->a >= -9007199254740992.0 && v->b <= 9007199254740992.0))
        return myl_diag_fail(d, MYL_ERANGE, "%s: uniform bounds beyond 2^53", what);
    if (v->dist == MYL_DIST_ARRAY && v->n != n)
        return myl_diag_fail(d, MYL_EINVAL, "%s: %zu values given, %zu expected", what, v->n, n);
    if (v->dist == MYL_DIST_UNIFORM && !(v->b >= v->a))
        return myl_diag_fail(d, MYL_EINVAL, "%s: uniform needs low <= high", what);
    if (v->dist == MYL_DIST_NORMAL && (!(v->b >= 0) || !(v->lo <= v->hi)))
        return myl_diag_fail(d, MYL_EINVAL, "%s: normal needs std >= 0 and low <= high", what);
    return 0;
}

/* ---- network ----------------------------------------------------------------------------- */

int myl_net_new(double dt, myl_net **out)
{
    if (!out || !(dt > 0) || !isfinite(dt))
        return MYL_EINVAL;
    myl_net *n = myl_calloc(1, sizeof *n);
    if (!n)
        return MYL_ENOMEM;
    n->dt = dt;
    n->seed = 1;
    *out = n;
    return 0;
}

static void pop_release(myl__pop *p)
{
    myl_free(p->name);
    for (int i = 0; i < MYL_P_COUNT; i++)
        values_release(&p->param[i]);
    myl_free(p->t_neuron);
    myl_free(p->t_tick);
}

static void proj_release(myl__proj *p)
{
    myl_free((void *)p->d.name);
    myl_free((void *)p->d.origin);
    myl_free((void *)p->d.pre_idx);
    myl_free((void *)p->d.post_idx);
    values_release(&p->d.weight);
    values_release(&p->d.delay);
}

void myl_net_free(myl_net *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < net->npops; i++)
        pop_release(&net->pops[i]);
    for (uint32_t i = 0; i < net->nprojs; i++)
        proj_release(&net->projs[i]);
    myl_free(net->pops);
    myl_free(net->projs);
    myl_free(net);
}

double myl_net_dt(const myl_net *net)
{
    return net->dt;
}

void myl_net_set_run(myl_net *net, uint64_t ticks, uint64_t seed)
{
    net->ticks = ticks;
    net->seed = seed;
}

uint64_t myl_net_ticks(const myl_net *net)
{
    return net->ticks;
}

uint64_t myl_net_seed(const myl_net *net)
{
    return net->seed;
}

int myl_net_add_pop(myl_net *net, const char *name, uint32_t size, myl_model model,
                    uint32_t *id, myl_diag *d)
{
    if (!net || !name || (unsigned)model >= MYL_MODEL_COUNT)
        return MYL_EINVAL;
    if (size == 0)
        return myl_diag_fail(d, MYL_EINVAL, "population '%s': size must be at least 1", name);
    uint32_t dummy;
    if (myl_net_find_pop(net, name, &dummy) == 0)
        return myl_diag_fail(d, MYL_EINVAL, "population '%s' is defined twice", name);
    if (net->nneurons + size > (1ull << 32) - 1)
        return myl_diag_fail(d, MYL_ETOOBIG,
                             "population '%s': more than 2^32 - 1 neurons in the network", name);
    if (net->npops == net->cappops) {
        uint32_t cap = net->cappops ? net->cappops * 2 : 8;
        myl__pop *p = myl_reallocarray(net->pops, cap, sizeof *p);
        if (!p)
            return MYL_ENOMEM;
        net->pops = p;
        net->cappops = cap;
    }
    myl__pop *p = &net->pops[net->npops];
    memset(p, 0, sizeof *p);
    p->name = myl_strdup(name);
    if (!p->name)
        return MYL_ENOMEM;
    p->size = size;
    p->first = net->nneurons;
    p->model = model;
    p->reset = MYL_RESET_TO;
    p->record_v = model == MYL_MODEL_LI;
    for (int i = 0; i < MYL_P_COUNT; i++)
        p->param[i] = myl_const(myl__param_default(model, (myl_param)i));
    net->nneurons += size;
    if (id)
        *id = net->npops;
    net->npops++;
    return 0;
}

int myl_net_pop_set(myl_net *net, uint32_t pop, myl_param p, const myl_values *v, myl_diag *d)
{
    if (!net || pop >= net->npops || !v || (unsigned)p >= MYL_P_COUNT)
        return MYL_EINVAL;
    myl__pop *P = &net->pops[pop];
    if (!myl_model_has_param(P->model, p))
        return myl_diag_fail(d, MYL_EINVAL, "population '%s': model %s has no parameter '%s'",
                             P->name, myl_model_name(P->model), myl_param_name(p));
    char what[160];
    snprintf(what, sizeof what, "population '%s', %s", P->name, myl_param_name(p));
    int rc = values_check(v, P->size, d, what);
    if (rc)
        return rc;
    myl_values copy;
    rc = values_copy(&copy, v);
    if (rc)
        return rc;
    values_release(&P->param[p]);
    P->param[p] = copy;
    P->param_set[p] = 1;
    return 0;
}

int myl_net_pop_set_reset(myl_net *net, uint32_t pop, myl_reset mode)
{
    if (!net || pop >= net->npops)
        return MYL_EINVAL;
    net->pops[pop].reset = mode;
    return 0;
}

int myl_net_pop_set_strict_threshold(myl_net *net, uint32_t pop, int strict)
{
    if (!net || pop >= net->npops)
        return MYL_EINVAL;
    net->pops[pop].strict = !!strict;
    return 0;
}

int myl_net_pop_set_record_v(myl_net *net, uint32_t pop, int on)
{
    if (!net || pop >= net->npops || myl_model_is_source(net->pops[pop].model))
        return MYL_EINVAL;
    net->pops[pop].record_v = !!on;
    return 0;
}

typedef struct {
    uint64_t tick;
    uint32_t neuron;
} tpair;

static int tpair_cmp(const void *a, const void *b)
{
    const tpair *x = a, *y = b;
    if (x->tick != y->tick)
        return x->tick < y->tick ? -1 : 1;
    return x->neuron < y->neuron ? -1 : x->neuron > y->neuron;
}

int myl_net_pop_set_times(myl_net *net, uint32_t pop, const uint32_t *neuron,
                          const uint64_t *tick, size_t n, myl_diag *d)
{
    if (!net || pop >= net->npops || (n && (!neuron || !tick)))
        return MYL_EINVAL;
    myl__pop *P = &net->pops[pop];
    if (P->model != MYL_MODEL_SPIKE_TIMES)
        return myl_diag_fail(d, MYL_EINVAL, "population '%s' is not a spike_times source",
                             P->name);
    tpair *t = myl_calloc(n, sizeof *t);
    uint32_t *tn = myl_calloc(n, sizeof *tn);
    uint64_t *tt = myl_calloc(n, sizeof *tt);
    if (!t || !tn || !tt) {
        myl_free(t), myl_free(tn), myl_free(tt);
        return MYL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (neuron[i] >= P->size) {
            myl_free(t), myl_free(tn), myl_free(tt);
            return myl_diag_fail(d, MYL_ERANGE,
                                 "population '%s': spike %zu names neuron %u, size is %u",
                                 P->name, i, neuron[i], P->size);
        }
        t[i] = (tpair){tick[i], neuron[i]};
    }
    qsort(t, n, sizeof *t, tpair_cmp);
    for (size_t i = 0; i < n; i++)
        tn[i] = t[i].neuron, tt[i] = t[i].tick;
    myl_free(t);
    myl_free(P->t_neuron);
    myl_free(P->t_tick);
    P->t_neuron = tn;
    P->t_tick = tt;
    P->ntimes = n;
    return 0;
}

int myl_net_add_proj(myl_net *net, const myl_proj_desc *desc, uint32_t *id, myl_diag *d)
{
    if (!net || !desc)
        return MYL_EINVAL;
    const char *nm = desc->name ? desc->name : "(unnamed)";
    if (desc->pre >= net->npops || desc->post >= net->npops)
        return myl_diag_fail(d, MYL_EINVAL, "projection %s: unknown population", nm);
    if ((unsigned)desc->rule >= MYL_CONN_COUNT)
        return MYL_EINVAL;
    if (myl_model_is_source(net->pops[desc->post].model))
        return myl_diag_fail(d, MYL_EINVAL,
                             "projection %s: target '%s' is a spike source and has no synapses",
                             nm, net->pops[desc->post].name);
    const myl__pop *pre = &net->pops[desc->pre], *post = &net->pops[desc->post];
    switch (desc->rule) {
    case MYL_CONN_FIXED_PROBABILITY:
        if (!(desc->p >= 0 && desc->p <= 1))
            return myl_diag_fail(d, MYL_ERANGE,
                                 "projection %s: probability %g is outside [0, 1]", nm, desc->p);
        break;
    case MYL_CONN_ONE_TO_ONE:
        if (pre->size != post->size)
            return myl_diag_fail(d, MYL_EINVAL,
                                 "projection %s: one_to_one needs equal sizes, '%s' has %u and "
                                 "'%s' has %u",
                                 nm, pre->name, pre->size, post->name, post->size);
        break;
    case MYL_CONN_EXPLICIT:
        if (desc->nexplicit && (!desc->pre_idx || !desc->post_idx))
            return MYL_EINVAL;
        for (size_t i = 0; i < desc->nexplicit; i++) {
            if (desc->pre_idx[i] >= pre->size || desc->post_idx[i] >= post->size)
                return myl_diag_fail(
                    d, MYL_ERANGE,
                    "projection %s: pair %zu is (%u, %u), but '%s' has %u and '%s' %u neurons",
                    nm, i, desc->pre_idx[i], desc->post_idx[i], pre->name, pre->size,
                    post->name, post->size);
        }
        break;
    default:
        break;
    }
    if (!(desc->delay_unit > 0) || !isfinite(desc->delay_unit))
        return myl_diag_fail(d, MYL_EINVAL, "projection %s: bad delay unit", nm);
    {
        char what[200];
        snprintf(what, sizeof what, "projection %s: delay", nm);
        int rc0 = values_check(&desc->delay, desc->delay.n, d, what);
        if (!rc0) {
            snprintf(what, sizeof what, "projection %s: weight", nm);
            rc0 = values_check(&desc->weight, desc->weight.n, d, what);
        }
        if (rc0)
            return rc0;
    }

    if (net->nprojs == net->capprojs) {
        uint32_t cap = net->capprojs ? net->capprojs * 2 : 8;
        myl__proj *p = myl_reallocarray(net->projs, cap, sizeof *p);
        if (!p)
            return MYL_ENOMEM;
        net->projs = p;
        net->capprojs = cap;
    }
    myl__proj *P = &net->projs[net->nprojs];
    memset(P, 0, sizeof *P);
    P->d = *desc;
    P->d.name = NULL;
    P->d.origin = NULL;
    P->d.pre_idx = P->d.post_idx = NULL;
    P->d.weight.f32 = NULL;
    P->d.weight.f64 = NULL;
    P->d.delay.f32 = NULL;
    P->d.delay.f64 = NULL;
    int rc = 0;
    if (desc->name && !(P->d.name = myl_strdup(desc->name)))
        rc = MYL_ENOMEM;
    if (!rc && desc->origin && !(P->d.origin = myl_strdup(desc->origin)))
        rc = MYL_ENOMEM;
    if (!rc && desc->rule == MYL_CONN_EXPLICIT && desc->nexplicit) {
        uint32_t *a = myl_calloc(desc->nexplicit, sizeof *a);
        uint32_t *b = myl_calloc(desc->nexplicit, sizeof *b);
        if (!a || !b) {
            myl_free(a), myl_free(b);
            rc = MYL_ENOMEM;
        } else {
            memcpy(a, desc->pre_idx, desc->nexplicit * sizeof *a);
            memcpy(b, desc->post_idx, desc->nexplicit * sizeof *b);
            P->d.pre_idx = a;
            P->d.post_idx = b;
        }
    }
    if (!rc)
        rc = values_copy(&P->d.weight, &desc->weight);
    if (!rc)
        rc = values_copy(&P->d.delay, &desc->delay);
    if (rc) {
        proj_release(P);
        return rc;
    }
    /* array lengths must match the number of synapses, known for all but fixed_probability */
    if (desc->weight.dist == MYL_DIST_ARRAY || desc->delay.dist == MYL_DIST_ARRAY) {
        uint64_t want = 0;
        int known = 1;
        switch (desc->rule) {
        case MYL_CONN_ALL_TO_ALL:
            want = (uint64_t)pre->size * post->size;
            if (desc->pre == desc->post && !desc->allow_self)
                want -= pre->size;
            break;
        case MYL_CONN_ONE_TO_ONE:
            want = pre->size;
            if (desc->pre == desc->post && !desc->allow_self)
                want = 0;
            break;
        case MYL_CONN_FIXED_INDEGREE:
            want = desc->n * post->size;
            break;
        case MYL_CONN_FIXED_OUTDEGREE:
            want = desc->n * pre->size;
            break;
        case MYL_CONN_FIXED_TOTAL_NUMBER:
            want = desc->n;
            break;
        case MYL_CONN_EXPLICIT:
            want = desc->nexplicit;
            break;
        default:
            known = 0;
        }
        const myl_values *arr[2] = {&desc->weight, &desc->delay};
        const char *nmv[2] = {"weights", "delays"};
        for (int k = 0; k < 2; k++) {
            if (arr[k]->dist != MYL_DIST_ARRAY)
                continue;
            if (!known) {
                proj_release(P);
                return myl_diag_fail(d, MYL_EINVAL,
                                     "projection %s: per-synapse %s need a rule with a known "
                                     "number of synapses (not %s)",
                                     nm, nmv[k], myl_conn_rule_name(desc->rule));
            }
            if (arr[k]->n != want) {
                proj_release(P);
                return myl_diag_fail(d, MYL_EINVAL,
                                     "projection %s: %zu %s given, the rule makes %llu synapses",
                                     nm, arr[k]->n, nmv[k], (unsigned long long)want);
            }
        }
    }
    if (id)
        *id = net->nprojs;
    net->nprojs++;
    return 0;
}

uint32_t myl_net_npops(const myl_net *net)
{
    return net->npops;
}

uint32_t myl_net_nprojs(const myl_net *net)
{
    return net->nprojs;
}

uint64_t myl_net_nneurons(const myl_net *net)
{
    return net->nneurons;
}

int myl_net_find_pop(const myl_net *net, const char *name, uint32_t *pop)
{
    for (uint32_t i = 0; i < net->npops; i++)
        if (strcmp(net->pops[i].name, name) == 0) {
            *pop = i;
            return 0;
        }
    return MYL_ENOTFOUND;
}

const char *myl_net_pop_name(const myl_net *net, uint32_t pop)
{
    return pop < net->npops ? net->pops[pop].name : NULL;
}

uint32_t myl_net_pop_size(const myl_net *net, uint32_t pop)
{
    return pop < net->npops ? net->pops[pop].size : 0;
}

uint64_t myl_net_pop_first(const myl_net *net, uint32_t pop)
{
    return pop < net->npops ? net->pops[pop].first : 0;
}

myl_model myl_net_pop_model(const myl_net *net, uint32_t pop)
{
    return net->pops[pop].model;
}

const myl_proj_desc *myl_net_proj(const myl_net *net, uint32_t proj)
{
    return proj < net->nprojs ? &net->projs[proj].d : NULL;
}

const myl_values *myl_net_pop_param(const myl_net *net, uint32_t pop, myl_param p)
{
    if (pop >= net->npops || (unsigned)p >= MYL_P_COUNT)
        return NULL;
    return &net->pops[pop].param[p];
}

int myl_net_pop_param_set(const myl_net *net, uint32_t pop, myl_param p)
{
    return pop < net->npops && (unsigned)p < MYL_P_COUNT && net->pops[pop].param_set[p];
}

myl_reset myl_net_pop_reset(const myl_net *net, uint32_t pop)
{
    return net->pops[pop].reset;
}

int myl_net_pop_strict(const myl_net *net, uint32_t pop)
{
    return net->pops[pop].strict;
}

double myl_round_ticks(double x)
{
    double h = nearbyint(2 * x); /* the nearest half tick */
    if (fabs(2 * x - h) <= 2e-9 * (fabs(x) > 1 ? fabs(x) : 1))
        x = h / 2;
    return round(x);
}
