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
	_jq raw "$1" "$2"
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

# ---- calls (t_call_*.sh) -----------------------------------------------
# call_csv FILE USER PASSWORD DEST RTP_PORT PTS [FIELD5 FIELD6]: the
#           injection file of the caller scenarios (tests/sipp/call_uac.xml)
# free_port: a free loopback port (bash and ss, no python)
# phone_register EXT PASSWORD PORT [Q]: bind <sip:EXT@127.0.0.1:PORT> (sent
#           from that port, where pbxd will send its INVITEs) for 300 s
# sipp_bg NAME PORT|- SCENARIO [ARGS...]: sipp in the background (as
#           sipp_run; PORT "-" picks one); files $PBX_TMP/NAME.{msg,err,out,log}
#           and the port in SIPP_BG_PORT[NAME]; waits until its port is bound;
#           SIPP_BG_TIMEOUT: seconds the scenario may last (default 25)
# sipp_wait NAME [SECONDS]: its exit status (124: killed after SECONDS,
#           default 25); sipp_bg_show NAME: its output for a failure message
# sipp_msgs NAME: its messages, one line each (tests/integration/sipplog.py)
# sipplog NAME ARGS...: sipplog.py on its message log
# sipp_final NAME: the final response to its (last) INVITE, e.g. "486"
# sipp_callid NAME: Call-ID of the first message it sent or received
# sipp_hangup NAME: tell a talking sipp caller (uac_talk.xml) to hang up;
#           sipp_poke NAME: the same message, to a scenario that waits for
#           one to go on (uac_reinvite.xml)
# rtpeer_bg NAME ARGS...: tests/integration/rtpeer.py in the background,
#           JSON summary to $PBX_TMP/NAME.json; it sends once rtpeers_go
#           NAME... (all bound) said go; rtpeer_wait NAME [SECONDS] waits
#           for it (SIGTERM after SECONDS, default 15) and prints it
# calls_json: GET /api/v1/calls body; calls_total: its total
# wait_calls_total N [SECONDS]; call_of CALLER: JSON of CALLER's live call;
#           wait_call_state CALLER STATE [SECONDS]: it reaches STATE, its
#           JSON in CALL_JSON; calls_hangup_all
# cdr_wait SIP_CALL_ID [SECONDS]: wait for its cdrs row; cdr_get
#           SIP_CALL_ID "col, col...": those columns, |-separated
# pbx_dialplan NAME: absolute path of tests/integration/dialplans/NAME.lua
# jq_multi JSON FILTER...: jq_get of several filters, one line each
# rtp_expect WHAT JSON PBX_PORT [CHECK...]: check an rtpeer.py summary
# ms_between T0 T1: milliseconds between two sipplog times
PBX_RTPEER="$PBX_SRCDIR/tests/integration/rtpeer.py"
PBX_SIPPLOG="$PBX_SRCDIR/tests/integration/sipplog.py"
declare -gA SIPP_BG_PID=() SIPP_BG_PORT=() RTPEER_PID=()

call_csv() {
	local f=$1
	shift
	{
		echo SEQUENTIAL
		(IFS=';'; echo "$*")
	} >"$f"
}

phone_register() {
	local ext=$1 pw=$2 port=$3 q=${4:-} out contact
	contact="<sip:$ext@127.0.0.1:$port>"
	[ -n "$q" ] && contact="$contact;q=$q"
	out=$(sipreg --user "$ext" --password "$pw" --local-port "$port" \
		--contact "$contact" --expires 300)
	[ "$(sip_status "$out")" = 200 ] ||
		fail "phone_register $ext at port $port: $out"
}

# free_port: a loopback port free for UDP and TCP, like sip_free_port but
# without starting python (tests that need many ports). Picked at random in
# 61000-64999: above the kernel's usual ephemeral range (32768-60999), so
# that no socket bound to port 0 takes it before we use it, and above
# pbxd's RTP range. Never the same port twice in one test.
free_port() {
	local i p
	for i in $(seq 1 200); do
		p=$((61000 + (RANDOM * 32768 + RANDOM) % 4000))
		grep -qx "$p" "$PBX_TMP/ports.used" 2>/dev/null && continue
		if [ -z "$(ss -Hautn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p" >>"$PBX_TMP/ports.used"
			echo "$p"
			return 0
		fi
	done
	sip_free_port
}

# _kill_child PID: SIGTERM PID if it is still a child of this shell (not
# a recycled PID).
_kill_child() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	set -- "$1" $st
	[ "$3" = "$$" ] && kill "$1" 2>/dev/null
	return 0
}

