/* Results database (see db.h). The schema lives in this file as SQL text, one step per
 * version; docs/results-schema.md explains it table by table.
 *
 * Threads: the simulation thread only fills batches (plain arrays) and queues them; the writer
 * thread owns the connection between myl_db_run_begin and myl_db_run_end and is the only one to
 * touch it then. A batch is one transaction, so a run killed at any moment leaves whole batches.
 */
#include "myelin/db.h"

#include "myelin/alloc.h"
#include "myl_config.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define BATCH_ROWS 65536 /* rows per transaction, about */
#define QUEUE_MAX 32     /* batches waiting before the simulation waits */

struct myl_db {
    sqlite3 *h;
    char *path;
};

static const char *const g_schema[] = {
    /* version 1 */
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
    "CREATE INDEX membrane_by_run_neuron ON membrane(run_id, neuron, tick);",
    /* version 2: runs on hardware models */
    "ALTER TABLE runs ADD COLUMN mapping TEXT;"
    "ALTER TABLE runs ADD COLUMN cores INTEGER;"
    "ALTER TABLE runs ADD COLUMN chips INTEGER;"
    "ALTER TABLE runs ADD COLUMN energy_j REAL;"
    "ALTER TABLE runs ADD COLUMN chip_time_s REAL;"
    "ALTER TABLE runs ADD COLUMN mean_power_w REAL;"
    "CREATE TABLE cores ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  core INTEGER NOT NULL,"
    "  chip INTEGER NOT NULL, tile_x INTEGER NOT NULL, tile_y INTEGER NOT NULL,"
    "  slot INTEGER NOT NULL,"
    "  neurons INTEGER NOT NULL, synapses INTEGER NOT NULL, syn_bits INTEGER NOT NULL,"
    "  axons_in INTEGER NOT NULL, axons_out INTEGER NOT NULL, max_fanin INTEGER NOT NULL,"
    "  access INTEGER, updates INTEGER, spikes INTEGER, synops INTEGER,"
    "  msg_in INTEGER, msg_out INTEGER,"
    "  hop_n INTEGER, hop_e INTEGER, hop_s INTEGER, hop_w INTEGER, chip_hops INTEGER,"
    "  energy_j REAL, busy_s REAL,"
    "  PRIMARY KEY (run_id, core)"
    ") WITHOUT ROWID;"
    "CREATE TABLE neuron_cores ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  neuron INTEGER NOT NULL,"
    "  core INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, neuron)"
    ") WITHOUT ROWID;"
    "CREATE TABLE tick_costs ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  tick INTEGER NOT NULL,"
    "  energy_j REAL NOT NULL,"
    "  latency_s REAL NOT NULL,"
    "  core_latency_s REAL NOT NULL, net_latency_s REAL NOT NULL, sync_latency_s REAL NOT NULL,"
    "  slowest_core INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, tick)"
    ") WITHOUT ROWID;"
    "CREATE TABLE energy ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  part TEXT NOT NULL,"
    "  energy_j REAL NOT NULL,"
    "  PRIMARY KEY (run_id, part)"
    ") WITHOUT ROWID;",
};
#define NSCHEMA ((int)(sizeof g_schema / sizeof g_schema[0]))

