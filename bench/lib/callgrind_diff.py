#!/usr/bin/env python3
"""Per-transaction inclusive cost by function: callgrind_annotate --inclusive=yes of two processes
that differ only in how many transactions they ran; prints (Ir of B - Ir of A) / N per function,
largest first. Usage: callgrind_diff.py ANNOTATE_A ANNOTATE_B N [LIMIT]"""
import re
import sys


def shorten(name):
    """file:function without template arguments, parameter lists or directories."""
    name = re.sub(r"\s+\([\d,]+x\)$", "", name).lstrip("=> ").strip()
    file, _, func = name.partition(":")
    for _ in range(20):  # innermost <...> first
        func, n = re.subn(r"<[^<>]*>", "", func)
        if not n:
            break
    depth, out = 0, []
    for ch in func:  # drop parameter lists (...)
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    func = re.sub(r"\s+", " ", "".join(out)).replace(" [clone .actor]", "").strip()
    return f"{file.rsplit('/', 1)[-1]}:{func[-110:]}"


def load(path):
    costs = {}
    line_re = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?)\s*$")
    for line in open(path, encoding="utf-8", errors="replace"):
        m = line_re.match(line)
        if not m or ":" not in m.group(2):
            continue
        name = m.group(2)
        name = re.sub(r"\s+\[[^\]]*\]$", "", name)  # drop the "[object file]" suffix
        name = shorten(name)
        costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def main():
    a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    diff = {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
    for name, per in sorted(diff.items(), key=lambda kv: -kv[1])[:limit]:
        print(f"{per:10.0f}  {name}")


main()
