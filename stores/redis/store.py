"""The Redis store: every state change is one Lua script, atomic on the server.

Keys (``ns`` is the namespace; ``T`` the topic with ``%``, ``{``, ``}``
percent-encoded, so that the hash tag ``{T}`` ends where the topic does):

- ``ns:schema`` -- the schema version (``SET NX`` on the first writable open).
- ``ns:topics`` -- set of every topic ever written to.
- ``ns:tid:<task_id>`` -- the id's claim, ``"<claimed ms>:<topic>"``: ids are
  global, so a create claims them (``SET NX``) before any topic script runs.
- ``ns:grp:<task_group_id>`` -- zset of the group's ids (groups span topics).
- ``ns:{T}:...`` -- everything of one topic, in one cluster slot, so one script
  can change it atomically: ``meta`` (id -> JSON array of the mutable fields),
  ``static`` (id -> JSON array of the fields fixed at create, ``data`` as the
  exact JSON text given), ``counts`` (status -> n), ``z:starting`` (by
  created_at), ``z:running`` / ``z:snoozed`` (by lease_expires_at), and
  lexicographic indexes for keyset paging: ``u``, ``u:s:<status>``,
  ``u:t:<sub_topic>``, ``u:ts:<status>:<sub_topic>`` (by updated_at) and
  ``leased`` (by lease_expires_at), members ``"%015d:<task_id>"``.

The store's clock is the server's ``TIME`` (read inside the scripts). On Redis
Cluster, commands of different topics go to different nodes, so a listing
without a topic merges per-topic pages here, and scripts are not pipelined
(redis-py refuses ``EVALSHA`` in cluster pipelines).

Needs Redis 7 or later: the read scripts carry ``#!lua flags=no-writes`` and run
as ``EVALSHA_RO``, so a read-only store works for a Redis user that may only read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError, RedisClusterException, RedisError
from redis.retry import Retry

from stores.base import CREATE_BATCH_SIZE, BaseStore, StoreOptions
from stores.errors import (
    ERRORS_BY_CODE,
    InvalidArgument,
    StoreUnavailable,
    TaskAlreadyExists,
    TaskStoreError,
    redact,
    unavailable,
)
from stores.model import Task, TaskStatus, TopicStats
from stores.protocol import ALLOWED_TRANSITIONS, FINAL_STATUSES, TASK_STATUSES
from stores.rules import TARGET_STATUS, Write, check_extend, check_revoke, check_write
from stores.validation import Cursor, NewTask, TaskFilters

SCHEMA_VERSION = 1
CLIENT_NAME = "sokka-tui"
#: A claim whose task never appeared for this long is taken to be left by a
#: create that died between claiming and writing; another create may take it.
ORPHAN_CLAIM_MS = 10 * 60 * 1000
#: What a driver may raise: every one becomes ``StoreUnavailable``.
DRIVER_ERRORS = (RedisError, RedisClusterException, OSError)
SCRIPTS = ("create", "reserve", "extend", "write", "revoke", "list", "stats", "claim")
#: Scripts flagged ``no-writes``: they run as ``EVALSHA_RO`` (Redis 7+).
READ_SCRIPTS = frozenset({"list", "stats"})


# -- Lua ---------------------------------------------------------------------
def _lua_set(statuses: Iterable[str]) -> str:
    return "{" + ", ".join(f'["{s}"] = true' for s in sorted(statuses)) + "}"


@functools.cache
def script_texts() -> dict[str, str]:
    """Each script's full text: its shebang line, ``common.lua``, its body.

    The transition table is written into ``common.lua`` from ``stores.protocol``.
    """
    files = resources.files("stores.redis")
    allowed = "{" + ", ".join(
        f'["{status}"] = {_lua_set(targets)}' for status, targets in sorted(ALLOWED_TRANSITIONS.items())
    ) + "}"
    common = (
        files.joinpath("common.lua").read_text(encoding="utf-8")
        .replace("{{ALLOWED_TRANSITIONS}}", allowed)
        .replace("{{FINAL_STATUSES}}", _lua_set(FINAL_STATUSES))
    )
    texts = {}
    for name in SCRIPTS:
        body = files.joinpath(f"{name}.lua").read_text(encoding="utf-8")
        if name == "claim":  # one key, not a topic: needs none of common.lua
            texts[name] = body
            continue
        shebang = ""
        if body.startswith("#!"):  # must stay the first line
            shebang, body = body.split("\n", 1)
            shebang += "\n"
        texts[name] = f"{shebang}{common}\n{body}"
    return texts


# -- keys and values ---------------------------------------------------------
def escape_topic(topic: str) -> str:
    """The topic as it appears inside the hash tag: no ``{`` or ``}``, reversible."""
    return topic.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


def lex(ms: int, task_id: str) -> str:
    """An index member: time then id, as ``common.lua`` writes them."""
    return f"{ms:015d}:{task_id}"


def static_json(new: NewTask) -> str:
    """The fixed fields of a new task; ``data`` goes in as the exact text validated."""
    head = [new.task_group_id, new.task_description, new.timeout_ms]
    return "[" + ",".join(json.dumps(v) for v in head) + "," + new.data_json + "]"


def task_from(task_id: str, topic: str, meta: list | str, static: str) -> Task:
    """A ``Task`` from its ``meta`` array (parsed or not) and ``static`` JSON text."""
    if isinstance(meta, str):
        meta = json.loads(meta)
    status, pid, record_ver, error, snooze_time, lease, created, updated, sub_topic = meta
    group, description, timeout_ms, data = json.loads(static)
    return Task(
        task_id, group, description, topic, sub_topic, TaskStatus(status), pid, record_ver,
        data, error, snooze_time, timeout_ms, lease, created, updated,
    )


def _guarded(what: str) -> Callable[[Callable], Callable]:
    """Turn a driver's exception in the method into ``StoreUnavailable`` ("failed to ``what``")."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: RedisStore, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except DRIVER_ERRORS as exc:
                raise self._unavailable(what, exc) from exc

        return wrapper

    return decorate


