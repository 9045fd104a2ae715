#!/usr/bin/env bash
# Installs what is missing, and only that: the Rust wasm32 target, the wasm-bindgen CLI pinned to the
# crate's exact wasm-bindgen version (into the git-ignored .tools/), Debian's binaryen (wasm-opt, which
# scripts/build.sh runs on the .wasm), the npm packages of package-lock.json, and with --browser,
# Debian's chromium for the end-to-end tests. Safe to run again: each step is skipped
# when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*"; }

command -v cargo >/dev/null || { echo "setup.sh: cargo (Rust) is required" >&2; exit 1; }
command -v node >/dev/null || { echo "setup.sh: node (>= 20.19) is required" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

wb_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
wb_root=".tools/wasm-bindgen-$wb_version"
if [ ! -x "$wb_root/bin/wasm-bindgen" ]; then
  say "installing wasm-bindgen-cli $wb_version into $wb_root (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --locked --root "$wb_root"
fi

# npm ci only when package-lock.json changed since the last install. The package itself is a `file:pkg`
# dependency: npm links node_modules/servicenow-connection to pkg/ whether or not pkg/ is built yet, and
# scripts/build.sh fills pkg/ afterwards, so a fresh clone needs no build before this step.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.setup-stamp ] || [ "$(cat node_modules/.setup-stamp)" != "$lock_sum" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
  echo "$lock_sum" > node_modules/.setup-stamp
fi

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
apt_updated=false
apt_install() {
  if ! $apt_updated; then
    $sudo_cmd apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

# wasm-opt makes the .wasm smaller; without it (no apt-get here, or no rights to install) the build
# still works and says so.
if ! command -v wasm-opt >/dev/null && command -v apt-get >/dev/null; then
  say "installing Debian's binaryen (wasm-opt)"
  apt_install binaryen || say "could not install binaryen: building without wasm-opt"
fi

if $want_browser && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  apt_install chromium
fi
