"""`fleetmod policy validate|schema|show`: check policy files before a campaign touches anything."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from bot.cli import app
from bot.cli.console import err, out, warn
from bot.policy import CodemodStep, Policy, PolicyError, load_policy, policy_schema

policy_app = typer.Typer(help="Validate policy files, print their JSON Schema, or show one.")
app.add_typer(policy_app, name="policy")

TODAY_HELP = "Judge waiver expiry as of this date (YYYY-MM-DD; default: today)."


def _today(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2030-12-31") from None


def _refuse(message: str) -> None:
    """The one line of a problem; its text is the user's, never read as markup."""
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


@policy_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(..., help="Policy files to check."),
    today: str = typer.Option(None, "--today", help=TODAY_HELP),
) -> None:
    """Check every FILE; exit 2 if any is invalid (each problem gets one line).

    An expired waiver fails validation, so that a policy's own CI asks for it to be renewed
    or removed; a campaign run only warns and stops applying it, so that a waiver lapsing
    never halts a scheduled campaign across the fleet.
    """
    day = _today(today)
    failed = False
    for path in files:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            failed = True
            _refuse(str(exc))
            continue
        expired = policy.waiver_warnings(day, expired=True)
        for line in expired:
            _refuse(f"{line}; renew or remove it")
        failed = failed or bool(expired)
        if not expired:
            counts = f"{_plural(len(policy.active_codemods()), 'codemod')}, "
            counts += _plural(len(policy.checks), "check")
            out.print(f"ok {path} ({policy.id}@{policy.version}, {counts})", markup=False)
        for warning in policy.waiver_warnings(day, expired=False):
            warn(warning)
    if failed:
        raise typer.Exit(2)


@policy_app.command("schema")
def schema() -> None:
    """The JSON Schema of policy files, for editor completion and validation."""
    out.print(json.dumps(policy_schema(), indent=2), markup=False, emoji=False)


@policy_app.command("show")
def show(
    file: Path = typer.Argument(..., help="A policy file."),
    today: str = typer.Option(None, "--today", help=TODAY_HELP),
) -> None:
    """A readable summary of one policy: what it runs, where, and how it proposes changes."""
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        _refuse(str(exc))
        raise typer.Exit(2) from None
    out.rule(f"[bold]{policy.id}[/]@{policy.version}: {escape(policy.title)}")
    if policy.description:
        out.print(Markdown(policy.description))
    facts = {"owner": policy.owner, "url": policy.url, "target python": policy.target_python}
    out.print("  ".join(f"{k}: {v}" for k, v in facts.items() if v), markup=False)
    out.print(_steps_table(policy))
    if policy.checks:
        out.print(_checks_table(policy))
    out.print(_delivery_line(policy), markup=False)
    if policy.waivers:
        out.print(_waivers_table(policy, _today(today)))


def _steps_table(policy: Policy) -> Table:
    table = Table(title="steps, in order")
    for column in ("#", "step", "level", "options / timeout"):
        table.add_column(column)
    for index, step in enumerate(policy.codemods, 1):
        if isinstance(step, CodemodStep):
            options = ", ".join(f"{k}={v!r}" for k, v in step.options.items())
            table.add_row(str(index), step.codemod, step.level, options)
        else:
            table.add_row(
                str(index), f"{step.name}: {step.command}", "command", f"{step.timeout:g}s"
            )
    return table


def _checks_table(policy: Policy) -> Table:
    table = Table(title="checks, after the rewrite")
    for column in ("name", "command", "timeout", "on failure"):
        table.add_column(column)
    for check in policy.checks:
        table.add_row(
            escape(check.name), escape(check.run), f"{check.timeout:g}s", check.on_failure
        )
    return table


def _delivery_line(policy: Policy) -> str:
    delivery, limits = policy.delivery, policy.limits
    parts = [
        f"delivery: {delivery.action}" + (" (draft)" if delivery.draft else ""),
        f"branch {policy.branch}",
        f"labels {', '.join(delivery.labels) or '-'}",
        f"limits: {limits.prs_per_run if limits.prs_per_run is not None else 'any'} PRs per run",
        f"{limits.open_prs if limits.open_prs is not None else 'any'} open",
        f"{limits.changed_files_per_pr} files per PR",
        f"{limits.concurrency} at a time",
    ]
    return "; ".join(parts)


def _waivers_table(policy: Policy, today: dt.date) -> Table:
    table = Table(title=f"waivers (as of {today})")
    for column in ("repository", "codemods", "paths", "owner", "expires", "status", "reason"):
        table.add_column(column)
    for waiver in policy.waivers:
        if waiver.expired(today):
            status = "[red]expired[/]"
        elif waiver.expiring_soon(today):
            status = "[yellow]expiring[/]"
        else:
            status = "[green]active[/]"
        cells = [
            waiver.repository,
            ", ".join(waiver.codemods) or "all",
            ", ".join(waiver.paths) or "all",
            waiver.owner,
            str(waiver.expires),
        ]
        table.add_row(*map(escape, cells), status, escape(waiver.reason))
    return table
