"""`fleetmod report POLICY` and `fleetmod report merge FILE...`: the campaign for people
(Markdown job summary, HTML page) and for machines (JSON), from the ledger alone."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from bot.cli import app
from bot.cli.console import fail
from bot.ledger import LEDGER_FILE, Ledger
from bot.policy import PolicyError, load_policy
from bot.redact import redact
from bot.report import RENDERERS, Report, ReportError, build_report, merge_reports
from bot.state import state_dir as resolve_state_dir


class Format(str, enum.Enum):
    markdown = "markdown"
    json = "json"
    html = "html"


class MergeFormat(str, enum.Enum):
    markdown = "markdown"
    json = "json"


class _PolicyByDefault(TyperGroup):
    """`fleetmod report POLICY ...` is `fleetmod report build POLICY ...`."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["build", *args]
        return super().parse_args(ctx, args)


report_app = typer.Typer(
    cls=_PolicyByDefault,
    no_args_is_help=True,
    help="Report a campaign: `fleetmod report POLICY` (build), or merge sharded JSON reports.",
)
app.add_typer(report_app, name="report")

OUTPUT = typer.Option(None, "--output", "-o", dir_okay=False, help="Write here, not to stdout.")


def _emit(text: str, output: Path | None) -> None:
    """UTF-8 whatever the locale: the documents declare it, and carry emoji and names.
    Secrets are masked (a merged report may come from another machine's ledger)."""
    text = redact(text)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


@report_app.command("build")
def build_command(
    policy_file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, metavar="POLICY", help="Policy YAML."
    ),
    fmt: Format = typer.Option(Format.markdown, "--format", "-f", help="What to render."),
    output: Path | None = OUTPUT,
    state: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Where the ledger is (default: $FLEETMOD_STATE_DIR or ./.fleetmod).",
    ),
) -> None:
    """The campaign of POLICY as the ledger knows it (the default: `fleetmod report POLICY`)."""
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        fail(str(exc))
    ledger_path = resolve_state_dir(state) / LEDGER_FILE
    if not ledger_path.is_file():
        fail(f"no ledger at {ledger_path}: run `fleetmod audit` or `fleetmod run` first")
    report = build_report(policy, Ledger(ledger_path))
    _emit(RENDERERS[fmt.value](report), output)


def _read_report(path: Path) -> dict[str, Any]:
    """A shard's JSON report, checked here so that an error names the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        Report.from_json(document)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ReportError) as exc:
        fail(f"{path}: {exc}")
    return document


@report_app.command("merge")
def merge_command(
    files: list[Path] = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON reports (`--format json`) of the shards."
    ),
    fmt: MergeFormat = typer.Option(MergeFormat.markdown, "--format", "-f", help="What to render."),
    output: Path | None = OUTPUT,
) -> None:
    """One report from the JSON reports of a sharded run; the numbers are recomputed."""
    try:
        merged = merge_reports([_read_report(path) for path in files])
    except ReportError as exc:
        fail(str(exc))
    _emit(RENDERERS[fmt.value](Report.from_json(merged)), output)
