/* Quantising a network onto a chip (see chipq.h): quant.h does the arithmetic for one
 * population or one projection; this file walks the network, generates each projection's
 * weights once to quantise them as a whole, and keeps the integers the compiler will use. */
#include "myelin/chipq.h"

#include "myelin/alloc.h"
#include "sim/core/fixed.h"

#include <math.h>
#include <string.h>

typedef union chip_param {
    myl_loihi_param loihi;
    myl_truenorth_param truenorth;
    myl_spinnaker_param spinnaker;
    myl_odin_param odin;
} chip_param;

struct myl_chipq {
    myl_arith arith;
    uint32_t npops, nprojs;
    myl_chip prog;
    myl_chip_pop *pop;
    chip_param *param;
    myl_quant_report *rep; /* [npops] */
    int *on_chip;          /* [npops] */
    int32_t **syn;         /* [nprojs] */
    uint64_t *nsyn;
    myl_qweights *qw;      /* [nprojs] */
    double *wmax;          /* [nprojs]: largest |float weight| */
};

void myl_chipq_free(myl_chipq *q)
{
    if (!q)
        return;
    for (uint32_t j = 0; q->syn && j < q->nprojs; j++)
        myl_free(q->syn[j]);
    myl_free(q->syn);
    myl_free(q->nsyn);
    myl_free(q->qw);
    myl_free(q->wmax);
    myl_free(q->pop);
    myl_free(q->param);
    myl_free(q->rep);
    myl_free(q->on_chip);
    myl_free(q);
}

const myl_chip *myl_chipq_program(const myl_chipq *q)
{
    return &q->prog;
}

/* ---- weights ------------------------------------------------------------------------------ */

typedef struct wbuf {
    double *w;
    uint64_t n, cap;
    int nomem;
} wbuf;

static int collect_w(void *ctx, const myl_syn *s)
{
    wbuf *b = ctx;
    if (b->n == b->cap) {
        uint64_t cap = b->cap ? b->cap * 2 : 4096;
        double *w = myl_reallocarray(b->w, cap, sizeof *w);
        if (!w)
            return MYL_ENOMEM;
        b->w = w;
        b->cap = cap;
    }
    b->w[b->n++] = s->w;
    return 0;
}

static int quant_weights(myl_chipq *q, uint32_t j, const double *w, uint64_t n,
                         const myl_quant_report *nq, const myl_qweights *fixed, myl_diag *d)
{
    int32_t *m = myl_calloc(n ? n : 1, sizeof *m);
    if (!m)
        return MYL_ENOMEM;
    int rc;
    switch (q->arith) {
    case MYL_ARITH_LOIHI:
        rc = myl_quant_weights_loihi(w, n, nq, 0, m, &q->qw[j]);
        /* the chip's input: mantissa times 2^weight_exp */
        for (uint64_t k = 0; !rc && k < n; k++)
            m[k] = (int32_t)myl_loihi_syn_input(m[k], q->qw[j].exp);
        break;
    case MYL_ARITH_TRUENORTH:
        rc = myl_quant_weights_truenorth(w, n, nq, m, &q->qw[j]);
        break;
    case MYL_ARITH_SPINNAKER:
        /* the shifts belong to the target population: use the ones chosen for it */
        q->qw[j].exp = fixed->exp;
        q->qw[j].exp_i = fixed->exp_i;
        rc = myl_quant_weights_spinnaker(w, n, nq, 1, m, &q->qw[j]);
        break;
    case MYL_ARITH_ODIN:
        rc = myl_quant_weights_odin(w, n, nq, m, &q->qw[j]);
        break;
    default:
        rc = MYL_EINVAL;
    }
    if (rc) {
        myl_free(m);
        return myl_diag_fail(d, rc, "projection %u: its weights cannot be quantised", j);
    }
    q->syn[j] = m;
    q->nsyn[j] = n;
    return 0;
}

