"""ID-OTP-05 (issue 20): in a `nexi` organisation that requires the OTP, the access history
(preview, download, export job, and their pages) and identity's admin pages and routes are
protected operations (seed 004 5-3 leaves only three business menus free). A session that
logged in with its password only is refused ``OTP_REQUIRED`` by the gateway (introspection
asked with ``protected=true``) and again by the service itself when asked directly; a browser
is led to the OTP entry instead of being answered JSON. The OTP verified in one session opens
them to that session only; an organisation without the OTP is unaffected.

Real identity, certs and audit processes on the real Kafka and database, the real nginx in
front of them, curl as the gateway's client. The code is read from identity's ``OtpIssued``
event, opened with the tests' notify key as notify would open it (X-02).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from gateway_harness import GATEWAY_SECRET, curl, echo_server, running_gateway
from harness import Infra, Namespace, ServiceProcess, eventually
from identity_client import (
    NEW_PASSWORD,
    NOTIFY_PUBLIC,
    bearer,
    create_user,
    log_in,
    opened,
    ready_admin,
    token_of,
    user_events,
)
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

REALM = "nexi"
OTP_REQUIRED = "ワンタイムパスワードにより保護されています"
OTP_PAGE = f"/realms/{REALM}/otp"
CSRF = secrets.token_urlsafe(32)
"""A browser's form token, sent as its ``__Host-csrf`` cookie and as the form's field (X-12)."""


@dataclass(frozen=True)
class Stack:
    gateway: Any
    identity: ServiceProcess
    audit: ServiceProcess
    ns: Namespace


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("otp")
    ns = Namespace()
    with ExitStack() as stack:

        def start(service: str, **settings: str) -> ServiceProcess:
            proc = ServiceProcess(service, infra, ns, logs, **settings).start()
            stack.callback(proc.stop)
            return proc

        identity = start("identity", notify_public_key=NOTIFY_PUBLIC)
        certs = start("certs", gateway_secret=GATEWAY_SECRET)
        audit = start("audit", identity_url=identity.url)
        echo = stack.enter_context(echo_server())
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "certs": f"127.0.0.1:{certs.port}",
            "audit": f"127.0.0.1:{audit.port}",
            "notify": echo,
            "enroll": echo,
        }
        gateway = stack.enter_context(running_gateway(logs / "nginx", upstreams))
        yield Stack(gateway, identity, audit, ns)


@dataclass(frozen=True)
class Admin:
    """A `nexi` organisation's admin (Webユーザー（管理者）) and the session it logged in with."""

    org_id: str
    user_id: str
    login_id: str
    token: str

    @property
    def history(self) -> str:
        return f"/v1/realms/{REALM}/orgs/{self.org_id}/access-history"


def nexi_admin(stack: Stack, otp: bool) -> Admin:
    """An organisation opened by the back office, its admin logged in with the password (and
    the forced change made); ``otp``: the admin then switched ワンタイムパスワード利用 on."""
    login_id = str(uuid.uuid4().int)[:12]  # nexi's web user IDs: 11 or 12 digits
    profile = {"name": "管理 太郎", "email": f"admin-{uuid.uuid4().hex[:8]}@example.jp"}
    token, org = ready_admin(stack.identity.url, REALM, login_id=login_id, profile=profile)
    admin = Admin(org["org_id"], org["admin_user_id"], org["admin_login_id"], token)
    if otp:
        switched = httpx.put(
            f"{stack.identity.url}/v1/realms/{REALM}/orgs/{admin.org_id}/otp-policy",
            json={"enabled": True},
            headers=bearer(token),
            timeout=30,
        )
        assert switched.status_code == 200, switched.text
    return admin


def another_session(stack: Stack, admin: Admin) -> str:
    """The same admin logged in again with the password: a second session of the same user."""
    return token_of(log_in(stack.identity.url, REALM, admin.login_id, NEW_PASSWORD))


