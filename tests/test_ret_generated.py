"""Round trip for the RET family, and the generator's retention end agreeing with the rules'
at the boundary (a destruction at the end passes, one second earlier is RET-001)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from himaudit.generate.tables.retention import retention_ends
from test_roi_generated import scan_hospital  # same tests/ directory (rootdir on sys.path)

RET_RULES = [f"RET-00{i}" for i in range(1, 6)]


def test_clean_retention_trips_no_ret_rule() -> None:
    found, _, con = scan_hospital("clean", 3, 800, {})
    assert {r: k for r, k in found.items() if r.startswith("RET") and k} == {}
    destroyed = con.execute(
        "SELECT count(*) FROM record_inventory WHERE destroyed_at IS NOT NULL"
    ).fetchall()[0][0]
    assert destroyed > 0, "clean data should already hold destroyed records to audit"


@pytest.mark.parametrize("profile", ["training-basic", "training-advanced"])
def test_every_planted_ret_defect_is_found_exactly(profile: str) -> None:
    found, expected, _ = scan_hospital(profile, 5, 1500, {r: 4 for r in RET_RULES})
    for rule in RET_RULES:
        assert len(expected.get(rule, ())) >= 4, f"{rule}: planted only {expected.get(rule)}"
        assert found[rule] == expected[rule], f"{rule}: found {found[rule]} != {expected[rule]}"


def test_retention_end_minor_rule_and_default_fallback() -> None:
    inv = pl.DataFrame(
        {
            "record_id": ["R1", "R2", "R3"],
            "mrn": ["M1", "M2", "M3"],
            "facility_state": ["TX", "OH", "NC"],
            "record_type": ["medical_record"] * 3,
            "last_activity_at": [datetime(2010, 1, 10, 8), datetime(2012, 2, 29, 9), None],
        }
    )
    pats = pl.DataFrame(
        {"mrn": ["M1", "M2", "M3"], "birth_date": [date(2005, 6, 1), date(1960, 1, 1), None]}
    )
    out = retention_ends(inv, pats)
    assert out["retention_end"].to_list() == [
        datetime(2025, 6, 1),  # TX minor: age 20 is later than 10 years
        datetime(2022, 2, 28, 9),  # DEFAULT 10 years; 29 February clamps like the rule
        None,
    ]
    assert out["minor_rule"].to_list()[:2] == [True, False]
