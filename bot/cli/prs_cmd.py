"""`fleetmod prs` and `fleetmod pr show|merge|close N`: review the local forge's pull requests
the way a maintainer reviews them on GitHub, so a campaign can be followed end to end without
any account."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from bot.cli import app
from bot.cli.console import fail, out
from bot.forges.base import ForgeError, PrState, PullRequest, Repo
from bot.forges.local import DATABASE, HUMAN, LocalForge
from bot.state import state_dir as resolve_state_dir

STATE_DIR = typer.Option(
    None,
    "--state-dir",
    help="Where fleetmod keeps its state (default: $FLEETMOD_STATE_DIR, else ./.fleetmod).",
)
REPO = typer.Option(None, "--repo", help="Repository name (or path) when several have PR N.")
STYLES = {PrState.OPEN: "green", PrState.MERGED: "magenta", PrState.CLOSED: "red"}


class StateFilter(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"
    ALL = "all"


pr_app = typer.Typer(help="Show, merge or close one pull request of the local forge.")
app.add_typer(pr_app, name="pr", no_args_is_help=True)


@app.command("prs")
def list_prs(
    state_dir: Path | None = STATE_DIR,
    state: StateFilter = typer.Option(StateFilter.OPEN, "--state", help="Which to list."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable."),
) -> None:
    """The local forge's pull requests: repository, number, state, title, branch, age."""
    directory = resolve_state_dir(state_dir)
    # Listing an empty state dir must not create a database there.
    everything = LocalForge(directory).list_prs() if (directory / DATABASE).is_file() else []
    rows = [
        (name, pr)
        for name, pr in everything
        if state is StateFilter.ALL or pr.state.value == state.value
    ]
    if as_json:
        out.print_json(json.dumps([{"repo": name, **_as_json(pr)} for name, pr in rows]))
        return
    if not rows:
        out.print(f"No {'' if state is StateFilter.ALL else state.value + ' '}pull requests.")
        return
    table = Table(title="pull requests (local forge)")
    for column in ("repo", "#", "state", "title", "branch", "age"):
        table.add_column(column, justify="right" if column in ("#", "age") else "left")
    now = dt.datetime.now(dt.timezone.utc)
    for name, pr in rows:
        table.add_row(
            escape(name),
            str(pr.number),
            _state(pr),
            escape(pr.title),
            escape(pr.head_branch),
            _age(pr.created_at, now),
        )
    out.print(table)


@pr_app.command("show")
def show(number: int, repo: str | None = REPO, state_dir: Path | None = STATE_DIR) -> None:
    """One pull request: what it says, its conversation, and its diff."""
    forge, target, pr = _locate(state_dir, number, repo)
    try:
        comments = forge.comments(target, number)
        diff = forge.diff(target, number)
    except ForgeError as exc:
        fail(str(exc))
    out.rule(f"[bold]{escape(target.full_name)} #{pr.number}[/] {escape(pr.title)}")
    out.print(f"{_state(pr)}  {escape(pr.head_branch)} -> {escape(pr.base_branch)}")
    details = {"labels": ", ".join(pr.labels), "reviewers": ", ".join(pr.reviewers)}
    details |= {"created": _when(pr.created_at), "closed by": pr.closed_by or ""}
    for key, value in details.items():
        if value:
            out.print(f"[dim]{key}:[/] {escape(value)}")
    out.print(Markdown(pr.body or "_(no description)_"), soft_wrap=False)
    for comment in comments:
        out.rule(f"{escape(comment.author)} commented {_when(comment.created_at)}", align="left")
        out.print(Markdown(comment.body), soft_wrap=False)
    out.rule("diff", align="left")
    if diff:
        out.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
    else:
        out.print("(no changes)")


@pr_app.command("merge")
def merge(number: int, repo: str | None = REPO, state_dir: Path | None = STATE_DIR) -> None:
    """Merge, as a reviewer: a merge commit on the base branch of the origin repository."""
    forge, target, pr = _locate(state_dir, number, repo)
    if pr.state is PrState.MERGED:
        out.print(f"{target.full_name} #{number} was already merged.")
        return
    try:
        merged = forge.merge(target, number, merged_by=HUMAN)
    except ForgeError as exc:
        fail(str(exc))
    out.print(f"Merged {target.full_name} #{number} into {merged.base_branch}.")


@pr_app.command("close")
def close(
    number: int,
    repo: str | None = REPO,
    comment: str = typer.Option("", "--comment", help="Why, for the record."),
    state_dir: Path | None = STATE_DIR,
) -> None:
    """Close without merging, as a reviewer (the campaign then sees a human closed it)."""
    forge, target, pr = _locate(state_dir, number, repo)
    if pr.state is not PrState.OPEN:
        fail(f"{target.full_name} #{number} is {pr.state.value}, not open")
    try:
        forge.close_pr(target, number, comment, closed_by=HUMAN)
    except ForgeError as exc:
        fail(str(exc))
    out.print(f"Closed {target.full_name} #{number}.")


def _forge(option: Path | None) -> LocalForge:
    directory = resolve_state_dir(option)
    if not (directory / DATABASE).is_file():
        fail(f"no local forge in {directory} (no pull request was opened there yet)")
    return LocalForge(directory)


def _locate(
    option: Path | None, number: int, name: str | None
) -> tuple[LocalForge, Repo, PullRequest]:
    forge = _forge(option)
    repos = forge.repos()
    if name is not None:
        repos = [r for r in repos if name in (r.full_name, r.clone_url, str(Path(name).resolve()))]
        if not repos:
            fail(f"no repository {name!r} has pull requests in the local forge")
    found = []
    for repo in repos:
        try:
            found.append((repo, forge.get_pr(repo, number)))
        except ForgeError:
            continue
    if not found:
        fail(f"no pull request #{number}" + (f" in {name}" if name else ""))
    if len(found) > 1:
        names = ", ".join(repo.full_name for repo, _ in found)
        fail(f"#{number} exists in several repositories ({names}): pass --repo NAME")
    return forge, *found[0]


def _state(pr: PullRequest) -> str:
    label = "draft" if pr.draft and pr.state is PrState.OPEN else pr.state.value
    return f"[{STYLES[pr.state]}]{label}[/]"


def _age(timestamp: str, now: dt.datetime) -> str:
    seconds = max(0, int((now - dt.datetime.fromisoformat(timestamp)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(timestamp: str) -> str:
    return f"{dt.datetime.fromisoformat(timestamp):%Y-%m-%d %H:%M} UTC"


def _as_json(pr: PullRequest) -> dict[str, object]:
    return {**dataclasses.asdict(pr), "state": pr.state.value}
