"""Apply a policy's steps (codemods and fixer commands, in order) to one checked-out repository.

Codemods run through the engine, exactly as `fleetmod apply --write` would; a waiver
takes its codemods off the files it covers. Command steps run as checks do (timeout,
clean environment), and the files each step changed are attributed to it by name.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.checks import run_command
from bot.policy import CodemodStep, CommandStep, Policy
from codemods import engine
from codemods.base import Codemod
from codemods.cache import ResultCache
from codemods.files import Candidate, discover
from codemods.registry import configure
from codemods.results import FileResult, Status

GENERATED_EXCLUDES = ("*_pb2.py", "*_pb2_grpc.py", "**/migrations/*.py")


class WriteRefused(OSError):
    """A rewritten file could not be written (disk full, read-only ...): the work tree holds
    part of the change, so none of it may be committed."""

    def __init__(self, reason: str, count: int) -> None:
        more = f" (and {count - 1} more files)" if count > 1 else ""
        super().__init__(f"{reason}{more}; the change is dropped, nothing was committed")


@dataclass
class ChangeSet:
    """What the steps did to the work tree, file by file, and what needs a human."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[str] = field(default_factory=list)

    def add(self, path: str, step: str, count: int) -> None:
        per_file = self.counts.setdefault(path, {})
        per_file[step] = per_file.get(step, 0) + count


def _git_changed(root: Path) -> set[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {entry[3:] for entry in out.split("\0") if entry}


def _candidates(policy: Policy, root: Path) -> list[Candidate]:
    paths = policy.scope.paths
    exclude = [*paths.exclude, *(GENERATED_EXCLUDES if paths.exclude_vendored else ())]
    return list(
        discover([root], paths.include, exclude, default_excludes=paths.exclude_vendored, base=root)
    )


def _groups(
    codemods: Sequence[tuple[CodemodStep, Codemod]],
    candidates: list[Candidate],
    waived: Callable[[str, str], str | None],
    changes: ChangeSet,
) -> dict[tuple[int, ...], list[Candidate]]:
    """Files grouped by which codemods still apply to them once waivers are taken off."""
    groups: dict[tuple[int, ...], list[Candidate]] = {}
    for candidate in candidates:
        active = []
        for index, (step, _) in enumerate(codemods):
            waiver = waived(step.codemod, candidate.relpath)
            if waiver is None:
                active.append(index)
            elif waiver not in changes.waivers:
                changes.waivers.append(waiver)
        groups.setdefault(tuple(active), []).append(candidate)
    return groups


def _record(results: list[FileResult], changes: ChangeSet, levels: dict[str, str]) -> None:
    for result in results:
        for name, count in result.counts.items():
            changes.add(result.path, name, count)
        for finding in result.findings:
            changes.findings.append({**asdict(finding), "level": levels.get(finding.codemod)})
        if result.status is Status.FAILED:
            changes.failed.append(result.reason)


def _apply_codemods(
    batch: Sequence[CodemodStep],
    policy: Policy,
    root: Path,
    waived: Callable[[str, str], str | None],
    changes: ChangeSet,
    cache: ResultCache | None,
) -> None:
    configured = [(step, configure(step.codemod, step.options)) for step in batch]
    levels = {codemod.name: step.level for step, codemod in configured}
    target = policy.target_for(root)
    for active, files in _groups(configured, _candidates(policy, root), waived, changes).items():
        if not active:
            continue
        codemods = [configured[i][1] for i in active]
        run = engine.run(files, engine.EngineConfig(codemods, target=target, jobs=1, cache=cache))
        refused = engine.write(run.results, lambda rel: root / rel)
        if refused:
            raise WriteRefused(refused[0].reason, len(refused))
        _record(run.results, changes, levels)


def _apply_command(step: CommandStep, root: Path, changes: ChangeSet) -> None:
    before = _git_changed(root)
    result = run_command(step.name, step.command, root, step.timeout)
    after = _git_changed(root)
    changes.steps.append({**asdict(result), "files": sorted(after - before)})
    for path in sorted(after - before):
        changes.add(path, step.name, 1)
    if not result.passed:
        changes.failed.append(f"step {step.name} failed (exit {result.exit_code})")


def apply_steps(
    policy: Policy,
    repo_name: str,
    root: Path,
    today: dt.date,
    cache: ResultCache | None = None,
) -> ChangeSet:
    """Run every step of ``policy`` on the work tree at ``root``; the tree is left changed."""
    changes = ChangeSet()

    def waived(codemod: str, path: str) -> str | None:
        waiver = policy.waiver_for(repo_name, codemod, path, today)
        return None if waiver is None else f"{waiver.repository}: {waiver.reason} ({waiver.owner})"

    batch: list[CodemodStep] = []
    for step in [*policy.codemods, None]:
        if isinstance(step, CodemodStep):
            if step.level != "off":
                batch.append(step)
            continue
        if batch:
            _apply_codemods(batch, policy, root, waived, changes, cache)
            batch = []
        if isinstance(step, CommandStep):
            _apply_command(step, root, changes)
    return changes
