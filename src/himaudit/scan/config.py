"""``himaudit.toml``: the scan's configuration file, merged under command-line options.

```toml
fail_on = "high"                      # info | low | medium | high | critical
formats = ["json", "junit"]           # json, csv, parquet, junit
rules_dirs = ["site_rules"]           # extra warehouse/checks-style directories
expectations_dirs = []                # extra GX suite directories
memory_limit = "2GB"                  # DuckDB's cap while rules run (it spills beyond it)

[rules]
disable = ["ACC-006"]                 # never run these rule ids / families

[thresholds.DOC-009]                  # rule parameters (defaults in the rule header) ...
days_after_discharge = 21
max_count = 10                        # ... plus DQD-style tolerances: fail only when
max_percent = 0.5                     # findings > 10 AND > 0.5 % of the rule's rows
```
Command-line options win over the file; the file wins over built-in defaults.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.errors import UsageError
from himaudit.scan.rule import SEVERITIES

FORMATS = ("json", "csv", "parquet", "junit")
#: Keys in [thresholds.<ID>] that are tolerances, not rule parameters.
TOLERANCE_KEYS = ("max_count", "max_percent")
_TOP_KEYS = {
    "fail_on", "formats", "rules_dirs", "expectations_dirs", "memory_limit", "rules", "thresholds",
}  # fmt: skip
#: DuckDB memory sizes: a number and a unit (2GB, 1536MB, 1.5GiB).
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


@dataclass
class ScanConfig:
    fail_on: str = "high"
    formats: tuple[str, ...] = ("json", "junit")
    rules_dirs: tuple[Path, ...] = ()
    expectations_dirs: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    # DuckDB's own default is 80 % of RAM and it keeps what it reads cached, so a 1M-patient
    # scan peaked anywhere from 2.8 to 3.7 GB; a cap keeps the footprint predictable
    # (benchmarks/README.md) and DuckDB spills to OUTDIR/warehouse.duckdb.tmp beyond it.
    memory_limit: str = "2GB"
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule id -> overrides
    tolerances: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """What audit.runs records: enough to rerun the scan the same way."""
        return {
            "fail_on": self.fail_on,
            "formats": list(self.formats),
            "rules_dirs": [str(p) for p in self.rules_dirs],
            "expectations_dirs": [str(p) for p in self.expectations_dirs],
            "disable": list(self.disable),
            "memory_limit": self.memory_limit,
            "thresholds": {
                k: {**self.params.get(k, {}), **self.tolerances.get(k, {})}
                for k in sorted(set(self.params) | set(self.tolerances))
            },
            "config_file": self.source,
        }


def parse_formats(value: str | Sequence[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    formats = tuple(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"--format {','.join(bad) or '(empty)'}: choose from {', '.join(FORMATS)}")
    return formats


def check_severity(value: str, what: str = "--fail-on") -> str:
    value = value.strip().lower()
    if value not in SEVERITIES:
        raise UsageError(f"{what} {value!r}: choose from {', '.join(SEVERITIES)}")
    return value


def check_memory(value: str, what: str = "memory_limit") -> str:
    value = value.strip()
    if not _MEMORY.match(value):
        raise UsageError(f"{what} {value!r}: a size such as 2GB, 1536MB or 1.5GiB")
    return value


def load_config(path: Path | None) -> ScanConfig:
    """Read himaudit.toml (relative paths resolve against the file's directory)."""
    cfg = ScanConfig()
    if path is None:
        return cfg
    if not path.is_file():
        raise UsageError(f"config file {path} not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: not valid TOML ({err})") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    base = path.parent
    cfg.source = str(path)
    if "fail_on" in data:
        cfg.fail_on = check_severity(str(data["fail_on"]), f"{path}: fail_on")
    if "formats" in data:
        cfg.formats = parse_formats(data["formats"])
    if "memory_limit" in data:
        cfg.memory_limit = check_memory(str(data["memory_limit"]), f"{path}: memory_limit")
    cfg.rules_dirs = tuple(base / p for p in data.get("rules_dirs", []))
    cfg.expectations_dirs = tuple(base / p for p in data.get("expectations_dirs", []))
    cfg.disable = tuple(str(r).upper() for r in (data.get("rules") or {}).get("disable", []))
    for rule_id, values in (data.get("thresholds") or {}).items():
        if not isinstance(values, dict):
            raise UsageError(f"{path}: [thresholds.{rule_id}] must be a table")
        rule_id = rule_id.upper()
        cfg.params[rule_id] = {k: v for k, v in values.items() if k not in TOLERANCE_KEYS}
        tol = {k: float(v) for k, v in values.items() if k in TOLERANCE_KEYS}
        if tol:
            cfg.tolerances[rule_id] = tol
    return cfg
