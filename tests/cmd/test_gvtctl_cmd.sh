#!/bin/sh
# SPDX-License-Identifier: MIT
# gvtctl decode and gvtctl audit on small command streams written here, one
# little-endian dword at a time: their output lines, verdicts and exit codes.
set -u
bin=$1
work=$(mktemp -d)
fails=0
trap 'rm -rf "$work"' EXIT

# stream FILE DWORD...: write the dwords little-endian
stream() {
	file=$1
	shift
	: >"$file"
	for dw in "$@"; do
		v=$((dw))
		printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
			$((v >> 16 & 255)) $((v >> 24 & 255)))" >>"$file"
	done
}

# expect NAME EXIT PATTERN -- ARGS...: run gvtctl, check exit code and output
expect() {
	name=$1 want_rc=$2 pattern=$3
	shift 4
	out=$("$bin/gvtctl" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		echo "FAIL $name: gvtctl $* -> exit $rc (want $want_rc), expected /$pattern/ in:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

# A render batch: LRI, 3DSTATE_VERTEX_BUFFERS, PIPE_CONTROL, two MI_NOOPs,
# 3DPRIMITIVE, then a chain to the MI_ARB_CHECK at dword 26, which ends.
stream "$work/render.bin" \
	0x11000001 0x2420 5 \
	0x78080003 0 0 0 0 \
	0x7a000004 0 0 0 0 0 \
	0 0 \
	0x7b000005 0 0 0 0 0 0 \
	0x18800101 0x10000068 0 \
	0x02800000 0x05000000
expect decode-lines 0 '^0 MI_LOAD_REGISTER_IMM 3$' -- decode --base 0x10000000 "$work/render.bin"
expect decode-vertex-buffers 0 '^3 3DSTATE_VERTEX_BUFFERS 5$' -- decode --base 0x10000000 "$work/render.bin"
expect decode-noop 0 '^15 MI_NOOP 1$' -- decode --base 0x10000000 "$work/render.bin"
expect decode-follows-chain 0 '^26 MI_ARB_CHECK 1$' -- decode --base 0x10000000 "$work/render.bin"
expect decode-stops-at-end 0 '^27 MI_BATCH_BUFFER_END 1$' -- decode --base 0x10000000 "$work/render.bin"
expect audit-ppgtt-accepted 0 '^accepted: 9 commands$' -- audit --ppgtt --base 0x10000000 "$work/render.bin"

# The blitter: XY_SRC_COPY_BLT is 10 dwords on Gen9; on rcs it is unknown.
stream "$work/blit.bin" 0x54c00008 0 0 0 0 0 0 0 0 0 0x05000000
expect decode-blit 0 '^0 XY_SRC_COPY_BLT 10$' -- decode --engine bcs "$work/blit.bin"
expect decode-blit-on-rcs 1 'stopped: offset 0 UNKNOWN header 0x54c00008: unknown-opcode' -- decode "$work/blit.bin"

# A wrong fixed length: PIPE_CONTROL is 6 dwords, not 5.
stream "$work/short-pc.bin" 0x7a000003 0 0 0 0 0x05000000
expect decode-bad-length 1 'rule|length' -- decode "$work/short-pc.bin"

# Refusals, each with the near miss accepted.
stream "$work/lri-tail.bin" 0x11000001 0x2030 0 0x05000000
expect audit-ring-register 1 'refused: offset 0 .* MI_LOAD_REGISTER_IMM .*rule register: writes register 0x2030' -- audit --ppgtt "$work/lri-tail.bin"
stream "$work/lri-gpr.bin" 0x11000001 0x2600 0 0x05000000
expect audit-gpr-register 0 '^accepted' -- audit --ppgtt "$work/lri-gpr.bin"
stream "$work/update-gtt.bin" 0x11800001 0 0 0x05000000
expect audit-forbidden 1 'MI_UPDATE_GTT .*rule forbidden' -- audit --ppgtt "$work/update-gtt.bin"
# MI_STORE_DATA_IMM to the GGTT: the vGPU's aperture starts at 128 MiB.
stream "$work/sdi-host.bin" 0x10400002 0x1000 0 7 0x05000000
expect audit-ggtt-outside 1 'rule ggtt-range' -- audit --ppgtt "$work/sdi-host.bin"
stream "$work/sdi-own.bin" 0x10400002 0x08001000 0 7 0x05000000
expect audit-ggtt-inside 0 '^accepted' -- audit --ppgtt "$work/sdi-own.bin"
expect audit-json 1 '"rule":"ggtt-range"' -- --json audit --ppgtt "$work/sdi-host.bin"
# A batch start outside the file is checked, not followed.
stream "$work/chain-out.bin" 0x18800101 0x40000000 0 0x05000000
expect audit-unfollowed 0 'accepted: 1 commands; 1 batch start outside the file' -- audit --ppgtt "$work/chain-out.bin"

# Usage and input errors exit 2.
expect usage 2 'usage' -- audit
expect no-file 2 'No such file' -- decode "$work/none.bin"
printf 'abc' >"$work/odd.bin"
expect odd-size 2 'not a whole number of dwords' -- decode "$work/odd.bin"
expect ring-and-ppgtt 2 'exclude each other' -- audit --ring --ppgtt "$work/lri-gpr.bin"
expect bad-type 2 "no vGPU of type 'GVTg_V9'" -- audit --type GVTg_V9 "$work/lri-gpr.bin"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
