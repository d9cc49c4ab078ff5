"""JUnit XML validates against the common JUnit schema (tests/schemas/junit.xsd, the
structure Jenkins' xUnit "junit-10" schema accepts), with a real XSD validator
(xmlschema): documents built from every rule status, and the junit.xml of a real scan."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from himaudit.scan.engine import scan
from himaudit.scan.junit import junit_xml

SCHEMA = xmlschema.XMLSchema10(Path(__file__).parent / "schemas" / "junit.xsd")

RESULTS = [
    {"rule_id": "DQ-010", "family": "DQ", "severity": "high", "status": "failed", "findings": 25,
     "seconds": 0.1, "title": "Orphan <encounter> & co"},
    {"rule_id": "DQ-030", "family": "DQ", "severity": "high", "status": "passed", "findings": 0,
     "seconds": 1234.5, "title": "t"},
    {"rule_id": "DOC-001", "family": "DOC", "severity": "medium", "status": "not_applicable",
     "findings": 0, "seconds": 0.0, "title": "t"},
    {"rule_id": "ZZ-001", "family": "ZZ", "severity": "low", "status": "error", "findings": 0,
     "seconds": 0.0, "title": "t", "error": "BinderException: \"x\" not found"},
]  # fmt: skip


def problems(text: str) -> list[str]:
    return [str(e.reason) for e in SCHEMA.iter_errors(text)]


def test_junit_validates_and_counts() -> None:
    text = junit_xml(
        "run1", RESULTS, {"DQ-010": [f"E{i}" for i in range(20)]}, "2026-01-01T00:00:00"
    )
    assert problems(text) == []
    root = ET.fromstring(text)
    assert root.tag == "testsuites" and root.get("tests") == "4"
    assert (root.get("failures"), root.get("errors")) == ("1", "1")
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 4  # one testcase per rule
    failure = root.find("testsuite[@name='himaudit.DQ']/testcase/failure")
    assert failure is not None and "and 5 more" in (failure.text or "")
    assert root.find(".//skipped") is not None and root.find(".//error") is not None


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('<testsuites><testsuite name="x" failures="0" errors="0"/></testsuites>', "tests"),
        ('<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase/>'
         "</testsuite></testsuites>", "name"),
        ('<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><bogus/>'
         "</testsuite></testsuites>", "bogus"),
        ('<testsuites time="ten"/>', "ten"),
        ('<testsuites skipped="1"/>', "skipped"),
        ("<results/>", "results"),
    ],
)  # fmt: skip
def test_schema_rejects_bad_documents(document: str, reason: str) -> None:
    found = problems(document)
    assert found and any(reason in p for p in found), found


@pytest.mark.parametrize("status", ["passed", "failed", "error", "not_applicable"])
def test_each_status_is_valid(status: str) -> None:
    row = dict(RESULTS[0], status=status, error="boom")
    assert problems(junit_xml("r", [row], {}, "2026-01-01T00:00:00")) == []


def test_real_scan_junit_is_valid(tmp_path: Path, broken_rules_dir: Path) -> None:
    """A scan with failed, passed, not-applicable and errored rules writes a valid file."""
    import duckdb

    from himaudit.load.warehouse import init_warehouse

    wh = tmp_path / "in.duckdb"
    con = duckdb.connect(str(wh))
    init_warehouse(con)
    con.execute(
        "INSERT INTO patients (mrn, first_name, last_name, sex, birth_date) VALUES "
        "('M00000001', 'Ann', 'Lee', 'F', DATE '1980-01-01')"
    )
    con.execute(
        "INSERT INTO encounters (encounter_id, mrn, encounter_class, admit_at, discharge_at) "
        "VALUES ('E1', 'M00000001', 'outpatient', TIMESTAMP '2025-02-01 09:00', "
        "TIMESTAMP '2025-02-01 08:00')"
    )
    con.close()
    out = tmp_path / "out"
    result = scan(
        wh, out, as_of="2026-01-01 00:00:00", rules=["DQ", "DOC-001", "ZZ-001"],
        rules_dirs=[broken_rules_dir], formats="junit",
    )  # fmt: skip
    statuses = {r["status"] for r in result.rules}
    assert {"failed", "passed", "not_applicable", "error"} <= statuses
    text = (out / "junit.xml").read_text()
    assert problems(text) == []
    assert len(ET.fromstring(text).findall(".//testcase")) == len(result.rules)
