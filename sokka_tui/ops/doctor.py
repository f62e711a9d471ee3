"""``sokka doctor``: is this store set up so that what it acknowledges survives
a crash, and is it the store it was?

Reads only (the store is opened read-only, as for every read): the server
settings that decide durability (``Store.durability``), the namespace's
identity (``Store.identity``), the clock offset, and what the store warned of
when it was opened. Exit code 0 when every setting is safe, 1 when one puts
acknowledged writes at risk, 2 when the store cannot be reached.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import time
from typing import Any

from sokka_tui.ops.errors import EXIT_OK, EXIT_REFUSED
from sokka_tui.ops.output import Column, Output, Table, iso
from sokka_tui.render import clean, counted, format_duration, relative
from sokka_tui.timezones import UTC, Zone
from stores import DurabilityCheck, Store, StoreIdentity

CHECK_COLUMNS = [Column("SETTING", 22), Column("VALUE", 14), Column("OK", 4), Column("AT RISK", 80)]


def doctor(store: Store, args: argparse.Namespace, out: Output) -> int:
    """Print the store's durability settings, identity and clock; exit 1 when a setting is unsafe."""
    checks = store.durability()
    identity = store.identity()
    local_ms = time.time_ns() // 1_000_000
    store_now = store.now_ms()
    report = Report(args.target_label, store.namespace, identity, store_now, store_now - local_ms,
                    store.warnings, checks, args.zone)
    if out.for_people:
        out.stream.write(report.text())
    else:
        out.document(report.to_json(), "")
    return EXIT_OK if report.healthy else EXIT_REFUSED


@dataclasses.dataclass(frozen=True)
class Report:
    """What ``doctor`` found, to print or to write as JSON."""

    label: str
    namespace: str
    identity: StoreIdentity | None
    store_now: int
    skew_ms: int
    warnings: tuple[str, ...]
    checks: list[DurabilityCheck]
    #: Where the text's absolute time is shown (JSON: epoch ms).
    zone: Zone = UTC

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        identity = self.identity
        return {
            "store": self.label,
            "namespace": self.namespace,
            "identity": None if identity is None else {
                "store_id": identity.store_id, "created_at": identity.created_at,
                "created_at_iso": iso(identity.created_at),
            },
            "clock_skew_ms": self.skew_ms,
            "warnings": list(self.warnings),
            "checks": [dataclasses.asdict(check) for check in self.checks],
            "ok": self.healthy,
        }

    def text(self) -> str:
        lines = [f"store      {clean(self.label)}  (namespace {clean(self.namespace)})"]
        if self.identity is None:
            lines.append("identity   none: this namespace has no identity marker yet (a writable open adds "
                         "one), or it was wiped")
        else:
            created = self.identity.created_at
            made = self.zone.format(created, millis=False)
            lines.append(f"identity   {clean(self.identity.store_id)}, created {made} "
                         f"({relative(created, self.store_now)})")
        sign = "+" if self.skew_ms >= 0 else "-"
        lines.append(f"clock      the store's clock is {sign}{format_duration(abs(self.skew_ms))} "
                     "from this machine's")
        lines += [f"warning    {clean(warning)}" for warning in self.warnings]
        lines.append("")
        table = io.StringIO()
        rows = Table(CHECK_COLUMNS, table)
        for check in self.checks:
            rows.row([check.setting, check.value, "ok" if check.ok else "RISK", check.risk])
        lines.append(table.getvalue().rstrip("\n"))
        lines.append("")
        unsafe = sum(1 for check in self.checks if not check.ok)
        total = len(self.checks)
        if unsafe:
            verb = "puts" if unsafe == 1 else "put"
            lines.append(f"{unsafe} of {counted(total, 'setting')} {verb} acknowledged writes at risk.")
        elif total == 1:
            lines.append("The one setting checked keeps acknowledged writes.")
        else:
            lines.append(f"All {total} settings keep acknowledged writes.")
        return "\n".join(lines) + "\n"
