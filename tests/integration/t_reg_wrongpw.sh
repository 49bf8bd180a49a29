#!/bin/bash
# A wrong password is refused with 403 after the challenge, binds nothing,
# and the right password still works afterwards.
. "$(dirname "$0")/lib.sh"

user_create 2201 'RightPass9x'
sipp_users_csv "$PBX_TMP/bad.csv" 2201:WrongPass9x
sipp_run reg_auth_403 -inf "$PBX_TMP/bad.csv" ||
	{ sipp_show; fail "sipp: wrong password not answered 401 then 403"; }

out=$(sipreg --user 2201 --password WrongPass9x)
expect_match "$out" $'RESPONSE 401 Unauthorized\nCHALLENGE [^\n]*\nAUTH MD5\nRESPONSE 403 ' \
	"sipreg: 401, then 403 for the wrong password"
out=$(sipreg --user 2201 --password rightpass9x)
expect_eq "$(sip_status "$out")" 403 "password case matters"
sleep 0.2
expect_eq "$(reg_count 2201)" 0 "no binding after refused REGISTERs"

out=$(sipreg --user 2201 --password RightPass9x)
expect_eq "$(sip_status "$out")" 200 "right password"
wait_reg_count 2201 1
