"""The rule registry refuses malformed rules with one clear line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from himaudit.errors import UsageError
from himaudit.scan.registry import list_rules, select_rules
from himaudit.scan.rule import SEVERITIES, RuleDefinitionError

GOOD_HEADER = """/*---
id: ZZ-001
title: Test rule
family: ZZ
severity: low
kahn: {category: conformance, context: verification}
tables: [notes]
record_table: notes
record_key: note_id
citation: "none"
thresholds: {grace_hours: 2}
description: A test rule.
---*/
SELECT note_id AS record_key FROM notes
"""


def _write(tmp_path: Path, rel: str, text: str) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path):
    return list_rules([tmp_path], builtin=False, python=False, gx=False)


def test_good_rule_is_registered(tmp_path: Path) -> None:
    _write(tmp_path, "zz/ZZ-001.sql", GOOD_HEADER)
    (rule,) = _load(tmp_path)
    assert (rule.id, rule.family, rule.tables, rule.thresholds) == (
        "ZZ-001",
        "ZZ",
        ("notes",),
        {"grace_hours": 2},
    )
    assert rule.sql == "SELECT note_id AS record_key FROM notes"


@pytest.mark.parametrize(
    ("rel", "edit", "message"),
    [
        ("zz/ZZ-002.sql", ("x", "x"), "named ZZ-002 but declares id ZZ-001"),
        ("qq/ZZ-001.sql", ("x", "x"), "lives in checks/zz/"),
        ("zz/ZZ-001.sql", ("severity: low", "severity: severe"), "severity 'severe'"),
        ("zz/ZZ-001.sql", ("context: verification", "context: guess"), "kahn must be"),
        ("zz/ZZ-001.sql", ("tables: [notes]", "tables: [notez]"), "'notez' is not in the contract"),
        ("zz/ZZ-001.sql", ("record_table: notes", "record_table: x"), "record_table 'x'"),
        ("zz/ZZ-001.sql", ('citation: "none"\n', ""), "missing key(s) citation"),
        ("zz/ZZ-001.sql", ("family: ZZ", "family: QQ"), "does not match the id prefix"),
        ("zz/ZZ-001.sql", ("id: ZZ-001", "id: ZZ-1"), "not of the form FAMILY-NNN"),
        ("zz/ZZ-001.sql", ("/*---", "/* header"), "no metadata header"),
        ("zz/ZZ-001.sql", ("title: Test rule", "title: [unclosed"), "not valid YAML"),
        (
            "zz/ZZ-001.sql",
            ("tables: [notes]", "tables: [notes]\nowner: me"),
            "unknown key(s) owner",
        ),
        ("zz/bad-name.sql", ("x", "x"), "named <RULE-ID>.sql"),
    ],
)
def test_malformed_rule_refused(
    tmp_path: Path, rel: str, edit: tuple[str, str], message: str
) -> None:
    _write(tmp_path, rel, GOOD_HEADER.replace(*edit))
    with pytest.raises(RuleDefinitionError) as info:
        _load(tmp_path)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert Path(rel).name in text  # names the file


def test_duplicate_id_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a/zz/ZZ-001.sql", GOOD_HEADER)
    _write(tmp_path, "b/zz/ZZ-001.sql", GOOD_HEADER)
    with pytest.raises(RuleDefinitionError, match="already defined"):
        list_rules([tmp_path / "a", tmp_path / "b"], builtin=False, python=False, gx=False)


def test_summary_sql_is_attached_not_a_rule(tmp_path: Path) -> None:
    _write(tmp_path, "zz/ZZ-001.sql", GOOD_HEADER)
    _write(tmp_path, "zz/ZZ-001.summary.sql", "SELECT 1 AS n;")
    (rule,) = _load(tmp_path)
    assert rule.summary_sql == "SELECT 1 AS n"


def test_builtin_catalogue_is_valid() -> None:
    rules = list_rules()
    assert rules, "no rules registered"
    assert all(r.severity in SEVERITIES for r in rules)
    assert [r.id for r in rules] == sorted(r.id for r in rules)


def test_select_by_id_and_family() -> None:
    rules = list_rules(python=False, gx=False)
    assert {r.family for r in select_rules(rules, ["dq"])} == {"DQ"}
    assert [r.id for r in select_rules(rules, ["DQ-030"])] == ["DQ-030"]
    with pytest.raises(UsageError, match="unknown rule or family NOPE-001"):
        select_rules(rules, ["NOPE-001"])


def test_rules_doc_in_sync() -> None:
    """docs/rules.md is generated from the registry; regenerate it when a rule changes."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    res = subprocess.run(
        [sys.executable, str(root / "scripts" / "gen_rules_doc.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
