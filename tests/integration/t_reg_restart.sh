#!/bin/bash
# Restart persistence: bindings survive a clean stop (SIGTERM) of pbxd,
# both as rows and in what the restarted registrar answers.
. "$(dirname "$0")/lib.sh"

user_create 2901 'Restart9z'
user_create 2902 'Restart9y'
out=$(sipreg --user 2901 --password Restart9z --expires 900 \
	--contact '<sip:2901@127.0.0.1:5065>;q=0.7')
expect_eq "$(sip_status "$out")" 200 "REGISTER 2901"
# 2902 registers and the SIGTERM follows at once: the flush at stop must
# write it even if the batch had not gone out yet.
out=$(sipreg --user 2902 --password Restart9y --expires 900)
expect_eq "$(sip_status "$out")" 200 "REGISTER 2902"
pid_before=$(pbx_pid)
pbx_restart
[ "$(pbx_pid)" != "$pid_before" ] || fail "pbxd was not restarted"

expect_eq "$(reg_count 2901)" 1 "row of 2901 after restart"
expect_eq "$(reg_count 2902)" 1 "row of 2902 after restart"
expect_eq "$(pbx_psql "SELECT contact, q FROM registrations WHERE extension = '2901'")" \
	"sip:2901@127.0.0.1:5065|0.7" "row content after restart"

out=$(sipreg --user 2901 --password Restart9z --no-contact)
expect_eq "$(sip_status "$out")" 200 "query after restart"
expect_match "$out" $'\nCONTACT <sip:2901@127.0.0.1:5065>;expires=(8[0-9][0-9]|900);q=0.7\n' \
	"binding still listed after restart"
out=$(sipreg --user 2902 --password Restart9y --no-contact)
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 1 "2902 binding listed after restart"
grep -q 'loaded [0-9]* users and [1-9][0-9]* bindings' "$PBX_SANDBOX/pbxd.log" ||
	fail "pbxd.log does not report loading the bindings"
