# t_rest_users.sh - /api/v1/users against a real pbxd and PostgreSQL:
# create, read, list with pagination, change, delete; every validation
# error names its field; the generic errors (400 bad JSON, 404, 405, 409,
# 413, 415); and the rows really hold HA1 hashes, never the secrets.
. "$PBX_SRCDIR/tests/integration/lib.sh"

E1=1901 E2=1902 E3=1903
PW1='Blue-Whale-42'
PW2='Green-Heron-77'
PBX_CREATED_USERS+=("$E1" "$E2" "$E3")

# api_h METHOD PATH [JSON]: like api, and the reply headers in API_HEADERS.
api_h() {
	local method=$1 path=$2 json=${3-}
	local -a args=(-sS -m 15 -X "$method" -D "$PBX_TMP/hdrs"
		-o "$PBX_TMP/body" -w '%{http_code}'
		-H "Authorization: Bearer $PBX_TOKEN")
	[ -n "$json" ] &&
		args+=(-H "Content-Type: application/json" --data-binary "$json")
	API_STATUS=$(curl "${args[@]}" "$PBX_REST_URL$path")
	API_BODY=$(cat "$PBX_TMP/body")
	API_HEADERS=$(tr -d '\r' <"$PBX_TMP/hdrs")
}

# header NAME: its value in API_HEADERS (case-insensitive name).
header() {
	printf '%s\n' "$API_HEADERS" | sed -n "s/^$1: *//Ip" | head -n 1
}

# expect_error STATUS CODE FIELD WHAT: the last reply is an error of that
# shape ({"error":{"code","message"[,"field"]}}); FIELD "-" means none.
expect_error() {
	local field
	expect_eq "$API_STATUS" "$1" "$4: HTTP status (body $API_BODY)"
	expect_eq "$(jq_get "$API_BODY" .error.code)" "$2" "$4: error.code"
	field=$(jq_get "$API_BODY" .error.field)
	[ "$3" = - ] && expect_eq "$field" null "$4: no error.field"
	[ "$3" = - ] || expect_eq "$field" "$3" "$4: error.field"
	expect_match "$(jq_get "$API_BODY" .error.message)" '^.{10,}$' \
		"$4: error.message says something"
}

hexhash() {
	python3 -c 'import hashlib, sys
print(hashlib.new(sys.argv[1], sys.argv[2].encode()).hexdigest())' "$1" "$2"
}

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

# ---- create and read ----------------------------------------------------

api_h POST /api/v1/users "{\"extension\":\"$E1\",\"password\":\"$PW1\",
	\"display_name\":\"Alice \u00c9toile\",\"email\":\"alice@example.com\",
	\"voicemail_pin\":\"4821\",\"auth_algorithms\":\"SHA-256,MD5\",
	\"max_contacts\":3}"
expect_eq "$API_STATUS" 201 "POST /users creates ($API_BODY)"
expect_eq "$(header Location)" "/api/v1/users/$E1" "Location header"
expect_match "$(header Content-Type)" '^application/json' "Content-Type"
expect_eq "$(jq_get "$API_BODY" .extension)" "$E1" "created extension"
expect_eq "$(jq_get "$API_BODY" .display_name)" "Alice Étoile" \
	"display_name keeps UTF-8"
expect_eq "$(jq_get "$API_BODY" .email)" alice@example.com "email"
expect_eq "$(jq_get "$API_BODY" .enabled)" true "enabled defaults to true"
expect_eq "$(jq_get "$API_BODY" .auth_algorithms)" SHA-256,MD5 \
	"auth_algorithms"
expect_eq "$(jq_get "$API_BODY" .max_contacts)" 3 "max_contacts"
expect_eq "$(jq_get "$API_BODY" .has_voicemail_pin)" true \
	"has_voicemail_pin"
expect_match "$(jq_get "$API_BODY" .created_at)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$' \
	"created_at is RFC 3339"
expect_eq "$(jq_get "$API_BODY" 'keys')" \
	'["auth_algorithms","created_at","display_name","email","enabled","extension","has_voicemail_pin","max_contacts","updated_at"]' \
	"user JSON has exactly the documented fields (no secrets)"

check_ha1 "$E1" "$PW1"
pin=$(pbx_psql "SELECT voicemail_pin_hash FROM users WHERE extension = '$E1'")
[ -n "$pin" ] || fail "voicemail_pin_hash is empty"
[ "$pin" != 4821 ] || fail "the PIN is stored in clear"
expect_match "$pin" '^pbkdf2-sha256\$' "PIN stored as a PBKDF2 hash"

api GET "/api/v1/users/$E1"
expect_eq "$API_STATUS" 200 "GET /users/$E1"
expect_eq "$(jq_get "$API_BODY" .display_name)" "Alice Étoile" "GET body"
created_at=$(jq_get "$API_BODY" .created_at)

api POST /api/v1/users "{\"extension\":\"$E2\",\"password\":\"$PW2\"}"
expect_eq "$API_STATUS" 201 "POST minimal user ($API_BODY)"
expect_eq "$(jq_get "$API_BODY" .display_name)" "" "display_name default"
expect_eq "$(jq_get "$API_BODY" .email)" null "email default null"
expect_eq "$(jq_get "$API_BODY" .auth_algorithms)" null \
	"auth_algorithms default null"
