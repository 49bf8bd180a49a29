#!/bin/bash
# Failed-authentication limit per source (auth.fail_limit = 3): after three
# wrong passwords from 127.0.0.1 even the right one is refused with 403,
# pbxd.log says why, and another source (127.0.0.2) is not affected.
. "$(dirname "$0")/lib.sh"

user_create 2701 'RateLimit7'
pbx_restart -o auth.fail_limit=3 -o auth.fail_window=60 -o auth.block_time=300
mark=$(pbx_log_mark)

for i in 1 2 3; do
	out=$(sipreg --user 2701 --password WrongPass$i)
	expect_match "$out" $'RESPONSE 401 [^\n]*\nCHALLENGE [^\n]*\nAUTH MD5\nRESPONSE 403 ' \
		"wrong password #$i: 401 then 403"
done

out=$(sipreg --user 2701 --password RateLimit7)
expect_match "$out" $'^RESPONSE 403 ' "right password from a blocked source: 403 at once"
expect_eq "$(sip_status "$out")" 403 "blocked"
_logged() { pbx_log_since "$mark" | grep -q 'blocking 127\.0\.0\.1'; }
wait_until 3 _logged || fail "pbxd.log does not report blocking 127.0.0.1: $(pbx_log_since "$mark" | tail -n 5)"

out=$(sipreg --local-ip 127.0.0.2 --user 2701 --password RateLimit7)
expect_eq "$(sip_status "$out")" 200 "another source still registers"
wait_reg_count 2701 1
expect_eq "$(pbx_psql "SELECT host(source_ip) FROM registrations WHERE extension = '2701'")" \
	127.0.0.2 "row from 127.0.0.2"
