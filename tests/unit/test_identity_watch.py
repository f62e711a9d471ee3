"""IdentityWatch: a store found without the identity first seen, or with
another, is reported once; a first identity is not a reset."""

from __future__ import annotations

import stores
from sokka_tui.identity_watch import IdentityWatch, reset_message
from stores import StoreIdentity

FIRST = StoreIdentity("0123456789abcdef", 1_764_000_000_000)
OTHER = StoreIdentity("fedcba9876543210", 1_764_000_600_000)


def test_the_same_identity_is_quiet_and_a_missing_one_is_said_once():
    watch = IdentityWatch()
    watch.tasks_shown = 1_250
    assert watch.observe(FIRST) is None and watch.observe(FIRST) is None
    said = watch.observe(None)
    assert said == "The store was reset: its namespace marker is gone; 1,250 tasks shown before are not in it."
    assert watch.observe(None) is None and watch.observe(OTHER) is None


def test_a_first_identity_after_none_is_not_a_reset():
    # A namespace from an older version opened read-only has none until a writable open adds one.
    watch = IdentityWatch()
    assert watch.observe(None) is None
    assert watch.observe(FIRST) is None
    assert watch.identity == FIRST


def test_another_identity_names_both_times():
    said = reset_message(FIRST, OTHER, 1)
    assert said.startswith("The store was reset: it has another identity (made 2025-11-24 16:10:00 UTC;")
    assert said.endswith("made 2025-11-24 16:00:00 UTC); 1 task shown before is not in it.")


def test_nothing_shown_means_no_count():
    assert reset_message(FIRST, None, 0) == "The store was reset: its namespace marker is gone."
    assert reset_message(FIRST, None, None) == "The store was reset: its namespace marker is gone."


def test_check_reads_a_real_store(tmp_path):
    with stores.open_store(f"sqlite://{tmp_path}/watched.db") as store:
        watch = IdentityWatch()
        assert watch.check(store) is None
        assert watch.identity == store.identity() and watch.identity is not None
