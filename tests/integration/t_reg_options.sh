#!/bin/bash
# OPTIONS to pbxd itself: 200 with Allow (naming REGISTER), Accept and
# Supported (RFC 3261 11.2), through SIPp and sipreg.py.
. "$(dirname "$0")/lib.sh"

sipp_run options || { sipp_show; fail "sipp OPTIONS"; }

out=$(sipreg --method OPTIONS --ruri "sip:$PBX_SIP_HOST:$PBX_SIP_PORT" --no-auth)
expect_eq "$(sip_status "$out")" 200 "OPTIONS"
expect_match "$out" $'\nHDR Allow: [^\n]*REGISTER' "Allow lists REGISTER"
expect_match "$out" $'\nHDR Allow: [^\n]*OPTIONS' "Allow lists OPTIONS"
expect_match "$out" $'\nHDR Accept: [^\n]+' "Accept header"
expect_match "$out" $'\nHDR Supported: [^\n]*' "Supported header"
