"""Great Expectations 1.24 suites validated *inside* DuckDB (pushed down as SQL, no pandas).

The stock GX + duckdb-engine path fails (FACTS.md; great_expectations#10738, #11579): GX
closes its SQLAlchemy connection before reading results and duckdb-engine then returns
``[]``, and regex/LIKE expectations refuse the unknown "duckdb" dialect. Every workaround
lives here, in one place, and ``tests/test_gx_duckdb.py`` fails loudly if a GX release
changes the behaviour they rely on:

1. ``duckdb`` is added to GX's ``_PERSISTED_CONNECTION_DIALECTS`` so GX keeps one connection
   (a StaticPool) open for the whole validation.
2. The execution engine's ``dialect_module`` is SQLAlchemy's postgresql dialect, so regex
   expectations compile to ``col ~ 'pattern'`` (DuckDB runs it; suites anchor ``^...$``).
3. The warehouse is opened read-only (GX must not lock the file), in an ephemeral context
   (no ``gx/`` folder), with ``GX_ANALYTICS_ENABLED=false`` set before the import.
4-6. Speed only (same results): ``Expectation.configuration`` is memoised during a
   validation, each batch's primary keys and column names come from DuckDB's catalogue
   instead of slow (and, for columns, failing) pg_catalog reflection, and the ephemeral
   context skips re-serialising its config to YAML per asset.
7. (Retired: validating tables on two threads stopped paying once the stage became
   DuckDB-bound, and cost memory; see run_gx_rules.)
8. Speed only (same results): GX's bundled ``sum(CASE WHEN ...)`` aggregate is rewritten
   to one filtered count per condition, which DuckDB prunes with column statistics.
9. Speed only (same ids): metric ids skip GX's JSON conversion of kwargs that are already
   plain JSON (``IDDict.to_id``); anything else is converted by GX as before.

Offending rows' keys come from GX's own ``unexpected_index_query`` (SQL), executed here in
DuckDB — the rows never travel through pandas.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from himaudit.contract import load_contract

if TYPE_CHECKING:
    import pyarrow as pa


class _DialectName(str):
    """'duckdb' as GX expects a dialect entry: compares equal to the string and has .value."""

    @property
    def value(self) -> str:
        return str(self)


def import_gx() -> Any:
    """Import GX with analytics off and the persisted-connection patch applied (idempotent)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    import himaudit.scan.gx_unique  # noqa: F401 - registers expect_column_values_to_be_unique_key

    if "duckdb" not in see._PERSISTED_CONNECTION_DIALECTS:
        see._PERSISTED_CONNECTION_DIALECTS = (
            *see._PERSISTED_CONNECTION_DIALECTS,
            _DialectName("duckdb"),
        )
    return gx


@contextmanager
def memoised_configuration() -> Iterator[None]:
    """Workaround 4 (speed): while one validation runs, ``Expectation.configuration`` reuses
    its pydantic dump instead of redoing it on each of the ~76 reads per expectation.

    GX 1.24 rebuilds the property from ``self.dict()`` every time (most of the Python cost of
    a run), and builds ~9 instances per expectation (``to_domain_obj``), all holding the
    same field value objects. The memo is scoped to one validation and keyed on the class,
    the field names and the *identity* of every field value: an instance whose fields are
    the very same objects dumps to the same configuration, and a reassigned field is dumped
    again. Each entry keeps its instance (hence those values) alive, so no id is reused
    while the memo lives. Each read still returns a fresh ``ExpectationConfiguration`` with
    its own top-level ``kwargs``/``meta`` dicts, so a caller that edits them affects nobody
    else (as with GX's own property)."""
    from great_expectations.expectations.expectation import Expectation

    original = Expectation.__dict__["configuration"]
    if getattr(original.fget, "_himaudit_memo", False):  # already on (run_gx_rules' stage)
        yield
        return
    if not isinstance(original, property) or original.fget is None:  # pragma: no cover
        raise RuntimeError("GX changed Expectation.configuration; re-check gx_duckdb workaround 4")
    build = original.fget
    memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def configuration(self: Any) -> Any:
        fields = self.__dict__
        key = (type(self), tuple(fields), *map(id, fields.values()))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = (self, build(self))  # keeps self and its field values alive
        cfg = hit[1]
        return type(cfg)(
            type=cfg.type, kwargs=dict(cfg.kwargs), meta=dict(cfg.meta), notes=cfg.notes,
            description=cfg.description, severity=cfg.severity, id=cfg.id,
            rendered_content=cfg.rendered_content,
        )  # fmt: skip

    configuration._himaudit_memo = True  # type: ignore[attr-defined]
    Expectation.configuration = property(configuration)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Expectation.configuration = original  # type: ignore[method-assign]


