#!/bin/bash
# Everything a caller may send inside a dialog besides media (SIPp
# tests/sipp/uac_indialog.xml), toward a callee behind a record-routing
# proxy (uas_rr.xml):
# - a second INVITE in the early dialog: 500 with Retry-After (RFC 3261 14.2);
# - session timer negotiated (Session-Expires 120, the caller refreshes)
#   and a refresh by UPDATE answered with Session-Expires (RFC 4028);
# - OPTIONS and INFO answered; INFO keypresses reported as digits;
# - an offer in an UPDATE answered (RFC 3311) on the same PBX port;
# - glare: an UPDATE offer while pbxd's offer (in its 2xx to an offerless
#   re-INVITE) waits for the ACK gets 491; an INVITE then gets 500 with
#   Retry-After (the previous INVITE is not ACKed);
# - CSeq gaps accepted; the re-INVITE's new Contact becomes the target of
#   pbxd's BYE; pbxd's ACK to the callee follows its Record-Route;
# - the callee never sees any of it (one INVITE only);
# - an INFO outside any dialog gets 481.
. "$(dirname "$0")/lib.sh"

user_create 1251 'Indialog-caller-1'
user_create 1252 'Indialog-callee-2'
B_SIP=$(free_port)
A_RTP=$(free_port)
phone_register 1252 'Indialog-callee-2' "$B_SIP"

mark=$(pbx_log_mark)
sipp_bg callee "$B_SIP" uas_rr -key sdp_port "$(free_port)" -key codecs "0 101"
call_csv "$PBX_TMP/a.csv" 1251 'Indialog-caller-1' 1252 "$A_RTP"
sipp_bg caller - uac_indialog -inf "$PBX_TMP/a.csv"

wait_call_state 1251 bridged 5
A_PBX=$(jq_get "$CALL_JSON" '.legs[0].local_port')

# The caller's last OPTIONS answered: all its steps are done.
caller_done() {
	[ "$(sipplog caller --count --dir recv --start 'SIP/2.0 200' --cseq OPTIONS)" -ge 2 ]
}
wait_until 10 caller_done || { sipp_bg_show caller; fail "caller never got through its in-dialog steps"; }

# The answers, as the caller saw them.
mapfile -t V < <(sipplog caller \
	-q 'recv|SIP/2.0 500|INVITE|0|header:Retry-After' \
	-q 'recv|SIP/2.0 200|UPDATE|0|header:Session-Expires' \
	-q 'recv|SIP/2.0 200|UPDATE|0|body' \
	-q 'recv|SIP/2.0 200|UPDATE|1|sdp_port' \
	-q 'recv|SIP/2.0 200|UPDATE|1|sdp_codecs' \
	-q 'recv|SIP/2.0 491|UPDATE||count' \
	-q 'recv|SIP/2.0 500|INVITE|-1|header:Retry-After' \
	-q 'recv|SIP/2.0 200|INVITE|-1|sdp_port' \
	-q 'recv|SIP/2.0 200|OPTIONS|0|header:Allow' \
	-q 'recv|SIP/2.0 200|INFO||count')
expect_match "${V[0]}" '^[0-9]+' "Retry-After of the 500 to the early-dialog INVITE"
expect_match "${V[1]}" '^120;refresher=uac' "Session-Expires in the 200 to the refresh UPDATE"
expect_eq "${V[2]}" "" "body of the 200 to the refresh UPDATE"
expect_eq "${V[3]}" "$A_PBX" "PBX port in the answer to the UPDATE offer"
expect_match "${V[4]}" '^8( 101)?$' "payload types in the answer to the UPDATE offer"
expect_eq "${V[5]}" 1 "491s to the UPDATE offer during pbxd's own offer"
expect_match "${V[6]}" '^[0-9]+' "Retry-After of the 500 to the INVITE before the ACK"
expect_eq "${V[7]}" "$A_PBX" "PBX port in pbxd's offer to the offerless re-INVITE"
expect_match "${V[8]}" 'UPDATE' "Allow of the 200 to the in-dialog OPTIONS"
expect_eq "${V[9]}" 2 "200s to the INFOs"

# The ACK's SDP answer took effect: the caller leg is PCMU again.
leg_codec_is() { [ "$(jq_get "$(call_of 1251)" '.legs[0].codec')" = "$1" ]; }
wait_until 3 leg_codec_is PCMU || fail "caller leg codec after the ACK's answer: $(call_of 1251)"

log=$(pbx_log_since "$mark")
expect_match "$log" 'digit 5 from the caller \(SIP INFO\)' "pbxd log: INFO digit 5"
expect_match "$log" 'digit # from the caller \(SIP INFO\)' "pbxd log: INFO digit #"

# The callee hangs up; pbxd's BYE goes to the caller's new Contact.
sipp_poke callee
sipp_wait callee 10 || { sipp_bg_show callee; fail "callee scenario (Route in the ACK, its BYE)"; }
sipp_wait caller 10 || { sipp_bg_show caller; fail "caller scenario (BYE to the new Contact)"; }
expect_eq "$(sipplog callee -q 'recv|INVITE|||count')" 1 "INVITEs the callee got"
expect_eq "$(sipplog callee -q 'recv|UPDATE|||count')" 0 "UPDATEs the callee got"
wait_calls_total 0 3

cid=$(sipp_callid caller)
cdr_wait "$cid"
expect_eq "$(cdr_get "$cid" "disposition, hangup_side")" "answered|callee" "cdrs row"

# INFO belongs to a dialog: one with no call behind it gets 481.
status=$(python3 - "$PBX_SIP_HOST" "$PBX_SIP_PORT" <<'PYEOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(3)
me = s.getsockname()[1]
msg = ("INFO sip:1251@%s:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-strayinfo;rport\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:1252@pbx.local>;tag=stray1\r\n"
       "To: <sip:1251@pbx.local>\r\n"
       "Call-ID: stray-info-%d@127.0.0.1\r\n"
       "CSeq: 1 INFO\r\n"
       "Content-Type: application/dtmf-relay\r\n"
       "Content-Length: 10\r\n\r\nSignal=5\r\n") % (host, port, me, me)
s.sendto(msg.encode(), (host, port))
while True:
    line = s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]
    if not line.startswith("SIP/2.0 1"):
        print(line.split(" ")[1])
        break
PYEOF
)
expect_eq "$status" 481 "INFO outside a dialog"
