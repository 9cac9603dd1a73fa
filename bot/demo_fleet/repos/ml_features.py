"""ml-features: `from hashlib import md5` for feature hashing; a call that has its timeout."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# ml-features

Feature definitions and the hashing trick used by the ranking models, plus a small client
for the online feature store.

```
python -m pytest -q
```
"""

HASHING = r'''
"""The hashing trick: tokens to a fixed number of buckets, with a sign to cancel collisions.

Bucket numbers must not change between training and serving, so the hash is fixed (md5 of
the UTF-8 token), not Python's salted hash().
"""

from __future__ import annotations

from collections import Counter
from hashlib import md5
from typing import Dict, Iterable


def bucket(token: str, buckets: int) -> int:
    return int(md5(token.encode("utf-8")).hexdigest()[:8], 16) % buckets


def sign(token: str) -> int:
    return 1 if int(md5(token.encode("utf-8")).hexdigest()[8:10], 16) % 2 == 0 else -1


def hash_features(tokens: Iterable[str], buckets: int = 2**18) -> Dict[int, int]:
    """A sparse vector: bucket -> signed count."""
    vector: Counter = Counter()
    for token in tokens:
        vector[bucket(token, buckets)] += sign(token)
    return {index: value for index, value in vector.items() if value}
'''

REGISTRY = r'''
"""features.yaml: every feature the models may use, with its kind and its owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import yaml

KINDS = ("numeric", "categorical", "text")


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str
    owner: str
    buckets: Optional[int] = None


def parse_registry(text: str) -> Dict[str, Feature]:
    document = yaml.load(text, yaml.SafeLoader) or {}
    features = {}
    for name, spec in document.get("features", {}).items():
        feature = Feature(name=name, **spec)
        if feature.kind not in KINDS:
            raise ValueError(f"{name}: kind must be one of {', '.join(KINDS)}")
        if feature.kind == "text" and not feature.buckets:
            raise ValueError(f"{name}: text features need a number of buckets")
        features[name] = feature
    return features
'''

STORE = r'''
"""A small client for the online feature store."""

from __future__ import annotations

from typing import Any, Dict

import requests


class FeatureStore:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Token {token}"}

    def read(self, entity: str, key: str) -> Dict[str, Any]:
        response = requests.get(
            f"{self.url}/entities/{entity}/{key}", headers=self.headers, timeout=5
        )
        response.raise_for_status()
        return response.json()["features"]

    def write(self, entity: str, key: str, features: Dict[str, Any]) -> None:
        response = requests.put(
            f"{self.url}/entities/{entity}/{key}",
            json={"features": features},
            headers=self.headers,
        )
        response.raise_for_status()
'''

TEST_HASHING = r"""
from features.hashing import bucket, hash_features, sign


def test_buckets_are_stable_and_in_range():
    assert bucket("colour=red", 1024) == bucket("colour=red", 1024)
    assert all(0 <= bucket(f"token{i}", 16) < 16 for i in range(200))


def test_signs_are_balanced_enough():
    signs = [sign(f"token{i}") for i in range(1000)]
    assert 400 < signs.count(1) < 600


def test_repeated_tokens_add_up():
    vector = hash_features(["a", "a", "b"], buckets=2**20)
    assert sorted(abs(v) for v in vector.values()) == [1, 2]
"""

TEST_REGISTRY = r'''
import pytest

pytest.importorskip("yaml")

from features.registry import parse_registry  # noqa: E402

REGISTRY = """
features:
  basket_value: {kind: numeric, owner: pricing}
  search_query: {kind: text, owner: search, buckets: 4096}
"""


def test_parse_registry():
    features = parse_registry(REGISTRY)
    assert features["search_query"].buckets == 4096
    assert features["basket_value"].owner == "pricing"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("features:\n  x: {kind: image, owner: a}\n", "kind must be one of"),
        ("features:\n  x: {kind: text, owner: a}\n", "need a number of buckets"),
    ],
)
def test_invalid_features(text, message):
    with pytest.raises(ValueError, match=message):
        parse_registry(text)
'''

REPOSITORY = SampleRepo(
    name="ml-features",
    description="from hashlib import md5 for feature hashing; one requests call has a timeout",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "ml-features",
            "0.12.0",
            "Feature definitions, hashing and the feature store client.",
            ["PyYAML>=6.0", "requests>=2.31"],
        ),
        "src/features/__init__.py": "",
        "src/features/hashing.py": HASHING,
        "src/features/registry.py": REGISTRY,
        "src/features/store.py": STORE,
        "tests/test_hashing.py": TEST_HASHING,
        "tests/test_registry.py": TEST_REGISTRY,
    },
)
