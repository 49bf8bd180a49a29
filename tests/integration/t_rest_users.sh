# t_rest_users.sh - /api/v1/users against a real pbxd and PostgreSQL:
# create, read, list with pagination, change, delete; every validation
# error names its field; the generic errors (400 bad JSON, 404, 405, 409,
# 413, 415); and the rows really hold HA1 hashes, never the secrets.
. "$PBX_SRCDIR/tests/integration/lib.sh"
. "$PBX_SRCDIR/tests/integration/rest_lib.sh"

E1=1901 E2=1902 E3=1903
PW1='Blue-Whale-42'
PW2='Green-Heron-77'
PBX_CREATED_USERS+=("$E1" "$E2" "$E3")

# check_ha1 EXT PASSWORD: the stored HA1s are H(ext:realm:password).
check_ha1() {
	local realm md5 sha
	realm=$(pbx_psql "SELECT realm FROM users WHERE extension = '$1'")
	[ -n "$realm" ] || fail "no realm stored for $1"
	md5=$(pbx_psql "SELECT ha1_md5 FROM users WHERE extension = '$1'")
	sha=$(pbx_psql "SELECT ha1_sha256 FROM users WHERE extension = '$1'")
	expect_match "$md5" '^[0-9a-f]{32}$' "$1: ha1_md5 is 32 hex digits"
	expect_match "$sha" '^[0-9a-f]{64}$' "$1: ha1_sha256 is 64 hex digits"
	expect_eq "$md5" "$(hexhash md5 "$1:$realm:$2")" \
		"$1: ha1_md5 = MD5(ext:realm:password)"
	expect_eq "$sha" "$(hexhash sha256 "$1:$realm:$2")" \
		"$1: ha1_sha256 = SHA-256(ext:realm:password)"
}

# The user JSON has exactly these fields: never a secret or a hash.
USER_KEYS='["auth_algorithms","created_at","display_name","email","enabled",'
USER_KEYS+='"extension","has_voicemail_pin","max_contacts","updated_at"]'
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z'

# ---- create and read ----------------------------------------------------

api_h POST /api/v1/users "{\"extension\":\"$E1\",\"password\":\"$PW1\",
	\"display_name\":\"Alice \u00c9toile\",\"email\":\"alice@example.com\",
	\"voicemail_pin\":\"4821\",\"auth_algorithms\":\"SHA-256,MD5\",
	\"max_contacts\":3}"
expect_eq "$API_STATUS" 201 "POST /users creates ($API_BODY)"
expect_eq "$(header Location)" "/api/v1/users/$E1" "Location header"
expect_match "$(header Content-Type)" '^application/json' "Content-Type"
expect_json "$API_BODY" "created user" ".extension=$E1" \
	".display_name=Alice Étoile" .email=alice@example.com .enabled=true \
	.auth_algorithms=SHA-256,MD5 .max_contacts=3 .has_voicemail_pin=true \
	"keys=$USER_KEYS"
expect_match "$API_BODY" "\"created_at\": \"$TS\"" "created_at is RFC 3339"
expect_match "$API_BODY" "\"updated_at\": \"$TS\"" "updated_at is RFC 3339"

check_ha1 "$E1" "$PW1"
pin=$(pbx_psql "SELECT voicemail_pin_hash FROM users WHERE extension = '$E1'")
[ -n "$pin" ] || fail "voicemail_pin_hash is empty"
[ "$pin" != 4821 ] || fail "the PIN is stored in clear"
expect_match "$pin" '^pbkdf2-sha256\$' "PIN stored as a PBKDF2 hash"

api GET "/api/v1/users/$E1"
expect_eq "$API_STATUS" 200 "GET /users/$E1"
expect_json "$API_BODY" "GET body" ".extension=$E1" \
	".display_name=Alice Étoile" .max_contacts=3
created_at=$(jq_get "$API_BODY" .created_at)

api POST /api/v1/users "{\"extension\":\"$E2\",\"password\":\"$PW2\"}"
expect_eq "$API_STATUS" 201 "POST minimal user ($API_BODY)"
expect_json "$API_BODY" "minimal user defaults" .display_name= .email=null \
	.enabled=true .auth_algorithms=null .max_contacts=null \
	.has_voicemail_pin=false
api POST /api/v1/users "{\"extension\":\"$E3\",\"password\":\"$PW2\",
	\"enabled\":false}"
expect_eq "$API_STATUS" 201 "POST disabled user ($API_BODY)"
expect_json "$API_BODY" "disabled user" .enabled=false

api POST /api/v1/users "{\"extension\":\"$E1\",\"password\":\"$PW2\"}"
expect_error 409 conflict extension "duplicate extension"
expect_match "$API_BODY" "\"message\": \"[^\"]*$E1" "409 names the extension"

api GET /api/v1/users/1099
expect_error 404 not_found - "GET unknown user"
expect_json "$API_BODY" "404 message" \
	".error.message=no user with extension 1099"
