#!/bin/bash
# mod_dnd end to end, and the loader around it: GET /api/v1/modules lists
# the module with what it registered; its REST routes with the core's
# token check and error shape; its record (table dnd) survives a
# restart; a call to an extension with DND on ends 486 without ringing
# and is counted; the dialplan's dnd.get/dnd.set work; a change made in
# the table by someone else (another node, psql) reaches the loop's set
# through NOTIFY, and after a lost LISTEN connection the set is reloaded;
# a module that
# cannot be loaded is listed with its reason while pbxd runs on; one that
# declines is listed as declined.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rest_lib.sh"

# ---- not loaded: no routes ----
api GET /api/v1/modules
expect_eq "$API_STATUS" 200 "GET /modules without modules.load"
expect_json "$API_BODY" "empty module list" '.items|length=0' '.total=0'
api GET /api/v1/dnd
expect_error 404 not_found - "/dnd without the module"

# ---- loaded ----
pbx_restart -o modules.load=dnd
routes='["GET /api/v1/dnd","GET /api/v1/dnd/{}","PUT /api/v1/dnd/{}"]'
api GET /api/v1/modules
expect_eq "$API_STATUS" 200 "GET /modules"
expect_json "$API_BODY" "dnd in the module list" \
	'.total=1' '.items[0].name=dnd' '.items[0].state=loaded' \
	'.items[0].reason=null' '.items[0].resolvers=[]' \
	'.items[0].wrappers=["user"]' '.items[0].hooks=1' \
	'.items[0].dp_functions=["dnd.get","dnd.set"]' \
	".items[0].routes=$routes" '.items[0].watches=["pbx_dnd"]'
expect_match "$(jq_get "$API_BODY" '.items[0].description')" '[Dd]isturb' \
	"description"
api_noauth GET /api/v1/modules
expect_error 401 unauthorized - "/modules needs the token"

user_create 2951 'Quiet9please'
user_create 2952 'Quiet9please'

api GET /api/v1/dnd/2951
expect_eq "$API_STATUS" 200 "GET /dnd/2951"
expect_json "$API_BODY" "DND off at first" '.extension=2951' \
	'.enabled=false' '.since=null'

api PUT /api/v1/dnd/2951 '{"enabled": true}'
expect_eq "$API_STATUS" 200 "PUT /dnd/2951 on ($API_BODY)"
expect_json "$API_BODY" "DND on" '.extension=2951' '.enabled=true'
expect_match "$(jq_get "$API_BODY" .since)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z$' "since is RFC 3339"
since=$(jq_get "$API_BODY" .since)
expect_eq "$(pbx_psql "SELECT count(*) FROM dnd WHERE extension = '2951'")" \
	1 "row in table dnd"
# Idempotent: a second PUT keeps the first "since".
api PUT /api/v1/dnd/2951 '{"enabled": true}'
expect_json "$API_BODY" "PUT on again" '.enabled=true' ".since=$since"

api GET /api/v1/dnd
expect_eq "$API_STATUS" 200 "GET /dnd"
expect_json "$API_BODY" "summary" '.enabled=["2951"]' '.refused=0'

# ---- bad requests ----
api PUT /api/v1/dnd/2952 '{"enabled": "yes"}'
expect_error 400 invalid enabled "enabled as a string"
api PUT /api/v1/dnd/2952 '{}'
expect_error 400 invalid enabled "no enabled"
api PUT /api/v1/dnd/2952 '{"enabled": true, "until": 5}'
expect_error 400 invalid until "unknown field"
api PUT /api/v1/dnd/2952 '[true]'
expect_error 400 bad_request - "array body"
api PUT /api/v1/dnd/2952 '{"enabled": tru'
expect_error 400 bad_json - "malformed JSON"
api PUT /api/v1/dnd/2999 '{"enabled": true}'
expect_error 404 not_found - "PUT for no such user"
api GET /api/v1/dnd/2999
expect_error 404 not_found - "GET for no such user"
api GET /api/v1/dnd/abc
expect_error 404 not_found - "GET for a malformed extension"
api_noauth PUT /api/v1/dnd/2952 '{"enabled": true}'
expect_error 401 unauthorized - "PUT without the token"
api_h DELETE /api/v1/dnd/2952
expect_error 405 method_not_allowed - "DELETE"
expect_eq "$(header Allow)" "GET, PUT" "Allow of /dnd/{ext}"
expect_eq "$(pbx_psql "SELECT count(*) FROM dnd WHERE extension = '2952'")" \
	0 "no row after refused requests"

