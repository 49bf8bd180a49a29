#!/bin/bash
# The caller gives up while the phone rings: its CANCEL is answered 200
# and its INVITE 487; the ringing phone gets a CANCEL too. CDR: cancelled,
# hung up by the caller, nothing billed.
. "$(dirname "$0")/lib.sh"

user_create 1121 'Cancel-caller-1'
user_create 1122 'Cancel-callee-2'
B_SIP=$(free_port)
phone_register 1122 'Cancel-callee-2' "$B_SIP"

sipp_bg callee "$B_SIP" uas_ring
call_csv "$PBX_TMP/a.csv" 1121 'Cancel-caller-1' 1122 "$(free_port)" "0 8 101"
# The caller hangs up after 1 s of ringing.
sipp_bg caller - uac_cancel -inf "$PBX_TMP/a.csv" -d 1000

wait_call_state 1121 dialling 5
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario (CANCEL expected)"; }
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 |CANCEL|0|first' -q 'recv|SIP/2.0 |INVITE|-1|first')
expect_match "${V[0]}" "^SIP/2.0 200 " "response to the CANCEL"
expect_match "${V[1]}" "^SIP/2.0 487 " "final response to the INVITE"
# (The callee's scenario ends with CANCEL, 200, 487, ACK.)
wait_calls_total 0 3

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, answer_time IS NULL, billsec,
	duration <= 3, jsonb_array_length(legs), legs->0->>'target', legs->0->>'answered'")" \
	"cancelled|caller|t|0|t|1|user/1122|false" "cdrs row"
