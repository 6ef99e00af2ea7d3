"""The pages' forms against what a stranger sends (X-05, X-12), through the gateway, no
browser: without the CSRF token every state-changing form answers 403 CSRF_CHECK_FAILED, and
with it, junk in every field is a page or a problem, never a 500."""

from __future__ import annotations

import ssl

import httpx
import pytest
from portal_stack import Portal

pytestmark = pytest.mark.integration

#: Every state-changing page form, by realm (the ids in paths are well-formed but unknown).
USER = "0" * 32
FORMS = [
    ("demo", "/realms/demo/login"),
    ("demo", "/realms/demo/password-change"),
    ("demo", "/realms/demo/logout"),
    ("demo", "/realms/demo/forgotten-password"),
    ("demo", "/realms/demo/account/login-id"),
    ("demo", "/realms/demo/account/phone"),
    ("demo", "/realms/demo/account/email"),
    ("demo", "/realms/demo/admin/users"),
    ("demo", f"/realms/demo/admin/users/{USER}/initialise"),
    ("demo", f"/realms/demo/admin/users/{USER}/anything"),
    ("demo", f"/realms/demo/admin/users/{USER}/profile"),
    ("demo", f"/realms/demo/admin/users/{USER}/password"),
    ("nexi", f"/realms/nexi/admin/users/{USER}/reset"),
    ("nexi", f"/realms/nexi/admin/users/{USER}/permissions"),
    ("nexi", "/realms/nexi/admin/otp-policy"),
    ("nexi", "/realms/nexi/otp/issue"),
    ("nexi", "/realms/nexi/otp/verify"),
    ("dantai-net", "/realms/dantai-net/login/auth-email"),
    ("dantai-net", "/realms/dantai-net/login/reissue"),
    ("dantai-net", "/realms/dantai-net/login/complete"),
    ("dantai-net", "/realms/dantai-net/login-link"),
    ("dantai-net", "/realms/dantai-net/auth-email/confirm"),
    ("nexi", "/realms/nexi/email-change/confirm"),
    ("kencom", "/realms/kencom/activate"),
    ("kencom", "/realms/kencom/signup"),
    ("kencom", "/realms/kencom/signup/resend"),
    ("kencom", "/realms/kencom/checkup/code"),
    ("kencom", "/realms/kencom/checkup/question"),
    ("kencom", "/realms/kencom/checkup/answer"),
    ("kihonet", "/realms/kihonet/certificate-issue"),
    ("kihonet", "/realms/kihonet/certificate-status"),
]
JUNK = {
    name: "ｘ" * 300 + "\x00<script>"
    for name in (
        "login_id",
        "password",
        "current_password",
        "new_password",
        "new_password_again",
        "email",
        "email_confirmation",
        "new_email",
        "phone",
        "code",
        "answer",
        "question_id",
        "name",
        "department",
        "input_right",
        "contract_scope",
        "application_scope",
        "rider_codes",
        "kihonet_code",
        "management_number",
        "user_id",
        "year",
        "branch_number",
        "password_again",
        "signup_ref",
        "enabled",
        "remember_id",
        "altcha",
        "token",
    )
}


def client(portal: Portal) -> httpx.Client:
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    return httpx.Client(base_url=portal.url, verify=tls, timeout=30, follow_redirects=False)


@pytest.mark.parametrize(("realm", "path"), FORMS)
def test_x_12_a_form_without_its_token_is_refused(portal: Portal, realm: str, path: str) -> None:
    with client(portal) as browser:
        answer = browser.post(path, data={"login_id": "x"})
    assert answer.status_code == 403, (realm, path, answer.text)
    assert answer.json()["code"] == "CSRF_CHECK_FAILED"


@pytest.mark.parametrize(("realm", "path"), FORMS)
def test_x_05_junk_in_every_field_never_answers_500(portal: Portal, realm: str, path: str) -> None:
    with client(portal) as browser:
        browser.get(f"/realms/{realm}/login" if realm != "kihonet" else path)
        token = browser.cookies.get("__Host-csrf")
        assert token, "every page sets the form token"
        answer = browser.post(path, data=JUNK | {"csrf_token": token})
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])


@pytest.mark.parametrize(
    "path",
    [
        "/realms/demo/ops/dashboard",
        "/realms/demo/ops/dashboard/events",
        "/realms/demo/access-history",
        "/realms/demo/access-history.csv",
    ],
)
def test_gw_02_x_15_audits_pages_need_a_session_at_the_gateway(portal: Portal, path: str) -> None:
    """Operator data: the gateway's auth_request refuses a stranger before audit is asked."""
    with client(portal) as browser:
        answer = browser.get(path)
    assert answer.status_code == 401, (path, answer.text)
    assert answer.json()["code"] == "SESSION_EXPIRED"
