"""The options every backend takes when it is opened (PROTOCOL.md, "Opening a store")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stores.validation as v
from stores.audit import Operator
from stores.constants import DEFAULT_LEASE_TIME_MS, DEFAULT_NAMESPACE, DEFAULT_SNOOZE_TIME_MS, DEFAULT_TIMEOUT_S
from stores.errors import InvalidArgument


@dataclass(frozen=True)
class StoreOptions:
    """The options every backend takes (PROTOCOL.md, "Opening a store").

    ``timeout`` is in seconds: the connect, statement and socket timeout.
    """

    lease_time_ms: int = DEFAULT_LEASE_TIME_MS
    snooze_time_ms: int = DEFAULT_SNOOZE_TIME_MS
    namespace: str = DEFAULT_NAMESPACE
    read_only: bool = False
    timeout: float = DEFAULT_TIMEOUT_S
    #: Who this store writes for; when set, every write is recorded in the audit trail.
    operator: Operator | None = None

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> StoreOptions:
        """Check ``open_store``'s keyword options; raise ``InvalidArgument`` on a bad one."""
        unknown = sorted(set(options) - set(cls.__dataclass_fields__))
        if unknown:
            raise InvalidArgument(f"Unknown store option(s): {', '.join(unknown)}.")
        merged = {**{f: getattr(cls, f) for f in cls.__dataclass_fields__}, **options}
        v.check_duration_ms("lease_time_ms", merged["lease_time_ms"])
        v.check_duration_ms("snooze_time_ms", merged["snooze_time_ms"])
        v.check_namespace(merged["namespace"])
        if not isinstance(merged["read_only"], bool):
            raise InvalidArgument("read_only must be True or False.")
        timeout = merged["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
            raise InvalidArgument("timeout must be a number of seconds, above 0 and at most 3600.")
        if merged["operator"] is not None and not isinstance(merged["operator"], Operator):
            raise InvalidArgument("operator must be a stores.audit.Operator or None.")
        return cls(**merged)
