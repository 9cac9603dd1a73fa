"""What happened to one repository in one run: the documented set of outcomes.

Every repository in scope ends a run with exactly one outcome and a reason a person can
read. Errors are neither compliant nor non-compliant: they are counted apart, so that a
broken clone never makes the fleet look better or worse than it is.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Outcome(str, enum.Enum):
    COMPLIANT = "compliant"  # nothing to change, no finding at error level
    NEEDS_CHANGE = "needs-change"  # audit, dry run or `action: report`: would change
    PR_OPENED = "pr-opened"
    PR_UPDATED = "pr-updated"  # branch regenerated or PR text changed
    PR_UNCHANGED = "pr-unchanged"  # the open PR already carries exactly this change
    PR_DECLINED = "pr-declined"  # a human closed the campaign's PR: not reopened
    BLOCKED = "blocked"  # someone else pushed to the bot's branch: not overwritten
    CHECKS_FAILED = "checks-failed"  # a check failed with on_failure: skip
    LIMIT_REACHED = "limit-reached"  # a policy limit stopped the PR
    WAIVED = "waived"  # every change is covered by an active waiver
    ERROR = "error"  # the repository could not be processed

    @property
    def compliant(self) -> bool | None:
        """True, False, or None for errors, which count neither way."""
        if self is Outcome.ERROR:
            return None
        return self in (Outcome.COMPLIANT, Outcome.WAIVED)


DESCRIPTIONS: dict[Outcome, str] = {
    Outcome.COMPLIANT: "nothing to change and no finding at error level",
    Outcome.NEEDS_CHANGE: "would change (audit, dry run, or a report-only policy)",
    Outcome.PR_OPENED: "a pull request was opened",
    Outcome.PR_UPDATED: "the pull request was updated (new base, new change, or new text)",
    Outcome.PR_UNCHANGED: "the open pull request already carries this exact change",
    Outcome.PR_DECLINED: "a person closed the pull request; the bot does not reopen it",
    Outcome.BLOCKED: "someone else pushed to the bot's branch; the bot does not overwrite it",
    Outcome.CHECKS_FAILED: "a check failed and the policy says to open no pull request",
    Outcome.LIMIT_REACHED: "a policy limit (PRs per run, open PRs, files per PR) held it back",
    Outcome.WAIVED: "every violation is covered by an active waiver",
    Outcome.ERROR: "the repository could not be processed (counted neither way)",
}


@dataclass
class FileChange:
    path: str
    counts: dict[str, int]


@dataclass
class RepoOutcome:
    repo: str
    outcome: Outcome
    reason: str = ""
    pr_number: int | None = None
    pr_url: str = ""
    pr_state: str = ""
    files: list[FileChange] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[str] = field(default_factory=list)
    change_hash: str = ""
    inputs_key: str = ""  # policy, codemod versions and active waivers this outcome came from
    default_sha: str = ""  # the default branch head it was computed on
    head_sha: str = ""  # the PR branch head it left
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for change in self.files:
            for name, count in change.counts.items():
                total[name] = total.get(name, 0) + count
        return total

    @property
    def violations(self) -> int:
        """Rewrites still to land plus findings: what the burndown counts down."""
        if self.outcome in (Outcome.COMPLIANT, Outcome.WAIVED, Outcome.ERROR):
            return 0
        return sum(self.counts.values()) + len(self.findings)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["counts"] = self.counts
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoOutcome:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["outcome"] = Outcome(fields["outcome"])
        fields["files"] = [FileChange(**f) for f in fields.get("files", [])]
        return cls(**fields)
