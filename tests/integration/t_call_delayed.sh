#!/bin/bash
# Delayed offer (RFC 3261 13.2.1): the caller's INVITE has no SDP. pbxd's
# 200 carries its offer, the caller answers in the ACK (PCMA only), and
# media flows both ways through the PBX port of that offer.
. "$(dirname "$0")/lib.sh"

user_create 1191 'Delay-caller-1'
user_create 1192 'Delay-callee-2'
B_SIP=$(free_port)
A_RTP=$(free_port)
B_RTP=$(free_port)
phone_register 1192 'Delay-callee-2' "$B_SIP"

sipp_bg callee "$B_SIP" call_uas -key sdp_port "$B_RTP" -key codecs "0 101"
# The ACK's answer: PCMA and telephone-event.
call_csv "$PBX_TMP/a.csv" 1191 'Delay-caller-1' 1192 "$A_RTP" "8 101"
sipp_bg caller - uac_delayed -inf "$PBX_TMP/a.csv"

wait_call_state 1191 bridged 5
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|0|sdp_port' \
	-q 'recv|SIP/2.0 200|INVITE|0|sdp_codecs' -q 'recv|SIP/2.0 200|INVITE|0|sdp_ip' \
	-q 'sent|INVITE||-1|body')
A_PBX=${V[0]}
expect_eq "${V[3]}" "" "the caller's INVITE has no body"
expect_match "$A_PBX" '^[0-9]+$' "an offer in pbxd's 200"
expect_match "${V[1]}" '(^| )8( |$)' "pbxd's offer includes PCMA (8)"
expect_eq "${V[2]}" 127.0.0.1 "address of pbxd's offer"
# The ACK's answer is taken: the leg says PCMA on the offered port.
leg_pcma() {
	mapfile -t W < <(jq_multi "$(call_of 1191)" '.legs[0].codec' '.legs[0].local_port' '.legs[1].local_port')
	[ "${W[0]} ${W[1]}" = "PCMA $A_PBX" ]
}
wait_until 3 leg_pcma || fail "caller leg after the ACK: $(call_of 1191)"
B_PBX=${W[2]}

rtpeer_bg a --port "$A_RTP" --remote "127.0.0.1:$A_PBX" --duration 1.5 --pt 8 --byte aa --linger 0.6
rtpeer_bg b --port "$B_RTP" --remote "127.0.0.1:$B_PBX" --duration 1.5 --pt 0 --byte 9f --linger 0.6
rtpeers_go a b
A=$(rtpeer_wait a 5)
B=$(rtpeer_wait b 5)
echo "caller's peer: $A"
echo "callee's peer: $B"
rtp_expect "caller's peer" "$A" "$A_PBX" min=70 pts=8 size=160 bytes=b5
rtp_expect "callee's peer" "$B" "$B_PBX" min=70 pts=0 size=160 bytes=80

sipp_hangup caller
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario"; }
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side")" "answered|caller" "cdrs row"
