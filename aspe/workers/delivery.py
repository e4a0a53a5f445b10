"""Delivery: each message, on each channel of its recipient, exactly once.

``dispatch`` records every message × channel in the ``deliveries`` table (status
``queued``) and, in the same transaction, puts each inbox notification in its inbox and
records it ``delivered``; then it enqueues one task per e-mail still to send, with a task id
derived from its delivery key. The task receives only that key and reads the rest from the
table.

- **Inbox**: no task (issue 17: half the tasks). The notification's id derives from its
  delivery key and the row is recorded ``delivered`` with it: a dispatch made again (a
  notifier retrying its batch) finds it delivered and writes nothing more. The task
  ``deliver_to_inbox`` stays registered for the deliveries queued by the versions before
  (a queue may still hold them); it writes the same way, once.
- **E-mail**: the task claims the delivery (``sending``, with a lease), sends, then records
  it ``delivered``. A task that finds it delivered or failed does nothing; one that finds
  it ``sending`` under a live lease (another worker is on it) retries later. Between the
  SMTP server's acceptance and the record there is a window no protocol closes: a worker
  killed exactly there leaves the delivery ``sending``, and once the lease has run out it
  is sent again. We chose that (at least once, in a window of milliseconds) over losing
  e-mails whose worker died during the SMTP dialogue (the likely case: it lasts far
  longer). Each e-mail's ``Message-ID`` comes from its delivery key, so a receiving system
  can recognise the rare second copy.
- **Failures**: SMTP and network errors are retried by Celery with exponential backoff,
  ``ASPE_DELIVERY_MAX_RETRIES`` times; the last failure, or a permanent refusal (5xx), is
  recorded ``failed``. A task lost with the broker (Redis stopped without persistence) is
  queued again by ``requeue_stale`` (on beat, every minute) once its delivery has waited
  ``ASPE_DELIVERY_REQUEUE_AFTER`` seconds (an inbox delivery a previous version queued is
  delivered there and then, without a task).

- **Connections**: each worker process keeps one SMTP connection (TLS, EHLO, login done
  once) for ``ASPE_SMTP_KEEP_ALIVE_SECONDS`` after its last e-mail (``SmtpConnections``).
  A kept connection found dead before DATA (the server cannot have accepted the e-mail)
  is opened again and the e-mail sent on it; after DATA has begun, only the task's retry
  may send it again, as with a connection per e-mail.

Without ``ASPE_SMTP_URL`` (the embedded default) e-mails are written as ``.eml`` files in
``ASPE_DATA_DIR/outbox``, named by their delivery: writing one twice writes the same file.
"""

from __future__ import annotations

import atexit
import logging
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit
from uuid import UUID, uuid5

from celery import Celery, Task, shared_task
from celery.signals import worker_process_shutdown, worker_shutdown
from eventsourcing.persistence import PersistenceError
from kombu.exceptions import OperationalError

from aspe.files import private_folder, write_private
from aspe.projections.tables import Row
from aspe.projections.view import TableView
from aspe.settings import Settings
from aspe.workers.app import EMAIL_TASK, INBOX_TASK, REQUEUE_TASK, AspeCelery, settings_of
from aspe.workers.inbox import (
    DELIVERIES,
    DeliveryRow,
    add_notifications,
    lock_clause,
    now_text,
    open_store,
    store_of,
)
from aspe.workers.messages import Channel, Message

log = logging.getLogger(__name__)

TASKS = {Channel.EMAIL: EMAIL_TASK, Channel.INBOX: INBOX_TASK}
DELIVERY_IDS = UUID("6f0c1d9e-51a4-4f6b-9d38-2f3c1a7e0b55")
"""Namespace of the ids derived from delivery keys: task ids, inbox ids, Message-IDs."""

QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"
STATUSES = (QUEUED, SENDING, DELIVERED, FAILED)
DONE = (DELIVERED, FAILED)
KEYS_PER_QUERY = 500


class BrokerUnavailable(RuntimeError):
    """The broker (Redis) did not take the tasks: nothing is lost, dispatch again later."""


class DeliveryRefused(Exception):
    """The SMTP server refused the e-mail for good (5xx): retrying will not help."""


class InFlight(Exception):
    """Another attempt holds this delivery's lease: try again once it has run out."""


def delivery_id(delivery_key: str) -> UUID:
    """The id derived from a delivery key: its task's id, its inbox notification's id."""
    return uuid5(DELIVERY_IDS, delivery_key)


