"""Clean-table builders, one module per table group."""
