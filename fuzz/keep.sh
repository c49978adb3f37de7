#!/bin/sh
# Keeps a small, coverage-preserving part of a fuzz corpus for the replay
# test: the inputs of fuzz/corpus/TARGET up to MAX_LEN bytes, merged by
# libFuzzer (smallest first, each kept only for coverage it adds) into
# tests/fuzz-corpus/TARGET, beside the seed-* and crash-* files already
# there. Edges only (-use_counters=0), not hit counts: a few hundred
# inputs instead of thousands. Usage: fuzz/keep.sh TARGET MAX_LEN
set -eu
target=$1
max_len=$2
here=$(cd "$(dirname "$0")" && pwd)
small=$(mktemp -d)
kept=$(mktemp -d)
trap 'rm -rf "$small" "$kept"' EXIT
find "$here/corpus/$target" -type f -size -"$((max_len + 1))"c -exec cp {} "$small/" \;
"$here/target/x86_64-unknown-linux-gnu/release/$target" -merge=1 -use_counters=0 -detect_leaks=0 -rss_limit_mb=2048 \
    -timeout=10 "$kept" "$small" 2>/dev/null
out="$here/../tests/fuzz-corpus/$target"
find "$out" -type f ! -name 'seed-*' ! -name 'crash-*' -delete
cp "$kept"/* "$out/"
echo "$target: $(ls "$kept" | wc -l) inputs kept; with seeds $(cat "$out"/* | wc -c) bytes"