static int db_fail(myl_db *db, myl_diag *d, const char *what)
{
    return myl_diag_fail(d, MYL_EDB, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static int exec(myl_db *db, const char *sql, myl_diag *d, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
        int rc = myl_diag_fail(d, MYL_EDB, "%s: %s: %s", db->path, what, err ? err : "?");
        sqlite3_free(err);
        return rc;
    }
    return 0;
}

/* Switching a new file to WAL needs a moment alone with it. When several processes open the
 * same new file at once, SQLite can answer SQLITE_BUSY here without calling the busy handler
 * (it will not wait while it holds a shared lock another writer waits on), so retry for as
 * long as the busy timeout would have waited. */
static int set_wal(myl_db *db, myl_diag *d)
{
    /* each try waits at most 10 ms on the lock itself, so that 1000 tries are about 10 s */
    sqlite3_busy_timeout(db->h, 10);
    int rc = 0;
    for (int tries = 0;; tries++) {
        char *err = NULL;
        int e = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                             NULL, NULL, &err);
        if (e == SQLITE_OK)
            break;
        if ((e & 0xff) != SQLITE_BUSY && (e & 0xff) != SQLITE_LOCKED) {
            rc = myl_diag_fail(d, MYL_EDB, "%s: cannot configure the database: %s", db->path,
                               err ? err : "?");
            sqlite3_free(err);
            break;
        }
        sqlite3_free(err);
        if (tries == 1000) {
            rc = myl_diag_fail(d, MYL_EDB,
                               "%s: cannot configure the database: still locked by another "
                               "process after 10 s",
                               db->path);
            break;
        }
        sqlite3_sleep(5);
    }
    sqlite3_busy_timeout(db->h, 10000);
    return rc;
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs left 'running' by a process of this host that no longer exists. */
static int mark_dead_runs(myl_db *db, myl_diag *d)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    sqlite3_stmt *q = NULL, *u = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->h,
                           "UPDATE runs SET status = 'failed', error = 'the process ended "
                           "without finishing the run (killed?)' WHERE id = ?",
                           -1, &u, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return db_fail(db, d, "cannot check for unfinished runs");
    }
    sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) {
        pid_t pid = (pid_t)sqlite3_column_int64(q, 1);
        if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
            sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
            sqlite3_step(u);
            sqlite3_reset(u);
        }
    }
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    return 0;
}

int myl_db_open(const char *path, myl_db **out, myl_diag *d)
{
    if (!path || !out)
        return MYL_EINVAL;
    myl_db *db = myl_calloc(1, sizeof *db);
    if (!db || !(db->path = myl_strdup(path))) {
        myl_free(db);
        return MYL_ENOMEM;
    }
    int rc;
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = myl_diag_fail(d, MYL_EDB, "%s: cannot open the results database: %s", path,
                           db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(db->h, 10000);
    sqlite3_extended_result_codes(db->h, 1);
    if ((rc = exec(db, "PRAGMA foreign_keys = ON", d, "cannot configure the database")))
        goto fail;
    /* Look and upgrade under the write lock, so that runs started together on a new file do
     * not race to create the schema, and change nothing in a file we refuse. */
    if ((rc = exec(db, "BEGIN IMMEDIATE", d, "cannot lock the database")))
        goto fail;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "not a results database");
        goto rollback;
    }
    int ver = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (ver > NSCHEMA) {
        rc = myl_diag_fail(d, MYL_EDB,
                           "%s: schema version %d was written by a newer myelin (this one "
                           "knows up to %d)",
                           path, ver, NSCHEMA);
        goto rollback;
    }
    if (ver == 0) {
        /* a new file, or someone else's database: only take over an empty one */
        if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) !=
            SQLITE_OK) {
            rc = db_fail(db, d, "not a results database");
            goto rollback;
        }
        int nobj = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (nobj) {
            rc = myl_diag_fail(d, MYL_EDB,
                               "%s: holds tables but no myelin schema version; not a myelin "
                               "results database",
                               path);
            goto rollback;
        }
    }
    for (int v = ver; v < NSCHEMA; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if ((rc = exec(db, g_schema[v], d, "cannot create the schema")) ||
            (rc = exec(db, sql, d, "cannot set the schema version")))
            goto rollback;
    }
    if ((rc = exec(db, "COMMIT", d, "cannot upgrade the schema")))
        goto rollback;
    /* WAL: readers (a notebook, sqlite3) do not block a running simulation, and a killed
     * process leaves the last committed transaction intact */
    if ((rc = set_wal(db, d)))
        goto fail;
    if ((rc = mark_dead_runs(db, d)))
        goto fail;
    *out = db;
    return 0;
rollback:
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
fail:
    myl_db_close(db);
    return rc;
}

void myl_db_close(myl_db *db)
{
    if (!db)
        return;
    sqlite3_close(db->h);
    myl_free(db->path);
    myl_free(db);
}

const char *myl_db_path(const myl_db *db)
{
    return db->path;
}

/* ---- a run ------------------------------------------------------------------------------- */

typedef struct tick_row {
    uint64_t tick, spikes, syn_events, active;
} tick_row;

typedef struct spike_row {
    uint64_t tick;
    uint32_t neuron;
    uint32_t count;
} spike_row;

typedef struct v_row {
    uint64_t tick;
    uint32_t neuron;
    float v;
} v_row;

