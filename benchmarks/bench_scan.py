"""Benchmark ``himaudit scan`` against the same rules' SQL run bare in DuckDB, and the GX
stage against plain-SQL equivalents of its expectations. One command:

    python benchmarks/bench_scan.py                       # generates the `large` dataset
    python benchmarks/bench_scan.py --data DIR            # an existing dataset directory
    python benchmarks/bench_scan.py --patients 100000     # a smaller `large`

Prints the scan's wall-clock total and rows/s; per stage: load, GX, SQL rules, Python rules
(MPI linkage separately), views/history/outputs; the slowest rules; in-scan SQL rules vs the
same SQL (same parameters, Arrow results) run bare on a fresh read-only connection, and the
whole scan vs that bare SQL; GX validation vs one key-returning SQL query per expectation
(best of ``--repeat`` each); the scan's peak RSS (taken before the comparisons; generation
runs in a child). The last line says which issue-4 target is met: scan <= 120 s,
RSS <= 4 GB, <= 2x bare SQL, GX <= 1.5x SQL. Not a timed test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from himaudit.contract import canonical_tables
from himaudit.scan.engine import scan
from himaudit.scan.gx_duckdb import key_columns
from himaudit.scan.registry import list_rules
from himaudit.scan.runner import bind_sql, rule_params


def rss_gb() -> float:
    """Peak RSS of this process (the scan), not of the generator child."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def expectation_sql(table: str, exp: dict, *, keys: bool = False) -> str:
    """The plain-SQL equivalent of one expectation: the offending rows' count, or (``keys``)
    their keys — the GX stage counts everything and fetches keys only for failures."""
    kw = exp["kwargs"]
    col = kw["column"]
    kind = exp["type"]
    if kind == "expect_column_values_to_not_be_null":
        cond = f"{col} IS NULL"
    elif kind == "expect_column_values_to_match_regex":
        cond = f"{col} IS NOT NULL AND NOT regexp_matches({col}, '{kw['regex']}')"
    elif kind == "expect_column_values_to_be_in_set":
        values = ", ".join(f"'{v}'" for v in kw["value_set"])
        cond = f"{col} IS NOT NULL AND {col} NOT IN ({values})"
    elif kind == "expect_column_values_to_be_between":
        lo = kw.get("min_value")
        lo = f"'{lo}'" if isinstance(lo, str) else lo
        cond = f"{col} IS NOT NULL AND {col} < {lo}"
    elif kind == "expect_column_values_to_be_unique_key":  # rows whose key is duplicated
        key = ", ".join([col, *kw.get("with_columns", [])])
        nonnull = " AND ".join(f"{c} IS NOT NULL" for c in key.split(", "))
        cond = (f"({key}) IN (SELECT {key} FROM {table} WHERE {nonnull} "
                f"GROUP BY ALL HAVING count(*) > 1)")  # fmt: skip
    else:
        raise ValueError(kind)
    what = ", ".join(key_columns(table)) if keys else "count(*)"
    return f"SELECT {what} FROM {table} WHERE {cond}"


