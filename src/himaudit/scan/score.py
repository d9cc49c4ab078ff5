"""``score()``: precision, recall and F1 of findings against a generated answer key.

A finding matches a defect when (rule_id, record_key) are equal — the generator writes the
same key the rule returns. Findings may be a scan OUTDIR, a findings.{json,csv,parquet}
file, or a trainee's CSV with just ``rule_id,record_key`` columns (for grading exercises).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from himaudit.errors import InputError
from himaudit.scan.outputs import atomic_write_text

_READERS = {".parquet": "read_parquet", ".csv": "read_csv", ".json": "read_json"}


@dataclass(frozen=True)
class RuleScore:
    rule_id: str
    expected: int
    found: int
    true_positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "expected": self.expected,
            "found": self.found,
            "true_positives": self.true_positives,
            "false_positives": self.found - self.true_positives,
            "false_negatives": self.expected - self.true_positives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class ScoreResult:
    rules: list[RuleScore]
    overall: RuleScore
    findings_source: str
    answer_key_source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings_source,
            "answer_key": self.answer_key_source,
            "overall": self.overall.as_dict(),
            "rules": [r.as_dict() for r in self.rules],
        }


def _pick_file(path: Path, stems: Sequence[str]) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        for stem in stems:
            for suffix in (".parquet", ".json", ".csv"):
                if (path / f"{stem}{suffix}").is_file():
                    return path / f"{stem}{suffix}"
    raise InputError(f"no {' or '.join(stems)}.{{parquet,json,csv}} found", file=str(path))


def read_pairs(path: Path) -> set[tuple[str, str]]:
    """(rule_id, record_key) pairs from a Parquet/CSV/JSON file, read by DuckDB."""
    import duckdb

    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError("expected a .parquet, .csv or .json file", file=str(path))
    extra = ", all_varchar = true" if reader == "read_csv" else ""
    con = duckdb.connect()
    try:
        rel = con.sql(f"SELECT * FROM {reader}($p{extra})", params={"p": str(path)})
        cols = {c.lower(): c for c in rel.columns}
        if "rule_id" not in cols or "record_key" not in cols:
            raise InputError("needs columns rule_id and record_key", file=str(path))
        rows = con.execute(
            f'SELECT DISTINCT trim(CAST("{cols["rule_id"]}" AS VARCHAR)), '
            f'trim(CAST("{cols["record_key"]}" AS VARCHAR)) FROM {reader}($p{extra}) '
            f'WHERE "{cols["record_key"]}" IS NOT NULL',
            {"p": str(path)},
        ).fetchall()
    except duckdb.Error as err:
        raise InputError(f"cannot read: {str(err).splitlines()[0]}", file=str(path)) from None
    finally:
        con.close()
    return {(str(r).upper(), str(k)) for r, k in rows}


def _in_scope(rule_id: str, rules: Sequence[str] | None) -> bool:
    if not rules:
        return True
    wanted = {r.upper() for r in rules}
    return rule_id in wanted or rule_id.split("-")[0] in wanted


def score(
    findings: Path | str,
    answer_key: Path | str,
    *,
    out: Path | str | None = None,
    rules: Sequence[str] | None = None,
) -> ScoreResult:
    """Score findings against the answer key, per rule and overall (micro-averaged)."""
    f_path = _pick_file(Path(findings), ("findings",))
    k_path = _pick_file(Path(answer_key), ("answer_key",))
    found = {p for p in read_pairs(f_path) if _in_scope(p[0], rules)}
    expected = {p for p in read_pairs(k_path) if _in_scope(p[0], rules)}
    per_rule = []
    for rule_id in sorted({r for r, _ in found | expected}):
        f = {k for r, k in found if r == rule_id}
        e = {k for r, k in expected if r == rule_id}
        per_rule.append(RuleScore(rule_id, len(e), len(f), len(f & e)))
    overall = RuleScore("overall", len(expected), len(found), len(found & expected))
    result = ScoreResult(per_rule, overall, str(f_path), str(k_path))
    if out is not None:
        _write(Path(out), result)
    return result


def _write(path: Path, result: ScoreResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        rows = [r.as_dict() for r in [*result.rules, result.overall]]
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(path, buf.getvalue())
    else:
        atomic_write_text(path, json.dumps(result.as_dict(), indent=2) + "\n")
