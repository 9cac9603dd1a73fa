"""Policy files: what they mean, and the one line that refuses a bad one (file, line, field)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import textwrap
from pathlib import Path
from typing import Literal

import jsonschema
import pytest
import yaml
from pydantic import Field

from bot.policy import (
    CodemodStep,
    CommandStep,
    Policy,
    PolicyError,
    Waiver,
    branch_problem,
    load_policy,
    policy_schema,
)
from codemods.base import Codemod, CodemodTransformer, Options
from codemods.registry import all_codemods
from tests.helpers import git, make_repo

POLICIES = Path(__file__).resolve().parent.parent / "policies"
HEAD = "id: demo\ntitle: Demo\n"  # two lines, so that line numbers below are easy to read


class PauseOptions(Options):
    timeout: float = Field(30, gt=0, description="Seconds.")
    retries: int = Field(0, ge=0)
    mode: Literal["fast", "safe"] = "safe"


class Pause(Codemod):
    """A codemod with typed options, reached by its module:Class path like any plugin."""

    name = "pause"
    summary = "test codemod with typed options"
    explanation = "Exists so that option errors can be tested without depending on a rule."
    triggers = (b"pause",)
    Options = PauseOptions
    Transformer = CodemodTransformer


PAUSE = f"{__name__}:Pause"


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def load(tmp_path: Path, text: str) -> Policy:
    return load_policy(write(tmp_path, text))


def refusal(tmp_path: Path, text: str) -> str:
    """The one line a bad policy is refused with, the file name replaced by FILE."""
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path.as_posix()}:")
    return message.replace(path.as_posix(), "FILE", 1)


# -- what a valid policy means ---------------------------------------------------------------


def test_minimal_policy_takes_the_documented_defaults(tmp_path: Path) -> None:
    policy = load(tmp_path, HEAD)
    assert policy.branch == "fleetmod/demo"
    assert policy.pr_title == "Demo"
    assert policy.version == "1"
    assert policy.target == (3, 9)
    assert policy.delivery.action == "pr"
    assert policy.scope.paths.include == ["**/*.py", "**/*.pyi"]
    assert policy.scope.paths.exclude_vendored is True
    assert policy.source == (tmp_path / "policy.yaml").resolve()
    assert policy.base_dir == tmp_path.resolve()


def test_a_policy_built_in_code_has_no_source() -> None:
    policy = Policy(id="demo", title="Demo")
    assert policy.source is None
    assert policy.base_dir == Path.cwd()


def test_versions_keep_the_text_yaml_would_turn_into_numbers(tmp_path: Path) -> None:
    policy = load(tmp_path, HEAD + "version: 2.10\ntarget_python: 3.10\n")
    assert policy.version == "2.10"
    assert policy.target_python == "3.10"
    assert policy.target == (3, 10)


def test_steps_keep_their_order_and_kind(tmp_path: Path) -> None:
    policy = load(
        tmp_path,
        HEAD
        + textwrap.dedent(
            """\
        codemods:
          - codemod: yaml-safe-load
          - command: ruff check --fix --select UP .
            name: ruff
          - codemod: yaml-safe-load
            level: off
          - codemod: yaml-safe-load
            level: warning
        """
        ),
    )
    assert [type(s) for s in policy.codemods] == [
        CodemodStep,
        CommandStep,
        CodemodStep,
        CodemodStep,
    ]
    # `off` unquoted is the word, not YAML 1.1's false
    assert [s.level for s in policy.active_codemods()] == ["error", "warning"]
    assert policy.active_codemods()[0].configured().name == "yaml-safe-load"


def test_codemod_options_are_validated_into_the_codemods_model(tmp_path: Path) -> None:
    text = HEAD + f"codemods:\n  - codemod: {PAUSE}\n    options: {{timeout: 2, mode: fast}}\n"
    codemod = load(tmp_path, text).active_codemods()[0].configured()
    assert codemod.options == PauseOptions(timeout=2, mode="fast")


def test_target_for_a_repository_is_never_below_the_policy_or_the_repository(
    tmp_path: Path,
) -> None:
    repo = make_repo(
        tmp_path / "repo", {"pyproject.toml": '[project]\nrequires-python = ">=3.11"\n'}
    )
    assert load(tmp_path, HEAD).target_for(repo) == (3, 11)
    assert load(tmp_path, HEAD + "target_python: '3.12'\n").target_for(repo) == (3, 12)
    undeclared = make_repo(tmp_path / "undeclared", {"a.py": "x = 1\n"})
    assert load(tmp_path, HEAD + "target_python: '3.8'\n").target_for(undeclared) == (3, 8)


# -- refusals: one line, with the line of the offending field --------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + "key: value: other\n", "FILE:3: invalid YAML: mapping values are not allowed here"),
        (
            HEAD + "labels: [a, b\n",
            "FILE:4: invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (HEAD + "owner: *nobody\n", "FILE:3: invalid YAML: found undefined alias 'nobody'"),
        (
            HEAD + "owner: !!python/object:os.system x\n",
            "FILE:3: invalid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object:os.system'",
        ),
        ("id: a\n---\nid: b\n", "FILE:2: invalid YAML: but found another document"),
        ("id: demo\x07\n", "FILE:1: invalid YAML: special characters are not allowed"),
        ("", "FILE:1: the file is empty; a policy needs at least id and title"),
        ("- id: demo\n", "FILE:1: expected a mapping of policy fields"),
    ],
    ids=["yaml", "unclosed", "alias", "python-tag", "two-documents", "control", "empty", "list"],
)
def test_a_file_that_is_not_a_policy_document(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(tmp_path, text) == expected


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read: No such file"):
        load_policy(tmp_path / "missing.yaml")
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes(b"id: d\xe9mo\n")
    with pytest.raises(PolicyError) as info:
        load_policy(binary)
    assert str(info.value) == f"{binary.as_posix()}: cannot read: not UTF-8 text"


def test_a_duplicate_key_is_refused_not_silently_overridden(tmp_path: Path) -> None:
    text = HEAD + "checks:\n  - name: a\n    run: x\n    run: y\n"
    assert refusal(tmp_path, text) == "FILE:6: checks[0].run: duplicate key (first on line 5)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + "chekcs: []\n", "FILE:3: chekcs: unknown key 'chekcs'; did you mean 'checks'?"),
        (
            HEAD + "checks:\n  - name: a\n    run: x\n    timout: 3\n",
            "FILE:6: checks[0].timout: unknown key 'timout'; did you mean 'timeout'?",
        ),
        (
            HEAD + "delivery:\n  author:\n    login: bot\n",
            "FILE:5: delivery.author.login: unknown key 'login'; expected one of: email, name",
        ),
    ],
    ids=["top", "nested", "no-close-match"],
)
def test_unknown_keys(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(tmp_path, text) == expected


def test_an_unknown_codemod_suggests_the_close_one(tmp_path: Path) -> None:
    text = HEAD + "codemods:\n  - codemod: yaml-safe-load\n  - codemod: yaml-safeload\n"
    assert refusal(tmp_path, text) == (
        "FILE:5: codemods[1].codemod: unknown codemod 'yaml-safeload'; "
        "did you mean 'yaml-safe-load'?"
    )


def test_an_unknown_codemod_without_close_match_lists_the_known(tmp_path: Path) -> None:
    message = refusal(tmp_path, HEAD + "codemods:\n  - codemod: zzzz\n")
    assert message.startswith("FILE:4: codemods[0].codemod: unknown codemod 'zzzz' (known: ")
    assert all(name in message for name in all_codemods())


def test_a_module_class_path_that_does_not_load(tmp_path: Path) -> None:
    message = refusal(tmp_path, HEAD + "codemods:\n  - codemod: tests.nowhere:Gone\n")
    assert message.startswith(
        "FILE:4: codemods[0].codemod: cannot load codemod 'tests.nowhere:Gone'"
    )


OPTION_CASES = [
    ("timeout: -3", "codemods[1].options.timeout: must be a positive number, got -3"),
    ("timeout: soon", "codemods[1].options.timeout: expected a number, got 'soon'"),
    ("retries: -1", "codemods[1].options.retries: must be at least 0, got -1"),
    ("retries: 1.5", "codemods[1].options.retries: expected an integer, got 1.5"),
    ("mode: slow", "codemods[1].options.mode: expected 'fast' or 'safe', got 'slow'"),
    ("timout: 3", "codemods[1].options.timout: unknown option 'timout'; did you mean 'timeout'?"),
]


@pytest.mark.parametrize(("option", "expected"), OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_codemod_options_are_checked_against_the_codemods_options_model(
    tmp_path: Path, option: str, expected: str
) -> None:
    text = (
        HEAD
        + "codemods:\n"
        + "  - codemod: yaml-safe-load\n"
        + f"  - codemod: {PAUSE}\n"
        + "    level: warning\n"
        + "    options:\n"
        + f"      {option}\n"
    )
    assert refusal(tmp_path, text) == f"FILE:8: {expected}"


def test_options_of_a_codemod_that_takes_none(tmp_path: Path) -> None:
    text = HEAD + "codemods:\n  - codemod: yaml-safe-load\n    options:\n      loader: safe\n"
    assert refusal(tmp_path, text) == (
        "FILE:6: codemods[0].options.loader: yaml-safe-load takes no options"
    )


@pytest.mark.skipif("requests-timeout" not in all_codemods(), reason="requests-timeout not yet")
def test_the_union_typed_timeout_of_requests_timeout_is_one_problem(tmp_path: Path) -> None:
    text = HEAD + "codemods:\n  - codemod: requests-timeout\n    options:\n      timeout: soon\n"
    assert refusal(tmp_path, text) == (
        "FILE:6: codemods[0].options.timeout: expected an integer or a number, got 'soon'"
    )


def test_a_waiver_needs_an_expiry_and_the_error_points_at_the_waiver(tmp_path: Path) -> None:
    text = HEAD + "waivers:\n  - repository: acme/*\n    reason: legacy\n    owner: alice\n"
    assert refusal(tmp_path, text) == "FILE:4: waivers[0].expires: required field missing"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "expected a date like 2030-12-31, got 'soon'"),
        ("2030-02-30", "expected a date like 2030-12-31, got '2030-02-30'"),
        ("20300101", "expected a date like 2030-12-31, got 20300101"),
    ],
)
def test_a_waiver_expiry_must_be_a_date(tmp_path: Path, value: str, expected: str) -> None:
    text = (
        HEAD + f"waivers:\n  - repository: x\n    reason: r\n    owner: o\n    expires: {value}\n"
    )
    assert refusal(tmp_path, text) == f"FILE:7: waivers[0].expires: {expected}"


def test_a_waiver_for_a_codemod_the_policy_does_not_run(tmp_path: Path) -> None:
    text = (
        HEAD
        + "codemods:\n  - codemod: yaml-safe-load\n"
        + "waivers:\n  - repository: x\n    codemods: [yaml-safe-load, yaml-safeload]\n"
        + "    reason: r\n    owner: o\n    expires: 2030-01-01\n"
    )
    assert refusal(tmp_path, text) == (
        "FILE:7: waivers[0].codemods[1]: unknown codemod 'yaml-safeload'; "
        "did you mean 'yaml-safe-load'?"
    )


ESCAPES = [
    ("../shared/*.py", "'../shared/*.py' leaves the repository; '..' is not allowed in a glob"),
    ("src/../../x.py", "'src/../../x.py' leaves the repository; '..' is not allowed in a glob"),
    ("!../x", "'!../x' leaves the repository; '..' is not allowed in a glob"),
    ("/etc/**", "'/etc/**' is absolute; globs are relative to the repository root"),
    ("C:/code/*.py", "'C:/code/*.py' is absolute; globs are relative to the repository root"),
]


@pytest.mark.parametrize(("glob", "message"), ESCAPES, ids=[e[0] for e in ESCAPES])
@pytest.mark.parametrize(
    ("section", "line", "field"),
    [
        ("scope:\n  paths:\n    include: ['**/*.py', '{glob}']\n", 5, "scope.paths.include[1]"),
        ("scope:\n  paths:\n    exclude:\n      - '{glob}'\n", 6, "scope.paths.exclude[0]"),
        (
            "waivers:\n  - repository: x\n    paths: ['{glob}']\n"
            "    reason: r\n    owner: o\n    expires: 2030-01-01\n",
            5,
            "waivers[0].paths[0]",
        ),
    ],
    ids=["include", "exclude", "waiver"],
)
def test_path_globs_cannot_leave_the_repository(
    tmp_path: Path, glob: str, message: str, section: str, line: int, field: str
) -> None:
    assert refusal(tmp_path, HEAD + section.format(glob=glob)) == f"FILE:{line}: {field}: {message}"


def test_globs_that_stay_inside_are_fine(tmp_path: Path) -> None:
    text = HEAD + "scope:\n  paths:\n    exclude: ['..hidden/', 'a/..b/**', '!keep.py']\n"
    assert load(tmp_path, text).scope.paths.exclude == ["..hidden/", "a/..b/**", "!keep.py"]


@pytest.mark.parametrize(
    ("branch", "message"),
    [
        ("main", "'main' is a protected branch; the bot never pushes there"),
        ("Master", "'Master' is a protected branch; the bot never pushes there"),
        ("release/2.0", "'release/2.0' is a protected branch; the bot never pushes there"),
        ("fleetmod/has space", "'fleetmod/has space' is not a valid git branch name"),
        ("fleetmod/a..b", "'fleetmod/a..b' is not a valid git branch name"),
        ("fleetmod/x.lock", "'fleetmod/x.lock' is not a valid git branch name"),
        ("-fleetmod", "'-fleetmod' is not a valid git branch name"),
        ("HEAD", "'HEAD' is not a valid git branch name"),
    ],
)
def test_the_branch_must_be_pushable(tmp_path: Path, branch: str, message: str) -> None:
    text = HEAD + f"delivery:\n  draft: true\n  branch: '{branch}'\n"
    assert refusal(tmp_path, text) == f"FILE:5: delivery.branch: {message}"


def test_an_id_that_makes_an_invalid_default_branch(tmp_path: Path) -> None:
    assert refusal(tmp_path, "title: Demo\nid: demo.lock\n") == (
        "FILE:2: id: 'fleetmod/demo.lock' is not a valid git branch name "
        "(the default branch, fleetmod/<id>); set delivery.branch"
    )
    text = "title: Demo\nid: demo.lock\ndelivery: {branch: fleetmod/demo}\n"
    assert load(tmp_path, text).branch == "fleetmod/demo"


REF_NAMES = [
    "fleetmod/ok",
    "fleetmod/v1.2_x-y",
    "a/b/c",
    "fleetmod/a..b",
    "fleetmod/x.lock",
    "fleetmod/.hidden",
    "fleetmod/end.",
    "fleetmod/",
    "/fleetmod",
    "a//b",
    "with space",
    "tab\there",
    "tilde~1",
    "caret^",
    "colon:x",
    "question?",
    "star*",
    "bracket[",
    "back\\slash",
    "at@{x",
    "@",
    "-dash",
    "HEAD",
    "unicodé",
    "a@b",
]


@pytest.mark.parametrize("name", REF_NAMES)
def test_branch_names_are_judged_as_git_judges_them(tmp_path: Path, name: str) -> None:
    verdict = subprocess.run(
        ["git", "check-ref-format", "--branch", name], cwd=tmp_path, capture_output=True
    )
    problem = branch_problem(name) or ""
    assert ("not a valid git branch name" in problem) == (verdict.returncode != 0)


def test_duplicate_check_names(tmp_path: Path) -> None:
    text = (
        HEAD
        + "checks:\n  - {name: tests, run: a}\n  - {name: lint, run: b}\n"
        + "  - {name: tests, run: c}\n"
    )
    assert refusal(tmp_path, text) == (
        "FILE:6: checks[2].name: duplicate check name 'tests' (also checks[0])"
    )


@pytest.mark.parametrize("value", ["banana", "'2.7'", "3.x", "'python3'"])
def test_target_python_must_be_a_python_3_version(tmp_path: Path, value: str) -> None:
    text = value.strip("'")
    assert refusal(tmp_path, HEAD + f"target_python: {value}\n") == (
        f"FILE:3: target_python: target version {text!r}: expected a Python 3 version like 3.10"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: demo\n", "FILE:1: title: required field missing"),
        ("id: Demo Policy\ntitle: x\n", "FILE:1: id: 'Demo Policy': expected lower-case letters"),
        (HEAD + "version: 1 beta\n", "FILE:3: version: '1 beta': expected a version like 1 or 2.1"),
        ("id: demo\ntitle: ' '\n", "FILE:2: title: must not be empty"),
        ("id: demo\ntitle: |\n  two\n  lines\n", "FILE:2: title: must be a single line"),
        (HEAD + "checks:\n  - name: t\n", "FILE:4: checks[0].run: required field missing"),
        (
            HEAD + "checks:\n  - {name: t, run: x, on_failure: ignore}\n",
            "FILE:4: checks[0].on_failure: expected 'skip', 'draft' or 'open', got 'ignore'",
        ),
        (
            HEAD + "codemods:\n  - yaml-safe-load\n",
            "FILE:4: codemods[0]: expected a mapping, got 'yaml-safe-load'",
        ),
        (
            HEAD + "codemods:\n  - command: ruff check .\n    name: ruff\n    timeout: 0\n",
            "FILE:6: codemods[0].timeout: must be a positive number, got 0",
        ),
        (
            HEAD + "codemods:\n  - command: ruff check .\n",
            "FILE:4: codemods[0].name: required field missing",
        ),
        (
            HEAD + "limits:\n  concurrency: 100\n",
            "FILE:4: limits.concurrency: must be at most 64, got 100",
        ),
        (
            HEAD + "delivery:\n  draft: maybe\n",
            "FILE:4: delivery.draft: expected true or false, got 'maybe'",
        ),
        (
            HEAD + "delivery:\n  author: {email: not-an-email}\n",
            "FILE:4: delivery.author.email: 'not-an-email': expected an email address",
        ),
        (
            HEAD + "scope:\n  repositories:\n    local: {}\n",
            "FILE:5: scope.repositories.local: give `paths`, a `directory`, or both",
        ),
        (HEAD + "checks: tests\n", "FILE:3: checks: expected a list, got 'tests'"),
    ],
    ids=lambda value: value.splitlines()[-1][:30] if "\n" in value else value[:30],
)
def test_field_errors_say_what_was_expected(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(tmp_path, text).startswith(expected)


def test_the_first_problem_in_the_file_is_shown_and_the_others_counted(tmp_path: Path) -> None:
    text = (
        HEAD
        + "chekcs: []\n"  # 3
        + "codemods:\n"
        + "  - codemod: yaml-safeload\n"  # 5
        + "delivery:\n  branch: main\n"  # 7
        + "waivers:\n  - repository: x\n    reason: r\n    owner: o\n"  # 9: no expiry
    )
    assert refusal(tmp_path, text) == (
        "FILE:3: chekcs: unknown key 'chekcs'; did you mean 'checks'? (and 3 more problems)"
    )


def test_policy_error_is_a_value_error_with_its_parts(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "limits:\n  concurrency: 0\n")
    with pytest.raises(ValueError) as info:
        load_policy(path)
    error = info.value
    assert isinstance(error, PolicyError)
    assert (error.file, error.line, error.field) == (path.as_posix(), 4, "limits.concurrency")
    assert error.message == "must be a positive number, got 0"


# -- waivers ---------------------------------------------------------------------------------

TODAY = dt.date(2030, 6, 1)


def waiver(expires: dt.date, **fields: object) -> Waiver:
    values: dict[str, object] = {"repository": "acme/*", "reason": "r", "owner": "o"}
    return Waiver.model_validate({**values, **fields, "expires": expires})


@pytest.mark.parametrize(
    ("days", "expired", "expiring"),
    [
        (-30, True, False),
        (-1, True, False),
        (0, False, True),
        (14, False, True),
        (15, False, False),
    ],
)
def test_expiry_is_inclusive_and_warns_two_weeks_ahead(
    days: int, expired: bool, expiring: bool
) -> None:
    w = waiver(TODAY + dt.timedelta(days=days))
    assert (w.expired(TODAY), w.expiring_soon(TODAY)) == (expired, expiring)


WAIVERS = HEAD + textwrap.dedent(
    """\
    codemods:
      - codemod: yaml-safe-load
      - codemod: yaml-safe-load
        level: warning
    waivers:
      - repository: acme/legacy-*
        reason: rewritten next quarter
        owner: alice
        expires: 2030-05-31
      - repository: acme/*
        paths: ["vendor_patches/", "**/*_pb2.py"]
        reason: generated or patched upstream code
        owner: bob
        expires: 2030-06-15
      - repository: acme/api
        codemods: [yaml-safe-load]
        reason: loads trusted config with custom tags
        owner: carol
        expires: 2031-01-01
    """
)


def test_expired_and_expiring_waivers_are_listed(tmp_path: Path) -> None:
    policy = load(tmp_path, WAIVERS)
    assert [w.owner for w in policy.expired_waivers(TODAY)] == ["alice"]
    assert [w.owner for w in policy.expiring_waivers(TODAY)] == ["bob"]
    assert policy.expired_waivers(dt.date(2030, 5, 31)) == []


def test_waiver_warnings_say_where_the_waiver_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the file is shown relative to the current folder
    policy = load_policy(write(tmp_path, WAIVERS))
    assert policy.waiver_warnings(TODAY) == [
        "policy.yaml:8: waivers[0] ('acme/legacy-*', owner alice) "
        "expired on 2030-05-31; it no longer applies",
        "policy.yaml:12: waivers[1] ('acme/*', owner bob) expires on 2030-06-15, in 14 days",
    ]
    assert policy.waiver_warnings(dt.date(2030, 6, 15))[1].endswith("expires on 2030-06-15, today")
    assert policy.waiver_warnings(dt.date(2020, 1, 1)) == []


@pytest.mark.parametrize(
    ("repo", "codemod", "path", "owner"),
    [
        ("acme/legacy-billing", None, None, None),  # alice's waiver has expired
        ("acme/web", None, None, None),  # bob's waiver is for some paths only
        ("acme/web", "yaml-safe-load", None, None),
        ("acme/web", "yaml-safe-load", "vendor_patches/x/y.py", "bob"),
        ("acme/web", "yaml-safe-load", "proto/api_pb2.py", "bob"),
        ("acme/web", "yaml-safe-load", "api_pb2.py", "bob"),
        ("acme/web", "yaml-safe-load", "src/app.py", None),
        ("acme/api", "yaml-safe-load", "src/app.py", "carol"),
        ("acme/api", "yaml-safe-load", None, "carol"),
        ("acme/api", None, None, None),  # carol's waiver is for one codemod only
        ("other/api", "yaml-safe-load", "vendor_patches/x.py", None),
    ],
)
def test_waiver_for_finds_the_waiver_in_force(
    tmp_path: Path, repo: str, codemod: str | None, path: str | None, owner: str | None
) -> None:
    found = load(tmp_path, WAIVERS).waiver_for(repo, codemod, path, TODAY)
    assert (found.owner if found else None) == owner


def test_an_expired_waiver_applies_until_its_last_day(tmp_path: Path) -> None:
    policy = load(tmp_path, WAIVERS)
    found = policy.waiver_for("acme/legacy-billing", today=dt.date(2030, 5, 31))
    assert found is not None and found.owner == "alice"


# -- commit message --------------------------------------------------------------------------


def test_commit_message_defaults_to_the_title_with_the_trailer(tmp_path: Path) -> None:
    assert load(tmp_path, HEAD + "version: '3'\n").commit_message_for() == (
        "Demo\n\nFleetmod-Policy: demo@3\n"
    )


def test_commit_message_keeps_configured_trailers_last_and_ours_once(tmp_path: Path) -> None:
    text = HEAD + textwrap.dedent(
        """\
        delivery:
          commit_message: |
            Fix the baseline

            Explained in the pull request.

            Signed-off-by: Bot <bot@example.com>
            Fleetmod-Policy: demo@0
        """
    )
    message = load(tmp_path, text).commit_message_for("Codemods: yaml-safe-load (3 files)")
    assert message == (
        "Fix the baseline\n\nExplained in the pull request.\n\n"
        "Codemods: yaml-safe-load (3 files)\n\n"
        "Signed-off-by: Bot <bot@example.com>\nFleetmod-Policy: demo@1\n"
    )


def test_git_reads_our_trailer(tmp_path: Path) -> None:
    message = load(tmp_path, HEAD).commit_message_for("Body text.")
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert parsed == "Fleetmod-Policy: demo@1\n"


# -- JSON Schema -----------------------------------------------------------------------------


def as_json(data: object) -> object:
    """YAML's dates as the strings a JSON Schema validator expects."""
    return json.loads(json.dumps(data, default=str))


