"""The pull request a reviewer reads: what changed and why, where, what to check by hand.

The body ends with a hidden marker carrying the policy id, version and a hash of the
change, so that a rerun can tell from the forge alone that it has nothing to do.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot import markdown as md
from bot.policy import CodemodStep, CommandStep, Policy
from bot.rewrite import ChangeSet
from codemods.base import Codemod, Safety
from codemods.registry import load_class

MAX_FILE_ROWS = 100
MAX_FINDINGS = 50
# GitHub refuses a body over 65,536 characters: a check's output must not take it there.
MAX_OUTPUT_LINES = 40
MAX_OUTPUT_CHARS = 4000
MARKER = re.compile(r"<!-- fleetmod policy=(\S+) input=([0-9a-f]+) change=([0-9a-f]+) -->")


@dataclass(frozen=True)
class Proposal:
    """The text of a pull request and the hash that identifies its change."""

    title: str
    body: str
    change_hash: str


def input_hash(policy: Policy, tree: str, base: str) -> str:
    """Identity of what a proposal is made from: the whole policy, the base and the result.

    When an open PR carries the same input hash, its checks and text cannot differ either,
    so a rerun can stop before running any check.
    """
    payload = f"{policy.model_dump_json()}\n{base}\n{tree}"
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def change_hash(policy: Policy, tree: str, checks: Sequence[dict[str, Any]]) -> str:
    """Identity of a proposal: the resulting tree, the policy version and the check verdicts."""
    verdicts = ",".join(f"{c['name']}={c['passed']}" for c in checks)
    payload = f"{policy.id}@{policy.version}\n{tree}\n{verdicts}"
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Marker:
    policy: str
    input_hash: str
    change_hash: str


def marker_of(body: str) -> Marker | None:
    """The hidden marker of a body this bot wrote, or None."""
    match = MARKER.search(body or "")
    return Marker(*match.groups()) if match else None


def _codemod_classes(policy: Policy) -> dict[str, type[Codemod]]:
    classes = (load_class(s.codemod) for s in policy.codemods if isinstance(s, CodemodStep))
    return {cls.name: cls for cls in classes}


def _why(policy: Policy, used: set[str]) -> list[str]:
    lines = ["### What changed and why", ""]
    for cls in _codemod_classes(policy).values():
        if cls.name in used:
            link = f" ([reference]({cls.url}))" if cls.url else ""
            lines += [f"**`{cls.name}`** ({cls.safety.value}): {cls.summary}{link}", ""]
            lines += [cls.explanation, ""]
    for step in policy.codemods:
        if isinstance(step, CommandStep) and step.name in used:
            lines += [f"**{md.text(step.name)}**: ran {md.code(step.command)}", ""]
    return lines


def _files(changes: ChangeSet, used: list[str]) -> list[str]:
    rows = [
        [md.code(path), *(str(counts.get(name, "")) for name in used)]
        for path, counts in sorted(changes.counts.items())
    ]
    shown = rows[:MAX_FILE_ROWS]
    lines = ["### Files", "", md.table(["file", *(md.code(n) for n in used)], shown)]
    if len(rows) > len(shown):
        lines += ["", f"... and {len(rows) - len(shown)} more files."]
    return [*lines, ""]


def _review_notes(policy: Policy, used: set[str]) -> list[str]:
    risky = [c for c in _codemod_classes(policy).values() if c.name in used]
    risky = [c for c in risky if c.safety is Safety.REVIEW]
    if not risky:
        return []
    lines = ["### Please review", ""]
    lines += [f"- `{c.name}` changes behaviour on purpose: {c.summary}." for c in risky]
    return [*lines, ""]


def _findings(changes: ChangeSet, link_base: str) -> list[str]:
    if not changes.findings:
        return []
    lines = ["### Findings that need a human", ""]
    for finding in changes.findings[:MAX_FINDINGS]:
        where = f"{finding['path']}:{finding['line']}"
        place = (
            f"[{md.text(where)}]({link_base}/{quote(finding['path'])}#L{finding['line']})"
            if link_base
            else md.code(where)
        )
        lines.append(f"- {place}: {md.text(finding['message'])} (`{finding['codemod']}`)")
    if len(changes.findings) > MAX_FINDINGS:
        lines.append(f"- ... and {len(changes.findings) - MAX_FINDINGS} more.")
    return [*lines, ""]


def _unchecked(changes: ChangeSet) -> list[str]:
    """What fleetmod could not read or run: the change says nothing about these."""
    if not changes.failed:
        return []
    lines = ["### Not checked", "", "fleetmod could not process these; they need a human:", ""]
    lines += [f"- {md.text(reason)}" for reason in changes.failed[:MAX_FINDINGS]]
    if len(changes.failed) > MAX_FINDINGS:
        lines.append(f"- ... and {len(changes.failed) - MAX_FINDINGS} more.")
    return [*lines, ""]


def _checks(checks: Sequence[dict[str, Any]]) -> list[str]:
    if not checks:
        return []
    rows = []
    for check in checks:
        verdict = (
            "passed"
            if check["passed"]
            else ("timed out" if check["timed_out"] else f"failed (exit {check['exit_code']})")
        )
        if check.get("failed_before"):
            verdict += ", as it did before this change"
        rows.append([md.text(check["name"]), md.code(check["command"]), verdict])
    lines = ["### Checks", "", md.table(["check", "command", "result"], rows), ""]
    for check in checks:
        if not check["passed"]:
            tail = "\n".join(check["output_tail"].splitlines()[-MAX_OUTPUT_LINES:])
            tail = tail[-MAX_OUTPUT_CHARS:]
            lines += [f"<details><summary>{md.text(check['name'])} output</summary>", ""]
            lines += [md.block(tail), "", "</details>", ""]
    return lines


def reproduce_command(policy: Policy) -> str:
    """The exact `fleetmod apply` command that makes the codemod part of this change."""
    parts = ["fleetmod", "apply", ".", "--write", "--target-version", policy.target_python]
    for step in policy.active_codemods():
        parts += ["-c", step.codemod]
        for key, value in sorted(step.options.items()):
            shown = value if isinstance(value, str) else json.dumps(value)
            parts += ["-o", f"{step.codemod}.{key}={shown}"]
    return shlex.join(parts)


def _reproduce(policy: Policy) -> list[str]:
    commands = [reproduce_command(policy)]
    commands += [s.command for s in policy.codemods if isinstance(s, CommandStep)]
    return ["### Reproduce locally", "", md.block("\n".join(commands), "sh"), ""]


def propose(
    policy: Policy,
    changes: ChangeSet,
    checks: Sequence[dict[str, Any]],
    tree: str,
    inputs: str,
    link_base: str = "",
) -> Proposal:
    """Title and body of the pull request for ``changes``; ``link_base`` prefixes file links."""
    digest = change_hash(policy, tree, checks)
    used = sorted({name for counts in changes.counts.values() for name in counts})
    source = f" ([policy]({policy.url}))" if policy.url else ""
    lines = [
        f"This pull request was opened by fleetmod for the compliance policy "
        f"**{md.text(policy.title)}** (`{policy.id}@{policy.version}`){source}.",
        "",
    ]
    if policy.description:
        lines += [md.text(policy.description), ""]
    if any(not c["passed"] and not c.get("failed_before") for c in checks):
        lines += ["> **Checks failed** on this change: see below before merging.", ""]
    lines += _why(policy, set(used)) + _files(changes, used) + _review_notes(policy, set(used))
    lines += _findings(changes, link_base) + _unchecked(changes) + _checks(checks)
    if changes.waivers:
        lines += ["### Waivers applied", "", *(f"- {md.text(w)}" for w in changes.waivers), ""]
    lines += _reproduce(policy)
    marker = f"policy={policy.id}@{policy.version} input={inputs} change={digest}"
    lines.append(f"<!-- fleetmod {marker} -->")
    return Proposal(policy.pr_title, "\n".join(lines) + "\n", digest)
