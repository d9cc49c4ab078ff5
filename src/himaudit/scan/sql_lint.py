"""Lint rule SQL for the idioms RULE-SQL.md forbids (they give different findings on Spark
or depend on the wall clock). Parses with SQLGlot's DuckDB dialect and walks the tree, so a
forbidden idiom inside a string literal or comment is never a false alarm.

Used by ``tests/test_sql_lint.py`` over every registered SQL rule and by
``tests/test_derived.py`` over every ``warehouse/derived/*.sql`` view; rule authors can run
``python -m himaudit.scan.sql_lint warehouse/checks/doc/DOC-001.sql warehouse/derived/*.sql``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import sqlglot
from sqlglot import exp

#: Rules allowed to call jaro_winkler_similarity (the Spark engine will need a shim).
JARO_WINKLER_ALLOWED: frozenset[str] = frozenset({"ACC-002", "ACC-003"})
#: extract() parts with the same meaning on DuckDB and Spark.
_SAFE_EXTRACT = {"year", "month", "day", "hour", "minute"}
_WALL_CLOCK = {"now", "today", "get_current_timestamp", "current_localtimestamp"}
_FORBIDDEN_AGG = (exp.Mode, exp.PercentileCont, exp.PercentileDisc, exp.ApproxQuantile)
_FORBIDDEN_AGG += (exp.Quantile, exp.First, exp.AnyValue, exp.Last)
_DATEISH_TYPES = {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP}
_ORDER_SENSITIVE_WINDOWS = (exp.RowNumber, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue)


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _is_dateish(node: exp.Expression) -> bool:
    """A DATE/TIMESTAMP operand as far as syntax shows: casts, *_date/*_at columns, $as_of."""
    node = _unwrap(node)
    if isinstance(node, exp.Cast | exp.TryCast):
        return node.to.this in _DATEISH_TYPES
    if isinstance(node, exp.Column):
        return node.name.endswith(("_date", "_at"))
    if isinstance(node, exp.Placeholder):
        return node.name == "as_of"
    return isinstance(node, exp.CurrentDate | exp.CurrentTimestamp)


def _safe_divisor(node: exp.Expression) -> bool:
    node = _unwrap(node)
    if isinstance(node, exp.Cast | exp.TryCast):
        node = _unwrap(node.this)
    if isinstance(node, exp.Nullif):
        return True
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this) != 0.0
        except ValueError:
            return False
    return False


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def lint_sql(sql: str, rule_id: str = "") -> list[str]:
    """Return one message per forbidden idiom found (empty list = clean)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except sqlglot.errors.SqlglotError as err:  # ParseError, TokenError, ...
        return [f"does not parse as DuckDB SQL: {str(err).splitlines()[0]}"]
    problems: list[str] = []
    for tree in trees:
        for node in tree.walk():
            problems.extend(_check(node, rule_id))
    return sorted(set(problems))


def _check(node: exp.Expression, rule_id: str) -> Iterable[str]:
    name = _function_name(node)
    if isinstance(node, exp.CurrentDate | exp.CurrentTimestamp | exp.CurrentTime) or (
        name in _WALL_CLOCK
    ):
        yield "wall clock (current_date/now()): use $as_of"
    if isinstance(node, exp.Sub) and _is_dateish(node.this) and _is_dateish(node.expression):
        yield "DATE - DATE: use date_diff('day', a::DATE, b::DATE)"
    if isinstance(node, exp.RegexpReplace):
        mods = node.args.get("modifiers")
        if mods is None or "g" not in str(mods.this):
            yield "regexp_replace without 'g' (first match only here, all matches on Spark)"
    if isinstance(node, _FORBIDDEN_AGG) or name in {"mode", "quantile", "first", "any_value"}:
        yield f"{name or type(node).__name__.lower()}(): ties/semantics differ; use a Python rule"
    if isinstance(node, exp.Order) and isinstance(node.parent, exp.AggFunc):
        yield "ORDER BY inside an aggregate (dropped on transpile): use list_sort(list(x))"
    if isinstance(node, exp.WithinGroup):
        yield "WITHIN GROUP (ORDER BY ...) aggregate: not portable"
    if isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("replace")):
        yield "* EXCLUDE / REPLACE: list the columns"
    if isinstance(node, exp.DayOfWeek | exp.DayOfWeekIso) or name in {"dayofweek", "isodow"}:
        yield "dayofweek/isodow: use strftime(ts, '%a') IN ('Sat', 'Sun')"
    if isinstance(node, exp.Extract) and node.this.name.lower() not in _SAFE_EXTRACT:
        yield f"extract({node.this.name}): only year, month, day, hour, minute"
    if name == "date_part":
        yield "date_part(): use extract(year|month|day|hour|minute FROM x)"
    if (
        isinstance(node, exp.JarowinklerSimilarity) or "jaro" in name
    ) and rule_id not in JARO_WINKLER_ALLOWED:
        yield "jaro_winkler_similarity: not on Spark (allow-list in himaudit.scan.sql_lint)"
    if isinstance(node, exp.Div) and not _safe_divisor(node.expression):
        yield "division without nullif(divisor, 0)"
    frame_bounds = (node.args.get("start"), node.args.get("end"))
    if (
        isinstance(node, exp.WindowSpec)
        and str(node.args.get("kind", "")).upper() == "RANGE"
        and any(isinstance(b, exp.Interval) for b in frame_bounds)
    ):
        yield "INTERVAL RANGE frame: use integer day numbers"
    if isinstance(node, exp.Window) and isinstance(node.this, _ORDER_SENSITIVE_WINDOWS):
        order = node.args.get("order")
        keys = order.expressions if order is not None else []
        if len(keys) == 1 and _is_dateish(keys[0].this):
            yield "window ORDER BY a lone timestamp: add a unique tie-breaker key"


def main(argv: list[str] | None = None) -> int:
    from himaudit.scan.registry import parse_sql_rule

    bad = 0
    for arg in argv if argv is not None else sys.argv[1:]:
        path = Path(arg)
        if path.parent.name == "derived":  # warehouse/derived/<view>.sql: no header, no id
            sql, rule_id = path.read_text(encoding="utf-8"), ""
        else:
            rule = parse_sql_rule(path)
            sql, rule_id = rule.sql or "", rule.id
        for problem in lint_sql(sql, rule_id):
            print(f"{arg}: {problem}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
