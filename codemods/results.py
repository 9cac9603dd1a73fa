"""What a run says about each file, and about all of them together."""

from __future__ import annotations

import difflib
import enum
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from codemods.base import Finding


class Status(str, enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FINDINGS = "findings"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class FileResult:
    """One file's outcome. ``new_text`` is set only when the file changed."""

    path: str
    status: Status
    reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    old_text: str | None = None
    new_text: str | None = None
    parsed: bool = False
    cached: bool = False

    @property
    def diff(self) -> str:
        if self.old_text is None or self.new_text is None:
            return ""
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                f"a/{self.path}",
                f"b/{self.path}",
            )
        )

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "status": self.status.value,
            "reason": self.reason,
            "counts": self.counts,
            "findings": [asdict(f) for f in self.findings],
        }
        if with_diff and self.status is Status.CHANGED:
            data["diff"] = self.diff
        return data


@dataclass
class Summary:
    """The numbers a person reads after a run."""

    scanned: int = 0
    parsed: int = 0
    cached: int = 0
    changed: int = 0
    findings: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    per_codemod: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, results: list[FileResult], seconds: float) -> Summary:
        summary = cls(scanned=len(results), seconds=seconds)
        for result in results:
            summary.parsed += result.parsed
            summary.cached += result.cached
            summary.changed += result.status is Status.CHANGED
            summary.skipped += result.status is Status.SKIPPED
            summary.failed += result.status is Status.FAILED
            summary.findings += len(result.findings)
            summary.per_codemod.update(result.counts)
        return summary

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_codemod"] = dict(self.per_codemod)
        return data
