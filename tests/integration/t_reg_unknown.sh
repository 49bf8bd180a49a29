#!/bin/bash
# No user enumeration: an unknown extension is challenged exactly like a
# known one (same headers, realm, algorithm, qop, no stale, same nonce
# shape) and is refused with 403 only after answering.
. "$(dirname "$0")/lib.sh"

user_create 2301 'KnownPass7y'
unknown=2399
api GET /api/v1/users/$unknown
expect_eq "$API_STATUS" 404 "2399 does not exist"

# shape OUTPUT: the 401's header names and the challenge with its nonce
# replaced by its pattern.
shape() {
	{
		sed -n 's/^HDR \([^:]*\):.*/\1/p' <<<"$1"
		sed -n 's/^CHALLENGE //p' <<<"$1" |
			sed -E 's/nonce="[0-9a-f]{16}\.[0-9a-f]{32}"/nonce="<hex16>.<hex32>"/'
	}
}

known=$(sipreg --user 2301 --no-auth)
unk=$(sipreg --user $unknown --no-auth)
expect_eq "$(sip_status "$known")" 401 "known user challenged"
expect_eq "$(sip_status "$unk")" 401 "unknown user challenged"
expect_eq "$(shape "$unk")" "$(shape "$known")" "challenge of unknown vs known user"
expect_match "$(shape "$known")" 'Digest realm="pbx.local", nonce="<hex16>.<hex32>", algorithm=MD5, qop="auth"' \
	"challenge format"
if grep -qi stale <<<"$unk"; then
	fail "unknown user's challenge says stale"
fi

# Answering it gets 403, as a wrong password does (SIPp and sipreg).
sipp_users_csv "$PBX_TMP/u.csv" $unknown:GuessPass7y
sipp_run reg_auth_403 -inf "$PBX_TMP/u.csv" ||
	{ sipp_show; fail "sipp: unknown user not answered 401 then 403"; }
out=$(sipreg --user $unknown --password GuessPass7y)
expect_match "$out" $'RESPONSE 401 Unauthorized\nCHALLENGE [^\n]*\nAUTH MD5\nRESPONSE 403 ' \
	"unknown user: 401 then 403"
wrong=$(sipreg --user 2301 --password WrongPass7y)
expect_eq "$(grep '^RESPONSE 403' <<<"$out")" "$(grep '^RESPONSE 403' <<<"$wrong")" \
	"same 403 for unknown user and wrong password"
sleep 0.2
expect_eq "$(reg_count $unknown)" 0 "no binding for the unknown user"
