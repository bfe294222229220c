#!/usr/bin/env bash
# Builds the release of every tool (not the test stand-ins) as one multicall
# binary, `segment-bridge` (crates/segment-bridge), in the `dist` profile
# (fat LTO, one codegen unit), and installs it in an output directory with a
# link under each tool's name (segment-uploader -> segment-bridge) and each
# original script's name (segment-uploader.sh -> segment-uploader), made by
# scripts/script-names.sh. Used by deploy/Containerfile; docs/design.md
# says why one binary ("Binary and image size").
#   scripts/build-release.sh [--target TRIPLE] [--out DIR]
# --target x86_64-unknown-linux-musl gives a static binary (needs the target
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

args=(build --profile dist --locked -p segment-bridge --bin segment-bridge)
dir=target/dist
if [[ -n "$target" ]]; then
  args+=(--target "$target")
  dir=target/$target/dist
fi
cargo "${args[@]}"

mkdir -p "$out"
install -m 0755 "$dir/segment-bridge" "$out/segment-bridge"
echo "build-release: segment-bridge in $out, $(wc -c <"$out/segment-bridge") bytes" >&2
scripts/script-names.sh "$out"
