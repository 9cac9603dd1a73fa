"""inventory-api: aliased imports, and a `.get()` that only looks like an HTTP call."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# inventory-api

Catalog, stock levels and supplier re-orders for the warehouses.

The catalog lives in `catalog/*.yaml`, one file per category. Stock is reserved when an
order is placed and released when it ships; anything under its reorder point is ordered
from the supplier's EDI gateway.

```
python -m pytest -q
```
"""

CATALOG = r'''
"""The product catalog: one YAML file per category, merged into one mapping by SKU."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import yaml as y


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    reorder_point: int = 10
    discontinued: bool = False


class CatalogError(ValueError):
    pass


def load_category(path: Path) -> List[Product]:
    with path.open(encoding="utf-8") as fh:
        document = y.load(fh, Loader=y.SafeLoader) or {}
    category = document.get("category", path.stem)
    products = []
    for entry in document.get("products", []):
        try:
            products.append(Product(category=category, **entry))
        except TypeError as exc:
            raise CatalogError(f"{path}: bad product entry {entry!r}: {exc}") from None
    return products


def load_catalog(folder: Path) -> Dict[str, Product]:
    catalog: Dict[str, Product] = {}
    for path in sorted(folder.glob("*.yaml")):
        for product in load_category(path):
            if product.sku in catalog:
                raise CatalogError(f"{path}: duplicate SKU {product.sku}")
            catalog[product.sku] = product
    return catalog


def reorder_points(catalog: Dict[str, Product]) -> Dict[str, int]:
    return {sku: p.reorder_point for sku, p in catalog.items() if not p.discontinued}
'''

STOCK = r'''
"""Stock per SKU and warehouse, with reservations for orders that have not shipped yet."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict, Dict, List, Tuple


class OutOfStock(Exception):
    pass


@dataclass
class Level:
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockLedger:
    def __init__(self) -> None:
        self._levels: DefaultDict[Tuple[str, str], Level] = defaultdict(Level)

    def get(self, sku: str, warehouse: str = "main") -> Level:
        """A plain lookup (not requests.get): the level of one SKU in one warehouse."""
        return self._levels[(sku, warehouse)]

    def receive(self, sku: str, quantity: int, warehouse: str = "main") -> None:
        if quantity <= 0:
            raise ValueError(f"{sku}: cannot receive {quantity}")
        self.get(sku, warehouse).on_hand += quantity

    def reserve(self, sku: str, quantity: int, warehouse: str = "main") -> None:
        level = self.get(sku, warehouse)
        if level.available < quantity:
            raise OutOfStock(f"{sku}@{warehouse}: {level.available} left, {quantity} wanted")
        level.reserved += quantity

    def ship(self, sku: str, quantity: int, warehouse: str = "main") -> None:
        level = self.get(sku, warehouse)
        if level.reserved < quantity:
            raise ValueError(f"{sku}@{warehouse}: only {level.reserved} reserved")
        level.reserved -= quantity
        level.on_hand -= quantity

    def below_reorder_point(self, points: Dict[str, int]) -> List[str]:
        available: DefaultDict[str, int] = defaultdict(int)
        for (sku, _warehouse), level in self._levels.items():
            available[sku] += level.available
        return sorted(sku for sku, point in points.items() if available[sku] < point)
'''

SUPPLIERS = r'''
"""Quotes and purchase orders through the supplier's EDI gateway."""

from __future__ import annotations

from typing import Dict, Iterable, List, Tuple

from requests import get, post

from inventory.stock import StockLedger

EDI_URL = "https://edi.example-supplier.com/api"


def quote(sku: str, quantity: int, api_key: str) -> Dict[str, str]:
    response = get(f"{EDI_URL}/quotes", params={"sku": sku, "qty": quantity},
                   headers={"X-Api-Key": api_key})
    response.raise_for_status()
    return response.json()


def place_order(supplier_id: str, lines: Iterable[Tuple[str, int]], api_key: str) -> str:
    payload = {"supplier": supplier_id, "lines": [{"sku": s, "qty": q} for s, q in lines]}
    response = post(
        f"{EDI_URL}/orders",
        json=payload,
        headers={"X-Api-Key": api_key},
    )
    response.raise_for_status()
    return response.json()["order_id"]


def reorder(
    ledger: StockLedger,
    points: Dict[str, int],
    batch_sizes: Dict[str, int],
    supplier_id: str,
    api_key: str,
) -> List[str]:
    """One purchase order for every SKU under its reorder point; returns the order ids."""
    short = ledger.below_reorder_point(points)
    if not short:
        return []
    lines = [(sku, batch_sizes.get(sku, 50)) for sku in short]
    return [place_order(supplier_id, lines, api_key)]
'''

