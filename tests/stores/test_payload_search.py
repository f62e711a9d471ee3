"""Payload search: list_tasks's ``data`` filter (stores.payload), the same
semantics on every backend, bounded per call (scan_limit, Page.examined), with
a cursor that streams through the topic's range."""

from __future__ import annotations

import pytest

from stores import InvalidArgument, StoreUnavailable, scroll
from stores.payload import Condition, check_conditions, field_text, matches, parse_condition
from tests.stores.clock import wait_past

# One payload per task; the ids say what each one is.
PAYLOADS = {
    "int42": {"customer_id": 42},
    "str42": {"customer_id": "42"},
    "int420": {"customer_id": 420},
    "float": {"customer_id": 42.5, "ratio": 1e16},
    "true": {"customer_id": True, "flag": True},
    "false": {"flag": False},
    "null": {"customer_id": None},
    "missing": {"other": 1},
    "object": {"customer_id": {"id": 42}},
    "array": {"customer_id": [42], "list": ["a", "b"]},
    "nested": {"user": {"email": "ann@example.com", "name": "Ann"}},
    "nested2": {"user": {"email": "bob@Example.com", "address": {"city": "Zürich"}}},
    "unicode": {"user": {"name": "Zoë 😀"}},
    "percent": {"code": "50%_off", "quote": "it's \"quoted\"", "backslash": "a\\b"},
    "toplist": [{"customer_id": 42}],
    "scalar": 42,
    "none": None,
    "digitkey": {"0": "zero", "a-b": "dash"},
}


@pytest.fixture
def seeded(store):
    topic = "payloads"
    tasks = store.create_tasks(
        [{"task_id": name, "topic": topic, "data": data} for name, data in PAYLOADS.items()]
    )
    store.create_task({"task_id": "elsewhere", "topic": "other", "data": {"customer_id": 42}})
    return store, topic, tasks


def found(store, topic, *conditions, **filters):
    data = [parse_condition(c) if isinstance(c, str) else c for c in conditions]
    return {
        t.task_id
        for t in scroll(lambda c: store.list_tasks({"topic": topic, "data": data, **filters}, c), {"limit": 5})
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.customer_id=42", {"int42", "str42"}),
        ("data.customer_id~42", {"int42", "str42", "int420", "float"}),
        ("data.customer_id=42.5", {"float"}),
        ("data.ratio=1e+16", {"float"}),
        ("data.customer_id=true", {"true"}),
        ("data.flag=false", {"false"}),
        ("data.flag~e", {"true", "false"}),
        ("data.customer_id=null", set()),
        ("data.customer_id~", {"int42", "str42", "int420", "float", "true"}),
        ("data.user.email~@example.com", {"nested"}),
        ("data.user.email~example", {"nested"}),  # case-sensitive
        ("data.user.address.city=Zürich", {"nested2"}),
        ("data.user.name~😀", {"unicode"}),
        ("data.code=50%_off", {"percent"}),
        ("data.code~%", {"percent"}),
        ("data.code~_", {"percent"}),
        ("data.code~%_", {"percent"}),
        ("data.code~0_", set()),  # no LIKE pattern: '_' is itself
        ("data.code~5%", set()),  # no LIKE pattern: '%' is itself
        ("data.quote=it's \"quoted\"", {"percent"}),
        ("data.backslash=a\\b", {"percent"}),
        ("data.user=x", set()),  # objects never match
        ("data.list~a", set()),  # arrays never match
        ("data.0=zero", {"digitkey"}),
        ("data.a-b=dash", {"digitkey"}),
        ("data.customer_id.id=42", {"object"}),
        ("data.customer_id.0=42", set()),  # keys never index arrays
        ("data.nothing=1", set()),
    ],
)
def test_conditions_agree_on_every_backend(seeded, condition, expected):
    store, topic, tasks = seeded
    assert found(store, topic, condition) == expected
    # The Python rule the Redis store and the console use says the same.
    parsed = parse_condition(condition)
    assert {t.task_id for t in tasks if matches(t.data, [parsed])} == expected


