# Developer entry points. `make check` runs in your active environment what CI runs
# (ruff + the README's pytest command); `make ci` runs the full CI script (fresh venv).
.PHONY: check lint test ci bench

# The pytest part of the README's test command (after the last '&&'), so the two cannot drift.
TEST_CMD := $(shell awk '/<!-- test-command:start -->/{f=1;next} /<!-- test-command:end -->/{f=0} f && !/^```/' README.md | sed 's/.*&& *//')

check: lint test

lint:
	ruff check src tests benchmarks

test:
	$(TEST_CMD)

ci:
	.ci/run

# All benchmarks at full size (1M patients): generate once, scan that dataset, link a 1M MPI.
BENCH_DIR ?= /tmp/himaudit-large
bench:
	python benchmarks/bench_generate.py --out $(BENCH_DIR)
	python benchmarks/bench_scan.py --data $(BENCH_DIR)
	python benchmarks/bench_mpi.py
