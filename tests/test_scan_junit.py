"""JUnit XML validates against the common (Jenkins junit-10.xsd) schema.

No XSD validator ships with the project, so the schema's constraints are encoded below as
data — element -> (allowed children, required attributes, allowed attributes) — and checked
recursively; the bad-document test proves the checker can fail.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from himaudit.scan.junit import junit_xml

_TEXT = ({}, set(), {"type", "message"})
# Structure of the Jenkins/Ant "junit-10.xsd" schema (element, children, required, allowed).
SCHEMA: dict[str, tuple[set[str], set[str], set[str]]] = {
    "testsuites": (
        {"testsuite"},
        set(),
        {"name", "time", "tests", "failures", "disabled", "errors"},
    ),
    "testsuite": (
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
        {"tests"},
        {
            "name",
            "tests",
            "failures",
            "errors",
            "time",
            "disabled",
            "skipped",
            "skips",
            "timestamp",
            "hostname",
            "id",
            "package",
            "assertions",
            "file",
            "skip",
            "log",
            "url",
        },
    ),  # fmt: skip
    "testcase": (
        {"skipped", "error", "failure", "system-out", "system-err"},
        {"name"},
        {
            "name",
            "assertions",
            "time",
            "timestamp",
            "classname",
            "status",
            "class",
            "file",
            "line",
            "log",
            "group",
            "url",
        },
    ),  # fmt: skip
    "failure": (set(), set(), {"type", "message"}),
    "error": (set(), set(), {"type", "message"}),
    "skipped": (set(), set(), {"type", "message"}),
    "properties": ({"property"}, set(), set()),
    "property": (set(), {"name", "value"}, {"name", "value"}),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}
_NUMERIC = {"tests", "failures", "errors", "skipped", "disabled", "time"}


def validate(el: ET.Element, path: str = "") -> list[str]:
    where = f"{path}/{el.tag}"
    if el.tag not in SCHEMA:
        return [f"{where}: element not in schema"]
    children, required, allowed = SCHEMA[el.tag]
    problems = [f"{where}: missing @{a}" for a in sorted(required - set(el.attrib))]
    problems += [f"{where}: unknown @{a}" for a in sorted(set(el.attrib) - allowed)]
    for a in _NUMERIC & set(el.attrib):
        try:
            float(el.attrib[a])
        except ValueError:
            problems.append(f"{where}: @{a}={el.attrib[a]!r} is not a number")
    for child in el:
        if child.tag not in children:
            problems.append(f"{where}: <{child.tag}> not allowed here")
        problems += validate(child, where)
    return problems


RESULTS = [
    {"rule_id": "DQ-010", "family": "DQ", "severity": "high", "status": "failed", "findings": 25,
     "seconds": 0.1, "title": "Orphan <encounter> & co"},
    {"rule_id": "DQ-030", "family": "DQ", "severity": "high", "status": "passed", "findings": 0,
     "seconds": 0.1, "title": "t"},
    {"rule_id": "DOC-001", "family": "DOC", "severity": "medium", "status": "not_applicable",
     "findings": 0, "seconds": 0.0, "title": "t"},
    {"rule_id": "ZZ-001", "family": "ZZ", "severity": "low", "status": "error", "findings": 0,
     "seconds": 0.0, "title": "t", "error": "BinderException: \"x\" not found"},
]  # fmt: skip


def test_junit_validates_and_counts() -> None:
    text = junit_xml(
        "run1", RESULTS, {"DQ-010": [f"E{i}" for i in range(20)]}, "2026-01-01T00:00:00"
    )
    root = ET.fromstring(text)
    assert validate(root) == []
    assert root.tag == "testsuites" and root.get("tests") == "4"
    assert (root.get("failures"), root.get("errors")) == ("1", "1")
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 4  # one testcase per rule
    failure = root.find("testsuite[@name='himaudit.DQ']/testcase/failure")
    assert failure is not None and "and 5 more" in (failure.text or "")
    assert root.find(".//skipped") is not None and root.find(".//error") is not None


def test_validator_can_fail() -> None:
    bad = ET.fromstring(
        '<testsuites><testsuite name="x"><testcase/><bogus/></testsuite></testsuites>'
    )
    problems = validate(bad)
    assert any("missing @tests" in p for p in problems)
    assert any("missing @name" in p for p in problems)
    assert any("<bogus> not allowed" in p for p in problems)


@pytest.mark.parametrize("status", ["passed", "failed", "error", "not_applicable"])
def test_each_status_is_valid(status: str) -> None:
    row = dict(RESULTS[0], status=status, error="boom")
    assert validate(ET.fromstring(junit_xml("r", [row], {}, "2026-01-01T00:00:00"))) == []
