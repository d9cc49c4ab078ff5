"""PHI masking: unit behaviour of the masker and the guarantee on real report outputs."""

from __future__ import annotations

import calendar
import csv
import json
import re
import shutil
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from himaudit.report.html import render_report
from himaudit.report.phi import Masker, mask_value, phi_kind
from himaudit.report.runlog import phi_reveals
from test_report_helpers import PATIENTS, USERS, demo_result, make_outdir


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("first_name", "name"),
        ("last_name_b", "name"),
        ("patient_name", "name"),
        ("name", "name"),
        ("ssn", "ssn"),
        ("ssn_a", "ssn"),
        ("home_phone", "phone"),
        ("address", "address"),
        ("city", "address"),
        ("zip", "zip"),
        ("table_name", None),
        ("rule_name", None),
        ("mrn", None),
        ("user_id", None),
        ("birth_date", None),
        ("state", None),
    ],
)
def test_phi_kind_by_column_name(column: str, kind: str | None) -> None:
    assert phi_kind(column) == kind


def test_mask_value_keeps_only_a_hint() -> None:
    assert mask_value("name", "Quimby") == "Q•••"
    assert mask_value("ssn", "912-34-5678") == "•••-••-5678"
    assert mask_value("phone", "555-201-3344") == "•••-•••-3344"
    assert mask_value("zip", "27501") == "275••"
    assert mask_value("address", "12 Elm St") == "•••"
    assert mask_value("name", None) is None


def test_text_scrub_removes_ssn_phone_and_known_names() -> None:
    masker = Masker(names=frozenset({"quimby", "jonathan"}))
    text = "Jonathan Quimby (SSN 912-34-5678, 912345678) called from 555-201-3344 re M00000001"
    out = masker.text(text)
    for secret in ("Jonathan", "Quimby", "912-34-5678", "912345678", "555-201-3344"):
        assert secret not in out
    assert "M00000001" in out  # MRNs are what the analyst needs
    # NPIs (10 digits) and ISO dates are not SSN- or phone-shaped
    assert masker.text("NPI 1234567893 on 2026-01-02") == "NPI 1234567893 on 2026-01-02"


def test_evidence_masked_by_key_recursively_and_shown_on_request() -> None:
    raw = json.dumps({"a": {"first_name": "Jonathan", "ssn": "912-34-5678"}, "n": 3})
    masked = json.loads(Masker().evidence(raw))
    assert masked == {"a": {"first_name": "J•••", "ssn": "•••-••-5678"}, "n": 3}
    assert Masker(show_phi=True).evidence(raw) == raw


def _default_outputs(outdir: Path) -> list[Path]:
    return [p for p in outdir.rglob("*") if p.suffix in {".html", ".csv", ".json"}]


def test_default_report_and_queues_carry_no_names_or_ssns(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "scan")
    render_report(outdir)
    secrets = {p[1] for p in PATIENTS} | {p[2] for p in PATIENTS} | {p[5] for p in PATIENTS}
    secrets |= {u[1] for u in USERS} | {u[2] for u in USERS} | {p[7] for p in PATIENTS}
    files = _default_outputs(outdir)
    assert any(p.name == "report.html" for p in files)
    assert sum(p.suffix == ".csv" for p in files) >= 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{path.name} leaks {leaked}"


def test_show_phi_reveals_and_is_recorded(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "scan")
    report = render_report(outdir, show_phi=True, out=tmp_path / "phi.html")
    html = report.read_text(encoding="utf-8")
    assert "Jonathon" in html and "912-34-5678" in html  # the pair comparison shows PHI
    assert 'content="shown"' in html
    summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
    assert summary["phi_shown"] is True
    assert summary["phi_reveals"][0]["output"].endswith("phi.html")
    con = duckdb.connect(str(outdir / "warehouse.duckdb"), read_only=True)
    try:
        assert len(phi_reveals(con)) == 1
    finally:
        con.close()
    # a later masked report keeps the record (sticky) and masks again
    html2 = render_report(outdir).read_text(encoding="utf-8")
    assert "Jonathon" not in html2
    assert "has been revealed 1 time(s) before" in html2
    assert json.loads((outdir / "summary.json").read_text(encoding="utf-8"))["phi_shown"]


