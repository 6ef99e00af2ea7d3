"""Reading the session credential the one way every service does (X-12, ID-SESS-01, X-15)."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from servicekit.credentials import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Caller,
    Introspection,
    Refusal,
    refused,
    session_token,
)
from servicekit.problems import Problem, install_problem_handlers


def echo_app() -> TestClient:
    """An app whose routes answer the token the dependency read, or its problem."""
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter()

    @router.get("/token")
    @router.post("/token")
    async def token(found: Annotated[str, Depends(session_token)]) -> dict[str, str]:
        return {"token": found}

    app.include_router(router)
    return TestClient(app, base_url="https://portal.example.jp")


def test_x_12_a_cookie_changes_state_only_with_the_csrf_header() -> None:
    client = echo_app()
    client.cookies.set(SESSION_COOKIE, "from-the-cookie")
    refused = client.post("/token")
    assert (refused.status_code, refused.json()["code"]) == (403, "CSRF_CHECK_FAILED")
    assert refused.json()["title"] == "不正なリクエストです。画面からやり直してください"
    allowed = client.post("/token", headers={CSRF_HEADER: "1"})
    assert allowed.json() == {"token": "from-the-cookie"}
    assert client.get("/token").json() == {"token": "from-the-cookie"}, "reading needs no proof"


def test_x_12_a_bearer_header_wins_over_the_cookie_and_needs_no_csrf_header() -> None:
    client = echo_app()
    client.cookies.set(SESSION_COOKIE, "from-the-cookie")
    answer = client.post("/token", headers={"Authorization": "Bearer from-the-header "})
    assert answer.json() == {"token": "from-the-header"}


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwdw==", "Bearer"])
def test_id_sess_01_no_session_credential_is_session_expired(authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = echo_app().get("/token", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "SESSION_EXPIRED")


@pytest.mark.parametrize("token", ["", "x" * 513, "caf\u00e9", "two words", "line\nbreak"])
async def test_x_15_a_token_no_session_could_have_is_refused_without_asking_identity(
    token: str,
) -> None:
    nowhere = Introspection("http://127.0.0.1:9")  # asking would answer IDENTITY_UNAVAILABLE
    try:
        assert await nowhere.caller(token) is Refusal.NO_SESSION
    finally:
        await nowhere.close()


async def test_id_sess_02_identity_out_of_reach_is_service_unavailable_not_a_refusal() -> None:
    nowhere = Introspection("http://127.0.0.1:9", timeout=2)
    try:
        assert await nowhere.caller("a" * 43) is Refusal.IDENTITY_UNAVAILABLE
        with pytest.raises(Problem) as raised:
            await nowhere.authorise("a" * 43, lambda _: None)
        assert (raised.value.code.name, raised.value.code.status) == ("SERVICE_UNAVAILABLE", 503)
    finally:
        await nowhere.close()


def test_x_15_each_refusal_answers_one_problem_whatever_was_asked() -> None:
    answers = {r: (refused(r).code.name, refused(r).code.status) for r in Refusal}
    assert answers == {
        Refusal.NO_SESSION: ("SESSION_EXPIRED", 401),
        Refusal.LOGIN_INCOMPLETE: ("PASSWORD_CHANGE_REQUIRED", 403),
        Refusal.NOT_PERMITTED: ("FORBIDDEN", 403),
        Refusal.OTP_REQUIRED: ("OTP_REQUIRED", 403),
        Refusal.IDENTITY_UNAVAILABLE: ("SERVICE_UNAVAILABLE", 503),
    }


async def test_id_otp_05_the_caller_says_whether_its_organisation_requires_the_otp() -> None:
    """What a service checks again behind the gateway: identity's ``otp_required`` and
    ``otp_verified``, read from its own introspection of the caller's session."""
    said = {"user_id": "u", "realm": "nexi", "org_id": "o", "role": "admin"}
    said |= {"otp_required": True, "otp_verified": False}
    identity = Introspection("http://identity.test")
    await identity.close()
    identity.client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _: httpx.Response(200, json=said)),
        base_url="http://identity.test",
    )
    try:
        caller = await identity.caller("a" * 43)
    finally:
        await identity.close()
    assert isinstance(caller, Caller)
    assert (caller.otp_required, caller.otp_verified) == (True, False)


def test_x_02_the_provisioning_token_matches_only_itself_and_never_when_unset() -> None:
    from pydantic import SecretStr

    from servicekit.credentials import is_provisioning_token

    assert is_provisioning_token("back-office", SecretStr("back-office"))
    assert not is_provisioning_token("back-offic", SecretStr("back-office"))
    assert not is_provisioning_token("", SecretStr(""))
    assert not is_provisioning_token("anything", SecretStr(""))


def test_id_login_01_the_shared_checks_refuse_an_incomplete_login_first() -> None:
    from domainkit.callers import login_incomplete, realm_support

    def caller(realm: str, role: str, restricted: bool) -> Caller:
        return Caller(user_id="u", realm=realm, org_id=None, role=role, restricted=restricted)

    assert login_incomplete(caller("nexi", "admin", True)) is Refusal.LOGIN_INCOMPLETE
    assert login_incomplete(caller("nexi", "admin", False)) is None
    assert realm_support(caller("nexi", "support", True), "nexi") is Refusal.LOGIN_INCOMPLETE
    assert realm_support(caller("nexi", "support", False), "nexi") is None
    assert realm_support(caller("demo", "support", False), "nexi") is Refusal.NOT_PERMITTED
    assert realm_support(caller("nexi", "admin", False), "nexi") is Refusal.NOT_PERMITTED
