"""Reaching a Redis server or cluster: the client, its timeouts, and the version check.

Redis 7 or later is needed: the read scripts run as ``EVALSHA_RO``. An older
server is refused at open with ``StoreUnavailable``, so the operator reads why
instead of meeting "unknown command" on the first listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.cluster import ClusterPipeline, RedisCluster
from redis.exceptions import AuthenticationError, RedisClusterException, RedisError, ResponseError
from redis.retry import Retry

from stores.errors import InvalidArgument, StoreUnavailable, redact, unavailable
from stores.model import DurabilityCheck

CLIENT_NAME = "sokka-tui"
#: What a driver may raise: every one becomes ``StoreUnavailable``.
DRIVER_ERRORS = (RedisError, RedisClusterException, OSError)
MIN_VERSION = (7, 0)

Client = redis.Redis | RedisCluster
#: A pipeline of either client (each a subclass of its client in redis-py).
Pipe = Pipeline | ClusterPipeline
#: ``INFO server`` as redis-py parses it (a value that looks like a number becomes one).
ServerInfo = dict[str, Any]


def text(value: bytes | str) -> str:
    """A value a client made by ``connect`` replied: text, since it decodes every
    reply (``decode_responses=True``), which redis-py's types cannot tell."""
    if isinstance(value, str):
        return value
    raise TypeError(f"a Redis reply was not decoded: {type(value).__name__}")


def text_or_none(value: bytes | str | None) -> str | None:
    """``text`` of a reply that may be nil (``GET`` of a missing key)."""
    return None if value is None else text(value)


def texts(values: Iterable[bytes | str]) -> list[str]:
    """``text`` of each value, in order."""
    return [text(value) for value in values]


def url_secrets(url: str) -> tuple[str | None, str | None]:
    """The password of ``url``, as written and decoded, to keep out of messages.
    Raises ``InvalidArgument`` for a URL that cannot be split."""
    try:
        password = urlsplit(url).password
    except ValueError as exc:
        raise InvalidArgument(f"Not a usable Redis URL: {exc}") from None
    return password, unquote(password) if password else None


