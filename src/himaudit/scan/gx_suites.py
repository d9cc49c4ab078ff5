"""Read the Great Expectations suites (``expectations/<table>.json``) as registry rules.

Plain JSON, no GX import: listing the catalogue must stay fast. Each expectation carries
``meta.rule_id`` (``DQ-1NN``) and ``meta.severity``; the file name names the table. Running
the suites is :mod:`himaudit.scan.gx_duckdb`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from himaudit.contract import load_contract
from himaudit.scan.rule import Rule, RuleDefinitionError, display_path, validate_meta

#: Kahn category implied by an expectation type, when meta does not say.
_KAHN_BY_TYPE = {
    "expect_column_values_to_not_be_null": "completeness",
    "expect_column_values_to_be_between": "plausibility",
    "expect_column_pair_values_a_to_be_greater_than_b": "plausibility",
}


def _title(table: str, exp: dict[str, Any]) -> str:
    kind = exp["type"].removeprefix("expect_").replace("_", " ")
    column = exp.get("kwargs", {}).get("column")
    return f"{table}.{column}: {kind}" if column else f"{table}: {kind}"


def load_suite(path: Path) -> dict[str, Any]:
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleDefinitionError(f"{display_path(path)}: not valid JSON ({err.msg})") from None
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise RuleDefinitionError(
            f'{display_path(path)}: expected {{"name": ..., "expectations": [...]}}'
        )
    return suite


def load_gx_rules(dirs: Sequence[Path], *, known_tables: set[str]) -> list[Rule]:
    contract = load_contract()
    rules: list[Rule] = []
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*.json")):
            table = path.stem
            source = display_path(path)
            if table not in known_tables:
                raise RuleDefinitionError(f"{source}: suite file must be named <table>.json")
            for i, exp in enumerate(load_suite(path)["expectations"]):
                meta = exp.get("meta") or {}
                where = f"{source} expectation {i} ({exp.get('type')})"
                if "rule_id" not in meta or "severity" not in meta:
                    raise RuleDefinitionError(f"{where}: meta needs rule_id and severity")
                category = meta.get("kahn_category") or _KAHN_BY_TYPE.get(
                    exp.get("type", ""), "conformance"
                )
                fields = validate_meta(
                    {
                        "id": meta["rule_id"],
                        "title": meta.get("title") or _title(table, exp),
                        "family": str(meta["rule_id"]).split("-")[0],
                        "severity": meta["severity"],
                        "kahn": {"category": category, "context": "verification"},
                        "tables": [table],
                        "record_table": table,
                        "record_key": ":".join(contract[table].key),
                        "citation": meta.get("citation") or "Kahn et al. 2016 DQ framework",
                        "description": meta.get("description") or _title(table, exp),
                    },
                    where,
                    known_tables=known_tables,
                )
                rules.append(Rule(**fields, kind="gx", source=source, expectation=exp))
    return rules
