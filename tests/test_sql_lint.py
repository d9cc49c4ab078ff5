"""Every registered SQL rule passes the RULE-SQL.md lint, and the lint catches each idiom."""

from __future__ import annotations

import pytest

from himaudit.scan.registry import list_rules
from himaudit.scan.sql_lint import lint_sql

BAD_EXAMPLES = {
    "wall clock": "SELECT note_id FROM notes WHERE created_at > current_date",
    "now": "SELECT note_id FROM notes WHERE created_at > now()",
    "date minus date": "SELECT birth_date - death_date FROM patients",
    "cast date minus date": "SELECT a::DATE - b::DATE FROM t",
    "regexp first match": "SELECT regexp_replace(code, '\\.', '') FROM diagnoses",
    "mode": "SELECT mode(role) FROM users",
    "quantile": "SELECT quantile_cont(units, 0.9) FROM procedures",
    "first": "SELECT first(mrn) FROM patients",
    "any_value": "SELECT any_value(mrn) FROM patients",
    "ordered aggregate": "SELECT string_agg(mrn, '|' ORDER BY mrn) FROM patients",
    "ordered list": "SELECT list(mrn ORDER BY mrn) FROM patients",
    "star exclude": "SELECT * EXCLUDE (ssn) FROM patients",
    "star replace": "SELECT * REPLACE (upper(mrn) AS mrn) FROM patients",
    "dayofweek": "SELECT dayofweek(accessed_at) FROM access_log",
    "isodow": "SELECT isodow(accessed_at) FROM access_log",
    "extract dow": "SELECT extract(dow FROM accessed_at) FROM access_log",
    "jaro": "SELECT jaro_winkler_similarity(first_name, last_name) FROM users",
    "bare division": "SELECT count(*) / count(DISTINCT mrn) FROM access_log",
    "range interval": (
        "SELECT sum(1) OVER (ORDER BY accessed_at RANGE BETWEEN INTERVAL 30 DAY PRECEDING "
        "AND CURRENT ROW) FROM access_log"
    ),
    "lone timestamp window": (
        "SELECT row_number() OVER (PARTITION BY user_id ORDER BY accessed_at) FROM access_log"
    ),
}

GOOD_EXAMPLE = """
SELECT n.note_id AS record_key,
       date_diff('day', e.discharge_at::DATE, $as_of::DATE) AS days_open,
       count(*) / nullif(count(DISTINCT n.mrn), 0) AS ratio,
       floor((epoch(n.signed_at) - epoch(n.created_at)) / 3600) AS hours,
       regexp_replace(n.note_id, '[^0-9]', '', 'g') AS digits,
       array_to_string(list_sort(list(n.author_id)), ',') AS authors,
       row_number() OVER (PARTITION BY n.mrn ORDER BY n.created_at, n.note_id) AS rn,
       strftime(n.created_at, '%a') IN ('Sat', 'Sun') AS weekend,
       to_json(struct_pack(note_type := n.note_type)) AS evidence
FROM notes n JOIN encounters e ON e.encounter_id = n.encounter_id
WHERE n.signed_at > n.created_at + INTERVAL 30 DAY AND extract(year FROM n.created_at) > 2000
  AND 'current_date and now() in a string are fine' IS NOT NULL
GROUP BY ALL
"""


@pytest.mark.parametrize("name", sorted(BAD_EXAMPLES))
def test_lint_catches(name: str) -> None:
    assert lint_sql(BAD_EXAMPLES[name]), f"lint missed: {name}"


def test_lint_accepts_portable_sql() -> None:
    assert lint_sql(GOOD_EXAMPLE) == []


def test_jaro_allow_list() -> None:
    sql = BAD_EXAMPLES["jaro"]
    assert lint_sql(sql, "DQ-099") and not lint_sql(sql, "ACC-002")


def _sql_rules():
    return [r for r in list_rules(python=False, gx=False)]


@pytest.mark.parametrize("rule", _sql_rules(), ids=lambda r: r.id)
def test_rule_sql_is_portable(rule) -> None:
    problems = lint_sql(rule.sql or "", rule.id)
    if rule.summary_sql:
        problems += [f"summary: {p}" for p in lint_sql(rule.summary_sql, rule.id)]
    assert not problems, f"{rule.source}: " + "; ".join(problems)
