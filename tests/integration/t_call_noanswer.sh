#!/bin/bash
# Nobody answers: the dialplan (dialplans/tests.lua, 2xxx) rings user 1xxx
# for 2 seconds. The ringing phone gets a CANCEL when time is up, the
# caller 480 about 2 s after its INVITE, and the CDR says noanswer.
. "$(dirname "$0")/lib.sh"

pbx_restart -o call.dialplan="$(pbx_dialplan tests)"
user_create 1141 'Noans-caller-1'
user_create 1142 'Noans-callee-2'
B_SIP=$(free_port)
phone_register 1142 'Noans-callee-2' "$B_SIP"

sipp_bg callee "$B_SIP" uas_ring
call_csv "$PBX_TMP/a.csv" 1141 'Noans-caller-1' 2142 "$(free_port)" "0 8 101"
sipp_bg caller - uac_fail -inf "$PBX_TMP/a.csv"

sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario (CANCEL expected)"; }
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 |INVITE|-1|first' -q 'recv|SIP/2.0 180|||count' \
	-q 'sent|INVITE||-1|time' -q 'recv|SIP/2.0 480||0|time')
expect_match "${V[0]}" "^SIP/2.0 480 " "final response to the caller"
expect_eq "${V[1]}" 1 "180 relayed to the caller"
# (The callee's scenario ends with CANCEL, 200, 487, ACK.)

# Rang for the dial's 2 s, not the default 20 or 30.
ms=$(ms_between "${V[2]}" "${V[3]}")
[ "$ms" -ge 1800 ] && [ "$ms" -le 4000 ] || fail "480 came ${ms} ms after the INVITE (expected ~2000)"

wait_calls_total 0 3
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "destination, disposition, hangup_cause, answer_time IS NULL,
	duration BETWEEN 1 AND 4, legs->0->>'target', legs->0->>'answered'")" \
	"2142|noanswer|480|t|t|user/1142|false" "cdrs row"
