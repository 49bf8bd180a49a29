#!/bin/bash
# Keypresses a phone signals by SIP INFO reach the other party as RFC 4733
# telephone-events: media is anchored, so pbxd plays them into the
# callee's stream itself. The caller (tests/sipp/uac_info_dtmf.xml) sends
# INFO "7" and "#" (Signal=11) while both phones send audio (rtpeer.py).
# 1. The callee negotiated telephone-event (PT 101): its peer gets both
#    digits as PT 101 events with three end packets each, in its one
#    stream (one SSRC, no sequence break, no marker but on the first audio
#    packet and on each event's first), and the caller's audio complete.
#    The caller gets no events. pbxd logs the digits as sent.
# 2. The callee did not (PCMU only): nothing but PT 0 reaches it, and
#    pbxd logs why the digits were not passed on.
. "$(dirname "$0")/lib.sh"

user_create 1271 'Infodtmf-caller-1'
user_create 1272 'Infodtmf-callee-2'
user_create 1273 'Infodtmf-caller-3'
user_create 1274 'Infodtmf-callee-4'

# The legs' RTP counters in CALL_JSON: both have received audio.
both_talk() {
	local v
	CALL_JSON=$(call_of "$1")
	mapfile -t v < <(jq_multi "$CALL_JSON" '.legs[0].rtp.packets_in' \
		'.legs[1].rtp.packets_in')
	[ "${v[0]:-null}" != null ] && [ "${v[1]:-null}" != null ] &&
		[ "${v[0]}" -ge 10 ] && [ "${v[1]}" -ge 10 ]
}

# info_call N CALLER PW CALLEE PW CODECS: call N from CALLER to CALLEE,
# whose answer lists payload types CODECS; both phones talk for 3 s, the
# caller sends its INFOs once pbxd relays audio both ways. Sets A and B (the
# caller's and the callee's rtpeer summaries), A_PBX and B_PBX (pbxd's
# ports), LOG (pbxd's log of the call) and CID (its Call-ID).
info_call() {
	local n=$1 caller=$2 a_pw=$3 callee=$4 b_pw=$5 codecs=$6
	local b_sip a_rtp b_rtp mark V
	b_sip=$(free_port)
	a_rtp=$(free_port)
	b_rtp=$(free_port)
	phone_register "$callee" "$b_pw" "$b_sip"
	mark=$(pbx_log_mark)
	sipp_bg "callee$n" "$b_sip" call_uas -key sdp_port "$b_rtp" \
		-key codecs "$codecs"
	call_csv "$PBX_TMP/a$n.csv" "$caller" "$a_pw" "$callee" "$a_rtp" \
		"0 101"
	sipp_bg "caller$n" - uac_info_dtmf -inf "$PBX_TMP/a$n.csv"

	wait_call_state "$caller" bridged 5
	mapfile -t V < <(jq_multi "$CALL_JSON" '.legs[0].local_port' \
		'.legs[1].local_port')
	A_PBX=${V[0]} B_PBX=${V[1]}
	rtpeer_bg "a$n" --port "$a_rtp" --remote "127.0.0.1:$A_PBX" \
		--duration 3 --linger 0.6
	rtpeer_bg "b$n" --port "$b_rtp" --remote "127.0.0.1:$B_PBX" \
		--duration 3 --linger 0.6
	rtpeers_go "a$n" "b$n"
	wait_until 3 both_talk "$caller" ||
		fail "call $n: no audio both ways through pbxd: $CALL_JSON"

	# The keypresses, in the middle of the audio.
	sipp_poke "caller$n"
	infos_done() {
		[ "$(sipplog "caller$n" --count --dir recv \
			--start 'SIP/2.0 200' --cseq INFO)" -ge 2 ]
	}
	wait_until 5 infos_done || {
		sipp_bg_show "caller$n"
		fail "call $n: the caller's INFOs were not answered"
	}

	A=$(rtpeer_wait "a$n" 8)
	B=$(rtpeer_wait "b$n" 8)
	echo "call $n: caller's peer: $A"
	echo "call $n: callee's peer: $B"
	sipp_hangup "caller$n"
	sipp_wait "caller$n" 10 ||
		{ sipp_bg_show "caller$n"; fail "call $n: caller scenario"; }
	sipp_wait "callee$n" 5 ||
		{ sipp_bg_show "callee$n"; fail "call $n: callee scenario"; }
	LOG=$(pbx_log_since "$mark")
	CID=$(sipp_callid "caller$n")
}

# 1. The callee takes telephone-event.
info_call 1 1271 'Infodtmf-caller-1' 1272 'Infodtmf-callee-2' "0 101"
rtp_expect "callee's peer" "$B" "$B_PBX" min=150 pts=0,101 size=160 \
	ssrcs=1 seq_breaks=0 digits='7#'
rtp_expect "caller's peer" "$A" "$A_PBX" min=145 pts=0 ssrcs=1 \
	seq_breaks=0 digits=
mapfile -t V < <(jq_multi "$B" '.dtmf|length' '.dtmf[0].end_packets' \
	'.dtmf[1].end_packets' '.dtmf[0].volume' '.dtmf[1].volume' \
	'.dtmf[0].duration' '.markers' '.pts["0"]' '.dtmf[1].duration')
sent=$(jq_get "$A" .sent)
expect_eq "${V[0]}" 2 "callee: telephone-events (two digits)"
expect_eq "${V[1]}/${V[2]}" 3/3 "callee: end packets of each digit"
expect_eq "${V[3]}/${V[4]}" 10/10 "callee: volume of each digit"
# As long as the INFOs said: 160 ms and 100 ms, in 8 kHz clock units.
expect_eq "${V[5]}/${V[8]}" 1280/800 "callee: durations of the digits 7 and #"
expect_eq "${V[6]}" 3 "callee: marked packets (audio start, 2 events)"
[ "${V[7]}" -ge $((sent - 2)) ] ||
	fail "callee: audio packets ${V[7]}, the caller's peer sent $sent"
how='sent to the callee as RFC 4733'
expect_match "$LOG" "digit 7 from the caller \\(SIP INFO\\), $how" \
	"pbxd log: INFO digit 7 sent on"
expect_match "$LOG" "digit # from the caller \\(SIP INFO\\), $how" \
	"pbxd log: INFO digit # sent on"
cdr_wait "$CID"
expect_eq "$(cdr_get "$CID" "disposition, hangup_side")" "answered|caller" \
	"cdrs row of call 1"

# 2. The callee takes no telephone-event.
info_call 2 1273 'Infodtmf-caller-3' 1274 'Infodtmf-callee-4' "0"
rtp_expect "callee's peer" "$B" "$B_PBX" min=145 pts=0 size=160 ssrcs=1 \
	seq_breaks=0 digits=
how='not passed on: the callee did not negotiate telephone-event'
expect_match "$LOG" "digit 7 from the caller \\(SIP INFO\\), $how" \
	"pbxd log: why the digit 7 was not sent on"
expect_match "$LOG" "digit # from the caller \\(SIP INFO\\), $how" \
	"pbxd log: why the digit # was not sent on"
cdr_wait "$CID"
expect_eq "$(cdr_get "$CID" "disposition, hangup_side")" "answered|caller" \
	"cdrs row of call 2"
