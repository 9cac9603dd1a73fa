"""requests-timeout on whole modules: every entry point, sessions, options, and ruff's S113."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.registry import CodemodError, configure
from codemods.rules.requests_timeout import MODULE_SIGNATURES
from tests.helpers import apply_codemod, output_of, ruff_lines

NAME = "requests-timeout"


@pytest.mark.parametrize("function", sorted(MODULE_SIGNATURES))
def test_every_module_function_gets_a_timeout(function: str) -> None:
    code = "import requests\nimport requests.api\n"
    code += f"requests.{function}(u)\nrequests.api.{function}(u)\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code.replace("(u)", "(u, timeout=30)")
    assert result.counts == {NAME: 2}


def test_all_calls_ruff_flags_are_rewritten_or_reported(tmp_path: Path) -> None:
    code = (
        "import requests\n"
        "from requests import get as fetch\n"
        "requests.get(u)\n"
        "fetch(u, params=p)\n"
        "requests.post(u, data, j, **kw)\n"
        "requests.request('GET', u, headers=h)\n"
        "requests.get(u, timeout=5)\n"
        "requests.head(u, timeout=None)\n"
    )
    result = apply_codemod(NAME, code)
    new = output_of(result).splitlines()
    touched = {n for n, line in enumerate(new, 1) if "timeout=30" in line}
    touched |= {f.line for f in result.findings}
    assert ruff_lines(tmp_path, code, "S113") <= touched
    assert touched == {3, 4, 5, 6, 8}


def test_timeout_none_is_reported_and_left_to_the_author() -> None:
    code = "import requests\nrequests.get(u, timeout=None)\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert "waits forever" in result.findings[0].message


def test_star_args_cannot_hide_a_module_function_timeout() -> None:
    code = "import requests\nrequests.get(*args)\n"
    assert (
        output_of(apply_codemod(NAME, code)) == "import requests\nrequests.get(*args, timeout=30)\n"
    )


def test_too_many_positional_arguments_is_a_finding() -> None:
    result = apply_codemod(NAME, "import requests\nrequests.get(u, p, extra)\n")
    assert result.new_text is None
    assert "more positional arguments" in result.findings[0].message


def test_session_request_positional_timeout_and_star_args() -> None:
    code = (
        "import requests\n\n"
        "def f(args):\n"
        "    s = requests.Session()\n"
        "    s.request('GET', u, p, d, h, c, f, a, 5)\n"
        "    s.request('GET', u, *args)\n"
        "    s.request('GET', u)\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code.replace(
        "s.request('GET', u)\n", "s.request('GET', u, timeout=30)\n"
    )
    assert [f.line for f in result.findings] == [6]


@pytest.mark.parametrize(
    "use",
    [
        "s.mount('https://', TimeoutAdapter())",
        "s.get = functools.partial(s.get, timeout=5)",
        "configure(s)",
        "return s",
        "s.adapters['https://'] = a",
    ],
)
def test_a_session_that_may_set_its_own_timeout_is_reported(use: str) -> None:
    code = f"import requests\n\ndef f():\n    s = requests.Session()\n    {use}\n    s.get(u)\n"
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert [f.line for f in result.findings] == [6]
    assert "session" in result.findings[0].message


def test_session_settings_keep_the_session_plain() -> None:
    code = (
        "import requests\n"
        "s = requests.session()\n"
        "s.headers.update(h)\n"
        "s.verify = False\n"
        "s.auth = (user, password)\n\n"
        "def f():\n"
        "    return s.post(u, json=body).json()\n"
        "s.close()\n"
    )
    assert "s.post(u, json=body, timeout=30)" in output_of(apply_codemod(NAME, code))


def test_session_stored_on_an_attribute_or_reassigned_is_not_followed() -> None:
    code = (
        "import requests\n\n"
        "class Client:\n"
        "    def __init__(self):\n"
        "        self.session = requests.Session()\n\n"
        "    def get(self, u):\n"
        "        return self.session.get(u)\n\n"
        "def g(s=None):\n"
        "    s = s or requests.Session()\n"
        "    s.get(u)\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert result.findings == []


def test_other_libraries_with_the_same_names_are_untouched() -> None:
    code = "import httpx\nimport aiohttp\nhttpx.get(u)\nsession = httpx.Client()\nsession.get(u)\n"
    assert output_of(apply_codemod(NAME, code)) == code


@pytest.mark.parametrize(("value", "literal"), [(10, "10"), (2.5, "2.5"), (0.1, "0.1")])
def test_timeout_option_is_written_as_given(value: float, literal: str) -> None:
    result = apply_codemod(NAME, "import requests\nrequests.get(u)\n", {"timeout": value})
    assert output_of(result) == f"import requests\nrequests.get(u, timeout={literal})\n"


@pytest.mark.parametrize("bad", [0, -1, True, "30", float("inf"), None])
def test_timeout_option_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises(CodemodError, match=r"^requests-timeout\.timeout"):
        configure(NAME, {"timeout": bad})


@pytest.mark.parametrize(
    ("call", "after"),
    [
        pytest.param(
            "requests.post(\n    u,\n    data=b,  # payload\n)\n",
            "requests.post(\n    u,\n    data=b,  # payload\n    timeout=30,\n)\n",
            id="trailing comma",
        ),
        pytest.param(
            "requests.post(\n    u,\n    data=b  # payload\n)\n",
            "requests.post(\n    u,\n    data=b,  # payload\n    timeout=30\n)\n",
            id="no trailing comma",
        ),
        pytest.param(
            "requests.post(u,\n              data=b,  # payload\n              )\n",
            "requests.post(u,\n              data=b,  # payload\n              timeout=30,\n"
            "              )\n",
            id="aligned with the opening bracket",
        ),
        pytest.param(
            "requests.get(\n    u, headers=h, params=p\n)\n",
            "requests.get(\n    u, headers=h, params=p, timeout=30\n)\n",
            id="black's arguments on one line inside the brackets (salt)",
        ),
        pytest.param(
            "requests.get(\n    u,\n)\n",
            "requests.get(\n    u,\n    timeout=30,\n)\n",
            id="a lone argument with a trailing comma",
        ),
    ],
)
def test_the_comment_on_the_last_argument_stays_on_its_line(call: str, after: str) -> None:
    code = "import requests\n"
    assert output_of(apply_codemod(NAME, code + call)) == code + after


def test_kwargs_visibly_holding_a_timeout_need_no_finding() -> None:
    code = (
        "import requests\n\n\ndef f(u, flag):\n"
        "    carried = dict(timeout=5)\n    requests.get(u, **carried)\n"
        "    maybe = {'verify': flag}\n    requests.get(u, **maybe)\n"
    )
    result = apply_codemod(NAME, code)
    assert output_of(result) == code
    assert [f.line for f in result.findings] == [8]
