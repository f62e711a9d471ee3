"""Demo traffic for ``sokka-tui demo``: a seeded store and a fleet of worker processes.

``seed(store)`` fills an empty store with a few hundred tasks an operator would
recognise (emails, invoices, thumbnails, webhooks, nightly reports, a search
index) and moves them, through the protocol, into every status, including a few
``running`` tasks whose lease has already ended ("stuck").

``DemoFleet(url)`` then keeps the store moving: worker processes run sokka's
``Worker`` over the topics, fail and snooze some tasks and now and then die
holding a lease; a producer process keeps adding work. Nobody serves
``UNATTENDED_TOPICS`` (the nightly batch runs at night), so their backlog grows
and their stuck leases stay there for the operator to find.

Only ``stores`` and the standard library are imported here: the fleet's
processes import this module and must start fast, without Textual.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import logging
import math
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from stores.base import StoreOptions
from stores.errors import LeaseExpired, TaskStoreError, WrongOwner
from stores.model import Task
from stores.registry import backend_for, open_store
from stores.worker import Outcome, Worker, failed, ok, snoozed

__all__ = ["DEMO_TOPICS", "UNATTENDED_TOPICS", "DemoFleet", "seed"]

log = logging.getLogger(__name__)

DEMO_TOPICS: tuple[str, ...] = (
    "billing.invoices",
    "emails",
    "reports.nightly",
    "search-index",
    "thumbnails",
    "webhooks",
)
#: Topics the fleet does not serve by default: their work piles up and their
#: stuck leases stay stuck, as when a team's workers are down.
UNATTENDED_TOPICS: tuple[str, ...] = ("reports.nightly",)

#: Owners of the seeded leases: live-looking workers, and ones that "died".
SEED_WORKER_PIDS = (
    "worker-a1:4242",
    "worker-a2:4318",
    "worker-b7:31337",
    "ip-10-0-3-17:9012",
    "billing-worker-2:18811",
    "thumbs-gpu-0:7777",
)
DEAD_WORKER_PIDS = ("worker-c3:5150", "ip-10-0-7-44:2071", "reports-cron-1:993")

#: The lease the seeded stuck tasks get: short enough to end before ``seed``
#: returns, long enough that they are all reserved before the first one ends.
STUCK_LEASE_MS = 150
#: Stuck (running, lease ended) tasks seeded per topic.
STUCK_PER_TOPIC = {"reports.nightly": 3, "billing.invoices": 1, "thumbnails": 2}

_FATE_WEIGHTS = {"terminated": 45, "starting": 24, "running": 11, "failed": 11, "snoozed": 9}
# The first tasks of every topic get these, so every topic shows every status.
_EVERY_FATE = ("terminated", "failed", "snoozed", "running", "starting")
_MOVED_FATES = frozenset({"terminated", "failed", "snoozed", "running"})


# -- realistic values ---------------------------------------------------------------

_FIRST = (
    "Ada", "Grace", "Linus", "Hedy", "Zoë", "José", "Renée", "Tomás", "Chloé", "Priya",
    "Mei", "Yusuf", "Ingrid", "Aoife", "Chidi", "Kenji", "Olga", "Fatima", "Noah", "Emeka",
)
_LAST = (
    "Lovelace", "Hopper", "Okafor", "Nakamura", "García", "Müller", "Kowalski", "Haddad",
    "Lindqvist", "Rossi", "Singh", "Dubois", "Novak", "Silva", "Chen", "Brennan",
)
_DOMAINS = ("example.com", "example.org", "mail.example.net", "acme.example")
_PRODUCTS = (
    ("SKU-1042", "Merino crew sweater", 89.0),
    ("SKU-2210", "Ceramic pour-over set", 34.5),
    ("SKU-3307", "Trail running shoes", 129.95),
    ("SKU-4415", "Linen duvet cover", 74.0),
    ("SKU-5120", "Espresso beans 1 kg", 24.9),
    ("SKU-6631", "Waterproof backpack 28 L", 99.0),
    ("SKU-7004", "Bamboo cutting board", 19.99),
    ("SKU-8892", "Noise-cancelling headphones", 249.0),
)
_COUNTRIES = (
    ("DE", "EUR", "de-DE"), ("FR", "EUR", "fr-FR"), ("GB", "GBP", "en-GB"), ("US", "USD", "en-US"),
    ("NL", "EUR", "nl-NL"), ("SE", "SEK", "sv-SE"), ("JP", "JPY", "ja-JP"), ("CA", "CAD", "en-CA"),
)
_CARD_BRANDS = ("visa", "mastercard", "amex")
_REGIONS = ("eu-west", "us-east", "apac")
_PARTNERS = ("hooks.acme.example", "api.partner.example", "erp.globex.example", "crm.initech.example")


class _Gen:
    """Realistic values drawn from one ``random.Random``; times relative to ``now_ms``."""

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
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        handle = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        return {
            "name": f"{first} {last}",
            "first_name": first,
            "email": f"{handle.lower()}@{self.rng.choice(_DOMAINS)}",
        }

    def order(self, number: int) -> dict[str, Any]:
        country, currency, locale = self.rng.choice(_COUNTRIES)
        items = []
        for sku, name, price in self.rng.sample(_PRODUCTS, self.rng.randint(1, 4)):
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


def _task(
    gen: _Gen,
    topic: str,
    sub_topic: str,
    description: str | None,
    data: Any,
    *,
    group: str | None = None,
    timeout_ms: int | None = None,
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "task_id": gen.task_id(),
        "topic": topic,
        "sub_topic": sub_topic,
        "task_description": description,
        "data": data,
    }
    if group is not None:
        task["task_group_id"] = group
    if timeout_ms is not None:
        task["timeout_ms"] = timeout_ms
    return task


# -- the kinds of work ---------------------------------------------------------------


def _order_tasks(gen: _Gen, number: int) -> list[dict[str, Any]]:
    """One order's work across topics, in one group named after the order (3 to 9 tasks)."""
    rng, order, group = gen.rng, gen.order(number), f"order-{number}"
    customer, year = order["customer"], gen.day()[:4]
    invoice_id = f"INV-{year}-{number:06d}"
    tasks = [
        _task(
            gen, "billing.invoices", "charge",
            f"Charge {order['currency']} {order['total']:.2f} for order {number}",
            {
                "invoice_id": invoice_id,
                "order_id": order["order_id"],
                "customer": {k: customer[k] for k in ("id", "name", "country")},
                "amount": {"value": order["total"], "currency": order["currency"]},
                "payment_method": {
                    "type": "card", "brand": rng.choice(_CARD_BRANDS), "last4": f"{rng.randint(0, 9999):04d}",
                },
                "lines": order["items"],
                "idempotency_key": f"charge-{order['order_id']}",
            },
            group=group, timeout_ms=30_000,
        ),
        _task(
            gen, "emails", "receipt", f"Send receipt for order {number} to {customer['email']}",
            {
                "to": customer["email"],
                "template": "order-receipt",
                "locale": order["locale"],
                "vars": {
                    "first_name": customer["first_name"],
                    "order_id": order["order_id"],
                    "total": f"{order['total']:.2f} {order['currency']}",
                    "items": [f"{item['qty']} x {item['name']}" for item in order["items"]],
                },
            },
            group=group,
        ),
        _task(
            gen, "search-index", "orders", f"Index order {number}",
            {
                "index": "orders-v3",
                "op": "upsert",
                "doc": {
                    "id": order["order_id"],
                    "customer_id": customer["id"],
                    "status": "paid",
                    "total": order["total"],
                    "skus": [item["sku"] for item in order["items"]],
                    "placed_at": order["placed_at"],
                },
            },
            group=group,
        ),
    ]
    for item in order["items"]:
        if rng.random() < 0.5:
            tasks.append(_task(
                gen, "thumbnails", "product-image", f"Thumbnails for {item['sku']} ({item['name']})",
                {
                    "source": f"s3://media-prod/catalog/{item['sku'].lower()}/{gen.hex(8)}.jpg",
                    "sizes": [[96, 96], [320, 320], [1024, 1024]],
                    "format": "webp",
                    "quality": rng.choice((75, 82, 90)),
                },
                group=group, timeout_ms=20_000,
            ))
    if rng.random() < 0.6:
        tasks.append(_task(
            gen, "webhooks", "shopify", f"Notify storefront: order {number} paid",
            {
                "endpoint": "https://storefront.example/webhooks/orders",
                "event": "orders/paid",
                "attempt": 1,
                "payload": {"id": number, "financial_status": "paid", "total_price": f"{order['total']:.2f}"},
                "headers": {"X-Shop-Topic": "orders/paid", "X-Request-Id": gen.hex(16)},
            },
            group=group, timeout_ms=10_000,
        ))
    if rng.random() < 0.25:
        tasks.append(_task(
            gen, "billing.invoices", "generate", f"Render invoice PDF {invoice_id}",
            {"invoice_id": invoice_id, "template": "invoice-2025", "locale": order["locale"], "pdf": True},
            group=group,
        ))
    return tasks


