#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh --browser), then runs every check and
# every suite: Rust format, lints and native tests; the wasm build and its size report; the stand-in's
# own tests; the package in Node against the stand-in; the worker in workerd; the page in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

step() { printf '\n=== %s\n' "$*"; }

step "setup"
./scripts/setup.sh --browser
step "rust: format, lints, native tests"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --lib --target wasm32-unknown-unknown -- -D warnings
cargo test --locked --quiet
step "build pkg/"
./scripts/build.sh
./scripts/size.sh
for suite in standin pkg worker browser; do
  dir=tests/$suite
  [ "$suite" = standin ] && dir=tests/servicenow-standin/test
  if [ -d "$dir" ]; then
    step "tests: $suite"
    npm run --silent "test:$suite"
  fi
done
step "all tests passed"