def where(url: str) -> str:
    """``host:port`` of ``url``, for messages (never the password)."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:
        return "the given URL"


def plain_url(url: str) -> str:
    """``url`` with the scheme redis-py knows (``redis+cluster://`` -> ``redis://``)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower().removesuffix('+cluster')}://{rest}"


def _password_without_user(url: str) -> bool:
    """Whether ``url`` gives a password but no user name (``redis://:pw@host``)."""
    try:
        parts = urlsplit(url)
        return bool(parts.password) and not parts.username
    except ValueError:
        return False  # redis-py says what is wrong with it


def check_database(url: str) -> None:
    """Raise ``InvalidArgument`` unless ``url``'s path names a database by a whole
    number (or names none). redis-py quietly uses database 0 for a path it
    cannot read as one (``/abc``, ``/1.5``, ``/0/x``), which would open another
    database than the one meant."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return  # redis-py says what is wrong with it
    name = path[1:] if path.startswith("/") else path
    if name and not (name.isascii() and name.isdigit()):
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise InvalidArgument(
            f"The Redis URL's database must be a whole number from 0 up (as in redis://host:6379/0), not {shown!r}."
        )


def connect(url: str, timeout: float, secrets: tuple[str | None, ...]) -> Client:
    """A client for ``url`` (not yet connected). Raises ``InvalidArgument`` for a
    URL redis-py cannot parse or whose database is not a whole number,
    ``StoreUnavailable`` when a cluster cannot be reached."""
    check_database(url)
    scheme = url.partition("://")[0].lower()
    plain = plain_url(url)
    options = _client_options(timeout)
    if _password_without_user(plain):
        # AUTH default PASSWORD, not AUTH PASSWORD: the same on a server that
        # asks for a password, and accepted (the password ignored, which
        # password_ignored tells) by one that asks for none, where redis-py
        # before 8 turned the one-argument AUTH's refusal into an error.
        options["username"] = "default"
    try:
        if scheme.endswith("+cluster"):
            return RedisCluster.from_url(plain, **options)
        return redis.Redis.from_url(plain, **options)
    except ValueError as exc:
        raise InvalidArgument(redact(f"Not a usable Redis URL: {exc}", *secrets)) from None
    except DRIVER_ERRORS as exc:  # a cluster client connects at once, to learn the slots
        raise unavailable(f"Cannot reach the Redis cluster at {where(url)}", exc, *secrets) from exc


def _client_options(timeout: float) -> dict[str, Any]:
    return {
        "decode_responses": True,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "client_name": CLIENT_NAME,
        # No automatic retries: a dead server must fail within about `timeout`,
        # and re-sending a script whose reply was lost could run it twice.
        # (The pool still replaces a connection the server closed while idle.)
        "retry": Retry(NoBackoff(), 0),
    }


#: ``RedisStore.warnings`` when the URL's password was not needed.
PASSWORD_IGNORED = "the server requires no password; the one given was ignored"


def password_ignored(url: str, timeout: float) -> bool:
    """Whether ``url`` gives a password (for the default user) to a server that
    asks for none. Redis then accepts any password, so a wrong one goes
    unnoticed until the server is given a password and the store is locked out.

    One connection without credentials: a ``PING`` that is answered means the
    default user needs no password. Any other outcome (refused with NOAUTH, or
    an error) says nothing, and is not a warning. Only asked when the URL has a
    password and no user other than ``default``."""
    try:
        parts = urlsplit(plain_url(url))
        if not parts.password or (parts.username or "default") != "default":
            return False
        host = parts.hostname or "localhost"
        host = f"[{host}]" if ":" in host else host
        netloc = host + (f":{parts.port}" if parts.port else "")
        anonymous = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        return False
    options = _client_options(timeout)
    options["client_name"] = None  # CLIENT SETNAME would be refused before AUTH
    client = redis.Redis.from_url(anonymous, **options)
    try:
        return bool(client.ping())
    except (AuthenticationError, *DRIVER_ERRORS):
        return False
    finally:
        client.close()


def cluster_server_infos(client: RedisCluster) -> dict[str, ServerInfo | Exception]:
    """``INFO server`` of every primary (by node name), or the error the node
    replied instead. Raises what the driver raises otherwise."""
    infos: dict[str, ServerInfo | Exception] = {}
    # INFO is refused in a cluster pipeline, and one call to several nodes
    # replies in a shape that depends on how many there are: ask each in turn.
    for node in client.get_primaries():  # type: ignore[no-untyped-call, unused-ignore]  # redis-py leaves it untyped
        try:
            infos[node.name] = client.info("server", target_nodes=node)
        except ResponseError as exc:
            infos[node.name] = exc
    return infos


def check_version(info: ServerInfo | Exception, server: str) -> None:
    """Raise ``StoreUnavailable`` if ``INFO server`` says the server is older than
    Redis 7.0; raise ``info`` if it is any other exception.

    A reply that cannot tell passes: an error reply (a user not allowed
    ``INFO``, a server that renamed it away) or no ``redis_version``. Refusing
    to open would lock such users out of a server that may well be new enough;
    on one that is not, the scripts fail on their own, as before this check."""
    if isinstance(info, ResponseError):
        return
    if isinstance(info, Exception):
        raise info
    # redis-py turns a value that looks like a number into one: "7.0" is 7.0.
    version = str(info.get("redis_version", ""))
    parts = [*version.split(".")[:2], "0"][:2]
    if not all(part.isascii() and part.isdigit() for part in parts):
        return
    if (int(parts[0]), int(parts[1])) < MIN_VERSION:
        raise StoreUnavailable(
            f"Redis {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer is required; "
            f"the server at {server} is {version}."
        )


def redis_durability(config: Mapping[str, str | None]) -> list[DurabilityCheck]:
    """The checks of ``RedisStore.durability`` for a ``CONFIG GET`` reply (by name)."""
    appendonly = config.get("appendonly") or "?"
    fsync = config.get("appendfsync") or "?"
    save = config.get("save")
    policy = config.get("maxmemory-policy") or "?"
    checks = []
    if appendonly == "yes":
        checks.append(DurabilityCheck("appendonly", appendonly, True))
    else:
        lost = ("every task: nothing is written to disk" if not save
                else f"the writes made since the last snapshot (save {save})")
        checks.append(DurabilityCheck("appendonly", appendonly, False, f"a restart or crash loses {lost}."))
    if fsync in ("always", "everysec") or appendonly != "yes":
        checks.append(DurabilityCheck("appendfsync", fsync, True))  # without the append-only file it is moot
    else:
        checks.append(DurabilityCheck(
            "appendfsync", fsync, False,
            "an OS crash or power loss loses the writes the OS had not flushed to disk yet (up to about 30 s).",
        ))
    checks.append(DurabilityCheck("save", save or "(off)", True))  # snapshots: informational
    if policy == "noeviction" or policy.startswith("volatile-"):
        # The store's keys have no expiry, so volatile-* policies never evict them.
        checks.append(DurabilityCheck("maxmemory-policy", policy, True))
    else:
        checks.append(DurabilityCheck(
            "maxmemory-policy", policy, False,
            "when memory runs short Redis evicts keys, tasks and their indexes among them, silently.",
        ))
    return checks