def _signup_tasks(gen: _Gen) -> list[dict[str, Any]]:
    person, user_id = gen.person(), f"usr_{gen.hex(10)}"
    group = f"signup-{user_id}"
    return [
        _task(
            gen, "emails", "welcome", f"Welcome email to {person['email']}",
            {"to": person["email"], "template": "welcome", "vars": {"first_name": person["first_name"]}},
            group=group,
        ),
        _task(
            gen, "thumbnails", "avatar", f"Avatar for {person['name']}",
            {"source": f"s3://media-prod/avatars/{user_id}/original.png", "sizes": [[32, 32], [128, 128]],
             "format": "png", "crop": "face"},
            group=group, timeout_ms=15_000,
        ),
        _task(
            gen, "search-index", "customers", f"Index customer {user_id}",
            {"index": "customers-v5", "op": "upsert",
             "doc": {"id": user_id, "name": person["name"], "email": person["email"],
                     "signed_up_at": gen.ago(5, 7200)}},
            group=group,
        ),
    ]


def _reindex_tasks(gen: _Gen, chunks: int = 8) -> list[dict[str, Any]]:
    group, size = f"reindex-products-v8-{gen.day()}", 2_500
    return [
        _task(
            gen, "search-index", "products", f"Reindex products, chunk {i + 1} of {chunks}",
            {"index": "products-v8", "alias": "products", "op": "bulk", "chunk": i + 1, "of": chunks,
             "doc_ids": {"from": i * size + 1, "to": (i + 1) * size}, "refresh": i + 1 == chunks},
            group=group, timeout_ms=600_000,
        )
        for i in range(chunks)
    ]


