/* Replay of event streams into events populations: the neuron-index convention, crop,
 * downsampling, polarity planes, the time origin, several events in one tick, and streams that
 * go back in time. Streams are written here with myelin's own writer, so every expected spike is
 * computed from the events the test chose, by the rule in replay.h. */
#include "testlib.h"

#include "myelin/cnet.h"
#include "myelin/netfile.h"
#include "myelin/replay.h"
#include "myelin/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *write_trace(const char *name, const myl_event *ev, size_t n, uint32_t w,
                               uint32_t h, uint32_t channels)
{
    const char *path = myl_test_tmp(name);
    myl_trace_meta m = {.format = MYL_TRACE_NATIVE, .width = w, .height = h,
                        .channels = channels, .label = -1};
    myl_writer *wr;
    myl_diag d = {0};
    ck_assert_msg(myl_writer_open(path, MYL_TRACE_NATIVE, &m, &wr, &d) == 0, "%s", d.msg);
    ck_assert_msg(myl_writer_write(wr, ev, n, &d) == 0, "%s", d.msg);
    ck_assert_msg(myl_writer_close(wr, &d) == 0, "%s", d.msg);
    return path;
}

typedef struct got {
    uint64_t tick[256];
    uint32_t neuron[256];
    uint32_t count[256];
    size_t n;
} got;

/* Run `yaml` (an events population `r` bound to `trace`) for T ticks; collect r's spikes. */
static int run(const char *yaml, const char *trace, uint64_t T, got *g, myl_diag *d)
{
    myl_netfile *nf;
    int rc = myl_netfile_parse(yaml, strlen(yaml), "replay.yaml", ".", &nf, d);
    ck_assert_msg(rc == 0, "%s", d->msg);
    myl_cnet *c;
    ck_assert_int_eq(myl_net_compile(nf->net, NULL, NULL, &c, d), 0);
    myl_sim *s;
    ck_assert_int_eq(myl_sim_new(c, MYL_ENGINE_EVENT, &s), 0);
    myl_reader *r;
    ck_assert_int_eq(myl_reader_open_file(trace, &nf->inputs[0].opts, &r, d), 0);
    myl_replay *rp = NULL;
    rc = myl_replay_new(&nf->inputs[0], r, nf->net, &rp, d);
    memset(g, 0, sizeof *g);
    uint32_t first = 0, size = 0;
    uint32_t pop;
    ck_assert_int_eq(myl_net_find_pop(nf->net, "r", &pop), 0);
    first = (uint32_t)myl_net_pop_first(nf->net, pop);
    size = myl_net_pop_size(nf->net, pop);
    for (uint64_t t = 0; !rc && t < T; t++) {
        int ended;
        rc = myl_replay_tick(rp, s, t, &ended, d);
        myl_tick_report rep;
        if (!rc)
            rc = myl_sim_step(s, &rep);
        for (uint32_t i = 0; !rc && i < rep.nspiking; i++)
            if (rep.spike[i] >= first && rep.spike[i] < first + size && g->n < 256) {
                g->tick[g->n] = t;
                g->neuron[g->n] = rep.spike[i] - first;
                g->count[g->n++] = rep.count[i];
            }
    }
    myl_replay_free(rp);
    myl_reader_close(r);
    myl_sim_free(s);
    myl_cnet_free(c);
    myl_netfile_free(nf);
    return rc;
}

static void expect(const got *g, size_t i, uint64_t t, uint32_t neuron, uint32_t count)
{
    ck_assert_uint_lt(i, g->n);
    ck_assert_msg(g->tick[i] == t && g->neuron[i] == neuron && g->count[i] == count,
                  "spike %zu: tick %llu neuron %u x%u, expected tick %llu neuron %u x%u", i,
                  (unsigned long long)g->tick[i], g->neuron[i], g->count[i],
                  (unsigned long long)t, neuron, count);
}

