#!/bin/bash
# Every call holds 4 sockets: pbxd started with a low soft limit on open
# files raises it to the hard limit, and says how many calls fit; when even
# the hard limit is below what the RTP port range allows, it warns.
. "$(dirname "$0")/lib.sh"

hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -le 2048 ]; then
	echo "hard limit on open files is $hard: nothing to raise to"
	exit 77
fi
# The next tests get pbxd with this shell's limits again.
at_exit pbx_restart

mark=$(pbx_log_mark)
(ulimit -Sn 1024 && pbx_restart)
read -r soft now_hard < <(prlimit --nofile --noheadings --output SOFT,HARD --pid "$(pbx_pid)")
expect_eq "$soft $now_hard" "$hard $hard" "pbxd's open files limit (soft hard) after start"
# 16384-32767: 16384 ports, 4 per call.
expect_match "$(pbx_log_since "$mark")" "(room for 4096 calls|room for about [0-9]+ calls \\(the RTP ports allow 4096\\))" \
	"start-up line about the call capacity"

# A hard limit too low for the port range: a warning with the numbers.
mark=$(pbx_log_mark)
(ulimit -n 1024 && pbx_restart)
expect_match "$(pbx_log_since "$mark")" \
	"WARN .*open files limit 1024: room for about 128 calls \\(the RTP ports allow 4096\\)" \
	"warning for a limit below the port range"
