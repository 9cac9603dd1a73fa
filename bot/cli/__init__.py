"""The `fleetmod` command line: one typer app, each group of commands in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fleetmod",
    help="Bulk code refactoring and compliance campaigns for Python repositories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from bot.cli import (  # noqa: E402  (commands register on `app`)
    apply,
    campaign_cmd,
    codemods_cmd,
    demo_cmd,
    policy_cmd,
    prs_cmd,
    report_cmd,
)

__all__ = [
    "app",
    "apply",
    "campaign_cmd",
    "codemods_cmd",
    "demo_cmd",
    "main",
    "policy_cmd",
    "prs_cmd",
    "report_cmd",
]


def main() -> None:
    app()
