#!/bin/sh
# myelin --help, help, -h, run --help, compare --help, version: exit 0 and say what they should,
# on stdout, with nothing on stderr and no database written.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

for a in --help help -h; do
    expect 0 $a
    has out "Usage: myelin [COMMAND]"
    has out "run [NET.yaml]"
    has out "compare NET.yaml"
    empty err
done

expect 0 run --help
has out "Usage: myelin run [NETWORK.yaml] [options]"
for o in --engine --ticks --duration --seed --db --record --quiet --help "Exit status"; do
    has out "$o"
done
empty err

expect 0 compare --help
has out "Usage: myelin compare [NETWORK.yaml] [options]"
has out "Exit status"
empty err

# --help wins wherever it stands, and runs nothing
expect 0 run "$EXAMPLE" --ticks 5 --help
has out "Usage: myelin run"

for a in version --version; do
    expect 0 $a
    grep -E -q '^myelin [0-9]+\.[0-9]+\.[0-9]+$' out || fail "version: $(cat out)"
    empty err
done

[ ! -e myelin.db ] || fail "help or version wrote myelin.db"
