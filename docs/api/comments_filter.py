#!/usr/bin/env python3
"""Doxygen INPUT_FILTER: m2msec's header comments as documentation.

The headers document each declaration with plain `//` lines above it; this filter
hands Doxygen `///` instead (the file's opening block becomes its @file text),
and leaves section banners (`// ---- ... ----`) and trailing comments alone. The
line count is kept, so Doxygen's line numbers are the header's.
"""
import re
import sys


def escaped(text):
    """`@`, `<` and `#` are Doxygen's; outside `code spans` they are text here."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("\\", "\\\\").replace("@", "\\@").replace("<", "\\<").replace("#", "\\#")
    return "`".join(parts)


lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, opening = [], True
for line in lines:
    m = re.match(r"^(\s*)//(?!/)( ?)(.*)$", line)
    if not m or m.group(3).startswith("----"):
        if opening and line.strip():
            opening = False
        out.append(line)
        continue
    text = escaped(m.group(3))
    if opening:
        if not out:
            out.append("/// @file")  # one line more at the top of each file
        out.append("/// " + text)
    else:
        out.append(m.group(1) + "/// " + text)
sys.stdout.write("\n".join(out))
