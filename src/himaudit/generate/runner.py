"""Run the generator: clean builders in dependency order, then injectors, then write.

Two entry points share the same steps so a test sees exactly the data a user gets:
``build_hospital`` keeps everything in memory (tests), ``generate`` streams iterator
builders (the access log) chunk by chunk to the writer so memory does not grow with them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from himaudit.contract import load_contract
from himaudit.errors import UsageError
from himaudit.generate.context import Defect, GenContext
from himaudit.generate.manifest import build_manifest
from himaudit.generate.pools import build_pools
from himaudit.generate.profile import Profile, load_profile
from himaudit.generate.registry import BUILDERS, INJECTORS, build_order, discover
from himaudit.generate.writer import DatasetWriter, TableSink, empty_table, to_contract

ANSWER_KEY = "answer_key"
# ctx.meta keys of per-run lookups (encounter frame, COD encounter index, access model) that
# builders and injectors share; dropped once injection is over.
CACHE_PREFIXES = ("_enc_", "cod:", "ret:", "acc:", "access:")


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    profile: str
    seed: int
    format: str
    as_of: str
    rows: dict[str, int]  # table -> rows written (answer_key included)
    files: list[Path]
    defects: int
    seconds: float
    # builder time per table (streamed tables: build + write), plus "(inject defects)" and
    # "(write files)" for the two later phases
    table_seconds: dict[str, float]
    inject_seconds: dict[str, float]  # per injector (rule id)
    # peak resident set size (bytes, Linux VmHWM) reached by the end of each builder,
    # injector and phase, in run order: where the run's peak memory comes from
    peak_rss: dict[str, int] = dataclasses.field(default_factory=dict)


def peak_rss_now() -> int:
    """The process's peak resident set size so far (VmHWM), or 0 where /proc is absent."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def resolve_profile(profile: str | Profile, patients: int | None) -> Profile:
    if isinstance(profile, Profile):
        if patients is None:
            return profile
        if patients <= 0:
            raise UsageError(f"--patients must be a positive number, got {patients}")
        return dataclasses.replace(profile, patients=patients)
    return load_profile(profile, patients=patients)


def new_context(profile: Profile, seed: int) -> GenContext:
    if seed < 0:
        raise UsageError(f"--seed must be zero or positive, got {seed}")
    discover()
    return GenContext(profile=profile, seed=seed, pools=build_pools(tuple(profile.states)))


def run_injectors(ctx: GenContext) -> pl.DataFrame:
    """Every injector with a positive rate, in rule-id order → the answer_key frame."""
    defects: list[Defect] = []
    built = {t: id(df) for t, df in ctx.tables.items()}
    for rule_id in sorted(INJECTORS):
        rate = ctx.profile.rate(rule_id)
        if rate <= 0:
            continue
        t0 = time.perf_counter()
        found = INJECTORS[rule_id].fn(ctx, rate)
        ctx.meta.setdefault("inject_seconds", {})[rule_id] = time.perf_counter() - t0
        ctx.meta.setdefault("peak_rss", {})["inject " + rule_id] = peak_rss_now()
        defects.extend(found)
    # A table an injector rewrote is put in a canonical row order (see finish_table) — late,
    # table by table as it is written, so only one sorted copy exists at a time.
    ctx.meta["_rewritten"] = {t for t, df in ctx.tables.items() if built.get(t) != id(df)}
    # Lookups cached for builders and injectors are not needed any more: free them first.
    for key in [k for k in ctx.meta if k.startswith(CACHE_PREFIXES)]:
        del ctx.meta[key]
    for table, extra in list(ctx.extra.items()):
        if extra:
            rows = pl.concat([to_contract(table, e) for e in extra])
            ctx.extra[table] = [canonical_order(table, rows)]
    ctx.meta.setdefault("peak_rss", {})["inject (canonical order)"] = peak_rss_now()
    return answer_key_frame(defects)


def finish_table(ctx: GenContext, table: str) -> pl.DataFrame:
    """A built table in contract form; a table an injector rewrote is put in canonical order."""
    df = to_contract(table, ctx.tables.get(table, empty_table(table)))
    if table in ctx.meta.get("_rewritten", ()):
        df = canonical_order(table, df)
    return df