def _plain_json(value: Any) -> bool:
    """True when ``value`` is already JSON as GX would make it: exact str/int/bool/None,
    finite-or-infinite floats (GX maps only NaN), and lists/tuples/str-keyed dicts of those."""
    t = type(value)
    if value is None or t is str or t is int or t is bool:
        return True
    if t is float:
        return not math.isnan(value)
    if t in _JSON_DICTS:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if t is list or t is tuple:
        return all(_plain_json(v) for v in value)
    return False


#: dict types whose JSON form is themselves (GX's IDDict is added on first use).
_JSON_DICTS: set[type] = {dict}


@contextmanager
def plain_json_ids() -> Iterator[None]:
    """Workaround 9 (speed): GX names every metric configuration by ``IDDict.to_id``, which
    runs ``convert_to_json_serializable`` over its kwargs: an isinstance chain of ~30 tests
    (numpy dtype checks included) per value, thousands of times per validation. For kwargs
    that are already plain JSON that conversion returns an equal structure, so it is skipped
    for them; anything else (dates, numpy, sets, str subclasses, NaN) still goes through
    GX's own function. Only the name ``id_dict`` uses is replaced, for the validation."""
    from great_expectations.core import id_dict

    _JSON_DICTS.add(id_dict.IDDict)
    original = id_dict.convert_to_json_serializable
    if getattr(original, "_himaudit_plain", False):  # already on (run_gx_rules' stage)
        yield
        return

    def convert(data: Any) -> Any:
        return data if _plain_json(data) else original(data)

    convert._himaudit_plain = True  # type: ignore[attr-defined]
    id_dict.convert_to_json_serializable = convert
    try:
        yield
    finally:
        id_dict.convert_to_json_serializable = original


@contextmanager
def gx_speedups() -> Iterator[None]:
    """Workarounds 4 and 9 together, for one validation or one whole GX stage."""
    with memoised_configuration(), plain_json_ids():
        yield