def test_schema_is_a_valid_json_schema() -> None:
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    names = schema["$defs"]["CodemodStep"]["properties"]["codemod"]["anyOf"][0]["enum"]
    assert names == list(all_codemods())


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"id": "demo", "title": "Demo"}, True),
        ({"id": "demo", "title": "Demo", "chekcs": []}, False),
        ({"id": "demo"}, False),
        ({"id": "demo", "title": "Demo", "codemods": [{"codemod": "yaml-safe-load"}]}, True),
        (
            {"id": "demo", "title": "Demo", "codemods": [{"command": "ruff check", "name": "r"}]},
            True,
        ),
        (
            {
                "id": "demo",
                "title": "D",
                "codemods": [{"codemod": "yaml-safe-load", "options": {"x": 1}}],
            },
            False,
        ),
        (
            {
                "id": "demo",
                "title": "D",
                "waivers": [{"repository": "x", "reason": "r", "owner": "o"}],
            },
            False,
        ),
    ],
)
def test_schema_agrees_with_the_models(document: dict[str, object], valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(policy_schema())
    assert validator.is_valid(document) == valid
    try:
        Policy.model_validate(document)
        by_models = True
    except ValueError:
        by_models = False
    assert by_models == valid


@pytest.mark.skipif("requests-timeout" not in all_codemods(), reason="requests-timeout not yet")
def test_schema_carries_each_codemods_options() -> None:
    validator = jsonschema.Draft202012Validator(policy_schema())
    step = {"codemod": "requests-timeout", "options": {"timeout": 5}}
    assert validator.is_valid({"id": "d", "title": "D", "codemods": [step]})
    step["options"] = {"timeout": "soon"}
    assert not validator.is_valid({"id": "d", "title": "D", "codemods": [step]})


# -- the shipped policies --------------------------------------------------------------------

SHIPPED = sorted(POLICIES.glob("*.yaml"))


def test_the_three_policies_ship() -> None:
    assert [p.stem for p in SHIPPED] == ["py312-readiness", "python-modernize", "security-baseline"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_policy_validates(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    wanted = [s["codemod"] for s in document.get("codemods", []) if "codemod" in s]
    missing = [name for name in wanted if name not in all_codemods()]
    if missing:
        pytest.skip(f"codemods not written yet: {', '.join(missing)}")
    policy = load_policy(path)
    assert policy.id == path.stem
    assert len(policy.active_codemods()) == len(wanted)
    assert {c.name for c in policy.checks} == {"compiles", "tests"}
    assert policy.waiver_warnings() == []
    jsonschema.Draft202012Validator(policy_schema()).validate(as_json(document))


CHECK_COMMANDS = sorted(
    {check["run"] for path in SHIPPED for check in yaml.safe_load(path.read_text())["checks"]}
)


def run_checks(repo: Path) -> list[int]:
    return [
        subprocess.run(command, shell=True, cwd=repo, capture_output=True, timeout=300).returncode
        for command in CHECK_COMMANDS
    ]


def test_shipped_checks_pass_on_a_repository_without_tests_and_leave_no_files(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/mod.py": "X = 1\n", ".venv/broken.py": "def (\n"})
    assert run_checks(repo) == [0] * len(CHECK_COMMANDS)
    assert git(repo, "status", "--porcelain", "--ignored") == ""


def test_shipped_checks_fail_on_broken_code_and_failing_tests(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {"pkg/mod.py": "def broken(:\n", "test_mod.py": "def test_it():\n    assert False\n"},
    )
    assert all(code != 0 for code in run_checks(repo))
