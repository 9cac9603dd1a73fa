"""yaml-safe-load on layouts and import patterns taken from real projects."""

from __future__ import annotations

import textwrap

from tests.helpers import apply_codemod, output_of


def safe_load(code: str) -> tuple[str, list[str]]:
    """Output (a second run must not change it) and the findings' messages."""
    result = apply_codemod("yaml-safe-load", textwrap.dedent(code))
    once = output_of(result)
    assert output_of(apply_codemod("yaml-safe-load", once)) == once
    return once, [f.message for f in result.findings]


def test_a_call_over_several_lines_keeps_its_comments() -> None:
    code = """\
        import yaml
        data = yaml.load(
            stream,  # the file
            Loader=yaml.SafeLoader,  # safe
        )
        """
    assert safe_load(code) == (
        "import yaml\ndata = yaml.safe_load(\n    stream,  # the file\n)\n",
        [],
    )


def test_the_c_loader_with_its_python_fallback_is_left_alone() -> None:
    """Django's serializers/pyyaml.py and ansible's yaml_to_json.py: the C loader is chosen
    for speed; safe_load would be as safe but slower, and would leave `try: pass`."""
    code = """\
        import json
        import sys

        from yaml import load

        try:
            from yaml import CSafeLoader as SafeLoader
        except ImportError:
            from yaml import SafeLoader

        json.dump(load(sys.stdin, Loader=SafeLoader), sys.stdout)
        """
    assert safe_load(code) == (textwrap.dedent(code), [])


def test_a_loader_of_the_projects_own_is_not_called_unsafe() -> None:
    """ansible's yamllinter.py: TestLoader builds on SafeConstructor; we cannot tell."""
    code = """\
        import yaml
        from yaml.constructor import SafeConstructor

        class TestLoader(SafeConstructor):
            pass

        yaml.load(contents, Loader=TestLoader)
        yaml.load(contents, Loader=yaml.UnsafeLoader)
        """
    output, findings = safe_load(code)
    assert output == textwrap.dedent(code)
    assert "check that it builds only plain data" in findings[0]
    assert "arbitrary Python objects" in findings[1]


def test_safe_load_joins_the_yaml_import_where_isort_puts_it() -> None:
    code = "from yaml import (\n    dump,\n    load,  # parse\n)\n\nload(s)\ndump(x)\n"
    assert safe_load(code) == (
        "from yaml import (\n    dump,\n    safe_load,\n)\n\nsafe_load(s)\ndump(x)\n",
        [],
    )
