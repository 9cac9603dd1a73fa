"""subprocess-shell-true: a shell command built from run-time values is a command injection."""

from __future__ import annotations

import libcst as cst

from codemods.base import Codemod, CodemodTransformer, Example, FileContext
from codemods.calls import argument, has_star
from codemods.imports import imports_any
from codemods.inplace import spells

# Functions with a `shell` parameter (all pass it on to Popen, where it is the 9th).
SHELL_PARAMETER = tuple(
    f"subprocess.{name}" for name in ("Popen", "run", "call", "check_call", "check_output")
)
SHELL_INDEX = 8
# Functions that always hand their command to a shell, and the command's parameter name.
ALWAYS_SHELL = {
    "os.system": "command",
    "os.popen": "cmd",
    "subprocess.getoutput": "cmd",
    "subprocess.getstatusoutput": "cmd",
    "asyncio.create_subprocess_shell": "cmd",
}
# Calls whose result is safe to paste into a shell command: quoted text, or numbers.
QUOTERS = ("shlex.quote", "shlex.join", "pipes.quote")
NUMBERS = ("builtins.int", "builtins.float", "builtins.len", "os.getpid", "os.getppid")
# How far a variable's value is followed through other variables.
MAX_DEPTH = 4
SHOWN = 40


class Transformer(CodemodTransformer):
    """Reports only: there is no rewrite that keeps what a shell command means."""

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        function = self.refers_to(original.func, *SHELL_PARAMETER, *ALWAYS_SHELL)
        if function is None:
            return updated
        if function in ALWAYS_SHELL:
            command, how = argument(original, 0, ALWAYS_SHELL[function]), "always uses a shell"
        else:
            command, how = argument(original, 0, "args"), self._shell(original)
        if how is None:
            return updated
        reason = self._unsafe(command.value, 0) if command else self._hidden(original)
        if reason is not None:
            self.report(original, _MESSAGE.format(function=function, how=how, reason=reason))
        return updated

    def _shell(self, call: cst.Call) -> str | None:
        """How ``call`` uses a shell, or None when its shell argument is false."""
        shell = argument(call, SHELL_INDEX, "shell")
        if shell is None:
            return None
        truth = _literal_truth(shell.value)
        if truth is None:
            return f"runs a shell when shell={self._code(shell.value)} is true"
        return "runs a shell (shell=True)" if truth else None

    def _hidden(self, call: cst.Call) -> str | None:
        return "arguments passed through *args" if has_star(call) else None

    def _unsafe(self, node: cst.BaseExpression, depth: int) -> str | None:
        """What in a command comes from run time without shell quoting, or None."""
        if isinstance(node, cst.SimpleString | cst.Integer | cst.Float):
            return None
        if isinstance(node, cst.ConcatenatedString):
            return self._unsafe(node.left, depth) or self._unsafe(node.right, depth)
        if isinstance(node, cst.FormattedString):
            return self._first(_interpolated(node), "an f-string interpolating", depth)
        if isinstance(node, cst.BinaryOperation):
            return self._operation(node, depth)
        if isinstance(node, cst.List | cst.Tuple):
            items = [e.value for e in node.elements]
            starred = any(isinstance(e, cst.StarredElement) for e in node.elements)
            return "a starred list item" if starred else self._first(items, "", depth)
        if isinstance(node, cst.IfExp):
            return self._first([node.body, node.orelse], "", depth)
        if isinstance(node, cst.Call):
            return self._call(node, depth)
        if isinstance(node, cst.Name):
            return self._variable(node, depth)
        return f"`{self._code(node)}`"

    def _operation(self, node: cst.BinaryOperation, depth: int) -> str | None:
        if isinstance(node.operator, cst.Add):
            return self._first(_summands(node), "a concatenation of", depth)
        if isinstance(node.operator, cst.Modulo) and self._unsafe(node.left, depth) is None:
            return self._first(_format_values(node.right), "%-formatting with", depth)
        return f"`{self._code(node)}`"

    def _call(self, node: cst.Call, depth: int) -> str | None:
        if self.refers_to(node.func, *QUOTERS, *NUMBERS) is not None:
            return None
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "format"
            and self._unsafe(func.value, depth) is None
        ):
            values = [a.value for a in node.args]
            star = any(a.star for a in node.args)
            return (
                "str.format() of unpacked values"
                if star
                else self._first(values, "str.format() with", depth)
            )
        return f"the result of `{self._code(node)}`"

    def _variable(self, name: cst.Name, depth: int) -> str | None:
        """A variable is as safe as every value assigned to it, when those are visible."""
        bindings = self.bindings(name) if depth < MAX_DEPTH else None
        if not bindings or any(b.value is None or b.entered for b in bindings):
            return f"the variable `{name.value}`"
        for binding in bindings:
            assert binding.value is not None
            inner = self._unsafe(binding.value, depth + 1)
            if inner is not None:
                return f"`{name.value}`, which holds {inner}"
        return None

    def _first(self, parts: list[cst.BaseExpression], what: str, depth: int) -> str | None:
        """The first unsafe one of ``parts``, described after ``what``."""
        for part in parts:
            inner = self._unsafe(part, depth)
            if inner is not None:
                return f"{what} {inner}" if what else inner
        return None

    def _code(self, node: cst.CSTNode) -> str:
        code = " ".join(cst.Module([]).code_for_node(node).split())
        return code if len(code) <= SHOWN else code[: SHOWN - 3] + "..."


