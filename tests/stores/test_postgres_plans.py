"""PostgreSQL: every hot query has an index to use, whatever the table's size.

With ``enable_seqscan = off`` the planner still picks a sequential scan when no
index can serve a query, so a plan without "Seq Scan on tasks" proves one can.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

import stores
from tests.servers import PG_URL, drop_namespace, new_namespace

pytestmark = pytest.mark.postgres  # the shared server of tests/servers.py


@pytest.fixture(scope="module")
def pg_store():
    namespace = new_namespace("plans")
    store = stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000)
    store.create_tasks(
        {"topic": f"t{i % 5}", "sub_topic": f"s{i % 3}", "data": {"i": i}} for i in range(5_000)
    )
    for _ in range(200):
        task = store.reserve_task("t1", "w")
        assert task is not None
        store.terminate(task.task_id, "w")
    for _ in range(50):
        store.reserve_task("t2", "w")
    yield store
    store.close()
    drop_namespace("postgres", namespace)


def plan(store, query, params) -> str:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("ANALYZE {}.tasks").format(sql.Identifier(store.namespace)))
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")
            rows = conn.execute(sql.SQL("EXPLAIN ") + query, params).fetchall()
    return "\n".join(row[0] for row in rows)


def _q(store, name):
    return store._queries[name]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("select_task", ("x",)),
        ("group_tasks", {"group": "g"}),
        ("list_leased_topic", {"topic": "t2", "after_at": -1, "after_id": "", "limit": 101}),
        ("list_leased_all", {"after_at": -1, "after_id": "", "limit": 101}),
        ("topics", None),
    ],
)
def test_read_queries_use_indexes(pg_store, name, params):
    text = plan(pg_store, _q(pg_store, name), params)
    assert "Seq Scan on tasks" not in text, text


@pytest.mark.parametrize(
    "filters",
    [
        {"topic": "t1"},
        {"topic": "t1", "status": "terminated"},
        {"topic": "t1", "sub_topic": "s1", "status": "starting"},
        {"topic": "t1", "sub_topic": "s1"},
        {"topic": "t1", "from_ms": 0, "to_ms": 4_000_000_000_000},
        {"status": "terminated"},
        {},
    ],
    ids=repr,
)
def test_list_pages_use_indexes(pg_store, filters):
    captured = {}
    original = pg_store._fetch

    def capture(what, query, params=None):
        captured["query"], captured["params"] = query, params
        return original(what, query, params)

    pg_store._fetch = capture
    try:
        first = pg_store.list_tasks(filters, {"limit": 100})
        pg_store.list_tasks(filters, first.cursor or {"limit": 100})
    finally:
        del pg_store._fetch
    text = plan(pg_store, captured["query"], captured["params"])  # the second page's query
    assert "Seq Scan on tasks" not in text, text


_WRITE = {"target": "terminated", "from_statuses": "{running}", "owner_check": True, "pid": "w",
          "set_error": False, "error": None, "snooze_ms": None}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("reserve_task", {"topic": "t3", "pid": "w", "lease_ms": 1000}),
        ("write_task", {**_WRITE, "task_id": "x", "record_ver": None}),
        ("bulk_write", {**_WRITE, "ids": ["x", "y"], "vers": [2, 2], "pids": ["w", "w"]}),
    ],
)
def test_writes_use_indexes(pg_store, name, params):
    """EXPLAIN without ANALYZE: the writes are planned, not run. The status
    change is counted through the counters' primary key, not a scan either."""
    text = plan(pg_store, _q(pg_store, name), params)
    assert "Seq Scan on tasks" not in text, text
    assert "Seq Scan on topic_stats" not in text, text
