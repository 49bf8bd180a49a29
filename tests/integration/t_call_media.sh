#!/bin/bash
# Media through the bridge when the phones use different codecs, and
# RFC 4733 digits. The caller offers only PCMU, the callee's answer allows
# only PCMA: pbxd transcodes. The caller's peer sends PCMU and the digit 5
# as telephone-events; the callee's peer sends PCMA and the digit 9.
# Each must get audio in its own codec with the other side's samples
# (G.711: PCMU 9f = +8316 = PCMA b5, PCMA aa = +32256 = PCMU 80; values on
# which the conversion tables and the route through linear agree),
# and the digit as PT 101 events with their end packets.
. "$(dirname "$0")/lib.sh"

user_create 1171 'Media-caller-1'
user_create 1172 'Media-callee-2'
B_SIP=$(free_port)
A_RTP=$(free_port)
B_RTP=$(free_port)
phone_register 1172 'Media-callee-2' "$B_SIP"
mark=$(pbx_log_mark)

sipp_bg callee "$B_SIP" call_uas -key sdp_port "$B_RTP" -key codecs "8 101"
call_csv "$PBX_TMP/a.csv" 1171 'Media-caller-1' 1172 "$A_RTP" "0 101"
sipp_bg caller - uac_talk -inf "$PBX_TMP/a.csv"

wait_call_state 1171 bridged 5
mapfile -t V < <(jq_multi "$CALL_JSON" '.legs[0].local_port' '.legs[1].local_port' \
	'.legs[0].codec' '.legs[1].codec')
A_PBX=${V[0]} B_PBX=${V[1]}
rtpeer_bg a --port "$A_RTP" --remote "127.0.0.1:$A_PBX" --duration 2 --pt 0 --byte 9f \
	--dtmf 5 --dtmf-at 0.6 --linger 0.6
rtpeer_bg b --port "$B_RTP" --remote "127.0.0.1:$B_PBX" --duration 2 --pt 8 --byte aa \
	--dtmf 9 --dtmf-at 1.0 --linger 0.6
rtpeers_go a b
expect_eq "${V[2]}/${V[3]}" PCMU/PCMA "codecs of the legs (caller/callee)"

# What each phone was told: the caller's answer is PCMU, the callee was
# offered both and picked PCMA.
expect_match "$(sipplog caller -q 'recv|SIP/2.0 200|INVITE|0|sdp_codecs')" \
	'^0( 101)?$' "payload types of the caller's answer"
expect_match "$(sipplog callee -q 'recv|INVITE||0|sdp_codecs')" \
	'^(0 8|8 0) 101$' "payload types offered to the callee"

A=$(rtpeer_wait a 6)
B=$(rtpeer_wait b 6)
echo "caller's peer: $A"
echo "callee's peer: $B"
rtp_expect "caller's peer" "$A" "$A_PBX" min=95 pts=0,101 size=160 bytes=80 digits=9
rtp_expect "callee's peer" "$B" "$B_PBX" min=95 pts=8,101 size=160 bytes=b5 digits=5
for side in A B; do
	mapfile -t V < <(jq_multi "${!side}" '.dtmf[0].end_packets' '.dtmf[0].volume' '.dtmf|length')
	expect_eq "${V[2]}" 1 "$side: telephone-events (one digit)"
	[ "${V[0]}" -ge 1 ] || fail "$side: the digit's end packets: ${V[0]}"
	expect_eq "${V[1]}" 10 "$side: the digit's volume"
done

sipp_hangup caller
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario"; }
log=$(pbx_log_since "$mark")
grep -q 'digit 5 from the caller' <<<"$log" || fail "pbxd did not log the caller's digit 5"
grep -q 'digit 9 from the callee' <<<"$log" || fail "pbxd did not log the callee's digit 9"
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side")" "answered|caller" "cdrs row"
