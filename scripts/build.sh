#!/usr/bin/env bash
# Builds pkg/ (ES module + .wasm + .d.ts for browsers, workers and Node) from the Rust crate, and copies
# it into www/pkg/ so the page and the worker's static assets import the same build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

wb_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
wasm_bindgen=".tools/wasm-bindgen-$wb_version/bin/wasm-bindgen"

# RUSTFLAGS replaces .cargo/config.toml's flags, so repeat them; the remaps keep this machine's paths
# out of the binary.
export RUSTFLAGS="--cfg aes_backend_soft=\"compact\" --cfg sha2_backend_soft=\"compact\" \
--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo --remap-path-prefix=$PWD=."
cargo build --quiet --locked --release --target wasm32-unknown-unknown
rm -rf pkg.tmp
"$wasm_bindgen" --target web --out-dir pkg.tmp --out-name servicenow_connection \
  target/wasm32-unknown-unknown/release/servicenow_connection.wasm
rm -rf pkg && mv pkg.tmp pkg
rm -rf www/pkg && mkdir -p www && cp -r pkg www/pkg
echo "[build] pkg/ $(wc -c < pkg/servicenow_connection_bg.wasm) bytes of wasm"
