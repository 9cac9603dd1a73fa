"""Hostile and odd inputs, given to fleetmod the way they arrive: files through the installed
`fleetmod apply` and through a campaign on the local forge, buggy codemods, bad policies
through `fleetmod run`, and repository text in a pull request body.

Each test asserts the documented result and that nothing is damaged: files fleetmod does
not change keep their bytes, changed files keep their encoding, BOM and newlines. Cases
already proved elsewhere (tests/test_apply_cli.py, tests/test_policy.py, tests/test_report.py)
are named in the "what happens when" table rather than repeated here.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from bot.cli import app
from bot.forges.local import LocalForge
from bot.outcomes import Outcome
from bot.policy import load_policy
from bot.pr_body import propose
from bot.rewrite import ChangeSet
from tests.helpers import git
from tests.test_apply_cli import MARKER, Cli, by_path
from tests.test_campaign import CLEAN, NEEDS_FIX, refs
from tests.test_faults import by_repo, campaign
from tests.test_report import Page

YAML_FIX = ("-c", "yaml-safe-load")
LOAD, SAFE = b"yaml.load(", b"yaml.safe_load("
BRANCH = "fleetmod/safe-yaml"


def nested_ifs(levels: int) -> bytes:
    lines = [b"import yaml\n"] + [b"    " * i + b"if x%d:\n" % i for i in range(levels)]
    return b"".join(lines) + b"    " * levels + b"data = yaml.load(f)\n"


def nested(opening: bytes, levels: int) -> bytes:
    closing = b")" * levels
    return b"import yaml\ndata = " + opening * levels + b"yaml.load(f)" + closing + b"\n"


# name: (bytes, status, bytes after --write (None: untouched), reason (None: empty))
ODD: dict[str, tuple[bytes, str, bytes | None, str | None]] = {
    "python2_except.py": (
        b"import yaml\ntry:\n    data = yaml.load(f)\nexcept ValueError, e:\n    pass\n",
        "failed",
        None,
        "python2_except.py:4:8: multiple exception types must be parenthesized",
    ),
    "tabs.py": (
        b"import yaml\n\ndef read(p):\n\twith open(p) as fh:\n\t\treturn yaml.load(fh)\n",
        "changed",
        b"import yaml\n\ndef read(p):\n\twith open(p) as fh:\n\t\treturn yaml.safe_load(fh)\n",
        None,
    ),
    "form_feeds.py": (
        b"import yaml\n\x0c\ndef read(p):\n    return yaml.load(p)\x0c\n\x0c    \n\x0c\nx = 1\n",
        "changed",
        b"import yaml\n\x0c\ndef read(p):\n"
        b"    return yaml.safe_load(p)\x0c\n\x0c    \n\x0c\nx = 1\n",
        None,
    ),
    "form_feed_before_def.py": (
        b"import yaml\n\x0cdef read(p):\n    return yaml.load(p)\n",
        "failed",
        None,
        "form_feed_before_def.py:2:1: libcst does not round-trip this file (it differs from here)",
    ),
    "lone_cr.py": (
        b"import yaml\rdata = yaml.load(f)\r",
        "failed",
        None,
        "lone_cr.py:2:20: libcst does not round-trip this file (it differs from here)",
    ),
    "données.py": (
        "import yaml\n\ndef lire(chemin):\n    with open(chemin) as fichier:\n"
        "        données = yaml.load(fichier)\n    return données\n".encode(),
        "changed",
        "import yaml\n\ndef lire(chemin):\n    with open(chemin) as fichier:\n"
        "        données = yaml.safe_load(fichier)\n    return données\n".encode(),
        None,
    ),
    "ifs_99.py": (nested_ifs(99), "changed", nested_ifs(99).replace(LOAD, SAFE), None),
    "ifs_100.py": (
        nested_ifs(100),
        "failed",
        None,
        "ifs_100.py:102:1: too many levels of indentation",
    ),
    "parens_199.py": (nested(b"(", 199), "changed", nested(b"(", 199).replace(LOAD, SAFE), None),
    "calls_150.py": (
        nested(b"g(", 150),
        "failed",
        None,
        "calls_150.py:1:1: too deeply nested for libcst (codemod yaml-safe-load)",
    ),
    "and_chain.py": (
        b"import yaml\ndata = " + b" and ".join([b"yaml.load(f)"] * 8000) + b"\n",
        "failed",
        None,
        "and_chain.py:2:8: too deeply nested for libcst",
    ),
}  # fmt: skip
# The campaigns below run yaml-safe-load over tmp/fleet, without checks; more steps go last.
POLICY = """\
id: safe-yaml
title: Load YAML safely
scope:
  repositories:
    local:
      directory: fleet
