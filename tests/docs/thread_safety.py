#!/usr/bin/env python3
"""Every public type says how threads may use it (issue 17).

  thread_safety.py INCLUDE_DIR [--add]
A public type is a class or struct declared at namespace scope outside a
*_detail or detail namespace. Its comment block (the // lines just above it)
holds a line starting "Thread safety:", or the file's opening block does (one
statement for every type of the file). Prints the types that have none and
fails; --add writes the default statement for each kind (used once, then edited
by hand).
"""
import pathlib
import re
import sys

IMMUTABLE = ("Thread safety: immutable once made; any number of threads may use one object.")
VALUE = ("Thread safety: a value; threads may read one object at once, a writer needs the "
         "caller's lock.")
SINGLE = ("Thread safety: one thread at a time per object; distinct objects are independent.")

# Classes whose objects do not change once made (identifiers, names, credentials,
# parsed headers, keys); --add gives them IMMUTABLE.
IMMUTABLE_NAMES = {"validity", "raw_public_key", "expected_name", "certificate", "certificate_credential",
                   "symmetric_credential", "credential_id", "fqdn", "sp_id", "cse_id", "ae_id_stem", "ae_id",
                   "app_id", "node_id", "sub_id", "basic_key_id", "header", "jwk", "requested_lifetime",
                   "aead_usage_limit", "usages", "error_category_impl", "onem2m_policy", "ghash"}

TYPE = re.compile(r"^(?:template <.*>\s*)?(class|struct) (\w+)(?: final)?(?:\s*:[^;{]*)?\s*\{")


def public_types(lines):
    ns = []
    for i, line in enumerate(lines):
        m = re.match(r"^namespace ([\w:]+) \{", line)
        if m:
            ns.append(m.group(1))
            continue
        if re.match(r"^\}  // namespace", line):
            if ns:
                ns.pop()
            continue
        m = TYPE.match(line)
        if m and not any("detail" in n for n in ns) and "{}" not in line:
            yield i, m.group(1), m.group(2)


def block_above(lines, i):
    j = i - 1
    while j >= 0 and lines[j].startswith("template"):
        j -= 1
    top = j
    while j >= 0 and lines[j].startswith("//"):
        j -= 1
    return j + 1, top + 1  # [start, end) of the comment block


def opening(lines):
    out = []
    for line in lines:
        if not line.startswith("//"):
            break
        out.append(line)
    return out


def main():
    root = pathlib.Path(sys.argv[1])
    add = "--add" in sys.argv
    missing = 0
    for path in sorted(root.rglob("*.hpp")):
        lines = path.read_text(encoding="utf-8").split("\n")
        if any("Thread safety:" in l for l in opening(lines)):
            continue
        inserts = []
        for i, kind, name in public_types(lines):
            start, end = block_above(lines, i)
            if any("Thread safety:" in l for l in lines[start:end]):
                continue
            missing += 1
            print("%s:%d: %s %s has no thread-safety line" % (path, i + 1, kind, name))
            if add:
                text = IMMUTABLE if name in IMMUTABLE_NAMES else VALUE if kind == "struct" else SINGLE
                inserts.append((end, "// " + text))
        if add and inserts:
            for at, text in sorted(inserts, reverse=True):
                lines.insert(at, text)
            path.write_text("\n".join(lines), encoding="utf-8")
    if missing and not add:
        return 1
    print("every public type states its thread safety" if not missing else "%d statements added" % missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
