#!/bin/sh
# SPDX-License-Identifier: MIT
# The real gvt-xen-dm binary, built against libxen: its command line, and
# a start that fails cleanly. Without Xen (no /dev/xen) the failure must
# say so; on a Xen host, domain 32000 does not exist and the failure must
# name it. Either way: exit status 1, also through --daemon's parent, and
# no control socket or pid file left behind. (The unit suite xen_dm runs
# the serving loop over the mock port.)
set -u
dm=$1/gvt-xen-dm
work=$(mktemp -d)
fails=0
trap 'rm -rf "$work"' EXIT

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect NAME STATUS PATTERN ARGS...: run it, check the status and output
expect() {
	name=$1 want=$2 pattern=$3
	shift 3
	timeout 20 "$dm" "$@" > "$work/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" "$work/out"; then
		ok "$name"
	else
		fail "$name: exit $rc (want $want), /$pattern/ in:"
		sed 's/^/    /' "$work/out"
	fi
}

expect help 0 '^usage: gvt-xen-dm --domid N --bdf' --help
expect no-args 2 'are required' 
expect bad-bdf 2 '--bdf 00:2g.0' --domid 5 --bdf 00:2g.0 --type GVTg_V5_4
expect bad-domid 2 '--domid 0' --domid 0 --bdf 00:02.0 --type GVTg_V5_4
expect stray-arg 2 "unexpected argument 'x'" --domid 5 --bdf 00:02.0 --type GVTg_V5_4 x

if [ -e /dev/xen ]; then
	why='dom32000: cannot'
else
	why='no /dev/xen: not running in a Xen domain'
fi
set -- --domid 32000 --bdf 00:02.0 --type GVTg_V5_4 --control "$work/c.sock" \
	--pidfile "$work/pid"
expect start-fails 1 "$why" "$@"
expect daemon-start-fails 1 "$why" "$@" --daemon
if [ -e "$work/c.sock" ] || [ -e "$work/pid" ]; then
	fail "a failed start left files behind: $(ls "$work")"
else
	ok "nothing left behind"
fi

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
