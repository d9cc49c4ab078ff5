"""``scan()``: load the input, run every selected rule, store and write the findings.

Statuses follow OHDSI DQD: *passed*, *failed*, *not_applicable* (a table the rule reads was
not supplied or is empty) and *error* (the rule itself broke: recorded, and the scan goes on).
Exit codes (``himaudit.errors.ExitCode``): 3 if any rule errored, else 1 if a failed rule's
severity is at or above ``fail_on``, else 0.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from himaudit import __version__
from himaudit.contract import canonical_tables
from himaudit.errors import ExitCode, InputError
from himaudit.scan import history, prepare
from himaudit.scan.config import ScanConfig, check_severity, load_config, parse_formats
from himaudit.scan.derived import create_views
from himaudit.scan.outputs import write_findings, write_json
from himaudit.scan.registry import list_rules, ruleset_version, select_rules
from himaudit.scan.rule import SEVERITIES, Rule
from himaudit.scan.runner import as_timestamp, rule_params, run_rule, run_summary
from himaudit.scan.stages import apply_tolerance, prewarm_gx, run_gx_stage, run_views


@dataclass
class ScanResult:
    run_id: str
    out: Path
    warehouse: Path
    as_of: datetime
    exit_code: ExitCode
    rules: list[dict[str, Any]]
    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    comparison: history.Comparison | None = None

    @property
    def findings(self) -> int:
        return int(self.summary["counts"]["findings"])


def _error_text(err: BaseException) -> str:
    lines = [ln for ln in str(err).splitlines() if ln.strip()] or [type(err).__name__]
    return f"{type(err).__name__}: {lines[0]}"[:500]


def _select(cfg: ScanConfig, rules: list[str] | None, rules_dirs: Sequence[Path]) -> list[Rule]:
    registered = list_rules(
        [*cfg.rules_dirs, *rules_dirs], expectation_dirs=list(cfg.expectations_dirs)
    )
    chosen = select_rules(registered, rules)
    disabled = {d.upper() for d in cfg.disable}
    chosen = [r for r in chosen if r.id not in disabled and r.family not in disabled]
    for rule in chosen:  # a typo in himaudit.toml is a usage error, caught before any rule runs
        rule_params(rule, "2000-01-01", cfg.params.get(rule.id))
    return chosen


def _exit_code(results: list[dict[str, Any]], fail_on: str) -> ExitCode:
    if any(r["status"] == "error" for r in results):
        return ExitCode.RULE_ERROR
    floor = SEVERITIES.index(fail_on)
    if any(r["status"] == "failed" and SEVERITIES.index(r["severity"]) >= floor for r in results):
        return ExitCode.FINDINGS
    return ExitCode.OK


def scan(
    input: Path,
    out: Path,
    *,
    rules: list[str] | None = None,
    fail_on: str | None = None,
    formats: Sequence[str] | str | None = None,
    config: Path | None = None,
    as_of: datetime | str | None = None,
    rules_dirs: Sequence[Path | str] = (),
    compare: bool = False,
    report: bool = False,
    encoding: str | None = None,
) -> ScanResult:
    """Scan INPUT (table directory or .duckdb) into OUTDIR; see the module docstring."""
    import duckdb

    input, out = Path(input), Path(out)
    if not input.exists():
        raise InputError("INPUT does not exist", file=str(input))
    cfg = load_config(Path(config) if config else None)
    cfg.fail_on = check_severity(fail_on) if fail_on else cfg.fail_on
    cfg.formats = parse_formats(formats) if formats else cfg.formats
    selected = _select(cfg, rules, [Path(d) for d in rules_dirs])
    started = datetime.now().replace(microsecond=0)
    run_id = f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    gx_import = prewarm_gx(selected)  # overlaps the load
    t_load = time.perf_counter()
    wh = prepare.prepare_warehouse(input, out, encoding=encoding)
    timings = {"load_s": round(time.perf_counter() - t_load, 3)}

    con = duckdb.connect(str(wh))
    try:
        history.ensure_history(con)
        run_as_of = as_timestamp(
            as_of or prepare.manifest_as_of(input) or prepare.recorded_as_of(con) or started
        )
        supplied = prepare.supplied_tables(con, canonical_tables())
    finally:
        con.close()
    # GX opens its own read-only connection, so it runs while ours is closed.
    t_gx = time.perf_counter()
    if gx_import is not None:
        gx_import.join()  # usually finished during the load; counted in the GX stage if not
    gx_outcomes = run_gx_stage(wh, [r for r in selected if r.kind == "gx"], supplied)
    timings["gx_stage_s"] = round(time.perf_counter() - t_gx, 3)

    con = duckdb.connect(str(wh))
    con.execute(f"SET memory_limit = '{cfg.memory_limit}'")  # validated by check_memory
    results: list[dict[str, Any]] = []
    figures: dict[str, Any] = {}
    try:
        create_views(con)  # warehouse/derived/*.sql, before any rule (Python rules read them too)
        for rule in selected:
            row, params = _run_one(con, rule, run_id, run_as_of, cfg, supplied, gx_outcomes)
            history.insert_rule_result(con, {k: v for k, v in row.items() if k != "title"})
            results.append(row)
            if row["status"] in ("passed", "failed") and (rule.summary or rule.summary_sql):
                try:
                    figures[rule.id] = run_summary(con, rule, params)
                except Exception as err:  # noqa: BLE001 - a figure never sinks the scan
                    figures[rule.id] = {"error": _error_text(err)}
        view_errors = run_views(con)
        code = _exit_code(results, cfg.fail_on)
        summary = _summary(run_id, started, input, wh, run_as_of, cfg, selected, results, figures)
        summary["exit_code"] = int(code)
        timings["rules_s"] = round(sum(r["seconds"] for r in results), 3)
        summary["timings"] = timings
        if view_errors:
            summary["view_errors"] = view_errors
        history.insert_run(con, _run_row(summary, con, input, cfg))
        comparison = history.compare_runs(con, run_id) if compare else None
        if comparison is not None:
            summary["compare"] = comparison.as_dict()
        files = [write_findings(con, run_id, out, f) for f in cfg.formats if f != "junit"]
        if "junit" in cfg.formats:
            files.append(_write_junit(con, out, run_id, results, started))
    finally:
        con.close()
    files.append(write_json(out / "summary.json", summary))
    result = ScanResult(run_id, out, wh, run_as_of, code, results, summary, files, comparison)
    if report:
        from himaudit.report.html import render_report

        result.files.append(Path(render_report(out)))
    return result


def _run_one(
    con: Any,
    rule: Rule,
    run_id: str,
    as_of: datetime,
    cfg: ScanConfig,
    supplied: dict[str, int],
    gx_outcomes: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    row: dict[str, Any] = {
        "run_id": run_id, "rule_id": rule.id, "family": rule.family, "title": rule.title,
        "severity": rule.severity, "kind": rule.kind, "status": "passed", "findings": 0,
        "rows_checked": supplied.get(rule.record_table), "percent": None, "tolerance": None,
        "error": None, "seconds": 0.0,
    }  # fmt: skip
    params: dict[str, Any] = {}
    missing = rule.missing_tables(supplied)
    if missing:
        row["status"] = "not_applicable"
        row["error"] = f"not supplied or empty: {', '.join(missing)}"
        return row, params
    t0 = time.perf_counter()
    try:
        params = rule_params(rule, as_of, cfg.params.get(rule.id))
        if rule.kind == "gx":
            outcome = gx_outcomes.get(rule.id)
            if isinstance(outcome, BaseException):
                raise outcome
            findings = outcome
        else:
            findings = run_rule(con, rule, as_of, cfg.params.get(rule.id))
        if findings is not None and findings.num_rows:
            history.insert_findings(con, run_id, rule, findings)
            row["findings"] = findings.num_rows
    except Exception as err:  # noqa: BLE001 - a broken rule is reported, the scan goes on
        row["status"], row["error"] = "error", _error_text(err)
    row["seconds"] = round(time.perf_counter() - t0, 4)
    if row["status"] != "error":
        row.update(
            apply_tolerance(row["findings"], row["rows_checked"], cfg.tolerances.get(rule.id))
        )
    return row, params


def _summary(
    run_id: str,
    started: datetime,
    input: Path,
    wh: Path,
    as_of: datetime,
    cfg: ScanConfig,
    selected: list[Rule],
    results: list[dict[str, Any]],
    figures: dict[str, Any],
) -> dict[str, Any]:
    by_status = {s: 0 for s in ("passed", "failed", "not_applicable", "error")}
    by_severity = {s: 0 for s in SEVERITIES}
    by_family: dict[str, int] = {}
    for r in results:
        by_status[r["status"]] += 1
        by_severity[r["severity"]] += r["findings"]
        by_family[r["family"]] = by_family.get(r["family"], 0) + r["findings"]
    return {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": datetime.now().replace(microsecond=0).isoformat(),
        "input": str(input),
        "warehouse": str(wh),
        "as_of": as_of.isoformat(sep=" "),
        "himaudit_version": __version__,
        "ruleset_version": ruleset_version(selected),
        "fail_on": cfg.fail_on,
        "counts": {
            "findings": sum(r["findings"] for r in results),
            "rules": len(results),
            "by_status": by_status,
            "by_severity": by_severity,
            "by_family": dict(sorted(by_family.items())),
        },
        "rules": [
            {
                k: r[k]
                for k in (
                    "rule_id",
                    "family",
                    "severity",
                    "title",
                    "kind",
                    "status",
                    "findings",
                    "rows_checked",
                    "percent",
                    "error",
                    "seconds",
                )
            }
            for r in results
        ],  # fmt: skip
        "figures": figures,
    }


def _run_row(summary: dict[str, Any], con: Any, input: Path, cfg: ScanConfig) -> dict[str, Any]:
    return {
        "run_id": summary["run_id"],
        "started_at": summary["started_at"],
        "finished_at": summary["finished_at"],
        "as_of": summary["as_of"],
        "input": str(input.resolve()),
        "inputs": prepare.input_inventory(con, input),
        "config": cfg.as_dict(),
        "ruleset_version": summary["ruleset_version"],
        "himaudit_version": __version__,
        "rules_run": summary["counts"]["rules"],
        "findings": summary["counts"]["findings"],
        "counts": {k: summary["counts"][k] for k in ("by_status", "by_severity", "by_family")},
        "exit_code": summary["exit_code"],
    }


def _write_junit(
    con: Any, out: Path, run_id: str, results: list[dict[str, Any]], started: datetime
) -> Path:
    from himaudit.scan.junit import SAMPLE_KEYS, write_junit

    samples: dict[str, list[str]] = {}
    for rule_id, key in con.execute(
        "SELECT rule_id, record_key FROM audit.findings WHERE run_id = $r "
        "QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY record_key) <= $n "
        "ORDER BY rule_id, record_key",
        {"r": run_id, "n": SAMPLE_KEYS},
    ).fetchall():
        samples.setdefault(rule_id, []).append(key)
    return write_junit(out / "junit.xml", run_id, results, samples, started.isoformat())