api GET /api/v1/users/abc
expect_error 404 not_found - "GET malformed extension"

# ---- list and pagination -------------------------------------------------

total=$(pbx_psql "SELECT count(*) FROM users")
before=$(pbx_psql "SELECT count(*) FROM users WHERE extension < '$E1'")
api GET /api/v1/users
expect_eq "$API_STATUS" 200 "GET /users"
expect_json "$API_BODY" "first page" ".total=$total" .limit=50 .offset=0 \
	".items|length=$((total < 50 ? total : 50))"

api GET "/api/v1/users?limit=2&offset=$before"
expect_eq "$API_STATUS" 200 "GET /users page"
expect_json "$API_BODY" "page of 2 in extension order" '.items|length=2' \
	".items[0].extension=$E1" ".items[1].extension=$E2" .limit=2 \
	".offset=$before" ".total=$total" \
	".items[1].display_name=" ".items[0].max_contacts=3"
api GET "/api/v1/users?limit=1&offset=$((before + 2))"
expect_json "$API_BODY" "next page" '.items|length=1' \
	".items[0].extension=$E3"
api GET "/api/v1/users?limit=500&offset=$total"
expect_eq "$API_STATUS" 200 "offset past the end"
expect_json "$API_BODY" "empty page" '.items|length=0' ".total=$total" \
	.limit=500

for q in limit=0 limit=501 limit=abc limit=5x limit=-1 limit=; do
	api GET "/api/v1/users?$q"
	expect_error 400 invalid limit "GET /users?$q"
done
for q in offset=-1 offset=x offset=99999999999; do
	api GET "/api/v1/users?$q"
	expect_error 400 invalid offset "GET /users?$q"
done

# ---- validation on create ------------------------------------------------

# bad_create FIELD JSON_FIELDS: POST with a valid extension and password
# plus JSON_FIELDS must fail on FIELD.
bad_create() {
	api POST /api/v1/users \
		"{\"extension\":\"1910\",\"password\":\"$PW1\"$2}"
	expect_error 400 invalid "$1" "POST with$2"
}
bad_create display_name ',"display_name":5'
bad_create display_name ',"display_name":"a\tb"'
bad_create display_name ",\"display_name\":\"$(printf '%065d' 0)\""
bad_create email ',"email":"not-an-address"'
bad_create email ',"email":true'
bad_create enabled ',"enabled":"yes"'
bad_create voicemail_pin ',"voicemail_pin":"12"'
bad_create voicemail_pin ',"voicemail_pin":1234'
bad_create auth_algorithms ',"auth_algorithms":"SHA-512"'
bad_create max_contacts ',"max_contacts":0'
bad_create max_contacts ',"max_contacts":101'
bad_create max_contacts ',"max_contacts":"3"'
bad_create colour ',"colour":"red"'
expect_json "$API_BODY" "unknown field message" \
	".error.message=unknown field 'colour'"

api POST /api/v1/users "{\"password\":\"$PW1\"}"
expect_error 400 invalid extension "POST without extension"
api POST /api/v1/users '{"extension":"1910"}'
expect_error 400 invalid password "POST without password"
for ext in '"1"' '"12345678901"' '"19a0"' 1910; do
	api POST /api/v1/users "{\"extension\":$ext,\"password\":\"$PW1\"}"
	expect_error 400 invalid extension "POST extension $ext"
done
api POST /api/v1/users '{"extension":"1910","password":"short"}'
expect_error 400 invalid password "POST weak password"
api POST /api/v1/users '{"extension":"1910","password":"xx1910yyzz"}'
expect_error 400 invalid password "POST password holding the extension"
expect_eq "$(pbx_psql "SELECT count(*) FROM users WHERE extension = '1910'")" \
	0 "no rejected user was stored"

# ---- generic request errors ----------------------------------------------

api POST /api/v1/users '{"extension":"1910",'
expect_error 400 bad_json - "truncated JSON"
expect_match "$API_BODY" 'line 1, column [0-9]+' \
	"bad_json gives line and column"
api POST /api/v1/users "{\"extension\":\"1910\",\"password\":\"$PW1\",
	\"password\":\"$PW2\"}"
expect_error 400 bad_json - "duplicate key"
api POST /api/v1/users '[{"extension":"1910"}]'
expect_error 400 bad_request - "array body"
api POST /api/v1/users '"1910"'
expect_error 400 bad_request - "string body"
api POST /api/v1/users
expect_error 400 bad_request - "empty body"

api_noauth POST /api/v1/users "" -H "Authorization: Bearer $PBX_TOKEN" \
	-H "Content-Type: text/plain" \
	--data-binary "{\"extension\":\"1910\",\"password\":\"$PW1\"}"
expect_error 415 unsupported_media_type - "text/plain body"
api_noauth POST /api/v1/users "" -H "Authorization: Bearer $PBX_TOKEN" \
	--data-binary "{\"extension\":\"1910\",\"password\":\"$PW1\"}"
