"""``sokka-tui [URL]`` and ``sokka-tui demo``.

Bad input gets one line on stderr and exit code 2, never a traceback, and a
password in a URL is never echoed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable

import stores
from sokka_tui import arguments
from sokka_tui.contexts import ENV_URL, ContextError, resolve
from sokka_tui.leases import DEFAULT_GRACE_MS, MAX_GRACE_MS
from sokka_tui.proctitle import hide_secrets_from_process_title
from sokka_tui.render import clean
from sokka_tui.stop_signals import clean_up_uninterrupted
from sokka_tui.timezones import UTC
from stores.audit import Operator
from stores.errors import redact

PROG = "sokka-tui"
DEMO_LEASE_MS = 6_000
#: The longest lease ``--lease-time`` may ask for (about 31 years: effectively no limit).
_MAX_LEASE_MS = 10**12


def build_parser() -> argparse.ArgumentParser:
    parser = arguments.Parser(
        prog=PROG,
        description="Operations console for sokka task stores. "
        "'sokka-tui demo' runs it on an embedded store with live traffic.",
    )
    parser.add_argument(
        "url", nargs="?", metavar="URL|demo",
        help=f"store URL: sqlite:///path.db, postgresql://..., redis://... (default: the context, else ${ENV_URL}, "
        "else an SQLite file in your data directory); or 'demo'",
    )
    arguments.add_store_options(parser)
    console = parser.add_argument_group("console")
    console.add_argument("--refresh", type=arguments.seconds(0.5, 3600), default=1.0, metavar="SECONDS",
                         help="refresh interval (default 1, minimum 0.5)")
    arguments.add_zone_option(console)
    console.add_argument("--lease-time", type=arguments.duration(_MAX_LEASE_MS, bare_ms=True), default=None,
                         metavar="DURATION",
                         help="lease granted by reservations made through this store handle, e.g. 2m")
    parser.add_argument_group("demo").add_argument(
        "--store", metavar="PATH",
        help="sokka-tui demo only: keep the demo's store in this SQLite file (kept on exit; "
        "run again to go on with it) instead of a temporary one")
    console.add_argument("--stuck-after", type=arguments.duration(_MAX_LEASE_MS, bare_ms=True), default=5 * 60_000,
                         metavar="DURATION", help="a task 'starting' for longer than this counts as stuck (default 5m)")
    console.add_argument("--expiring-grace", type=arguments.duration(MAX_GRACE_MS, zero=True), default=DEFAULT_GRACE_MS,
                         metavar="DURATION", help="a lease that ended less than this ago shows as 'expiring', not "
                         "STUCK, and is not revoked by X (default 2s; 0 turns it off)")
    return parser


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return arguments.EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the real command line: scrub it before anything else runs
        hide_secrets_from_process_title(sys.argv[1:], PROG)
    args = build_parser().parse_args(argv)
    if args.url == "demo":
        args.namespace = args.namespace or stores.DEFAULT_NAMESPACE
        return run_demo(args)
    if args.store is not None:
        return _fail("--store is for 'sokka-tui demo' only")
    try:
        target = resolve(args.url, args.context, namespace=args.namespace, read_only=args.read_only,
                         allow_write=args.allow_write, zone=args.tz)
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
    with clean_up_uninterrupted() as ignore_signals, store:
        from sokka_tui.app import build_app

        build_app(
            store, store_label=redact(label), refresh_interval=args.refresh, stuck_after_ms=args.stuck_after,
            expiring_grace_ms=args.expiring_grace, zone=target.zone,
        ).run()
        ignore_signals()  # the console has exited: let the store close in peace
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """An embedded store, seeded, with simulated workers; they stop when the console
    exits (``q``, or a signal: see stop_signals.py). The store is a temporary file,
    removed on exit (its WAL too), unless ``--store PATH`` keeps it."""
    from sokka_tui.demo import NotADemoStore, demo_store

    if args.store is None:
        with clean_up_uninterrupted() as ignore_signals, tempfile.TemporaryDirectory(prefix="sokka-demo-") as directory:
            return _demo_on(f"sqlite://{directory}/demo.db", args, ignore_signals, fresh=True)
    try:
        url, fresh = demo_store(args.store, args.namespace)
    except NotADemoStore as exc:
        return _fail(clean(str(exc)))
    with clean_up_uninterrupted() as ignore_signals:
        code = _demo_on(url, args, ignore_signals, fresh=fresh)
    print(f"The demo's store stays in {args.store}; to read it: sokka --url {url} topics", file=sys.stderr)
    return code


def _demo_on(url: str, args: argparse.Namespace, ignore_signals: Callable[[], None], *, fresh: bool) -> int:
    from sokka_tui.app import build_app
    from sokka_tui.demo import DemoFleet, seed

    lease = args.lease_time or DEMO_LEASE_MS
    with stores.open_store(
        url, lease_time_ms=lease, namespace=args.namespace, operator=Operator.current("sokka-tui")
    ) as store:
        if fresh:
            seed(url, namespace=args.namespace, lease_time_ms=lease)
        with DemoFleet(url, namespace=args.namespace, lease_time_ms=lease):
            build_app(
                # The URL, so that `sokka --url URL ...` can be pointed at the demo's store.
                store, store_label=f"demo {url}",
                refresh_interval=args.refresh, read_only=args.read_only or None,
                stuck_after_ms=args.stuck_after, expiring_grace_ms=args.expiring_grace, zone=args.tz or UTC,
            ).run()
            ignore_signals()  # the console has exited: the workers stop and the store goes
    return 0


if __name__ == "__main__":
    sys.exit(main())
