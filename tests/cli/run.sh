#!/bin/sh
# myelin run: --ticks, --seed, --db, --record, --duration, --engine, and what lands in the
# database: the same seed gives the same spikes, another seed other spikes, and the dense engine
# the same spikes as the event engine.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

net=$NETS/small.yaml

# run 1: recorded spikes
expect 0 run "$net" --ticks 150 --db r.db --seed 17 --record spikes
has out "cli-small, event engine, seed 17"
has out "results     r.db, run 1"
consistent r.db
eq "run 1" "$(sq r.db "SELECT status, command, engine, record, seed, ticks_planned, ticks,
    network FROM runs WHERE id = 1")" "completed|run|event|spikes|17|150|150|$net"
run_is_whole r.db 1 150
n=$(sq r.db "SELECT count(*) FROM spikes WHERE run_id = 1")
[ "$n" -gt 0 ] || fail "no spikes recorded"
eq "spikes rows vs total" "$(sq r.db "SELECT sum(count) FROM spikes WHERE run_id = 1")" \
    "$(sq r.db "SELECT spikes FROM runs WHERE id = 1")"
eq "spike ticks in range" "$(sq r.db "SELECT min(tick) >= 0, max(tick) < 150 FROM spikes")" "1|1"
eq "spike neurons in range" "$(sq r.db "SELECT min(neuron) >= 0, max(neuron) < 52 FROM spikes")" \
    "1|1"
# membrane: the two li readout neurons (50, 51), every tick
eq "membrane" "$(sq r.db "SELECT count(*), count(DISTINCT neuron), min(neuron), max(neuron),
    count(DISTINCT tick) FROM membrane WHERE run_id = 1")" "300|2|50|51|150"
# the li neurons never spike
eq "li spikes" "$(sq r.db "SELECT count(*) FROM spikes WHERE neuron >= 50")" 0

# run 2: the same seed again, identical
expect 0 run "$net" --ticks 150 --db r.db --seed 17 --record spikes --quiet
empty out
spikes_of r.db 1 >s1
spikes_of r.db 2 >s2
cmp -s s1 s2 || fail "the same seed gave different spikes"
counts_of r.db 1 >c1
counts_of r.db 2 >c2
cmp -s c1 c2 || fail "the same seed gave different counts"
eq "membrane, same seed" "$(sq r.db "SELECT count(*) FROM membrane a JOIN membrane b
    ON a.tick = b.tick AND a.neuron = b.neuron AND a.run_id = 1 AND b.run_id = 2
    WHERE a.v = b.v")" 300

# run 3: another seed, other spikes
expect 0 run "$net" --ticks 150 --db r.db --seed 18 --record spikes --quiet
spikes_of r.db 3 >s3
if cmp -s s1 s3; then fail "seeds 17 and 18 gave the same spikes"; fi
eq "seed" "$(sq r.db "SELECT seed FROM runs WHERE id = 3")" 18

# run 4: the dense engine, same spikes as run 1, every synapse looked at every tick
expect 0 run "$net" --ticks 150 --db r.db --seed 17 --record spikes --engine dense
has out "dense engine"
spikes_of r.db 4 >s4
cmp -s s1 s4 || fail "the dense engine's spikes differ from the event engine's"
counts_of r.db 4 >c4
cmp -s c1 c4 || fail "the dense engine's counts differ from the event engine's"
eq "dense" "$(sq r.db "SELECT engine, syn_evals = synapses * ticks FROM runs WHERE id = 4")" \
    "dense|1"
eq "syn_events, event vs dense" "$(sq r.db "SELECT a.syn_events = b.syn_events FROM runs a,
    runs b WHERE a.id = 1 AND b.id = 4")" 1

# run 5: counts only (the default): no spike or membrane rows, but the same counts
expect 0 run "$net" --ticks 150 --db r.db --seed 17 --quiet
eq "record" "$(sq r.db "SELECT record FROM runs WHERE id = 5")" counts
eq "rows" "$(sq r.db "SELECT count(*) FROM spikes WHERE run_id = 5")" 0
eq "rows" "$(sq r.db "SELECT count(*) FROM membrane WHERE run_id = 5")" 0
counts_of r.db 5 >c5
cmp -s c1 c5 || fail "--record counts changed the counts"
run_is_whole r.db 5 150

# without --ticks the file's duration (200 ticks) and seed (3)
expect 0 run "$net" --db r.db --quiet
eq "run 6" "$(sq r.db "SELECT ticks_planned, ticks, seed FROM runs WHERE id = 6")" "200|200|3"

# --duration: a time, converted with dt = 1 ms
expect 0 run "$net" --duration 20ms --db r.db --quiet
eq "--duration 20ms" "$(sq r.db "SELECT ticks FROM runs WHERE id = 7")" 20
expect 0 run "$net" --duration 0.03 --db r.db --quiet
eq "--duration 0.03" "$(sq r.db "SELECT ticks FROM runs WHERE id = 8")" 30

# parameters, weights and delays from .npy files
expect 0 run "$NETS/npy-thresholds.yaml" --db n.db --quiet
expect 0 run "$NETS/npy-weights.yaml" --db n.db --record spikes --quiet
eq "npy weights and delays" "$(sq n.db "SELECT group_concat(tick || ':' || neuron, ' ') FROM
    (SELECT tick, neuron FROM spikes WHERE run_id = 2 ORDER BY tick, neuron)")" "0:0 0:1 3:3"
# delays on half ticks round away from zero
expect 0 run "$NETS/half-delays.yaml" --db n.db --record spikes --quiet
eq "half delays" "$(sq n.db "SELECT group_concat(tick || ':' || neuron, ' ') FROM
    (SELECT tick, neuron FROM spikes WHERE run_id = 3 ORDER BY tick, neuron)")" "0:0 0:1 2:2 3:3"
consistent n.db

eq "statuses" "$(sq r.db "SELECT group_concat(DISTINCT status) FROM runs")" completed
# no hardware model: nothing of one recorded
eq "hardware columns" "$(sq r.db "SELECT count(*) FROM runs WHERE hw IS NOT NULL OR
    mapping IS NOT NULL OR cores IS NOT NULL OR chips IS NOT NULL OR energy_j IS NOT NULL OR
    chip_time_s IS NOT NULL OR mean_power_w IS NOT NULL")" 0
eq "hardware tables" "$(sq r.db "SELECT (SELECT count(*) FROM cores) +
    (SELECT count(*) FROM neuron_cores) + (SELECT count(*) FROM tick_costs) +
    (SELECT count(*) FROM energy)")" 0
eq "hosts and pids" "$(sq r.db "SELECT count(*) FROM runs WHERE host IS NULL OR pid IS NULL
    OR wall_s IS NULL OR build_s IS NULL OR peak_rss IS NULL OR finished_at < started_at")" 0
consistent r.db