# ---- the record survives a restart ----
# The dialplan of this test: the default one, plus *78 / *79 turning the
# caller's DND on / off through the dialplan functions; the final code
# (480 on, 404 off) is what dnd.get says afterwards.
cat >"$PBX_TMP/dnd.lua" <<'LUA'
function route(call)
  local dest, me = call.destination, call.caller.number
  if dest == "*78" or dest == "*79" then
    local ok, err = dnd.set(me, dest == "*78")
    if not ok then pbx.log("warn", "dnd.set: %s", err) end
    call:hangup(dnd.get(me) and 480 or 404)
  end
  local result, code = call:dial("user/" .. dest, { timeout = 5 })
  call:hangup(result == "busy" and 486 or code > 0 and code or 480)
end
LUA
mark=$(pbx_log_mark)
pbx_restart -o modules.load=dnd -o "call.dialplan=$PBX_TMP/dnd.lua"
pbx_log_since "$mark" | grep -q 'do not disturb is on for 1 extension' ||
	fail "the restarted module did not load its row"
api GET /api/v1/dnd/2951
expect_json "$API_BODY" "DND still on after restart" '.enabled=true' \
	".since=$since"
api GET /api/v1/dnd
expect_json "$API_BODY" "loop's set after restart" '.enabled=["2951"]'

# ---- calls: busy without ringing, counted by the hook ----
# call_final FROM TO: one call (tests/sipp/uac_fail.xml) from FROM to TO;
# prints the final status pbxd answered, and " after ringing" when a
# 180/183 came first.
call_final() {
	local csv="$PBX_TMP/call.csv" msgs
	call_csv "$csv" "$1" Quiet9please "$2" "$(sip_free_port)" "0 8 101"
	rm -f "$PBX_TMP"/sipp_*.msg
	sipp_run uac_fail -inf "$csv" >/dev/null 2>&1
	msgs=$(cat "$SIPP_MSGLOG" 2>/dev/null)
	printf '%s' "$(grep -oE '^SIP/2.0 [4-6][0-9]{2}' <<<"$msgs" |
		tail -n 1 | cut -d' ' -f2)"
	grep -qE '^SIP/2.0 18[03]' <<<"$msgs" && printf ' after ringing'
	echo
}

# 2951 has no phone registered: without DND its dial finds nobody (404);
# with DND it is busy before any contact is looked at.
mark=$(pbx_log_mark)
expect_eq "$(call_final 2952 2951)" 486 "call to 2951 with DND on"
pbx_log_since "$mark" | grep -q 'to 2951 refused: do not disturb' ||
	fail "the refused call is not logged"
api GET /api/v1/dnd
expect_json "$API_BODY" "refused counted" '.refused=1'
expect_eq "$(call_final 2951 2952)" 404 "call to 2952 (DND off)"
api GET /api/v1/dnd
expect_json "$API_BODY" "a 404 is not counted" '.refused=1'

# The dialplan's dnd.set: memory at once, the row written behind.
dnd_rows_2952() {
	[ "$(pbx_psql "SELECT count(*) FROM dnd
		WHERE extension = '2952'")" = "$1" ]
}
expect_eq "$(call_final 2952 '*78')" 480 "*78: dnd.get true after dnd.set"
wait_until 5 dnd_rows_2952 1 || fail "*78 wrote no row"
expect_eq "$(call_final 2951 2952)" 486 "call to 2952 after *78"
expect_eq "$(call_final 2952 '*79')" 404 "*79: dnd.get false after dnd.set"
wait_until 5 dnd_rows_2952 0 || fail "*79 left the row"
api GET /api/v1/dnd
expect_json "$API_BODY" "after the calls" '.refused=2' '.enabled=["2951"]'