def _nightly_tasks(gen: _Gen) -> list[dict[str, Any]]:
    day = gen.day(-1)
    group = f"nightly-{day}"
    tasks = [
        _task(
            gen, "reports.nightly", "sales", f"Sales by day, {region}, {day}",
            {"report": "sales-by-day", "region": region, "period": {"from": day, "to": day},
             "format": "parquet", "output": f"s3://reports-prod/sales/{region}/{day}.parquet"},
            group=group, timeout_ms=3_600_000,
        )
        for region in _REGIONS
    ]
    tasks.append(_task(
        gen, "reports.nightly", "inventory", f"Inventory snapshot {day}",
        {"report": "inventory-snapshot", "warehouses": ["BER-1", "AMS-2", "NJ-4"], "format": "csv"},
        group=group, timeout_ms=1_800_000,
    ))
    tasks.append(_task(
        gen, "emails", "digest", f"Nightly report digest {day} to finance",
        {"to": ["finance@example.com", "ops-leads@example.com"], "template": "nightly-digest",
         "attachments": [f"s3://reports-prod/sales/{region}/{day}.parquet" for region in _REGIONS]},
        group=group,
    ))
    return tasks


def _single(gen: _Gen, topic: str) -> dict[str, Any]:
    """One stand-alone task of ``topic`` (its group is its own id)."""
    rng = gen.rng
    if topic == "emails":
        person = gen.person()
        kind = rng.choice(("password-reset", "password-reset", "digest", "promo"))
        if kind == "password-reset":
            return _task(gen, topic, kind, f"Password reset for {person['email']}",
                         {"to": person["email"], "template": "password-reset",
                          "vars": {"first_name": person["first_name"], "token_expires_at": gen.iso(1800)}})
        if kind == "digest":
            return _task(gen, topic, kind, f"Weekly digest to {person['email']}",
                         {"to": person["email"], "template": "weekly-digest",
                          "vars": {"unread": rng.randint(1, 40), "since": gen.day(-7)}})
        return _task(gen, topic, kind, None,
                     {"to": person["email"], "template": "autumn-sale", "campaign": f"cmp_{gen.hex(6)}",
                      "unsubscribe_url": f"https://shop.example/u/{gen.hex(24)}"})
    if topic == "billing.invoices":
        number = rng.randint(1000, 9999)
        kind = rng.choice(("refund", "dunning", "generate"))
        invoice_id = f"INV-{gen.day()[:4]}-{number:06d}"
        if kind == "refund":
            amount = round(rng.uniform(5, 250), 2)
            return _task(gen, topic, kind, f"Refund {amount:.2f} EUR on {invoice_id}",
                         {"invoice_id": invoice_id, "amount": {"value": amount, "currency": "EUR"},
                          "reason": rng.choice(("damaged", "late-delivery", "duplicate-charge")),
                          "requested_by": gen.person()["email"]}, timeout_ms=30_000)
        if kind == "dunning":
            return _task(gen, topic, kind, f"Payment reminder {rng.randint(1, 3)} for {invoice_id}",
                         {"invoice_id": invoice_id, "due_date": gen.day(-rng.randint(3, 40)),
                          "outstanding": {"value": round(rng.uniform(20, 900), 2), "currency": "EUR"}})
        return _task(gen, topic, kind, f"Render invoice PDF {invoice_id}",
                     {"invoice_id": invoice_id, "template": "invoice-2025", "pdf": True})
    if topic == "thumbnails":
        if rng.random() < 0.5:
            video = f"vid_{gen.hex(8)}"
            return _task(gen, topic, "video-poster", f"Poster frame for {video}",
                         {"source": f"s3://media-prod/videos/{video}.mp4", "at_seconds": rng.randint(1, 30),
                          "sizes": [[640, 360], [1280, 720]], "format": "jpeg"}, timeout_ms=60_000)
        user_id = f"usr_{gen.hex(10)}"
        return _task(gen, topic, "avatar", f"Avatar for {user_id}",
                     {"source": f"s3://media-prod/avatars/{user_id}/original.heic",
                      "sizes": [[32, 32], [128, 128]], "format": "png", "crop": "face"}, timeout_ms=15_000)
    if topic == "webhooks":
        if rng.random() < 0.5:
            event = rng.choice(("invoice.paid", "charge.refunded", "customer.subscription.updated"))
            return _task(gen, topic, "stripe", f"Handle Stripe {event}",
                         {"event_id": f"evt_{gen.hex(24)}", "type": event, "livemode": True,
                          "received_at": gen.ago(1, 600)}, timeout_ms=10_000)
        host = rng.choice(_PARTNERS)
        return _task(gen, topic, "partner-callback", f"Callback to {host}",
                     {"endpoint": f"https://{host}/callbacks/sokka", "method": "POST",
                      "attempt": rng.randint(1, 5),
                      "payload": {"shipment_id": f"shp_{gen.hex(10)}", "status": "delivered"}},
                     timeout_ms=10_000)
    if topic == "reports.nightly":
        day = gen.day(-rng.randint(1, 3))
        kind = rng.choice(("sales", "inventory", "finance"))
        if kind == "finance":
            return _task(gen, topic, kind, f"Revenue recognition {day}",
                         {"report": "revenue-recognition", "ledger": "GL-2000",
                          "period": {"from": day, "to": day}, "format": "xlsx"}, timeout_ms=3_600_000)
        region = rng.choice(_REGIONS)
        return _task(gen, topic, kind, f"{kind.capitalize()} report {region} {day}",
                     {"report": f"{kind}-daily", "region": region, "period": {"from": day, "to": day},
                      "format": "csv"}, timeout_ms=1_800_000)
    if topic == "search-index":
        sku = rng.choice(_PRODUCTS)
        return _task(gen, topic, "products", f"Reindex {sku[0]}",
                     {"index": "products-v8", "op": rng.choice(("upsert", "upsert", "delete")),
                      "doc": {"id": sku[0], "title": sku[1], "price": sku[2],
                              "in_stock": rng.random() < 0.8}})
    raise ValueError(f"Not a demo topic: {topic!r}")


