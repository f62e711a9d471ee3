"""The Redis store: every state change is one Lua script, atomic on the server.

The modules beside this one each do one part: ``keys`` names the keys (the
layout is described there), ``codec`` turns stored values and script replies
into tasks, ``scripts`` loads and runs the ``.lua`` files, ``claims`` keeps task
ids unique across topics, ``connection`` builds the client and checks the
server's version. This module holds the primitives of ``BaseStore``.

The store's clock is the server's ``TIME`` (read inside the scripts). On Redis
Cluster, commands of different topics go to different nodes, so a listing
without a topic merges per-topic pages here, and scripts are not pipelined
(redis-py refuses ``EVALSHA`` in cluster pipelines).

Round trips: a write on a task this store has seen (created, reserved, read)
is one script call, its topic taken from ``KnownTopics``, sent without
redis-py's per-command machinery (``direct.py``); on a single server,
``create_tasks`` of up to ``CREATE_BATCH_SIZE`` tasks is one script call, and a
larger one two round trips in all (every id claimed before any task is
written: all or nothing); ``apply_bulk`` is one script per topic of a chunk;
a listing of every topic is one script.

Needs Redis 7 or later (the read scripts run as ``EVALSHA_RO``); ``open``
refuses an older server.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from redis.cluster import RedisCluster
from redis.exceptions import NoPermissionError, RedisError, ResponseError
from redis.typing import EncodableT

from stores.audit import AuditEntry, audit_key
from stores.base import CREATE_BATCH_SIZE, SEARCH_TIME_LIMIT_S, BaseStore, SearchWindow
from stores.batch import refused
from stores.bulk import BulkAction, BulkItem, BulkOutcome, BulkResult, outcome_of
from stores.constants import TASK_STATUSES
from stores.errors import StoreUnavailable, TaskAlreadyExists, TaskStoreError, refused_write, unavailable
from stores.failures import error_key, rerun_of
from stores.identity import USER_MAY_ONLY_READ, new_identity, parse_identity
from stores.model import (
    BatchOutcome,
    BatchResult,
    DurabilityCheck,
    FailureGroup,
    FailureGroups,
    StoreIdentity,
    Task,
    TaskStatus,
    TopicPause,
    TopicRates,
    TopicStats,
)
from stores.options import StoreOptions
from stores.payload import matches
from stores.rates import RateRow, assemble
from stores.redis.audit import AuditAfter, audit_after, audit_entry, stream_bound
from stores.redis.claims import IdClaims, KnownTopics
from stores.redis.codec import (
    META_ERROR,
    META_LEASE,
    META_UPDATED,
    STATIC_DATA,
    Stored,
    meta_sub_topic,
    record_ver_arg,
    static_json,
    task_from,
)
from stores.redis.connection import (
    DRIVER_ERRORS,
    PASSWORD_IGNORED,
    Client,
    Pipe,
    check_version,
    cluster_server_infos,
    connect,
    password_ignored,
    redis_durability,
    text_or_none,
    texts,
    url_secrets,
    where,
)
from stores.redis.keys import LEASED_INDEXES, Keys, lex, lex_time, list_indexes
from stores.redis.scripts import Args, Call, Check, KeysCall, Reply, Scripts, refusal
from stores.rows import parse_json
from stores.rules import TARGET_STATUS, Write, check_extend, check_rerun, check_revoke, check_write
from stores.schema import checked_schema_version, schema_missing, schema_too_old
from stores.validation import Cursor, NewTask, TaskFilters

if TYPE_CHECKING:  # imported when first used: only a purge needs it
    from stores.redis.purge import Purger

SCHEMA_VERSION = 3  # 2: fewer indexes per task (keys.py), counts from index sizes; 3: topic pauses
#: Whether this user may make the store's writes, asked without making one (an
#: ACL denial is logged by the server, in ACL LOG): 1 when it may run the write
#: scripts (EVALSHA on a topic's keys), the commands they run there (HSET
#: stands for them) and SET the schema key; else 0. Runs as EVAL_RO, which the
#: read-only ACL allows; redis.acl_check_cmd needs Redis 7. KEYS[1]: the schema
#: key (declared, though only read through ACL checks, so that a cluster client
#: routes the call to its node: redis-py before 8.2 cannot route a keyless
#: script); ARGV: a topic's key prefix, a script SHA.
WRITE_PROBE = """#!lua flags=no-writes
if redis.acl_check_cmd('set', KEYS[1], 'x')
    and redis.acl_check_cmd('evalsha', ARGV[2], '1', ARGV[1])
    and redis.acl_check_cmd('hset', ARGV[1] .. 'meta', 'f', 'v') then
  return 1
end
return 0
"""
#: Entries one ``upgrade.lua`` step moves: a few ms of the server's time.
_UPGRADE_STEP = 5_000
#: Every status, as script arguments.
_STATUSES = tuple(str(s) for s in TASK_STATUSES)
P = ParamSpec("P")
R = TypeVar("R")
#: A task, or none where a read found none.
T = TypeVar("T", bound=Task | None)
#: The primitives that write: the server refusing one for lack of rights is ``ReadOnlyStore``.
_WRITES = frozenset({
    "_insert", "_reserve", "_extend", "_write", "_revoke", "_apply_bulk", "_rerun", "_pause", "_resume",
    "_reserve_many", "_terminate_many", "_extend_many",
})
#: The target status of each owner's write, as script argument.
_TARGETS = {write: str(status) for write, status in TARGET_STATUS.items()}
#: Members of a topic's failed index one round trip of ``_list_failure_group`` reads.
_GROUP_WALK = 500


def _bound(check: Callable[[str, Task | None, int], object], task_id: str, now: int) -> Callable[[Task | None], object]:
    """``check`` of one task of a batch, at the server's clock ``now``."""
    return lambda task: check(task_id, task, now)


def _by_name(config: dict[str | None, str | None]) -> dict[str, str | None]:
    """A ``CONFIG GET`` reply as redis-py types it (names may be ``None``), by name."""
    return {str(name): value for name, value in config.items()}


