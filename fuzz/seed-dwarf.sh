#!/bin/sh
# Seeds for the `dwarf` fuzz target: small objects whose DWARF defines the
# names abi_tests::fuzz_checks::DWARF_QUERIES asks for, in the forms the
# reader must handle (DWARF 4 and 5, 32-bit, big endian, compressed
# sections, type units, a linked executable). Writes them to
# tests/fuzz-corpus/dwarf/seed-* (no .o suffix: .gitignore drops those).
set -eu
out=$(cd "$(dirname "$0")/../tests/fuzz-corpus/dwarf" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/s.c" <<'C'
typedef unsigned int u32;
struct inner { unsigned char a; unsigned long long b; };
struct s { u32 x; struct inner inner; int arr[3][2]; union { short h; char c; }; unsigned f : 3; };
union u { int i; double d; };
struct t { struct s *next; const volatile u32 *p; char flex[]; };
struct __attribute__((aligned(32))) tlabi_area { u32 cpu_id; u32 cpu_id_start; unsigned long long rseq_cs; u32 flags; };
enum e { A, B };
struct rseq { u32 cpu_id_start; u32 cpu_id; unsigned long long rseq_cs; u32 flags; enum e k; } __attribute__((aligned(32)));
struct clone_args { unsigned long long flags, pidfd, child_tid; };
struct s v1; union u v2; struct t v3; struct tlabi_area v4; struct rseq v5; struct clone_args v6;
C
gen() {
    name=$1; shift
    "$@" -c -o "$work/$name.o" "$work/s.c"
    cp "$work/$name.o" "$out/seed-$name"
}
gen gcc-dwarf4 gcc -g -gdwarf-4
gen gcc-dwarf5 gcc -g -gdwarf-5
gen gcc-m32 gcc -g -m32
gen gcc-gz gcc -g -gz=zlib
gen gcc-types gcc -g -gdwarf-4 -fdebug-types-section
gen gcc-types5 gcc -g -gdwarf-5 -fdebug-types-section
gen gcc-O2 gcc -g -O2
gen clang-dwarf5 clang -g
gen clang-aarch64 clang -g --target=aarch64-linux-gnu
gen clang-armeb clang -g --target=armeb-linux-gnueabi
gen m68k m68k-linux-gnu-gcc-12 -g
gen sh4 sh4-linux-gnu-gcc-12 -g
printf 'int main(void) { return 0; }\n' > "$work/main.c"
gcc -g -nostdlib -static -o "$work/exe" "$work/s.c" "$work/main.c" -Wl,-e,main
cp "$work/exe" "$out/seed-gcc-exe"
printf 'not an ELF file\n' > "$out/seed-not-elf"