class GXWarehouse:
    """An ephemeral GX context with one read-only SQL datasource over the warehouse file."""

    def __init__(self, wh: Path) -> None:
        gx = import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from sqlalchemy import event
        from sqlalchemy.dialects import postgresql

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # Workaround 5 (speed): each add_table_asset re-serialises the whole context config to
        # YAML into an in-memory store that an ephemeral context never reads back.
        self.context._save_project_config = lambda: None
        self.datasource = self.context.data_sources.add_sql(
            name="himaudit_warehouse",
            connection_string=f"duckdb:///{Path(wh).resolve()}",
            kwargs={"connect_args": {"read_only": True}},
        )
        self.engine = self.datasource.get_execution_engine()
        self.engine.dialect_module = postgresql  # workaround 2: regex compiles as `~`
        event.listen(self.engine.engine, "before_cursor_execute", _split_bundle, retval=True)
        self._answer_reflection()
        self._batches: dict[str, Any] = {}

    def validate(
        self, table: str, expectations: Sequence[dict[str, Any]], *, keys: bool = False
    ) -> list[Any]:
        """Validate one table's expectations in a single GX run; results in GX's order.

        BOOLEAN_ONLY skips GX's per-expectation unexpected-value and partial-list metrics
        (most of its fixed cost); with ``keys`` each result also carries GX's
        ``unexpected_index_query`` (a SQL string, not executed by GX) — asked only for the
        expectations that failed, so a clean table costs one bundled aggregate query."""
        batch = self._batch(table)
        result_format: dict[str, Any] = {"result_format": "BOOLEAN_ONLY"}
        if keys:
            result_format["unexpected_index_column_names"] = key_columns(table)
            result_format["return_unexpected_index_query"] = True
        suite = self.gx.ExpectationSuite(name=f"himaudit_{table}", expectations=list(expectations))
        with gx_speedups():
            return list(batch.validate(suite, result_format=result_format).results)

    def _answer_reflection(self) -> None:
        """Workaround 6 (speed): GX describes each batch's table through the SQLAlchemy
        inspector: a primary-key query and a column query against ``pg_catalog`` (the
        postgresql dialect), and when the column query fails on DuckDB (it does: no
        ``pg_collation``), a ``SELECT * ... LIMIT 1`` fallback that yields column names only.
        Answer both from DuckDB's own catalogue, read once (the file is read-only), with what
        GX's fallback would have produced: ``{"name": ...}`` per column, in table order.

        GX builds a fresh inspector for every batch (``get_batch_data_and_markers`` resets
        ``_inspector``), so the answers are installed by wrapping ``get_inspector`` rather than
        on one inspector instance, which the next batch would discard."""
        with self.engine.get_connection() as conn:
            pk_rows = conn.exec_driver_sql(
                "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
                "WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
            col_rows = conn.exec_driver_sql(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE schema_name = current_schema() AND database_name = current_database() "
                "ORDER BY table_name, column_index"
            ).fetchall()
        pks = {str(t): [str(c) for c in cols] for t, cols in pk_rows}
        columns: dict[str, list[str]] = {}
        for t, c in col_rows:
            columns.setdefault(str(t), []).append(str(c))

        def get_pk_constraint(table_name: str, schema: str | None = None, **_: Any) -> dict:
            return {"constrained_columns": pks.get(str(table_name), []), "name": None}

        def get_columns(table_name: str, schema: str | None = None, **_: Any) -> list[dict]:
            return [{"name": c} for c in columns.get(str(table_name), [])]

        build = self.engine.get_inspector

        def get_inspector() -> Any:
            inspector = build()
            if inspector.__dict__.get("get_columns") is not get_columns:
                inspector.get_pk_constraint = get_pk_constraint
                inspector.get_columns = get_columns
            return inspector

        self.engine.get_inspector = get_inspector

    def _batch(self, table: str) -> Any:
        """One table asset and whole-table batch per table, reused by the keys pass. No batch
        definition: each one re-serialises the context's config (YAML) for nothing."""
        if table not in self._batches:
            asset = self.datasource.add_table_asset(name=table, table_name=table)
            batch = asset.get_batch(asset.build_batch_request())
            if batch.data.execution_engine is not self.engine:  # pragma: no cover - GX changed
                batch.data.execution_engine.dialect_module = self.engine.dialect_module
            self._batches[table] = batch
        return self._batches[table]

    def query_arrow(self, sql: str) -> pa.Table:
        """Run SQL on GX's own (persisted, read-only) connection: a second DuckDB connection
        with another configuration to the same file is refused in-process."""
        import pyarrow as pa

        with self.engine.get_connection() as conn:
            res = conn.exec_driver_sql(sql)
            cols = list(res.keys())
            rows = res.fetchall()
        return pa.table(
            {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(cols)}
        )

    def close(self) -> None:
        """Close every DuckDB connection GX opened (the persisted one and the datasource's
        inspection engine): until then the process cannot reopen the file read-write."""
        conn = getattr(self.engine, "_connection", None)
        if conn is not None:
            dbapi = conn.connection.dbapi_connection
            conn.close()
            if dbapi is not None:
                dbapi.close()  # StaticPool keeps the DBAPI connection alive past dispose()
            self.engine._connection = None
        self.engine.engine.dispose()
        self.datasource.get_engine().dispose()


_BUNDLE_ITEM = re.compile(
    r'sum\(CASE WHEN (\(.*?\)) THEN (\$\d+) ELSE (\$\d+) END\) AS ("[^"]+")', re.DOTALL
)
_PLACEHOLDER = re.compile(r"\$\d+")
_BUNDLE = re.compile(
    rf"SELECT ({_BUNDLE_ITEM.pattern}(?:, {_BUNDLE_ITEM.pattern})*) \n"
    r"FROM \(SELECT \* \nFROM (\w+) \nWHERE true\) AS anon_1",
    re.DOTALL,
)


def _split_bundle(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """Workaround 8 (speed): GX's bundled ``SELECT sum(CASE WHEN c THEN a ELSE b END), ...
    FROM (SELECT * FROM t WHERE true)`` evaluates every condition on every row; one
    filtered count per condition lets DuckDB prune row groups with column statistics
    (``x IS NULL``, ``x < date``). The counts are one ``UNION ALL`` over the table, gathered
    into a list and unpacked into GX's columns: scalar subqueries or a FILTER pivot cost
    DuckDB several ms more to plan per table. Exact rewrite: rows matching c give a, the
    rest (false or NULL) give b, NULL on no rows. Anything not in exactly that shape runs
    unchanged."""
    m = _BUNDLE.fullmatch(statement)
    if m is None:
        return statement, params
    table = m[m.lastindex or 0]
    found = _BUNDLE_ITEM.findall(m[1])
    # k[1] is the row count, k[i + 2] the rows matching condition i (DuckDB lists are 1-based)
    items = [
        f"CASE WHEN k[1] = 0 THEN NULL ELSE k[{i + 2}] * {a} + (k[1] - k[{i + 2}]) * {b} END "
        f"AS {name}"
        for i, (_, a, b, name) in enumerate(found)
    ]
    counts = [f"SELECT -1 AS i, count(*) AS k FROM {table}"] + [
        f"SELECT {i}, count(*) FROM {table} WHERE {cond}" for i, (cond, _, _, _) in enumerate(found)
    ]
    sql = (
        f"SELECT {', '.join(items)} FROM (SELECT list(k ORDER BY i) AS k "
        f"FROM ({' UNION ALL '.join(counts)}) AS c) AS l"
    )
    if sorted(_PLACEHOLDER.findall(sql)) != sorted(_PLACEHOLDER.findall(statement)):
        return statement, params  # not parsed exactly (every parameter must survive): as is
    return sql, params


def key_columns(table: str) -> list[str]:
    """Index columns GX returns per offending row: the table key, then mrn/user_id."""
    t = load_contract()[table]
    cols = list(t.key)
    for extra in ("mrn", "user_id"):
        if extra in t.column_names and extra not in cols:
            cols.append(extra)
    return cols
