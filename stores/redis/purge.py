"""Retention on Redis: deleting old finished tasks, a bounded batch at a time.

``purge.lua`` runs on one topic (one slot) and removes each task from every
index and count of the topic. The id claims (``ns:tid:<id>``) and group zsets
(``ns:grp:<group>``) live in other slots, so ``unclaim.lua`` removes them
afterwards, one key a call, and only what is older than the purge's cutoff:
a claim made since then belongs to a task created again under the same id.
A crash between the two leaves claims without tasks, which readers skip and a
later create of the id adopts (``claims.ORPHAN_CLAIM_MS``).
"""

from __future__ import annotations

from redis.cluster import RedisCluster

from stores.redis.connection import Client, texts
from stores.redis.keys import Keys
from stores.redis.scripts import script_texts


class Purger:
    """The purge of one namespace. Lets the driver's exceptions through; the
    store turns them into ``StoreUnavailable``."""

    def __init__(self, client: Client, keys: Keys) -> None:
        self._client = client
        self._keys = keys
        self._cluster = isinstance(client, RedisCluster)
        # A registered Script loads itself on first use (and again after SCRIPT FLUSH).
        self._purge = client.register_script(script_texts()["purge"])
        self._unclaim = client.register_script(script_texts()["unclaim"])

    def batch(self, older_than_ms: int, statuses: tuple[str, ...], topic: str | None, batch_size: int) -> int:
        """Delete up to ``batch_size`` tasks, topic after topic; how many went."""
        topics = [topic] if topic is not None else sorted(texts(self._client.smembers(self._keys.topics)))
        deleted = 0
        for name in topics:
            left = batch_size - deleted
            if left <= 0:
                break
            reply = self._purge(keys=[self._keys.topic(name)], args=[older_than_ms, left, *statuses])
            cutoff = int(reply[0]) - older_than_ms
            pairs = list(zip(reply[1::2], reply[2::2], strict=True))
            self._forget(pairs, cutoff)
            deleted += len(pairs)
        return deleted

    def _forget(self, pairs: list[tuple[str, str]], cutoff: int) -> None:
        """Remove the claims and group entries of purged ``(task_id, group)`` pairs."""
        calls: list[tuple[list[str], list[int | str]]] = []
        for task_id, group in pairs:
            calls.append(([self._keys.claim(task_id)], [cutoff, ""]))
            calls.append(([self._keys.group(group)], [cutoff, task_id]))
        if self._cluster:  # redis-py refuses scripts in cluster pipelines
            for keys, args in calls:
                self._unclaim(keys=keys, args=args)
            return
        for start in range(0, len(calls), 1_000):
            pipe = self._client.pipeline(transaction=False)
            for keys, args in calls[start : start + 1_000]:
                self._unclaim(keys=keys, args=args, client=pipe)
            pipe.execute()
