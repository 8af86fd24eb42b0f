#!/bin/sh
# Known, unfixed bugs of the myelin command, reported and waiting for a fix. Skipped (exit 77)
# unless MYL_TEST_KNOWN_BUGS is set, so that the suite stays green meanwhile:
#   MYL_TEST_KNOWN_BUGS=1 meson test -C build cli-known-bugs --print-errorlogs
set -eu
if [ -z "${MYL_TEST_KNOWN_BUGS:-}" ]; then
    echo "SKIP: set MYL_TEST_KNOWN_BUGS=1 to run the tests of known bugs"
    exit 77
fi
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

status=0
check() {
    if ! (eval "$2") >/dev/null 2>&1; then
        echo "KNOWN BUG still there: $1" >&2
        status=1
    fi
}

# 1. --seed is read with base 0: '08' is refused, '010' means 8, ' -1' is accepted (as
#    2^64 - 1, stored in runs.seed as -1).
check "--seed 08" "expect 0 run '$NETS/small.yaml' --ticks 5 --seed 08 --db k.db --quiet"
check "--seed ' -1'" "expect 2 run '$NETS/small.yaml' --ticks 5 --seed ' -1' --db k.db"

# 2. Refusing a foreign database still switches it to WAL for good.
sq f.db 'CREATE TABLE t (x)'
expect 1 run "$NETS/small.yaml" --db f.db
check "foreign database keeps its journal mode" \
    "eq mode \"\$(sq f.db 'PRAGMA journal_mode')\" delete"

# 3. Runs started together on a new database race to create the schema; all but one fail with
#    "cannot create the schema: table runs already exists" (sim/metrics/db.c, myl_db_open).
#    A race: this check may pass by chance; tests/test-db.c known_concurrent_create is surer.
for i in 1 2 3 4 5 6 7 8; do
    "$MYELIN" run "$NETS/small.yaml" --ticks 20 --seed $i --db par.db --quiet 2>>par.err &
done
wait
check "parallel runs on a new database" "eq runs \"\$(sq par.db 'SELECT count(*) FROM runs')\" 8"

exit $status
