"""``ref.icd10cm``: the ICD-10-CM tabular list from simple-icd-10-cm, one row per code.

Only codes proper (categories, subcategories, extended subcategories) are rows; chapters and
blocks are not codes a claim can carry, so a block name such as ``A00-A09`` must fail COD-001.
A leaf is billable (FACTS.md: 74,736 leaves in the April 2026 release); a category such as
``E11`` is valid but not billable.

The table is built once as an Arrow table and cached on disk and per process
(``himaudit.reference.cache``), because the
rule-case harness creates many in-memory warehouses and walking 98k codes each time would
dominate its run time; copying a cached Arrow table into DuckDB costs a few milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from himaudit.reference.cache import disk_cached

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

COLUMNS = ("code", "code_dotted", "description", "billable", "chapter", "parent", "block")

DDL = """
CREATE OR REPLACE TABLE ref.icd10cm (
    code VARCHAR,         -- no dot, upper case: the form rules compare against
    code_dotted VARCHAR,  -- as printed in the tabular list
    description VARCHAR,
    billable BOOLEAN,     -- leaf of the tabular hierarchy
    chapter VARCHAR,      -- chapter number '1'..'22'
    parent VARCHAR,       -- parent code (no dot); NULL for a three-character category
    block VARCHAR         -- block (section) the code belongs to, e.g. 'E08-E13'
)
"""


@disk_cached("icd10cm", __file__)
def icd10cm_arrow() -> pa.Table:
    """The code table as Arrow, built from simple-icd-10-cm once (cached on disk and per
    process, see himaudit.reference.cache)."""
    import pyarrow as pa
    import simple_icd_10_cm as cm

    # get_all_codes returns the dotted and undotted lists in the same order; zipping them
    # avoids remove_dot() per code (FACTS.md: 713 codes/s).
    dotted = cm.get_all_codes(with_dots=True)
    undotted = cm.get_all_codes(with_dots=False)
    cols: dict[str, list] = {name: [] for name in COLUMNS}
    seen: set[str] = set()
    for code_dotted, code in zip(dotted, undotted, strict=True):
        # A block holding a single category shares the category's name (B20); keep the code.
        if code in seen or not (
            cm.is_category_or_subcategory(code_dotted) or cm.is_extended_subcategory(code_dotted)
        ):
            continue
        seen.add(code)
        ancestors = cm.get_ancestors(code_dotted)  # nearest first, chapter last
        is_category = cm.is_category(code_dotted)
        cols["code"].append(code.upper())
        cols["code_dotted"].append(code_dotted)
        cols["description"].append(cm.get_description(code_dotted))
        cols["billable"].append(cm.is_leaf(code_dotted))
        cols["chapter"].append(ancestors[-1])
        cols["parent"].append(None if is_category else ancestors[0].replace(".", "").upper())
        # The block is the ancestor just below the chapter.
        cols["block"].append(ancestors[-2] if len(ancestors) >= 2 else None)
    schema = pa.schema(
        [
            ("code", pa.string()),
            ("code_dotted", pa.string()),
            ("description", pa.string()),
            ("billable", pa.bool_()),
            ("chapter", pa.string()),
            ("parent", pa.string()),
            ("block", pa.string()),
        ]
    )
    return pa.table(cols, schema=schema)


def build_icd10cm(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``ref.icd10cm`` in ``con``; returns the number of codes."""
    table = icd10cm_arrow()
    con.execute(DDL)
    # A unique view name: several connections in one process may build concurrently.
    view = f"_himaudit_icd10cm_{id(table)}"
    con.register(view, table)
    try:
        con.execute(f"INSERT INTO ref.icd10cm SELECT * FROM {view}")
    finally:
        con.unregister(view)
    return table.num_rows
