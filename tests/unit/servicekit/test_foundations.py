"""The shared plumbing's pure parts: clock, problems, logging, settings."""

from __future__ import annotations

import importlib
import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from servicekit.clock import ManualClock, SystemClock
from servicekit.logs import bind_correlation_id, configure_logging, get_logger
from servicekit.problems import Problem, ProblemCode, install_problem_handlers
from servicekit.settings import ServiceSettings

#: SPEC section 7, as written there: code → (HTTP status, Japanese title).
SECTION_7 = {
    "INVALID_CREDENTIALS": (401, "利用者IDまたはパスワードに誤りがあります"),
    "ACCOUNT_LOCKED": (
        423,
        "パスワードを3回以上連続で誤ったため、利用者IDは利用できなくなりました。"
        "アカウントロックの解除後、再度ログインしてください",
    ),
    "ACCOUNT_DISABLED": (403, "この利用者IDは現在ご利用いただけません"),
    "HALF_WIDTH_REQUIRED": (422, "IDとパスワードは半角英数字で入力してください"),
    "BROWSER_MISMATCH": (403, "登録されているブラウザ情報と異なります"),
    "AUTH_EMAIL_PROVISIONAL_TIMEOUT": (410, "メール認証用アドレスの仮登録がタイムアウトしました"),
    "AUTH_LINK_TIMEOUT": (410, "メール認証用リンクがタイムアウトしました"),
    "SESSION_EXPIRED": (401, "セッション情報の取得に失敗しました"),
    "PASSWORD_CHANGE_REQUIRED": (403, "パスワードを変更してください"),
    "OTP_REQUIRED": (403, "ワンタイムパスワードにより保護されています"),
    "INPUT_INFO_ERROR": (422, "入力情報エラー"),
    "NO_DATA": (404, "対象データがありません"),
    "MAINTENANCE": (503, "ただいまシステムメンテナンス中です"),
}

SERVICES = ("identity", "notify", "certs", "audit", "enroll")


def test_x_04_manual_clock_moves_only_when_told_and_only_forwards() -> None:
    clock = ManualClock(datetime(2026, 4, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(timedelta(minutes=10))
    assert clock.now() == datetime(2026, 4, 1, 0, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 4, 1))


def test_x_04_system_clock_is_utc_in_whole_milliseconds_as_bson_stores_it() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0


class Body(BaseModel):
    n: int


def _app_raising(problem: Exception) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise problem

    @app.post("/items")
    async def items(body: Body) -> dict[str, int]:
        return {"n": body.n}

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("code", sorted(SECTION_7))
def test_x_05_every_section_7_code_answers_its_status_and_japanese_title(code: str) -> None:
    status, title = SECTION_7[code]
    response = _app_raising(Problem(ProblemCode[code], detail="x")).get("/boom")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["title"], body["status"], body["detail"]) == (
        code,
        title,
        status,
        "x",
    )
    assert body["instance"] == "/boom"


def test_x_05_validation_errors_malformed_json_and_crashes_are_problems_never_bare_500s() -> None:
    client = _app_raising(RuntimeError("bug"))
    invalid = client.post("/items", json={"n": "many"})
    assert (invalid.status_code, invalid.json()["code"]) == (422, "VALIDATION_ERROR")
    assert invalid.json()["errors"][0]["location"] == ["body", "n"]
    malformed = client.post("/items", content=b"{", headers={"content-type": "application/json"})
    assert (malformed.status_code, malformed.json()["code"]) == (400, "MALFORMED_REQUEST")
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    crash = client.get("/boom")
    assert crash.status_code == 500
    assert crash.json() == {
        "type": "urn:problem:internal-error",
        "title": "システムエラーが発生しました",
        "status": 500,
        "code": "INTERNAL_ERROR",
        "instance": "/boom",
    }, "a crash tells the client nothing about the bug"


def test_x_05_every_operation_documents_its_problems_once_as_problem_json() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/items", responses={409: {"description": "ITEM_TAKEN"}})
    async def items(body: Body) -> dict[str, int]:
        return {"n": body.n}

    document = app.openapi()
    responses = document["paths"]["/items"]["post"]["responses"]
    problems = {status for status in responses if status[0] in "45"}
    assert problems == {str(code.status) for code in ProblemCode} - {"500"}, "a 500 is a bug"
    for status in problems:
        [(media_type, content)] = responses[status]["content"].items()
        assert (media_type, content["schema"]) == (
            "application/problem+json",
            {"$ref": "#/components/schemas/Problem"},
        )
    assert responses["409"]["description"] == "ITEM_TAKEN", "a route's own words are kept"
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]["code"]["enum"]) == {code.name for code in ProblemCode}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert app.openapi() is document, "built once"


def test_x_08_log_lines_are_json_and_carry_the_correlation_id() -> None:
    configure_logging("unit", "INFO", json=True)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    bind_correlation_id("cid-123")
    get_logger("t").info("hello", user="u1")
    logging.getLogger("faststream").warning("from a library")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["event"], line["correlation_id"], line["service"]) for line in lines] == [
        ("hello", "cid-123", "unit"),
        ("from a library", "cid-123", "unit"),
    ]


def test_x_09_every_service_reads_the_same_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka.internal:9092",
        "MONGODB_URI": "mongodb://db.internal:27017/",
        "KAFKA_TOPIC_PREFIX": "staging.",
        "LOG_LEVEL": "WARNING",
        "HTTP_HOST": "0.0.0.0",
    }
    for key, value in common.items():
        monkeypatch.setenv(key, value)
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.settings")
        [cls] = [
            c
            for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, ServiceSettings) and c is not ServiceSettings
        ]
        settings = cls()
        assert settings.service_name == name
        assert settings.kafka_bootstrap_servers == "kafka.internal:9092"
        assert settings.mongodb_uri == "mongodb://db.internal:27017/"
        assert settings.topic("identity.events") == "staging.identity.events"
        assert settings.database_name == name, "each service owns its database"
        assert (settings.log_level, settings.http_host) == ("WARNING", "0.0.0.0")
