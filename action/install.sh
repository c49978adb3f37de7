#!/usr/bin/env bash
# The install steps of the GitHub Action (../action.yml).
#
# `install.sh key`: writes to GITHUB_OUTPUT a cache key made of the runner's
#   OS and architecture and a hash of the sources abi-check is built from,
#   and `root`, where that build is installed; actions/cache restores it.
# `install.sh install`: unless the cache restored it, builds abi-check
#   from the action's own checkout (`cargo install --locked --path`) into
#   ABI_CHECK_ROOT; then puts its bin directory on the job's PATH.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case "${1:-}" in
key)
  # Everything `cargo install --path abi-check` reads.
  hash=$(
    cd "$here"
    find abi-check abi-spec abi-dwarf tests/tools -type f \
      \( -name '*.rs' -o -name '*.toml' \) -not -path '*/tests/*.rs' -print0 |
      sort -z | xargs -0 sha256sum | { cat; sha256sum Cargo.toml Cargo.lock; } |
      sha256sum | cut -c1-20
  )
  root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/abi-check/$hash"
  {
    echo "key=abi-check-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$hash"
    echo "root=$root"
  } >>"${GITHUB_OUTPUT:-/dev/stdout}"
  ;;
install)
  root=${ABI_CHECK_ROOT:?ABI_CHECK_ROOT names where to install}
  if [ -x "$root/bin/abi-check" ]; then
    echo "abi-check restored from the cache: $root/bin/abi-check"
  else
    cargo install --locked --path "$here/abi-check" --root "$root"
  fi
  "$root/bin/abi-check" --version
  echo "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
  ;;
*)
  echo "usage: install.sh key|install" >&2
  exit 2
  ;;
esac
