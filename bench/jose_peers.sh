#!/usr/bin/env bash
# Times the e2e benchmark's operations in the independent JOSE peers:
# python3-jwcrypto (Debian) and the npm `jose` package, installed from the npm
# registry into BUILD/peers. Usage: bench/jose_peers.sh [BUILD] [seconds]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
seconds=${2:-0.5}
/usr/bin/python3 "$here/jose_peers.py" "$seconds"
mkdir -p "$build/peers"
cp "$here/jose_peers.mjs" "$here/peers/package.json" "$build/peers/"
(cd "$build/peers" && npm install --no-audit --no-fund --loglevel=error >/dev/null && node jose_peers.mjs "$seconds")
