"""WEB-04, X-05: a refused browser route answers the portal's page, never raw JSON; the API
keeps ``application/problem+json``. The same problem either way: its status, its code's
Japanese title (``servicekit.problems.ProblemCode``), and on a page a link back to the portal's
top. Built once in ``servicekit.problems`` and ``webkit.pages``, so a runtime's app is enough
(never started: no infrastructure needed); the last test checks that every service keeps to
the rule the decision is made by."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI, Form
from fastapi.testclient import TestClient
from fuzz_people import served_document
from httpx import Response

from servicekit.browsers import PAGE_PATH, prefers_html
from servicekit.problems import Problem, ProblemCode
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from webkit.pages import BACK_LABEL, problem_page

#: What Chromium sends when a person opens a page or sends a form.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROGRAM = {"Accept": "application/json"}
REFUSALS = (
    ProblemCode.INVALID_CREDENTIALS,  # 401
    ProblemCode.FORBIDDEN,  # 403
    ProblemCode.NO_DATA,  # 404
    ProblemCode.LINK_EXPIRED,  # 410
    ProblemCode.TOO_MANY_REQUESTS,  # 429
    ProblemCode.INTERNAL_ERROR,  # 500
    ProblemCode.SERVICE_UNAVAILABLE,  # 503
)


def _app() -> FastAPI:
    """An API route and a page (a router like every service's page routers) that raise the
    problem named in the path, and a page form that takes one field."""
    runtime = Runtime(ServiceSettings(service_name="pages"))
    api = APIRouter(prefix="/v1/realms/{realm}")
    pages = APIRouter(prefix="/realms/{realm}", include_in_schema=False)

    @api.get("/refusals/{code}")
    async def api_refusal(code: str) -> None:
        raise Problem(ProblemCode[code])

    @pages.get("/refusals/{code}")
    async def page_refusal(code: str) -> None:
        raise Problem(ProblemCode[code], detail="ご不明な点はお客様サポートへ")

    @pages.post("/form")
    async def form(name: str = Form(max_length=5)) -> dict[str, str]:
        return {"name": name}

    return runtime.app(
        title="pages", description="a runtime under test", routers=[api, pages],
        problem_page=problem_page,
    )  # fmt: skip


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(_app(), follow_redirects=False, raise_server_exceptions=False)


def assert_page(answer: Response, code: ProblemCode, realm: str = "demo") -> None:
    """The portal's page of ``code``: HTML, its status, its title as the page's heading and in
    the tab with the realm's portal name, no cache, and the link back to the realm's top."""
    assert answer.status_code == code.status, answer.text
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert f"<h1>{code.title}</h1>" in answer.text
    assert f"エラーコード：{code.name}" in answer.text, "the problem's code, for support"
    assert re.search(rf"<title>{re.escape(code.title)}｜[^<]+</title>", answer.text)
    assert '<link rel="stylesheet" href="/static/webkit/portal.css">' in answer.text
    assert f'href="/realms/{realm}/home">{BACK_LABEL}</a>' in answer.text
    assert '"code"' not in answer.text, "no problem JSON inside the page"


def assert_problem(answer: Response, code: ProblemCode) -> None:
    assert answer.status_code == code.status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["status"], body["code"], body["title"]) == (code.status, code.name, code.title)


@pytest.mark.parametrize("code", REFUSALS, ids=lambda c: f"{c.status}-{c.name}")
def test_web_04_a_refusal_on_a_page_is_the_portals_page_with_its_status_and_title(
    client: TestClient, code: ProblemCode
) -> None:
    answer = client.get(f"/realms/demo/refusals/{code.name}", headers=BROWSER)
    assert_page(answer, code)
    assert "デモポータル" in answer.text, "the realm's portal, as on its other pages"
    assert "ご不明な点はお客様サポートへ" in answer.text, "the problem's detail is shown"
    if code is ProblemCode.SERVICE_UNAVAILABLE:
        assert answer.headers["retry-after"] == "5", "the problem's headers too"


@pytest.mark.parametrize("code", REFUSALS, ids=lambda c: f"{c.status}-{c.name}")
def test_x_05_the_api_keeps_problem_json_whoever_asks(
    client: TestClient, code: ProblemCode
) -> None:
    """A program on the API, even one that says it takes HTML; and a program on a page's path
    that asks for JSON only."""
    assert_problem(client.get(f"/v1/realms/demo/refusals/{code.name}", headers=BROWSER), code)
    assert_problem(client.get(f"/realms/demo/refusals/{code.name}", headers=PROGRAM), code)


def test_web_04_an_unknown_page_is_a_404_page_and_an_unknown_api_path_a_problem(
    client: TestClient,
) -> None:
    """No route matched: a realm's page space is still a page's; the rest is a program's."""
    unknown_page = client.get("/realms/kihonet/no-such-page", headers=BROWSER)
    assert_page(unknown_page, ProblemCode.NOT_FOUND, "kihonet")
    assert "企保ネット" in unknown_page.text
    for elsewhere in ("/v1/realms/demo/no-such-thing", "/no-such-place", "/realms/Not_A_Realm/x"):
        assert_problem(client.get(elsewhere, headers=BROWSER), ProblemCode.NOT_FOUND)
    assert client.get("/healthz", headers=BROWSER).headers["content-type"] == "application/json"
    not_ready = client.get("/readyz", headers=BROWSER)
    assert_problem(not_ready, ProblemCode.SERVICE_UNAVAILABLE)


def test_web_04_a_wrong_method_and_invalid_input_on_a_page_are_pages_too(
    client: TestClient,
) -> None:
    wrong_method = client.delete("/realms/demo/form", headers=BROWSER)
    assert_page(wrong_method, ProblemCode.METHOD_NOT_ALLOWED)
    assert wrong_method.headers["allow"] == "POST", "the problem's own headers are kept"
    invalid = client.post("/realms/demo/form", data={"name": "far too long"}, headers=BROWSER)
    assert_page(invalid, ProblemCode.VALIDATION_ERROR)
    program = client.post("/realms/demo/form", data={"name": "far too long"}, headers=PROGRAM)
    assert_problem(program, ProblemCode.VALIDATION_ERROR)
    assert program.json()["errors"][0]["location"] == ["body", "name"]


def test_web_04_a_missing_or_unfinished_login_on_a_page_leads_to_the_login(
    client: TestClient,
) -> None:
    """As ``Pages.refused`` and the gateway do for a page's browser: no page saying so."""
    for code in (ProblemCode.SESSION_EXPIRED, ProblemCode.PASSWORD_CHANGE_REQUIRED):
        answer = client.get(f"/realms/nexi/refusals/{code.name}", headers=BROWSER)
        assert (answer.status_code, answer.headers["location"]) == (303, "/realms/nexi/login")
        assert_problem(client.get(f"/v1/realms/nexi/refusals/{code.name}"), code)


def test_web_04_id_otp_05_a_page_refused_for_the_otp_leads_to_the_otp_page(
    client: TestClient,
) -> None:
    answer = client.get("/realms/demo/refusals/OTP_REQUIRED", headers=BROWSER)
    assert answer.status_code == 403
    assert f"<h1>{ProblemCode.OTP_REQUIRED.title}</h1>" in answer.text
    assert 'href="/realms/demo/otp">ワンタイムパスワードの発行へ</a>' in answer.text


def test_web_04_a_pages_own_script_asking_for_events_keeps_the_problem(
    client: TestClient,
) -> None:
    """An EventSource (the waiting page's, the dashboard's) reads no page."""
    answer = client.get("/realms/demo/refusals/FORBIDDEN", headers={"Accept": "text/event-stream"})
    assert_problem(answer, ProblemCode.FORBIDDEN)


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, True),
        ("*/*", True),
        ("text/html", True),
        ("text/*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/json", False),
        ("application/problem+json", False),
        ("application/json, */*;q=0.1", False),
        ("application/json;q=0.5, text/html", True),
        ("text/html;q=0, */*", False),
        ("text/event-stream", False),
        ("text/html;q=nonsense", False),
    ],
)
def test_web_04_a_client_gets_a_page_when_it_takes_html_at_least_as_gladly_as_json(
    accept: str | None, html: bool
) -> None:
    assert prefers_html(accept) is html


SERVICES = ("identity", "notify", "audit", "certs", "enroll")
OPERATIONS = ("/healthz", "/readyz", "/asyncapi.json")


@pytest.mark.parametrize("service", SERVICES)
def test_web_04_no_service_lists_a_page_in_its_api_and_its_api_is_under_v1(service: str) -> None:
    """The rule ``wants_page`` decides by holds for every service: nothing its OpenAPI document
    lists (its API, for programs) lives in a realm's page space; the API is under ``/v1/``,
    beside the operations' routes."""
    document = served_document(service)
    listed = list(document["paths"])
    assert any(path.startswith("/v1/") for path in listed), f"{service} has an API"
    for path in listed:
        assert not PAGE_PATH.match(path.replace("{realm}", "demo")), f"{service}: {path}"
        assert path.startswith("/v1/") or path in OPERATIONS, f"{service}: {path} not under /v1/"
