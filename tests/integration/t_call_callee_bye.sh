#!/bin/bash
# The callee hangs up first: its BYE is answered, the caller gets a BYE
# from pbxd, and the CDR says answered, hung up by the callee.
. "$(dirname "$0")/lib.sh"

user_create 1131 'Bye-caller-1'
user_create 1132 'Bye-callee-2'
B_SIP=$(free_port)
phone_register 1132 'Bye-callee-2' "$B_SIP"

# The callee talks 1.5 s, then sends BYE.
sipp_bg callee "$B_SIP" uas_bye -key sdp_port "$(free_port)" -key codecs "0 101" -d 1500
call_csv "$PBX_TMP/a.csv" 1131 'Bye-caller-1' 1132 "$(free_port)" "0 8 101"
sipp_bg caller - uac_wait_bye -inf "$PBX_TMP/a.csv"

wait_call_state 1131 bridged 5
sipp_wait callee 10 || { sipp_bg_show callee; fail "callee scenario (its BYE)"; }
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario (BYE expected)"; }
# (The scenarios end with: callee BYE -> 200; caller: BYE from pbxd -> 200.)
wait_calls_total 0 3

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, hangup_cause, billsec BETWEEN 1 AND 3,
	legs->0->>'answered'")" "answered|callee|0|t|true" "cdrs row"
