"""Benchmark ``himaudit generate`` on the ``large`` profile and compare with Faker per row.

    python benchmarks/bench_generate.py                  # 1,000,000 patients, all tables
    python benchmarks/bench_generate.py --patients 100000 --faker-rows 5000

Prints rows/s per table, the inject and write phases, total time and peak RSS (sampled
every 20 ms from /proc plus ``ru_maxrss``), then times Faker generating patients one row
at a time (name, sex, birth date, address, phone, SSN) in the same process and reports the
per-row speed-up of the vectorised patients builder. Targets (issue 3): 1M patients with all
tables in ≤ 90 s on 2 cores, peak RSS ≤ 6 GB, ≥ 100× faster per patient row than Faker.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path


class PeakRSS:
    """Samples the resident set size of this process in a background thread."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak, self._every, self._stop = 0, every, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self._every)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def faker_rows_per_second(n: int, seed: int = 0) -> float:
    """Patients built the slow way: one Faker call per field per row."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    t0 = time.perf_counter()
    rows = []
    for _ in range(n):
        sex = fake.random_element(("F", "M"))
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        rows.append(
            (first, fake.last_name(), sex, fake.date_of_birth(maximum_age=100),
             fake.street_address(), fake.city(), fake.state_abbr(), fake.zipcode(),
             fake.numerify("###-###-####"), fake.numerify("9##-##-####"))
        )  # fmt: skip
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="large")
    ap.add_argument("--patients", type=int, default=None, help="default: the profile's size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default="parquet", choices=("parquet", "csv", "duckdb"))
    ap.add_argument("--faker-rows", type=int, default=20_000, help="rows for the Faker baseline")
    ap.add_argument("--out", type=Path, default=None, help="keep the dataset here")
    args = ap.parse_args()

    from himaudit.generate.runner import generate

    out = args.out or Path(tempfile.mkdtemp(prefix="himaudit-bench-"))
    try:
        with PeakRSS() as rss:
            res = generate(
                out, profile=args.profile, seed=args.seed, patients=args.patients,
                fmt=args.format, progress=True,
            )  # fmt: skip
        size = sum(p.stat().st_size for p in res.files)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)

    print(f"\nprofile {res.profile}, seed {res.seed}, format {res.format}")
    print(f"{'table':<20}{'rows':>14}{'seconds':>10}{'rows/s':>14}")
    for table, secs in sorted(res.table_seconds.items(), key=lambda kv: -kv[1]):
        n = res.rows.get(table)
        rate = f"{n / secs:,.0f}" if n and secs > 0 else ""
        shown = f"{n:,}" if n is not None else ""
        print(f"{table:<20}{shown:>14}{secs:>10.2f}{rate:>14}")
    slow = sorted(res.inject_seconds.items(), key=lambda kv: -kv[1])[:6]
    print("slowest injectors: " + ", ".join(f"{r} {t:.2f} s" for r, t in slow))
    # Where the peak comes from: the steps that raised the high-water mark the most.
    steps, prev, rises = list(res.peak_rss.items()), 0, []
    for step, hwm in steps:
        rises.append((hwm - prev, step, hwm))
        prev = max(prev, hwm)
    top = sorted(rises, reverse=True)[:6]
    print("peak RSS rises: " + ", ".join(f"{s} +{d / 1e9:.2f} (to {h / 1e9:.2f}) GB"
                                         for d, s, h in top if d > 0))  # fmt: skip
    total_rows = sum(v for k, v in res.rows.items() if k != "answer_key")
    print(f"{'TOTAL':<20}{total_rows:>14,}{res.seconds:>10.2f}{total_rows / res.seconds:>14,.0f}")
    print(f"answer_key rows {res.rows['answer_key']:,}; files {size / 1e9:.2f} GB")
    print(f"peak RSS {rss.peak / 1e9:.2f} GB")

    faker_rate = faker_rows_per_second(args.faker_rows)
    ours = res.rows["patients"] / res.table_seconds["patients"]
    print(f"\npatients per second: himaudit {ours:,.0f} vs Faker per row {faker_rate:,.0f}"
          f" ({args.faker_rows:,} rows) -> {ours / faker_rate:,.0f}x faster")  # fmt: skip
    verdict = [
        f"time {res.seconds:.1f} s {'<=' if res.seconds <= 90 else '>'} 90 s",
        f"RSS {rss.peak / 1e9:.2f} GB {'<=' if rss.peak <= 6e9 else '>'} 6 GB",
        f"speed-up {ours / faker_rate:,.0f}x {'>=' if ours / faker_rate >= 100 else '<'} 100x",
    ]
    print("targets: " + "; ".join(verdict))


if __name__ == "__main__":
    main()
