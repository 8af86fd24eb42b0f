/* Replay of an event stream into an events population (see replay.h). Events are read a
 * buffer at a time; those of later ticks wait in the buffer until their tick comes. */
#include "myelin/replay.h"

#include "myelin/alloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BUF_EVENTS 65536

struct myl_replay {
    myl_reader *r;
    const myl_binding *b;
    uint64_t first;            /* global index of neuron 0 of the population */
    uint32_t W, H, planes;     /* after crop and downsampling */
    uint32_t sw, sh;           /* sensor size */
    uint32_t x0, x1, y0, y1, ds;
    int channels;
    double dt_us;
    int64_t dt_int;            /* dt in whole microseconds, or 0 */
    int have_t0;
    int64_t t0;
    myl_event *buf;
    size_t n, pos;
    int ended;
    uint64_t last_tick;
    myl_replay_stats st;
    char name[512];
};

void myl_binding_release(myl_binding *b)
{
    if (!b)
        return;
    myl_free(b->population);
    myl_free(b->source);
    myl_free(b->where);
    memset(b, 0, sizeof *b);
}

static void dims(const myl_binding *b, uint32_t width, uint32_t height, uint32_t channels,
                 uint32_t *W, uint32_t *H, uint32_t *P, uint32_t *x0, uint32_t *x1, uint32_t *y0,
                 uint32_t *y1)
{
    uint32_t sw = b->width ? b->width : width, sh = b->height ? b->height : height;
    if (channels && !b->width) {
        sw = channels;
        sh = 1;
    }
    *x0 = b->crop_x1 ? b->crop_x0 : 0;
    *x1 = b->crop_x1 ? b->crop_x1 : sw;
    *y0 = b->crop_y1 ? b->crop_y0 : 0;
    *y1 = b->crop_y1 ? b->crop_y1 : sh;
    uint32_t ds = b->downsample ? b->downsample : 1;
    *W = *x1 > *x0 ? (*x1 - *x0 + ds - 1) / ds : 0;
    *H = *y1 > *y0 ? (*y1 - *y0 + ds - 1) / ds : 0;
    *P = b->merge_polarity || channels || sh == 1 ? 1 : 2;
}

uint64_t myl_binding_neurons(const myl_binding *b, uint32_t width, uint32_t height,
                             uint32_t channels)
{
    uint32_t W, H, P, x0, x1, y0, y1;
    dims(b, width, height, channels, &W, &H, &P, &x0, &x1, &y0, &y1);
    return (uint64_t)W * H * P;
}

void myl_replay_free(myl_replay *rp)
{
    if (!rp)
        return;
    myl_free(rp->buf);
    myl_free(rp);
}

int myl_replay_new(const myl_binding *b, myl_reader *r, const myl_net *net, myl_replay **out,
                   myl_diag *d)
{
    *out = NULL;
    const char *where = b->where ? b->where : "input";
    uint32_t pop;
    if (myl_net_find_pop(net, b->population, &pop))
        return myl_diag_fail(d, MYL_EINVAL, "%s: no population named '%s'", where,
                             b->population);
    if (myl_net_pop_model(net, pop) != MYL_MODEL_EVENTS)
        return myl_diag_fail(d, MYL_EINVAL,
                             "%s: population '%s' is a %s population; a stream binds to an "
                             "`events` population",
                             where, b->population, myl_model_name(myl_net_pop_model(net, pop)));
    const myl_trace_meta *m = myl_reader_meta(r);
    myl_replay *rp = myl_calloc(1, sizeof *rp);
    if (!rp)
        return MYL_ENOMEM;
    rp->r = r;
    rp->b = b;
    rp->first = myl_net_pop_first(net, pop);
    rp->channels = m->channels > 0 && !b->width;
    rp->sw = b->width ? b->width : rp->channels ? m->channels : m->width;
    rp->sh = b->height ? b->height : rp->channels ? 1 : m->height;
    dims(b, m->width, m->height, rp->channels ? m->channels : 0, &rp->W, &rp->H, &rp->planes,
         &rp->x0, &rp->x1, &rp->y0, &rp->y1);
    rp->ds = b->downsample ? b->downsample : 1;
    snprintf(rp->name, sizeof rp->name, "%s", b->source ? b->source : "stream");
    if (rp->sw == 0 || rp->sh == 0) {
        myl_free(rp);
        return myl_diag_fail(d, MYL_EINVAL,
                             "%s: %s does not say its sensor size; give `sensor: [width, "
                             "height]` in the binding",
                             where, b->source ? b->source : "the stream");
    }
    uint64_t need = (uint64_t)rp->W * rp->H * rp->planes;
    uint32_t size = myl_net_pop_size(net, pop);
    if (need != size) {
        myl_diag_fail(d, MYL_EINVAL,
                      "%s: population '%s' has %u neurons, but the binding maps the "
                      "%ux%u sensor to %ux%u pixels x %u polarity plane%s = %llu neurons",
                      where, b->population, size, rp->sw, rp->sh, rp->W, rp->H, rp->planes,
                      rp->planes == 1 ? "" : "s", (unsigned long long)need);
        myl_free(rp);
        return MYL_EINVAL;
    }
    double dt = myl_net_dt(net);
    rp->dt_us = dt * 1e6;
    double rdt = round(rp->dt_us);
    rp->dt_int = fabs(rp->dt_us - rdt) < 1e-6 && rdt >= 1 ? (int64_t)rdt : 0;
    rp->have_t0 = !b->origin_first;
    rp->t0 = b->origin_us;
    rp->st.t0 = b->origin_us;
    rp->buf = myl_calloc(BUF_EVENTS, sizeof *rp->buf);
    if (!rp->buf) {
        myl_free(rp);
        return MYL_ENOMEM;
    }
    *out = rp;
    return 0;
}

