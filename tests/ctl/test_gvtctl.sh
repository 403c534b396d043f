#!/bin/sh
# SPDX-License-Identifier: MIT
# Every gvtctl verb against a live process: gvt-demo --serve keeps a GPU
# and serves its control socket; gvtctl drives it and the output is checked.
# Then gvtctl top against a busy one: gvt-demo's workload run, whose guests
# keep every engine they use contended, serves gvtctl with --control.
set -u
bin=$1
work=$(mktemp -d)
sock=$work/gvt.sock
server=
busy=
fails=0

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ -n "$busy" ] && kill "$busy" 2>/dev/null && wait "$busy" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# expect NAME EXIT PATTERN -- ARGS...: run gvtctl, check exit code and output
expect() {
	name=$1 want_rc=$2 pattern=$3
	shift 4
	out=$("$bin/gvtctl" --socket "$sock" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		echo "FAIL $name: gvtctl $* -> exit $rc (want $want_rc), expected /$pattern/ in:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

"$bin/gvt-demo" --serve "$sock" >"$work/server.log" 2>&1 &
server=$!
# Ready once it says so: the socket file exists a moment before it listens.
for _ in $(seq 50); do
	grep -q '^gvt-demo: serving' "$work/server.log" 2>/dev/null && break
	sleep 0.1
done
[ -S "$sock" ] || { echo "server did not start:"; cat "$work/server.log"; exit 1; }
[ "$(stat -c %a "$sock")" = 600 ] || { echo "socket mode is not 0600"; fails=$((fails + 1)); }

expect list-empty 0 '^ID +TYPE +STATE +TRACING$' -- list
expect create-1 0 '^created vgpu1 \(GVTg_V5_4\)$' -- create GVTg_V5_4
expect create-2 0 '^created vgpu2 \(GVTg_V5_8\)$' -- create GVTg_V5_8
expect create-refused 1 'hidden: need 2048 MiB, 1792 MiB free \(short by 256 MiB\)' -- create GVTg_V5_1
expect create-unknown 1 "unknown vGPU type 'GVTg_V5_3'" -- create GVTg_V5_3
expect list 0 '^2 +GVTg_V5_8 +running +no$' -- list
expect list-json 0 '^\{"ok":true,"vgpus":\[\{"id":1,"type":"GVTg_V5_4"' -- list --json
expect show 0 'aperture: +\[0x8000000, 0x10000000\) +128 MiB' -- show 1
expect show-fences 0 'fences: +4 5 6 7$' -- show 1
expect show-guest 0 'GVT-aware yes' -- show 1
expect show-ggtt 0 '16 pages mapped' -- show 1
expect show-ppgtt 0 'ppgtt: +4 shadow tables \(write-protected\), 4 built' -- show 1
expect show-dma 0 'dma: +16 guest frames mapped for 32 entries' -- show 1
expect show-json 0 '"msi_enabled":true' -- --json show 1
expect show-missing 1 'no vGPU 7' -- show 7
expect show-engines 0 '"engines":\[\{"name":"rcs","submitted":0,' -- --json show 1
expect weight 0 '^vgpu1 weight 8$' -- weight 1 8
expect weight-shown 0 '"weight":8,' -- --json show 1
expect weight-range 1 'weight 0 refused' -- weight 1 0
expect weight-usage 2 'usage: gvtctl weight ID WEIGHT' -- weight 1
expect top-once 0 '^vgpu1 +GVTg_V5_4 +8 +rcs +0\.0% +- +- +0\.0 +0 +- +0$' -- top --once --interval 0.2
expect top-engines 0 '^ +vecs ' -- top --once --interval 0.2
expect top-json 0 '^\{"interval_s":[0-9.]+,"vgpus":\[\{"id":1,"type":"GVTg_V5_4","weight":8,"engines":\[\{"name":"rcs","busy_pct":0\.0,' -- --json top --once --interval 0.2
expect show-usage 2 'usage: gvtctl show ID' -- show
expect regs-one 0 '^0x044200  0x80000000 GEN8_MASTER_IRQ$' -- regs 1 0x44200
expect regs-range 0 '^0x04430c  0x00000101 GEN8_GT_IER\(0\)$' -- regs 1 0x44300-0x4430c
expect regs-all 0 'GEN6_GDRST' -- regs 1
expect regs-bad 1 "'0xzz' is not a register offset" -- regs 1 0xzz
expect gtt 0 '^0x008000000  0x0000000000100001 0x' -- gtt 1
expect gtt-range 0 '^0x008001000  0x0000000000101001' -- gtt 1 0x8001000-0x8001fff
expect trace-start 0 "^vgpu1: recording to $work/t.trace\$" -- trace 1 start "$work/t.trace"
expect trace-again 1 'already recording' -- trace 1 start "$work/t2.trace"
expect trace-listed 0 '^1 +GVTg_V5_4 +running +yes$' -- list
expect regs-while-tracing 0 'PVINFO' -- regs 1 0x78000
expect trace-stop 0 '^vgpu1: recording stopped$' -- trace 1 stop
expect trace-stop-again 1 'not recording' -- trace 1 stop
expect trace-replays 0 '^1 passed, 0 failed$' -- replay "$work/t.trace"
# An argument cannot smuggle in a second request.
expect injection 2 'holds a space or control character' -- create "$(printf 'GVTg_V5_8\ndestroy\t2')"
expect injection-harmless 0 '^2 +GVTg_V5_8 +running +no$' -- list
expect trace-fifo 1 'not a regular file|cannot write' -- trace 1 start /dev/null
expect destroy 0 '^destroyed vgpu2$' -- destroy 2
expect destroyed 1 'no vGPU 2' -- show 2
expect types 0 '^GVTg_V5_8 +64 MiB +384 MiB +4 +2 1024x768 +7$' -- types
expect types-json 0 '"aperture_mib":256' -- types --aperture 256 --json
expect doctor 0 '^\[ok  \] libgvt' -- doctor
expect doctor-json 0 '"check":"kvm"' -- doctor --json
expect no-server 1 'cannot reach' -- --socket "$work/nobody.sock" list
expect unknown-verb 2 "unknown verb 'frobnicate'" -- frobnicate

kill "$server"
wait "$server" 2>/dev/null
server=
[ -e "$sock" ] && { echo "FAIL the socket outlived its server"; fails=$((fails + 1)); }

# shares NAME ENGINE WHO -- ARGS...: run gvtctl top (text), and check that
# on ENGINE each vGPU's share of the engine is within a quarter of its
# weight's share, that the shares add up, and that the engine was busy.
# WHO names a vGPU ("vgpu3") whose weight share must be WANT% (or "-").
shares() {
	name=$1 engine=$2 who=$3 want=$4
	shift 5
	out=$("$bin/gvtctl" --socket "$sock" "$@" 2>&1)
	rc=$?
	verdict=$(printf '%s\n' "$out" | awk -v eng="$engine" -v who="$who" -v want="$want" '
		# Rows: "vgpuN TYPE W ENG busy share weight% ...", then
		# "ENG busy share weight% ..." for its other engines; at the
		# end "all vGPUs ENG busy", then "ENG busy".
		/^vgpu/ { v = $1; f = 4 }
		/^all vGPUs/ { totals = 1; f = 3 }
		/^ / { f = 1 }
		$f != eng { next }
		totals { total = $(f + 1); sub(/%/, "", total); next }
		{
			share = $(f + 2); w = $(f + 3); sub(/%/, "", share); sub(/%/, "", w)
			n++; sum += share
			d = share - w; if (d < 0) d = -d
			if (d > w / 4) bad = bad sprintf(" %s share %s%% vs weight %s%%;", v, share, w)
			if (v == who && w + 0 != want + 0) bad = bad sprintf(" %s weight share %s%%, want %s%%;", v, w, want)
		}
		END {
			if (n < 2) bad = bad " fewer than 2 vGPUs on the engine;"
			if (sum < 99 || sum > 101) bad = bad sprintf(" shares add up to %.1f%%;", sum)
			if (total + 0 < 50 || total + 0 > 101) bad = bad sprintf(" engine busy %s%%;", total)
			print bad == "" ? "ok" : bad
		}')
	if [ "$rc" -ne 0 ] || [ "$verdict" != ok ]; then
		echo "FAIL $name: gvtctl $* -> exit $rc:$verdict"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

"$bin/gvt-demo" --seconds 8 --control "$sock" >"$work/busy.log" 2>&1 &
busy=$!
for _ in $(seq 100); do
	grep -q '^  each second' "$work/busy.log" 2>/dev/null && break
	sleep 0.1
done
[ -S "$sock" ] || { echo "busy run did not serve:"; cat "$work/busy.log"; exit 1; }
sleep 1	# every queue full
shares top-busy-rcs rcs vgpu3 11.1 -- top --once --interval 1
shares top-busy-bcs bcs vgpu3 11.1 -- top --once --interval 1
expect top-busy-latency 0 '^ +bcs +[0-9.]+% +[0-9.]+% +[0-9.]+% +[0-9.]+ +[1-9][0-9]* +[0-9.]+(us|ms|s) +0$' -- top --once --interval 1
expect top-busy-json 0 '"name":"bcs","busy_pct":[0-9.]+,"share_pct":[1-9][0-9.]*,"weight_pct":44\.4,.*\],"engines":\[\{"name":"rcs","busy_pct":[1-9][0-9.]*\},\{"name":"bcs","busy_pct":[1-9][0-9.]*\}' -- --json top --once --interval 0.5
expect busy-no-create 1 'does not create vGPUs on request' -- create GVTg_V5_8
# A new weight applies at once: vgpu3 goes from 2 of 18 to 16 of 32.
expect busy-weight 0 '^vgpu3 weight 16$' -- weight 3 16
sleep 0.3
shares top-busy-reweighted bcs vgpu3 50.0 -- top --once --interval 1
wait "$busy"
rc=$?
busy=
if [ "$rc" -ne 0 ] || ! grep -q "vgpu3's weight went from 2 to 16" "$work/busy.log" ||
   ! grep -q '^gvt-demo: every workload verified$' "$work/busy.log"; then
	echo "FAIL busy-run: gvt-demo exit $rc:"
	sed 's/^/    /' "$work/busy.log"
	fails=$((fails + 1))
else
	echo "ok   busy-run"
fi
[ -e "$sock" ] && { echo "FAIL the busy run left its socket"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] && echo "all gvtctl verbs behave"
exit "$fails"
