"""The Fellegi–Sunter model for duplicate patients: comparisons, blocking, default priors.

Design choices (each fixes a failure measured on MPIs with households, twins, juniors):

* **Residence counts once.** Household members share surname, address and phone. Scoring
  surname, address, zip, phone and city as independent agreements multiplies one fact
  ("lives together") into ~40 bits and links whole families. So the surname comparison's
  top level is "same surname at the same home" (its u, from random pairs, is about
  1/household-count — the joint rate, not a product of marginals), and the household
  comparison (address/phone/zip/city as *one* comparison) only speaks when the surnames
  differ — a married-name change after a move, or a surname typo.
* **Birth dates a generation apart** get their own level, so the model learns that
  juniors/seniors (same name, same home) are strong non-matches; typos (one digit,
  swapped day/month) have their own agreeing levels and are tested first.
* **Given names** accept nicknames (reference list), first/middle swaps, typos (Jaro-Winkler)
  and Soundex, so that "else" really means a different person (twins, siblings).

Every level has a default m/u prior (used only when the MPI is too small to train, e.g.
the rule-case harness); normally u is re-estimated by random sampling and m by EM.
"""

from __future__ import annotations

from typing import Any

# (label, SQL condition, default m, default u). The first tuple of each comparison is the
# null level ("cannot compare"); the last is ELSE. Labels appear in findings' evidence.
Level = tuple[str, str, float | None, float | None]


