/* Tests for the results database (include/myelin/db.h, sim/metrics/db.c).
 *
 * The schema is checked against the list of tables and columns that docs/results-schema.md
 * documents (g_columns below mirrors that page, both ways: nothing missing, nothing extra). The
 * main tests feed runs with synthetic tick reports (and, for hardware runs, tick costs and
 * per-core counts), built by deterministic functions of the tick number, across several writer
 * batches, then read every table back with plain sqlite3 and compare it row by row with what
 * went in. Around them: the other statuses, reopening, upgrading a version-1 file (and an
 * upgrade that fails), refusing databases that are not ours or are too new, runs left
 * 'running' by a dead process, several runs in one file, allocation failure at every
 * allocation of a run, and processes that die in the middle of a run (_exit and SIGKILL)
 * leaving a consistent file.
 */
#include "testlib.h"

#include "myelin/alloc.h"
#include "myelin/db.h"
#include "myelin/err.h"
#include "myl_config.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ck_assert records every check that passes (a write to Check's pipe), far too slow for the
 * hundreds of thousands of rows compared here; these call into Check only on failure. */
#define REQUIRE(expr) ((expr) ? (void)0 : ck_abort_msg("'%s' failed", #expr))
#define REQUIRE_MSG(expr, ...) ((expr) ? (void)0 : ck_abort_msg(__VA_ARGS__))

/* The writer's batch size (BATCH_ROWS in db.c): runs below write several times this. */
#define BATCH 65536

/* ---- the schema, as docs/results-schema.md documents it -------------------------------- */

typedef struct col {
    const char *table, *name, *type;
    int notnull, pk; /* pk: position in the primary key (1-based), 0 if not part of it */
} col;

static const col g_columns[] = {
    {"runs", "id", "INTEGER", 0, 1},
    {"runs", "started_at", "TEXT", 1, 0},
    {"runs", "finished_at", "TEXT", 0, 0},
    {"runs", "status", "TEXT", 1, 0},
    {"runs", "error", "TEXT", 0, 0},
    {"runs", "command", "TEXT", 1, 0},
    {"runs", "comparison", "INTEGER", 0, 0},
    {"runs", "network", "TEXT", 1, 0},
    {"runs", "network_name", "TEXT", 0, 0},
    {"runs", "network_sha256", "TEXT", 1, 0},
    {"runs", "engine", "TEXT", 1, 0},
    {"runs", "hw", "TEXT", 0, 0},
    {"runs", "seed", "INTEGER", 1, 0},
    {"runs", "dt", "REAL", 1, 0},
    {"runs", "ticks_planned", "INTEGER", 1, 0},
    {"runs", "ticks", "INTEGER", 1, 0},
    {"runs", "neurons", "INTEGER", 1, 0},
    {"runs", "synapses", "INTEGER", 1, 0},
    {"runs", "spikes", "INTEGER", 0, 0},
    {"runs", "syn_events", "INTEGER", 0, 0},
    {"runs", "syn_evals", "INTEGER", 0, 0},
    {"runs", "input_events", "INTEGER", 0, 0},
    {"runs", "neuron_updates", "INTEGER", 0, 0},
    {"runs", "build_s", "REAL", 0, 0},
    {"runs", "wall_s", "REAL", 0, 0},
    {"runs", "peak_rss", "INTEGER", 0, 0},
    {"runs", "record", "TEXT", 1, 0},
    {"runs", "myelin_version", "TEXT", 1, 0},
    {"runs", "host", "TEXT", 0, 0},
    {"runs", "pid", "INTEGER", 0, 0},
    /* version 2: hardware runs */
    {"runs", "mapping", "TEXT", 0, 0},
    {"runs", "cores", "INTEGER", 0, 0},
    {"runs", "chips", "INTEGER", 0, 0},
    {"runs", "energy_j", "REAL", 0, 0},
    {"runs", "chip_time_s", "REAL", 0, 0},
    {"runs", "mean_power_w", "REAL", 0, 0},
    {"populations", "run_id", "INTEGER", 1, 1},
    {"populations", "pop", "INTEGER", 1, 2},
    {"populations", "name", "TEXT", 1, 0},
    {"populations", "model", "TEXT", 1, 0},
    {"populations", "size", "INTEGER", 1, 0},
    {"populations", "first_neuron", "INTEGER", 1, 0},
    {"populations", "spikes", "INTEGER", 0, 0},
    {"neuron_spikes", "run_id", "INTEGER", 1, 1},
    {"neuron_spikes", "neuron", "INTEGER", 1, 2},
    {"neuron_spikes", "spikes", "INTEGER", 1, 0},
    {"ticks", "run_id", "INTEGER", 1, 1},
    {"ticks", "tick", "INTEGER", 1, 2},
    {"ticks", "spikes", "INTEGER", 1, 0},
    {"ticks", "syn_events", "INTEGER", 1, 0},
    {"ticks", "active", "INTEGER", 1, 0},
    {"spikes", "run_id", "INTEGER", 1, 0},
    {"spikes", "tick", "INTEGER", 1, 0},
    {"spikes", "neuron", "INTEGER", 1, 0},
    {"spikes", "count", "INTEGER", 1, 0},
    {"membrane", "run_id", "INTEGER", 1, 0},
    {"membrane", "tick", "INTEGER", 1, 0},
    {"membrane", "neuron", "INTEGER", 1, 0},
    {"membrane", "v", "REAL", 1, 0},
    {"cores", "run_id", "INTEGER", 1, 1},
    {"cores", "core", "INTEGER", 1, 2},
    {"cores", "chip", "INTEGER", 1, 0},
    {"cores", "tile_x", "INTEGER", 1, 0},
    {"cores", "tile_y", "INTEGER", 1, 0},
    {"cores", "slot", "INTEGER", 1, 0},
    {"cores", "neurons", "INTEGER", 1, 0},
    {"cores", "synapses", "INTEGER", 1, 0},
    {"cores", "syn_bits", "INTEGER", 1, 0},
    {"cores", "axons_in", "INTEGER", 1, 0},
    {"cores", "axons_out", "INTEGER", 1, 0},
    {"cores", "max_fanin", "INTEGER", 1, 0},
    {"cores", "access", "INTEGER", 0, 0},
    {"cores", "updates", "INTEGER", 0, 0},
    {"cores", "spikes", "INTEGER", 0, 0},
    {"cores", "synops", "INTEGER", 0, 0},
    {"cores", "msg_in", "INTEGER", 0, 0},
    {"cores", "msg_out", "INTEGER", 0, 0},
    {"cores", "hop_n", "INTEGER", 0, 0},
    {"cores", "hop_e", "INTEGER", 0, 0},
    {"cores", "hop_s", "INTEGER", 0, 0},
    {"cores", "hop_w", "INTEGER", 0, 0},
    {"cores", "chip_hops", "INTEGER", 0, 0},
    {"cores", "energy_j", "REAL", 0, 0},
    {"cores", "busy_s", "REAL", 0, 0},
    {"neuron_cores", "run_id", "INTEGER", 1, 1},
    {"neuron_cores", "neuron", "INTEGER", 1, 2},
    {"neuron_cores", "core", "INTEGER", 1, 0},
    {"tick_costs", "run_id", "INTEGER", 1, 1},
    {"tick_costs", "tick", "INTEGER", 1, 2},
    {"tick_costs", "energy_j", "REAL", 1, 0},
    {"tick_costs", "latency_s", "REAL", 1, 0},
    {"tick_costs", "core_latency_s", "REAL", 1, 0},
    {"tick_costs", "net_latency_s", "REAL", 1, 0},
    {"tick_costs", "sync_latency_s", "REAL", 1, 0},
    {"tick_costs", "slowest_core", "INTEGER", 1, 0},
    {"energy", "run_id", "INTEGER", 1, 1},
    {"energy", "part", "TEXT", 1, 2},
    {"energy", "energy_j", "REAL", 1, 0},
};
#define NCOLUMNS (sizeof g_columns / sizeof g_columns[0])

static const char *const g_tables[] = {"cores",         "energy",      "membrane", "neuron_cores",
                                       "neuron_spikes", "populations", "runs",     "spikes",
                                       "tick_costs",    "ticks"};
static const char *const g_indexes[] = {"membrane_by_run_neuron", "spikes_by_run_tick"};

/* ---- sqlite3 helpers ------------------------------------------------------------------- */

static sqlite3 *sq_open(const char *path)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    REQUIRE_MSG(rc == SQLITE_OK, "sqlite3_open %s: %s", path, h ? sqlite3_errmsg(h) : "?");
    sqlite3_busy_timeout(h, 10000);
    return h;
}

static void sq_exec(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
    REQUIRE_MSG(rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
    sqlite3_free(err);
}

static sqlite3_stmt *sq_prep(sqlite3 *h, const char *fmt, va_list ap)
{
    char *sql = sqlite3_vmprintf(fmt, ap);
    REQUIRE(sql);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s", sql, sqlite3_errmsg(h));
        sqlite3_free(sql);
        ck_abort_msg("%s", msg);
    }
    sqlite3_free(sql);
    return st;
}

