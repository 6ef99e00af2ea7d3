"""X-12 for the pages' forms: a POST passes only with the browser's own ``__Host-csrf`` token
in its form, never from another site; the cookie is ``__Host-``, Secure, HttpOnly, SameSite."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from servicekit.problems import install_problem_handlers
from webkit import csrf
from webkit.assets import router as assets
from webkit.pages import LIBRARY_TEMPLATES, Pages


def app() -> FastAPI:
    made = FastAPI()
    install_problem_handlers(made)
    pages = Pages(LIBRARY_TEMPLATES)
    made.include_router(assets)

    @made.get("/form")
    async def form(request: Request) -> object:
        return pages.render(request, "webkit/message", title="フォーム", detail="説明")

    @made.post("/form", dependencies=[Depends(csrf.checked)])
    async def post() -> dict[str, bool]:
        return {"done": True}

    return made


def client() -> TestClient:
    return TestClient(app(), base_url="https://portal.test")


def test_x_12_the_form_token_is_a_host_cookie_secure_httponly_samesite() -> None:
    browser = client()
    page = browser.get("/form")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-csrf=")
    for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "Domain" not in cookie
    assert page.headers["cache-control"] == "no-store"


def test_x_12_a_post_passes_only_with_the_browsers_own_token() -> None:
    browser = client()
    browser.get("/form")
    token = browser.cookies["__Host-csrf"]
    assert browser.post("/form", data={"csrf_token": token}).json() == {"done": True}
    refused = browser.post("/form", data={"csrf_token": "x" * 43})
    assert refused.status_code == 403
    assert refused.json()["code"] == "CSRF_CHECK_FAILED"
    assert browser.post("/form", data={}).status_code == 403
    stranger = client()
    assert stranger.post("/form", data={"csrf_token": token}).status_code == 403


def test_x_12_a_post_from_another_site_is_refused_even_with_the_token() -> None:
    browser = client()
    browser.get("/form")
    token = browser.cookies["__Host-csrf"]
    refused = browser.post(
        "/form", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert refused.status_code == 403


def test_web_01_the_stylesheet_is_served_and_nothing_else() -> None:
    browser = client()
    css = browser.get("/static/webkit/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert browser.get("/static/webkit/..%2Fcsrf.py").status_code == 404
    assert browser.get("/static/webkit/csrf.py").status_code == 404
