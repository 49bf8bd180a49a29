#!/bin/bash
# Calls that cannot be put through (default dialplan): an extension that
# does not exist, a user with no registered phone, and a number outside
# the plan all get 404; no call stays live; the CDRs say unavailable.
. "$(dirname "$0")/lib.sh"

user_create 1151 'Nf-caller-1'
user_create 1152 'Nf-callee-2'     # exists, never registers
pbx_psql "DELETE FROM users WHERE extension = '1159'" >/dev/null

n=0
for dest in 1159 1152 77; do
	n=$((n + 1))
	call_csv "$PBX_TMP/a$n.csv" 1151 'Nf-caller-1' "$dest" "$(free_port)" "0 8 101"
	sipp_bg "c$n" - uac_fail -inf "$PBX_TMP/a$n.csv"
	sipp_wait "c$n" 10 || { sipp_bg_show "c$n"; fail "caller scenario to $dest"; }
	expect_eq "$(sipp_final "c$n")" 404 "final response for $dest"
done
wait_calls_total 0 3

for i in 1 2 3; do
	cid=$(sipp_callid "c$i")
	cdr_wait "$cid"
	row=$(cdr_get "$cid" "destination, disposition, hangup_cause, answer_time IS NULL")
	echo "cdr $i: $row"
	case $i in
	1) expect_eq "$row" "1159|unavailable|404|t" "cdrs row, unknown extension" ;;
	2) expect_eq "$row" "1152|unavailable|404|t" "cdrs row, unregistered user" ;;
	3) expect_match "$row" '^77\|(unavailable|failed)\|404\|t$' "cdrs row, number outside the plan" ;;
	esac
done
