#!/bin/bash
# The module ABI is all in pbxd: every function <pbx/*.h> declares is
# exported by the pbxd binary (linked -export-dynamic), or a module using
# it would fail to load with "undefined symbol". libpbxcore is a static
# convenience library, so a function only modules call can be dropped by
# the linker unnoticed; this catches it at check time.
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null || { echo "nm not installed"; exit 77; }
[ -n "${PBXD:-}" ] && [ -f "$PBXD" ] || fail "PBXD is not set"

# Declarations start at column 0: "<type> pbx_name(" (typedefs and
# macros excluded).
declared=$(grep -h '^[a-z][^#(]*[ *]pbx_[a-z0-9_]*(' \
	"$PBX_SRCDIR"/core/include/pbx/*.h | grep -v '^typedef' |
	grep -o 'pbx_[a-z0-9_]*(' | tr -d '(' | sort -u)
[ -n "$declared" ] || fail "found no declarations in core/include/pbx"
nm -D --defined-only "$PBXD" | awk '{ print $NF }' | sort -u \
	>"$PBX_TMP/exported"
missing=$(comm -23 <(echo "$declared") "$PBX_TMP/exported")
[ -z "$missing" ] ||
	fail "declared in <pbx/*.h> but not exported by pbxd:" $missing
echo "$(wc -l <<<"$declared") module-facing functions exported"