static sqlite3_stmt *sq_query(sqlite3 *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static sqlite3_stmt *sq_query(sqlite3 *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = sq_prep(h, fmt, ap);
    va_end(ap);
    return st;
}

/* The first column of the one row a query returns, as an integer (-999999 if no row). */
static int64_t sq_int(sqlite3 *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int64_t sq_int(sqlite3 *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = sq_prep(h, fmt, ap);
    va_end(ap);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999999;
    sqlite3_finalize(st);
    return v;
}

/* The first column of the one row a query returns, as text (static buffer; "<null>" for NULL,
 * "<none>" when there is no row). */
static const char *sq_text(sqlite3 *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *sq_text(sqlite3 *h, const char *fmt, ...)
{
    static char buf[4][1024];
    static int i;
    char *b = buf[i++ & 3];
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = sq_prep(h, fmt, ap);
    va_end(ap);
    if (sqlite3_step(st) != SQLITE_ROW)
        snprintf(b, sizeof buf[0], "<none>");
    else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        snprintf(b, sizeof buf[0], "<null>");
    else
        snprintf(b, sizeof buf[0], "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return b;
}

static void check_integrity(sqlite3 *h)
{
    ck_assert_str_eq(sq_text(h, "PRAGMA integrity_check"), "ok");
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

static const char *hostname(void)
{
    static char host[256];
    memset(host, 0, sizeof host);
    gethostname(host, sizeof host - 1);
    return host;
}

/* A pid that no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0)
        _exit(0);
    int st;
    REQUIRE(waitpid(p, &st, 0) == p);
    return p;
}

/* ---- synthetic runs -------------------------------------------------------------------- *
 *
 * 100 neurons in three populations: 'exc' (lif, 0-39; neurons 0-4 never spike), 'probe' (li,
 * 40-49; never spike, their membrane is recorded every tick) and 'drive' (poisson, 50-99; a
 * spike may count up to 5). Which neurons spike at tick t, and every other figure of the tick,
 * is a fixed function of t, so the expected contents of every table can be regenerated. */

#define NNEUR 100
#define NPROBE 10

static const myl_run_pop g_pops[] = {
    {"exc", "lif", 40, 0},
    {"probe", "li", NPROBE, 40},
    {"drive", "poisson", 50, 50},
};
#define NPOPS 3u

typedef struct synth {
    uint32_t spike[NNEUR];
    uint16_t count[NNEUR];
    uint32_t v_gid[NPROBE];
    float v[NPROBE];
    myl_tick_report r;
} synth;

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Fill s with the report of tick t. */
static void synth_tick(synth *s, uint64_t t)
{
    uint32_t n = 0;
    uint64_t sum = 0;
    for (uint32_t g = 5; g < NNEUR; g++) {
        if (g >= 40 && g < 50)
            continue;
        uint64_t h = mix(t * 1000003u + g);
        if (h % 8)
            continue;
        uint16_t c = g >= 50 ? (uint16_t)(1 + (h >> 8) % 5) : 1;
        s->spike[n] = g;
        s->count[n] = c;
        n++;
        sum += c;
    }
    for (uint32_t i = 0; i < NPROBE; i++) {
        s->v_gid[i] = 40 + i;
        /* multiples of 1/64: exact as float and as double */
        s->v[i] = (float)((int)((t * 13 + i * 101) % 4096) - 2048) / 64.0f;
    }
    memset(&s->r, 0, sizeof s->r);
    s->r.tick = t;
    s->r.nspiking = n;
    s->r.spike = s->spike;
    s->r.count = s->count;
    s->r.spikes = sum;
    s->r.syn_events = sum * 7 + t % 3;
    s->r.syn_evals = 1000 + t % 5;
    s->r.input_events = t % 11;
    s->r.updates = 50 + t % 2;
    s->r.active = n + t % 17;
    s->r.nv = NPROBE;
    s->r.v_gid = s->v_gid;
    s->r.v = s->v;
}

/* What a run of ticks [0, n) adds up to. */
typedef struct expect {
    uint64_t ticks, spikes, syn_events, syn_evals, input_events, updates;
    uint64_t nspk_rows, nv_rows;
    uint64_t neuron_spikes[NNEUR];
} expect;

static void expect_ticks(expect *e, uint64_t n)
{
    memset(e, 0, sizeof *e);
    synth s;
    for (uint64_t t = 0; t < n; t++) {
        synth_tick(&s, t);
        e->spikes += s.r.spikes;
        e->syn_events += s.r.syn_events;
        e->syn_evals += s.r.syn_evals;
        e->input_events += s.r.input_events;
        e->updates += s.r.updates;
        e->nspk_rows += s.r.nspiking;
        e->nv_rows += s.r.nv;
        for (uint32_t i = 0; i < s.r.nspiking; i++)
            e->neuron_spikes[s.spike[i]] += s.count[i];
    }
    e->ticks = n;
}

static myl_run_desc desc_for(uint64_t ticks)
{
    myl_run_desc d = {.command = "run",
                      .network = "nets/synthetic.yaml",
                      .network_name = "synthetic",
                      .network_sha256 = "0123456789abcdef0123456789abcdef"
                                        "0123456789abcdef0123456789abcdef",
                      .engine = "event",
                      .record = "counts",
                      .hw = NULL,
                      .comparison = 0,
                      .seed = 4242,
                      .dt = 1e-4,
                      .ticks = ticks,
                      .neurons = NNEUR,
                      .synapses = 12345,
                      .build_s = 0.125};
    return d;
}

static myl_run_totals totals_for(const expect *e)
{
    myl_run_totals t = {.ticks = e->ticks,
                        .spikes = e->spikes,
                        .syn_events = e->syn_events,
                        .syn_evals = e->syn_evals,
                        .updates = e->updates,
                        .input_events = e->input_events,
                        .wall_s = 1.5,
                        .peak_rss = 123456789,
                        .neuron_spikes = e->neuron_spikes};
    return t;
}

/* A hardware run of the same network: 4 cores of 25 neurons (neuron g on core g / 25) on two
 * chips, a cost for every tick and counts for every core, all fixed functions of their index.
 * Doubles go through SQLite REAL unchanged, so they are compared exactly. */
#define NCORES 4

static myl_db_core g_cores[NCORES];
static uint32_t g_neuron_core[NNEUR];
static myl_core_counts g_core_counts[NCORES];

static void hw_desc(myl_run_desc *d)
{
    for (uint32_t c = 0; c < NCORES; c++)
        g_cores[c] = (myl_db_core){.chip = c / 2,
                                   .tile_x = c % 2,
                                   .tile_y = 3,
                                   .slot = c,
                                   .neurons = NNEUR / NCORES,
                                   .axons_in = 10 + c,
                                   .axons_out = 20 + c,
                                   .max_fanin = 30 + c,
                                   .synapses = 1000 + c,
                                   .syn_bits = 16000 + c};
    for (uint32_t g = 0; g < NNEUR; g++)
        g_neuron_core[g] = g / (NNEUR / NCORES);
    d->mapping = "greedy";
    d->ncores = NCORES;
    d->nchips = 2;
    d->cores = g_cores;
    d->neuron_core = g_neuron_core;
    d->hw = "test-chip";
}

static myl_tick_cost synth_cost(uint64_t t)
{
    myl_tick_cost c;
    memset(&c, 0, sizeof c);
    for (int p = 0; p < MYL_E_PARTS; p++) {
        c.part[p] = (double)(t % 7 + (uint64_t)p) * 1e-12;
        c.energy += c.part[p];
    }
    c.latency = (double)(t % 5 + 1) * 1.1e-6;
    c.core_latency = c.latency * 0.5;
    c.net_latency = c.latency * 0.3;
    c.sync_latency = c.latency * 0.2;
    c.slowest_core = (uint32_t)(t % NCORES);
    return c;
}

static void hw_totals(myl_run_totals *t)
{
    for (uint32_t c = 0; c < NCORES; c++) {
        uint64_t b = 1000 * (c + 1);
        g_core_counts[c] = (myl_core_counts){.access = b + 1,
                                             .update = b + 2,
                                             .spike = b + 3,
                                             .synop = b + 4,
                                             .msg_in = b + 5,
                                             .msg_out = b + 6,
                                             .hop_n = b + 7,
                                             .hop_e = b + 8,
                                             .hop_s = b + 9,
                                             .hop_w = b + 10,
                                             .chip = b + 11,
                                             .energy = (double)(c + 1) * 2.5e-7,
                                             .busy = (double)(c + 1) * 0.125};
    }
    t->have_hw = 1;
    t->energy = 0;
    for (int p = 0; p < MYL_E_PARTS; p++) {
        t->part[p] = (double)(p + 1) * 1.5e-6;
        t->energy += t->part[p];
    }
    t->chip_time = 0.0375;
    t->mean_power = t->energy / t->chip_time;
    t->core = g_core_counts;
}

/* Open path, run ticks [0, n) with the given description, end with status/error, close.
 * Returns the run id. A description with cores is a hardware run: each tick also gets its
 * cost, and the totals their hardware part. */
static int64_t do_run(const char *path, const myl_run_desc *desc, int record, uint64_t n,
                      const char *status, const char *error)
{
    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(path, &db, &d);
    REQUIRE_MSG(rc == 0, "open %s: %s (%s)", path, myl_err_name(rc), d.msg);
    myl_db_run *r = NULL;
    int64_t id = 0;
    rc = myl_db_run_begin(db, desc, g_pops, NPOPS, record, &r, &id, &d);
    REQUIRE_MSG(rc == 0, "begin: %s (%s)", myl_err_name(rc), d.msg);
    REQUIRE(r && id > 0);
    synth s;
    for (uint64_t t = 0; t < n; t++) {
        synth_tick(&s, t);
        rc = myl_db_run_tick(r, &s.r);
        REQUIRE_MSG(rc == 0, "tick %llu: %s", (unsigned long long)t, myl_err_name(rc));
        if (desc->cores) {
            myl_tick_cost c = synth_cost(t);
            rc = myl_db_run_tick_cost(r, t, &c);
            REQUIRE_MSG(rc == 0, "tick cost %llu: %s", (unsigned long long)t, myl_err_name(rc));
        }
    }
    expect e;
    expect_ticks(&e, n);
    myl_run_totals tot = totals_for(&e);
    if (desc->cores)
        hw_totals(&tot);
    rc = myl_db_run_end(r, &tot, status, error, &d);
    REQUIRE_MSG(rc == 0, "end: %s (%s)", myl_err_name(rc), d.msg);
    myl_db_close(db);
    return id;
}

/* The hardware part of run id: mapping, per-core figures, a cost per tick, energy parts. */
static void check_hw(sqlite3 *h, int64_t id, uint64_t n)
{
    myl_run_totals tot = {0};
    hw_totals(&tot);
    sqlite3_stmt *st = sq_query(h,
                                "SELECT mapping, cores, chips, energy_j, chip_time_s,"
                                " mean_power_w, hw FROM runs WHERE id = %lld",
                                (long long)id);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "greedy");
    ck_assert_int_eq(sqlite3_column_int64(st, 1), NCORES);
    ck_assert_int_eq(sqlite3_column_int64(st, 2), 2);
    ck_assert(sqlite3_column_double(st, 3) == tot.energy);
    ck_assert(sqlite3_column_double(st, 4) == tot.chip_time);
    ck_assert(sqlite3_column_double(st, 5) == tot.mean_power);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 6), "test-chip");
    sqlite3_finalize(st);

    st = sq_query(h,
                  "SELECT core, chip, tile_x, tile_y, slot, neurons, synapses, syn_bits,"
                  " axons_in, axons_out, max_fanin, access, updates, spikes, synops, msg_in,"
                  " msg_out, hop_n, hop_e, hop_s, hop_w, chip_hops, energy_j, busy_s"
                  " FROM cores WHERE run_id = %lld ORDER BY core",
                  (long long)id);
    uint32_t c = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; c++) {
        REQUIRE_MSG(c < NCORES, "more than %d cores", NCORES);
        const myl_db_core *k = &g_cores[c];
        const myl_core_counts *q = &g_core_counts[c];
        const int64_t want[22] = {c,
                                  k->chip,
                                  k->tile_x,
                                  k->tile_y,
                                  k->slot,
                                  k->neurons,
                                  (int64_t)k->synapses,
                                  (int64_t)k->syn_bits,
                                  k->axons_in,
                                  k->axons_out,
                                  k->max_fanin,
                                  (int64_t)q->access,
                                  (int64_t)q->update,
                                  (int64_t)q->spike,
                                  (int64_t)q->synop,
                                  (int64_t)q->msg_in,
                                  (int64_t)q->msg_out,
                                  (int64_t)q->hop_n,
                                  (int64_t)q->hop_e,
                                  (int64_t)q->hop_s,
                                  (int64_t)q->hop_w,
                                  (int64_t)q->chip};
        for (int i = 0; i < 22; i++)
            REQUIRE_MSG(sqlite3_column_int64(st, i) == want[i],
                        "core %u, column %d: %lld, want %lld", c, i,
                        (long long)sqlite3_column_int64(st, i), (long long)want[i]);
        REQUIRE_MSG(sqlite3_column_double(st, 22) == q->energy, "core %u energy", c);
        REQUIRE_MSG(sqlite3_column_double(st, 23) == q->busy, "core %u busy", c);
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(c, NCORES);

    st = sq_query(h, "SELECT neuron, core FROM neuron_cores WHERE run_id = %lld ORDER BY neuron",
                  (long long)id);
    uint32_t g = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; g++)
        REQUIRE_MSG(g < NNEUR && sqlite3_column_int64(st, 0) == g &&
                        sqlite3_column_int64(st, 1) == g_neuron_core[g],
                    "neuron_cores row %u", g);
    sqlite3_finalize(st);
    ck_assert_int_eq(g, NNEUR);

    st = sq_query(h,
                  "SELECT tick, energy_j, latency_s, core_latency_s, net_latency_s,"
                  " sync_latency_s, slowest_core FROM tick_costs WHERE run_id = %lld"
                  " ORDER BY tick",
                  (long long)id);
    uint64_t t = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; t++) {
        myl_tick_cost k = synth_cost(t);
        REQUIRE_MSG(t < n && sqlite3_column_int64(st, 0) == (int64_t)t &&
                        sqlite3_column_double(st, 1) == k.energy &&
                        sqlite3_column_double(st, 2) == k.latency &&
                        sqlite3_column_double(st, 3) == k.core_latency &&
                        sqlite3_column_double(st, 4) == k.net_latency &&
                        sqlite3_column_double(st, 5) == k.sync_latency &&
                        sqlite3_column_int64(st, 6) == k.slowest_core,
                    "tick_costs row %llu differs", (unsigned long long)t);
    }
    sqlite3_finalize(st);
    REQUIRE_MSG(t == n, "%llu tick_costs rows, expected %llu", (unsigned long long)t,
                (unsigned long long)n);

    for (int p = 0; p < MYL_E_PARTS; p++) {
        st = sq_query(h, "SELECT energy_j FROM energy WHERE run_id = %lld AND part = '%s'",
                      (long long)id, myl_energy_part_name(p));
        ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no energy row for %s",
                      myl_energy_part_name(p));
        ck_assert(sqlite3_column_double(st, 0) == tot.part[p]);
        sqlite3_finalize(st);
    }
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM energy WHERE run_id = %lld", (long long)id),
                     MYL_E_PARTS);
}

