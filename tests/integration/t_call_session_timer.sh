#!/bin/bash
# pbx-test-timeout: 150
# Session timers (RFC 4028) with the shortest interval allowed, 90 s
# (call.session_expires=90), three calls side by side (about 85 s in all).
# The callees do not support timers, so pbxd refreshes every callee leg.
# - r: the caller asks pbxd to refresh (refresher=uas) and allows UPDATE:
#   pbxd sends it an UPDATE about half way (40-50 s); its callee, which
#   allows UPDATE, gets an UPDATE too; the call outlives the 90 s.
# - e: the caller should refresh (refresher=uac) and never does: pbxd ends
#   the call with a BYE before the 90 s are over (RFC 4028 10); the callee
#   gets a BYE too and the CDR says the caller's side ended it, 408. Its
#   callee does not allow UPDATE: its refresh is the INVITE again, with
#   the same offer.
# - n: the caller asks pbxd to refresh but does not allow UPDATE: no
#   session timer on that leg (no Session-Expires in the 200, no refresh,
#   no BYE).
# media.rtp_timeout is off for this test: these phones send no RTP.
. "$(dirname "$0")/lib.sh"

pbx_restart -o call.session_expires=90 -o media.rtp_timeout=0
WITH_UPDATE='INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE'
NO_UPDATE='INVITE, ACK, BYE, CANCEL, OPTIONS'

export SIPP_BG_TIMEOUT=110
n=1261
for c in r e n; do
	user_create $n "Timer-caller-${c}1"
	user_create $((n + 1)) "Timer-callee-${c}2"
	port=$(free_port)
	phone_register $((n + 1)) "Timer-callee-${c}2" "$port"
	allow=$WITH_UPDATE
	[ $c = e ] && allow=$NO_UPDATE
	sipp_bg callee_$c "$port" uas_session_timer -key sdp_port "$(free_port)" \
		-key allow "$allow"
	n=$((n + 2))
done
call_csv "$PBX_TMP/r.csv" 1261 'Timer-caller-r1' 1262 "$(free_port)" uas "$WITH_UPDATE"
call_csv "$PBX_TMP/e.csv" 1263 'Timer-caller-e1' 1264 "$(free_port)" uac "$WITH_UPDATE"
call_csv "$PBX_TMP/n.csv" 1265 'Timer-caller-n1' 1266 "$(free_port)" uas "$NO_UPDATE"
for c in r e n; do
	sipp_bg caller_$c - uac_session_timer -inf "$PBX_TMP/$c.csv"
done
for caller in 1261 1263 1265; do
	wait_call_state $caller bridged 5
done

mapfile -t V < <(sipplog caller_r -q 'recv|SIP/2.0 200|INVITE|0|header:Session-Expires'
	sipplog caller_e -q 'recv|SIP/2.0 200|INVITE|0|header:Session-Expires'
	sipplog caller_n -q 'recv|SIP/2.0 200|INVITE|0|header:Session-Expires')
expect_match "${V[0]}" '^90;refresher=uas' "Session-Expires in the 200 to caller r"
expect_match "${V[1]}" '^90;refresher=uac' "Session-Expires in the 200 to caller e"
expect_eq "${V[2]}" "" "Session-Expires in the 200 to caller n (no UPDATE allowed)"

# Milliseconds from the 200 to INVITE 0 to message SPEC of sipp NAME.
ms_after_answer() {
	local a b
	mapfile -t T < <(sipplog "$1" -q "$2|SIP/2.0 200|INVITE|0|time" -q "$3")
	[ -n "${T[0]}" ] && [ -n "${T[1]}" ] || return 1
	a=$(date -d "${T[0]}" +%s%3N) b=$(date -d "${T[1]}" +%s%3N)
	echo $((b - a))
}
# A refresh about half way through the 90 s.
expect_refresh() {
	local name=$1 dir=$2 spec=$3 ms
	ms=$(ms_after_answer "$name" "$dir" "$spec") ||
		fail "$name: no refresh ($spec)"
	echo "$name: refresh ${ms} ms after the answer"
	[ "$ms" -ge 38000 ] && [ "$ms" -le 53000 ] ||
		fail "$name: refresh at ${ms} ms, not 40-50 s"
}
got_update() { [ "$(sipplog caller_r -q 'recv|UPDATE|||count')" -ge 1 ]; }

wait_until 60 got_update || fail "no refresh UPDATE from pbxd to caller r within 60 s"
expect_refresh caller_r recv 'recv|UPDATE|UPDATE|0|time'
# (nua asks for its own preference again; the caller answers 90.)
expect_match "$(sipplog caller_r -q 'recv|UPDATE|UPDATE|0|header:Session-Expires')" \
	'^(9[0-9]|[1-9][0-9]{2,})(;|$)' "Session-Expires (at least 90) of pbxd's UPDATE"
expect_eq "$(sipplog caller_r -q 'recv|UPDATE|UPDATE|0|body')" "" "body of pbxd's refresh UPDATE"
got() { [ "$(sipplog "$1" -q "$2")" -ge "$3" ]; }
wait_until 15 got callee_r 'recv|UPDATE|||count' 1 ||
	fail "callee r: no refresh UPDATE: $(sipp_msgs callee_r)"
wait_until 15 got callee_e 'recv|INVITE|||count' 2 ||
	fail "callee e: no refresh INVITE: $(sipp_msgs callee_e)"
expect_refresh callee_r sent 'recv|UPDATE|UPDATE|0|time'
expect_refresh callee_e sent 'recv|INVITE|INVITE|1|time'
mapfile -t V < <(sipplog callee_e -q 'recv|INVITE|INVITE|0|body' -q 'recv|INVITE|INVITE|1|body')
[ -n "${V[0]}" ] || fail "callee e: first INVITE without SDP"
expect_eq "${V[1]}" "${V[0]}" "SDP of the refresh INVITE to callee e (the same offer)"
expect_eq "$(sipplog callee_e -q 'recv|ACK|||count')" 2 "ACKs callee e got (answer, refresh)"
expect_eq "$(sipplog caller_n -q 'recv|UPDATE|||count')" 0 "refreshes sent to caller n"

# The unrefreshed session ends some seconds before its 90 s.
sipp_wait caller_e 50 || { sipp_bg_show caller_e; fail "caller e: no BYE from pbxd"; }
ms=$(ms_after_answer caller_e recv 'recv|BYE|BYE|0|time')
echo "caller_e: BYE for the unrefreshed session ${ms} ms after the answer"
[ "$ms" -ge 70000 ] && [ "$ms" -le 90000 ] || fail "expiry BYE at ${ms} ms, not 70-90 s"
sipp_wait callee_e 10 || { sipp_bg_show callee_e; fail "callee e: no BYE from pbxd"; }
cid=$(sipp_callid caller_e)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, hangup_cause")" "answered|caller|408" \
	"cdrs row of the expired session"

# The other two calls are still up, 80 s in; their callers hang up.
for c in r n; do
	sipp_poke caller_$c
	sipp_wait caller_$c 10 || { sipp_bg_show caller_$c; fail "caller $c scenario"; }
	sipp_wait callee_$c 10 || { sipp_bg_show callee_$c; fail "callee $c scenario"; }
	cid=$(sipp_callid caller_$c)
	cdr_wait "$cid"
	expect_eq "$(cdr_get "$cid" "disposition, hangup_side, billsec >= 75")" "answered|caller|t" \
		"cdrs row of call $c"
done
