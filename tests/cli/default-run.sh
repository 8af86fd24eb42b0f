#!/bin/sh
# `myelin` with no arguments runs the built-in example (one simulated second of the balanced
# network) and records it in ./myelin.db: one completed run, every table filled in and whole.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

expect 0
has out "example-balanced"
has out "results     myelin.db, run 1"
[ -f myelin.db ] || fail "no ./myelin.db"
consistent myelin.db
version=$(sed -n 's/^#define MYL_DB_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$SRC/include/myelin/db.h")
eq "user_version" "$(sq myelin.db 'PRAGMA user_version')" "$version"
eq "journal_mode" "$(sq myelin.db 'PRAGMA journal_mode')" wal
eq "runs" "$(sq myelin.db "SELECT id, status, command, engine, record, network, network_name,
    seed, dt, ticks_planned, ticks, neurons, error IS NULL, finished_at IS NOT NULL,
    length(network_sha256) FROM runs")" \
    "1|completed|run|event|counts|<built-in example>|example-balanced|1|0.0001|10000|10000|\
2000|1|1|64"
eq "populations" "$(sq myelin.db "SELECT group_concat(name || ':' || model || ':' || size || ':' ||
    first_neuron, ' ') FROM (SELECT * FROM populations WHERE run_id = 1 ORDER BY pop)")" \
    "exc:lif:800:0 inh:lif:200:800 drive_e:poisson:800:1000 drive_i:poisson:200:1800"
run_is_whole myelin.db 1 10000
# counts only: no spikes or membrane rows
eq "spikes rows" "$(sq myelin.db 'SELECT count(*) FROM spikes')" 0
eq "membrane rows" "$(sq myelin.db 'SELECT count(*) FROM membrane')" 0
# the example fires: a few tens of Hz in exc
rate=$(sq myelin.db "SELECT CAST(spikes / 800.0 / 1.0 AS INTEGER) FROM populations
    WHERE run_id = 1 AND name = 'exc'")
if [ "$rate" -lt 5 ] || [ "$rate" -gt 200 ]; then fail "exc rate $rate Hz"; fi

# a second run appends run 2 to the same file; `myelin NET.yaml` and `myelin --ticks` mean run
expect 0 --ticks 100 --quiet
empty out
expect 0 "$EXAMPLE" --ticks 50 --quiet
eq "runs" "$(sq myelin.db "SELECT group_concat(id || ':' || ticks || ':' || status, ' ')
    FROM runs")" "1:10000:completed 2:100:completed 3:50:completed"
# the file and the built-in example are the same network
eq "sha256" "$(sq myelin.db "SELECT count(DISTINCT network_sha256) FROM runs")" 1
consistent myelin.db
