"""The report: numbers from a real ledger, the JSON schema, merging shards, and escaping
of hostile repository text in every format (rendered by a real Markdown renderer)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import asdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from bot.ledger import Ledger
from bot.outcomes import FileChange, Outcome, RepoOutcome
from bot.policy import Policy, load_policy
from bot.report import (
    MAX_DETAILS,
    MAX_DETAILS_PER_REPO,
    PHRASES,
    TICKS,
    TONES,
    PolicyInfo,
    Report,
    ReportError,
    Summary,
    build_report,
    merge_reports,
    outcome_table,
    render_html,
    render_json,
    render_markdown,
    summary_line,
)

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "report-schema.json").read_text())
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
POLICY_YAML = """\
id: demo
title: "Demo <b>policy</b> | safe"
version: "3"
url: https://example.com/policies/demo
codemods:
  - codemod: yaml-safe-load
waivers:
  - repository: "org/old-*"
    reason: legacy code, rewritten next quarter
    owner: team-a
    expires: 2025-05-20
  - repository: "org/app"
    codemods: [yaml-safe-load]
    reason: migrating
    owner: team-b
    expires: 2025-06-10
  - repository: "*"
    reason: far away
    owner: team-c
    expires: 2026-01-01
"""

SCRIPT = "<script>alert(1)</script>.py"
ATTRIBUTE = 'x" onerror="alert(1).py'
IMAGE = "<img src=x onerror=alert(1)>"
JS_LINK = "[click](javascript:alert(1))"
PIPES = "a | b | `rm -rf /` | c"


def make_policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML)
    return load_policy(path)


def outcome(
    repo: str,
    kind: Outcome,
    rewrites: int = 0,
    findings: int = 0,
    state: str = "",
    pr: int | None = None,
) -> RepoOutcome:
    files = [FileChange(f"pkg/m{i}.py", {"yaml-safe-load": 1}) for i in range(rewrites)]
    found = [
        {"path": "pkg/x.py", "line": i + 1, "column": 0, "codemod": "yaml-safe-load",
         "message": "cannot prove the loader safe", "level": "error"}
        for i in range(findings)
    ]  # fmt: skip
    url = f"https://forge.example/{repo}/pull/{pr}" if pr else ""
    return RepoOutcome(repo, kind, "why", pr, url, state, files, found)


def record(ledger: Ledger, command: str, outcomes: list[RepoOutcome]) -> None:
    run_id, _ = ledger.start("demo", "3", command, "scope")
    for item in outcomes:
        ledger.record(run_id, item)
    ledger.finish(run_id)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """Five runs: audit, run, audit (knows no PR state), retry of one repo, run."""
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    record(ledger, "audit", [
        outcome("org/app", Outcome.NEEDS_CHANGE, rewrites=2, findings=1),
        outcome("org/lib", Outcome.NEEDS_CHANGE, rewrites=1),
        outcome("org/old-x", Outcome.COMPLIANT),
        outcome("org/broken", Outcome.ERROR),
    ])  # fmt: skip
    record(ledger, "run", [
        outcome("org/app", Outcome.PR_OPENED, 2, 1, "open", 1),
        outcome("org/lib", Outcome.PR_OPENED, 1, 0, "open", 2),
        outcome("org/old-x", Outcome.COMPLIANT),
        outcome("org/broken", Outcome.ERROR),
    ])  # fmt: skip
    record(ledger, "audit", [
        outcome("org/app", Outcome.NEEDS_CHANGE, rewrites=2, findings=1),
        outcome("org/lib", Outcome.COMPLIANT),
    ])  # fmt: skip
    record(ledger, "run", [outcome("org/broken", Outcome.PR_OPENED, 2, 0, "open", 3)])
    record(ledger, "run", [
        outcome("org/app", Outcome.PR_UPDATED, 2, 1, "open", 1),
        outcome("org/lib", Outcome.COMPLIANT, state="merged", pr=2),
    ])  # fmt: skip
    return ledger


@pytest.fixture
def report(tmp_path: Path, ledger: Ledger) -> Report:
    return build_report(make_policy(tmp_path), ledger, NOW)


def validate(document: dict[str, Any]) -> None:
    checker = jsonschema.FormatChecker()
    checker.checks("date-time", raises=ValueError)(dt.datetime.fromisoformat)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=checker).validate(document)


# -- numbers -----------------------------------------------------------------------------


def test_summary_counts_errors_neither_way() -> None:
    outcomes = [outcome(f"r{i}", Outcome.COMPLIANT) for i in range(3)]
    outcomes += [outcome(f"p{i}", Outcome.PR_OPENED, rewrites=1) for i in range(5)]
    outcomes += [outcome("e", Outcome.ERROR, rewrites=4)]
    summary = Summary.of(outcomes)
    assert (summary.compliant, summary.non_compliant, summary.errors) == (3, 5, 1)
    assert summary.compliance_percent == 37.5
    assert summary.violations == 5  # an error's changes are not counted as violations
    assert (
        summary_line(outcomes)
        == "9 repositories: 3 compliant, 5 PRs opened, 1 error; 37.5% compliant"
    )


def test_summary_line_with_only_errors_has_no_percentage() -> None:
    assert summary_line([outcome("e", Outcome.ERROR)]) == "1 repository: 1 error; n/a compliant"
    assert Summary.of([]).compliance_percent is None


def test_report_takes_the_newest_outcome_of_every_repository(report: Report) -> None:
    kinds = {o.repo: o.outcome for o in report.outcomes}
    assert kinds == {
        "org/app": Outcome.PR_UPDATED,
        "org/broken": Outcome.PR_OPENED,
        "org/lib": Outcome.COMPLIANT,
        "org/old-x": Outcome.COMPLIANT,
    }
    assert report.summary.compliance_percent == 50.0
    assert report.policy.title == "Demo <b>policy</b> | safe"


def test_burndown_carries_outcomes_forward_across_partial_runs(report: Report) -> None:
    points = [(r.command, r.open, r.merged, r.closed, r.violations) for r in report.runs]
    assert points == [
        ("audit", 0, 0, 0, 4),  # app 2+1, lib 1
        ("run", 2, 0, 0, 4),
        ("audit", 2, 0, 0, 3),  # an audit does not look at PRs: they stay open
        ("run", 3, 0, 0, 5),  # only org/broken ran; the others keep their last state
        ("run", 2, 1, 0, 5),  # app 3, broken 2: lib's PR was merged
    ]
    assert report.runs[0].outcomes == {"needs-change": 2, "compliant": 1, "error": 1}


def test_waivers_expired_and_expiring_are_listed_with_what_they_cover(report: Report) -> None:
    notes = {w.repository: w for w in report.waivers}
    assert sorted(notes) == ["org/app", "org/old-*"]
    assert notes["org/old-*"].days_left == -12 and notes["org/old-*"].expired
    assert notes["org/old-*"].repositories == ["org/old-x"]
    assert notes["org/app"].days_left == 9 and not notes["org/app"].expired
    assert "expired 12 days ago" in notes["org/old-*"].describe()


# -- JSON ----------------------------------------------------------------------------------


def test_json_report_validates_against_the_documented_schema(report: Report) -> None:
    document = json.loads(render_json(report))
    validate(document)
    assert document["schema_version"] == 1
    assert document["policy"] == {
        "id": "demo",
        "version": "3",
        "title": "Demo <b>policy</b> | safe",
        "url": "https://example.com/policies/demo",
    }
    assert document["summary"]["by_outcome"]["compliant"] == 2
    assert len(document["runs"]) == 5


def test_schema_rejects_what_the_report_never_writes(report: Report) -> None:
    document = report.to_json()
    document["outcomes"][0]["outcome"] = "merged-by-magic"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_schema_and_renderings_know_every_outcome() -> None:
    assert set(TONES) == set(PHRASES) == set(Outcome)
    assert set(SCHEMA["$defs"]["outcome_name"]["enum"]) == {o.value for o in Outcome}
    assert SCHEMA["$defs"]["summary"]["properties"]["by_outcome"]["minProperties"] == len(Outcome)


def test_json_round_trips(report: Report) -> None:
    again = Report.from_json(json.loads(render_json(report)))
    assert again.to_json() == report.to_json()


def test_from_json_refuses_other_documents() -> None:
    with pytest.raises(ReportError, match="schema version"):
        Report.from_json({"files": []})
    with pytest.raises(ReportError, match="malformed"):
        Report.from_json({"schema_version": 1, "policy": {"id": "x"}})


# -- merging shards --------------------------------------------------------------------------


def shard_report(tmp_path: Path, name: str, outcomes: list[RepoOutcome], now: dt.datetime) -> dict:
    ledger = Ledger(tmp_path / name / "ledger.sqlite3")
    record(ledger, "run", outcomes)
    return build_report(make_policy(tmp_path), ledger, now).to_json()


def test_merge_combines_outcomes_and_recomputes_the_summary(tmp_path: Path) -> None:
    first = [outcome("org/a", Outcome.COMPLIANT), outcome("org/b", Outcome.ERROR)]
    second = [outcome("org/c", Outcome.PR_OPENED, 3, 0, "open", 7)]
    later = NOW + dt.timedelta(minutes=5)
    merged = merge_reports([
        shard_report(tmp_path, "one", first, NOW),
        shard_report(tmp_path, "two", second, later),
    ])  # fmt: skip
    validate(merged)
    assert [o["repo"] for o in merged["outcomes"]] == ["org/a", "org/b", "org/c"]
    assert merged["summary"] == asdict(Summary.of(first + second))
    assert merged["summary"]["compliance_percent"] == 50.0
    assert merged["merged_from"] == 2
    assert merged["generated_at"] == later.isoformat(timespec="seconds")
    fleet = [(r["open"], r["violations"]) for r in merged["runs"]]
    assert fleet == [(0, 0), (1, 3)]  # shard two's run adds to shard one's state
    markdown = render_markdown(Report.from_json(merged))
    assert "merged from 2 reports" in markdown
    assert "3 repositories: 1 compliant, 1 PR opened, 1 error; 50.0% compliant" in markdown


def test_merge_keeps_the_newest_outcome_of_a_repository_in_two_shards(tmp_path: Path) -> None:
    old = shard_report(tmp_path, "old", [outcome("org/a", Outcome.ERROR)], NOW)
    new = shard_report(
        tmp_path, "new", [outcome("org/a", Outcome.COMPLIANT)], NOW + dt.timedelta(hours=1)
    )
    for documents in ([old, new], [new, old]):
        merged = merge_reports(documents)
        assert [o["outcome"] for o in merged["outcomes"]] == ["compliant"]


def test_merge_refuses_different_policies(tmp_path: Path) -> None:
    one = shard_report(tmp_path, "one", [outcome("org/a", Outcome.COMPLIANT)], NOW)
    other = json.loads(json.dumps(one))
    other["policy"]["version"] = "4"
    with pytest.raises(ReportError, match="different policies: demo@3, demo@4"):
        merge_reports([one, other])
    with pytest.raises(ReportError, match="no report"):
        merge_reports([])


# -- escaping: what a repository controls never becomes markup ------------------------------


class Page(HTMLParser):
    """Tags, attributes, text and table cells of a page, as a browser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)

    def hrefs(self) -> list[str]:
        return [str(attrs.get("href")) for tag, attrs in self.tags if "href" in attrs]


