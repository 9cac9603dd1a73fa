"""billing-service: the common violations, plainly spelled, in a small invoicing service."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# billing-service

Invoices, tax and card payments for the web shop.

```
pip install -e '.[test]'
python -m pytest -q
```

Settings come from `/etc/billing/settings.yaml`; any `BILLING_<FIELD>` environment
variable overrides the file. PyYAML stays below 6 until the settings loader is updated.
"""

CONFIG = r'''
"""Service settings: a YAML file, with environment variables taking precedence.

PyYAML is pinned below 6 in pyproject.toml because yaml.load(fh) here has no Loader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping, Optional

import yaml

DEFAULT_PATH = Path("/etc/billing/settings.yaml")
ENV_PREFIX = "BILLING_"
REQUIRED = ("gateway_url", "api_key")


@dataclass(frozen=True)
class Settings:
    gateway_url: str
    api_key: str
    currency: str = "EUR"
    tax_rate: str = "0.20"
    invoice_prefix: str = "INV"


def read_settings(
    path: Path = DEFAULT_PATH, environ: Optional[Mapping[str, str]] = None
) -> Settings:
    """Read the settings file; BILLING_GATEWAY_URL and friends override its values."""
    environ = os.environ if environ is None else environ
    with open(path, encoding="utf-8") as fh:
        document = yaml.load(fh) or {}
    values = {key: str(value) for key, value in document.get("billing", {}).items()}
    names = [f.name for f in fields(Settings)]
    for name in names:
        override = environ.get(ENV_PREFIX + name.upper())
        if override:
            values[name] = override
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise ValueError(f"{path}: missing setting(s): {', '.join(missing)}")
    return Settings(**{key: value for key, value in values.items() if key in names})
'''

INVOICES = r'''
"""Invoices: line items, tax, totals, and the key that makes a charge idempotent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import List, Optional

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineItem:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Invoice:
    number: str
    customer_id: str
    issued: date
    tax_rate: Decimal = Decimal("0.20")
    currency: str = "EUR"
    items: List[LineItem] = field(default_factory=list)

    def add(self, sku: str, description: str, quantity: int, unit_price: str) -> LineItem:
        if quantity <= 0:
            raise ValueError(f"{sku}: quantity must be positive, got {quantity}")
        item = LineItem(sku, description, quantity, Decimal(unit_price))
        self.items.append(item)
        return item

    @property
    def subtotal(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return (self.subtotal * self.tax_rate).quantize(CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    def total_in_cents(self) -> int:
        return int(self.total * 100)

    def idempotency_key(self) -> str:
        """The gateway must never charge the same invoice twice, even when a retry resends it."""
        payload = f"{self.number}:{self.customer_id}:{self.total_in_cents()}:{self.currency}"
        return hashlib.md5(payload.encode("utf-8")).hexdigest()


def next_number(prefix: str, last: Optional[str], today: date) -> str:
    """INV-2024-0001, INV-2024-0002, ...: the sequence starts again every year."""
    if last is None or not last.startswith(f"{prefix}-{today.year}-"):
        return f"{prefix}-{today.year}-0001"
    sequence = int(last.rsplit("-", 1)[1]) + 1
    return f"{prefix}-{today.year}-{sequence:04d}"
'''

PAYMENTS = r'''
"""A thin client for the card gateway's REST API.

The gateway usually answers within a second; see the runbook for the days it does not.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import requests

from billing.invoices import Invoice

log = logging.getLogger(__name__)


class PaymentDeclined(Exception):
    def __init__(self, invoice_number: str, reason: str) -> None:
        super().__init__(f"{invoice_number}: declined ({reason})")
        self.reason = reason


class GatewayClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def charge(self, invoice: Invoice, card_token: str) -> str:
        """Charge the invoice's total to a tokenized card; returns the charge id."""
        headers = {**self.headers, "Idempotency-Key": invoice.idempotency_key()}
        body = {
            "amount": invoice.total_in_cents(),
            "currency": invoice.currency,
            "source": card_token,
            "description": f"Invoice {invoice.number}",
        }
        response = requests.post(f"{self.base_url}/v1/charges", json=body, headers=headers)
        data = response.json()
        if response.status_code == 402:
            raise PaymentDeclined(invoice.number, data.get("decline_code", "unknown"))
        response.raise_for_status()
        log.info("charged %s as %s", invoice.number, data["id"])
        return data["id"]

    def refund(self, charge_id: str, amount_cents: Optional[int] = None) -> str:
        body: Dict[str, Any] = {"charge": charge_id}
        if amount_cents is not None:
            body["amount"] = amount_cents
        response = requests.post(f"{self.base_url}/v1/refunds", json=body, headers=self.headers)
        response.raise_for_status()
        return response.json()["id"]

    def status(self, charge_id: str) -> str:
        response = requests.get(f"{self.base_url}/v1/charges/{charge_id}", headers=self.headers)
        response.raise_for_status()
        return response.json()["status"]
'''

