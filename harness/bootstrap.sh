#!/usr/bin/env bash
# Installs the host packages avps-cts needs and caches Debian's arm64 packages (never installed on the host).
#
# Idempotent: a second run does nothing and needs no network once the cache is filled.
# Usage: harness/bootstrap.sh [host|arm64|kselftest|all]   (default: all)
#        harness/bootstrap.sh fetch NAME PACKAGE             (one more arm64 package into $AVPS_CACHE/arm64/NAME)
#        harness/bootstrap.sh install PACKAGE...             (host packages a target needs, if missing)
#        harness/bootstrap.sh kernel-source                 (linux-source-6.1 and the tools to build the guest kernel)
# Cache: $AVPS_CACHE (default ~/.cache/avps-cts). Prints one clear line and exits non-zero on failure.
set -euo pipefail

CACHE=${AVPS_CACHE:-$HOME/.cache/avps-cts}
what=${1:-all}

# Host tools, by Debian package name. Each line: package [command-or-file that proves it is there].
HOST_PACKAGES=(
  "qemu-system-arm:/usr/bin/qemu-system-aarch64"
  "gcc-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-gcc"
  "binutils-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-objcopy"
  "libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/include/asm/types.h"
  "python3-pytest:/usr/lib/python3/dist-packages/pytest/__init__.py"
  "python3-yaml:/usr/lib/python3/dist-packages/yaml/__init__.py"
  "python3-pyelftools:/usr/lib/python3/dist-packages/elftools/__init__.py"
  "device-tree-compiler:/usr/bin/dtc"
  "cpio:/usr/bin/cpio"
  "kmod:/sbin/depmod"
  "xz-utils:/usr/bin/xz"
  "gcc:/usr/bin/gcc"
  "make:/usr/bin/make"
  "poppler-utils:/usr/bin/pdftotext"
  "groff:/usr/share/groff/1.22.4/font/devpdf/AB"
  "clang:/usr/bin/clang"
  "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
  "qemu-system-common:/usr/lib/qemu/virtiofsd"
)
# What building the suite's guest kernel from linux-source-6.1 needs (harness/avps_cts/kernel_build.py).
KERNEL_BUILD_PACKAGES=(
  "flex:/usr/bin/flex"
  "bison:/usr/bin/bison"
  "bc:/usr/bin/bc"
  "perl:/usr/bin/perl"
  "libssl-dev:/usr/include/openssl/ssl.h"
  "libelf-dev:/usr/include/libelf.h"
)
# Extra host packages that later targets add (one word each); keep in step with README.
HOST_PACKAGES+=(${AVPS_EXTRA_PACKAGES:-})

die() { echo "bootstrap: $*" >&2; exit 1; }