async def verified(
    stack: Stack, mongo: AsyncMongoClient[dict[str, Any]], admin: Admin, token: str
) -> str:
    """The session ``token`` after 「ワンタイムパスワードの発行」 and 「認証」 with the mailed
    code: its new token (ID-OTP-03: the verified session replaces it)."""
    url = f"{stack.identity.url}/v1/realms/{REALM}"
    issued = httpx.post(f"{url}/otp", headers=bearer(token), timeout=30)
    assert issued.status_code == 202, issued.text
    events = await user_events(mongo, stack.ns, REALM, admin.user_id, "OtpIssued")
    code = opened(events[-1], "sealed_code")
    entered = httpx.post(
        f"{url}/otp/verify", json={"code": code}, headers=bearer(token), timeout=30
    )
    assert entered.status_code == 200, entered.text
    return token_of(entered)


def direct(
    service: ServiceProcess, method: str, path: str, token: str, **kwargs: Any
) -> httpx.Response:
    """A request straight to a service, past the gateway, with a bearer."""
    return httpx.request(
        method, f"{service.url}{path}", headers=bearer(token), timeout=30, **kwargs
    )


def through(stack: Stack, method: str, path: str, *args: str) -> tuple[int, dict[str, str], str]:
    """A request through the gateway with curl."""
    return curl(stack.gateway, f"{stack.gateway.url}{path}", "-X", method, *args)


def as_bearer(token: str) -> list[str]:
    return ["-H", f"Authorization: Bearer {token}"]


def as_browser(token: str, method: str = "GET") -> list[str]:
    """A browser's session and form token cookies, and a form's token when it posts."""
    cookies = ["-H", f"Cookie: __Host-session={token}; __Host-csrf={CSRF}"]
    return cookies + (["--data-urlencode", f"csrf_token={CSRF}"] if method == "POST" else [])


def browser(service: ServiceProcess, method: str, path: str, token: str) -> httpx.Response:
    """A page asked straight of a service by a browser: cookies, and the form token."""
    return httpx.request(
        method,
        f"{service.url}{path}",
        cookies={"__Host-session": token, "__Host-csrf": CSRF},
        data={"csrf_token": CSRF} if method == "POST" else None,
        timeout=30,
        follow_redirects=False,
    )


def history_api(admin: Admin, export_id: str) -> list[tuple[str, str]]:
    """Every access-history route of the API: the preview, the download, the export job (its
    start, its progress, its file) and the listing."""
    jobs = f"{admin.history}/exports"
    return [
        ("GET", f"{admin.history}/preview"),
        ("GET", f"{admin.history}.csv"),
        ("POST", jobs),
        ("GET", f"{jobs}/{export_id}"),
        ("GET", f"{jobs}/{export_id}/file"),
        ("GET", f"/v1/realms/{REALM}/orgs/{admin.org_id}/access-records"),
    ]


def history_pages(export_id: str) -> list[tuple[str, str]]:
    """Every access-history page: the screen, its download, the job's start, page and file."""
    jobs = f"/realms/{REALM}/access-history/exports"
    return [
        ("GET", f"/realms/{REALM}/access-history?check=1"),
        ("GET", f"/realms/{REALM}/access-history.csv"),
        ("POST", jobs),
        ("GET", f"{jobs}/{export_id}"),
        ("POST", f"{jobs}/{export_id}/file"),
    ]


def admin_pages(user_id: str) -> list[tuple[str, str]]:
    """Identity's admin pages: the business users, one user, the permission matrix, and the
    forms that change them."""
    user = f"/realms/{REALM}/admin/users/{user_id}"
    return [
        ("GET", f"/realms/{REALM}/admin/users"),
        ("POST", f"/realms/{REALM}/admin/users"),
        ("GET", user),
        ("POST", f"{user}/initialise"),
        ("POST", f"{user}/deactivate"),
        ("POST", f"{user}/profile"),
        ("POST", f"{user}/reset"),
        ("GET", f"{user}/permissions"),
        ("POST", f"{user}/permissions"),
    ]


def start_job(stack: Stack, admin: Admin, token: str) -> str:
    started = direct(stack.audit, "POST", f"{admin.history}/exports", token)
    assert started.status_code == 202, started.text
    return str(started.json()["export_id"])


def assert_otp_required_problem(status: int, body: str, what: str) -> dict[str, Any]:
    assert status == 403, (what, status, body[:300])
    problem: dict[str, Any] = json.loads(body)
    assert (problem["code"], problem["title"]) == ("OTP_REQUIRED", OTP_REQUIRED), what
    return problem


