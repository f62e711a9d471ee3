"""``sokka``: the arguments, the dispatch, and the exit codes.

Exit codes: 0 ok; 1 refused (the task changed, its status does not allow it,
it is not there, the prompt was declined); 2 usage or connection error
(bad arguments, unknown context, a read-only store asked to write, no terminal
to confirm on, the store unreachable); 130 interrupted. Every error is one line
on stderr and never a traceback; a password in a URL is never echoed.
``SOKKA_DEBUG=1`` lets an unexpected exception through with its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys

import stores
from sokka_tui import arguments, pauses, rates
from sokka_tui.actions import Action
from sokka_tui.ops import connect, doctor, expired, purge, reads, watch, writes
from sokka_tui.ops.confirm import check_can_confirm
from sokka_tui.ops.errors import (
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    EXIT_USAGE,
    REFUSALS,
    Interrupted,
    Refused,
    Usage,
)
from sokka_tui.ops.output import JSON, JSONL, TABLE, Output
from sokka_tui.proctitle import hide_secrets_from_process_title
from sokka_tui.render import clean
from stores.errors import redact
from stores.payload import Condition, parse_condition
from stores.validation import DEFAULT_SCAN_LIMIT

PROG = "sokka"
ENV_DEBUG = "SOKKA_DEBUG"
#: The most days a duration on the command line may span (purge: ten years).
_LONG_MS = 10 * 365 * 86_400_000
_URL_HELP = (
    "store URL: sqlite:///path.db, postgresql://..., redis://... (default: the context, else "
    "$SOKKA_STORE_URL, else sokka-tui's SQLite file). A password in it is visible to other users "
    "in the process list: prefer --context or $SOKKA_STORE_URL"
)


def _moment(text: str) -> str:
    try:
        reads.parse_when(text, 0)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _condition(text: str) -> Condition:
    try:
        return parse_condition(text)
    except stores.InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every subcommand takes, before or after its name: the store
    (``--url`` and the options ``sokka-tui`` shares) and the output format.

    A subcommand's copy has no defaults (SUPPRESS), so it only overrides what
    was given after the subcommand's name."""

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument("--url", default=default(None), metavar="URL", help=_URL_HELP)
    arguments.add_store_options(parser, defaults=top)
    output = parser.add_argument_group("output")
    arguments.add_zone_option(output, defaults=top)
    out = output.add_mutually_exclusive_group()
    out.add_argument("--json", dest="format", action="store_const", const=JSON, default=default(TABLE),
                     help="one JSON document (a list for list commands)")
    out.add_argument("--jsonl", dest="format", action="store_const", const=JSONL, default=default(TABLE),
                     help="one JSON object per line")


def _write_options(parser: argparse.ArgumentParser, *, versioned: bool = True) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    if versioned:
        parser.add_argument("--if-version", type=arguments.positive("--if-version", 2**53 - 1), metavar="N",
                            help="write only if the task is at version N (record_ver)")


