# lib.sh - helpers for the integration tests (sourced, bash).
#
# A test runs with the sandbox's variables in its environment (see run):
# PBX_SIP_HOST, PBX_SIP_PORT, PBX_REST_URL, PBX_TOKEN, PBX_PG_HOST,
# PBX_PG_PORT, PBX_SANDBOX, PBX_SRCDIR, PBXD. Started by hand against a
# sandbox, only PBX_SANDBOX is needed: the rest is read from its env file.
#
# REST:     api METHOD PATH [JSON]; api_noauth METHOD PATH [JSON] [CURL...]
#           -> API_STATUS, API_BODY; jq_get JSON FILTER
# checks:   expect_eq, expect_match, fail, wait_until SECONDS CMD...
# database: pbx_psql "SQL"
# users:    user_create EXT PASSWORD [JSON], user_delete EXT,
#           bulk_users FIRST COUNT PW_PREFIX, reg_count EXT,
#           wait_reg_count EXT N [SECONDS]
# SIP:      sipp_run SCENARIO [ARGS...], sipp_users_csv, sipp_show,
#           sipreg [ARGS...] (sipreg.py), sip_status OUTPUT, sip_free_port
# pbxd:     pbx_restart [-o key=value]..., pbx_pid, pbx_log_mark,
#           pbx_log_since MARK, at_exit CMD
# Users made with user_create or bulk_users are deleted when the test
# exits; tests/integration/run restores pbxd's base config after a test
# that used pbx_restart -o.

if [ -z "${PBX_REST_URL:-}" ] && [ -n "${PBX_SANDBOX:-}" ] &&
    [ -f "$PBX_SANDBOX/env" ]; then
	# shellcheck disable=SC1091
	. "$PBX_SANDBOX/env"
	export PBX_SIP_HOST PBX_SIP_PORT PBX_REST_URL PBX_TOKEN PBX_PG_HOST \
		PBX_PG_PORT PBX_SANDBOX PBXD
fi
PBX_SRCDIR=${PBX_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PBX_PG_HOST=${PBX_PG_HOST:-127.0.0.1}
PBX_SIPP_DIR="$PBX_SRCDIR/tests/sipp"
PBX_SIPREG="$PBX_SRCDIR/tests/integration/sipreg.py"
PBX_SANDBOX_CMD="$PBX_SRCDIR/tests/integration/sandbox"

# Scratch files of this test, removed at exit.
PBX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pbxtest.XXXXXX")
PBX_CREATED_USERS=()
PBX_AT_EXIT=()     # shell commands pbx_cleanup runs first (at_exit CMD)

# ---- checks ------------------------------------------------------------

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq ACTUAL EXPECTED "what"
expect_eq() {
	if [ "$1" != "$2" ]; then
		{
			echo "FAIL: ${3:-value}"
			echo "  expected: $2"
			echo "  actual:   $1"
		} >&2
		exit 1
	fi
}

# expect_match ACTUAL REGEX "what"   (bash extended regex)
expect_match() {
	if ! [[ $1 =~ $2 ]]; then
		{
			echo "FAIL: ${3:-value}"
			echo "  expected to match: $2"
			echo "  actual:            $1"
		} >&2
		exit 1
	fi
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds;
# returns 1 after SECONDS.
wait_until() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) / 1000000 + ${secs%.*} * 1000))
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -lt $end ] || return 1
		sleep 0.1
	done
}

# ---- REST --------------------------------------------------------------

# _api_call AUTH(0|1) METHOD PATH [JSON] [CURL_ARGS...]
_api_call() {
	local auth=$1 method=$2 path=$3 json=${4-} code
	local -a args=(-sS -m 15 -X "$method" -o "$PBX_TMP/api_body"
		-w '%{http_code}')
	shift 3
	[ $# -gt 0 ] && shift
	[ "$auth" = 1 ] && args+=(-H "Authorization: Bearer $PBX_TOKEN")
	if [ -n "$json" ]; then
		args+=(-H "Content-Type: application/json" --data-binary "$json")
	fi
	: >"$PBX_TMP/api_body"
	code=$(curl "${args[@]}" "$@" "$PBX_REST_URL$path" 2>"$PBX_TMP/api_err")
	API_STATUS=${code:-000}
	API_BODY=$(cat "$PBX_TMP/api_body")
	if [ "$API_STATUS" = 000 ]; then
		API_BODY=$(cat "$PBX_TMP/api_err")
	fi
	return 0
}

# api METHOD PATH [JSON]: with the sandbox's admin token.
api() {
	_api_call 1 "$@"
}

# api_noauth METHOD PATH [JSON] [EXTRA_CURL_ARGS...]: no Authorization
# header (extra curl arguments may add a different one).
api_noauth() {
	_api_call 0 "$@"
}

# jq_get JSON FILTER: FILTER is a path such as '.items[0].extension',
# '.error.code', '.items|length' or '.'. Strings print raw, other values
# as compact JSON, missing ones as "null".
jq_get() {
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
src, flt = sys.argv[1], sys.argv[2].strip()
try:
    v = json.loads(src)
except ValueError:
    sys.stderr.write("jq_get: not JSON: %r\n" % src[:200])
    print("null")
    sys.exit(0)
parts = [p.strip() for p in flt.split("|")]
for i, part in enumerate(parts):
    if part == "length":
        v = len(v) if isinstance(v, (list, dict, str)) else 0
        continue
    if part == "keys":
        v = sorted(v) if isinstance(v, dict) else None
        continue
    if part in (".", ""):
        continue
    for m in re.finditer(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(-?\d+)\s*\]'
                         r'|\[\s*"([^"]*)"\s*\]|\.\[\s*(-?\d+)\s*\]', part):
        key, idx, qkey, idx2 = m.groups()
        if idx2 is not None:
            idx = idx2
        if key is not None or qkey is not None:
            k = key if key is not None else qkey
            v = v.get(k) if isinstance(v, dict) else None
        else:
            n = int(idx)
            v = v[n] if isinstance(v, list) and -len(v) <= n < len(v) \
                else None
if v is None:
    print("null")
elif isinstance(v, str):
    print(v)
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(json.dumps(v, separators=(",", ":")))
EOF
}

