#!/bin/bash
# pbx-test-timeout: 150
# Session timers (RFC 4028) with the shortest interval allowed, 90 s, two
# calls side by side (about 85 s in all):
# - the caller asks pbxd to refresh (refresher=uas): pbxd sends an UPDATE
#   with Session-Expires about half way (40-50 s), the caller answers, the
#   call goes on past the 90 s until the caller hangs up;
# - the caller should refresh (refresher=uac) and never does: pbxd ends the
#   call with a BYE before the 90 s are over (RFC 4028 10), and the callee
#   gets a BYE too; the CDR says the caller's side ended it, 408.
# media.rtp_timeout is off for this test: these phones send no RTP.
. "$(dirname "$0")/lib.sh"

pbx_restart -o media.rtp_timeout=0
user_create 1261 'Timer-caller-1'
user_create 1262 'Timer-callee-2'
user_create 1263 'Timer-caller-3'
user_create 1264 'Timer-callee-4'
R_SIP=$(free_port)
E_SIP=$(free_port)
phone_register 1262 'Timer-callee-2' "$R_SIP"
phone_register 1264 'Timer-callee-4' "$E_SIP"

export SIPP_BG_TIMEOUT=110
sipp_bg callee_r "$R_SIP" call_uas -key sdp_port "$(free_port)" -key codecs "0 101"
sipp_bg callee_e "$E_SIP" call_uas -key sdp_port "$(free_port)" -key codecs "0 101"
call_csv "$PBX_TMP/r.csv" 1261 'Timer-caller-1' 1262 "$(free_port)" uas
call_csv "$PBX_TMP/e.csv" 1263 'Timer-caller-3' 1264 "$(free_port)" uac
sipp_bg caller_r - uac_session_timer -inf "$PBX_TMP/r.csv"
sipp_bg caller_e - uac_session_timer -inf "$PBX_TMP/e.csv"
wait_call_state 1261 bridged 5
wait_call_state 1263 bridged 5

# Milliseconds between two messages of a caller's log (sipplog -q specs).
ms_between() {
	local a b
	mapfile -t T < <(sipplog "$1" -q "$2" -q "$3")
	[ -n "${T[0]}" ] && [ -n "${T[1]}" ] || return 1
	a=$(date -d "${T[0]}" +%s%3N) b=$(date -d "${T[1]}" +%s%3N)
	echo $((b - a))
}
got_update() { [ "$(sipplog caller_r -q 'recv|UPDATE|||count')" -ge 1 ]; }

wait_until 60 got_update || fail "no refresh UPDATE from pbxd within 60 s"
ms=$(ms_between caller_r 'recv|SIP/2.0 200|INVITE|0|time' 'recv|UPDATE|UPDATE|0|time')
echo "refresh UPDATE ${ms} ms after the 200"
[ "$ms" -ge 38000 ] && [ "$ms" -le 53000 ] || fail "refresh at ${ms} ms, not 40-50 s"
# (nua asks for its own preference again, call.session_expires; the
# caller answers 90, which stands.)
expect_match "$(sipplog caller_r -q 'recv|UPDATE|UPDATE|0|header:Session-Expires')" \
	'^(9[0-9]|[1-9][0-9]{2,})(;|$)' "Session-Expires (at least 90) of pbxd's UPDATE"
expect_eq "$(sipplog caller_r -q 'recv|UPDATE|UPDATE|0|body')" "" "body of pbxd's refresh UPDATE"
expect_eq "$(sipplog callee_r -q 'recv|UPDATE|||count')" 0 "UPDATEs relayed to the callee"

# The unrefreshed session ends some seconds before its 90 s.
sipp_wait caller_e 50 || { sipp_bg_show caller_e; fail "caller_e: no BYE from pbxd"; }
ms=$(ms_between caller_e 'recv|SIP/2.0 200|INVITE|0|time' 'recv|BYE|BYE|0|time')
echo "BYE for the unrefreshed session ${ms} ms after the 200"
[ "$ms" -ge 70000 ] && [ "$ms" -le 90000 ] || fail "expiry BYE at ${ms} ms, not 70-90 s"
sipp_wait callee_e 10 || { sipp_bg_show callee_e; fail "callee_e: no BYE from pbxd"; }
cid=$(sipp_callid caller_e)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, hangup_cause")" "answered|caller|408" \
	"cdrs row of the expired session"

# The refreshed call is still up, 80 s in; its caller hangs up.
expect_eq "$(jq_get "$(call_of 1261)" '.state')" bridged "state of the refreshed call"
sipp_poke caller_r
sipp_wait caller_r 10 || { sipp_bg_show caller_r; fail "caller_r scenario"; }
sipp_wait callee_r 10 || { sipp_bg_show callee_r; fail "callee_r scenario"; }
cid=$(sipp_callid caller_r)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side, billsec >= 75")" "answered|caller|t" \
	"cdrs row of the refreshed call"
