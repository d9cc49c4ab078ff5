"""Side-by-side comparison of probable duplicate patients (MPI pair/cluster findings).

An HIM merge reviewer decides "same person?" from the demographics next to each other.
Agreement is computed on the *raw* values, then the values are masked for display, so a
masked report still shows which fields agree, differ, or are merely similar (typo,
transposed day/month) without showing the PHI itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from himaudit.report.data import fetch_dicts, findings_filter, has_relation
from himaudit.report.phi import Masker

COMPARE_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "sex",
    "birth_date",
    "death_date",
    "ssn",
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "facility_id",
    "registered_at",
)


@dataclass
class FieldRow:
    field: str
    values: list[Any]
    agreement: str  # same | similar | differs | missing


@dataclass
class PairView:
    rule_id: str
    record_key: str
    mrns: list[str]
    message: str
    evidence: Any
    rows: list[FieldRow] = field(default_factory=list)


def _similar(field: str, a: str, b: str) -> bool:
    if field.endswith("_at"):
        return False  # registration times differ by design; only equality is informative
    if field.endswith("_date"):
        if len(a) == len(b) == 10 and a[:4] == b[:4] and (a[5:7], a[8:10]) == (b[8:10], b[5:7]):
            return True  # day and month swapped
        return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.8


def agreement(values: list[Any], field: str = "") -> str:
    present = [str(v).strip() for v in values if v not in (None, "")]
    if len(present) < len(values):
        return "missing"
    if len({p.lower() for p in present}) == 1:
        return "same"
    first = present[0]
    return "similar" if all(_similar(field, first, p) for p in present[1:]) else "differs"


def duplicate_pairs(
    con: Any, run_id: str | None, masker: Masker, cap: int
) -> tuple[list[PairView], int]:
    """MPI findings keyed by several MRNs (``mrnA|mrnB``), with each MRN's MPI row side by
    side. Returns (the first ``cap`` comparisons, total number of such findings)."""
    where, params = findings_filter(run_id)
    where = (where + " AND " if where else "WHERE ") + "family = 'MPI' AND record_key LIKE '%|%'"
    total = con.execute(f"SELECT count(*) FROM audit.findings {where}", params).fetchall()[0][0]
    findings = fetch_dicts(
        con,
        f"SELECT rule_id, record_key, message, evidence FROM audit.findings {where} "
        f"ORDER BY rule_id, record_key LIMIT {int(cap)}",
        params,
    )
    if not findings or not has_relation(con, "main", "patients"):
        return [], int(total)
    mrns = sorted({m for f in findings for m in f["record_key"].split("|")})
    cols = [c for c in COMPARE_FIELDS if c in _patient_columns(con)]
    people: dict[str, dict[str, Any]] = {}
    for row in fetch_dicts(
        con,
        f"SELECT mrn, {', '.join(cols)} FROM patients WHERE list_contains(?, mrn) ORDER BY mrn",
        [mrns],
    ):
        people.setdefault(row["mrn"], row)  # MPI-001 (same MRN twice): compare the first row
    views = []
    for f in findings:
        keys = f["record_key"].split("|")
        view = PairView(
            rule_id=f["rule_id"],
            record_key=f["record_key"],
            mrns=keys,
            message=masker.text(f["message"]),
            evidence=masker.evidence(f["evidence"]),
        )
        for col in cols:
            raw = [people.get(k, {}).get(col) for k in keys]
            view.rows.append(
                FieldRow(col, [masker.field(col, v) for v in raw], agreement(raw, col))
            )
        views.append(view)
    return views, int(total)


def _patient_columns(con: Any) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND table_name = 'patients'"
    ).fetchall()
    return {r[0] for r in rows}


def duplicate_rate(
    con: Any, run_id: str | None, figures: dict[str, Any], *, mpi_ran: bool
) -> tuple[float | None, str]:
    """The MPI duplicate error rate: the rule's published figure when there is one, else
    computed here as AHIMA defines it (MRNs in possible-duplicate sets ÷ MPI records).
    ``mpi_ran``: the duplicate rule ran, so zero pairs means a 0% rate, not "unknown"."""
    for key, value in figures.items():
        low = key.lower()
        if (
            "duplicate" in low
            and "rate" in low
            and "goal" not in low
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            rate = float(value) / 100 if ("pct" in low or "percent" in low) else float(value)
            return rate, f"Figure '{key}' published by the MPI rules."
    if not mpi_ran or not has_relation(con, "main", "patients"):
        return None, ""
    mpi = con.execute("SELECT count(DISTINCT mrn) FROM patients").fetchall()[0][0]
    if not mpi:
        return None, ""
    where, params = findings_filter(run_id)
    where = (where + " AND " if where else "WHERE ") + "family = 'MPI' AND record_key LIKE '%|%'"
    in_sets = con.execute(
        "SELECT count(DISTINCT m) FROM (SELECT unnest(string_split(record_key, '|')) AS m "
        f"FROM audit.findings {where})",
        params,
    ).fetchall()[0][0]
    return in_sets / mpi, (
        f"Computed by the report: {in_sets:,} MRNs in possible-duplicate sets ÷ {mpi:,} MPI "
        "records (AHIMA definition)."
    )
