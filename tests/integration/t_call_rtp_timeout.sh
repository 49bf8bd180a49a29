#!/bin/bash
# A phone that vanished: with media.rtp_timeout=2, an answered call whose
# callee sends no RTP (the caller's peer keeps talking) is torn down by
# pbxd about 2 s after the answer: BYE to both phones, CDR hung up by pbx.
. "$(dirname "$0")/lib.sh"

pbx_restart -o media.rtp_timeout=2
user_create 1201 'Rtpto-caller-1'
user_create 1202 'Rtpto-callee-2'
B_SIP=$(free_port)
A_RTP=$(free_port)
phone_register 1202 'Rtpto-callee-2' "$B_SIP"
mark=$(pbx_log_mark)

sipp_bg callee "$B_SIP" call_uas -key sdp_port "$(free_port)" -key codecs "0 101"
call_csv "$PBX_TMP/a.csv" 1201 'Rtpto-caller-1' 1202 "$A_RTP" "0 8 101"
sipp_bg caller - uac_wait_bye -inf "$PBX_TMP/a.csv"

wait_call_state 1201 bridged 5
A_PBX=$(jq_get "$CALL_JSON" '.legs[0].local_port')
rtpeer_bg a --port "$A_RTP" --remote "127.0.0.1:$A_PBX" --duration 6 --linger 0
rtpeers_go a

sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario (BYE expected)"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario (BYE expected)"; }
# About rtp_timeout after the answer, not at once and not much later.
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|0|time' -q 'recv|BYE||0|time')
ms=$(ms_between "${V[0]}" "${V[1]}")
echo "BYE ${ms} ms after the answer"
[ "$ms" -ge 1500 ] && [ "$ms" -le 5000 ] || fail "BYE ${ms} ms after the answer (rtp_timeout 2 s)"
# (The callee's scenario ends with a BYE from pbxd.)
wait_calls_total 0 3
pbx_log_since "$mark" | grep -q 'no RTP from the callee' ||
	fail "pbxd did not log which leg went silent"
_kill_child "${RTPEER_PID[a]}"

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, billsec <= 4")" "answered|pbx|t" "cdrs row"
