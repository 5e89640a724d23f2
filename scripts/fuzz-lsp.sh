#!/usr/bin/env bash
# Builds the language server's libFuzzer target (Fuzz/LSPFuzzMain.swift with
# Sources/StratLSP, over StratKit compiled as its own module; AddressSanitizer) and runs it
# on one worker. See docs/robustness.md.
#   scripts/fuzz-lsp.sh [SECONDS] [extra libFuzzer flags]   (default 300 s)
#   scripts/fuzz-lsp.sh build                                only build
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.build-fuzz-lsp
BIN=$OUT/strat-lsp-fuzz
CORPUS=$OUT/corpus
mkdir -p "$OUT" "$CORPUS" "$OUT/artifacts"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -package-name Strat -enforce-exclusivity=checked)

build() {
  # shellcheck disable=SC2046
  swiftc "${FLAGS[@]}" -module-name StratKit -emit-module -emit-module-path "$OUT/StratKit.swiftmodule" \
    -emit-library -static -o "$OUT/libStratKit.a" $(find Sources/StratKit -name '*.swift' | sort) 2>&1 \
    | { grep -v "Cannot export local symbol" || true; }
  # shellcheck disable=SC2046
  swiftc "${FLAGS[@]}" -module-name StratLSPFuzz -I "$OUT" $(find Sources/StratLSP -name '*.swift' | sort) \
    Fuzz/LSPFuzzMain.swift "$OUT/libStratKit.a" -o "$BIN.tmp" 2>&1 | { grep -v "Cannot export local symbol" || true; }
  mv "$BIN.tmp" "$BIN"
}

seed() {
  # Seeds: one framed message per request kind the server answers, and a few edits.
  local uri='"textDocument":{"uri":"file:///fuzz/a.strat"}' i=0
  for body in \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"textDocument/hover\",\"params\":{$uri,\"position\":{\"line\":1,\"character\":20}}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"textDocument/completion\",\"params\":{$uri,\"position\":{\"line\":3,\"character\":2}}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"textDocument/rename\",\"params\":{$uri,\"position\":{\"line\":0,\"character\":5},\"newName\":\"c\"}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"textDocument/inlayHint\",\"params\":{$uri}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"textDocument/documentSymbol\",\"params\":{$uri}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"textDocument/formatting\",\"params\":{$uri}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"textDocument/signatureHelp\",\"params\":{$uri,\"position\":{\"line\":1,\"character\":25}}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"textDocument/semanticTokens/full\",\"params\":{$uri}}" \
    "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"textDocument/references\",\"params\":{$uri,\"position\":{\"line\":0,\"character\":5}}}" \
    "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":\"file:///fuzz/a.strat\",\"version\":2},\"contentChanges\":[{\"range\":{\"start\":{\"line\":0,\"character\":12},\"end\":{\"line\":0,\"character\":16}},\"text\":\"chrun +\"}]}}" \
    "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":\"file:///fuzz/a.strat\",\"version\":3},\"contentChanges\":[{\"text\":\"let x = (\"}]}}"; do
    printf '\x40Content-Length: %d\r\n\r\n%s' "${#body}" "$body" > "$CORPUS/seed-$i"; i=$((i + 1))
  done
}

case "${1:-300}" in
  build) build; exit 0 ;;
esac
SECS="${1:-300}"; shift || true
if [ ! -x "$BIN" ] || [ -n "$(find Sources/StratKit Sources/StratLSP Fuzz -newer "$BIN" -name '*.swift' | head -1)" ]; then build; fi
seed
export SWIFT_BACKTRACE=enable=no
rc=0
"$BIN" "$CORPUS" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" || rc=$?
ls "$OUT/artifacts"
exit $rc
