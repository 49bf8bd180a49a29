#!/bin/bash
# The called phone is busy: it answers the INVITE with 486, the caller
# hears 486 (default dialplan), and the CDR says busy with the leg's 486.
. "$(dirname "$0")/lib.sh"

user_create 1111 'Busy-caller-1'
user_create 1112 'Busy-callee-2'
B_SIP=$(free_port)
phone_register 1112 'Busy-callee-2' "$B_SIP"

sipp_bg callee "$B_SIP" uas_busy -d 100
call_csv "$PBX_TMP/a.csv" 1111 'Busy-caller-1' 1112 "$(free_port)" "0 8 101"
sipp_bg caller - uac_fail -inf "$PBX_TMP/a.csv"

sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario"; }
expect_eq "$(sipp_final caller)" 486 "final response to the caller"
# (The callee's scenario ends when pbxd ACKs its 486.)
wait_calls_total 0 3

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "caller_number, destination, disposition, hangup_cause,
	answer_time IS NULL, billsec, jsonb_array_length(legs), legs->0->>'target',
	legs->0->>'status', legs->0->>'answered'")" \
	"1111|1112|busy|486|t|0|1|user/1112|486|false" "cdrs row"
