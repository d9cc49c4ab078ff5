"""The analyst's view of a scan: HTML report, work-queue CSVs, PHI masking.

Entry point: :func:`himaudit.report.html.render_report` (also ``himaudit.api.render_report``).
"""
