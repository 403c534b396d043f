#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what libgvt builds and tests with, from Debian's packages.
set -eu
pkgs="build-essential cmake pkg-config check libsubunit-dev libpci-dev
      libxen-dev linux-libc-dev libdrm-dev clang libclang-rt-dev
      debootstrap cpio xz-utils zstd kmod"
if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