codemods:
  - codemod: yaml-safe-load
"""
CONTROL = ("ok.py", NEEDS_FIX.encode(), NEEDS_FIX.replace("yaml.load", "yaml.safe_load").encode())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "work").mkdir()
    return Cli(tmp_path / "work", tmp_path / "cache")


# -- files, through `fleetmod apply` ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", list(ODD), ids=[n.removesuffix(".py") if n.isascii() else "non_ascii" for n in ODD]
)
def test_an_odd_file_gets_its_documented_result_from_apply(cli: Cli, name: str) -> None:
    data, status, after, reason = ODD[name]
    (cli.cwd / name).write_bytes(data)
    (cli.cwd / CONTROL[0]).write_bytes(CONTROL[1])
    document = cli.json(".", *YAML_FIX, "--write", code=2 if status == "failed" else 0)
    result = by_path(document)[name]
    assert (result["status"], result["reason"] or None) == (status, reason)
    assert (cli.cwd / name).read_bytes() == (after or data)
    assert (cli.cwd / CONTROL[0]).read_bytes() == CONTROL[2], "the run went on"


def test_a_20_mb_module_is_skipped_unread_with_the_limit_in_the_reason(cli: Cli) -> None:
    big = b"import yaml\n" + b"x = yaml.load(f)\n" * 1_000_000
    big += b"#" * (20_000_000 - len(big) - 1) + b"\n"
    (cli.cwd / "big.py").write_bytes(big)
    (cli.cwd / CONTROL[0]).write_bytes(CONTROL[1])
    started = time.monotonic()
    files = by_path(cli.json(".", *YAML_FIX, "--write"))
    assert time.monotonic() - started < 60, "parsing 20 MB takes libcst many minutes"
    assert files["big.py"]["reason"] == "too large (20 MB > 5 MB limit)"
    assert files["big.py"]["status"] == "skipped"
    assert (cli.cwd / "big.py").read_bytes() == big
    assert files[CONTROL[0]]["status"] == "changed"
    lowered = by_path(cli.json(CONTROL[0], *YAML_FIX, "--max-file-size", "0.00005"))
    assert lowered[CONTROL[0]]["reason"] == f"too large ({len(CONTROL[2])} bytes > 50 bytes limit)"


# -- files, through a campaign on the local forge ---------------------------------------------

BOM = b"\xef\xbb\xbf"
LATIN1 = b"# -*- coding: latin-1 -*-\n"
# What tests/test_apply_cli.py proves for `apply`, here in a repository the bot clones.
EARLIER: dict[str, tuple[bytes, str, bytes | None, str | None]] = {
    "syntax.py": (
        b"import yaml\ndata = yaml.load(\n", "failed", None,
        "syntax.py:2:17: '(' was never closed",
    ),
    "python2_print.py": (
        b'import yaml\nprint "x", yaml.load(f)\n', "failed", None,
        "python2_print.py:2:1: Missing parentheses in call to 'print'. Did you mean print(...)?",
    ),
    "latin1.py": (
        LATIN1 + b"import yaml\nx = yaml.load(f)  # caf\xe9\n", "changed",
        LATIN1 + b"import yaml\nx = yaml.safe_load(f)  # caf\xe9\n", None,
    ),
    "no_cookie.py": (
        b"import yaml\nx = yaml.load(f)  # caf\xe9\n", "failed", None,
        "no_cookie.py:2:24: not valid utf-8 (byte 0xe9)"
        " and no PEP 263 coding comment declares another encoding",
    ),
    "bom_crlf.py": (
        BOM + b"import yaml\r\nx = yaml.load(f)  # \xc3\xa9\r\n", "changed",
        BOM + b"import yaml\r\nx = yaml.safe_load(f)  # \xc3\xa9\r\n", None,
    ),
    "mixed_newlines.py": (
        b"import yaml\r\nx = yaml.load(f)\ny = yaml.load(g)\r\n", "changed",
        b"import yaml\r\nx = yaml.safe_load(f)\ny = yaml.safe_load(g)\r\n", None,
    ),
    "binary.py": (b"yaml.load\x00\xff\xfe\x00", "skipped", None, "not text (NUL bytes)"),
    "generated.py": (
        f"# {MARKER}\nimport yaml\nx = yaml.load(f)\n".encode(), "skipped", None,
        f"{MARKER} marker",
    ),
}  # fmt: skip


def origin_with(
    tmp: Path, name: str, files: dict[str, bytes], links: dict[str, Path] | None = None
) -> Path:
    """A bare repository under tmp/fleet holding ``files`` byte for byte, and symlinks."""
    work = tmp / "work" / name
    for rel, data in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(data)
    for rel, target in (links or {}).items():
        (work / rel).symlink_to(target)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "init")
    origin = tmp / "fleet" / f"{name}.git"
    git(tmp, "clone", "-q", "--bare", str(work), str(origin))
    return origin


def blob(origin: Path, ref: str, path: str) -> bytes:
    """The bytes of ``path`` at ``ref``, as git stores them (a symlink: its target)."""
    done = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=origin, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def pushed(origin: Path) -> set[str]:
    """The files the bot's branch changes, compared with main."""
    names = git(origin, "diff", "--name-only", "-z", "main", BRANCH)
    return {name for name in names.split("\0") if name}


