#!/bin/bash
# Robustness: every RFC 4475 and RFC 5118 torture message (from
# ../shared/testdata/sip-torture), sent to pbxd over UDP and over TCP,
# must leave it running and serving: OPTIONS and an authenticated
# REGISTER still work afterwards. Their responses go to the messages' own
# Via addresses, so what is checked here is that pbxd survives them.
. "$(dirname "$0")/lib.sh"

dir=$PBX_SRCDIR/../shared/testdata/sip-torture
[ -d "$dir/rfc4475" ] || { echo "no torture messages at $dir"; exit 77; }

pid=$(pbx_pid)
python3 - "$PBX_SIP_HOST" "$PBX_SIP_PORT" "$dir"/rfc4475/*.dat \
	"$dir"/rfc5118/*.dat <<'PY' || fail "could not send the torture messages"
import socket, sys, time
host, port, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
sent = 0
for path in files:
    data = open(path, "rb").read()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(data[:65000], (host, port))
    u.close()
    t = socket.create_connection((host, port), timeout=2)
    t.sendall(data)
    time.sleep(0.02)
    t.close()
    sent += 1
print("sent %d torture messages over UDP and TCP" % sent)
PY
sleep 0.5

[ "$(pbx_pid)" = "$pid" ] && kill -0 "$pid" 2>/dev/null ||
	fail "pbxd died on the torture messages"
out=$(sipreg --method OPTIONS --ruri "sip:$PBX_SIP_HOST:$PBX_SIP_PORT" --no-auth)
expect_eq "$(sip_status "$out")" 200 "OPTIONS after the torture messages"
user_create 2951 'Torture5x'
out=$(sipreg --user 2951 --password Torture5x)
expect_eq "$(sip_status "$out")" 200 "REGISTER after the torture messages"
