"""An outage of the infrastructure is a 503 with ``Retry-After``, never a 500 or a dropped
connection (X-05, issue 20): which errors are outages, and what a runtime's app answers for them,
to a program (problem+json) and to a browser on a page (the portal's page)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    RecordTooLargeError,
)
from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
)
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.logs import configure_logging
from servicekit.outages import Unavailable, is_outage
from servicekit.problems import ProblemCode, problem_response
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from webkit.pages import problem_page

TITLE = ProblemCode.SERVICE_UNAVAILABLE.title


@pytest.fixture(autouse=True, scope="module")
def _json_logs() -> None:
    """Logs as the services write them: structlog's console renderer, the default, draws each
    traceback with its locals, seconds per logged crash on a busy machine."""
    configure_logging("outage", "INFO", json=True)


def _validation_error() -> ValidationError:
    class Shape(BaseModel):
        n: int

    try:
        Shape.model_validate({"n": "many"})
    except ValidationError as err:
        return err
    raise AssertionError("unreachable")


def _caused_by(cause: BaseException) -> Exception:
    try:
        raise RuntimeError("the store could not load") from cause
    except RuntimeError as err:
        return err


OUTAGES: dict[str, BaseException] = {
    "pymongo server selection": ServerSelectionTimeoutError("no server"),
    "pymongo reconnect": AutoReconnect("connection reset"),
    "pymongo network timeout": NetworkTimeout("timed out"),
    "pymongo pool wait": WaitQueueTimeoutError("pool full"),
    "pymongo operation timeout": ExecutionTimeout("maxTimeMS", 50),
    "kafka connection": KafkaConnectionError("no broker"),
    "kafka timeout": KafkaTimeoutError(),
    "kafka no brokers": NoBrokersAvailable(),
    "smtp connect": aiosmtplib.SMTPConnectError("refused"),
    "smtp disconnected": aiosmtplib.SMTPServerDisconnected("gone"),
    "smtp timeout": aiosmtplib.SMTPTimeoutError("slow"),
    "another service away": httpx.ConnectError("refused"),
    "another service slow": httpx.ReadTimeout("slow"),
    "a bounded wait": TimeoutError(),
    "a connection refused": ConnectionRefusedError(),
    "said so": Unavailable("identity answered too late"),
    "a group of outages": ExceptionGroup("gather", [AutoReconnect("a"), TimeoutError()]),
    "raised because of one": _caused_by(ServerSelectionTimeoutError("no server")),
}

BUGS: dict[str, BaseException] = {
    "a bug": RuntimeError("bug"),
    "a missing key": KeyError("x"),
    "a duplicate _id": DuplicateKeyError("E11000"),
    "a refused operation": OperationFailure("bad filter", 2),
    "a record too large": RecordTooLargeError(),
    "invalid data": _validation_error(),
    "a missing file": FileNotFoundError("template"),
    "a group with a bug": ExceptionGroup("gather", [AutoReconnect("a"), RuntimeError("bug")]),
    "raised because of a bug": _caused_by(KeyError("x")),
}


@pytest.mark.parametrize("name", sorted(OUTAGES))
def test_x_05_an_infrastructure_error_is_an_outage(name: str) -> None:
    assert is_outage(OUTAGES[name])


@pytest.mark.parametrize("name", sorted(BUGS))
def test_x_05_a_bug_or_a_refusal_is_not_an_outage(name: str) -> None:
    assert not is_outage(BUGS[name])


def _app(error: BaseException, **settings: float) -> FastAPI:
    """A runtime's app (never started: no infrastructure needed) whose routes raise ``error``:
    an API route, a page, identity's kind of front route, and a download that fails midway."""
    runtime = Runtime(ServiceSettings(service_name="outage", **settings))
    api, pages = APIRouter(prefix="/v1"), APIRouter(prefix="/realms/{realm}")

    @api.post("/things")
    async def create() -> None:
        raise error

    @pages.get("/things")
    async def show() -> None:
        raise error

    @api.get("/download")
    async def download() -> StreamingResponse:
        async def rows() -> AsyncIterator[str]:
            yield "first row\n"
            raise error

        return StreamingResponse(rows(), media_type="text/csv")

    async def front(request: Request) -> JSONResponse:
        raise error

    app = runtime.app(
        title="outage",
        description="a runtime under test",
        routers=[api, pages],
        problem_page=problem_page,
    )
    app.router.routes[:0] = [Route("/v1/front", front, methods=["GET"])]
    return app