/* Compare every row of run id with ticks [0, n) of the synthetic data. */
static void check_run(sqlite3 *h, int64_t id, const myl_run_desc *desc, int record, uint64_t n,
                      const char *status, const char *error)
{
    expect e;
    expect_ticks(&e, n);

    /* runs */
    sqlite3_stmt *st = sq_query(
        h,
        "SELECT started_at, finished_at, status, error, command, comparison, network,"
        " network_name, network_sha256, engine, hw, seed, dt, ticks_planned, ticks, neurons,"
        " synapses, spikes, syn_events, syn_evals, input_events, neuron_updates, build_s,"
        " wall_s, peak_rss, record, myelin_version, host, pid,"
        " started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:"
        "[0-9][0-9]Z', finished_at >= started_at"
        " FROM runs WHERE id = %lld",
        (long long)id);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
#define TXT(i) ((const char *)sqlite3_column_text(st, i))
#define I64(i) sqlite3_column_int64(st, i)
#define ISNULL(i) (sqlite3_column_type(st, i) == SQLITE_NULL)
    ck_assert(!ISNULL(0));
    ck_assert(!ISNULL(1));
    ck_assert_str_eq(TXT(2), status);
    if (error)
        ck_assert_str_eq(TXT(3), error);
    else
        ck_assert(ISNULL(3));
    ck_assert_str_eq(TXT(4), desc->command);
    if (desc->comparison)
        ck_assert_int_eq(I64(5), desc->comparison);
    else
        ck_assert(ISNULL(5));
    ck_assert_str_eq(TXT(6), desc->network);
    ck_assert_str_eq(TXT(7), desc->network_name);
    ck_assert_str_eq(TXT(8), desc->network_sha256);
    ck_assert_str_eq(TXT(9), desc->engine);
    if (desc->hw)
        ck_assert_str_eq(TXT(10), desc->hw);
    else
        ck_assert(ISNULL(10));
    ck_assert_int_eq(I64(11), (int64_t)desc->seed);
    ck_assert(sqlite3_column_double(st, 12) == desc->dt);
    ck_assert_int_eq(I64(13), (int64_t)desc->ticks);
    ck_assert_int_eq(I64(14), (int64_t)n);
    ck_assert_int_eq(I64(15), NNEUR);
    ck_assert_int_eq(I64(16), (int64_t)desc->synapses);
    ck_assert_int_eq(I64(17), (int64_t)e.spikes);
    ck_assert_int_eq(I64(18), (int64_t)e.syn_events);
    ck_assert_int_eq(I64(19), (int64_t)e.syn_evals);
    ck_assert_int_eq(I64(20), (int64_t)e.input_events);
    ck_assert_int_eq(I64(21), (int64_t)e.updates);
    ck_assert(sqlite3_column_double(st, 22) == desc->build_s);
    ck_assert(sqlite3_column_double(st, 23) == 1.5);
    ck_assert_int_eq(I64(24), 123456789);
    ck_assert_str_eq(TXT(25), record ? "spikes" : "counts");
    ck_assert_str_eq(TXT(26), MYL_VERSION);
    ck_assert_str_eq(TXT(27), hostname());
    ck_assert_int_eq(I64(28), (int64_t)getpid());
    ck_assert_int_eq(I64(29), 1);
    ck_assert_int_eq(I64(30), 1);
#undef TXT
#undef I64
#undef ISNULL
    sqlite3_finalize(st);

    if (desc->cores)
        check_hw(h, id, n);
    else
        ck_assert_int_eq(sq_int(h,
                                "SELECT (SELECT count(*) FROM runs WHERE id = %lld AND"
                                " (mapping, cores, chips, energy_j, chip_time_s, mean_power_w)"
                                " IS NOT (NULL, NULL, NULL, NULL, NULL, NULL))"
                                " + (SELECT count(*) FROM cores WHERE run_id = %lld)"
                                " + (SELECT count(*) FROM neuron_cores WHERE run_id = %lld)"
                                " + (SELECT count(*) FROM tick_costs WHERE run_id = %lld)"
                                " + (SELECT count(*) FROM energy WHERE run_id = %lld)",
                                (long long)id, (long long)id, (long long)id, (long long)id,
                                (long long)id),
                         0);

    /* populations: layout, and spikes summed over each population's neurons */
    ck_assert_int_eq(
        sq_int(h, "SELECT count(*) FROM populations WHERE run_id = %lld", (long long)id), NPOPS);
    for (uint32_t p = 0; p < NPOPS; p++) {
        uint64_t sum = 0;
        for (uint64_t g = g_pops[p].first; g < g_pops[p].first + g_pops[p].size; g++)
            sum += e.neuron_spikes[g];
        st = sq_query(h,
                      "SELECT name, model, size, first_neuron, spikes FROM populations"
                      " WHERE run_id = %lld AND pop = %u",
                      (long long)id, p);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), g_pops[p].name);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), g_pops[p].model);
        ck_assert_int_eq(sqlite3_column_int64(st, 2), g_pops[p].size);
        ck_assert_int_eq(sqlite3_column_int64(st, 3), (int64_t)g_pops[p].first);
        ck_assert_int_eq(sqlite3_column_int64(st, 4), (int64_t)sum);
        sqlite3_finalize(st);
    }

    /* neuron_spikes: exactly the neurons that spiked */
    st = sq_query(h, "SELECT neuron, spikes FROM neuron_spikes WHERE run_id = %lld ORDER BY neuron",
                  (long long)id);
    uint32_t g = 0;
    for (;;) {
        int more = sqlite3_step(st) == SQLITE_ROW;
        while (g < NNEUR && !e.neuron_spikes[g])
            g++;
        if (!more)
            break;
        REQUIRE_MSG(g < NNEUR, "neuron_spikes has more rows than neurons that spiked");
        REQUIRE_MSG(sqlite3_column_int64(st, 0) == g, "neuron_spikes: row for %lld, expected %u",
                    (long long)sqlite3_column_int64(st, 0), g);
        REQUIRE_MSG(sqlite3_column_int64(st, 1) == (int64_t)e.neuron_spikes[g],
                    "neuron %u: %lld spikes, expected %llu", g,
                    (long long)sqlite3_column_int64(st, 1), (unsigned long long)e.neuron_spikes[g]);
        g++;
    }
    REQUIRE_MSG(g == NNEUR, "neuron_spikes lacks neuron %u", g);
    sqlite3_finalize(st);
    /* neurons 0-4 and the probes never spike: no rows, not rows of 0 */
    ck_assert_int_eq(sq_int(h,
                            "SELECT count(*) FROM neuron_spikes WHERE run_id = %lld AND"
                            " (neuron < 5 OR neuron BETWEEN 40 AND 49 OR spikes = 0)",
                            (long long)id),
                     0);

    /* ticks */
    synth s;
    st = sq_query(h,
                  "SELECT tick, spikes, syn_events, active FROM ticks WHERE run_id = %lld"
                  " ORDER BY tick",
                  (long long)id);
    uint64_t t = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        REQUIRE_MSG(t < n, "more tick rows than ticks");
        synth_tick(&s, t);
        REQUIRE_MSG(sqlite3_column_int64(st, 0) == (int64_t)t &&
                        sqlite3_column_int64(st, 1) == (int64_t)s.r.spikes &&
                        sqlite3_column_int64(st, 2) == (int64_t)s.r.syn_events &&
                        sqlite3_column_int64(st, 3) == (int64_t)s.r.active,
                    "ticks row %llu: (%lld, %lld, %lld, %lld), expected (%llu, %llu, %llu, %llu)",
                    (unsigned long long)t, (long long)sqlite3_column_int64(st, 0),
                    (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
                    (long long)sqlite3_column_int64(st, 3), (unsigned long long)t,
                    (unsigned long long)s.r.spikes, (unsigned long long)s.r.syn_events,
                    (unsigned long long)s.r.active);
        t++;
    }
    sqlite3_finalize(st);
    REQUIRE_MSG(t == n, "%llu tick rows, expected %llu", (unsigned long long)t,
                (unsigned long long)n);

    if (!record) {
        ck_assert_int_eq(
            sq_int(h, "SELECT count(*) FROM spikes WHERE run_id = %lld", (long long)id), 0);
        ck_assert_int_eq(
            sq_int(h, "SELECT count(*) FROM membrane WHERE run_id = %lld", (long long)id), 0);
        return;
    }

    /* spikes, in (tick, neuron) order */
    st = sq_query(h,
                  "SELECT tick, neuron, count FROM spikes WHERE run_id = %lld"
                  " ORDER BY tick, neuron",
                  (long long)id);
    uint64_t nrows = 0;
    t = 0;
    uint32_t i = 0;
    synth_tick(&s, 0);
    while (sqlite3_step(st) == SQLITE_ROW) {
        while (t < n && i == s.r.nspiking) {
            synth_tick(&s, ++t);
            i = 0;
        }
        REQUIRE_MSG(t < n, "more spike rows than spikes");
        REQUIRE_MSG(sqlite3_column_int64(st, 0) == (int64_t)t &&
                        sqlite3_column_int64(st, 1) == s.spike[i] &&
                        sqlite3_column_int64(st, 2) == s.count[i],
                    "spike row %llu: (%lld, %lld, %lld), expected (%llu, %u, %u)",
                    (unsigned long long)nrows, (long long)sqlite3_column_int64(st, 0),
                    (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
                    (unsigned long long)t, s.spike[i], s.count[i]);
        i++;
        nrows++;
    }
    sqlite3_finalize(st);
    REQUIRE_MSG(nrows == e.nspk_rows, "%llu spike rows, expected %llu", (unsigned long long)nrows,
                (unsigned long long)e.nspk_rows);

    /* membrane, in (tick, neuron) order */
    st = sq_query(h,
                  "SELECT tick, neuron, v, typeof(v) FROM membrane WHERE run_id = %lld"
                  " ORDER BY tick, neuron",
                  (long long)id);
    nrows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        t = nrows / NPROBE;
        i = (uint32_t)(nrows % NPROBE);
        REQUIRE_MSG(t < n, "more membrane rows than recorded");
        if (i == 0)
            synth_tick(&s, t);
        REQUIRE_MSG(sqlite3_column_int64(st, 0) == (int64_t)t &&
                        sqlite3_column_int64(st, 1) == s.v_gid[i] &&
                        sqlite3_column_double(st, 2) == (double)s.v[i] &&
                        strcmp((const char *)sqlite3_column_text(st, 3), "real") == 0,
                    "membrane row %llu: (%lld, %lld, %.9g), expected (%llu, %u, %.9g)",
                    (unsigned long long)nrows, (long long)sqlite3_column_int64(st, 0),
                    (long long)sqlite3_column_int64(st, 1), sqlite3_column_double(st, 2),
                    (unsigned long long)t, s.v_gid[i], (double)s.v[i]);
        nrows++;
    }
    sqlite3_finalize(st);
    REQUIRE_MSG(nrows == e.nv_rows, "%llu membrane rows, expected %llu", (unsigned long long)nrows,
                (unsigned long long)e.nv_rows);
}

