# t_rest_registrations.sh - /api/v1/registrations and a user's bindings,
# read from rows inserted straight into PostgreSQL: every JSON field,
# expired rows hidden, filters and pagination, DELETE (204, row gone),
# and 404 for unknown or malformed ids. Bindings made over SIP are the
# SIP tests' business.
. "$PBX_SRCDIR/tests/integration/lib.sh"
. "$PBX_SRCDIR/tests/integration/rest_lib.sh"

E1=1921 E2=1922
user_create "$E1" 'Blue-Whale-42'
user_create "$E2" 'Green-Heron-77'

uuid() {
	python3 -c 'import uuid; print(uuid.uuid4())'
}
R1=$(uuid)
R2=$(uuid)
R3=$(uuid)
OLD=$(uuid)

# add_reg ID EXT EXPIRES_SQL Q: one binding row with every column set.
add_reg() {
	pbx_psql "INSERT INTO registrations (id, extension, contact, q,
		expires_at, source_ip, source_port, transport, path,
		user_agent, call_id, cseq, node) VALUES ('$1', '$2',
		'<sip:$2@192.0.2.10:5062;transport=tcp>', $4, $3,
		'192.0.2.10', 5062, 'tcp', '<sip:edge.example.com;lr>',
		'TestPhone/1.0', 'call-$1', 42, 'node-a')" ||
		fail "could not insert registration $1"
}
add_reg "$R1" "$E1" "now() + interval '300 seconds'" 0.5
add_reg "$R2" "$E1" "now() + interval '600 seconds'" 1
add_reg "$R3" "$E2" "now() + interval '900 seconds'" 1
add_reg "$OLD" "$E1" "now() - interval '1 minute'" 1

REG_KEYS='["call_id","contact","cseq","expires_at","expires_in","extension",'
REG_KEYS+='"id","node","path","q","registered_at","source","updated_at",'
REG_KEYS+='"user_agent"]'

# ---- one user's bindings -------------------------------------------------

api GET "/api/v1/users/$E1/registrations"
expect_eq "$API_STATUS" 200 "GET /users/$E1/registrations ($API_BODY)"
expect_json "$API_BODY" "bindings of $E1 (expired one hidden)" \
	'.items|length=2' ".items[0].id=$R1" ".items[1].id=$R2" \
	'keys=["items"]'
expect_json "$API_BODY" "registration JSON" \
	".items[0].extension=$E1" \
	".items[0].contact=<sip:$E1@192.0.2.10:5062;transport=tcp>" \
	'.items[0].q=0.5' '.items[1].q=1.0' \
	'.items[0].source.address=192.0.2.10' '.items[0].source.port=5062' \
	'.items[0].source.transport=tcp' \
	'.items[0].path=<sip:edge.example.com;lr>' \
	'.items[0].user_agent=TestPhone/1.0' ".items[0].call_id=call-$R1" \
	'.items[0].cseq=42' '.items[0].node=node-a' \
	".items[0]|keys=$REG_KEYS" \
	'.items[0].source|keys=["address","port","transport"]'
expires_in=$(jq_get "$API_BODY" '.items[0].expires_in')
expect_match "$expires_in" '^[0-9]+$' "expires_in is an integer"
[ "$expires_in" -ge 280 ] && [ "$expires_in" -le 300 ] ||
	fail "expires_in $expires_in is not about 300"
ts='"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z"'
for f in expires_at registered_at updated_at; do
	expect_match "$API_BODY" "\"$f\": $ts" "$f is RFC 3339 UTC"
done

api GET "/api/v1/users/$E2/registrations"
expect_json "$API_BODY" "bindings of $E2" '.items|length=1' \
	".items[0].id=$R3" ".items[0].expires_in=$(jq_get "$API_BODY" \
	'.items[0].expires_in')"
api GET /api/v1/users/1099/registrations
expect_error 404 not_found - "bindings of an unknown user"
expect_json "$API_BODY" "404 names the user" \
	".error.message=no user with extension 1099"

# ---- the registrations list ----------------------------------------------

live=$(pbx_psql "SELECT count(*) FROM registrations WHERE expires_at > now()")
api GET /api/v1/registrations
expect_eq "$API_STATUS" 200 "GET /registrations ($API_BODY)"
expect_json "$API_BODY" "all live bindings" ".total=$live" .limit=50 \
	.offset=0
[[ $API_BODY == *"$R1"* && $API_BODY == *"$R2"* && $API_BODY == *"$R3"* ]] ||
	fail "GET /registrations misses one of ours: $API_BODY"
[[ $API_BODY != *"$OLD"* ]] || fail "GET /registrations lists an expired row"

api GET "/api/v1/registrations?extension=$E1"
expect_json "$API_BODY" "filtered by extension" .total=2 '.items|length=2' \
	".items[0].id=$R1" ".items[1].id=$R2"
api GET "/api/v1/registrations?extension=$E1&limit=1&offset=1"
expect_json "$API_BODY" "filtered page" .total=2 '.items|length=1' \
	".items[0].id=$R2" .limit=1 .offset=1
api GET "/api/v1/registrations?extension=1099"
expect_json "$API_BODY" "no bindings for 1099" .total=0 '.items|length=0'

api GET "/api/v1/registrations?extension=abc"
expect_error 400 invalid extension "extension filter not digits"
api GET "/api/v1/registrations?limit=0"
expect_error 400 invalid limit "limit=0"
api GET "/api/v1/registrations?offset=-5"
expect_error 400 invalid offset "offset=-5"

# ---- delete ----------------------------------------------------------------

api DELETE "/api/v1/registrations/$R1"
expect_eq "$API_STATUS" 204 "DELETE a registration ($API_BODY)"
expect_eq "$API_BODY" "" "204 has no body"
expect_eq "$(pbx_psql "SELECT count(*) FROM registrations
	WHERE id = '$R1'")" 0 "the row is gone"
api GET "/api/v1/users/$E1/registrations"
expect_json "$API_BODY" "one binding left" '.items|length=1' \
	".items[0].id=$R2"
api DELETE "/api/v1/registrations/$R1"
expect_error 404 not_found - "DELETE the same registration again"
expect_json "$API_BODY" "404 names the id" \
	".error.message=no registration with id $R1"

for bad in not-a-uuid 12345 "${R2}0" "${R2:0:35}" \
	"$(printf '%s' "$R2" | tr 'a-f-' 'g-lx')"; do
	api DELETE "/api/v1/registrations/$bad"
	expect_error 404 not_found - "DELETE /registrations/$bad"
done
api DELETE "/api/v1/registrations/$(uuid | tr 'a-f' 'A-F')"
expect_error 404 not_found - "DELETE an unknown upper-case uuid"
expect_eq "$(pbx_psql "SELECT count(*) FROM registrations
	WHERE id IN ('$R2', '$R3')")" 2 "other bindings untouched"

api_h PATCH "/api/v1/registrations/$R2" '{}'
expect_error 405 method_not_allowed - "PATCH a registration"
expect_eq "$(header Allow)" DELETE "Allow on /registrations/{id}"
api_h POST /api/v1/registrations '{}'
expect_error 405 method_not_allowed - "POST /registrations"
expect_eq "$(header Allow)" GET "Allow on /registrations"

pbx_psql "DELETE FROM registrations WHERE id IN ('$R2', '$R3', '$OLD')" \
	>/dev/null
exit 0
