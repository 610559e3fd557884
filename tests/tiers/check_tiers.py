#!/usr/bin/env python3
"""The tiers of include/m2msec, held by a test (docs/architecture.md draws them).

Each folder may include only the folders below it in TIERS (and itself); <sodium.h>
only in backend/sodium, Botan only in backend/botan and the channel's engine; a
namespace named *detail is used only in the folder that defines it.

usage: check_tiers.py <include dir>           check; exit 1 and list every violation
       check_tiers.py <include dir> --plant   also prove the check bites: copy the tree,
                                              plant a back-arrow, expect a failure
"""
import pathlib
import re
import shutil
import sys
import tempfile

# Folder -> the folders it may include. Downward only; channel and e2e are siblings.
TIERS = {
    "core": set(),
    "crypto": {"core"},
    "backend": {"core", "crypto"},
    "identity": {"core"},
    "kdf": {"core", "crypto", "backend", "identity"},
    "jose": {"core", "crypto", "backend"},
    "credential": {"core", "crypto", "backend", "identity", "kdf"},
    "sa": {"core", "crypto", "backend", "identity", "kdf", "credential"},
    "channel": {"core", "crypto", "backend", "identity", "kdf", "credential", "sa"},
    "e2e": {"core", "crypto", "backend", "identity", "kdf", "jose", "credential", "sa"},
    "enrolment": {"core", "crypto", "backend", "identity", "kdf", "jose", "credential", "sa", "channel", "e2e"},
}
# Third-party headers and where they may appear.
SYSTEM = [
    (re.compile(r"#include\s*<sodium"), ("backend/sodium/",)),
    (re.compile(r"#include\s*<botan/"), ("backend/botan/", "channel/engine/")),
    (re.compile(r"#include\s*<sqlite3"), ("enrolment/",)),
    (re.compile(r"#include\s*<boost/"), ("enrolment/http_binding.hpp", "channel/asio_pump.hpp")),
    (re.compile(r"#include\s*<libpq"), ("enrolment/postgres_function_store.hpp",)),
]
INCLUDE = re.compile(r'#include\s*"m2msec/([a-z_0-9]+)/')
NAMESPACE = re.compile(r"namespace\s+([a-z_0-9:]+)\s*\{")
DETAIL_USE = re.compile(r"\b(?:([a-z_0-9]+)::)?([a-z_0-9]*detail)::")


def detail_names(text: str) -> set[str]:
    """The detail namespaces a header defines, each as `outer::detail` or `x_detail`."""
    names, outer = set(), None
    for m in NAMESPACE.finditer(text):
        parts = m.group(1).split("::")
        if parts[-1].endswith("detail"):
            owner = parts[-2] if len(parts) > 1 else outer
            names.add(parts[-1] if parts[-1] != "detail" else f"{owner}::detail")
        else:
            outer = parts[-1]
    return names


def main_namespace(text: str) -> str | None:
    for m in NAMESPACE.finditer(text):
        return m.group(1).split("::")[-1]
    return None


def check(root: pathlib.Path) -> list[str]:
    problems = []
    headers = sorted(p for p in root.rglob("*.hpp") if p.parent != root)
    defined: dict[str, set[str]] = {}
    for h in headers:
        folder = h.relative_to(root).parts[0]
        for name in detail_names(h.read_text()):
            defined.setdefault(name, set()).add(folder)
    for h in headers:
        rel = h.relative_to(root).as_posix()
        folder = rel.split("/")[0]
        text = h.read_text()
        if folder not in TIERS:
            problems.append(f"{rel}: folder {folder}/ is in no tier")
            continue
        for n, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.search(line)
            if m and m.group(1) != folder and m.group(1) not in TIERS[folder]:
                problems.append(f"{rel}:{n}: {folder}/ may not include {m.group(1)}/ ({line.strip()})")
            for pattern, allowed in SYSTEM:
                if pattern.search(line) and not rel.startswith(allowed):
                    problems.append(f"{rel}:{n}: only {', '.join(allowed)} may include this ({line.strip()})")
            for outer, inner in DETAIL_USE.findall(line):
                if inner == "detail":
                    name = f"{outer or main_namespace(text)}::detail"
                else:
                    name = inner
                owners = defined.get(name, set())
                if owners and folder not in owners:
                    problems.append(f"{rel}:{n}: {name}:: belongs to {', '.join(sorted(owners))}/")
    return problems


def main() -> int:
    root = pathlib.Path(sys.argv[1]) / "m2msec"
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} tier violation(s)")
        return 1
    print(f"tiers hold: {sum(1 for _ in root.rglob('*.hpp'))} headers, {len(TIERS)} folders")
    if "--plant" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp) / "m2msec"
            shutil.copytree(root, copy)
            victim = copy / "core" / "bytes.hpp"
            victim.write_text('#include "m2msec/sa/security_association.hpp"\n' + victim.read_text())
            planted = check(copy)
            if not any("core/bytes.hpp" in p and "sa/" in p for p in planted):
                print("a planted back-arrow (core/ -> sa/) was not caught")
                return 1
            print("a planted back-arrow is caught: " + planted[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
