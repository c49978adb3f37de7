#!/usr/bin/env bash
# The pre-commit hooks of ../.pre-commit-hooks.yaml.
#
#   abi-check.sh check [--OPTION=VALUE]... FILE...
#       abi-check check on each FILE that is a spec (holds an [abi] table;
#       other TOML files are skipped). Arguments starting with `-` are
#       options for every check.
#   abi-check.sh header ARGS...   abi-check header ARGS (e.g. SPEC --check FILE)
#   abi-check.sh rust ARGS...     abi-check rust ARGS
#
# The binary: $ABI_CHECK, else abi-check on PATH, else one built from the
# repository this script is in (pre-commit's clone of it), once.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

find_binary() {
  if [ -n "${ABI_CHECK:-}" ]; then
    echo "$ABI_CHECK"
  elif command -v abi-check >/dev/null 2>&1; then
    command -v abi-check
  else
    local root="$here/target/pre-commit"
    if [ ! -x "$root/bin/abi-check" ]; then
      echo "abi-check is not on PATH: building it from $here (once)" >&2
      cargo install --quiet --locked --path "$here/abi-check" --root "$root" >&2
    fi
    echo "$root/bin/abi-check"
  fi
}

command=${1:?usage: abi-check.sh check|header|rust ARGS...}
shift
bin=$(find_binary)

case "$command" in
check)
  options=()
  files=()
  for arg in "$@"; do
    case "$arg" in
    -*) options+=("$arg") ;;
    *) files+=("$arg") ;;
    esac
  done
  status=0
  for file in "${files[@]}"; do
    # Only spec files: a TOML table header [abi] on a line of its own.
    grep -Eq '^[[:space:]]*\[[[:space:]]*abi[[:space:]]*\][[:space:]]*(#.*)?$' "$file" || continue
    code=0
    "$bin" check "$file" ${options[@]+"${options[@]}"} || code=$?
    if [ "$code" -gt "$status" ]; then status=$code; fi
  done
  exit "$status"
  ;;
header | rust)
  exec "$bin" "$command" "$@"
  ;;
*)
  echo "abi-check.sh: unknown hook command '$command' (check, header, rust)" >&2
  exit 2
  ;;
esac