def _jw(col: str, t: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {t}"


def _keying_error(col: str) -> str:
    """One keystroke (Damerau-Levenshtein <= 1) that leaves the initial alone. Rhyming names
    that twins get (Mason/Jason, Ava/Eva, Jaden/Jaylen) differ in the initial or by two
    edits; clerks' typos rarely hit the first letter (it is read back with the name)."""
    return (
        f"CASE WHEN left({col}_l, 1) = left({col}_r, 1) AND length({col}_l) >= 3 "
        f"AND abs(length({col}_l) - length({col}_r)) <= 1 "
        f"THEN damerau_levenshtein({col}_l, {col}_r) <= 1 ELSE false END"
    )


def _one_edit(col: str, head: int, tail: int) -> str:
    """Damerau-Levenshtein <= 1 on a fixed-width string, computed only when the first
    ``head`` or last ``tail`` characters agree (head + tail = width - 1, so one edit or
    adjacent transposition always leaves one of them intact). Damerau-Levenshtein costs
    ~1.4 us per pair in DuckDB; the guard skips it for ~99% of random pairs."""
    return (
        f"CASE WHEN left({col}_l, {head}) = left({col}_r, {head}) "
        f"OR right({col}_l, {tail}) = right({col}_r, {tail}) "
        f"THEN damerau_levenshtein({col}_l, {col}_r) <= 1 ELSE false END"
    )


_SAME_HOME = "(address_l = address_r OR phone_l = phone_r)"

COMPARISONS: dict[str, list[Level]] = {
    "first_name": [
        ("missing", "first_name_l IS NULL OR first_name_r IS NULL", None, None),
        ("exact", "first_name_l = first_name_r", 0.86, 0.003),
        ("nickname", "list_has_any(first_canon_l, first_canon_r)", 0.05, 0.0005),
        (
            "first_middle_swap",
            "first_name_l = middle_name_r OR middle_name_l = first_name_r",
            0.02,
            0.002,
        ),
        ("typo", _keying_error("first_name"), 0.05, 0.002),
        ("similar", _jw("first_name", 0.88), 0.005, 0.005),
        ("phonetic", "first_phon_l = first_phon_r", 0.005, 0.01),
        ("different", "ELSE", 0.01, 0.98),
    ],
    "middle_name": [
        ("missing", "middle_name_l IS NULL OR middle_name_r IS NULL", None, None),
        ("exact", "middle_name_l = middle_name_r", 0.85, 0.01),
        ("initial", "middle_initial_l = middle_initial_r", 0.1, 0.05),
        ("different", "ELSE", 0.05, 0.94),
    ],
    "last_name": [
        ("missing", "last_name_l IS NULL OR last_name_r IS NULL", None, None),
        ("exact_same_home", f"last_name_l = last_name_r AND {_SAME_HOME}", 0.6, 0.0002),
        ("exact", "last_name_l = last_name_r", 0.25, 0.003),
        ("typo", _jw("last_name", 0.9), 0.05, 0.004),
        ("phonetic", "last_phon_l = last_phon_r", 0.01, 0.01),
        (
            "maiden_or_hyphenated",
            "last_name_l = middle_name_r OR middle_name_l = last_name_r "
            "OR (length(last_name_l) >= 3 AND length(last_name_r) >= 3 "
            "AND (contains(last_name_l, last_name_r) OR contains(last_name_r, last_name_l)))",
            0.02,
            0.001,
        ),
        ("different", "ELSE", 0.07, 0.98),
    ],
    "birth_date": [
        ("missing", "birth_date_l IS NULL OR birth_date_r IS NULL", None, None),
        ("exact", "birth_date_l = birth_date_r", 0.9, 0.00005),
        (
            "day_month_swapped",
            "birth_year_l = birth_year_r AND birth_month_l = birth_day_r "
            "AND birth_day_l = birth_month_r",
            0.02,
            0.000003,
        ),
        ("one_digit", _one_edit("birth_str", 4, 3), 0.05, 0.0005),
        ("same_year", "birth_year_l = birth_year_r", 0.01, 0.012),
        ("generation_apart", "abs(birth_year_l - birth_year_r) >= 15", 0.001, 0.6),
        ("different", "ELSE", 0.019, 0.39),
    ],
    "sex": [
        ("missing", "sex_l IS NULL OR sex_r IS NULL", None, None),
        ("exact", "sex_l = sex_r", 0.98, 0.5),
        ("different", "ELSE", 0.01, 0.5),
    ],
    "ssn": [
        ("missing", "ssn_l IS NULL OR ssn_r IS NULL", None, None),
        ("exact", "ssn_l = ssn_r", 0.9, 0.000001),
        ("one_edit", _one_edit("ssn", 3, 5), 0.06, 0.000001),
        ("different", "ELSE", 0.02, 0.999998),
    ],
    # One comparison for residence. Null when the surnames agree: that agreement's level
    # already says whether the two share a home.
    "household": [
        (
            "not_counted",
            "last_name_l = last_name_r OR NOT ((address_l IS NOT NULL AND address_r IS NOT NULL) "
            "OR (phone_l IS NOT NULL AND phone_r IS NOT NULL) "
            "OR (zip_l IS NOT NULL AND zip_r IS NOT NULL))",
            None,
            None,
        ),
        ("address_and_phone", "address_l = address_r AND phone_l = phone_r", 0.3, 0.00002),
        ("address_or_phone", _SAME_HOME, 0.2, 0.0001),
        ("same_zip", "zip_l = zip_r", 0.1, 0.01),
        ("same_city", "city_l = city_r", 0.1, 0.05),
        ("different", "ELSE", 0.3, 0.94),
    ],
}

# Disagreement rates among true duplicates that EM must not re-learn. In a birth-date block
# twins can outnumber duplicates; left free, EM makes "twins" its match class and learns
# that a different SSN or sex is normal for a match. A registration keys the wrong sex for
# about 1 in 100 patients and an entirely different SSN (not a typo) for about 1 in 50.
FIXED_M = {("sex", "different"), ("ssn", "different")}

# Candidate pairs: recall matters most, but every rule's cost grows with N^2 / (number of
# distinct keys), so each one pairs a selective key with the evidence a duplicate keeps when
# another field is damaged. A bare birth-date rule would alone score ~20M pairs at 1M
# records; split by a name key it scores ~0.2M and still catches married names, first-name
# typos and first/middle swaps. Same-MRN rows are MPI-001's business, not ours.
BLOCKING_RULES: list[str] = [
    "l.ssn = r.ssn",  # survives name changes, moves, birth-date typos
    "l.birth_date = r.birth_date AND l.last_phon = r.last_phon",  # given-name errors
    "l.birth_date = r.birth_date AND l.first_key = r.first_key",  # married / new surname
    "l.birth_date = r.birth_date AND l.zip = r.zip",  # both names re-keyed, same area
    # birth-date errors: the day, the year's digit, or the month digit
    "l.first_key = r.first_key AND l.last_phon = r.last_phon AND l.birth_month = r.birth_month",
    "l.first_key = r.first_key AND l.last_phon = r.last_phon AND l.birth_day = r.birth_day",
    # day and month swapped
    "l.birth_year = r.birth_year AND l.birth_month = r.birth_day "
    "AND l.birth_day = r.birth_month AND l.last_phon = r.last_phon",
    "l.phone = r.phone AND l.first_phon = r.first_phon",  # same home, typo'd names and date
]

# EM is trained on birth-date and SSN blocks: within a first+last-name block most pairs
# are households and juniors, and EM would learn them as the "match" class.
EM_BLOCKS: list[tuple[str, str]] = [
    ("l.birth_date = r.birth_date", "birth_date"),
    ("l.ssn = r.ssn", "ssn"),
]

# Exact agreements that strangers (almost) never share: the prior is estimated from them.
DETERMINISTIC_RULES: list[str] = [
    "l.ssn = r.ssn AND l.birth_date = r.birth_date",
    "l.first_name = r.first_name AND l.last_name = r.last_name AND l.birth_date = r.birth_date",
]
DETERMINISTIC_RECALL = 0.7


def _not_same_mrn(rule: str) -> str:
    return f"({rule}) AND l.mrn <> r.mrn"


def settings(*, with_priors: bool) -> dict[str, Any]:
    """Splink settings; ``with_priors`` sets the default m/u on every level."""
    comparisons = []
    for name, levels in COMPARISONS.items():
        out = []
        for i, (label, cond, m, u) in enumerate(levels):
            level: dict[str, Any] = {"sql_condition": cond, "label_for_charts": label}
            if i == 0:
                level["is_null_level"] = True
            elif with_priors:
                level["m_probability"] = m
                level["u_probability"] = u
            if (name, label) in FIXED_M:
                level["fix_m_probability"] = True
            out.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": out})
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [_not_same_mrn(r) for r in BLOCKING_RULES],
        "additional_columns_to_retain": ["mrn"],
        "retain_matching_columns": True,  # also keeps gamma_* (level per comparison)
        "retain_intermediate_calculation_columns": False,
    }


def gamma_labels() -> dict[str, dict[int, str]]:
    """Splink's gamma value -> level label, per comparison (null level = -1, then the
    remaining levels count down to 0 = ELSE)."""
    out = {}
    for name, levels in COMPARISONS.items():
        n = len(levels) - 1
        labels = {-1: levels[0][0]}
        for i, (label, *_rest) in enumerate(levels[1:]):
            labels[n - 1 - i] = label
        out[name] = labels
    return out


DISAGREEING_LABELS = frozenset({"different", "generation_apart"})
#: given-name levels too weak to make a pair probable without an agreeing SSN (the twin
#: and sibling pattern); see _pairs.
WEAK_GIVEN_NAME = ("different", "similar")
DETERMINISTIC_SQL = [_not_same_mrn(r) for r in DETERMINISTIC_RULES]
