"""Named stores ("contexts") from ``config.toml``, shared by ``sokka-tui`` and ``sokka``.

::

    # ~/.config/sokka/config.toml
    [contexts.prod]
    url = "postgresql://ops@db.prod/app"   # a password here stays out of argv
    read_only = true                        # writing needs --allow-write
    namespace = "sokka"                     # optional
    tz = "Europe/Berlin"                    # optional: times shown in this zone (--tz wins)

The file is ``$SOKKA_CONFIG`` if set, else ``config.toml`` in the user's config
directory for ``sokka`` (platformdirs: ``$XDG_CONFIG_HOME/sokka``, else
``~/.config/sokka`` on Linux). It is read only when ``--context`` is given.

Where the store URL comes from, first match wins: the URL on the command line,
the context, ``$SOKKA_STORE_URL``, the default SQLite file of ``sokka-tui``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from sokka_tui.timezones import UTC, Zone, ZoneError, parse_zone
from stores.errors import redact

ENV_CONFIG = "SOKKA_CONFIG"
ENV_URL = "SOKKA_STORE_URL"
_KEYS = {"url", "read_only", "namespace", "tz"}


class ContextError(ValueError):
    """A context that cannot be used; the message is one line to show."""


@dataclass(frozen=True)
class Context:
    """One ``[contexts.NAME]`` table."""

    name: str
    url: str
    read_only: bool = False
    namespace: str | None = None
    zone: Zone | None = None


@dataclass(frozen=True)
class Target:
    """The store a command opens: its URL, a label safe to show, and its mode.

    ``context_read_only`` says the context asked for read-only (so a refusal
    can name ``--allow-write``)."""

    url: str
    label: str
    namespace: str | None
    read_only: bool
    context: str | None = None
    context_read_only: bool = False
    #: Where absolute times are shown: ``--tz``, else the context's ``tz``, else UTC.
    zone: Zone = UTC


def config_path() -> Path:
    """``$SOKKA_CONFIG``, else ``config.toml`` in the user's config directory for ``sokka``."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]).expanduser()
    return user_config_path("sokka", appauthor=False) / "config.toml"


def default_url() -> str:
    """``$SOKKA_STORE_URL``, else an embedded SQLite file in the user's data
    directory for ``sokka-tui`` (created if missing)."""
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    directory = user_data_path("sokka-tui", appauthor=False)
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{directory.resolve() / 'tasks.db'}"


def load_context(name: str, path: Path | None = None) -> Context:
    """The context ``name`` of the config file. Raises ``ContextError`` (a missing
    or unreadable file, bad TOML, an unknown name, a bad or missing key)."""
    import tomllib  # only with --context: not on every start

    path = path or config_path()
    try:
        with open(path, "rb") as file:
            config = tomllib.load(file)
    except FileNotFoundError:
        raise ContextError(f"no config file at {path} (needed for --context {name!r})") from None
    except OSError as exc:
        raise ContextError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContextError(f"{path} is not valid TOML: {exc}") from None
    contexts = config.get("contexts", {})
    if not isinstance(contexts, dict):
        raise ContextError(f"{path}: 'contexts' must be a table of [contexts.NAME] tables")
    table = contexts.get(name)
    if not isinstance(table, dict):
        known = ", ".join(sorted(k for k, v in contexts.items() if isinstance(v, dict))) or "none"
        raise ContextError(f"unknown context {name!r} in {path} (known: {known})")
    where = f"{path} [contexts.{name}]"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ContextError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    url = table.get("url")
    if not isinstance(url, str) or not url:
        raise ContextError(f"{where}: 'url' must be a store URL")
    read_only = table.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ContextError(f"{where}: 'read_only' must be true or false")
    namespace = table.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise ContextError(f"{where}: 'namespace' must be text")
    tz = table.get("tz")
    if tz is not None and not isinstance(tz, str):
        raise ContextError(f"{where}: 'tz' must be text: UTC, local or an Area/City name such as \"Europe/Berlin\"")
    try:
        zone = parse_zone(tz) if tz is not None else None
    except ZoneError as exc:
        raise ContextError(f"{where}: 'tz': {exc}") from None
    return Context(name, url, read_only, namespace, zone)


def resolve(
    url: str | None,
    context: str | None,
    *,
    namespace: str | None,
    read_only: bool,
    allow_write: bool = False,
    zone: Zone | None = None,
) -> Target:
    """Where a command goes: ``url`` (given on the command line), else the context
    ``context``, else ``$SOKKA_STORE_URL``, else the default SQLite file.

    A ``namespace`` given on the command line beats the context's. A
    context marked ``read_only`` opens read-only unless ``allow_write`` (the
    explicit ``--allow-write``); the ``--read-only`` flag always wins. A ``zone``
    given on the command line (``--tz``) beats the context's ``tz``. Raises
    ``ContextError``."""
    found = load_context(context) if context is not None else None
    if url is None and found is not None:
        url = found.url
    url = url or default_url()
    context_read_only = bool(found and found.read_only)
    return Target(
        url=url,
        label=redact(url) if found is None else f"{found.name} ({redact(url)})",
        namespace=namespace if namespace is not None else (found.namespace if found else None),
        read_only=read_only or (context_read_only and not allow_write),
        context=found.name if found else None,
        context_read_only=context_read_only,
        zone=zone or (found.zone if found else None) or UTC,
    )
