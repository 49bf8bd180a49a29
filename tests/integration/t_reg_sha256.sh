#!/bin/bash
# SHA-256 digest (RFC 7616/8760) with sipreg.py, which SIPp cannot do:
# a user whose auth_algorithms is "SHA-256", then pbxd configured with
# auth.algorithms = SHA-256, SHA-256,MD5 and MD5,SHA-256.
. "$(dirname "$0")/lib.sh"

ch_re='^CHALLENGE Digest realm="pbx\.local", nonce="[0-9a-f]{16}\.[0-9a-f]{32}", algorithm=%s, qop="auth"$'

# challenges OUTPUT: the algorithms offered in the first 401, in order.
challenges() {
	sed -n 's/^CHALLENGE .*algorithm=\([A-Z0-9-]*\).*/\1/p' <<<"$1" |
		paste -sd, -
}

# -- per-user choice, default config (MD5) --
user_create 2101 'Sha256pw1' '{"auth_algorithms":"SHA-256"}'
user_create 2102 'Md5only22x'

out=$(sipreg --user 2101 --no-auth)
expect_eq "$(sip_status "$out")" 401 "unauthenticated REGISTER"
expect_eq "$(challenges "$out")" SHA-256 "algorithms offered to 2101"
expect_match "$(grep '^CHALLENGE' <<<"$out")" "$(printf "$ch_re" SHA-256)" \
	"SHA-256 challenge"

out=$(sipreg --user 2101 --password Sha256pw1 --expires 600)
expect_eq "$(sip_status "$out")" 200 "SHA-256 REGISTER of 2101"
expect_match "$out" $'\nAUTH SHA-256\n' "answered with SHA-256"
expect_match "$out" $'\nCONTACT <sip:2101@127.0.0.1:[0-9]+>;expires=(600|599)\n' \
	"binding listed"
wait_reg_count 2101 1

# An MD5 answer (right password, pbxd's own nonce) is not accepted from a
# SHA-256 user: a new challenge, never a 200.
out=$(sipreg --user 2101 --no-auth)
nonce=$(sed -n 's/^CHALLENGE .*nonce="\([^"]*\)".*/\1/p' <<<"$out")
out=$(sipreg --user 2101 --password Sha256pw1 --algorithm MD5 \
	--preauth-nonce "$nonce" --no-auth)
expect_match "$out" $'AUTH MD5\nRESPONSE 401' "MD5 Authorization for a SHA-256 user"
expect_eq "$(challenges "$out")" SHA-256 "re-challenged with SHA-256 only"

# 2102 keeps the global MD5.
out=$(sipreg --user 2102 --no-auth)
expect_eq "$(challenges "$out")" MD5 "algorithms offered to 2102"

# -- global SHA-256 --
pbx_restart -o auth.algorithms=SHA-256
out=$(sipreg --user 2102 --no-auth)
expect_eq "$(challenges "$out")" SHA-256 "auth.algorithms=SHA-256"
out=$(sipreg --user 2102 --password Md5only22x --expires 600)
expect_eq "$(sip_status "$out")" 200 "SHA-256 REGISTER of 2102"
expect_match "$out" $'\nAUTH SHA-256\n' "2102 answered with SHA-256"
wait_reg_count 2102 1
out=$(sipreg --user 2102 --password Md5only22x --algorithm MD5)
expect_eq "$(sip_status "$out")" 401 "no MD5 challenge to answer"
expect_match "$out" $'\nNOCHALLENGE' "sipreg found no MD5 challenge"

# -- both: two WWW-Authenticate headers, in the configured order --
pbx_restart -o auth.algorithms=SHA-256,MD5
out=$(sipreg --user 2102 --no-auth)
expect_eq "$(challenges "$out")" SHA-256,MD5 "auth.algorithms=SHA-256,MD5"
expect_eq "$(grep -c '^HDR WWW-Authenticate: Digest' <<<"$out")" 2 \
	"two WWW-Authenticate headers"
n1=$(sed -n 's/^CHALLENGE .*nonce="\([^"]*\)".*/\1/p' <<<"$out" | sort -u | wc -l)
expect_eq "$n1" 1 "one nonce for both challenges"
for alg in SHA-256 MD5; do
	out=$(sipreg --user 2102 --password Md5only22x --algorithm $alg)
	expect_eq "$(sip_status "$out")" 200 "REGISTER answering $alg"
done
# SIPp (MD5 only) registers too when MD5 is offered first.
pbx_restart -o auth.algorithms=MD5,SHA-256
out=$(sipreg --user 2102 --no-auth)
expect_eq "$(challenges "$out")" MD5,SHA-256 "auth.algorithms=MD5,SHA-256"
sipp_users_csv "$PBX_TMP/u.csv" 2102:Md5only22x:600
sipp_run reg_auth -inf "$PBX_TMP/u.csv" || { sipp_show; fail "sipp MD5 with MD5,SHA-256"; }

# The per-user choice still wins over the global one.
out=$(sipreg --user 2101 --no-auth)
expect_eq "$(challenges "$out")" SHA-256 "2101 under MD5,SHA-256"