/* ---- schema ---------------------------------------------------------------------------- */

/* The schema of the database open in h is the current one, exactly as documented. */
static void check_schema(sqlite3 *h)
{
    ck_assert_int_eq(sq_int(h, "PRAGMA user_version"), MYL_DB_SCHEMA_VERSION);
    ck_assert_str_eq(sq_text(h, "PRAGMA journal_mode"), "wal");

    /* the tables, exactly */
    size_t ntables = sizeof g_tables / sizeof g_tables[0];
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
                     (int64_t)ntables);
    for (size_t i = 0; i < ntables; i++)
        ck_assert_msg(sq_int(h,
                             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                             " name = '%s'",
                             g_tables[i]) == 1,
                      "table %s is missing", g_tables[i]);
    for (size_t i = 0; i < sizeof g_indexes / sizeof g_indexes[0]; i++)
        ck_assert_msg(sq_int(h,
                             "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
                             " name = '%s'",
                             g_indexes[i]) == 1,
                      "index %s is missing", g_indexes[i]);

    /* every documented column, with its type, NOT NULL and primary key position */
    for (size_t i = 0; i < NCOLUMNS; i++) {
        const col *c = &g_columns[i];
        sqlite3_stmt *st = sq_query(h,
                                    "SELECT type, \"notnull\", pk FROM pragma_table_info('%s')"
                                    " WHERE name = '%s'",
                                    c->table, c->name);
        ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "column %s.%s is missing", c->table, c->name);
        ck_assert_msg(strcmp((const char *)sqlite3_column_text(st, 0), c->type) == 0,
                      "%s.%s has type %s, documented %s", c->table, c->name,
                      (const char *)sqlite3_column_text(st, 0), c->type);
        /* an INTEGER PRIMARY KEY is NOT NULL whatever pragma_table_info says */
        if (!(c->pk && strcmp(c->table, "runs") == 0))
            ck_assert_msg(sqlite3_column_int(st, 1) == c->notnull, "%s.%s: notnull %d, doc %d",
                          c->table, c->name, sqlite3_column_int(st, 1), c->notnull);
        ck_assert_msg(sqlite3_column_int(st, 2) == c->pk, "%s.%s: pk %d, doc %d", c->table, c->name,
                      sqlite3_column_int(st, 2), c->pk);
        sqlite3_finalize(st);
    }
    /* and no undocumented ones */
    for (size_t i = 0; i < ntables; i++) {
        int64_t ndoc = 0;
        for (size_t k = 0; k < NCOLUMNS; k++)
            ndoc += strcmp(g_columns[k].table, g_tables[i]) == 0;
        ck_assert_msg(
            sq_int(h, "SELECT count(*) FROM pragma_table_info('%s')", g_tables[i]) == ndoc,
            "table %s has columns that docs/results-schema.md does not list", g_tables[i]);
    }
}

