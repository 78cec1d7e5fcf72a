#!/bin/sh
# layering.sh: every #include "FOLDER/..." in vmm/ names a folder at or below
# the including file's own in the layering ARCHITECTURE.md gives (the line
# after "Layers, bottom up:"). abi/ is below everything. Prints each
# violation and fails on any.
cd "$(dirname "$0")/.." || exit 2
layers=$(sed -n '/^Layers, bottom up:/{n;p;q}' ARCHITECTURE.md)
[ -n "$layers" ] || { echo "layering: no 'Layers, bottom up:' line in ARCHITECTURE.md"; exit 2; }
rank() { # folder -> its index in $layers, or nothing
	i=0
	for l in $layers; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}
# The layer of a path under vmm/: daemon/X for daemon subfolders, else the
# first folder (daemon's own top-level files are "daemon").
layer_of() {
	p=${1#vmm/}
	case $p in
	daemon/*/*) echo "daemon/$(echo "$p" | cut -d/ -f2)" ;;
	*/*) echo "$p" | cut -d/ -f1 ;;
	esac
}
files=0 bad=0
for f in $(git ls-files 'vmm/*.c' 'vmm/*.h'); do
	files=$((files + 1))
	me=$(layer_of "$f")
	mine=$(rank "$me")
	[ -n "$mine" ] || { echo "layering: $f: folder '$me' is not in the layering"; bad=$((bad + 1)); continue; }
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		case $inc in abi/*) continue ;; esac
		them=$(layer_of "vmm/$inc")
		theirs=$(rank "$them")
		[ -n "$theirs" ] || continue # a header beside it, or not ours
		if [ "$theirs" -gt "$mine" ]; then
			echo "layering: $f ($me) includes $inc ($them, a layer above)"
			bad=$((bad + 1))
		fi
	done
done
echo "layering: $files files, $bad violations"
[ $bad -eq 0 ]