def canonical_order(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Rows sorted by the table's key; the sort is stable, so rows sharing a key (a planted
    duplicate) keep the order the seeded injectors gave them.

    Builders emit their tables in key order and injectors append rows at the end, update
    non-key columns in place or drop rows, so a rewritten table is nearly always a sorted
    head plus a short tail: only the tail is sorted and merged into the head (the same result
    as a stable sort of the whole table, for a fraction of its cost on the 7M-row tables of
    the large profile). Anything else (NULL keys, a long tail) gets the full stable sort."""
    key = list(load_contract()[table].key)
    if df.height < 2:
        return df
    keys = df.select(key)
    if keys.null_count().sum_horizontal().item():
        return df.sort(key, nulls_last=True, maintain_order=True)
    brk = _first_break(keys)
    if brk is None:
        return df
    if df.height - brk > max(df.height // 8, 1000):
        return df.sort(key, maintain_order=True)
    tail = df[brk:].sort(key, maintain_order=True)
    pos = _insert_positions(keys[:brk], tail.select(key))
    m = tail.height
    # final row of tail j: after the pos[j] head rows (and the j tail rows) before it;
    # a head row on an equal key stays first, exactly as in a stable sort
    at = pos + np.arange(m)
    order = np.empty(df.height, dtype=np.int64)
    is_tail = np.zeros(df.height, dtype=bool)
    is_tail[at] = True
    order[~is_tail] = np.arange(brk)
    order[at] = brk + np.arange(m)
    return pl.concat([df[:brk], tail]).rechunk()[order]


def _first_break(keys: pl.DataFrame) -> int | None:
    """Index of the first row whose key sorts before the previous row's, or None."""
    cols = keys.columns
    less = pl.lit(False)
    for c in reversed(cols):  # lexicographic: c < prev, or c == prev and the rest is less
        cur, prev = pl.col(c), pl.col(c).shift(1)
        less = (cur < prev) | ((cur == prev) & less)
    flags = keys.select(less.fill_null(False).alias("b"))["b"]
    return int(flags.arg_max()) if flags.any() else None  # type: ignore[arg-type]


def _insert_positions(head: pl.DataFrame, tail: pl.DataFrame) -> np.ndarray:
    """For each tail key (tail sorted), how many head rows sort before it or equal to it
    (head sorted). Narrowed column by column for compound keys; the tail is short."""
    cols = head.columns
    first = head[cols[0]]
    lo = first.search_sorted(tail[cols[0]], side="left").to_numpy().astype(np.int64)
    hi = first.search_sorted(tail[cols[0]], side="right").to_numpy().astype(np.int64)
    if len(cols) == 1:
        return hi
    out = hi.copy()
    for j, row in enumerate(tail.iter_rows()):
        a, b = int(lo[j]), int(hi[j])
        for k, c in enumerate(cols[1:], start=1):
            if a == b:
                break
            part = head[c][a:b]
            a, b = (
                a + int(part.search_sorted(row[k], side="left")),
                a + int(part.search_sorted(row[k], side="right")),
            )
        out[j] = b
    return out


def answer_key_frame(defects: list[Defect]) -> pl.DataFrame:
    # Defect ids follow (rule, record) order, not the order injectors happened to return.
    defects = sorted(
        defects, key=lambda d: (d.rule_id, d.table_name, d.record_key, d.mrn or "", d.detail)
    )
    return to_contract(
        ANSWER_KEY,
        pl.DataFrame(
            {
                "defect_id": [f"K{i:08d}" for i in range(1, len(defects) + 1)],
                "rule_id": [d.rule_id for d in defects],
                "table_name": [d.table_name for d in defects],
                "record_key": [d.record_key for d in defects],
                "mrn": [d.mrn for d in defects],
                "detail": [d.detail for d in defects],
            },
            schema={
                c: pl.String
                for c in ("defect_id", "rule_id", "table_name", "record_key", "mrn", "detail")
            },
        ),
    )


def build_hospital(profile: str | Profile, seed: int, patients: int | None = None) -> GenContext:
    """Build a whole hospital in memory (no files): for tests and small runs.

    Iterator builders are materialised; rows injectors appended to ``ctx.extra`` are folded
    into ``ctx.tables``; ``ctx.tables["answer_key"]`` holds the answer key."""
    prof = resolve_profile(profile, patients)
    ctx = new_context(prof, seed)
    for b in build_order():
        res = b.fn(ctx)
        if isinstance(res, pl.DataFrame):
            ctx.tables[b.table] = to_contract(b.table, res)
        else:
            chunks = [to_contract(b.table, c) for c in res]
            ctx.tables[b.table] = pl.concat(chunks) if chunks else empty_table(b.table)
    answer = run_injectors(ctx)
    for table in list(ctx.tables):
        if table in load_contract():
            ctx.tables[table] = finish_table(ctx, table)
    for table, extra in ctx.extra.items():
        base = ctx.tables.get(table, empty_table(table))
        ctx.tables[table] = pl.concat([base, *(to_contract(table, e) for e in extra)])
    ctx.extra.clear()
    ctx.tables[ANSWER_KEY] = answer
    return ctx