def hostile_report() -> Report:
    evil = RepoOutcome(
        repo=SCRIPT,
        outcome=Outcome.CHECKS_FAILED,
        reason=PIPES,
        pr_number=9,
        pr_url="javascript:alert(1)",
        files=[FileChange(SCRIPT, {"yaml-safe-load": 1}), FileChange(ATTRIBUTE, {IMAGE: 2})],
        findings=[
            {"path": ATTRIBUTE, "line": 3, "column": 1, "codemod": "x", "message": IMAGE},
            {"path": "a.py", "line": 1, "column": 0, "codemod": "x", "message": JS_LINK},
        ],
        checks=[{"name": "<b>lint</b>", "passed": False, "timed_out": False, "exit_code": 1}],
    )
    good = outcome("org/good", Outcome.PR_OPENED, 1, 0, "open", 4)
    report = Report.from_json(
        {
            "schema_version": 1,
            "generated_at": NOW.isoformat(),
            "policy": {"id": "demo", "version": "1", "title": IMAGE, "url": "javascript:x()"},
            "outcomes": [evil.to_json(), good.to_json()],
            "runs": [],
            "waivers": [],
        }
    )
    return report


HOSTILE = (SCRIPT, ATTRIBUTE, IMAGE, JS_LINK, PIPES, "<b>lint</b>")


