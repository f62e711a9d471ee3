"""The PostgreSQL store (psycopg 3 and psycopg_pool).

Every time comes from the server's clock. A reservation is one statement
(``FOR UPDATE SKIP LOCKED``); every other write is one conditional ``UPDATE``
whose ``WHERE`` holds the rules of ``stores.rules``; only when it touches no row
does the store read the task to name the error. Connections carry
``application_name=sokka-tui`` and statement/connect timeouts; a read-only store
also sets ``default_transaction_read_only`` so the server refuses writes too.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.copy import QueuedLibpqWriter
from psycopg.rows import TupleRow
from psycopg.types.string import TextLoader

from stores.audit import AuditEntry, pause_detail
from stores.base import CREATE_BATCH_SIZE, SEARCH_TIME_LIMIT_S, BaseStore, SearchWindow
from stores.batch import refused
from stores.bulk import BulkAction, BulkItem, BulkOutcome, BulkResult, allowed_from, classify
from stores.constants import ALLOWED_SOURCES, TASK_STATUSES
from stores.errors import (
    StoreUnavailable,
    TaskAlreadyExists,
    TaskStoreError,
    refused_write,
    search_overran,
    unavailable,
)
from stores.failures import rerun_of
from stores.identity import (
    ROLE_MAY_ONLY_READ,
    SESSION_MAY_ONLY_READ,
    STANDBY_MAY_ONLY_READ,
    parse_identity,
)
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
from stores.postgres import deadline, prepared
from stores.rates import assemble
from stores.rows import AUDIT_COLUMNS, TASK_COLUMNS, audit_after, audit_from_row, pause_from_row, task_from_row
from stores.rules import TARGET_STATUS, Write, check_extend, check_rerun, check_revoke, check_write
from stores.schema import checked_schema_version, schema_missing, schema_too_old
from stores.sqlfile import load_queries
from stores.validation import Cursor, NewTask, TaskFilters, plain_name

SCHEMA_VERSION = 5  # 2: the audit table and its triggers; 3: fewer indexes, counts kept by the writes;
# 4: the pauses table; 5: the rates table
APPLICATION_NAME = "sokka-tui"
_NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
_RETURNING = ", ".join(f"t.{column}" for column in TASK_COLUMNS.split(", "))
#: How many sets of hot parameters a store keeps in text (``_reserve_values``,
#: ``_write_values``) before it starts over: a worker needs one of each.
HOT_VALUES_KEPT = 1_000
#: Statuses from which each target status may be reached, from the one table,
#: as PostgreSQL array text: psycopg dumps a str several times faster than a
#: list, whose element type it must inspect on every call.
_FROM_STATUSES = {target: "{" + ",".join(sources) + "}" for target, sources in ALLOWED_SOURCES.items()}
#: The queries and fragments formatted per call (a WHERE clause, a payload condition).
_TEMPLATES = frozenset({
    "list_tasks", "list_tasks_by_status", "search_tasks", "payload_text", "payload_equals", "payload_contains",
})
#: What ``_connection`` turns into the store's errors (``PostgresStore._failed``).
_DRIVER_ERRORS = (psycopg.Error, psycopg_pool.PoolTimeout)
#: The ``what`` of ``_connection`` for writes: a permission error there is ``ReadOnlyStore``.
_WRITES = frozenset({"insert", "write", "bulk write"})
#: The count columns of topic_stats, in the order the topics query returns them.
_COUNT_COLUMNS = tuple(map(TaskStatus, ("starting", "running", "snoozed", "failed", "terminated")))
#: From this many rows create_tasks sends its COPY data from a writer thread.
_QUEUED_COPY_ROWS = 1_000


#: Statement parameters, positional or named.
Params = Sequence[object] | Mapping[str, object]


def postgres_durability(settings: Mapping[str, str]) -> list[DurabilityCheck]:
    """The checks of ``PostgresStore.durability`` for these ``pg_settings`` values."""
    checks = []
    fsync = settings.get("fsync", "?")
    checks.append(DurabilityCheck(
        "fsync", fsync, fsync == "on",
        "" if fsync == "on" else "a crash of the server or its machine can leave the database corrupt.",
    ))
    commit = settings.get("synchronous_commit", "?")
    if commit == "off":
        delay = settings.get("wal_writer_delay", "200")
        checks.append(DurabilityCheck(
            "synchronous_commit", commit, False,
            f"a crash loses the last transactions (about 3 x wal_writer_delay = {3 * int(delay or 0)} ms).",
        ))
    else:
        # on, remote_apply, remote_write: on disk here before the commit returns;
        # local: here too, only a standby may lag.
        checks.append(DurabilityCheck("synchronous_commit", commit, commit != "?"))
    pages = settings.get("full_page_writes", "?")
    torn = "a crash in the middle of a page write can leave a torn page: the database may be corrupt."
    checks.append(DurabilityCheck("full_page_writes", pages, pages == "on", "" if pages == "on" else torn))
    return checks


def _configure(conn: psycopg.Connection) -> None:
    # Keep ``data`` as the JSON text stored; rows.task_from_row decodes it, the
    # same way for every backend (psycopg would decode a JSON string "" to "").
    conn.adapters.register_loader("json", TextLoader)


def _keep(
    kept: dict[Any, list[bytes | None]], key: object, statement: prepared.Prepared, params: Mapping[str, object]
) -> list[bytes | None]:
    """``statement``'s parameters in text, kept in ``kept`` under ``key`` (which
    starts over past ``HOT_VALUES_KEPT``)."""
    if len(kept) >= HOT_VALUES_KEPT:
        kept.clear()
    values = kept[key] = statement.values(params)
    return values


class PostgresStore(BaseStore):
    """A task store in one PostgreSQL schema (the namespace)."""

    scheme = "postgresql"

    @classmethod
    def open(cls, url: str, options: StoreOptions, *, max_connections: int = 10) -> PostgresStore:
        """Connect, create or check the schema, and open a pool.

        Raises ``StoreUnavailable`` when the server cannot be reached or refuses
        us, or (read-only) when the namespace has no schema."""
        return cls(url, options, max_connections=max_connections)

    def __init__(self, url: str, options: StoreOptions, *, max_connections: int = 10) -> None:
        super().__init__(options)
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise unavailable("Not a valid PostgreSQL URL", exc, url) from None
        password = params.get("password")
        self._password = None if password is None else str(password)
        self._conninfo = url
        self._connect_kwargs = self._session_settings(params)
        self._queries, self._templates = self._compile(load_queries("stores.postgres", "queries.sql"))
        self._shard_lock_key = self._shard_lock_key_of(self.namespace)
        self._hot = {name: prepared.Prepared.of(name, self._queries[name].as_string(None)) for name in prepared.HOT}
        #: The hot statements' parameters in text, but for the task's id, by what
        #: they are made of (a worker sends the same ones for every task).
        self._reserve_values: dict[tuple[str, str, int], list[bytes | None]] = {}
        self._write_values: dict[tuple[Write, str | None, int | None, str, int], list[bytes | None]] = {}
        self._write_task_at = self._hot["write_task"].params.index("task_id")
        self._prepare_schema()
        if self.read_only and not options.read_only:  # found so by _prepare_schema
            self._connect_kwargs = self._session_settings(params)
        self._pool = psycopg_pool.ConnectionPool(
            url,
            connection_class=deadline.pool_connection_class(options.timeout),
            kwargs=self._connect_kwargs,
            min_size=1,
            max_size=max_connections,
            timeout=options.timeout,
            # Give up a failed reconnection soon: the next caller starts a fresh
            # one, instead of waiting out a backoff grown during a long outage.
            reconnect_timeout=options.timeout,
            name=f"sokka-{self.namespace}",
            configure=self._configure_connection,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=options.timeout)
        except psycopg_pool.PoolTimeout as exc:
            self._pool.close()
            raise unavailable("PostgreSQL did not accept connections in time", exc, self._password) from exc
        #: The hot statements' one kept connection (``deadline.Lane``).
        self._lane = deadline.Lane(self._pool, options.timeout, self._probe)

    @staticmethod
    def _shard_lock_key_of(namespace: str) -> int:
        """The advisory lock key (int4) under which the sessions of ``namespace``
        claim count shards (``claim_count_shard``)."""
        return zlib.crc32(f"sokka count shard {namespace}".encode()) - 2**31

    def _session_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        timeout_ms = int(self.options.timeout * 1000)
        settings = [f"-c statement_timeout={timeout_ms}", f"-c lock_timeout={timeout_ms}",
                    f"-c idle_in_transaction_session_timeout={max(timeout_ms * 4, 10_000)}",
                    # Every query here is short and indexed; a stale estimate (after
                    # a bulk load) made the server JIT-compile topics() for 17 ms.
                    "-c jit=off"]
        if self.read_only:
            settings.append("-c default_transaction_read_only=on")
        return {
            "autocommit": True,
            # stores.postgres.prepared sends and reads text as UTF-8 itself.
            "client_encoding": "UTF8",
            # libpq takes whole seconds and treats 1 as 2.
            "connect_timeout": max(2, math.ceil(self.options.timeout)),
            "application_name": params.get("application_name", APPLICATION_NAME),
            "options": " ".join(filter(None, [params.get("options"), *settings])),
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            # Unacknowledged data for this long means the peer is gone.
            "tcp_user_timeout": timeout_ms,
        }

    def _compile(self, queries: dict[str, str]) -> tuple[dict[str, sql.SQL], dict[str, str]]:
        """The queries of this namespace, rendered once; and the texts of those that
        take a ``WHERE`` clause per call (``list_tasks``, ``list_tasks_by_status``)."""
        compiled: dict[str, sql.SQL] = {}
        templates: dict[str, str] = {}
        parts = ("count_change", "count_changes", "count_rate", "count_rates", "count_shard", "written_set",
                 "error_key_of")
        fragments = {name: queries[name] for name in parts}
        for name, text in queries.items():
            if name in fragments:
                continue
            text = (
                text.replace("{count_change}", fragments["count_change"])
                .replace("{written_set}", fragments["written_set"].strip())
                .replace("{count_changes}", fragments["count_changes"])
                .replace("{count_rate}", fragments["count_rate"].strip())
                .replace("{count_rates}", fragments["count_rates"].strip())
                .replace("{count_shard}", fragments["count_shard"].strip())
                .replace("{error_key_of}", fragments["error_key_of"])
                .replace("{columns}", TASK_COLUMNS)
                .replace("{task_json}", prepared.TASK_JSON)
                .replace("{returning}", _RETURNING)
                .replace("{now}", _NOW)
                .replace("{audit_columns}", AUDIT_COLUMNS)
            )
            if name in _TEMPLATES:
                templates[name] = text  # formatted per call with its WHERE clause
                continue
            # Rendered once: a Composed is turned into bytes again on every
            # execute (tens of microseconds a call); one SQL of plain text is
            # only encoded.
            compiled[name] = sql.SQL(sql.SQL(text).format(schema=sql.Identifier(self.namespace)).as_string(None))
        return compiled, templates

    # -- connections and schema ---------------------------------------------
    def _configure_connection(self, conn: psycopg.Connection) -> None:
        _configure(conn)
        if not self.read_only:
            conn.execute(self._queries["claim_count_shard"], {"key": self._shard_lock_key})
        audit = self._audit_context()
        if audit is not None:
            conn.execute(self._queries["set_audit_operator"], (audit.to_json(),))

    def _error(self, what: str, exc: BaseException) -> StoreUnavailable:
        return unavailable(what, exc, self._password)

    def _prepare_schema(self) -> None:
        """Check what this role may do, then create, upgrade or check the schema.

        The privileges are read first (``access`` in queries.sql), so nothing
        the role may not do is tried: a role that may only read (or a standby,
        or a read-only session) opens read-only (``read_only_reason``) without
        a refused statement in the server's log."""
        try:
            connect = deadline.connection_class(self.options.timeout).connect
            with connect(self._conninfo, **self._connect_kwargs) as conn:
                access = conn.execute(self._queries["access"], (self.namespace,)).fetchone()
                assert access is not None  # one row, always
                exists, may_create, may_use, owns, may_write, may_mark, standby, read_only_session = access
                if exists and not may_use:
                    raise StoreUnavailable(
                        f"Cannot read namespace {self.namespace!r}: this role has no USAGE privilege on its schema."
                    )
                if not self.read_only:
                    if standby:
                        self._may_only_read(STANDBY_MAY_ONLY_READ)
                    elif read_only_session:
                        self._may_only_read(SESSION_MAY_ONLY_READ)
                    elif exists and not may_write and not (may_create and owns):
                        self._may_only_read(ROLE_MAY_ONLY_READ)
                if self.read_only:
                    self._check_schema(conn, exists)
                elif may_create and (owns or not exists):
                    self._create_schema(conn)
                else:
                    # A role that may write tasks but not change the schema (or
                    # create one): open it as it is.
                    self._check_schema(conn, exists, cannot_create=True)
                    if may_mark:
                        conn.execute(self._queries["set_identity"], (secrets.token_hex(8),))
        except TaskStoreError:
            raise
        except psycopg.Error as exc:
            raise self._error("Cannot open PostgreSQL store", exc) from exc

    def _check_schema(self, conn: psycopg.Connection, exists: bool, cannot_create: bool = False) -> None:
        """Raise unless the namespace's schema (``exists``: its schema does) has
        this version; ``cannot_create``: the role may not create a missing one."""
        row = None
        try:
            if exists:  # else the query would only fail, and log an ERROR
                row = conn.execute(self._queries["schema_version"]).fetchone()
        except psycopg.errors.UndefinedTable:
            pass
        except psycopg.errors.InsufficientPrivilege as exc:
            raise self._error(f"Cannot read namespace {self.namespace!r}", exc) from exc
        if row is None and cannot_create:
            raise StoreUnavailable(
                f"Namespace {self.namespace!r} has no sokka schema in this database and this role "
                "may not create it."
            )
        if row is None:
            raise schema_missing(self.namespace, "in this database")
        version = checked_schema_version(self.namespace, str(row[0]), SCHEMA_VERSION)
        if version < SCHEMA_VERSION:
            # Nothing may be changed from here, and this version's queries need the new schema.
            raise schema_too_old(self.namespace, version, SCHEMA_VERSION)

    def _create_schema(self, conn: psycopg.Connection) -> None:
        from importlib import resources

        schema_sql = resources.files("stores.postgres").joinpath("schema.sql").read_text("utf-8")
        with conn.transaction():
            conn.execute(self._queries["lock_schema"], (self.namespace,))
            conn.execute(sql.SQL(schema_sql).format(schema=sql.Identifier(self.namespace)))
            conn.execute(self._queries["set_schema_version"], (str(SCHEMA_VERSION),))
            conn.execute(self._queries["set_identity"], (secrets.token_hex(8),))
            row = conn.execute(self._queries["schema_version"]).fetchone()
            checked_schema_version(self.namespace, str(row[0]) if row else "", SCHEMA_VERSION)

    @contextlib.contextmanager
    def _connection(self, what: str) -> Iterator[psycopg.Connection]:
        """A pooled connection; every driver error leaving it becomes ``StoreUnavailable``."""
        try:
            with deadline.pooled(self._pool, self.options.timeout, self._probe) as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise self._failed(what, exc) from exc

    def _failed(self, what: str, exc: psycopg.Error | psycopg_pool.PoolTimeout) -> TaskStoreError:
        """What the store raises for a driver error during ``what``."""
        if isinstance(exc, (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)) \
                and what in _WRITES:  # a role that may only read, or a read-only session
            return refused_write("PostgreSQL", exc, self._password)
        return self._error(f"PostgreSQL {what} failed", exc)

    def _fetch(self, what: str, query: sql.SQL | sql.Composed, params: Params | None = None) -> list[TupleRow]:
        """Run a read. A read is retried once on a broken connection: after a
        server restart every pooled connection is dead, and a read is safe to repeat."""
        for attempt in (1, 2):
            try:
                with self._connection(what) as conn:
                    return conn.execute(query, params).fetchall()
            except StoreUnavailable as exc:
                cause = exc.__cause__
                if (attempt == 2 or not isinstance(cause, psycopg.OperationalError)
                        or deadline.timed_out(cause) or deadline.unreachable(cause)):
                    raise
        raise AssertionError("unreachable")

    def _probe(self) -> None:
        """Connect once, directly, and hang up: whether the server takes connections
        now (``deadline.pooled`` asks while the pool's own attempts fail).
        Raises ``psycopg.OperationalError`` when it does not."""
        self._pool.connection_class.connect(self._conninfo, **self._connect_kwargs).close()

    def close(self) -> None:
        self._lane.close()
        self._pool.close()

    def identity(self) -> StoreIdentity | None:
        """The identity in the schema's meta table (``BaseStore.identity``); ``None``
        when the schema (or its identity) is not there. Raises ``StoreUnavailable``."""
        try:
            rows = self._fetch("identity read", self._queries["identity"])
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName)):
                return None  # the schema was dropped: the marker is gone
            raise
        return parse_identity(str(rows[0][0])) if rows else None

    def durability(self) -> list[DurabilityCheck]:
        """``fsync``, ``synchronous_commit`` and ``full_page_writes`` from
        ``pg_settings``, which every role may read (``BaseStore.durability``).
        Raises ``StoreUnavailable``."""
        settings = {str(name): str(value) for name, value in self._fetch("settings read", self._queries["durability"])}
        return postgres_durability(settings)

    def now_ms(self) -> int:
        now: int = self._fetch("clock read", self._queries["now_ms"])[0][0]
        return now

    def _now_on(self, conn: psycopg.Connection) -> int:
        """The server's clock, read on ``conn`` (in its transaction, if any)."""
        row = conn.execute(self._queries["now_ms"]).fetchone()
        assert row is not None  # SELECT of one value
        now: int = row[0]
        return now

    # -- reads ---------------------------------------------------------------
    def _get(self, task_id: str) -> Task | None:
        rows = self._fetch("read", self._queries["select_task"], (task_id,))
        return task_from_row(rows[0]) if rows else None

    def _group(self, task_group_id: str) -> list[Task]:
        rows = self._fetch("read", self._queries["group_tasks"], {"group": task_group_id})
        return [task_from_row(row) for row in rows]

    def _list(self, filters: TaskFilters, cursor: Cursor) -> list[Task]:
        query, params = self._list_query(filters, cursor.after, cursor.limit + 1)
        return [task_from_row(row) for row in self._fetch("listing", query, params)]

    def _list_query(
        self, filters: TaskFilters, after: tuple[int, str] | None, limit: int
    ) -> tuple[sql.Composed, dict[str, Any]]:
        """The listing of ``filters`` (``data`` aside): up to ``limit`` rows after
        ``after``, newest first; the query and its parameters."""
        where: list[sql.Composable] = []
        params: dict[str, Any] = {"limit": limit}
        for column in ("topic", "sub_topic", "status"):
            value = getattr(filters, column)
            if value is not None:
                where.append(sql.SQL("{} = %({})s").format(sql.Identifier(column), sql.SQL(column)))
                params[column] = str(value)
        if filters.from_ms is not None:
            where.append(sql.SQL("updated_at >= %(from_ms)s"))
            params["from_ms"] = filters.from_ms
        if filters.to_ms is not None:
            where.append(sql.SQL("updated_at <= %(to_ms)s"))
            params["to_ms"] = filters.to_ms
        if filters.error_key is not None:
            where.append(self._queries["error_key_matches"])
            params["error_key"] = filters.error_key
        if after is not None:
            where.append(sql.SQL("(updated_at, task_id) < (%(after_at)s, %(after_id)s)"))
            params["after_at"], params["after_id"] = after
        schema = sql.Identifier(self.namespace)
        page = self._templates["list_tasks"].rstrip(";")
        if filters.topic is not None and filters.status is None:
            # No (topic, updated_at) index (schema.sql): merge one index range per status.
            branches = [
                sql.SQL("(" + page + ")").format(schema=schema, where=sql.SQL(" AND ").join(
                    [*where, sql.SQL("status = {}").format(sql.Literal(status))]))
                for status in map(str, TASK_STATUSES)
            ]
            query = sql.SQL(self._templates["list_tasks_by_status"].rstrip().rstrip(";")).format(
                branches=sql.SQL("\nUNION ALL\n").join(branches))
        else:
            query = sql.SQL(page).format(
                schema=schema, where=sql.SQL(" AND ").join(where) if where else sql.SQL("true"))
        return query, params

    def _search(
        self, filters: TaskFilters, after: tuple[int, str] | None, limit: int, scan_limit: int
    ) -> SearchWindow:
        window, params = self._list_query(filters, after, scan_limit)
        predicates = []
        for i, condition in enumerate(filters.data):
            # Every key and the value are parameters: only their names are in the text.
            field: sql.Composable = sql.SQL("data")
            for j, key in enumerate(condition.path):
                field = sql.SQL("({} -> {}::text)").format(field, sql.Placeholder(f"c{i}k{j}"))
                params[f"c{i}k{j}"] = key
            text = sql.SQL(self._templates["payload_text"].strip()).format(field=field)
            fragment = self._templates["payload_equals" if condition.op == "=" else "payload_contains"]
            predicates.append(sql.SQL("({})").format(
                sql.SQL(fragment.strip()).format(text=text, value=sql.Placeholder(f"c{i}v"))))
            params[f"c{i}v"] = condition.value
        params["matches"] = limit
        query = sql.SQL(self._templates["search_tasks"].rstrip().rstrip(";")).format(
            window=window, predicate=sql.SQL(" AND ").join(predicates))
        limit_s = min(SEARCH_TIME_LIMIT_S, self.options.timeout * 0.8)
        try:
            with self._connection("search") as conn, conn.transaction():
                conn.execute(self._queries["search_begin"], {"timeout_ms": str(max(1, int(limit_s * 1000)))})
                rows = conn.execute(query, params).fetchall()
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, psycopg.errors.QueryCanceled):
                raise search_overran(limit_s) from exc.__cause__
            raise
        if not rows:
            return SearchWindow([], 0, None, True)
        examined, last_at, last_id = rows[0][:3]
        matches = [
            (row[-1], (row[3 + 14], row[3]), task_from_row(row[3:-1])) for row in rows if row[3] is not None
        ]
        return SearchWindow(matches, examined, (last_at, last_id), examined < scan_limit)

    def _list_leased(self, topic: str | None, cursor: Cursor) -> list[Task]:
        after_at, after_id = cursor.after or (-1, "")
        params = {"topic": topic, "after_at": after_at, "after_id": after_id, "limit": cursor.limit + 1}
        name = "list_leased_all" if topic is None else "list_leased_topic"
        return [task_from_row(row) for row in self._fetch("listing", self._queries[name], params)]

    def _audit_log(self, task_id: str | None, cursor: Cursor) -> list[AuditEntry]:
        after_at, after_id = audit_after(cursor.after)
        params = {"task_id": task_id, "after_at": after_at, "after_id": after_id, "limit": cursor.limit + 1}
        name = "audit_all" if task_id is None else "audit_task"
        try:
            rows = self._fetch("audit read", self._queries[name], params)
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, psycopg.errors.UndefinedTable):
                raise StoreUnavailable(
                    f"Namespace {self.namespace!r} has no audit trail yet (schema version 1); "
                    "open it once without read-only to upgrade it."
                ) from None
            raise
        return [audit_from_row(row) for row in rows]

    def _topics(self) -> list[TopicStats]:
        stats = []
        for topic, *counts, expired, oldest in self._fetch("topic summary", self._queries["topics"]):
            by_status = dict.fromkeys(TASK_STATUSES, 0)  # in the protocol's order
            by_status.update(zip(_COUNT_COLUMNS, counts, strict=True))
            stats.append(TopicStats(topic, by_status, expired, oldest))
        return stats

    # -- writes --------------------------------------------------------------
    def _insert(self, news: list[NewTask]) -> list[Task]:
        try:
            with self._connection("insert") as conn, conn.transaction():
                now = self._now_on(conn)
                # One COPY for the whole call: the server indexes rows while we
                # format the next ones, instead of both waiting at the end of
                # every batch; for a big call a writer thread sends while we
                # format (not worth starting a thread for a few rows).
                with conn.cursor() as cur:
                    writer = QueuedLibpqWriter(cur) if len(news) >= _QUEUED_COPY_ROWS else None
                    with cur.copy(self._queries["copy_tasks"], writer=writer) as copy:
                        write_row = copy.write_row
                        for n in news:
                            write_row((n.task_id, n.task_group_id, n.task_description, n.topic, n.sub_topic,
                                       "starting", None, 1, n.data_json, None, None, n.timeout_ms, None,
                                       now, now))
                created = [n.created(now) for n in news]
        except StoreUnavailable as exc:
            # Leaving the transaction with the error rolled every batch back.
            if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
                taken = self._taken_id([n.task_id for n in news])
                raise TaskAlreadyExists(f"Task {taken!r} already exists.", task_id=taken) from None
            raise
        return created

    def _taken_id(self, ids: list[str]) -> str:
        """Which of ``ids`` exists (the one a batch collided with)."""
        for start in range(0, len(ids), CREATE_BATCH_SIZE):
            rows = self._fetch("read", self._queries["taken_id"], (ids[start : start + CREATE_BATCH_SIZE],))
            if rows:
                taken: str = rows[0][0]
                return taken
        return ids[0]  # taken by a transaction that has since rolled back

    def _execute_hot(self, name: str, values: Sequence[bytes | None]) -> psycopg.pq.abc.PGresult:
        """One of ``prepared.HOT`` (a write, never repeated: it may have been
        applied) with its parameters in text (``Prepared.values``); its result.
        What ``_connection`` does, without its two generators and through the
        lane's kept connection: a worker runs this twice a task."""
        statement = self._hot[name]
        try:
            conn = self._lane.checkout()
            ok = False
            try:
                result = prepared.execute(conn, statement, values)
                ok = True
            finally:
                self._lane.checkin(conn, ok)
        except _DRIVER_ERRORS as exc:
            raise self._failed("write", exc) from exc
        return result

    def _write_rows(self, name: str, params: Mapping[str, object]) -> list[TupleRow]:
        """One write statement (never repeated: it may have been applied); its rows."""
        with self._connection("write") as conn:
            return conn.execute(self._queries[name], params).fetchall()

    def _current(self, task_id: str) -> tuple[Task | None, int]:
        """The task as it is now, and the server's clock, to name why a write missed."""
        with self._connection("read") as conn:
            row = conn.execute(self._queries["select_task_and_now"], (task_id,)).fetchone()
            if row is None:
                return None, self._now_on(conn)
        now: int = row[-1]
        return task_from_row(row[:-1]), now

    # -- a worker's cycle ---------------------------------------------------------
    # A worker reserves with the same topic and pid every time, and terminates
    # as the same pid. The first such call goes through BaseStore (checked, then
    # its parameters kept in text by _reserve or _write); a later call that finds
    # them kept, on a writable store, goes from here straight to its statement.
    # With 4 worker processes on 2 cores the Python between the two statements
    # costs several times what it does on an idle machine; the layers skipped
    # here were 11,000 of a cycle's 76,000 client instructions (bench/README.md).
    def reserve_task(self, topic: str, pid: str) -> Task | None:
        try:
            values = self._reserve_values.get((topic, pid, self.lease_time_ms))
        except TypeError:  # unhashable, so not a name: BaseStore says so
            values = None
        if values is None or self.read_only:
            return super().reserve_task(topic, pid)
        return prepared.task(self._execute_hot("reserve_task", values))

    def terminate(self, task_id: str, pid: str | None, *, record_ver: int | None = None) -> Task:
        # The key _write keeps a terminate's parameters under: error "" and snooze
        # 0 are _checked_write's defaults (were they to change, this would only miss).
        try:
            kept = None if record_ver is not None else self._write_values.get((Write.TERMINATE, pid, None, "", 0))
        except TypeError:  # as in reserve_task
            kept = None
        if kept is None or self.read_only or not plain_name(task_id):
            return super().terminate(task_id, pid, record_ver=record_ver)
        return self._write_kept(task_id, Write.TERMINATE, pid, None, kept)

    def _reserve(self, topic: str, pid: str) -> Task | None:
        key = (topic, pid, self.lease_time_ms)
        values = self._reserve_values.get(key) or _keep(  # a worker's first reserve on a topic
            self._reserve_values, key, self._hot["reserve_task"], {"topic": topic, "pid": pid, "lease_ms": key[2]}
        )
        return prepared.task(self._execute_hot("reserve_task", values))

    def _reserve_many(self, topic: str, pid: str, max_tasks: int) -> list[Task]:
        params = {"topic": topic, "pid": pid, "lease_ms": self.lease_time_ms, "max": max_tasks}
        return [task_from_row(row) for row in self._write_rows("reserve_tasks", params)]

    def _missed(self, task_ids: list[str]) -> tuple[dict[str, Task], int]:
        """The tasks of ``task_ids`` that exist, by id, and the server's clock."""
        with self._connection("read") as conn:
            rows = conn.execute(self._queries["select_tasks_and_now"], (task_ids,)).fetchall()
            now = int(rows[0][-1]) if rows else self._now_on(conn)
        return {task.task_id: task for task in (task_from_row(row[:-1]) for row in rows)}, now

    def _terminate_many(self, items: list[tuple[str, int]], pid: str) -> list[BatchResult]:
        """One statement (``bulk_write``: each item only at its version and owner,
        counted and audited as ``terminate``), then, only if some missed, one
        read to say why."""
        target = TaskStatus.TERMINATED
        params = {
            "ids": [task_id for task_id, _ in items], "vers": [ver for _, ver in items],
            "pids": [pid] * len(items), "target": str(target), "from_statuses": _FROM_STATUSES[target],
            "owner_check": True, "set_error": False, "error": "", "snooze_ms": None,
        }
        rows = self._write_rows("bulk_write", params)
        written = {task.task_id: task for task in map(task_from_row, rows)}
        missed = [task_id for task_id, _ in items if task_id not in written]
        current = self._missed(missed)[0] if missed else {}
        results = []
        for task_id, record_ver in items:
            if task_id in written:
                results.append(BatchResult(task_id, BatchOutcome.OK, written[task_id]))
                continue

            def check(task: Task | None, task_id: str = task_id, record_ver: int = record_ver) -> Task:
                return check_write(task, task_id, Write.TERMINATE, pid, record_ver)

            results.append(refused(task_id, current.get(task_id), check))
        return results

    def _extend_many(self, pid: str, task_ids: list[str]) -> list[BatchResult]:
        """One statement (``extend_leases``), then, only if some missed, one read to say why."""
        params = {"ids": task_ids, "pid": pid, "lease_ms": self.lease_time_ms}
        rows = self._write_rows("extend_leases", params)
        written = {task.task_id: task for task in map(task_from_row, rows)}
        missed = [task_id for task_id in task_ids if task_id not in written]
        current, now = self._missed(missed) if missed else ({}, 0)
        results = []
        for task_id in task_ids:
            if task_id in written:
                results.append(BatchResult(task_id, BatchOutcome.OK, written[task_id]))
                continue

            def check(task: Task | None, task_id: str = task_id) -> Task:
                return check_extend(task, task_id, pid, None, now)

            results.append(refused(task_id, current.get(task_id), check))
        return results

    def _extend(self, task_id: str, pid: str, record_ver: int | None) -> None:
        params = {"task_id": task_id, "pid": pid, "record_ver": record_ver, "lease_ms": self.lease_time_ms}

        def diagnose() -> None:
            task, now = self._current(task_id)
            check_extend(task, task_id, pid, record_ver, now)

        values = self._hot["extend_lease"].values(params)
        self._write_until_settled(
            task_id, lambda: prepared.row(self._execute_hot("extend_lease", values), prepared.ID_ROW), diagnose,
            unchanged="the lease was not extended",
        )

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
        key = (write, pid, record_ver, error, snooze_ms)
        kept = self._write_values.get(key)
        if kept is None:  # every parameter but the task's id, kept for the next write of its kind
            target = TARGET_STATUS[write]
            kept = _keep(self._write_values, key, self._hot["write_task"], {
                "task_id": "", "target": str(target), "from_statuses": _FROM_STATUSES[target],
                "owner_check": True, "pid": pid, "record_ver": record_ver,
                "set_error": write == Write.FAIL, "error": error,
                "snooze_ms": snooze_ms if write == Write.SNOOZE else None,
            })
        return self._write_kept(task_id, write, pid, record_ver, kept)

    def _write_kept(
        self, task_id: str, write: Write, pid: str | None, record_ver: int | None, kept: list[bytes | None]
    ) -> Task:
        """``_write`` with the other parameters kept (``kept``); ``task_id`` checked."""
        values = kept.copy()
        values[self._write_task_at] = prepared.text_param(task_id)
        written = prepared.task(self._execute_hot("write_task", values))
        if written is not None:  # the common case, without the retry loop's closures
            return written
        return self._write_missed(task_id, values, lambda task: check_write(task, task_id, write, pid, record_ver))

    def _revoke(self, task_id: str, record_ver: int) -> Task:
        target = TaskStatus.STARTING
        params = {
            "task_id": task_id, "target": str(target), "from_statuses": _FROM_STATUSES[target],
            "owner_check": False, "pid": None, "record_ver": record_ver,
            "set_error": False, "error": None, "snooze_ms": None,
        }
        values = self._hot["write_task"].values(params)
        return self._conditional_write(task_id, values, lambda task: check_revoke(task, task_id, record_ver))

    def _rerun(self, task_id: str, record_ver: int) -> Task:
        """The original read (and kept from a purge), checked, and the new task and
        both audit records written, in one transaction."""
        audit = self._audit_context()
        with self._connection("write") as conn, conn.transaction():
            row = conn.execute(self._queries["select_task_to_rerun"], (task_id,)).fetchone()
            original = check_rerun(task_from_row(row) if row else None, task_id, record_ver)
            new = rerun_of(original)
            if audit is not None:
                conn.execute(self._queries["skip_audit_trigger"])
            params = {
                "task_id": new.task_id, "group": new.task_group_id, "description": new.task_description,
                "topic": new.topic, "sub_topic": new.sub_topic, "data": new.data_json,
                "timeout_ms": new.timeout_ms,
            }
            inserted = conn.execute(self._queries["insert_rerun"], params).fetchone()
            assert inserted is not None  # INSERT ... RETURNING of one row
            task = task_from_row(inserted)
            if audit is not None:
                conn.execute(self._queries["insert_rerun_audit"], {
                    "at": task.created_at, "audit": audit.to_json(), "topic": task.topic,
                    "original": original.task_id, "status": str(original.status),
                    "record_ver": original.record_ver, "new_id": task.task_id,
                })
        return task

    def _failure_groups(self, topic: str, limit: int, scan_limit: int) -> FailureGroups:
        params = {"topic": topic, "limit": limit, "scan_limit": scan_limit}
        rows = self._fetch("failure summary", self._queries["failure_groups"], params)
        if not rows:
            return FailureGroups(topic, (), 0, scan_limit, True, 0)
        groups = tuple(FailureGroup(key, n, first, last, sample) for key, n, first, last, sample, *_ in rows)
        group_count, scanned, seen = rows[0][5:]
        return FailureGroups(topic, groups, scanned, scan_limit, seen <= scan_limit, group_count)

    def _apply_bulk(self, action: BulkAction, items: list[BulkItem], *, error: str, snooze_ms: int) -> list[BulkResult]:
        """A chunk in one conditional UPDATE, then one read to say why the rest missed."""
        params = {
            "ids": [i.task_id for i in items], "vers": [i.record_ver for i in items],
            "pids": [i.pid for i in items], "target": str(action.target),
            "from_statuses": allowed_from(action), "owner_check": action.checks_owner,
            "set_error": action is BulkAction.FAIL, "error": error,
            "snooze_ms": snooze_ms if action is BulkAction.SNOOZE else None,
        }
        audit = self._audit_context()
        with self._connection("bulk write") as conn, conn.transaction():
            if audit is not None:
                conn.execute(self._queries["set_audit_batch"], (audit.batch_id or "",))
            written = {row[0]: task_from_row(row) for row in conn.execute(self._queries["bulk_write"], params)}
            missed = [i.task_id for i in items if i.task_id not in written]
            current = {}
            if missed:
                rows = conn.execute(self._queries["bulk_current"], (missed,)).fetchall()
                current = {task_id: (ver, status, pid) for task_id, ver, status, pid in rows}
        return [
            BulkResult(i.task_id, BulkOutcome.DONE, task=written[i.task_id])
            if i.task_id in written
            else classify(i, current.get(i.task_id), action)
            for i in items
        ]

    def _conditional_write(
        self, task_id: str, values: list[bytes | None], check: Callable[[Task | None], Task]
    ) -> Task:
        """One conditional ``UPDATE`` (``write_task``, its parameters in text);
        only when it misses is the task read, to raise the protocol's error."""
        written = prepared.task(self._execute_hot("write_task", values))
        return written if written is not None else self._write_missed(task_id, values, check)

    def _write_missed(
        self, task_id: str, values: list[bytes | None], check: Callable[[Task | None], Task]
    ) -> Task:
        """After a ``write_task`` with ``values`` that missed: why (``check`` of the
        task as it is now raises the protocol's error), or, when it changed in
        between, the write again (``_write_until_settled``)."""
        missed: list[None] = [None]  # the miss, replayed as the loop's first attempt

        def attempt() -> Task | None:
            if missed:
                return missed.pop()
            return prepared.task(self._execute_hot("write_task", values))

        return self._write_until_settled(task_id, attempt, lambda: check(self._current(task_id)[0]))

    # -- pauses ----------------------------------------------------------------
    def _record_topic(self, conn: psycopg.Connection, at: int, action: str, topic: str, detail: str) -> None:
        """A topic record (pause, resume) in the audit trail, if this store has an operator."""
        audit = self._audit_context()
        if audit is not None:
            conn.execute(self._queries["insert_topic_audit"], {
                "at": at, "audit": audit.to_json(), "action": action, "topic": topic, "detail": detail,
            })

    def _pause(self, topic: str, until_ms: int | None, for_ms: int | None, reason: str) -> TopicPause:
        with self._connection("write") as conn, conn.transaction():
            now = self._now_on(conn)
            pause = self._pause_at(topic, now, until_ms, for_ms, reason)
            until = pause.until_ms
            conn.execute(self._queries["pause_topic"], {
                "topic": topic, "now": now, "until_ms": until, "reason": reason, "paused_by": pause.paused_by,
            })
            self._record_topic(conn, now, "pause", topic, pause_detail(until, reason))
        return pause

    def _resume(self, topic: str) -> TopicPause | None:
        with self._connection("write") as conn, conn.transaction():
            row = conn.execute(self._queries["resume_topic"], (topic,)).fetchone()
            if row is None or not row[5]:
                return None  # not paused (an ended pause is no pause): nothing to record
            self._record_topic(conn, int(row[6]), "resume", topic, "")
        return pause_from_row(row[:5])

    def _paused(self) -> list[TopicPause]:
        try:
            rows = self._fetch("pauses read", self._queries["paused_topics"])
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, psycopg.errors.InsufficientPrivilege):
                raise StoreUnavailable(
                    f"This role may not read the paused topics of namespace {self.namespace!r} "
                    f"(table {self.namespace}.pauses, added by schema version 4): grant it SELECT on it."
                ) from None
            raise
        return [pause_from_row(row) for row in rows]

    def _rates(self, topic: str | None, width_ms: int, buckets: int) -> list[TopicRates]:
        params = {"topic": topic, "width": width_ms, "buckets": buckets}
        try:
            rows = self._fetch("rates read", self._queries["rates_all" if topic is None else "rates_topic"], params)
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, psycopg.errors.InsufficientPrivilege):
                raise StoreUnavailable(
                    f"This role may not read the rates of namespace {self.namespace!r} "
                    f"(table {self.namespace}.rates, added by schema version 5): grant it SELECT on it."
                ) from None
            raise
        now = int(rows[0][6])  # one row at least: the clock's, joined to nothing when no bucket is kept
        found = [row[:6] for row in rows if row[0] is not None]
        return assemble(found, now, width_ms, buckets, topic)

    def _purge_batch(self, older_than_ms: int, statuses: tuple[str, ...], topic: str | None, batch_size: int) -> int:
        """One ``DELETE`` of at most ``batch_size`` old finished tasks (its own transaction)."""
        params = {"older_than_ms": older_than_ms, "statuses": list(statuses), "limit": batch_size, "topic": topic}
        name = "purge_batch" if topic is None else "purge_batch_topic"
        with self._connection("purge") as conn:
            return conn.execute(self._queries[name], params).rowcount