def test_masked_pair_comparison_still_shows_agreement(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "scan")
    html = render_report(outdir).read_text(encoding="utf-8")
    pair = html[html.index('id="pair-1"') :]
    pair = pair[: pair.index("</table>")]
    assert "•••-••-5678" in pair  # masked SSN ...
    assert '<tr class="agree-same"><td>ssn</td>' in pair  # ... but agreement from raw values
    assert '<tr class="agree-similar"><td>first_name</td>' in pair  # Jonathan / Jonathon
    assert '<tr class="agree-similar"><td>birth_date</td>' in pair  # day/month swapped


def test_merge_review_csv_masks_evidence(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "scan")
    render_report(outdir)
    with (outdir / "work_queues" / "mpi_merge_review.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["mrns"] for r in rows] == ["M00000001|M00000002"]
    assert json.loads(rows[0]["evidence"])["ssn"] == "•••-••-5678"


def _input_people(warehouse: Path) -> tuple[set[str], set[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names: set[str] = set()
        for table, cols in (
            ("patients", ("first_name", "middle_name", "last_name")),
            ("users", ("first_name", "last_name")),
        ):
            for col in cols:
                rows = con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} <> ''")
                names |= {r[0] for r in rows.fetchall()}
        ssns = {r[0] for r in con.execute("SELECT DISTINCT ssn FROM patients").fetchall() if r[0]}
    finally:
        con.close()
    # initials (middle "B") and 2-letter names are masks' own first letters, not identifiers
    return {n for n in names if len(n) >= 3}, ssns


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Words the software itself writes that are also given names in the generator's pools
# (chart axes print month names; the template says "Key figures"): not data, not PHI.
_CALENDAR = set(calendar.month_name[1:]) | set(calendar.month_abbr[1:]) | set(calendar.day_name)
_OWN_TEXT = {
    w
    for f in resources.files("himaudit.report").joinpath("templates").iterdir()
    for w in _WORD.findall(f.read_text("utf-8"))
}


def _leaks(path: Path, names: set[str], ssns: set[str]) -> tuple[list[str], list[str]]:
    text = path.read_text(encoding="utf-8")
    words = set(_WORD.findall(text)) - _CALENDAR - _OWN_TEXT  # names as whole, cased words
    return sorted(names & words)[:10], sorted(s for s in ssns if s in text)[:10]


@pytest.mark.slow
def test_generated_scanned_reported_outputs_carry_no_names_or_ssns(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    demo = demo_result(tmp_path_factory.getbasetemp())
    names, ssns = _input_people(demo.scan_dir / "warehouse.duckdb")
    assert len(names) > 100 and len(ssns) > 100  # the check below has something to find
    # every output of the scan + report (the input dataset itself is PHI by nature)
    files = [p for p in demo.scan_dir.rglob("*") if p.suffix in {".html", ".csv", ".json", ".xml"}]
    assert {"report.html", "summary.json"} <= {p.name for p in files}
    for path in files:
        assert _leaks(path, names, ssns) == ([], []), path
    assert not re.search(r"\b9\d\d-\d\d-\d{4}\b", demo.output)  # terminal output too
    # The same check does fire on a --show-phi report (so it can fail): run it on a copy.
    copy = tmp_path / "scan"
    shutil.copytree(demo.scan_dir, copy)
    shown = render_report(copy, show_phi=True)
    leaked_names, leaked_ssns = _leaks(shown, names, ssns)
    assert leaked_names and leaked_ssns


def test_comparison_levels_under_phi_keys_are_kept_but_names_are_not() -> None:
    masker = Masker(names=frozenset({"john"}))
    raw = json.dumps(
        {
            "agree": {"first_name": "typo", "last_name": "exact_same_home"},
            "first_name": "john",
            "ssn": "exact",
        }
    )
    assert json.loads(masker.evidence(raw)) == {
        "agree": {"first_name": "typo", "last_name": "exact_same_home"},
        "first_name": "J•••",  # a lower-cased real name is still masked
        "ssn": "exact",
    }
