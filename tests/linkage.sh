#!/bin/sh
# SPDX-License-Identifier: MIT
# libgvt.so exports exactly the functions gvt.h marks GVT_EXPORT: nothing
# internal leaks (even if it is named gvt_*), nothing public is missing.
set -eu
lib=$1
header=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort)
declared=$(grep -v '^#' "$header" | tr '\n' ' ' | grep -o 'GVT_EXPORT [^(]*[a-z0-9_]('  | sed 's/.*[ *]\([a-z_0-9]*\)($/\1/' | sort)
if [ "$exported" != "$declared" ]; then
	echo "exported but not declared GVT_EXPORT:"
	printf '%s\n' "$exported" | grep -vxF "$declared" || true
	echo "declared GVT_EXPORT but not exported:"
	printf '%s\n' "$declared" | grep -vxF "$exported" || true
	exit 1
fi
other=$(nm -D --defined-only "$lib" | awk '$2 != "T" && $2 != "A" { print }')
if [ -n "$other" ]; then
	echo "unexpected exported data symbols:"
	echo "$other"
	exit 1
fi
echo "libgvt exports exactly the $(printf '%s\n' "$exported" | wc -l) functions gvt.h declares"
