#!/usr/bin/env python3
"""Turn bench/run.sh's raw results (JSON lines) into latest.json and a markdown report.

usage: report.py results.jsonl failures.txt out.json out.md
"""
import json
import sys


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def main():
    src, failures_path, out_json, out_md = sys.argv[1:5]
    rows = [json.loads(line) for line in open(src) if line.strip()]
    failures = [l.strip() for l in open(failures_path) if l.strip()]
    meta = next((r for r in rows if r["kind"] == "meta"), {})
    thr = [r for r in rows if r["kind"] == "throughput"]
    idle = {r["target"]: r for r in rows if r["kind"] == "idle"}
    logs = {r["target"]: r for r in rows if r["kind"] == "log"}

    tests = []
    for r in thr:
        if r["test"] not in tests:
            tests.append(r["test"])
    by = {(r["test"], r["target"]): r for r in thr}

    def get(test, target, key):
        r = by.get((test, target))
        return num(r.get(key)) if r else None

    out = []
    out.append("# sluice vs PgBouncer vs direct PostgreSQL\n")
    out.append(
        f"{meta.get('date', '?')} — {meta.get('host_cores', '?')} cores, kernel {meta.get('kernel', '?')}; "
        f"{meta.get('postgres', '?')}; {meta.get('pgbouncer', '?')}; {meta.get('sluice', 'sluice ?')} "
        f"(git {meta.get('sluice_git', '?')}, build type {meta.get('sluice_build_type') or 'unknown'}, "
        f"workers={meta.get('sluice_workers', '?')}, binary {meta.get('sluice_bin', '?')}).  \n"
        f"pgbench scale {meta.get('scale')}, pool_mode=session, default_pool_size={meta.get('pool_size')}, "
        f"auth_type={meta.get('auth')}, {meta.get('seconds')} s per run ({meta.get('connect_seconds')} s for -C), "
        "PostgreSQL with fsync/synchronous_commit/full_page_writes off. All on one machine over loopback: "
        "pgbench, the pooler and PostgreSQL share the same cores.\n"
    )

    if meta.get("sluice_build_type") in (None, "", "Debug"):
        out.append(f"**Warning: the sluice binary is a {meta.get('sluice_build_type') or 'unknown'} build "
                   "(not optimized): its tps and CPU numbers understate an optimized build.**\n")
    others = [num(r.get("other_cpu_cores")) for r in thr if num(r.get("other_cpu_cores")) is not None]
    if others and max(others) > 0.25:
        out.append(f"**Note: other processes on the machine used up to {max(others):.2f} cores during the runs "
                   "(column 'other load'); tps numbers of those runs are disturbed.**\n")
    out.append("## Throughput (pgbench, higher tps is better)\n")
    out.append("| test | direct tps | pgbouncer tps | sluice tps | sluice/pgbouncer | sluice/direct "
               "| direct lat ms | pgbouncer lat ms | sluice lat ms | other load (cores) d/b/s |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for t in tests:
        d, b, s = (get(t, x, "tps") for x in ("direct", "pgbouncer", "sluice"))
        ld, lb, ls = (get(t, x, "latency_ms") for x in ("direct", "pgbouncer", "sluice"))
        out.append(f"| {t} | {fmt(d)} | {fmt(b)} | {fmt(s)} | {ratio(s, b)} | {ratio(s, d)} "
                   f"| {fmt(ld, 3)} | {fmt(lb, 3)} | {fmt(ls, 3)} "
                   f"| {'/'.join(fmt(get(t, x, 'other_cpu_cores'), 2) for x in ('direct', 'pgbouncer', 'sluice'))} |")
    out.append("")

    out.append("## Pooler CPU per transaction (utime+stime from /proc/PID/stat ÷ transactions, lower is better)\n")
    have_instr = any(num(r.get("instructions_per_tx")) for r in thr)
    hdr = "| test | pgbouncer µs/tx | sluice µs/tx | sluice/pgbouncer | pgbouncer CPU s | sluice CPU s |"
    sep = "|---|---:|---:|---:|---:|---:|"
    if have_instr:
        hdr += " pgbouncer instr/tx | sluice instr/tx | sluice/pgbouncer |"
        sep += "---:|---:|---:|"
    out.append(hdr)
    out.append(sep)
    for t in tests:
        b, s = get(t, "pgbouncer", "cpu_us_per_tx"), get(t, "sluice", "cpu_us_per_tx")
        cb, cs = get(t, "pgbouncer", "pooler_cpu_us"), get(t, "sluice", "pooler_cpu_us")
        line = (f"| {t} | {fmt(b, 2)} | {fmt(s, 2)} | {ratio(s, b)} "
                f"| {fmt(cb / 1e6 if cb is not None else None, 2)} | {fmt(cs / 1e6 if cs is not None else None, 2)} |")
        if have_instr:
            ib, is_ = get(t, "pgbouncer", "instructions_per_tx"), get(t, "sluice", "instructions_per_tx")
            line += f" {fmt(ib, 0)} | {fmt(is_, 0)} | {ratio(is_, ib)} |"
        out.append(line)
    out.append("")
    if not have_instr:
        out.append(f"Instructions per transaction: {meta.get('perf_note') or 'not measured'}.\n")

    if idle:
        n = next(iter(idle.values())).get("clients")
        out.append(f"## Memory per idle logged-in client ({n} clients, (VmRSS with − VmRSS before) ÷ N, lower is better)\n")
        out.append("| pooler | connected | RSS before kB | RSS with clients kB | bytes/client | RSS after disconnect kB "
                   "| fds with clients | connect time s |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for t in ("pgbouncer", "sluice"):
            r = idle.get(t)
            if not r:
                continue
            out.append(f"| {t} | {r['connected']}/{r['clients']} | {r['rss_before_kb']} | {r['rss_with_kb']} "
                       f"| {r['bytes_per_client'] or 'n/a'} | {r['rss_after_kb']} | {r['fds_with']} | {r['connect_seconds']} |")
        b, s = (num(idle.get(t, {}).get("bytes_per_client")) for t in ("pgbouncer", "sluice"))
        out.append(f"\nsluice/pgbouncer bytes per idle client: {ratio(s, b)}\n")

    problems = list(failures)
    for t, r in logs.items():
        if int(r.get("error_lines") or 0) > 0:
            problems.append(f"{t}: {r['error_lines']} ERROR/FATAL/WARNING lines in its log (see bench/results/logs/)")
    for r in thr:
        if num(r.get("failed")):
            problems.append(f"{r['test']} on {r['target']}: {r['failed']} failed transactions")
    out.append("## Problems observed\n")
    out.extend(f"- {p}" for p in problems) if problems else out.append("none")
    out.append("")

    md = "\n".join(out)
    with open(out_md, "w") as f:
        f.write(md)
    with open(out_json, "w") as f:
        json.dump({"meta": meta, "throughput": thr, "idle": list(idle.values()), "logs": list(logs.values()),
                   "problems": problems}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