def test_conditions_are_anded_and_combine_with_status_and_sub_topic(store):
    topic = "combo"
    a = store.create_task({"topic": topic, "data": {"c": 1, "k": "x"}})
    store.create_task({"topic": topic, "data": {"c": 1, "k": "y"}})
    c = store.create_task({"topic": topic, "sub_topic": "s2", "data": {"c": 1, "k": "x"}})
    assert found(store, topic, "data.c=1", "data.k=x") == {a.task_id, c.task_id}
    assert found(store, topic, "data.c=1", "data.k=x", sub_topic="s2") == {c.task_id}
    # The reservation's time must be later than every create's (c is the
    # last), or from_ms below rightly matches a task made in the same ms.
    wait_past(store, c.updated_at)
    reserved = store.reserve_task(topic, "w")
    assert found(store, topic, "data.c=1", status="running") == {reserved.task_id}
    assert found(store, topic, "data.c=1", status="failed") == set()
    assert found(store, topic, "data.c=1", from_ms=reserved.updated_at) == {reserved.task_id}


def test_a_search_is_bounded_per_call_and_streams_to_the_end(store):
    topic = "stream"
    made = []
    for i in range(23):
        if made:
            wait_past(store, made[-1].updated_at)
        made.append(store.create_task({"topic": topic, "data": {"n": i, "hit": i % 5 == 0}}))
    newest_first = [t.task_id for t in reversed(made)]
    hits = [t.task_id for t in reversed(made) if t.data["hit"]]  # n = 20, 15, 10, 5, 0
    filters = {"topic": topic, "data": [{"path": ["hit"], "op": "=", "value": "true"}]}
    cursor: dict | None = {"limit": 10, "scan_limit": 4}
    pages = []
    while cursor is not None:
        page = store.list_tasks(filters, cursor)
        assert page.examined is not None and page.examined <= 4
        pages.append(page)
        cursor = page.cursor
    assert [t.task_id for p in pages for t in p.data] == hits
    assert sum(p.examined for p in pages) == len(newest_first)  # each task read once
    assert pages[0].examined == 4 and [t.task_id for t in pages[0].data] == hits[:1]
    assert any(p.data == [] and p.cursor is not None for p in pages)  # a call may find nothing yet
    # A page that fills stops at its last match: the next call starts after it.
    page = store.list_tasks(filters, {"limit": 2, "scan_limit": 100})
    assert [t.task_id for t in page.data] == hits[:2]
    assert page.examined == newest_first.index(hits[1]) + 1
    rest = store.list_tasks(filters, page.cursor)
    assert [t.task_id for t in rest.data] == hits[2:4]
    last = store.list_tasks(filters, rest.cursor)
    assert [t.task_id for t in last.data] == hits[4:] and last.cursor is None
    assert page.examined + rest.examined + last.examined == len(newest_first)


def test_the_last_task_of_the_range_as_last_match_ends_the_search(store):
    topic = "edge"
    store.create_task({"topic": topic, "data": {"k": "no"}})
    page = store.list_tasks({"topic": topic, "data": ["data.k=no"]}, {"limit": 1})
    assert len(page.data) == 1 and page.cursor is None and page.examined == 1
    empty = store.list_tasks({"topic": "nothing-here", "data": ["data.k=no"]}, {"limit": 1})
    assert empty.data == [] and empty.cursor is None and empty.examined == 0


