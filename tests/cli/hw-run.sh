#!/bin/sh
# myelin run --hw: a run mapped onto a hardware model records its mapping, a cost per tick and
# the energy by part, and the figures agree with each other however they are summed. An unknown
# model is a usage error that records nothing.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

net=$NETS/hw-small.yaml

expect 0 run "$net" --hw loihi --ticks 50 --db h.db --record spikes
has out "mapping     fill:"
consistent h.db
eq "run" "$(sq h.db "SELECT status, hw, mapping, cores > 0, chips, energy_j > 0,
    chip_time_s > 0, mean_power_w > 0 FROM runs WHERE id = 1")" "completed|loihi|fill|1|1|1|1|1"
run_is_whole h.db 1 50
# the mapping: every neuron on one of the run's cores, core numbers 0 .. cores-1
eq "cores" "$(sq h.db "SELECT count(*) = (SELECT cores FROM runs WHERE id = 1),
    min(core) = 0, max(core) = count(*) - 1, sum(neurons) = (SELECT neurons FROM runs
    WHERE id = 1) FROM cores WHERE run_id = 1")" "1|1|1|1"
eq "neuron_cores" "$(sq h.db "SELECT count(*) = (SELECT neurons FROM runs WHERE id = 1),
    count(DISTINCT neuron) = count(*),
    sum(core NOT IN (SELECT core FROM cores WHERE run_id = 1))
    FROM neuron_cores WHERE run_id = 1")" "1|1|0"
eq "neurons per core" "$(sq h.db "SELECT count(*) FROM cores c WHERE run_id = 1 AND neurons !=
    (SELECT count(*) FROM neuron_cores n WHERE n.run_id = 1 AND n.core = c.core)")" 0
# counts per core add up to the run's
eq "core counts" "$(sq h.db "SELECT sum(spikes) = (SELECT spikes FROM runs WHERE id = 1),
    sum(synops) = (SELECT syn_events FROM runs WHERE id = 1),
    sum(access) = (SELECT neurons * ticks FROM runs WHERE id = 1),
    sum(msg_in) = sum(msg_out), count(energy_j), count(busy_s)
    FROM cores WHERE run_id = 1")" "1|1|1|1|$(sq h.db "SELECT cores FROM runs WHERE id = 1")|\
$(sq h.db "SELECT cores FROM runs WHERE id = 1")"
# a cost for every tick; energy and time add up (to rounding)
eq "tick_costs" "$(sq h.db "SELECT count(*), min(tick), max(tick),
    abs(sum(energy_j) - (SELECT energy_j FROM runs WHERE id = 1)) < 1e-9 * sum(energy_j),
    abs(sum(latency_s) - (SELECT chip_time_s FROM runs WHERE id = 1)) < 1e-9 * sum(latency_s),
    sum(abs(latency_s - core_latency_s - net_latency_s - sync_latency_s) > 1e-9 * latency_s),
    sum(slowest_core NOT IN (SELECT core FROM cores WHERE run_id = 1))
    FROM tick_costs WHERE run_id = 1")" "50|0|49|1|1|0|0"
eq "energy parts" "$(sq h.db "SELECT group_concat(part, ',') FROM (SELECT part FROM energy
    WHERE run_id = 1 ORDER BY part)")" "network,neuron,spike,static,synapse"
eq "energy sum" "$(sq h.db "SELECT abs(sum(energy_j) - (SELECT energy_j FROM runs WHERE id = 1))
    < 1e-9 * sum(energy_j), min(energy_j) >= 0 FROM energy WHERE run_id = 1")" "1|1"
eq "mean power" "$(sq h.db "SELECT abs(mean_power_w - energy_j / chip_time_s)
    < 1e-9 * mean_power_w FROM runs WHERE id = 1")" 1

# the same network and seed without --hw: the same spikes
expect 0 run "$net" --ticks 50 --db h.db --record spikes --quiet
spikes_of h.db 1 >s1
spikes_of h.db 2 >s2
cmp -s s1 s2 || fail "--hw changed the spikes"
eq "plain run" "$(sq h.db "SELECT hw IS NULL AND mapping IS NULL AND energy_j IS NULL FROM runs
    WHERE id = 2")" 1

# another strategy and the dense engine
expect 0 run "$net" --hw loihi --strategy balance --engine dense --ticks 20 --db h.db --quiet
eq "run 3" "$(sq h.db "SELECT engine, mapping, status FROM runs WHERE id = 3")" \
    "dense|balance|completed"
eq "run 3 costs" "$(sq h.db "SELECT count(*) FROM tick_costs WHERE run_id = 3")" 20

# an unknown model: exit 2, the models that exist are named, nothing recorded
expect 2 run "$net" --hw nosuchchip --db h.db
has err "no hardware model 'nosuchchip'"
has err "loihi"
expect 2 run "$net" --hw nosuchchip --db new.db
[ ! -e new.db ] || fail "--hw nosuchchip created the database"
eq "runs" "$(sq h.db "SELECT count(*) FROM runs")" 3
consistent h.db

# A SANA-FE network file carries its own mapping: used by default, replaced by --strategy or
# --mapping (SANA-FE's example files are read from ../shared/data when it is there).
SF=$SRC/../shared/data/sanafe
if [ -f "$SF/example_snn.yaml" ] && [ -f "$SF/example_chip.yaml" ]; then
    expect 0 map "$SF/example_snn.yaml" --hw "$SF/example_chip.yaml" --db sf.db
    has out "mapping     explicit: 2 cores"
    expect 0 map "$SF/example_snn.yaml" --hw "$SF/example_chip.yaml" --strategy fill --db sf.db
    has out "mapping     fill: 1 core on 1 tile"
    expect 0 run "$SF/example_snn.yaml" --hw "$SF/example_chip.yaml" --strategy balance \
        --ticks 10 --db sf.db --quiet
    eq "sana-fe strategy" "$(sq sf.db "SELECT mapping FROM runs ORDER BY id DESC LIMIT 1")" \
        balance
fi
