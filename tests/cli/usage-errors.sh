#!/bin/sh
# Usage errors exit with status 2, print a message on stderr that names what was wrong (and
# nothing on stdout), and never create or touch the results database.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

net=$NETS/small.yaml

# usage_error TEXT ARGS...: myelin ARGS exits 2 and says TEXT on stderr.
usage_error() {
    text=$1
    shift
    expect 2 "$@"
    has err "$text"
    empty out
    [ ! -e u.db ] || fail "myelin $*: created u.db"
    [ ! -e myelin.db ] || fail "myelin $*: created myelin.db"
}

usage_error "unknown command 'frobnicate'" frobnicate
usage_error "Try 'myelin help'" frobnicate --ticks 5
usage_error "myelin run: unrecognized option '--bogus'" run "$net" --bogus --db u.db
usage_error "Try 'myelin run --help'" run "$net" --bogus --db u.db
usage_error "myelin compare: unrecognized option '--engine'" compare "$net" --engine dense --db u.db
usage_error "Try 'myelin compare --help'" compare "$net" --nope --db u.db
usage_error "myelin run: invalid option -- 'x'" run "$net" -x --db u.db

for v in 0 -3 abc 1.5 10ms "" 1e99; do
    usage_error "--ticks wants a whole number of ticks >= 1, not '$v'" run "$net" --ticks "$v" \
        --db u.db
done
usage_error "--ticks wants a whole number" compare "$net" --ticks 0 --db u.db
# a missing value takes the next word (getopt), which is then not a number
usage_error "--ticks wants a whole number of ticks >= 1, not '--db'" run "$net" --ticks --db u.db
usage_error "myelin run: option '--ticks' requires an argument" run "$net" --db u.db --ticks
usage_error "myelin compare: option '--db' requires an argument" compare "$net" --db

for v in -1 abc 1.5 "" 99999999999999999999999; do
    usage_error "--seed wants a whole number >= 0, not '$v'" run "$net" --seed "$v" --db u.db
done
for v in gpu EVENT ""; do
    usage_error "--engine wants event or dense, not '$v'" run "$net" --engine "$v" --db u.db
done
for v in all none ""; do
    usage_error "--record wants counts or spikes, not '$v'" run "$net" --record "$v" --db u.db
done
usage_error "--record wants counts or spikes" compare "$net" --record all --db u.db
for v in 0 -1s 5parsecs abc ""; do
    usage_error "--duration wants a positive time" run "$net" --duration "$v" --db u.db
done
# positive, but less than one tick of 1 ms
usage_error "--duration 0.0001 s is less than one tick of 0.001 s" run "$net" --duration 100us \
    --db u.db

usage_error "unexpected argument 'extra'" run "$net" extra --db u.db
usage_error "unexpected argument" run "$net" "$net" --db u.db
usage_error "unexpected argument 'extra'" compare "$net" extra --db u.db
