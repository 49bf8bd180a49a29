#!/bin/bash
# The calls API on live calls. DELETE /api/v1/calls/{id} hangs up a call:
# 204, BYE to both phones, then 404 for that id; CDR hung up by pbx.
# POST /api/v1/calls (click-to-call): pbxd rings the "from" user's phone,
# and once it answers, rings the "to" user through the dialplan; both are
# bridged with media flowing, until the API hangs up.
. "$(dirname "$0")/lib.sh"

user_create 1231 'Rest-user-1'
user_create 1232 'Rest-user-2'
P1=$(free_port)
P2=$(free_port)
R1=$(free_port)
R2=$(free_port)
phone_register 1231 'Rest-user-1' "$P1"
phone_register 1232 'Rest-user-2' "$P2"

# ---- DELETE a live call -------------------------------------------------
sipp_bg callee "$P2" call_uas -key sdp_port "$R2" -key codecs "0 101"
call_csv "$PBX_TMP/a.csv" 1231 'Rest-user-1' 1232 "$R1" "0 8 101"
sipp_bg caller - uac_wait_bye -inf "$PBX_TMP/a.csv"
wait_call_state 1231 bridged 5
ID=$(jq_get "$CALL_JSON" .id)
api GET "/api/v1/calls/$ID"
expect_eq "$API_STATUS" 200 "GET the live call"
expect_eq "$(jq_get "$API_BODY" .id)/$(jq_get "$API_BODY" .state)" "$ID/bridged" "the call by id"
api DELETE "/api/v1/calls/$ID"
expect_eq "$API_STATUS" 204 "DELETE the live call: $API_BODY"
sipp_wait caller 5 || { sipp_bg_show caller; fail "caller scenario (BYE expected)"; }
sipp_wait callee 5 || { sipp_bg_show callee; fail "callee scenario (BYE expected)"; }
# (Both scenarios end with a BYE from pbxd.)
wait_calls_total 0 3
api GET "/api/v1/calls/$ID"
expect_eq "$API_STATUS" 404 "GET the call after it ended"
api DELETE "/api/v1/calls/$ID"
expect_eq "$API_STATUS" 404 "DELETE the call after it ended"
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "call_id, disposition, hangup_side")" "$ID|answered|pbx" "cdrs row (DELETE)"

# ---- click-to-call ----------------------------------------------------
# From a user with no registered phone: nothing to ring.
user_create 1233 'Rest-user-3'
api POST /api/v1/calls '{"from":"1233","to":"1232"}'
expect_eq "$API_STATUS" 409 "click-to-call from a user with no phone: $API_BODY"
expect_eq "$(jq_get "$API_BODY" .error.code)" not_registered "error code"
sipp_bg phone1 "$P1" call_uas -key sdp_port "$R1" -key codecs "0 101" -d 300
sipp_bg phone2 "$P2" call_uas -key sdp_port "$R2" -key codecs "0 101" -d 300
api POST /api/v1/calls '{"from":"1231","to":"1232"}'
expect_eq "$API_STATUS" 201 "POST /api/v1/calls: $API_BODY"
ID=$(jq_get "$API_BODY" .id)
expect_match "$ID" '^[0-9a-f-]{36}$' "id of the new call"

wait_call_state 1231 bridged 8
mapfile -t V < <(jq_multi "$CALL_JSON" .id .destination '.legs|length' '.legs[0].uri' \
	'.legs[1].uri' '.legs[0].local_port' '.legs[1].local_port')
expect_eq "${V[0]} ${V[1]} ${V[2]}" "$ID 1232 2" "the click-to-call call"
expect_match "${V[3]}" "^sip:1231@127\\.0\\.0\\.1:$P1" "first leg: 1231's phone"
expect_match "${V[4]}" "^sip:1232@127\\.0\\.0\\.1:$P2" "second leg: 1232's phone"
A_PBX=${V[5]} B_PBX=${V[6]}
answered_at=$(jq_get "$CALL_JSON" .answered_at)
rtpeer_bg a --port "$R1" --remote "127.0.0.1:$A_PBX" --duration 1 --byte 31 --linger 0.6
rtpeer_bg b --port "$R2" --remote "127.0.0.1:$B_PBX" --duration 1 --byte 32 --linger 0.6
rtpeers_go a b

# 1231's phone was rung first and shown whom it calls; 1232's phone was
# rung only after that answer, as a call from 1231.
mapfile -t V < <(sipplog phone1 -q 'recv|INVITE||0|header:From' -q 'sent|SIP/2.0 200|INVITE|0|time')
mapfile -t W < <(sipplog phone2 -q 'recv|INVITE||0|header:From' -q 'recv|INVITE||0|time')
expect_match "${V[0]}" '<sip:1232@pbx\.local>' "From of the INVITE to the first phone"
expect_match "${W[0]}" '<sip:1231@pbx\.local>' "From of the INVITE to the second phone"
t_ok=${V[1]} t_inv=${W[1]}
[[ "$t_ok" < "$t_inv" ]] || fail "second phone rung at $t_inv, before the first answered at $t_ok"

A=$(rtpeer_wait a 5)
B=$(rtpeer_wait b 5)
rtp_expect "1231's peer" "$A" "$A_PBX" min=47 pts=0 bytes=32
rtp_expect "1232's peer" "$B" "$B_PBX" min=47 pts=0 bytes=31

api DELETE "/api/v1/calls/$ID"
expect_eq "$API_STATUS" 204 "DELETE the click-to-call call"
sipp_wait phone1 5 || { sipp_bg_show phone1; fail "first phone (BYE expected)"; }
sipp_wait phone2 5 || { sipp_bg_show phone2; fail "second phone (BYE expected)"; }
wait_calls_total 0 3
# Checked last so that its failure hides no other.
expect_match "$answered_at" '^20[0-9-]+T[0-9:.]+Z$' "answered_at of the bridged click-to-call call"
cdr_wait "$ID"
expect_eq "$(cdr_get "$ID" "call_id, caller_number, destination, disposition, hangup_side,
	answer_time IS NOT NULL")" "$ID|1231|1232|answered|pbx|t" "cdrs row (click-to-call)"
