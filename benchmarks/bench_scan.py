"""Benchmark ``himaudit scan`` against the same rules' SQL run bare in DuckDB, and the GX
stage against plain-SQL equivalents of its expectations. One command:

    python benchmarks/bench_scan.py                       # generates the `large` dataset
    python benchmarks/bench_scan.py --data DIR            # an existing dataset directory
    python benchmarks/bench_scan.py --patients 100000     # a smaller `large`

Prints wall-clock seconds, ratios, rows/s and the scan's peak RSS (generation runs in a child).
Targets (issue 4): scan <= 120 s, RSS <= 4 GB, scan <= 2x bare SQL, GX <= 1.5x SQL.
Not a timed test: run it once, on a quiet machine.
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
from himaudit.scan.registry import list_rules
from himaudit.scan.runner import bind_sql, rule_params


def rss_gb() -> float:
    """Peak RSS of this process (the scan), not of the generator child."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def expectation_sql(table: str, exp: dict) -> str:
    """The plain-SQL equivalent of one expectation: the offending rows' count."""
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
    else:
        raise ValueError(kind)
    return f"SELECT count(*) FROM {table} WHERE {cond}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, help="existing dataset directory (default: generate)")
    ap.add_argument("--profile", default="large")
    ap.add_argument("--patients", type=int, default=None)
    ap.add_argument("--rules", default=None, help="comma-separated rule ids/families")
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

        t0 = time.perf_counter()
        result = scan(data, work / "out", rules=selectors, formats="json,junit")
        scan_s = time.perf_counter() - t0
        rule_s = sum(r["seconds"] for r in result.rules)
        sql_rule_s = sum(r["seconds"] for r in result.rules if r["kind"] == "sql")

        wh = result.warehouse
        con = duckdb.connect(str(wh), read_only=True)
        rows = sum(
            con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in canonical_tables()
        )
        rules = {r.id: r for r in list_rules()}
        ran = [rules[r["rule_id"]] for r in result.rules if r["status"] in ("passed", "failed")]
        t = time.perf_counter()
        for rule in ran:
            if rule.kind == "sql":
                params = rule_params(rule, result.as_of)
                con.execute(rule.sql, bind_sql(rule.sql, params, rule.id)).fetchall()
        bare_s = time.perf_counter() - t
        t = time.perf_counter()
        for rule in ran:
            if rule.kind == "gx":
                for item in rule.expectation["items"]:
                    con.execute(expectation_sql(item["table"], item)).fetchall()
        gx_sql_s = time.perf_counter() - t
        con.close()

        from himaudit.scan.gx_duckdb import import_gx, run_gx_rules

        t = time.perf_counter()
        import_gx()
        gx_import_s = time.perf_counter() - t
        t = time.perf_counter()
        run_gx_rules(wh, [r for r in ran if r.kind == "gx"])
        gx_s = time.perf_counter() - t

        print(f"dataset: {data} ({rows:,} rows in canonical tables)")
        print(f"scan total (load + {len(result.rules)} rules + outputs): {scan_s:.1f} s, "
              f"{rows / scan_s:,.0f} rows/s; exit {int(result.exit_code)}, "
              f"{result.findings:,} findings")  # fmt: skip
        tm = result.summary["timings"]
        print(f"  load {tm['load_s']:.1f} s; GX stage {tm['gx_stage_s']:.1f} s (incl. import); "
              f"rules {rule_s:.1f} s (SQL rules {sql_rule_s:.1f} s)")  # fmt: skip
        print(f"SQL rules in the scan vs bare DuckDB: {sql_rule_s:.2f} s / {bare_s:.2f} s = "
              f"{sql_rule_s / max(bare_s, 1e-9):.2f}x (target <= 2x)")  # fmt: skip
        print(f"scan total vs bare SQL rules: {scan_s / max(bare_s, 1e-9):.2f}x (includes load)")
        print(f"GX validation {gx_s:.2f} s (+ import {gx_import_s:.1f} s) vs SQL equivalents "
              f"{gx_sql_s:.2f} s = {gx_s / max(gx_sql_s, 1e-9):.2f}x (target <= 1.5x)")  # fmt: skip
        print(f"peak RSS: {rss_gb():.2f} GB (target <= 4 GB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
