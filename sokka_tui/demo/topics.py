"""The demo's topics, and the ones nobody serves."""

from __future__ import annotations

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
