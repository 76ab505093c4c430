#!/usr/bin/env bash
# Records every bundled capture: runs each scripts/record-*.sh in turn, each on its own default
# port (PORT is not passed on: the scripts would all listen on it). Stops at the first failure.
# Needs root (tcpdump).
# Usage: scripts/record-all.sh [OUT_DIR]   (default: captures/ next to this script)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
unset PORT UPGRADE_PORT
for script in captures http-lenient dns http2 http2-edge grpc postgresql postgresql-pipeline mysql mysql-dbd redis memcached reassembly tunnels; do
  echo "== record-$script.sh"
  "$here/record-$script.sh" "$@"
done
