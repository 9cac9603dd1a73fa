"""Every built-in codemod over more released codebases, in styles Django does not have.

- click 8.1.8: modern and fully typed (``import typing as t``, ``t.Optional`` everywhere), the
  ground of the typing codemods;
- requests 2.25.1: Python-2-era code calling the requests API from its own tests, the ground of
  requests-timeout.
(boto 2.49.0, 721 Python-2-era modules, passed the same test once by hand; it costs twelve
minutes, too much for every CI run until the typing and unittest codemods get faster.)

The same invariants as on Django (tests/test_corpus.py, whose helpers are reused): no file fails
because of a codemod, every rewritten module compiles and is a fixed point, every other module
is byte-identical. The target is the running interpreter's version, so that the typing codemods
rewrite all they can (click declares 3.7) and "compiles" means compiles here.
"""

from __future__ import annotations

import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codemods import engine, registry
from codemods.base import Codemod, Version
from codemods.files import discover
from codemods.registry import builtin_codemods
from codemods.results import Status
from tests.corpus import sdist_source
from tests.test_corpus import FIXED, _apply, _python_only, _written_as_reported

pytestmark = pytest.mark.slow

TARGET: Version = (sys.version_info.major, sys.version_info.minor)
# Options every corpus gets, for the codemods that cannot run without some.
COMMON_OPTIONS: dict[str, dict[str, Any]] = {"license-header": {"license": "MIT"}}


@dataclass(frozen=True)
class Corpus:
    name: str
    version: str
    # Corpus-specific options: a symbol and a callable that the corpus really uses.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.name}-{self.version}"


CORPORA = [
    Corpus(
        "click",
        "8.1.8",
        {
            "rename-symbol": {"old": "click.echo", "new": "click.output.emit"},
            "rewrite-call": {
                "old": "click.echo",
                "rename": {"err": "to_stderr"},
                "signature": ["message", "file", "nl", "err", "color"],
            },
        },
    ),
    Corpus(
        "requests",
        "2.25.1",
        {
            "rename-symbol": {
                "old": "requests.exceptions.HTTPError",
                "new": "requests.errors.HTTPError",
            },
            "rewrite-call": {
                "old": "requests.get",
                "rename": {"allow_redirects": "follow_redirects"},
                "add": {"timeout": "30"},
            },
        },
    ),
]


def _configured(name: str, corpus: Corpus) -> Codemod:
    cls = builtin_codemods()[name]
    options = {**COMMON_OPTIONS, **corpus.options}.get(name, {})
    required = [k for k, f in cls.Options.model_fields.items() if f.is_required()]
    if [k for k in required if k not in options]:
        pytest.skip(f"{name} requires options {required}: add them to {corpus.id}'s options")
    return registry.configure(name, options)


def _broken(root: Path) -> set[str]:
    """The corpus's own modules this interpreter cannot compile: they must fail, untouched."""
    broken = set()
    for path in root.rglob("*.py"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError:
            broken.add(path.relative_to(root).as_posix())
    return broken


@pytest.fixture(scope="module", params=CORPORA, ids=lambda c: c.id)
def corpus(request: pytest.FixtureRequest) -> tuple[Corpus, Path, set[str]]:
    spec: Corpus = request.param
    source = sdist_source(spec.name, spec.version)
    return spec, source, _broken(source)


@pytest.mark.parametrize("name", list(builtin_codemods()))
def test_codemod_on_corpus(
    name: str, corpus: tuple[Corpus, Path, set[str]], tmp_path: Path
) -> None:
    spec, source, broken = corpus
    codemod = _configured(name, spec)
    copy = tmp_path / spec.id
    shutil.copytree(source, copy, ignore=_python_only, symlinks=True)
    candidates = list(discover([copy]))
    started = time.perf_counter()
    run = _apply(candidates, codemod, TARGET)
    assert engine.write(run.results, {c.relpath: c.path for c in candidates}.__getitem__) == []
    seconds = time.perf_counter() - started
    assert len(run.results) == len(candidates) > 30, "the corpus is not all there"

    failed = {r.path: r.reason for r in run.results if r.status is Status.FAILED}
    triggers = codemod.file_triggers()
    seen = broken & {c.relpath for c in candidates}
    expected = {p for p in seen if any(t in (source / p).read_bytes() for t in triggers)}
    assert set(failed) == expected, f"failures not of the corpus's own making: {failed}"
    assert all(reason.startswith(f"{path}:") for path, reason in failed.items()), failed
    _written_as_reported(run, source, copy)

    rewritten = [c for c, r in zip(candidates, run.results, strict=True) if r.new_text]
    again = _apply(rewritten, codemod, TARGET).results
    not_fixed = {r.path: r.diff or r.reason for r in again if r.status not in FIXED}
    assert not not_fixed, f"a second run still changes {len(not_fixed)} modules: {not_fixed}"
    summary = run.summary
    rewrites = sum(summary.per_codemod.values())
    print(
        f"\n{spec.id} {name}: {summary.scanned} modules, {summary.parsed} parsed,"
        f" {summary.changed} changed ({rewrites} rewrites), {summary.findings} findings,"
        f" {len(failed)} corpus failures, {seconds:.1f}s"
    )
