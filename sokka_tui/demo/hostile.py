"""A handful of seeded tasks a naive UI would mangle: markup, an action link,
emoji and wide characters, a very long line, terminal escapes. The console must
show them literally; each comes with the status it should end in."""

from __future__ import annotations

from typing import Any

from sokka_tui.demo.failures import traceback_text
from sokka_tui.demo.plans import Plan
from sokka_tui.demo.tasks import new_task
from sokka_tui.demo.values import Values


def hostile_tasks(values: Values) -> list[tuple[dict[str, Any], Plan]]:
    """A handful of tasks a naive UI would mangle: markup, an action link, emoji, a very
    long line, terminal escapes. The console must show them literally."""
    long_query = "https://shop.example/search?" + "&".join(
        f"facet[{name}][]={value}"
        for name in ("color", "size", "brand", "material")
        for value in ("red", "blue", "xs", "xl", "acme", "globex", "linen", "merino", "wool", "cotton") * 5
    )
    return [
        (
            new_task(values, "emails", "promo", "Promo blast: [bold red]FLASH SALE[/] 50% off 🎉",
                  {"segment": "newsletter-eu", "template": "flash-sale",
                   "subject": "[bold red]FLASH SALE[/] ends at midnight 🎉🛍️",
                   "preheader": "Don't miss out, Zoë 👋"}),
            Plan("starting"),
        ),
        (
            new_task(values, "webhooks", "partner-callback", "Callback to partner [@click=app.quit]Acme[/]",
                  {"endpoint": "https://hooks.acme.example/sokka",
                   "payload": {"message": "[@click=app.quit]click here[/] to confirm", "note": "oops [/] x"}},
                  timeout_ms=10_000),
            Plan("failed", error=traceback_text(
                [("/srv/hooks/hooks/templates.py", 64, "render_payload", "return markup.render(template)")],
                "ValueError: closing tag '[/]' at position 5 has nothing to close in 'oops [/] x'",
            )),
        ),
        (
            new_task(values, "thumbnails", "product-image",
                  "Poster for 「夏祭り」 campaign 🎆 uploaded by Zoë Müller",
                  {"source": "s3://media-prod/uploads/2025/07/夏祭り-poster 🎆.png",
                   "sizes": [[320, 320], [1024, 1024]], "format": "webp", "alt": "花火と屋台 🏮"},
                  timeout_ms=20_000),
            Plan("running"),
        ),
        (
            new_task(values, "search-index", "products",
                  "Warm the search cache for the saved query of the merchandising team (colour, size, "
                  "brand and material facets for the autumn landing page, all combinations, requested "
                  "again after the last deploy wiped the cache; ask #search-oncall before cancelling "
                  "this one, it takes a while and the landing page is slow without it)",
                  {"index": "products-v8", "op": "warm-cache", "query_url": long_query}),
            Plan("snoozed", snooze_ms=20 * 60_000),
        ),
        (
            new_task(values, "billing.invoices", "charge", "Charge order 31337 (gateway log attached)",
                  {"invoice_id": "INV-2025-031337", "amount": {"value": 12.5, "currency": "EUR"}},
                  timeout_ms=30_000),
            Plan("failed", error=(
                "\x1b[31mERROR\x1b[0m \x1b[1mgateway\x1b[0m request failed: 402 Payment Required\n"
                "\x1b[2m  at charge (gateway.py:142)\x1b[0m\x1b]0;pwned\x07"
            )),
        ),
    ]
