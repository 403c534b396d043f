#!/bin/sh
# SPDX-License-Identifier: MIT
# The guest test: Debian's own kernel and i915 in a QEMU guest (TCG) drive
# a libgvt vGPU that gvtd serves over vfio-user.
#
#   run-guest.sh BIN_DIR
#
# BIN_DIR holds gvtd. The cache of prepare-cache.sh is made first if it is
# missing (that needs root once). Prints the guest's report, the figures as
# JSON lines, and exits 0 when the milestone holds: i915 binds 8086:1912,
# detects the GVT-g vGPU, balloons its GGTT and leaves the GT working (not
# wedged, every engine idle), in both boots; and in the first, Debian's
# intel-gpu-tools run on every engine (docs/guest-test.md says which and
# why). Exits 77 only when the package mirror cannot be reached to make
# the cache.
#
# Environment:
#   GVT_GUEST_CACHE      the cache (default ~/.cache/libgvt-guest)
#   GVT_GUEST_KEEP=1     keep the work directory (logs, trace) even on success
#   GVT_GUEST_TRACE=FILE also copy the vGPU's recordings to FILE (first boot)
#                        and FILE with -nomsi before .trace (second boot)
#   GVT_GUEST_DRM_DEBUG  drm.debug mask for the guest kernel (default 0x2:
#                        driver messages, which say where probe went)
#   GVT_GUEST_TIMEOUT    seconds the guest may run (default 300)
set -u
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cache=${GVT_GUEST_CACHE:-$HOME/.cache/libgvt-guest}
timeout_s=${GVT_GUEST_TIMEOUT:-300}
drm_debug=${GVT_GUEST_DRM_DEBUG:-0x2}
say() { echo "guest-test: $*"; }

GVT_GUEST_CACHE=$cache "$here/prepare-cache.sh"
rc=$?
[ $rc -eq 0 ] || exit $rc

