"""Read the Great Expectations suites (``expectations/<table>.json``) as registry rules.

Plain JSON, no GX import: listing the catalogue must stay fast. Each expectation carries
``meta.rule_id`` (``DQ-1NN``) and ``meta.severity``; the file name names the table, and
``_rules.json`` gives each rule id its title, description, citation and Kahn category. Running
the suites is :mod:`himaudit.scan.gx_duckdb`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from himaudit.scan.rule import ANY_TABLE, Rule, RuleDefinitionError, display_path, validate_meta

RULES_FILE = "_rules.json"  # rule id -> title, description, citation, kahn_category


def load_suite(path: Path) -> dict[str, Any]:
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleDefinitionError(f"{display_path(path)}: not valid JSON ({err.msg})") from None
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations", {}), list):
        raise RuleDefinitionError(
            f'{display_path(path)}: expected {{"name": ..., "expectations": [...]}}'
        )
    return suite


def load_gx_rules(dirs: Sequence[Path], *, known_tables: set[str]) -> list[Rule]:
    """One Rule per ``meta.rule_id``; a rule may span expectations on several tables
    (DQ-101 "required field is empty" covers every table's required columns)."""
    infos: dict[str, dict[str, Any]] = {}
    items: dict[str, list[dict[str, Any]]] = {}
    severities: dict[str, str] = {}
    sources: dict[str, str] = {}
    for root in dirs:
        if not root.is_dir():
            continue
        if (root / RULES_FILE).is_file():
            infos.update(load_suite_meta(root / RULES_FILE))
        for path in sorted(root.glob("*.json")):
            if path.name == RULES_FILE:
                continue
            table, source = path.stem, display_path(path)
            if table not in known_tables:
                raise RuleDefinitionError(f"{source}: suite file must be named <table>.json")
            for i, exp in enumerate(load_suite(path)["expectations"]):
                meta = exp.get("meta") or {}
                where = f"{source} expectation {i} ({exp.get('type')})"
                if "rule_id" not in meta or "severity" not in meta:
                    raise RuleDefinitionError(f"{where}: meta needs rule_id and severity")
                rule_id = str(meta["rule_id"])
                if severities.setdefault(rule_id, meta["severity"]) != meta["severity"]:
                    raise RuleDefinitionError(f"{where}: {rule_id} has two severities")
                sources.setdefault(rule_id, source)
                items.setdefault(rule_id, []).append({"table": table, **exp})
    rules = []
    for rule_id, exps in sorted(items.items()):
        info = infos.get(rule_id)
        if info is None:
            raise RuleDefinitionError(
                f"{sources[rule_id]}: {rule_id} is not described in {RULES_FILE}"
            )
        tables = sorted({e["table"] for e in exps})
        fields = validate_meta(
            {
                "id": rule_id,
                "title": info.get("title"),
                "family": rule_id.split("-")[0],
                "severity": severities[rule_id],
                "kahn": {"category": info.get("kahn_category"), "context": "verification"},
                "tables": tables,
                "applies_when": "any",
                "record_table": tables[0] if len(tables) == 1 else ANY_TABLE,
                "record_key": "the row's own key (see the contract)",
                "citation": info.get("citation"),
                "description": info.get("description"),
            },
            f"{RULES_FILE} {rule_id}",
            known_tables=known_tables,
        )
        rules.append(
            Rule(**fields, kind="gx", source=sources[rule_id], expectation={"items": exps})
        )
    return rules


def load_suite_meta(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleDefinitionError(f"{display_path(path)}: not valid JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise RuleDefinitionError(f"{display_path(path)}: expected {{rule_id: {{title, ...}}}}")
    return data
