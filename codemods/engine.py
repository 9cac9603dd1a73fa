"""Run configured codemods over files: prefilter, parse once, transform, guard, cache, parallel.

The cost of a codemod run is almost all in parsing and scope analysis, so the engine
spends it only where it can matter: a file whose bytes contain none of the codemods'
triggers is never decoded or parsed, a file whose bytes and configuration were seen
before is answered from the cache, and only what is left goes to the worker processes.
"""

from __future__ import annotations

import ast
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst

from codemods import registry
from codemods.base import Codemod, FileContext, Version
from codemods.cache import ResultCache, cache_key
from codemods.files import Candidate, leaves_root
from codemods.results import FileResult, Status, Summary
from codemods.source import NotText, Source, decode, is_generated, write_atomic

# Skips machine-made data, keeps every hand-written module: the largest of 17,000 in 25
# sdists (Django, nova, salt ...) is 1.4 MB, and libcst takes minutes and GBs on 4 MB.
DEFAULT_MAX_BYTES = 5_000_000
# libcst nests what Python's AST keeps flat (`a and b and ...`): past ~1,000 levels it cannot
# walk the tree, and past ~8,000 its parser overflows the C stack and kills the process.
MAX_LIBCST_DEPTH = 1000
_BOOL_KEYWORD = re.compile(r"\b(?:and|or)\b")
_NEWLINE = re.compile(r"\r\n?|\n")
PARALLEL_THRESHOLD = 24
OnResult = Callable[[FileResult], None]


@dataclass
class EngineConfig:
    codemods: Sequence[Codemod]
    target: Version = (3, 9)
    jobs: int = 0
    max_bytes: int = DEFAULT_MAX_BYTES
    cache: ResultCache | None = None
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = "|".join(
            [f"{self.target[0]}.{self.target[1]}", *(c.fingerprint() for c in self.codemods)]
        )

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


@dataclass
class Run:
    results: list[FileResult]
    summary: Summary


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "syntax error"


