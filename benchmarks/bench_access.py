"""Benchmark the ACC part at scale: access_log generation and the ACC rules' scan time.

    python benchmarks/bench_access.py --patients 1000000 --db /tmp/acc_large.duckdb

Builds the tables the access log depends on (patients, users, encounters, care_team) with
the project's builders, streams the clean access log (+ the ACC injectors' events of the
``large`` profile) into a DuckDB file chunk by chunk, then runs every ACC rule through the
engine's single-rule entry point. Prints seconds and rows/s per builder, seconds per
injector, and per rule: findings, seconds, access events/s and peak RSS (the rules run
under the scan's 4 GB memory cap). ``--rules-only`` re-times the rules on an existing --db.
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
    ap.add_argument(
        "--rules-only", action="store_true", help="skip generation: time the rules on --db"
    )
    args = ap.parse_args()
    prof = _profile(args)
    if not args.rules_only:
        _generate(args, prof)
    _time_rules(args.db, prof.as_of)


def _profile(args: argparse.Namespace):  # noqa: ANN202 - a generator Profile
    from himaudit.generate.runner import resolve_profile

    return resolve_profile(args.profile, args.patients)


def _generate(args: argparse.Namespace, prof) -> None:  # noqa: ANN001

    from himaudit.generate import registry
    from himaudit.generate.runner import new_context
    from himaudit.generate.writer import to_contract
    from himaudit.load.warehouse import init_warehouse

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
        dt = time.perf_counter() - tb
        print(f"build {b.table:12s} {rows:>11,} rows {dt:7.1f} s {rows / dt:>12,.0f} rows/s")
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


def _time_rules(db: str, as_of) -> None:  # noqa: ANN001
    """Each ACC rule (and its run figure) through the engine's single-rule entry point, with
    the scan's 4 GB memory cap: seconds, access events per second and peak RSS so far."""
    from himaudit.scan.registry import list_rules
    from himaudit.scan.runner import rule_params, run_rule, run_summary

    con = duckdb.connect(db)  # writable: rules create the derived.* views they read
    con.execute("SET memory_limit = '4GB'")
    events = con.execute("SELECT count(*) FROM access_log").fetchall()[0][0]
    total = time.perf_counter()
    for rule in [r for r in list_rules(gx=False) if r.family == "ACC"]:
        tr = time.perf_counter()
        out = run_rule(con, rule, as_of)
        dt = time.perf_counter() - tr
        ts = time.perf_counter()
        figures = run_summary(con, rule, rule_params(rule, as_of))
        extra = f" + summary {time.perf_counter() - ts:.1f} s {figures}" if figures else ""
        print(
            f"rule {rule.id} {out.num_rows:>8,} findings {dt:6.1f} s "
            f"{events / dt:>12,.0f} events/s  RSS {_rss_mb():,.0f} MB{extra}"
        )
    dt = time.perf_counter() - total
    print(f"ACC rules total {dt:.1f} s over {events:,} events, peak RSS {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
