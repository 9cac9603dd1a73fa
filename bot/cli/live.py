"""The live view of a campaign: a progress bar and what each repository is doing now."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.console import err, interactive
from bot.outcomes import RepoOutcome


class LiveView:
    """Thread-safe callbacks for the campaign; silent when stderr is not a terminal."""

    def __init__(self, total: int, title: str) -> None:
        self._steps: dict[str, str] = {}
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn(title), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        )
        self._task = self._progress.add_task(title, total=total)
        self._live = Live(
            console=err, refresh_per_second=8, transient=True, get_renderable=self._render
        )
        self._enabled = interactive()

    def __enter__(self) -> LiveView:
        if self._enabled:
            self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._enabled:
            self._live.__exit__(kind, exc, tb)

    def on_step(self, repo: str, step: str) -> None:
        with self._lock:
            if step == "done":
                self._steps.pop(repo, None)
            else:
                self._steps[repo] = step

    def on_outcome(self, outcome: RepoOutcome) -> None:
        self._progress.advance(self._task)

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 2))
        with self._lock:
            for repo, step in sorted(self._steps.items()):
                table.add_row(f"[bold]{repo}[/]", step)
        return Group(self._progress, table)
