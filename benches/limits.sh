#!/usr/bin/env bash
# Time and peak memory of each command at each input limit, on the
# worst-case specs benches/gen_limit_spec.py writes: what SECURITY.md's
# limits table reports.
#
#   benches/limits.sh [SHAPE...]        (default: every shape)
#
# Environment: COMMANDS (the commands to run, separated by commas, e.g.
# "check,rust"; default all), TIMEOUT (seconds per run, default 300), MEMORY (address
# space limit per run in GiB, default 12: a run past it fails instead of
# taking the machine), BIN (the abi-check to measure; default a release
# build of this tree). Each line: shape, spec size, command, wall seconds,
# peak RSS, exit status (124: timed out; 137 or a failed allocation: out
# of memory). Exit 0 means no finding; 1 findings (a valid verdict).
set -uo pipefail
cd "$(dirname "$0")/.."
timeout=${TIMEOUT:-300}
memory=${MEMORY:-12}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p abi-check || exit 2
  BIN=${CARGO_TARGET_DIR:-target}/release/abi-check
fi
shapes=("$@")
[ ${#shapes[@]} -eq 0 ] && shapes=(versions versions4 fields nesting unions structs size features constants moves)
data=benches/data/limits
mkdir -p "$data"
printf '%-10s %8s %-14s %9s %10s %s\n' shape spec command seconds peak_RSS exit
for shape in "${shapes[@]}"; do
  spec=$data/$shape.toml
  [ -s "$spec" ] || python3 benches/gen_limit_spec.py "$shape" > "$spec"
  size=$(du -h "$spec" | cut -f1)
  commands=("check" "matrix" "matrix --format svg" "matrix --format json" "header" "rust" "layout" "layout --version all")
  if [ -n "${COMMANDS:-}" ]; then
    IFS=, read -r -a commands <<< "$COMMANDS"
  fi
  for cmd in "${commands[@]}"; do
    # shellcheck disable=SC2086
    /usr/bin/time -o "$data/time" -f '%e %M' prlimit --as=$((memory << 30)) \
      timeout "$timeout" "$BIN" $cmd "$spec" > /dev/null 2> "$data/stderr"
    status=$?
    read -r secs kb <<< "$(grep -v '^Command' "$data/time" | tail -1)"
    printf '%-10s %8s %-14s %9s %7s MB %s\n' "$shape" "$size" "${cmd/--format /}" "$secs" \
      "$((kb / 1024))" "$status"
  done
done
