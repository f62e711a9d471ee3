"""The tasks a small shop's services would enqueue: orders, sign-ups, a reindex,
the nightly reports, and stand-alone tasks of every demo topic.

Each builder returns task maps ready for ``create_tasks``, drawing everything
from one ``Values``; tasks of one business event share a group.
"""

from __future__ import annotations

from typing import Any

from sokka_tui.demo.values import CARD_BRANDS, PARTNER_HOSTS, PRODUCTS, REGIONS, Values


def new_task(
    values: Values,
    topic: str,
    sub_topic: str,
    description: str | None,
    data: Any,
    *,
    group: str | None = None,
    timeout_ms: int | None = None,
) -> dict[str, Any]:
    """One task map for ``create_tasks``; its group defaults to its own id."""
    task: dict[str, Any] = {
        "task_id": values.task_id(),
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


def order_tasks(values: Values, number: int) -> list[dict[str, Any]]:
    """One order's work across topics, in one group named after the order (3 to 9 tasks)."""
    rng, order, group = values.rng, values.order(number), f"order-{number}"
    customer, year = order["customer"], values.day()[:4]
    invoice_id = f"INV-{year}-{number:06d}"
    tasks = [
        new_task(
            values, "billing.invoices", "charge",
            f"Charge {order['currency']} {order['total']:.2f} for order {number}",
            {
                "invoice_id": invoice_id,
                "order_id": order["order_id"],
                "customer": {k: customer[k] for k in ("id", "name", "country")},
                "amount": {"value": order["total"], "currency": order["currency"]},
                "payment_method": {
                    "type": "card", "brand": rng.choice(CARD_BRANDS), "last4": f"{rng.randint(0, 9999):04d}",
                },
                "lines": order["items"],
                "idempotency_key": f"charge-{order['order_id']}",
            },
            group=group, timeout_ms=30_000,
        ),
        new_task(
            values, "emails", "receipt", f"Send receipt for order {number} to {customer['email']}",
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
        new_task(
            values, "search-index", "orders", f"Index order {number}",
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
            tasks.append(new_task(
                values, "thumbnails", "product-image", f"Thumbnails for {item['sku']} ({item['name']})",
                {
                    "source": f"s3://media-prod/catalog/{item['sku'].lower()}/{values.hex(8)}.jpg",
                    "sizes": [[96, 96], [320, 320], [1024, 1024]],
                    "format": "webp",
                    "quality": rng.choice((75, 82, 90)),
                },
                group=group, timeout_ms=20_000,
            ))
    if rng.random() < 0.6:
        tasks.append(new_task(
            values, "webhooks", "shopify", f"Notify storefront: order {number} paid",
            {
                "endpoint": "https://storefront.example/webhooks/orders",
                "event": "orders/paid",
                "attempt": 1,
                "payload": {"id": number, "financial_status": "paid", "total_price": f"{order['total']:.2f}"},
                "headers": {"X-Shop-Topic": "orders/paid", "X-Request-Id": values.hex(16)},
            },
            group=group, timeout_ms=10_000,
        ))
    if rng.random() < 0.25:
        tasks.append(new_task(
            values, "billing.invoices", "generate", f"Render invoice PDF {invoice_id}",
            {"invoice_id": invoice_id, "template": "invoice-2025", "locale": order["locale"], "pdf": True},
            group=group,
        ))
    return tasks


def signup_tasks(values: Values) -> list[dict[str, Any]]:
    """A new customer's welcome email, avatar and search entry, in one group."""
    person, user_id = values.person(), f"usr_{values.hex(10)}"
    group = f"signup-{user_id}"
    return [
        new_task(
            values, "emails", "welcome", f"Welcome email to {person['email']}",
            {"to": person["email"], "template": "welcome", "vars": {"first_name": person["first_name"]}},
            group=group,
        ),
        new_task(
            values, "thumbnails", "avatar", f"Avatar for {person['name']}",
            {"source": f"s3://media-prod/avatars/{user_id}/original.png", "sizes": [[32, 32], [128, 128]],
             "format": "png", "crop": "face"},
            group=group, timeout_ms=15_000,
        ),
        new_task(
            values, "search-index", "customers", f"Index customer {user_id}",
            {"index": "customers-v5", "op": "upsert",
             "doc": {"id": user_id, "name": person["name"], "email": person["email"],
                     "signed_up_at": values.ago(5, 7200)}},
            group=group,
        ),
    ]


def reindex_tasks(values: Values, chunks: int = 8) -> list[dict[str, Any]]:
    """Today's full reindex of the products, in ``chunks`` long tasks of one group."""
    group, size = f"reindex-products-v8-{values.day()}", 2_500
    return [
        new_task(
            values, "search-index", "products", f"Reindex products, chunk {i + 1} of {chunks}",
            {"index": "products-v8", "alias": "products", "op": "bulk", "chunk": i + 1, "of": chunks,
             "doc_ids": {"from": i * size + 1, "to": (i + 1) * size}, "refresh": i + 1 == chunks},
            group=group, timeout_ms=600_000,
        )
        for i in range(chunks)
    ]


def nightly_tasks(values: Values) -> list[dict[str, Any]]:
    """Yesterday's reports, and the email that sends them to finance, in one group."""
    day = values.day(-1)
    group = f"nightly-{day}"
    tasks = [
        new_task(
            values, "reports.nightly", "sales", f"Sales by day, {region}, {day}",
            {"report": "sales-by-day", "region": region, "period": {"from": day, "to": day},
             "format": "parquet", "output": f"s3://reports-prod/sales/{region}/{day}.parquet"},
            group=group, timeout_ms=3_600_000,
        )
        for region in REGIONS
    ]
    tasks.append(new_task(
        values, "reports.nightly", "inventory", f"Inventory snapshot {day}",
        {"report": "inventory-snapshot", "warehouses": ["BER-1", "AMS-2", "NJ-4"], "format": "csv"},
        group=group, timeout_ms=1_800_000,
    ))
    tasks.append(new_task(
        values, "emails", "digest", f"Nightly report digest {day} to finance",
        {"to": ["finance@example.com", "ops-leads@example.com"], "template": "nightly-digest",
         "attachments": [f"s3://reports-prod/sales/{region}/{day}.parquet" for region in REGIONS]},
        group=group,
    ))
    return tasks


def single_task(values: Values, topic: str) -> dict[str, Any]:
    """One stand-alone task of ``topic`` (its group is its own id)."""
    rng = values.rng
    if topic == "emails":
        person = values.person()
        kind = rng.choice(("password-reset", "password-reset", "digest", "promo"))
        if kind == "password-reset":
            return new_task(values, topic, kind, f"Password reset for {person['email']}",
                         {"to": person["email"], "template": "password-reset",
                          "vars": {"first_name": person["first_name"], "token_expires_at": values.iso(1800)}})
        if kind == "digest":
            return new_task(values, topic, kind, f"Weekly digest to {person['email']}",
                         {"to": person["email"], "template": "weekly-digest",
                          "vars": {"unread": rng.randint(1, 40), "since": values.day(-7)}})
        return new_task(values, topic, kind, None,
                     {"to": person["email"], "template": "autumn-sale", "campaign": f"cmp_{values.hex(6)}",
                      "unsubscribe_url": f"https://shop.example/u/{values.hex(24)}"})
    if topic == "billing.invoices":
        number = rng.randint(1000, 9999)
        kind = rng.choice(("refund", "dunning", "generate"))
        invoice_id = f"INV-{values.day()[:4]}-{number:06d}"
        if kind == "refund":
            amount = round(rng.uniform(5, 250), 2)
            return new_task(values, topic, kind, f"Refund {amount:.2f} EUR on {invoice_id}",
                         {"invoice_id": invoice_id, "amount": {"value": amount, "currency": "EUR"},
                          "reason": rng.choice(("damaged", "late-delivery", "duplicate-charge")),
                          "requested_by": values.person()["email"]}, timeout_ms=30_000)
        if kind == "dunning":
            return new_task(values, topic, kind, f"Payment reminder {rng.randint(1, 3)} for {invoice_id}",
                         {"invoice_id": invoice_id, "due_date": values.day(-rng.randint(3, 40)),
                          "outstanding": {"value": round(rng.uniform(20, 900), 2), "currency": "EUR"}})
        return new_task(values, topic, kind, f"Render invoice PDF {invoice_id}",
                     {"invoice_id": invoice_id, "template": "invoice-2025", "pdf": True})
    if topic == "thumbnails":
        if rng.random() < 0.5:
            video = f"vid_{values.hex(8)}"
            return new_task(values, topic, "video-poster", f"Poster frame for {video}",
                         {"source": f"s3://media-prod/videos/{video}.mp4", "at_seconds": rng.randint(1, 30),
                          "sizes": [[640, 360], [1280, 720]], "format": "jpeg"}, timeout_ms=60_000)
        user_id = f"usr_{values.hex(10)}"
        return new_task(values, topic, "avatar", f"Avatar for {user_id}",
                     {"source": f"s3://media-prod/avatars/{user_id}/original.heic",
                      "sizes": [[32, 32], [128, 128]], "format": "png", "crop": "face"}, timeout_ms=15_000)
    if topic == "webhooks":
        if rng.random() < 0.5:
            event = rng.choice(("invoice.paid", "charge.refunded", "customer.subscription.updated"))
            return new_task(values, topic, "stripe", f"Handle Stripe {event}",
                         {"event_id": f"evt_{values.hex(24)}", "type": event, "livemode": True,
                          "received_at": values.ago(1, 600)}, timeout_ms=10_000)
        host = rng.choice(PARTNER_HOSTS)
        return new_task(values, topic, "partner-callback", f"Callback to {host}",
                     {"endpoint": f"https://{host}/callbacks/sokka", "method": "POST",
                      "attempt": rng.randint(1, 5),
                      "payload": {"shipment_id": f"shp_{values.hex(10)}", "status": "delivered"}},
                     timeout_ms=10_000)
    if topic == "reports.nightly":
        day = values.day(-rng.randint(1, 3))
        kind = rng.choice(("sales", "inventory", "finance"))
        if kind == "finance":
            return new_task(values, topic, kind, f"Revenue recognition {day}",
                         {"report": "revenue-recognition", "ledger": "GL-2000",
                          "period": {"from": day, "to": day}, "format": "xlsx"}, timeout_ms=3_600_000)
        region = rng.choice(REGIONS)
        return new_task(values, topic, kind, f"{kind.capitalize()} report {region} {day}",
                     {"report": f"{kind}-daily", "region": region, "period": {"from": day, "to": day},
                      "format": "csv"}, timeout_ms=1_800_000)
    if topic == "search-index":
        sku = rng.choice(PRODUCTS)
        return new_task(values, topic, "products", f"Reindex {sku[0]}",
                     {"index": "products-v8", "op": rng.choice(("upsert", "upsert", "delete")),
                      "doc": {"id": sku[0], "title": sku[1], "price": sku[2],
                              "in_stock": rng.random() < 0.8}})
    raise ValueError(f"Not a demo topic: {topic!r}")
