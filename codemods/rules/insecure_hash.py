"""insecure-hash: MD5 and SHA-1 are broken for security; uses that are not must say so."""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import PositionProvider
from pydantic import Field, field_validator

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Options
from codemods.calls import argument, has_double_star, keyword
from codemods.imports import imports_any
from codemods.inplace import spells

# A reviewed call: bandit's nosec, ruff's noqa (bare, or naming S324).
MARK = re.compile(r"#.*\b(nosec\b|noqa(?!:)|noqa:[\sA-Z0-9,]*\bS324\b)")
# hashlib functions that take the algorithm as an argument: its position and name.
NAMED = {"hashlib.new": (0, "name"), "hashlib.file_digest": (1, "digest")}


class HashOptions(Options):
    algorithms: tuple[str, ...] = Field(
        ("md4", "md5", "sha", "sha1"),
        min_length=1,
        description="Hash names to report, as hashlib spells them (compared case-insensitively).",
    )

    @field_validator("algorithms")
    @classmethod
    def _names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        lowered = tuple(name.strip().lower() for name in names)
        bad = [name for name in lowered if not name.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"not a hash name: {bad[0]!r}")
        return lowered


class Transformer(CodemodTransformer):
    def visit_Module(self, node: cst.Module) -> None:
        self.tree = node
        self.lines: list[str] | None = None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        found = self._hash(original)
        if found is None or self._marked(original):
            return updated
        function, algorithm = found
        if function == "hashlib.file_digest":
            self.report(original, _FILE_DIGEST.format(algorithm=algorithm))
            return updated
        flag = keyword(original, "usedforsecurity")
        call = f"hashlib.new({algorithm!r})" if function in NAMED else f"{function}()"
        if self.target < (3, 9) and not self._under_version_check(original):
            if flag is not None:
                self.report(original, _TOO_NEW.format(call=call, target=self._target()))
            else:
                self.report(original, _OLD_TARGET.format(call=call, target=self._target()))
            return updated
        if flag is not None and _is_false(flag.value):
            return updated
        hidden = _HIDDEN if flag is None and has_double_star(original) else ""
        self.report(original, _MESSAGE.format(call=call, hidden=hidden))
        return updated

    def _marked(self, call: cst.Call) -> bool:
        """Whether a comment on the call's lines (`# nosec`, `# noqa: S324`) says a human
        has judged it, as bandit and ruff honour it."""
        if self.lines is None:
            self.lines = self.tree.code.splitlines()
        where = self.get_metadata(PositionProvider, call)
        lines = self.lines[where.start.line - 1 : where.end.line]
        return any(MARK.search(line) for line in lines)

    def _under_version_check(self, node: cst.CSTNode) -> bool:
        """Inside ``if sys.version_info >= (3, 9):`` (or a later version): the target there
        is 3.9 at least."""
        child, parent = node, self.parent(node)
        while parent is not None:
            if isinstance(parent, cst.If) and child is parent.body and self._is_39(parent.test):
                return True
            child, parent = parent, self.parent(parent)
        return False

    def _is_39(self, test: cst.BaseExpression) -> bool:
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return False
        target = test.comparisons[0]
        version = _version(target.comparator)
        if version is None or not self.refers_to(test.left, "sys.version_info"):
            return False
        if isinstance(target.operator, cst.GreaterThanEqual):
            return version >= (3, 9)
        return isinstance(target.operator, cst.GreaterThan) and version >= (3, 8)

    def _target(self) -> str:
        return ".".join(map(str, self.target))

    def _hash(self, call: cst.Call) -> tuple[str, str] | None:
        """The hashlib function ``call`` calls and the reported algorithm it builds."""
        function = self.refers_to(call.func, *self._constructors(), *NAMED)
        if function is None:
            return None
        if function in NAMED:
            index, name = NAMED[function]
            given = argument(call, index, name)
            algorithm = self._algorithm(given.value if given else None)
        else:
            algorithm = function.removeprefix("hashlib.")
        return (function, algorithm) if algorithm in self.options.algorithms else None

    def _constructors(self) -> list[str]:
        return [f"hashlib.{a}" for a in self.options.algorithms]

    def _algorithm(self, value: cst.BaseExpression | None, follow: bool = True) -> str | None:
        """The algorithm named by a string literal, by a reported constructor, or by a
        variable every assignment of which names the same one (``ALGORITHM = "md5"``)."""
        if value is None:
            return None
        if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
            text = value.evaluated_value
            return text.lower() if isinstance(text, str) else None
        if isinstance(value, cst.Name) and follow:
            found = {self._algorithm(b.value, False) for b in self.bindings(value) or ()}
            return found.pop() if len(found) == 1 else None
        constructor = self.refers_to(value, *self._constructors())
        return constructor.removeprefix("hashlib.") if constructor else None


