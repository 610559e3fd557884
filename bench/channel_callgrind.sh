#!/usr/bin/env bash
# Instruction counts of the channel benchmark's operations (20 runs each):
# m2msec beside Botan's TLS classes and OpenSSL, and the ratios.
# usage: bench/channel_callgrind.sh [build-dir]
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "$build/bench/channel_bench" --instructions >/dev/null 2>"$out/valgrind.log"
/usr/bin/env python3 - "$out" <<'PY'
import glob, re, sys
counts = {}
for f in glob.glob(sys.argv[1] + "/cg.out.*"):
    text = open(f, errors="replace").read()
    m = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
    t = re.search(r"^totals: (\d+)", text, re.M) or re.search(r"^summary: (\d+)", text, re.M)
    if m and t:
        counts[m.group(1)] = int(t.group(1))
rows = {}
for k, v in counts.items():
    lib, op = k.split("/", 1)
    rows.setdefault(op, {})[lib] = v / 20
print(f"{'operation (instructions per op)':<52} {'m2msec':>12} {'Botan':>12} {'OpenSSL':>12} {'Botan/m2m':>9} {'OSSL/m2m':>9}")
for op in sorted(rows):
    r = rows[op]
    if {"m2msec", "botan", "openssl"} <= r.keys():
        print(f"{op:<52} {r['m2msec']:>12.0f} {r['botan']:>12.0f} {r['openssl']:>12.0f} "
              f"{r['botan'] / r['m2msec']:>9.3f} {r['openssl'] / r['m2msec']:>9.3f}")
PY
rm -rf "$out"