/* ---- populations -------------------------------------------------------------------------- */

static int constant(const myl_net *net, uint32_t pop, myl_param p, double *v, myl_diag *d)
{
    const myl_values *x = myl_net_pop_param(net, pop, p);
    if (x->dist != MYL_DIST_CONST)
        return myl_diag_fail(d, MYL_EINVAL,
                             "population '%s': %s varies from neuron to neuron; a chip "
                             "population is quantised with one parameter set",
                             myl_net_pop_name(net, pop), myl_param_name(p));
    *v = x->a;
    return 0;
}

static int quant_pop(myl_chipq *q, const myl_net *net, uint32_t pop, double w_max, myl_diag *d)
{
    myl_model m = myl_net_pop_model(net, pop);
    myl_qlif f;
    memset(&f, 0, sizeof f);
    f.dt = myl_net_dt(net);
    int rc = 0;
    double te = 0, ti = 0;
    if (m == MYL_MODEL_IF)
        f.tau_m = INFINITY;
    else
        rc = constant(net, pop, MYL_P_TAU_M, &f.tau_m, d);
    if (!rc && m == MYL_MODEL_CUBA_LIF &&
        !(rc = constant(net, pop, MYL_P_TAU_SYN_E, &te, d)))
        rc = constant(net, pop, MYL_P_TAU_SYN_I, &ti, d);
    f.tau_syn_e = te;
    f.tau_syn_i = ti;
    if (!rc)
        rc = constant(net, pop, MYL_P_V_REST, &f.v_rest, d);
    if (!rc)
        rc = constant(net, pop, MYL_P_V_TH, &f.v_th, d);
    if (!rc)
        rc = constant(net, pop, MYL_P_V_RESET, &f.v_reset, d);
    if (!rc)
        rc = constant(net, pop, MYL_P_REFRACTORY, &f.refractory, d);
    if (!rc)
        rc = constant(net, pop, MYL_P_BIAS, &f.bias, d);
    if (!rc)
        rc = constant(net, pop, MYL_P_R, &f.r, d);
    if (rc)
        return rc;
    f.reset_subtract = myl_net_pop_reset(net, pop) == MYL_RESET_SUBTRACT;
    f.strict = myl_net_pop_strict(net, pop);
    chip_param *cp = &q->param[pop];
    myl_quant_report *r = &q->rep[pop];
    size_t size = 0;
    switch (q->arith) {
    case MYL_ARITH_LOIHI:
        rc = myl_quant_loihi(&f, 0, w_max, &cp->loihi, r);
        size = sizeof cp->loihi;
        break;
    case MYL_ARITH_TRUENORTH:
        rc = myl_quant_truenorth(&f, 0, w_max, &cp->truenorth, r);
        size = sizeof cp->truenorth;
        break;
    case MYL_ARITH_SPINNAKER:
        rc = myl_quant_spinnaker(&f, 0, w_max, &cp->spinnaker, r);
        size = sizeof cp->spinnaker;
        break;
    case MYL_ARITH_ODIN:
        rc = myl_quant_odin(&f, 0, w_max, &cp->odin, r);
        size = sizeof cp->odin;
        break;
    default:
        rc = MYL_EINVAL;
    }
    if (rc)
        return myl_diag_fail(d, rc, "population '%s': its parameters have no %s equivalent",
                             myl_net_pop_name(net, pop), myl_arith_name(q->arith));
    q->pop[pop] = (myl_chip_pop){q->arith, cp, size, r->v_scale, r->v_zero};
    q->on_chip[pop] = 1;
    return 0;
}

