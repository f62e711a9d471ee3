"""Task ids are unique across topics, but a topic script sees only its topic.

So a create first claims every id (``SET NX`` on ``ns:tid:<id>``, value
``"<claimed ms>:<topic>"``) and only then writes the tasks; the claim is also
how a read finds the topic of an id. On a single server a batch's claims and
tasks go in one script (``create.lua``); a create of several batches claims
them all first (``claim_batches``), and a cluster claims here, key by key,
before the topic scripts run. A create that dies between claiming and writing
leaves a claim without a task: after ``ORPHAN_CLAIM_MS`` another create may
take it over.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from stores.base import CREATE_BATCH_SIZE
from stores.errors import TaskAlreadyExists
from stores.redis.codec import claim_value, claimed_topic, parse_claim
from stores.redis.connection import Client, text_or_none
from stores.redis.keys import Keys
from stores.redis.scripts import Scripts
from stores.validation import NewTask

#: A claim whose task never appeared for this long is taken to be left by a
#: create that died between claiming and writing; another create may take it.
ORPHAN_CLAIM_MS = 10 * 60 * 1000


class KnownTopics:
    """The topics of the task ids this store saw lately (created, reserved, read),
    so a write on a task needs no claim lookup first: one round trip, not two.

    Bounded (the oldest entries go first) and shared by the store's threads.
    An entry may be stale (the task purged, its id created again in another
    topic): the script then finds no such task in that topic, and the store
    drops the entry and asks the claim, as it does for an id it never saw."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        # An OrderedDict drops its oldest entry in O(1); a plain dict's
        # next(iter(d)) walks over every slot freed before it, so evicting from
        # a full cache one entry at a time grew quadratic (create_tasks of 50,000).
        self._topics: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, task_id: str) -> str | None:
        return self._topics.get(task_id)

    def update(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember ``(task_id, topic)`` pairs."""
        with self._lock:
            topics = self._topics
            for task_id, topic in pairs:
                topics[task_id] = topic
                topics.move_to_end(task_id)  # the newest entry
            while len(topics) > self._size:
                topics.popitem(last=False)

    def add(self, task_id: str, topic: str) -> None:
        """Remember one ``(task_id, topic)``: ``update`` of one pair, for every reserve."""
        with self._lock:
            topics = self._topics
            topics[task_id] = topic
            topics.move_to_end(task_id)
            if len(topics) > self._size:
                topics.popitem(last=False)

    def forget(self, task_id: str) -> None:
        with self._lock:
            self._topics.pop(task_id, None)


class IdClaims:
    """The id claims of one namespace. Every method lets the driver's exceptions
    through; the store turns them into ``StoreUnavailable``."""

    def __init__(
        self,
        client: Client,
        keys: Keys,
        scripts: Scripts,
        now_ms: Callable[[], int],
    ) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts
        self._now_ms = now_ms

    def topic_of(self, task_id: str) -> str | None:
        """The topic the id is claimed for; ``None`` if unclaimed."""
        return claimed_topic(text_or_none(self._client.get(self._keys.claim(task_id))))

    def topics_of(self, task_ids: list[str]) -> list[str | None]:
        """``topic_of`` each id, in one round trip on one server."""
        pipe = self._client.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.get(self._keys.claim(task_id))
        return [claimed_topic(value) for value in pipe.execute()] if task_ids else []

    def claim_batches(self, news: list[NewTask], claimed_ms: int) -> None:
        """``claim`` on a single server in one round trip: each batch's ids with
        one ``MSETNX`` (all of the batch or none). Only if an id is taken does
        it release what it claimed and fall back to ``claim``, which adopts
        orphans and names the taken id."""
        batches = [news[start : start + CREATE_BATCH_SIZE] for start in range(0, len(news), CREATE_BATCH_SIZE)]
        pipe = self._client.pipeline(transaction=False)
        for batch in batches:
            pipe.msetnx({self._keys.claim(n.task_id): claim_value(claimed_ms, n.topic) for n in batch})
        pipe.sadd(self._keys.topics, *{n.topic for n in news})
        results = pipe.execute()[: len(batches)]
        if all(results):
            return
        pipe = self._client.pipeline(transaction=False)
        for batch, won in zip(batches, results, strict=True):
            if won:
                pipe.delete(*(self._keys.claim(n.task_id) for n in batch))
        pipe.execute()
        self.claim(news, claimed_ms)

    def claim(self, news: list[NewTask], claimed_ms: int) -> None:
        """Claim every id (``SET NX``) before any task is written, so a batch is
        all or nothing across topics and two creates of one id never both win.
        Also records each topic in ``ns:topics``. Raises ``TaskAlreadyExists``
        (for the first id taken, in ``news`` order) after releasing the claims
        made here."""
        values = {n.task_id: claim_value(claimed_ms, n.topic) for n in news}
        won: list[str] = []
        lost: list[str] = []
        for start in range(0, len(news), CREATE_BATCH_SIZE):
            batch = news[start : start + CREATE_BATCH_SIZE]
            pipe = self._client.pipeline(transaction=False)
            for new in batch:
                pipe.set(self._keys.claim(new.task_id), values[new.task_id], nx=True)
            for topic in {n.topic for n in batch}:
                pipe.sadd(self._keys.topics, topic)
            for new, ok in zip(batch, pipe.execute()[: len(batch)], strict=True):
                (won if ok else lost).append(new.task_id)
        if not lost:
            return
        adopted = self._adopt_orphans(lost, values)
        won.extend(adopted)
        existing = [task_id for task_id in lost if task_id not in adopted]
        if existing:
            pipe = self._client.pipeline(transaction=False)
            for task_id in won:  # one key each: a cluster may hold them anywhere
                pipe.delete(self._keys.claim(task_id))
            pipe.execute()
            raise TaskAlreadyExists(f"Task {existing[0]!r} already exists.", task_id=existing[0])

    def _adopt_orphans(self, lost: list[str], values: dict[str, str]) -> set[str]:
        """The ids of ``lost`` whose claim was abandoned (older than
        ``ORPHAN_CLAIM_MS``, and no task in its topic), now claimed for this
        create. A younger claim without a task may be a create in progress."""
        pipe = self._client.pipeline(transaction=False)
        for task_id in lost:
            pipe.get(self._keys.claim(task_id))
        now = self._now_ms()
        old = []
        for task_id, value in zip(lost, pipe.execute(), strict=True):
            ms, topic = parse_claim(value)
            if ms is not None and topic and now - ms > ORPHAN_CLAIM_MS:
                old.append((task_id, value, topic))
        if not old:
            return set()
        pipe = self._client.pipeline(transaction=False)
        for task_id, _, topic in old:
            pipe.hexists(self._keys.meta(topic), task_id)
        adopted = set()
        for (task_id, value, _), exists in zip(old, pipe.execute(), strict=True):
            # Compare-and-set: of two creates adopting one orphan, one wins.
            if not exists and self._scripts.claim(self._keys.claim(task_id), value, values[task_id]):
                adopted.add(task_id)
        return adopted
