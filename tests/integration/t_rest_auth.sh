# t_rest_auth.sh - bearer tokens: requests without a token or with a wrong
# one get 401 in the error shape with WWW-Authenticate; health needs none;
# "pbxd token create" prints a working token (stored only as its hash),
# "token list" shows it, "token revoke" makes it fail again.
. "$PBX_SRCDIR/tests/integration/lib.sh"
. "$PBX_SRCDIR/tests/integration/rest_lib.sh"

NAME="it-auth-$$"
CONF="$PBX_SANDBOX/pbxd.conf"

auth_cleanup() {
	"$PBXD" -c "$CONF" token revoke "$NAME" >/dev/null 2>&1
	pbx_cleanup
}
trap auth_cleanup EXIT

# noauth_h METHOD PATH [CURL_ARGS...]: a request without the admin
# token; status, body and headers as api_h sets them.
noauth_h() {
	local method=$1 path=$2
	shift 2
	: >"$PBX_TMP/hdrs"
	API_STATUS=$(curl -sS -m 15 -X "$method" -D "$PBX_TMP/hdrs" \
		-o "$PBX_TMP/body" -w '%{http_code}' "$@" "$PBX_REST_URL$path")
	API_BODY=$(cat "$PBX_TMP/body")
	API_HEADERS=$(tr -d '\r' <"$PBX_TMP/hdrs")
}

# expect_401 MESSAGE WHAT
expect_401() {
	expect_error 401 unauthorized - "$2"
	expect_json "$API_BODY" "$2: message" ".error.message=$1"
	expect_match "$(header WWW-Authenticate)" '^Bearer realm="pbxd"' \
		"$2: WWW-Authenticate"
}

# ---- without a valid token -----------------------------------------------

noauth_h GET /api/v1/users
expect_401 "missing bearer token" "GET /users without a token"
noauth_h GET /api/v1/registrations
expect_401 "missing bearer token" "GET /registrations without a token"
noauth_h DELETE /api/v1/users/1001
expect_401 "missing bearer token" "DELETE without a token"
noauth_h POST /api/v1/users -H 'Content-Type: application/json' \
	--data-binary '{"extension":"1931","password":"Blue-Whale-42"}'
expect_401 "missing bearer token" "POST without a token"
expect_eq "$(pbx_psql "SELECT count(*) FROM users WHERE extension = '1931'")" \
	0 "unauthenticated POST created nothing"
noauth_h GET /api/v1/users -H 'Authorization: Basic YWRtaW46YWRtaW4='
expect_401 "missing bearer token" "Basic credentials"
noauth_h GET /api/v1/users -H 'Authorization: Bearer'
expect_401 "missing bearer token" "Bearer without a token"

noauth_h GET /api/v1/users -H 'Authorization: Bearer pbx_not-a-real-token'
expect_401 "invalid token" "wrong token"
noauth_h GET /api/v1/users -H "Authorization: Bearer ${PBX_TOKEN}x"
expect_401 "invalid token" "admin token with a character added"
noauth_h GET /api/v1/users \
	-H "Authorization: Bearer $(printf 'a%.0s' $(seq 1 300))"
expect_401 "invalid token" "overlong token"

noauth_h GET /api/v1/users -H "Authorization: bearer $PBX_TOKEN"
expect_eq "$API_STATUS" 200 "the scheme is case-insensitive ($API_BODY)"

# ---- health needs no token -----------------------------------------------

node=$(sed -n 's/^node\.name *= *//p' "$CONF")
noauth_h GET /api/v1/health
expect_eq "$API_STATUS" 200 "health without a token ($API_BODY)"
expect_json "$API_BODY" "health body" .status=ok .database=ok \
	".node=${node:-null}" \
	'keys=["database","node","status","uptime_s","version"]'
expect_match "$API_BODY" '"version": "[0-9]+\.[0-9]+\.[0-9]+' "version"
expect_match "$API_BODY" '"uptime_s": [0-9]+[,}]' "uptime_s is a number"
noauth_h GET /api/v1/health -H 'Authorization: Bearer wrong'
expect_eq "$API_STATUS" 200 "health ignores a wrong token"
noauth_h POST /api/v1/health
expect_error 405 method_not_allowed - "POST /health"
expect_eq "$(header Allow)" GET "Allow on /health"

