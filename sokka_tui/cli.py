"""``sokka-tui [URL]`` and ``sokka-tui demo``.

Bad input gets one line on stderr and exit code 2, never a traceback, and a
password in a URL is never echoed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import stores
from sokka_tui.contexts import ContextError, resolve
from sokka_tui.durations import DurationError, parse_duration
from stores.audit import Operator
from stores.errors import redact

ENV_URL = "SOKKA_STORE_URL"
DEMO_LEASE_MS = 6_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def default_url() -> str:
    """``$SOKKA_STORE_URL``, else an embedded SQLite file in the user's data directory."""
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    from platformdirs import user_data_dir

    directory = Path(user_data_dir("sokka-tui", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sokka-tui-default:sqlite://{directory / 'tasks.db'}"


def _refresh(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text[:20]!r}") from None
    if not value >= 0.5 or value > 3600:
        raise argparse.ArgumentTypeError("the refresh interval must be between 0.5 and 3600 seconds")
    return value


def _lease(text: str) -> int:
    try:
        return int(text) if text.isdigit() else parse_duration(text, maximum_ms=10**12)
    except (DurationError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sokka-tui",
        description="Operations console for sokka task stores. "
        "'sokka-tui demo' runs it on an embedded store with live traffic.",
    )
    parser.add_argument(
        "url", nargs="?", metavar="URL|demo",
        help=f"store URL: sqlite:///path.db, postgresql://..., redis://... (default: ${ENV_URL}, "
        "else an SQLite file in your data directory); or 'demo'",
    )
    parser.add_argument("--read-only", action="store_true", help="open read-only: no action can be started")
    parser.add_argument("--context", metavar="NAME",
                        help="a store named in ~/.config/sokka/config.toml (or $SOKKA_CONFIG); keeps passwords "
                        "out of the command line")
    parser.add_argument("--allow-write", action="store_true", help="allow actions through a context marked read_only")
    parser.add_argument("--namespace", default=None, help="schema / key prefix (default: the context's, else sokka)")
    parser.add_argument("--refresh", type=_refresh, default=1.0, metavar="SECONDS",
                        help="refresh interval (default 1, minimum 0.5)")
    parser.add_argument("--lease-time", type=_lease, default=None, metavar="DURATION",
                        help="lease granted by reservations made through this store handle, e.g. 2m")
    parser.add_argument("--stuck-after", type=_lease, default=5 * 60_000, metavar="DURATION",
                        help="a task 'starting' for longer than this counts as stuck (default 5m)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="connect/statement/socket timeout (default 5)")
    return parser


def _fail(message: str) -> int:
    print(f"sokka-tui: error: {message}", file=sys.stderr)
    return 2


def hide_secrets_from_process_title(argv: list[str], prog: str = "sokka-tui") -> None:
    """Rewrite this process's command line (``ps``, ``/proc/<pid>/cmdline``) as
    ``prog`` and ``argv`` with every password replaced by ``***``; no change when
    there is none. Shared by ``sokka-tui`` and ``sokka``."""
    shown = [redact(arg) for arg in argv]
    if shown == argv:
        return
    try:
        from setproctitle import setproctitle
    except ImportError:  # pragma: no cover - a declared dependency
        return
    setproctitle(" ".join([prog, *shown]))


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the real command line: scrub it before anything else runs
        hide_secrets_from_process_title(sys.argv[1:])
    args = build_parser().parse_args(argv)
    if args.url == "demo":
        args.namespace = args.namespace or stores.DEFAULT_NAMESPACE
        return run_demo(args)
    try:
        target = resolve(args.url, args.context, namespace=args.namespace, read_only=args.read_only,
                         allow_write=args.allow_write)
    except ContextError as exc:
        return _fail(redact(str(exc)))
    url, label = target.url, target.label
    options = {"namespace": target.namespace or stores.DEFAULT_NAMESPACE, "read_only": target.read_only,
               "timeout": args.timeout}
    if not target.read_only:  # every action is recorded in the store's audit trail
        options["operator"] = Operator.current("sokka-tui")
    if args.lease_time is not None:
        options["lease_time_ms"] = args.lease_time
    try:
        store = stores.open_store(url, **options)
    except stores.TaskStoreError as exc:
        return _fail(redact(str(exc)))
    with store:
        from sokka_tui.app import build_app

        build_app(
            store, store_label=redact(label), refresh_interval=args.refresh, stuck_after_ms=args.stuck_after
        ).run()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """An embedded store, seeded, with simulated workers; they stop when the console exits."""
    from sokka_tui.app import build_app
    from sokka_tui.demo import DemoFleet, seed

    with tempfile.TemporaryDirectory(prefix="sokka-demo-") as directory:
        url = f"sqlite://{directory}/demo.db"
        lease = args.lease_time or DEMO_LEASE_MS
        with stores.open_store(
            url, lease_time_ms=lease, namespace=args.namespace, operator=Operator.current("sokka-tui")
        ) as store:
            seed(url, namespace=args.namespace, lease_time_ms=lease)
            with DemoFleet(url, namespace=args.namespace, lease_time_ms=lease):
                build_app(
                    store, store_label="demo (embedded SQLite, simulated workers)",
                    refresh_interval=args.refresh, read_only=args.read_only or None,
                    stuck_after_ms=args.stuck_after,
                ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
