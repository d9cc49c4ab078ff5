"""``himaudit score``: precision / recall / F1 of findings against an answer key."""

from __future__ import annotations

from pathlib import Path

import typer


def score(
    findings: Path = typer.Option(
        ..., "--findings", help="Scan OUTDIR, findings file, or a trainee CSV (rule_id,record_key)."
    ),
    answer_key: Path = typer.Option(
        ..., "--answer-key", help="Dataset directory holding answer_key.*, or the file."
    ),
    out: Path = typer.Option(None, "--out", help="Write the scores to this .json or .csv file."),
    rules: list[str] = typer.Option(None, "--rules", "-r", help="Only these rule ids or families."),
) -> None:
    """Grade findings: per-rule and overall precision, recall and F1 on (rule_id, record_key)."""
    from rich.console import Console
    from rich.table import Table

    from himaudit.cli import fail
    from himaudit.errors import HimauditError
    from himaudit.scan.score import score as run_score

    selectors = [s for item in rules or [] for s in item.split(",") if s.strip()]
    try:
        result = run_score(findings, answer_key, out=out, rules=selectors or None)
    except HimauditError as err:
        fail(err)
        return

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    table = Table(title="score", title_justify="left")
    for col in ("rule", "expected", "found", "TP", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "rule" else "right")
    for r in [*result.rules, result.overall]:
        table.add_row(
            r.rule_id, str(r.expected), str(r.found), str(r.true_positives),
            fmt(r.precision), fmt(r.recall), fmt(r.f1),
        )  # fmt: skip
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("score")(score)
