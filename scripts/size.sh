#!/usr/bin/env bash
# Reports the size of the built package: the .wasm raw and gzipped (gzip -9), and the JS glue
# (entry module and wasm-bindgen glue) gzipped, against the budget (.wasm and glue together at most
# 100 KB gzipped). Reports only; never fails the build, so a size regression is visible in every test
# run without turning into a flaky gate.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=pkg/servicenow_connection_bg.wasm
glue="pkg/servicenow_connection.js pkg/servicenow_connection_core.js"
[ -f "$wasm" ] || { echo "size.sh: build first (./scripts/build.sh)" >&2; exit 1; }
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
glue_gz=$(cat $glue | gzip -9 | wc -c)
budget=$((100 * 1000))
total=$((gz + glue_gz))
verdict="within budget"
[ "$total" -le "$budget" ] || verdict="OVER BUDGET"
printf '[size] wasm %d bytes raw, %d bytes gzipped; JS glue %d bytes gzipped; together %d (budget %d: %s)\n' \
  "$raw" "$gz" "$glue_gz" "$total" "$budget" "$verdict"
