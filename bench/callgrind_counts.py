#!/usr/bin/env python3
"""Reads callgrind's per-dump files (one dump per CALLGRIND_DUMP_STATS_AT label)
and prints a table. Used by bench/callgrind.sh.
usage: callgrind_counts.py pairs|channel <folder with cg.out.*>"""
import glob
import re
import sys


def counts(folder):
    out = {}
    for f in glob.glob(folder + "/cg.out.*"):
        text = open(f, errors="replace").read()
        m = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
        t = re.search(r"^totals: (\d+)", text, re.M) or re.search(r"^summary: (\d+)", text, re.M)
        if m and t:
            out[m.group(1)] = int(t.group(1))
    return out


def table(c):
    rows = {}
    for k, v in c.items():
        kind, rest = k.split("/", 1)
        rows.setdefault(rest, {})[kind] = v
    return rows


def pairs(rows):
    print(f"{'operation':<40} {'bytes':>6} {'raw Ir':>10} {'m2msec Ir':>10} {'ratio':>7}")
    for key in sorted(rows, key=lambda r: (r.rsplit('/', 1)[0], int(r.rsplit('/', 1)[1]))):
        r = rows[key]
        if "raw" in r and "lib" in r:
            name, size = key.rsplit("/", 1)
            print(f"{name:<40} {size:>6} {r['raw']:>10} {r['lib']:>10} {r['lib'] / r['raw']:>7.3f}")


def channel(rows, runs=20):
    print(f"{'operation (instructions per op)':<52} {'m2msec':>12} {'Botan':>12} {'OpenSSL':>12} {'Botan/m2m':>9} {'OSSL/m2m':>9}")
    for op in sorted(rows):
        r = {k: v / runs for k, v in rows[op].items()}
        if {"m2msec", "botan", "openssl"} <= r.keys():
            print(f"{op:<52} {r['m2msec']:>12.0f} {r['botan']:>12.0f} {r['openssl']:>12.0f} "
                  f"{r['botan'] / r['m2msec']:>9.3f} {r['openssl'] / r['m2msec']:>9.3f}")


if __name__ == "__main__":
    {"pairs": pairs, "channel": channel}[sys.argv[1]](table(counts(sys.argv[2])))
