#!/bin/sh
# myelin compare: the event and dense engines agree on the built-in example and on a network
# with long delays; both runs are recorded, the dense one pointing at the event one.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

expect 0 compare "$EXAMPLE" --ticks 1000 --db c.db
has out "identical"
has out "The two engines produced identical spikes"
hasnt out "DISAGREE"
has out "results     c.db, runs 1 (event) and 2 (dense)"
eq "runs" "$(sq c.db "SELECT group_concat(id || ':' || command || ':' || engine || ':' ||
    ifnull(comparison, '-') || ':' || status || ':' || ticks, ' ') FROM runs")" \
    "1:compare:event:-:completed:1000 2:compare:dense:1:completed:1000"
eq "spikes" "$(sq c.db "SELECT a.spikes = b.spikes, a.syn_events = b.syn_events
    FROM runs a JOIN runs b ON b.comparison = a.id")" "1|1"
counts_of c.db 1 >c1
counts_of c.db 2 >c2
cmp -s c1 c2 || fail "compare: the per-neuron or per-tick counts differ"
run_is_whole c.db 1 1000
run_is_whole c.db 2 1000

# long delays, spikes recorded
expect 0 compare "$NETS/long-delays.yaml" --db l.db --record spikes
has out "long-delays"
has out "identical"
hasnt out "DISAGREE"
n=$(sq l.db "SELECT count(*) FROM spikes WHERE run_id = 1")
[ "$n" -gt 100 ] || fail "long delays: only $n spikes"
spikes_of l.db 1 >s1
spikes_of l.db 2 >s2
cmp -s s1 s2 || fail "long delays: recorded spikes differ"
# a spike of cue neuron 0 at tick 0 reaches 'a' through delays up to 2500: 'a' spikes late too
late=$(sq l.db "SELECT count(*) FROM spikes WHERE run_id = 1 AND tick > 2000")
[ "$late" -gt 0 ] || fail "long delays: nothing after tick 2000"
eq "record" "$(sq l.db "SELECT group_concat(record) FROM runs")" "spikes,spikes"
consistent l.db

# --quiet still says nothing and exits 0
expect 0 compare "$NETS/small.yaml" --db q.db --quiet --ticks 50
empty out
empty err
