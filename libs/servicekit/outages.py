"""An outage of the infrastructure answered as ``503 SERVICE_UNAVAILABLE``, never a 500 or a
dropped connection (X-05, issue 20).

While the database, Kafka, the SMTP server or another service is away, a request that needs it
cannot be served; that is nobody's bug and nothing the client did wrong. The client is told so,
and when to try again: ``503`` with the problem ``SERVICE_UNAVAILABLE`` (its Japanese title
says to try again later) and ``Retry-After``; a browser on a page gets the portal's page saying
the same. Every creation a client may repeat takes an ``Idempotency-Key`` (README, "Outages"),
so trying again does nothing twice.

:func:`is_outage` tells an outage from a bug, for every service, in this one place.
:class:`AnswerEveryRequest` answers whatever escapes a route: the outage's 503, or the crash's
500 problem. Why a middleware of our own and not an exception handler for ``Exception``:
Starlette runs that handler in its outermost middleware, which sends the answer and then raises
the exception again, and uvicorn then closes the keep-alive connection; a request the client had
just sent on it is lost without an answer (issue 20 saw 36 such). Answered here, the exception
goes no further and the connection stays open.
"""

from __future__ import annotations

import httpx
from aiokafka.errors import KafkaError, KafkaTimeoutError
from fastapi import Request
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.browsers import wants_page
from servicekit.logs import get_logger
from servicekit.problems import ProblemCode, ProblemPage, problem_response

log = get_logger(__name__)


class Unavailable(Exception):
    """Raised by code that knows a dependency is away in a way no library error says (an
    answer that came too late, say): answered like any outage."""


#: Errors that mean "something this request needs is not there now", whatever the library:
#: PyMongo's ``ServerSelectionTimeoutError``, ``AutoReconnect``, ``NetworkTimeout`` and
#: ``WaitQueueTimeoutError`` are ``ConnectionFailure``s; aiosmtplib's ``SMTPConnectError`` and
#: ``SMTPServerDisconnected`` are ``ConnectionError``s and its timeouts ``TimeoutError``s; every
#: error of httpx's transport (another service away or too slow); aiokafka's timeout (a send
#: that no broker acknowledged in time); and an ``asyncio.timeout`` that expired. Kafka's and
#: PyMongo's other errors count when the library calls them transient (:func:`is_outage`).
UNAVAILABLE: tuple[type[BaseException], ...] = (
    Unavailable,
    ConnectionFailure,
    KafkaTimeoutError,
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says that the infrastructure is away rather than that the code is
    wrong: one of :data:`UNAVAILABLE`, a Kafka error aiokafka calls retriable (no broker, no
    leader, a request timed out), a PyMongo timeout, a group of outages (``asyncio.gather`` in a
    ``TaskGroup``), or an error raised *because of* an outage (``raise … from err``)."""
    if isinstance(error, UNAVAILABLE):
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable)
    if isinstance(error, PyMongoError):
        return error.timeout
    if isinstance(error, BaseExceptionGroup):
        return all(is_outage(e) for e in error.exceptions)
    return error.__cause__ is not None and is_outage(error.__cause__)


class AnswerEveryRequest:
    """Answers a request whose route raised: ``503`` for an outage (:func:`is_outage`), ``500``
    for anything else, as problem+json, or as a page for a page's browser when the service has
    pages (``servicekit.browsers.wants_page``, the same rule as every other problem's). The
    exception is logged here and goes no further, so the connection stays open.

    An exception after the answer has begun (a streamed download whose database went away)
    cannot change the answer any more: it is logged and raised, and the server closes the
    connection, which is the one way left to tell the client the answer is incomplete.
    """

    def __init__(self, app: ASGIApp, page: ProblemPage | None = None) -> None:
        self.app = app
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                log.exception("error after the answer began", path=scope.get("path"))
                raise
            code = self._code_of(error, scope)
            await self._answer(code, scope)(scope, receive, send)

    def _code_of(self, error: Exception, scope: Scope) -> ProblemCode:
        if is_outage(error):
            log.warning(
                "infrastructure unavailable; answered 503",
                path=scope.get("path"),
                error=f"{type(error).__name__}: {error}"[:500],
            )
            return ProblemCode.SERVICE_UNAVAILABLE
        log.exception("unhandled error", path=scope.get("path"))
        return ProblemCode.INTERNAL_ERROR

    def _answer(self, code: ProblemCode, scope: Scope) -> Response:
        request = Request(scope)
        if self.page is not None and wants_page(scope):
            return self.page(request, code)
        return problem_response(code, instance=request.url.path)