def test_plain_listings_have_no_examined_count(store):
    store.create_task({"topic": "plain"})
    assert store.list_tasks({"topic": "plain"}).examined is None


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"data": ["data.a=1"]}, "needs a topic"),
        ({"topic": "t", "data": ["a=1"]}, "does not start with 'data.'"),
        ({"topic": "t", "data": ["data.a"]}, "no '=' or '~'"),
        ({"topic": "t", "data": ["data.=1"]}, "1 to 8 keys"),
        ({"topic": "t", "data": ["data.a..b=1"]}, "key ''"),
        ({"topic": "t", "data": ["data.a[0]=1"]}, "array indexes are not supported"),
        ({"topic": "t", "data": ["data.a b=1"]}, "key 'a b'"),
        ({"topic": "t", "data": ["data." + ".".join("k" * 9) + "=1"]}, "1 to 8 keys"),
        ({"topic": "t", "data": ["data." + "k" * 65 + "=1"]}, "is not 1 to 64"),
        ({"topic": "t", "data": ["data.a=" + "v" * 1001]}, "longer than 1000"),
        ({"topic": "t", "data": ["data.a=x\x00"]}, "NUL"),
        ({"topic": "t", "data": [{"path": "a", "op": "=", "value": "1"}]}, "list of keys"),
        ({"topic": "t", "data": [{"path": ["a"], "op": "like", "value": "1"}]}, "'=' or '~'"),
        ({"topic": "t", "data": [{"path": ["a"], "op": "=", "value": 1}]}, "must be text"),
        ({"topic": "t", "data": [{"path": ["a"], "op": "="}]}, "path, op and value"),
        ({"topic": "t", "data": "data.a=1"}, "list of conditions"),
        ({"topic": "t", "data": []}, "1 to 8 conditions"),
        ({"topic": "t", "error_key": "x", "data": ["data.a=1"]}, "cannot be combined"),
    ],
)
def test_bad_conditions_are_one_clear_message(store, filters, message):
    with pytest.raises(InvalidArgument, match=r"Write a payload filter as|needs a topic|cannot be combined") as info:
        store.list_tasks(filters)
    assert message in str(info.value)


def test_bad_scan_limits_are_refused(store):
    for bad in (0, -1, 10**7, "5", True):
        with pytest.raises(InvalidArgument, match="scan_limit"):
            store.list_tasks({"topic": "t", "data": ["data.a=1"]}, {"limit": 5, "scan_limit": bad})


def test_hostile_values_are_data_not_code(store):
    topic = "hostile"
    evil = ["' OR 1=1 --", "'); DROP TABLE x; --", "]] .. redis.call('FLUSHALL') .. [[", '"\\', "$.a"]
    for text in evil:
        store.create_task({"topic": topic, "data": {"v": text}})
    for text in evil:
        assert len(found(store, topic, f"data.v={text}")) == 1
        assert len(found(store, topic, Condition(("v",), "~", text))) == 1
    assert store.list_tasks({"topic": topic}, {"limit": 10}).data  # all still there


def test_parse_and_text_form_rules():
    c = parse_condition("data.user.email~a=b~c")
    assert c == Condition(("user", "email"), "~", "a=b~c")
    assert c.to_text() == "data.user.email~a=b~c"
    assert parse_condition("data.a=") == Condition(("a",), "=", "")
    assert check_conditions([c.to_filter(), "data.x=1", c]) == (c, Condition(("x",), "=", "1"), c)
    assert field_text({"a": {"b": 1}}, ["a", "b"]) == "1"
    assert field_text({"a": True}, ["a"]) == "true"
    assert field_text({"a": 1.0}, ["a"]) == "1.0"
    assert field_text({"a": None}, ["a"]) is None
    assert field_text([{"a": 1}], ["a"]) is None


def test_a_call_is_bounded_in_time_on_the_server(store, backend, monkeypatch):
    """Past its time limit a call stops: the SQL servers stop the read (a clear
    StoreUnavailable), the Redis client returns what it read so far, with a cursor."""
    topic = "slow"
    store.create_tasks([{"topic": topic, "data": {"k": i, "pad": "x" * 200}} for i in range(5_000)])
    module = {"sqlite": "stores.sqlite.store", "postgres": "stores.postgres.store"}.get(
        backend, "stores.redis.store")
    monkeypatch.setattr(f"{module}.SEARCH_TIME_LIMIT_S", 1e-6)
    filters = {"topic": topic, "data": ["data.k=-1"]}
    if module == "stores.redis.store":
        page = store.list_tasks(filters, {"limit": 10})
        assert page.data == [] and page.cursor is not None and 0 < page.examined < 5_000
    else:
        with pytest.raises(StoreUnavailable, match="payload search read for more than"):
            store.list_tasks(filters, {"limit": 10})
    monkeypatch.undo()
    assert store.list_tasks(filters, {"limit": 10}).examined == 5_000  # the store still works
