"""Load canonical-table files into a DuckDB warehouse."""
