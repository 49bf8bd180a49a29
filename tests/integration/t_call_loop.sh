#!/bin/bash
# Hop limits and loops. An INVITE with Max-Forwards: 0 gets 483 before any
# authentication. A dialplan that dials pbxd's own address: the INVITE
# that comes back carries the call's X-Pbxd-Call header and is refused
# with 482; the original call fails cleanly (a final error to the caller,
# no live call left, a CDR whose leg says 482), and pbxd goes on.
. "$(dirname "$0")/lib.sh"

pbx_restart -o call.dialplan="$(pbx_dialplan tests)"
user_create 1241 'Loop-caller-1'
mark=$(pbx_log_mark)

# ---- Max-Forwards: 0 --------------------------------------------------------
call_csv "$PBX_TMP/mf.csv" 1241 'Loop-caller-1' 1242 "$(free_port)" "0 8 101"
sipp_bg mf - uac_maxfwd0 -inf "$PBX_TMP/mf.csv"
sipp_wait mf 10 || { sipp_bg_show mf; fail "Max-Forwards 0 scenario (483 expected)"; }
# (The scenario fails on any other response, a 407 included.)
expect_match "$(sipplog mf -q 'recv|SIP/2.0 4||0|first')" '^SIP/2.0 483 ' "response to Max-Forwards: 0"

# ---- a loop back into pbxd -------------------------------------------------
call_csv "$PBX_TMP/loop.csv" 1241 'Loop-caller-1' "8$PBX_SIP_PORT" "$(free_port)" "0 8 101"
sipp_bg loop - uac_fail -inf "$PBX_TMP/loop.csv"
sipp_wait loop 10 || { sipp_bg_show loop; fail "caller scenario (loop)"; }
code=$(sipp_final loop)
echo "the caller got $code"
expect_match "$code" '^[45][0-9][0-9]$' "final response to the looping call"
log=$(pbx_log_since "$mark")
grep -q 'INVITE loops back into call .*: 482' <<<"$log" ||
	fail "pbxd did not refuse the looped INVITE with 482: $(tail -n 8 <<<"$log")"
grep -q 'loop test: failed (482)' <<<"$log" ||
	fail "the dial did not come back as failed (482): $(grep 'loop test' <<<"$log")"
wait_calls_total 0 3
cid=$(sipp_callid loop)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, hangup_cause, jsonb_array_length(legs),
	legs->0->>'uri', legs->0->>'status'")" \
	"failed|pbx|$code|1|sip:loop@127.0.0.1:$PBX_SIP_PORT|482" "cdrs row"
# Only the one call was made: the looped INVITE made no call of its own.
expect_eq "$(pbx_psql "SELECT count(*) FROM cdrs WHERE start_time > now() - interval '30 s'
	AND destination = 'loop'")" 0 "CDRs of the looped INVITE"
