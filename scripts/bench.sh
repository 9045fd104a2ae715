#!/usr/bin/env bash
# The benchmark (issue 7; not part of ./scripts/test.sh): installs what is missing (scripts/setup.sh,
# and Debian's wrk as the load generator), builds pkg/ (scripts/build.sh), then runs bench/run.mjs,
# which measures ours side by side with oauth4webapi — sizes, start-up, per-operation cost, worker
# throughput, refresh storm, many connections — prints one table and writes it to bench/RESULTS.md with
# the machine and the date. A full run takes a few minutes and wants a quiet machine.
# Usage: ./scripts/bench.sh [--quick] [--no-profile]   (--quick: short runs for development,
# written to bench/.work/RESULTS.quick.md instead)
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false

./scripts/setup.sh
if ! command -v wrk >/dev/null; then
  echo "[bench] installing Debian's wrk"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
./scripts/build.sh
exec node bench/run.mjs "$@"
