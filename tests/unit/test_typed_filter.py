"""The filter line's words on the task list (``/``): a status (or its start),
``sub:NAME``, an exact id; what they do not say (time range, stuck class) is kept.
And ``:topic NAME`` in the command palette."""

from __future__ import annotations

import pytest

from sokka_tui.commands import topic_wanted
from sokka_tui.query import STUCK_STARTING, TaskQuery, typed_query, typed_text
from stores import TaskStatus

BASE = TaskQuery(topic="emails", from_ms=5, stuck=STUCK_STARTING, status=TaskStatus.FAILED, text="old")


@pytest.mark.parametrize(
    ("typed", "status", "sub_topic", "text"),
    [
        ("", None, None, None),
        ("running", TaskStatus.RUNNING, None, None),
        ("RUN", TaskStatus.RUNNING, None, None),  # the start of one status, any case
        ("fai sub:welcome", TaskStatus.FAILED, "welcome", None),
        ("sub:digest email-003", None, "digest", "email-003"),
        ("ru", None, None, "ru"),  # too short to be a status: an id
        ("st", None, None, "st"),
        ("id:running", None, None, "running"),  # an id that looks like a status
        ("  order-42   terminated ", TaskStatus.TERMINATED, None, "order-42"),
    ],
)
def test_words_become_the_query(typed, status, sub_topic, text):
    query = typed_query(typed, BASE)
    assert (query.status, query.sub_topic, query.text) == (status, sub_topic, text)
    assert (query.topic, query.from_ms, query.stuck) == ("emails", 5, STUCK_STARTING)  # kept


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("sub:", "sub: needs a sub-topic name"),
        ("running failed", "One status at a time."),
        ("sub:a sub:b", "One sub-topic at a time."),
        ("a b", "One task or group id at a time"),
        ("id:", "id: needs a task or group id"),
    ],
)
def test_words_refused_with_one_reason(typed, reason):
    with pytest.raises(ValueError, match=reason):
        typed_query(typed, BASE)


@pytest.mark.parametrize(
    "query",
    [
        TaskQuery(topic="t"),
        TaskQuery(topic="t", status=TaskStatus.SNOOZED, sub_topic="x", text="t-1"),
        TaskQuery(topic="t", text="failed"),
        TaskQuery(topic="t", text="sub:x"),
    ],
)
def test_the_line_opens_with_what_gives_the_query_back(query):
    assert typed_query(typed_text(query), query) == query


def test_topic_in_the_palette():
    assert topic_wanted("topic billing") == "billing"
    assert topic_wanted("Topic  billing ") == "billing"
    assert topic_wanted("billing") == "billing"
    assert topic_wanted("topic") == ""  # every topic