def assert_inert(page: Page, allowed_tags: set[str]) -> None:
    assert {tag for tag, _ in page.tags} <= allowed_tags
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert page.hrefs() and all(h.startswith("https://") for h in page.hrefs())
    for text in HOSTILE:
        assert text in page.all_text, text


def test_markdown_keeps_repository_text_inert_when_rendered() -> None:
    markdown = render_markdown(hostile_report())
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    page = Page(rendered)
    allowed = {"h2", "h3", "p", "code", "strong", "a", "table", "thead", "tbody", "tr", "th"}
    assert_inert(page, allowed | {"td", "details", "summary", "ul", "li"})
    assert page.hrefs() == ["https://forge.example/org/good/pull/4"]
    assert PIPES in page.cells  # the reason stayed one cell: no pipe split it
    assert "#9" in page.cells  # the javascript: PR URL is shown, never linked


def test_html_keeps_repository_text_inert_and_loads_nothing() -> None:
    markup = render_html(hostile_report())
    page = Page(markup)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "code", "div"}
    allowed |= {"b", "span", "table", "thead", "tbody", "tr", "th", "td", "a", "details"}
    assert_inert(page, allowed | {"summary", "ul", "li"})
    assert page.hrefs() == ["https://forge.example/org/good/pull/4"]
    assert not [attrs for _, attrs in page.tags if "src" in attrs]
    assert PIPES in page.cells


