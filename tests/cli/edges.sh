#!/bin/sh
# Edges of the myelin command that were bugs once: --seed parsing, refused databases left
# unchanged, parallel runs creating one database.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

status=0
check() {
    if ! (eval "$2") >/dev/null 2>&1; then
        echo "FAIL: $1" >&2
        status=1
    fi
}

# --seed is a decimal number: '08' is 8 (not an octal error), ' -1' is refused (strtoull
# alone would read it as 2^64 - 1).
check "--seed 08" "expect 0 run '$NETS/small.yaml' --ticks 5 --seed 08 --db k.db --quiet"
check "--seed ' -1'" "expect 2 run '$NETS/small.yaml' --ticks 5 --seed ' -1' --db k.db"

# Refusing a foreign database leaves it as it was (no switch to WAL).
sq f.db 'CREATE TABLE t (x)'
expect 1 run "$NETS/small.yaml" --db f.db
check "foreign database keeps its journal mode" \
    "eq mode \"\$(sq f.db 'PRAGMA journal_mode')\" delete"

# Runs started together on a new database all create or find the schema (it is made under the
# write lock). A race: this check could pass by chance; tests/test-db.c concurrent_create is
# surer.
for i in 1 2 3 4 5 6 7 8; do
    "$MYELIN" run "$NETS/small.yaml" --ticks 20 --seed $i --db par.db --quiet 2>>par.err &
done
wait
check "parallel runs on a new database" "eq runs \"\$(sq par.db 'SELECT count(*) FROM runs')\" 8"

exit $status
