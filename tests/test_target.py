"""Which Python a rewrite may target: what a project declares, read from its own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.target import DEFAULT_TARGET, declared_target, parse_version, target_for


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("pyproject.toml", '[project]\nrequires-python = ">=3.8"\n', (3, 8)),
        ("pyproject.toml", "[project]\nrequires-python = '>= 3.10, <4'\n", (3, 10)),
        ("pyproject.toml", '[project]\nrequires-python = "~=3.11"\n', (3, 11)),
        ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.9"\n', (3, 9)),
        ("setup.cfg", "[options]\npython_requires = >=3.7\n", (3, 7)),
        ("setup.py", 'setup(name="x", python_requires=">=3.12")\n', (3, 12)),
        ("pyproject.toml", '[project]\nname = "x"\n', None),
        ("pyproject.toml", '[project]\nrequires-python = "!=3.0.*"\n', None),
    ],
)
def test_declared_target_reads_the_lower_bound(
    tmp_path: Path, name: str, text: str, expected: tuple[int, int] | None
) -> None:
    (tmp_path / name).write_text(text)
    assert declared_target(tmp_path) == expected


def test_declared_target_does_not_look_above_the_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.12"\n')
    (tmp_path / "repo").mkdir()
    assert declared_target(tmp_path / "repo") is None
    assert target_for(tmp_path / "repo") == (3, 12)


def test_target_for_falls_back_to_the_default(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("setup(name='x')\n")
    assert target_for(tmp_path) == DEFAULT_TARGET


def test_parse_version_refuses_what_is_not_python_3() -> None:
    assert parse_version("py311") == (3, 11)
    with pytest.raises(ValueError, match="expected a Python 3 version"):
        parse_version("2.7")
