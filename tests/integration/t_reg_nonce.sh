#!/bin/bash
# Nonces: one pbxd did not sign (forged, garbled, from another process)
# gets a fresh 401, never a 403, even with the right password; an expired
# one of pbxd's (auth.nonce_ttl = 10) gets 401 with stale=true, and the
# phone then registers with the new nonce.
. "$(dirname "$0")/lib.sh"

user_create 2601 'NonceTest6'
now_hex=$(printf '%016x' "$(date +%s)")

for nonce in "$now_hex.0123456789abcdef0123456789abcdef" "garbage" \
    "$(printf '%016x' 0).ffffffffffffffffffffffffffffffff"; do
	out=$(sipreg --user 2601 --password NonceTest6 --preauth-nonce "$nonce" --no-auth)
	expect_match "$out" $'^AUTH MD5\nRESPONSE 401 ' "foreign nonce '$nonce': 401"
	if grep -q 'stale=true' <<<"$out"; then
		fail "foreign nonce '$nonce' answered stale=true"
	fi
done
# The same with a wrong password: still a challenge, not a verdict.
out=$(sipreg --user 2601 --password WrongPass6 --preauth-nonce "$now_hex.0123456789abcdef0123456789abcdef" --no-auth)
expect_eq "$(sip_status "$out")" 401 "foreign nonce, wrong password"

# A nonce from before a restart (random key per process) is foreign too.
out=$(sipreg --user 2601 --no-auth)
old=$(sed -n 's/^CHALLENGE .*nonce="\([^"]*\)".*/\1/p' <<<"$out")
pbx_restart -o auth.nonce_ttl=10
out=$(sipreg --user 2601 --password NonceTest6 --preauth-nonce "$old" --no-auth)
expect_eq "$(sip_status "$out")" 401 "nonce of the previous pbxd process"

# Expired: answer a real challenge 11 s late.
out=$(sipreg --user 2601 --password NonceTest6 --auth-delay 11 --max-auth 2 --timeout 8)
expect_match "$out" $'RESPONSE 401 Unauthorized\nCHALLENGE [^\n]*\nAUTH MD5\nRESPONSE 401 Unauthorized\nCHALLENGE [^\n]*stale=true' \
	"late answer: 401 with stale=true"
expect_eq "$(sip_status "$out")" 200 "registered with the fresh nonce"
wait_reg_count 2601 1
