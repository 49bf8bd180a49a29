#!/bin/bash
# REST and the registrar: a user created over REST registers at once;
# disabling it refuses the next REGISTER; its bindings are listed over
# REST; deleting one binding over REST removes it from what the registrar
# answers; deleting the user refuses it and removes its rows.
. "$(dirname "$0")/lib.sh"

user_create 2801 'RestUser8x'
reg() { sipreg --user 2801 --password RestUser8x "$@"; }

out=$(reg --expires 600 --contact '<sip:2801@127.0.0.1:5061>' --contact '<sip:2801@127.0.0.1:5062>')
expect_eq "$(sip_status "$out")" 200 "REGISTER right after POST /users"
wait_reg_count 2801 2

api GET /api/v1/users/2801/registrations
expect_eq "$API_STATUS" 200 "GET /users/2801/registrations"
expect_eq "$(jq_get "$API_BODY" '.items|length')" 2 "two registrations listed"
expect_eq "$(jq_get "$API_BODY" '.items[0].extension')" 2801 "registration extension"
expect_eq "$(jq_get "$API_BODY" '.items[0].source.transport')" udp "registration transport"
expect_eq "$(jq_get "$API_BODY" '.items[0].user_agent')" sipreg.py "registration user agent"

# -- DELETE /registrations/{id}: gone from the registrar's next answer --
id=$(pbx_psql "SELECT id FROM registrations WHERE contact = 'sip:2801@127.0.0.1:5061'")
api DELETE "/api/v1/registrations/$id"
expect_eq "$API_STATUS" 204 "DELETE /registrations/$id"
_dropped() {
	out=$(reg --no-contact)
	[ "$(sip_status "$out")" = 200 ] &&
		! grep -q '^CONTACT <sip:2801@127.0.0.1:5061>' <<<"$out" &&
		grep -q '^CONTACT <sip:2801@127.0.0.1:5062>' <<<"$out"
}
wait_until 5 _dropped || fail "deleted binding still listed by the registrar: $out"
expect_eq "$(reg_count 2801)" 1 "one row left"

# -- disabled: 403; enabled again: 200 --
api PATCH /api/v1/users/2801 '{"enabled": false}'
expect_eq "$API_STATUS" 200 "PATCH enabled=false"
_refused() { out=$(reg --no-contact); [ "$(sip_status "$out")" = 403 ]; }
wait_until 5 _refused || fail "disabled user not refused: $(sip_status "$out")"
api PATCH /api/v1/users/2801 '{"enabled": true}'
expect_eq "$API_STATUS" 200 "PATCH enabled=true"
_accepted() { out=$(reg --no-contact); [ "$(sip_status "$out")" = 200 ]; }
wait_until 5 _accepted || fail "enabled user not accepted: $(sip_status "$out")"

# -- a new password applies at once, the old one is refused --
api PATCH /api/v1/users/2801 '{"password": "NewSecret9y"}'
expect_eq "$API_STATUS" 200 "PATCH password"
_new_pw() {
	out=$(sipreg --user 2801 --password NewSecret9y --no-contact)
	[ "$(sip_status "$out")" = 200 ]
}
wait_until 5 _new_pw || fail "new password not accepted: $(sip_status "$out")"
out=$(reg --no-contact)
expect_eq "$(sip_status "$out")" 403 "old password after the change"

# -- DELETE user: 403 and its rows are gone --
api DELETE /api/v1/users/2801
expect_eq "$API_STATUS" 204 "DELETE /users/2801"
expect_eq "$(reg_count 2801)" 0 "rows of the deleted user"
_gone() {
	out=$(sipreg --user 2801 --password NewSecret9y --no-contact)
	[ "$(sip_status "$out")" = 403 ]
}
wait_until 5 _gone || fail "deleted user not refused: $(sip_status "$out")"
out=$(sipreg --user 2801 --password NewSecret9y --contact '<sip:2801@127.0.0.1:5063>')
expect_eq "$(sip_status "$out")" 403 "REGISTER of the deleted user"
sleep 0.2
expect_eq "$(reg_count 2801)" 0 "no row for the deleted user"
