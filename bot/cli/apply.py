"""`fleetmod apply`: run codemods over files, as a one-off migration or as a pre-commit check.

Exit status: 0 when done, 1 with ``--check`` when a file would change (or was changed by
``--write``) or has findings, 2 on any error (a bad argument, a file that failed). With
``--json`` the one document on stdout has the shape of ``JSON_SCHEMA``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax

from bot.cli import app
from bot.cli.console import err, fail, interactive, out
from bot.cli.summary import summary_table
from codemods import engine
from codemods.base import Codemod, Version
from codemods.cache import ResultCache
from codemods.files import DEFAULT_INCLUDE, discover
from codemods.registry import CodemodError, configure
from codemods.results import FileResult, Status, Summary
from codemods.target import parse_version, target_for

PROGRESS_THRESHOLD = 200
_STATUSES = [s.value for s in Status]
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}
_FINDING = {
    "type": "object",
    "required": ["path", "line", "column", "codemod", "message"],
    "properties": {
        "path": {"type": "string"},
        "line": {"type": "integer"},
        "column": {"type": "integer"},
        "codemod": {"type": "string"},
        "message": {"type": "string"},
    },
}
_FILE = {
    "type": "object",
    "required": ["path", "status", "reason", "counts", "findings"],
    "properties": {
        "path": {"type": "string"},
        "status": {"enum": [s for s in _STATUSES if s != "unchanged"]},
        "reason": {"type": "string", "description": "why skipped or failed; empty otherwise"},
        "counts": {**_COUNTS, "description": "rewrites per codemod"},
        "findings": {"type": "array", "items": _FINDING},
        "diff": {"type": "string", "description": "unified diff, with --diff, if changed"},
    },
}
_SUMMARY_COUNTS = ("scanned", "parsed", "cached", "changed", "findings", "skipped", "failed")
JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "fleetmod apply --json",
    "description": "Every file except the unchanged ones, in the order they were found.",
    "type": "object",
    "required": ["target", "summary", "files"],
    "properties": {
        "target": {"type": "string", "pattern": "^3\\.[0-9]+$"},
        "summary": {
            "type": "object",
            "required": [*_SUMMARY_COUNTS, "seconds", "per_codemod"],
            "properties": {
                **{k: {"type": "integer", "minimum": 0} for k in _SUMMARY_COUNTS},
                "seconds": {"type": "number"},
                "per_codemod": _COUNTS,
            },
        },
        "files": {"type": "array", "items": _FILE},
    },
}


def parse_options(assignments: list[str]) -> dict[str, dict[str, Any]]:
    """`NAME.key=value` pairs to options per codemod; values are YAML scalars or lists."""
    options: dict[str, dict[str, Any]] = {}
    for item in assignments:
        name_key, sep, raw = item.partition("=")
        name, dot, key = name_key.rpartition(".")
        if not sep or not dot or not name or not key:
            raise CodemodError(f"--option {item!r}: expected NAME.key=value")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        options.setdefault(name, {})[key] = value
    return options


def build_codemods(names: list[str], assignments: list[str]) -> list[Codemod]:
    options = parse_options(assignments)
    unused = set(options) - set(names)
    if unused:
        raise CodemodError(f"--option names codemod {sorted(unused)[0]!r}, which is not selected")
    return [configure(name, options.get(name)) for name in names]


@app.command("apply")
def apply_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders to rewrite.", exists=True),
    codemod: list[str] = typer.Option(
        ..., "--codemod", "-c", help="A codemod name or module:Class path; repeat for more."
    ),
    option: list[str] = typer.Option([], "--option", "-o", help="NAME.key=value"),
    diff: bool = typer.Option(False, "--diff", help="Print the unified diff of every change."),
    write: bool = typer.Option(False, "--write", "-w", help="Write the changes to the files."),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when anything would change or a finding is reported."
    ),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: one per core)."),
    target_version: str = typer.Option(
        None,
        "--target-version",
        help="Oldest Python the code must run on, e.g. 3.10 "
        "(default: from requires-python, else 3.9).",
    ),
    include: list[str] = typer.Option([], "--include", help="Glob of files to take."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of files to leave alone."),
    max_file_size: float = typer.Option(
        engine.DEFAULT_MAX_BYTES / 1e6,
        "--max-file-size",
        min=0,
        help="Skip files larger than this many MB, unread.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the cache."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
) -> None:
    """Apply codemods to PATHS: a dry run by default; --diff shows, --write writes."""
    if diff and write:
        fail("--diff and --write are exclusive: look first, then write")
    sys.path.insert(0, str(Path.cwd()))  # `module:Class` resolves from here, as `python -m` does
    try:
        codemods = build_codemods(codemod, option)
        target = parse_version(target_version) if target_version else target_for(paths[0])
    except (CodemodError, ValueError) as exc:
        fail(escape(str(exc)))
    cwd = Path.cwd()
    candidates = list(
        discover([p.absolute() for p in paths], include or DEFAULT_INCLUDE, exclude, base=cwd)
    )
    cache = None if no_cache else ResultCache()
    run = _run(candidates, codemods, target, jobs, cache, int(max_file_size * 1e6))
    where = {c.relpath: c.path for c in candidates}
    if write and engine.write(run.results, where.__getitem__):
        run.summary = Summary.of(run.results, run.summary.seconds)  # count refused writes
    _show(run, target, diff, write, as_json)
    raise typer.Exit(_exit_code(run.results, check))


def _run(
    candidates: list[Any],
    codemods: list[Codemod],
    target: Version,
    jobs: int,
    cache: ResultCache | None,
    max_bytes: int,
) -> engine.Run:
    config = engine.EngineConfig(
        codemods, target=target, jobs=jobs, max_bytes=max_bytes, cache=cache
    )
    if len(candidates) < PROGRESS_THRESHOLD or not interactive():
        return engine.run(candidates, config)
    columns = (TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("files", total=len(candidates))
        return engine.run(candidates, config, lambda _r: progress.advance(task))


def _exit_code(results: list[FileResult], check: bool) -> int:
    if any(r.status is Status.FAILED for r in results):
        return 2
    if check and any(r.status in (Status.CHANGED, Status.FINDINGS) for r in results):
        return 1
    return 0


def _show(run: engine.Run, target: Version, diff: bool, write: bool, as_json: bool) -> None:
    if as_json:
        files = [r.to_json(with_diff=diff) for r in run.results if r.status is not Status.UNCHANGED]
        document = {"target": f"{target[0]}.{target[1]}", "summary": run.summary.to_json()}
        out.print_json(json.dumps({**document, "files": files}))
        return
    for result in run.results:
        if result.status is Status.CHANGED:
            verb = "rewrote" if write else "would rewrite"
            counts = ", ".join(f"{n} x{c}" for n, c in result.counts.items())
            out.print(f"[green]{verb}[/] {escape(result.path)} ({counts})")
            if diff:
                out.print(
                    Syntax(result.diff, "diff", theme="ansi_dark", background_color="default")
                )
        elif result.status is Status.FAILED:
            err.print(f"[red]failed[/] {escape(result.reason)}")
        elif result.status is Status.SKIPPED:
            out.print(f"[dim]skipped {escape(result.path)}: {escape(result.reason)}[/]")
        for finding in result.findings:
            out.print(f"[yellow]finding[/] {escape(str(finding))}")
    out.print(summary_table(run.summary))
