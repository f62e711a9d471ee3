"""Demo traffic for ``sokka-tui demo``: a seeded store and a fleet of worker processes.

``seed(url)`` fills an empty store with a few hundred tasks an operator would
recognise (emails, invoices, thumbnails, webhooks, nightly reports, a search
index) and moves them, through the protocol, into every status, including a few
``running`` tasks whose lease has already ended ("stuck").

``DemoFleet(url)`` then keeps the store moving: worker processes run sokka's
``Worker`` over the topics, fail and snooze some tasks and now and then die
holding a lease; a producer process keeps adding work. Nobody serves
``UNATTENDED_TOPICS`` (the nightly batch runs at night), so their backlog grows
and their stuck leases stay there for the operator to find.

Only ``stores``, ``sokka_tui.proctitle`` and the standard library are imported under this package: the
fleet's processes import it and must start fast, without Textual (a test checks).
"""

from sokka_tui.demo.fleet import DemoFleet
from sokka_tui.demo.seed import DEAD_WORKER_PIDS, SEED_WORKER_PIDS, seed
from sokka_tui.demo.store_file import NotADemoStore, demo_store
from sokka_tui.demo.topics import DEMO_TOPICS, UNATTENDED_TOPICS

__all__ = [
    "DEAD_WORKER_PIDS", "DEMO_TOPICS", "SEED_WORKER_PIDS", "UNATTENDED_TOPICS", "DemoFleet", "NotADemoStore",
    "demo_store", "seed",
]
