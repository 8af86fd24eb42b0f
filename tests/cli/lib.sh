# Helpers shared by the CLI tests; each test script sources this after `set -eu`:
#
#   . "$(dirname "$0")/lib.sh"
#
# The script's first argument is the myelin binary (meson passes it). The script then runs in a
# fresh temporary directory ($T, removed at exit). The sqlite3 command-line shell reads the
# results back; without it the test is skipped (exit 77).

MYELIN=${1:?usage: $0 path/to/myelin}
case $MYELIN in
/*) ;;
*) MYELIN=$(pwd)/$MYELIN ;;
esac
[ -x "$MYELIN" ] || {
    echo "not an executable: $MYELIN" >&2
    exit 1
}
CLI_DIR=$(cd "$(dirname "$0")" && pwd)
# (NETS and EXAMPLE are for the scripts that source this file)
# shellcheck disable=SC2034
NETS=$CLI_DIR/nets
SRC=${MYL_SOURCE_ROOT:-$CLI_DIR/../..}
# shellcheck disable=SC2034
EXAMPLE=$SRC/traces/example.yaml

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "SKIP: the sqlite3 command-line shell is not installed"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/myl-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
cd "$T"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Sleep a fraction of a second where sleep allows it (GNU, busybox), else a second.
nap() {
    sleep 0.05 2>/dev/null || sleep 1
}

# expect RC ARGS...: run myelin with ARGS; its exit status must be RC. Its output is left in
# $T/out and $T/err.
expect() {
    want=$1
    shift
    set +e
    "$MYELIN" "$@" >"$T/out" 2>"$T/err"
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout" >&2
        cat "$T/out" >&2
        echo "--- stderr" >&2
        cat "$T/err" >&2
        fail "myelin $*: exit status $got, expected $want"
    fi
}

# has FILE TEXT: FILE contains TEXT (a fixed string).
has() {
    grep -F -q -e "$2" "$1" || {
        cat "$1" >&2
        fail "$1 does not contain '$2'"
    }
}

# hasnt FILE TEXT
hasnt() {
    if grep -F -q -e "$2" "$1"; then
        cat "$1" >&2
        fail "$1 contains '$2'"
    fi
}

# empty FILE: FILE has no bytes.
empty() {
    [ ! -s "$1" ] || {
        cat "$1" >&2
        fail "$1 is not empty"
    }
}

# sq DB SQL...: run SQL with the sqlite3 shell; it fails the test on any SQL error.
sq() {
    db=$1
    shift
    sqlite3 -batch -bail -cmd '.timeout 10000' "$db" "$@"
}

# eq WHAT GOT WANT
eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# runs_count DB: how many runs DB holds; 0 if the file or its runs table does not exist.
runs_count() {
    if [ ! -e "$1" ]; then
        echo 0
    elif [ "$(sq "$1" "SELECT count(*) FROM sqlite_master WHERE name = 'runs'")" = 0 ]; then
        echo 0
    else
        sq "$1" "SELECT count(*) FROM runs"
    fi
}

# consistent DB: integrity and foreign keys check out.
consistent() {
    eq "$1: integrity_check" "$(sq "$1" 'PRAGMA integrity_check')" ok
    eq "$1: foreign_key_check" "$(sq "$1" 'PRAGMA foreign_key_check')" ""
}

# spikes_of DB RUN: the run's spikes, one "tick|neuron|count" line each, in order.
spikes_of() {
    sq "$1" "SELECT tick, neuron, count FROM spikes WHERE run_id = $2 ORDER BY tick, neuron"
}

# counts_of DB RUN: the run's per-neuron and per-population counts and per-tick figures.
counts_of() {
    sq "$1" "SELECT 'n', neuron, spikes FROM neuron_spikes WHERE run_id = $2 ORDER BY neuron" \
        "SELECT 'p', pop, spikes FROM populations WHERE run_id = $2 ORDER BY pop" \
        "SELECT 't', tick, spikes, syn_events FROM ticks WHERE run_id = $2 ORDER BY tick"
}

# run_is_whole DB RUN TICKS: the run's rows add up (ticks rows 0..TICKS-1, and every spike count
# the same however it is summed).
run_is_whole() {
    eq "run $2: ticks" "$(sq "$1" "SELECT ticks FROM runs WHERE id = $2")" "$3"
    eq "run $2: tick rows" "$(sq "$1" "SELECT count(*), min(tick), max(tick) + 1 FROM ticks
        WHERE run_id = $2")" "$3|0|$3"
    total=$(sq "$1" "SELECT spikes FROM runs WHERE id = $2")
    eq "run $2: sum of ticks.spikes" \
        "$(sq "$1" "SELECT sum(spikes) FROM ticks WHERE run_id = $2")" "$total"
    eq "run $2: sum of populations.spikes" \
        "$(sq "$1" "SELECT sum(spikes) FROM populations WHERE run_id = $2")" "$total"
    eq "run $2: sum of neuron_spikes.spikes" \
        "$(sq "$1" "SELECT sum(spikes) FROM neuron_spikes WHERE run_id = $2")" "$total"
}
