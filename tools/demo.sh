#!/bin/bash
# demo.sh - the run command: install dependencies, build pbxd in build/,
# start a private PostgreSQL and pbxd (tests/integration/sandbox, data in
# run/demo), create the users 1001, 1002 and 1003, print how to register a
# softphone and call the REST API, then follow the log until Ctrl-C or
# SIGTERM, which stops everything.
#
#   ./tools/demo.sh [-o key=value]...     e.g. -o sip.address=0.0.0.0
#
# SIP listens on 5060 and REST on 8080 when those ports are free.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SANDBOX="$ROOT/tests/integration/sandbox"
cd "$ROOT"

"$ROOT/tools/deps.sh" </dev/null

# Build (incrementally when build/ is configured already).
if [ ! -x "$ROOT/configure" ]; then
	autoreconf -fi
fi
mkdir -p "$BUILD_DIR"
if [ ! -f "$BUILD_DIR/Makefile" ]; then
	(cd "$BUILD_DIR" && "$ROOT/configure" -q)
fi
make -C "$BUILD_DIR" -j2 -s
export PBXD="$BUILD_DIR/core/pbxd"

# PostgreSQL runs as the "postgres" user when we are root: it must be
# able to reach the data directory. A tree under /root is not reachable,
# so the demo's data then goes to /tmp.
DIR="$ROOT/run/demo"
if [ "$(id -u)" = 0 ] &&
    ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
	DIR="/tmp/pbxd-demo"
fi
mkdir -p "$DIR"
chmod 755 "$DIR" "$(dirname "$DIR")" 2>/dev/null || true
"$SANDBOX" stop "$DIR" >/dev/null 2>&1 || true

port_free() {
	python3 - "$1" <<'PY'
import socket, sys
try:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        s.close()
except OSError:
    sys.exit(1)
PY
}
if port_free 5060; then export PBX_SANDBOX_SIP_PORT=5060; fi
if port_free 8080; then export PBX_SANDBOX_REST_PORT=8080; fi

stop_all() {
	trap - EXIT INT TERM
	if [ -n "${TAIL_PID:-}" ]; then
		kill "$TAIL_PID" 2>/dev/null
		wait "$TAIL_PID" 2>/dev/null
	fi
	echo
	echo "demo: stopping pbxd and PostgreSQL"
	"$SANDBOX" stop "$DIR"
}

echo "demo: starting PostgreSQL and pbxd in $DIR"
ENV_LINES=$(PBX_SANDBOX_NODE=demo "$SANDBOX" start "$DIR" "$@")
trap stop_all EXIT
trap 'exit 0' INT TERM
eval "$ENV_LINES"

# Demo users with fresh passwords (letters and digits, >= 8 characters).
gen_pw() {
	python3 -c 'import secrets, string
a = string.ascii_letters + string.digits
while True:
    p = "".join(secrets.choice(a) for _ in range(12))
    if any(c.isalpha() for c in p) and any(c.isdigit() for c in p):
        print(p); break'
}
declare -A PW
for ext in 1001 1002 1003; do
	PW[$ext]=$(gen_pw)
	body=$(printf '{"extension":"%s","password":"%s","display_name":"Demo %s","enabled":true}' \
		"$ext" "${PW[$ext]}" "$ext")
	code=$(curl -sS -m 10 -o "$DIR/user_$ext.json" -w '%{http_code}' \
		-X POST -H "Authorization: Bearer $PBX_TOKEN" \
		-H "Content-Type: application/json" --data-binary "$body" \
		"$PBX_REST_URL/api/v1/users")
	if [ "$code" != 201 ]; then
		echo "demo: creating user $ext failed: HTTP $code $(cat "$DIR/user_$ext.json")" >&2
		exit 1
	fi
done
(umask 077 && for ext in 1001 1002 1003; do
	echo "$ext ${PW[$ext]}"
done >"$DIR/users.txt")

cat <<EOF

pbxd is running.
  SIP registrar   $PBX_SIP_HOST:$PBX_SIP_PORT (UDP and TCP)
  realm / domain  pbx.local
  REST API        $PBX_REST_URL/api/v1  (docs/openapi.yaml)
  admin token     $PBX_TOKEN
  data and logs   $DIR (pbxd.log, pbxd.conf, pg/)

Softphone accounts (user = extension, auth user the same):
  1001  password ${PW[1001]}
  1002  password ${PW[1002]}
  1003  password ${PW[1003]}
  server/registrar $PBX_SIP_HOST:$PBX_SIP_PORT, domain/realm pbx.local

Try:
  curl -H "Authorization: Bearer $PBX_TOKEN" $PBX_REST_URL/api/v1/users
  curl -H "Authorization: Bearer $PBX_TOKEN" $PBX_REST_URL/api/v1/registrations
  python3 tests/integration/sipreg.py --server $PBX_SIP_HOST:$PBX_SIP_PORT \\
      --user 1001 --password ${PW[1001]}

Following $DIR/pbxd.log; Ctrl-C stops pbxd and PostgreSQL.

EOF

tail -n 0 -F "$DIR/pbxd.log" &
TAIL_PID=$!
while :; do
	st=$("$SANDBOX" status "$DIR" 2>/dev/null || true)
	[[ $st == *"pbxd running"* ]] || break
	sleep 1
done
echo "demo: pbxd is no longer running" >&2
exit 1