# ---- token create / list / revoke ----------------------------------------

token=$("$PBXD" -c "$CONF" token create "$NAME" 2>"$PBX_TMP/create.err")
rc=$?
expect_eq "$rc" 0 "token create exit status ($(cat "$PBX_TMP/create.err"))"
expect_match "$token" '^pbx_[A-Za-z0-9_-]{43}$' \
	"token create prints the token alone on stdout"

stored=$(pbx_psql "SELECT token_hash FROM api_tokens WHERE name = '$NAME'")
expect_eq "$stored" "$(hexhash sha256 "$token")" \
	"api_tokens holds SHA-256 of the token"
expect_eq "$(pbx_psql "SELECT count(*) FROM api_tokens
	WHERE token_hash = '$token' OR name = '$token'")" 0 \
	"the token itself is not stored"
expect_eq "$(pbx_psql "SELECT last_used_at IS NULL FROM api_tokens
	WHERE name = '$NAME'")" t "a new token was never used"

noauth_h GET /api/v1/users -H "Authorization: Bearer $token"
expect_eq "$API_STATUS" 200 "the new token is accepted ($API_BODY)"
used=$(pbx_psql "SELECT last_used_at FROM api_tokens WHERE name = '$NAME'")
[ -n "$used" ] || fail "last_used_at not set after use"
noauth_h GET /api/v1/registrations -H "Authorization: Bearer $token"
expect_eq "$API_STATUS" 200 "the new token, second request"
expect_eq "$(pbx_psql "SELECT last_used_at FROM api_tokens
	WHERE name = '$NAME'")" "$used" \
	"last_used_at is not rewritten within a minute"

list=$("$PBXD" -c "$CONF" token list 2>"$PBX_TMP/list.err")
expect_eq "$?" 0 "token list exit status ($(cat "$PBX_TMP/list.err"))"
expect_match "$(printf '%s\n' "$list" | head -n 1)" \
	'^NAME +CREATED +LAST USED' \
	"token list header"
line=$(printf '%s\n' "$list" | grep "^$NAME ")
expect_match "$line" \
	"^$NAME +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +[0-9]{4}-[0-9]{2}-" \
	"token list shows name, created and last used"
[[ $list != *"$token"* ]] || fail "token list shows the token"

out=$("$PBXD" -c "$CONF" token create "$NAME" 2>"$PBX_TMP/dup.err")
rc=$?
expect_eq "$rc" 1 "duplicate token name exit status"
expect_eq "$out" "" "duplicate token create prints nothing on stdout"
expect_match "$(cat "$PBX_TMP/dup.err")" "already exists" \
	"duplicate token name error"

out=$("$PBXD" -c "$CONF" token create 'bad name!' 2>"$PBX_TMP/bad.err")
rc=$?
[ "$rc" != 0 ] || fail "token create accepted 'bad name!'"
expect_eq "$out" "" "bad token name prints nothing on stdout"
expect_match "$(cat "$PBX_TMP/bad.err")" "1 to 64 characters" \
	"bad token name error"

"$PBXD" -c "$CONF" token revoke "$NAME" 2>"$PBX_TMP/revoke.err"
expect_eq "$?" 0 "token revoke exit status ($(cat "$PBX_TMP/revoke.err"))"
expect_eq "$(pbx_psql "SELECT count(*) FROM api_tokens
	WHERE name = '$NAME'")" 0 "revoked token row is gone"
noauth_h GET /api/v1/users -H "Authorization: Bearer $token"
expect_401 "invalid token" "revoked token"
"$PBXD" -c "$CONF" token revoke "$NAME" 2>"$PBX_TMP/revoke2.err"
expect_eq "$?" 1 "revoking an unknown token fails"
expect_match "$(cat "$PBX_TMP/revoke2.err")" "no token named" \
	"unknown token revoke error"

api GET /api/v1/users
expect_eq "$API_STATUS" 200 "the admin token still works"

exit 0