def generate(
    out: Path | str,
    *,
    profile: str | Profile = "demo",
    seed: int = 0,
    patients: int | None = None,
    fmt: str = "parquet",
    progress: bool = True,
) -> GenerateResult:
    """Generate a dataset into ``out`` (created if needed), atomically; see module doc."""
    t0 = time.perf_counter()
    prof = resolve_profile(profile, patients)
    if seed < 0:  # checked before --out is touched
        raise UsageError(f"--seed must be zero or positive, got {seed}")
    out = Path(out)
    writer = DatasetWriter(out, fmt)
    bar = _Progress(progress)
    try:
        ctx = new_context(prof, seed)
        streamed: dict[str, TableSink] = {}
        timings: dict[str, float] = {}
        with bar:
            for b in build_order():
                tb = time.perf_counter()
                res = b.fn(ctx)
                if isinstance(res, pl.DataFrame):
                    ctx.tables[b.table] = to_contract(b.table, res)
                    bar.done(b.table, res.height)
                else:
                    streamed[b.table] = _stream(writer, b.table, res, bar)
                timings[b.table] = time.perf_counter() - tb
                ctx.meta.setdefault("peak_rss", {})["build " + b.table] = peak_rss_now()
            bar.note("defects", "injecting defects")
            tb = time.perf_counter()
            answer = run_injectors(ctx)
            timings["(inject defects)"] = time.perf_counter() - tb
            bar.done("defects", answer.height)
            bar.note("write", "writing files")
            tb = time.perf_counter()
            rows = _write_all(writer, ctx, streamed, answer, bar)
            timings["(write files)"] = time.perf_counter() - tb
            ctx.meta.setdefault("peak_rss", {})["write files"] = peak_rss_now()
        files = writer.staged_files()
        notes: dict[str, Any] = {
            "tables_without_builder": sorted(
                t for t in load_contract() if t not in BUILDERS and t != ANSWER_KEY
            ),
            "defect_rules_without_injector": sorted(
                r for r, v in prof.defects.items() if v > 0 and r not in INJECTORS
            ),
        }
        text = build_manifest(prof, seed, fmt, rows, files, answer["rule_id"].to_list(), notes)
        moved = writer.commit(text)
    except BaseException:
        writer.abort()
        raise
    return GenerateResult(
        out=out,
        profile=prof.name,
        seed=seed,
        format=fmt,
        as_of=prof.as_of.isoformat(),
        rows=rows,
        files=moved,
        defects=answer.height,
        seconds=time.perf_counter() - t0,
        table_seconds=timings,
        inject_seconds=dict(ctx.meta.get("inject_seconds", {})),
        peak_rss=dict(ctx.meta.get("peak_rss", {})),
    )


def _stream(
    writer: DatasetWriter, table: str, chunks: Iterator[pl.DataFrame], bar: _Progress
) -> TableSink:
    sink = writer.open(table)
    for chunk in chunks:
        sink.write(chunk)
        bar.advance(table, chunk.height)
    bar.done(table, sink.rows)
    return sink  # left open: injectors may still append rows (ctx.extra) before close


def _write_all(
    writer: DatasetWriter,
    ctx: GenContext,
    streamed: dict[str, TableSink],
    answer: pl.DataFrame,
    bar: _Progress,
) -> dict[str, int]:
    rows: dict[str, int] = {}
    for table in load_contract():
        if table == ANSWER_KEY:
            continue
        extra = ctx.extra.get(table, [])
        sink = streamed.get(table) or writer.open(table)
        if table not in streamed:
            sink.write(finish_table(ctx, table))
            ctx.tables.pop(table, None)  # written: release it before the next one is sorted
        for df in extra:
            sink.write(df)
        rows[table] = sink.close()
        bar.advance("write", rows[table])
    rows[ANSWER_KEY] = writer.write_table(ANSWER_KEY, answer)
    bar.done("write", sum(rows.values()))
    return rows


class _Progress:
    """A rich progress display on stderr (one line per table), or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._p: Any = None
        self._tasks: dict[str, Any] = {}
        self._rows: dict[str, int] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._p = Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<24}"),
                TextColumn("{task.fields[rows]:>12,} rows"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> _Progress:
        if self._p is not None:
            self._p.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)

    def _task(self, name: str, label: str | None = None) -> Any:
        if name not in self._tasks:
            self._tasks[name] = self._p.add_task(label or name, total=None, rows=0)
        return self._tasks[name]

    def note(self, name: str, label: str) -> None:
        if self._p is not None:
            self._task(name, label)

    def advance(self, name: str, n: int) -> None:
        if self._p is not None:
            self._rows[name] = self._rows.get(name, 0) + n
            self._p.update(self._task(name), rows=self._rows[name])

    def done(self, name: str, n: int) -> None:
        if self._p is not None:
            task = self._task(name)
            self._p.update(task, rows=n, total=1, completed=1)
