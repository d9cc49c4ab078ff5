"""Benchmark: duplicate-patient linkage (MPI-002/003) on a 1,000,000-row MPI.

    python benchmarks/bench_mpi.py [--patients 1000000] [--seed 7] [--advanced]

The MPI is the generator's own patients builder (households, twins, juniors, common names,
~10% missing SSNs) plus the MPI-002/003 injectors' duplicates; then one linkage run, timed
and memory-sampled per phase (features, training, prediction, clustering), and scored
pairwise against the planted duplicates. Target: <= 2 min and <= 4 GB peak RSS for 1M.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import threading
import time
from pathlib import Path


class RssSampler:
    """Peak resident memory per phase, sampled from /proc every 20 ms (ru_maxrss only
    knows the process-wide peak)."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_gb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024**2
        return 0.0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            rss = self.rss_gb()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def set_phase(self, name: str) -> None:
        self.phase = name

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def build_mpi(patients: int, seed: int, advanced: bool) -> tuple[object, set[str], float]:
    """The generator's patients builder + MPI-002/003 injectors; returns the patients as
    Arrow, the planted MPI-002 pair keys, and seconds taken."""

    from himaudit.generate.defects import mpi as mpi_defects
    from himaudit.generate.registry import BUILDERS
    from himaudit.generate.runner import new_context, resolve_profile
    from himaudit.generate.writer import to_contract

    t0 = time.perf_counter()
    prof = resolve_profile("demo", patients)
    mix = {**prof.mix, "difficulty": "advanced" if advanced else "basic"}
    ctx = new_context(dataclasses.replace(prof, mix=mix), seed)
    ctx.tables["patients"] = to_contract("patients", BUILDERS["patients"].fn(ctx))
    defects = mpi_defects.duplicate_patients(ctx, 0.02) + mpi_defects.duplicate_clusters(ctx, 0.002)
    keys = {d.record_key for d in defects if d.rule_id == "MPI-002"}
    raw = ctx.tables["patients"].to_arrow()
    return raw, keys, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--advanced", action="store_true", help="subtler duplicate perturbations")
    args = ap.parse_args()

    from himaudit.rules.mpi import _features, _findings, _linkage

    raw, planted, gen_s = build_mpi(args.patients, args.seed, args.advanced)
    raw = raw.select(list(_features.RAW_COLUMNS))
    print(f"MPI: {raw.num_rows:,} rows, {len(planted):,} planted duplicate pairs ({gen_s:.1f} s)")

    sampler = RssSampler().start()
    t0 = time.perf_counter()
    result = _linkage.run_linkage(raw, dict(_linkage.THRESHOLDS), phase_hook=sampler.set_phase)
    total = time.perf_counter() - t0
    sampler.stop()

    found = set(_findings.pair_findings(result, {}).column("record_key").to_pylist())
    tp = len(found & planted)
    report = {
        "records": result.records,
        "seconds_total": round(total, 1),
        "seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        "peak_rss_gb": {k: round(v, 2) for k, v in sampler.peaks.items()},
        "record_pairs_above_possible": result.comparisons,
        "em_blocks_trained": result.em_blocks,
        "mpi002_precision": round(tp / max(len(found), 1), 4),
        "mpi002_recall": round(tp / max(len(planted), 1), 4),
        "figures": _findings.summary_figures(result),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
