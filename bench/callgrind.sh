#!/usr/bin/env bash
# Instruction counts of raw backend calls vs m2msec calls, and their ratio.
# usage: bench/callgrind.sh [build-dir]   (needs valgrind; build with -Dbench=enabled)
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "$build/bench/callgrind_overhead" >/dev/null 2>"$out/valgrind.log"
python3 "$(dirname "$0")/callgrind_counts.py" pairs "$out"
rm -rf "$out"
