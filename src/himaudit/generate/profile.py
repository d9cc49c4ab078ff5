"""Generator profiles: declarative TOML under ``generators/profiles/``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from himaudit.errors import UsageError
from himaudit.paths import generators_dir


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    patients: int
    start: date  # first day of the calendar window (encounters, events)
    end: date  # last day of the window
    as_of: date  # the dataset's "today": scans default to it
    states: tuple[str, ...]  # facility states (retention schedule)
    facility_id: str
    mix: dict[str, Any] = field(default_factory=dict)  # realism knobs (with sources in the TOML)
    defects: dict[str, float] = field(default_factory=dict)  # rule id -> rate or count
    path: Path | None = None

    def rate(self, rule_id: str) -> float:
        return float(self.defects.get(rule_id, 0.0))


def profiles_dir() -> Path:
    return generators_dir() / "profiles"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.toml"))


def load_profile(name_or_path: str, *, patients: int | None = None) -> Profile:
    """Load a profile by name (``demo``) or path; ``patients`` overrides its size."""
    path = Path(name_or_path)
    if not path.suffix:
        path = profiles_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        raise UsageError(
            f"unknown profile {name_or_path!r}; available: {', '.join(available_profiles())}"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        p = raw["profile"]
        prof = Profile(
            name=str(p["name"]),
            description=str(p.get("description", "")),
            patients=int(p["patients"]),
            start=_date(p["start"]),
            end=_date(p["end"]),
            as_of=_date(p["as_of"]),
            states=tuple(p.get("states", ["DEFAULT"])),
            facility_id=str(p.get("facility_id", "FAC01")),
            mix=dict(raw.get("mix", {})),
            defects={str(k): float(v) for k, v in raw.get("defects", {}).items()},
            path=path,
        )
    except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: malformed profile ({exc})") from exc
    if patients is not None:
        if patients <= 0:
            raise UsageError(f"--patients must be a positive number, got {patients}")
        prof = Profile(**{**prof.__dict__, "patients": patients})
    if not prof.start <= prof.end <= prof.as_of:
        raise UsageError(f"{path}: need start <= end <= as_of")
    return prof


def _date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))
