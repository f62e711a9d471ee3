"""The task-store protocol of sokka on SQLite, PostgreSQL and Redis.

The contract is ``stores.protocol`` (README.md, "The store library"). This
package never imports Textual or anything from ``sokka_tui``.
"""

from stores.constants import (
    ALLOWED_TRANSITIONS,
    DEFAULT_LEASE_TIME_MS,
    DEFAULT_NAMESPACE,
    DEFAULT_SNOOZE_TIME_MS,
    FINAL_STATUSES,
    LEASED_STATUSES,
    RATE_RESOLUTIONS,
    TASK_STATUSES,
    can_transition,
)
from stores.errors import (
    AlreadyDone,
    InvalidArgument,
    InvalidStatus,
    InvalidStatusTransition,
    InvalidTask,
    LeaseExpired,
    ReadOnlyStore,
    StoreUnavailable,
    TaskAlreadyExists,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStoreError,
    WrongOwner,
)
from stores.model import (
    BatchOutcome,
    BatchResult,
    DurabilityCheck,
    FailureGroup,
    FailureGroups,
    Page,
    RateBucket,
    StoreIdentity,
    Task,
    TaskStatus,
    TopicPause,
    TopicRates,
    TopicStats,
)
from stores.options import StoreOptions
from stores.paging import scroll
from stores.protocol import LeaseSupervision, Store, TaskStore
from stores.registry import open_store

__all__ = [
    "ALLOWED_TRANSITIONS",
    "DEFAULT_LEASE_TIME_MS",
    "DEFAULT_NAMESPACE",
    "DEFAULT_SNOOZE_TIME_MS",
    "FINAL_STATUSES",
    "LEASED_STATUSES",
    "RATE_RESOLUTIONS",
    "TASK_STATUSES",
    "AlreadyDone",
    "BatchOutcome",
    "BatchResult",
    "DurabilityCheck",
    "FailureGroup",
    "FailureGroups",
    "InvalidArgument",
    "InvalidStatus",
    "InvalidStatusTransition",
    "InvalidTask",
    "LeaseExpired",
    "LeaseSupervision",
    "Page",
    "RateBucket",
    "ReadOnlyStore",
    "Store",
    "StoreIdentity",
    "StoreOptions",
    "StoreUnavailable",
    "Task",
    "TaskAlreadyExists",
    "TaskConcurrentlyUpdated",
    "TaskNotFound",
    "TaskStatus",
    "TaskStore",
    "TaskStoreError",
    "TopicPause",
    "TopicRates",
    "TopicStats",
    "WrongOwner",
    "can_transition",
    "open_store",
    "scroll",
]
