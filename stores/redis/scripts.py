"""The Lua scripts: loaded from the package once, run by SHA, refusals made errors.

Each script runs on one topic: its first key is the topic's prefix
(``Keys.topic``), so on a cluster it stays in one slot. Exceptions, never sent
to a cluster with keys of several slots: ``claim`` and ``unclaim`` work on one
key outside every topic; on a single server ``create`` also claims the ids and
writes the group entries of a whole batch, of any topics, in one script, and
``list`` reads the pages of several topics at once (``KEYS`` are their
prefixes). Single calls on a single server go through ``direct.Direct``. Read scripts carry
``#!lua flags=no-writes`` and go as ``EVALSHA_RO`` (Redis 7+), so a Redis user
allowed only that (not ``EVALSHA``) can use a read-only store without being
able to write. Such a user may also lack ``SCRIPT LOAD``: a read script the
server does not have yet is then sent whole, as ``EVAL_RO``, which the server
also runs read-only.

The smallest ACL for a read-only store (``READ_ONLY_ACL``): the ``@read``
commands, ``EVALSHA_RO``, ``EVAL_RO``, ``TIME`` (the store's clock) and ``CLIENT
SETNAME`` (every connection is named ``sokka-tui``), on the namespace's keys;
and, for a cluster client, ``CLUSTER SLOTS`` (where the slots are) and
``COMMAND`` (how the client finds a command's keys), both metadata.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

import redis
from hiredis import pack_command
from redis.cluster import RedisCluster
from redis.exceptions import NoPermissionError, NoScriptError
from redis.typing import EncodableT

from stores.constants import ALLOWED_TRANSITIONS, FINAL_STATUSES
from stores.errors import ERRORS_BY_CODE, StoreUnavailable, TaskStoreError
from stores.model import Task
from stores.redis.codec import task_state
from stores.redis.connection import Client, Pipe
from stores.redis.direct import Direct
from stores.redis.keys import Keys

SCRIPTS = (
    "create", "reserve", "extend", "write", "revoke", "bulk", "list", "stats", "purge", "upgrade", "claim",
    "unclaim", "rerun", "failures", "pause", "resume", "rates", "reserve_many", "terminate_many", "extend_many",
)
#: Scripts on one key that is not a topic: they need none of ``common.lua``.
STANDALONE = frozenset({"claim", "unclaim"})
#: Scripts flagged ``no-writes``: they run as ``EVALSHA_RO`` (Redis 7+).
READ_SCRIPTS = frozenset({"list", "stats", "failures", "rates"})
#: What a Redis user needs for a read-only store, after its key pattern ``~<namespace>:*``.
READ_ONLY_ACL = (
    "resetchannels", "-@all", "+@read", "+evalsha_ro", "+eval_ro", "+time", "+client|setname",
    "+cluster|slots", "+command",
)
#: A script's arguments.
Args = Sequence[EncodableT]
#: One script call: ``(script name, topic, arguments)``.
Call = tuple[str, str, Args]
#: One script call: ``(script name, keys, arguments)``.
KeysCall = tuple[str, list[str], Args]
#: What a script replied, as Lua returned it: a number, text, or a (nested)
#: list of those; each caller knows its script's shape.
Reply = Any
#: How a caller words a refusal: ``stores.rules``' check for the task as the
#: script saw it (``None``: no such task) and the server's clock then.
Check = Callable[[Task | None, int], Task]


def _lua_set(statuses: Iterable[str]) -> str:
    return "{" + ", ".join(f'["{s}"] = true' for s in sorted(statuses)) + "}"


@functools.cache
def script_texts() -> dict[str, str]:
    """Each script's full text: its shebang line, ``common.lua``, its body.

    The transition table is written into ``common.lua`` from ``stores.protocol``.
    """
    files = resources.files("stores.redis")
    # One flat table keyed 'from>to': one table to build per call, not one per status.
    allowed = _lua_set(
        f"{status}>{target}" for status, targets in ALLOWED_TRANSITIONS.items() for target in targets
    )
    common = (
        files.joinpath("common.lua").read_text(encoding="utf-8")
        .replace("{{ALLOWED_TRANSITIONS}}", allowed)
        .replace("{{FINAL_STATUSES}}", _lua_set(FINAL_STATUSES))
    )
    texts = {}
    for name in SCRIPTS:
        body = files.joinpath(f"{name}.lua").read_text(encoding="utf-8")
        if name in STANDALONE:
            texts[name] = body
            continue
        shebang = ""
        if body.startswith("#!"):  # must stay the first line
            shebang, body = body.split("\n", 1)
            shebang += "\n"
        text = common
        if "ALLOWED" not in body:
            text = text.replace(f"local ALLOWED = {allowed}", "local ALLOWED")
        if "FINAL" not in body:
            text = text.replace(f"local FINAL = {_lua_set(FINAL_STATUSES)}", "local FINAL")
        texts[name] = f"{shebang}{text}\n{body}"
    return texts


class Scripts:
    """The store's scripts on one client (a server or a cluster).

    Every method lets the driver's exceptions through; the store turns them
    into ``StoreUnavailable``."""

    def __init__(self, client: Client, keys: Keys) -> None:
        self._client = client
        self._keys = keys
        self._cluster = isinstance(client, RedisCluster)
        self._texts = script_texts()
        # Registering only hashes the text: a script is loaded on first use.
        self._scripts = {name: client.register_script(text) for name, text in self._texts.items()}
        self._shas = {name: script.sha for name, script in self._scripts.items()}
        # False once the server refused SCRIPT LOAD to this user (a read-only ACL).
        self._may_load = True
        # One server: single script calls skip redis-py's per-command machinery.
        self._direct = Direct(client.connection_pool) if isinstance(client, redis.Redis) else None
        self._prefixes: dict[str, str] = {}
        # reserve.lua's command, packed, by its arguments: a worker sends the
        # same one over and over, and packing it was a tenth of the Python of a
        # reserve→terminate cycle.
        self._reserves: dict[tuple[str, str, int, str], bytes] = {}

    def _send(self, target: Client | Pipe, name: str, keys: list[str], args: Args) -> Reply:
        """EVALSHA (or EVALSHA_RO) of script ``name`` on ``target``, the client or a pipeline."""
        if target is self._client and self._direct is not None:
            command = "EVALSHA_RO" if name in READ_SCRIPTS else "EVALSHA"
            return self._direct.execute(command, self._shas[name], len(keys), *keys, *args)
        send = target.evalsha_ro if name in READ_SCRIPTS else target.evalsha
        return send(self._shas[name], len(keys), *keys, *args)

    def prefix(self, topic: str) -> str:
        """``Keys.topic``, remembered: it is built on every write."""
        prefix = self._prefixes.get(topic)
        if prefix is None:
            if len(self._prefixes) >= 10_000:
                self._prefixes.clear()
            prefix = self._prefixes[topic] = self._keys.topic(topic)
        return prefix

    def call(self, name: str, topic: str, *args: EncodableT) -> Reply:
        """Run script ``name`` on ``topic``; return its reply."""
        direct = self._direct
        if direct is not None and name not in READ_SCRIPTS:  # the writes' path, shortest
            prefix = self._prefixes.get(topic) or self.prefix(topic)
            try:
                # hiredis's stub types the argument as a tuple of one element; it takes any number.
                return direct.send(pack_command(("EVALSHA", self._shas[name], 1, prefix, *args)))  # type: ignore[arg-type]
            except NoScriptError:
                pass  # it did not run: call_keys loads it
        return self.call_keys(name, [self.prefix(topic)], args)

    def reserve(self, topic: str, pid: str, lease_ms: int, audit: str) -> Reply:
        """``call("reserve", topic, pid, lease_ms, audit)``, its command packed once."""
        direct = self._direct
        if direct is not None:
            key = (topic, pid, lease_ms, audit)
            packed = self._reserves.get(key)
            if packed is None:
                if len(self._reserves) >= 1_000:
                    self._reserves.clear()
                command = ("EVALSHA", self._shas["reserve"], 1, self.prefix(topic), pid, lease_ms, audit)
                packed = self._reserves[key] = pack_command(command)  # type: ignore[arg-type]  # as in call
            try:
                return direct.send(packed)
            except NoScriptError:
                pass  # it did not run: call_keys loads it
        return self.call_keys("reserve", [self.prefix(topic)], (pid, lease_ms, audit))

    def call_keys(self, name: str, keys: list[str], args: Args) -> Reply:
        """Run script ``name`` with ``keys``; return its reply."""
        try:
            return self._send(self._client, name, keys, args)
        except NoScriptError:  # not loaded yet, or flushed: it did not run
            if name in READ_SCRIPTS and not self._may_load:
                return self._eval_ro(name, keys, args)
            try:
                self._client.script_load(self._texts[name])
            except NoPermissionError:
                if name not in READ_SCRIPTS:
                    raise  # a write this user may not make: nothing ran
                self._may_load = False
                return self._eval_ro(name, keys, args)
            return self._send(self._client, name, keys, args)

    def _eval_ro(self, name: str, keys: list[str], args: Args) -> Reply:
        """A read script sent whole (``EVAL_RO``), for a user who may not load scripts."""
        return self._client.eval_ro(self._texts[name], len(keys), *keys, *args)

    def run(self, calls: list[Call], pipe: Pipe | None = None) -> list[Reply]:
        """Run ``calls`` after the commands already in ``pipe``; return the
        scripts' replies. One round trip on one server; on a cluster the pipe
        first, then each script on its own (redis-py refuses ``EVALSHA`` in
        cluster pipelines). Raises the first error of a command in ``pipe``."""
        return self.run_keys([(name, [self._keys.topic(topic)], args) for name, topic, args in calls], pipe)

    def run_keys(self, calls: list[KeysCall], pipe: Pipe | None = None) -> list[Reply]:
        """``run`` of calls ``(script name, keys, arguments)``."""
        if self._cluster:
            if pipe is not None:
                pipe.execute()
            return [self.call_keys(name, keys, args) for name, keys, args in calls]
        pipe = pipe if pipe is not None else self._client.pipeline(transaction=False)
        head = len(pipe)
        for name, keys, args in calls:
            self._send(pipe, name, keys, args)
        results = pipe.execute(raise_on_error=False)
        for result in results[:head]:
            if isinstance(result, Exception):
                raise result
        replies = results[head:]
        for i, reply in enumerate(replies):
            if isinstance(reply, NoScriptError):
                # Not loaded (e.g. after SCRIPT FLUSH), so it did not run: this
                # loads it and runs it once.
                replies[i] = self.call_keys(*calls[i])
            elif isinstance(reply, Exception):
                raise reply
        return replies

    def claim(self, key: str, abandoned: str, value: str) -> bool:
        """Compare-and-set of an id claim: ``key`` becomes ``value`` only if it
        still holds ``abandoned``; whether it did."""
        won: int = self._scripts["claim"]([key], [abandoned, value])
        return won == 1


def refusal(reply: Reply, task_id: str, topic: str, check: Check) -> TaskStoreError:
    """The error for a script's refusal ``{0, code, meta, now}``.

    ``stores.rules`` words it from the task's state, which also checks that the
    script refused for the reason the rules give; an unknown code becomes
    ``StoreUnavailable``."""
    code, meta, now = reply[1], reply[2], int(reply[3])
    stub = task_state(task_id, topic, meta) if meta else None
    try:
        check(stub, now)
    except TaskStoreError as error:
        if error.code == code:
            return error
    return ERRORS_BY_CODE.get(code, StoreUnavailable)(
        f"The store refused the operation on task {task_id!r} ({code}).", task_id=task_id
    )
