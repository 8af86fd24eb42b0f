#!/bin/sh
# Live streams (docs/live.md) through the real binary: the demo's trace sent on stdin, over TCP
# and over a Unix socket gives the spikes of the file replay, and --output (to a file and to a
# connected consumer) the same bytes; a truncated or malformed stream fails the run with the
# byte offset; a port in use and a bad address are usage errors; a consumer that leaves does
# not stop the run; --realtime reports how it kept up. The second argument is tests/cli's
# live-peer helper (a sender or consumer; Debian's minimal image has no socat or nc).
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
PEER=${2:?usage: $0 myelin live-peer}
case $PEER in
/*) ;;
*) PEER=$OLDPWD/$PEER ;;
esac
DEMO=$SRC/traces/demo.yaml
BAR=$SRC/traces/bar.myl

# listening ERRFILE WHAT: the address myelin reports listening on for WHAT (events, consumer)
listening() {
    i=0
    while :; do
        a=$(sed -n "s/^myelin: listening on \([^ ]*\) for the $2.*/\1/p" "$1")
        if [ -n "$a" ]; then
            echo "$a"
            return
        fi
        i=$((i + 1))
        [ $i -lt 400 ] || fail "myelin did not listen for the $2 in 20 s: $(cat "$1")"
        nap
    done
}

# finish PID NAME: wait for a background myelin; its exit status must be 0
finish() {
    set +e
    wait "$1"
    st=$?
    set -e
    [ "$st" = 0 ] || fail "$2: exit status $st: $(cat "$2.err")"
}

# the reference: the demo replayed from its file
expect 0 run "$DEMO" --db ref.db --record spikes --output ref.myl --quiet
ref=$(spikes_of ref.db 1)
[ -n "$ref" ] || fail "the demo has no spikes"
[ -s ref.myl ] || fail "--output to a file wrote nothing"

# stdin
"$MYELIN" run "$DEMO" --db stdin.db --record spikes --input - --output stdin.myl \
    <"$BAR" >stdin.out 2>stdin.err || fail "--input -: $(cat stdin.err)"
eq "stdin: spikes" "$(spikes_of stdin.db 1)" "$ref"
cmp ref.myl stdin.myl || fail "--output differs with --input -"
has stdin.out "live input  stdin (myelin): 4,032 events"
eq "stdin: status" "$(sq stdin.db "SELECT status FROM runs")" completed

# TCP in, TCP out (the port the system picks), the trace in 37-byte pieces
"$MYELIN" run "$DEMO" --db tcp.db --record spikes --input tcp://127.0.0.1:0 \
    --output tcp://127.0.0.1:0 --latency inf >tcp.out 2>tcp.err &
pid=$!
"$PEER" recv "$(listening tcp.err consumer)" tcp.myl &
rpid=$!
"$PEER" send "$(listening tcp.err events)" "$BAR" 37
finish $pid tcp
wait $rpid || fail "the consumer failed"
eq "tcp: spikes" "$(spikes_of tcp.db 1)" "$ref"
cmp ref.myl tcp.myl || fail "--output over TCP differs from the file's"
has tcp.out "live input  tcp://127.0.0.1:"
has tcp.out "output      tcp://127.0.0.1:"

# a Unix socket, the network's own binding naming it; default latency
sock=$T/in.sock
sed "s|trace: bar.myl|trace: 'unix:$sock'|" "$DEMO" >unix.yaml
"$MYELIN" run unix.yaml --db unix.db --record spikes >unix.out 2>unix.err &
pid=$!
"$PEER" send "$(listening unix.err events)" "$BAR" 501
finish $pid unix
eq "unix: spikes" "$(spikes_of unix.db 1)" "$ref"
[ ! -e "$sock" ] || fail "the Unix socket file is left behind"

# a truncated stream: the byte offset, a failed run, exit status 1
head -c 3000 "$BAR" >cut.myl
expect 1 run "$DEMO" --db bad.db --input - <cut.myl
has err "stdin: byte 3000: truncated"
eq "truncated: status" "$(sq bad.db "SELECT status, error LIKE '%byte 3000: truncated%' FROM runs
    WHERE id = 1")" "failed|1"
# garbage
echo "hello, this is not an event stream" >garbage.txt
expect 1 run "$DEMO" --db bad.db --input - <garbage.txt
has err "stdin: byte 0: not an event stream"
eq "garbage: status" "$(sq bad.db "SELECT status FROM runs WHERE id = 2")" failed
consistent bad.db

# a port in use: exit status 2 and no run recorded; the first listener is interrupted
"$MYELIN" run "$DEMO" --db busy.db --input tcp://127.0.0.1:0 >busy.out 2>busy.err &
pid=$!
addr=$(listening busy.err events)
expect 2 run "$DEMO" --db busy2.db --input "$addr"
has err "cannot listen: address already in use"
eq "port in use: runs" "$(runs_count busy2.db)" 0
kill -INT $pid
set +e
wait $pid
st=$?
set -e
eq "interrupted while waiting for a sender" "$st" 1
eq "busy: status" "$(sq busy.db "SELECT status FROM runs")" interrupted

# bad addresses and values
expect 2 run "$DEMO" --db x.db --input tcp://127.0.0.1
has err "no port"
expect 2 run "$DEMO" --db x.db --input tcp://127.0.0.1:70000
expect 2 run "$DEMO" --db x.db --output tcp:/oops
expect 2 run "$DEMO" --db x.db --latency soon
expect 2 run "$DEMO" --db x.db --speed 0
expect 2 run "$NETS/small.yaml" --db x.db --output o.myl
has err "no \`outputs:\` populations"

# a consumer that leaves at once: the run goes on (paced, so that it lasts), and says so
"$MYELIN" run "$DEMO" --db gone.db --output tcp://127.0.0.1:0 --realtime >gone.out 2>gone.err &
pid=$!
"$PEER" hangup "$(listening gone.err consumer)"
finish $pid gone
has gone.err "went away"
eq "gone: status" "$(sq gone.db "SELECT status FROM runs")" completed
has gone.out "realtime    speed 1, a tick every 1 ms"

# --realtime --speed 10 with live input: the summary says how it kept up
expect 0 run "$DEMO" --db rt.db --input - --speed 10 <"$BAR"
has out "realtime    speed 10, a tick every 100 us"
eq "realtime: spikes" "$(sq rt.db "SELECT spikes FROM runs")" \
    "$(sq ref.db "SELECT spikes FROM runs")"

# a stream file that is missing or not a stream is bad input: exit 2, no run recorded
expect 2 run "$DEMO" --db missing.db --input "$T/no-such-recording.myl"
has err "no-such-recording.myl"
printf 'not an event stream\n' >notes.txt
expect 2 run "$DEMO" --db missing.db --input notes.txt
has err "notes.txt"
eq "runs after bad inputs" "$(runs_count missing.db)" 0
expect 2 compare "$DEMO" --db missing.db --input "$T/no-such-recording.myl"
eq "runs after a bad input to compare" "$(runs_count missing.db)" 0