# ---- database ----------------------------------------------------------

# pbx_psql "SQL": run against the sandbox database, unaligned, no header.
pbx_psql() {
	psql -X -At -q -v ON_ERROR_STOP=1 -h "$PBX_PG_HOST" -p "$PBX_PG_PORT" \
		-U pbxd -d pbxd -c "$1"
}

# ---- users -------------------------------------------------------------

# user_create EXT PASSWORD [JSON_OBJECT_WITH_EXTRA_FIELDS]
# Creates the user over REST (fails the test unless 201); the user is
# deleted when the test exits.
user_create() {
	local ext=$1 pw=$2 extra=${3:-"{}"} body
	body=$(python3 -c '
import json, sys
d = {"extension": sys.argv[1], "password": sys.argv[2],
     "display_name": "Test " + sys.argv[1], "enabled": True}
d.update(json.loads(sys.argv[3]))
print(json.dumps(d))' "$ext" "$pw" "$extra") || fail "user_create: bad JSON $extra"
	PBX_CREATED_USERS+=("$ext")
	api POST /api/v1/users "$body"
	if [ "$API_STATUS" != 201 ]; then
		fail "user_create $ext: HTTP $API_STATUS $API_BODY"
	fi
}

# user_delete EXT: over REST; 204 or 404 are both fine.
user_delete() {
	api DELETE "/api/v1/users/$1"
	case $API_STATUS in
	200 | 204 | 404) return 0 ;;
	*) fail "user_delete $1: HTTP $API_STATUS $API_BODY" ;;
	esac
}

# ---- pbxd --------------------------------------------------------------