def best_of(n: int, fn) -> float:
    """Fastest of n wall-clock runs: the machine is shared, the minimum is the least noisy."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def verdict(ok: bool | None) -> str:
    """met / NOT met, or n/a when the run had nothing to measure it on (e.g. --rules COD)."""
    return "n/a" if ok is None else "met" if ok else "NOT met"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, help="existing dataset directory (default: generate)")
    ap.add_argument("--profile", default="large")
    ap.add_argument("--patients", type=int, default=None)
    ap.add_argument("--rules", default=None, help="comma-separated rule ids/families")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each GX/SQL comparison")
    ap.add_argument("--top", type=int, default=8, help="slowest rules to list")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="himaudit-bench-"))
    try:
        data = args.data
        if data is None:  # in a child process: its memory must not count as the scan's RSS
            data = work / "data"
            cmd = [str(Path(sys.executable).with_name("himaudit")), "generate", "--profile", args.profile,
                   "--seed", "1", "--out", str(data), "--quiet"]  # fmt: skip
            if args.patients:
                cmd += ["--patients", str(args.patients)]
            t = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"generate {args.profile}: {time.perf_counter() - t:.1f} s (child process)")
        selectors = args.rules.split(",") if args.rules else None
        report(data, work, selectors, args.repeat, args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(data: Path, work: Path, selectors: list[str] | None, repeat: int, top: int) -> None:
    t0 = time.perf_counter()
    result = scan(data, work / "out", rules=selectors, formats="json,junit")
    scan_s = time.perf_counter() - t0
    scan_rss = rss_gb()  # before the comparisons below add their own memory
    tm = result.summary["timings"]
    by_kind = {
        k: sum(r["seconds"] for r in result.rules if r["kind"] == k) for k in ("sql", "python")
    }
    mpi_s = sum(
        r["seconds"] for r in result.rules if r["kind"] == "python" and r["family"] == "MPI"
    )

    wh = result.warehouse
    con = duckdb.connect(str(wh), read_only=True)
    rows = sum(
        con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in canonical_tables()
    )
    rules = {r.id: r for r in list_rules()}
    ran = [rules[r["rule_id"]] for r in result.rules if r["status"] in ("passed", "failed")]
    ran_sql = [r for r in ran if r.kind == "sql"]
    gx_rules = [r for r in ran if r.kind == "gx"]

    def bare_sql() -> None:  # the same SQL, same parameters, results fetched as Arrow
        for rule in ran_sql:
            params = rule_params(rule, result.as_of)
            con.sql(rule.sql, params=bind_sql(rule.sql, params, rule.id)).to_arrow_table()

    def gx_sql() -> None:  # same output as the GX stage: counts, keys of the failures
        for rule in gx_rules:
            for item in rule.expectation["items"]:
                if con.execute(expectation_sql(item["table"], item)).fetchall()[0][0]:
                    con.sql(expectation_sql(item["table"], item, keys=True)).to_arrow_table()

    bare_s = best_of(1, bare_sql)
    gx_sql_s = best_of(repeat, gx_sql)
    con.close()

    from himaudit.scan.gx_stage import run_gx_rules

    gx_s = best_of(repeat, lambda: run_gx_rules(wh, gx_rules))  # GX already imported by the scan
    n_exp = sum(len(r.expectation["items"]) for r in gx_rules)

    other = scan_s - tm["load_s"] - tm["gx_stage_s"] - tm["rules_s"]
    print(f"dataset: {data} ({rows:,} rows in canonical tables)")
    print(f"scan total: {scan_s:.1f} s, {rows / scan_s:,.0f} rows/s; exit {int(result.exit_code)}, "
          f"{result.findings:,} findings, {len(result.rules)} rules")  # fmt: skip
    print(f"  load {tm['load_s']:.1f} s ({rows / max(tm['load_s'], 1e-9):,.0f} rows/s)")
    print(f"  GX stage {tm['gx_stage_s']:.1f} s ({len(gx_rules)} rules, {n_exp} expectations)")
    print(f"  SQL rules {by_kind['sql']:.1f} s ({len(ran_sql)} rules)")
    print(f"  Python rules {by_kind['python']:.1f} s (MPI linkage {mpi_s:.1f} s)")
    print(f"  views, history, outputs {other:.1f} s")
    slow = sorted(result.rules, key=lambda r: -r["seconds"])[:top]
    print("  slowest rules: " + ", ".join(f"{r['rule_id']} {r['seconds']:.1f}" for r in slow))
    sql_ratio = by_kind["sql"] / max(bare_s, 1e-9)
    scan_ratio = scan_s / max(bare_s, 1e-9)
    gx_ratio = gx_s / max(gx_sql_s, 1e-9)
    sql_ok = sql_ratio <= 2 if ran_sql else None
    gx_ok = gx_ratio <= 1.5 if gx_rules else None
    print(f"SQL rules in the scan vs bare DuckDB: {by_kind['sql']:.2f} s / {bare_s:.2f} s = "
          f"{sql_ratio:.2f}x")  # fmt: skip
    print(f"whole scan vs bare SQL rules: {scan_ratio:.2f}x (information only: the scan also "
          f"loads the files, runs GX and the Python rules, which have no bare-SQL twin)")  # fmt: skip
    print(f"GX validation {gx_s:.2f} s vs SQL equivalents {gx_sql_s:.2f} s = {gx_ratio:.2f}x "
          f"(best of {repeat} each)")  # fmt: skip
    print(f"peak RSS of the scan: {scan_rss:.2f} GB")
    print(f"targets: scan <= 120 s {verdict(scan_s <= 120)}; RSS <= 4 GB {verdict(scan_rss <= 4)}; "
          f"SQL rules <= 2x bare SQL {verdict(sql_ok)}; GX <= 1.5x SQL {verdict(gx_ok)}")  # fmt: skip


if __name__ == "__main__":
    main()