int myl_chipq_build(const myl_net *net, const myl_hw *hw, uint64_t seed, myl_chipq **out,
                    myl_diag *d)
{
    *out = NULL;
    if (hw->arith == MYL_ARITH_FLOAT)
        return MYL_EINVAL;
    myl_chipq *q = myl_calloc(1, sizeof *q);
    if (!q)
        return MYL_ENOMEM;
    q->arith = hw->arith;
    q->npops = myl_net_npops(net);
    q->nprojs = myl_net_nprojs(net);
    q->pop = myl_calloc(q->npops, sizeof *q->pop);
    q->param = myl_calloc(q->npops, sizeof *q->param);
    q->rep = myl_calloc(q->npops, sizeof *q->rep);
    q->on_chip = myl_calloc(q->npops, sizeof *q->on_chip);
    q->syn = myl_calloc(q->nprojs ? q->nprojs : 1, sizeof *q->syn);
    q->nsyn = myl_calloc(q->nprojs ? q->nprojs : 1, sizeof *q->nsyn);
    q->qw = myl_calloc(q->nprojs ? q->nprojs : 1, sizeof *q->qw);
    q->wmax = myl_calloc(q->nprojs ? q->nprojs : 1, sizeof *q->wmax);
    double *pop_wmax = myl_calloc(q->npops, sizeof *pop_wmax);
    wbuf *wb = myl_calloc(q->nprojs ? q->nprojs : 1, sizeof *wb);
    int rc = MYL_ENOMEM;
    if (!q->pop || !q->param || !q->rep || !q->on_chip || !q->syn || !q->nsyn || !q->qw ||
        !q->wmax || !pop_wmax || !wb)
        goto done;
    /* every projection's weights once: the largest onto each population sets its scale */
    for (uint32_t j = 0; j < q->nprojs; j++) {
        const myl_proj_desc *D = myl_net_proj(net, j);
        /* sized once from the rule (exact but for fixed_probability's generous bound), so
         * that a projection of tens of millions of synapses is not copied as it grows */
        const uint64_t bound = myl_net_proj_nsyn_bound(net, j);
        if (bound && bound < SIZE_MAX / sizeof *wb[j].w) {
            wb[j].w = myl_reallocarray(NULL, bound, sizeof *wb[j].w);
            wb[j].cap = wb[j].w ? bound : 0;
        }
        if ((rc = myl_net_proj_generate(net, j, seed, collect_w, &wb[j], d)))
            goto done;
        for (uint64_t k = 0; k < wb[j].n; k++)
            q->wmax[j] = fmax(q->wmax[j], fabs(wb[j].w[k]));
        pop_wmax[D->post] = fmax(pop_wmax[D->post], q->wmax[j]);
    }
    for (uint32_t p = 0; p < q->npops; p++) {
        myl_model m = myl_net_pop_model(net, p);
        if (myl_model_is_source(m))
            continue;
        if (m == MYL_MODEL_LI) {
            rc = myl_diag_fail(d, MYL_EINVAL,
                               "population '%s' is an li readout, which has no %s "
                               "counterpart; run it on a float model (--hw ideal)",
                               myl_net_pop_name(net, p), myl_arith_name(q->arith));
            goto done;
        }
        if ((rc = quant_pop(q, net, p, pop_wmax[p], d)))
            goto done;
    }
    /* SpiNNaker shifts every synapse onto a population by the same amount (one for each
     * receptor): choose them from the largest weights of either sign onto the population */
    myl_qweights *shift = myl_calloc(q->npops, sizeof *shift);
    if (!shift) {
        rc = MYL_ENOMEM;
        goto done;
    }
    if (q->arith == MYL_ARITH_SPINNAKER)
        for (uint32_t p = 0; p < q->npops && !rc; p++) {
            if (!q->on_chip[p])
                continue;
            double ext[2] = {0, 0}; /* largest positive, most negative */
            for (uint32_t j = 0; j < q->nprojs; j++)
                if (myl_net_proj(net, j)->post == p)
                    for (uint64_t k = 0; k < wb[j].n; k++) {
                        ext[0] = fmax(ext[0], wb[j].w[k]);
                        ext[1] = fmin(ext[1], wb[j].w[k]);
                    }
            int32_t m2[2];
            rc = myl_quant_weights_spinnaker(ext, 2, &q->rep[p], 0, m2, &shift[p]);
            q->param[p].spinnaker.shift_e = shift[p].exp;
            q->param[p].spinnaker.shift_i = shift[p].exp_i;
        }
    for (uint32_t j = 0; j < q->nprojs && !rc; j++) {
        uint32_t post = myl_net_proj(net, j)->post;
        if (q->on_chip[post])
            rc = quant_weights(q, j, wb[j].w, wb[j].n, &q->rep[post], &shift[post], d);
    }
    myl_free(shift);
    if (rc)
        goto done;
    q->prog.pop = q->pop;
    q->prog.syn = (const int32_t *const *)q->syn;
    q->prog.nsyn = q->nsyn;
    rc = 0;
done:
    for (uint32_t j = 0; wb && j < q->nprojs; j++)
        myl_free(wb[j].w);
    myl_free(wb);
    myl_free(pop_wmax);
    if (rc) {
        myl_chipq_free(q);
        return rc;
    }
    *out = q;
    return 0;
}

