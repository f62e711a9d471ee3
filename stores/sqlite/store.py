"""The embedded store: one SQLite file (stdlib ``sqlite3``), no server.

WAL mode lets the console read while workers in other processes write; every
write runs in a ``BEGIN IMMEDIATE`` transaction, so two processes never
interleave a read-check-write. The store's clock is this machine's clock, which
every process sharing the file also reads.

URLs: everything after ``sqlite://`` is the file's path, as written: no part of
it is a query or a fragment, and nothing is percent-decoded, so a path holding
spaces, ``?``, ``#`` or ``%`` is pasted in as it is (``f"sqlite://{path}"``).

- ``sqlite:///var/x.db`` and ``sqlite:////var/x.db`` are both ``/var/x.db``: a
  path starting with ``/`` is absolute, and leading slashes count as one (the
  four-slash form is what SQLAlchemy writes for an absolute path).
- ``sqlite://x.db`` and ``sqlite://data/x.db`` are relative to the working
  directory of the process that opens the store.
- ``sqlite://:memory:`` is a private in-memory database.

A read-only store opens the file through a ``file:`` URI built from the
absolute path, percent-encoded, with ``mode=ro``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from stores.audit import AuditEntry, audit_detail, pause_detail
from stores.base import CREATE_BATCH_SIZE, SEARCH_TIME_LIMIT_S, BaseStore, SearchWindow
from stores.batch import refused
from stores.bulk import BulkAction, BulkItem, BulkOutcome, BulkResult, outcome_of
from stores.constants import ALLOWED_SOURCES, TASK_STATUSES
from stores.errors import StoreUnavailable, TaskAlreadyExists, TaskStoreError, search_overran, unavailable
from stores.failures import error_key, rerun_of
from stores.identity import new_identity, parse_identity
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
from stores.rates import assemble, window_start
from stores.rows import AUDIT_COLUMNS, TASK_COLUMNS, audit_after, audit_from_row, pause_from_row, task_from_row
from stores.rules import (
    TARGET_STATUS,
    Write,
    check_extend,
    check_rerun,
    check_revoke,
    check_write,
    extended,
    reserved,
    revoked,
    written,
)
from stores.schema import checked_schema_version, schema_missing
from stores.sqlfile import load_queries
from stores.validation import Cursor, NewTask, TaskFilters

SCHEMA_VERSION = 7  # 2: the audit table; 3: inserts counted by the store, not a row trigger;
# 4: two listing indexes instead of four; 5: the pauses table; 6: the rates table;
# 7: the rates' current minute in topic_counts
#: The first schema version with the pauses table.
_PAUSES_SINCE = 5
#: The first schema version with the rates table.
_RATES_SINCE = 6
#: The first schema version with the rates' current minute in topic_counts.
_RATE_MINUTE_SINCE = 7
_SQLITE_BUSY = 5  # the primary result code; extended codes add high bits
T = TypeVar("T")
#: A row as sqlite3 returns it: the driver does not type its values.
Row = tuple[Any, ...]
#: Statement parameters, positional or named.
Params = Sequence[object] | Mapping[str, object]


#: The task columns qualified by ``t.``, for a join.
_T_COLUMNS = ", ".join(f"t.{column}" for column in TASK_COLUMNS.split(", "))


#: ``PRAGMA synchronous``'s numbers, by name.
_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def sqlite_durability(journal_mode: str, synchronous: int) -> list[DurabilityCheck]:
    """The checks of ``SQLiteStore.durability`` for these settings."""
    level = _SYNCHRONOUS.get(synchronous, str(synchronous))
    checks = []
    if journal_mode == "memory":
        checks.append(DurabilityCheck(
            "journal_mode", journal_mode, False,
            "the tasks live in this process's memory and are gone when it exits.",
        ))
    elif journal_mode == "off":
        checks.append(DurabilityCheck(
            "journal_mode", journal_mode, False,
            "a crash in the middle of a write can leave the database corrupt.",
        ))
    else:  # wal (what a writable store sets), or a rollback journal: both survive crashes
        checks.append(DurabilityCheck("journal_mode", journal_mode, True))
    if level in ("FULL", "EXTRA") or (level == "NORMAL" and journal_mode == "wal"):
        # NORMAL in WAL mode: a process crash loses nothing; only an OS crash or
        # power loss may drop the last commits, and never corrupts the file.
        checks.append(DurabilityCheck("synchronous", level, True))
    elif level == "NORMAL":
        checks.append(DurabilityCheck(
            "synchronous", level, False,
            "without WAL, an OS crash or power loss at the wrong moment can corrupt the database.",
        ))
    else:
        checks.append(DurabilityCheck(
            "synchronous", level, False,
            "an OS crash or power loss can lose the last commits and corrupt the database.",
        ))
    return checks


def path_from_url(url: str) -> str:
    """The database path of a ``sqlite://`` URL: everything after ``sqlite://``,
    leading slashes counted as one (the module's docstring has the rule)."""
    path = url[len("sqlite://"):]
    if path.startswith("/"):
        path = "/" + path.lstrip("/")
    if not path:
        raise StoreUnavailable("A sqlite:// URL needs a file path, e.g. sqlite:///tmp/tasks.db.")
    return path


def read_only_uri(path: str) -> str:
    """The ``file:`` URI that opens ``path`` read-only: absolute, every character
    that means something in a URI (``?``, ``#``, ``%``, space...) percent-encoded."""
    return pathlib.Path(os.path.abspath(path)).as_uri() + "?mode=ro"


class SQLiteStore(BaseStore):
    """A task store in one SQLite file, shareable by several processes."""

    scheme = "sqlite"

    @classmethod
    def open(cls, url: str, options: StoreOptions, *, clock: Callable[[], int] | None = None) -> SQLiteStore:
        """Open (and unless read-only, create) the database. Raises ``StoreUnavailable``.

        ``clock`` (epoch ms) replaces this machine's clock: the store has no
        server, so its clock is whatever its processes agree on; tests and the
        screenshot script pass a frozen one."""
        return cls(path_from_url(url), options, clock=clock)

    def __init__(
        self, path: str, options: StoreOptions, *, clock: Callable[[], int] | None = None
    ) -> None:
        super().__init__(options)
        self.path = path
        self._clock = clock or _system_ms
        queries = load_queries("stores.sqlite", "queries.sql")
        self._sql = {
            name: text.replace("{p}", self.namespace).replace("{columns}", TASK_COLUMNS)
            .replace("{t_columns}", _T_COLUMNS)
            .replace("{audit_columns}", AUDIT_COLUMNS)
            for name, text in queries.items()
        }
        # One candidate query for both reservation paths.
        self._sql["reserve_task"] = self._sql["reserve_task"].replace(
            "{reserve_candidate}", self._sql["reserve_candidate"].rstrip().rstrip(";")
        )
        self._sql["reserve_tasks"] = self._sql["reserve_tasks"].replace(
            "{reserve_candidates}", self._sql["reserve_candidates"].rstrip().rstrip(";")
        )
        for target, sources in ALLOWED_SOURCES.items():  # constants of the transition table, not input
            self._sql[f"write_task:{target}"] = self._sql["write_task"].replace(
                "{from_statuses}", ", ".join(f"'{status}'" for status in sources) or "NULL"
            )
        # The hot path's statements, looked up once: a reserve→terminate cycle
        # should cost little more than its two statements (issue 15).
        self._reserve_sql = self._sql["reserve_task"]
        self._write_sql = {
            write: (self._sql[f"write_task:{target}"], str(target)) for write, target in TARGET_STATUS.items()
        }
        # One connection behind a lock: sqlite3 objects are not safe to use from
        # two threads at once, and a private :memory: database has only one.
        self._lock = threading.RLock()
        self._conn = self._connect()
        try:
            self._prepare_schema()
        except BaseException:
            self._conn.close()
            raise

    # -- connection and schema --------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        memory = self.path == ":memory:"
        if self.read_only and not memory and not os.path.exists(self.path):
            raise StoreUnavailable(
                f"Namespace {self.namespace!r} has no sokka schema: {self.path!r} does not exist."
            )
        try:
            if self.read_only and not memory:
                conn = sqlite3.connect(
                    read_only_uri(self.path), uri=True, timeout=self.options.timeout,
                    isolation_level=None, check_same_thread=False,
                )
            else:
                conn = sqlite3.connect(
                    self.path, timeout=self.options.timeout, isolation_level=None,
                    check_same_thread=False,
                )
            # SQLite's own busy handler sleeps 1 ms, then 2, 5, 10... between tries
            # for the write lock: with several writer processes that sleep, not the
            # work, sets the pace. The store waits itself instead (_when_free).
            conn.execute("PRAGMA busy_timeout = 0")
            # failure_groups and the error_key filter call stores.failures.error_key
            # itself: one rule, not a second copy of it in SQL.
            conn.create_function("sokka_error_key", 1, error_key, deterministic=True)
            if not memory and not self.read_only:
                self._when_free(lambda: conn.execute("PRAGMA journal_mode = WAL"))
                # In WAL mode NORMAL is safe against corruption and loses nothing
                # on a process crash; only an OS crash may drop the last commits.
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise unavailable(
                f"Cannot open SQLite database {self.path!r} (namespace {self.namespace!r})", exc
            ) from exc
        return conn

    def _prepare_schema(self) -> None:
        with self._lock:
            if self.read_only:
                exists = self._query_one("schema_exists", ())[0]
                version = self._query_one("schema_version", ())[0] if exists else None
                if version is None:
                    raise schema_missing(self.namespace, f"in {self.path!r}")
            else:
                with self._transaction():
                    # A newer version's schema is not this version's to change.
                    if self._conn.execute(self._sql["schema_exists"]).fetchone()[0]:
                        row = self._conn.execute(self._sql["schema_version"]).fetchone()
                        if row is not None:
                            checked_schema_version(self.namespace, str(row[0]), SCHEMA_VERSION)
                        # Version 7's columns, before the script's triggers use them.
                        columns = {r[0] for r in self._conn.execute(self._sql["topic_counts_columns"])}
                        if columns and "minute" not in columns:
                            self._conn.execute(self._sql["add_rate_minute"])
                            self._conn.execute(self._sql["add_rate_in_minute"])
                    for statement in _statements(self._sql["schema"]):
                        self._conn.execute(statement)
                    row = self._conn.execute(self._sql["schema_version"]).fetchone()
                    version = row[0] if row else None
                    if version is None or int(version) < SCHEMA_VERSION:  # new, or just upgraded
                        self._conn.execute(self._sql["set_schema_version"], (str(SCHEMA_VERSION),))
                        version = str(SCHEMA_VERSION)
                    self._conn.execute(self._sql["set_identity"], (new_identity(self.now_ms()),))
            self._schema_version = checked_schema_version(self.namespace, str(version), SCHEMA_VERSION)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` write transaction; driver errors become ``StoreUnavailable``."""
        with self._lock:
            try:
                self._when_free(lambda: self._conn.execute("BEGIN IMMEDIATE"))
            except sqlite3.Error as exc:
                raise unavailable("SQLite could not start a write", exc) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise unavailable("SQLite write failed", exc) from exc
                raise

    def _when_free(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, tried again while the database is locked by another
        connection, for up to the store's timeout. Waits start at 20 us and grow
        to 1 ms, with jitter: a write lock is held for tens of microseconds.
        ``attempt`` must be a statement (or a read) that failed without effect
        when it raised ``SQLITE_BUSY``, which SQLite guarantees."""
        deadline = 0.0
        delay = 20e-6
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _SQLITE_BUSY:
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.options.timeout
                if now >= deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, 1e-3)

    def _query(self, name: str, params: Params) -> list[Row]:
        with self._lock:
            try:
                return self._when_free(lambda: self._conn.execute(self._sql[name], params).fetchall())
            except sqlite3.Error as exc:
                raise unavailable("SQLite query failed", exc) from exc

    def _query_one(self, name: str, params: Params) -> Row:
        rows = self._query(name, params)
        return rows[0] if rows else (None,)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def now_ms(self) -> int:
        return self._clock()

    def identity(self) -> StoreIdentity | None:
        """The identity in the meta table (``BaseStore.identity``); ``None`` when the
        file has no schema of this namespace (any more) or no identity yet.
        Raises ``StoreUnavailable`` when the file cannot be read."""
        with self._lock:
            if not self._query_one("schema_exists", ())[0]:
                return None
            return parse_identity(self._query_one("identity", ())[0])

    def durability(self) -> list[DurabilityCheck]:
        """``journal_mode`` and this store's ``synchronous`` (``BaseStore.durability``).
        Raises ``StoreUnavailable`` when the file cannot be read."""
        with self._lock:
            try:
                mode = str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
                level = int(self._conn.execute("PRAGMA synchronous").fetchone()[0])
            except sqlite3.Error as exc:
                raise unavailable("SQLite could not read its settings", exc) from exc
        return sqlite_durability(mode, level)

    # -- reads ---------------------------------------------------------------
    def _get(self, task_id: str) -> Task | None:
        rows = self._query("select_task", (task_id,))
        return task_from_row(rows[0]) if rows else None

    def _group(self, task_group_id: str) -> list[Task]:
        return [task_from_row(row) for row in self._query("group_tasks", (task_group_id,))]

    def _list(self, filters: TaskFilters, cursor: Cursor) -> list[Task]:
        sql, params = self._list_sql(filters, cursor.after, cursor.limit + 1)
        with self._lock:
            try:
                rows = self._when_free(lambda: self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise unavailable("SQLite query failed", exc) from exc
        return [task_from_row(row) for row in rows]

    def _list_sql(
        self, filters: TaskFilters, after: tuple[int, str] | None, limit: int
    ) -> tuple[str, dict[str, object]]:
        """The listing of ``filters`` (``data`` aside): up to ``limit`` rows after
        ``after``, newest first; its text and parameters."""
        where: list[str] = []
        params: dict[str, object] = {"limit": limit}
        for column, value in (("topic", filters.topic), ("sub_topic", filters.sub_topic)):
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = value
        if filters.from_ms is not None:
            where.append("updated_at >= :from_ms")
            params["from_ms"] = filters.from_ms
        if filters.to_ms is not None:
            where.append("updated_at <= :to_ms")
            params["to_ms"] = filters.to_ms
        if filters.error_key is not None:
            where.append(self._sql["error_key_matches"])
            params["error_key"] = filters.error_key
        if after is not None:
            where.append("(updated_at, task_id) < (:after_at, :after_id)")
            params["after_at"], params["after_id"] = after
        index = f"{self.namespace}_tasks_{'topic_status' if filters.topic is not None else 'status'}_updated"
        if filters.status is not None:
            params["status"] = str(filters.status)
            sql = self._sql["list_tasks"].replace("{index}", index).replace(
                "{where}", " AND ".join(["status = :status", *where]))
        else:  # statuses are constants of the protocol, not input
            ranges = "\n    UNION ALL\n".join(
                self._sql["list_tasks_range"].rstrip().rstrip(";").replace("{index}", index)
                .replace("{status}", str(status)).replace("{where}", " AND ".join(where) or "1")
                for status in TASK_STATUSES
            )
            sql = self._sql["list_tasks_merged"].replace("{ranges}", ranges)
        return sql, params

    def _search(
        self, filters: TaskFilters, after: tuple[int, str] | None, limit: int, scan_limit: int
    ) -> SearchWindow:
        window, params = self._list_sql(filters, after, scan_limit)
        predicates = []
        for i, condition in enumerate(filters.data):
            # Parameter names only: the path and the value are parameters.
            text = self._sql["payload_text"].strip().replace("{path}", f":path{i}")
            fragment = self._sql["payload_equals" if condition.op == "=" else "payload_contains"]
            predicates.append("(" + fragment.strip().replace("{text}", text).replace("{value}", f":value{i}") + ")")
            params[f"path{i}"] = condition.sqlite_path()
            params[f"value{i}"] = condition.value
        params["matches"] = limit
        sql = self._sql["search_tasks"].replace("{window}", window.rstrip().rstrip(";")).replace(
            "{predicate}", " AND ".join(predicates))
        limit_s = min(SEARCH_TIME_LIMIT_S, self.options.timeout)
        deadline = time.monotonic() + limit_s
        with self._lock:
            # A deadline on the statement itself: SQLite calls the handler every
            # 10,000 virtual machine steps and stops the read when it says so.
            self._conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
            try:
                rows = self._when_free(lambda: self._conn.execute(sql, params).fetchall())
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise search_overran(limit_s) from exc
                raise unavailable("SQLite search failed", exc) from exc
            except sqlite3.Error as exc:
                raise unavailable("SQLite search failed", exc) from exc
            finally:
                self._conn.set_progress_handler(None, 0)
        if not rows:
            return SearchWindow([], 0, None, True)
        examined, last_at, last_id = rows[0][:3]
        matches = [
            (row[-1], (row[3 + 14], row[3]), task_from_row(row[3:-1])) for row in rows if row[3] is not None
        ]
        return SearchWindow(matches, examined, (last_at, last_id), examined < scan_limit)

    def _list_leased(self, topic: str | None, cursor: Cursor) -> list[Task]:
        after = cursor.after or (-1, "")
        if topic is None:
            rows = self._query("list_leased_all", (*after, cursor.limit + 1))
        else:
            rows = self._query("list_leased_topic", (topic, *after, cursor.limit + 1))
        return [task_from_row(row) for row in rows]

    def _audit_log(self, task_id: str | None, cursor: Cursor) -> list[AuditEntry]:
        after_at, after_id = audit_after(cursor.after)
        if task_id is None:
            rows = self._query("audit_all", (after_at, after_id, cursor.limit + 1))
        else:
            rows = self._query("audit_task", (task_id, after_at, after_id, cursor.limit + 1))
        return [audit_from_row(row) for row in rows]

    def _topics(self) -> list[TopicStats]:
        with self._lock:
            return self._when_free(self._topics_snapshot)

    def _topics_snapshot(self) -> list[TopicStats]:
        with self._lock:
            try:
                self._conn.execute("BEGIN")  # one snapshot for counts and extras
                now = self.now_ms()
                counts: dict[str, dict[TaskStatus, int]] = {}
                for topic, status, n in self._conn.execute(self._sql["topic_counts"]):
                    counts.setdefault(topic, dict.fromkeys(TASK_STATUSES, 0))[TaskStatus(status)] = n
                stats = []
                for topic, by_status in counts.items():
                    if not any(by_status.values()):
                        continue
                    expired, oldest = self._conn.execute(
                        self._sql["topic_extras"], {"topic": topic, "now": now}
                    ).fetchone()
                    stats.append(TopicStats(topic, by_status, expired, oldest))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_BUSY:
                    raise  # _topics tries again
                raise unavailable("SQLite query failed", exc) from exc
        return sorted(stats, key=lambda s: s.topic)

    # -- writes --------------------------------------------------------------
    def _insert(self, news: list[NewTask]) -> list[Task]:
        created: list[Task] = []
        with self._transaction() as conn:
            for start in range(0, len(news), CREATE_BATCH_SIZE):
                batch = news[start : start + CREATE_BATCH_SIZE]
                ids = json.dumps([new.task_id for new in batch])
                existing = conn.execute(self._sql["existing_ids"], (ids,)).fetchone()
                if existing:
                    raise TaskAlreadyExists(
                        f"Task {existing[0]!r} already exists.", task_id=existing[0]
                    )
                now = self.now_ms()
                conn.executemany(
                    self._sql["insert_task"],
                    [
                        (n.task_id, n.task_group_id, n.task_description, n.topic, n.sub_topic,
                         n.data_json, n.timeout_ms, now, now)
                        for n in batch
                    ],
                )
                conn.executemany(
                    self._sql["count_inserted"],
                    [{"topic": topic, "n": n, "now": now} for topic, n in Counter(n.topic for n in batch).items()],
                )
                tasks = [n.created(now) for n in batch]
                for task in tasks:
                    self._record(conn, None, task, "create")
                created.extend(tasks)
        return created

    def _record(
        self, conn: sqlite3.Connection, before: Task | None, after: Task, action: str,
        *, detail: str | None = None, at: int | None = None,
    ) -> Task:
        """Record the write in the audit trail, in its transaction, if this store has
        an operator; ``detail`` and ``at`` default to ``audit_detail`` and ``after.updated_at``."""
        audit = self._audit_context()
        if audit is not None:
            op = audit.operator
            conn.execute(
                self._sql["insert_audit"],
                (after.updated_at if at is None else at, op.user, op.host, op.tool, action, after.task_id,
                 after.topic, str(before.status) if before else None, str(after.status),
                 before.record_ver if before else None, after.record_ver,
                 audit_detail(action, after) if detail is None else detail, audit.batch_id),
            )
        return after

    def _read_in_transaction(self, conn: sqlite3.Connection, task_id: str) -> Task | None:
        row = conn.execute(self._sql["select_task"], (task_id,)).fetchone()
        return task_from_row(row) if row else None

    def _save(self, conn: sqlite3.Connection, task: Task) -> Task:
        conn.execute(
            self._sql["update_task"],
            (str(task.status), task.pid, task.record_ver, task.error, task.snooze_time,
             task.lease_expires_at, task.updated_at, task.task_id),
        )
        return task

    def _write_statement(self, name: str, params: Params) -> list[Row]:
        """One write statement on its own (autocommit: a lone write statement holds
        the write lock from its start, as ``BEGIN IMMEDIATE`` would); its rows,
        read to the end so the statement, and its transaction, are finished."""
        return self._write_rows(self._sql[name], params)

    def _write_rows(self, sql: str, params: Params) -> list[Row]:
        """``_write_statement`` by the statement's text. The first try runs inline
        and only a ``SQLITE_BUSY`` goes on to ``_when_free`` (which tries again at
        once, harmless: a busy statement did nothing): the hot path pays for no
        closure, and a reserve→terminate cycle is two of these."""
        with self._lock:
            try:
                try:
                    return self._conn.execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _SQLITE_BUSY:
                        raise
                return self._when_free(lambda: self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise unavailable("SQLite write failed", exc) from exc

    def _conditional_write(
        self, task_id: str, sql: str, params: dict[str, object], check: Callable[[Task | None], Task]
    ) -> Task:
        """The fast path without an operator: one conditional ``UPDATE ... RETURNING``
        (``sql``, one of the ``write_task:<target>`` statements); only when it misses
        is the task read, to raise the protocol's error."""
        rows = self._write_rows(sql, params)
        if rows:  # the common case, without the retry loop's closures
            return task_from_row(rows[0])

        missed = [rows]  # replayed as the loop's first attempt, so it counts as one

        def attempt() -> Task | None:
            rows = missed.pop() if missed else self._write_rows(sql, params)
            return task_from_row(rows[0]) if rows else None

        return self._write_until_settled(task_id, attempt, lambda: check(self._get(task_id)))

    def _reserve(self, topic: str, pid: str) -> Task | None:
        if self.operator is None:  # nothing to record: one statement
            params = {"topic": topic, "pid": pid, "now": self._clock(), "lease_ms": self.lease_time_ms}
            rows = self._write_rows(self._reserve_sql, params)
            return task_from_row(rows[0]) if rows else None
        with self._transaction() as conn:
            now = self.now_ms()
            row = conn.execute(self._sql["reserve_candidate"], {"topic": topic, "now": now}).fetchone()
            if row is None:
                return None
            task = self._read_in_transaction(conn, row[0])
            assert task is not None  # the candidate was selected in this transaction
            return self._record(conn, task, self._save(conn, reserved(task, pid, now, self.lease_time_ms)), "reserve")

    def _reserve_many(self, topic: str, pid: str, max_tasks: int) -> list[Task]:
        if self.operator is None:  # nothing to record: one statement
            params = {"topic": topic, "pid": pid, "now": self.now_ms(), "lease_ms": self.lease_time_ms,
                      "max": max_tasks}
            tasks = [task_from_row(row) for row in self._write_statement("reserve_tasks", params)]
            return sorted(tasks, key=lambda t: (t.created_at, t.task_id))
        with self._transaction() as conn:
            now = self.now_ms()
            ids = [row[0] for row in conn.execute(
                self._sql["reserve_candidates"], {"topic": topic, "now": now, "max": max_tasks})]
            current = self._read_many(conn, ids)
            return [
                self._record(conn, current[i], self._save(conn, reserved(current[i], pid, now, self.lease_time_ms)),
                             "reserve")
                for i in ids
            ]

    def _read_many(self, conn: sqlite3.Connection, task_ids: list[str]) -> dict[str, Task]:
        """The tasks of ``task_ids`` that exist, by id, read in ``conn``'s transaction."""
        rows = conn.execute(self._sql["select_tasks_in"], (json.dumps(task_ids),))
        return {task.task_id: task for task in map(task_from_row, rows)}

    def _terminate_many(self, items: list[tuple[str, int]], pid: str) -> list[BatchResult]:
        """One write transaction: each item checked and written as ``terminate`` would."""
        results = []
        with self._transaction() as conn:
            now = self.now_ms()
            current = self._read_many(conn, [task_id for task_id, _ in items])
            for task_id, record_ver in items:
                task = current.get(task_id)

                def check(t: Task | None, task_id: str = task_id, record_ver: int = record_ver) -> Task:
                    return check_write(t, task_id, Write.TERMINATE, pid, record_ver)

                try:
                    check(task)
                except TaskStoreError:
                    results.append(refused(task_id, task, check))
                    continue
                assert task is not None  # checked
                new = self._record(conn, task, self._save(conn, written(task, Write.TERMINATE, now)), "terminate")
                results.append(BatchResult(task_id, BatchOutcome.OK, new))
        return results

    def _extend_many(self, pid: str, task_ids: list[str]) -> list[BatchResult]:
        """One write transaction: each lease checked and renewed as ``extend_lease`` would."""
        results = []
        with self._transaction() as conn:
            now = self.now_ms()
            current = self._read_many(conn, task_ids)
            for task_id in task_ids:
                task = current.get(task_id)

                def check(t: Task | None, task_id: str = task_id) -> Task:
                    return check_extend(t, task_id, pid, None, now)

                try:
                    check(task)
                except TaskStoreError:
                    results.append(refused(task_id, task, check))
                    continue
                assert task is not None  # checked
                new = self._record(conn, task, self._save(conn, extended(task, now, self.lease_time_ms)), "extend")
                results.append(BatchResult(task_id, BatchOutcome.OK, new))
        return results

    def _extend(self, task_id: str, pid: str, record_ver: int | None) -> None:
        with self._transaction() as conn:
            now = self.now_ms()
            task = check_extend(self._read_in_transaction(conn, task_id), task_id, pid, record_ver, now)
            self._record(conn, task, self._save(conn, extended(task, now, self.lease_time_ms)), "extend")

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
        if self.operator is None:
            sql, target = self._write_sql[write]
            params: dict[str, object] = {
                "task_id": task_id, "target": target, "now": self._clock(), "set_error": write == Write.FAIL,
                "error": error, "snooze_ms": snooze_ms if write == Write.SNOOZE else None,
                "owner_check": True, "pid": pid, "record_ver": record_ver,
            }
            return self._conditional_write(
                task_id, sql, params, lambda task: check_write(task, task_id, write, pid, record_ver)
            )
        with self._transaction() as conn:
            task = check_write(self._read_in_transaction(conn, task_id), task_id, write, pid, record_ver)
            new = self._save(conn, written(task, write, self.now_ms(), error=error, snooze_ms=snooze_ms))
            return self._record(conn, task, new, str(write))

    def _revoke(self, task_id: str, record_ver: int) -> Task:
        if self.operator is None:
            params: dict[str, object] = {
                "task_id": task_id, "target": str(TaskStatus.STARTING), "now": self.now_ms(), "set_error": False,
                "error": None, "snooze_ms": None, "owner_check": False, "pid": None, "record_ver": record_ver,
            }
            return self._conditional_write(
                task_id, self._sql[f"write_task:{TaskStatus.STARTING}"], params,
                lambda task: check_revoke(task, task_id, record_ver),
            )
        with self._transaction() as conn:
            task = check_revoke(self._read_in_transaction(conn, task_id), task_id, record_ver)
            return self._record(conn, task, self._save(conn, revoked(task, self.now_ms())), "revoke")

    def _rerun(self, task_id: str, record_ver: int) -> Task:
        """The new task, the count and both audit records in one write transaction."""
        with self._transaction() as conn:
            original = check_rerun(self._read_in_transaction(conn, task_id), task_id, record_ver)
            new = rerun_of(original)
            now = self.now_ms()
            conn.execute(
                self._sql["insert_task"],
                (new.task_id, new.task_group_id, new.task_description, new.topic, new.sub_topic,
                 new.data_json, new.timeout_ms, now, now),
            )
            conn.execute(self._sql["count_inserted"], {"topic": new.topic, "n": 1, "now": now})
            task = new.created(now)
            self._record(conn, original, original, "rerun", detail=task.task_id, at=now)
            return self._record(conn, None, task, "create", detail=original.task_id)

    def _failure_groups(self, topic: str, limit: int, scan_limit: int) -> FailureGroups:
        rows = self._query("failure_groups", {"topic": topic, "limit": limit, "scan_limit": scan_limit})
        groups = tuple(FailureGroup(key, n, first, last, sample) for key, n, first, last, sample, *_ in rows)
        if not rows:
            return FailureGroups(topic, (), 0, scan_limit, True, 0)
        group_count, scanned, seen = rows[0][5:]
        return FailureGroups(topic, groups, scanned, scan_limit, seen <= scan_limit, group_count)

    def _apply_bulk(self, action: BulkAction, items: list[BulkItem], *, error: str, snooze_ms: int) -> list[BulkResult]:
        """A chunk in one write transaction: the same rules as single writes."""
        results = []
        with self._transaction() as conn:
            now = self.now_ms()
            for item in items:
                current = self._read_in_transaction(conn, item.task_id)
                try:
                    if action is BulkAction.REVOKE:
                        task = revoked(check_revoke(current, item.task_id, item.record_ver), now)
                    else:
                        write = Write(action.value)
                        checked = check_write(current, item.task_id, write, item.pid, item.record_ver)
                        task = written(checked, write, now, error=error, snooze_ms=snooze_ms)
                except TaskStoreError as exc:
                    results.append(BulkResult(item.task_id, outcome_of(exc), str(exc)))
                    continue
                self._record(conn, current, self._save(conn, task), str(action))
                results.append(BulkResult(item.task_id, BulkOutcome.DONE, task=task))
        return results

    # -- pauses ----------------------------------------------------------------
    def _record_topic(self, conn: sqlite3.Connection, at: int, action: str, topic: str, detail: str) -> None:
        """A topic record (pause, resume) in the audit trail, if this store has an operator."""
        audit = self._audit_context()
        if audit is not None:
            op = audit.operator
            conn.execute(
                self._sql["insert_topic_audit"],
                (at, op.user, op.host, op.tool, action, topic, detail, audit.batch_id),
            )

    def _pause(self, topic: str, until_ms: int | None, for_ms: int | None, reason: str) -> TopicPause:
        with self._transaction() as conn:
            now = self.now_ms()
            pause = self._pause_at(topic, now, until_ms, for_ms, reason)
            until = pause.until_ms
            conn.execute(self._sql["pause_topic"], {
                "topic": topic, "now": now, "until_ms": until, "reason": reason, "paused_by": pause.paused_by,
            })
            self._record_topic(conn, now, "pause", topic, pause_detail(until, reason))
        return pause

    def _resume(self, topic: str) -> TopicPause | None:
        with self._transaction() as conn:
            now = self.now_ms()
            row = conn.execute(self._sql["resume_topic"], (topic,)).fetchone()
            pause = pause_from_row(row) if row else None
            if pause is None or (pause.until_ms is not None and pause.until_ms <= now):
                return None  # not paused (an ended pause is no pause): nothing to record
            self._record_topic(conn, now, "resume", topic, "")
        return pause

    def _paused(self) -> list[TopicPause]:
        if self._schema_version < _PAUSES_SINCE:
            return []  # opened read-only on an older schema: it has never held a pause
        return [pause_from_row(row) for row in self._query("paused_topics", (self.now_ms(),))]

    def _rates(self, topic: str | None, width_ms: int, buckets: int) -> list[TopicRates]:
        if self._schema_version < _RATES_SINCE:  # opened read-only on an older schema: nothing counted
            return assemble([], self.now_ms(), width_ms, buckets, topic)
        with self._lock:
            now = self.now_ms()
            params = {"topic": topic, "width": width_ms, "first": window_start(now, width_ms, buckets)}
            # A read-only open of version 6 reads its rates table alone (it had no current minutes).
            name = "rates" if self._schema_version >= _RATE_MINUTE_SINCE else "rates_table"
            rows = self._query(f"{name}_all" if topic is None else f"{name}_topic", params)
        return assemble(rows, now, width_ms, buckets, topic)

    def _purge_batch(self, older_than_ms: int, statuses: tuple[str, ...], topic: str | None, batch_size: int) -> int:
        """One ``DELETE`` of at most ``batch_size`` old finished tasks, in one write transaction."""
        params = {"statuses": json.dumps(list(statuses)), "limit": batch_size, "topic": topic}
        with self._transaction() as conn:
            params["cutoff"] = self.now_ms() - older_than_ms
            name = "purge_batch" if topic is None else "purge_batch_topic"
            return conn.execute(self._sql[name], params).rowcount


def _system_ms() -> int:
    return time.time_ns() // 1_000_000


def _statements(script: str) -> list[str]:
    """Split a schema script into statements (triggers hold ``;`` inside BEGIN ... END)."""
    statements, current = [], []
    for line in script.splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    return statements


__all__ = ["SQLiteStore"]