typedef struct cost_row {
    uint64_t tick;
    myl_tick_cost c;
} cost_row;

typedef struct batch {
    tick_row *t;
    size_t nt, capt;
    cost_row *c;
    size_t nc, capc;
    spike_row *s;
    size_t ns, caps;
    v_row *v;
    size_t nv, capv;
    struct batch *next;
} batch;

struct myl_db_run {
    myl_db *db;
    int64_t id;
    int record;
    uint64_t nneurons;
    uint32_t npops;
    uint64_t *pop_first;
    batch *cur;
    /* queue, guarded by mu */
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t work, space;
    batch *head, *tail;
    int nqueued;
    int closing;
    int err;
    char errmsg[512];
    sqlite3_stmt *ins_tick, *ins_spike, *ins_v, *ins_cost;
    uint32_t ncores;
};

static void batch_free(batch *b)
{
    if (!b)
        return;
    myl_free(b->t);
    myl_free(b->c);
    myl_free(b->s);
    myl_free(b->v);
    myl_free(b);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = myl_reallocarray(*p, c, size);
    if (!q)
        return MYL_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static int write_batch(myl_db_run *r, batch *b)
{
    sqlite3 *h = r->db->h;
    if (sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    int rc = SQLITE_OK;
    for (size_t i = 0; i < b->nt && rc == SQLITE_OK; i++) {
        sqlite3_stmt *q = r->ins_tick;
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)b->t[i].tick);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)b->t[i].spikes);
        sqlite3_bind_int64(q, 4, (sqlite3_int64)b->t[i].syn_events);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)b->t[i].active);
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(q);
    }
    for (size_t i = 0; i < b->ns && rc == SQLITE_OK; i++) {
        sqlite3_stmt *q = r->ins_spike;
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)b->s[i].tick);
        sqlite3_bind_int64(q, 3, b->s[i].neuron);
        sqlite3_bind_int64(q, 4, b->s[i].count);
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(q);
    }
    for (size_t i = 0; i < b->nc && rc == SQLITE_OK; i++) {
        sqlite3_stmt *q = r->ins_cost;
        const myl_tick_cost *c = &b->c[i].c;
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)b->c[i].tick);
        sqlite3_bind_double(q, 3, c->energy);
        sqlite3_bind_double(q, 4, c->latency);
        sqlite3_bind_double(q, 5, c->core_latency);
        sqlite3_bind_double(q, 6, c->net_latency);
        sqlite3_bind_double(q, 7, c->sync_latency);
        sqlite3_bind_int64(q, 8, c->slowest_core);
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(q);
    }
    for (size_t i = 0; i < b->nv && rc == SQLITE_OK; i++) {
        sqlite3_stmt *q = r->ins_v;
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)b->v[i].tick);
        sqlite3_bind_int64(q, 3, b->v[i].neuron);
        sqlite3_bind_double(q, 4, b->v[i].v);
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(q);
    }
    if (rc == SQLITE_OK && b->nt) {
        /* progress, so a reader sees how far a long run has got */
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE runs SET ticks = %llu WHERE id = %lld",
                 (unsigned long long)(b->t[b->nt - 1].tick + 1), (long long)r->id);
        rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        /* keep SQLite's reason: ROLLBACK would replace it */
        snprintf(r->errmsg, sizeof r->errmsg, "%s: writing results: %s", r->db->path,
                 sqlite3_errmsg(h));
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

static void writer_main(void *arg)
{
    myl_db_run *r = arg;
    for (;;) {
        uv_mutex_lock(&r->mu);
        while (!r->head && !r->closing)
            uv_cond_wait(&r->work, &r->mu);
        batch *b = r->head;
        if (b) {
            r->head = b->next;
            if (!r->head)
                r->tail = NULL;
            r->nqueued--;
            uv_cond_signal(&r->space);
        }
        int stop = !b && r->closing;
        int failed = r->err;
        uv_mutex_unlock(&r->mu);
        if (stop)
            return;
        if (!failed && write_batch(r, b) != SQLITE_OK) {
            uv_mutex_lock(&r->mu);
            r->err = MYL_EDB; /* write_batch left the message in r->errmsg */
            uv_mutex_unlock(&r->mu);
        }
        batch_free(b);
    }
}

