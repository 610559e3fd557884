#!/usr/bin/env bash
# Instruction counts of the channel benchmark's operations (20 runs each):
# m2msec beside Botan's TLS classes and OpenSSL, and the ratios.
# usage: bench/channel_callgrind.sh [build-dir]
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "$build/bench/channel_bench" --instructions >/dev/null 2>"$out/valgrind.log"
python3 "$(dirname "$0")/callgrind_counts.py" channel "$out"
rm -rf "$out"
