#!/usr/bin/env bash
# Instruction counts (callgrind) of m2msec beside the raw backend calls, and their ratios.
# usage: bench/callgrind.sh [build-dir] [primitives|channel|e2e]   (needs valgrind; build with -Dbench=enabled)
#   primitives  one warm call of each primitive, key-schedule derivation and SA check (callgrind_overhead)
#   channel     handshakes and records, 20 runs each, beside Botan's TLS classes and OpenSSL (channel_bench)
#   e2e         the ESPrim, ESData (1 KiB, 1 MiB) and JWS HS256 round trips, one warm call each (e2e_bench)
set -euo pipefail
build=${1:-build}
case ${2:-primitives} in
  primitives) cmd=("$build/bench/callgrind_overhead"); table=pairs ;;
  channel) cmd=("$build/bench/channel_bench" --instructions); table=channel ;;
  e2e) cmd=("$build/bench/e2e_bench" --instructions); table=pairs ;;
  *) echo "usage: $0 [build-dir] [primitives|channel|e2e]" >&2; exit 2 ;;
esac
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "${cmd[@]}" >/dev/null 2>"$out/valgrind.log"
python3 "$(dirname "$0")/callgrind_counts.py" "$table" "$out"
rm -rf "$out"