START_TEST(index_convention)
{
    /* 4 x 3 sensor, two polarity planes: neuron = (p * H + y) * W + x, OFF plane first.
     * dt = 1 ms, origin = the first event (t = 10,000 us). */
    const myl_event ev[] = {
        {.t = 10000, .x = 0, .y = 0, .p = 1}, /* tick 0, (1*3+0)*4+0 = 12 */
        {.t = 10500, .x = 3, .y = 2, .p = 0}, /* tick 0, (0*3+2)*4+3 = 11 */
        {.t = 12999, .x = 1, .y = 1, .p = 1}, /* tick 2, (1*3+1)*4+1 = 17 */
        {.t = 13000, .x = 1, .y = 1, .p = 1}, /* tick 3, 17 */
        {.t = 13400, .x = 1, .y = 1, .p = 1}, /* tick 3 again: count 2 */
    };
    const char *tr = write_trace("idx.myl", ev, 5, 4, 3, 0);
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n  - {name: r, size: 24, model: events}\n"
                       "inputs:\n  - {population: r}\n";
    got g;
    myl_diag d = {0};
    ck_assert_msg(run(yaml, tr, 10, &g, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(g.n, 4);
    expect(&g, 0, 0, 11, 1);
    expect(&g, 1, 0, 12, 1);
    expect(&g, 2, 2, 17, 1);
    expect(&g, 3, 3, 17, 2);
}
END_TEST

START_TEST(crop_downsample_merge)
{
    /* 8 x 8 sensor, crop x 2..6, y 4..8, downsample 2: a 2 x 2 grid; polarity merged */
    const myl_event ev[] = {
        {.t = 0, .x = 1, .y = 5, .p = 1},    /* outside the crop: dropped */
        {.t = 100, .x = 2, .y = 4, .p = 0},  /* (0, 0) -> 0 */
        {.t = 200, .x = 5, .y = 4, .p = 1},  /* ((5-2)/2, 0) = (1, 0) -> 1 */
        {.t = 300, .x = 3, .y = 7, .p = 1},  /* (0, 1) -> 2 */
        {.t = 1400, .x = 4, .y = 6, .p = 0}, /* (1, 1) -> 3, tick 1 */
        {.t = 1500, .x = 6, .y = 6, .p = 0}, /* x = 6 is outside [2, 6): dropped */
    };
    const char *tr = write_trace("crop.myl", ev, 6, 8, 8, 0);
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n  - {name: r, size: 4, model: events}\n"
                       "inputs:\n  - {population: r, polarity: merge, downsample: 2,\n"
                       "              crop: {x: [2, 6], y: [4, 8]}}\n";
    got g;
    myl_diag d = {0};
    ck_assert_msg(run(yaml, tr, 5, &g, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(g.n, 4);
    expect(&g, 0, 0, 0, 1);
    expect(&g, 1, 0, 1, 1);
    expect(&g, 2, 0, 2, 1);
    expect(&g, 3, 1, 3, 1);
}
END_TEST

START_TEST(origin_and_channels)
{
    /* a channel stream (x = channel, 700 channels), origin given as 0: the first event at
     * 2.5 ms lands in tick 2 of 1 ms */
    const myl_event ev[] = {{.t = 2500, .x = 699, .p = 1}, {.t = 4000, .x = 3, .p = 1}};
    const char *tr = write_trace("chan.myl", ev, 2, 0, 0, 700);
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n  - {name: r, size: 700, model: events}\n"
                       "inputs:\n  - {population: r, origin: 0 us}\n";
    got g;
    myl_diag d = {0};
    ck_assert_msg(run(yaml, tr, 6, &g, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(g.n, 2);
    expect(&g, 0, 2, 699, 1);
    expect(&g, 1, 4, 3, 1);
}
END_TEST

START_TEST(size_mismatch_and_backwards)
{
    const myl_event ev[] = {{.t = 5000, .x = 1, .y = 0, .p = 1}, {.t = 1000, .x = 0, .p = 1}};
    const char *tr = write_trace("back.myl", ev, 2, 2, 1, 0);
    /* 2 x 1 sensor, one plane (height 1): 2 neurons, not 3 */
    const char *bad = "run: {dt: 1 ms}\n"
                      "populations:\n  - {name: r, size: 3, model: events}\n"
                      "inputs:\n  - {population: r}\n";
    myl_netfile *nf;
    myl_diag d = {0};
    ck_assert_int_eq(myl_netfile_parse(bad, strlen(bad), "b.yaml", ".", &nf, &d), 0);
    myl_reader *r;
    ck_assert_int_eq(myl_reader_open_file(tr, &nf->inputs[0].opts, &r, &d), 0);
    myl_replay *rp = NULL;
    ck_assert_int_eq(myl_replay_new(&nf->inputs[0], r, nf->net, &rp, &d), MYL_EINVAL);
    ck_assert_ptr_nonnull(strstr(d.msg, "has 3 neurons"));
    myl_reader_close(r);
    myl_netfile_free(nf);
    /* the second event (1 ms) is before the origin (5 ms) */
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n  - {name: r, size: 2, model: events}\n"
                       "inputs:\n  - {population: r}\n";
    got g;
    myl_diag_clear(&d);
    ck_assert_int_eq(run(yaml, tr, 10, &g, &d), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(d.msg, "before the origin"));
    /* and with origin 0, the same event belongs to a tick already simulated */
    const char *y2 = "run: {dt: 1 ms}\n"
                     "populations:\n  - {name: r, size: 2, model: events}\n"
                     "inputs:\n  - {population: r, origin: 0 us}\n";
    myl_diag_clear(&d);
    ck_assert_int_eq(run(y2, tr, 10, &g, &d), MYL_EPARSE);
    ck_assert_ptr_nonnull(strstr(d.msg, "already been simulated"));
}
END_TEST

START_TEST(binding_errors)
{
    static const struct {
        const char *yaml, *want;
    } bad[] = {
        {"populations:\n  - {name: r, size: 2, model: lif}\ninputs:\n  - {population: r}\n",
         "model: events"},
        {"populations:\n  - {name: r, size: 2, model: events}\ninputs:\n  - {population: q}\n",
         "no population named 'q'"},
        {"populations:\n  - {name: r, size: 2, model: events}\ninputs:\n"
         "  - {population: r, polarity: both}\n",
         "polarity"},
        {"populations:\n  - {name: r, size: 2, model: events}\ninputs:\n"
         "  - {population: r, crop: {x: [4, 2], y: [0, 1]}}\n",
         "empty"},
        {"populations:\n  - {name: r, size: 2, model: events}\ninputs:\n"
         "  - {population: r, format: mp4}\n",
         "unknown format"},
        {"populations:\n  - {name: r, size: 2, model: events}\ninputs:\n"
         "  - {population: r, downsmaple: 2}\n",
         "did you mean 'downsample'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        myl_netfile *nf = NULL;
        myl_diag d = {0};
        int rc = myl_netfile_parse(bad[i].yaml, strlen(bad[i].yaml), "b.yaml", ".", &nf, &d);
        if (rc == 0 || !strstr(d.msg, bad[i].want) || !strstr(d.msg, "b.yaml:"))
            ck_abort_msg("case %zu: rc %d, message '%s', wanted '%s'", i, rc, d.msg,
                         bad[i].want);
    }
}
END_TEST

/* myl_sim_inject against a plain reference: random counts onto random neurons of three events
 * populations whose core-local ranges start and end inside 64-bit words, few per tick (the
 * sorted path) and many (the bitmap path), in both engines: each tick's spikes are the summed
 * counts per neuron, in ascending order. A count that would pass 65535 is refused without
 * changing anything. */
START_TEST(inject_merges_per_neuron)
{
    const char *yaml = "run: {dt: 1 ms}\n"
                       "populations:\n"
                       "  - {name: a, size: 37, model: events}\n"
                       "  - {name: b, size: 130, model: events}\n"
                       "  - {name: c, size: 3, model: events}\n";
    myl_netfile *nf;
    myl_diag d = {0};
    ck_assert_msg(myl_netfile_parse(yaml, strlen(yaml), "inj.yaml", ".", &nf, &d) == 0, "%s",
                  d.msg);
    const uint32_t N = 170;
    myl_cnet *c;
    ck_assert_int_eq(myl_net_compile(nf->net, NULL, NULL, &c, &d), 0);
    for (int e = 0; e < 2; e++) {
        myl_sim *s;
        ck_assert_int_eq(myl_sim_new(c, e ? MYL_ENGINE_DENSE : MYL_ENGINE_EVENT, &s), 0);
        uint64_t x = 88172645463325252ull; /* xorshift: the same draws for both engines */
        for (int t = 0; t < 60; t++) {
            uint32_t want[170] = {0};
            const int k = t % 3 == 0 ? 2 : t % 3 == 1 ? 40 : 400;
            for (int j = 0; j < k; j++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                const uint32_t g = (uint32_t)(x % N), n = 1 + (uint32_t)(x >> 40) % 5;
                ck_assert_int_eq(myl_sim_inject(s, g, n), 0);
                want[g] += n;
            }
            if (t == 30) { /* the limit: 65535 in one tick at most, the excess refused */
                ck_assert_int_eq(myl_sim_inject(s, 5, 65535 - want[5]), 0);
                ck_assert_int_eq(myl_sim_inject(s, 5, 1), MYL_ERANGE);
                want[5] = 65535;
            }
            myl_tick_report r;
            ck_assert_int_eq(myl_sim_step(s, &r), 0);
            uint32_t i = 0;
            for (uint32_t g = 0; g < N; g++) {
                if (!want[g])
                    continue;
                ck_assert_uint_lt(i, r.nspiking);
                ck_assert_msg(r.spike[i] == g && r.count[i] == want[g],
                              "tick %d: spike %u is neuron %u x%u, expected %u x%u", t, i,
                              r.spike[i], r.count[i], g, want[g]);
                i++;
            }
            ck_assert_uint_eq(i, r.nspiking);
        }
        ck_assert_int_eq(myl_sim_inject(s, N, 1), MYL_EINVAL);
        myl_sim_free(s);
    }
    myl_cnet_free(c);
    myl_netfile_free(nf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("binding");
    tcase_add_test(tc, index_convention);
    tcase_add_test(tc, crop_downsample_merge);
    tcase_add_test(tc, origin_and_channels);
    tcase_add_test(tc, size_mismatch_and_backwards);
    tcase_add_test(tc, binding_errors);
    tcase_add_test(tc, inject_merges_per_neuron);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(suite());
}