START_TEST(schema_version_and_columns)
{
    const char *path = myl_test_tmp("schema.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    ck_assert_str_eq(myl_db_path(db), path);
    myl_db_close(db);

    sqlite3 *h = sq_open(path);
    check_schema(h);
    /* the status CHECK constraint */
    ck_assert_int_ne(sqlite3_exec(h,
                                  "INSERT INTO runs (started_at, status, command, network,"
                                  " network_sha256, engine, seed, dt, ticks_planned, neurons,"
                                  " synapses, record, myelin_version) VALUES ('x', 'bogus',"
                                  " 'run', 'n', 's', 'event', 1, 0.1, 1, 1, 1, 'counts', 'v')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

/* ---- upgrades -------------------------------------------------------------------------- */

/* Version 1 of the schema, as myelin 0.1.0 created it (g_schema[0] in sim/metrics/db.c). */
static const char g_schema_v1[] =
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('running','completed','failed','interrupted')),"
    "  error TEXT,"
    "  command TEXT NOT NULL,"
    "  comparison INTEGER REFERENCES runs(id),"
    "  network TEXT NOT NULL,"
    "  network_name TEXT,"
    "  network_sha256 TEXT NOT NULL,"
    "  engine TEXT NOT NULL,"
    "  hw TEXT,"
    "  seed INTEGER NOT NULL,"
    "  dt REAL NOT NULL,"
    "  ticks_planned INTEGER NOT NULL,"
    "  ticks INTEGER NOT NULL DEFAULT 0,"
    "  neurons INTEGER NOT NULL,"
    "  synapses INTEGER NOT NULL,"
    "  spikes INTEGER,"
    "  syn_events INTEGER,"
    "  syn_evals INTEGER,"
    "  input_events INTEGER,"
    "  neuron_updates INTEGER,"
    "  build_s REAL,"
    "  wall_s REAL,"
    "  peak_rss INTEGER,"
    "  record TEXT NOT NULL CHECK (record IN ('counts','spikes')),"
    "  myelin_version TEXT NOT NULL,"
    "  host TEXT,"
    "  pid INTEGER"
    ");"
    "CREATE TABLE populations ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  pop INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  first_neuron INTEGER NOT NULL,"
    "  spikes INTEGER,"
    "  PRIMARY KEY (run_id, pop)"
    ") WITHOUT ROWID;"
    "CREATE TABLE neuron_spikes ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  neuron INTEGER NOT NULL,"
    "  spikes INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, neuron)"
    ") WITHOUT ROWID;"
    "CREATE TABLE ticks ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  tick INTEGER NOT NULL,"
    "  spikes INTEGER NOT NULL,"
    "  syn_events INTEGER NOT NULL,"
    "  active INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, tick)"
    ") WITHOUT ROWID;"
    "CREATE TABLE spikes ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  tick INTEGER NOT NULL,"
    "  neuron INTEGER NOT NULL,"
    "  count INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE INDEX spikes_by_run_tick ON spikes(run_id, tick);"
    "CREATE TABLE membrane ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  tick INTEGER NOT NULL,"
    "  neuron INTEGER NOT NULL,"
    "  v REAL NOT NULL"
    ");"
    "CREATE INDEX membrane_by_run_neuron ON membrane(run_id, neuron, tick);"
    "PRAGMA user_version = 1;";

/* A version-1 file holding one completed run, made as myelin 0.1.0 would have. */
static void make_v1(const char *path)
{
    sqlite3 *h = sq_open(path);
    sq_exec(h, "PRAGMA journal_mode = WAL");
    sq_exec(h, g_schema_v1);
    sq_exec(h, "INSERT INTO runs VALUES (1, '2024-01-02T03:04:05Z', '2024-01-02T03:04:07Z',"
               " 'completed', NULL, 'run', NULL, 'net.yaml', 'net', 'abcdef', 'event', NULL, 42,"
               " 0.0001, 3, 3, 100, 500, 7, 70, 70, 0, 300, 0.01, 0.02, 1048576, 'spikes',"
               " '0.1.0', 'oldhost', 123);"
               "INSERT INTO populations VALUES (1, 0, 'exc', 'lif', 100, 0, 7);"
               "INSERT INTO neuron_spikes VALUES (1, 5, 4), (1, 9, 3);"
               "INSERT INTO ticks VALUES (1, 0, 2, 20, 100), (1, 1, 0, 0, 50), (1, 2, 5, 50, 100);"
               "INSERT INTO spikes VALUES (1, 0, 5, 1), (1, 0, 9, 1), (1, 2, 5, 3), (1, 2, 9, 2);"
               "INSERT INTO membrane VALUES (1, 0, 3, -1.5);");
    sqlite3_close(h);
}

/* Everything of run 1 (the old run), as one text. */
static const char *v1_run_text(sqlite3 *h)
{
    return sq_text(
        h, "SELECT group_concat(x, ';') FROM ("
           " SELECT quote(id) || started_at || finished_at || status || command ||"
           " network || network_name || network_sha256 || engine || seed || dt ||"
           " ticks_planned || ticks || neurons || synapses || spikes || syn_events ||"
           " syn_evals || input_events || neuron_updates || build_s || wall_s ||"
           " peak_rss || record || myelin_version || host || pid ||"
           " quote(comparison) || quote(error) || quote(hw) AS x FROM runs WHERE id = 1"
           " UNION ALL SELECT run_id || pop || name || model || size || first_neuron"
           " || spikes FROM populations WHERE run_id = 1"
           " UNION ALL SELECT run_id || neuron || spikes FROM neuron_spikes WHERE run_id = 1"
           " UNION ALL SELECT run_id || tick || spikes || syn_events || active"
           " FROM ticks WHERE run_id = 1"
           " UNION ALL SELECT run_id || tick || neuron || count FROM spikes WHERE run_id = 1"
           " UNION ALL SELECT run_id || tick || neuron || v FROM membrane WHERE run_id = 1)");
}

/* Opening a version-1 file upgrades it in place: the old run is kept as it was, with the new
 * columns NULL, and the file takes new runs of either kind. */
START_TEST(upgrade_from_v1)
{
    const char *path = myl_test_tmp("v1.db");
    make_v1(path);
    sqlite3 *h = sq_open(path);
    char before[1024];
    snprintf(before, sizeof before, "%s", v1_run_text(h));
    ck_assert_int_gt(strlen(before), 100);
    sqlite3_close(h);

    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(path, &db, &d);
    ck_assert_msg(rc == 0, "upgrade: %s (%s)", myl_err_name(rc), d.msg);
    myl_db_close(db);

    h = sq_open(path);
    check_schema(h);
    check_integrity(h);
    ck_assert_str_eq(v1_run_text(h), before);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs WHERE id = 1 AND mapping IS NULL AND"
                               " cores IS NULL AND chips IS NULL AND energy_j IS NULL AND"
                               " chip_time_s IS NULL AND mean_power_w IS NULL"),
                     1);
    sqlite3_close(h);

    /* new runs go on from id 2 */
    myl_run_desc desc = desc_for(50);
    ck_assert_int_eq(do_run(path, &desc, 1, 50, "completed", NULL), 2);
    h = sq_open(path);
    check_run(h, 2, &desc, 1, 50, "completed", NULL);
    ck_assert_str_eq(v1_run_text(h), before);
    sqlite3_close(h);
}
END_TEST

/* An upgrade step that fails (here a table of the new version already exists, made by hand)
 * is rolled back whole: the file stays at version 1 with its run, and the open fails. */
START_TEST(upgrade_failure_rolls_back)
{
    const char *path = myl_test_tmp("v1-blocked.db");
    make_v1(path);
    sqlite3 *h = sq_open(path);
    sq_exec(h, "CREATE TABLE energy (note TEXT)");
    char before[1024];
    snprintf(before, sizeof before, "%s", v1_run_text(h));
    sqlite3_close(h);

    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), MYL_EDB);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    ck_assert_msg(strstr(d.msg, "schema"), "message: %s", d.msg);

    h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "PRAGMA user_version"), 1);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM pragma_table_info('runs') WHERE"
                               " name = 'mapping'"),
                     0);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM sqlite_master WHERE name = 'cores'"), 0);
    ck_assert_str_eq(v1_run_text(h), before);
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

/* ---- a run, row by row ----------------------------------------------------------------- */