static void run_free(myl_db_run *r)
{
    sqlite3_finalize(r->ins_tick);
    sqlite3_finalize(r->ins_spike);
    sqlite3_finalize(r->ins_v);
    sqlite3_finalize(r->ins_cost);
    myl_free(r->pop_first);
    batch_free(r->cur);
    myl_free(r);
}

/* The mapping of a hardware run, inside the transaction that creates the run. */
static int write_mapping(myl_db_run *r, const myl_run_desc *desc, myl_diag *d)
{
    sqlite3 *h = r->db->h;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(h,
                           "INSERT INTO cores (run_id, core, chip, tile_x, tile_y, slot, neurons,"
                           " synapses, syn_bits, axons_in, axons_out, max_fanin)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(r->db, d, "cannot record the mapping");
    for (uint32_t c = 0; c < desc->ncores; c++) {
        const myl_db_core *k = &desc->cores[c];
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, c);
        sqlite3_bind_int64(q, 3, k->chip);
        sqlite3_bind_int64(q, 4, k->tile_x);
        sqlite3_bind_int64(q, 5, k->tile_y);
        sqlite3_bind_int64(q, 6, k->slot);
        sqlite3_bind_int64(q, 7, k->neurons);
        sqlite3_bind_int64(q, 8, (sqlite3_int64)k->synapses);
        sqlite3_bind_int64(q, 9, (sqlite3_int64)k->syn_bits);
        sqlite3_bind_int64(q, 10, k->axons_in);
        sqlite3_bind_int64(q, 11, k->axons_out);
        sqlite3_bind_int64(q, 12, k->max_fanin);
        if (sqlite3_step(q) != SQLITE_DONE) {
            sqlite3_finalize(q);
            return db_fail(r->db, d, "cannot record the mapping");
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    if (!desc->neuron_core)
        return 0;
    if (sqlite3_prepare_v2(h, "INSERT INTO neuron_cores VALUES (?, ?, ?)", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(r->db, d, "cannot record the mapping");
    for (uint64_t g = 0; g < desc->neurons; g++) {
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)g);
        sqlite3_bind_int64(q, 3, desc->neuron_core[g]);
        if (sqlite3_step(q) != SQLITE_DONE) {
            sqlite3_finalize(q);
            return db_fail(r->db, d, "cannot record the mapping");
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return 0;
}

/* Per-core counters and the energy breakdown at the end of a hardware run. */
static int write_hw_totals(myl_db_run *r, const myl_run_totals *tot)
{
    sqlite3 *h = r->db->h;
    sqlite3_stmt *q = NULL;
    int ok = sqlite3_prepare_v2(h,
                                "UPDATE cores SET access = ?, updates = ?, spikes = ?, synops = ?,"
                                " msg_in = ?, msg_out = ?, hop_n = ?, hop_e = ?, hop_s = ?,"
                                " hop_w = ?, chip_hops = ?, energy_j = ?, busy_s = ?"
                                " WHERE run_id = ? AND core = ?",
                                -1, &q, NULL) == SQLITE_OK;
    for (uint32_t c = 0; ok && tot->core && c < r->ncores; c++) {
        const myl_core_counts *k = &tot->core[c];
        const uint64_t v[11] = {k->access, k->update, k->spike, k->synop, k->msg_in, k->msg_out,
                                k->hop_n,  k->hop_e,  k->hop_s, k->hop_w, k->chip};
        for (int i = 0; i < 11; i++)
            sqlite3_bind_int64(q, i + 1, (sqlite3_int64)v[i]);
        sqlite3_bind_double(q, 12, k->energy);
        sqlite3_bind_double(q, 13, k->busy);
        sqlite3_bind_int64(q, 14, r->id);
        sqlite3_bind_int64(q, 15, c);
        ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    q = NULL;
    ok = ok && sqlite3_prepare_v2(h, "INSERT INTO energy VALUES (?, ?, ?)", -1, &q, NULL) ==
                   SQLITE_OK;
    for (int p = 0; ok && p < MYL_E_PARTS; p++) {
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_text(q, 2, myl_energy_part_name(p), -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 3, tot->part[p]);
        ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    q = NULL;
    ok = ok && sqlite3_prepare_v2(h,
                                  "UPDATE runs SET energy_j = ?, chip_time_s = ?, "
                                  "mean_power_w = ? WHERE id = ?",
                                  -1, &q, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_double(q, 1, tot->energy);
        sqlite3_bind_double(q, 2, tot->chip_time);
        sqlite3_bind_double(q, 3, tot->mean_power);
        sqlite3_bind_int64(q, 4, r->id);
        ok = sqlite3_step(q) == SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return ok ? 0 : MYL_EDB;
}

int myl_db_run_begin(myl_db *db, const myl_run_desc *desc, const myl_run_pop *pops,
                     uint32_t npops, int record_spikes, myl_db_run **out, int64_t *run_id,
                     myl_diag *d)
{
    if (!db || !desc || !out)
        return MYL_EINVAL;
    myl_db_run *r = myl_calloc(1, sizeof *r);
    if (!r)
        return MYL_ENOMEM;
    r->db = db;
    r->record = record_spikes;
    r->nneurons = desc->neurons;
    r->npops = npops;
    r->pop_first = myl_calloc(npops + 1, sizeof *r->pop_first);
    r->cur = myl_calloc(1, sizeof *r->cur);
    if (!r->pop_first || !r->cur) {
        run_free(r);
        return MYL_ENOMEM;
    }
    for (uint32_t i = 0; i < npops; i++)
        r->pop_first[i] = pops[i].first;
    r->pop_first[npops] = desc->neurons;

    char now[32], host[256] = "";
    iso_now(now, sizeof now);
    gethostname(host, sizeof host - 1);
    sqlite3 *h = db->h;
    sqlite3_stmt *q = NULL;
    int rc = 0;
    if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "cannot start a transaction");
        run_free(r);
        return rc;
    }
    if (sqlite3_prepare_v2(
            h,
            "INSERT INTO runs (started_at, status, command, comparison, network, network_name,"
            " network_sha256, engine, hw, seed, dt, ticks_planned, neurons, synapses, build_s,"
            " record, myelin_version, host, pid, mapping, cores, chips)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            -1, &q, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "cannot record the run");
        goto fail;
    }
    sqlite3_bind_text(q, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, desc->command, -1, SQLITE_STATIC);
    if (desc->comparison)
        sqlite3_bind_int64(q, 3, desc->comparison);
    sqlite3_bind_text(q, 4, desc->network, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, desc->network_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, desc->network_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, desc->engine, -1, SQLITE_STATIC);
    if (desc->hw)
        sqlite3_bind_text(q, 8, desc->hw, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 9, (sqlite3_int64)desc->seed);
    sqlite3_bind_double(q, 10, desc->dt);
    sqlite3_bind_int64(q, 11, (sqlite3_int64)desc->ticks);
    sqlite3_bind_int64(q, 12, (sqlite3_int64)desc->neurons);
    sqlite3_bind_int64(q, 13, (sqlite3_int64)desc->synapses);
    sqlite3_bind_double(q, 14, desc->build_s);
    sqlite3_bind_text(q, 15, record_spikes ? "spikes" : "counts", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 16, MYL_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 17, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 18, (sqlite3_int64)getpid());
    if (desc->mapping) {
        sqlite3_bind_text(q, 19, desc->mapping, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 20, desc->ncores);
        sqlite3_bind_int64(q, 21, desc->nchips);
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(db, d, "cannot record the run");
        goto fail;
    }
    sqlite3_finalize(q);
    q = NULL;
    r->id = sqlite3_last_insert_rowid(h);
    if (sqlite3_prepare_v2(h,
                           "INSERT INTO populations (run_id, pop, name, model, size, "
                           "first_neuron) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "cannot record populations");
        goto fail;
    }
    for (uint32_t i = 0; i < npops; i++) {
        sqlite3_bind_int64(q, 1, r->id);
        sqlite3_bind_int64(q, 2, i);
        sqlite3_bind_text(q, 3, pops[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, pops[i].model, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, pops[i].size);
        sqlite3_bind_int64(q, 6, (sqlite3_int64)pops[i].first);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = db_fail(db, d, "cannot record populations");
            goto fail;
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (desc->cores && (rc = write_mapping(r, desc, d)))
        goto fail;
    r->ncores = desc->cores ? desc->ncores : 0;
    if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "cannot record the run");
        goto fail;
    }
    if (sqlite3_prepare_v2(h, "INSERT INTO ticks VALUES (?, ?, ?, ?, ?)", -1, &r->ins_tick,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "INSERT INTO spikes VALUES (?, ?, ?, ?)", -1, &r->ins_spike,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "INSERT INTO membrane VALUES (?, ?, ?, ?)", -1, &r->ins_v,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "INSERT INTO tick_costs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                           &r->ins_cost, NULL) != SQLITE_OK) {
        rc = db_fail(db, d, "cannot prepare statements");
        /* the run row exists: mark it failed rather than leave it 'running' */
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE runs SET status = 'failed' WHERE id = %lld",
                 (long long)r->id);
        sqlite3_exec(h, sql, NULL, NULL, NULL);
        run_free(r);
        return rc;
    }
    if (uv_mutex_init(&r->mu) || uv_cond_init(&r->work) || uv_cond_init(&r->space) ||
        uv_thread_create(&r->thread, writer_main, r)) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "UPDATE runs SET status = 'failed', error = 'no writer thread' WHERE id = %lld",
                 (long long)r->id);
        sqlite3_exec(h, sql, NULL, NULL, NULL);
        run_free(r);
        return myl_diag_fail(d, MYL_ENOMEM, "cannot start the database writer thread");
    }
    *out = r;
    if (run_id)
        *run_id = r->id;
    return 0;
fail:
    sqlite3_finalize(q);
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    run_free(r);
    return rc;
}

static int enqueue(myl_db_run *r, batch *b)
{
    uv_mutex_lock(&r->mu);
    while (r->nqueued >= QUEUE_MAX && !r->err)
        uv_cond_wait(&r->space, &r->mu);
    int err = r->err;
    if (!err) {
        if (r->tail)
            r->tail->next = b;
        else
            r->head = b;
        r->tail = b;
        r->nqueued++;
        uv_cond_signal(&r->work);
    }
    uv_mutex_unlock(&r->mu);
    if (err)
        batch_free(b);
    return err;
}

int myl_db_run_tick(myl_db_run *r, const myl_tick_report *t)
{
    if (!r || !t)
        return MYL_EINVAL;
    batch *b = r->cur;
    if (b->nt + b->ns + b->nv + b->nc >= BATCH_ROWS) {
        /* a full batch goes before this tick starts the next */
        batch *nb = myl_calloc(1, sizeof *nb);
        if (!nb)
            return MYL_ENOMEM;
        int rc = enqueue(r, b);
        r->cur = b = nb;
        if (rc)
            return rc;
    }
    /* make room for everything first: a tick is recorded whole or not at all */
    if (grow((void **)&b->t, &b->capt, b->nt + 1, sizeof *b->t) ||
        (r->record && (grow((void **)&b->s, &b->caps, b->ns + t->nspiking, sizeof *b->s) ||
                       grow((void **)&b->v, &b->capv, b->nv + t->nv, sizeof *b->v))))
        return MYL_ENOMEM;
    b->t[b->nt++] = (tick_row){t->tick, t->spikes, t->syn_events, t->active};
    if (r->record) {
        for (uint32_t i = 0; i < t->nspiking; i++)
            b->s[b->ns++] = (spike_row){t->tick, t->spike[i], t->count[i]};
        for (uint32_t i = 0; i < t->nv; i++)
            b->v[b->nv++] = (v_row){t->tick, t->v_gid[i], t->v[i]};
    }
    return 0;
}

int myl_db_run_tick_cost(myl_db_run *r, uint64_t tick, const myl_tick_cost *c)
{
    batch *b = r->cur;
    if (grow((void **)&b->c, &b->capc, b->nc + 1, sizeof *b->c))
        return MYL_ENOMEM;
    b->c[b->nc++] = (cost_row){tick, *c};
    return 0;
}

int myl_db_run_end(myl_db_run *r, const myl_run_totals *tot, const char *status,
                   const char *error, myl_diag *d)
{
    if (!r)
        return MYL_EINVAL;
    static const myl_run_totals none;
    if (!tot)
        tot = &none;
    int rc = 0;
    batch *b = r->cur;
    r->cur = NULL;
    if (b && (b->nt || b->ns || b->nv || b->nc))
        rc = enqueue(r, b);
    else
        batch_free(b);
    uv_mutex_lock(&r->mu);
    r->closing = 1;
    uv_cond_signal(&r->work);
    uv_mutex_unlock(&r->mu);
    uv_thread_join(&r->thread);
    uv_cond_destroy(&r->work);
    uv_cond_destroy(&r->space);
    uv_mutex_destroy(&r->mu);

    char errbuf[1024];
    if (r->err) {
        rc = myl_diag_fail(d, r->err, "%s", r->errmsg);
        status = "failed";
        snprintf(errbuf, sizeof errbuf, "%s%s%s", error ? error : "", error ? "; " : "",
                 r->errmsg);
        error = errbuf;
    }
    /* counts and totals: one last transaction */
    sqlite3 *h = r->db->h;
    sqlite3_stmt *q = NULL;
    const uint64_t *nspk = tot->neuron_spikes;
    int ok = sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if (ok && sqlite3_prepare_v2(h, "INSERT INTO neuron_spikes VALUES (?, ?, ?)", -1, &q, NULL) ==
                  SQLITE_OK) {
        for (uint64_t i = 0; nspk && i < r->nneurons && ok; i++) {
            if (!nspk[i])
                continue;
            sqlite3_bind_int64(q, 1, r->id);
            sqlite3_bind_int64(q, 2, (sqlite3_int64)i);
            sqlite3_bind_int64(q, 3, (sqlite3_int64)nspk[i]);
            ok = sqlite3_step(q) == SQLITE_DONE;
            sqlite3_reset(q);
        }
    } else {
        ok = 0;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (ok && sqlite3_prepare_v2(h, "UPDATE populations SET spikes = ? WHERE run_id = ? AND pop = ?",
                                 -1, &q, NULL) == SQLITE_OK) {
        for (uint32_t p = 0; nspk && p < r->npops && ok; p++) {
            uint64_t sum = 0;
            for (uint64_t i = r->pop_first[p]; i < r->pop_first[p + 1] && i < r->nneurons; i++)
                sum += nspk[i];
            sqlite3_bind_int64(q, 1, (sqlite3_int64)sum);
            sqlite3_bind_int64(q, 2, r->id);
            sqlite3_bind_int64(q, 3, p);
            ok = sqlite3_step(q) == SQLITE_DONE;
            sqlite3_reset(q);
        }
    } else {
        ok = 0;
    }
    sqlite3_finalize(q);
    q = NULL;
    char now[32];
    iso_now(now, sizeof now);
    if (ok && sqlite3_prepare_v2(h,
                                 "UPDATE runs SET finished_at = ?, status = ?, error = ?, "
                                 "ticks = ?, spikes = ?, syn_events = ?, syn_evals = ?, "
                                 "neuron_updates = ?, wall_s = ?, peak_rss = ?, "
                                 "input_events = ? WHERE id = ?",
                                 -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
        if (error)
            sqlite3_bind_text(q, 3, error, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 4, (sqlite3_int64)tot->ticks);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)tot->spikes);
        sqlite3_bind_int64(q, 6, (sqlite3_int64)tot->syn_events);
        sqlite3_bind_int64(q, 7, (sqlite3_int64)tot->syn_evals);
        sqlite3_bind_int64(q, 8, (sqlite3_int64)tot->updates);
        sqlite3_bind_double(q, 9, tot->wall_s);
        sqlite3_bind_int64(q, 10, (sqlite3_int64)tot->peak_rss);
        sqlite3_bind_int64(q, 11, (sqlite3_int64)tot->input_events);
        sqlite3_bind_int64(q, 12, r->id);
        ok = sqlite3_step(q) == SQLITE_DONE;
    } else {
        ok = 0;
    }
    sqlite3_finalize(q);
    if (ok && tot->have_hw)
        ok = write_hw_totals(r, tot) == 0;
    if (ok)
        ok = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        if (!rc)
            rc = db_fail(r->db, d, "cannot record the run's results");
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
        char sql[160];
        snprintf(sql, sizeof sql,
                 "UPDATE runs SET status = 'failed', error = 'results incomplete' WHERE id = %lld",
                 (long long)r->id);
        sqlite3_exec(h, sql, NULL, NULL, NULL);
    }
    run_free(r);
    return rc;
}
