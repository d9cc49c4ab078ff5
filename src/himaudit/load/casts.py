"""SQL that turns source columns into contract types, and finds values that do not parse.

A value that does not parse is loaded as NULL and recorded (raw text kept) rather than
failing the load: unparsable dates are themselves a defect the audit reports (DQ-001).
Only columns whose source type differs from the contract are cast, so a well-typed Parquet
file is copied at DuckDB speed with no per-value work.
"""

from __future__ import annotations

from himaudit.load.sources import Source, SourceColumn

_TRUE = "'true','t','1','yes','y'"
_FALSE = "'false','f','0','no','n'"


def ident(name: str) -> str:
    """A double-quoted SQL identifier (input headers can hold any text)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def reader_sql(source: Source, *, store_rejects: bool) -> str:
    """The DuckDB table function that reads ``source``; every CSV column as VARCHAR."""
    path = literal(str(source.read_path or source.path))
    if source.kind == "parquet":
        return f"read_parquet({path}, file_row_number = true)"
    columns = ", ".join(f"{literal(c.ref)}: 'VARCHAR'" for c in source.columns)
    errors = (
        "store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_scans'"
        if store_rejects
        else "ignore_errors = true"
    )
    # auto_detect off: the dialect and header were checked in Python, and a sniffer can be
    # misled by the very malformed rows we want DuckDB to reject one by one.
    return (
        f"read_csv({path}, header = true, auto_detect = false, columns = {{{columns}}}, "
        f"delim = {literal(source.delimiter)}, quote = '\"', escape = '\"', {errors})"
    )


def needs_cast(col: SourceColumn, target: str) -> bool:
    return col.source_type.upper() != target.upper()


def typed_expr(col: SourceColumn, target: str) -> str:
    """Expression giving ``col`` in the contract type ``target`` (NULL when unparsable)."""
    ref = ident(col.ref)
    target = target.upper()
    if not needs_cast(col, target):
        return ref
    if target == "VARCHAR":
        return f"CAST({ref} AS VARCHAR)"
    if col.source_type.upper() != "VARCHAR":
        return f"TRY_CAST({ref} AS {target})"
    text = f"nullif(trim({ref}), '')"
    if target == "BOOLEAN":
        # HIM exports write Y/N as often as true/false.
        low = f"lower({text})"
        return f"(CASE WHEN {low} IN ({_TRUE}) THEN true WHEN {low} IN ({_FALSE}) THEN false END)"
    if target in ("INTEGER", "BIGINT", "SMALLINT"):
        # TRY_CAST('3.5' AS INTEGER) rounds to 4; a fractional count is unparsable, not 4.
        num = f"TRY_CAST({text} AS DOUBLE)"
        return f"(CASE WHEN {num} = round({num}) THEN TRY_CAST({num} AS {target}) END)"
    return f"TRY_CAST({text} AS {target})"


def bad_condition(col: SourceColumn, target: str) -> str | None:
    """SQL true where ``col`` has a value that did not parse; None if no cast is needed."""
    if not needs_cast(col, target) or target.upper() == "VARCHAR":
        return None
    present = (
        f"nullif(trim({ident(col.ref)}), '') IS NOT NULL"
        if col.source_type.upper() == "VARCHAR"
        else f"{ident(col.ref)} IS NOT NULL"
    )
    return f"({present} AND {typed_expr(col, target)} IS NULL)"


def select_list(source: Source) -> tuple[list[str], list[tuple[str, str]]]:
    """SELECT items for the warehouse insert, and the extra (non-contract) columns to add."""
    contract = {c.name: c.type for c in source.table.columns}
    items, extras = [], []
    for col in source.columns:
        if col.name in contract:
            items.append(f"{typed_expr(col, contract[col.name])} AS {ident(col.name)}")
        else:
            items.append(f"{ident(col.ref)} AS {ident(col.name)}")
            extras.append((col.name, col.source_type))
    return items, extras


def record_key_expr(source: Source) -> str:
    """The table's record_key from raw values (``encounter_id:seq`` for line tables)."""
    cols = source.by_name()
    parts = [f"CAST({ident(cols[k].ref)} AS VARCHAR)" for k in source.table.key if k in cols]
    if len(parts) != len(source.table.key):
        return "NULL"
    return parts[0] if len(parts) == 1 else " || ':' || ".join(parts)


def unparsable_sql(source: Source) -> str | None:
    """One scan returning ``row_number, record_key, column_name, raw_value`` per bad value."""
    contract = {c.name: c.type for c in source.table.columns}
    checks = [
        (col, cond)
        for col in source.columns
        if col.name in contract and (cond := bad_condition(col, contract[col.name]))
    ]
    if not checks:
        return None
    # CSV: insertion order is preserved, so this is the n-th row DuckDB accepted; rows it
    # rejected are added back (validate._shift_past_rejects) to get the record's ordinal.
    row_number = "file_row_number + 1" if source.kind == "parquet" else "row_number() OVER ()"
    raws = ", ".join(
        f"CASE WHEN {cond} THEN CAST({ident(col.ref)} AS VARCHAR) END AS {ident(col.name)}"
        for col, cond in checks
    )
    where = " OR ".join(cond for _, cond in checks)
    names = ", ".join(ident(col.name) for col, _ in checks)
    return f"""
        WITH scanned AS (
            SELECT {row_number} AS _row, {record_key_expr(source)} AS _key, *
            FROM {reader_sql(source, store_rejects=False)}
        ), bad AS (
            SELECT _row, _key, {raws} FROM scanned WHERE {where}
        )
        SELECT _row AS row_number, _key AS record_key, column_name, raw_value
        FROM (UNPIVOT bad ON {names} INTO NAME column_name VALUE raw_value)
        ORDER BY row_number, column_name
    """