START_TEST(run_recorded_exactly)
{
    /* ~22 rows a tick (1 tick row, ~11 spikes, 10 membrane values): about 7 batches */
    const uint64_t n = 20000;
    const char *path = myl_test_tmp("full.db");
    myl_run_desc desc = desc_for(n + 7);
    desc.hw = "loihi2";
    int64_t id = do_run(path, &desc, 1, n, "completed", NULL);
    ck_assert_int_eq(id, 1);
    expect e;
    expect_ticks(&e, n);
    ck_assert_uint_gt(e.nspk_rows + e.nv_rows + n, 5 * BATCH);

    sqlite3 *h = sq_open(path);
    check_run(h, id, &desc, 1, n, "completed", NULL);
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

START_TEST(run_counts_only)
{
    /* one row a tick: 150,000 ticks cross two batch boundaries */
    const uint64_t n = 150000;
    const char *path = myl_test_tmp("counts.db");
    myl_run_desc desc = desc_for(n);
    int64_t id = do_run(path, &desc, 0, n, "completed", NULL);
    sqlite3 *h = sq_open(path);
    check_run(h, id, &desc, 0, n, "completed", NULL);
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

/* A hardware run: the mapping, a cost per tick and the energy parts, across several batches,
 * with and without every spike recorded. */
START_TEST(run_hardware)
{
    const char *path = myl_test_tmp("hw.db");
    myl_run_desc desc = desc_for(15000);
    hw_desc(&desc);
    int64_t a = do_run(path, &desc, 1, 15000, "completed", NULL);
    myl_run_desc desc2 = desc_for(70000);
    hw_desc(&desc2);
    int64_t b = do_run(path, &desc2, 0, 70000, "interrupted", NULL);
    /* and an ordinary run in between does not pick up anything of theirs */
    myl_run_desc plain = desc_for(100);
    int64_t c = do_run(path, &plain, 1, 100, "completed", NULL);
    sqlite3 *h = sq_open(path);
    check_run(h, a, &desc, 1, 15000, "completed", NULL);
    check_run(h, b, &desc2, 0, 70000, "interrupted", NULL);
    check_run(h, c, &plain, 1, 100, "completed", NULL);
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

START_TEST(run_no_ticks)
{
    const char *path = myl_test_tmp("empty-run.db");
    myl_run_desc desc = desc_for(10);
    int64_t id = do_run(path, &desc, 1, 0, "completed", NULL);
    sqlite3 *h = sq_open(path);
    check_run(h, id, &desc, 1, 0, "completed", NULL);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM ticks"), 0);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM neuron_spikes"), 0);
    ck_assert_int_eq(
        sq_int(h, "SELECT sum(spikes) FROM populations WHERE run_id = %lld", (long long)id), 0);
    sqlite3_close(h);
}
END_TEST

/* Status 'failed' and 'interrupted', each with its error text, after some ticks. */
START_TEST(run_other_statuses)
{
    const char *path = myl_test_tmp("statuses.db");
    myl_run_desc desc = desc_for(5000);
    int64_t a = do_run(path, &desc, 1, 1234, "failed", "tick 1234: out of memory");
    int64_t b = do_run(path, &desc, 0, 4321, "interrupted", NULL);
    int64_t c = do_run(path, &desc, 1, 77, "interrupted", "stopped by SIGINT");
    ck_assert_int_eq(b, a + 1);
    ck_assert_int_eq(c, b + 1);
    sqlite3 *h = sq_open(path);
    check_run(h, a, &desc, 1, 1234, "failed", "tick 1234: out of memory");
    check_run(h, b, &desc, 0, 4321, "interrupted", NULL);
    check_run(h, c, &desc, 1, 77, "interrupted", "stopped by SIGINT");
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

/* A status the schema does not allow: the run must not stay 'running'. */
START_TEST(run_bad_status)
{
    const char *path = myl_test_tmp("badstatus.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_run_desc desc = desc_for(10);
    myl_db_run *r = NULL;
    int64_t id = 0;
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, &r, &id, &d), 0);
    synth s;
    synth_tick(&s, 0);
    ck_assert_int_eq(myl_db_run_tick(r, &s.r), 0);
    expect e;
    expect_ticks(&e, 1);
    myl_run_totals tot = totals_for(&e);
    int rc = myl_db_run_end(r, &tot, "bogus", NULL, &d);
    ck_assert_int_eq(rc, MYL_EDB);
    ck_assert(d.set);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    myl_db_close(db);
    sqlite3 *h = sq_open(path);
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = %lld", (long long)id),
                     "failed");
    ck_assert_str_ne(sq_text(h, "SELECT error FROM runs WHERE id = %lld", (long long)id), "<null>");
    check_integrity(h);
    sqlite3_close(h);
}
END_TEST

/* ---- reopening, several runs ----------------------------------------------------------- */

START_TEST(reopen_and_two_runs)
{
    const char *path = myl_test_tmp("two.db");
    myl_run_desc d1 = desc_for(3000);
    int64_t a = do_run(path, &d1, 1, 3000, "completed", NULL);

    /* a second process-lifetime: reopen, the first run is still there, untouched */
    myl_run_desc d2 = desc_for(70000);
    d2.command = "compare";
    d2.engine = "dense";
    d2.comparison = a;
    d2.seed = 7;
    d2.network = "other.yaml";
    d2.network_name = "other";
    int64_t b = do_run(path, &d2, 0, 70000, "completed", NULL);
    ck_assert_int_eq(b, a + 1);

    sqlite3 *h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "PRAGMA user_version"), MYL_DB_SCHEMA_VERSION);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs"), 2);
    check_run(h, a, &d1, 1, 3000, "completed", NULL);
    check_run(h, b, &d2, 0, 70000, "completed", NULL);
    /* the rows of the two runs stay apart */
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM ticks"), 73000);
    ck_assert_int_eq(sq_int(h, "SELECT count(DISTINCT run_id) FROM spikes"), 1);
    check_integrity(h);
    sqlite3_close(h);

    /* opening a current database changes nothing */
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_db_close(db);
    h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs WHERE status = 'completed'"), 2);
    sqlite3_close(h);
}
END_TEST

/* A comparison that names no run: refused by the foreign key, and no row left behind. */
START_TEST(begin_bad_comparison)
{
    const char *path = myl_test_tmp("badcmp.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_run_desc desc = desc_for(10);
    desc.comparison = 999;
    myl_db_run *r = NULL;
    int rc = myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, &r, NULL, &d);
    ck_assert_int_eq(rc, MYL_EDB);
    ck_assert_ptr_null(r);
    ck_assert(d.set);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    /* the database is still usable */
    myl_diag_clear(&d);
    desc.comparison = 0;
    int64_t id = 0;
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, &r, &id, &d), 0);
    expect e;
    expect_ticks(&e, 0);
    myl_run_totals tot = totals_for(&e);
    ck_assert_int_eq(myl_db_run_end(r, &tot, "completed", NULL, &d), 0);
    myl_db_close(db);
    sqlite3 *h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM populations"), NPOPS);
    ck_assert_int_eq(sq_int(h, "SELECT id FROM runs"), id);
    sqlite3_close(h);
}
END_TEST

/* ---- databases that are not ours ------------------------------------------------------- */

START_TEST(refuse_newer_version)
{
    const char *path = myl_test_tmp("newer.db");
    sqlite3 *h = sq_open(path);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE TABLE runs (id INTEGER); PRAGMA user_version = %d",
             MYL_DB_SCHEMA_VERSION + 1);
    sq_exec(h, sql);
    sqlite3_close(h);

    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(path, &db, &d);
    ck_assert_int_eq(rc, MYL_EDB);
    ck_assert_ptr_null(db);
    ck_assert(d.set);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    ck_assert_msg(strstr(d.msg, "newer"), "message does not say why: %s", d.msg);

    h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "PRAGMA user_version"), MYL_DB_SCHEMA_VERSION + 1);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM sqlite_master"), 1);
    sqlite3_close(h);
}
END_TEST

START_TEST(refuse_foreign_database)
{
    const char *path = myl_test_tmp("foreign.db");
    sqlite3 *h = sq_open(path);
    sq_exec(h, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);"
               "INSERT INTO photos (name) VALUES ('cat.jpg');");
    sqlite3_close(h);

    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(path, &db, &d);
    ck_assert_int_eq(rc, MYL_EDB);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    ck_assert_msg(strstr(d.msg, "not a myelin results database"), "unclear message: %s", d.msg);

    /* left as it was: no schema added, the data intact */
    h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "PRAGMA user_version"), 0);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM sqlite_master"), 1);
    ck_assert_str_eq(sq_text(h, "SELECT name FROM photos"), "cat.jpg");
    sqlite3_close(h);
}
END_TEST

START_TEST(refuse_non_sqlite_file)
{
    const char *path = myl_test_tmp("notes.txt");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 200; i++)
        fputs("these are my notes, not a database\n", f);
    fclose(f);
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), MYL_EDB);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
}
END_TEST

START_TEST(refuse_unopenable_path)
{
    myl_diag d = {0};
    myl_db *db = NULL;
    const char *path = myl_test_tmp("no/such/dir/x.db");
    ck_assert_int_eq(myl_db_open(path, &db, &d), MYL_EDB);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    ck_assert_ptr_nonnull(strstr(d.msg, "cannot open"));
}
END_TEST

START_TEST(api_edges)
{
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(NULL, &db, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_db_open(myl_test_tmp("x.db"), NULL, &d), MYL_EINVAL);
    myl_db_close(NULL);
    ck_assert_int_eq(myl_db_run_end(NULL, NULL, "failed", NULL, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_db_open(myl_test_tmp("edges.db"), &db, &d), 0);
    myl_db_run *r = NULL;
    myl_run_desc desc = desc_for(1);
    ck_assert_int_eq(myl_db_run_begin(NULL, &desc, g_pops, NPOPS, 0, &r, NULL, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_db_run_begin(db, NULL, g_pops, NPOPS, 0, &r, NULL, &d), MYL_EINVAL);
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, NULL, NULL, &d), MYL_EINVAL);
    ck_assert_ptr_null(r);
    /* a NULL diag is allowed, as everywhere */
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, &r, NULL, NULL), 0);
    myl_run_totals tot = {0};
    ck_assert_int_eq(myl_db_run_end(r, &tot, "completed", NULL, NULL), 0);
    myl_db_close(db);
}
END_TEST

/* ---- runs of dead processes ------------------------------------------------------------ */