def test_odd_files_in_a_campaign_get_their_results_and_only_the_fixes_are_pushed(
    tmp_path: Path,
) -> None:
    cases = {**ODD, **EARLIER}
    outside = tmp_path / "outside.py"
    outside.write_text(NEEDS_FIX)
    files = {name: data for name, (data, *_) in cases.items()} | {CONTROL[0]: CONTROL[1]}
    origin = origin_with(tmp_path, "odd", files, links={"outside_link.py": outside})
    (tmp_path / "policy.yaml").write_text(POLICY)
    result = by_repo(campaign(tmp_path))["odd"]
    assert result.outcome is Outcome.PR_OPENED, result.reason
    failed = [reason for _, status, _, reason in cases.values() if status == "failed"]
    assert sorted(result.failed_files) == sorted(failed)
    changed = {name for name, (_, status, *_) in cases.items() if status == "changed"}
    assert pushed(origin) == changed | {CONTROL[0]}
    for name, (data, _, after, _) in cases.items():
        assert blob(origin, BRANCH, name) == (after or data), name
    assert blob(origin, BRANCH, CONTROL[0]) == CONTROL[2]
    assert blob(origin, BRANCH, "outside_link.py") == str(outside).encode()
    assert outside.read_text() == NEEDS_FIX


def test_a_20_mb_module_in_a_campaign_is_skipped_and_the_rest_is_proposed(
    tmp_path: Path,
) -> None:
    big = b"import yaml\n" + b"x = yaml.load(f)\n" * 1_000_000
    origin = origin_with(tmp_path, "big", {"big.py": big, CONTROL[0]: CONTROL[1]})
    (tmp_path / "policy.yaml").write_text(POLICY)
    started = time.monotonic()
    result = by_repo(campaign(tmp_path))["big"]
    assert time.monotonic() - started < 60, "parsing 17 MB takes libcst many minutes"
    assert result.outcome is Outcome.PR_OPENED, result.reason
    assert pushed(origin) == {CONTROL[0]}
    assert blob(origin, BRANCH, "big.py") == big


# -- codemod bugs --------------------------------------------------------------------------

BUGGY_STEPS = "  - codemod: tests.test_engine:Raises\n  - codemod: tests.test_engine:Broken\n"


def test_buggy_codemods_leave_their_files_alone_and_no_pr_carries_their_change(
    tmp_path: Path,
) -> None:
    """Raises raises on files that mention `explode`; Broken appends a module-level `return`
    to files that mention `foo`. Both also need yaml-safe-load's fix, which is dropped too."""
    boom, foo = NEEDS_FIX + "explode()\n", NEEDS_FIX + "foo = 1\n"
    files = {"app/config.py": NEEDS_FIX, "app/boom.py": boom, "app/foo.py": foo, "util.py": CLEAN}
    origin = origin_with(tmp_path, "app", {k: v.encode() for k, v in files.items()})
    only_bugs = origin_with(tmp_path, "lib", {"lib/boom.py": boom.encode()})
    before = refs(only_bugs)
    (tmp_path / "policy.yaml").write_text(POLICY + BUGGY_STEPS)
    result = by_repo(campaign(tmp_path))
    assert result["app"].outcome is Outcome.PR_OPENED, result["app"].reason
    assert result["app"].failed_files == [
        "app/boom.py: codemod test-raises raised RuntimeError: boom",
        "codemod test-broken produced code that does not compile: "
        "app/foo.py:8:1: 'return' outside function",
    ]
    assert pushed(origin) == {"app/config.py"}
    assert blob(origin, BRANCH, "app/boom.py") == boom.encode()
    assert blob(origin, BRANCH, "app/foo.py") == foo.encode()
    assert result["lib"].failed_files == [
        "lib/boom.py: codemod test-raises raised RuntimeError: boom"
    ]
    assert refs(only_bugs) == before
    assert [name for name, _ in LocalForge(tmp_path / "state").list_prs()] == ["app"]


