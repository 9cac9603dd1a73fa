"""`fleetmod codemods` and `fleetmod codemods show NAME`: what is available, and what it does."""

from __future__ import annotations

import json

import typer
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.table import Table

from bot.cli import app
from bot.cli.console import fail, out
from codemods.base import Codemod
from codemods.registry import CodemodError, all_codemods, load_class

codemods_app = typer.Typer(help="List the codemods, or show one.", invoke_without_command=True)
app.add_typer(codemods_app, name="codemods")


@codemods_app.callback()
def list_codemods(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable.")
) -> None:
    """A table of the codemods, their summaries and safety."""
    if ctx.invoked_subcommand is not None:
        return
    known = all_codemods()
    if as_json:
        rows = [
            {"name": c.name, "summary": c.summary, "safety": c.safety.value, "version": c.version}
            for c in known.values()
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title="fleetmod codemods")
    for column in ("name", "safety", "summary"):
        table.add_column(column)
    for cls in known.values():
        safety = "[yellow]review[/]" if cls.safety.value == "review" else "[green]safe[/]"
        table.add_row(cls.name, safety, cls.summary)
    out.print(table)


@codemods_app.command("show")
def show(name: str) -> None:
    """The explanation, options and examples of one codemod."""
    try:
        cls = load_class(name)
    except CodemodError as exc:
        fail(str(exc))
    out.rule(f"[bold]{cls.name}[/] ({cls.safety.value})")
    out.print(Markdown(f"{cls.summary}\n\n{cls.explanation}"))
    if cls.url:
        out.print(f"More: {cls.url}")
    _print_options(cls)
    for example in cls.examples:
        _print_example(example.title or "example", example.before, example.after, example.findings)


def _print_options(cls: type[Codemod]) -> None:
    fields = cls.Options.model_fields
    if not fields:
        out.print("\nOptions: none")
        return
    table = Table(title="options")
    for column in ("name", "type", "default", "description"):
        table.add_column(column)
    for key, info in fields.items():
        default = "(required)" if info.is_required() else repr(info.default)
        table.add_row(key, _type_name(info.annotation), default, info.description or "")
    out.print(table)


def _type_name(annotation: object) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _print_example(title: str, before: str, after: str | None, findings: int) -> None:
    out.print(f"\n[bold]{title}[/]")
    out.print(Syntax(before.rstrip("\n"), "python", line_numbers=False))
    if after is None:
        verdict = (
            f"reported ({findings} finding{'s' * (findings != 1)})" if findings else "unchanged"
        )
        out.print(f"  -> {verdict}")
    else:
        out.print("  ->")
        out.print(Syntax(after.rstrip("\n"), "python", line_numbers=False))
