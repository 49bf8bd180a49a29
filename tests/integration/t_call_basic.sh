#!/bin/bash
# An answered call through the default dialplan, media both ways through
# the PBX: 1101 calls 1102 (one registered phone). Each phone's RTP peer
# sends 50 pps to the PBX port its SDP named and must receive the other
# side's audio from that same PBX port only. The REST API shows the call
# bridged with both legs while it lasts; the caller's BYE reaches the
# callee; the CDR says answered, hung up by the caller.
. "$(dirname "$0")/lib.sh"

user_create 1101 'Bas1c-one-A'
user_create 1102 'Bas1c-two-B'
B_SIP=$(free_port)
A_RTP=$(free_port)
B_RTP=$(free_port)
phone_register 1102 'Bas1c-two-B' "$B_SIP"

# The callee answers after 200 ms of ringing; the caller talks until the
# test hangs it up.
sipp_bg callee "$B_SIP" call_uas -key sdp_port "$B_RTP" -key codecs "0 8 101" -d 200
call_csv "$PBX_TMP/a.csv" 1101 'Bas1c-one-A' 1102 "$A_RTP" "0 8 101"
sipp_bg caller - uac_talk -inf "$PBX_TMP/a.csv"

# As soon as it is bridged: the PBX ports of both legs, then two seconds
# of audio each way.
wait_call_state 1101 bridged 5
mapfile -t V < <(jq_multi "$CALL_JSON" .id '.legs[0].local_port' '.legs[1].local_port')
CALL_ID=${V[0]} A_PBX=${V[1]} B_PBX=${V[2]}
expect_match "$A_PBX" '^[0-9]+$' "caller leg local_port"
expect_match "$B_PBX" '^[0-9]+$' "callee leg local_port"
[ "$A_PBX" != "$B_PBX" ] || fail "both legs on PBX port $A_PBX"
rtpeer_bg a --port "$A_RTP" --remote "127.0.0.1:$A_PBX" --duration 2 --byte 11 --linger 0.6
rtpeer_bg b --port "$B_RTP" --remote "127.0.0.1:$B_PBX" --duration 2 --byte 22 --linger 0.6
rtpeers_go a b

# While it is up: one call, bridged, caller and callee legs.
mapfile -t V < <(jq_multi "$CALL_JSON" .caller.number .destination '.legs|length' \
	'.legs[0].role' '.legs[1].role' '.legs[0].codec' '.legs[1].codec' \
	'.legs[1].uri' .answered_at)
expect_eq "${V[0]}" 1101 "caller number"
expect_eq "${V[1]}" 1102 "destination"
expect_eq "${V[2]}" 2 "legs of the bridged call"
expect_eq "${V[3]}/${V[4]}" caller/callee "leg roles"
expect_eq "${V[5]}/${V[6]}" PCMU/PCMU "codecs of the legs"
expect_match "${V[7]}" "^sip:1102@127\.0\.0\.1:$B_SIP" "callee leg URI"
expect_match "${V[8]}" '^20[0-9-]+T[0-9:.]+Z$' "answered_at"

# The SDP each phone got names those ports, on 127.0.0.1.
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|0|sdp_port' \
	-q 'recv|SIP/2.0 200|INVITE|0|sdp_ip')
expect_eq "${V[0]} ${V[1]}" "$A_PBX 127.0.0.1" "address in the 200's SDP (caller)"
mapfile -t V < <(sipplog callee -q 'recv|INVITE||0|sdp_port' -q 'recv|INVITE||0|sdp_ip' \
	-q 'recv|INVITE||0|header:From' -q 'recv|INVITE||0|header:X-Pbxd-Call' \
	-q 'recv|INVITE||0|header:Max-Forwards')
expect_eq "${V[0]} ${V[1]}" "$B_PBX 127.0.0.1" "address in the INVITE's SDP (callee)"
expect_match "${V[2]}" '<sip:1101@pbx\.local>' "From of the INVITE to the callee"
expect_eq "${V[3]}" "$CALL_ID" "X-Pbxd-Call names the call"
expect_eq "${V[4]}" 69 "Max-Forwards of the INVITE to the callee (the caller's 70, less one)"

# pbxd's counters and latching, a second into the audio.
sleep 0.5
mapfile -t V < <(jq_multi "$(call_of 1101)" .state .legs[0].latched \
	'.legs[0].remote' '.legs[1].latched' '.legs[1].remote' \
	'.legs[0].rtp.packets_in' '.legs[1].rtp.packets_out')
expect_eq "${V[0]}" bridged "state during the call"
expect_eq "${V[1]} ${V[2]}" "true 127.0.0.1:$A_RTP" "caller leg latched on its peer"
expect_eq "${V[3]} ${V[4]}" "true 127.0.0.1:$B_RTP" "callee leg latched on its peer"
[ "${V[5]}" -ge 10 ] || fail "caller leg packets_in ${V[5]}"
[ "${V[6]}" -ge 10 ] || fail "callee leg packets_out ${V[6]}"

A=$(rtpeer_wait a 6)
B=$(rtpeer_wait b 6)
echo "caller's peer: $A"
echo "callee's peer: $B"
expect_eq "$(jq_get "$A" .sent)/$(jq_get "$B" .sent)" 100/100 "packets sent"
# Each hears the other's audio (PCMU both sides: relayed unchanged), and
# only from the PBX port of its own leg.
rtp_expect "caller's peer" "$A" "$A_PBX" min=95 pts=0 size=160 bytes=22 ssrcs=1 seq_breaks=0
rtp_expect "callee's peer" "$B" "$B_PBX" min=95 pts=0 size=160 bytes=11 ssrcs=1 seq_breaks=0

# The caller hangs up: both scenarios complete (the callee got the BYE).
sipp_hangup caller
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 10 || { sipp_bg_show callee; fail "callee scenario"; }
wait_calls_total 0 3
expect_eq "$(jq_get "$(calls_json)" '.items|length')" 0 "calls list after"

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "call_id, caller_number, destination, disposition,
	hangup_cause, hangup_side, answer_time IS NOT NULL,
	duration >= billsec, node")" \
	"$CALL_ID|1101|1102|answered|0|caller|t|t|sandbox" "cdrs row"
# billsec: what the caller's phone saw from the 200 to its BYE.
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|0|time' -q 'sent|BYE||0|time')
talk=$(( $(ms_between "${V[0]}" "${V[1]}") / 1000 ))
billsec=$(cdr_get "$cid" billsec)
[ "$billsec" -ge $((talk - 1)) ] && [ "$billsec" -le $((talk + 1)) ] ||
	fail "billsec $billsec, the caller talked ${talk} s"
expect_eq "$(cdr_get "$cid" "jsonb_array_length(legs), legs->0->>'target',
	legs->0->>'status', legs->0->>'answered', legs->0->>'uri' LIKE 'sip:1102@127.0.0.1:$B_SIP%'")" \
	"1|user/1102|200|true|t" "cdrs legs"
