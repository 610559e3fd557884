#!/usr/bin/env bash
# Instruction counts of the end-to-end round trips (ESPrim, ESData 1 KiB and 1 MiB,
# JWS HS256), one warm call each, beside the raw backend calls, and their ratio.
# usage: bench/e2e_callgrind.sh [build-dir]   (needs valgrind; build with -Dbench=enabled)
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "$build/bench/e2e_bench" --instructions >/dev/null 2>"$out/valgrind.log"
python3 "$(dirname "$0")/callgrind_counts.py" pairs "$out"
rm -rf "$out"
