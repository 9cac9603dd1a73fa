"""The campaign made visible: one report, built once from the policy and the ledger, rendered
for a terminal, for machines (JSON), for a GitHub job summary (Markdown) and as a page (HTML).

Every number is computed in one place (`Summary.of`) and every cell's text in another
(`_Row.of`), so the renderings cannot disagree; each renderer only escapes for its medium.
Everything that comes from a repository (names, paths, messages, reasons) is untrusted
text: it is escaped in every format, and only http(s) URLs ever become links.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import html
import json
import math
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.style import Style
from rich.table import Table
from rich.text import Text

from bot import markdown as md
from bot.ledger import Ledger
from bot.outcomes import Outcome, RepoOutcome
from bot.policy import Policy

SCHEMA_VERSION = 1
MAX_DETAILS_PER_REPO = 50  # lines of files and findings under one repository
MAX_DETAILS = 2000  # and under all of them: a page stays readable
MAX_NAME_WIDTH = 28  # a name in the terminal table folds only past this
MARKDOWN_RUNS = 10
SUMMARY_BYTES = 1_000_000  # GitHub takes at most 1 MiB of job summary per step
COLUMNS = ("repository", "outcome", "PR", "files", "rewrites", "findings", "checks", "reason")
NUMERIC = {"files", "findings"}


class ReportError(ValueError):
    """A document is not a report this version can read; the message is one line."""


# How each outcome looks: a tone (its colour everywhere) and how a sentence counts it.
TONES: dict[Outcome, str] = {
    Outcome.ERROR: "error",
    Outcome.PR_DECLINED: "held",
    Outcome.BLOCKED: "held",
    Outcome.CHECKS_FAILED: "held",
    Outcome.LIMIT_REACHED: "held",
    Outcome.NEEDS_CHANGE: "pending",
    Outcome.PR_OPENED: "pending",
    Outcome.PR_UPDATED: "pending",
    Outcome.PR_UNCHANGED: "pending",
    Outcome.COMPLIANT: "good",
    Outcome.WAIVED: "good",
}
TONE_ORDER = ("error", "held", "pending", "good")
TONE_STYLE = {"error": "bold red", "held": "yellow", "pending": "cyan", "good": "green"}
TONE_ICON = {"error": "❌", "held": "⚠️", "pending": "🔄", "good": "✅"}
PHRASES: dict[Outcome, tuple[str, str]] = {
    Outcome.COMPLIANT: ("compliant", "compliant"),
    Outcome.WAIVED: ("waived", "waived"),
    Outcome.NEEDS_CHANGE: ("needs a change", "need a change"),
    Outcome.PR_OPENED: ("PR opened", "PRs opened"),
    Outcome.PR_UPDATED: ("PR updated", "PRs updated"),
    Outcome.PR_UNCHANGED: ("PR unchanged", "PRs unchanged"),
    Outcome.PR_DECLINED: ("PR declined", "PRs declined"),
    Outcome.BLOCKED: ("blocked", "blocked"),
    Outcome.CHECKS_FAILED: ("with failing checks", "with failing checks"),
    Outcome.LIMIT_REACHED: ("held by a limit", "held by limits"),
    Outcome.ERROR: ("error", "errors"),
}


def _counted(count: int, outcome: Outcome) -> str:
    singular, plural = PHRASES[outcome]
    return f"{count} {singular if count == 1 else plural}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


@dataclass(frozen=True)
class Summary:
    """The headline numbers; errors count neither for nor against compliance."""

    repositories: int
    compliant: int
    non_compliant: int
    errors: int
    compliance_percent: float | None
    by_outcome: dict[str, int]
    violations: int
    findings: int

    @classmethod
    def of(cls, outcomes: Iterable[RepoOutcome]) -> Summary:
        outcomes = list(outcomes)
        counts = Counter(o.outcome for o in outcomes)
        compliant = sum(n for o, n in counts.items() if o.compliant is True)
        non_compliant = sum(n for o, n in counts.items() if o.compliant is False)
        judged = compliant + non_compliant
        return cls(
            repositories=len(outcomes),
            compliant=compliant,
            non_compliant=non_compliant,
            errors=counts[Outcome.ERROR],
            compliance_percent=round(100 * compliant / judged, 1) if judged else None,
            by_outcome={o.value: counts[o] for o in Outcome},
            violations=sum(o.violations for o in outcomes),
            findings=sum(len(o.findings) for o in outcomes),
        )

    def count(self, outcome: Outcome) -> int:
        return self.by_outcome[outcome.value]

    def headline(self) -> list[tuple[str, str]]:
        """The numbers a job summary and the page lead with, as (label, value)."""
        prs = (Outcome.PR_OPENED, Outcome.PR_UPDATED, Outcome.PR_UNCHANGED, Outcome.PR_DECLINED)
        return [
            ("repositories", str(self.repositories)),
            ("compliant", f"{self.compliant} ({_percent(self.compliance_percent)})"),
            *((PHRASES[o][1], str(self.count(o))) for o in prs),
            ("errors", str(self.errors)),
        ]


def summary_line(outcomes: Sequence[RepoOutcome]) -> str:
    """One sentence for the end of `fleetmod run`/`audit`: every outcome that happened."""
    summary = Summary.of(outcomes)
    noun = "repository" if summary.repositories == 1 else "repositories"
    parts = [_counted(summary.count(o), o) for o in PHRASES if summary.count(o)]
    listed = f": {', '.join(parts)}" if parts else ""
    return (
        f"{summary.repositories} {noun}{listed}; {_percent(summary.compliance_percent)} compliant"
    )


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    version: str
    title: str
    url: str = ""


@dataclass(frozen=True)
class RunPoint:
    """One run, and the fleet as it stood after it: each repository's newest outcome so far.

    Carrying outcomes forward keeps a partial run (`--retry-failed`, one shard) from
    looking like progress; an empty ``pr_state`` (an audit does not look) keeps the last one.
    """

    id: int
    command: str
    policy_version: str
    started_at: str
    finished_at: str | None
    outcomes: dict[str, int]
    open: int
    merged: int
    closed: int
    violations: int


FLEET_NUMBERS = ("open", "merged", "closed", "violations")


@dataclass(frozen=True)
class WaiverNote:
    """A waiver that has expired or expires soon, and the repositories its glob names."""

    repository: str
    codemods: list[str]
    paths: list[str]
    reason: str
    owner: str
    expires: str
    days_left: int
    repositories: list[str]

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    def describe(self) -> str:
        when = (
            f"expired {_plural(-self.days_left, 'day')} ago"
            if self.expired
            else f"expires in {_plural(self.days_left, 'day')}"
        )
        what = ", ".join(self.codemods) or "every codemod"
        where = f" on {', '.join(self.paths)}" if self.paths else ""
        covers = ", ".join(self.repositories) or "no repository in this report"
        return (
            f"{self.repository} ({what}{where}) {when} on {self.expires}; owner {self.owner}: "
            f"{self.reason}; covers {covers}"
        )


@dataclass
class Report:
    """Everything every rendering shows; ``summary`` is always recomputed from ``outcomes``."""

    policy: PolicyInfo
    generated_at: str
    outcomes: list[RepoOutcome]
    runs: list[RunPoint] = field(default_factory=list)
    waivers: list[WaiverNote] = field(default_factory=list)
    merged_from: int = 1

    @property
    def summary(self) -> Summary:
        return Summary.of(self.outcomes)

    @property
    def provenance(self) -> str:
        merged = f", merged from {self.merged_from} reports" if self.merged_from > 1 else ""
        return f"generated {self.generated_at}{merged}"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": self.generated_at,
            "policy": asdict(self.policy),
            "merged_from": self.merged_from,
            "summary": asdict(self.summary),
            "outcomes": [o.to_json() for o in self.outcomes],
            "runs": [asdict(r) for r in self.runs],
            "waivers": [asdict(w) for w in self.waivers],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise ReportError(f"not a fleetmod report of schema version {SCHEMA_VERSION}")
        try:
            return cls(
                policy=PolicyInfo(**data["policy"]),
                generated_at=data["generated_at"],
                outcomes=[RepoOutcome.from_json(o) for o in data["outcomes"]],
                runs=[RunPoint(**r) for r in data["runs"]],
                waivers=[WaiverNote(**w) for w in data["waivers"]],
                merged_from=data.get("merged_from", 1),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"malformed fleetmod report: {type(exc).__name__}: {exc}") from exc


def _run_points(ledger: Ledger, policy_id: str) -> list[RunPoint]:
    violations: dict[str, int] = {}
    pr_states: dict[str, str] = {}
    points = []
    for run in ledger.runs(policy_id):
        for repo, outcome in ledger.done(run.id).items():
            violations[repo] = outcome.violations
            if outcome.pr_state:
                pr_states[repo] = outcome.pr_state
        states = Counter(pr_states.values())
        points.append(
            RunPoint(
                id=run.id,
                command=run.command,
                policy_version=run.policy_version,
                started_at=run.started_at,
                finished_at=run.finished_at,
                outcomes=dict(run.counts),
                open=states["open"],
                merged=states["merged"],
                closed=states["closed"],
                violations=sum(violations.values()),
            )
        )
    return points


def _waiver_notes(policy: Policy, repos: Sequence[str], today: dt.date) -> list[WaiverNote]:
    return [
        WaiverNote(
            repository=w.repository,
            codemods=list(w.codemods),
            paths=list(w.paths),
            reason=w.reason,
            owner=w.owner,
            expires=w.expires.isoformat(),
            days_left=(w.expires - today).days,
            repositories=[r for r in repos if fnmatch.fnmatchcase(r, w.repository)],
        )
        for w in policy.waivers
        if w.expired(today) or w.expiring_soon(today)
    ]


def build_report(policy: Policy, ledger: Ledger, now: dt.datetime | None = None) -> Report:
    """The report of ``policy`` as the ledger knows it: newest outcome of every repository."""
    now = now or dt.datetime.now(dt.timezone.utc)
    outcomes = list(ledger.latest(policy.id).values())
    return Report(
        policy=PolicyInfo(policy.id, policy.version, policy.title, policy.url),
        generated_at=now.isoformat(timespec="seconds"),
        outcomes=outcomes,
        runs=_run_points(ledger, policy.id),
        waivers=_waiver_notes(policy, [o.repo for o in outcomes], now.date()),
    )


def _merge_runs(shards: list[list[RunPoint]]) -> list[RunPoint]:
    """Every shard's runs on one time line; each point's fleet numbers add up every shard's
    latest state at that time, since shards split the fleet between them."""
    timeline = sorted(
        ((point, index) for index, runs in enumerate(shards) for point in runs),
        key=lambda pair: (pair[0].started_at, pair[1]),
    )
    latest: dict[int, RunPoint] = {}
    merged = []
    for point, index in timeline:
        latest[index] = point
        totals = {k: sum(getattr(p, k) for p in latest.values()) for k in FLEET_NUMBERS}
        merged.append(dataclasses.replace(point, **totals))
    return merged


def merge_reports(json_documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the JSON reports of a sharded run; the summary is recomputed.

    A repository in several documents keeps the outcome of the newest document. Each shard
    is expected to keep its own ledger (one CI job each), so its runs are its own.
    """
    if not json_documents:
        raise ReportError("no report to merge")
    reports = sorted((Report.from_json(d) for d in json_documents), key=lambda r: r.generated_at)
    policies = {(r.policy.id, r.policy.version) for r in reports}
    if len(policies) > 1:
        shown = ", ".join(f"{i}@{v}" for i, v in sorted(policies))
        raise ReportError(f"cannot merge reports of different policies: {shown}")
    outcomes = {o.repo: o for r in reports for o in r.outcomes}
    waivers = {json.dumps(asdict(w), sort_keys=True): w for r in reports for w in r.waivers}
    merged = Report(
        policy=reports[-1].policy,
        generated_at=reports[-1].generated_at,
        outcomes=[outcomes[name] for name in sorted(outcomes)],
        runs=_merge_runs([r.runs for r in reports]),
        waivers=list(waivers.values()),
        merged_from=sum(r.merged_from for r in reports),
    )
    return merged.to_json()


