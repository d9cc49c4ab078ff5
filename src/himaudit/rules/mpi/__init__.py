"""MPI rules backed by probabilistic record linkage (Splink): MPI-002 duplicate pairs and
MPI-003 duplicate clusters. Helpers are private modules (``_*.py``) so the rule registry
only sees the two rule modules; the linkage runs once per MPI and both rules share it."""