# pbx_pid: PID of the running pbxd (empty and status 1 if none).
pbx_pid() {
	local pid
	pid=$(cat "$PBX_SANDBOX/pbxd.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] || return 1
	grep -qv '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null || return 1
	echo "$pid"
}

# pbx_restart [-o key=value]...: SIGTERM pbxd and start it again on the
# base config plus these overrides (the run restores the base config after
# the test). Same ports, same token.
pbx_restart() {
	"$PBX_SANDBOX_CMD" restart-pbxd "$PBX_SANDBOX" "$@" >/dev/null ||
		fail "pbx_restart $*: pbxd did not come back"
}

# pbx_log_mark / pbx_log_since MARK: the part of pbxd.log written after
# the mark (a byte offset).
pbx_log_mark() {
	stat -c %s "$PBX_SANDBOX/pbxd.log" 2>/dev/null || echo 0
}
pbx_log_since() {
	tail -c +"$(($1 + 1))" "$PBX_SANDBOX/pbxd.log" 2>/dev/null
}

# ---- SIP ---------------------------------------------------------------

# sip_free_port: a loopback port free for UDP and TCP.
sip_free_port() {
	python3 -c '
import socket
for _ in range(100):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'
}

# sipreg [ARGS...]: tests/integration/sipreg.py against the sandbox.
sipreg() {
	python3 "$PBX_SIPREG" --server "$PBX_SIP_HOST:$PBX_SIP_PORT" "$@"
}

# sipp_run SCENARIO [SIPP_ARGS...]: one bounded sipp run (UDP, 127.0.0.1,
# free local port) of tests/sipp/SCENARIO.xml against pbxd. Defaults:
# -m 1, -timeout 20s -timeout_error; pass -m/-r etc. to change them.
# Returns sipp's exit status (0: every call succeeded). The message trace
# is in $SIPP_MSGLOG afterwards, sipp's errors in $SIPP_ERRLOG; its
# local port was $SIPP_PORT. The digest uri is sip:pbx.local (-auth_uri).
sipp_run() {
	local scen=$1 port mport rc has_m=0 a
	shift
	case $scen in
	*/*) ;;
	*) scen="$PBX_SIPP_DIR/${scen%.xml}.xml" ;;
	esac
	[ -f "$scen" ] || fail "sipp_run: no scenario $scen"
	for a in "$@"; do
		[ "$a" = -m ] && has_m=1
	done
	port=$(sip_free_port)
	mport=$(sip_free_port)
	SIPP_PORT=$port
	SIPP_RUN_N=$((${SIPP_RUN_N:-0} + 1))
	SIPP_MSGLOG="$PBX_TMP/sipp_$SIPP_RUN_N.msg"
	SIPP_ERRLOG="$PBX_TMP/sipp_$SIPP_RUN_N.err"
	SIPP_OUT="$PBX_TMP/sipp_$SIPP_RUN_N.out"
	local -a args=(-sf "$scen" -i 127.0.0.1 -p "$port" -mp "$mport"
		-t u1 -nostdin -timeout 20s -timeout_error -max_recv_loops 1000
		-trace_msg -message_file "$SIPP_MSGLOG"
		-trace_err -error_file "$SIPP_ERRLOG"
		-s "${SIPP_SERVICE:-pbx}" -auth_uri pbx.local)
	[ $has_m = 1 ] || args+=(-m 1)
	(cd "$PBX_TMP" && timeout 60 sipp "$PBX_SIP_HOST:$PBX_SIP_PORT" \
		"${args[@]}" "$@" >"$SIPP_OUT" 2>&1)
	rc=$?
	return $rc
}

# sipp_users_csv FILE EXT:PASSWORD[:EXPIRES]...: a sipp injection file
# (SEQUENTIAL; fields: 0 user, 1 password, 2 domain, 3 Expires, default
# 3600), the one tests/sipp/reg_auth*.xml read.
sipp_users_csv() {
	local f=$1 up ext pw exp
	shift
	{
		echo SEQUENTIAL
		for up in "$@"; do
			IFS=: read -r ext pw exp <<<"$up"
			echo "$ext;$pw;pbx.local;${exp:-3600}"
		done
	} >"$f"
}

# reg_count EXT: rows in registrations for EXT.
reg_count() {
	pbx_psql "SELECT count(*) FROM registrations WHERE extension = '$1'"
}

# wait_reg_count EXT N [SECONDS]: wait (default 5 s) until EXT has N rows
# (pbxd writes bindings to PostgreSQL a few ms after answering).
wait_reg_count() {
	local ext=$1 n=$2
	_reg_count_is() { [ "$(reg_count "$1")" = "$2" ]; }
	wait_until "${3:-5}" _reg_count_is "$ext" "$n" ||
		fail "registrations of $ext: expected $n rows, found $(reg_count "$ext")"
}

# sip_status OUTPUT: the STATUS line of sipreg's OUTPUT.
sip_status() {
	sed -n 's/^STATUS //p' <<<"$1" | tail -n 1
}

# sipp_show: the last sipp run's output and errors (for failure messages).
sipp_show() {
	{
		echo "---- sipp output ----"
		tail -n 40 "$SIPP_OUT" 2>/dev/null
		echo "---- sipp errors ----"
		tail -n 40 "$SIPP_ERRLOG" 2>/dev/null
		echo "---- sipp messages ----"
		tail -n 80 "$SIPP_MSGLOG" 2>/dev/null
	} >&2
}

# at_exit "CMD": run CMD (eval) when the test exits, before the users
# made with user_create are deleted.
at_exit() {
	PBX_AT_EXIT+=("$1")
}

# bulk_users FIRST COUNT PASSWORD_PREFIX: insert COUNT users FIRST,
# FIRST+1, ... in one statement, HA1s computed by PostgreSQL; the
# password of N is PASSWORD_PREFIX N. Deleted when the test exits.
bulk_users() {
	local first=$1 count=$2 pfx=$3
	pbx_psql "INSERT INTO users (extension, display_name, realm, ha1_md5, ha1_sha256)
		SELECT e::text, 'Bulk ' || e, 'pbx.local',
			md5(e || ':pbx.local:' || '$pfx' || e),
			encode(sha256(convert_to(e || ':pbx.local:' || '$pfx' || e, 'UTF8')), 'hex')
		FROM generate_series($first, $((first + count - 1))) AS e" >/dev/null ||
		fail "bulk_users: insert failed"
	at_exit "pbx_psql \"DELETE FROM users WHERE extension::bigint BETWEEN $first AND $((first + count - 1))\""
}

# ---- cleanup -----------------------------------------------------------

pbx_cleanup() {
	local ext cmd
	for cmd in "${PBX_AT_EXIT[@]}"; do
		eval "$cmd" >/dev/null 2>&1
	done
	PBX_AT_EXIT=()
	for ext in "${PBX_CREATED_USERS[@]}"; do
		api DELETE "/api/v1/users/$ext" >/dev/null 2>&1
	done
	PBX_CREATED_USERS=()
	rm -rf "$PBX_TMP"
}
trap pbx_cleanup EXIT
