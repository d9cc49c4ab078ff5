"""The scan engine: rule registry, single-rule runner, scan orchestration, outputs, scoring.

Modules: ``rule`` (rule metadata + header validation), ``registry`` (discovery of SQL and
Python rules), ``runner`` (one rule against a warehouse, parameter binding), ``engine``
(``scan()``), ``config``, ``history`` (audit tables, compare), ``outputs``, ``junit``,
``score``, ``gx_duckdb`` (Great Expectations pushed down to DuckDB).
"""