def connect(url: str, timeout: float, secrets: tuple[str | None, ...]) -> redis.Redis | RedisCluster:
    """A client for ``url`` (not yet connected). Raises ``InvalidArgument`` for a
    URL redis-py cannot parse, ``StoreUnavailable`` when a cluster cannot be reached."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    plain = f"{scheme.removesuffix('+cluster')}://{rest}"
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "client_name": CLIENT_NAME,
        # No automatic retries: a dead server must fail within about `timeout`,
        # and re-sending a script whose reply was lost could run it twice.
        # (The pool still replaces a connection the server closed while idle.)
        "retry": Retry(NoBackoff(), 0),
    }
    try:
        if scheme.endswith("+cluster"):
            return RedisCluster.from_url(plain, **options)
        return redis.Redis.from_url(plain, **options)
    except ValueError as exc:
        raise InvalidArgument(redact(f"Not a usable Redis URL: {exc}", *secrets)) from None
    except DRIVER_ERRORS as exc:  # a cluster client connects at once, to learn the slots
        raise unavailable(f"Cannot reach the Redis cluster at {_where(url)}", exc, *secrets) from exc


def _where(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:
        return "the given URL"


class RedisStore(BaseStore):
    """A task store in Redis (or Redis Cluster), shareable by many processes."""

    scheme = "redis"

    @classmethod
    def open(cls, url: str, options: StoreOptions) -> RedisStore:
        """Connect, check the server answers and the schema version, creating it
        unless read-only. Raises ``InvalidArgument`` for a bad URL and
        ``StoreUnavailable`` when the server cannot be reached, refuses the
        password, times out, or has no (or a newer) schema in the namespace."""
        return cls(url, options)

    def __init__(self, url: str, options: StoreOptions) -> None:
        super().__init__(options)
        try:
            password = urlsplit(url).password
        except ValueError as exc:
            raise InvalidArgument(f"Not a usable Redis URL: {exc}") from None
        self._secrets = (password, unquote(password) if password else None)
        self._where = _where(url)
        self._client = connect(url, options.timeout, self._secrets)
        self._cluster = isinstance(self._client, RedisCluster)
        try:
            self._check_schema()
            self._scripts: dict[str, Script] = {
                name: self._client.register_script(text) for name, text in script_texts().items()
            }
        except BaseException:
            self.close()
            raise

    # -- connection and schema ---------------------------------------------
    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        return unavailable(
            f"Could not {what} on Redis at {self._where} (namespace {self.namespace!r})", exc, *self._secrets
        )

    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def _prefix(self, topic: str) -> str:
        """KEYS[1] of every topic script: the prefix of all the topic's keys."""
        return f"{self.namespace}:{{{escape_topic(topic)}}}:"

    @_guarded("read the schema version")
    def _check_schema(self) -> None:
        key = self._key("schema")
        if self.read_only:
            version = self._client.get(key)
        else:
            pipe = self._client.pipeline(transaction=False)
            pipe.set(key, str(SCHEMA_VERSION), nx=True)
            pipe.get(key)
            version = pipe.execute()[1]
        if version is None:
            raise StoreUnavailable(
                f"Namespace {self.namespace!r} has no sokka schema on Redis at {self._where}; "
                "open it once without read_only to create it."
            )
        if not version.isdigit() or int(version) > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"Namespace {self.namespace!r} has schema version {version!r}; this sokka-tui "
                f"knows up to {SCHEMA_VERSION}. Upgrade sokka-tui."
            )

    def close(self) -> None:
        """Close every connection of the pool; the store cannot be used afterwards."""
        # Closing sockets to a dead server may fail: nothing is left to release then.
        with contextlib.suppress(*DRIVER_ERRORS):
            self._client.close()

    @_guarded("read the server clock")
    def now_ms(self) -> int:
        """The server's clock (``TIME``), epoch ms. Raises ``StoreUnavailable``."""
        seconds, micros = self._client.time()
        return seconds * 1000 + micros // 1000

    # -- scripts -----------------------------------------------------------
    def _send(self, target, name: str, topic: str, args: Iterable[Any]):
        """EVALSHA of script ``name`` on ``target`` (the client or a pipeline).

        Read scripts go as ``EVALSHA_RO``, so a Redis user allowed only that
        (not ``EVALSHA``) can use a read-only store without being able to write."""
        command = target.evalsha_ro if name in READ_SCRIPTS else target.evalsha
        return command(self._scripts[name].sha, 1, self._prefix(topic), *args)

    def _call(self, name: str, topic: str, *args: Any) -> list:
        try:
            return self._send(self._client, name, topic, args)
        except NoScriptError:  # not loaded yet, or flushed: it did not run
            self._client.script_load(self._scripts[name].script)
            return self._send(self._client, name, topic, args)

    def _run(self, calls: list[tuple[str, str, list]], pipe=None) -> list:
        """Run ``(script, topic, args)`` calls, after the commands already in
        ``pipe``; return the scripts' replies. One round trip on one server; on a
        cluster the pipe first, then each script on its own."""
        if self._cluster:
            if pipe is not None:
                pipe.execute()
            return [self._call(name, topic, *args) for name, topic, args in calls]
        pipe = pipe if pipe is not None else self._client.pipeline(transaction=False)
        head = len(pipe)
        for name, topic, args in calls:
            self._send(pipe, name, topic, args)
        results = pipe.execute(raise_on_error=False)
        for result in results[:head]:
            if isinstance(result, Exception):
                raise result
        replies = results[head:]
        for i, reply in enumerate(replies):
            if isinstance(reply, NoScriptError):
                # Not loaded (e.g. after SCRIPT FLUSH), so it did not run: this
                # loads it and runs it once.
                replies[i] = self._call(calls[i][0], calls[i][1], *calls[i][2])
            elif isinstance(reply, Exception):
                raise reply
        return replies

    def _refused(self, reply: list, task_id: str, topic: str, check: Callable) -> TaskStoreError:
        """The error for a script's refusal ``{0, code, meta, now}``.

        ``stores.rules`` words it from the task's state, which also checks that
        the script refused for the reason the rules give."""
        code, meta, now = reply[1], reply[2], int(reply[3])
        stub = task_from(task_id, topic, meta, '["",null,null,null]') if meta else None
        try:
            check(stub, now)
        except TaskStoreError as error:
            if error.code == code:
                return error
        return ERRORS_BY_CODE.get(code, StoreUnavailable)(
            f"The store refused the operation on task {task_id!r} ({code}).", task_id=task_id
        )

    # -- reads ---------------------------------------------------------------
    def _topic_of(self, task_id: str) -> str | None:
        return _claimed_topic(self._client.get(self._key("tid", task_id)))

    def _fetch(self, pairs: list[tuple[str, str]]) -> list[Task | None]:
        """The tasks ``(task_id, topic)``, ``None`` where there is none."""
        pipe = self._client.pipeline(transaction=False)
        for task_id, topic in pairs:
            prefix = self._prefix(topic)
            pipe.hget(prefix + "meta", task_id)
            pipe.hget(prefix + "static", task_id)
        values = pipe.execute() if pairs else []
        return [
            task_from(task_id, topic, meta, static) if meta and static else None
            for (task_id, topic), meta, static in zip(pairs, values[::2], values[1::2], strict=True)
        ]

    @_guarded("read a task")
    def _get(self, task_id: str) -> Task | None:
        topic = self._topic_of(task_id)
        return self._fetch([(task_id, topic)])[0] if topic is not None else None

    @_guarded("read a task group")
    def _group(self, task_group_id: str) -> list[Task]:
        ids = self._client.zrange(self._key("grp", task_group_id), 0, -1)
        if not ids:
            return []
        pipe = self._client.pipeline(transaction=False)
        for task_id in ids:
            pipe.get(self._key("tid", task_id))
        topics = [_claimed_topic(value) for value in pipe.execute()]
        pairs = [(task_id, topic) for task_id, topic in zip(ids, topics, strict=True) if topic]
        # An entry may outlive a create that never finished, and its id may since
        # belong to a task of another group: keep only the group's real tasks.
        found = [t for t in self._fetch(pairs) if t is not None and t.task_group_id == task_group_id]
        return sorted(found, key=lambda t: (t.created_at, t.task_id))

    @_guarded("list tasks")
    def _list(self, filters: TaskFilters, cursor: Cursor) -> list[Task]:
        index = "u"
        if filters.status is not None and filters.sub_topic is not None:
            index = f"u:ts:{filters.status}:{filters.sub_topic}"
        elif filters.status is not None:
            index = f"u:s:{filters.status}"
        elif filters.sub_topic is not None:
            index = f"u:t:{filters.sub_topic}"
        # Newest first: ZREVRANGEBYLEX from the upper bound down to the lower one.
        uppers = []
        if cursor.after is not None:
            uppers.append(lex(*cursor.after))
        if filters.to_ms is not None:
            uppers.append(f"{filters.to_ms + 1:015d}")  # below every member of to_ms + 1
        upper = "(" + min(uppers) if uppers else "+"
        lower = f"[{filters.from_ms:015d}" if filters.from_ms is not None else "-"
        topics = [filters.topic] if filters.topic is not None else None
        return self._page(topics, index, "desc", upper, lower, cursor.limit + 1)

    @_guarded("list leased tasks")
    def _list_leased(self, topic: str | None, cursor: Cursor) -> list[Task]:
        lower = "(" + lex(*cursor.after) if cursor.after is not None else "-"
        topics = [topic] if topic is not None else None
        return self._page(topics, "leased", "asc", lower, "+", cursor.limit + 1)

    def _page(
        self, topics: list[str] | None, index: str, order: str, first: str, second: str, count: int
    ) -> list[Task]:
        """Up to ``count`` tasks from ``index`` of ``topics`` (every topic when
        ``None``), in index order; several topics' pages are merged here."""
        args = [index, order, first, second, str(count)]
        if topics is not None and len(topics) == 1:
            (topic,) = topics
            flat = self._call("list", topic, *args, "1")
            triples = zip(flat[::3], flat[1::3], flat[2::3], strict=True)
            return [task_from(task_id, topic, meta, static) for task_id, meta, static in triples]
        topics = sorted(self._client.smembers(self._key("topics"))) if topics is None else topics
        replies = self._run([("list", topic, [*args, "0"]) for topic in topics])
        rows = []  # (sort key, task_id, topic, meta)
        for topic, flat in zip(topics, replies, strict=True):
            for task_id, text in zip(flat[::2], flat[1::2], strict=True):
                meta = json.loads(text)
                rows.append(((meta[7] if order == "desc" else meta[5], task_id), task_id, topic, meta))
        rows.sort(key=lambda row: row[0], reverse=order == "desc")
        rows = rows[:count]
        pipe = self._client.pipeline(transaction=False)
        for _, task_id, topic, _ in rows:
            pipe.hget(self._prefix(topic) + "static", task_id)
        statics = pipe.execute() if rows else []
        return [
            task_from(task_id, topic, meta, static)
            for (_, task_id, topic, meta), static in zip(rows, statics, strict=True)
            if static
        ]

    @_guarded("read topic counts")
    def _topics(self) -> list[TopicStats]:
        topics = sorted(self._client.smembers(self._key("topics")))
        stats = []
        for topic, (flat_counts, expired, oldest) in zip(
            topics, self._run([("stats", topic, []) for topic in topics]), strict=True
        ):
            counts = dict.fromkeys(TASK_STATUSES, 0)
            for status, n in zip(flat_counts[::2], flat_counts[1::2], strict=True):
                counts[TaskStatus(status)] = int(n)
            if any(counts.values()):  # a topic whose only create was refused has none
                stats.append(TopicStats(topic, counts, int(expired), int(oldest) if oldest else None))
        return stats

    # -- writes --------------------------------------------------------------
    @_guarded("create tasks")
    def _insert(self, news: list[NewTask]) -> list[Task]:
        claimed_ms = time.time_ns() // 1_000_000
        self._claim(news, claimed_ms)
        created_at: dict[str, int] = {}
        for start in range(0, len(news), CREATE_BATCH_SIZE):
            batch = news[start : start + CREATE_BATCH_SIZE]
            pipe = self._client.pipeline(transaction=False)
            by_topic: dict[str, list[NewTask]] = {}
            for new in batch:
                # Before the task exists, so a crash leaves at worst an entry
                # readers skip. The score approximates created_at (client clock);
                # tasks() sorts by the stored created_at.
                pipe.zadd(self._key("grp", new.task_group_id), {new.task_id: claimed_ms}, nx=True)
                by_topic.setdefault(new.topic, []).append(new)
            calls = [
                ("create", topic, [x for n in group for x in (n.task_id, n.sub_topic, static_json(n))])
                for topic, group in by_topic.items()
            ]
            for group, reply in zip(by_topic.values(), self._run(calls, pipe), strict=True):
                if reply[0] != 1:
                    raise TaskAlreadyExists(f"Task {reply[2]!r} already exists.", task_id=reply[2])
                for new in group:
                    created_at[new.task_id] = int(reply[1])
        return [
            Task(
                n.task_id, n.task_group_id, n.task_description, n.topic, n.sub_topic,
                TaskStatus.STARTING, None, 1, json.loads(n.data_json), None, None, n.timeout_ms,
                None, created_at[n.task_id], created_at[n.task_id],
            )
            for n in news
        ]

    def _claim(self, news: list[NewTask], claimed_ms: int) -> None:
        """Claim every id (``SET NX``) before any task is written, so a batch is
        all or nothing across topics and two creates of one id never both win.
        Raises ``TaskAlreadyExists`` (for the first id taken, in ``news`` order)
        after releasing the claims made here."""
        values = {n.task_id: f"{claimed_ms}:{n.topic}" for n in news}
        won: list[str] = []
        lost: list[str] = []
        for start in range(0, len(news), CREATE_BATCH_SIZE):
            batch = news[start : start + CREATE_BATCH_SIZE]
            pipe = self._client.pipeline(transaction=False)
            for new in batch:
                pipe.set(self._key("tid", new.task_id), values[new.task_id], nx=True)
            for topic in {n.topic for n in batch}:
                pipe.sadd(self._key("topics"), topic)
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
                pipe.delete(self._key("tid", task_id))
            pipe.execute()
            raise TaskAlreadyExists(f"Task {existing[0]!r} already exists.", task_id=existing[0])

    def _adopt_orphans(self, lost: list[str], values: dict[str, str]) -> set[str]:
        """The ids of ``lost`` whose claim was abandoned (older than
        ``ORPHAN_CLAIM_MS``, and no task in its topic), now claimed for this
        create. A younger claim without a task may be a create in progress."""
        pipe = self._client.pipeline(transaction=False)
        for task_id in lost:
            pipe.get(self._key("tid", task_id))
        now = self.now_ms()
        old = []
        for task_id, value in zip(lost, pipe.execute(), strict=True):
            ms, _, topic = (value or "").partition(":")
            if ms.isdigit() and topic and now - int(ms) > ORPHAN_CLAIM_MS:
                old.append((task_id, value, topic))
        if not old:
            return set()
        pipe = self._client.pipeline(transaction=False)
        for task_id, _, topic in old:
            pipe.hexists(self._prefix(topic) + "meta", task_id)
        adopted = set()
        for (task_id, value, _), exists in zip(old, pipe.execute(), strict=True):
            key = self._key("tid", task_id)
            # Compare-and-set: of two creates adopting one orphan, one wins.
            if not exists and self._scripts["claim"]([key], [value, values[task_id]]) == 1:
                adopted.add(task_id)
        return adopted

    @_guarded("reserve a task")
    def _reserve(self, topic: str, pid: str) -> Task | None:
        reply = self._call("reserve", topic, pid, self.lease_time_ms)
        if reply[0] != 1:
            return None
        return task_from(reply[3], topic, reply[1], reply[2])

    def _task_topic(self, task_id: str, check: Callable) -> str:
        """The topic of an existing task; else raises what ``check`` raises for none."""
        topic = self._topic_of(task_id)
        if topic is None:
            check(None, 0)
            raise AssertionError("stores.rules accepted a missing task")  # pragma: no cover
        return topic

    @_guarded("extend a lease")
    def _extend(self, task_id: str, pid: str, record_ver: int | None) -> None:
        def check(task, now):
            return check_extend(task, task_id, pid, record_ver, now)

        topic = self._task_topic(task_id, check)
        reply = self._call("extend", topic, task_id, pid, _ver(record_ver), self.lease_time_ms)
        if reply[0] != 1:
            raise self._refused(reply, task_id, topic, check)

    @_guarded("update a task")
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
        def check(task, _now):
            return check_write(task, task_id, write, pid, record_ver)

        topic = self._task_topic(task_id, check)
        target = str(TARGET_STATUS[write])
        reply = self._call("write", topic, task_id, target, pid or "", _ver(record_ver), error, snooze_ms)
        if reply[0] != 1:
            raise self._refused(reply, task_id, topic, check)
        return task_from(task_id, topic, reply[1], reply[2])

    @_guarded("revoke a lease")
    def _revoke(self, task_id: str, record_ver: int) -> Task:
        def check(task, _now):
            return check_revoke(task, task_id, record_ver)

        topic = self._task_topic(task_id, check)
        reply = self._call("revoke", topic, task_id, record_ver)
        if reply[0] != 1:
            raise self._refused(reply, task_id, topic, check)
        return task_from(task_id, topic, reply[1], reply[2])


def _claimed_topic(value: str | None) -> str | None:
    """The topic in an id claim ``"<ms>:<topic>"``."""
    if not value:
        return None
    return value.partition(":")[2] or None


def _ver(record_ver: int | None) -> str:
    return "" if record_ver is None else str(record_ver)


__all__ = ["RedisStore"]
