#!/bin/bash
# Bindings (RFC 3261 10.3): several contacts with q, refresh, removing one
# contact, "Contact: *" with Expires: 0, querying without Contact, the
# contact limit and an out-of-order CSeq.
. "$(dirname "$0")/lib.sh"

user_create 2401 'Contacts4x'
A='<sip:2401@127.0.0.1:5071>'
B='<sip:2401@127.0.0.1:5072>'
reg() { sipreg --user 2401 --password Contacts4x "$@"; }

# -- two contacts, different q --
out=$(reg --expires 600 --contact "$A;q=0.5" --contact "$B")
expect_eq "$(sip_status "$out")" 200 "REGISTER with two contacts"
contacts=$(sed -n 's/^CONTACT //p' <<<"$out" | sort)
expect_match "$contacts" \
	'^<sip:2401@127\.0\.0\.1:5071>;expires=(600|599);q=0\.5'$'\n''<sip:2401@127\.0\.0\.1:5072>;expires=(600|599)$' \
	"200 lists both contacts with expires and q"
wait_reg_count 2401 2
expect_eq "$(pbx_psql "SELECT contact || ' ' || q FROM registrations
	WHERE extension = '2401' ORDER BY contact" | paste -sd' ' -)" \
	"sip:2401@127.0.0.1:5071 0.5 sip:2401@127.0.0.1:5072 1" "rows and q"

# -- refresh B with a shorter Expires: same row, new expires_at --
id_b=$(pbx_psql "SELECT id FROM registrations WHERE contact = 'sip:2401@127.0.0.1:5072'")
out=$(reg --expires 120 --contact "$B")
expect_eq "$(sip_status "$out")" 200 "refresh"
expect_match "$out" $'\nCONTACT <sip:2401@127.0.0.1:5072>;expires=1[12][0-9]\n' \
	"refreshed binding listed with its new expiry"
expect_match "$out" $'\nCONTACT <sip:2401@127.0.0.1:5071>;expires=[0-9]+;q=0.5\n' \
	"other binding still listed"
_b_refreshed() {
	[ "$(pbx_psql "SELECT id || ' ' || (expires_at < now() + interval '130 s')
		FROM registrations WHERE contact = 'sip:2401@127.0.0.1:5072'")" = "$id_b true" ]
}
wait_until 5 _b_refreshed || fail "refresh did not update the row of B in place: $(
	pbx_psql "SELECT id, expires_at FROM registrations WHERE extension = '2401'")"
expect_eq "$(reg_count 2401)" 2 "still two rows after the refresh"

# -- query: no Contact lists the bindings and changes nothing --
out=$(reg --no-contact)
expect_eq "$(sip_status "$out")" 200 "REGISTER without Contact"
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 2 "query lists two bindings"

# -- remove one contact with expires=0 --
out=$(reg --contact "$A;expires=0")
expect_eq "$(sip_status "$out")" 200 "unregister A"
expect_eq "$(sed -n 's/^CONTACT //p' <<<"$out" | sed 's/;expires=.*//')" "$B" \
	"only B left in the 200"
wait_reg_count 2401 1
expect_eq "$(pbx_psql "SELECT contact FROM registrations WHERE extension = '2401'")" \
	"sip:2401@127.0.0.1:5072" "row of B left"

# -- Contact: * needs Expires: 0 --
out=$(reg --star --expires 60)
expect_eq "$(sip_status "$out")" 400 "Contact: * with Expires: 60"
out=$(reg --star --expires 0)
expect_eq "$(sip_status "$out")" 200 "Contact: * with Expires: 0"
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 0 "no binding listed after *"
wait_reg_count 2401 0
out=$(reg --no-contact)
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 0 "query lists nothing after *"

# -- per-user contact limit: 3 contacts for max_contacts 2 -> 403 --
api PATCH /api/v1/users/2401 '{"max_contacts": 2}'
expect_eq "$API_STATUS" 200 "PATCH max_contacts"
_limit_applied() {
	out=$(reg --contact '<sip:2401@127.0.0.1:5081>' \
		--contact '<sip:2401@127.0.0.1:5082>' \
		--contact '<sip:2401@127.0.0.1:5083>')
	[ "$(sip_status "$out")" = 403 ]
}
wait_until 5 _limit_applied || fail "3 contacts over a limit of 2: $(sip_status "$out")"
sleep 0.2
expect_eq "$(reg_count 2401)" 0 "nothing bound by the refused REGISTER"
out=$(reg --contact '<sip:2401@127.0.0.1:5081>' --contact '<sip:2401@127.0.0.1:5082>')
expect_eq "$(sip_status "$out")" 200 "2 contacts within the limit"
wait_reg_count 2401 2

# -- CSeq not higher than the stored one for the same Call-ID -> 400 --
out=$(reg --call-id "cseq-2401@test" --cseq 10 --contact '<sip:2401@127.0.0.1:5081>')
expect_eq "$(sip_status "$out")" 200 "REGISTER with CSeq 10 (11 after the 401)"
out=$(reg --call-id "cseq-2401@test" --cseq 5 --contact '<sip:2401@127.0.0.1:5081>;expires=0')
expect_eq "$(sip_status "$out")" 400 "older CSeq for the same Call-ID"
wait_reg_count 2401 2

# -- one contact twice in one request (remove and refresh) -> 400, and
# nothing changes: the request is applied whole or not at all --
out=$(reg --contact '<sip:2401@127.0.0.1:5081>;expires=0' \
	--contact '<sip:2401@127.0.0.1:5081>')
expect_eq "$(sip_status "$out")" 400 "same contact twice in one REGISTER"
expect_match "$out" 'RESPONSE 400 Duplicate Contact' "reason of the 400"
out=$(reg --no-contact)
expect_eq "$(grep -c '^CONTACT ' <<<"$out")" 2 "bindings untouched by the refused REGISTER"
