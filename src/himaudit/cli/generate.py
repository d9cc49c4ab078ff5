"""``himaudit generate``: write a seeded synthetic hospital with injected defects."""

from __future__ import annotations

from pathlib import Path

import typer


def generate(
    out: Path = typer.Option(..., "--out", "-o", help="Dataset directory (created if needed)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed; same seed = same files."),
    profile: str = typer.Option(
        "demo", "--profile", "-p", help="Profile name in generators/profiles, or a .toml path."
    ),
    patients: int = typer.Option(None, "--patients", "-n", help="Override the profile's size."),
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet | csv | duckdb."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Generate a synthetic hospital (every canonical table), its answer_key and manifest.json.

    Same seed + profile + himaudit version gives byte-identical files. Files are staged and
    renamed into OUT only when the whole run succeeded (Ctrl-C leaves OUT as it was).
    Exit codes: 0 written; 2 bad option (unknown profile, negative size, unwritable OUT).
    """
    from himaudit.cli import fail
    from himaudit.errors import HimauditError, UsageError
    from himaudit.generate.runner import generate as run_generate

    try:
        if patients is not None and patients <= 0:
            raise UsageError(f"--patients must be a positive number, got {patients}")
        result = run_generate(
            out, profile=profile, seed=seed, patients=patients, fmt=fmt.lower(), progress=not quiet
        )
    except HimauditError as err:
        fail(err)
        return
    total = sum(v for k, v in result.rows.items() if k != "answer_key")
    typer.echo(
        f"wrote {len(result.files)} files to {result.out} ({result.profile}, seed {result.seed},"
        f" as-of {result.as_of}): {total:,} rows, {result.defects:,} defects in answer_key"
        f" in {result.seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
