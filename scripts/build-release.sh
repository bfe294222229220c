#!/usr/bin/env bash
# Builds the release binaries of every tool (not the test stand-ins) and
# copies them to an output directory, with a link under each original
# script's name (segment-uploader.sh -> segment-uploader, see
# scripts/script-names.sh). Used by deploy/Containerfile.
#   scripts/build-release.sh [--target TRIPLE] [--out DIR]
# --target x86_64-unknown-linux-musl gives static binaries (needs the target
# added with rustup and musl-gcc from Debian's musl-tools); without it, the
# host's (glibc) target.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
target=""
out="dist"
while (($#)); do
  case $1 in
    --target) target=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-release: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done

args=(build --release --locked --workspace --exclude standins --bins)
dir=target/release
if [[ -n "$target" ]]; then
  args+=(--target "$target")
  dir=target/$target/release
fi
cargo "${args[@]}"

mkdir -p "$out"
# The tools: every [[bin]] of the workspace's crates but the stand-ins'.
mapfile -t bins < <(for toml in crates/*/Cargo.toml; do
  [[ $toml == crates/standins/* ]] && continue
  awk '/^\[\[bin\]\]/ { inbin = 1; next }
       /^\[/ { inbin = 0 }
       inbin && $1 == "name" { gsub(/"/, "", $3); print $3 }' "$toml"
done)
for b in "${bins[@]}"; do
  install -m 0755 "$dir/$b" "$out/$b"
done
echo "build-release: ${#bins[@]} binaries in $out: ${bins[*]}" >&2
scripts/script-names.sh "$out"
