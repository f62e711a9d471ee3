"""PostgreSQL: the hot statements (reserve, the single writes, extend) go
through libpq's prepared statements (``stores/postgres/prepared.py``), not
psycopg's ``execute``. Their rows must read exactly as psycopg reads the same
task, they are prepared once per session, and an error reply is the error
psycopg would have raised (so the store names it the same way)."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

import stores
from stores import StoreUnavailable, TaskStatus
from stores.postgres import deadline, prepared
from tests.servers import PG_URL, drop_namespace, new_namespace
from tests.waiting import wait_for

pytestmark = pytest.mark.postgres  # the shared server of tests/servers.py


@pytest.fixture
def namespace():
    name = new_namespace("prep")
    yield name
    drop_namespace("postgres", name)


@pytest.fixture
def store(namespace):
    opened = stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000)
    yield opened
    opened.close()


def test_placeholders_numbered_in_order_of_first_use():
    statement = prepared.Prepared.of("x", "SELECT %(b)s, %(a)s::int, %(b)s IS NULL OR %(c)s")
    assert statement.name == b"sokka_x"
    assert statement.text == b"SELECT $1, $2::int, $1 IS NULL OR $3"
    assert statement.params == ("b", "a", "c")
    assert statement.values({"a": 7, "b": "é", "c": True}) == [b"\xc3\xa9", b"7", b"t"]
    assert statement.values({"a": None, "b": "", "c": False}) == [b"", None, b"f"]


@pytest.mark.parametrize("query", ["SELECT %(a)s %% 2", "SELECT %s"])
def test_a_percent_it_cannot_number_is_refused(query):
    with pytest.raises(ValueError, match="a % left"):
        prepared.Prepared.of("x", query)


def test_a_nul_is_refused_not_cut_short():
    """libpq takes text parameters as C strings; the store's validation refuses
    a NUL long before this, and this refuses it again rather than truncate."""
    with pytest.raises(ValueError, match="NUL"):
        prepared.Prepared.of("x", "SELECT %(a)s").values({"a": "ab\x00c"})


def test_a_value_without_a_text_format_is_refused():
    with pytest.raises(TypeError, match="float"):
        prepared.Prepared.of("x", "SELECT %(a)s").values({"a": 1.5})


def test_every_hot_statement_is_numbered(store):
    """Each statement of ``HOT`` takes exactly the parameters the store gives it."""
    assert set(store._hot) == set(prepared.HOT)
    assert set(store._hot["reserve_task"].params) == {"topic", "pid", "lease_ms"}
    assert set(store._hot["extend_lease"].params) == {"task_id", "pid", "record_ver", "lease_ms"}
    assert set(store._hot["write_task"].params) == {
        "task_id", "target", "from_statuses", "owner_check", "pid", "record_ver", "set_error", "error", "snooze_ms",
    }


def test_rows_read_as_psycopg_reads_them(store):
    """Text, nulls, non-ASCII, JSON and every bigint column, through each hot
    statement (which selects the task as one JSON array, ``prepared.TASK_JSON``)."""
    created = store.create_task({
        "topic": "t", "task_description": "naïve — 日本", "data": {"k": ["é", 1, None], "n": 2**40},
        "timeout_ms": 1234,
    })
    plain = store.create_task({"topic": "u", "data": ""})  # a null description, a JSON string
    reserved = store.reserve_task("t", "wörker")
    assert reserved == store.task(created.task_id)
    assert reserved.task_description == "naïve — 日本" and reserved.data == {"k": ["é", 1, None], "n": 2**40}
    assert reserved.timeout_ms == 1234 and reserved.lease_expires_at > reserved.created_at
    assert store.extend_lease(reserved.task_id, "wörker") == "ok"
    failed = store.fail(reserved.task_id, "wörker", "boom ∞")
    assert failed == store.task(created.task_id)
    assert failed.status == TaskStatus.FAILED and failed.error == "boom ∞" and failed.pid is None

    # Text the JSON row must escape and give back as it was: quotes, backslashes, controls.
    awkward = 'q"uo\\te\\"\n\t\x01 \u2028 end'
    odd = store.create_task({"topic": "v", "task_description": awkward, "data": {awkward: [awkward]}})
    leased = store.reserve_task("v", awkward)
    assert leased == store.task(odd.task_id) and leased.task_description == awkward and leased.pid == awkward
    assert leased.data == {awkward: [awkward]}
    assert store.fail(leased.task_id, awkward, awkward) == store.task(odd.task_id)
    assert store.task(odd.task_id).error == awkward

    other = store.reserve_task("u", "w")
    assert other == store.task(plain.task_id)
    assert other.task_description is None and other.data == ""
    snoozed = store.snooze(other.task_id, "w", 60_000)
    assert snoozed == store.task(plain.task_id) and snoozed.snooze_time is not None


@pytest.mark.parametrize("task_id", [
    "plain-id", "ünï-çödé 日本", 'q"uote', "back\\slash", "tab\tand\x01control", "\u2028line",
])
def test_a_task_is_read_by_its_id_whatever_the_id(store, task_id):
    """The id is read from the start of the JSON array at once (the other fields
    on first use, ``model.task_decoded_later``), unless JSON escaped something in
    it: then the whole task is read at once. Either way it is the task."""
    created = store.create_task({"task_id": task_id, "topic": "ids", "data": {"id": task_id}})
    reserved = store.reserve_task("ids", "w")
    assert reserved.task_id == task_id
    escaped = any(ch in task_id for ch in '"\\') or any(ord(ch) < 0x20 for ch in task_id)
    assert ("_undecoded" in vars(reserved)) is not escaped
    assert reserved == store.task(task_id) and reserved.data == {"id": task_id} and reserved.record_ver == 2
    done = store.terminate(task_id, "w")
    assert done.task_id == task_id and done == store.task(task_id)
    assert done.status == TaskStatus.TERMINATED and done.created_at == created.created_at


def test_a_workers_later_calls_are_checked_as_its_first(store):
    """A worker's first reserve and terminate go through every check, and keep
    their parameters; later calls with the same topic and pid take a shortcut to
    the statement (``PostgresStore.reserve_task``). The shortcut must refuse what
    the first call refuses and miss as it misses."""
    for n in range(4):
        store.create_task({"task_id": f"t{n}", "topic": "t", "data": n})
    first = store.reserve_task("t", "w")
    store.terminate(first.task_id, "w")  # both kept from here on
    for bad in (123, "", "a\x00b", None):
        with pytest.raises(stores.InvalidArgument):
            store.terminate(bad, "w")
    for bad_topic, bad_pid in ((["t"], "w"), ("t", ["w"]), ("t", "")):  # a list is not even hashable
        with pytest.raises(stores.InvalidArgument):
            store.reserve_task(bad_topic, bad_pid)
    for bad_pid in (["w"], ""):
        with pytest.raises(stores.InvalidArgument):
            store.terminate("t1", bad_pid)
    with pytest.raises(stores.TaskNotFound):
        store.terminate("no-such-task", "w")
    with pytest.raises(stores.InvalidStatusTransition):
        store.terminate(first.task_id, "w")  # done already
    second = store.reserve_task("t", "w")
    with pytest.raises(stores.WrongOwner):
        store.terminate(second.task_id, "someone-else")
    with pytest.raises(stores.TaskConcurrentlyUpdated):
        store.terminate(second.task_id, "w", record_ver=1)
    assert store.task(second.task_id).status == TaskStatus.RUNNING  # nothing written by a refusal

    store.lease_time_ms = 5_000  # a later lease time: a new reserve's parameters
    third = store.reserve_task("t", "w")
    assert third.lease_expires_at - third.updated_at == 5_000

    store._may_only_read("the test made it so")  # as opening finds a read-only server
    with pytest.raises(stores.ReadOnlyStore):
        store.reserve_task("t", "w")
    with pytest.raises(stores.ReadOnlyStore):
        store.terminate(third.task_id, "w")
    assert store.task(third.task_id).status == TaskStatus.RUNNING and store.task("t3").status == TaskStatus.STARTING


def _prepared_on_server(conn) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM pg_prepared_statements").fetchall()}


def test_prepared_once_per_session(store):
    store.create_tasks([{"topic": "t"} for _ in range(3)])
    for _ in range(3):
        task = store.reserve_task("t", "w")
        store.terminate(task.task_id, "w")
    (kept,) = store._lane.kept()  # one thread: the lane's one connection served every call
    assert kept.prepared == {b"sokka_reserve_task", b"sokka_write_task"}
    assert {"sokka_reserve_task", "sokka_write_task"} <= _prepared_on_server(kept)
    with store._connection("read") as conn:  # the pool's own: never used by the hot statements
        assert conn is not kept and conn.prepared == set()


def test_the_kept_connection_is_replaced_when_the_server_drops_it(store):
    """A kept connection the server closed (a restart, pg_terminate_backend) is
    dropped for a new one before the next call, which then goes through."""
    store.create_tasks([{"topic": "t"} for _ in range(2)])
    first = store.reserve_task("t", "w")
    (kept,) = store._lane.kept()
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (kept.info.backend_pid,))
    wait_for(lambda: deadline._readable(kept), 5)
    time.sleep(deadline.FRESH_S)  # idle longer than that: checked before use (it is, by now)
    second = store.reserve_task("t", "w")
    assert second is not None and second.task_id != first.task_id
    (now_kept,) = store._lane.kept()
    assert now_kept is not kept and kept.closed and now_kept.prepared == {b"sokka_reserve_task"}


def test_a_connection_closed_within_the_fresh_window_fails_one_call_only(store, monkeypatch):
    """Within ``FRESH_S`` of its last call the kept connection is used without a
    poll (here the window is stretched to a minute): a close in that moment
    fails the next call, as it would fail one in flight, and the call after it
    goes through on a new connection."""
    monkeypatch.setattr(deadline, "FRESH_S", 60.0)
    store.create_tasks([{"topic": "t"} for _ in range(2)])
    store.reserve_task("t", "w")
    (kept,) = store._lane.kept()
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (kept.info.backend_pid,))
    wait_for(lambda: deadline._readable(kept), 5)
    with pytest.raises(StoreUnavailable):
        store.reserve_task("t", "w")
    assert store._lane.kept() == [] and kept.closed
    assert store.reserve_task("t", "w") is not None
    (now_kept,) = store._lane.kept()
    assert now_kept is not kept


def test_a_failed_call_gives_its_connection_back(store, namespace):
    """Nothing is kept from a call that failed: its connection goes back to the
    pool (which drops it if broken), and close() gives back a kept one."""
    store.create_tasks([{"topic": "t"}])
    store.reserve_task("t", "w")
    assert len(store._lane.kept()) == 1
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(namespace)))
    with pytest.raises(StoreUnavailable):
        store.reserve_task("t", "w")
    assert store._lane.kept() == []
    store.close()
    assert store._lane.kept() == [] and store._pool.closed


def test_an_error_reply_is_psycopgs_error(store, namespace):
    """A prepare that fails (the schema dropped under the store) is the
    ``StoreUnavailable`` an ``execute`` would give, caused by psycopg's
    ``UndefinedTable``, and the session stays usable for the next call."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(namespace)))
    with pytest.raises(StoreUnavailable) as raised:
        store.reserve_task("t", "w")
    assert isinstance(raised.value.__cause__, psycopg.errors.UndefinedTable)
    with store._connection("read") as conn:
        assert not conn.closed and conn.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
        assert conn.prepared == set()
        assert conn.execute("SELECT 1").fetchone() == (1,)