def _web_url(url: str) -> str:
    """``url`` if it is an http(s) URL, else '': nothing else may become a link."""
    parsed = urllib.parse.urlsplit(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def _check_text(check: dict[str, Any]) -> str:
    if check.get("passed"):
        return f"{check.get('name', '?')} ✓"
    if check.get("timed_out"):
        return f"{check.get('name', '?')} ✗ (timed out)"
    return f"{check.get('name', '?')} ✗ (exit {check.get('exit_code', '?')})"


def _finding_text(finding: dict[str, Any]) -> str:
    where = f"{finding.get('path', '?')}:{finding.get('line', '?')}:{finding.get('column', '?')}"
    return f"{where}: {finding.get('message', '')} [{finding.get('codemod', '?')}]"


@dataclass(frozen=True)
class _Row:
    """The plain text of one repository's cells, before any escaping."""

    outcome: RepoOutcome
    tone: str
    pr: str
    pr_url: str
    files: str
    rewrites: str
    findings: str
    checks: str
    details: list[str]
    hidden: int

    @classmethod
    def of(cls, outcome: RepoOutcome, budget: int = MAX_DETAILS_PER_REPO) -> _Row:
        lines = [f"{c.path}: {_rewrites(c.counts)}" for c in outcome.files]
        lines += [f"failed: {path}" for path in outcome.failed_files]
        lines += [_finding_text(f) for f in outcome.findings]
        shown = lines[: max(0, min(budget, MAX_DETAILS_PER_REPO))]
        return cls(
            outcome=outcome,
            tone=TONES[outcome.outcome],
            pr=f"#{outcome.pr_number}" if outcome.pr_number is not None else "",
            pr_url=_web_url(outcome.pr_url),
            files=str(len(outcome.files)) if outcome.files else "",
            rewrites=_rewrites(outcome.counts),
            findings=str(len(outcome.findings)) if outcome.findings else "",
            checks=", ".join(_check_text(c) for c in outcome.checks),
            details=shown,
            hidden=len(lines) - len(shown),
        )

    @property
    def has_details(self) -> bool:
        """Shown or cut for room: a repository with details always says it has some."""
        return bool(self.details or self.hidden)

    @property
    def details_title(self) -> str:
        """What the collapsed details hold, e.g. '3 files changed, 2 findings'."""
        o = self.outcome
        parts = [f"{_plural(len(o.files), 'file')} changed"] if o.files else []
        parts += [f"{_plural(len(o.failed_files), 'file')} failed"] if o.failed_files else []
        parts += [_plural(len(o.findings), "finding")] if o.findings else []
        return ", ".join(parts)


def _rewrites(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))


