"""Discovery: which files a run looks at, and the names it shows them by."""

from __future__ import annotations

from pathlib import Path

from codemods.files import Candidate, discover, leaves_root
from tests.helpers import git, make_repo
from tests.test_engine import make_tree


def labels(candidates: object) -> list[str]:
    return [c.relpath for c in candidates]  # type: ignore[attr-defined]


def test_python_files_are_found_in_a_stable_order(tmp_path: Path) -> None:
    make_tree(tmp_path, {"b.py": "", "a.pyi": "", "z/c.py": "", "notes.txt": "", "a/d.py": ""})
    assert labels(discover([tmp_path])) == ["a.pyi", "b.py", "a/d.py", "z/c.py"]


def test_tool_and_vendored_folders_are_left_alone_by_default(tmp_path: Path) -> None:
    folders = [".venv", "venv", ".tox", "build", "node_modules", "__pycache__", "src/_vendor"]
    make_tree(tmp_path, {"src/keep.py": "", **{f"{d}/x.py": "" for d in folders}})
    assert labels(discover([tmp_path])) == ["src/keep.py"]
    everything = labels(discover([tmp_path], default_excludes=False))
    assert len(everything) == len(folders) + 1


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.py": "", "tools/run": "", "tests/test_a.py": "", "pkg/gen_x.py": ""})
    found = discover([tmp_path], include=["*.py", "tools/*"], exclude=["tests/", "gen_*.py"])
    assert labels(found) == ["a.py", "tools/run"]


IGNORING_TREE: dict[str, str | bytes] = {
    ".gitignore": "# generated\n*_pb2.py\n/top_only.py\nout/\n!keep_pb2.py\ndocs/*.py\n",
    "a_pb2.py": "",
    "keep_pb2.py": "",
    "top_only.py": "",
    "sub/top_only.py": "",
    "sub/out/x.py": "",
    "sub/.gitignore": "local.py\n/anchored.py\n",
    "sub/local.py": "",
    "sub/anchored.py": "",
    "sub/deeper/anchored.py": "",
    "local.py": "",
    "docs/conf.py": "",
    "docs/api/x.py": "",
    "main.py": "",
}


def test_gitignore_is_honoured_as_git_honours_it(tmp_path: Path) -> None:
    make_tree(tmp_path, IGNORING_TREE)
    git(tmp_path, "init", "-q")
    by_git = git(tmp_path, "ls-files", "--others", "--exclude-standard", "--", "*.py")
    assert sorted(labels(discover([tmp_path]))) == sorted(by_git.splitlines())
    assert "sub/top_only.py" in by_git and "sub/deeper/anchored.py" in by_git


def test_a_subfolder_of_a_repository_obeys_the_repository_gitignore(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            ".gitignore": "src/gen/\n*.tmp.py\n",
            "src/app.py": "",
            "src/gen/g.py": "",
            "src/x.tmp.py": "",
        },
    )
    assert labels(discover([repo / "src"])) == ["app.py"]


def test_a_folder_named_on_purpose_is_read_even_if_ignored(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitignore": "scratch/\n", "scratch/s.py": ""})
    assert labels(discover([repo / "scratch"])) == ["s.py"]
    assert labels(discover([repo])) == []


def test_gitignore_of_a_folder_outside_the_repository_does_not_count(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    repo = make_repo(tmp_path / "repo", {"a.py": ""})
    assert git(repo, "ls-files") == "a.py"
    assert labels(discover([repo])) == ["a.py"]


def test_labels_are_relative_to_the_base_and_unique_outside_it(tmp_path: Path) -> None:
    one = make_tree(tmp_path / "one", {"a.py": ""})
    two = make_tree(tmp_path / "two", {"a.py": ""})
    found = list(discover([one, two], base=tmp_path / "one"))
    assert labels(found) == ["a.py", (two / "a.py").as_posix()]
    assert labels(discover([one, two])) == ["a.py", "a.py"], "without a base: per root"


def test_each_file_is_taken_once_however_often_it_is_named(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.py": "", "b.py": ""})
    found = list(discover([tmp_path / "a.py", tmp_path, tmp_path / "." / "a.py"], base=tmp_path))
    assert labels(found) == ["a.py", "b.py"]


def test_a_file_named_directly_is_taken_unless_excluded(tmp_path: Path) -> None:
    make_tree(tmp_path, {"script": "", "migrations/0001.py": "", ".venv/x.py": ""})
    names = [tmp_path / "script", tmp_path / "migrations/0001.py", tmp_path / ".venv/x.py"]
    found = list(discover(names, exclude=["migrations/"], base=tmp_path))
    assert [(c.relpath, c.excluded) for c in found] == [
        ("script", False),
        ("migrations/0001.py", True),
        (".venv/x.py", True),
    ]


def test_symlinks_leaving_the_root_are_recognised(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root", {"a.py": "", "sub/b.py": ""})
    make_tree(tmp_path / "elsewhere", {"c.py": ""})
    (root / "in.py").symlink_to(root / "sub/b.py")
    (root / "out.py").symlink_to(tmp_path / "elsewhere/c.py")
    (root / "up.py").symlink_to("../elsewhere/c.py")
    verdicts = {c.relpath: leaves_root(c) for c in discover([root])}
    assert verdicts == {
        "a.py": False,
        "in.py": False,
        "out.py": True,
        "up.py": True,
        "sub/b.py": False,
    }


def test_a_symlinked_folder_is_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path / "elsewhere", {"c.py": ""})
    root = make_tree(tmp_path / "root", {"a.py": ""})
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert labels(discover([root])) == ["a.py"]


def test_candidate_defaults_to_not_excluded(tmp_path: Path) -> None:
    assert Candidate(tmp_path / "a.py", tmp_path, "a.py").excluded is False