TEST_STOCK = r"""
import pytest

from inventory.stock import OutOfStock, StockLedger


def test_reserved_stock_is_not_available():
    ledger = StockLedger()
    ledger.receive("CHAIR-OAK", 5)
    ledger.reserve("CHAIR-OAK", 3)
    assert ledger.get("CHAIR-OAK").available == 2
    with pytest.raises(OutOfStock):
        ledger.reserve("CHAIR-OAK", 3)


def test_shipping_releases_the_reservation():
    ledger = StockLedger()
    ledger.receive("LAMP", 4, warehouse="north")
    ledger.reserve("LAMP", 4, warehouse="north")
    ledger.ship("LAMP", 4, warehouse="north")
    level = ledger.get("LAMP", warehouse="north")
    assert (level.on_hand, level.reserved) == (0, 0)


def test_reorder_points_count_every_warehouse():
    ledger = StockLedger()
    ledger.receive("DESK", 6, warehouse="main")
    ledger.receive("DESK", 6, warehouse="north")
    ledger.receive("SHELF", 2)
    assert ledger.below_reorder_point({"DESK": 10, "SHELF": 5, "RUG": 1}) == ["RUG", "SHELF"]
"""

TEST_CATALOG = r'''
import pytest

pytest.importorskip("yaml")

from inventory.catalog import CatalogError, load_catalog, reorder_points  # noqa: E402

CHAIRS = """
category: chairs
products:
  - {sku: CHAIR-OAK, name: Oak chair, reorder_point: 4}
  - {sku: CHAIR-PINE, name: Pine chair, discontinued: true}
"""


def test_catalog_merges_categories(tmp_path):
    (tmp_path / "chairs.yaml").write_text(CHAIRS)
    (tmp_path / "lamps.yaml").write_text("products:\n  - {sku: LAMP, name: Desk lamp}\n")
    catalog = load_catalog(tmp_path)
    assert catalog["LAMP"].category == "lamps"
    assert reorder_points(catalog) == {"CHAIR-OAK": 4, "LAMP": 10}


def test_duplicate_skus_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("products:\n  - {sku: LAMP, name: Lamp}\n")
    (tmp_path / "b.yaml").write_text("products:\n  - {sku: LAMP, name: Lamp}\n")
    with pytest.raises(CatalogError, match="duplicate SKU LAMP"):
        load_catalog(tmp_path)
'''

TEST_SUPPLIERS = r"""
import pytest

pytest.importorskip("requests")

from inventory import suppliers  # noqa: E402
from inventory.stock import StockLedger  # noqa: E402


class FakeResponse:
    def __init__(self, data):
        self._data = data

    def raise_for_status(self):
        pass

    def json(self):
        return self._data


def test_reorder_orders_what_is_short(monkeypatch):
    orders = []

    def fake_post(url, **kwargs):
        orders.append(kwargs["json"])
        return FakeResponse({"order_id": "PO-77"})

    monkeypatch.setattr(suppliers, "post", fake_post)
    ledger = StockLedger()
    ledger.receive("DESK", 2)
    assert suppliers.reorder(ledger, {"DESK": 5}, {"DESK": 20}, "acme", "key") == ["PO-77"]
    assert orders == [{"supplier": "acme", "lines": [{"sku": "DESK", "qty": 20}]}]


def test_nothing_short_means_no_order(monkeypatch):
    monkeypatch.setattr(suppliers, "post", None)
    ledger = StockLedger()
    ledger.receive("DESK", 9)
    assert suppliers.reorder(ledger, {"DESK": 5}, {}, "acme", "key") == []
"""

REPOSITORY = SampleRepo(
    name="inventory-api",
    description="aliased imports (import yaml as y, from requests import get) and a .get() "
    "method that is not HTTP",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "inventory-api",
            "0.9.0",
            "Catalog, stock levels and supplier re-orders.",
            ["PyYAML>=6.0", "requests>=2.31"],
            src_layout=False,
        ),
        "inventory/__init__.py": "",
        "inventory/catalog.py": CATALOG,
        "inventory/stock.py": STOCK,
        "inventory/suppliers.py": SUPPLIERS,
        "tests/test_catalog.py": TEST_CATALOG,
        "tests/test_stock.py": TEST_STOCK,
        "tests/test_suppliers.py": TEST_SUPPLIERS,
    },
)
