#!/usr/bin/env bash
# Instruction counts of raw backend calls vs m2msec calls, and their ratio.
# usage: bench/callgrind.sh [build-dir]   (needs valgrind; build with -Dbench=enabled)
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
valgrind --tool=callgrind --instr-atstart=yes --callgrind-out-file="$out/cg.out" \
  "$build/bench/callgrind_overhead" >/dev/null 2>"$out/valgrind.log"
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
    kind, rest = k.split("/", 1)
    rows.setdefault(rest, {})[kind] = v
print(f"{'operation':<40} {'bytes':>6} {'raw Ir':>10} {'m2msec Ir':>10} {'ratio':>7}")
for key in sorted(rows, key=lambda r: (r.rsplit('/', 1)[0], int(r.rsplit('/', 1)[1]))):
    r = rows[key]
    if "raw" in r and "lib" in r:
        name, size = key.rsplit("/", 1)
        print(f"{name:<40} {size:>6} {r['raw']:>10} {r['lib']:>10} {r['lib'] / r['raw']:>7.3f}")
PY
rm -rf "$out"
