"""subprocess-shell-true: which commands are literal, what the message says, ruff's S602/S605."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import apply_codemod, output_of, ruff_lines

NAME = "subprocess-shell-true"


def _findings(body: str) -> list[str]:
    code = f"import os\nimport shlex\nimport subprocess\n\n\ndef f(user, flag):\n{body}"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    return [f.message for f in result.findings]


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("f'grep {user} log'", "an f-string interpolating the variable `user`"),
        ("'ls ' + user", "a concatenation of the variable `user`"),
        ("'ls %s' % user", "%-formatting with the variable `user`"),
        ("'ls %(d)s' % {'d': user}", "%-formatting with the variable `user`"),
        ("'ls {}'.format(user)", "str.format() with the variable `user`"),
        ("'ls {d}'.format(**locals())", "str.format() of unpacked values"),
        ("['ls', user]", "the variable `user`"),
        ("' '.join(parts)", "the result of `' '.join(parts)`"),
        ("sys.argv[1]", "`sys.argv[1]`"),
    ],
)
def test_each_kind_of_built_command_is_explained(command: str, reason: str) -> None:
    (message,) = _findings(f"    subprocess.run({command}, shell=True)\n")
    assert f"includes {reason}:" in message
    assert message.startswith("subprocess.run() runs a shell (shell=True) with a command")


@pytest.mark.parametrize(
    "command",
    [
        "'ls -l | wc -l'",
        "'ls ' '-l'",
        "f'ls -l'",
        "'ls ' + '-l'",
        "f'ls {shlex.quote(user)}'",
        "'ls %s' % shlex.quote(user)",
        "'ls ' + shlex.join([user, 'x'])",
        "['ls', '-l']",
        "'ls {}'.format(42)",
        "('type ' if flag else 'cat ') + 'x'",
        "'kill %d' % os.getpid()",
        "'head -n %d' % len(user)",
    ],
)
def test_literal_and_quoted_commands_are_fine(command: str) -> None:
    assert _findings(f"    subprocess.run({command}, shell=True)\n") == []


def test_long_concatenations_name_the_first_run_time_value() -> None:
    (message,) = _findings("    os.system('a' + ' ' + 'b ' + user + ' c')\n")
    assert "includes a concatenation of the variable `user`:" in message


def test_variables_are_followed_to_their_values() -> None:
    body = (
        "    base = 'ls'\n"
        "    base = base + ' -l'\n"
        "    os.system(base)\n"
        "    cmd = f'{base} {user}'\n"
        "    os.system(cmd)\n"
    )
    (message,) = _findings(body)
    assert "`cmd`, which holds an f-string interpolating the variable `user`" in message
    assert message.startswith("os.system() always uses a shell")


@pytest.mark.parametrize("shell", ["False", "0", "None"])
def test_false_shell_is_fine(shell: str) -> None:
    assert _findings(f"    subprocess.Popen(user, shell={shell})\n    subprocess.run(user)\n") == []


def test_computed_shell_and_positional_shell() -> None:
    body = (
        "    subprocess.check_output(user, shell=flag)\n"
        "    subprocess.Popen(user, -1, None, None, None, None, None, True, True)\n"
        "    subprocess.call(*user, shell=True)\n"
    )
    first, second, third = _findings(body)
    assert "runs a shell when shell=flag is true" in first
    assert second.startswith("subprocess.Popen() runs a shell (shell=True)")
    assert "arguments passed through *args" in third


@pytest.mark.parametrize(
    "call",
    [
        "os.popen('ls ' + user)",
        "subprocess.getoutput(f'id {user}')",
        "subprocess.getstatusoutput(cmd=user)",
        "asyncio.create_subprocess_shell(user)",
    ],
)
def test_functions_that_always_use_a_shell(call: str) -> None:
    code = f"import asyncio\nimport os\nimport subprocess\n{call}\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert [f.line for f in result.findings] == [4]


def test_findings_are_a_subset_of_ruffs_shell_rules(tmp_path: Path) -> None:
    code = (
        "import os\nimport subprocess\n"
        "subprocess.run('ls', shell=True)\n"
        "subprocess.run(cmd, shell=True)\n"
        "os.system('ls')\n"
        "os.system(cmd)\n"
        "subprocess.run(['ls', x])\n"
        "os.popen('cat ' + path)\n"
    )
    ours = {f.line for f in apply_codemod(NAME, code).findings}
    assert ours == {4, 6, 8}
    assert ours <= ruff_lines(tmp_path, code, "S602,S605")


def test_other_run_functions_are_untouched() -> None:
    code = "import invoke\nimport sh\ninvoke.run(f'ls {d}', shell=True)\nsh.system(cmd)\n"
    assert apply_codemod(NAME, code).findings == []
