"""Python COD rules (statistics)."""
