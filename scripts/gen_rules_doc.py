"""Generate docs/rules.md from the rule registry (never edit that file by hand).

python scripts/gen_rules_doc.py          # rewrite docs/rules.md
python scripts/gen_rules_doc.py --check  # exit 1 if it is out of date (used by tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from himaudit.scan.registry import list_rules

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def render() -> str:
    rules = list_rules()
    lines = [
        "# Rule reference",
        "",
        "Generated from the rule registry by `python scripts/gen_rules_doc.py`; do not edit.",
        f"{len(rules)} rules. Thresholds are defaults, overridable in `himaudit.toml` "
        "`[thresholds.<ID>]`.",
        "",
        "| id | severity | title | Kahn | tables | record key |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules:
        lines.append(
            f"| [{r.id}](#{r.id.lower()}) | {r.severity} | {r.title} | "
            f"{r.kahn['category']}/{r.kahn['context']} | {', '.join(r.tables)} | {r.record_key} |"
        )
    family = None
    for r in rules:
        if r.family != family:
            family = r.family
            lines += ["", f"## {family}"]
        lines += ["", f"### {r.id}", "", f"**{r.title}** — {r.severity}, {r.kind} rule", ""]
        lines.append(r.description)
        lines += [
            "",
            f"- Citation: {r.citation}",
            f"- Record key: {r.record_key} ({r.record_table})",
        ]
        if r.thresholds:
            items = ", ".join(f"`{k}` = {v}" for k, v in r.thresholds.items())
            lines.append(f"- Thresholds: {items}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.is_file() or DOC.read_text(encoding="utf-8") != text:
            print("docs/rules.md is out of date: run python scripts/gen_rules_doc.py")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
