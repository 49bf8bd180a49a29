#!/bin/bash
# REGISTER with MD5 digest through SIPp: 401 then 200 whose Contact has
# expires=, and a row in registrations with where it came from. Also over
# TCP with sipreg.py.
. "$(dirname "$0")/lib.sh"

user_create 2001 'Md5pass2x'
sipp_users_csv "$PBX_TMP/u.csv" 2001:Md5pass2x:300
sipp_run reg_auth -inf "$PBX_TMP/u.csv" || { sipp_show; fail "sipp reg_auth"; }

# What the phone saw: the challenge, then its binding with the time left.
grep -q '^SIP/2.0 401 Unauthorized' "$SIPP_MSGLOG" || fail "no 401 seen"
contact=$(grep -i '^Contact: <sip:2001@127.0.0.1' "$SIPP_MSGLOG" | tail -n 1 | tr -d '\r')
expect_match "$contact" "^Contact: <sip:2001@127\.0\.0\.1:$SIPP_PORT>;expires=(300|299)$" \
	"Contact of the 200"
callid=$(grep -m1 '^Call-ID:' "$SIPP_MSGLOG" | sed 's/^Call-ID: *//' | tr -d '\r')

# What PostgreSQL holds (written behind, within ms).
wait_reg_count 2001 1
row=$(pbx_psql "SELECT contact, q, host(source_ip), source_port, transport,
	user_agent, call_id, cseq, node,
	extract(epoch FROM expires_at - now())::int BETWEEN 290 AND 301
	FROM registrations WHERE extension = '2001'")
expect_eq "$row" "sip:2001@127.0.0.1:$SIPP_PORT|1|127.0.0.1|$SIPP_PORT|udp|pbxd-test-sipp|$callid|2|sandbox|t" \
	"registrations row"

# The same user over TCP: a second binding, transport tcp.
out=$(sipreg --transport tcp --user 2001 --password Md5pass2x --expires 120 \
	--contact '<sip:2001@127.0.0.1:5070;transport=tcp>')
expect_eq "$(sip_status "$out")" 200 "REGISTER over TCP"
expect_match "$out" $'CONTACT <sip:2001@127.0.0.1:5070;transport=tcp>;expires=1[12][0-9]\n' \
	"TCP binding listed"
wait_reg_count 2001 2
expect_eq "$(pbx_psql "SELECT transport, user_agent FROM registrations
	WHERE extension = '2001' AND contact LIKE '%transport=tcp%'")" \
	"tcp|sipreg.py" "TCP row"
