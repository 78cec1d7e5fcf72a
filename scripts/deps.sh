#!/bin/sh
# Installs the Debian packages the build and the tests need, only those missing.
# Silent when nothing is missing; idempotent.
set -e
PKGS="build-essential pkg-config linux-libc-dev check clang libclang-rt-14-dev \
libvirt-dev libvirt-clients libvirt0 libxml2-dev curl libcurl4-openssl-dev valgrind lz4 bsdutils procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
