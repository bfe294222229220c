#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ on the stable toolchain: the
# sanitizer-coverage passes are stable codegen options, and an explicit
# --target keeps the flags off build scripts and proc macros (they would
# not link). cargo fuzz is not needed (and wants nightly). Prints the
# folder the harness binaries are in. docs/fuzzing.md says more.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

target=${FUZZ_TARGET_TRIPLE:-$(rustc -vV | sed -n 's/^host: //p')}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/target}
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --locked --target "$target" --bins "$@" >&2
echo "$CARGO_TARGET_DIR/$target/release"