_HIDDEN = " (unless **kwargs passes it)"
_MESSAGE = (
    "{call} without usedforsecurity=False{hidden}: if it protects nothing "
    "(checksum, cache key, ETag) pass usedforsecurity=False; otherwise use sha256 or better"
)
_OLD_TARGET = (
    "{call}: if it protects nothing (checksum, cache key, ETag), mark it `# nosec` or "
    "`# noqa: S324` (usedforsecurity=False needs Python 3.9, the target is {target}); "
    "otherwise use sha256 or better"
)
_TOO_NEW = (
    "{call} with usedforsecurity=, which needs Python 3.9: the target is {target} "
    "(fine where a version check guards it)"
)
_FILE_DIGEST = (
    "hashlib.file_digest with {algorithm}: if it protects nothing pass "
    "lambda: hashlib.new('{algorithm}', usedforsecurity=False); otherwise use sha256 or better"
)


def _version(node: cst.BaseExpression) -> tuple[int, ...] | None:
    """``(3, 9)`` written as a tuple of integers."""
    if not isinstance(node, cst.Tuple):
        return None
    values = [e.value for e in node.elements]
    if not all(isinstance(v, cst.Integer) for v in values):
        return None
    return tuple(int(cst.ensure_type(v, cst.Integer).value) for v in values)


def _is_false(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "False"


class InsecureHash(Codemod):
    name = "insecure-hash"
    summary = "report MD5/SHA-1 hashes not marked usedforsecurity=False (report only)"
    explanation = (
        "MD5 and SHA-1 (and MD4, SHA-0) have practical collision attacks (SHAttered, 2017; "
        "chosen-prefix collisions for both), so they must not protect anything: signatures, "
        "integrity of untrusted data, passwords, tokens. They remain fine for checksums and "
        "cache keys, and Python 3.9+ lets code say so with `usedforsecurity=False`, which "
        "also keeps it working on FIPS-mode systems where the call otherwise fails. This "
        "codemod changes nothing: it reports `hashlib.md5()`, `hashlib.sha1()`, "
        "`hashlib.new('md5')` and `hashlib.file_digest(f, 'md5')` calls that do not pass "
        "`usedforsecurity=False` (option `algorithms`: md4, md5, sha, sha1 by default, as "
        "ruff). For each, the reviewer decides: not a security use, add "
        "`usedforsecurity=False`; a security use, move to `hashlib.sha256()` or better (and "
        "to `hashlib.scrypt` or argon2 for passwords). Below a 3.9 target `usedforsecurity=` "
        "does not exist (TypeError): calls are marked `# nosec` or `# noqa: S324` instead, "
        "which this check honours too, as bandit and ruff do. Ruff rule S324 is the same "
        "check, without `file_digest`."
    )
    url = "https://docs.python.org/3/library/hashlib.html#hashlib.new"
    version = 5
    triggers = (b"hashlib",)
    Options = HashOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of hashlib and a hash function's name written somewhere nothing
        can match: no scope analysis."""
        functions = {*self.options.algorithms, "new", "file_digest"}
        if not imports_any(module, "hashlib") or not spells(module, functions):
            return module
        return super().transform(module, file)

    examples = (
        Example("import hashlib\ndigest = hashlib.md5(data).hexdigest()\n", findings=1),
        Example(
            "from hashlib import sha1 as s, new\ns(b'x')\nnew('SHA1', b'x')\n",
            findings=2,
            title="aliases and hashlib.new with any case",
        ),
        Example(
            "import hashlib\nhashlib.md5(data, usedforsecurity=False)\n",
            title="declared not for security",
        ),
        Example(
            "import hashlib\n\nALGORITHM = 'md5'\n\n\ndef digest(data):\n"
            "    return hashlib.new(ALGORITHM, data)\n",
            findings=1,
            title="the algorithm held by a constant",
        ),
        Example(
            "import hashlib\nhashlib.sha256(data)\nhashlib.new(name)\n",
            title="strong hash, unknown name",
        ),
        Example(
            "import hashlib\nhashlib.sha1(data)\nhashlib.md5(data)\n",
            options={"algorithms": ["MD5"]},
            findings=1,
            title="only the configured algorithms",
        ),
        Example(
            "import hashlib\nhashlib.md5(data)\nhashlib.md5(data, usedforsecurity=False)\n",
            target=(3, 8),
            findings=2,
            title="below 3.9 usedforsecurity= is a TypeError: not advised, and reported",
        ),
        Example(
            "import hashlib\nimport sys\n\nif sys.version_info >= (3, 9):\n"
            "    h = hashlib.md5(usedforsecurity=False)\nelse:\n    h = hashlib.md5()  # nosec\n",
            target=(3, 8),
            title="a version check makes the target 3.9 in its body",
        ),
        Example(
            "import hashlib\nhashlib.md5(data)  # nosec: cache key\n"
            "hashlib.sha1(\n    data,  # noqa: S324\n)\nhashlib.md5(data)  # noqa: E501\n",
            target=(3, 8),
            findings=1,
            title="calls a reviewer marked for bandit or ruff",
        ),
        Example(
            "def md5(x):\n    return x\n\n\nmd5('hashlib.md5(data)')  # hashlib.md5\n",
            title="local function, string, comment",
        ),
    )
