#!/bin/sh
# SIGINT (Ctrl-C) or SIGTERM during a run: myelin stops at the next tick, records what it did,
# marks the run 'interrupted' and exits with status 1, leaving a consistent database.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# start ARGS...: start myelin in the background (pid in $pid) and wait until its run row says
# 'running' (the signal handlers are in place by then).
start() {
    db=$1
    shift
    "$MYELIN" "$@" --db "$db" >out 2>err &
    pid=$!
    i=0
    while :; do
        if [ -e "$db" ] &&
            [ "$(sqlite3 -batch -cmd '.timeout 2000' "$db" \
                "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null)" = 1 ]; then
            break
        fi
        kill -0 $pid 2>/dev/null || fail "myelin ended before its run started: $(cat err)"
        i=$((i + 1))
        [ $i -lt 400 ] || {
            kill -9 $pid
            fail "no running run after 20 s"
        }
        nap
    done
}

# stop SIGNAL: send SIGNAL, wait (at most 20 s) and leave the exit status in $rc.
stop() {
    kill -"$1" $pid
    i=0
    while kill -0 $pid 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 400 ] || {
            kill -9 $pid
            fail "myelin did not stop on SIG$1"
        }
        nap
    done
    set +e
    wait $pid
    rc=$?
    set -e
}

# a run far too long to finish
start i.db run "$EXAMPLE" --ticks 20000000
stop INT
eq "exit status after SIGINT" "$rc" 1
has out "run interrupted"
consistent i.db
eq "run" "$(sq i.db "SELECT status, error IS NULL, finished_at IS NOT NULL, ticks > 0,
    ticks < ticks_planned FROM runs WHERE id = 1")" "interrupted|1|1|1|1"
ticks=$(sq i.db "SELECT ticks FROM runs WHERE id = 1")
run_is_whole i.db 1 "$ticks"

# SIGTERM, with spikes recorded
start i.db run "$EXAMPLE" --ticks 20000000 --record spikes
stop TERM
eq "exit status after SIGTERM" "$rc" 1
consistent i.db
eq "run 2" "$(sq i.db "SELECT status FROM runs WHERE id = 2")" interrupted
ticks=$(sq i.db "SELECT ticks FROM runs WHERE id = 2")
run_is_whole i.db 2 "$ticks"
eq "spikes recorded up to the stop" "$(sq i.db "SELECT sum(count) = (SELECT spikes FROM runs
    WHERE id = 2), max(tick) < $ticks FROM spikes WHERE run_id = 2")" "1|1"

# compare: the event run is interrupted, the dense one never starts
start i.db compare "$EXAMPLE" --ticks 20000000
stop INT
eq "compare: exit status after SIGINT" "$rc" 1
has err "interrupted"
consistent i.db
eq "compare runs" "$(sq i.db "SELECT group_concat(engine || ':' || status) FROM runs
    WHERE id > 2")" "event:interrupted"

# the database takes new runs afterwards
expect 0 run "$NETS/small.yaml" --ticks 10 --db i.db --quiet
eq "runs" "$(sq i.db "SELECT count(*), sum(status = 'running') FROM runs")" "4|0"
