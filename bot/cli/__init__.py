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

from bot.cli import apply, codemods_cmd, prs_cmd  # noqa: E402  (commands register on `app`)

__all__ = ["app", "apply", "codemods_cmd", "main", "prs_cmd"]


def main() -> None:
    app()
