"""The operator's time zone: ``--tz local|UTC|Area/City`` (or a context's ``tz``).

Every absolute time the console and ``sokka``'s tables show goes through one
``Zone``: ``2026-12-05 08:03:12.123 +01:00``, the offset being that of the
instant shown (a summer time and a winter time of the same zone show different
offsets), not of now. In UTC, the default, times read as they always did:
``2026-12-05 07:03:12.123 UTC``. Relative times (``3m ago``) do not depend on
the zone; JSON output stays epoch ms plus ISO UTC (``ops/output.py``).

``local`` is the machine's zone: ``$TZ`` or ``/etc/localtime``, named by its
IANA key when one can be found; otherwise the C library's rules (``$TZ`` may be a
POSIX rule such as ``CET-1CEST``), still with each instant's own offset.

Zone names come from the system's zone files, else from the ``tzdata`` package
(a dependency, so ``Europe/Berlin`` works on machines without zone files).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: What ``--tz`` says when it is not given (and no context gives one).
DEFAULT = "UTC"
EXAMPLE = "Europe/Berlin"
#: Date and time to the second, as every absolute time starts.
DATE_TIME = "%Y-%m-%d %H:%M:%S"
_LOCAL = "local"


class ZoneError(ValueError):
    """A time zone that is not known; the message is one line naming it, with an example."""


@dataclass(frozen=True)
class Zone:
    """Where absolute times are shown: ``UTC``, ``local`` or an IANA zone.

    ``info`` is ``None`` for a local zone without an IANA key (the C library's
    local time, instant by instant); ``key`` is what ``local`` was found to be."""

    name: str
    info: dt.tzinfo | None
    key: str | None = None

    @property
    def is_utc(self) -> bool:
        """The default zone, whose times end in ``UTC`` rather than ``+00:00``."""
        return self.name == DEFAULT

    @property
    def short(self) -> str:
        """The zone's name in a hint: ``UTC``, ``Europe/Berlin``, ``local``."""
        return self.name

    def moment(self, at_ms: int) -> dt.datetime:
        """``at_ms`` (epoch ms) as an aware datetime in this zone, to the second."""
        utc = dt.datetime.fromtimestamp(at_ms // 1000, tz=dt.UTC)
        return utc.astimezone(self.info)  # None: the C library's local time of that instant

    def offset(self, at_ms: int) -> str:
        """The offset of the instant ``at_ms``: ``UTC`` in UTC, else ``+01:00``."""
        if self.is_utc:
            return "UTC"
        return _offset_text(self.moment(at_ms).utcoffset() or dt.timedelta(0))

    def format(self, at_ms: int, pattern: str = DATE_TIME, *, millis: bool = True, offset: bool = True) -> str:
        """``at_ms`` in this zone: ``pattern`` (strftime), then ``.123`` with
        ``millis``, then the instant's offset with ``offset``."""
        text = self.moment(at_ms).strftime(pattern)
        if millis:
            text += f".{at_ms % 1000:03d}"
        return f"{text} {self.offset(at_ms)}" if offset else text

    def cell(self, at_ms: int, pattern: str = DATE_TIME, *, millis: bool = False) -> str:
        """A table cell: in UTC the column's heading says ``(UTC)`` (``heading``), so
        the cell has no offset, as before; in any other zone each cell has its own."""
        return self.format(at_ms, pattern, millis=millis, offset=not self.is_utc)

    def heading(self, text: str) -> str:
        """A time column's heading: ``WHEN (UTC)`` in UTC; else ``WHEN`` (the cells
        carry their offsets, which change with summer time)."""
        return f"{text} (UTC)" if self.is_utc else text

    @property
    def cell_extra(self) -> int:
        """Cells a time column needs beyond its UTC width (`` +01:00``)."""
        return 0 if self.is_utc else len(" +00:00")

    def label(self, now_ms: int) -> str:
        """The zone for the header, with the offset of now: ``UTC``,
        ``Europe/Berlin (+01:00)``, ``local Europe/Berlin (+01:00)``."""
        if self.is_utc:
            return "UTC"
        offset = _offset_text(self.moment(now_ms).utcoffset() or dt.timedelta(0))
        if self.name == _LOCAL:
            return f"local {self.key} ({offset})" if self.key else f"local ({offset})"
        return f"{self.name} ({offset})"

    def read(self, wall: dt.datetime) -> int:
        """Epoch ms of ``wall``: a naive date and time read in this zone (an aware
        one keeps its own offset). A wall time that happens twice (summer time
        ending) is the first; one that is skipped is read with the offset before."""
        if wall.tzinfo is None:
            wall = wall.astimezone() if self.info is None else wall.replace(tzinfo=self.info)
        return int(wall.timestamp() * 1000)


UTC = Zone(DEFAULT, dt.UTC)


def _offset_text(offset: dt.timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def parse_zone(text: str) -> Zone:
    """``UTC`` (any case), ``local``, or an IANA name such as ``Europe/Berlin``.
    Raises ``ZoneError`` naming the value and an example."""
    name = text.strip()
    if name.upper() == DEFAULT:
        return UTC
    if name.lower() == _LOCAL:
        return local_zone()
    try:
        return Zone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    shown = name[:60]
    hint = ""
    if name and "\x00" not in name:
        near = [key for key in available_timezones() if key.lower() == name.lower()]
        if near:
            hint = f" (did you mean {near[0]}?)"
    raise ZoneError(
        f"unknown time zone {shown!r}{hint}: use UTC, local, or an Area/City name such as --tz {EXAMPLE}"
    )


def local_zone() -> Zone:
    """The machine's zone: ``$TZ`` when it names an IANA zone, else what
    ``/etc/localtime`` links to; else the C library's local time (``$TZ`` as a
    POSIX rule, or a copied ``/etc/localtime``), named by its abbreviation."""
    key = _local_key()
    if key is not None:
        try:
            return Zone(_LOCAL, ZoneInfo(key), key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    time.tzset()  # $TZ as it is now
    return Zone(_LOCAL, None, time.tzname[0] or None)


def _local_key() -> str | None:
    tz = os.environ.get("TZ")
    if tz is not None:
        tz = tz.removeprefix(":")
        if tz.startswith("/"):  # a file: named by where it sits under zoneinfo/
            return _key_of(Path(tz))
        return tz or "UTC"  # TZ="" is UTC to the C library
    return _key_of(Path("/etc/localtime"))


def _key_of(path: Path) -> str | None:
    try:
        target = str(path.resolve())
    except OSError:
        return None
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None