def test_x_05_a_database_outage_answers_503_with_retry_after_never_500() -> None:
    """Raised in a route, in identity's kind of front route (a plain Starlette route matched
    first) and not re-raised: the test client raises what the app lets escape, as uvicorn then
    closes the connection (issue 20's dropped connections)."""
    client = TestClient(_app(ServerSelectionTimeoutError("127.0.0.1:27017: refused")))
    for answer in (client.post("/v1/things"), client.get("/v1/front")):
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "5"
        assert "x-correlation-id" in answer.headers
        body = answer.json()
        assert (body["code"], body["title"], body["status"]) == ("SERVICE_UNAVAILABLE", TITLE, 503)
        assert "27017" not in answer.text, "the answer tells nothing of the infrastructure"


def test_x_05_an_outage_on_a_page_answers_the_portals_page_with_503_and_retry_after() -> None:
    answer = TestClient(_app(KafkaConnectionError("no broker"))).get("/realms/kihonet/things")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["cache-control"] == "no-store"
    assert f"<h1>{TITLE}</h1>" in answer.text
    assert "<title>" + TITLE + "｜企保ネット</title>" in answer.text, "the realm's portal"


def test_x_05_a_crash_is_answered_500_as_a_problem_and_the_connection_kept() -> None:
    """A bug is still a 500 (a problem, or a page on a page), answered by the service and not
    raised on to the server, which would close the connection."""
    client = TestClient(_app(RuntimeError("bug")))
    answer = client.post("/v1/things")
    assert (answer.status_code, answer.json()["code"]) == (500, "INTERNAL_ERROR")
    assert "retry-after" not in answer.headers
    on_a_page = client.get("/realms/demo/things")
    assert on_a_page.status_code == 500
    assert ProblemCode.INTERNAL_ERROR.title in on_a_page.text


def test_x_05_an_outage_after_a_download_began_ends_the_connection() -> None:
    """A streamed answer whose source goes away midway cannot be turned into a 503 any more:
    the error goes on to the server, which closes the connection, so the client knows the
    file is incomplete instead of taking it for whole."""
    with pytest.raises(AutoReconnect):
        TestClient(_app(AutoReconnect("gone"))).get("/v1/download")


def test_x_05_every_service_unavailable_problem_says_when_to_try_again() -> None:
    assert problem_response(ProblemCode.SERVICE_UNAVAILABLE).headers["retry-after"] == "5"
    assert "retry-after" not in problem_response(ProblemCode.MAINTENANCE).headers
    assert "retry-after" not in problem_response(ProblemCode.CONFLICT).headers


def test_x_09_the_database_timeout_is_a_setting() -> None:
    runtime = Runtime(
        ServiceSettings(service_name="outage", mongodb_server_selection_timeout_seconds=1.5)
    )
    assert runtime.mongo.options.server_selection_timeout == 1.5
    assert runtime.mongo.options.pool_options.connect_timeout == 1.5


def test_x_05_the_gateways_own_problems_have_the_catalogues_titles() -> None:
    """The gateway answers a few problems itself (an upstream away is its SERVICE_UNAVAILABLE):
    each in the words the services use for the same code."""
    routes = Path(__file__).resolve().parents[3] / "deploy" / "gateway" / "routes.conf"
    found = [json.loads(b) for b in re.findall(r"return \d{3} '(\{.*\})';", routes.read_text())]
    bodies = [b for b in found if "code" in b]  # not /healthz's own answer
    assert "SERVICE_UNAVAILABLE" in {b["code"] for b in bodies}
    for body in bodies:
        code = ProblemCode[body["code"]]
        assert (body["title"], body["status"]) == (code.title, code.status), body["code"]
