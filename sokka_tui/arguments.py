"""What ``sokka-tui`` and ``sokka`` parse the same way: the parser's one-line
errors, the argument types, and the options that name a store.

Every bad argument is one line on stderr (control characters made visible, a
password in a URL never echoed) and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any, NoReturn

from sokka_tui.durations import DurationError, parse_duration
from sokka_tui.render import clean
from sokka_tui.timezones import EXAMPLE, Zone, ZoneError, parse_zone
from stores.errors import redact
from stores.protocol import DEFAULT_TIMEOUT_S

EXIT_USAGE = 2
#: The store's own bounds on ``timeout`` (``StoreOptions``), in seconds.
TIMEOUT_RANGE_S = (0.1, 3600.0)
CONTEXT_HELP = (
    "a store named in ~/.config/sokka/config.toml (or $SOKKA_CONFIG); keeps passwords out of the command line"
)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one clean line and exit code 2.

    A word that starts with ``-`` and a digit is a value, not an option (no
    option here starts so): ``sokka snooze ID -5m`` reaches the duration's own
    check ("cannot be negative") instead of "DURATION is missing"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse's own pattern takes only plain numbers (-5, -.5) as values.
        self._negative_number_matcher = re.compile(r"^-\.?[0-9]")

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {clean(redact(message))} (see --help)\n")


def seconds(low: float, high: float) -> Callable[[str], float]:
    """An argument type: a number of seconds from ``low`` to ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text[:20]!r}") from None
        if not low <= value <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g} seconds")
        return value

    return parse


def duration(maximum_ms: int, *, bare_ms: bool = False, zero: bool = False) -> Callable[[str], int]:
    """An argument type: a duration (``30s``, ``5m``, ``1h30m``) in ms, at most
    ``maximum_ms``; with ``bare_ms`` a plain number is taken as milliseconds;
    with ``zero``, ``0`` (or ``0s``...) is allowed and means off."""

    def parse(text: str) -> int:
        try:
            if zero and re.fullmatch(r"0+(ms|s|m|h|d)?", text.strip().lower()):
                return 0
            if bare_ms and text.isdigit():
                return int(text)
            return parse_duration(text, maximum_ms=maximum_ms)
        except DurationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def positive(name: str, maximum: int) -> Callable[[str], int]:
    """An argument type: a whole number from 1 to ``maximum``."""

    def parse(text: str) -> int:
        if not text.isdigit() or not 1 <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number from 1 to {maximum}")
        return int(text)

    return parse


def zone(text: str) -> Zone:
    """An argument type: ``--tz`` (``UTC``, ``local`` or an IANA ``Area/City``)."""
    try:
        return parse_zone(text)
    except ZoneError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_zone_option(parser: argparse._ActionsContainer, *, defaults: bool = True) -> None:
    """``--tz``: the zone absolute times are shown in (without ``defaults``, as
    ``add_store_options``: ``SUPPRESS``, for a subcommand's copy)."""
    parser.add_argument(
        "--tz", type=zone, default=None if defaults else argparse.SUPPRESS, metavar="ZONE",
        help=f"show times in this zone, each with its offset: UTC, local (this machine's zone), or an "
        f"Area/City name such as {EXAMPLE} (default: the context's tz, else UTC)",
    )


def add_store_options(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """The options that say which store to open and how: ``--context``,
    ``--namespace``, ``--read-only``, ``--allow-write``, ``--timeout``.

    Without ``defaults`` they default to ``SUPPRESS``: ``sokka`` adds them to
    every subcommand too, so they may come before or after the command's name,
    and a subcommand's copy only overrides what was given after it."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    group = parser.add_argument_group("store")
    group.add_argument("--context", default=default(None), metavar="NAME", help=CONTEXT_HELP)
    group.add_argument("--namespace", default=default(None),
                       help="schema / key prefix (default: the context's, else sokka)")
    group.add_argument("--read-only", action="store_true", default=default(False),
                       help="open read-only: nothing can be written")
    group.add_argument("--allow-write", action="store_true", default=default(False),
                       help="write through a context marked read_only")
    group.add_argument("--timeout", type=seconds(*TIMEOUT_RANGE_S), default=default(DEFAULT_TIMEOUT_S),
                       metavar="SECONDS", help=f"connect/statement/socket timeout (default {DEFAULT_TIMEOUT_S:g})")
