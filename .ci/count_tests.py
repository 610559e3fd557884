#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files: a Catch2 program counts
its own test cases (from its summary line), any other test counts as one; a
fuzz log adds one per target. Prints 'N passed, N failed'; exits 1 on failure."""
import json
import re
import sys

passed = failed = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        print(f"missing {path}")
        failed += 1
        continue
    if not path.endswith(".json"):  # fuzz log: "fuzz <target> OK|FAILED"
        for line in lines:
            ok = line.endswith(" OK")
            passed += ok
            failed += not ok
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = t["result"] in ("OK", "EXPECTEDFAIL")
        m_all = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
        m_mix = re.search(r"test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed", out)
        if ok and m_all:
            passed += int(m_all.group(1))
        elif m_mix:
            passed += int(m_mix.group(2))
            failed += int(m_mix.group(3)) or (0 if ok else 1)
        else:
            passed += ok
            failed += not ok
        if not ok:
            print(f"FAILED: {t['name']} ({t['result']})")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
