"""One campaign: every repository in scope, through the same workflow, under the policy's limits.

Per repository: prepare the workspace, apply the steps, apply the guardrails, run the
checks, and then decide from the forge (not from memory) what to do: nothing, push and
update, open, or leave alone. The decision functions are small and ordered the way a
careful maintainer would think, so that each outcome has one place that produces it.

When the forge refuses the bot's credentials, the run stops: no other repository starts,
the outcomes that the refusal decided are not recorded, and the run stays open in the
ledger, so that the next run resumes it with the repositories it did not finish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.checks import run_command
from bot.codeowners import owners_for
from bot.forges.base import (
    CredentialsRefused,
    Forge,
    ForgeError,
    PrRequest,
    PrState,
    PullRequest,
    Repo,
)
from bot.ledger import Ledger
from bot.outcomes import FileChange, Outcome, RepoOutcome
from bot.policy import Check, Policy
from bot.pr_body import Proposal, input_hash, marker_of, propose
from bot.rewrite import ChangeSet, apply_steps
from bot.workspace import Workspace, WorkspaceCache, WorkspaceError, remote_head
from codemods.cache import ENGINE_VERSION, ResultCache
from codemods.registry import load_class

BOT_CLOSER = "fleetmod"
STABLE_WITHOUT_PR = {Outcome.COMPLIANT, Outcome.WAIVED, Outcome.NEEDS_CHANGE}
STABLE_WITH_PR = {Outcome.PR_OPENED, Outcome.PR_UPDATED, Outcome.PR_UNCHANGED}
OnStep = Callable[[str, str], None]
NOT_RUN = "not run: the run stopped early; the next run resumes"
# A repository whose work the process died in this often (killed, out of memory, a crash in
# native code) is left out of the resumed run, so that it cannot kill every resume.
MAX_ATTEMPTS = 2
DIED_HERE = (
    f"the bot died {MAX_ATTEMPTS} times while working on this repository (killed, out of"
    " memory, or a crash); left out of this run, the next run tries again"
)


@dataclass
class CampaignOptions:
    command: str = "run"  # "run" or "audit"
    dry_run: bool = False
    only: Sequence[str] = ()
    retry_failed: bool = False
    concurrency: int | None = None
    shard: tuple[int, int] | None = None
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def writes(self) -> bool:
        return self.command == "run" and not self.dry_run


class Budget:
    """The policy's PR limits, shared by the worker threads of one run."""

    def __init__(self, policy: Policy, open_at_start: int) -> None:
        self._limits = policy.limits
        self._open = open_at_start
        self._opened = 0
        self._lock = threading.Lock()

    def take(self) -> str | None:
        """Reserve one new PR, or say which limit forbids it."""
        with self._lock:
            if self._limits.prs_per_run is not None and self._opened >= self._limits.prs_per_run:
                return f"prs_per_run limit ({self._limits.prs_per_run}) reached"
            if self._limits.open_prs is not None and self._open >= self._limits.open_prs:
                return f"open_prs limit ({self._limits.open_prs}) reached"
            self._opened += 1
            self._open += 1
            return None

    def give_back(self) -> None:
        with self._lock:
            self._opened -= 1
            self._open -= 1


@dataclass
class Context:
    policy: Policy
    forge: Forge
    state_dir: Path
    options: CampaignOptions
    budget: Budget
    cache: ResultCache | None
    on_step: OnStep
    previous: dict[str, RepoOutcome]
    inputs_key: str
    attempt: Callable[[str], int]  # counts a start of a repository's work; earlier starts
    stopped: str = ""  # why the run stopped early (the forge refused the credentials)


