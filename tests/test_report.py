"""The HTML report and work queues, on a small hand-made scan OUTDIR."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from himaudit import api
from himaudit.cli import app
from himaudit.errors import InputError
from himaudit.report.html import FINDINGS_CAP, render_report
from test_report_helpers import RUN_ID, make_outdir


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return make_outdir(tmp_path / "scan")


def _add_findings(outdir: Path, sql: str) -> None:
    con = duckdb.connect(str(outdir / "warehouse.duckdb"))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_report_is_self_contained(outdir: Path) -> None:
    html = render_report(outdir).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # nothing the browser would fetch: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|img|iframe)[^>]+src=", html)
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "default-src 'none'" in html  # CSP blocks any fetch that slipped through


def test_report_summary_sections_and_charts(outdir: Path) -> None:
    html = render_report(outdir).read_text(encoding="utf-8")
    assert f'content="{RUN_ID}"' in html
    assert "2026-06-30" in html  # as_of
    for fam in ("MPI", "DOC", "ACC", "ROI", "COD", "RET"):
        assert f'id="family-{fam}"' in html
    assert "DOC — Documentation integrity: 3 findings" in html
    for key in (
        "findings_by_rule",
        "delinquency_by_provider",
        "access_over_time",
        "mpi_duplicate_rate",
    ):
        box = html[html.index(f'id="chart-{key}"') :]
        box = box[: box.index("</div>")]
        assert '<svg role="img" class="chart"' in box, key
    assert "not_applicable" in html  # rule status shown
    assert "Computed by the report: 2 MRNs" in html  # duplicate rate from pairs ÷ MPI


def test_chart_without_data_says_not_applicable(outdir: Path) -> None:
    _add_findings(outdir, "DELETE FROM audit.findings WHERE family IN ('ACC', 'MPI')")
    _add_findings(outdir, "DELETE FROM audit.rule_results WHERE family = 'MPI'")
    html = render_report(outdir).read_text(encoding="utf-8")
    for key in ("access_over_time", "mpi_duplicate_rate"):
        box = html[html.index(f'id="chart-{key}"') :]
        box = box[: box.index("</div>")]
        assert "<svg" not in box and "Not applicable" in box, key
    assert "Not applicable: no duplicate-patient pairs" in html


def test_large_family_is_capped_with_totals(outdir: Path) -> None:
    _add_findings(
        outdir,
        f"INSERT INTO audit.findings SELECT '{RUN_ID}', 'DOC-001', 'medium', 'DOC', 'notes', "
        "'N' || lpad(i::VARCHAR, 10, '0'), 'M00000003', 'U000001', 'Note unsigned', '{}' "
        "FROM range(3000) t(i)",
    )
    path = render_report(outdir)
    html = path.read_text(encoding="utf-8")
    assert f"Showing the {FINDINGS_CAP} most severe of 3,003 findings" in html
    doc = html[html.index('id="family-DOC"') : html.index('id="family-COD"')]
    assert doc.count("<tr>") == FINDINGS_CAP + 1  # header + capped rows
    # the two high-severity DOC-009 rows come first despite 3,000 medium ones
    assert doc.index("DOC-009") < doc.index("N0000000000")
    assert path.stat().st_size < 3_000_000
    queue = outdir / "work_queues" / "deficiencies_by_provider.csv"
    with queue.open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == 3003  # CSVs hold every row


def test_work_queues_from_findings(outdir: Path) -> None:
    render_report(outdir)
    qdir = outdir / "work_queues"
    with (qdir / "deficiencies_by_provider.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["provider"] for r in rows} == {"U000001"}
    assert {r["provider_open_items"] for r in rows} == {"3"}
    with (qdir / "access_cases_by_user.csv").open(encoding="utf-8") as fh:
        acc = list(csv.DictReader(fh))
    assert [r["investigated_user"] for r in acc] == ["U000002", "U000002"]
    with (qdir / "roi_problems_by_request.csv").open(encoding="utf-8") as fh:
        roi = list(csv.DictReader(fh))
    assert roi == [
        {
            "request": "D00000001",
            "table_name": "disclosures",
            "mrn": "M00000003",
            "problems": "1",
            "rules": "ROI-001",
            "severity_rank": "4",
            "messages": "Disclosure to attorney without authorization",
        }
    ]
    assert not list(qdir.glob("*.tmp-*"))


def test_work_queue_prefers_family_view(outdir: Path) -> None:
    _add_findings(
        outdir,
        "CREATE VIEW audit.doc_work_queue AS SELECT user_id AS responsible_provider, "
        "count(*) AS deficiencies FROM audit.findings WHERE family = 'DOC' GROUP BY user_id",
    )
    html = render_report(outdir).read_text(encoding="utf-8")
    qdir = outdir / "work_queues"
    assert (qdir / "doc_work_queue.csv").read_text(encoding="utf-8").splitlines() == [
        "responsible_provider,deficiencies",
        "U000001,3",
    ]
    assert "view audit.doc_work_queue" in html


def test_report_via_api_and_custom_out(outdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "r.html"
    assert api.render_report(outdir, out=target) == target
    assert target.is_file() and not (outdir / "report.html").exists()


def test_not_an_outdir_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no warehouse.duckdb"):
        render_report(tmp_path)


def test_cli_report(outdir: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(outdir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"report: {outdir / 'report.html'}" in result.output
    assert "7 findings" in result.output
    bad = CliRunner().invoke(app, ["report", str(outdir / "nope")])
    assert bad.exit_code == 2
    assert "error:" in bad.output and "Traceback" not in bad.output


def test_summary_json_untouched_by_masked_report(outdir: Path) -> None:
    before = (outdir / "summary.json").read_text(encoding="utf-8")
    render_report(outdir)
    assert (outdir / "summary.json").read_text(encoding="utf-8") == before
    assert "phi_shown" not in json.loads(before)


def test_report_without_summary_json_uses_run_history(outdir: Path) -> None:
    (outdir / "summary.json").unlink()
    html = render_report(outdir).read_text(encoding="utf-8")
    assert f'content="{RUN_ID}"' in html  # run from audit.runs
    assert "exports/" in html and "2026-06-30" in html
    assert "DOC — Documentation integrity: 3 findings" in html
