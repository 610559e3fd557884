#!/usr/bin/env python3
"""Compiles every ```cpp block of README.md as a translation unit of its own.

  compile_blocks.py README.md COMPILER [ARGS...]
Each block is written to a temporary file and compiled with `COMPILER ARGS -c`;
the first that fails is shown with the compiler's output. Prints one line per block.
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    readme, compiler = sys.argv[1], sys.argv[2:]
    text = open(readme, encoding="utf-8").read()
    blocks = [(text.count("\n", 0, m.start()) + 2, m.group(1))
              for m in re.finditer(r"^```cpp\n(.*?)^```", text, re.S | re.M)]
    if not blocks:
        print("no ```cpp block in " + readme)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for line, code in blocks:
            src = os.path.join(work, "readme_%d.cpp" % line)
            with open(src, "w", encoding="utf-8") as f:
                f.write(code)
            r = subprocess.run(compiler + ["-c", src, "-o", os.path.join(work, "readme.o")],
                               capture_output=True, text=True)
            print("README.md:%d: %s" % (line, "compiles" if r.returncode == 0 else "FAILS"))
            if r.returncode != 0:
                print(r.stdout + r.stderr)
                failed += 1
    print("%d of %d blocks compile" % (len(blocks) - failed, len(blocks)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
