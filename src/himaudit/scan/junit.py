"""JUnit XML for CI and schedulers: one testsuite per family, one testcase per rule.

passed -> empty testcase; failed -> <failure> (severity as type, the first keys as text);
not_applicable -> <skipped>; error -> <error>. Shape follows the JUnit schema Jenkins, GitLab
and Azure DevOps accept (tests/test_scan_junit.py validates it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from himaudit.scan.outputs import atomic_write_text

SAMPLE_KEYS = 20


def junit_xml(
    run_id: str,
    results: Sequence[Mapping[str, Any]],
    samples: Mapping[str, list[str]],
    timestamp: str,
) -> str:
    """results: rule_results rows (rule_id, family, severity, status, findings, seconds,
    error, title); samples: rule_id -> a few offending record_keys."""
    root = ET.Element("testsuites", name=f"himaudit scan {run_id}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    families: dict[str, list[Mapping[str, Any]]] = {}
    for r in results:
        families.setdefault(r["family"], []).append(r)
    for family, rows in sorted(families.items()):
        suite = ET.SubElement(root, "testsuite", name=f"himaudit.{family}", timestamp=timestamp)
        counts = {"tests": len(rows), "failures": 0, "errors": 0, "skipped": 0}
        seconds = 0.0
        for r in sorted(rows, key=lambda x: x["rule_id"]):
            seconds += float(r.get("seconds") or 0.0)
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"himaudit.{family}",
                name=f"{r['rule_id']} {r.get('title', '')}".strip(),
                time=f"{float(r.get('seconds') or 0.0):.3f}",
            )
            status = r["status"]
            if status == "failed":
                counts["failures"] += 1
                keys = samples.get(r["rule_id"], [])
                more = r["findings"] - len(keys)
                el = ET.SubElement(
                    case,
                    "failure",
                    type=r["severity"],
                    message=f"{r['findings']} finding(s), severity {r['severity']}",
                )
                el.text = "\n".join(keys) + (f"\n... and {more} more" if more > 0 else "")
            elif status == "error":
                counts["errors"] += 1
                ET.SubElement(case, "error", type="rule_error", message=str(r.get("error") or ""))
            elif status == "not_applicable":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message="not applicable: table absent or empty")
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", str(counts["errors"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{seconds:.3f}")
        for k in ("tests", "failures", "errors", "skipped"):
            totals[k] += counts[k]
        totals["time"] += seconds
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, *args: Any, **kwargs: Any) -> Path:
    return atomic_write_text(path, junit_xml(*args, **kwargs))