install_host_packages() {
  local missing=() entry pkg probe
  for entry in "${HOST_PACKAGES[@]}"; do
    pkg=${entry%%:*}; probe=${entry#*:}
    [ "$probe" = "$entry" ] && probe=""
    if [ -n "$probe" ] && [ -e "$probe" ]; then continue; fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing host packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null || die "apt-get update failed (network or mirror?)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

APT_ARM64=()
arm64_apt() {
  mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
  APT_ARM64=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
             -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache"
             -o Debug::NoDropPrivs=true -o APT::Sandbox::User=root)
  if [ ! -f "$CACHE/apt/updated" ]; then
    apt-get "${APT_ARM64[@]}" update -q >/dev/null 2>&1 || die "arm64 package list update failed (network or mirror?)"
    touch "$CACHE/apt/updated"
  fi
}

# fetch_unpack NAME PACKAGE: download PACKAGE (arm64) and unpack it into $CACHE/arm64/NAME once.
fetch_unpack() {
  local name=$1 pkg=$2 dest="$CACHE/arm64/$1"
  [ -f "$dest/.unpacked" ] && return 0
  arm64_apt
  mkdir -p "$CACHE/debs"
  ( cd "$CACHE/debs" && apt-get "${APT_ARM64[@]}" download "$pkg" >/dev/null 2>&1 ) || die "cannot download arm64 package $pkg"
  rm -rf "$dest"; mkdir -p "$dest"
  dpkg-deb -x "$(ls -t "$CACHE"/debs/"${pkg}"_*.deb | head -1)" "$dest" || die "cannot unpack $pkg"
  echo "$pkg" > "$dest/.unpacked"
  echo "bootstrap: cached $pkg in $dest"
}

fetch_arm64() {
  # The kernel: whatever linux-image-arm64 currently depends on.
  if [ ! -f "$CACHE/arm64/kernel/.unpacked" ]; then
    arm64_apt
    local kpkg
    kpkg=$(apt-cache "${APT_ARM64[@]}" depends linux-image-arm64 2>/dev/null \
           | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
    [ -n "$kpkg" ] || die "cannot resolve linux-image-arm64's kernel package"
    fetch_unpack kernel "$kpkg"
    local kver
    kver=$(ls "$CACHE/arm64/kernel/lib/modules")
    /sbin/depmod -b "$CACHE/arm64/kernel" "$kver" || die "depmod failed for $kver"
    echo "$kver" > "$CACHE/arm64/kernel/VERSION"
  fi
  fetch_unpack busybox busybox-static
  fetch_unpack libfdt libfdt-dev
}

fetch_kselftest() {
  local dest="$CACHE/kselftest"
  [ -f "$dest/.unpacked" ] && return 0
  arm64_apt
  mkdir -p "$CACHE/debs"
  ( cd "$CACHE/debs" && apt-get "${APT_ARM64[@]}" download linux-source-6.1 >/dev/null 2>&1 ) \
    || die "cannot download linux-source-6.1"
  local deb tmp
  deb=$(ls -t "$CACHE"/debs/linux-source-6.1_*.deb | head -1)
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.1.tar.xz' \
    || die "cannot unpack $deb"
  rm -rf "$dest"; mkdir -p "$dest"
  tar -xJf "$tmp/usr/src/linux-source-6.1.tar.xz" -C "$tmp" --wildcards \
      'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
      'linux-source-6.1/tools/testing/selftests/kselftest/*' \
      'linux-source-6.1/tools/testing/selftests/run_kselftest.sh' \
    || die "cannot extract kselftest files from linux-source-6.1"
  cp -a "$tmp/linux-source-6.1/tools/testing/selftests/." "$dest/"
  basename "$deb" > "$dest/.unpacked"
  echo "bootstrap: cached kselftest headers from $(basename "$deb") in $dest"
}

# The linux-source-6.1 .deb stays in $CACHE/debs: the guest kernel is built from it.
fetch_kernel_source() {
  HOST_PACKAGES=("${KERNEL_BUILD_PACKAGES[@]}"); install_host_packages
  ls "$CACHE"/debs/linux-source-6.1_*_all.deb >/dev/null 2>&1 && return 0
  arm64_apt
  mkdir -p "$CACHE/debs"
  ( cd "$CACHE/debs" && apt-get "${APT_ARM64[@]}" download linux-source-6.1 >/dev/null 2>&1 ) \
    || die "cannot download linux-source-6.1"
  echo "bootstrap: cached $(ls "$CACHE"/debs/linux-source-6.1_*_all.deb) (the guest kernel's source)"
}

case "$what" in
  host) install_host_packages ;;
  arm64) fetch_arm64 ;;
  kselftest) fetch_kselftest ;;
  kernel-source) fetch_kernel_source ;;
  all) install_host_packages; fetch_arm64; fetch_kselftest; fetch_kernel_source ;;
  fetch) [ $# -eq 3 ] || die "usage: bootstrap.sh fetch NAME PACKAGE"; fetch_unpack "$2" "$3" ;;
  install) shift; HOST_PACKAGES=("$@"); install_host_packages ;;
  *) die "unknown step '$what' (host|arm64|kselftest|kernel-source|all|fetch|install)" ;;
esac
