"""Seeded synthetic-hospital generator: clean tables from builders, then defect injectors."""