# -- error texts ------------------------------------------------------------------


def _traceback(frames: Sequence[tuple[str, int, str, str]], last: str) -> str:
    lines = ["Traceback (most recent call last):"]
    for path, line, function, code in frames:
        lines += [f'  File "{path}", line {line}, in {function}', f"    {code}"]
    return "\n".join([*lines, last])


def _error_text(gen: _Gen, topic: str) -> str:
    """A failure as that topic's workers would report it: one line, or a traceback."""
    rng = gen.rng
    if topic == "billing.invoices":
        return rng.choice((
            lambda: _traceback(
                [("/srv/billing/billing/worker.py", 88, "handle",
                  "receipt = gateway.charge(invoice, idempotency_key=task.task_id)"),
                 ("/srv/billing/billing/gateway.py", 142, "charge",
                  'raise CardDeclined(body["error"]["message"], code=body["error"]["decline_code"])')],
                "billing.gateway.CardDeclined: Your card was declined. (decline_code=insufficient_funds)",
            ),
            lambda: "Refund exceeds the amount captured on this charge "
                    "(captured 49.90 EUR, asked 59.90 EUR).",
            lambda: f"Invoice INV-{gen.day()[:4]}-{rng.randint(1000, 9999):06d} is locked by period close.",
        ))()
    if topic == "emails":
        email = gen.person()["email"]
        return rng.choice((
            lambda: f"smtplib.SMTPRecipientsRefused: {{'{email}': (550, b'5.1.1 <{email}>: "
                    "Recipient address rejected: User unknown')}",
            lambda: "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
            lambda: _traceback(
                [("/srv/mailer/mailer/render.py", 51, "render",
                  "return template.render(**task.data['vars'])"),
                 ("/usr/lib/python3.12/site-packages/jinja2/environment.py", 1304, "render",
                  "self.environment.handle_exception()")],
                "jinja2.exceptions.UndefinedError: 'dict object' has no attribute 'coupon_code'",
            ),
        ))()
    if topic == "thumbnails":
        return rng.choice((
            lambda: _traceback(
                [("/srv/thumbs/thumbs/worker.py", 37, "handle",
                  "image = Image.open(fetch(task.data['source']))"),
                 ("/usr/lib/python3.12/site-packages/PIL/Image.py", 3339, "open",
                  'raise UnidentifiedImageError(msg)')],
                f"PIL.UnidentifiedImageError: cannot identify image file '/tmp/thumbs/{gen.hex(8)}.jpg'",
            ),
            lambda: "botocore.exceptions.ClientError: An error occurred (NoSuchKey) when calling the "
                    "GetObject operation: The specified key does not exist.",
            lambda: "Decompressed image is larger than the 89,478,485 pixel limit (DecompressionBombError).",
        ))()
    if topic == "webhooks":
        host = rng.choice(_PARTNERS)
        return rng.choice((
            lambda: f"HTTP 503 Service Unavailable from https://{host}/callbacks/sokka after 3 attempts.",
            lambda: f"requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='{host}', port=443): "
                    "Max retries exceeded with url: /callbacks/sokka (connect timeout=10)",
            lambda: "Signature check failed: X-Signature does not match the payload (secret rotated?).",
        ))()
    if topic == "reports.nightly":
        return rng.choice((
            lambda: _traceback(
                [("/srv/reports/reports/run.py", 112, "run",
                  "rows = cursor.execute(query, params).fetchall()"),
                 ("/usr/lib/python3.12/site-packages/psycopg/cursor.py", 97, "execute",
                  "raise ex.with_traceback(None)")],
                "psycopg.errors.QueryCanceled: canceling statement due to statement timeout",
            ) + "\n\nDuring handling of the above exception, another exception occurred:\n\n" + _traceback(
                [("/srv/reports/reports/run.py", 118, "run",
                  "raise ReportFailed(report, 'query timed out')")],
                "reports.errors.ReportFailed: sales-by-day: query timed out after 1800 s",
            ),
            lambda: "MemoryError: the export needed more than the worker's 4 GiB.",
        ))()
    return rng.choice((
        lambda: "elasticsearch.ApiError: ApiError(429, 'es_rejected_execution_exception', "
                "'rejected execution of coordinating operation')",
        lambda: "mapper_parsing_exception: failed to parse field [price] of type [float] in document "
                f"with id 'SKU-{rng.randint(1000, 9999)}'. Preview of field's value: 'N/A'",
        lambda: "Index products-v8 is read-only: flood-stage disk watermark [95%] exceeded.",
    ))()