def build_parser() -> argparse.ArgumentParser:
    parser = arguments.Parser(
        prog=PROG,
        description="Read and act on sokka task stores from scripts: what the console does, one command at a time.",
        epilog="Exit codes: 0 ok, 1 refused (changed, wrong status, not found, not confirmed), "
        "2 usage or connection error. Times in tables are UTC unless --tz (or the context's tz) names "
        "another zone; JSON times are epoch ms and UTC ISO 8601 whatever the zone.",
    )
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=arguments.Parser)

    def command(name: str, help_text: str, run, *, write: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p, top=False)
        p.set_defaults(run=run, write=write)
        return p

    command("topics", "every topic with its counts per status", reads.topics)
    p = command("rates", "tasks created, finished, failed and snoozed over time: per topic, the last hour by "
                "minute (or the last day by 10 minutes); with a TOPIC, its every bucket", reads.rates)
    p.add_argument("topic", nargs="?")
    p.add_argument("--resolution", choices=rates.RESOLUTIONS, default="minute",
                   help="minute: 60 one-minute buckets (the last hour, default); 10min: 144 ten-minute buckets "
                   "(the last day); the current bucket, still filling, is the last")
    p = command("tasks", "a topic's tasks, newest update first, streamed page by page", reads.tasks)
    p.add_argument("topic")
    p.add_argument("--status", choices=[str(s) for s in stores.TASK_STATUSES])
    p.add_argument("--sub-topic")
    p.add_argument("--since", type=_moment, metavar="TIME",
                   help="updated at or after: a duration ago (2h) or a time (2026-11-29 08:00, read in the --tz zone; "
                   "ISO 8601 with an offset)")
    p.add_argument("--until", type=_moment, metavar="TIME", help="updated at or before (same forms)")
    p.add_argument("--where", type=_condition, action="append", metavar="EXPR",
                   help="a payload condition, data.PATH=VALUE (equal) or data.PATH~VALUE (contains), "
                   "e.g. data.customer_id=42; repeat to AND them. Reads the topic's whole range, "
                   f"{DEFAULT_SCAN_LIMIT:,} tasks a call")
    p.add_argument("--limit", type=arguments.positive("--limit", 10**9), metavar="N",
                   help="at most N tasks (default: all)")
    p = command("task", "one task, every field", reads.task)
    p.add_argument("task_id", metavar="ID")
    p = command("group", "every task of a group, oldest first", reads.group)
    p.add_argument("group_id", metavar="ID")
    p = command("leased", "running and snoozed tasks, soonest expiry first", reads.leased)
    p.add_argument("topic", nargs="?")
    p.add_argument("--limit", type=arguments.positive("--limit", 10**9), metavar="N",
                   help="at most N tasks (default: all)")

    p = command("audit", "the audit trail, newest first: every write made through sokka-tui or sokka",
                reads.audit)
    p.add_argument("--task", metavar="ID", help="only this task's records")
    p.add_argument("--limit", type=arguments.positive("--limit", 10**9), metavar="N",
                   help="at most N records (default: all)")

    p = command("create", "create a task (status starting)", writes.create, write=True)
    p.add_argument("topic")
    p.add_argument("--data", required=True, metavar="JSON",
                   help="the task's data: JSON text, @FILE, or - for stdin")
    p.add_argument("--group", help="task group id (default: the task's id)")
    p.add_argument("--sub-topic")
    p.add_argument("--description")
    p.add_argument("--id", help="the task id (default: generated)")
    _write_options(p, versioned=False)
    p = command("snooze", "put a running task to sleep", lambda s, a, o: writes.act(s, a, o, Action.SNOOZE),
                write=True)
    p.add_argument("task_id", metavar="ID")
    p.add_argument("duration", type=arguments.duration(30 * 86_400_000), metavar="DURATION", help="30s, 5m, 2h, 1h30m")
    _write_options(p)
    p = command("fail", "mark a task failed", lambda s, a, o: writes.act(s, a, o, Action.FAIL), write=True)
    p.add_argument("task_id", metavar="ID")
    p.add_argument("--error", help="the error text (default: empty)")
    _write_options(p)
    p = command("terminate", "mark a task terminated (done)",
                lambda s, a, o: writes.act(s, a, o, Action.TERMINATE), write=True)
    p.add_argument("task_id", metavar="ID")
    _write_options(p)
    p = command("revoke", "revoke a running or snoozed task's lease (back to starting)",
                lambda s, a, o: writes.act(s, a, o, Action.REVOKE), write=True)
    p.add_argument("task_id", metavar="ID")
    _write_options(p)

    p = command("rerun", "run a failed or terminated task again, as a new task (the original stays as it is)",
                writes.rerun, write=True)
    p.add_argument("task_id", metavar="ID")
    _write_options(p)

    p = command("pause", "pause a topic: no worker reserves its tasks until it is resumed (or --for ends); "
                "running tasks keep their leases", writes.pause, write=True)
    p.add_argument("topic")
    p.add_argument("--for", dest="duration", type=arguments.duration(pauses.MAX_PAUSE_MS), metavar="DURATION",
                   help="end the pause by itself after this long, by the store's clock: 10m, 2h "
                   "(default: until 'sokka resume')")
    p.add_argument("--reason", metavar="TEXT", help="why, for the other operators and the audit trail")
    _write_options(p, versioned=False)
    p = command("resume", "resume a paused topic: its tasks may be reserved again at once",
                writes.resume, write=True)
    p.add_argument("topic")
    _write_options(p, versioned=False)

    p = command("revoke-expired", "revoke every running task of a topic whose lease ended",
                expired.revoke_expired, write=True)
    p.add_argument("topic")
    p.add_argument("--dry-run", action="store_true", help="list them; write nothing")
    _write_options(p, versioned=False)
    p = command("purge", "delete finished tasks older than a duration, in batches", purge.purge, write=True)
    p.add_argument("--older-than", required=True, type=arguments.duration(_LONG_MS), metavar="DURATION",
                   help="by last update, store clock: 30d, 12h, ...")
    p.add_argument("--status", default="terminated,failed", metavar="LIST",
                   help="finished statuses to delete (default: terminated,failed)")
    p.add_argument("--topic", help="only this topic")
    p.add_argument("--batch-size", type=arguments.positive("--batch-size", 10_000), default=1_000, metavar="N",
                   help="tasks deleted per transaction (default 1000)")
    p.add_argument("--dry-run", action="store_true", help="count them; delete nothing")
    _write_options(p, versioned=False)

    command("doctor", "check that the store keeps what it acknowledges (server durability settings), "
            "and show its identity and clock; exit 1 when a setting puts writes at risk", doctor.doctor)

    p = command("watch", "the leased tasks, a block of lines every few seconds (ctrl+c stops)",
                lambda s, a, o: watch.watch(s, a))
    p.add_argument("topic", nargs="?")
    p.add_argument("--interval", type=arguments.seconds(0.5, 3600), default=2.0, metavar="SECONDS",
                   help="seconds between blocks (default 2)")
    p.add_argument("--once", action="store_true", help="print one block and exit")
    p.add_argument("--limit", type=arguments.positive("--limit", 1_000), default=50, metavar="N",
                   help="leases shown per block (default 50)")
    return parser


