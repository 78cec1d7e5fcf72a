#!/bin/sh
# Installs the Debian packages the build and the tests need, only those missing.
# Silent when nothing is missing; idempotent.
set -e
PKGS="build-essential pkg-config linux-libc-dev check clang libclang-rt-14-dev \
libvirt-dev libvirt-clients libvirt0 libxml2-dev curl libcurl4-openssl-dev valgrind lz4 bsdutils procps \
nginx libnginx-mod-http-modsecurity modsecurity-crs openssl"
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
# vmmd runs nginx itself as the front door: Debian's own nginx service would
# listen on port 80 for nobody, so it is stopped and disabled.
case " $missing " in
*" nginx "*)
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now nginx >/dev/null 2>&1 || true
	else
		service nginx stop >/dev/null 2>&1 || true
		update-rc.d nginx disable >/dev/null 2>&1 || true
	fi
	;;
esac