static void insert_running(sqlite3 *h, const char *host, long long pid)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO runs (started_at, status, command, network, network_sha256, engine, seed,"
        " dt, ticks_planned, neurons, synapses, record, myelin_version, host, pid) VALUES"
        " ('2024-01-01T00:00:00Z', 'running', 'run', 'x.yaml', 'abc', 'event', 1, 0.001, 100,"
        " 10, 10, 'counts', '0.0.0', %Q, %lld)",
        host, pid);
    sq_exec(h, sql);
    sqlite3_free(sql);
}

START_TEST(dead_runs_marked_failed)
{
    const char *path = myl_test_tmp("dead.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_db_close(db);

    pid_t dead = dead_pid();
    sqlite3 *h = sq_open(path);
    insert_running(h, hostname(), dead);        /* 1: dead, here -> failed */
    insert_running(h, hostname(), getpid());    /* 2: alive, here -> still running */
    insert_running(h, "some-other-host", dead); /* 3: elsewhere: cannot tell -> running */
    insert_running(h, hostname(), getppid());   /* 4: alive (Check's runner or the shell) */
    sqlite3_close(h);

    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_db_close(db);
    h = sq_open(path);
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = 1"), "failed");
    ck_assert_msg(strstr(sq_text(h, "SELECT error FROM runs WHERE id = 1"), "without finishing"),
                  "error of a dead run: %s", sq_text(h, "SELECT error FROM runs WHERE id = 1"));
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = 2"), "running");
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = 3"), "running");
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = 4"), "running");
    sqlite3_close(h);
}
END_TEST

/* ---- processes that die in the middle of a run ------------------------------------------ */

/* In a child: open path, begin a recorded run, write ticks (n of them, or forever when n is 0)
 * and _exit without ending the run. */
static void child_run(const char *path, uint64_t n, int hw)
{
    myl_diag d = {0};
    myl_db *db = NULL;
    myl_db_run *r = NULL;
    myl_run_desc desc = desc_for(n ? n : 1000000000);
    if (hw)
        hw_desc(&desc);
    if (myl_db_open(path, &db, &d) || myl_db_run_begin(db, &desc, g_pops, NPOPS, 1, &r, NULL, &d))
        _exit(3);
    synth s;
    for (uint64_t t = 0; !n || t < n; t++) {
        synth_tick(&s, t);
        if (myl_db_run_tick(r, &s.r))
            _exit(5);
        myl_tick_cost c = synth_cost(t);
        if (hw && myl_db_run_tick_cost(r, t, &c))
            _exit(6);
    }
    _exit(0); /* no myl_db_run_end, no close: as if killed */
}

/* After a crash: the file opens, is consistent, the run is marked failed, and what it holds is
 * a prefix of whole batches: tick rows 0..ticks-1 and exactly their spikes and membrane. */
static void check_after_crash(const char *path, pid_t child)
{
    myl_diag d = {0};
    myl_db *db = NULL;
    int rc = myl_db_open(path, &db, &d);
    REQUIRE_MSG(rc == 0, "reopening after the crash: %s (%s)", myl_err_name(rc), d.msg);
    myl_db_close(db);

    sqlite3 *h = sq_open(path);
    check_integrity(h);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs"), 1);
    ck_assert_str_eq(sq_text(h, "SELECT status FROM runs WHERE id = 1"), "failed");
    ck_assert_int_eq(sq_int(h, "SELECT pid FROM runs WHERE id = 1"), child);
    ck_assert_str_ne(sq_text(h, "SELECT error FROM runs WHERE id = 1"), "<null>");
    ck_assert_str_eq(sq_text(h, "SELECT finished_at FROM runs WHERE id = 1"), "<null>");
    int64_t ticks = sq_int(h, "SELECT ticks FROM runs WHERE id = 1");
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM ticks WHERE run_id = 1"), ticks);
    if (ticks) {
        ck_assert_int_eq(sq_int(h, "SELECT max(tick) + 1 FROM ticks WHERE run_id = 1"), ticks);
        /* no spike or membrane row beyond the last whole tick, none missing before it */
        ck_assert_int_eq(sq_int(h, "SELECT max(tick) + 1 FROM membrane WHERE run_id = 1"), ticks);
        ck_assert_int_le(sq_int(h, "SELECT max(tick) + 1 FROM spikes WHERE run_id = 1"), ticks);
        expect e;
        expect_ticks(&e, (uint64_t)ticks);
        ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM spikes WHERE run_id = 1"),
                         (int64_t)e.nspk_rows);
        ck_assert_int_eq(sq_int(h, "SELECT sum(count) FROM spikes WHERE run_id = 1"),
                         (int64_t)e.spikes);
        ck_assert_int_eq(sq_int(h, "SELECT sum(spikes) FROM ticks WHERE run_id = 1"),
                         (int64_t)e.spikes);
        ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM membrane WHERE run_id = 1"),
                         (int64_t)e.nv_rows);
    }
    /* counts are written only at the end */
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM neuron_spikes"), 0);
    ck_assert_str_eq(sq_text(h, "SELECT spikes FROM populations WHERE run_id = 1 AND pop = 0"),
                     "<null>");
    sqlite3_close(h);

    /* and the database takes new runs */
    myl_run_desc desc = desc_for(100);
    int64_t id = do_run(path, &desc, 1, 100, "completed", NULL);
    ck_assert_int_eq(id, 2);
    h = sq_open(path);
    check_run(h, id, &desc, 1, 100, "completed", NULL);
    check_integrity(h);
    sqlite3_close(h);
}

START_TEST(crash_exit_mid_run)
{
    const char *path = myl_test_tmp("crash-exit.db");
    /* ~22 rows a tick: 30,000 ticks queue about ten batches; the process ends while the
     * writer is still busy with them */
    pid_t p = fork();
    ck_assert_int_ge(p, 0);
    if (p == 0)
        child_run(path, 30000, 0);
    int st = 0;
    ck_assert_int_eq(waitpid(p, &st, 0), p);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    check_after_crash(path, p);
}
END_TEST

/* Start a child writing a run into path for ever, wait until a few batches are committed, and
 * kill -9 it. Returns its pid. */
static pid_t run_and_kill(const char *path, int hw)
{
    pid_t p = fork();
    ck_assert_int_ge(p, 0);
    if (p == 0)
        child_run(path, 0, hw);
    int64_t ticks = 0;
    for (int i = 0; i < 1000 && ticks < 3 * BATCH / 22; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        sqlite3 *h = NULL;
        if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_busy_timeout(h, 1000);
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(h, "SELECT ticks FROM runs WHERE id = 1", -1, &q, NULL) ==
                    SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                ticks = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
        sqlite3_close(h);
    }
    ck_assert_int_eq(kill(p, SIGKILL), 0);
    int st = 0;
    ck_assert_int_eq(waitpid(p, &st, 0), p);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status %d", st);
    ck_assert_int_gt(ticks, 0);
    return p;
}

START_TEST(crash_sigkill_mid_run)
{
    const char *path = myl_test_tmp("crash-kill.db");
    pid_t p = run_and_kill(path, 0);
    check_after_crash(path, p);
}
END_TEST

START_TEST(crash_sigkill_hardware_run)
{
    const char *path = myl_test_tmp("crash-kill-hw.db");
    pid_t p = run_and_kill(path, 1);
    check_after_crash(path, p);
    /* the mapping was written with the run row; totals only at the end */
    sqlite3 *h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM cores WHERE run_id = 1"), NCORES);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM neuron_cores WHERE run_id = 1"), NNEUR);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM cores WHERE run_id = 1 AND access IS NULL"),
                     NCORES);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM energy WHERE run_id = 1"), 0);
    ck_assert_str_eq(sq_text(h, "SELECT energy_j FROM runs WHERE id = 1"), "<null>");
    /* costs of committed ticks only (a cost shares its tick's batch: hw_cost_shares_its_batch) */
    int64_t ticks = sq_int(h, "SELECT ticks FROM runs WHERE id = 1");
    ck_assert_int_le(sq_int(h, "SELECT count(*) FROM tick_costs WHERE run_id = 1"), ticks);
    ck_assert_int_ge(sq_int(h, "SELECT count(*) FROM tick_costs WHERE run_id = 1"), ticks - 1);
    ck_assert_int_le(sq_int(h, "SELECT ifnull(max(tick) + 1, 0) FROM tick_costs WHERE run_id = 1"),
                     ticks);
    sqlite3_close(h);
}
END_TEST

/* ---- allocation failure ---------------------------------------------------------------- */

/* Open, begin, n ticks, end, close with the n-th allocation failing: every step either works
 * or returns MYL_ENOMEM, a run that was begun is always ended (as the CLI does), and whatever
 * happened, the database stays consistent and holds no run still 'running'. */