_MESSAGE = (
    "{function}() {how} with a command that includes {reason}: shell syntax in that value "
    "(; | $() `) runs as commands. Pass a list of arguments without a shell, or "
    "shlex.quote() each value"
)


def _interpolated(node: cst.FormattedString) -> list[cst.BaseExpression]:
    return [p.expression for p in node.parts if isinstance(p, cst.FormattedStringExpression)]


def _summands(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of ``a + b + c``, flattened."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return [*_summands(node.left), *_summands(node.right)]
    return [node]


def _format_values(right: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What ``%`` pastes into the string: a tuple's items, a dict's values, or the value."""
    if isinstance(right, cst.Tuple):
        return [e.value for e in right.elements]
    if isinstance(right, cst.Dict) and all(isinstance(e, cst.DictElement) for e in right.elements):
        return [e.value for e in right.elements]
    return [right]


def _literal_truth(node: cst.BaseExpression) -> bool | None:
    """The truth of a literal ``shell=`` value; None when it is computed."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value == "True"
    if isinstance(node, cst.Integer):
        return int(node.value, 0) != 0
    return None


class SubprocessShellTrue(Codemod):
    name = "subprocess-shell-true"
    summary = "report shell commands built from run-time values (report only)"
    explanation = (
        "With `shell=True` (and always for `os.system`, `os.popen`, `subprocess.getoutput`/"
        "`getstatusoutput` and `asyncio.create_subprocess_shell`) the command string is parsed "
        "by `/bin/sh` or `cmd.exe`, so a value pasted into it that contains `;`, `|`, `$()` "
        "or backticks runs as commands of its own: command injection (CWE-78). This codemod "
        "changes nothing: it reports such calls whose command is not a literal: f-strings, "
        "`+` concatenation, `%`-formatting and `str.format()` of run-time values, and "
        "variables (followed to the values assigned to them in the module); in a "
        "list command every item counts (the shell gets the first, cmd.exe all of them). "
        "Values wrapped in `shlex.quote()`/`shlex.join()` count as safe. `shell=` values "
        "that are not literals are treated as possibly true; `**kwargs` that might carry "
        "`shell=True` are not followed. The reviewer's fix is to pass a list of arguments "
        "without a shell (`subprocess.run(['git', 'log', ref])`), or, where the shell is "
        "really needed (pipes, globs), to `shlex.quote()` every value. Ruff rules "
        "S602/S605 flag every shell call, literal or not."
    )
    url = "https://docs.python.org/3/library/subprocess.html#security-considerations"
    version = 2
    # asyncio.create_subprocess_shell contains b"subprocess". os.system/os.popen are called
    # by their name (or through an `import ... as` alias): plain b"system" would match every
    # file that mentions a filesystem.
    triggers = (b"subprocess", b"system(", b"system as", b"popen(", b"popen as")
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of subprocess, os or asyncio and the name of one of their shell
        functions written somewhere nothing can match: no scope analysis."""
        functions = {f.rpartition(".")[2] for f in (*SHELL_PARAMETER, *ALWAYS_SHELL)}
        if not imports_any(module, "subprocess", "os", "asyncio") or not spells(module, functions):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import subprocess\nsubprocess.run(f'tar xf {path}', shell=True)\n",
            findings=1,
        ),
        Example(
            "from subprocess import check_output as out\nimport os\n"
            "out('ls ' + d, shell=True)\nos.system('rm -rf %s' % d)\n",
            findings=2,
            title="aliases, concatenation, %-formatting, os.system",
        ),
        Example(
            "import subprocess\n\n\ndef f(cmd, shell):\n    subprocess.Popen(cmd, shell=shell)\n",
            findings=1,
            title="computed shell= may be true",
        ),
        Example(
            "import shlex\nimport subprocess\n\ncmd = 'ls -l'\nsubprocess.run(cmd, shell=True)\n"
            "subprocess.run(f'ls {shlex.quote(d)} | wc -l', shell=True)\n",
            title="literal variable, quoted value",
        ),
        Example(
            "import subprocess\nsubprocess.run(['ls', d])\nsubprocess.run(cmd, shell=False)\n",
            title="no shell",
        ),
        Example(
            "def system(c):\n    print(c)\n\n\nsystem('os.system(x)')  # os.system(cmd)\n",
            title="local function, string, comment",
        ),
    )