TEST_INVOICES = r"""
from datetime import date
from decimal import Decimal

import pytest

from billing.invoices import Invoice, next_number


def make_invoice() -> Invoice:
    invoice = Invoice("INV-2024-0042", "cus_981", date(2024, 3, 1))
    invoice.add("TSHIRT-M", "T-shirt, medium", 3, "19.99")
    invoice.add("MUG", "Mug", 1, "8.50")
    return invoice


def test_totals_round_half_up_to_the_cent():
    invoice = make_invoice()
    assert invoice.subtotal == Decimal("68.47")
    assert invoice.tax == Decimal("13.69")
    assert invoice.total == Decimal("82.16")
    assert invoice.total_in_cents() == 8216


def test_quantity_must_be_positive():
    with pytest.raises(ValueError, match="quantity must be positive"):
        make_invoice().add("MUG", "Mug", 0, "8.50")


def test_idempotency_key_is_stable_and_changes_with_the_amount():
    first, second = make_invoice(), make_invoice()
    assert first.idempotency_key() == second.idempotency_key()
    second.add("STICKER", "Sticker", 1, "1.00")
    assert first.idempotency_key() != second.idempotency_key()


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, "INV-2024-0001"),
        ("INV-2024-0041", "INV-2024-0042"),
        ("INV-2023-0977", "INV-2024-0001"),
    ],
)
def test_invoice_numbers_restart_every_year(last, expected):
    assert next_number("INV", last, date(2024, 3, 1)) == expected
"""

TEST_PAYMENTS = r"""
from datetime import date

import pytest

pytest.importorskip("requests")

from billing import payments  # noqa: E402
from billing.invoices import Invoice  # noqa: E402


class FakeResponse:
    def __init__(self, status_code, data):
        self.status_code = status_code
        self._data = data

    def json(self):
        return self._data

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


@pytest.fixture
def sent(monkeypatch):
    calls = []

    def fake_post(url, **kwargs):
        calls.append((url, kwargs))
        if kwargs["json"].get("source") == "tok_declined":
            return FakeResponse(402, {"decline_code": "insufficient_funds"})
        return FakeResponse(200, {"id": "ch_1001"})

    monkeypatch.setattr(payments.requests, "post", fake_post)
    return calls


def invoice():
    invoice = Invoice("INV-2024-0042", "cus_981", date(2024, 3, 1))
    invoice.add("MUG", "Mug", 2, "8.50")
    return invoice


def test_charge_sends_cents_and_an_idempotency_key(sent):
    client = payments.GatewayClient("https://pay.example.test/", "sk_test")
    assert client.charge(invoice(), "tok_visa") == "ch_1001"
    url, kwargs = sent[0]
    assert url == "https://pay.example.test/v1/charges"
    assert kwargs["json"]["amount"] == 2040
    assert kwargs["headers"]["Idempotency-Key"] == invoice().idempotency_key()


def test_declined_charge_raises_with_the_reason(sent):
    client = payments.GatewayClient("https://pay.example.test", "sk_test")
    with pytest.raises(payments.PaymentDeclined) as declined:
        client.charge(invoice(), "tok_declined")
    assert declined.value.reason == "insufficient_funds"
"""

REPOSITORY = SampleRepo(
    name="billing-service",
    description="yaml.load without a Loader, requests calls without a timeout, md5 as a key",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "billing-service",
            "1.4.2",
            "Invoices, tax and card payments for the web shop.",
            ["PyYAML>=5.4,<6", "requests>=2.28"],
        ),
        "src/billing/__init__.py": '\n"""Invoices and payments."""\n\n__version__ = "1.4.2"\n',
        "src/billing/config.py": CONFIG,
        "src/billing/invoices.py": INVOICES,
        "src/billing/payments.py": PAYMENTS,
        "tests/test_invoices.py": TEST_INVOICES,
        "tests/test_payments.py": TEST_PAYMENTS,
    },
)
