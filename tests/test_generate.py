"""Generator framework: determinism, profiles, manifest, atomic writes, CLI errors, loader."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from himaudit.contract import load_contract
from himaudit.generate import registry
from himaudit.generate.profile import available_profiles
from himaudit.generate.runner import generate
from himaudit.generate.writer import contract_schema

SMALL = 250  # patients: enough for every builder, fast enough for CI


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    a = generate(
        tmp_path / "a", profile="training-basic", seed=11, patients=SMALL, fmt=fmt, progress=False
    )
    b = generate(
        tmp_path / "b", profile="training-basic", seed=11, patients=SMALL, fmt=fmt, progress=False
    )
    fa, fb = _files(a.out), _files(b.out)
    assert sorted(fa) == sorted(fb)
    assert len(fa) == len(load_contract()) + 1  # every table + answer_key (in contract) + manifest
    for name in sorted(fa, key=lambda n: n == "manifest.json"):  # data files first, manifest last
        assert fa[name] == fb[name], f"{name} differs between two runs with the same seed"
    c = generate(
        tmp_path / "c", profile="training-basic", seed=12, patients=SMALL, fmt=fmt, progress=False
    )
    assert _files(c.out)[f"patients.{fmt}"] != fa[f"patients.{fmt}"]


_CHILD = (
    "import sys; from himaudit.generate.runner import generate; "
    "generate(sys.argv[1], profile='training-advanced', seed=7, patients=int(sys.argv[2]), "
    "progress=False)"
)


def test_two_processes_give_byte_identical_files(tmp_path: Path) -> None:
    """Same seed in two separate interpreters, with different string-hash seeds, so neither
    a warm in-process cache nor Python set/dict iteration order can make the runs agree."""
    import hashlib
    import os
    import subprocess
    import sys

    digests = []
    for name, hash_seed in (("a", "1"), ("b", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-c", _CHILD, str(out), str(SMALL * 2)], env=env, check=True
        )
        digests.append({n: hashlib.sha256(b).hexdigest() for n, b in _files(out).items()})
    assert sorted(digests[0]) == sorted(digests[1])
    for name in sorted(digests[0], key=lambda n: n == "manifest.json"):
        assert digests[0][name] == digests[1][name], f"{name} differs between two processes"


def test_parquet_matches_the_contract_and_the_manifest(tmp_path: Path) -> None:
    res = generate(tmp_path, profile="demo", seed=3, patients=SMALL, progress=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["profile"] == "demo" and manifest["seed"] == 3
    assert manifest["as_of"] == "2026-06-30" and manifest["window"]["start"] == "2008-01-01"
    for table in load_contract():
        df = pl.read_parquet(tmp_path / f"{table}.parquet")
        assert df.schema == pl.Schema(contract_schema(table)), table
        assert manifest["rows"][table] == df.height == res.rows[table]
    from himaudit.generate.writer import sha256_file

    for name, meta in manifest["files"].items():
        assert sha256_file(tmp_path / name) == meta["sha256"]
    assert manifest["rows"]["patients"] >= SMALL  # + duplicate MPI rows the MPI injectors add
    assert manifest["rows"]["answer_key"] == sum(manifest["defects"].values())


@pytest.mark.parametrize("profile", available_profiles())
def test_every_profile_generates(tmp_path: Path, profile: str) -> None:
    res = generate(tmp_path, profile=profile, seed=1, patients=SMALL, progress=False)
    assert res.rows["patients"] >= SMALL
    assert res.rows["encounters"] > SMALL
    if profile == "clean":
        assert res.defects == 0


def test_shipped_profiles_list_every_catalogue_rule() -> None:
    from himaudit.generate.profile import load_profile

    catalogue = (Path(__file__).parents[1] / "docs" / "CATALOGUE.md").read_text()
    import re

    ids = set(re.findall(r"^\| ((?:MPI|DOC|COD|ACC|ROI|RET|DQ)-\d{3}) \|", catalogue, re.M))
    ids -= {"DQ-001", "DQ-002"}
    for name in available_profiles():
        prof = load_profile(name)
        assert ids <= set(prof.defects), f"{name} misses {sorted(ids - set(prof.defects))}"
        assert prof.start.year <= 2008 and prof.as_of.year == 2026
        if name == "clean":
            assert not any(prof.defects.values())
    assert load_profile("large").patients == 1_000_000


def test_failure_mid_run_leaves_previous_dataset_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path, profile="clean", seed=1, patients=SMALL, progress=False)
    before = _files(tmp_path)
    real = registry.BUILDERS["encounters"]

    def boom(ctx):  # fails after patients and users are already built
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(
        registry.BUILDERS, "encounters", registry.Builder("encounters", real.after, boom)
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(tmp_path, profile="clean", seed=2, patients=SMALL, progress=False)
    assert _files(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".himaudit-tmp")]


def test_interrupt_while_streaming_leaves_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = [t for t, b in registry.BUILDERS.items() if t == "access_log"]
    table = streamed[0] if streamed else "patients"
    real = registry.BUILDERS[table]

    def interrupted(ctx):
        yield pl.DataFrame({"event_id": ["A00000000001"]})
        raise KeyboardInterrupt

    monkeypatch.setitem(registry.BUILDERS, table, registry.Builder(table, real.after, interrupted))
    out = tmp_path / "new"
    with pytest.raises(KeyboardInterrupt):
        generate(out, profile="clean", seed=1, patients=SMALL, progress=False)
    assert list(out.iterdir()) == []


def test_csv_then_parquet_leaves_one_coherent_dataset(tmp_path: Path) -> None:
    generate(tmp_path, profile="clean", seed=1, patients=SMALL, fmt="csv", progress=False)
    generate(tmp_path, profile="clean", seed=1, patients=SMALL, fmt="parquet", progress=False)
    assert not list(tmp_path.glob("*.csv"))
    assert (tmp_path / "patients.parquet").is_file()


def test_duckdb_format_writes_one_database(tmp_path: Path) -> None:
    import duckdb

    res = generate(tmp_path, profile="clean", seed=1, patients=SMALL, fmt="duckdb", progress=False)
    con = duckdb.connect(str(tmp_path / "dataset.duckdb"), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM patients").fetchall()[0][0]
    finally:
        con.close()
    assert n == SMALL == res.rows["patients"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_generated_dataset_loads_with_the_loader(tmp_path: Path, fmt: str) -> None:
    loader = pytest.importorskip("himaudit.load.loader", reason="foundation loader not landed")
    data = tmp_path / "data"
    res = generate(data, profile="demo", seed=5, patients=SMALL, fmt=fmt, progress=False)
    loaded = loader.load_directory(data, tmp_path / "wh.duckdb")
    assert loaded.issue_count == 0
    rows = {t.table: t.rows for t in loaded.tables}
    for table, n in res.rows.items():
        if table in rows:
            assert rows[table] == n, table
    assert rows["patients"] == res.rows["patients"] >= SMALL


# --- CLI ---------------------------------------------------------------------------------


def _cli(*args: str):
    from himaudit.cli import app

    return CliRunner().invoke(app, ["generate", *args])


def test_cli_generates(tmp_path: Path) -> None:
    r = _cli("--out", str(tmp_path), "--seed", "4", "--profile", "clean", "--patients", "200", "-q")
    assert r.exit_code == 0, r.output
    assert "200" in json.loads((tmp_path / "manifest.json").read_text())["rows"].__repr__()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "no-such-profile"], "unknown profile"),
        (["--patients", "-3"], "--patients must be a positive number"),
        (["--patients", "0"], "--patients must be a positive number"),
        (["--format", "xlsx"], "unknown --format"),
        (["--seed", "-1"], "--seed must be zero or positive"),
    ],
)
def test_cli_bad_options_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    r = _cli("--out", str(out), *args, "-q")
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert not out.exists()


def test_cli_unwritable_out_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    r = _cli("--out", str(blocker / "sub"), "-q")
    assert r.exit_code == 2 and r.output.startswith("error: --out")
    r = _cli("--out", str(blocker), "-q")
    assert r.exit_code == 2 and "not a directory" in r.output