def assert_leads_to_the_otp_entry(answer: httpx.Response, what: str) -> None:
    """A page refused for the OTP: 403, in the seed's words, with the way to the OTP."""
    assert answer.status_code == 403, (what, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html"), (what, answer.text[:300])
    assert OTP_REQUIRED in answer.text, what


async def test_id_otp_05_password_only_the_history_api_answers_otp_required_past_and_at_the_gateway(
    stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    admin = nexi_admin(stack, otp=True)
    with_otp = await verified(stack, mongo, admin, another_session(stack, admin))
    export_id = start_job(stack, admin, with_otp)
    for method, path in history_api(admin, export_id):
        answer = direct(stack.audit, method, path, admin.token)
        problem = assert_otp_required_problem(answer.status_code, answer.text, f"audit {path}")
        assert problem["instance"] == path.split("?")[0], "audit's own refusal"
        status, _, body = through(stack, method, path, *as_bearer(admin.token))
        problem = assert_otp_required_problem(status, body, f"gateway {path}")
        assert "instance" not in problem, "the gateway refused before audit was asked"


async def test_id_otp_05_a_password_only_browser_is_led_to_the_otp_entry_and_back(
    stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    admin = nexi_admin(stack, otp=True)
    export_id = start_job(
        stack, admin, await verified(stack, mongo, admin, another_session(stack, admin))
    )
    for method, path in history_pages(export_id):
        answer = browser(stack.audit, method, path, admin.token)
        assert_leads_to_the_otp_entry(answer, f"audit {path}")
        assert f'href="{OTP_PAGE}"' in answer.text, "a link to the OTP entry"
        status, headers, body = through(stack, method, path, *as_browser(admin.token, method))
        assert (status, headers.get("location")) == (303, OTP_PAGE), (path, status, body[:300])

    status, _, page = through(stack, "GET", OTP_PAGE, *as_browser(admin.token))
    assert status == 200 and OTP_REQUIRED in page, page[:300]
    assert f'action="/realms/{REALM}/otp/issue"' in page, "「ワンタイムパスワードの発行」"
    status, _, entry = through(
        stack, "POST", f"/realms/{REALM}/otp/issue", *as_browser(admin.token, "POST")
    )
    assert status == 200 and "ワンタイムパスワード入力" in entry, entry[:300]
    events = await user_events(mongo, stack.ns, REALM, admin.user_id, "OtpIssued")
    code = opened(events[-1], "sealed_code")
    status, headers, _ = through(
        stack,
        "POST",
        f"/realms/{REALM}/otp/verify",
        *as_browser(admin.token, "POST"),
        "--data-urlencode",
        f"code={code}",
    )
    assert status == 303, headers
    new_token = headers["set-cookie"].split(";")[0].split("=", 1)[1]
    status, _, screen = through(
        stack, "GET", f"/realms/{REALM}/access-history", *as_browser(new_token)
    )
    assert status == 200 and "アクセス履歴出力" in screen, screen[:300]


async def test_id_otp_05_the_otp_verified_in_one_session_opens_the_history_to_that_session_only(
    stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    admin = nexi_admin(stack, otp=True)
    other = another_session(stack, admin)
    with_otp = await verified(stack, mongo, admin, admin.token)

    async def recorded() -> bool:  # the admin's logins, consumed from identity's events
        answer = direct(stack.audit, "GET", f"{admin.history}/preview", with_otp)
        return answer.status_code == 200 and answer.json()["rows"] > 0

    await eventually(recorded, timeout=60)
    status, _, body = through(stack, "GET", f"{admin.history}/preview", *as_bearer(with_otp))
    assert status == 200 and json.loads(body)["rows"] > 0, body
    answer = direct(stack.audit, "GET", f"{admin.history}.csv", with_otp)
    assert answer.status_code == 200 and "WebユーザーID" in answer.content.decode("cp932")
    status, _, body = through(
        stack, "GET", f"{admin.history}.csv?encoding=utf-8", *as_bearer(with_otp)
    )
    assert status == 200, body
    status, _, body = through(stack, "POST", f"{admin.history}/exports", *as_bearer(with_otp))
    assert status == 202, body
    job = f"{admin.history}/exports/{json.loads(body)['export_id']}"
    assert direct(stack.audit, "GET", job, with_otp).status_code == 200
    status, _, body = through(stack, "GET", job, *as_bearer(with_otp))
    assert status == 200, body
    export_id = json.loads(body)["export_id"]
    page = browser(stack.audit, "GET", f"/realms/{REALM}/access-history", with_otp)
    assert page.status_code == 200 and "アクセス履歴出力" in page.text

    for method, path in history_api(admin, export_id):
        answer = direct(stack.audit, method, path, other)
        assert_otp_required_problem(answer.status_code, answer.text, f"other session {path}")
        status, _, refused = through(stack, method, path, *as_bearer(other))
        assert_otp_required_problem(status, refused, f"other session, gateway {path}")


async def test_id_otp_05_an_organisation_without_the_otp_reads_its_history_with_the_password(
    stack: Stack,
) -> None:
    admin = nexi_admin(stack, otp=False)

    async def recorded() -> bool:
        answer = direct(stack.audit, "GET", f"{admin.history}/preview", admin.token)
        return answer.status_code == 200 and answer.json()["rows"] > 0

    await eventually(recorded, timeout=60)
    status, _, body = through(
        stack, "GET", f"{admin.history}.csv?encoding=utf-8", *as_bearer(admin.token)
    )
    assert status == 200, body
    status, _, body = through(stack, "POST", f"{admin.history}/exports", *as_bearer(admin.token))
    assert status == 202, body
    status, _, screen = through(
        stack, "GET", f"/realms/{REALM}/access-history", *as_browser(admin.token)
    )
    assert status == 200 and "アクセス履歴出力" in screen, screen[:300]
    status, _, users = through(
        stack, "GET", f"/realms/{REALM}/admin/users", *as_browser(admin.token)
    )
    assert status == 200 and "業務用IDの管理" in users, users[:300]


async def test_id_otp_05_identity_admin_pages_and_routes_need_the_otp(
    stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    admin = nexi_admin(stack, otp=False)
    created = create_user(stack.identity.url, REALM, admin.org_id, admin.token, None)
    assert created.status_code == 201, created.text
    user_id = created.json()["user_id"]
    switched = direct(
        stack.identity,
        "PUT",
        f"/v1/realms/{REALM}/orgs/{admin.org_id}/otp-policy",
        admin.token,
        json={"enabled": True},
    )
    assert switched.status_code == 200, switched.text
    users_api = f"/v1/realms/{REALM}/orgs/{admin.org_id}/users"
    for method, path in admin_pages(user_id):
        answer = browser(stack.identity, method, path, admin.token)
        assert_leads_to_the_otp_entry(answer, f"identity {path}")
        assert f'action="/realms/{REALM}/otp/issue"' in answer.text, (
            "「ワンタイムパスワードの発行」"
        )
        status, headers, body = through(stack, method, path, *as_browser(admin.token, method))
        assert (status, headers.get("location")) == (303, OTP_PAGE), (path, status, body[:300])
    answer = direct(stack.identity, "GET", users_api, admin.token)
    assert_otp_required_problem(answer.status_code, answer.text, "identity's users API")
    status, _, body = through(stack, "GET", users_api, *as_bearer(admin.token))
    problem = assert_otp_required_problem(status, body, "gateway users API")
    assert "instance" not in problem, "the gateway refused before identity's route was asked"
    status, _, home = through(stack, "GET", f"/realms/{REALM}/home", *as_browser(admin.token))
    assert status == 200 and "ワンタイムパスワードの発行" in home, "the user page is free"

    with_otp = await verified(stack, mongo, admin, admin.token)
    listed = direct(stack.identity, "GET", users_api, with_otp)
    assert listed.status_code == 200, listed.text
    [user] = listed.json()
    assert (user["user_id"], user["status"]) == (user_id, "active"), "the forms changed nothing"
    for path in (f"/realms/{REALM}/admin/users", f"/realms/{REALM}/admin/users/{user_id}"):
        status, _, page = through(stack, "GET", path, *as_browser(with_otp))
        assert status == 200, (path, page[:300])
