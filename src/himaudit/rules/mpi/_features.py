"""Matching features for the MPI linkage: normalised names, dates, identifiers, residence.

The raw MPI is read once from the caller's connection (so rows a test inserted inside an
open transaction are seen) and normalised in a private in-memory DuckDB where Splink works.
Normalisation is what makes Fellegi–Sunter levels meaningful: case, accents, punctuation,
placeholder SSNs/phones ("000-00-0000", "999-999-9999") and street-suffix spellings must
not count as disagreements, and placeholders must never count as agreements.
"""

from __future__ import annotations

import csv
import functools
from typing import TYPE_CHECKING

from himaudit.paths import warehouse_dir

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

RAW_COLUMNS = (
    "mrn",
    "first_name",
    "middle_name",
    "last_name",
    "sex",
    "birth_date",
    "ssn",
    "address",
    "city",
    "zip",
    "phone",
)

# Street-suffix and unit spellings that registration clerks vary; USPS Publication 28
# standard abbreviations.
_ADDRESS_WORDS = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "LANE": "LN",
    "BOULEVARD": "BLVD",
    "COURT": "CT",
    "PLACE": "PL",
    "TERRACE": "TER",
    "CIRCLE": "CIR",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "APARTMENT": "APT",
    "SUITE": "STE",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
}


def read_patients(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The MPI columns the linkage uses (only those; nothing else leaves the warehouse)."""
    return con.sql(
        f"SELECT {', '.join(RAW_COLUMNS)} FROM patients WHERE mrn IS NOT NULL"
    ).to_arrow_table()


def soundex(name: str) -> str:
    """American Soundex (Knuth, TAOCP vol. 3): a phonetic key that survives vowel and
    doubled-letter spelling variants (SMITH/SMYTH, CATHERINE/KATHRYN share C365 vs K365 —
    hence Soundex is one level among several, never the only name evidence)."""
    codes = {
        **dict.fromkeys("BFPV", "1"),
        **dict.fromkeys("CGJKQSXZ", "2"),
        **dict.fromkeys("DT", "3"),
        "L": "4",
        **dict.fromkeys("MN", "5"),
        "R": "6",
    }
    if not name:
        return ""
    out, last = [name[0]], codes.get(name[0], "")
    for ch in name[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out.append(code)
            if len(out) == 4:
                break
        if ch not in "HW":  # H and W do not separate equal codes; vowels do
            last = code
    return "".join(out).ljust(4, "0")


@functools.cache
def _nickname_map() -> dict[str, tuple[str, ...]]:
    """nickname -> formal names, from warehouse/reference/nicknames.csv."""
    path = warehouse_dir() / "reference" / "nicknames.csv"
    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["nickname"].strip().upper(), []).append(
                row["canonical"].strip().upper()
            )
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def _name_table(names: list[str]) -> pa.Table:
    """One row per distinct normalised name: phonetic key, canonical set, blocking key."""
    import pyarrow as pa

    nick = _nickname_map()
    canon_sets, keys, phon = [], [], []
    for n in names:
        formal = nick.get(n, ())
        canon_sets.append(sorted({n, *formal}))
        keys.append(formal[0] if formal else n)
        phon.append(soundex(n))
    return pa.table(
        {"name": names, "canon": canon_sets, "name_key": keys, "phon": phon},
    )


def _normalise_name(col: str) -> str:
    return f"nullif(regexp_replace(upper(strip_accents(trim({col}))), '[^A-Z]', '', 'g'), '')"


def _normalise_address(col: str) -> str:
    # one pass: split into words, map each through the abbreviation table, join again
    # (a chain of 18 regexp_replace calls cost ~20 s per million rows)
    words = ", ".join(f"'{k}'" for k in _ADDRESS_WORDS)
    abbrs = ", ".join(f"'{v}'" for v in _ADDRESS_WORDS.values())
    cleaned = f"regexp_replace(upper(strip_accents({col})), '[^A-Z0-9]+', ' ', 'g')"
    return (
        f"nullif(trim(array_to_string(list_transform(string_split(trim({cleaned}), ' '), "
        f"lambda w: coalesce(map([{words}], [{abbrs}])[w], w)), ' ')), '')"
    )


def build_features(work: duckdb.DuckDBPyConnection, raw: pa.Table) -> int:
    """Create table ``mpi_features`` in the work connection; return its row count."""
    work.register("mpi_raw", raw)
    work.execute(
        f"""
        CREATE OR REPLACE TABLE mpi_norm AS
        WITH d AS (
            SELECT *, regexp_replace(coalesce(ssn, ''), '[^0-9]', '', 'g') AS ssn_digits,
                   regexp_replace(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'),
                                  '^1(\\d{{10}})$', '\\1') AS phone_digits
            FROM mpi_raw
        )
        SELECT row_number() OVER (ORDER BY mrn, first_name, last_name, birth_date, ssn,
                                           address) AS unique_id,
               mrn,
               {_normalise_name("first_name")} AS first_name,
               {_normalise_name("middle_name")} AS middle_name,
               {_normalise_name("last_name")} AS last_name,
               CASE WHEN upper(trim(sex)) IN ('F', 'M') THEN upper(trim(sex)) END AS sex,
               birth_date,
               -- placeholder SSNs are "unknown", not an agreement between strangers
               CASE WHEN length(d.ssn_digits) = 9 AND d.ssn_digits NOT IN ('123456789', '987654321')
                         AND NOT regexp_matches(d.ssn_digits, '^(000|666)|^\\d{{3}}00|0000$')
                         AND replace(d.ssn_digits, left(d.ssn_digits, 1), '') <> ''
                    THEN d.ssn_digits END AS ssn,
               {_normalise_address("address")} AS address,
               {_normalise_name("city")} AS city,
               CASE WHEN regexp_matches(trim(zip), '^\\d{{5}}') AND left(trim(zip), 5) <> '00000'
                    THEN left(trim(zip), 5) END AS zip,
               CASE WHEN length(d.phone_digits) = 10
                         AND replace(d.phone_digits, left(d.phone_digits, 1), '') <> ''
                    THEN d.phone_digits END AS phone
        FROM d
        """
    )
    work.unregister("mpi_raw")
    names = [
        row[0]
        for row in work.execute(
            "SELECT DISTINCT n FROM (SELECT first_name AS n FROM mpi_norm UNION "
            "SELECT middle_name FROM mpi_norm UNION SELECT last_name FROM mpi_norm) "
            "WHERE n IS NOT NULL ORDER BY n"
        ).fetchall()
    ]
    work.register("mpi_names", _name_table(names))
    work.execute(
        """
        CREATE OR REPLACE TABLE mpi_features AS
        SELECT m.*,
               f.canon AS first_canon, f.name_key AS first_key, f.phon AS first_phon,
               l.phon AS last_phon,
               left(m.middle_name, 1) AS middle_initial,
               CAST(extract(year FROM m.birth_date) AS INTEGER) AS birth_year,
               CAST(extract(month FROM m.birth_date) AS INTEGER) AS birth_month,
               CAST(extract(day FROM m.birth_date) AS INTEGER) AS birth_day,
               strftime(m.birth_date, '%Y%m%d') AS birth_str,
               m.address IS NOT NULL OR m.phone IS NOT NULL AS has_home
        FROM mpi_norm m
        LEFT JOIN mpi_names f ON f.name = m.first_name
        LEFT JOIN mpi_names l ON l.name = m.last_name
        """
    )
    work.unregister("mpi_names")
    work.execute("DROP TABLE mpi_norm")
    return int(work.execute("SELECT count(*) FROM mpi_features").fetchall()[0][0])