static uint64_t tick_of(const myl_replay *rp, int64_t t)
{
    int64_t rel = t - rp->t0;
    if (rp->dt_int)
        return (uint64_t)(rel / rp->dt_int);
    return (uint64_t)floor((double)rel / rp->dt_us + 1e-9);
}

static int refill(myl_replay *rp, myl_diag *d)
{
    rp->pos = 0;
    rp->n = 0;
    if (rp->ended)
        return 0;
    int rc = myl_reader_read(rp->r, rp->buf, BUF_EVENTS, &rp->n, d);
    if (rc)
        return rc;
    if (rp->n == 0)
        rp->ended = 1;
    if (rp->n && !rp->have_t0) {
        rp->t0 = rp->buf[0].t;
        rp->st.t0 = rp->t0;
        rp->have_t0 = 1;
    }
    rp->st.events += rp->n;
    return 0;
}

int myl_replay_tick(myl_replay *rp, myl_sim *sim, uint64_t t, int *ended, myl_diag *d)
{
    const myl_binding *b = rp->b;
    for (;;) {
        if (rp->pos == rp->n) {
            int rc = refill(rp, d);
            if (rc)
                return rc;
            if (rp->n == 0) {
                *ended = 1;
                return 0;
            }
        }
        const myl_event *e = &rp->buf[rp->pos];
        if (e->t < rp->t0)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: event %llu at t = %lld us comes before the origin %lld us",
                                 rp->name, (unsigned long long)(rp->st.events - rp->n + rp->pos),
                                 (long long)e->t, (long long)rp->t0);
        uint64_t et = tick_of(rp, e->t);
        if (et > t)
            break; /* a later tick's */
        if (et < t)
            return myl_diag_fail(d, MYL_EPARSE,
                                 "%s: event %llu at t = %lld us belongs to tick %llu, which has "
                                 "already been simulated (the stream goes back in time)",
                                 rp->name, (unsigned long long)(rp->st.events - rp->n + rp->pos),
                                 (long long)e->t, (unsigned long long)et);
        rp->st.t_last = e->t;
        rp->pos++;
        if (e->x < rp->x0 || e->x >= rp->x1 || e->y < rp->y0 || e->y >= rp->y1) {
            rp->st.dropped++;
            continue;
        }
        uint32_t x = (e->x - rp->x0) / rp->ds, y = (e->y - rp->y0) / rp->ds;
        uint32_t p = rp->planes == 2 ? (e->p ? 1 : 0) : 0;
        uint64_t idx = ((uint64_t)p * rp->H + y) * rp->W + x;
        int rc = myl_sim_inject(sim, (uint32_t)(rp->first + idx), 1);
        if (rc)
            return myl_diag_fail(d, rc, "%s: cannot inject event into '%s': %s", rp->name,
                                 b->population, myl_strerror(rc));
        rp->st.injected++;
    }
    *ended = 0;
    return 0;
}

uint64_t myl_replay_next_tick(const myl_replay *rp)
{
    return rp->pos < rp->n ? tick_of(rp, rp->buf[rp->pos].t) : UINT64_MAX;
}

void myl_replay_get_stats(const myl_replay *rp, myl_replay_stats *s)
{
    *s = rp->st;
}
