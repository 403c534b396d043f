#!/bin/sh
# SPDX-License-Identifier: MIT
# gvtd without QEMU: its command line and config file, vGPUs created and
# destroyed through gvtctl with their sockets, the figures on SIGUSR1, a
# second gvtd refused, and a clean SIGTERM. (The guest test drives it with
# QEMU; the vfio_user unit suite drives the server.)
set -u
bin=$1
work=$(mktemp -d)
gvtd_pid=
fails=0

cleanup() {
	[ -n "$gvtd_pid" ] && kill "$gvtd_pid" 2>/dev/null && wait "$gvtd_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # check NAME COMMAND...: passes if the command succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

start() { # start ARGS...: gvtd in the background, until it says it is ready
	"$bin/gvtd" "$@" > "$work/out" 2> "$work/log" &
	gvtd_pid=$!
	for _ in $(seq 100); do
		grep -q '^gvtd: ready' "$work/out" 2>/dev/null && return 0
		kill -0 "$gvtd_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "gvtd did not start:"
	cat "$work/log"
	return 1
}

stop() { # stop: SIGTERM, and gvtd's exit status
	kill -TERM "$gvtd_pid"
	wait "$gvtd_pid"
	rc=$?
	gvtd_pid=
	return $rc
}

# Bad command lines and config files are refused before anything starts.
refuses() { # refuses NAME PATTERN ARGS...
	name=$1 pattern=$2
	shift 2
	out=$("$bin/gvtd" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		ok "$name"
	else
		fail "$name: gvtd $* -> $rc: $out"
	fi
}
refuses bad-aperture '--aperture 300: 256, 512 or 1024' --aperture 300
refuses bad-vgpu-key "unknown 'colour=red'" --vgpu GVTg_V5_4,colour=red
refuses bad-level 'error, warning, notice, info or debug' --log-level loud
refuses extra-arg "unexpected argument 'now'" now
printf 'aperture 512\nfrobnicate 1\n' > "$work/bad.conf"
refuses bad-config "bad.conf:2: 'frobnicate' is not an option" --config "$work/bad.conf"
printf 'config %s\n' "$work/loop.conf" > "$work/loop.conf"
refuses config-loop 'config files nest too deep' --config "$work/loop.conf"

# A config file: the aperture, a vGPU with its own socket, one by default.
cat > "$work/gvtd.conf" <<EOF
# two vGPUs on a 512 MiB aperture
aperture 512
socket-dir $work/sockets
vgpu GVTg_V5_4 socket=$work/own.sock
vgpu GVTg_V5_8
EOF
check start-from-config start --config "$work/gvtd.conf" --control "$work/gvt.sock"
check own-socket test -S "$work/own.sock"
check default-socket test -S "$work/sockets/vgpu2.sock"
check socket-mode test "$(stat -c %a "$work/own.sock")" = 600
check announced grep -q "^gvtd: vgpu2 GVTg_V5_8 on $work/sockets/vgpu2.sock\$" "$work/out"
list=$("$bin/gvtctl" --socket "$work/gvt.sock" list)
check listed-both sh -c "printf '%s\n' \"\$1\" | grep -qE '^2 +GVTg_V5_8'" _ "$list"
# A 512 MiB aperture: hidden memory starts at 512 + 384 MiB (the host's share).
check aperture-512 sh -c "'$bin/gvtctl' --socket '$work/gvt.sock' --json show 1 | grep -q '\"hidden_base\":939524096'"

# gvtctl creates a vGPU with a socket of its own, and destroys both.
check gvtctl-create sh -c "'$bin/gvtctl' --socket '$work/gvt.sock' create GVTg_V5_8 | grep -q 'created vgpu3'"
check created-socket test -S "$work/sockets/vgpu3.sock"
check gvtctl-destroy sh -c "'$bin/gvtctl' --socket '$work/gvt.sock' destroy 3 > /dev/null"
check destroyed-socket test ! -e "$work/sockets/vgpu3.sock"

# A config line longer than any fixed buffer, with a long comment.
printf 'aperture 1024 # %s\n' "$(head -c 3000 /dev/zero | tr '\0' x)" > "$work/long.conf"
out=$("$bin/gvtd" --config "$work/long.conf" --control "$work/long/too/$(head -c 120 /dev/zero | tr '\0' y).sock" 2>&1)
check long-config-line-read sh -c "printf '%s\n' \"\$1\" | grep -q 'longer than 107 bytes'" _ "$out"

# A second gvtd cannot take the live control socket.
out=$("$bin/gvtd" --control "$work/gvt.sock" --socket-dir "$work/other" 2>&1)
check second-refused sh -c "printf '%s\n' \"\$1\" | grep -q 'another process serves'" _ "$out"

# SIGUSR1: every vGPU's figures.
kill -USR1 "$gvtd_pid"
for _ in $(seq 50); do
	[ "$(grep -c 'figures (SIGUSR1)' "$work/log")" -ge 2 ] && break
	sleep 0.05
done
check figures-on-usr1 sh -c "grep -q 'vgpu1 figures (SIGUSR1): client=none mmio_accesses=0' '$work/log'"

# SIGTERM: clean exit, sockets gone.
check sigterm-exit-0 stop
check sockets-removed test ! -e "$work/own.sock" -a ! -e "$work/sockets/vgpu2.sock" -a ! -e "$work/gvt.sock"
check stopped-logged grep -q 'gvtd: info: stopped' "$work/log"

# Traces from creation with --trace-dir; syslog instead of stderr.
check start-tracing start --control "$work/gvt.sock" --socket-dir "$work/sockets" \
	--trace-dir "$work" --vgpu GVTg_V5_8 --syslog
check sigterm-again stop
check trace-written grep -q "^vgpu 1 GVTg_V5_8" "$work/vgpu1-1.trace"
check syslog-not-stderr test ! -s "$work/log"

[ $fails -eq 0 ] && echo "all gvtd checks passed" || echo "$fails gvtd checks failed"
exit $((fails != 0))
