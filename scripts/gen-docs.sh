#!/usr/bin/env bash
# Generates shell completions (bash, zsh, fish) and man pages for every tool
# in BIN_DIR (a binary, or a link to the multicall binary under the tool's
# name), with each tool's own `--generate`, into OUT_DIR in the layout of
# /usr/local/share (used by deploy/Containerfile and CI):
#   OUT_DIR/bash-completion/completions/TOOL
#   OUT_DIR/zsh/site-functions/_TOOL
#   OUT_DIR/fish/vendor_completions.d/TOOL.fish
#   OUT_DIR/man/man1/TOOL.1
#   scripts/gen-docs.sh BIN_DIR OUT_DIR
# Scripts and the original script names (*.sh) and the multicall binary
# itself (segment-bridge, which is no tool) are skipped.
set -o errexit -o nounset -o pipefail
if (($# != 2)); then
  echo "usage: gen-docs.sh BIN_DIR OUT_DIR" >&2
  exit 2
fi
bin=$1
out=$2
mkdir -p "$out/bash-completion/completions" "$out/zsh/site-functions" \
  "$out/fish/vendor_completions.d" "$out/man/man1"
n=0
for exe in "$bin"/*; do
  tool=$(basename "$exe")
  [[ -f $exe && -x $exe && $tool != *.sh && $tool != segment-bridge ]] || continue
  "$exe" --generate bash >"$out/bash-completion/completions/$tool"
  "$exe" --generate zsh >"$out/zsh/site-functions/_$tool"
  "$exe" --generate fish >"$out/fish/vendor_completions.d/$tool.fish"
  "$exe" --generate man >"$out/man/man1/$tool.1"
  n=$((n + 1))
done
if ((n == 0)); then
  echo "gen-docs: no tool binaries in $bin" >&2
  exit 1
fi
echo "gen-docs: completions and man pages of $n tools in $out" >&2