_port_bound_udp() {
	[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]
}

sipp_bg() {
	local name=$1 port=$2 scen=$3 mport i
	shift 3
	case $scen in
	*/*) ;;
	*) scen="$PBX_SIPP_DIR/${scen%.xml}.xml" ;;
	esac
	[ -f "$scen" ] || fail "sipp_bg: no scenario $scen"
	[ "$port" = - ] && port=$(free_port)
	mport=$(free_port)
	SIPP_BG_PORT[$name]=$port
	if [ -z "${SIPP_BG_CLEANUP:-}" ]; then
		SIPP_BG_CLEANUP=1
		at_exit calls_hangup_all
	fi
	local -a args=(-sf "$scen" -i 127.0.0.1 -p "$port" -mp "$mport"
		-t u1 -nostdin -timeout "${SIPP_BG_TIMEOUT:-25}s" -timeout_error
		-max_recv_loops 1000
		-trace_msg -message_file "$PBX_TMP/$name.msg"
		-trace_err -error_file "$PBX_TMP/$name.err"
		-trace_logs -log_file "$PBX_TMP/$name.log"
		-s "${SIPP_SERVICE:-pbx}" -auth_uri pbx.local -m 1)
	(cd "$PBX_TMP" && exec timeout $((${SIPP_BG_TIMEOUT:-25} + 35)) \
		sipp "$PBX_SIP_HOST:$PBX_SIP_PORT" \
		"${args[@]}" "$@" >"$PBX_TMP/$name.out" 2>&1) &
	SIPP_BG_PID[$name]=$!
	at_exit "_kill_child ${SIPP_BG_PID[$name]}"
	# A UAS must listen before pbxd sends to it. (A UAC may be done
	# already: sipp_wait tells how it went.)
	for i in $(seq 1 50); do
		_port_bound_udp "$port" && return 0
		kill -0 "${SIPP_BG_PID[$name]}" 2>/dev/null || return 0
		sleep 0.1
	done
	sipp_bg_show "$name"
	fail "sipp_bg $name: sipp did not bind port $port"
}

sipp_wait() {
	local name=$1 secs=${2:-25} pid=${SIPP_BG_PID[$1]:-} i rc
	[ -n "$pid" ] || fail "sipp_wait: no sipp named $name"
	for i in $(seq 1 $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
	rc=$?
	return $rc
}

sipp_bg_show() {
	{
		echo "---- sipp $1: output ----"
		tail -n 25 "$PBX_TMP/$1.out" 2>/dev/null
		echo "---- sipp $1: errors ----"
		tail -n 25 "$PBX_TMP/$1.err" 2>/dev/null
		echo "---- sipp $1: messages ----"
		python3 "$PBX_SIPPLOG" "$PBX_TMP/$1.msg" 2>/dev/null
	} >&2
}

sipplog() {
	local name=$1
	shift
	python3 "$PBX_SIPPLOG" "$PBX_TMP/$name.msg" "$@"
}

sipp_msgs() {
	sipplog "$1"
}

sipp_final() {
	sipplog "$1" --dir recv --cseq INVITE --start "SIP/2.0 " --index -1 \
		--show first | awk '{ print $2 }'
}

sipp_callid() {
	sipplog "$1" --show header:Call-ID
}

rtpeer_bg() {
	local name=$1
	shift
	rm -f "$PBX_TMP/$name.json" "$PBX_TMP/$name.ready"
	python3 "$PBX_RTPEER" --out "$PBX_TMP/$name.json" \
		--ready "$PBX_TMP/$name.ready" \
		--go "$PBX_TMP/rtpeer.go.${RTPEER_GEN:-0}" "$@" \
		>"$PBX_TMP/$name.rtpeer.out" 2>&1 &
	RTPEER_PID[$name]=$!
	at_exit "_kill_child ${RTPEER_PID[$name]}"
}

# rtpeers_go NAME...: once these peers are bound, let them all send.
rtpeers_go() {
	local n
	_rtpeers_ready() {
		for n in "$@"; do
			[ -f "$PBX_TMP/$n.ready" ] || return 1
		done
	}
	wait_until 10 _rtpeers_ready "$@" || fail "rtpeers $* did not start"
	: >"$PBX_TMP/rtpeer.go.${RTPEER_GEN:-0}"
	RTPEER_GEN=$((${RTPEER_GEN:-0} + 1))
}

rtpeer_wait() {
	local name=$1 secs=${2:-15} pid=${RTPEER_PID[$1]:-} i
	[ -n "$pid" ] || fail "rtpeer_wait: no rtpeer named $name"
	for i in $(seq 1 $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -s "$PBX_TMP/$name.json" ] || {
		cat "$PBX_TMP/$name.rtpeer.out" >&2
		fail "rtpeer $name printed no summary"
	}
	cat "$PBX_TMP/$name.json"
}

calls_json() {
	api GET /api/v1/calls
	[ "$API_STATUS" = 200 ] || fail "GET /api/v1/calls: HTTP $API_STATUS $API_BODY"
	echo "$API_BODY"
}

calls_total() {
	jq_get "$(calls_json)" .total
}

wait_calls_total() {
	local n=$1
	_calls_total_is() {
		api GET /api/v1/calls
		[[ $API_BODY =~ \"total\":\ *$1[,}\ ] ]]
	}
	wait_until "${2:-5}" _calls_total_is "$n" ||
		fail "live calls: expected $n, GET /api/v1/calls says $(calls_json)"
}

# call_of CALLER: the JSON of the live call from CALLER (caller.number),
# "null" if none.
call_of() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
m = [c for c in d.get("items", []) if c["caller"]["number"] == sys.argv[2]]
print(json.dumps(m[0]) if m else "null")' "$(calls_json)" "$1"
}

# wait_call_state CALLER STATE [SECONDS]: the live call from CALLER
# reaches STATE; its JSON in CALL_JSON.
wait_call_state() {
	local caller=$1 want=$2
	_call_state_is() {
		# Python only once the list shows the state at all.
		api GET /api/v1/calls
		[[ $API_BODY == *'"state": "'$2'"'* ]] || return 1
		CALL_JSON=$(call_of "$1")
		[[ $CALL_JSON == *'"state": "'$2'"'* ]]
	}
	wait_until "${3:-5}" _call_state_is "$caller" "$want" ||
		fail "the call from $caller never reached state $want: $(calls_json)"
}

# calls_hangup_all: DELETE every live call (sipp_bg makes it run when the
# test exits, so that a failed test leaves no call behind).
calls_hangup_all() {
	local id
	api GET /api/v1/calls
	for id in $(python3 -c '
import json, sys
for c in json.loads(sys.argv[1]).get("items", []): print(c["id"])' "$API_BODY" 2>/dev/null); do
		api DELETE "/api/v1/calls/$id"
	done
}

cdr_wait() {
	local cid=$1
	_cdr_there() {
		[ "$(pbx_psql "SELECT count(*) FROM cdrs
			WHERE sip_call_id = '$1'")" = 1 ]
	}
	wait_until "${2:-5}" _cdr_there "$cid" ||
		fail "no cdrs row for Call-ID $cid (rows: $(pbx_psql "SELECT sip_call_id, disposition FROM cdrs ORDER BY id DESC LIMIT 3"))"
}

cdr_get() {
	pbx_psql "SELECT $2 FROM cdrs WHERE sip_call_id = '$1'"
}

pbx_dialplan() {
	echo "$PBX_SRCDIR/tests/integration/dialplans/$1.lua"
}

# jq_multi JSON FILTER...: jq_get for several filters with one python run,
# one line each (use: mapfile -t V < <(jq_multi "$J" .a .b)); newlines in
# strings become spaces so each value stays on its line.
jq_multi() {
	_jq line "$@"
}

# _jq raw|line JSON FILTER...: the one JSON path reader behind jq_get and
# jq_multi. Filters are paths such as '.items[0].extension', '.error.code',
# '.items|length', '.a|keys' or '.'.
_jq() {
	python3 - "$@" <<'PYEOF'
import json, re, sys
mode, src, flts = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    root = json.loads(src)
except ValueError:
    sys.stderr.write("jq: not JSON: %r\n" % src[:200])
    root = None
def get(v, flt):
    for part in [p.strip() for p in flt.strip().split("|")]:
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
    return v
for f in flts:
    v = get(root, f)
    if v is None:
        print("null")
    elif isinstance(v, str):
        print(v if mode == "raw" else v.replace("\n", " "))
    elif isinstance(v, bool):
        print("true" if v else "false")
    else:
        print(json.dumps(v, separators=(",", ":")))
PYEOF
}

# rtp_expect WHAT JSON PBX_PORT [CHECK...]: what an rtpeer.py summary must
# show; fails the test otherwise. Always: every packet came from
# 127.0.0.1:PBX_PORT. CHECKs: min=N (received at least N), pts=0,101
# (exactly those payload types), size=160 (audio payload sizes), bytes=ff
# (first payload bytes), ssrcs=N, seq_breaks=N, digits=5.
rtp_expect() {
	local what=$1 json=$2 port=$3 out
	shift 3
	out=$(python3 - "$json" "$port" "$@" <<'PYEOF'
import json, sys
j = json.loads(sys.argv[1])
port = sys.argv[2]
bad = []
src = sorted(j.get("sources", {}))
if src != ["127.0.0.1:" + port]:
    bad.append("sources %s, expected only 127.0.0.1:%s" % (src, port))
for c in sys.argv[3:]:
    k, _, v = c.partition("=")
    if k == "min":
        if j["received"] < int(v):
            bad.append("received %d packets, expected at least %s"
                       % (j["received"], v))
    elif k == "pts":
        got = sorted(j["pts"], key=int)
        want = sorted(v.split(","), key=int)
        if got != want:
            bad.append("payload types %s, expected %s" % (got, want))
    elif k == "size":
        if sorted(j["sizes"]) != [v]:
            bad.append("payload sizes %s, expected %s" % (j["sizes"], v))
    elif k == "bytes":
        if sorted(j["first_bytes"]) != sorted(v.split(",")):
            bad.append("payload bytes %s, expected %s"
                       % (j["first_bytes"], v))
    elif k in ("ssrcs", "seq_breaks"):
        if j[k] != int(v):
            bad.append("%s %s, expected %s" % (k, j[k], v))
    elif k == "digits":
        if j["digits"] != v:
            bad.append("digits %r, expected %r (events %s)"
                       % (j["digits"], v, j["dtmf"]))
    else:
        bad.append("rtp_expect: unknown check " + c)
print("; ".join(bad))
PYEOF
	)
	[ -z "$out" ] || fail "$what: $out (summary: $json)"
}

# sipp_hangup NAME: press "hang up" on a sipp caller that talks until told
# (tests/sipp/uac_talk.xml, uac_reinvite.xml, uac_delayed.xml): an INFO
# with its Call-ID, sent straight to its port; it then sends its BYE.
# sipp_poke NAME: the same INFO, for a scenario that waits for one to go on.
sipp_hangup() {
	sipp_poke "$@"
}

sipp_poke() {
	local name=$1 cid
	cid=$(sipp_callid "$name") || fail "sipp_poke: no Call-ID for $name yet"
	python3 - "${SIPP_BG_PORT[$name]}" "$cid" <<'PYEOF' || fail "sipp_poke $name"
import random, socket, sys
port, cid = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
msg = ("INFO sip:hangup@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-hangup%d\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:test@127.0.0.1>;tag=hangup%d\r\n"
       "To: <sip:phone@127.0.0.1>\r\n"
       "Call-ID: %s\r\n"
       "CSeq: 100 INFO\r\n"
       "Content-Length: 0\r\n\r\n"
       % (port, me, random.getrandbits(32), random.getrandbits(16), cid))
s.sendto(msg.encode(), ("127.0.0.1", port))
PYEOF
}

# ms_between T0 T1: milliseconds from T0 to T1 (times as sipplog prints).
ms_between() {
	echo $(( ($(date -d "$2" +%s%N) - $(date -d "$1" +%s%N)) / 1000000 ))
}
