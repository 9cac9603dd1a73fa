"""pkg-resources-version on whole modules, and the rewritten code run for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import apply_codemod, output_of

NAME = "pkg-resources-version"

MODULE = '''"""The package's version, the pkg_resources way."""

import sys

import pkg_resources
from pkg_resources import DistributionNotFound, get_distribution

try:
    LIBCST = get_distribution("libcst").version
except DistributionNotFound:
    LIBCST = None

try:
    MISSING = pkg_resources.get_distribution("no-such-distribution-xyz").version
except (ValueError, pkg_resources.DistributionNotFound):
    MISSING = "unknown"

print(LIBCST, MISSING, file=sys.stdout)
'''

REWRITTEN = '''"""The package's version, the pkg_resources way."""

import importlib.metadata
import sys

try:
    LIBCST = importlib.metadata.version("libcst")
except importlib.metadata.PackageNotFoundError:
    LIBCST = None

try:
    MISSING = importlib.metadata.version("no-such-distribution-xyz")
except (ValueError, importlib.metadata.PackageNotFoundError):
    MISSING = "unknown"

print(LIBCST, MISSING, file=sys.stdout)
'''


def run(tmp_path: Path, code: str) -> str:
    script = tmp_path / "version_check.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_rewrite_with_handlers() -> None:
    result = apply_codemod(NAME, MODULE)
    assert output_of(result) == REWRITTEN
    assert result.counts == {NAME: 2}
    assert result.findings == []


def test_rewritten_module_prints_what_the_original_printed(tmp_path: Path) -> None:
    original = run(tmp_path, MODULE)
    assert original.split()[1] == "unknown"
    assert run(tmp_path, output_of(apply_codemod(NAME, MODULE))) == original


@pytest.mark.parametrize(
    ("imports", "spelled"),
    [
        ("import importlib.metadata as md\n", "md.version"),
        ("from importlib import metadata\n", "metadata.version"),
        ("from importlib import metadata as im\n", "im.version"),
        ("import importlib.metadata\n", "importlib.metadata.version"),
    ],
)
def test_an_existing_import_is_reused(imports: str, spelled: str) -> None:
    code = imports + "import pkg_resources\nv = pkg_resources.get_distribution('a').version\n"
    assert output_of(apply_codemod(NAME, code)) == f"{imports}v = {spelled}('a')\n"


def test_a_local_called_version_is_not_shadowed() -> None:
    code = (
        "import pkg_resources\n"
        "version = pkg_resources.get_distribution('a').version\n"
        "other = pkg_resources.get_distribution('b').version\n"
    )
    assert output_of(apply_codemod(NAME, code)) == (
        "import importlib.metadata\n\n"
        "version = importlib.metadata.version('a')\n"
        "other = importlib.metadata.version('b')\n"
    )


@pytest.mark.parametrize(
    "code",
    [
        "import pkg_resources\n"
        "try:\n    v = pkg_resources.get_distribution('a').version\n"
        "except pkg_resources.ResolutionError:\n    v = None\n",
        "import pkg_resources\n"
        "try:\n    v = pkg_resources.get_distribution('a').version\n"
        "    pkg_resources.require('a')\n"
        "except pkg_resources.DistributionNotFound:\n    v = None\n",
        "import pkg_resources\nv = pkg_resources.get_distribution(*names).version\n",
        "import pkg_resources\nv = pkg_resources.get_distribution('a[extra]').version\n",
        "import pkg_resources\nlocation = pkg_resources.get_distribution('a').location\n",
        "import pkg_resources\n"
        "try:\n    v = pkg_resources.get_distribution('a>=1.0').version\n"
        "except pkg_resources.DistributionNotFound:\n    v = None\n",
    ],
    ids=[
        "other-exception",
        "other-call-in-try",
        "star-args",
        "extras",
        "not-version",
        "requirement-in-try",
    ],
)
def test_reported_and_left(code: str) -> None:
    result = apply_codemod(NAME, code)
    assert result.new_text is None
    assert len(result.findings) == 1


def test_pkg_resources_kept_while_used() -> None:
    code = (
        "import pkg_resources\n"
        "v = pkg_resources.get_distribution('a').version\n"
        "for ep in pkg_resources.iter_entry_points('x'):\n    pass\n"
    )
    new = output_of(apply_codemod(NAME, code))
    assert new.startswith("import pkg_resources\nimport importlib.metadata\n")


def test_a_parameter_called_pkg_resources_is_not_the_module() -> None:
    code = (
        "import pkg_resources\n"
        "def main(pkg_resources=pkg_resources):\n"
        "    return pkg_resources.get_distribution('a').version\n"
    )
    assert apply_codemod(NAME, code).new_text is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "import pkg_resources\nimport argparse\nimport logging\n\nimport six\n\n"
            "pkg_resources.iter_entry_points('x')\n"
            "v = pkg_resources.get_distribution('a').version\n",
            "import pkg_resources\nimport argparse\nimport importlib.metadata\nimport logging\n\n"
            "import six\n\npkg_resources.iter_entry_points('x')\n"
            "v = importlib.metadata.version('a')\n",
            id="in order among the standard library imports, not after six (pecan)",
        ),
        pytest.param(
            "import sys\nimport os\n\nimport pkg_resources\n\n"
            "v = pkg_resources.get_distribution('a').version\n",
            "import sys\nimport os\nimport importlib.metadata\n\n"
            "v = importlib.metadata.version('a')\n",
            id="last when they are not in order (pyramid's docs/conf.py)",
        ),
    ],
)
def test_importlib_metadata_goes_where_isort_puts_it(before: str, after: str) -> None:
    assert output_of(apply_codemod(NAME, before)) == after
