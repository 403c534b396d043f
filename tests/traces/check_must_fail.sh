#!/bin/sh
# SPDX-License-Identifier: MIT
# Every trace in must-fail/ is broken on purpose: gvtctl replay must fail it
# (exit 1) and say what its "# expect:" line says, file and line included.
set -u
gvtctl=$1
dir=$(cd "$(dirname "$0")/must-fail" && pwd)
failed=0
cd "$dir" || exit 1
for t in *.trace; do
	want=$(sed -n 's/^# expect: //p' "$t")
	out=$("$gvtctl" replay "$t" 2>&1)
	rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "$t: exit $rc, expected 1"
		failed=1
	elif ! printf '%s\n' "$out" | grep -qF "$want"; then
		echo "$t: expected '$want' in:"
		printf '%s\n' "$out"
		failed=1
	elif ! printf '%s\n' "$out" | grep -qx "0 passed, 1 failed"; then
		echo "$t: no summary line"
		failed=1
	fi
done
[ "$failed" -eq 0 ] && echo "all must-fail traces failed as expected"
exit "$failed"
