#!/bin/bash
# Many phones at once: 300 users inserted in SQL (HA1s computed by
# PostgreSQL, as bench/register does) register through SIPp at 150/s;
# every cycle succeeds and every binding reaches PostgreSQL.
. "$(dirname "$0")/lib.sh"

first=31000
n=300
bulk_users $first $n 'Bulk'
{
	echo SEQUENTIAL
	for ((e = first; e < first + n; e++)); do
		echo "$e;Bulk$e;pbx.local;1800"
	done
} >"$PBX_TMP/bulk.csv"

sipp_run reg_auth -inf "$PBX_TMP/bulk.csv" -r 150 -m $n -l 300 ||
	{ sipp_show; fail "sipp: $n registrations at 150/s"; }
_all_rows() {
	[ "$(pbx_psql "SELECT count(*) FROM registrations
		WHERE extension::bigint BETWEEN $first AND $((first + n - 1))")" = $n ]
}
wait_until 10 _all_rows || fail "registrations rows: $(pbx_psql "SELECT count(*)
	FROM registrations WHERE extension::bigint BETWEEN $first AND $((first + n - 1))"), expected $n"
expect_eq "$(pbx_psql "SELECT count(DISTINCT extension) FROM registrations
	WHERE extension::bigint BETWEEN $first AND $((first + n - 1))
	AND user_agent = 'pbxd-test-sipp' AND transport = 'udp'")" $n "one row per user"