def inputs_key(policy: Policy, today: dt.date) -> str:
    """What an outcome depends on besides the repository: the policy, the codemods' versions
    and which waivers are in force today. A rerun may reuse an outcome only when it matches."""
    versions = [load_class(s.codemod).version for s in policy.active_codemods()]
    active = [i for i, w in enumerate(policy.waivers) if not w.expired(today)]
    payload = json.dumps([policy.model_dump(mode="json"), versions, active, ENGINE_VERSION])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class RepoJob:
    """The workflow of one repository; ``run`` never raises, it returns an outcome."""

    def __init__(self, ctx: Context, repo: Repo) -> None:
        self.ctx, self.repo, self.policy = ctx, repo, ctx.policy
        self.result = RepoOutcome(repo.full_name, Outcome.ERROR)
        self.stopped = False  # the forge refused the credentials: the outcome is no fact

    def step(self, name: str) -> None:
        self.ctx.on_step(self.repo.full_name, name)

    def run(self) -> RepoOutcome:
        started = time.monotonic()
        try:
            self._run()
        except CredentialsRefused as exc:
            self._stop(_line(exc))
        except WorkspaceError as exc:
            self._git_failed(exc)
        except (ForgeError, OSError, ValueError) as exc:
            self._finish(Outcome.ERROR, _line(exc))
        except Exception as exc:  # one repository failing never stops the others
            self._finish(Outcome.ERROR, f"internal error: {type(exc).__name__}: {exc}")
        self.result.seconds = round(time.monotonic() - started, 3)
        self.step("done")
        return self.result

    def _finish(self, outcome: Outcome, reason: str) -> None:
        self.result.outcome, self.result.reason = outcome, reason

    def _stop(self, reason: str) -> None:
        self.stopped = True
        self.ctx.stopped = self.ctx.stopped or reason
        self._finish(Outcome.ERROR, reason)

    def _git_failed(self, exc: WorkspaceError) -> None:
        """A git command failed; when the forge now refuses the credentials too (a revoked
        token fails git first), that is why, and the run stops."""
        try:
            self.ctx.forge.find_pr(self.repo, self.policy.branch)
        except CredentialsRefused as refused:
            self._stop(f"{_line(exc)}; {_line(refused)}")
            return
        except Exception:  # only a question: git's line says what went wrong
            pass
        self._finish(Outcome.ERROR, _line(exc))

    def _run(self) -> None:
        self.result.inputs_key = self.ctx.inputs_key
        env = self.ctx.forge.git_env(self.repo)
        self.step("ls-remote")
        default = remote_head(self.repo, self.repo.default_branch, env)
        if default is not None and self._unchanged_since_last_run(default):
            return
        if self.ctx.attempt(self.repo.full_name) >= MAX_ATTEMPTS:
            self._finish(Outcome.ERROR, DIED_HERE)
            return
        self.step("clone")
        with WorkspaceCache(self.ctx.state_dir).prepare(self.repo, env) as ws:
            self.result.default_sha = ws.default_head()
            self._work(ws)

    def _unchanged_since_last_run(self, default: str) -> bool:
        """Reuse the last outcome when nothing it depends on moved: the fast rerun."""
        previous = self.ctx.previous.get(self.repo.full_name)
        if (
            previous is None
            or previous.default_sha != default
            or previous.inputs_key != self.ctx.inputs_key
        ):
            return False
        if previous.outcome in STABLE_WITHOUT_PR:
            outcome, reason = previous.outcome, previous.reason
        elif previous.outcome in STABLE_WITH_PR and self.ctx.options.writes:
            pr = self._find_pr()
            if pr is None or pr.state is not PrState.OPEN or pr.head_sha != previous.head_sha:
                return False
            outcome, reason = Outcome.PR_UNCHANGED, "already up to date"
        else:
            return False
        self.result = replace(previous, outcome=outcome, reason=reason)
        return True

    def _work(self, ws: Workspace) -> None:
        self.step("rewrite")
        changes = apply_steps(
            self.policy, self.repo.full_name, ws.path, self.ctx.options.today, self.ctx.cache
        )
        self._record_changes(changes)
        changed = ws.changed_files()
        pr = self._find_pr() if self.ctx.options.command == "run" else None
        if not changed:
            self._nothing_to_change(changes, pr)
            return
        if len(changed) > self.policy.limits.changed_files_per_pr:
            limit = self.policy.limits.changed_files_per_pr
            self._finish(Outcome.LIMIT_REACHED, f"{len(changed)} files changed (limit {limit})")
            return
        if not self.ctx.options.writes or self.policy.delivery.action == "report":
            self._finish(Outcome.NEEDS_CHANGE, self._summary(changes))
            return
        self._propose(ws, changes, changed, pr)

    def _record_changes(self, changes: ChangeSet) -> None:
        self.result.files = [FileChange(p, c) for p, c in sorted(changes.counts.items())]
        self.result.findings = changes.findings
        self.result.failed_files = changes.failed
        self.result.steps = changes.steps
        self.result.waivers = changes.waivers

    def _summary(self, changes: ChangeSet) -> str:
        rewrites = sum(sum(c.values()) for c in changes.counts.values())
        return (
            f"{len(changes.counts)} files to change ({rewrites} rewrites), "
            f"{len(changes.findings)} findings"
        )

    def _find_pr(self) -> PullRequest | None:
        self.step("find PR")
        pr = self.ctx.forge.find_pr(self.repo, self.policy.branch)
        if pr is not None:
            self.result.pr_number, self.result.pr_url = pr.number, pr.url
            self.result.pr_state = pr.state.value
        return pr

    def _nothing_to_change(self, changes: ChangeSet, pr: PullRequest | None) -> None:
        errors = [f for f in changes.findings if f.get("level") == "error"]
        if pr is not None and pr.state is PrState.OPEN and self.ctx.options.writes:
            self.step("close PR")
            note = "fleetmod: this repository no longer needs this change, so this PR is closed."
            closed = self.ctx.forge.close_pr(self.repo, pr.number, note)
            self.result.pr_state = closed.state.value
            reason = f"closed PR #{pr.number}: no longer needed"
        else:
            reason = "nothing to change"
        if errors:
            self._finish(Outcome.NEEDS_CHANGE, f"{len(errors)} findings need a human; {reason}")
        elif changes.failed:
            # Compliance is unknown for what could not be read: a human decides (fix the
            # file, or leave it out of scope.paths), never a silent "compliant".
            unread = f"{len(changes.failed)} not checked ({changes.failed[0]})"
            self._finish(Outcome.NEEDS_CHANGE, f"{unread}; {reason}")
        elif changes.waivers:
            self._finish(Outcome.WAIVED, f"covered by {len(changes.waivers)} waiver(s)")
        else:
            self._finish(Outcome.COMPLIANT, reason)

    def _checks(self, ws: Workspace) -> list[dict[str, Any]]:
        results = []
        for check in self.policy.checks:
            self.step(f"check {check.name}")
            result = asdict(run_command(check.name, check.run, ws.path, check.timeout))
            result["failed_before"] = not result["passed"] and self._fails_on_base(ws, check)
            results.append(result)
        self.result.checks = results
        return results

    def _fails_on_base(self, ws: Workspace, check: Check) -> bool:
        """A check that fails on the default branch too was not broken by this change."""
        self.step(f"check {check.name} on the base")
        with tempfile.TemporaryDirectory(prefix="fleetmod-base-") as scratch:
            base = Path(scratch) / "base"
            ws.git_repo.git.worktree("add", "--quiet", "--detach", str(base), ws.default_head())
            try:
                return not run_command(check.name, check.run, base, check.timeout).passed
            finally:
                ws.git_repo.git.worktree("remove", "--force", str(base))

    def _propose(
        self, ws: Workspace, changes: ChangeSet, changed: list[str], pr: PullRequest | None
    ) -> None:
        if pr is not None and pr.state is PrState.CLOSED and pr.closed_by != BOT_CLOSER:
            self._finish(Outcome.PR_DECLINED, f"PR #{pr.number} was closed by a person")
            return
        remote = ws.remote_branch_head(self.policy.branch)
        foreign = self._foreign_commits(ws, remote)
        if foreign:
            self._finish(Outcome.BLOCKED, foreign)
            return
        self.step("commit")
        author = self.policy.delivery.author
        # Only the files the steps changed: what the checks leave behind stays out.
        ws.commit(self.policy.commit_message_for(), author.name, author.email, changed)
        tree = ws.tree_of("HEAD")
        inputs = input_hash(self.policy, tree, ws.default_head())
        open_pr = pr if pr is not None and pr.state is PrState.OPEN else None
        if open_pr is not None and self._already_proposed(ws, remote, open_pr, inputs):
            self.result.head_sha = remote or ""
            self._finish(Outcome.PR_UNCHANGED, "already up to date")
            return
        checks = self._checks(ws)
        failed = [str(c["name"]) for c in checks if not c["passed"] and not c["failed_before"]]
        policy_on_failure = {c.name: c.on_failure for c in self.policy.checks}
        if any(policy_on_failure[name] == "skip" for name in failed):
            self._finish(Outcome.CHECKS_FAILED, f"checks failed: {', '.join(failed)}")
            return
        proposal = propose(self.policy, changes, checks, tree, inputs, self._link_base())
        self.result.change_hash = proposal.change_hash
        draft = self.policy.delivery.draft or any(
            policy_on_failure[name] == "draft" for name in failed
        )
        self._deliver(ws, remote, proposal, open_pr, draft)

    def _link_base(self) -> str:
        return f"{self.repo.web_url}/blob/{self.policy.branch}" if self.repo.web_url else ""

    def _foreign_commits(self, ws: Workspace, remote: str | None) -> str:
        """Why the bot must not touch its branch (someone else's commits on it), or ''."""
        if remote is None:
            return ""
        email = self.policy.delivery.author.email
        for sha, author, _message in ws.commits_on(remote, "HEAD"):
            if author != email:
                return (
                    f"{self.policy.branch} has commit {sha[:10]} by {author}; "
                    "the bot does not overwrite other people's work"
                )
        return ""

    def _already_proposed(
        self, ws: Workspace, remote: str | None, pr: PullRequest, inputs: str
    ) -> bool:
        marker = marker_of(pr.body)
        return (
            marker is not None
            and marker.input_hash == inputs
            and pr.title == self.policy.pr_title
            and self._branch_current(ws, remote)
        )

    def _branch_current(self, ws: Workspace, remote: str | None) -> bool:
        """The remote branch already holds this exact change on top of the current base."""
        if remote is None or ws.tree_of(remote) != ws.tree_of("HEAD"):
            return False
        parents = ws.git_repo.commit(remote).parents
        return [p.hexsha for p in parents] == [ws.default_head()]

    def _deliver(
        self,
        ws: Workspace,
        remote: str | None,
        proposal: Proposal,
        pr: PullRequest | None,
        draft: bool,
    ) -> None:
        if pr is None and (refusal := self.ctx.budget.take()) is not None:
            self._finish(Outcome.LIMIT_REACHED, refusal)
            return
        pushed = not self._branch_current(ws, remote)
        if pushed:
            self.step("push")
            try:
                ws.push(self.policy.branch, remote)
            except WorkspaceError:
                if pr is None:  # no PR will be opened: the reserved one goes back
                    self.ctx.budget.give_back()
                raise
        self.result.head_sha = ws.git_repo.head.commit.hexsha if pushed else remote or ""
        if pr is None:
            self._open(proposal, draft, ws)
            return
        self._update(pr, proposal, pushed, draft)

    def _open(self, proposal: Proposal, draft: bool, ws: Workspace) -> None:
        self.step("open PR")
        delivery = self.policy.delivery
        request = PrRequest(
            head_branch=self.policy.branch,
            base_branch=self.repo.default_branch,
            title=proposal.title,
            body=proposal.body,
            draft=draft,
            labels=delivery.labels,
            # The policy's reviewers, else the CODEOWNERS of the files the change touches.
            reviewers=delivery.reviewers
            or owners_for(ws.path, [f.path for f in self.result.files]),
        )
        try:
            pr = self.ctx.forge.create_pr(self.repo, request)
        except ForgeError:
            self.ctx.budget.give_back()
            raise
        if delivery.action == "pr_automerge":
            self.ctx.forge.enable_automerge(self.repo, pr.number)
        self.result.pr_number, self.result.pr_url, self.result.pr_state = pr.number, pr.url, "open"
        self._finish(Outcome.PR_OPENED, f"opened PR #{pr.number}")

    def _update(self, pr: PullRequest, proposal: Proposal, pushed: bool, draft: bool) -> None:
        same_text = marker_of(pr.body) == marker_of(proposal.body) and pr.title == proposal.title
        if same_text and pr.draft == draft:
            outcome = Outcome.PR_UPDATED if pushed else Outcome.PR_UNCHANGED
            reason = f"rebased PR #{pr.number} on the new base" if pushed else "already up to date"
            self._finish(outcome, reason)
            return
        self.step("update PR")
        self.ctx.forge.update_pr(
            self.repo,
            pr.number,
            title=None if pr.title == proposal.title else proposal.title,
            body=None if same_text else proposal.body,
            draft=None if pr.draft == draft else draft,
        )
        self._finish(Outcome.PR_UPDATED, f"updated PR #{pr.number}")