work=$(mktemp -d /tmp/gvt-guest.XXXXXX)
gvtd_pid=
cleanup() {
	[ -n "$gvtd_pid" ] && kill "$gvtd_pid" 2>/dev/null
	if [ "${GVT_GUEST_KEEP:-0}" = 1 ] || [ "${failed:-1}" = 1 ]; then
		say "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
# dash runs no EXIT trap when a signal kills it: a ctest timeout or ^C
# must not leave gvtd behind.
trap 'exit 130' INT TERM HUP

# The initramfs: the cached rootfs, our /init, i915's parameters. The
# first boot's has intel-gpu-tools appended (the kernel unpacks archives
# one after the other), and its /init runs them; the second boot's is
# smaller, to unpack faster. zstd unpacks faster under TCG than gzip.
compress() { if command -v zstd > /dev/null; then zstd -q -3 -T2; else gzip -1; fi; }
archive() { # archive DIR OUT
	(cd "$1" && find . | cpio -o -H newc --quiet | compress) > "$2"
}
mkdir "$work/root"
cp -a "$cache/rootfs/." "$work/root/"
cp "$here/init" "$work/root/init"
chmod 755 "$work/root/init"
echo "enable_guc=0 disable_display=1" > "$work/root/i915-params"
# gvt-blit-check (blit-check.c) checks the blitter's copies, which gem_blt
# does not: static, against libdrm-dev's i915_drm.h. Without it the check
# below fails; the rest of the test still runs.
mkdir -p "$work/extra/bin"
${CC:-cc} -static -O2 -std=gnu11 -I/usr/include/libdrm -o "$work/extra/bin/gvt-blit-check" \
	"$here/blit-check.c" > "$work/blit-check.build" 2>&1 ||
	{ say "cannot build gvt-blit-check (needs libdrm-dev and a static libc):"; cat "$work/blit-check.build"; }
archive "$work/root" "$work/initrd" && archive "$cache/igt" "$work/initrd-igt.part" &&
	archive "$work/extra" "$work/initrd-extra.part" &&
	cat "$work/initrd" "$work/initrd-igt.part" "$work/initrd-extra.part" > "$work/initrd-igt" ||
	{ say "cannot build the initramfs"; exit 1; }
rm -rf "$work/root" "$work/extra" "$work/initrd-igt.part" "$work/initrd-extra.part"

# gvtd with one vGPU, recorded from its creation.
"$bin/gvtd" --control "$work/gvt.sock" --socket-dir "$work" \
	--vgpu "GVTg_V5_4,trace=$work/vgpu1.trace" \
	> "$work/gvtd.out" 2> "$work/gvtd.log" &
gvtd_pid=$!
for _ in $(seq 100); do
	grep -q '^gvtd: ready' "$work/gvtd.out" 2>/dev/null && break
	kill -0 "$gvtd_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^gvtd: ready' "$work/gvtd.out" ||
	{ say "gvtd did not start:"; cat "$work/gvtd.log"; exit 1; }

# QEMU from the forky chroot, run in place through its own loader.
c=$cache/chroot
libs=$c/lib/x86_64-linux-gnu:$c/usr/lib/x86_64-linux-gnu
boot() { # boot N INITRD [KERNEL ARGS]: one guest run, its console in guest-N.log
	timeout "$timeout_s" "$c/lib64/ld-linux-x86-64.so.2" --library-path "$libs" \
		"$c/usr/bin/qemu-system-x86_64" -L "$c/usr/share/qemu" -L "$c/usr/share/seabios" \
		-accel tcg -m 512 -smp 1 -display none -nodefaults -serial stdio -no-reboot \
		-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
		-device "{\"driver\":\"vfio-user-pci\",\"socket\":{\"type\":\"unix\",\"path\":\"$work/vgpu1.sock\"}}" \
		-kernel "$cache/vmlinux" -initrd "$2" \
		-append "console=ttyS0 panic=-1 quiet drm.debug=$drm_debug ${3:-}" \
		> "$work/guest-$1.log" 2> "$work/qemu-$1.err"
	rc=$?
	# The serial console ends lines in CR LF.
	sed -i 's/\r$//' "$work/guest-$1.log"
	return $rc
}
left() { # left N: wait until gvtd has seen its Nth client go
	for _ in $(seq 50); do
		[ "$(grep -c 'figures (client left)' "$work/gvtd.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

say "booting $(cat "$cache/QEMU"), kernel $(cat "$cache/KERNEL")"
boot 1 "$work/initrd-igt" &
boot1_pid=$!
# The first boot is recorded from gvtd's start to the end of i915's probe:
# the guest says when, and waits, before intel-gpu-tools run. The
# recording is stopped through gvtctl.
gvtctl_rc=1
while kill -0 "$boot1_pid" 2> /dev/null; do
	if grep -q '^GVT-GUEST: probe done' "$work/guest-1.log" 2> /dev/null; then
		"$bin/gvtctl" --socket "$work/gvt.sock" trace 1 stop > /dev/null
		gvtctl_rc=$?
		break
	fi
	sleep 0.1
done
wait "$boot1_pid"
qemu_rc1=$?
# A guest that never got there leaves the recording running to its end.
[ "$gvtctl_rc" -eq 0 ] ||
	"$bin/gvtctl" --socket "$work/gvt.sock" trace 1 stop > /dev/null 2>&1
left 1
left_rc1=$?
# The vGPU's engines as the first guest left them (counters since creation).
"$bin/gvtctl" --socket "$work/gvt.sock" --json show 1 > "$work/show-1.json"
# The second boot is recorded too, from the reset the first client's
# leaving made: it replays from a fresh vGPU only if that reset is whole.
"$bin/gvtctl" --socket "$work/gvt.sock" trace 1 start "$work/vgpu1-nomsi.trace" > /dev/null ||
	gvtctl_rc=$?
say "booting again: the same vGPU, a new client, and no MSI (INTx)"
boot 2 "$work/initrd" pci=nomsi
qemu_rc2=$?
left 2
left_rc2=$?
intx=$("$bin/gvtctl" --socket "$work/gvt.sock" --json show 1 |
	sed -n 's/.*"intx_asserted":\([0-9]*\).*/\1/p')

# gvtd must stop on SIGTERM, and soon.
kill -TERM "$gvtd_pid"
for _ in $(seq 100); do
	kill -0 "$gvtd_pid" 2> /dev/null || break
	sleep 0.1
done
if kill -0 "$gvtd_pid" 2> /dev/null; then
	kill -KILL "$gvtd_pid"
	wait "$gvtd_pid"
	gvtd_rc=124 # it hung
else
	wait "$gvtd_pid"
	gvtd_rc=$?
fi
gvtd_pid=

if [ -n "${GVT_GUEST_TRACE:-}" ]; then
	cp "$work/vgpu1.trace" "$GVT_GUEST_TRACE"
	cp "$work/vgpu1-nomsi.trace" "${GVT_GUEST_TRACE%.trace}-nomsi.trace"
fi

# Figures: the guest's clock when i915's probe returned, the wall time of a
# whole run, and gvtd's figures for the first client.
{
probed=$(sed -n 's/^GVT-GUEST: i915 loaded rc=[0-9]* at \([0-9.]*\)s.*/\1/p' "$work/guest-1.log")
[ -n "$probed" ] &&
	echo "{\"bench\":\"guest\",\"figure\":\"boot_to_i915_probed_s\",\"value\":$probed,\"unit\":\"s\",\"note\":\"guest uptime when insmod i915 returned (TCG, 1 vCPU)\"}"
# intel-gpu-tools print one figure each: gem_exec_nop the microseconds
# per execbuf of a nop batch, gem_blt MiB/s of 1 MiB blitter copies.
igt_figure() { # igt_figure NAME: the last number the program printed
	sed -n "s/^GVT-IGT: $1: *\([0-9][0-9.]*\)$/\1/p" "$work/guest-1.log" | tail -n 1
}
for e in rcs bcs vcs vecs; do
	v=$(igt_figure "gem_exec_nop-$e")
	[ -n "$v" ] &&
		echo "{\"bench\":\"guest\",\"figure\":\"igt_gem_exec_nop_${e}_us\",\"value\":$v,\"unit\":\"us\",\"note\":\"gem_exec_nop -e $e: guest time per execbuf of a nop batch (TCG)\"}"
done
v=$(igt_figure gem_blt)
[ -n "$v" ] &&
	echo "{\"bench\":\"guest\",\"figure\":\"igt_gem_blt_mib_s\",\"value\":$v,\"unit\":\"MiB/s\",\"note\":\"gem_blt: 1 MiB XY_SRC_COPY_BLTs on bcs, guest time (TCG)\"}"
v=$(igt_figure gem_exec_ctx-switch)
[ -n "$v" ] &&
	echo "{\"bench\":\"guest\",\"figure\":\"igt_gem_exec_ctx_switch_us\",\"value\":$v,\"unit\":\"us\",\"note\":\"gem_exec_ctx -b switch: guest time per execbuf, two contexts alternating on rcs (TCG)\"}"
# What the vGPU's engines did for the first guest, as libgvt counted.
engine_stat() { # engine_stat ENGINE KEY
	grep -o "{\"name\":\"$1\"[^}]*" "$work/show-1.json" 2> /dev/null |
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
for e in rcs bcs vcs vecs; do
	for k in completed busy_ns; do
		v=$(engine_stat $e $k)
		[ -n "$v" ] && echo "{\"bench\":\"guest\",\"figure\":\"gvtd_${e}_$k\",\"value\":$v}"
	done
done
sed -n -e 's/.*vgpu1 figures (client left): \(.*\)/\1/p' \
	-e 's/.*vgpu1 workload figures (client left): \(.*\)/\1/p' "$work/gvtd.log" | head -n 2 |
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[2] ~ /^[0-9.]+$/)
		printf "{\"bench\":\"guest\",\"figure\":\"gvtd_%s\",\"value\":%s}\n", kv[1], kv[2] } }'
} > "$work/figures"

# The milestone.
failed=0
check() { # check BOOT WHAT REGEX
	if grep -q -E "$3" "$work/guest-$1.log"; then
		say "ok: boot $1: $2"
	else
		say "FAILED: boot $1: $2"
		failed=1
	fi
}
expect() { # expect WHAT STATUS
	if [ "$2" -eq 0 ]; then say "ok: $1"; else say "FAILED: $1 ($2)"; failed=1; fi
}
# The verdicts go to a file first: the failed ones are printed before
# everything else (a CI log shows a test's first lines), then the figures,
# all the verdicts, and the guest's and gvtd's logs.
{
expect "QEMU ran the first guest" $qemu_rc1
expect "gvtd saw the first client go" $left_rc1
expect "gvtctl stopped the recording" $gvtctl_rc
expect "QEMU ran the second guest" $qemu_rc2
expect "gvtd saw the second client go" $left_rc2
expect "gvtd shut down cleanly on SIGTERM" $gvtd_rc
for n in 1 2; do
	check $n "the guest sees the vGPU as 8086:1912" '^GVT-GUEST: pci .* 0x8086:0x1912 class 0x030000'
	check $n "i915 binds it" '^GVT-GUEST: bound .* i915'
	check $n "i915 detects a GVT-g vGPU" 'Virtual GPU for Intel GVT-g detected'
	check $n "i915 balloons its GGTT from PVINFO" 'VGT ballooning configuration'
	check $n "i915's probe returns" '^GVT-GUEST: i915 loaded rc=0'
	check $n "the guest finished" '^GVT-GUEST: done'
	check $n "i915 did not wedge the GT" '^GVT-GUEST: i915_wedged=0 after probe'
	for e in rcs0 bcs0 vcs0 vecs0; do
		check $n "i915 reports $e idle, never reset" "^GVT-GUEST: engine $e idle=yes awake=[0-9]+ resets=0 "
	done
done
# intel-gpu-tools in the first guest: each program exits 0 and prints its
# figure (a failed execbuf, a GPU hang or the timeout make it fail).
for e in rcs bcs vcs vecs; do
	check 1 "gem_exec_nop runs nop batches on $e" "^GVT-GUEST: igt gem_exec_nop-$e rc=0 "
	check 1 "gem_exec_nop prints its figure for $e" "^GVT-IGT: gem_exec_nop-$e: +[0-9.]+\$"
done
check 1 "gem_blt runs its blitter copies" '^GVT-GUEST: igt gem_blt rc=0 '
check 1 "gem_blt prints its figure" '^GVT-IGT: gem_blt: +[0-9.]+$'
check 1 "blitter copies read back and verified (gvt-blit-check)" '^GVT-IGT: blit-check: GVT-BLIT: [0-9]+ blits, [0-9]+ bytes read back and verified'
check 1 "gvt-blit-check exits 0" '^GVT-GUEST: igt blit-check rc=0 '
for t in gem_wsim gem_exec_ctx-switch gem_latency gem_exec_fault gem_exec_reloc \
	lsgpu intel_reg intel_gpu_frequency; do
	check 1 "intel-gpu-tools: $t runs" "^GVT-GUEST: igt $t rc=0 "
done
# gem_wsim's eight batches each loop until the GPU's clock says 50 ms:
# had the loop ended early (or not looped), they would take far less.
wsim=$(sed -n 's/^GVT-IGT: gem_wsim: \([0-9.]*\)s elapsed.*/\1/p' "$work/guest-1.log")
expect "gem_wsim's GPU-timed batches ran their length (${wsim:-?} s for 8 x 50 ms)" \
	$(awk -v t="${wsim:-0}" 'BEGIN { exit !(t >= 0.4) }'; echo $?)
check 1 "i915 is still not wedged after intel-gpu-tools" '^GVT-GUEST: i915_wedged=0 after intel-gpu-tools'
# ... and libgvt ran their batches: every engine completed workloads,
# and none was refused by the scanner or hung. (gem_blt does not check its
# copies itself; gvt-blit-check, above, reads them back.)
for e in rcs bcs vcs vecs; do
	c=$(engine_stat $e completed) r=$(engine_stat $e refused) h=$(engine_stat $e hung)
	expect "libgvt's $e completed the first guest's workloads (${c:-?}), refused ${r:-?}, hung ${h:-?}" \
		$([ "${c:-0}" -gt 0 ] && [ "${r:-1}" -eq 0 ] && [ "${h:-1}" -eq 0 ]; echo $?)
done
check 1 "i915 takes MSIs" '^GVT-GUEST: interrupts [0-9]+: +[1-9][0-9]* +PCI-MSI.*i915'
check 2 "i915 takes INTx (IO-APIC) interrupts" '^GVT-GUEST: interrupts [0-9]+: +[1-9][0-9]* +IO-APIC.*i915'
expect "libgvt raised INTx for the second guest ($intx times)" $([ "${intx:-0}" -gt 0 ]; echo $?)
# Both recordings replay without QEMU, whole: i915's probe, its requests
# on every engine included. A trace carries the guest memory libgvt and
# the GPU read (mem lines), and replay waits for each MSI and INTx change
# where the guest saw it; every register read compares. Replay holds each
# completion until the recording's done line for it, so a read the guest
# made while its GPU worked sees what it saw: one run must pass.
for t in vgpu1 vgpu1-nomsi; do
	if "$bin/gvtctl" replay "$work/$t.trace" > "$work/replay-$t.out" 2>&1 &&
		replay_checks=$(sed -n 's/.*passed (\([0-9]*\) checks)/\1/p' "$work/replay-$t.out") &&
		[ "${replay_checks:-0}" -ge 500 ] && grep -q '^w 1 0x2230 ' "$work/$t.trace"; then
		say "ok: the recording $t.trace replays past its submissions ($replay_checks checks)"
	else
		say "FAILED: the recording $t.trace does not replay:"
		sed 's/^/  /' "$work/replay-$t.out" | head -n 20
		failed=1
	fi
done
grep -q '^intx 1 1$' "$work/vgpu1-nomsi.trace" && say "ok: the second recording has INTx in it" ||
	{ say "FAILED: no INTx in the second recording"; failed=1; }
} > "$work/verdicts"
if [ "$failed" -ne 0 ]; then
	say "failed checks (all checks follow the figures):"
	grep -v '^guest-test: ok' "$work/verdicts" | head -n 60
fi
cat "$work/figures" "$work/verdicts"
grep -E '^GVT-(GUEST|IGT):' "$work/guest-1.log" | sed 's/^/  /'
say "kernel log of i915 and drm (first boot):"
grep '^GVT-KLOG:' "$work/guest-1.log" | sed 's/^GVT-KLOG: /  /' | grep -i -E 'i915|drm|gvt' | head -n 400
for n in 1 2; do
	if [ -s "$work/qemu-$n.err" ]; then
		say "QEMU said (boot $n; first and last lines):"
		head -n 20 "$work/qemu-$n.err" | sed 's/^/  /'
		[ "$(wc -l < "$work/qemu-$n.err")" -gt 40 ] && echo "  ..."
		[ "$(wc -l < "$work/qemu-$n.err")" -gt 20 ] &&
			tail -n 20 "$work/qemu-$n.err" | sed 's/^/  /'
	fi
done
say "gvtd said (warnings and figures):"
grep -E 'warning|error|figures' "$work/gvtd.log" | sed 's/^/  /' | head -n 40

exit $failed
