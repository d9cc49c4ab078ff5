"""``manifest.json``: what a generated dataset is (profile, seed, version, as-of, counts, hashes).

It holds no wall-clock time or host detail, so the same seed + profile + version gives a
byte-identical manifest too; the scan reads ``as_of`` from it so a dataset means the same
thing whenever it is scanned.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from himaudit import __version__
from himaudit.generate.profile import Profile
from himaudit.generate.writer import sha256_file

MANIFEST = "manifest.json"


def build_manifest(
    profile: Profile,
    seed: int,
    fmt: str,
    rows: dict[str, int],
    files: list[Path],
    defect_rules: list[str],
    notes: dict[str, Any],
) -> str:
    """Return the manifest text (sorted keys, stable formatting)."""
    doc = {
        "generator": "himaudit",
        "himaudit_version": __version__,
        "profile": profile.name,
        "profile_description": profile.description,
        "difficulty": profile.mix.get("difficulty", "basic"),
        "seed": seed,
        "patients": profile.patients,
        "as_of": profile.as_of.isoformat(),
        "window": {"start": profile.start.isoformat(), "end": profile.end.isoformat()},
        "states": list(profile.states),
        "facility_id": profile.facility_id,
        "format": fmt,
        "rows": dict(rows),
        "files": {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in files},
        "defects": dict(sorted(Counter(defect_rules).items())),
        **notes,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of a dataset directory, or None if it has none."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
