"""The report's charts: Vega-Lite specs built with Altair, rendered to inline SVG offline by
vl-convert (no CDN, no JavaScript charting runtime in the page).

Each chart function returns a :class:`Chart`: an SVG when its data exists, otherwise a
"not applicable" note saying why — an empty chart would look like "no problems".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from himaudit.report.data import fetch_dicts, findings_filter, has_relation

#: AHIMA's goal for the MPI duplicate error rate (records in possible-duplicate sets ÷ MPI).
DUPLICATE_RATE_GOAL = 0.01
_TOP_N = 20


@dataclass
class Chart:
    key: str
    title: str
    svg: str | None = None
    note: str = ""


def _svg(chart: Any) -> str:
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart.to_dict())
    # Vega writes an XML prolog-free <svg>; give it a class so the CSS can scale it.
    return svg.replace("<svg ", '<svg role="img" class="chart" ', 1)


def findings_by_rule(counts: list[dict[str, Any]]) -> Chart:
    """Findings per rule, coloured by family (counts: rows of family, rule_id, findings)."""
    chart = Chart("findings_by_rule", "Findings by family and rule")
    if not counts:
        chart.note = "Not applicable: the scan produced no findings."
        return chart
    import altair as alt

    data = alt.Data(values=[{**r, "findings": int(r["findings"])} for r in counts])
    height = max(120, 18 * len(counts))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("rule_id:N", sort="ascending", title="rule"),
            x=alt.X("findings:Q", title="findings", scale=alt.Scale(type="symlog")),
            color=alt.Color("family:N", title="family"),
            tooltip=["rule_id:N", "family:N", "findings:Q"],
        )
        .properties(width=520, height=height)
    )
    labels = bars.mark_text(align="left", dx=3, fontSize=10).encode(text="findings:Q")
    chart.svg = _svg(bars + labels)
    return chart


def delinquency_by_provider(con: Any, run_id: str | None) -> Chart:
    """Delinquent records (DOC-009) per responsible provider, top N."""
    chart = Chart("delinquency_by_provider", "Record delinquency by responsible provider")
    where, params = findings_filter(run_id)
    where = (where + " AND " if where else "WHERE ") + "rule_id = 'DOC-009'"
    rows = fetch_dicts(
        con,
        "SELECT coalesce(user_id, '(no provider)') AS provider, count(*) AS delinquent "
        f"FROM audit.findings {where} GROUP BY ALL ORDER BY delinquent DESC, provider "
        f"LIMIT {_TOP_N}",
        params,
    )
    if not rows:
        chart.note = "Not applicable: no delinquent records (DOC-009) in this run."
        return chart
    import altair as alt

    chart.svg = _svg(
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#b45309")
        .encode(
            y=alt.Y("provider:N", sort="-x", title=f"provider (top {_TOP_N})"),
            x=alt.X("delinquent:Q", title="delinquent records"),
            tooltip=["provider:N", "delinquent:Q"],
        )
        .properties(width=480, height=max(100, 18 * len(rows)))
    )
    return chart


def access_over_time(con: Any, run_id: str | None) -> Chart:
    """ACC findings per week (per month when they span over a year), stacked by rule.
    Event-keyed findings take the access time from ``access_log``; user-day keyed ones
    (``U123:2026-03-01``) carry their date in the key."""
    chart = Chart("access_over_time", "Access anomalies over time")
    if not has_relation(con, "main", "access_log"):
        chart.note = "Not applicable: no access_log table."
        return chart
    where, params = findings_filter(run_id)
    where = (where + " AND " if where else "WHERE ") + "f.family = 'ACC'"
    timed = (
        "SELECT f.rule_id, coalesce(a.accessed_at, "
        "try_cast(split_part(f.record_key, ':', 2) AS TIMESTAMP)) AS ts "
        "FROM audit.findings f LEFT JOIN access_log a ON a.event_id = f.record_key "
        f"{where}"
    )
    span = con.execute(
        f"SELECT date_diff('day', min(ts)::DATE, max(ts)::DATE) FROM ({timed})", params
    ).fetchall()[0][0]
    unit = "month" if (span or 0) > 366 else "week"
    rows = fetch_dicts(
        con,
        f"SELECT strftime(date_trunc('{unit}', ts), '%Y-%m-%d') AS period, rule_id, "
        f"count(*) AS findings FROM ({timed}) WHERE ts IS NOT NULL GROUP BY ALL "
        "ORDER BY period, rule_id",
        params,
    )
    if not rows:
        chart.note = "Not applicable: no access findings (ACC) with a time in this run."
        return chart
    import altair as alt

    chart.svg = _svg(
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "period:T",
                timeUnit="yearmonth" if unit == "month" else "yearmonthdate",
                title=f"{unit} of access",
            ),
            y=alt.Y("sum(findings):Q", title="findings", stack=True),
            color=alt.Color("rule_id:N", title="rule"),
            tooltip=["period:N", "rule_id:N", "findings:Q"],
        )
        .properties(width=640, height=220)
    )
    chart.note = f"One bar per {unit}; {sum(r['findings'] for r in rows):,} findings with a time."
    return chart


def duplicate_rate(rate: float | None, source: str) -> Chart:
    """The MPI duplicate error rate against AHIMA's 1% goal."""
    chart = Chart("mpi_duplicate_rate", "MPI duplicate error rate")
    if rate is None:
        chart.note = "Not applicable: no MPI duplicate figure (no patients or no MPI rules)."
        return chart
    import altair as alt

    data = alt.Data(
        values=[
            {"measure": "this MPI", "rate": rate},
            {"measure": "AHIMA goal", "rate": DUPLICATE_RATE_GOAL},
        ]
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("measure:N", title=None, sort=["this MPI", "AHIMA goal"]),
            x=alt.X(
                "rate:Q",
                title="share of MPI records in possible-duplicate sets",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "measure:N",
                legend=None,
                scale=alt.Scale(range=["#9ca3af", "#dc2626"], domain=["AHIMA goal", "this MPI"]),
            ),
        )
        .properties(width=480, height=80)
    )
    labels = bars.mark_text(align="left", dx=3).encode(text=alt.Text("rate:Q", format=".2%"))
    chart.svg = _svg(bars + labels)
    chart.note = source
    return chart