# ---------------------------------------------------------------------------- dispatch
def dispatch(messages: Iterable[Message], *, app: Celery | None = None) -> None:
    """Deliver each message on each channel of its recipient, once whatever happens.

    Returns once every delivery is recorded, every inbox notification is in its inbox, and
    every e-mail still to send has its task enqueued (or is sent, in the embedded default).
    Raises ``BrokerUnavailable`` when Redis does not answer: the deliveries and the inbox
    notifications stay recorded, and dispatching the same messages again enqueues the
    e-mails (and writes nothing more in the inboxes).
    """
    celery = app or _default_app()
    pending = record_queued(open_store(settings_of(celery)), messages)
    enqueue(celery, pending)


def _default_app() -> Celery:
    from aspe.workers.app import app

    return app


def enqueue(celery: Celery, deliveries: Sequence[tuple[str, Channel]]) -> None:
    """One task per delivery, its id derived from the delivery key, on one connection."""
    eager = isinstance(celery, AspeCelery) and celery.runs_in_process
    try:
        with nullcontext() if eager else celery.producer_or_acquire() as producer:
            for key, channel in deliveries:
                celery.tasks[TASKS[channel]].apply_async(
                    (key,), task_id=str(delivery_id(key)), producer=producer
                )
    except OperationalError as error:
        raise BrokerUnavailable(f"the broker did not take the deliveries: {error}") from error


def record_queued(view: TableView, messages: Iterable[Message]) -> list[tuple[str, Channel]]:
    """Record each message × channel not yet known and, in the same transaction, deliver
    the inbox notifications not yet delivered; the e-mails not yet done (only they need a
    task)."""
    now = datetime.now(UTC)
    rows = {  # a microsecond apart: an inbox lists one dispatch's messages in their order
        message.delivery_key(channel): _queued_row(
            message, channel, now_text(now + timedelta(microseconds=rank))
        )
        for rank, message in enumerate(messages)
        for channel in message.recipient.channels
    }
    if not rows:
        return []
    insert = view.dialect.insert(DELIVERIES, view.name_of(DELIVERIES))
    emails = [key for key, row in rows.items() if row["channel"] == Channel.EMAIL.value]
    inboxes = [key for key, row in rows.items() if row["channel"] == Channel.INBOX.value]
    with view.transaction(commit=True) as cursor:
        cursor.executemany(
            insert + " ON CONFLICT (key) DO NOTHING",
            [view.dialect.encode(DELIVERIES, row) for row in rows.values()],
        )
        fill_inboxes(cursor, view, inboxes, now)
        statuses = _statuses(cursor, view, emails)
    return [(key, Channel.EMAIL) for key in emails if statuses[key] not in DONE]