api PUT /api/v1/dnd/2951 '{"enabled": false}'
expect_eq "$API_STATUS" 200 "PUT /dnd/2951 off"
expect_json "$API_BODY" "DND off" '.enabled=false' '.since=null'
expect_eq "$(pbx_psql "SELECT count(*) FROM dnd")" 0 "row deleted"
api GET /api/v1/dnd
expect_json "$API_BODY" "loop's set after off" '.enabled=[]'

# ---- changes made elsewhere: NOTIFY on pbx_dnd ----
# dnd_set_is JSON: the loop's set (GET /api/v1/dnd .enabled) is JSON.
dnd_set_is() {
	api GET /api/v1/dnd
	[ "$(jq_get "$API_BODY" .enabled)" = "$1" ]
}
mark=$(pbx_log_mark)
pbx_psql "INSERT INTO dnd (extension) VALUES ('2952')" >/dev/null
wait_until 2 dnd_set_is '["2952"]' || fail "a row inserted elsewhere did not reach the set: $API_BODY"
pbx_log_since "$mark" | grep -q 'do-not-disturb on for 2952 (changed elsewhere)' ||
	fail "the change from elsewhere is not logged"
expect_eq "$(call_final 2951 2952)" 486 "call to 2952 after the insert elsewhere"
pbx_psql "DELETE FROM dnd WHERE extension = '2952'" >/dev/null
wait_until 2 dnd_set_is '[]' || fail "a row deleted elsewhere stayed in the set: $API_BODY"

# A lost LISTEN connection: once it is back, the set is reloaded, so a
# change made while nobody listened is not missed.
mark=$(pbx_log_mark)
pbx_psql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE query LIKE 'LISTEN %'" >/dev/null
pbx_psql "INSERT INTO dnd (extension) VALUES ('2952')" >/dev/null
reloaded() { pbx_log_since "$mark" | grep -q 'do-not-disturb list reloaded'; }
wait_until 5 reloaded || fail "no reload after the LISTEN connection was lost"
wait_until 2 dnd_set_is '["2952"]' || fail "set after the reload: $API_BODY"
pbx_psql "DELETE FROM dnd WHERE extension = '2952'" >/dev/null
wait_until 2 dnd_set_is '[]' || fail "set after the delete: $API_BODY"

# A deleted user takes its row along.
api PUT /api/v1/dnd/2952 '{"enabled": true}'
expect_eq "$API_STATUS" 200 "PUT /dnd/2952 on"
user_delete 2952
expect_eq "$(pbx_psql "SELECT count(*) FROM dnd")" 0 "row gone with user"
wait_until 2 dnd_set_is '[]' || fail "set after the user was deleted: $API_BODY"

# ---- a module that cannot be loaded ----
pbx_restart -o modules.load=dnd,nosuch
api GET /api/v1/modules
expect_json "$API_BODY" "nosuch listed as failed" '.total=2' \
	'.items[0].name=dnd' '.items[0].state=loaded' \
	'.items[1].name=nosuch' '.items[1].state=failed' \
	'.items[1].routes=[]' '.items[1].description=null'
expect_match "$(jq_get "$API_BODY" '.items[1].reason')" \
	'mod_nosuch\.so: cannot open shared object file' "reason of nosuch"
grep -q 'module nosuch not loaded: .*mod_nosuch\.so' \
	"$PBX_SANDBOX/pbxd.log" || fail "nosuch's reason not logged"
api GET /api/v1/health
expect_eq "$API_STATUS" 200 "pbxd runs without nosuch"
api GET /api/v1/dnd/2951
expect_eq "$API_STATUS" 200 "dnd serves beside a failed module"

# ---- declined by configuration ----
pbx_restart -o modules.load=dnd -o mod.dnd.enabled=no
api GET /api/v1/modules
expect_json "$API_BODY" "dnd declined" '.items[0].state=declined' \
	'.items[0].wrappers=[]' '.items[0].routes=[]'
api GET /api/v1/dnd
expect_error 404 not_found - "/dnd when declined"
