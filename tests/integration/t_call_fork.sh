#!/bin/bash
# A user with two phones. Equal q: both ring at once, the one that answers
# gets the call, the other a CANCEL. Different q: the higher q rings
# first, alone; after its 486 the lower q rings and answers.
. "$(dirname "$0")/lib.sh"

user_create 1161 'Fork-caller-1'
user_create 1162 'Fork-callee-2'
P1=$(free_port)
P2=$(free_port)
phone_register 1162 'Fork-callee-2' "$P1" 0.5
phone_register 1162 'Fork-callee-2' "$P2" 0.5
wait_reg_count 1162 2

# ---- equal q: parallel fork --------------------------------------------
sipp_bg ring "$P1" uas_ring
sipp_bg answer "$P2" call_uas -key sdp_port "$(free_port)" -key codecs "0 101" -d 500
call_csv "$PBX_TMP/a.csv" 1161 'Fork-caller-1' 1162 "$(free_port)" "0 8 101"
sipp_bg caller - call_uac -inf "$PBX_TMP/a.csv" -d 1000

sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario (equal q)"; }
sipp_wait answer 5 || { sipp_bg_show answer; fail "answering phone (equal q)"; }
sipp_wait ring 5 || { sipp_bg_show ring; fail "ringing phone: CANCEL expected"; }
# (The ringing phone's scenario ends with CANCEL, 200, 487, ACK.)
# Both were rung before either answered: the INVITE to the loser came
# before the winner's 200.
t_ring=$(sipplog ring -q 'recv|INVITE||0|time')
t_ok=$(sipplog answer -q 'sent|SIP/2.0 200|INVITE|0|time')
[[ "$t_ring" < "$t_ok" ]] || fail "the second phone was rung at $t_ring, after the 200 at $t_ok"
cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, jsonb_array_length(legs),
	(SELECT string_agg(l->>'uri' || '=' || (l->>'answered'), ' ' ORDER BY l->>'answered')
	 FROM jsonb_array_elements(legs) l)")" \
	"answered|2|sip:1162@127.0.0.1:$P1=false sip:1162@127.0.0.1:$P2=true" "cdrs row (equal q)"

# ---- q order: 1.0 first, then 0.5 --------------------------------------
phone_register 1162 'Fork-callee-2' "$P1" 1.0
q_is_1() { [ "$(pbx_psql "SELECT q FROM registrations WHERE contact LIKE '%:$P1>%' OR contact LIKE '%:$P1'")" = 1 ]; }
wait_until 5 q_is_1 ||
	fail "q of the first phone: $(pbx_psql "SELECT contact, q FROM registrations WHERE extension = '1162'")"
sipp_bg busy "$P1" uas_busy -d 300
sipp_bg answer2 "$P2" call_uas -key sdp_port "$(free_port)" -key codecs "0 101"
sipp_bg caller2 - call_uac -inf "$PBX_TMP/a.csv" -d 1000

sipp_wait caller2 10 || { sipp_bg_show caller2; fail "caller scenario (q order)"; }
sipp_wait busy 5 || { sipp_bg_show busy; fail "busy phone (q 1.0)"; }
sipp_wait answer2 5 || { sipp_bg_show answer2; fail "answering phone (q 0.5)"; }
t_busy=$(sipplog busy -q 'sent|SIP/2.0 486||0|time')
t_inv=$(sipplog answer2 -q 'recv|INVITE||0|time')
[[ "$t_busy" < "$t_inv" ]] ||
	fail "the q=0.5 phone was rung at $t_inv, before the q=1.0 phone said busy at $t_busy"
cid=$(sipp_callid caller2)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, jsonb_array_length(legs), legs->0->>'uri', legs->0->>'status',
	legs->1->>'uri', legs->1->>'answered'")" \
	"answered|2|sip:1162@127.0.0.1:$P1|486|sip:1162@127.0.0.1:$P2|true" "cdrs row (q order)"