def test_terminal_table_shows_markup_like_names_literally() -> None:
    console = Console(record=True, width=250, color_system=None)
    names = ["org/[bold]x[/bold]", "org/ok"]
    console.print(
        outcome_table([outcome(names[0], Outcome.ERROR), outcome(names[1], Outcome.COMPLIANT)], "t")
    )
    text = console.export_text()
    assert names[0] in text and names[1] in text
    assert text.index(names[0]) < text.index(names[1])  # errors first


def test_in_eighty_columns_names_stay_whole_and_reasons_fold_first() -> None:
    console = Console(record=True, width=80, color_system=None)
    many = outcome("notifications-worker", Outcome.PR_OPENED, pr=3)
    many.files = [
        FileChange("a.py", {"requests-timeout": 2, "yaml-safe-load": 1}),
        FileChange("b.py", {"requests-timeout": 1}),
    ]
    many.reason = "opened the pull request after every check passed on the first try"
    console.print(outcome_table([many], "t"))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("notifications-worker" in line for line in lines)
    assert any("3 requests-timeout" in line for line in lines)
    assert any("1 yaml-safe-load" in line for line in lines)


# -- size and the page ---------------------------------------------------------------------


def test_markdown_stays_small_for_a_big_noisy_fleet() -> None:
    outcomes = [outcome(f"org/r{i:03}", Outcome.NEEDS_CHANGE, 5, 300) for i in range(100)]
    report = Report(PolicyInfo("demo", "1", "Demo"), NOW.isoformat(), outcomes)
    markdown = render_markdown(report)
    assert len(markdown.encode()) < 1024 * 1024
    items = [line for line in markdown.splitlines() if line.startswith("- ") and "…" not in line]
    assert len(items) == MAX_DETAILS
    assert f"- … and {305 - MAX_DETAILS_PER_REPO} more" in markdown


def test_markdown_of_a_huge_fleet_is_cut_to_fit_a_job_summary_worst_first() -> None:
    outcomes = [outcome(f"org/r{i:05}", Outcome.PR_UNCHANGED, 1, 1) for i in range(8000)]
    outcomes += [outcome(f"org/z{i}", Outcome.ERROR) for i in range(3)]
    for item in outcomes:
        item.reason = "a long reason " * 20
    markdown = render_markdown(Report(PolicyInfo("demo", "1", "Demo"), NOW.isoformat(), outcomes))
    assert len(markdown.encode()) <= 1024 * 1024
    shown = [line for line in markdown.splitlines() if line.startswith("| org/")]
    assert 0 < len(shown) < len(outcomes)
    assert all(f"| org/z{i} |" in markdown for i in range(3))  # errors come first
    assert f"… and {len(outcomes) - len(shown)} more repositories" in markdown
    assert "… and 8000 more repositories' details" in markdown  # no room left for them


def test_html_draws_one_point_per_run_and_series(report: Report) -> None:
    page = Page(render_html(report))
    circles = [tag for tag, _ in page.tags if tag == "circle"]
    assert len(circles) == len(report.runs) * 4
    assert [tag for tag, _ in page.tags].count("svg") == 2
    grid = [float(str(attrs["y1"])) for tag, attrs in page.tags if tag == "line"]
    for chart in (grid[: TICKS + 1], grid[TICKS + 1 :]):
        gaps = {round(a - b, 1) for a, b in itertools.pairwise(chart)}
        assert len(gaps) == 1, chart  # evenly spaced grid lines
    assert "legacy code, rewritten next quarter" in page.all_text
