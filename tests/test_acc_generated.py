"""ACC rules against generated hospitals: clean data trips nothing, injected snooping is found.

Runs the real generator (every builder and injector) in memory, loads the tables into a
DuckDB warehouse, runs each ACC rule through the engine's single-rule entry point and
compares record keys with the answer key (which no rule ever reads).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import polars as pl
import pytest

from himaudit.generate.runner import build_hospital
from himaudit.generate.tables.access import identity_pairs
from himaudit.load.warehouse import init_warehouse
from himaudit.scan.registry import list_rules
from himaudit.scan.runner import rule_params, run_rule, run_summary

DETERMINISTIC = ("ACC-001", "ACC-002", "ACC-003", "ACC-004", "ACC-005", "ACC-009")
STATISTICAL = ("ACC-006", "ACC-007", "ACC-008")


def _scan(profile: str, seed: int) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, int, dict]:
    ctx = build_hospital(profile, seed)
    con = duckdb.connect()
    init_warehouse(con, reference=False)
    for name, df in ctx.tables.items():
        if name == "answer_key" or df.is_empty():
            continue
        con.register("incoming", df.to_arrow())
        cols = ", ".join(df.columns)
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM incoming")
        con.unregister("incoming")
    rules = [r for r in list_rules(gx=False) if r.family == "ACC"]
    found, figures = {}, {}
    for rule in rules:
        found[rule.id] = pl.from_arrow(run_rule(con, rule, ctx.profile.as_of))
        figures.update(run_summary(con, rule, rule_params(rule, ctx.profile.as_of)))
    con.close()
    return found, ctx.tables["answer_key"], ctx.tables["users"].height, figures


@pytest.fixture(scope="module")
def clean() -> tuple:
    return _scan("clean", 3)


def test_clean_hospital_trips_no_deterministic_acc_rule(clean: tuple) -> None:
    found, answer, _, _ = clean
    assert answer.filter(pl.col("rule_id").str.starts_with("ACC")).is_empty()
    for rule_id in DETERMINISTIC:
        assert found[rule_id].is_empty(), (rule_id, found[rule_id].head(3).to_dicts())


def test_clean_hospital_flags_under_a_thousandth_of_users_statistically(clean: tuple) -> None:
    found, _, n_users, _ = clean
    for rule_id in STATISTICAL:
        flagged = found[rule_id]["user_id"].n_unique() if found[rule_id].height else 0
        assert flagged <= n_users * 0.001, (rule_id, flagged, n_users)


def test_clean_hospital_explains_every_access(clean: tuple) -> None:
    figures = clean[3]
    assert figures["access_events"] > 1000
    assert figures["access_explained_share"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["training-basic", "training-advanced"])
def test_training_profiles_are_found_exactly(profile: str) -> None:
    found, answer, _, _ = _scan(profile, 11)
    for rule_id in DETERMINISTIC + STATISTICAL:
        truth = set(answer.filter(pl.col("rule_id") == rule_id)["record_key"])
        got = set(found[rule_id]["record_key"]) if found[rule_id].height else set()
        assert truth, f"{profile}: injector planted no {rule_id}"
        tp = len(truth & got)
        precision, recall = tp / max(len(got), 1), tp / len(truth)
        if rule_id in DETERMINISTIC:
            assert precision >= 0.99 and recall >= 0.99, (rule_id, got - truth, truth - got)
        else:
            f1 = 2 * precision * recall / max(precision + recall, 1e-9)
            assert f1 >= 0.9, (rule_id, got - truth, truth - got)


def test_generated_identity_links_exist_for_self_and_family_snoops() -> None:
    """The users builder copies ~5% of employees into the MPI; our linkage must see them."""
    ctx = build_hospital("training-basic", 5)
    kinds = set(identity_pairs(ctx)["kind"])
    assert "self" in kinds


def test_findings_carry_who_whom_when_what_why_and_no_phi() -> None:
    ctx_found, *_ = _scan("training-basic", 2)
    ctx = build_hospital("training-basic", 2)
    phi = set(ctx.tables["users"]["address"]) | set(ctx.tables["patients"]["address"])
    phi |= set(ctx.tables["patients"]["phone"]) | set(ctx.tables["users"]["phone"])
    for rule_id, df in ctx_found.items():
        for raw in df["evidence"].to_list() if df.height else []:
            ev = json.loads(raw)
            assert not {"first_name", "last_name", "address", "phone", "birth_date"} & set(ev)
            assert {"user_id", "role", "why"} <= set(ev), (rule_id, ev)
            assert ("mrn" in ev and "accessed_at" in ev and "action" in ev) or "day" in ev
            assert not any(str(v) in phi for v in ev.values()), (rule_id, ev)


def test_same_seed_plants_the_same_access_defects() -> None:
    """Injectors sample from order-preserving frames: the same seed gives the same events."""
    runs = []
    for _ in range(2):
        ctx = build_hospital("training-advanced", 7)
        answer = ctx.tables["answer_key"].filter(pl.col("rule_id").str.starts_with("ACC"))
        runs.append((answer.sort("rule_id", "record_key"), ctx.tables["access_log"]))
    assert runs[0][0].height > 0
    assert runs[0][0].equals(runs[1][0])
    assert runs[0][1].equals(runs[1][1])


def test_statistical_defects_fall_inside_the_review_window() -> None:
    """ACC-006/007/008 judge only the trailing lookback (365 d before as_of): their injected
    events must be there, or the rules could never find them."""
    ctx = build_hospital("training-basic", 11)
    answer = ctx.tables["answer_key"].filter(pl.col("rule_id").is_in(STATISTICAL))
    log = ctx.tables["access_log"]
    as_of = datetime.combine(ctx.profile.as_of, datetime.min.time())
    planted = log.filter(pl.col("event_id").str.contains(r"^A90[678]"))
    assert answer.height > 0 and planted.height > 0
    assert planted["accessed_at"].min() >= as_of - timedelta(days=365)
