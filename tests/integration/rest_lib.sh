# rest_lib.sh - helpers for the REST tests (t_rest_*.sh), sourced after
# lib.sh. Each check parses the reply once, so a test with hundreds of
# checks does not start hundreds of interpreters.
#
#   api_h METHOD PATH [JSON]         api, plus reply headers in API_HEADERS
#   header NAME                      a header of the last api_h reply
#   expect_json JSON WHAT FILTER=VALUE...
#                                    each FILTER (as jq_get) prints VALUE
#   expect_error STATUS CODE FIELD WHAT
#                                    the last reply is that error shape
#   hexhash ALG TEXT                 hex digest (md5, sha256) of TEXT

api_h() {
	local method=$1 path=$2 json=${3-}
	local -a args=(-sS -m 15 -X "$method" -D "$PBX_TMP/hdrs"
		-o "$PBX_TMP/body" -w '%{http_code}'
		-H "Authorization: Bearer $PBX_TOKEN")
	[ -n "$json" ] &&
		args+=(-H "Content-Type: application/json"
			--data-binary "$json")
	: >"$PBX_TMP/hdrs"
	: >"$PBX_TMP/body"
	API_STATUS=$(curl "${args[@]}" "$PBX_REST_URL$path" 2>"$PBX_TMP/err")
	API_BODY=$(cat "$PBX_TMP/body")
	API_HEADERS=$(tr -d '\r' <"$PBX_TMP/hdrs")
}

header() {
	printf '%s\n' "$API_HEADERS" | sed -n "s/^$1: *//Ip" | head -n 1
}

expect_json() {
	local json=$1 what=$2
	shift 2
	python3 - "$json" "$@" <<'EOF' || fail "$what"
import json, re, sys

def get(v, flt):
    for part in [p.strip() for p in flt.split("|")]:
        if part == "length":
            v = len(v) if isinstance(v, (list, dict, str)) else 0
        elif part == "keys":
            v = sorted(v) if isinstance(v, dict) else None
        elif part not in (".", ""):
            for m in re.finditer(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]',
                                 part):
                key, idx = m.groups()
                if key is not None:
                    v = v.get(key) if isinstance(v, dict) else None
                else:
                    n = int(idx)
                    v = v[n] if isinstance(v, list) and \
                        -len(v) <= n < len(v) else None
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))

try:
    doc = json.loads(sys.argv[1])
except ValueError:
    sys.stderr.write("  not JSON: %r\n" % sys.argv[1][:300])
    sys.exit(1)
bad = 0
for pair in sys.argv[2:]:
    flt, _, want = pair.partition("=")
    got = get(doc, flt)
    if got != want:
        sys.stderr.write("  %s: expected %r, got %r\n" % (flt, want, got))
        bad = 1
if bad:
    sys.stderr.write("  in: %s\n" % sys.argv[1][:600])
sys.exit(bad)
EOF
}

# FIELD "-" means the error must carry no "field".
expect_error() {
	local field=$3
	[ "$field" = - ] && field=null
	expect_eq "$API_STATUS" "$1" "$4: HTTP status (body $API_BODY)"
	expect_json "$API_BODY" "$4" ".error.code=$2" ".error.field=$field" \
		'.error|length='"$([ "$3" = - ] && echo 2 || echo 3)"
	expect_match "$API_BODY" '"message": *"[^"]{10,}' \
		"$4: error.message says what was wrong"
}

hexhash() {
	python3 -c 'import hashlib, sys
print(hashlib.new(sys.argv[1], sys.argv[2].encode()).hexdigest())' "$1" "$2"
}