def _guarded(
    what: str,
) -> Callable[[Callable[Concatenate[RedisStore, P], R]], Callable[Concatenate[RedisStore, P], R]]:
    """Turn a driver's exception in the method into ``StoreUnavailable`` ("failed to ``what``")."""

    def decorate(method: Callable[Concatenate[RedisStore, P], R]) -> Callable[Concatenate[RedisStore, P], R]:
        write = method.__name__ in _WRITES

        @functools.wraps(method)
        def wrapper(self: RedisStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except DRIVER_ERRORS as exc:
                raise self._driver_error(what, write, exc) from exc

        return wrapper

    return decorate


class RedisStore(BaseStore):
    """A task store in Redis (or Redis Cluster), shareable by many processes."""

    scheme = "redis"

    @classmethod
    def open(cls, url: str, options: StoreOptions) -> RedisStore:
        """Connect, check the server's version and the schema version, creating
        it unless read-only and upgrading an older one in place (writable
        only). Raises ``InvalidArgument`` for a bad URL and ``StoreUnavailable``
        when the server cannot be reached, refuses the password, times out, is
        older than Redis 7.0, or has no (or a newer) schema in the namespace, or
        an older one and the store may not write."""
        return cls(url, options)

    def __init__(self, url: str, options: StoreOptions) -> None:
        super().__init__(options)
        self._secrets = url_secrets(url)
        self._where = where(url)
        self._keys = Keys(self.namespace)
        self._client = connect(url, options.timeout, self._secrets)
        self._cluster = isinstance(self._client, RedisCluster)
        self._known = KnownTopics()
        try:
            self._scripts = Scripts(self._client, self._keys)
            self._check_server()
            self._claims = IdClaims(self._client, self._keys, self._scripts, self.now_ms)
            if password_ignored(url, options.timeout):
                self._warn(PASSWORD_IGNORED)
        except BaseException:
            self.close()
            raise

    # -- connection and schema ---------------------------------------------
    def _driver_error(self, what: str, write: bool, exc: BaseException) -> TaskStoreError:
        """What a driver's exception in a method (``_guarded``) becomes: an ACL
        user's refused ``write`` is ``ReadOnlyStore``, anything else
        ``StoreUnavailable`` ("failed to ``what``")."""
        if write and isinstance(exc, NoPermissionError):  # an ACL user that may only read
            return refused_write(f"Redis at {self._where}", exc, *self._secrets)
        return self._unavailable(what, exc)

    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        return unavailable(
            f"Could not {what} on Redis at {self._where} (namespace {self.namespace!r})", exc, *self._secrets
        )

    @_guarded("check the server version and schema")
    def _check_server(self) -> None:
        """Refuse a server older than Redis 7; find out, without writing, whether
        this user may write (``WRITE_PROBE``); then check the schema, creating it
        and the store's identity where missing when it may."""
        key = self._keys.schema
        probing = not self.read_only
        pipe = self._client.pipeline(transaction=False)
        if isinstance(self._client, RedisCluster):
            for node, info in cluster_server_infos(self._client).items():
                check_version(info, node)
        else:
            # Rides with the other reads: no extra round trip.
            pipe.info("server")
            if probing:
                self._probe_writes(pipe)
                pipe.time()
        pipe.get(key)
        results = pipe.execute(raise_on_error=False)
        if not self._cluster:
            check_version(results.pop(0), self._where)
        probe: object = None
        now: object = None
        if probing and self._cluster:  # scripts and TIME go on their own there
            probe = self._outcome(lambda: self._probe_writes(self._client))
            now = self._outcome(self._client.time)
        elif probing:
            probe, now = results[0], results[1]
        stored = results[-1]
        if isinstance(stored, Exception):
            raise stored
        if isinstance(probe, Exception) and not isinstance(probe, ResponseError):
            raise probe  # the server did not answer: say so, never guess read-only
        if probe == 0:
            self._may_only_read(USER_MAY_ONLY_READ)
        if not self.read_only:
            # The probe said yes, or could not tell (a user who may not run
            # EVAL_RO): then the SET NX itself says.
            if isinstance(now, Exception) or not isinstance(now, (tuple, list)):
                now_ms = time.time_ns() // 1_000_000  # TIME refused: this machine's clock
            else:
                now_ms = int(now[0]) * 1000 + int(now[1]) // 1000
            pipe = self._client.pipeline(transaction=False)
            pipe.set(key, str(SCHEMA_VERSION), nx=True)
            # SET NX: of two stores opening a new namespace at once, both keep the first's.
            pipe.set(self._keys.identity, new_identity(now_ms), nx=True)
            pipe.get(key)
            written = pipe.execute(raise_on_error=False)
            if isinstance(written[0], NoPermissionError) and stored is not None:
                # An ACL user the probe could not judge, that may only read.
                self._may_only_read(USER_MAY_ONLY_READ)
            else:
                for result in written:
                    if isinstance(result, Exception):
                        raise result
                stored = written[-1]
        if stored is None:
            raise schema_missing(self.namespace, f"on Redis at {self._where}")
        version = checked_schema_version(self.namespace, stored, SCHEMA_VERSION)
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise schema_too_old(self.namespace, version, SCHEMA_VERSION)
            self._upgrade(version)

    def _probe_writes(self, target: Client | Pipe) -> object:
        """Queue (on a pipeline) or run ``WRITE_PROBE`` for this namespace's keys."""
        return target.eval_ro(WRITE_PROBE, 1, self._keys.schema, self._keys.topic("probe"), "0" * 40)

    @staticmethod
    def _outcome(call: Callable[[], object]) -> object:
        """What ``call()`` returned, or the Redis error it raised (as a pipeline would)."""
        try:
            return call()
        except RedisError as exc:
            return exc

    def _upgrade(self, version: int) -> None:
        """Schema 1 -> 2 in place (``keys.py``, ``upgrade.lua``): each topic a
        bounded step at a time, then its per-sub_topic indexes of schema 1 (the
        sub_topics read from its tasks: an empty index no longer exists), then
        the version. Idempotent: an upgrade cut short resumes on the next open.
        Schema 2 -> 3 (pauses) moves nothing: a topic without a ``pause`` key
        is not paused."""
        for topic in self._all_topics() if version < 2 else []:
            while self._scripts.call("upgrade", topic, _UPGRADE_STEP)[1] != 1:
                pass
            subs = {meta_sub_topic(meta) for _, meta in self._client.hscan_iter(self._keys.meta(topic), count=1_000)}
            prefix = self._keys.topic(topic)
            for sub in subs:
                self._client.unlink(f"{prefix}u:t:{sub}")
        self._client.set(self._keys.schema, str(SCHEMA_VERSION))

    def close(self) -> None:
        """Close every connection of the pool; the store cannot be used afterwards."""
        # Closing sockets to a dead server may fail: nothing is left to release then.
        with contextlib.suppress(*DRIVER_ERRORS):
            self._client.close()

    @_guarded("read the store's identity")
    def identity(self) -> StoreIdentity | None:
        """The identity under ``<namespace>:identity`` (``BaseStore.identity``): one
        ``GET``. ``None`` when the key is gone (a server restarted without
        persistence, flushed, or evicting keys). Raises ``StoreUnavailable``."""
        return parse_identity(text_or_none(self._client.get(self._keys.identity)))

    @_guarded("read the persistence settings")
    def durability(self) -> list[DurabilityCheck]:
        """``appendonly``, ``appendfsync``, ``save`` and ``maxmemory-policy`` by
        ``CONFIG GET`` (``BaseStore.durability``), on each primary of a cluster.
        A user who may not run ``CONFIG GET`` (the read-only ACL of the README)
        gets one check saying so. Raises ``StoreUnavailable``."""
        names = ("appendonly", "appendfsync", "save", "maxmemory-policy")
        try:
            if isinstance(self._client, RedisCluster):
                nodes = self._client.get_primaries()  # type: ignore[no-untyped-call, unused-ignore]  # untyped
                return [
                    DurabilityCheck(f"{check.setting} ({node.name})", check.value, check.ok, check.risk)
                    for node in nodes
                    for check in redis_durability(_by_name(self._client.config_get(*names, target_nodes=node)))
                ]
            return redis_durability(_by_name(self._client.config_get(*names)))
        except ResponseError as exc:  # NoPermissionError included: an ACL user
            return [DurabilityCheck(
                "CONFIG GET", f"could not be read ({' '.join(str(exc).split())[:120]})", False, "unknown",
            )]

    @_guarded("read the server clock")
    def now_ms(self) -> int:
        """The server's clock (``TIME``), epoch ms. Raises ``StoreUnavailable``."""
        seconds, micros = self._client.time()
        return seconds * 1000 + micros // 1000

    # -- reads ---------------------------------------------------------------
    def _fetch(self, pairs: list[tuple[str, str]]) -> list[Task | None]:
        """The tasks ``(task_id, topic)``, ``None`` where there is none."""
        pipe = self._client.pipeline(transaction=False)
        for task_id, topic in pairs:
            pipe.hget(self._keys.meta(topic), task_id)
            pipe.hget(self._keys.static(topic), task_id)
        values = pipe.execute() if pairs else []
        found = [
            task_from(task_id, topic, meta, static) if meta and static else None
            for (task_id, topic), meta, static in zip(pairs, values[::2], values[1::2], strict=True)
        ]
        self._remember(found)
        return found

    def _all_topics(self) -> list[str]:
        """Every topic ever written to in the namespace, by name."""
        return sorted(texts(self._client.smembers(self._keys.topics)))

    def _remember(self, tasks: list[T]) -> list[T]:
        """Note the topics of ``tasks`` for later writes (``KnownTopics``)."""
        self._known.update((t.task_id, t.topic) for t in tasks if t is not None)
        return tasks

    @_guarded("read a task")
    def _get(self, task_id: str) -> Task | None:
        known = self._known.get(task_id)
        if known is not None:  # ids are unique across topics: found there, it is the task
            task = self._fetch([(task_id, known)])[0]
            if task is not None:
                return task
            self._known.forget(task_id)
        topic = self._claims.topic_of(task_id)
        return self._fetch([(task_id, topic)])[0] if topic is not None else None

    @_guarded("read a task group")
    def _group(self, task_group_id: str) -> list[Task]:
        # Members only (no scores): redis-py's return type covers both shapes.
        ids = cast("list[str]", self._client.zrange(self._keys.group(task_group_id), 0, -1))
        if not ids:
            return []
        topics = self._claims.topics_of(ids)
        pairs = [(task_id, topic) for task_id, topic in zip(ids, topics, strict=True) if topic]
        # An entry may outlive a create that never finished, and its id may since
        # belong to a task of another group: keep only the group's real tasks.
        found = [t for t in self._fetch(pairs) if t is not None and t.task_group_id == task_group_id]
        return sorted(found, key=lambda t: (t.created_at, t.task_id))

    @_guarded("list tasks")
    def _list(self, filters: TaskFilters, cursor: Cursor) -> list[Task]:
        if filters.error_key is not None:
            return self._list_failure_group(filters, cursor)
        indexes = list_indexes(filters.status, filters.sub_topic, _STATUSES)
        # Newest first: ZREVRANGEBYLEX from the upper bound down to the lower one.
        uppers = []
        if cursor.after is not None:
            uppers.append(lex(*cursor.after))
        if filters.to_ms is not None:
            uppers.append(lex_time(filters.to_ms + 1))  # below every member of to_ms + 1
        upper = "(" + min(uppers) if uppers else "+"
        lower = "[" + lex_time(filters.from_ms) if filters.from_ms is not None else "-"
        topics = [filters.topic] if filters.topic is not None else None
        return self._page(topics, indexes, "desc", upper, lower, cursor.limit + 1)

    @staticmethod
    def _range(filters: TaskFilters, after: tuple[int, str] | None) -> tuple[str, str]:
        """The ZREVRANGEBYLEX bounds (upper, lower) of ``filters``' time range after ``after``."""
        uppers = []
        if after is not None:
            uppers.append("(" + lex(*after))
        if filters.to_ms is not None:
            uppers.append("(" + lex_time(filters.to_ms + 1))
        upper = min(uppers, key=lambda bound: bound[1:]) if uppers else "+"
        lower = "[" + lex_time(filters.from_ms) if filters.from_ms is not None else "-"
        return upper, lower

    def _walk(
        self, topic: str, indexes: list[str], upper: str, lower: str, budget: int | None = None
    ) -> Iterator[tuple[list[str], bool]]:
        """The members of ``indexes`` of ``topic`` from ``upper`` down to ``lower``,
        merged, newest first, in batches of at most ``_GROUP_WALK`` (one round
        trip each: a pipeline of one range read per index, all in the topic's
        slot), ``budget`` members in all (no bound when ``None``), each batch
        with whether it ends the range. Members are read as they are then: a
        task that moves while the walk goes on may be met twice or missed, as
        in a scroll."""
        keys = [self._scripts.prefix(topic) + index for index in indexes]
        while budget is None or budget > 0:
            count = _GROUP_WALK if budget is None else min(_GROUP_WALK, budget)
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.zrevrangebylex(key, upper, lower, start=0, num=count)
            parts = [texts(part) for part in pipe.execute()]
            members = parts[0] if len(parts) == 1 else sorted((m for part in parts for m in part), reverse=True)
            batch = members[:count]
            if batch:
                yield batch, len(members) < count
            if len(members) < count:
                return
            if budget is not None:
                budget -= count
            upper = "(" + batch[-1]

    def _hmget(self, key: str, fields: list[str]) -> list[str | None]:
        """``HMGET`` as text, ``None`` where a field is missing; no call for no fields."""
        return [text_or_none(value) for value in self._client.hmget(key, fields)] if fields else []

    def _list_failure_group(self, filters: TaskFilters, cursor: Cursor) -> list[Task]:
        """``list_tasks`` with the ``error_key`` filter (a topic's failed tasks): the
        topic's failed index walked newest first (``_walk``), each task's error
        read and compared exactly, until a page is full. A failed task never
        changes, so its place in the index is stable."""
        assert filters.topic is not None and filters.error_key is not None  # validation requires them
        topic = filters.topic
        indexes = list_indexes(str(TaskStatus.FAILED), filters.sub_topic, _STATUSES)
        wanted = cursor.limit + 1
        found: list[tuple[str, str]] = []  # (task_id, meta)
        for members, _ in self._walk(topic, indexes, *self._range(filters, cursor.after)):
            ids = [member[16:] for member in members]
            for task_id, meta in zip(ids, self._hmget(self._keys.meta(topic), ids), strict=True):
                if meta is not None and error_key(json.loads(meta)[META_ERROR]) == filters.error_key:
                    found.append((task_id, meta))
            if len(found) >= wanted:
                break
        found = found[:wanted]
        statics = self._hmget(self._keys.static(topic), [task_id for task_id, _ in found])
        return self._remember([
            task_from(task_id, topic, meta, static)
            for (task_id, meta), static in zip(found, statics, strict=True) if static
        ])

    @_guarded("search tasks")
    def _search(
        self, filters: TaskFilters, after: tuple[int, str] | None, limit: int, scan_limit: int
    ) -> SearchWindow:
        """The client walks the topic's range (``_walk``: bounded batches, no
        script holding the server) and reads each task's fixed fields with one
        HMGET a batch, matching ``data`` with ``stores.payload.matches``; it stops
        at ``scan_limit`` rows, at ``limit`` matches, or when the call has taken
        ``SEARCH_TIME_LIMIT_S`` (the rows read so far are the window)."""
        assert filters.topic is not None  # validation requires it
        topic = filters.topic
        indexes = list_indexes(filters.status, filters.sub_topic, _STATUSES)
        deadline = time.monotonic() + min(SEARCH_TIME_LIMIT_S, self.options.timeout)
        found: list[tuple[int, tuple[int, str], str, str]] = []  # (position, key, task_id, static)
        examined, last, ended = 0, None, True
        for members, final in self._walk(topic, indexes, *self._range(filters, after), scan_limit):
            ids = [member[16:] for member in members]
            read = 0
            for member, task_id, static in zip(
                members, ids, self._hmget(self._keys.static(topic), ids), strict=True
            ):
                read += 1
                last = (int(member[:15]), task_id)
                if static is not None and matches(json.loads(static)[STATIC_DATA], filters.data):
                    found.append((examined + read, last, task_id, static))
                    if len(found) >= limit:
                        break
            examined += read
            ended = final and read == len(members)
            if len(found) >= limit or time.monotonic() > deadline:
                break
        metas = self._hmget(self._keys.meta(topic), [task_id for _, _, task_id, _ in found])
        window = [
            (position, key, task_from(task_id, topic, meta, static))
            for (position, key, task_id, static), meta in zip(found, metas, strict=True) if meta is not None
        ]
        self._remember([task for _, _, task in window])
        return SearchWindow(window, examined, last, ended)

    @_guarded("list leased tasks")
    def _list_leased(self, topic: str | None, cursor: Cursor) -> list[Task]:
        lower = "(" + lex(*cursor.after) if cursor.after is not None else "-"
        topics = [topic] if topic is not None else None
        return self._page(topics, LEASED_INDEXES, "asc", lower, "+", cursor.limit + 1)

    def _page(
        self, topics: list[str] | None, indexes: list[str], order: str, first: str, second: str, count: int
    ) -> list[Task]:
        """Up to ``count`` tasks from ``indexes`` of ``topics`` (every topic when
        ``None``), in index order. ``list.lua`` merges the indexes, and on one
        server the topics too (one script over all of them, which reads only the
        rows it keeps); on a cluster each topic's page comes from its own node
        and they are merged here."""
        args = [order, first, second, str(count)]
        if topics is None:
            topics = self._all_topics()
        if not topics:
            return []
        if len(topics) == 1 or not self._cluster:
            prefixes = [self._scripts.prefix(topic) for topic in topics]
            rows = json.loads(self._scripts.call_keys("list", prefixes, [*args, "1", *indexes]))
            return self._remember([
                task_from(task_id, topics[k - 1], meta, static) for k, task_id, meta, static in rows
            ])
        replies = self._scripts.run([("list", topic, [*args, "0", *indexes]) for topic in topics])
        sort_field = META_UPDATED if order == "desc" else META_LEASE
        merged = []  # (sort key, task_id, topic, meta)
        for topic, reply in zip(topics, replies, strict=True):
            for _, task_id, meta in json.loads(reply):
                merged.append(((meta[sort_field], task_id), task_id, topic, meta))
        merged.sort(key=lambda row: row[0], reverse=order == "desc")
        merged = merged[:count]
        pipe = self._client.pipeline(transaction=False)
        for _, task_id, topic, _ in merged:
            pipe.hget(self._keys.static(topic), task_id)
        statics = pipe.execute() if merged else []
        return self._remember([
            task_from(task_id, topic, meta, static)
            for (_, task_id, topic, meta), static in zip(merged, statics, strict=True)
            if static
        ])

    @_guarded("read topic counts")
    def _topics(self) -> list[TopicStats]:
        topics = self._all_topics()
        stats = []
        for topic, (flat_counts, expired, oldest) in zip(
            topics, self._scripts.run([("stats", topic, _STATUSES) for topic in topics]), strict=True
        ):
            counts = dict.fromkeys(TASK_STATUSES, 0)
            for status, n in zip(flat_counts[::2], flat_counts[1::2], strict=True):
                counts[TaskStatus(status)] = int(n)
            if any(counts.values()):  # a topic whose only create was refused has none
                stats.append(TopicStats(topic, counts, int(expired), int(oldest) if oldest else None))
        return stats

    @_guarded("read the audit trail")
    def _audit_log(self, task_id: str | None, cursor: Cursor) -> list[AuditEntry]:
        after = audit_after(cursor.after)
        if task_id is not None:
            return self._task_audit(task_id, after, cursor.limit + 1)
        topics = self._all_topics()
        pipe = self._client.pipeline(transaction=False)
        for topic in topics:
            pipe.xrevrange(self._keys.audit(topic), stream_bound(topic, after), "-", count=cursor.limit + 1)
        replies = pipe.execute() if topics else []
        entries = [
            audit_entry(topic, sid, fields)
            for topic, reply in zip(topics, replies, strict=True)
            for sid, fields in reply
        ]
        entries.sort(key=audit_key, reverse=True)
        return entries[: cursor.limit + 1]

    def _task_audit(self, task_id: str, after: AuditAfter | None, count: int) -> list[AuditEntry]:
        """The task's records: its topic from its claim or, once the task is
        gone, from the topic that holds its list of record ids."""
        topic = self._claims.topic_of(task_id)
        candidates = [topic] if topic is not None else self._all_topics()
        entries: list[AuditEntry] = []
        for topic in candidates:
            sids = self._client.lrange(self._keys.task_audit(topic, task_id), 0, -1)
            if not sids:
                continue
            pipe = self._client.pipeline(transaction=False)
            for sid in sids:
                pipe.xrange(self._keys.audit(topic), sid, sid)
            entries.extend(
                audit_entry(topic, sid, fields) for reply in pipe.execute() for sid, fields in reply
            )
        entries.sort(key=audit_key, reverse=True)
        if after is not None:
            entries = [e for e in entries if audit_key(e) < after.key]
        return entries[:count]

    def _audit_arg(self) -> str:
        """The audit context the write scripts take: JSON, or '' (not recorded)."""
        audit = self._audit_context()
        return audit.to_json() if audit is not None else ""

    # -- writes --------------------------------------------------------------
    @_guarded("create tasks")
    def _insert(self, news: list[NewTask]) -> list[Task]:
        claimed_ms = time.time_ns() // 1_000_000
        audit = self._audit_arg()
        batches = [news[start : start + CREATE_BATCH_SIZE] for start in range(0, len(news), CREATE_BATCH_SIZE)]
        if self._cluster:
            # Claims, group entries and topics live in different slots: claim
            # every id first, then one script per topic of each batch.
            self._claims.claim(news, claimed_ms)
            done = [
                (group, reply) for batch in batches
                for group, reply in self._create_on_cluster(batch, audit, claimed_ms)
            ]
        elif len(batches) == 1:
            # One script claims the ids and writes the tasks: one round trip.
            (reply,) = self._scripts.run_keys([self._create_call(news, audit, claimed_ms, "claim")])
            if reply[0] != 1 and reply[1] == "claim-lost":
                self._claims.claim(news, claimed_ms)  # adopts orphans, or raises TaskAlreadyExists
                (reply,) = self._scripts.run_keys([self._create_call(news, audit, claimed_ms, "group")])
            done = [(news, reply)]
        else:
            # Every id is claimed before any task is written: all or nothing.
            self._claims.claim_batches(news, claimed_ms)
            calls = [self._create_call(batch, audit, claimed_ms, "group") for batch in batches]
            done = list(zip(batches, self._scripts.run_keys(calls), strict=True))
        created_at: dict[str, int] = {}
        for group, reply in done:
            if reply[0] != 1:
                raise TaskAlreadyExists(f"Task {reply[2]!r} already exists.", task_id=reply[2])
            created_at.update(dict.fromkeys((n.task_id for n in group), int(reply[1])))
        self._known.update((n.task_id, n.topic) for n in news)
        return [n.created(created_at[n.task_id]) for n in news]

    def _create_call(self, batch: list[NewTask], audit: str, claimed_ms: int, mode: str) -> KeysCall:
        """The ``create.lua`` call for ``batch`` in ``mode`` (described in the script)."""
        numbers: dict[str, int] = {}
        for new in batch:
            numbers.setdefault(new.topic, len(numbers) + 1)
        keys = [self._keys.topic(topic) for topic in numbers]
        if mode == "claim":
            keys.append(self._keys.topics)
            keys.extend(self._keys.claim(n.task_id) for n in batch)
        if mode in ("claim", "group"):
            keys.extend(self._keys.group(n.task_group_id) for n in batch)
        args: list[EncodableT] = [audit, claimed_ms, mode, len(numbers), *numbers]
        for n in batch:
            args += (numbers[n.topic], n.task_id, n.sub_topic, static_json(n))
        return ("create", keys, args)

    def _create_on_cluster(
        self, batch: list[NewTask], audit: str, claimed_ms: int
    ) -> list[tuple[list[NewTask], Reply]]:
        """The group entries of ``batch`` (claimed already), then one script per
        topic; ``(tasks, reply)`` per topic."""
        pipe = self._client.pipeline(transaction=False)
        by_topic: dict[str, list[NewTask]] = {}
        for new in batch:
            # Before the task exists, so a crash leaves at worst an entry
            # readers skip. The score approximates created_at (client clock);
            # tasks() sorts by the stored created_at.
            pipe.zadd(self._keys.group(new.task_group_id), {new.task_id: claimed_ms}, nx=True)
            by_topic.setdefault(new.topic, []).append(new)
        calls = [self._create_call(group, audit, claimed_ms, "") for group in by_topic.values()]
        return list(zip(by_topic.values(), self._scripts.run_keys(calls, pipe), strict=True))

    def _reserve(self, topic: str, pid: str) -> Task | None:
        # _guarded's handling inline, here and in _extend and _write: its
        # wrapper's frame and argument packing were a tenth of a cycle's Python.
        try:
            reply = self._scripts.reserve(topic, pid, self.lease_time_ms, self._audit_arg())
        except DRIVER_ERRORS as exc:
            raise self._driver_error("reserve a task", True, exc) from exc
        if reply[0] != 1:
            return None
        task_id, meta, static = parse_json(reply[1])
        self._known.add(task_id, topic)
        return task_from(task_id, topic, meta, static)

    @_guarded("reserve tasks")
    def _reserve_many(self, topic: str, pid: str, max_tasks: int) -> list[Task]:
        reply = self._scripts.call("reserve_many", topic, pid, self.lease_time_ms, self._audit_arg(), max_tasks)
        tasks = [task_from(task_id, topic, meta, static) for task_id, meta, static in json.loads(reply)]
        self._known.update((task.task_id, topic) for task in tasks)
        return tasks

    def _per_topic(
        self, name: str, task_ids: list[str], head: list[EncodableT], item_args: Callable[[int], Args],
    ) -> list[tuple[str | None, list[Any], int]]:
        """Run script ``name`` once per topic of ``task_ids`` (pipelined in one round
        trip on one server; a cluster gets one call per topic, each in its slot),
        with ``head`` then ``item_args(i)`` for each of its tasks. Per task, in
        order: ``(topic, row, now)``, the script's row (``[1, meta, static]`` or
        ``[0, code, meta, static]``); ``(None, [0, 'task-not-found'], 0)`` for an
        id no topic holds. A known topic that no longer holds the task is
        dropped and the claim asked, as a single write does."""
        topics: list[str | None] = [self._known.get(task_id) for task_id in task_ids]
        cached = [topic is not None for topic in topics]
        unknown = [i for i, topic in enumerate(topics) if topic is None]
        for i, topic in zip(unknown, self._claims.topics_of([task_ids[i] for i in unknown]), strict=True):
            topics[i] = topic
        out: dict[int, tuple[str | None, list[Any], int]] = {}
        which = list(range(len(task_ids)))
        for _ in range(2):
            by_topic: dict[str, list[int]] = {}
            for i in which:
                topic = topics[i]
                if topic is None:
                    out[i] = (None, [0, "task-not-found", None, None], 0)
                else:
                    by_topic.setdefault(topic, []).append(i)
            calls: list[Call] = [
                (name, topic, [*head, *(arg for i in group for arg in item_args(i))])
                for topic, group in by_topic.items()
            ]
            retry: list[int] = []
            done: list[tuple[str, str]] = []
            for (topic, group), (now, reply) in zip(by_topic.items(), self._scripts.run(calls), strict=True):
                for i, row in zip(group, json.loads(reply), strict=True):
                    if row[0] != 1 and row[1] == "task-not-found" and cached[i]:
                        retry.append(i)
                        continue
                    out[i] = (topic, row, int(now))
                    if row[0] == 1:
                        done.append((task_ids[i], topic))
            self._known.update(done)
            if not retry:
                break
            for i in retry:
                self._known.forget(task_ids[i])
            claimed = self._claims.topics_of([task_ids[i] for i in retry])
            for i, topic in zip(retry, claimed, strict=True):
                # The same topic again would find nothing again: the task is gone.
                topics[i] = topic if topic != topics[i] else None
                cached[i] = False
            which = retry
        return [out[i] for i in range(len(task_ids))]

    def _batch_results(
        self, task_ids: list[str], rows: list[tuple[str | None, list[Any], int]],
        check: Callable[[str, Task | None, int], object],
    ) -> list[BatchResult]:
        """``BatchResult`` of each task from its script row; a refusal worded by
        ``check(task_id, task as the script saw it, the server's clock then)``."""
        results = []
        for task_id, (topic, row, now) in zip(task_ids, rows, strict=True):
            if row[0] == 1:
                assert topic is not None  # written in it
                results.append(BatchResult(task_id, BatchOutcome.OK, task_from(task_id, topic, row[1], row[2])))
            else:
                task = None if topic is None or row[2] is None else task_from(task_id, topic, row[2], row[3])
                results.append(refused(task_id, task, _bound(check, task_id, now)))
        return results

    @_guarded("terminate tasks")
    def _terminate_many(self, items: list[tuple[str, int]], pid: str) -> list[BatchResult]:
        task_ids = [task_id for task_id, _ in items]
        versions = dict(items)
        rows = self._per_topic(
            "terminate_many", task_ids, [pid, self._audit_arg()], lambda i: (items[i][0], items[i][1])
        )

        def check(task_id: str, task: Task | None, now: int) -> Task:
            return check_write(task, task_id, Write.TERMINATE, pid, versions[task_id])

        return self._batch_results(task_ids, rows, check)

    @_guarded("extend leases")
    def _extend_many(self, pid: str, task_ids: list[str]) -> list[BatchResult]:
        rows = self._per_topic(
            "extend_many", task_ids, [pid, self.lease_time_ms, self._audit_arg()], lambda i: (task_ids[i],)
        )

        def check(task_id: str, task: Task | None, now: int) -> Task:
            return check_extend(task, task_id, pid, None, now)

        return self._batch_results(task_ids, rows, check)

    def _on_task(self, name: str, task_id: str, args: Args, check: Check) -> tuple[str, Reply]:
        """Run write script ``name`` on the task's topic: ``(topic, reply)``, or
        raise its refusal (worded by ``check``).

        The topic comes from ``KnownTopics`` when this store saw the task (one
        round trip), else from the id's claim. A known topic that no longer
        holds the task is dropped and the claim asked."""
        known = self._known.get(task_id)
        if known is not None:
            reply = self._scripts.call(name, known, *args)
            if reply[0] == 1:
                return known, reply
            if reply[1] != "task-not-found":
                raise refusal(reply, task_id, known, check)
            self._known.forget(task_id)
        topic = self._claims.topic_of(task_id)
        if topic is None:
            check(None, 0)
            raise AssertionError("stores.rules accepted a missing task")  # pragma: no cover
        if topic != known:
            reply = self._scripts.call(name, topic, *args)
        if reply[0] != 1:
            raise refusal(reply, task_id, topic, check)
        self._known.add(task_id, topic)
        return topic, reply

    def _extend(self, task_id: str, pid: str, record_ver: int | None) -> None:
        def check(task: Task | None, now: int) -> Task:
            return check_extend(task, task_id, pid, record_ver, now)

        args = (task_id, pid, record_ver_arg(record_ver), self.lease_time_ms, self._audit_arg())
        try:  # as _guarded does (see _reserve)
            self._on_task("extend", task_id, args, check)
        except DRIVER_ERRORS as exc:
            raise self._driver_error("extend a lease", True, exc) from exc

    def _write(
        self,
        task_id: str,
        write: Write,
        pid: str | None,
        record_ver: int | None,
        *,
        error: str,
        snooze_ms: int,
    ) -> Task:
        def check(task: Task | None, _now: int) -> Task:
            return check_write(task, task_id, write, pid, record_ver)

        args = (task_id, _TARGETS[write], pid or "", record_ver_arg(record_ver), error, snooze_ms, self._audit_arg())
        try:  # as _guarded does (see _reserve)
            topic, reply = self._on_task("write", task_id, args, check)
        except DRIVER_ERRORS as exc:
            raise self._driver_error("update a task", True, exc) from exc
        return task_from(task_id, topic, *parse_json(reply[1]))

    @_guarded("revoke a lease")
    def _revoke(self, task_id: str, record_ver: int) -> Task:
        def check(task: Task | None, _now: int) -> Task:
            return check_revoke(task, task_id, record_ver)

        topic, reply = self._on_task("revoke", task_id, (task_id, record_ver, self._audit_arg()), check)
        return task_from(task_id, topic, *parse_json(reply[1]))

    @_guarded("re-run a task")
    def _rerun(self, task_id: str, record_ver: int) -> Task:
        """The original read and checked, the new id claimed and its group entry
        written (as a create on a cluster does), then ``rerun.lua`` on the topic:
        it checks the original again and writes the new task and both audit
        records atomically. A refused re-run releases the claim."""

        def check(task: Task | None, _now: int) -> Task:
            return check_rerun(task, task_id, record_ver)

        original = check(self._get(task_id), 0)
        new = rerun_of(original)
        claimed_ms = time.time_ns() // 1_000_000
        self._claims.claim([new], claimed_ms)
        group = self._keys.group(new.task_group_id)
        self._client.zadd(group, {new.task_id: claimed_ms}, nx=True)
        args = (self._audit_arg(), task_id, record_ver, new.task_id, new.sub_topic, static_json(new))
        reply = self._scripts.call("rerun", original.topic, *args)
        if reply[0] != 1:
            self._client.zrem(group, new.task_id)
            self._client.delete(self._keys.claim(new.task_id))
            raise refusal(reply, task_id, original.topic, check)
        self._known.add(new.task_id, new.topic)
        return task_from(new.task_id, new.topic, *parse_json(reply[1]))

    @_guarded("read the failures of a topic")
    def _failure_groups(self, topic: str, limit: int, scan_limit: int) -> FailureGroups:
        scanned, total, reply = self._scripts.call("failures", topic, scan_limit)
        groups = sorted(
            (FailureGroup(key, int(n), int(first), int(last), sample) for key, n, first, last, sample
             in json.loads(reply)),
            key=lambda g: (-g.count, -g.last_seen_ms, g.error_key),
        )
        return FailureGroups(
            topic, tuple(groups[:limit]), int(scanned), scan_limit, int(total) <= scan_limit, len(groups)
        )

    @_guarded("apply a bulk action")
    def _apply_bulk(
        self, action: BulkAction, items: list[BulkItem], *, error: str, snooze_ms: int
    ) -> list[BulkResult]:
        """One chunk: one ``bulk.lua`` call per topic of its items (one round trip
        on one server after finding the topics of ids this store has not seen),
        each item checked and written as a single write would be."""
        topics = [self._known.get(item.task_id) for item in items]
        cached = [topic is not None for topic in topics]
        unknown = [i for i, topic in enumerate(topics) if topic is None]
        for i, topic in zip(unknown, self._claims.topics_of([items[i].task_id for i in unknown]), strict=True):
            topics[i] = topic
        results: dict[int, BulkResult] = {}
        retry = self._bulk_pass(action, items, range(len(items)), topics, cached, results, error, snooze_ms)
        if retry:
            # Known topics that no longer hold the task: ask the claims, as a single write does.
            for i in retry:
                self._known.forget(items[i].task_id)
            claimed = self._claims.topics_of([items[i].task_id for i in retry])
            for i, topic in zip(retry, claimed, strict=True):
                # The same topic again would find nothing again: the task is gone.
                topics[i] = topic if topic != topics[i] else None
            self._bulk_pass(action, items, retry, topics, [False] * len(items), results, error, snooze_ms)
        return [results[i] for i in range(len(items))]

    def _bulk_pass(
        self, action: BulkAction, items: list[BulkItem], which: Iterable[int], topics: list[str | None],
        cached: list[bool], results: dict[int, BulkResult], error: str, snooze_ms: int,
    ) -> list[int]:
        """Run ``bulk.lua`` for the items ``which`` on their ``topics``, filling
        ``results``; the items not found in a topic that came from ``cached``
        are returned instead (to be looked up again)."""
        by_topic: dict[str, list[int]] = {}
        for i in which:
            topic = topics[i]
            if topic is None:
                results[i] = self._bulk_refused(action, items[i], "", "task-not-found", None, 0)
            else:
                by_topic.setdefault(topic, []).append(i)
        head: list[EncodableT] = [str(action), error, snooze_ms, self._audit_arg()]
        calls: list[Call] = []
        for topic, group in by_topic.items():
            args = list(head)
            for i in group:
                item = items[i]
                args += (item.task_id, item.record_ver, item.pid or "")
            calls.append(("bulk", topic, args))
        retry: list[int] = []
        done: list[tuple[str, str]] = []
        for (topic, group), (now, reply) in zip(by_topic.items(), self._scripts.run(calls), strict=True):
            for i, row in zip(group, json.loads(reply), strict=True):
                item = items[i]
                if row[0] == 1:
                    task = task_from(item.task_id, topic, row[1], row[2])
                    results[i] = BulkResult(item.task_id, BulkOutcome.DONE, task=task)
                    done.append((item.task_id, topic))
                elif row[1] == "task-not-found" and cached[i]:
                    retry.append(i)
                else:
                    results[i] = self._bulk_refused(action, item, topic, row[1], row[2], int(now))
        self._known.update(done)
        return retry

    @staticmethod
    def _bulk_refused(
        action: BulkAction, item: BulkItem, topic: str, code: str, meta: Stored | None, now: int
    ) -> BulkResult:
        """The result of an item ``bulk.lua`` refused, worded as the single write's error."""

        def check(task: Task | None, _now: int) -> Task:
            if action is BulkAction.REVOKE:
                return check_revoke(task, item.task_id, item.record_ver)
            return check_write(task, item.task_id, Write(action.value), item.pid, item.record_ver)

        exc = refusal([0, code, meta or "", now], item.task_id, topic, check)
        return BulkResult(item.task_id, outcome_of(exc), str(exc))

    # -- pauses ----------------------------------------------------------------
    @_guarded("pause a topic")
    def _pause(self, topic: str, until_ms: int | None, for_ms: int | None, reason: str) -> TopicPause:
        """The topic noted in the namespace's set of topics (so ``paused_topics``
        and the audit trail find it, tasks or not), then ``pause.lua``."""
        pipe = self._client.pipeline(transaction=False)
        pipe.sadd(self._keys.topics, topic)
        args: list[EncodableT] = [
            self._audit_arg(), "" if until_ms is None else until_ms, "" if for_ms is None else for_ms,
            reason, json.dumps(reason, ensure_ascii=False), self._paused_by,
        ]
        ((at, until),) = self._scripts.run([("pause", topic, args)], pipe)
        return TopicPause(topic, int(at), int(until) if until else None, reason, self._paused_by)

    @_guarded("resume a topic")
    def _resume(self, topic: str) -> TopicPause | None:
        reply = self._scripts.call("resume", topic, self._audit_arg())
        if reply[0] != 1:
            return None
        _, at, until, reason, by = reply
        return TopicPause(topic, int(at), int(until) if until else None, reason, by)

    @_guarded("read the paused topics")
    def _paused(self) -> list[TopicPause]:
        """One pipeline: the clock and every topic's pause (an ``HMGET`` each)."""
        topics = self._all_topics()
        pipe = self._client.pipeline(transaction=False)
        if not self._cluster:
            pipe.time()
        for topic in topics:
            pipe.hmget(self._keys.pause(topic), ["at", "until", "reason", "by"])
        replies = pipe.execute() if topics or not self._cluster else []
        if self._cluster:
            now = self.now_ms()
        else:
            seconds, micros = replies.pop(0)
            now = int(seconds) * 1000 + int(micros) // 1000
        pauses = []
        for topic, (at, until, reason, by) in zip(topics, replies, strict=True):
            if at is None or (until and int(until) <= now):
                continue
            pauses.append(TopicPause(topic, int(at), int(until) if until else None, reason or "", by or ""))
        return pauses

    @_guarded("read the rates")
    def _rates(self, topic: str | None, width_ms: int, buckets: int) -> list[TopicRates]:
        """One read-only script per topic (rates.lua), pipelined on one server."""
        topics = [topic] if topic is not None else self._all_topics()
        replies = self._scripts.run([("rates", name, [width_ms, buckets]) for name in topics])
        now = int(replies[0][0]) if replies else self.now_ms()
        rows: list[RateRow] = []
        for name, (_, flat) in zip(topics, replies, strict=True):
            rows.extend(zip(itertools.repeat(name), flat[0::5], flat[1::5], flat[2::5], flat[3::5], flat[4::5]))
        # Each topic's window was judged on its script's clock; the first one's
        # (the earliest) is the reading's (a bucket that began since counts later).
        return assemble(rows, now, width_ms, buckets, topic)

    @functools.cached_property
    def _purger(self) -> Purger:
        from stores.redis.purge import Purger  # only a purge needs it

        return Purger(self._client, self._keys)

    @_guarded("purge tasks")
    def _purge_batch(self, older_than_ms: int, statuses: tuple[str, ...], topic: str | None, batch_size: int) -> int:
        return self._purger.batch(older_than_ms, statuses, topic, batch_size)


__all__ = ["RedisStore"]
