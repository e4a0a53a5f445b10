"""Login throttling: failed logins per account and per client address, locked out with backoff.

After ``max_failures`` failed logins, an e-mail (known or not) or a client address is refused
for ``ASPE_LOGIN_LOCKOUT_SECONDS``; each further failure once the lockout ends doubles it,
up to ``ASPE_LOGIN_LOCKOUT_MAX_SECONDS``. Failures are forgotten
``ASPE_LOGIN_FAILURE_WINDOW_SECONDS`` after the last one (or after the lockout ends); a
successful login clears its account's.

Time is the app's clock (tests freeze it). The state is in Redis when ``ASPE_REDIS_URL`` is
set, so every API process sees the same counts; in memory in the embedded default (one
process). The `limits` library was considered: its storages read the system's time and it
has no growing lockout, both of which this needs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, Protocol, TypeVar

import redis

from aspe.domain.accounts import normalise_email
from aspe.domain.errors import InvalidInput
from aspe.graphql.errors import InvalidCredentials, ServerBusy, TooManyAttempts
from aspe.settings import Settings

log = logging.getLogger("aspe.login")

Params = ParamSpec("Params")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Policy:
    """When failures of one key lock it out, and for how long."""

    max_failures: int
    lockout_seconds: float
    lockout_max_seconds: float
    window_seconds: float

    def lockout_after(self, failures: int) -> float:
        """Seconds of lockout after the ``failures``-th failure (0: none yet)."""
        if failures < self.max_failures:
            return 0.0
        doublings = min(failures - self.max_failures, 32)
        return float(min(self.lockout_seconds * 2**doublings, self.lockout_max_seconds))


class FailureStore(Protocol):
    """Failure counts and lockouts by key; each operation atomic across its users."""

    def locked_until(self, key: str) -> float: ...

    def charge(self, key: str, now: float, policy: Policy, *, unless_locked: bool) -> bool:
        """Count one failure against ``key`` (and lock it out when it reaches the policy's
        bound); with ``unless_locked``, count nothing and answer ``False`` while it is."""
        ...

    def refund(self, key: str, policy: Policy) -> None:
        """Take back one failure charged for an attempt that was never judged."""
        ...

    def clear(self, key: str) -> None: ...


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class MemoryFailures:
    """The embedded default's store: this process only."""

    def __init__(self) -> None:
        self._entries: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def locked_until(self, key: str) -> float:
        with self._lock:
            entry = self._entries.get(key)
            return entry.locked_until if entry else 0.0

    def charge(self, key: str, now: float, policy: Policy, *, unless_locked: bool) -> bool:
        with self._lock:
            self._forget_expired(now, policy)
            entry = self._entries.setdefault(key, _Failures())
            if unless_locked and entry.locked_until > now:
                return False
            entry.count += 1
            entry.last = now
            entry.locked_until = now + policy.lockout_after(entry.count)
            return True

    def refund(self, key: str, policy: Policy) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.count > 0:
                entry.count -= 1
                if entry.count < policy.max_failures:
                    entry.locked_until = 0.0

    def clear(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _forget_expired(self, now: float, policy: Policy) -> None:
        # Keeps memory bounded by the failures of one window, whatever the keys sent.
        expired = [
            key
            for key, entry in self._entries.items()
            if now > max(entry.last, entry.locked_until) + policy.window_seconds
        ]
        for key in expired:
            del self._entries[key]


# KEYS[1]: the key; ARGV: now, max_failures, lockout, lockout_max, window (seconds), and
# "1" to count nothing while the key is locked out. Answers 1 when counted, 0 otherwise.
_CHARGE = """
local now, max_failures = tonumber(ARGV[1]), tonumber(ARGV[2])
local lockout, lockout_max, window = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'count', 'last', 'until')
local count = tonumber(state[1]) or 0
local last, locked = tonumber(state[2]) or 0, tonumber(state[3]) or 0
if ARGV[6] == '1' and locked > now then return 0 end
if now > math.max(last, locked) + window then count = 0 end
count = count + 1
local locked_until = now
if count >= max_failures then
  locked_until = now + math.min(lockout * 2 ^ math.min(count - max_failures, 32), lockout_max)
end
redis.call('HSET', KEYS[1], 'count', count, 'last', now, 'until', locked_until)
redis.call('EXPIRE', KEYS[1], math.ceil(locked_until - now + window) + 1)
return 1
"""

# KEYS[1]: the key; ARGV[1]: max_failures.
_REFUND = """
local count = tonumber(redis.call('HGET', KEYS[1], 'count')) or 0
if count <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'count', count - 1)
if count - 1 < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'until', 0) end
return 1
"""


class RedisFailures:
    """Shared by every API process of a deployment (keys prefixed by its Celery queue)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._charge = client.register_script(_CHARGE)
        self._refund = client.register_script(_REFUND)

    def locked_until(self, key: str) -> float:
        value = self.client.hget(self._key(key), "until")
        return float(value) if value is not None else 0.0

    def charge(self, key: str, now: float, policy: Policy, *, unless_locked: bool) -> bool:
        arguments = [now, policy.max_failures, policy.lockout_seconds]
        arguments += [policy.lockout_max_seconds, policy.window_seconds, int(unless_locked)]
        return bool(self._charge(keys=[self._key(key)], args=arguments))

    def refund(self, key: str, policy: Policy) -> None:
        self._refund(keys=[self._key(key)], args=[policy.max_failures])

    def clear(self, key: str) -> None:
        self.client.delete(self._key(key))

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"


@dataclass(frozen=True)
class LoginThrottle:
    """Admits a login attempt or refuses it (TOO_MANY_ATTEMPTS), and learns from its outcome.

    An attempt is counted against its account before the password is checked, so that
    concurrent attempts cannot all slip in before the first failure is recorded; a success
    clears the account's count, an attempt never judged (server busy) is taken back. The
    address is charged for failures only: an office's many successful logins never lock it.
    """

    store: FailureStore
    clock: Callable[[], datetime]
    per_account: Policy
    per_address: Policy

    @contextmanager
    def attempt(self, email: str, address: str | None) -> Iterator[None]:
        """Around one password check: raise ``InvalidCredentials`` inside for a failure."""
        account = _account_key(email)
        self._admit(account, address)
        try:
            yield
        except InvalidCredentials:
            if address:
                self._charge(_address_key(address), self.per_address, unless_locked=False)
            raise
        except BaseException:
            self._guarded(self.store.refund, account, self.per_account)
            raise
        self._guarded(self.store.clear, account)

    def _admit(self, account: str, address: str | None) -> None:
        if address and self._guarded(self.store.locked_until, _address_key(address)) > self._now():
            raise TooManyAttempts()
        if not self._charge(account, self.per_account, unless_locked=True):
            raise TooManyAttempts()

    def _charge(self, key: str, policy: Policy, *, unless_locked: bool) -> bool:
        return self._guarded(
            self.store.charge, key, self._now(), policy, unless_locked=unless_locked
        )

    def _now(self) -> float:
        return self.clock().timestamp()

    @staticmethod
    def _guarded(
        operation: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs
    ) -> Result:
        # Without its counts, the throttle cannot tell an attack: refuse (fail closed).
        try:
            return operation(*args, **kwargs)
        except redis.RedisError as error:
            log.warning("login throttle unavailable: %s", error)
            raise ServerBusy() from None


def _account_key(email: str) -> str:
    try:
        address = normalise_email(email)
    except InvalidInput:
        address = email.strip().lower()
    return "account:" + _digest(address)


def _address_key(address: str) -> str:
    return "address:" + _digest(address)


def _digest(value: str) -> str:
    """Keys name no e-mail or address in clear (Redis is not where they should be kept)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def login_throttle(settings: Settings, clock: Callable[[], datetime]) -> LoginThrottle:
    """The throttle of one app: in Redis when the deployment has one, in memory otherwise."""
    store: FailureStore = MemoryFailures()
    if settings.redis_url:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        store = RedisFailures(client, prefix=f"{settings.celery_queue}:login-failures:")
    return LoginThrottle(
        store,
        clock,
        per_account=_policy(settings, settings.login_max_failures_per_account),
        per_address=_policy(settings, settings.login_max_failures_per_address),
    )


def _policy(settings: Settings, max_failures: int) -> Policy:
    return Policy(
        max_failures=max_failures,
        lockout_seconds=settings.login_lockout_seconds,
        lockout_max_seconds=settings.login_lockout_max_seconds,
        window_seconds=settings.login_failure_window_seconds,
    )