def _line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else repr(exc)


@dataclass
class CampaignResult:
    run_id: int
    resumed: bool
    outcomes: list[RepoOutcome]
    stopped: str = ""  # why the run stopped early; the next run resumes it


def _open_prs(ledger: Ledger, policy: Policy) -> int:
    latest = ledger.latest(policy.id, "run")
    return sum(1 for o in latest.values() if o.pr_state == PrState.OPEN.value)


def run_campaign(
    policy: Policy,
    forge: Forge,
    repos: Sequence[Repo],
    state_dir: Path,
    options: CampaignOptions,
    on_step: OnStep = lambda _repo, _step: None,
    on_outcome: Callable[[RepoOutcome], None] = lambda _outcome: None,
) -> CampaignResult:
    """Process ``repos`` (already selected and sharded) and record every outcome."""
    ledger = Ledger.of(state_dir)
    if options.retry_failed:
        failed = set(ledger.failed_repos(policy.id))
        repos = [r for r in repos if r.full_name in failed]
    scope_key = ",".join(sorted(r.full_name for r in repos))
    command = "dry-run" if options.dry_run else options.command
    run_id, resumed = ledger.start(policy.id, policy.version, command, scope_key)
    done = ledger.done(run_id)
    ctx = Context(
        policy,
        forge,
        state_dir,
        options,
        Budget(policy, _open_prs(ledger, policy)),
        ResultCache(state_dir / "cache"),
        on_step,
        ledger.latest(policy.id, command),
        inputs_key(policy, options.today),
        lambda repo: ledger.attempt(run_id, repo),
    )

    def work(repo: Repo) -> RepoOutcome:
        if ctx.stopped:
            return RepoOutcome(repo.full_name, Outcome.ERROR, NOT_RUN)
        job = RepoJob(ctx, repo)
        outcome = job.run()
        if not job.stopped:
            ledger.record(run_id, outcome)
        on_outcome(outcome)
        return outcome

    # What the process died in last time goes first, one at a time: if it dies again, the
    # count lands on the repository that killed it, not on the ones beside it.
    suspects = ledger.interrupted(run_id)
    todo = [r for r in repos if r.full_name not in done]
    fresh = [work(r) for r in todo if r.full_name in suspects]
    workers = options.concurrency or policy.limits.concurrency
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        fresh += pool.map(work, [r for r in todo if r.full_name not in suspects])
    if not ctx.stopped:
        ledger.finish(run_id)
    by_name = {**done, **{o.repo: o for o in fresh}}
    outcomes = [by_name[r.full_name] for r in repos]
    return CampaignResult(run_id, resumed, outcomes, ctx.stopped)
