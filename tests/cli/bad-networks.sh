#!/bin/sh
# Network files that do not describe a valid network: exit status 2, a message that names the
# file and the line (file:line:column), and nothing recorded: the database is not created, and
# an existing one keeps exactly the runs it had.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# a database that already holds one run
expect 0 run "$NETS/small.yaml" --ticks 10 --db keep.db --quiet
eq "setup" "$(runs_count keep.db)" 1

# bad NET LINE TEXT: run and compare on NET (in tests/cli/nets) fail as they should.
bad() {
    f=$NETS/$1
    for cmd in run compare; do
        rm -f new.db new.db-wal new.db-shm
        expect 2 $cmd "$f" --db new.db
        has err "myelin: $f:$2:"
        has err "$3"
        [ "$(wc -l <err)" -eq 1 ] || fail "$1: more than one line of error: $(cat err)"
        empty out
        eq "$1, $cmd: runs in a new database" "$(runs_count new.db)" 0
        [ ! -e new.db ] || fail "$1, $cmd: the database was created"
    done
    expect 2 run "$f" --db keep.db
    has err "$f:$2:"
    eq "$1: runs in an existing database" "$(runs_count keep.db)" 1
}

bad bad-unknown-key.yaml 8 "population 'a' (lif): unknown key 'tau_mm'"
bad bad-syntax.yaml 4 "YAML syntax error"
bad bad-delay-zero.yaml 8 "delays must be at least 1 tick"
bad bad-delay-rounds-zero.yaml 8 "rounds to 0; delays must be at least 1 tick"
bad bad-delay-list-zero.yaml 8 "synapse 1 has a delay of 0 ticks"
bad bad-npy-garbage.yaml 9 "garbage.npy: byte 0: not a .npy file"
bad bad-npy-shape.yaml 9 "v_th: array has shape (3,); expected (10,)"
bad bad-npy-missing.yaml 9 "no-such-file.npy: cannot open"

# a network file that does not exist: named, no line to give
for cmd in run compare; do
    expect 2 $cmd "$T/no-such-net.yaml" --db new.db
    has err "myelin: $T/no-such-net.yaml: cannot open"
    [ ! -e new.db ] || fail "missing network, $cmd: the database was created"
    # `myelin X.yaml` means `myelin run X.yaml`
done
expect 2 "$T/no-such-net.yaml" --db new.db
has err "no-such-net.yaml"

# a directory, and an empty file
mkdir adir.yaml
expect 2 run adir.yaml --db new.db
has err "adir.yaml"
: >empty.yaml
expect 2 run empty.yaml --db new.db
has err "empty.yaml"
[ ! -e new.db ] || fail "the database was created"

eq "existing database" "$(sq keep.db "SELECT count(*), min(status) FROM runs")" "1|completed"
consistent keep.db