# -- the seeded demo ----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What ``seed`` does to one task after creating it."""

    fate: str  # a status to reach, or "stuck" (running, lease ended)
    extends: int = 0
    error: str | None = None
    snooze_ms: int | None = None


def _hostile_tasks(gen: _Gen) -> list[tuple[dict[str, Any], _Plan]]:
    """A handful of tasks a naive UI would mangle: markup, an action link, emoji, a very
    long line, terminal escapes. The console must show them literally."""
    long_query = "https://shop.example/search?" + "&".join(
        f"facet[{name}][]={value}"
        for name in ("color", "size", "brand", "material")
        for value in ("red", "blue", "xs", "xl", "acme", "globex", "linen", "merino", "wool", "cotton") * 5
    )
    return [
        (
            _task(gen, "emails", "promo", "Promo blast: [bold red]FLASH SALE[/] 50% off 🎉",
                  {"segment": "newsletter-eu", "template": "flash-sale",
                   "subject": "[bold red]FLASH SALE[/] ends at midnight 🎉🛍️",
                   "preheader": "Don't miss out, Zoë 👋"}),
            _Plan("starting"),
        ),
        (
            _task(gen, "webhooks", "partner-callback", "Callback to partner [@click=app.quit]Acme[/]",
                  {"endpoint": "https://hooks.acme.example/sokka",
                   "payload": {"message": "[@click=app.quit]click here[/] to confirm", "note": "oops [/] x"}},
                  timeout_ms=10_000),
            _Plan("failed", error=_traceback(
                [("/srv/hooks/hooks/templates.py", 64, "render_payload", "return markup.render(template)")],
                "ValueError: closing tag '[/]' at position 5 has nothing to close in 'oops [/] x'",
            )),
        ),
        (
            _task(gen, "thumbnails", "product-image",
                  "Poster for 「夏祭り」 campaign 🎆 uploaded by Zoë Müller",
                  {"source": "s3://media-prod/uploads/2025/07/夏祭り-poster 🎆.png",
                   "sizes": [[320, 320], [1024, 1024]], "format": "webp", "alt": "花火と屋台 🏮"},
                  timeout_ms=20_000),
            _Plan("running"),
        ),
        (
            _task(gen, "search-index", "products",
                  "Warm the search cache for the saved query of the merchandising team (colour, size, "
                  "brand and material facets for the autumn landing page, all combinations, requested "
                  "again after the last deploy wiped the cache; ask #search-oncall before cancelling "
                  "this one, it takes a while and the landing page is slow without it)",
                  {"index": "products-v8", "op": "warm-cache", "query_url": long_query}),
            _Plan("snoozed", snooze_ms=20 * 60_000),
        ),
        (
            _task(gen, "billing.invoices", "charge", "Charge order 31337 (gateway log attached)",
                  {"invoice_id": "INV-2025-031337", "amount": {"value": 12.5, "currency": "EUR"}},
                  timeout_ms=30_000),
            _Plan("failed", error=(
                "\x1b[31mERROR\x1b[0m \x1b[1mgateway\x1b[0m request failed: 402 Payment Required\n"
                "\x1b[2m  at charge (gateway.py:142)\x1b[0m\x1b]0;pwned\x07"
            )),
        ),
    ]


def _demo_tasks(gen: _Gen) -> tuple[list[dict[str, Any]], dict[str, _Plan]]:
    """Every seeded task in creation order, and the fixed plans of the hostile ones."""
    rng = gen.rng
    tasks: list[dict[str, Any]] = []
    number = rng.randint(10_000, 12_000)
    for _ in range(32):
        number += rng.randint(1, 40)
        tasks += _order_tasks(gen, number)
    for _ in range(14):
        tasks += _signup_tasks(gen)
    tasks += _reindex_tasks(gen)
    tasks += _nightly_tasks(gen)
    for topic in DEMO_TOPICS:
        extra = 14 if topic == "reports.nightly" else 0
        tasks += [_single(gen, topic) for _ in range(rng.randint(12, 20) + extra)]
    fixed: dict[str, _Plan] = {}
    for task, plan in _hostile_tasks(gen):
        tasks.append(task)
        fixed[task["task_id"]] = plan
    return tasks, fixed


def _plan(gen: _Gen, topic: str, fate: str) -> _Plan:
    rng = gen.rng
    if fate == "failed":
        return _Plan(fate, extends=rng.choice((0, 0, 1)), error=_error_text(gen, topic))
    if fate == "snoozed":
        # Some wake within the demo (their countdown visibly runs out), most much later.
        seconds = rng.randint(20, 120) if rng.random() < 0.4 else rng.randint(5, 45) * 60
        return _Plan(fate, snooze_ms=seconds * 1000)
    if fate in ("terminated", "running"):
        return _Plan(fate, extends=rng.choice((0, 0, 0, 1, 2)))
    return _Plan(fate)


