"""`fleetmod run`, `audit` and `status`: a policy across the fleet, and the state of its PRs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from bot.campaign import CampaignOptions, CampaignResult, run_campaign
from bot.cli import app
from bot.cli.console import err, fail, out, warn
from bot.cli.live import LiveView
from bot.forges.base import Forge, ForgeError, Repo
from bot.lock import LockedError, campaign_lock
from bot.outcomes import RepoOutcome
from bot.policy import Policy, PolicyError, load_policy
from bot.report import outcome_table, summary_line
from bot.sources import Fleet, SourceError, fleet
from bot.state import state_dir as resolve_state_dir
from codemods.registry import CodemodError

REPOS_HELP = "Repositories to use instead of the policy's scope: a repository or a folder of them."
STATE_HELP = "Where the ledger, clone cache and local forge live (default: ./.fleetmod)."


def load(policy_file: Path) -> Policy:
    """The policy, or one line saying what is wrong; expired and expiring waivers are named."""
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        fail(str(exc))
    for warning in policy.waiver_warnings():
        warn(warning)
    return policy


def scope(
    policy: Policy, state: Path, repos: list[Path], only: list[str], shard_text: str | None
) -> Fleet:
    """The forge (GitHub when the scope names `github`) and the repositories in scope; a
    repository that opted out is named on stderr."""
    try:
        found = fleet(policy, state, repos, only, shard_text)
    except (SourceError, ForgeError) as exc:
        fail(str(exc))
    for name, why in found.skipped.items():
        err.print(Text(f"skipped {name}: {why}"))
    return found


def campaign(
    policy: Policy, forge: Forge, repos: list[Repo], state: Path, options: CampaignOptions
) -> CampaignResult:
    """Run under the policy's lock, with the live view; errors are one line."""
    try:
        with campaign_lock(state, policy.id), LiveView(len(repos), options.command) as view:
            return run_campaign(policy, forge, repos, state, options, view.on_step, view.on_outcome)
    except (LockedError, CodemodError) as exc:
        fail(str(exc))


def show(result: CampaignResult, title: str, as_json: bool) -> None:
    if as_json:
        doc = {
            "run": result.run_id,
            "resumed": result.resumed,
            "stopped": result.stopped,
            "outcomes": [o.to_json() for o in result.outcomes],
        }
        out.print_json(json.dumps(doc))
        return
    if result.resumed:
        err.print(f"resumed run {result.run_id}: finished repositories were not redone")
    out.print(outcome_table(result.outcomes, title))
    out.print(summary_line(result.outcomes))
    if result.stopped:
        err.print(Text(f"stopped early: {result.stopped}"))


def exit_code(outcomes: list[RepoOutcome]) -> int:
    return 1 if any(o.outcome.compliant is None for o in outcomes) else 0


@app.command("run")
def run_command(
    policy_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Policy YAML."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute everything, write nothing."),
    only: list[str] = typer.Option([], "--only", help="Only this repository (repeatable)."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Only the repositories whose last outcome was an error."
    ),
    concurrency: int = typer.Option(None, "--concurrency", min=1, help="Repositories at once."),
    shard_text: str = typer.Option(None, "--shard", help="K/N: this job's share of the fleet."),
    repos: list[Path] = typer.Option([], "--repos", help=REPOS_HELP),
    state: Path = typer.Option(None, "--state-dir", help=STATE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
) -> None:
    """Run the campaign: one pull request per repository that needs the change."""
    policy = load(policy_file)
    state_dir = resolve_state_dir(state)
    found = scope(policy, state_dir, repos, only, shard_text)
    options = CampaignOptions(
        "run", dry_run=dry_run, only=only, retry_failed=retry_failed, concurrency=concurrency
    )
    result = campaign(found.policy, found.forge, found.repos, state_dir, options)
    show(result, f"{policy.id}: {'dry run' if dry_run else 'run'}", as_json)
    raise typer.Exit(exit_code(result.outcomes))


@app.command("audit")
def audit_command(
    policy_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Policy YAML."),
    only: list[str] = typer.Option([], "--only", help="Only this repository (repeatable)."),
    repos: list[Path] = typer.Option([], "--repos", help=REPOS_HELP),
    state: Path = typer.Option(None, "--state-dir", help=STATE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
) -> None:
    """The compliance state of every repository in scope, changing nothing anywhere."""
    policy = load(policy_file)
    state_dir = resolve_state_dir(state)
    found = scope(policy, state_dir, repos, only, None)
    options = CampaignOptions("audit", only=only)
    result = campaign(found.policy, found.forge, found.repos, state_dir, options)
    show(result, f"{policy.id}: audit", as_json)
    raise typer.Exit(exit_code(result.outcomes))


def _age(timestamp: str) -> str:
    if not timestamp:
        return ""
    delta = dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(timestamp)
    days, hours = delta.days, delta.seconds // 3600
    return f"{days}d" if days else f"{hours}h" if hours else f"{delta.seconds // 60}m"


@app.command("status")
def status_command(
    policy_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Policy YAML."),
    repos: list[Path] = typer.Option([], "--repos", help=REPOS_HELP),
    state: Path = typer.Option(None, "--state-dir", help=STATE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
) -> None:
    """Every pull request of the campaign with its state, checks and age, read from the forge."""
    policy = load(policy_file)
    found = scope(policy, resolve_state_dir(state), repos, [], None)
    rows = []
    for repo in found.repos:
        try:
            pr = found.forge.find_pr(repo, policy.branch)
            if pr is not None:
                rows.append((repo.full_name, found.forge.status(repo, pr.number)))
        except ForgeError as exc:
            err.print(Text(str(exc)))
    if as_json:
        doc = [
            {
                "repo": name,
                "number": s.pr.number,
                "state": s.pr.state.value,
                "url": s.pr.url,
                "draft": s.pr.draft,
                "mergeable": s.mergeable,
                "checks": dict(s.checks),
                "created_at": s.pr.created_at,
            }
            for name, s in rows
        ]
        out.print_json(json.dumps(doc))
        return
    table = Table(title=f"{policy.id}: pull requests")
    for column in ("repository", "PR", "state", "checks", "mergeable", "age", "title"):
        table.add_column(column)
    for name, s in rows:
        checks = ", ".join(f"{k}: {v}" for k, v in s.checks.items()) or "-"
        state_text = s.pr.state.value + (" (draft)" if s.pr.draft else "")
        mergeable = {True: "yes", False: "no", None: "?"}[s.mergeable]
        cells = (name, f"#{s.pr.number}", state_text, checks, mergeable, _age(s.pr.created_at))
        table.add_row(*(Text(c) for c in (*cells, s.pr.title)))
    out.print(table)
