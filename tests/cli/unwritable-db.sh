#!/bin/sh
# A results database that cannot be opened or written: exit status 1 (the input was fine, the
# run could not be recorded), a message naming the path, and nothing simulated or printed as
# if it had been.
set -eu
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

net=$NETS/small.yaml

# dberr PATH TEXT: run and compare with --db PATH fail with TEXT.
dberr() {
    for cmd in run compare; do
        expect 1 $cmd "$net" --ticks 10 --db "$1"
        has err "myelin: $1: "
        has err "$2"
        empty out
    done
}

dberr "$T/no/such/dir/r.db" "cannot open the results database"
: >afile
dberr "$T/afile/r.db" "cannot open the results database"
mkdir adir
dberr "$T/adir" "cannot open the results database"

# not ours: someone else's SQLite database, a newer schema, not SQLite at all
sq foreign.db "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO photos (name) VALUES ('cat.jpg')"
dberr foreign.db "not a myelin results database"
eq "foreign data kept" "$(sq foreign.db "SELECT name FROM photos")" cat.jpg
eq "no schema added" "$(sq foreign.db "SELECT count(*) FROM sqlite_master")" 1

sq newer.db "PRAGMA user_version = 999"
dberr newer.db "schema version 999 was written by a newer myelin"
eq "version kept" "$(sq newer.db "PRAGMA user_version")" 999

printf 'a text file, not a database\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 >notes.db
dberr notes.db "notes.db"

# a directory that cannot be written (only meaningful when not running as root)
if [ "$(id -u)" != 0 ]; then
    mkdir ro
    chmod 555 ro
    dberr "$T/ro/r.db" "cannot open the results database"
    chmod 755 ro
fi
