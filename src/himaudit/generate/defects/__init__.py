"""Defect injectors, one module per rule family."""
