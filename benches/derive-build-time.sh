#!/usr/bin/env bash
# Compile-time cost of abi_derive::generate!: a clean build of a crate that
# uses generate! on spec.toml, against the same crate with the generated
# file checked in (abi-check rust spec.toml -o tlabi.rs; include!). Also the
# rebuild after touching the crate's source, where the macro runs again but
# its dependencies are built already.
#
# Usage: benches/derive-build-time.sh [SPEC] (default: spec.toml)
# Prints seconds, the median of RUNS (default 3) clean builds each.
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

make_crate checked_in "" \
    'mod tlabi { include!("tlabi.rs"); }
fn main() { println!("{}", core::mem::size_of::<tlabi::tlabi_area>()); }'
"$abi_check" rust "$spec" -o "$work/checked_in/src/tlabi.rs"

seconds() { # command...: wall-clock seconds
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

build() { # crate, target dir
    cargo build --offline --quiet --manifest-path "$work/$1/Cargo.toml" --target-dir "$2"
}

for crate in with_macro checked_in; do
    clean=$(for _ in $(seq "$runs"); do
        rm -rf "$work/target-$crate"
        seconds build "$crate" "$work/target-$crate"
    done | median)
    rebuild=$(for _ in $(seq "$runs"); do
        touch "$work/$crate/src/main.rs"
        seconds build "$crate" "$work/target-$crate"
    done | median)
    printf '%-11s clean build %6.2f s   rebuild after touching main.rs %5.2f s\n' \
        "$crate" "$clean" "$rebuild"
done
echo "spec: $spec ($(wc -l < "$work/checked_in/src/tlabi.rs") lines of generated Rust); $(nproc) cores; median of $runs"
