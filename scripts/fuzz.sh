#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ with libFuzzer (cargo-fuzz, on the nightly toolchain), each for
# RUNS executions (default 1,000,000), and prints one line per target: runs, seconds, result.
# cargo-fuzz is installed into the git-ignored .tools/ when it is not on PATH. Corpora stay in
# fuzz/corpus/.
# Usage: ./scripts/fuzz.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config token_response servicenow_error callback unseal api_path arguments key_tools)

rustup toolchain list | grep -q '^nightly' || { echo "fuzz.sh: a nightly toolchain is required" >&2; exit 1; }
# A cargo-fuzz already on PATH is used as it is.
if ! command -v cargo-fuzz >/dev/null; then
  if [ ! -x .tools/cargo-fuzz/bin/cargo-fuzz ]; then
    cargo install cargo-fuzz --version 0.13.2 --locked --root .tools/cargo-fuzz
  fi
  export PATH="$PWD/.tools/cargo-fuzz/bin:$PATH"
fi

printf '| target | executions | seconds | result |\n|---|---|---|---|\n'
for target in "${targets[@]}"; do
  log=$(mktemp)
  start=$(date +%s)
  if cargo +nightly fuzz run "$target" -- -runs="$runs" -max_len=4096 >"$log" 2>&1; then
    result="no crash"
  else
    result="FAILED (see fuzz/artifacts/$target)"
  fi
  seconds=$(( $(date +%s) - start ))
  done_line=$(grep -o 'Done [0-9]* runs' "$log" | tail -n1 | grep -o '[0-9]*' || echo "?")
  printf '| %s | %s | %s | %s |\n' "$target" "$done_line" "$seconds" "$result"
  rm -f "$log"
done
