"""``sokka create | snooze | fail | terminate | revoke``: one task, exactly as the console does it.

An action reads the task, shows it, asks, then writes with the ``record_ver``
(and owner, but for revoke) it showed (``actions.perform``), so a task that
changed in between is refused by the store and nothing is written.
``--if-version N`` makes the write conditional on version N instead: refused
unless the task is at N.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sokka_tui import pauses
from sokka_tui.actions import VERBS, Action, Request, changes, perform, refusal
from sokka_tui.ops.confirm import confirm
from sokka_tui.ops.errors import Refused, Usage
from sokka_tui.ops.output import Output, pause_json, task_json, task_line
from sokka_tui.render import absolute, clean, format_duration, plain
from sokka_tui.timezones import UTC, Zone
from stores import Store, StoreUnavailable, Task, TaskConcurrentlyUpdated

PAST = {Action.SNOOZE: "Snoozed", Action.FAIL: "Failed", Action.TERMINATE: "Terminated",
        Action.REVOKE: "Revoked the lease of"}


def read_data(text: str) -> Any:
    """``--data``: JSON text, ``@path`` for a file's, ``-`` for stdin's. Raises ``Usage``."""
    source = "--data"
    try:
        if text == "-":
            source, text = "stdin", sys.stdin.read()
        elif text.startswith("@"):
            source, text = text[1:], Path(text[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Usage(f"cannot read the task data from {clean(source)!r}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Usage(f"the task data from {clean(source)} is not JSON: {exc}") from None


def create(store: Store, args: argparse.Namespace, out: Output) -> int:
    new: dict[str, Any] = {"topic": args.topic, "data": args.data}
    for field, value in (("task_id", args.id), ("task_group_id", args.group), ("sub_topic", args.sub_topic),
                         ("task_description", args.description)):
        if value is not None:
            new[field] = value
    size = len(json.dumps(args.data, ensure_ascii=False).encode())
    where = f"topic {clean(args.topic)!r}" + (f", sub-topic {clean(args.sub_topic)!r}" if args.sub_topic else "")
    confirm(f"Create a task in {where} ({size} bytes of data)?", args.yes)
    task = store.create_task(new)
    out.document(task_json(task), f"Created task {clean(task.task_id)} in topic {clean(task.topic)!r} (v1).")
    return 0


def act(store: Store, args: argparse.Namespace, out: Output, action: Action) -> int:
    """Read, check, confirm, write at the version shown; report the task after."""
    seen = store.task(args.task_id)
    if seen is None:
        raise Refused(f"task {clean(args.task_id)!r} not found; nothing was written")
    if args.if_version is not None and seen.record_ver != args.if_version:
        raise Refused(
            f"task {task_line(seen)} is at version {seen.record_ver}, not {args.if_version}; nothing was written"
        )
    reason = refusal(action, seen)
    if reason is not None:
        raise Refused(f"{reason} Task {task_line(seen)}; nothing was written")
    snooze_ms = getattr(args, "duration", None)
    error = getattr(args, "error", None)
    detail = ""
    if action == Action.SNOOZE and snooze_ms is not None:
        detail = f" for {format_duration(snooze_ms)}"
    elif action == Action.FAIL and error:
        detail = f" with error {plain(error, 60)!r}"
    confirm(f"{VERBS[action]} task {task_line(seen)}{detail}?", args.yes)
    try:
        after = perform(store, Request(action, seen, snooze_ms=snooze_ms, error=error))
    except TaskConcurrentlyUpdated:
        changed = what_changed(store, seen, out.zone)
        raise Refused(f"task {clean(seen.task_id)!r} changed since it was read ({changed}); "
                      "nothing was written") from None
    except StoreUnavailable as exc:
        # The request may have been applied before the answer was lost: say how to find out.
        raise Usage(
            f"the store did not answer ({plain(exc, 160)}); the {action} of task {clean(seen.task_id)!r} "
            f"(sent at v{seen.record_ver}) may or may not have been applied: check with "
            f"'sokka audit --task ID' or 'sokka task ID' before trying again"
        ) from None
    out.document(
        task_json(after),
        f"{PAST[action]} task {clean(after.task_id)!r}: {seen.status} v{seen.record_ver} → "
        f"{after.status} v{after.record_ver}.",
    )
    return 0


def what_changed(store: Store, seen: Task, zone: Zone = UTC) -> str:
    """The fields that differ now, in one line: ``record_ver 7 → 8, status running → starting``
    (a lease's end in ``zone``)."""
    def value(name: str, v: object) -> str:
        return absolute(v, zone) if name == "lease_expires_at" and isinstance(v, int) else plain(v, 40)

    diffs = changes(seen, store.task(seen.task_id))
    shown = [f"{name} {value(name, old)} → {value(name, new)}" for name, old, new in diffs if name != "updated_at"]
    return ", ".join(shown) or "it was updated"


def rerun(store: Store, args: argparse.Namespace, out: Output) -> int:
    """``sokka rerun ID``: a failed or terminated task runs again as a new task
    (the original stays as it is); read, check, confirm, re-run at the version shown."""
    seen = store.task(args.task_id)
    if seen is None:
        raise Refused(f"task {clean(args.task_id)!r} not found; nothing was written")
    if args.if_version is not None and seen.record_ver != args.if_version:
        raise Refused(
            f"task {task_line(seen)} is at version {seen.record_ver}, not {args.if_version}; nothing was written"
        )
    reason = refusal(Action.RERUN, seen)
    if reason is not None:
        raise Refused(f"{reason} Task {task_line(seen)}; nothing was written")
    confirm(f"Re-run task {task_line(seen)} as a new task (it stays {seen.status})?", args.yes)
    try:
        new = perform(store, Request(Action.RERUN, seen))
    except TaskConcurrentlyUpdated:
        changed = what_changed(store, seen, out.zone)
        raise Refused(f"task {clean(seen.task_id)!r} changed since it was read ({changed}); "
                      "nothing was written") from None
    except StoreUnavailable as exc:
        raise Usage(
            f"the store did not answer ({plain(exc, 160)}); the re-run of task {clean(seen.task_id)!r} "
            f"(sent at v{seen.record_ver}) may or may not have been applied: check with "
            f"'sokka audit --task ID' before trying again"
        ) from None
    out.document(
        task_json(new),
        f"Re-ran task {clean(seen.task_id)!r} as new task {clean(new.task_id)} in topic {clean(new.topic)!r} "
        f"({new.status} v{new.record_ver}); the original stays {seen.status} v{seen.record_ver}.",
    )
    return 0


def pause(store: Store, args: argparse.Namespace, out: Output) -> int:
    """``sokka pause TOPIC [--for D] [--reason TEXT]``: nothing of the topic is
    reserved until the pause ends (``--for``, by the store's clock) or ``sokka resume``."""
    how_long = f"for {format_duration(args.duration)}" if args.duration else "until resumed"
    current = pauses.by_topic(store.paused_topics()).get(args.topic)
    again = f" (it is {pauses.summary(current, store.now_ms())}; this replaces it)" if current else ""
    why = f" ({plain(args.reason, 60)!r})" if args.reason else ""
    confirm(f"Pause topic {clean(args.topic)!r} {how_long}{why}: no worker reserves its tasks{clean(again)}?",
            args.yes)
    try:
        paused = store.pause_topic(args.topic, for_ms=args.duration, reason=args.reason or "")
    except StoreUnavailable as exc:
        raise Usage(
            f"the store did not answer ({plain(exc, 160)}); the pause of topic {clean(args.topic)!r} may or may "
            "not have been applied: check with 'sokka topics' before trying again"
        ) from None
    ends = "until resumed" if paused.until_ms is None else (
        f"for {format_duration(paused.until_ms - paused.paused_at)}, {pauses.until_text(paused, out.zone)}"
    )
    out.document(pause_json(paused), f"Paused topic {clean(paused.topic)!r} {ends}.")
    return 0


def resume(store: Store, args: argparse.Namespace, out: Output) -> int:
    """``sokka resume TOPIC``: its tasks may be reserved again at once."""
    current = pauses.by_topic(store.paused_topics()).get(args.topic)
    if current is None:
        raise Refused(f"topic {clean(args.topic)!r} is not paused; nothing was written")
    confirm(f"Resume topic {clean(args.topic)!r} ({clean(pauses.summary(current, store.now_ms()))})?", args.yes)
    try:
        lifted = store.resume_topic(args.topic)
    except StoreUnavailable as exc:
        raise Usage(
            f"the store did not answer ({plain(exc, 160)}); the resume of topic {clean(args.topic)!r} may or may "
            "not have been applied: check with 'sokka topics' before trying again"
        ) from None
    if lifted is None:
        raise Refused(f"topic {clean(args.topic)!r} is no longer paused (its pause ended or was lifted meanwhile)")
    out.document(pause_json(lifted) | {"resumed": True},
                 f"Resumed topic {clean(args.topic)!r}: its tasks may be reserved again.")
    return 0
