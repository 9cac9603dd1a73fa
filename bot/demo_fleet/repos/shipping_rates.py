"""shipping-rates: a test that pins requests.get's exact arguments, so the fix breaks it."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# shipping-rates

Asks the carrier's rating API what a parcel costs, and picks the cheapest service that
arrives in time.

```
python -m pytest -q
```
"""

PARCELS = r'''
"""Parcels and how carriers weigh them: the larger of real and volumetric weight."""

from __future__ import annotations

import math
from dataclasses import dataclass

VOLUMETRIC_DIVISOR = 5000  # cm^3 per kg, the usual courier figure


@dataclass(frozen=True)
class Parcel:
    length_cm: float
    width_cm: float
    height_cm: float
    weight_kg: float

    @property
    def volumetric_kg(self) -> float:
        return self.length_cm * self.width_cm * self.height_cm / VOLUMETRIC_DIVISOR

    @property
    def billable_kg(self) -> float:
        """Rounded up to the next half kilogram, as every carrier we use does."""
        return math.ceil(max(self.weight_kg, self.volumetric_kg) * 2) / 2
'''

CLIENT = r'''
"""The carrier's rating API: what it costs to send a parcel, per service level."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import List, Optional

import requests

from rates.parcels import Parcel


@dataclass(frozen=True)
class Quote:
    service: str
    amount: Decimal
    days: int


class CarrierClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-Api-Key": api_key}

    def quote(self, parcel: Parcel, country: str, postcode: str) -> List[Quote]:
        params = {"weight": parcel.billable_kg, "country": country, "postcode": postcode}
        response = requests.get(f"{self.base_url}/v2/rates", params=params, headers=self.headers)
        response.raise_for_status()
        quotes = [
            Quote(rate["service"], Decimal(rate["amount"]), int(rate["days"]))
            for rate in response.json()["rates"]
        ]
        return sorted(quotes, key=lambda quote: quote.amount)

    def cheapest(
        self, parcel: Parcel, country: str, postcode: str, within_days: int
    ) -> Optional[Quote]:
        in_time = [q for q in self.quote(parcel, country, postcode) if q.days <= within_days]
        return in_time[0] if in_time else None
'''

TEST_PARCELS = r"""
from rates.parcels import Parcel


def test_heavy_small_parcels_bill_their_weight():
    assert Parcel(20, 15, 10, weight_kg=3.2).billable_kg == 3.5


def test_light_bulky_parcels_bill_their_volume():
    assert Parcel(60, 40, 40, weight_kg=2.0).billable_kg == 19.5
"""

TEST_CLIENT = r"""
from decimal import Decimal

import pytest

pytest.importorskip("requests")

from rates import client  # noqa: E402
from rates.parcels import Parcel  # noqa: E402

RATES = {
    "rates": [
        {"service": "express", "amount": "24.90", "days": 1},
        {"service": "economy", "amount": "7.40", "days": 5},
        {"service": "standard", "amount": "11.20", "days": 2},
    ]
}


class FakeResponse:
    def raise_for_status(self):
        pass

    def json(self):
        return RATES


@pytest.fixture
def calls(monkeypatch):
    made = []

    def fake_get(url, params, headers):
        made.append((url, params, headers))
        return FakeResponse()

    monkeypatch.setattr(client.requests, "get", fake_get)
    return made


def test_quote_sends_the_billable_weight(calls):
    carrier = client.CarrierClient("https://rating.carrier.test/", "k3y")
    quotes = carrier.quote(Parcel(20, 15, 10, 3.2), "FR", "75011")
    assert calls == [
        (
            "https://rating.carrier.test/v2/rates",
            {"weight": 3.5, "country": "FR", "postcode": "75011"},
            {"X-Api-Key": "k3y"},
        )
    ]
    assert [q.service for q in quotes] == ["economy", "standard", "express"]


def test_cheapest_in_time(calls):
    carrier = client.CarrierClient("https://rating.carrier.test", "k3y")
    best = carrier.cheapest(Parcel(20, 15, 10, 3.2), "FR", "75011", within_days=2)
    assert (best.service, best.amount) == ("standard", Decimal("11.20"))
    assert carrier.cheapest(Parcel(20, 15, 10, 3.2), "FR", "75011", within_days=0) is None
"""

REPOSITORY = SampleRepo(
    name="shipping-rates",
    description="a test that pins requests.get's exact arguments fails once timeout= is added",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "shipping-rates",
            "1.1.0",
            "Parcel rating against the carrier's API.",
            ["requests>=2.31"],
        ),
        "src/rates/__init__.py": "",
        "src/rates/client.py": CLIENT,
        "src/rates/parcels.py": PARCELS,
        "tests/test_client.py": TEST_CLIENT,
        "tests/test_parcels.py": TEST_PARCELS,
    },
)
