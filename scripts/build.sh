#!/usr/bin/env bash
# Builds pkg/ from the Rust crate: wasm-bindgen's ES module, .wasm and .d.ts, made into an npm package
# (package.json, an entry per runtime, README, licences) by packaging/package.mjs; then copies it into
# www/pkg/ so the page and the worker's static assets import the same build. The .wasm goes through
# binaryen's wasm-opt when it is installed (scripts/setup.sh installs Debian's).
#
# pkg/servicenow_connection.js is the API module: it re-exports wasm-bindgen's module
# (servicenow_connection_core.js, with the .wasm and the .d.ts of every shape) and adds the code
# tables, written by examples/package_entry.rs from the crate's code lists.
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
# wasm-bindgen writes the core module; the .wasm keeps the package's name, so the core's default URL
# is adjusted.
rm -rf pkg.tmp
"$wasm_bindgen" --target web --out-dir pkg.tmp --out-name servicenow_connection_core \
  target/wasm32-unknown-unknown/release/servicenow_connection.wasm
mv pkg.tmp/servicenow_connection_core_bg.wasm pkg.tmp/servicenow_connection_bg.wasm
mv pkg.tmp/servicenow_connection_core_bg.wasm.d.ts pkg.tmp/servicenow_connection_bg.wasm.d.ts
glue=pkg.tmp/servicenow_connection_core.js
if [ "$(grep -c "servicenow_connection_core_bg.wasm" "$glue")" != 1 ]; then
  echo "build.sh: the wasm-bindgen glue no longer names its .wasm once; update this step" >&2
  exit 1
fi
sed -i 's/servicenow_connection_core_bg\.wasm/servicenow_connection_bg.wasm/' "$glue"
# Binaryen's wasm-opt on wasm-bindgen's output: -O1 with shrink level 1, to a fixed point. Measured
# on this crate (binaryen 108), it gives the smallest gzipped .wasm of the settings tried: about 6 %
# smaller raw and 2 % smaller gzipped than the compiler's opt-level "z" output alone, and a little
# faster to compile; -Oz and -Os shrink the raw file more but compress worse (about 2 % larger
# gzipped). The feature flags are those rustc enables for wasm32 by default.
if command -v wasm-opt >/dev/null; then
  wasm-opt -O1 -s 1 --converge \
    --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    pkg.tmp/servicenow_connection_bg.wasm -o pkg.tmp/servicenow_connection_bg.wasm
else
  echo "build.sh: wasm-opt (binaryen) not found: the .wasm is left unoptimised (about 2 KB larger gzipped); scripts/setup.sh installs it" >&2
fi
# A native build: without the wasm flags above, so it shares the cache of `cargo test`.
env -u RUSTFLAGS cargo run --quiet --locked --example package_entry -- pkg.tmp
node packaging/package.mjs pkg.tmp
rm -rf pkg && mv pkg.tmp pkg
rm -rf www/pkg && mkdir -p www && cp -r pkg www/pkg
echo "[build] pkg/ $(wc -c < pkg/servicenow_connection_bg.wasm) bytes of wasm"
