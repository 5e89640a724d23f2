#!/usr/bin/env bash
# Builds the libFuzzer target (Fuzz/FuzzMain.swift + the StratKit sources, with
# AddressSanitizer) and runs it on one worker. See docs/robustness.md.
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags]      (default 600 s; 0 = until stopped)
#   scripts/fuzz.sh build                                   only build
#   scripts/fuzz.sh run CRASH_FILE                          replay one input
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.build-fuzz-lf
BIN=$OUT/strat-fuzz
CORPUS=$OUT/corpus
mkdir -p "$OUT" "$CORPUS" "$OUT/artifacts"

build() {
  local srcs cli
  # The CLI's report renderers join the target as plain sources: their `import StratKit`
  # dropped (everything is one module here) and their table `Cell` renamed (the library
  # has its own).
  cli="$OUT/cli-src"
  mkdir -p "$cli"
  for f in Render TextReport MarkdownReport TrackingReport; do
    sed -e '/^import StratKit$/d' -e 's/\bCell\b/TableCell/g' "Sources/strat/$f.swift" > "$cli/$(basename "$f").swift"
  done
  srcs="$(find Sources/StratKit -name '*.swift' | sort) $cli/Render.swift $cli/TextReport.swift $cli/MarkdownReport.swift $cli/TrackingReport.swift"
  # shellcheck disable=SC2086
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name StratFuzz -package-name strat \
    -enforce-exclusivity=checked $srcs Fuzz/FuzzMain.swift -o "$BIN.tmp" 2>&1 \
    | { grep -v "Cannot export local symbol" || true; }
  mv "$BIN.tmp" "$BIN"   # atomic: a fuzzer still running keeps its own copy
}

seed() {
  # Seeds: every example, stdlib file and script test (copied so libFuzzer can add to it).
  local i=0
  while IFS= read -r f; do
    cp "$f" "$CORPUS/seed-$(printf %04d $i)-$(basename "$f")"; i=$((i + 1))
  done < <(find examples stdlib Tests/Scripts -name '*.strat' | sort)
}

case "${1:-600}" in
  build) build; exit 0 ;;
  run) shift; [ -x "$BIN" ] || build; SWIFT_BACKTRACE=enable=no exec "$BIN" -rss_limit_mb=2048 "$@" ;;
esac
SECS="${1:-600}"; shift || true
if [ ! -x "$BIN" ] || [ -n "$(find Sources/StratKit Sources/strat Fuzz -newer "$BIN" -name '*.swift' | head -1)" ]; then build; fi
seed
export SWIFT_BACKTRACE=enable=no   # let libFuzzer/ASan report crashes, not Swift's backtracer
# -fork=1: one worker process at a time; it restarts after a crash, hang or OOM and goes on
# fuzzing (each finding is saved under $OUT/artifacts/). The time of each session is
# appended to $OUT/time.log.
start=$(date +%s)
rc=0
"$BIN" "$CORPUS" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -dict=Fuzz/strat.dict \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" || rc=$?
echo "$(date -u +%FT%TZ) fuzzed $(( $(date +%s) - start )) s (exit $rc)" >> "$OUT/time.log"
ls "$OUT/artifacts"
exit $rc
