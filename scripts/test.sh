#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh --browser), then runs every check and
# every suite: Rust format, lints and native tests (property tests included); the wasm build and its
# size report; a TypeScript consumer of the package's types (tsc --strict); the stand-in's own tests;
# the package in Node against the stand-in; the npm pack tarball in consumer projects (Node, a wrangler
# worker, a Vite page in Chromium, TypeScript); the worker in workerd; the page in Chromium; the fault
# and hostile-input suites; and a check that no secret appeared in any transcript of the run.
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
step "types: a TypeScript consumer of pkg/"
npm run --silent test:types
# The suites write transcripts of what clients and logs see; the leak check reads them at the end.
node tests/hardening/leak-check.mjs --clear
for suite in standin pkg consumers worker browser hardening; do
  step "tests: $suite"
  npm run --silent "test:$suite"
done
step "leak check: no secret in any transcript"
npm run --silent test:leak-check
step "all tests passed"