void myl_chipq_get_summary(const myl_chipq *q, myl_chipq_summary *s)
{
    memset(s, 0, sizeof *s);
    for (uint32_t p = 0; p < q->npops; p++) {
        if (!q->on_chip[p])
            continue;
        const myl_quant_report *r = &q->rep[p];
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->item[i].rel_err > 1e-6)
                s->params_changed++;
            if (r->item[i].rel_err > s->max_param_rel_err) {
                s->max_param_rel_err = r->item[i].rel_err;
                snprintf(s->worst_param, sizeof s->worst_param, "population %u: %s", p,
                         r->item[i].name);
            }
        }
    }
    for (uint32_t j = 0; j < q->nprojs; j++) {
        if (!q->syn[j])
            continue;
        s->weights += q->nsyn[j];
        s->clipped += q->qw[j].nclipped;
        s->zeroed += q->qw[j].nzeroed;
        if (q->qw[j].max_rel_err > s->max_weight_rel_err) {
            s->max_weight_rel_err = q->qw[j].max_rel_err;
            snprintf(s->worst_proj, sizeof s->worst_proj, "projection %u", j);
        }
    }
}

void myl_chipq_print(const myl_chipq *q, const myl_net *net, FILE *f)
{
    fprintf(f, "  quantised to %s arithmetic:\n", myl_arith_name(q->arith));
    for (uint32_t p = 0; p < q->npops; p++) {
        if (!q->on_chip[p])
            continue;
        const myl_quant_report *r = &q->rep[p];
        fprintf(f, "    population %-12s", myl_net_pop_name(net, p));
        int any = 0;
        for (uint32_t i = 0; i < r->n; i++)
            if (r->item[i].rel_err > 1e-6) {
                fprintf(f, "%s %s %.4g -> %.4g (%.2g%%)", any ? "," : "", r->item[i].name,
                        r->item[i].want, r->item[i].got, 100 * r->item[i].rel_err);
                any = 1;
            }
        fprintf(f, "%s\n", any ? "" : " every parameter exact");
        if (r->notes[0])
            fprintf(f, "      note: %s\n", r->notes);
    }
    for (uint32_t j = 0; j < q->nprojs; j++) {
        if (!q->syn[j])
            continue;
        const myl_proj_desc *D = myl_net_proj(net, j);
        const myl_qweights *w = &q->qw[j];
        fprintf(f,
                "    projection %-12s largest weight error %.3g%% of its largest weight, %zu "
                "clipped, %zu became 0",
                D->name ? D->name : "?", 100 * w->max_rel_err, w->nclipped, w->nzeroed);
        if (q->arith == MYL_ARITH_LOIHI)
            fprintf(f, ", weight_exp %d", w->exp);
        fprintf(f, "\n");
    }
}