def _rows(outcomes: Iterable[RepoOutcome]) -> list[_Row]:
    """Worst first (errors, then held back, in progress, done), by name within a tone."""
    ordered = sorted(outcomes, key=lambda o: (TONE_ORDER.index(TONES[o.outcome]), o.repo))
    rows, budget = [], MAX_DETAILS
    for outcome in ordered:
        rows.append(_Row.of(outcome, budget))
        budget -= len(rows[-1].details)
    return rows


def outcome_table(outcomes: list[RepoOutcome], title: str) -> Table:
    """The terminal table at the end of `fleetmod run` and `audit`."""
    table = Table(title=title, show_header=True)
    # A repository's name is what a reader scans for, and a codemod's name is read whole:
    # they fold only past MAX_NAME_WIDTH; the reasons fold first.
    rows = _rows(outcomes)
    widths = {
        "repository": max((len(r.outcome.repo) for r in rows), default=0),
        "rewrites": max((len(line) for r in rows for line in r.rewrites.split(", ")), default=0),
    }
    for column in (c for c in COLUMNS if c != "checks"):
        justify = "right" if column in NUMERIC else "left"
        short = column in NUMERIC or column in ("outcome", "PR")  # names may wrap, never hide
        width = min(MAX_NAME_WIDTH, widths[column]) if column in widths else None
        table.add_column(column, justify=justify, no_wrap=short, overflow="fold", min_width=width)
    for row in rows:
        table.add_row(
            Text(row.outcome.repo),
            Text(row.outcome.outcome.value, style=TONE_STYLE[row.tone]),
            Text(row.pr, style=Style(link=row.pr_url or None)),
            Text(row.files),
            Text(row.rewrites.replace(", ", "\n")),
            Text(row.findings),
            Text(row.outcome.reason),
        )
    return table


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