def _error(kind: str, message: object) -> None:
    print(f"{PROG}: {kind}: {clean(redact(str(message)))}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Resolve the store, check what can be checked without it, open it, run the command."""
    target = connect.target_of(args)
    args.target_label = target.label  # safe to show: no password
    args.zone = target.zone  # --tz, else the context's tz, else UTC
    dry = getattr(args, "dry_run", False)
    writing = args.write and not dry
    if writing:
        connect.check_writable(target, args)
        check_can_confirm(args.yes)
    # What can be refused without the store is refused before connecting.
    if args.command == "purge":
        purge.statuses_of(args.status)
    if args.command == "create":
        args.data = writes.read_data(args.data)
    run_command = args.run
    if dry:
        run_command = {"purge": purge.dry_run, "revoke-expired": expired.dry_run}[args.command]
    out = Output(args.format, zone=args.zone)
    with connect.open_store(target, write=writing, timeout=args.timeout) as store:
        for warning in store.warnings:  # e.g. a password the server ignored
            _error("warning", warning)
        return run_command(store, args, out)


def main(argv: list[str] | None = None) -> int:
    """The ``sokka`` entry point; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character gets an escape, not a crash.
        if isinstance(stream, io.TextIOWrapper):  # not a test's capture or a replaced stream
            with contextlib.suppress(ValueError):
                stream.reconfigure(errors="backslashreplace")
    if argv is None:  # the real command line: scrub passwords from the process title first
        hide_secrets_from_process_title(sys.argv[1:], "sokka")
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except Usage as exc:
        _error("error", exc)
        return EXIT_USAGE
    except Refused as exc:
        _error("refused", exc)
        return EXIT_REFUSED
    except REFUSALS as exc:
        _error("refused", exc)
        return EXIT_REFUSED
    except stores.TaskStoreError as exc:  # unavailable, read-only, invalid argument or task
        _error("error", exc)
        return EXIT_USAGE
    except Interrupted as exc:
        _error("interrupted", exc)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``sokka tasks t | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        _error("internal error", f"{type(exc).__name__}: {exc} (SOKKA_DEBUG=1 shows the traceback)")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
