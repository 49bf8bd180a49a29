#!/bin/bash
# The CDR writer against the sandbox's PostgreSQL: the "db" cases of the
# unit test check_cdr (tests/unit/check_cdr.c) with PBX_TEST_CONNINFO set.
# They cover a record written with every column; PostgreSQL cut off (a TCP
# proxy in the test) so records are spooled, then back, so the retry
# replays each exactly once and removes the spool; and a spool left by an
# earlier run, with a duplicate call_id, a row already in the table, a
# line cut short and a row the table refuses, replayed at start-up; and a
# spool of 10,000 rows, more than one replay job takes, each row once.
# Calls cannot make CDRs yet, and pbxd has no way to inject one; the
# writer is the same code either way.
. "$(dirname "$0")/lib.sh"

bin=${PBX_BUILDDIR:+$PBX_BUILDDIR/tests/unit/check_cdr}
if [ -z "$bin" ]; then
	echo "PBX_BUILDDIR is not set: cannot find check_cdr"
	exit 77
fi
# make check builds it; a run started by hand may not have.
if [ ! -x "$bin" ] && ! make -s -C "$PBX_BUILDDIR/tests" unit/check_cdr \
    >"$PBX_TMP/make" 2>&1; then
	cat "$PBX_TMP/make"
	echo "check_cdr could not be built"
	exit 77
fi

[ "$(pbx_psql "SELECT to_regclass('cdrs') IS NOT NULL")" = t ] ||
	fail "no cdrs table in the sandbox database (migration 0002)"

PBX_TEST_CONNINFO="host=$PBX_PG_HOST port=$PBX_PG_PORT dbname=pbxd"
export PBX_TEST_CONNINFO="$PBX_TEST_CONNINFO user=pbxd"
out=$(cd "$PBX_TMP" && CK_RUN_CASE=db CK_VERBOSITY=normal \
	CK_DEFAULT_TIMEOUT=60 TMPDIR="$PBX_TMP" "$bin" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "check_cdr (db cases) failed"
# The database cases ran (check_cdr leaves them out without the conninfo).
expect_match "$out" "100%: Checks: 4, Failures: 0, Errors: 0" \
	"check_cdr ran the database cases"

# Each case deletes its rows; none may be left behind.
left=$(pbx_psql "SELECT count(*) FROM cdrs WHERE node LIKE 'check-cdr-%'")
expect_eq "$left" 0 "rows left by check_cdr"