expect_eq "$(jq_get "$API_BODY" .max_contacts)" null "max_contacts null"
expect_eq "$(jq_get "$API_BODY" .has_voicemail_pin)" false "no PIN"
api POST /api/v1/users "{\"extension\":\"$E3\",\"password\":\"$PW2\",
	\"enabled\":false}"
expect_eq "$API_STATUS" 201 "POST disabled user ($API_BODY)"
expect_eq "$(jq_get "$API_BODY" .enabled)" false "enabled false kept"

api POST /api/v1/users "{\"extension\":\"$E1\",\"password\":\"$PW2\"}"
expect_error 409 conflict extension "duplicate extension"
expect_match "$(jq_get "$API_BODY" .error.message)" "$E1" \
	"409 names the extension"

api GET /api/v1/users/1099
expect_error 404 not_found - "GET unknown user"
expect_eq "$(jq_get "$API_BODY" .error.message)" \
	"no user with extension 1099" "404 message"
api GET /api/v1/users/abc
expect_error 404 not_found - "GET malformed extension"

# ---- list and pagination -------------------------------------------------

total=$(pbx_psql "SELECT count(*) FROM users")
before=$(pbx_psql "SELECT count(*) FROM users WHERE extension < '$E1'")
api GET /api/v1/users
expect_eq "$API_STATUS" 200 "GET /users"
expect_eq "$(jq_get "$API_BODY" .total)" "$total" "total"
expect_eq "$(jq_get "$API_BODY" .limit)" 50 "default limit"
expect_eq "$(jq_get "$API_BODY" .offset)" 0 "default offset"

api GET "/api/v1/users?limit=2&offset=$before"
expect_eq "$API_STATUS" 200 "GET /users page"
expect_eq "$(jq_get "$API_BODY" '.items|length')" 2 "page of 2"
expect_eq "$(jq_get "$API_BODY" '.items[0].extension')" "$E1" "page item 0"
expect_eq "$(jq_get "$API_BODY" '.items[1].extension')" "$E2" "page item 1"
expect_eq "$(jq_get "$API_BODY" .limit)" 2 "limit echoed"
expect_eq "$(jq_get "$API_BODY" .offset)" "$before" "offset echoed"
expect_eq "$(jq_get "$API_BODY" .total)" "$total" "total with a page"
api GET "/api/v1/users?limit=1&offset=$((before + 2))"
expect_eq "$(jq_get "$API_BODY" '.items[0].extension')" "$E3" "next page"
api GET "/api/v1/users?limit=500&offset=$total"
expect_eq "$API_STATUS" 200 "offset past the end"
expect_eq "$(jq_get "$API_BODY" '.items|length')" 0 "empty page"
expect_eq "$(jq_get "$API_BODY" .total)" "$total" "total past the end"

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
	api POST /api/v1/users "{\"extension\":\"1910\",\"password\":\"$PW1\"$2}"
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
expect_eq "$(jq_get "$API_BODY" .error.message)" "unknown field 'colour'" \
	"unknown field message"

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
expect_match "$(jq_get "$API_BODY" .error.message)" 'line 1, column [0-9]+' \
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
expect_eq "$(jq_get "$API_BODY" .display_name)" "Alice B" "patched name"
expect_eq "$(jq_get "$API_BODY" .email)" null "email cleared"
expect_eq "$(jq_get "$API_BODY" .enabled)" false "disabled"
expect_eq "$(jq_get "$API_BODY" .max_contacts)" null "max_contacts cleared"
expect_eq "$(jq_get "$API_BODY" .auth_algorithms)" MD5 "algorithms"
expect_eq "$(jq_get "$API_BODY" .has_voicemail_pin)" true "PIN untouched"
expect_eq "$(jq_get "$API_BODY" .created_at)" "$created_at" \
	"created_at unchanged"
moved=$(pbx_psql "SELECT updated_at > created_at FROM users
	WHERE extension = '$E1'")
expect_eq "$moved" t "updated_at moved"
check_ha1 "$E1" "$PW1"

api PATCH "/api/v1/users/$E1" "{\"password\":\"$PW2\"}"
expect_eq "$API_STATUS" 200 "PATCH password ($API_BODY)"
check_ha1 "$E1" "$PW2"

api PATCH "/api/v1/users/$E1" '{"voicemail_pin":null}'
expect_eq "$(jq_get "$API_BODY" .has_voicemail_pin)" false "PIN removed"
expect_eq "$(pbx_psql "SELECT voicemail_pin_hash IS NULL FROM users
	WHERE extension = '$E1'")" t "PIN hash column cleared"
api PATCH "/api/v1/users/$E1" '{"voicemail_pin":"0042"}'
expect_eq "$(jq_get "$API_BODY" .has_voicemail_pin)" true "PIN set again"

api PATCH "/api/v1/users/$E1" '{"extension":"1999"}'
expect_error 400 invalid extension "PATCH extension"
expect_eq "$(jq_get "$API_BODY" .error.message)" \
	"extension cannot be changed" "PATCH extension message"
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
