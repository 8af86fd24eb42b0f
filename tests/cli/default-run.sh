#!/bin/sh
# `myelin` with no arguments runs its built-in network and records it in ./myelin.db in the
# working directory: one completed run, every table filled in and whole. The built-in network
# is one of the files in traces/ (the same bytes, so the same network_sha256).
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

expect 0
[ -f myelin.db ] || fail "no ./myelin.db"
consistent myelin.db
version=$(sed -n 's/^#define MYL_DB_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$SRC/include/myelin/db.h")
eq "user_version" "$(sq myelin.db 'PRAGMA user_version')" "$version"
eq "journal_mode" "$(sq myelin.db 'PRAGMA journal_mode')" wal
eq "runs" "$(sq myelin.db "SELECT count(*), min(id), min(status), min(command), min(record)
    FROM runs")" "1|1|completed|run|counts"
eq "run 1" "$(sq myelin.db "SELECT network LIKE '<built-in%>', length(network_name) > 0,
    ticks > 0, ticks <= ticks_planned, spikes > 0, error IS NULL, finished_at >= started_at,
    length(network_sha256) FROM runs WHERE id = 1")" "1|1|1|1|1|1|1|64"
has out "$(sq myelin.db "SELECT network_name FROM runs WHERE id = 1")"
has out "results     myelin.db, run 1"
ticks=$(sq myelin.db "SELECT ticks FROM runs WHERE id = 1")
run_is_whole myelin.db 1 "$ticks"
eq "populations" "$(sq myelin.db "SELECT sum(size) = (SELECT neurons FROM runs WHERE id = 1),
    min(pop), max(pop) + 1 = count(*), min(first_neuron)
    FROM populations WHERE run_id = 1")" "1|0|1|0"
# counts only: no spikes or membrane rows
eq "spikes rows" "$(sq myelin.db 'SELECT count(*) FROM spikes')" 0
eq "membrane rows" "$(sq myelin.db 'SELECT count(*) FROM membrane')" 0

# the built-in network is a file of traces/
sha=$(sq myelin.db "SELECT network_sha256 FROM runs WHERE id = 1")
found=
for f in "$SRC"/traces/*.yaml; do
    if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ]; then
        found=$f
    fi
done
[ -n "$found" ] || fail "the built-in network ($sha) is none of traces/*.yaml"

# a second run appends run 2 to the same file; `myelin --ticks N` and `myelin NET.yaml` mean run
expect 0 --ticks 100 --quiet
empty out
expect 0 "$EXAMPLE" --ticks 50 --quiet
eq "runs" "$(sq myelin.db "SELECT group_concat(id || ':' || ticks_planned || ':' || status, ' ')
    FROM runs")" "1:$(sq myelin.db "SELECT ticks_planned FROM runs WHERE id = 1"):completed \
2:100:completed 3:50:completed"
eq "run 3" "$(sq myelin.db "SELECT network, network_name, ticks FROM runs WHERE id = 3")" \
    "$EXAMPLE|example-balanced|50"
consistent myelin.db