def _plans(gen: _Gen, tasks: list[dict[str, Any]], fixed: dict[str, _Plan]) -> dict[str, _Plan]:
    """A fate for every task; every topic gets every status and its stuck tasks."""
    rng = gen.rng
    plans = dict(fixed)
    fates, weights = list(_FATE_WEIGHTS), list(_FATE_WEIGHTS.values())
    for topic in DEMO_TOPICS:
        mine = [task for task in tasks if task["topic"] == topic and task["task_id"] not in fixed]
        rng.shuffle(mine)
        forced = [*_EVERY_FATE, *["stuck"] * STUCK_PER_TOPIC.get(topic, 0)]
        for i, task in enumerate(mine):
            fate = forced[i] if i < len(forced) else rng.choices(fates, weights)[0]
            plans[task["task_id"]] = _plan(gen, topic, fate)
    return plans


@contextlib.contextmanager
def _lease_time(store, lease_time_ms: int) -> Iterator[None]:
    # seed() is handed a store, not a URL, and an in-memory SQLite store can't be
    # opened twice; so instead of a second short-lease handle, the store's own
    # lease time is lowered for a few reservations (no other thread uses it yet).
    saved = store.lease_time_ms
    store.lease_time_ms = lease_time_ms
    try:
        yield
    finally:
        store.lease_time_ms = saved


def _apply(store, task: Task, plan: _Plan) -> None:
    try:
        for _ in range(plan.extends):
            store.extend_lease(task.task_id, task.pid)
        if plan.fate == "terminated":
            store.terminate(task.task_id, task.pid)
        elif plan.fate == "failed":
            store.fail(task.task_id, task.pid, plan.error)
        elif plan.fate == "snoozed":
            store.snooze(task.task_id, task.pid, plan.snooze_ms)
    except (LeaseExpired, WrongOwner):
        pass  # only on a store with a lease shorter than a few writes: the task stays running


def _play(store, tasks: list[dict[str, Any]], plans: dict[str, _Plan], pid_rng: random.Random,
          pids: Sequence[str]) -> list[int]:
    """Reserve each of ``tasks`` (the only reservable ones of their topics) and give it
    its planned fate. Returns the lease ends of the reservations made."""
    pending: dict[str, set[str]] = {}
    for task in tasks:
        pending.setdefault(task["topic"], set()).add(task["task_id"])
    lease_ends: list[int] = []
    for topic, ids in pending.items():
        # A few spare attempts: on a store with a very short lease a task we already
        # left running may come back; it is simply reserved again.
        for _ in range(2 * len(ids) + 2):
            if not ids:
                break
            task = store.reserve_task(topic, pid_rng.choice(pids))
            if task is None:
                break
            lease_ends.append(task.lease_expires_at)
            if task.task_id in ids:
                ids.discard(task.task_id)
                _apply(store, task, plans[task.task_id])
    return lease_ends


def _wait_past(store, moment_ms: int, limit_s: float = 5.0) -> None:
    """Sleep until the store's clock is past ``moment_ms`` (at most ``limit_s``)."""
    give_up = time.monotonic() + limit_s
    while (now := store.now_ms()) <= moment_ms and time.monotonic() < give_up:
        time.sleep(min(0.05, (moment_ms - now + 1) / 1000))


def seed(store, *, seed: int = 7, now_ms: int | None = None) -> int:
    """Fill an empty ``store`` with the demo: about 350 tasks in six topics, in every
    status, with groups spanning topics, and a few ``running`` tasks whose lease has
    ended. Returns the number of tasks created.

    The same ``seed`` gives the same task ids, topics and statuses; with the same
    ``now_ms`` too (default: the store's clock), the same groups, descriptions,
    data and errors, whose dates are relative to it. Which seeded worker pid holds
    which lease follows the store's reservation order. Takes a fraction of a
    second (it waits about ``STUCK_LEASE_MS`` for the stuck leases to end); call it
    before other threads use ``store``.

    Raises ``ValueError`` when the store already has tasks, and what the store
    raises (``StoreUnavailable``, ``ReadOnlyStore``).
    """
    if store.topics():
        raise ValueError("seed() fills an empty store, and this one already has tasks.")
    rng = random.Random(seed)
    pid_rng = random.Random(f"{seed}:pids")
    gen = _Gen(rng, store.now_ms() if now_ms is None else now_ms)
    tasks, fixed = _demo_tasks(gen)
    plans = _plans(gen, tasks, fixed)

    def with_fate(*fates: str) -> list[dict[str, Any]]:
        return [task for task in tasks if plans[task["task_id"]].fate in fates]

    # Tasks are created in three waves so that each reservation below can only
    # take a task meant for it: first everything that moves, then the stuck ones,
    # then the ones left waiting.
    moved = with_fate(*_MOVED_FATES)
    store.create_tasks(moved)
    _play(store, moved, plans, pid_rng, SEED_WORKER_PIDS)
    stuck = with_fate("stuck")
    store.create_tasks(stuck)
    with _lease_time(store, STUCK_LEASE_MS):
        stuck_until = _play(store, stuck, plans, pid_rng, DEAD_WORKER_PIDS)
    store.create_tasks(with_fate("starting"))
    if stuck_until:
        _wait_past(store, max(stuck_until))
    return len(tasks)


