#!/usr/bin/env bash
# Compile-time cost of abi_derive::generate!, side by side in one run:
#
#   with_macro     a crate that uses generate! on spec.toml, with
#                  abi-derive as a path dependency;
#   from_registry  the same, with abi-spec and abi-derive compiled as Cargo
#                  compiles a dependency from a registry (crates.io, or git):
#                  without incremental compilation, which Cargo uses only
#                  for workspace members and path dependencies and which
#                  costs a clean build of abi-spec about 40% more. A
#                  per-package profile in the test crate says so, since
#                  nothing is published to depend on;
#   minimal_macro  the same crate using a minimal syn-based proc-macro
#                  instead (parse a string literal, include the file, emit a
#                  constant): the floor any proc-macro built on syn pays,
#                  with syn, quote and proc-macro2 as `cargo add` gives them;
#   checked_in     the same crate with the generated file checked in
#                  (abi-check rust spec.toml -o tlabi.rs; include!).
#
# Each is built clean (empty target directory), then rebuilt after touching
# its source, where the macro runs again but its dependencies are built
# already. The crates are built in turn within each round, so a machine
# shared with other builds slows them alike, and the last lines give
# with_macro's and from_registry's clean builds as multiples of
# minimal_macro's (the goal: at most 1.5).
#
# Usage: benches/derive-build-time.sh [SPEC] (default: spec.toml)
# Prints seconds, the median of RUNS (default 3) rounds: wall-clock, and
# for clean builds the CPU time too (user + system), which other builds on
# a shared machine disturb less. Needs the crates in Cargo's cache (it
# builds offline) and bc.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
spec=$(realpath "${1:-$root/spec.toml}")
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# abi-check from this workspace, to write the checked-in variant.
cargo build --quiet --offline --manifest-path "$root/Cargo.toml" -p abi-check \
    --target-dir "$work/tool"
abi_check="$work/tool/debug/abi-check"

make_crate() { # name, dependencies, main.rs
    mkdir -p "$work/$1/src"
    cp "$root/Cargo.lock" "$work/$1/Cargo.lock"
    printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n%s\n[workspace]\n' \
        "$1" "$2" > "$work/$1/Cargo.toml"
    printf '%s\n' "$3" > "$work/$1/src/main.rs"
}

make_crate with_macro "abi-derive = { path = \"$root/abi-derive\" }" \
    'mod tlabi { abi_derive::generate!("spec.toml"); }
fn main() { println!("{}", core::mem::size_of::<tlabi::tlabi_area>()); }'
cp "$spec" "$work/with_macro/spec.toml"

make_crate from_registry "abi-derive = { path = \"$root/abi-derive\" }" \
    'mod tlabi { abi_derive::generate!("spec.toml"); }
fn main() { println!("{}", core::mem::size_of::<tlabi::tlabi_area>()); }'
printf '\n[profile.dev.package.abi-spec]\nincremental = false\n\n[profile.dev.package.abi-derive-impl]\nincremental = false\n\n[profile.dev.package.abi-derive]\nincremental = false\n' \
    >> "$work/from_registry/Cargo.toml"
cp "$spec" "$work/from_registry/spec.toml"

# The minimal macro: a proc-macro crate of its own, as any would be.
mkdir -p "$work/minimal_derive/src"
printf '[package]\nname = "minimal_derive"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[lib]\nproc-macro = true\n\n[dependencies]\nproc-macro2 = "1"\nquote = "1"\nsyn = "2"\n' \
    > "$work/minimal_derive/Cargo.toml"
cat > "$work/minimal_derive/src/lib.rs" <<'EOF'
use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, LitStr};

#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    let path = parse_macro_input!(input as LitStr);
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let full = format!("{dir}/{}", path.value());
    let len = std::fs::read(&full).map_or(0, |b| b.len());
    quote! {
        const _: &[u8] = include_bytes!(#full);
        pub const SPEC_LEN: usize = #len;
    }
    .into()
}
EOF
make_crate minimal_macro "minimal_derive = { path = \"$work/minimal_derive\" }" \
    'mod tlabi { minimal_derive::generate!("spec.toml"); }
fn main() { println!("{}", tlabi::SPEC_LEN); }'
cp "$spec" "$work/minimal_macro/spec.toml"

make_crate checked_in "" \
    'mod tlabi { include!("tlabi.rs"); }
fn main() { println!("{}", core::mem::size_of::<tlabi::tlabi_area>()); }'
"$abi_check" rust "$spec" -o "$work/checked_in/src/tlabi.rs"

measure() { # command...: "wall-clock cpu" seconds (cpu: user + system, children included)
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" > /dev/null 2>&1; } 2>&1 )
    set -- $t
    echo "$1 $(echo "$2 + $3" | bc)"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

build() { # crate, target dir
    cargo build --offline --quiet --manifest-path "$work/$1/Cargo.toml" --target-dir "$2"
}

crates=(with_macro from_registry minimal_macro checked_in)
# Settle the lock files first (the workspace's, completed), so no round pays
# for dependency resolution.
for crate in "${crates[@]}"; do
    cargo metadata --offline --format-version 1 --manifest-path "$work/$crate/Cargo.toml" > /dev/null
done
for _ in $(seq "$runs"); do
    for crate in "${crates[@]}"; do
        rm -rf "$work/target-$crate"
        measure build "$crate" "$work/target-$crate" > "$work/last"
        cut -d' ' -f1 "$work/last" >> "$work/clean-$crate"
        cut -d' ' -f2 "$work/last" >> "$work/cpu-$crate"
        touch "$work/$crate/src/main.rs"
        measure build "$crate" "$work/target-$crate" | cut -d' ' -f1 >> "$work/rebuild-$crate"
    done
done
for crate in "${crates[@]}"; do
    printf '%-13s clean build %6.2f s (CPU %6.2f s)   rebuild after touching main.rs %5.2f s\n' \
        "$crate" "$(median < "$work/clean-$crate")" "$(median < "$work/cpu-$crate")" \
        "$(median < "$work/rebuild-$crate")"
done
floor=$(median < "$work/clean-minimal_macro")
floor_cpu=$(median < "$work/cpu-minimal_macro")
for crate in with_macro from_registry; do
    printf '%s / minimal_macro (clean, wall-clock): %.2fx (CPU: %.2fx)\n' "$crate" \
        "$(echo "$(median < "$work/clean-$crate") / $floor" | bc -l)" \
        "$(echo "$(median < "$work/cpu-$crate") / $floor_cpu" | bc -l)"
done
echo "spec: $spec ($(wc -l < "$work/checked_in/src/tlabi.rs") lines of generated Rust); $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end; median of $runs"
