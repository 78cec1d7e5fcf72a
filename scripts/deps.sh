#!/bin/sh
# Installs the Debian packages the build and the tests need, only those missing,
# and fetches the Debian source packages the guest's libraries are built from
# (Lua 5.4.4 and SQLite 3.40.1, guest/libs/README.md) into deps/src/.
# Silent when nothing is missing; idempotent. Works as any user when everything
# is present; installing packages or adding the deb-src entry needs root.
set -e
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config linux-libc-dev check clang libclang-rt-14-dev \
libvirt-dev libvirt-clients libvirt0 libxml2-dev curl libcurl4-openssl-dev valgrind lz4 bsdutils procps \
nginx libnginx-mod-http-modsecurity modsecurity-crs openssl lua-dkjson \
musl-dev tcl dpkg-dev gdisk fdisk"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

# Source packages: "source-package upstream-version", unpacked by apt-get source
# into deps/src/PACKAGE-UPSTREAM. A stamp written after a complete fetch marks
# each one present.
SRC_DIR=deps/src
SRC_PKGS="lua5.4:5.4.4 sqlite3:3.40.1"
src_missing=""
for s in $SRC_PKGS; do
	[ -f "$SRC_DIR/.fetched-${s%%:*}-${s#*:}" ] || src_missing="$src_missing $s"
done

[ -z "$missing" ] && [ -z "$src_missing" ] && exit 0
if [ "$(id -u)" != 0 ] && [ -n "$missing" ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi

if [ -n "$missing" ]; then
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
fi
[ -z "$src_missing" ] && exit 0

# --- source packages ---
# The version fetched is the candidate of the binary package of the same name
# (a binNMU suffix +bN dropped), which must be the pinned upstream version.
# apt checks every file it downloads against the signed Sources index and
# dpkg-source checks the tarballs against the .dsc; nothing here skips either.
DEBSRC_LIST=/etc/apt/sources.list.d/vmm-deb-src.list
CODENAME=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
CODENAME=${CODENAME:-bookworm}

candidate() { # binary package -> candidate version, binNMU suffix dropped
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | sed 's/+b[0-9]*$//'
}
have_source() { # source-package version -> apt knows it
	apt-cache showsrc --only-source "$1" 2>/dev/null | grep -qx "Version: $2"
}
sources_known() {
	for s in $src_missing; do
		v=$(candidate "${s%%:*}")
		[ -n "$v" ] && [ "$v" != "(none)" ] && have_source "${s%%:*}" "$v" || return 1
	done
}

# deb-src lines mirroring the machine's own `deb` entries for CODENAME,
# CODENAME-updates and CODENAME-security (one-line *.list and deb822
# *.sources), component main only: that is where lua5.4 and sqlite3 live.
debsrc_lines() {
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed -e 's/#.*//' "$f" | awk '
				$1 == "deb" {
					opts = ""; i = 2
					if ($2 ~ /^\[/) { while ($i !~ /\]$/ && i < NF) { opts = opts $i " "; i++ } opts = opts $i; i++ }
					print opts "\t" $i "\t" $(i + 1)
				}'
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk '
				function flush() {
					if (types ~ /(^| )deb( |$)/ && enabled !~ /^[Nn]o$/) {
						opts = signed != "" && signed !~ /-----BEGIN/ ? "[signed-by=" signed "]" : ""
						nu = split(uris, u, " "); ns = split(suites, s, " ")
						for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print opts "\t" u[i] "\t" s[j]
					}
					types = uris = suites = signed = enabled = ""; field = ""
				}
				/^#/ { next }
				/^[ \t]*$/ { flush(); next }
				/^[ \t]/ { next }   # a continuation line (an inline key)
				{
					field = tolower($1); sub(/:$/, "", field); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
					if (field == "types") types = v; else if (field == "uris") uris = v
					else if (field == "suites") suites = v; else if (field == "signed-by") signed = v
					else if (field == "enabled") enabled = v
				}
				END { flush() }' "$f"
		done
	} | awk -F '\t' -v c="$CODENAME" '
		$3 == c || $3 == c "-updates" || $3 == c "-security" {
			line = "deb-src " ($1 != "" ? $1 " " : "") $2 " " $3 " main"
			if (!seen[line]++) print line
		}'
}

if ! sources_known; then
	if [ "$(id -u)" != 0 ]; then
		list=""
		for s in $src_missing; do list="$list ${s%%:*} (${s#*:})"; done
		echo "deps: missing source packages:$list; apt has no deb-src entry for them (run 'make deps' as root)" >&2
		exit 1
	fi
	if [ ! -f "$DEBSRC_LIST" ]; then
		lines=$(debsrc_lines)
		if [ -z "$lines" ]; then
			echo "deps: no '$CODENAME' deb entry in /etc/apt/sources.list{,.d/} to mirror for deb-src; using deb.debian.org" >&2
			lines="deb-src http://deb.debian.org/debian $CODENAME main
deb-src http://deb.debian.org/debian $CODENAME-updates main
deb-src http://deb.debian.org/debian-security $CODENAME-security main"
		fi
		echo "deps: adding $DEBSRC_LIST (source packages for guest/libs)"
		{
			echo "# Added by vmm's 'make deps' (scripts/deps.sh): the Debian source packages"
			echo "# guest/libs is built from (apt-get source lua5.4 sqlite3). Safe to remove."
			echo "$lines"
		} >"$DEBSRC_LIST"
	fi
	# Added just now, or present without its index (apt lists cleaned).
	apt-get update -qq
	if ! sources_known; then
		echo "deps: apt still has no source for:$src_missing (see $DEBSRC_LIST)" >&2
		exit 1
	fi
fi

mkdir -p "$SRC_DIR"
for s in $src_missing; do
	pkg=${s%%:*} want=${s#*:}
	ver=$(candidate "$pkg")
	up=${ver#*:}
	up=${up%-*}
	if [ "$up" != "$want" ]; then
		echo "deps: source package $pkg: the candidate is $ver, not upstream $want (guest/libs is pinned to $CODENAME's $want)" >&2
		exit 1
	fi
	echo "deps: fetching source package $pkg=$ver into $SRC_DIR/"
	tmp=$(mktemp -d "$SRC_DIR/.fetch-$pkg.XXXXXX")
	# As root apt downloads as _apt, which needs to write here.
	[ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1 && chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get source -q "$pkg=$ver") >"$tmp.log" 2>&1; then
		cat "$tmp.log" >&2
		echo "deps: apt-get source $pkg=$ver failed" >&2
		rm -rf "$tmp" "$tmp.log"
		exit 1
	fi
	if [ ! -d "$tmp/$pkg-$want" ]; then
		cat "$tmp.log" >&2
		echo "deps: apt-get source $pkg=$ver did not unpack $pkg-$want" >&2
		rm -rf "$tmp" "$tmp.log"
		exit 1
	fi
	rm -rf "${SRC_DIR:?}/$pkg-$want"
	for f in "$tmp"/*; do
		mv "$f" "$SRC_DIR/"
	done
	mv "$tmp.log" "$SRC_DIR/$pkg-$want.fetch.log"
	rmdir "$tmp"
	echo "$pkg=$ver" >"$SRC_DIR/.fetched-$pkg-$want"
done
# Root fetched them into someone's checkout: hand them to its owner.
[ "$(id -u)" = 0 ] && chown -R "$(stat -c %u:%g .)" deps
exit 0
