#!/usr/bin/env bash
# The diff step of the GitHub Action (../action.yml): runs
# `abi-check changed` on the pull request's work tree with what the runner
# provides, so that a test can run it exactly as the runner does.
#
# From the runner: GITHUB_WORKSPACE (the checkout), GITHUB_BASE_REF (the
# pull request's base branch), GITHUB_STEP_SUMMARY (the job summary file),
# GITHUB_OUTPUT (the step's outputs file). From the action's inputs, through
# the step's env: ABI_CHECK_PATHS and ABI_CHECK_SPECS (one item a line),
# ABI_CHECK_BASE, ABI_CHECK_DENY, ABI_CHECK_SARIF. ABI_CHECK names the
# binary (default: abi-check on PATH, where the install step put it).
#
# Prints GitHub annotations; writes the SARIF file and appends the Markdown
# report to the job summary; sets the outputs `sarif` and `exit-code`;
# exits as abi-check did: 0 compatible, 1 a breaking change (or a denied
# one), 2 an input that could not be used.
set -euo pipefail

cd "${GITHUB_WORKSPACE:-.}"

base=${ABI_CHECK_BASE:-}
if [ -z "$base" ]; then
  if [ -z "${GITHUB_BASE_REF:-}" ]; then
    echo "::error title=abi-check::no base branch: run the action on pull_request events, or give it the input 'base'"
    exit 2
  fi
  base="origin/$GITHUB_BASE_REF"
fi
sarif=${ABI_CHECK_SARIF:-abi-check.sarif}

args=(changed --base "$base" --format github --sarif "$sarif")
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  args+=(--summary "$GITHUB_STEP_SUMMARY")
fi
if [ -n "${ABI_CHECK_DENY:-}" ]; then
  args+=(--deny "$ABI_CHECK_DENY")
fi
# One pathspec or spec a line; blank lines and surrounding blanks ignored.
while read -r line; do
  [ -z "$line" ] || args+=(--paths "$line")
done <<<"${ABI_CHECK_PATHS:-}"
while read -r line; do
  [ -z "$line" ] || args+=(--spec "$line")
done <<<"${ABI_CHECK_SPECS:-}"

status=0
"${ABI_CHECK:-abi-check}" "${args[@]}" || status=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$status"
    # Written only when abi-check got as far as writing it.
    if [ -f "$sarif" ]; then echo "sarif=$sarif"; fi
  } >>"$GITHUB_OUTPUT"
fi
exit "$status"
