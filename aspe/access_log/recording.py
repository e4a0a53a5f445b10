"""Recording reads, and the retention purge: what the API, the portal and the CLI call.

A read is recorded in the request that serves it, before its answer leaves. If the log
cannot be written (its database is down), the read is still served: the failure is logged
with the entry it lost and counted (``failures()``), so that monitoring sees it. Refusing
every case page while the log's database is away would stop the social workers' work for
a record that the event store's own history partly covers (who changed what).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, time
from uuid import UUID

from aspe.access_log import store
from aspe.authorization import Viewer
from aspe.domain.reads import ReadKind
from aspe.domain.rules import add_months
from aspe.settings import Settings

log = logging.getLogger("aspe.access_log")

_failures = 0
_lock = threading.Lock()


def record_read(
    settings: Settings,
    viewer: Viewer,
    case_id: UUID | str,
    what: ReadKind,
    at: datetime,
    reason: str | None = None,
) -> bool:
    """Record that ``viewer`` read ``case_id`` (``reason``: why, for an archived case);
    whether the entry was written."""
    try:
        view = store.open_store(settings)
        reader = (viewer.id, viewer.role, viewer.organisation_id)
        store.append(view, reader, UUID(str(case_id)), what, at, reason)
    except Exception:
        _count_failure()
        log.exception(
            "access log: read not recorded (account %s, role %s, case %s, %s, %s)",
            viewer.id, viewer.role.name, case_id, what.name, at.isoformat(),
        )  # fmt: skip
        return False
    return True


def _count_failure() -> None:
    global _failures
    with _lock:
        _failures += 1


def failures() -> int:
    """Reads served but not recorded since this process started."""
    return _failures


def retention_cutoff(settings: Settings, now: datetime) -> datetime:
    """Entries older than this are past ``ASPE_ACCESS_LOG_RETENTION_MONTHS``."""
    today = now.astimezone(UTC).date()
    first_kept = add_months(today, -settings.access_log_retention_months)
    return datetime.combine(first_kept, time(), tzinfo=UTC)


def purge_expired(settings: Settings, now: datetime) -> int:
    """Delete the entries past retention; how many."""
    return store.purge(store.open_store(settings), retention_cutoff(settings, now))
