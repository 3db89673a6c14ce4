"""A :class:`QualityReport` as rich renderables a trader can read at a glance.

Times are shown in KST first (the trading desk's clock) and UTC second (the files' clock).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tradetui.core.clock import format_kst, to_utc
from tradetui.data.quality import Issue, IssueKind, QualityReport, Severity

_VERDICT_STYLE = {Severity.OK: "bold green", Severity.WARNING: "bold yellow", Severity.ERROR: "bold red"}
_VERDICT_TEXT = {
    Severity.OK: "OK - no problems found",
    Severity.WARNING: "WARNINGS - usable, but look at the gaps/spikes below",
    Severity.ERROR: "ERRORS - fix the data before backtesting",
}


def format_times(ts_s: int) -> tuple[str, str]:
    """``(KST, UTC)`` labels of an epoch-seconds time, to the second."""
    return format_kst(ts_s * 1000), to_utc(ts_s * 1000).strftime("%Y-%m-%d %H:%M:%S UTC")


def summary_line(report: QualityReport) -> str:
    """One line: market, timeframe, rows, span, gaps and the verdict."""
    if report.first_ts_s is None or report.last_ts_s is None:
        span = "no rows"
    else:
        span = f"{format_times(report.first_ts_s)[0]} -> {format_times(report.last_ts_s)[0]}"
    return (
        f"{report.market} {report.timeframe} | {report.rows:,} bars | {span} | "
        f"{report.gap_count:,} gaps / {report.missing_bars:,} missing bars | verdict: {report.verdict.value.upper()}"
    )


def render_report(report: QualityReport) -> RenderableType:
    """Summary, counts per problem, up to ten examples of each, largest gaps and the verdict."""
    parts: list[RenderableType] = [Text(summary_line(report))]
    parts.append(_counts_table(report))
    if report.largest_gaps:
        parts.append(_gaps_table(report))
    parts.extend(_examples_table(issue) for issue in report.issues)
    parts.append(Text(f"Spike rule: {report.spike_rule}", style="dim"))
    verdict = report.verdict
    parts.append(Text(f"Verdict: {_VERDICT_TEXT[verdict]}", style=_VERDICT_STYLE[verdict]))
    return Panel(
        Group(*parts),
        title=f"Data check - {report.market} {report.timeframe}",
        border_style=_VERDICT_STYLE[verdict].split()[-1],
    )


def _counts_table(report: QualityReport) -> Table:
    table = Table(title="Problems", title_justify="left", expand=False)
    table.add_column("check")
    table.add_column("severity")
    table.add_column("count", justify="right")
    if not report.issues:
        table.add_row("all checks", Text("ok", style="green"), "0")
    for issue in report.issues:
        count = f"{issue.count:,}"
        if issue.kind is IssueKind.GAP:
            count += f" ({report.missing_bars:,} bars)"
        table.add_row(issue.kind.label, Text(issue.severity.value, style=_VERDICT_STYLE[issue.severity]), count)
    return table


def _gaps_table(report: QualityReport) -> Table:
    table = Table(title="Largest gaps", title_justify="left")
    table.add_column("last bar before (KST)")
    table.add_column("next bar (KST)")
    table.add_column("next bar (UTC)")
    table.add_column("missing", justify="right")
    for gap in report.largest_gaps:
        after_kst, after_utc = format_times(gap.after_ts_s)
        table.add_row(format_times(gap.before_ts_s)[0], after_kst, after_utc, f"{gap.missing_bars:,}")
    return table


def _examples_table(issue: Issue) -> Table:
    shown = len(issue.examples)
    title = f"{issue.kind.label}: first {shown} of {issue.count:,}"
    table = Table(title=title, title_justify="left", title_style=_VERDICT_STYLE[issue.severity])
    table.add_column("row", justify="right")
    table.add_column("time (KST)")
    table.add_column("time (UTC)")
    table.add_column("detail")
    for finding in issue.examples:
        kst, utc = format_times(finding.ts_s)
        table.add_row(str(finding.row), kst, utc, finding.detail)
    return table
