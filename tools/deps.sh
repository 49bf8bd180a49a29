#!/bin/bash
# deps.sh - install the Debian 12 packages pbxd needs to build, test and run
# (build tools, libraries, PostgreSQL, SIPp, curl). Does nothing when all
# are installed; otherwise apt-get update + install, as root or via sudo.
set -euo pipefail

PKGS=(
	build-essential autoconf automake libtool pkg-config
	libsofia-sip-ua-dev libmicrohttpd-dev libjansson-dev libpq-dev
	liblua5.4-dev libsndfile1-dev libssl-dev check
	postgresql sip-tester curl python3 procps iproute2
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=()
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=(sudo -n)
	else
		echo "deps: not root and no sudo; as root run:" >&2
		echo "  apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "${missing[@]}" </dev/null
echo "deps: done"