def _chunks(view: TableView, keys: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``keys`` a few hundred at a time, each chunk with its ``IN (…)`` placeholders."""
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = list(keys[start : start + KEYS_PER_QUERY])
        yield chunk, ", ".join([view.dialect.placeholder] * len(chunk))


def _statuses(cursor: Any, view: TableView, keys: Sequence[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for chunk, marks in _chunks(view, keys):
        cursor.execute(
            f"SELECT key, status FROM {view.name_of(DELIVERIES)} WHERE key IN ({marks})",
            chunk,
        )
        statuses.update((found["key"], found["status"]) for found in cursor.fetchall())
    return statuses


def fill_inboxes(
    cursor: Any, view: TableView, keys: Sequence[str], now: datetime | None = None
) -> list[str]:
    """Put the inbox deliveries ``keys`` not yet done in their inboxes and record them
    ``delivered``, in the caller's transaction; the keys delivered now.

    One ``UPDATE … RETURNING`` claims them (a row another transaction is delivering waits
    for it, then is found done); each notification's id derives from its delivery key, so
    it is written once whoever writes it (``dispatch``, or the previous versions' task)."""
    mark, delivered_at = view.dialect.placeholder, now_text(now)
    notifications: list[dict[str, Any]] = []
    for chunk, marks in _chunks(view, keys):
        cursor.execute(
            f"UPDATE {view.name_of(DELIVERIES)} "
            f"SET status = '{DELIVERED}', attempts = attempts + 1, delivered_at = {mark} "
            f"WHERE channel = '{Channel.INBOX.value}' AND status NOT IN ('{DELIVERED}', "
            f"'{FAILED}') AND key IN ({marks}) "
            "RETURNING key, account_id, subject, body, case_id, queued_at",
            [delivered_at, *chunk],
        )
        notifications += [_notification(dict(row)) for row in cursor.fetchall()]
    add_notifications(cursor, view, notifications)
    return [notification["key"] for notification in notifications]


def _notification(delivery: dict[str, Any]) -> dict[str, Any]:
    """The inbox row of a delivery (``key`` besides, for the caller)."""
    return {
        "key": delivery["key"],
        "id": str(delivery_id(delivery["key"])),
        "account_id": delivery["account_id"],
        "subject": delivery["subject"],
        "body": delivery["body"],
        "case_id": delivery["case_id"],
        "created_at": delivery["queued_at"],
        "read_at": None,
    }


def _queued_row(message: Message, channel: Channel, now: str) -> DeliveryRow:
    return {
        "key": message.delivery_key(channel),
        "channel": channel.value,
        "message_key": message.key,
        "account_id": str(message.recipient.account_id),
        "recipient_name": message.recipient.name,
        "email": message.recipient.email,
        "subject": message.subject,
        "body": message.body,
        "case_id": str(message.case_id) if message.case_id else None,
        "status": QUEUED,
        "attempts": 0,
        "queued_at": now,
        "due_at": now,
        "delivered_at": None,
        "error": None,
    }


# ----------------------------------------------------------------------- the ledger
@dataclass(frozen=True)
class Ledger:
    """The ``deliveries`` table, as a delivery task changes it."""

    view: TableView

    def _select(self, cursor: Any, key: str) -> DeliveryRow | None:
        view = self.view
        cursor.execute(
            f"SELECT * FROM {view.name_of(DELIVERIES)} "
            f"WHERE key = {view.dialect.placeholder}{lock_clause(view)}",
            (key,),
        )
        found = cursor.fetchone()
        return (
            None
            if found is None
            else cast(DeliveryRow, view.dialect.decode(DELIVERIES, dict(found)))
        )

    def _update(self, cursor: Any, key: str, condition: str = "", **values: Any) -> None:
        mark = self.view.dialect.placeholder
        sets = ", ".join(f"{column} = {mark}" for column in values)
        cursor.execute(
            f"UPDATE {self.view.name_of(DELIVERIES)} SET {sets} WHERE key = {mark}{condition}",
            (*values.values(), key),
        )

    def get(self, key: str) -> DeliveryRow | None:
        return self.view.get(DELIVERIES, key)

    def claim(self, key: str, lease: float, now: datetime | None = None) -> DeliveryRow | None:
        """The delivery to send, now ``sending`` under a lease; ``None`` if there is nothing
        to do. Raises ``InFlight`` while another attempt's lease runs."""
        now = now or datetime.now(UTC)
        with self.view.transaction(commit=True) as cursor:
            row = self._select(cursor, key)
            if row is None or row["status"] in DONE:
                return None
            if row["status"] == SENDING and row["due_at"] > now_text(now):
                raise InFlight(key)
            self._update(
                cursor,
                key,
                status=SENDING,
                attempts=row["attempts"] + 1,
                due_at=now_text(now + timedelta(seconds=lease)),
            )
            return row

    def delivered(self, key: str) -> None:
        with self.view.transaction(commit=True) as cursor:
            self._update(cursor, key, status=DELIVERED, delivered_at=now_text(), error=None)

    def release(self, key: str, error: BaseException, retry_in: float) -> None:
        """Back to the queue after a failed attempt, due again when its retry is."""
        due = now_text(datetime.now(UTC) + timedelta(seconds=retry_in))
        with self.view.transaction(commit=True) as cursor:
            self._update(
                cursor,
                key,
                f" AND status = '{SENDING}'",
                status=QUEUED,
                due_at=due,
                error=_said(error),
            )

    def failed(self, key: str, error: BaseException) -> None:
        with self.view.transaction(commit=True) as cursor:
            self._update(
                cursor, key, f" AND status <> '{DELIVERED}'", status=FAILED, error=_said(error)
            )

    def deliver_to_inbox(self, *keys: str) -> list[str]:
        """The notifications in their inboxes and the deliveries recorded, in one
        transaction (the previous versions' task, and lost ones found by ``requeue_stale``);
        the keys delivered now."""
        with self.view.transaction(commit=True) as cursor:
            return fill_inboxes(cursor, self.view, keys)

    def stale(self, older_than: float, now: datetime | None = None) -> list[tuple[str, Channel]]:
        """Deliveries not done whose worker should have been on them ``older_than`` seconds
        ago: their task was lost; they are due again from now."""
        now = now or datetime.now(UTC)
        view, mark = self.view, self.view.dialect.placeholder
        limit = now_text(now - timedelta(seconds=older_than))
        with view.transaction(commit=True) as cursor:
            cursor.execute(
                f"SELECT key, channel FROM {view.name_of(DELIVERIES)} "
                f"WHERE status IN ('{QUEUED}', '{SENDING}') AND due_at < {mark}",
                (limit,),
            )
            found = [(row["key"], Channel(row["channel"])) for row in cursor.fetchall()]
            cursor.executemany(
                f"UPDATE {view.name_of(DELIVERIES)} SET due_at = {mark} "
                f"WHERE key = {mark} AND status = '{QUEUED}'",
                [(now_text(now), key) for key, _ in found],
            )
        return found


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def ledger(settings: Settings) -> Ledger:
    return Ledger(open_store(settings))


# -------------------------------------------------------------------------- e-mails
def email_of(settings: Settings, row: DeliveryRow) -> EmailMessage:
    """The e-mail of a delivery; its Message-ID derives from the delivery key."""
    if row["email"] is None:  # queued on the e-mail channel only for an address
        raise ValueError(f"La remise {row['key']} n'a pas d'adresse électronique.")
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = formataddr((row["recipient_name"], row["email"]))
    email["Subject"] = row["subject"]
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<{delivery_id(row['key'])}@aspe.notifications>"
    email.set_content(row["body"])
    return email


def send_email(settings: Settings, email: EmailMessage) -> None:
    """Over SMTP to ``ASPE_SMTP_URL``, or as an ``.eml`` file in the outbox without it."""
    if settings.smtp_url is None:
        write_eml(outbox(settings), email)
        return
    try:
        _send_smtp(settings, email)
    except smtplib.SMTPRecipientsRefused as error:
        if all(code >= 500 for code, _ in error.recipients.values()):
            raise DeliveryRefused(str(error)) from error
        raise
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise DeliveryRefused(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise


class _Tracked:
    """An SMTP client that says whether it has begun the message's ``DATA``: before that
    the server cannot have accepted it, and sending it again on a new connection is safe."""

    data_begun = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_begun = True
        return super().data(msg)  # type: ignore[misc, no-any-return]


class _SMTP(_Tracked, smtplib.SMTP):
    pass


class _SMTP_SSL(_Tracked, smtplib.SMTP_SSL):  # noqa: N801 (smtplib's name)
    pass


def _open_smtp(settings: Settings) -> _SMTP | _SMTP_SSL:
    """A new connection to ``ASPE_SMTP_URL``: TLS if asked, EHLO, login if credentials."""
    assert settings.smtp_url is not None
    url = urlsplit(settings.smtp_url)
    implicit_tls = url.scheme == "smtps"
    host, port = url.hostname or "127.0.0.1", url.port or (465 if implicit_tls else 25)
    # The system's authorities and a host-name check: smtplib's own default checks neither,
    # and an e-mail about a household would go to whoever answered in the server's place.
    # Made only for TLS: loading the system's authorities costs tens of milliseconds.
    verified = ssl.create_default_context() if implicit_tls or settings.smtp_starttls else None
    smtp: _SMTP | _SMTP_SSL
    if implicit_tls:
        smtp = _SMTP_SSL(host, port, timeout=settings.smtp_timeout, context=verified)
    else:
        smtp = _SMTP(host, port, timeout=settings.smtp_timeout)
    try:
        if settings.smtp_starttls:
            smtp.starttls(context=verified)
        smtp.ehlo_or_helo_if_needed()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
    except BaseException:
        _close_quietly(smtp, polite=False)
        raise
    return smtp


def _close_quietly(smtp: smtplib.SMTP, polite: bool = True) -> None:
    """QUIT (when ``polite``) and close, whatever the server or the network says."""
    try:
        if polite:
            smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        smtp.close()


def _connection_lost(error: BaseException) -> bool:
    """The connection was found dead (closed by the server, reset, or 421: the server
    is closing it) rather than the e-mail refused."""
    if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421


class SmtpConnections:
    """One SMTP connection per worker process, reused from one e-mail to the next.

    Opened at the first e-mail, kept ``ASPE_SMTP_KEEP_ALIVE_SECONDS`` after the last one
    (a daemon thread closes it then, with QUIT), closed when the worker stops, and
    reopened when the settings change. If a kept connection turns out dead before the
    server could have accepted the e-mail (at MAIL FROM or RCPT TO, before DATA), the
    e-mail is sent once more on a new connection; after DATA has begun it never is (the
    task's retry decides, as before). Any error drops the connection. A thread that finds
    the connection busy (a threaded pool) sends on a connection of its own, as does a
    keep-alive of 0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._smtp: _SMTP | _SMTP_SSL | None = None
        self._key: tuple[Any, ...] = ()
        self._last_used = 0.0
        self._keep_alive = 0.0
        self._reaper: threading.Thread | None = None
        self._busy = False
        """An e-mail is on its way on the kept connection (only its thread touches it)."""
        self._changed = threading.Condition(self._lock)
        self.opened = 0
        """Connections opened by this process (for the tests and the curious)."""

    def send(self, settings: Settings, email: EmailMessage) -> None:
        keep_alive = settings.smtp_keep_alive_seconds
        with self._lock:
            busy, self._busy = self._busy, True
        if keep_alive <= 0 or busy:
            if not busy:
                self._release(keep_alive)  # a kept connection stays for another setting
            self._send_once(settings, email)
            return
        try:
            self._send_kept(settings, email, keep_alive)
        finally:
            self._release(keep_alive)

    def _release(self, keep_alive: float) -> None:
        with self._changed:
            self._busy = False
            if self._smtp is not None:
                self._keep_alive = keep_alive
                self._start_reaper()
            self._changed.notify_all()  # the reaper, or a close waiting for this e-mail

    def _send_once(self, settings: Settings, email: EmailMessage) -> None:
        smtp = _open_smtp(settings)
        self.opened += 1
        try:
            smtp.send_message(email)
        except BaseException:
            _close_quietly(smtp, polite=False)
            raise
        _close_quietly(smtp)

    def _send_kept(self, settings: Settings, email: EmailMessage, keep_alive: float) -> None:
        key = (settings.smtp_url, settings.smtp_starttls, settings.smtp_timeout)
        smtp = self._smtp
        if smtp is not None and (
            key != self._key or time.monotonic() - self._last_used >= keep_alive
        ):
            self._drop(polite=True)
            smtp = None
        reused = smtp is not None
        if smtp is None:
            smtp = self._open(settings, key)
        try:
            smtp.data_begun = False
            smtp.send_message(email)
        except BaseException as error:
            begun = smtp.data_begun
            self._drop(polite=False)
            if not (reused and not begun and _connection_lost(error)):
                raise
            log.info("the kept SMTP connection was lost (%s): sending on a new one", error)
            smtp = self._open(settings, key)
            try:
                smtp.send_message(email)
            except BaseException:
                self._drop(polite=False)
                raise
        self._last_used = time.monotonic()

    def _open(self, settings: Settings, key: tuple[Any, ...]) -> _SMTP | _SMTP_SSL:
        self._smtp, self._key = _open_smtp(settings), key
        self.opened += 1
        return self._smtp

    def _drop(self, polite: bool) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _close_quietly(smtp, polite)

    def _start_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(
                target=self._close_when_idle, name="aspe-smtp-keep-alive", daemon=True
            )
            self._reaper.start()

    def _close_when_idle(self) -> None:
        """Close the connection once idle for its keep-alive; end with it."""
        with self._changed:
            while self._smtp is not None:
                idle_for = time.monotonic() - self._last_used
                if not self._busy and idle_for >= self._keep_alive:
                    self._drop(polite=True)
                    return
                self._changed.wait(max(self._keep_alive - idle_for, 0.0) + 0.01)

    def close(self) -> None:
        """Close the connection (QUIT), once an e-mail on its way has been sent."""
        with self._changed:
            self._changed.wait_for(lambda: not self._busy, timeout=60.0)
            if not self._busy:
                self._drop(polite=True)
            self._changed.notify_all()

    def forget(self) -> None:
        """In a forked child: the parent's connection, lock and thread are the parent's."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._smtp, self._reaper, self._busy = None, None, False


SMTP_CONNECTIONS = SmtpConnections()
"""This process's SMTP connection."""


def close_smtp_connections(**_: Any) -> None:
    """Close this process's SMTP connection: on Celery's ``worker_process_shutdown``
    (each pool process) and ``worker_shutdown`` (a solo worker), and at exit."""
    SMTP_CONNECTIONS.close()


worker_process_shutdown.connect(close_smtp_connections, weak=False)
worker_shutdown.connect(close_smtp_connections, weak=False)
atexit.register(close_smtp_connections)
os.register_at_fork(after_in_child=SMTP_CONNECTIONS.forget)


def _send_smtp(settings: Settings, email: EmailMessage) -> None:
    SMTP_CONNECTIONS.send(settings, email)


def outbox(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


def write_eml(folder: Path, email: EmailMessage) -> Path:
    """Write the e-mail under its Message-ID, whole or not at all (rename is atomic),
    readable by its owner only (``0600`` in a ``0700`` folder)."""
    private_folder(folder)
    name = str(email["Message-ID"]).strip("<>").split("@")[0]
    path = folder / f"{name}.eml"
    partial = folder / f".{name}.eml.partial"
    write_private(partial, email.as_bytes())
    partial.replace(path)
    return path


# ---------------------------------------------------------------------------- tasks
RETRIED = (OSError, smtplib.SMTPException, InFlight, PersistenceError)
"""Worth another try: the network, the SMTP server's temporary refusals (4xx), a delivery
another worker is on, the database."""


class DeliveryTask(Task):  # type: ignore[misc]
    """A delivery task: acknowledged once done, its last failure recorded ``failed``."""

    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: Any, einfo: Any
    ) -> None:
        log.error("delivery %s failed for good: %s", args[0], exc)
        ledger(settings_of(self.app)).failed(args[0], exc)


def _retry_in(task: Task) -> float:
    """The longest wait Celery's backoff may give this retry (its jitter draws below)."""
    factor = float(task.retry_backoff or 1)
    return float(min(factor * 2**task.request.retries, task.retry_backoff_max))


def delivery_task(name: str) -> Callable[[Callable[[Task, str], None]], Any]:
    """Celery's ``shared_task`` (the app includes this module) for one channel's deliveries."""
    decorator: Callable[[Callable[[Task, str], None]], Any] = shared_task(
        bind=True, base=DeliveryTask, name=name, autoretry_for=RETRIED
    )
    return decorator


@delivery_task(EMAIL_TASK)
def deliver_email(self: Task, key: str) -> None:
    settings = settings_of(self.app)
    book = ledger(settings)
    row = book.claim(key, settings.delivery_lease_seconds)
    if row is None:
        return
    try:
        send_email(settings, email_of(settings, row))
    except RETRIED as error:
        book.release(key, error, _retry_in(self))
        raise
    book.delivered(key)


@delivery_task(INBOX_TASK)
def deliver_to_inbox(self: Task, key: str) -> None:
    """The previous versions' inbox task: ``dispatch`` now fills the inboxes itself, but a
    queue may still hold these tasks after an upgrade. Harmless on a delivery done."""
    ledger(settings_of(self.app)).deliver_to_inbox(key)


def _requeue_stale_task(self: Task) -> int:
    return requeue_stale(self.app)


requeue_stale_task = shared_task(bind=True, name=REQUEUE_TASK, ignore_result=True)(
    _requeue_stale_task
)


def requeue_stale(celery: Celery, older_than: float | None = None) -> int:
    """Enqueue again the deliveries whose task was lost; how many there were."""
    settings = settings_of(celery)
    wait = settings.delivery_requeue_after if older_than is None else older_than
    book = ledger(settings)
    stale = book.stale(wait)
    if stale:
        log.warning("%d deliveries were waiting for a lost task: queued again", len(stale))
        # Inbox deliveries queued by a previous version need no task: delivered here.
        book.deliver_to_inbox(*(key for key, channel in stale if channel is Channel.INBOX))
        enqueue(celery, [(key, channel) for key, channel in stale if channel is Channel.EMAIL])
    return len(stale)


# --------------------------------------------------------------------------- status
def delivery_counts(view_or_settings: TableView | Settings) -> dict[str, dict[str, int]]:
    """Deliveries per channel and status: ``{"email": {"queued": 2, …}, …}``."""
    view = store_of(view_or_settings)
    counts = {channel.value: dict.fromkeys(STATUSES, 0) for channel in Channel}
    with view.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT channel, status, COUNT(*) AS n FROM {view.name_of(DELIVERIES)} "
            "GROUP BY channel, status"
        )
        for row in cursor.fetchall():
            counts.setdefault(row["channel"], dict.fromkeys(STATUSES, 0))[row["status"]] = int(
                row["n"]
            )
    return counts


def recent_failures(view_or_settings: TableView | Settings, limit: int = 10) -> list[Row]:
    """The last deliveries recorded ``failed``, with their error."""
    view = store_of(view_or_settings)
    with view.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT key, channel, attempts, due_at, error FROM {view.name_of(DELIVERIES)} "
            f"WHERE status = '{FAILED}' ORDER BY due_at DESC LIMIT {int(limit)}"
        )
        return [dict(row) for row in cursor.fetchall()]