# -- policies ------------------------------------------------------------------------------

WAIVER = "waivers:\n  - repository: app\n    reason: legacy\n    owner: alice\n"
BAD_POLICIES = {
    "invalid-yaml": (
        "labels: [a, b\n", "10: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    "unknown-key": ("chekcs: []\n", "9: chekcs: unknown key 'chekcs'; did you mean 'checks'?"),
    "unknown-codemod": (
        "  - codemod: yaml-safeload\n",
        "9: codemods[1].codemod: unknown codemod 'yaml-safeload'; did you mean 'yaml-safe-load'?",
    ),
    "option-of-the-wrong-type": (
        "  - codemod: tests.test_policy:Pause\n    options:\n      timeout: soon\n",
        "11: codemods[1].options.timeout: expected a number, got 'soon'",
    ),
    "waiver-without-expiry": (WAIVER, "10: waivers[0].expires: required field missing"),
    "glob-leaving-the-repository": (
        WAIVER + "    expires: 2030-01-01\n    paths: ['../shared/*.py']\n",
        "14: waivers[0].paths[0]: '../shared/*.py' leaves the repository;"
        " '..' is not allowed in a glob",
    ),
    "branch-main": (
        "delivery:\n  branch: main\n",
        "10: delivery.branch: 'main' is a protected branch; the bot never pushes there",
    ),
    "branch-master": (
        "delivery:\n  branch: master\n",
        "10: delivery.branch: 'master' is a protected branch; the bot never pushes there",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_POLICIES))
def test_a_bad_policy_is_refused_in_one_line_before_the_fleet_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    extra, expected = BAD_POLICIES[case]
    origin = origin_with(tmp_path, "app", {"app.py": NEEDS_FIX.encode()})
    before = refs(origin)
    (tmp_path / "policy.yaml").write_text(POLICY + extra)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["run", "policy.yaml", "--state-dir", "state"])
    assert (done.exit_code, done.stderr) == (2, f"error: policy.yaml:{expected}\n")
    assert refs(origin) == before
    assert not (tmp_path / "state").exists()


# -- repository text in a pull request body ----------------------------------------------------

HOSTILE_PATHS = [
    "x) <img src=x onerror=alert(1)>.py",
    "[a](javascript:alert(1)).py",
    "pipe|in name.py",
    "`tick`.py",
    "<script>alert(1)</script>.py",
]
LINK_BASE = "https://github.com/acme/app/blob/fleetmod/safe-yaml"


def test_file_names_and_messages_in_a_pr_body_stay_text(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    changes = ChangeSet(
        counts={path: {"yaml-safe-load": 1} for path in HOSTILE_PATHS},
        findings=[
            {"path": p, "line": 3, "column": 1, "codemod": "yaml-safe-load", "message": f"<b>{p}"}
            for p in HOSTILE_PATHS
        ],
        waivers=["acme/<img src=x onerror=alert(3)>: [r](javascript:x) (o)"],
    )
    tail = "</details><script>alert(1)</script>\n```\n<img src=x onerror=alert(2)>"
    check = {"name": "compiles", "command": "python -m compileall -q .", "passed": False}
    check |= {"timed_out": False, "exit_code": 1, "output_tail": tail}
    policy = load_policy(tmp_path / "policy.yaml")
    body = propose(policy, changes, [check], "tree", "inputs", LINK_BASE).body
    page = Page(MarkdownIt("commonmark").enable("table").render(body))
    allowed = {"p", "strong", "code", "pre", "a", "h3", "ul", "li", "details", "summary"}
    allowed |= {"blockquote"}
    assert {tag for tag, _ in page.tags} <= allowed | {"table", "thead", "tbody", "tr", "th", "td"}
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    links = [unquote(href) for href in page.hrefs() if href.startswith(LINK_BASE)]
    assert links == [f"{LINK_BASE}/{path}#L3" for path in HOSTILE_PATHS]
    assert all(href.startswith("https://") for href in page.hrefs())
    assert all(path in page.all_text for path in HOSTILE_PATHS)
    assert tail in page.all_text
