#!/bin/bash
# Dialplans (a copy of dialplans/tests.lua, so that the test may rewrite
# it): fall back to a second phone after busy; a Lua error ends that call
# with 500 and a logged traceback, pbxd goes on routing; a reload with a
# valid change takes effect, a reload with a syntax error is refused with
# 400 and file:line, and calls still route with the last good dialplan.
. "$(dirname "$0")/lib.sh"

DP="$PBX_TMP/dp.lua"
cp "$(pbx_dialplan tests)" "$DP"
pbx_restart -o call.dialplan="$DP"
user_create 1211 'Dp-caller-9'
user_create 1301 'Dp-busy-1'
user_create 1302 'Dp-answer-2'
P1=$(free_port)
P2=$(free_port)
phone_register 1301 'Dp-busy-1' "$P1"
phone_register 1302 'Dp-answer-2' "$P2"
mark=$(pbx_log_mark)

# ---- a Lua error: 500, traceback in the log -----------------------------
call_csv "$PBX_TMP/err.csv" 1211 'Dp-caller-9' 9500 "$(free_port)" "0 8 101"
sipp_bg err - uac_fail -inf "$PBX_TMP/err.csv"
sipp_wait err 10 || { sipp_bg_show err; fail "caller scenario (Lua error)"; }
expect_eq "$(sipp_final err)" 500 "final response after a Lua error"
log=$(pbx_log_since "$mark")
grep -q 'route() failed: .*attempt to index a nil value' <<<"$log" ||
	fail "no Lua error logged: $(tail -n 5 <<<"$log")"
grep -q 'dp\.lua:[0-9]*' <<<"$log" || fail "the logged error names no file:line"
cid=$(sipp_callid err)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "destination, disposition, hangup_cause, hangup_side")" \
	"9500|failed|500|pbx" "cdrs row (Lua error)"

# ---- the next call works: busy first phone, fall back to the second -----
sipp_bg busy "$P1" uas_busy
sipp_bg answer "$P2" call_uas -key sdp_port "$(free_port)" -key codecs "0 101"
call_csv "$PBX_TMP/fb.csv" 1211 'Dp-caller-9' 3301 "$(free_port)" "0 8 101"
sipp_bg caller - call_uac -inf "$PBX_TMP/fb.csv" -d 500
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario (fallback)"; }
sipp_wait busy 5 || { sipp_bg_show busy; fail "busy phone"; }
sipp_wait answer 5 || { sipp_bg_show answer; fail "second phone"; }
expect_eq "$(sipplog caller -q 'recv|SIP/2.0 486|||count')" 0 \
	"the caller never saw the first phone's 486"
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "destination, disposition, hangup_side, jsonb_array_length(legs),
	legs->0->>'target', legs->0->>'status', legs->1->>'target', legs->1->>'answered'")" \
	"3301|answered|caller|2|user/1301|486|user/1302|true" "cdrs row (fallback)"

# ---- reloads ---------------------------------------------------------------
route_9404() {
	call_csv "$PBX_TMP/r$1.csv" 1211 'Dp-caller-9' 9404 "$(free_port)" "0 8 101"
	sipp_bg "r$1" - uac_fail -inf "$PBX_TMP/r$1.csv"
	sipp_wait "r$1" 10 || { sipp_bg_show "r$1"; fail "caller scenario (9404, $1)"; }
	sipp_final "r$1"
}
expect_eq "$(route_9404 before)" 404 "9404 with the first dialplan"

# A valid change: 9404 now answers 403.
sed -i 's/call:hangup(404)  -- 9404/call:hangup(403)  -- 9404/' "$DP"
grep -q 'hangup(403)  -- 9404' "$DP" || fail "could not edit the copy of tests.lua"
api POST /api/v1/dialplan/reload
expect_eq "$API_STATUS" 200 "reload of a valid dialplan: $API_BODY"
expect_eq "$(route_9404 reloaded)" 403 "9404 after the reload"

# A syntax error on line 3: refused, the loaded dialplan stays.
{ echo "-- broken"; echo "function route(call)"; echo "  if then"; cat "$DP"; } >"$DP.new"
mv "$DP.new" "$DP"
api POST /api/v1/dialplan/reload
expect_eq "$API_STATUS" 400 "reload of a broken dialplan: $API_BODY"
expect_eq "$(jq_get "$API_BODY" .error.code)" dialplan_error "error code"
expect_match "$(jq_get "$API_BODY" .error.message)" 'dp\.lua:3:' "error message names file:line"
expect_eq "$(route_9404 broken)" 403 "9404 after a refused reload"

# Fixed again, reloaded by SIGHUP: 9404 answers 404 as at first.
cp "$(pbx_dialplan tests)" "$DP"
mark=$(pbx_log_mark)
kill -HUP "$(pbx_pid)" || fail "no pbxd to send SIGHUP to"
dp_loaded() { pbx_log_since "$mark" | grep -q "dialplan $DP loaded"; }
wait_until 5 dp_loaded || fail "SIGHUP did not reload the dialplan: $(pbx_log_since "$mark" | tail -n 5)"
expect_eq "$(route_9404 sighup)" 404 "9404 after SIGHUP"
