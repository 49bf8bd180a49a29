#!/bin/bash
# Expiry limits: 423 Interval Too Brief with Min-Expires below
# registrar.min_expires, clamping above max_expires, and a binding that
# expires (registrar.min_expires = 1) disappears from memory and from
# PostgreSQL.
. "$(dirname "$0")/lib.sh"

user_create 2501 'Expiry5pw'
reg() { sipreg --user 2501 --password Expiry5pw "$@"; }

# -- base config: min 60, max 3600 --
out=$(reg --expires 30)
expect_eq "$(sip_status "$out")" 423 "Expires: 30 below min_expires 60"
expect_match "$out" $'\nHDR Min-Expires: 60\n' "423 carries Min-Expires: 60"
out=$(reg --contact '<sip:2501@127.0.0.1:5091>;expires=59')
expect_eq "$(sip_status "$out")" 423 "contact expires=59"
sleep 0.2
expect_eq "$(reg_count 2501)" 0 "nothing bound by a 423"

out=$(reg --expires 99999)
expect_eq "$(sip_status "$out")" 200 "Expires: 99999"
expect_match "$out" $'\nCONTACT <[^>]*>;expires=(3600|3599)\n' "clamped to max_expires 3600"
out=$(reg --star --expires 0)
expect_eq "$(sip_status "$out")" 200 "clean up"
wait_reg_count 2501 0

# -- a 2 s binding goes away by itself --
pbx_restart -o registrar.min_expires=1
out=$(reg --expires 2 --contact '<sip:2501@127.0.0.1:5092>')
expect_eq "$(sip_status "$out")" 200 "Expires: 2 with min_expires 1"
expect_match "$out" $'\nCONTACT <sip:2501@127.0.0.1:5092>;expires=[12]\n' "2 s binding"
wait_reg_count 2501 1
wait_reg_count 2501 0 6
out=$(reg --no-contact)
expect_eq "$(sip_status "$out")" 200 "query after expiry"
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 0 "no binding listed after expiry"
api GET /api/v1/users/2501/registrations
expect_eq "$(jq_get "$API_BODY" '.items|length')" 0 "REST lists no binding"
