#!/bin/bash
# check.sh - the test command: install dependencies, build pbxd with
# warnings as errors in build/ (a VPATH build beside the sources), and run
# `make check` (Check unit suites, then the integration tests against a
# private PostgreSQL and a real pbxd). Exit status: 0 only if all passed.
#
#   ./tools/check.sh            as root (or with sudo) on Debian 12
#
# BUILD_DIR overrides the build directory; JOBS the make parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-2}
cd "$ROOT"

step() {
	echo
	echo "==== $* ===="
}

step "dependencies"
"$ROOT/tools/deps.sh" </dev/null

step "autoreconf"
autoreconf -fi

step "configure ($BUILD_DIR)"
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
"$ROOT/configure" -q --enable-werror

step "make"
make -j"$JOBS"

step "make check"
rc=0
make -j1 check VERBOSE=1 </dev/null || rc=$?

step "summary"
unit_pass=0
unit_fail=0
for log in tests/check_*.log tests/unit/check_*.log; do
	[ -f "$log" ] || continue
	line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1 || true)
	name=$(basename "$log" .log)
	if [ -n "$line" ]; then
		echo "$name: $line"
		# "100%: Checks: 12, Failures: 0, Errors: 0"
		checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		bad=$(echo "$line" |
			sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2/')
		bad=$(( ${bad% *} + ${bad#* } ))
		unit_pass=$((unit_pass + checks - bad))
		unit_fail=$((unit_fail + bad))
	else
		echo "$name: no Check summary (crashed?)"
		unit_fail=$((unit_fail + 1))
	fi
done

it_pass=0
it_fail=0
it_log=tests/integration/run.log
if [ -f "$it_log" ]; then
	grep -E '^(PASS|FAIL|SKIP) ' "$it_log" | grep -v '(exit status:' |
		sed 's/^/integration /' || true
	it_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$it_log" |
		tail -n 1 || true)
	if [ -n "$it_line" ]; then
		echo "integration: $it_line"
		it_pass=$(echo "$it_line" | sed -E 's/^([0-9]+) passed.*/\1/')
		it_fail=$(echo "$it_line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	else
		echo "integration: $(tail -n 1 "$it_log")"
		grep -q '^SKIP integration' "$it_log" || it_fail=$((it_fail + 1))
	fi
else
	echo "integration: did not run"
	it_fail=1
fi

if [ $rc -ne 0 ] && [ $((unit_fail + it_fail)) -eq 0 ]; then
	echo "make check failed outside the counted tests (build error above?)"
	unit_fail=1
fi
echo
echo "unit checks: $unit_pass passed, $unit_fail failed"
echo "total: $((unit_pass + it_pass)) passed, $((unit_fail + it_fail)) failed"
exit $rc