# -- the fleet ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ChildConfig:
    """What a fleet process needs; pickled to the spawned child."""

    role: str  # "worker" or "producer"
    index: int
    url: str
    namespace: str
    lease_time_ms: int
    topics: tuple[str, ...]
    parent_pid: int
    crash_rate: float
    work_s: tuple[float, float]
    every_s: tuple[float, float]


def _silence() -> None:
    """The console owns the terminal: a child writes nothing to it, and ignores the
    terminal's Ctrl+C (the parent stops it; it stops by itself if the parent dies)."""
    logging.disable(logging.CRITICAL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _handler(rng: random.Random, config: _ChildConfig) -> Callable[[Task], Outcome]:
    gen = _Gen(rng, 0)
    low, high = config.work_s

    def handle(task: Task) -> Outcome:
        seconds = rng.uniform(low, high)
        if rng.random() < config.crash_rate:
            time.sleep(seconds * rng.random())
            os._exit(1)  # die holding the lease: the task stays running until it expires
        time.sleep(seconds)
        roll = rng.random()
        if roll < 0.10:
            return failed(_error_text(gen, task.topic))
        if roll < 0.20:
            return snoozed(rng.randint(2_000, 8_000))
        return ok()

    return handle


def _start_workers(store, config: _ChildConfig) -> Callable[[], bool]:
    pid = f"demo-worker-{config.index}:{os.getpid()}"
    workers = [
        Worker(store, topic, _handler(random.Random(), config), pid=pid, max_poll_interval_ms=500).start()
        for topic in config.topics
    ]
    return lambda: all(worker.running for worker in workers)


def _live_batch(gen: _Gen, number: int) -> list[dict[str, Any]]:
    """What the producer adds in one tick: a task or two, an order, or now and then a burst."""
    rng = gen.rng
    roll = rng.random()
    if roll < 0.15:
        return _order_tasks(gen, number)
    if roll < 0.20:
        topic = rng.choice(("search-index", "thumbnails", "emails", "reports.nightly"))
        return [_single(gen, topic) for _ in range(rng.randint(8, 20))]
    weights = [1 if topic in UNATTENDED_TOPICS else 4 for topic in DEMO_TOPICS]
    return [_single(gen, rng.choices(DEMO_TOPICS, weights)[0]) for _ in range(rng.randint(1, 2))]


def _produce(store, config: _ChildConfig) -> None:
    rng = random.Random()
    gen = _Gen(rng, 0)
    number = rng.randint(20_000, 60_000)
    low, high = config.every_s
    while True:
        time.sleep(rng.uniform(low, high))
        gen.now_ms = time.time_ns() // 1_000_000
        number += rng.randint(1, 9)
        # A busy or unreachable store only costs this tick's tasks.
        with contextlib.suppress(TaskStoreError):
            store.create_tasks(_live_batch(gen, number))


def _open_child_store(config: _ChildConfig):
    for attempt in range(5):
        try:
            return open_store(config.url, namespace=config.namespace, lease_time_ms=config.lease_time_ms)
        except TaskStoreError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _child_main(config: _ChildConfig) -> None:
    """A fleet process: runs until the parent stops it, or exits when the parent is gone."""
    _silence()
    try:
        store = _open_child_store(config)
    except Exception:  # nowhere to report it: the fleet restarts us later
        os._exit(3)
    if config.role == "worker":
        healthy = _start_workers(store, config)
    else:
        thread = threading.Thread(
            target=_produce, args=(store, config), name="sokka-demo-producer", daemon=True
        )
        thread.start()
        healthy = thread.is_alive
    parent = multiprocessing.parent_process()
    while True:
        # The parent's sentinel becomes readable the moment it dies, even by SIGKILL;
        # getppid() is the fallback should the sentinel be missing.
        if parent is not None:
            parent.join(0.5)
            if not parent.is_alive():
                os._exit(0)
        else:
            time.sleep(0.5)
        if os.getppid() != config.parent_pid:
            os._exit(0)
        if not healthy():
            os._exit(1)  # a worker thread died: let the fleet start a fresh process


@dataclass
class _Slot:
    config: _ChildConfig
    process: Any = None
    started_at: float = 0.0
    not_before: float = 0.0
    quick_deaths: int = 0


class DemoFleet:
    """Worker and producer processes that keep a demo store busy.

    ``workers`` processes each run a ``stores.worker.Worker`` per topic (in threads)
    over a share of ``topics`` (default: ``DEMO_TOPICS`` except
    ``UNATTENDED_TOPICS``), so every topic is served by about two processes. Each
    task takes ``work_s`` seconds, then mostly ends ``ok()``, sometimes
    ``failed(...)`` or ``snoozed(2-8 s)``; with probability ``crash_rate`` the
    process dies holding the lease instead, and the fleet starts a replacement.
    With ``producer``, one more process adds tasks every ``produce_every_s``
    seconds. Children never write to the terminal and exit by themselves when
    this process dies.

    ``start()`` returns at once; ``stop(timeout)`` ends every child within
    ``timeout`` seconds. Also a context manager. Raises ``InvalidArgument`` for a
    URL or option no store would take, ``ValueError`` for a private in-memory
    SQLite URL (other processes cannot see it).
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "sokka",
        lease_time_ms: int = 6000,
        workers: int = 3,
        producer: bool = True,
        topics: Sequence[str] | None = None,
        crash_rate: float = 1 / 40,
        work_s: tuple[float, float] = (0.3, 4.0),
        produce_every_s: tuple[float, float] = (0.3, 1.0),
    ) -> None:
        backend_for(url)
        StoreOptions.parse({"namespace": namespace, "lease_time_ms": lease_time_ms})
        if url.startswith("sqlite://") and url[len("sqlite://"):].split("?")[0] == ":memory:":
            raise ValueError("A fleet needs a store other processes can open, not sqlite://:memory:.")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
            raise ValueError("workers must be a whole number, 0 or more.")
        self.url = url
        self.namespace = namespace
        self.lease_time_ms = lease_time_ms
        self.workers = workers
        self.producer = producer
        self.topics = tuple(topics) if topics is not None else tuple(
            topic for topic in DEMO_TOPICS if topic not in UNATTENDED_TOPICS
        )
        self.crash_rate = crash_rate
        self.work_s = (float(work_s[0]), float(work_s[1]))
        self.produce_every_s = (float(produce_every_s[0]), float(produce_every_s[1]))
        #: How many times a dead child was replaced.
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._slots: list[_Slot] = []
        self._monitor: threading.Thread | None = None

    def __enter__(self) -> DemoFleet:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def pids(self) -> list[int]:
        """The process ids of the children alive now."""
        with self._lock:
            return [s.process.pid for s in self._slots if s.process is not None and s.process.is_alive()]

    @property
    def running(self) -> bool:
        return self._monitor is not None

    def _configs(self) -> list[_ChildConfig]:
        def config(role: str, index: int, topics: tuple[str, ...]) -> _ChildConfig:
            return _ChildConfig(
                role=role, index=index, url=self.url, namespace=self.namespace,
                lease_time_ms=self.lease_time_ms, topics=topics, parent_pid=os.getpid(),
                crash_rate=self.crash_rate, work_s=self.work_s, every_s=self.produce_every_s,
            )

        n = len(self.topics)
        # Each process serves a rotating share of the topics, so that each topic
        # has about two processes and one crash never leaves it unserved.
        share = n if self.workers <= 1 else min(n, max(1, math.ceil(2 * n / self.workers)))
        configs = [
            config("worker", i, tuple(self.topics[(i * share + j) % n] for j in range(share)))
            for i in range(self.workers if n else 0)
        ]
        if self.producer:
            configs.append(config("producer", 0, DEMO_TOPICS))
        return configs

    def start(self) -> DemoFleet:
        """Start the children and the thread that replaces dead ones; returns at once."""
        with self._lock:
            if self._monitor is not None:
                raise RuntimeError("The demo fleet is already running.")
            self._stopping.clear()
            self._slots = [_Slot(config) for config in self._configs()]
            for slot in self._slots:
                self._launch(slot)
            self._monitor = threading.Thread(target=self._watch, name="sokka-demo-fleet", daemon=True)
            self._monitor.start()
        return self

    def _launch(self, slot: _Slot) -> None:
        process = self._context.Process(
            target=_child_main,
            args=(slot.config,),
            name=f"sokka-demo-{slot.config.role}-{slot.config.index}",
            daemon=True,  # multiprocessing ends them should this process exit without stop()
        )
        process.start()
        slot.process, slot.started_at = process, time.monotonic()

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            with self._lock:
                if self._stopping.is_set():
                    return
                for slot in self._slots:
                    try:
                        self._tend(slot)
                    except Exception:  # e.g. out of processes: try again next round
                        log.debug("Could not restart %s", slot.config, exc_info=True)

    def _tend(self, slot: _Slot) -> None:
        now = time.monotonic()
        process = slot.process
        if process is not None:
            if process.is_alive():
                return
            process.join(0)
            with contextlib.suppress(ValueError):
                process.close()
            slot.process = None
            # A child that dies right after starting (store unreachable, say) is
            # restarted with a growing delay, not in a tight loop.
            slot.quick_deaths = slot.quick_deaths + 1 if now - slot.started_at < 5 else 0
            delay = min(5.0, 0.25 * 2 ** (slot.quick_deaths - 1)) if slot.quick_deaths else 0.0
            slot.not_before = now + delay
        if now >= slot.not_before:
            self._launch(slot)
            self.restarts += 1

    def stop(self, timeout: float = 5) -> None:
        """End every child within ``timeout`` seconds: SIGTERM, then SIGKILL for any left.

        Tasks a child held stay ``running`` until their lease ends, as after a crash."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        monitor = self._monitor
        if monitor is not None:
            monitor.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            processes = [slot.process for slot in self._slots if slot.process is not None]
            for process in processes:
                if process.is_alive():
                    process.terminate()
            grace = deadline - min(1.0, timeout / 4)
            for process in processes:
                process.join(max(0.0, grace - time.monotonic()))
            for process in processes:
                if process.is_alive():
                    process.kill()
            for process in processes:
                process.join(max(0.01, deadline - time.monotonic()))
                if process.exitcode is not None:
                    with contextlib.suppress(ValueError):
                        process.close()
            self._slots = []
            self._monitor = None