# --- Markdown: a GitHub job summary ----------------------------------------------------------


def _md_link(label: str, url: str) -> str:
    if not url:
        return md.text(label)
    safe = urllib.parse.quote(url, safe=":/?#@!$&+,;=%~")
    return f"[{md.text(label)}]({safe})"


def _md_details(row: _Row) -> str:
    title = f"{row.outcome.repo}: {row.details_title}"
    lines = [f"<details><summary>{html.escape(title)}</summary>", ""]
    lines += [f"- {md.text(line)}" for line in row.details]
    lines += [f"- … and {row.hidden} more"] if row.hidden else []
    return "\n".join([*lines, "", "</details>", ""])


def _within(blocks: list[str], budget: int) -> list[str]:
    """The first ``blocks`` whose UTF-8 size, a newline each, stays within ``budget`` bytes."""
    kept, used = [], 0
    for block in blocks:
        used += len(block.encode()) + 1
        if used > budget:
            break
        kept.append(block)
    return kept


def _cut(shown: int, total: int, what: str) -> list[str]:
    left = total - shown
    return [f"… and {left} more {what}: see the JSON or HTML report.", ""] if left else []


def _md_runs(runs: list[RunPoint]) -> list[str]:
    if not runs:
        return []
    rows = [
        [str(r.id), md.text(r.command), md.text(r.started_at)]
        + [str(n) for n in (r.open, r.merged, r.closed, r.violations)]
        for r in runs[-MARKDOWN_RUNS:]
    ]
    header = ["run", "command", "started", "open PRs", "merged", "closed", "violations"]
    return ["### Progress", "", md.table(header, rows), ""]


