"""Realistic values (ids, dates, people, orders) drawn from one ``random.Random``.

The tables are what a small online shop would have; every draw goes through the
one ``rng``, so the same seed gives the same values in the same order.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import unicodedata
from typing import Any

FIRST_NAMES = (
    "Ada", "Grace", "Linus", "Hedy", "Zoë", "José", "Renée", "Tomás", "Chloé", "Priya",
    "Mei", "Yusuf", "Ingrid", "Aoife", "Chidi", "Kenji", "Olga", "Fatima", "Noah", "Emeka",
)
LAST_NAMES = (
    "Lovelace", "Hopper", "Okafor", "Nakamura", "García", "Müller", "Kowalski", "Haddad",
    "Lindqvist", "Rossi", "Singh", "Dubois", "Novak", "Silva", "Chen", "Brennan",
)
EMAIL_DOMAINS = ("example.com", "example.org", "mail.example.net", "acme.example")
#: (sku, name, unit price)
PRODUCTS = (
    ("SKU-1042", "Merino crew sweater", 89.0),
    ("SKU-2210", "Ceramic pour-over set", 34.5),
    ("SKU-3307", "Trail running shoes", 129.95),
    ("SKU-4415", "Linen duvet cover", 74.0),
    ("SKU-5120", "Espresso beans 1 kg", 24.9),
    ("SKU-6631", "Waterproof backpack 28 L", 99.0),
    ("SKU-7004", "Bamboo cutting board", 19.99),
    ("SKU-8892", "Noise-cancelling headphones", 249.0),
)
#: (country, currency, locale)
COUNTRIES = (
    ("DE", "EUR", "de-DE"), ("FR", "EUR", "fr-FR"), ("GB", "GBP", "en-GB"), ("US", "USD", "en-US"),
    ("NL", "EUR", "nl-NL"), ("SE", "SEK", "sv-SE"), ("JP", "JPY", "ja-JP"), ("CA", "CAD", "en-CA"),
)
CARD_BRANDS = ("visa", "mastercard", "amex")
REGIONS = ("eu-west", "us-east", "apac")
PARTNER_HOSTS = ("hooks.acme.example", "api.partner.example", "erp.globex.example", "crm.initech.example")


class Values:
    """Realistic values drawn from ``rng``; dates relative to ``now_ms`` (epoch ms),
    which a long-running caller moves forward as time passes."""

    def __init__(self, rng: random.Random, now_ms: int) -> None:
        self.rng = rng
        self.now_ms = now_ms

    def task_id(self) -> str:
        """An id like the stores generate (26 base32 characters), but from ``rng``."""
        raw = self.rng.getrandbits(128).to_bytes(16, "big")
        return base64.b32encode(raw).decode("ascii").rstrip("=").lower()

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(4 * digits):0{digits}x}"

    def iso(self, offset_s: int = 0) -> str:
        moment = dt.datetime.fromtimestamp(self.now_ms / 1000 + offset_s, tz=dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def ago(self, low_s: int, high_s: int) -> str:
        return self.iso(-self.rng.randint(low_s, high_s))

    def day(self, days: int = 0) -> str:
        return self.iso(days * 86_400)[:10]

    def person(self) -> dict[str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        handle = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        return {
            "name": f"{first} {last}",
            "first_name": first,
            "email": f"{handle.lower()}@{self.rng.choice(EMAIL_DOMAINS)}",
        }

    def order(self, number: int) -> dict[str, Any]:
        country, currency, locale = self.rng.choice(COUNTRIES)
        items: list[dict[str, Any]] = []
        for sku, name, price in self.rng.sample(PRODUCTS, self.rng.randint(1, 4)):
            qty = self.rng.choice((1, 1, 1, 2, 3))
            items.append({"sku": sku, "name": name, "qty": qty, "unit_price": price})
        total = round(sum(item["qty"] * item["unit_price"] for item in items), 2)
        return {
            "order_id": f"ord_{number}",
            "number": number,
            "customer": {"id": f"cus_{self.hex(12)}", **self.person(), "country": country},
            "currency": currency,
            "locale": locale,
            "items": items,
            "total": total,
            "placed_at": self.ago(60, 30 * 3600),
        }
