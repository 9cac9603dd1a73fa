"""Every built-in codemod over all of Django 5.2, written to a copy and read back.

On ~2,800 real modules: no file fails because of a codemod, every rewritten module
compiles and is a fixed point (a second run changes nothing), every other module is
byte-identical, and the corpus's own broken files fail the same way for every codemod.
"""

from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from codemods import engine, registry
from codemods.base import Codemod, Version
from codemods.engine import EngineConfig
from codemods.files import Candidate, discover
from codemods.registry import builtin_codemods
from codemods.results import Status
from codemods.source import decode
from codemods.target import target_for
from tests.corpus import django

pytestmark = pytest.mark.slow

# Codemods whose options cannot be left out: what they are given on Django.
CORPUS_OPTIONS: dict[str, dict[str, Any]] = {
    # used in ~200 modules, as `_` and by its name, in imports of every form
    "rename-symbol": {
        "old": "django.utils.translation.gettext_lazy",
        "new": "django.utils.i18n.lazy_gettext",
    },
    # Django's own licence, on every module (none has an SPDX line yet)
    "license-header": {"license": "BSD-3-Clause"},
    # send_mail(subject, message, from_email, recipient_list, fail_silently=False, ...)
    "rewrite-call": {
        "old": "django.core.mail.send_mail",
        "rename": {"fail_silently": "quiet"},
        "signature": ["subject", "message", "from_email", "recipient_list", "fail_silently"],
        "add": {"html_message": "None"},
    },
}
# Django's own files that are not valid Python, on purpose (a fixture of its test runner).
CORPUS_BROKEN = {"tests/test_runner_apps/tagged/tests_syntax_error.py"}
FIXED = (Status.UNCHANGED, Status.FINDINGS)


@pytest.fixture(scope="module")
def corpus() -> Path:
    return django()


def _python_only(folder: str, names: list[str]) -> list[str]:
    keep = (".py", ".pyi", "pyproject.toml")
    return [n for n in names if not n.endswith(keep) and not Path(folder, n).is_dir()]


def _configured(cls: type[Codemod]) -> Codemod:
    required = [k for k, f in cls.Options.model_fields.items() if f.is_required()]
    if required and cls.name not in CORPUS_OPTIONS:
        pytest.skip(f"{cls.name} requires options {required}: add them to CORPUS_OPTIONS")
    return registry.configure(cls.name, CORPUS_OPTIONS.get(cls.name, {}))


def _compiles(text: str, path: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(text, path, "exec", dont_inherit=True)
    return True


def _apply(candidates: list[Candidate], codemod: Codemod, target: Version) -> engine.Run:
    return engine.run(candidates, EngineConfig([codemod], target=target, jobs=2))


def _only_the_corpus_fails(run: engine.Run, codemod: Codemod, corpus: Path) -> int:
    failed = {r.path: r.reason for r in run.results if r.status is Status.FAILED}
    triggers = codemod.file_triggers()
    broken = {p for p in CORPUS_BROKEN if any(t in (corpus / p).read_bytes() for t in triggers)}
    assert set(failed) == broken, f"failures not of the corpus's own making: {failed}"
    assert all(reason.startswith(f"{path}:") for path, reason in failed.items()), failed
    return len(failed)


def _written_as_reported(run: engine.Run, corpus: Path, copy: Path) -> None:
    for result in run.results:
        original, written = (corpus / result.path).read_bytes(), (copy / result.path).read_bytes()
        if result.status is Status.CHANGED:
            assert result.new_text is not None and _compiles(result.new_text, result.path)
            assert written == decode(original).encode(result.new_text), result.path
        else:
            assert written == original, f"{result.path} changed but its result is {result.status}"


@pytest.mark.parametrize("name", list(builtin_codemods()))
def test_codemod_on_django(name: str, corpus: Path, tmp_path: Path) -> None:
    codemod = _configured(builtin_codemods()[name])
    copy = tmp_path / "django"
    shutil.copytree(corpus, copy, ignore=_python_only, symlinks=True)
    target = target_for(copy)
    candidates = list(discover([copy]))
    started = time.perf_counter()
    run = _apply(candidates, codemod, target)
    assert engine.write(run.results, {c.relpath: c.path for c in candidates}.__getitem__) == []
    seconds = time.perf_counter() - started
    assert len(run.results) > 2500, "the corpus is not all there"
    failures = _only_the_corpus_fails(run, codemod, corpus)
    _written_as_reported(run, corpus, copy)

    rewritten = [c for c, r in zip(candidates, run.results, strict=True) if r.new_text]
    again = _apply(rewritten, codemod, target).results
    not_fixed = {r.path: r.diff or r.reason for r in again if r.status not in FIXED}
    assert not not_fixed, f"a second run still changes {len(not_fixed)} modules: {not_fixed}"
    summary = run.summary
    print(
        f"\n{name}: {summary.scanned} modules, {summary.parsed} parsed, {summary.changed} changed,"
        f" {summary.findings} findings, {failures} corpus failures, {seconds:.1f}s"
    )