expect_error 415 unsupported_media_type - "form-encoded body"
api_noauth POST /api/v1/users "" -H "Authorization: Bearer $PBX_TOKEN" \
	-H "Content-Type: application/json; charset=utf-8" \
	--data-binary "{\"extension\":\"1910\",\"password\":\"$PW1\"}"
expect_eq "$API_STATUS" 201 "charset parameter accepted ($API_BODY)"
PBX_CREATED_USERS+=(1910)

python3 -c 'print("{\"display_name\":\"" + "a" * 70000 + "\"}")' \
	>"$PBX_TMP/big.json"
api POST /api/v1/users "$(cat "$PBX_TMP/big.json")"
expect_error 413 too_large - "70 kB body"
api_noauth POST /api/v1/users "" -H "Authorization: Bearer $PBX_TOKEN" \
	-H "Content-Type: application/json" -H "Transfer-Encoding: chunked" \
	--data-binary @"$PBX_TMP/big.json"
expect_error 413 too_large - "70 kB chunked body"

api_h PUT "/api/v1/users/$E1" '{}'
expect_error 405 method_not_allowed - "PUT on a user"
expect_eq "$(header Allow)" "GET, PATCH, DELETE" "Allow on /users/{ext}"
api_h DELETE /api/v1/users
expect_error 405 method_not_allowed - "DELETE on /users"
expect_eq "$(header Allow)" "GET, POST" "Allow on /users"
api GET /api/v1/userz
expect_error 404 not_found - "unknown path"
api GET /api/v1/users/
expect_error 404 not_found - "trailing slash"

# ---- change ----------------------------------------------------------------

sleep 0.01
api PATCH "/api/v1/users/$E1" '{"display_name":"Alice B","email":null,
	"enabled":false,"max_contacts":null,"auth_algorithms":"MD5"}'
expect_eq "$API_STATUS" 200 "PATCH ($API_BODY)"
expect_json "$API_BODY" "patched user" ".display_name=Alice B" \
	.email=null .enabled=false .max_contacts=null .auth_algorithms=MD5 \
	.has_voicemail_pin=true ".created_at=$created_at"
moved=$(pbx_psql "SELECT updated_at > created_at FROM users
	WHERE extension = '$E1'")
expect_eq "$moved" t "updated_at moved"
check_ha1 "$E1" "$PW1"

api PATCH "/api/v1/users/$E1" "{\"password\":\"$PW2\"}"
expect_eq "$API_STATUS" 200 "PATCH password ($API_BODY)"
check_ha1 "$E1" "$PW2"

api PATCH "/api/v1/users/$E1" '{"voicemail_pin":null}'
expect_json "$API_BODY" "PIN removed" .has_voicemail_pin=false
expect_eq "$(pbx_psql "SELECT voicemail_pin_hash IS NULL FROM users
	WHERE extension = '$E1'")" t "PIN hash column cleared"
api PATCH "/api/v1/users/$E1" '{"voicemail_pin":"0042"}'
expect_json "$API_BODY" "PIN set again" .has_voicemail_pin=true

api PATCH "/api/v1/users/$E1" '{"extension":"1999"}'
expect_error 400 invalid extension "PATCH extension"
expect_json "$API_BODY" "PATCH extension message" \
	".error.message=extension cannot be changed"
api PATCH "/api/v1/users/$E1" '{}'
expect_error 400 bad_request - "PATCH empty object"
api PATCH "/api/v1/users/$E1" '{"nick":"al"}'
expect_error 400 invalid nick "PATCH unknown field"
api PATCH "/api/v1/users/$E1" '{"password":"short"}'
expect_error 400 invalid password "PATCH weak password"
api PATCH "/api/v1/users/$E1" '{"enabled":1}'
expect_error 400 invalid enabled "PATCH enabled as a number"
api PATCH /api/v1/users/1099 '{"enabled":true}'
expect_error 404 not_found - "PATCH unknown user"
check_ha1 "$E1" "$PW2"

# ---- delete ----------------------------------------------------------------

rid=$(python3 -c 'import uuid; print(uuid.uuid4())')
pbx_psql "INSERT INTO registrations (id, extension, contact, expires_at,
	call_id, cseq, node) VALUES ('$rid', '$E2', 'sip:$E2@127.0.0.1:5999',
	now() + interval '1 hour', 'cid-users-test', 1, 'sandbox')" ||
	fail "could not insert a registration"
api DELETE "/api/v1/users/$E2"
expect_eq "$API_STATUS" 204 "DELETE user"
expect_eq "$API_BODY" "" "204 has no body"
api GET "/api/v1/users/$E2"
expect_error 404 not_found - "GET deleted user"
expect_eq "$(pbx_psql "SELECT count(*) FROM registrations
	WHERE id = '$rid'")" 0 "registrations cascade"
api DELETE "/api/v1/users/$E2"
expect_error 404 not_found - "DELETE twice"

exit 0