def _one_line(message: str, limit: int = 300) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _size_text(size: float) -> str:
    """``size`` bytes as people write it: 20 MB, 4.1 kB, 84 bytes."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} bytes"


def _syntax_error(path: str, exc: SyntaxError) -> str:
    return f"{path}:{exc.lineno or 0}:{exc.offset or 0}: {exc.msg}"


def _compile_error(text: str, path: str, target: Version | None = None) -> str | None:
    """Why ``text`` does not compile (or does not parse as ``target``), or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if target is not None:
                ast.parse(text, path, feature_version=target)
            else:
                compile(text, path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            return _syntax_error(path, exc)
        except ValueError as exc:
            return f"{path}:1:1: {exc}"
        except (RecursionError, MemoryError):
            return f"{path}:1:1: too deeply nested to compile"
    return None


def _too_deep_for_libcst(text: str) -> tuple[int, int] | None:
    """Where libcst's tree of ``text`` would pass ``MAX_LIBCST_DEPTH``, or None.

    Only a module with that many `and`/`or` can get there without Python refusing it first,
    so the others cost one regex count.
    """
    if len(_BOOL_KEYWORD.findall(text)) < MAX_LIBCST_DEPTH:
        return None
    try:
        tree = ast.parse(text)
    except (RecursionError, MemoryError):
        return 1, 1
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:  # no recursion: the tree is deep by definition here
        node, depth = stack.pop()
        depth += len(node.values) - 1 if isinstance(node, ast.BoolOp) else 1
        if depth > MAX_LIBCST_DEPTH:
            return getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return None


def _round_trip_error(path: str, text: str, code: str) -> str:
    """Where libcst's copy of ``text`` first differs (a form feed or a lone CR it drops)."""
    at = len(os.path.commonprefix([text, code]))  # noqa: RUF071 (strings, not paths)
    breaks = list(_NEWLINE.finditer(text, 0, at))
    line, column = len(breaks) + 1, at - (breaks[-1].end() if breaks else 0) + 1
    return f"{path}:{line}:{column}: libcst does not round-trip this file (it differs from here)"


def _parse(path: str, text: str) -> cst.Module | FileResult:
    """The module's tree, or why it has none.

    Python's own compiler speaks first: its messages and positions are the ones people
    know, and libcst's native parser can crash the process on input that Python rejects
    (thousands of nested brackets), so such input never reaches it.
    """
    error = _compile_error(text, path)
    if error is not None:
        return FileResult(path, Status.FAILED, error, parsed=True)
    deep = _too_deep_for_libcst(text)
    if deep is not None:
        message = f"{path}:{deep[0]}:{deep[1]}: too deeply nested for libcst"
        return FileResult(path, Status.FAILED, message, parsed=True)
    try:
        module = cst.parse_module(text)
        code = module.code
    except cst.ParserSyntaxError as exc:
        where = f"{path}:{exc.editor_line}:{exc.editor_column}"
        message = f"{where}: libcst cannot parse this: {_first_line(exc.message)}"
        return FileResult(path, Status.FAILED, message, parsed=True)
    except RecursionError:
        message = f"{path}:1:1: too deeply nested for libcst"
        return FileResult(path, Status.FAILED, message, parsed=True)
    if code != text:
        return FileResult(path, Status.FAILED, _round_trip_error(path, text, code))
    return module


def _guard(path: str, before: str, after: str, codemod: Codemod, target: Version) -> str | None:
    """Why the output of ``codemod`` must not be written, or None when it may be.

    ``before`` compiles (``_parse`` saw to that, and every earlier output passed here);
    it may already need a Python newer than ``target``, and then so may the output.
    """
    error = _compile_error(after, path)
    if error is not None:
        return f"codemod {codemod.name} produced code that does not compile: {error}"
    if _compile_error(after, path, target) and not _compile_error(before, path, target):
        newer = f"Python {target[0]}.{target[1]}"
        return f"{path}: codemod {codemod.name} produced syntax newer than {newer}"
    return None


def transform_text(
    path: str, text: str, codemods: Iterable[Codemod], target: Version
) -> FileResult:
    """Apply ``codemods`` in order to one module's text: the heart of the engine."""
    parsed = _parse(path, text)
    if isinstance(parsed, FileResult):
        return parsed
    module, current = parsed, text
    counts: dict[str, int] = {}
    result = FileResult(path, Status.UNCHANGED, parsed=True, old_text=text)
    for codemod in codemods:
        file = FileContext(path, target)
        try:
            new_module = codemod.transform(module, file)
            new_code = new_module.code
        except RecursionError:  # libcst walks the tree recursively: the file is too deep
            result.status = Status.FAILED
            result.reason = f"{path}:1:1: too deeply nested for libcst (codemod {codemod.name})"
            return result
        except Exception as exc:  # a codemod bug must not stop the run or touch the file
            result.status = Status.FAILED
            error = _one_line(f"{type(exc).__name__}: {exc}")
            result.reason = f"{path}: codemod {codemod.name} raised {error}"
            return result
        result.findings.extend(file.findings)
        if new_code == current:
            continue
        reason = _guard(path, current, new_code, codemod, target)
        if reason is not None:
            result.status, result.reason = Status.FAILED, reason
            return result
        counts[codemod.name] = max(file.changes, 1)
        module, current = new_module, new_code
    if current != text:
        result.status, result.new_text, result.counts = Status.CHANGED, current, counts
    elif result.findings:
        result.status = Status.FINDINGS
    return result


def _transform_data(
    path: str, data: bytes, codemods: Iterable[Codemod], target: Version
) -> FileResult:
    try:
        source = decode(data)
    except NotText as exc:
        return FileResult(path, Status.FAILED, f"{path}:{exc.line}:{exc.column}: {exc}")
    result = transform_text(path, source.text, codemods, target)
    reason = _unencodable(result.new_text, source) if result.new_text is not None else None
    if reason is not None:
        result.status, result.reason, result.new_text = Status.FAILED, f"{path}: {reason}", None
    return result


def _unencodable(text: str, source: Source) -> str | None:
    """Why ``text`` cannot be written in the file's own encoding, decided before any write."""
    try:
        source.encode(text)
    except UnicodeEncodeError as exc:
        return f"the new text has {exc.object[exc.start]!r}, which {source.encoding} cannot encode"
    return None


_worker_codemods: list[Codemod] = []


def _init_worker(specs: list[tuple[str, dict[str, Any]]]) -> None:
    _worker_codemods[:] = [registry.configure(ref, options) for ref, options in specs]


def _work(job: tuple[str, bytes, Version]) -> FileResult:
    path, data, target = job
    triggered = [c for c in _worker_codemods if any(t in data for t in c.file_triggers())]
    result = _transform_data(path, data, triggered, target)
    result.old_text = None  # the parent has the text; don't pickle it back
    return result


def _prefilter(
    candidate: Candidate, config: EngineConfig
) -> tuple[FileResult | None, bytes | None]:
    """Decide a file without parsing it where possible; otherwise hand back its bytes."""
    path = candidate.relpath
    if candidate.excluded:
        return FileResult(path, Status.SKIPPED, "excluded"), None
    if leaves_root(candidate):
        return FileResult(path, Status.SKIPPED, "symlink leaves the root"), None
    try:
        size = candidate.path.stat().st_size
        if size > config.max_bytes:
            limit = f"{_size_text(size)} > {_size_text(config.max_bytes)} limit"
            return FileResult(path, Status.SKIPPED, f"too large ({limit})"), None
        data = candidate.path.read_bytes()
    except OSError as exc:
        return FileResult(path, Status.FAILED, f"{path}: cannot read: {exc.strerror}"), None
    if b"\0" in data:
        return FileResult(path, Status.SKIPPED, "not text (NUL bytes)"), None
    if is_generated(data):
        return FileResult(path, Status.SKIPPED, "@generated marker"), None
    if not any(t in data for c in config.codemods for t in c.file_triggers()):
        return FileResult(path, Status.UNCHANGED), None
    return None, data


def _restore_old_text(result: FileResult, data: bytes) -> FileResult:
    if result.status is Status.CHANGED and result.old_text is None:
        result.old_text = decode(data).text
    return result


def _lookup(
    candidate: Candidate, data: bytes, config: EngineConfig
) -> tuple[str | None, FileResult | None]:
    if config.cache is None:
        return None, None
    key = cache_key(candidate.relpath, data, config.fingerprint)
    hit = config.cache.get(key, candidate.relpath)
    return key, (_restore_old_text(hit, data) if hit is not None else None)


def run(
    candidates: Iterable[Candidate], config: EngineConfig, on_result: OnResult | None = None
) -> Run:
    """Process every candidate; results come back in the order the candidates were given."""
    started = time.perf_counter()
    notify = on_result or (lambda _result: None)
    results: list[FileResult | None] = []
    pending: list[tuple[int, str, bytes, str | None]] = []
    for candidate in candidates:
        decided, data = _prefilter(candidate, config)
        key = None
        if decided is None and data is not None:
            key, decided = _lookup(candidate, data, config)
            if decided is None:
                pending.append((len(results), candidate.relpath, data, key))
        if decided is not None:
            notify(decided)
        results.append(decided)
    jobs = [(path, data, config.target) for _, path, data, _ in pending]
    for (index, _, data, key), result in zip(pending, _execute(jobs, config), strict=True):
        result = _restore_old_text(result, data)
        if config.cache is not None and key is not None:
            config.cache.put(key, result)
        results[index] = result
        notify(result)
    if config.cache is not None:
        config.cache.flush()
    final = [r for r in results if r is not None]
    return Run(final, Summary.of(final, time.perf_counter() - started))


def _execute(jobs: list[tuple[str, bytes, Version]], config: EngineConfig) -> Iterable[FileResult]:
    specs = [c.spec() for c in config.codemods]
    if config.workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        _init_worker(specs)
        return (_work(job) for job in jobs)
    pool = ProcessPoolExecutor(config.workers, initializer=_init_worker, initargs=(specs,))
    chunk = max(1, min(32, len(jobs) // (config.workers * 8)))
    return _drain(pool, pool.map(_work, jobs, chunksize=chunk))


def _drain(pool: ProcessPoolExecutor, results: Iterable[FileResult]) -> Iterable[FileResult]:
    with pool:
        yield from results


def write(results: Iterable[FileResult], root_of: Callable[[str], Path]) -> list[FileResult]:
    """Write every changed file atomically; a file edited since it was read is not overwritten.

    Returns the results that could not be written, with the reason set.
    """
    refused: list[FileResult] = []
    for result in results:
        if result.status is not Status.CHANGED or result.new_text is None:
            continue
        path = root_of(result.path).resolve()  # a symlink stays a symlink to the new text
        try:
            source = decode(path.read_bytes())
            if source.text == result.new_text:  # written already, through another name
                continue
            if source.text != result.old_text:
                raise OSError(0, "changed on disk since it was read")
            write_atomic(path, source.encode(result.new_text))
        except (OSError, NotText, UnicodeEncodeError) as exc:
            message = exc.strerror if isinstance(exc, OSError) else str(exc)
            result.status, result.reason = Status.FAILED, f"{result.path}: not written: {message}"
            refused.append(result)
    return refused
