#!/bin/sh
# run.sh BINARY NAME SECONDS: replays the kept corpus (regression cases),
# (the code under test may print to stderr: -close_fd_mask=2 drops that,
# while libFuzzer and the sanitizers still report on their own copy)
# then fuzzes for SECONDS. New inputs go to a scratch corpus under build/,
# crashes are written next to the kept corpus so they can be committed.
set -e
bin=$1 name=$2 secs=$3
kept=tests/fuzz/corpus/$name
work=$(dirname "$bin")/corpus-$name
[ -x "$bin" ] || { echo "fuzz: $name: $bin was not built"; exit 1; }
mkdir -p "$kept" "$work"
echo "fuzz: $name for ${secs}s"
"$bin" -max_total_time="$secs" -print_final_stats=0 -close_fd_mask=2 -timeout=10 -artifact_prefix="$kept/crash-" \
	"$work" "$kept" 2>"$work.log" || { tail -40 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
grep -E '^(#[0-9]+.*DONE|Done)' "$work.log" | tail -1 || true
