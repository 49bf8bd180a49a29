#!/bin/bash
# Re-INVITEs from the caller mid-call, absorbed by the PBX (media is
# anchored, the callee never sees them): first hold (a=sendonly), answered
# recvonly on the same PBX port, REST shows the leg on hold; then resume
# with PCMA only, answered PCMA on the same port. Afterwards media flows
# both ways, transcoded (the callee stays on PCMU).
. "$(dirname "$0")/lib.sh"

user_create 1181 'Reinv-caller-1'
user_create 1182 'Reinv-callee-2'
B_SIP=$(free_port)
A_RTP=$(free_port)
B_RTP=$(free_port)
phone_register 1182 'Reinv-callee-2' "$B_SIP"

sipp_bg callee "$B_SIP" call_uas -key sdp_port "$B_RTP" -key codecs "0 101"
call_csv "$PBX_TMP/a.csv" 1181 'Reinv-caller-1' 1182 "$A_RTP" "0 8 101" \
	"0 101" sendonly "8 101" sendrecv
# answered, 1 s, re-INVITE (hold), poke, re-INVITE (PCMA), talk, hang up
sipp_bg caller - uac_reinvite -inf "$PBX_TMP/a.csv"

wait_call_state 1181 bridged 5
mapfile -t V < <(jq_multi "$CALL_JSON" '.legs[0].local_port' '.legs[1].local_port' \
	'.legs[0].codec' '.legs[0].hold')
A_PBX=${V[0]} B_PBX=${V[1]}
expect_eq "${V[2]} ${V[3]}" "PCMU false" "caller leg before the re-INVITEs"

# Hold.
leg_hold() { [ "$(jq_get "$(call_of 1181)" '.legs[0].hold')" = "$1" ]; }
wait_until 5 leg_hold true || fail "caller leg never on hold: $(call_of 1181)"
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|1|sdp_port' \
	-q 'recv|SIP/2.0 200|INVITE|1|sdp_dir')
expect_eq "${V[0]}" "$A_PBX" "PBX port in the answer to the hold"
expect_match "${V[1]}" '^(recvonly|inactive)$' "direction of the answer to a=sendonly"

# Resume on PCMA.
sipp_poke caller
leg_pcma() {
	mapfile -t W < <(jq_multi "$(call_of 1181)" '.legs[0].hold' '.legs[0].codec')
	[ "${W[0]} ${W[1]}" = "false PCMA" ]
}
wait_until 4 leg_pcma || fail "caller leg not resumed on PCMA: $(call_of 1181)"
rtpeer_bg a --port "$A_RTP" --remote "127.0.0.1:$A_PBX" --duration 1.2 --pt 8 --byte aa --linger 0.5
rtpeer_bg b --port "$B_RTP" --remote "127.0.0.1:$B_PBX" --duration 1.2 --pt 0 --byte 9f --linger 0.5
rtpeers_go a b
mapfile -t V < <(sipplog caller -q 'recv|SIP/2.0 200|INVITE|2|sdp_port' \
	-q 'recv|SIP/2.0 200|INVITE|2|sdp_codecs' -q 'recv|SIP/2.0 200|INVITE|2|sdp_dir')
expect_eq "${V[0]}" "$A_PBX" "PBX port in the answer to the resume"
expect_match "${V[1]}" '^8( 101)?$' "payload types in the answer to the resume"
expect_eq "${V[2]}" sendrecv "direction in the answer to the resume"
expect_eq "$(jq_get "$(call_of 1181)" '.legs[1].codec')" PCMU "callee leg codec after"

A=$(rtpeer_wait a 5)
B=$(rtpeer_wait b 5)
echo "caller's peer: $A"
echo "callee's peer: $B"
rtp_expect "caller's peer" "$A" "$A_PBX" min=57 pts=8 size=160 bytes=b5
rtp_expect "callee's peer" "$B" "$B_PBX" min=57 pts=0 size=160 bytes=80

sipp_hangup caller
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario (no re-INVITE expected)"; }
expect_eq "$(sipplog callee -q 'recv|INVITE|||count')" 1 "INVITEs the callee got"
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side")" "answered|caller" "cdrs row"