START_TEST(alloc_fail_every_allocation)
{
    const uint64_t n = 3200; /* ~72,000 rows with spikes and costs: one batch handed over */
    const char *path = myl_test_tmp("alloc.db");
    expect e;
    expect_ticks(&e, n);
    ck_assert_uint_gt(n + e.nspk_rows + e.nv_rows, BATCH);
    myl_run_totals tot = totals_for(&e);
    hw_totals(&tot);
    myl_run_desc desc = desc_for(n);
    hw_desc(&desc); /* a hardware run: every kind of row */
    long total = -1;
    int nfail = 0;
    for (long k = 1; k < 10000; k++) {
        myl_diag d = {0};
        myl_db *db = NULL;
        myl_db_run *r = NULL;
        int64_t id = 0;
        int failed = 0;
        myl_test_fail_after(k);
        int rc = myl_db_open(path, &db, &d);
        if (rc) {
            REQUIRE_MSG(rc == MYL_ENOMEM, "open, allocation %ld: %s", k, myl_err_name(rc));
            failed = 1;
        }
        if (!failed && (rc = myl_db_run_begin(db, &desc, g_pops, NPOPS, 1, &r, &id, &d))) {
            REQUIRE_MSG(rc == MYL_ENOMEM, "begin, allocation %ld: %s", k, myl_err_name(rc));
            REQUIRE(r == NULL);
            failed = 1;
        }
        int tick_rc = 0;
        synth s;
        for (uint64_t t = 0; r && t < n && !tick_rc; t++) {
            synth_tick(&s, t);
            tick_rc = myl_db_run_tick(r, &s.r);
            myl_tick_cost c = synth_cost(t);
            if (!tick_rc)
                tick_rc = myl_db_run_tick_cost(r, t, &c);
        }
        if (tick_rc) {
            REQUIRE_MSG(tick_rc == MYL_ENOMEM, "tick, allocation %ld: %s", k,
                        myl_err_name(tick_rc));
            failed = 1;
        }
        if (r) {
            rc = myl_db_run_end(r, &tot, tick_rc ? "failed" : "completed",
                                tick_rc ? "out of memory" : NULL, &d);
            REQUIRE_MSG(rc == 0 || rc == MYL_ENOMEM, "end, allocation %ld: %s", k,
                        myl_err_name(rc));
            failed |= rc != 0;
        }
        myl_db_close(db);
        long made = myl_test_alloc_count();
        myl_test_fail_after(0);
        nfail += failed;
        if (!failed) {
            REQUIRE_MSG(made < k, "allocation %ld of %ld failed unnoticed", k, made);
            total = made;
            break;
        }
    }
    ck_assert_int_gt(total, 5);
    ck_assert_int_eq(nfail, total);

    sqlite3 *h = sq_open(path);
    check_integrity(h);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
    /* the last run, with nothing failing, is complete and exact */
    int64_t last = sq_int(h, "SELECT max(id) FROM runs");
    check_run(h, last, &desc, 1, n, "completed", NULL);
    /* runs whose ticks failed are marked failed, with the error given */
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM runs WHERE status = 'failed' AND"
                               " error IS NOT 'out of memory'"),
                     0);
    /* and hold whole ticks, but for the last one (see alloc_fail_whole_tick) */
    ck_assert_int_eq(sq_int(h,
                            "SELECT count(*) FROM runs r WHERE"
                            " (SELECT count(*) FROM ticks t WHERE t.run_id = r.id) NOT BETWEEN"
                            " (SELECT count(DISTINCT tick) FROM membrane m WHERE m.run_id = r.id)"
                            " AND 1 + "
                            " (SELECT count(DISTINCT tick) FROM membrane m WHERE m.run_id = r.id)"),
                     0);
    sqlite3_close(h);
}
END_TEST

/* ---- edges: each of these was a bug once ------------------------------------------------- */

/* myl_db_open switches a database to WAL before it checks that the database is one of ours, so
 * refusing someone else's database still changes its journal mode for good. */
START_TEST(refusal_keeps_journal_mode)
{
    const char *path = myl_test_tmp("foreign-journal.db");
    sqlite3 *h = sq_open(path);
    sq_exec(h, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);");
    ck_assert_str_eq(sq_text(h, "PRAGMA journal_mode"), "delete");
    sqlite3_close(h);
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), MYL_EDB);
    h = sq_open(path);
    ck_assert_str_eq(sq_text(h, "PRAGMA journal_mode"), "delete");
    sqlite3_close(h);
}
END_TEST

/* When myl_db_run_tick fails for want of memory, the tick's row has already been queued but its
 * spikes and membrane values have not: the database then holds a tick whose ticks.spikes says
 * it had spikes and no spikes rows for it. A failed tick should add nothing. */
START_TEST(alloc_fail_whole_tick)
{
    const char *path = myl_test_tmp("partial.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_run_desc desc = desc_for(10);
    myl_db_run *r = NULL;
    int64_t id = 0;
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 1, &r, &id, &d), 0);
    synth s;
    synth_tick(&s, 0);
    /* the first tick grows three arrays: let the first (tick rows) succeed, the second fail */
    myl_test_fail_after(2);
    int rc = myl_db_run_tick(r, &s.r);
    myl_test_fail_after(0);
    ck_assert_int_eq(rc, MYL_ENOMEM);
    myl_run_totals tot = {0};
    ck_assert_int_eq(myl_db_run_end(r, &tot, "failed", "out of memory", &d), 0);
    myl_db_close(db);
    sqlite3 *h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM spikes"), 0);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM ticks"), 0);
    sqlite3_close(h);
}
END_TEST

/* db.h says myl_db_run_tick_cost gives the cost of "the tick last given to myl_db_run_tick",
 * but myl_db_run_tick hands a full batch to the writer before that cost arrives, so the cost
 * lands in the next batch: a killed hardware run has ticks rows 0..ticks-1 but tick_costs only
 * up to ticks-2. (The CLI calls them the other way round, cost first, which avoids it.) */
START_TEST(hw_cost_shares_its_batch)
{
    const char *path = myl_test_tmp("lag.db");
    pid_t p = run_and_kill(path, 1);
    (void)p;
    sqlite3 *h = sq_open(path);
    ck_assert_int_eq(sq_int(h, "SELECT count(*) FROM tick_costs WHERE run_id = 1"),
                     sq_int(h, "SELECT ticks FROM runs WHERE id = 1"));
    sqlite3_close(h);
}
END_TEST

/* When the writer thread fails, the message says "writing results: not an error": write_batch
 * runs ROLLBACK before writer_main reads sqlite3_errmsg, and the ROLLBACK's success replaces
 * the real error. Here the real error is a NOT NULL constraint: SQLite stores a NaN as NULL. */
START_TEST(write_error_message)
{
    const char *path = myl_test_tmp("nan.db");
    myl_diag d = {0};
    myl_db *db = NULL;
    ck_assert_int_eq(myl_db_open(path, &db, &d), 0);
    myl_run_desc desc = desc_for(1);
    hw_desc(&desc);
    myl_db_run *r = NULL;
    ck_assert_int_eq(myl_db_run_begin(db, &desc, g_pops, NPOPS, 0, &r, NULL, &d), 0);
    synth s;
    synth_tick(&s, 0);
    myl_tick_cost c = synth_cost(0);
    c.latency = NAN;
    ck_assert_int_eq(myl_db_run_tick(r, &s.r), 0);
    ck_assert_int_eq(myl_db_run_tick_cost(r, 0, &c), 0);
    myl_run_totals tot = {0};
    ck_assert_int_eq(myl_db_run_end(r, &tot, "completed", NULL, &d), MYL_EDB);
    myl_db_close(db);
    ck_assert_msg(!strstr(d.msg, "not an error"), "unhelpful message: %s", d.msg);
}
END_TEST

/* Several processes opening a new file at once (a parameter sweep started in parallel): each
 * reads user_version 0 before taking the write lock, and all but the first then fail with
 * "cannot create the schema: table runs already exists". The version should be read again once
 * the lock is held. */
START_TEST(concurrent_create)
{
    enum { NCHILD = 6 };
    const char *path = myl_test_tmp("concurrent.db");
    int gate[2];
    ck_assert_int_eq(pipe(gate), 0);
    pid_t kids[NCHILD];
    for (int i = 0; i < NCHILD; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) < 0) /* returns 0 when the parent closes the pipe */
                _exit(2);
            myl_db *db = NULL;
            myl_diag d = {0};
            int rc = myl_db_open(path, &db, &d);
            if (rc)
                fprintf(stderr, "child %d: %s\n", i, d.msg);
            myl_db_close(db);
            _exit(rc ? 1 : 0);
        }
    }
    close(gate[0]);
    close(gate[1]); /* go */
    int nfailed = 0;
    for (int i = 0; i < NCHILD; i++) {
        int st = 0;
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        nfailed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ck_assert_int_eq(nfailed, 0);
}
END_TEST

static Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, schema_version_and_columns);
    tcase_add_test(tc, upgrade_from_v1);
    tcase_add_test(tc, upgrade_failure_rolls_back);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, run_recorded_exactly);
    tcase_add_test(tc, run_counts_only);
    tcase_add_test(tc, run_hardware);
    tcase_add_test(tc, run_no_ticks);
    tcase_add_test(tc, run_other_statuses);
    tcase_add_test(tc, run_bad_status);
    tcase_add_test(tc, reopen_and_two_runs);
    tcase_add_test(tc, begin_bad_comparison);
    suite_add_tcase(s, tc);

    tc = tcase_create("refuse");
    tcase_add_test(tc, refuse_newer_version);
    tcase_add_test(tc, refuse_foreign_database);
    tcase_add_test(tc, refuse_non_sqlite_file);
    tcase_add_test(tc, refuse_unopenable_path);
    tcase_add_test(tc, api_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("crash");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, dead_runs_marked_failed);
    tcase_add_test(tc, crash_exit_mid_run);
    tcase_add_test(tc, crash_sigkill_mid_run);
    tcase_add_test(tc, crash_sigkill_hardware_run);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, alloc_fail_every_allocation);
    suite_add_tcase(s, tc);

    tc = tcase_create("edges");
    tcase_add_test(tc, refusal_keeps_journal_mode);
    tcase_add_test(tc, alloc_fail_whole_tick);
    tcase_add_test(tc, concurrent_create);
    tcase_add_test(tc, hw_cost_shares_its_batch);
    tcase_add_test(tc, write_error_message);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return myl_test_run(db_suite());
}
