"""Benchmark the ACC part at scale: access_log generation and the ACC rules' scan time.

    python benchmarks/bench_access.py --patients 1000000 --db /tmp/acc_large.duckdb

Builds the tables the access log depends on (patients, users, encounters, care_team) with
the project's builders, streams the clean access log (+ the ACC injectors' events of the
``large`` profile) into a DuckDB file chunk by chunk, then runs every ACC rule through the
engine's single-rule entry point. Prints seconds per step, rows, findings and peak RSS.
Not a timed test: run it by hand, once, on a quiet machine.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import time
from pathlib import Path

import duckdb


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="large")
    ap.add_argument("--patients", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--db", default="/tmp/himaudit_bench_access.duckdb")
    args = ap.parse_args()

    from himaudit.generate import registry
    from himaudit.generate.runner import new_context, resolve_profile
    from himaudit.generate.writer import to_contract
    from himaudit.load.warehouse import init_warehouse
    from himaudit.scan.registry import list_rules
    from himaudit.scan.runner import rule_params, run_rule, run_summary

    prof = resolve_profile(args.profile, args.patients)
    registry.discover = lambda: [  # only what the access log needs
        importlib.import_module(f"himaudit.generate.{m}")
        for m in (
            "tables.patients",
            "tables.users",
            "tables.encounters",
            "tables.access",
            "defects.acc",
        )
    ]
    import himaudit.generate.runner as runner

    runner.discover = registry.discover
    ctx = new_context(prof, args.seed)
    Path(args.db).unlink(missing_ok=True)
    con = duckdb.connect(args.db)
    init_warehouse(con, reference=False)
    t0 = time.perf_counter()
    for b in registry.build_order():
        tb = time.perf_counter()
        res = b.fn(ctx)
        rows = 0
        if hasattr(res, "height"):
            ctx.tables[b.table] = df = to_contract(b.table, res)
            chunks = [df]
        else:
            chunks = (to_contract(b.table, c) for c in res)
        for df in chunks:
            con.register("incoming", df.to_arrow())
            con.execute(f"INSERT INTO {b.table} SELECT * FROM incoming")
            con.unregister("incoming")
            rows += df.height
        print(f"build {b.table:12s} {rows:>11,} rows {time.perf_counter() - tb:7.1f} s")
    ti = time.perf_counter()
    injected = 0
    for rule_id in sorted(registry.INJECTORS):
        if prof.rate(rule_id) > 0:
            tj = time.perf_counter()
            k = len(registry.INJECTORS[rule_id].fn(ctx, prof.rate(rule_id)))
            injected += k
            print(f"inject {rule_id}  {k:>8,} defects {time.perf_counter() - tj:7.2f} s")
    for df in ctx.extra.get("access_log", []):
        con.register("incoming", to_contract("access_log", df).to_arrow())
        con.execute("INSERT INTO access_log SELECT * FROM incoming")
        con.unregister("incoming")
    print(f"inject ACC     {injected:>11,} defects {time.perf_counter() - ti:7.1f} s")
    print(f"generation total {time.perf_counter() - t0:.1f} s, peak RSS {_rss_mb():,.0f} MB")
    con.execute("CHECKPOINT")
    con.close()

    con = duckdb.connect(args.db, read_only=True)
    con.execute("SET memory_limit = '4GB'")
    total = time.perf_counter()
    for rule in [r for r in list_rules(gx=False) if r.family == "ACC"]:
        tr = time.perf_counter()
        out = run_rule(con, rule, prof.as_of)
        figures = run_summary(con, rule, rule_params(rule, prof.as_of))
        extra = f" {figures}" if figures else ""
        print(
            f"rule {rule.id} {out.num_rows:>8,} findings {time.perf_counter() - tr:6.1f} s{extra}"
        )
    print(f"ACC rules total {time.perf_counter() - total:.1f} s, peak RSS {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