def _md_cells(row: _Row) -> list[str]:
    return [
        md.text(row.outcome.repo),
        f"{TONE_ICON[row.tone]} {md.text(row.outcome.outcome.value)}",
        _md_link(row.pr, row.pr_url),
        row.files,
        md.text(row.rewrites),
        row.findings,
        md.text(row.checks),
        md.text(row.outcome.reason),
    ]


def _md_head(report: Report) -> list[str]:
    policy, headline = report.policy, report.summary.headline()
    return [
        f"## fleetmod: {_md_link(policy.title, _web_url(policy.url))}",
        "",
        f"Policy {md.code(policy.id)} version {md.code(policy.version)}, "
        f"{md.text(report.provenance)}.",
        "",
        md.table([label for label, _ in headline], [[value for _, value in headline]]),
        "",
        f"**{md.text(summary_line(report.outcomes))}**",
        "",
    ]


def _md_waivers(waivers: list[WaiverNote]) -> list[str]:
    if not waivers:
        return []
    notes = [f"- {'⛔' if w.expired else '⏳'} {md.text(w.describe())}" for w in waivers]
    return ["### Waivers expired or expiring", "", *notes, ""]


def render_markdown(report: Report) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`: headline, repositories, waivers, details.

    Whatever the fleet, it stays under GitHub's size limit: the repository rows (worst
    first) and then the details take what is left, and say how many did not fit.
    """
    rows = _rows(report.outcomes)
    head, middle = _md_head(report), _md_waivers(report.waivers) + _md_runs(report.runs)
    budget = SUMMARY_BYTES - len("\n".join(head + middle).encode()) - 1000
    table: list[str] = []
    if rows:
        header, rule, *body = md.table(list(COLUMNS), [_md_cells(r) for r in rows]).splitlines()
        fitted = _within(body, budget)
        budget -= len("\n".join(fitted).encode())
        table = ["### Repositories", "", header, rule, *fitted, ""]
        table += _cut(len(fitted), len(body), "repositories")
    blocks = [_md_details(row) for row in rows if row.has_details]
    details = _within(blocks, budget)
    tail = ["### Details", "", *details] if details else []
    tail += _cut(len(details), len(blocks), "repositories' details")
    return "\n".join(head + table + middle + tail)


# --- HTML: one self-contained page --------------------------------------------------------

TICKS = 4
CHART_SERIES = (
    ("open PRs", "open", "#1a7f37"),
    ("merged PRs", "merged", "#8250df"),
    ("closed PRs", "closed", "#cf222e"),
)
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem}h1 a{text-decoration:none}
h2{font-size:1.15rem;margin:2rem 0 .6rem}
.meta{color:#59636e;margin:0 0 1.2rem}a{color:#0969da}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:.6rem 1rem;min-width:7.5rem}
.card b{display:block;font-size:1.5rem}.card span{color:#59636e}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
.charts svg{border:1px solid #d1d9e0;border-radius:8px;background:#fff}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}td.n{text-align:right}
.badge{display:inline-block;border-radius:1rem;padding:0 .55rem;font-size:.85em;
white-space:nowrap;font-weight:600}
.error{background:#ffebe9;color:#a40e26}.held{background:#fff8c5;color:#7d4e00}
.pending{background:#ddf4ff;color:#0550ae}.good{background:#dafbe1;color:#116329}
details ul{margin:.3rem 0;padding-left:1.2rem;font-family:ui-monospace,monospace;
font-size:.85em;overflow-wrap:anywhere}
summary{cursor:pointer}.empty{color:#59636e}
"""


def _h(value: object) -> str:
    return html.escape(str(value), quote=True)


def _html_link(label: str, url: str) -> str:
    return f'<a href="{_h(url)}">{_h(label)}</a>' if url else _h(label)


def _tick_step(top: int, ticks: int = TICKS) -> int:
    """The smallest round step (1, 2 or 5 times a power of ten) whose ``ticks`` reach ``top``."""
    power = 10 ** max(0, math.floor(math.log10(max(top, 1) / ticks)))
    return next(m * power for m in (1, 2, 5, 10) if m * power * ticks >= top)


def _svg_chart(title: str, runs: list[RunPoint], series: list[tuple[str, str, list[int]]]) -> str:
    """A line chart over runs: one line per (name, colour, values); no script, no fonts."""
    width, height, left, right, top, bottom = 560, 260, 48, 16, 52, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    tick = _tick_step(max((v for _, _, values in series for v in values), default=0))
    ymax = tick * TICKS
    step = plot_w / (len(runs) - 1) if len(runs) > 1 else 0

    def x(i: int) -> float:
        return left + (i * step if len(runs) > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top + plot_h * (1 - v / ymax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_h(title)}">',
        f'<text x="{left}" y="18" font-size="14" font-weight="600">{_h(title)}</text>',
    ]
    for k in range(TICKS + 1):
        value = tick * k
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d1d9e0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#59636e">{value}</text>'
        )
    label_every = max(1, math.ceil(len(runs) / 10))
    for i, run in enumerate(runs):
        if i % label_every == 0 or i == len(runs) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" '
                f'text-anchor="middle" fill="#59636e">#{run.id}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" '
        f'text-anchor="middle" fill="#59636e">run</text>'
    )
    legend_x = left
    for name, colour, values in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for i, v in enumerate(values):
            tip = f"{name} after run #{runs[i].id} ({runs[i].command}, {runs[i].started_at}): {v}"
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{_h(tip)}</title></circle>"
            )
        parts.append(
            f'<rect x="{legend_x}" y="27" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="36" font-size="12">{_h(name)}</text>'
        )
        legend_x += 24 + 7 * len(name)
    return "".join(parts) + "</svg>"


def _html_charts(runs: list[RunPoint]) -> str:
    if not runs:
        return '<p class="empty">No runs recorded yet.</p>'
    prs = [(name, colour, [getattr(r, key) for r in runs]) for name, key, colour in CHART_SERIES]
    violations = [("violations", "#bc4c00", [r.violations for r in runs])]
    return (
        '<div class="charts">'
        + _svg_chart("Pull requests", runs, prs)
        + _svg_chart("Remaining violations", runs, violations)
        + "</div>"
    )


def _html_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_h(item)}</li>" for item in items) + "</ul>"


def _html_row(row: _Row) -> str:
    o = row.outcome
    more = [f"… and {row.hidden} more"] if row.hidden else []
    details = (
        f"<details><summary>{_h(row.details_title)}</summary>"
        f"{_html_list([*row.details, *more])}</details>"
        if row.has_details
        else ""
    )
    cells = [
        _h(o.repo) + details,
        f'<span class="badge {row.tone}">{_h(o.outcome.value)}</span>',
        _html_link(row.pr, row.pr_url),
        _h(row.files),
        _h(row.rewrites),
        _h(row.findings),
        _h(row.checks),
        _h(o.reason),
    ]
    kinds = [' class="n"' if column in NUMERIC else "" for column in COLUMNS]
    tds = (f"<td{k}>{c}</td>" for k, c in zip(kinds, cells, strict=True))
    return f"<tr>{''.join(tds)}</tr>"


def render_html(report: Report) -> str:
    """A page that works offline and from an artifact: inline CSS and SVG, no script."""
    policy, summary = report.policy, report.summary
    cards = "".join(
        f'<div class="card"><b>{_h(value)}</b><span>{_h(label)}</span></div>'
        for label, value in summary.headline()
    )
    rows = "".join(_html_row(row) for row in _rows(report.outcomes))
    waivers = (
        _html_list(w.describe() for w in report.waivers)
        if report.waivers
        else '<p class="empty">None.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetmod: {_h(policy.title)}</title><style>{CSS}</style></head>
<body>
<h1>{_html_link(policy.title, _web_url(policy.url))}</h1>
<p class="meta">Policy <code>{_h(policy.id)}</code> version <code>{_h(policy.version)}</code>,
{_h(report.provenance)}. {_h(summary_line(report.outcomes))}</p>
<div class="cards">{cards}</div>
<h2>Burndown</h2>
{_html_charts(report.runs)}
<h2>Waivers expired or expiring</h2>
{waivers}
<h2>Repositories</h2>
<table><thead><tr>{"".join(f"<th>{_h(c)}</th>" for c in COLUMNS)}</tr></thead>
<tbody>{rows}</tbody></table>
</body></html>
"""


RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}
