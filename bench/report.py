#!/usr/bin/env python3
"""Turn bench/run.sh's raw results (JSON lines) into latest.json and a markdown report.

usage: report.py results.jsonl failures.txt out.json out.md
"""
import json
import re
import statistics
import sys

# Targets of issue 3 item 9 (sluice relative to PgBouncer on the development machine).
TARGET_TPS = 1.0        # at least PgBouncer's tps
TARGET_CPU = 0.7        # at most 0.7x its CPU per transaction
TARGET_IDLE = 1.0       # no more memory per idle client


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
        return None
    return a / b


def fr(r):
    return "n/a" if r is None else f"{r:.2f}"


def mb(kb):
    return None if kb is None else kb / 1024


def failed_run(r):
    """a pgbench run that did not go through cleanly: non-zero exit (a client aborted, a timeout),
    no tps printed, any error printed (pgbench goes on after a failed PQprepare and exits 0), or
    the pooler died. Its figures are not used; the report shows its first error instead."""
    return (str(r.get("rc")) != "0" or num(r.get("tps")) is None or (num(r.get("error_lines")) or 0) > 0
            or r.get("pooler_alive") == "0")


def short(text, limit=110):
    """an error line for a table cell: one line, at most `limit` characters, no '|'"""
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def main():
    src, failures_path, out_json, out_md = sys.argv[1:5]
    rows = [json.loads(line) for line in open(src) if line.strip()]
    failures = [l.strip() for l in open(failures_path) if l.strip()]
    meta = next((r for r in rows if r["kind"] == "meta"), {})
    thr = [r for r in rows if r["kind"] == "throughput"]
    idle = {r["target"]: r for r in rows if r["kind"] == "idle"}
    logs = {r["target"]: r for r in rows if r["kind"] == "log"}
    labels = dict(kv.split(":", 1) for kv in meta.get("labels", "").split(";") if ":" in kv)
    label = lambda t: labels.get(t, t)  # noqa: E731

    tests, targets = [], []
    for r in thr:
        if r["test"] not in tests:
            tests.append(r["test"])
        if r["target"] not in targets:
            targets.append(r["target"])
    runs, by = {}, {}   # all rounds of (test, target); only the rounds that did not fail
    for r in thr:
        runs.setdefault((r["test"], r["target"]), []).append(r)
        if not failed_run(r):
            by.setdefault((r["test"], r["target"]), []).append(r)

    def get(test, target, key):
        """median over the rounds of a run (BENCH_REPEAT) that did not fail"""
        vals = [num(r.get(key)) for r in by.get((test, target), [])]
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None

    def spread(test, target, key):
        vals = [num(r.get(key)) for r in by.get((test, target), [])]
        vals = [v for v in vals if v is not None]
        return (min(vals), max(vals)) if len(vals) > 1 else None

    # Ratios of a test are to PgBouncer when its run of that test succeeded. When it failed (e.g.
    # -M prepared: PgBouncer 1.18 has no prepared statements in transaction mode) there is no
    # PgBouncer figure to compare with, and none is made up: tps ratios are then to direct
    # PostgreSQL, and CPU/RSS ratios are left out (direct has no pooler process to compare with).
    def baseline(test):
        for b in ("pgbouncer", "direct"):
            if (test, b) in by:
                return b
        return None
    base_of = {t: baseline(t) for t in tests}

    j_prepared = ""
    if any("-M prepared" in t for t in tests):
        j_prepared = f" (-j {meta.get('clients')} for -M prepared: one thread per client)"
    connect_s = f" ({meta.get('connect_seconds')} s for -C)" if any(t.endswith(" -C") for t in tests) else ""
    out = []
    out.append("# sluice vs PgBouncer vs direct PostgreSQL\n")
    out.append(
        f"{meta.get('date', '?')} — {meta.get('host_cores', '?')} × {meta.get('cpu_model', '?')}, "
        f"{int(num(meta.get('mem_total_kb')) or 0) // 1024} MiB RAM, kernel {meta.get('kernel', '?')}; "
        f"{meta.get('postgres', '?')}; {meta.get('pgbench', '?')}; {meta.get('pgbouncer', '?')}; "
        f"{meta.get('sluice', 'sluice ?')} (git {meta.get('sluice_git', '?')}, "
        f"{meta.get('sluice_build_type') or 'unknown build type'}).  \n"
        f"pool_mode={meta.get('pool_mode')}, default_pool_size={meta.get('pool_size')}, auth_type={meta.get('auth')}, "
        f"pgbench scale {meta.get('scale')}, -c {meta.get('clients')} -j {meta.get('threads')}{j_prepared}, "
        f"{meta.get('seconds')} s per run{connect_s}, "
        f"{meta.get('repeat', '1')} round(s) (medians shown); PostgreSQL with "
        "fsync/synchronous_commit/full_page_writes off. pgbench, the pooler and PostgreSQL share the "
        "same cores over loopback. Ratios (×pgb) are to PgBouncer in the same run.\n"
    )
    no_pgb = [t for t in tests if base_of[t] != "pgbouncer"]
    if no_pgb:
        out.append(f"**PgBouncer's run failed for {', '.join(no_pgb)}**: there is no PgBouncer figure for "
                   f"{'that test' if len(no_pgb) == 1 else 'those tests'}, so its tps ratios are to direct "
                   "PostgreSQL instead (marked ×direct) and its CPU and RSS ratios are left out (—): direct "
                   "has no pooler process to compare with.\n")
    if meta.get("sluice_build_type") in (None, "", "Debug"):
        out.append(f"**Warning: the sluice binary is a {meta.get('sluice_build_type') or 'unknown'} build "
                   "(not optimized): its tps and CPU numbers understate an optimized build.**\n")
    # failed runs left out: one that aborted within a fraction of a second divides a few clock
    # ticks by almost no wall time
    others = [num(r.get("other_cpu_cores")) for r in thr
              if num(r.get("other_cpu_cores")) is not None and not failed_run(r)]
    if others and max(others) > 0.25:
        out.append(f"**Note: other processes on the machine used up to {max(others):.2f} cores during the runs "
                   "(column 'other load'); tps of those runs is disturbed; CPU per transaction much less so.**\n")

    out.append("## Throughput and pooler cost\n")
    out.append("tps: pgbench; CPU: the pooler's utime+stime (all threads, /proc/PID/stat) during the run "
               "÷ transactions, in ms per 1,000 transactions (lower is better); peak RSS: VmHWM during the run "
               "(reset before each run); failed tx / error lines: pgbench's \"number of failed transactions\" "
               "and the lines of its output that report an error or an aborted client (0 / 0 for a clean run). "
               "A run whose pgbench exited non-zero, printed no tps or printed any error is shown as **failed** "
               "with the first error it printed, and no figures.\n")
    multi = any(len(v) > 1 for v in runs.values())
    if multi:
        out.append("With several rounds, each figure is the median of the rounds that did not fail; min–max of "
                   "tps and CPU are in brackets; failed tx / error lines are totals over the rounds.\n")
    out.append("| test | target | tps | tps ×pgb | latency ms | CPU ms/1k tx | CPU ×pgb | peak RSS MiB | RSS ×pgb "
               "| failed tx / error lines | other load (cores) |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def rng(t, x, key, digits):
        sp = spread(t, x, key)
        return f" [{fmt(sp[0], digits)}–{fmt(sp[1], digits)}]" if sp else ""

    def all_rounds(t, x, key):
        vals = [num(r.get(key)) for r in runs.get((t, x), [])]
        return [v for v in vals if v is not None]

    def failures_cell(t, x):
        rs = runs[(t, x)]
        cell = f"{fmt(sum(all_rounds(t, x, 'failed')), 0)} / {fmt(sum(all_rounds(t, x, 'error_lines')), 0)}"
        nbad = sum(1 for r in rs if failed_run(r))
        if nbad and nbad < len(rs):
            cell += f" ({nbad} of {len(rs)} rounds failed)"
        return cell

    def failed_cell(t, x):
        r = next(r for r in runs[(t, x)] if failed_run(r))
        why = r.get("error") or ("the pooler died" if r.get("pooler_alive") == "0" else "no tps printed")
        nerr = int(num(r.get("error_lines")) or 0)
        return f"**failed** (pgbench exit {r.get('rc')}, {nerr} error line{'' if nerr == 1 else 's'}): {short(why)}"

    for t in tests:
        base = base_of[t]
        bt, bc, bh = (get(t, "pgbouncer", k) for k in ("tps", "cpu_ms_per_1k_tx", "peak_rss_kb"))
        if base == "direct":
            bt = get(t, "direct", "tps")

        def tps_ratio(v):
            r = ratio(v, bt)
            return f"{fr(r)} ×direct" if base == "direct" and r is not None else fr(r)

        def pooler_ratio(v, b):
            return fr(ratio(v, b)) if base == "pgbouncer" else "—"
        for x in targets:
            if (t, x) not in runs:
                continue
            other = all_rounds(t, x, "other_cpu_cores")
            other = fmt(statistics.median(other), 2) if other else "n/a"
            if (t, x) not in by:
                out.append(f"| {t} | {label(x)} | {failed_cell(t, x)} | — | — | — | — | — | — "
                           f"| {failures_cell(t, x)} | {other} |")
                continue
            tps, cpu, hwm = (get(t, x, k) for k in ("tps", "cpu_ms_per_1k_tx", "peak_rss_kb"))
            pooler = x != "direct"
            out.append(
                f"| {t} | {label(x)} | {fmt(tps)}{rng(t, x, 'tps', 0)} | {tps_ratio(tps)} "
                f"| {fmt(get(t, x, 'latency_ms'), 2)} "
                f"| {(fmt(cpu, 2) + rng(t, x, 'cpu_ms_per_1k_tx', 1)) if pooler else '—'} "
                f"| {pooler_ratio(cpu, bc) if pooler else '—'} "
                f"| {fmt(mb(hwm), 1) if pooler else '—'} | {pooler_ratio(hwm, bh) if pooler else '—'} "
                f"| {failures_cell(t, x)} | {other} |")
    out.append("")

    if idle:
        n = next(iter(idle.values())).get("clients")
        out.append(f"## {n} idle clients held open\n")
        out.append("Each client logs in (md5) and then sends nothing; bytes per idle client = "
                   "(VmRSS with the clients − VmRSS before) ÷ N; peak = VmHWM while they were connected.\n")
        out.append("| pooler | connected | RSS before MiB | RSS with clients MiB | bytes/idle client | ×pgb "
                   "| peak RSS MiB | peak ×pgb | connect time s |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        b = idle.get("pgbouncer", {})
        for t, r in idle.items():
            out.append(
                f"| {label(t)} | {r['connected']}/{r['clients']} | {fmt(mb(num(r['rss_before_kb'])))} "
                f"| {fmt(mb(num(r['rss_with_kb'])))} | {r['bytes_per_client'] or 'n/a'} "
                f"| {fr(ratio(num(r['bytes_per_client']), num(b.get('bytes_per_client'))))} "
                f"| {fmt(mb(num(r['peak_rss_kb'])))} | {fr(ratio(num(r['peak_rss_kb']), num(b.get('peak_rss_kb'))))} "
                f"| {r['connect_seconds']} |")
        out.append("")

    # against the targets of issue 3
    sl = [x for x in targets if x.startswith("sluice")] or [x for x in idle if x.startswith("sluice")]
    if sl:
        out.append(f"## Against the targets (tps ≥ {TARGET_TPS}×, CPU/tx ≤ {TARGET_CPU}×, "
                   f"bytes per idle client ≤ {TARGET_IDLE}× PgBouncer)\n")
        out.append("| check | " + " | ".join(label(x) for x in sl) + " |")
        out.append("|---|" + "---|" * len(sl))

        def mark(r, limit, higher_better):
            if r is None:
                return "n/a"
            ok = r >= limit if higher_better else r <= limit
            return f"{r:.2f} {'met' if ok else '**not met**'}"

        def check(t, x, key, limit, higher_better):
            if (t, x) in runs and (t, x) not in by:
                return "**failed**"
            if (t, "pgbouncer") in runs and (t, "pgbouncer") not in by:
                return "n/a: PgBouncer failed"
            return mark(ratio(get(t, x, key), get(t, "pgbouncer", key)), limit, higher_better)
        for t in tests:
            out.append(f"| tps {t} | " + " | ".join(check(t, x, "tps", TARGET_TPS, True) for x in sl) + " |")
            out.append(f"| CPU/tx {t} | " + " | ".join(
                check(t, x, "cpu_ms_per_1k_tx", TARGET_CPU, False) for x in sl) + " |")
        if idle:
            bb = num(idle.get("pgbouncer", {}).get("bytes_per_client"))
            out.append("| bytes per idle client | " + " | ".join(
                mark(ratio(num(idle.get(x, {}).get("bytes_per_client")), bb), TARGET_IDLE, False) for x in sl) + " |")
        out.append("")

    problems = list(failures)
    for t, r in logs.items():
        if int(r.get("error_lines") or 0) > 0:
            problems.append(f"{label(t)}: {r['error_lines']} ERROR/FATAL/WARNING lines in its log (bench/results/logs/)")
    pgb_version = tuple(int(v) for v in re.findall(r"\d+", meta.get("pgbouncer", ""))[:2])
    if any("-M prepared" in t and x == "pgbouncer" and (t, x) not in by for (t, x) in runs) \
            and pgb_version and pgb_version < (1, 21):
        problems.append(f"{meta.get('pgbouncer')} failing -M prepared is expected: PgBouncer supports "
                        "protocol-level prepared statements in transaction mode only from 1.21 on "
                        "(max_prepared_statements)")
    for r in thr:
        where = f"{r['test']} on {label(r['target'])}"
        if num(r.get("failed")):
            problems.append(f"{where}: {r['failed']} failed transactions")
        if r.get("hwm_reset") == "0" and r["target"] != "direct":
            problems.append(f"{r['test']} on {label(r['target'])}: could not reset VmHWM; peak RSS is since start")
    out.append("## Problems observed\n")
    out.extend(f"- {p}" for p in problems) if problems else out.append("none")
    out.append("")

    md = "\n".join(out)
    with open(out_md, "w") as f:
        f.write(md)
    with open(out_json, "w") as f:
        json.dump({"meta": meta, "throughput": thr, "idle": list(idle.values()), "logs": list(logs.values()),
                   "ratio_baseline": base_of, "problems": problems}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
