"""Handing mail to the SMTP server: a bounded pool of connections, retries, and the difference
between "this mail is refused" and "the server is not there" (NT-04).

- A 5xx reply refuses *this* mail for good: no retry helps, so it is :class:`Refused` at once
  and the caller dead-letters it, while the next mails flow.
- A 4xx reply refuses it for now: retried with exponential back-off and full jitter, and
  refused after the last attempt.
- No server (refused connection, timeout, dropped line, a failed login or STARTTLS) is nobody's
  mail's fault: retried the same way, and after the last attempt :class:`SmtpUnavailable` is
  raised so that the consumer rewinds and tries again later. Dead-lettering during an outage
  would turn a blip into lost mail, and stopping at the first failed mail keeps each
  recipient's mails in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiosmtplib
from prometheus_client import Counter

from servicekit.logs import get_logger

log = get_logger(__name__)

SMTP_ATTEMPTS = Counter("smtp_attempts_total", "Mails handed to the SMTP server", ["result"])

ClientFactory = Callable[[], aiosmtplib.SMTP]
Sleep = Callable[[float], Awaitable[None]]

#: Replies that say the server is misconfigured for us, not that a mail is bad.
_SERVER_TROUBLE = (
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPNotSupported,
    aiosmtplib.SMTPConnectResponseError,
)


class SmtpUnavailable(ConnectionError):
    """The SMTP server could not be reached for the last attempt: try the batch again later.

    A ``ConnectionError``, so the bus treats it as infrastructure and rewinds (servicekit.bus).
    """


@dataclass(frozen=True)
class Accepted:
    attempts: int


@dataclass(frozen=True)
class Refused:
    reason: str
    attempts: int


class SmtpPool:
    """At most ``size`` connections, kept open and reused; a broken one is dropped."""

    def __init__(self, connect: ClientFactory, size: int) -> None:
        self._connect = connect
        self.size = size
        self._slots = asyncio.Semaphore(size)
        self._idle: list[aiosmtplib.SMTP] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            if client is None or not client.is_connected:
                client = self._connect()
                await client.connect()
            try:
                yield client
            except BaseException:
                client.close()
                raise
            self._idle.append(client)

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        async with self.connection() as client:
            await client.sendmail(sender, [recipient], data)

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()


class Courier:
    """Sends one mail with retries; tells the caller it was accepted or refused, or raises
    :class:`SmtpUnavailable`."""

    def __init__(
        self,
        pool: SmtpPool,
        *,
        max_attempts: int,
        base_delay: float,
        max_delay: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.pool = pool
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

    async def deliver(self, sender: str, recipient: str, data: bytes) -> Accepted | Refused:
        trouble: BaseException | None = None
        for attempt in range(1, self.max_attempts + 1):
            if trouble is not None:
                await self._sleep(self.delay(attempt))
            try:
                await self.pool.send(sender, recipient, data)
            except (aiosmtplib.SMTPException, OSError) as err:
                trouble = err
            else:
                SMTP_ATTEMPTS.labels("accepted").inc()
                return Accepted(attempt)
            code = _reply_code(trouble)
            if code is not None and code >= 500:
                SMTP_ATTEMPTS.labels("refused").inc()
                return Refused(_describe(trouble), attempt)
            SMTP_ATTEMPTS.labels("retried").inc()
            log.warning("smtp attempt failed", attempt=attempt, error=_describe(trouble))
        assert trouble is not None
        if _reply_code(trouble) is None:
            raise SmtpUnavailable(_describe(trouble))
        SMTP_ATTEMPTS.labels("refused").inc()
        return Refused(
            f"gave up after {self.max_attempts} attempts: {_describe(trouble)}", self.max_attempts
        )

    def delay(self, attempt: int) -> float:
        """Exponential back-off with full jitter: spreads retries of many consumers apart."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 2))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret


def _reply_code(err: BaseException) -> int | None:
    """The server's reply code when it answered about *this* mail; ``None`` when the trouble is
    the server itself (unreachable, gone, misconfigured for us)."""
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused) and err.recipients:
        return err.recipients[0].code
    if isinstance(err, aiosmtplib.SMTPResponseException) and not isinstance(err, _SERVER_TROUBLE):
        return err.code
    return None


def _describe(err: BaseException) -> str:
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused) and err.recipients:
        return f"{err.recipients[0].code} {err.recipients[0].message}"
    if isinstance(err, aiosmtplib.SMTPResponseException):
        return f"{err.code} {err.message}"
    return f"{type(err).__name__}: {err}"
