"""The table a person reads at the end of `fleetmod apply`."""

from __future__ import annotations

from rich.table import Table

from codemods.results import Summary


def summary_table(summary: Summary) -> Table:
    table = Table(title="fleetmod apply", show_header=True)
    for column in ("scanned", "parsed", "cached", "changed", "findings", "skipped", "failed"):
        table.add_column(column, justify="right")
    table.add_column("time", justify="right")
    table.add_row(
        *(str(getattr(summary, c)) for c in ("scanned", "parsed", "cached", "changed")),
        *(str(getattr(summary, c)) for c in ("findings", "skipped", "failed")),
        f"{summary.seconds:.2f}s",
    )
    return table
