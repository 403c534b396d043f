#!/bin/sh
# SPDX-License-Identifier: MIT
# Prepares, once, everything the guest test needs, in a cache outside the
# repository ($GVT_GUEST_CACHE, default ~/.cache/libgvt-guest):
#   chroot/        Debian forky with qemu-system-x86 (QEMU >= 10.1: vfio-user-pci)
#   vmlinux        Debian bookworm's kernel, uncompressed (PVH boot skips the
#                  bzImage's slow xz decompressor under TCG)
#   rootfs/        busybox and the i915 module chain, for the initramfs
#   igt/           bookworm's intel-gpu-tools, its programs and their shared
#                  libraries, laid out to be added to rootfs/
#   KERNEL         the kernel's version string
#   IGT            the intel-gpu-tools version
# Needs root (debootstrap) the first time, and the tools install-deps.sh
# installs. Exits 77 when the Debian mirror cannot be reached, which is the
# one reason to skip the guest test.
set -eu
cache=${GVT_GUEST_CACHE:-$HOME/.cache/libgvt-guest}
mirror=${GVT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
stamp=$cache/ready-2

[ -f "$stamp" ] && exit 0
say() { echo "prepare-cache: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	say "the first preparation needs root (debootstrap): trying sudo"
	if command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
		exec sudo -n env GVT_GUEST_CACHE="$cache" GVT_DEBIAN_MIRROR="$mirror" \
			GVT_GUEST_OWNER="$(id -u):$(id -g)" "$0"
	fi
	say "no password-less sudo: run it once as root: sudo $0"
	exit 1
fi
for tool in apt-get apt-cache dpkg-deb debootstrap cpio xz depmod modprobe; do
	command -v "$tool" > /dev/null ||
		{ say "$tool is missing: run tools/install-deps.sh first"; exit 1; }
done
export DEBIAN_FRONTEND=noninteractive

rm -rf "$cache.new"
mkdir -p "$cache.new/debs" "$cache.new/apt/parts" "$cache.new/apt/lists/partial" \
	"$cache.new/apt/cache/archives/partial"
cd "$cache.new"

# The guest's kernel is bookworm's whatever the host runs: a private apt
# state that knows only bookworm, and only from $mirror. Its update is
# also the test of whether the mirror can be reached at all.
printf 'deb %s bookworm main\ndeb %s/debian-security bookworm-security main\n' \
	"$mirror" "${mirror%/debian}" > apt/sources.list
apt_opts="-o Dir::Etc::SourceList=$PWD/apt/sources.list -o Dir::Etc::SourceParts=$PWD/apt/parts
	-o Dir::State::Lists=$PWD/apt/lists -o Dir::Cache=$PWD/apt/cache -o Debug::NoLocking=1"
mirror_reachable() {
	# shellcheck disable=SC2086
	apt-get $apt_opts -qq update > apt/update.log 2>&1
}
# A step failed: skip if that is because the mirror went away, else fail.
failed() {
	if ! mirror_reachable; then
		say "SKIP: the Debian mirror $mirror cannot be reached ($1)"
		exit 77
	fi
	say "$1"
	exit 1
}
if ! mirror_reachable; then
	say "SKIP: the Debian mirror $mirror cannot be reached (see $cache.new/apt/update.log)"
	exit 77
fi

# The kernel bookworm's linux-image-amd64 points at today, and busybox.
# shellcheck disable=SC2086
kpkg=$(apt-cache $apt_opts depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$kpkg" ] || failed "cannot tell which kernel bookworm's linux-image-amd64 means"
kver=${kpkg#linux-image-}
say "kernel $kver"
# shellcheck disable=SC2086
(cd debs && apt-get $apt_opts download "$kpkg" busybox-static > /dev/null 2>&1) ||
	failed "cannot download $kpkg and busybox-static"
dpkg-deb -x debs/"$kpkg"_*.deb kernel
dpkg-deb -x debs/busybox-static_*.deb busybox

# vmlinux: the ELF inside the bzImage, found by the xz stream's magic.
bz=kernel/boot/vmlinuz-$kver
off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$bz" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || { say "no xz payload in $bz"; exit 1; }
tail -c +"$((off + 1))" "$bz" | xz -dc --single-stream > vmlinux 2>/dev/null || true
head -c 4 vmlinux | grep -q 'ELF' || { say "extracting vmlinux failed"; exit 1; }

# The i915 module chain, in load order, with its modules.* files.
depmod -b kernel -F kernel/boot/System.map-"$kver" "$kver"
mkdir -p rootfs/bin rootfs/lib/modules/"$kver"
cp busybox/bin/busybox rootfs/bin/busybox
modprobe -d kernel -S "$kver" --show-depends i915 |
	sed -n 's/^insmod \([^ ]*\).*/\1/p' > modules.order
[ -s modules.order ] || { say "no i915 module chain"; exit 1; }
while read -r ko; do
	rel=${ko#"$cache.new"/kernel/}
	mkdir -p "rootfs/$(dirname "$rel")"
	cp "$ko" "rootfs/$rel"
	echo "/$rel" >> rootfs/i915-chain
done < modules.order
cp kernel/lib/modules/"$kver"/modules.* rootfs/lib/modules/"$kver"/
echo "$kver" > KERNEL

# QEMU with vfio-user-pci, from Debian forky (debootstrap has no forky
# script yet: sid's works).
debootstrap --variant=minbase --include=qemu-system-x86 --arch=amd64 forky \
	chroot "$mirror" /usr/share/debootstrap/scripts/sid > debootstrap.log 2>&1 ||
	failed "debootstrap of forky failed (see $cache.new/debootstrap.log)"
rm -rf chroot/var/cache/apt/archives/*.deb chroot/var/lib/apt/lists/*
chroot chroot qemu-system-x86_64 -device help 2>/dev/null | grep -q vfio-user-pci ||
	{ say "forky's QEMU has no vfio-user-pci"; exit 1; }
chroot chroot qemu-system-x86_64 --version | head -n 1 > QEMU

# intel-gpu-tools, bookworm's like the kernel: every file of the package
# but its documentation, and the shared libraries its programs need (ldd,
# resolved in a bookworm chroot that goes away afterwards). bookworm's /lib
# is /usr/lib: the libraries go under /usr/lib once (ld.so searches there),
# only the loader stays at its /lib64 path.
debootstrap --variant=minbase --include=intel-gpu-tools --arch=amd64 bookworm \
	igt "$mirror" > debootstrap-igt.log 2>&1 ||
	failed "debootstrap of bookworm with intel-gpu-tools failed (see $cache.new/debootstrap-igt.log)"
# shellcheck disable=SC2016
chroot igt dpkg-query -W -f '${Version}\n' intel-gpu-tools > IGT
chroot igt dpkg-query -L intel-gpu-tools | grep -v -E '^/usr/share/(doc|man)/' > igt-files
: > igt-libs
while read -r f; do
	if [ ! -f "igt$f" ] || [ -L "igt$f" ]; then continue; fi
	mkdir -p "igt-root$(dirname "$f")"
	cp "igt$f" "igt-root$f"
	head -c 4 "igt$f" | grep -q 'ELF' || continue
	chroot igt ldd "$f" 2> /dev/null |
		sed -n -e 's/^.* => \(\/[^ ]*\) .*/\1/p' -e 's/^\t\(\/[^ ]*\) .*/\1/p' >> igt-libs
done < igt-files
[ -x igt-root/usr/libexec/igt-gpu-tools/benchmarks/gem_exec_nop ] ||
	{ say "no gem_exec_nop in bookworm's intel-gpu-tools"; exit 1; }
sort -u igt-libs | while read -r lib; do
	case "$lib" in /lib/*) to=/usr$lib ;; *) to=$lib ;; esac
	[ -e "igt-root$to" ] && continue
	mkdir -p "igt-root$(dirname "$to")"
	cp -L "igt$lib" "igt-root$to"
done
[ -e igt-root/lib64/ld-linux-x86-64.so.2 ] || { say "no dynamic loader among the libraries"; exit 1; }
say "intel-gpu-tools $(cat IGT): $(sort -u igt-libs | wc -l) libraries"
rm -rf igt igt-files igt-libs
mv igt-root igt

rm -rf debs kernel busybox apt
cd /
rm -rf "$cache"
mv "$cache.new" "$cache"
touch "$stamp"
# Made through sudo: the cache belongs to whoever asked for it.
[ -n "${GVT_GUEST_OWNER:-}" ] && chown -R "$GVT_GUEST_OWNER" "$cache"
say "ready: $cache ($(cat "$cache/QEMU"), kernel $kver, intel-gpu-tools $(cat "$cache/IGT"))"
