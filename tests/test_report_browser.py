"""The demo report in a real headless Chromium (Debian's package): renders with no console
errors, its JavaScript runs, its charts are SVG in the DOM, a screenshot is taken.

Chromium missing is a FAILURE, not a skip: CI installs it (.ci/run), so a silent skip would
hide a broken browser check.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_report_helpers import demo_result

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The flags that work on this machine: no sandbox as root, no GPU, and no background
# networking (the closed network would refuse Chromium's own connections at every start).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE_RE = re.compile(r":CONSOLE[:(]\d*\)?\]?\s*(.*)")
MAX_DEMO_REPORT_BYTES = 5_000_000


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium not found: install Debian's chromium (apt-get install -y chromium)")
    return path


def run_browser(url: str, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """Run headless Chromium on ``url``; return stdout and the page's console messages."""
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [m.group(1) for m in CONSOLE_RE.finditer(proc.stderr)]
    return proc.stdout, console


def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The harness itself: a page with a script error must be caught (else the real
    check below could never fail)."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>notDefined();</script></body></html>", "utf-8")
    _, console = run_browser(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("notDefined" in m for m in console), console


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_result(tmp_path_factory.getbasetemp()).report


def test_demo_report_renders_without_console_errors(demo_report: Path, tmp_path: Path) -> None:
    dom, console = run_browser(demo_report.as_uri(), tmp_path / "profile", "--dump-dom")
    assert console == [], console
    assert 'data-report-ready="true"' in dom  # the inline script ran to its end
    charts = re.findall(r'<div class="chart-box" id="chart-([a-z_]+)">(.*?)</div>', dom, re.S)
    assert len(charts) == 4
    drawn = [key for key, body in charts if '<svg role="img" class="chart"' in body]
    assert "findings_by_rule" in drawn
    for key, body in charts:
        assert key in drawn or "Not applicable" in body, key
    assert 'class="pager"' in dom  # tables were paged by the script


def test_demo_report_screenshot_and_size(demo_report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _, console = run_browser(
        demo_report.as_uri(),
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1400,2400",
        "--hide-scrollbars",
    )
    assert console == [], console
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a rendered page, not a blank canvas
    assert demo_report.stat().st_size < MAX_DEMO_REPORT_BYTES
