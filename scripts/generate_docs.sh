#!/usr/bin/env bash
# The man page and shell completions of a built emonet, into OUT_DIR (what `make install` and `make deb` ship):
#   emonet.1.gz   one page for emonet and every subcommand, by swift-argument-parser's generate-manual (the tool
#                 its GenerateManual plugin runs), from the binary's own --experimental-dump-help; dated by the
#                 last commit, so the same tree gives the same page
#   emonet.bash, _emonet, emonet.fish   emonet --generate-completion-script bash|zsh|fish
# Help texts name default files where the running binary finds them; run from the checkout, that is the
# checkout's folder, so those paths are rewritten to the installed data folder DATADIR (PREFIX/share/emonet).
# Usage: scripts/generate_docs.sh EMONET ARGUMENT_PARSER_CHECKOUT DATADIR OUT_DIR   (from the checkout's root)
set -euo pipefail
emonet=$1 parser=$2 datadir=$3 out=$4
swift=${SWIFT:-swift}
[ -x "$emonet" ] || { echo "generate_docs: $emonet is not an executable (build it first)" >&2; exit 1; }
[ -f "$parser/Package.swift" ] || { echo "generate_docs: no swift-argument-parser checkout at $parser" >&2; exit 1; }

# Built from the checkout the package build resolved: no network, the same version the binary links.
tools=$(dirname "$out")/argument-parser-tools
"$swift" build -c release --package-path "$parser" --scratch-path "$tools" --product generate-manual 2>&1 \
    | grep -E '^(error|warning: .*generate-manual)' || true
generate_manual="$("$swift" build -c release --package-path "$parser" --scratch-path "$tools" --show-bin-path)/generate-manual"
[ -x "$generate_manual" ] || { echo "generate_docs: generate-manual did not build in $tools" >&2; exit 1; }

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
"$generate_manual" "$emonet" --date "$date" --section 1 --output-directory "$out.tmp"
[ -s "$out.tmp/emonet.1" ] || { echo "generate_docs: generate-manual wrote no emonet.1" >&2; exit 1; }
gzip -9n "$out.tmp/emonet.1"
"$emonet" --generate-completion-script bash > "$out.tmp/emonet.bash"
"$emonet" --generate-completion-script zsh > "$out.tmp/_emonet"
"$emonet" --generate-completion-script fish > "$out.tmp/emonet.fish"
checkout=$(pwd -P)
[ -f "$checkout/Package.swift" ] || { echo "generate_docs: run from the checkout's root" >&2; exit 1; }
zcat "$out.tmp/emonet.1.gz" | sed "s|$checkout/|$datadir/|g" | gzip -9n > "$out.tmp/emonet.1.gz.new"
mv "$out.tmp/emonet.1.gz.new" "$out.tmp/emonet.1.gz"
sed -i "s|$checkout/|$datadir/|g" "$out.tmp/emonet.bash" "$out.tmp/_emonet" "$out.tmp/emonet.fish"
if zcat "$out.tmp/emonet.1.gz" | cat - "$out.tmp/emonet.bash" "$out.tmp/_emonet" "$out.tmp/emonet.fish" | grep -qF "$checkout"; then
    echo "generate_docs: the checkout's path $checkout is still in the generated files" >&2; exit 1
fi
for f in emonet.bash _emonet emonet.fish; do
    grep -q replay "$out.tmp/$f" || { echo "generate_docs: $f does not complete the replay subcommand" >&2; exit 1; }
done
rm -rf "$out" && mv "$out.tmp" "$out"
echo "generated in $out: $(cd "$out" && ls | tr '\n' ' ')"
