"""The pages' forms against what a stranger sends (X-05, X-12), through the gateway, no
browser: without the CSRF token every state-changing form answers 403 CSRF_CHECK_FAILED, and
with it, junk in every field is a page or a problem, never a 500. The admin's forms are behind
the gateway's auth_request (ID-OTP-05), so they are sent with an admin's session; a browser
without one is sent to the login by the gateway before any form is read."""

from __future__ import annotations

import itertools
import random
import re
import ssl
import uuid

import httpx
import pytest
from harness import PROVISIONING_TOKEN
from portal_stack import Portal

pytestmark = pytest.mark.integration

#: Every state-changing page form, by realm (the ids in paths are well-formed but unknown).
USER = "0" * 32
PASSWORD = "Kaisha-Pass-2026"
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
    ("nexi", "/realms/nexi/profile/change"),
    ("dantai-net", "/realms/dantai-net/login/auth-email"),
    ("dantai-net", "/realms/dantai-net/login/reissue"),
    ("dantai-net", "/realms/dantai-net/login/complete"),
    ("dantai-net", "/realms/dantai-net/login-link"),
    ("dantai-net", "/realms/dantai-net/auth-email/confirm"),
    ("nexi", "/realms/nexi/email-change/confirm"),
    ("kencom", "/realms/kencom/activate"),
    ("kencom", "/realms/kencom/signup"),
    ("kencom", "/realms/kencom/signup/send"),
    ("kencom", "/realms/kencom/signup/back"),
    ("kencom", "/realms/kencom/signup/resend"),
    ("kencom", "/realms/kencom/checkup/code"),
    ("kencom", "/realms/kencom/checkup/question"),
    ("kencom", "/realms/kencom/checkup/answer"),
    ("kihonet", "/realms/kihonet/certificate-issue/confirm"),
    ("kihonet", "/realms/kihonet/certificate-issue/edit"),
    ("kencom", "/realms/kencom/password-reset-request"),
    ("kencom", "/realms/kencom/password-reset"),
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
        "title",
        "step",
        "input_right",
        "contract_scope",
        "application_scope",
        "rider_codes",
        "kihonet_code",
        "management_number",
        "user_id",
        "year",
        "branch_number",
        "confirmed",
        "password_again",
        "signup_ref",
        "enabled",
        "remember_id",
        "altcha",
        "token",
        "key",
        "draft",
        "invitation_code",
        "group_link_code",
        "accept_terms",
        "accept_privacy",
        "terms_version",
        "privacy_version",
    )
}


#: kihonet's page that sets the form token (its forms' own paths answer only a POST).
KIHONET_FORM = "/realms/kihonet/certificate-status"

#: Each client comes from an address of its own on loopback: these tests post dozens of
#: credential forms, which the gateway limits per address (GW-04, ID-LOCK-05).
ADDRESSES = (f"127.77.{n // 200}.{n % 200 + 2}" for n in itertools.count())


def client(portal: Portal, session: str | None = None) -> httpx.Client:
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    cookies = {"__Host-session": session} if session else None
    transport = httpx.HTTPTransport(verify=tls, local_address=next(ADDRESSES))
    return httpx.Client(
        base_url=portal.url,
        transport=transport,
        timeout=30,
        follow_redirects=False,
        cookies=cookies,
    )


@pytest.fixture(scope="module")
def admins(portal: Portal) -> dict[str, str]:
    """A session of an organisation's admin (no OTP required) per realm whose admin forms are
    listed, logged in and changed through the gateway's API."""
    sessions: dict[str, str] = {}
    for realm in ("demo", "nexi"):
        login_id = str(random.randrange(10**10, 10**11)) + "0" if realm == "nexi" else None
        nexi = {"login_id": login_id, "profile": {"email": "soumu@example.jp"}}
        org = portal.open_org(realm, **(nexi if login_id else {}))
        with client(portal) as api:
            login = {"login_id": org["admin_login_id"], "password": org["initial_password"]}
            token = api.post(f"/v1/realms/{realm}/login", json=login).cookies["__Host-session"]
            change = {"current_password": org["initial_password"], "new_password": PASSWORD}
            changed = api.post(
                f"/v1/realms/{realm}/password",
                json=change,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert changed.status_code == 204, changed.text
        sessions[realm] = changed.cookies["__Host-session"]  # rotated (ID-SESS-03)
    return sessions


def session_for(admins: dict[str, str], realm: str, path: str) -> str | None:
    """The admin's session for the admin's forms (its own profile's too); none for the rest."""
    admin_form = f"/realms/{realm}/admin/" in path or path.endswith("/profile/change")
    return admins[realm] if admin_form else None


@pytest.mark.parametrize(("realm", "path"), FORMS)
def test_x_12_a_form_without_its_token_is_refused(
    portal: Portal, admins: dict[str, str], realm: str, path: str
) -> None:
    with client(portal, session_for(admins, realm, path)) as browser:
        answer = browser.post(path, data={"login_id": "x"})
    assert answer.status_code == 403, (realm, path, answer.text)
    assert answer.headers["content-type"].startswith("text/html"), "a page's refusal (WEB-04)"
    assert "エラーコード：CSRF_CHECK_FAILED" in answer.text, (realm, path, answer.text)


@pytest.mark.parametrize(("realm", "path"), FORMS)
def test_x_05_junk_in_every_field_never_answers_500(
    portal: Portal, admins: dict[str, str], realm: str, path: str
) -> None:
    with client(portal, session_for(admins, realm, path)) as browser:
        browser.get(f"/realms/{realm}/login" if realm != "kihonet" else KIHONET_FORM)
        token = browser.cookies.get("__Host-csrf")
        assert token, "every page sets the form token"
        answer = browser.post(path, data=JUNK | {"csrf_token": token})
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])


def test_ct_12_junk_posted_to_the_issue_confirmation_issues_nothing(portal: Portal) -> None:
    """The confirmation's 証明書を発行する with a real notice's fields and junk where the page
    puts its key or the password: a page, never a 500, and the notice still unused (the API
    then issues with it)."""
    fields = {
        "kihonet_code": str(random.randrange(10**7, 10**8)),
        "management_number": f"JK{random.randrange(10**7, 10**8)}",
        "user_id": f"J{random.randrange(10**5, 10**6)}",
    }
    notice = portal.call("POST", "/v1/realms/kihonet/notices", PROVISIONING_TOKEN, json=fields)
    assert notice.status_code == 201, notice.text
    typed = fields | {
        "year": str(notice.json()["year"]),
        "branch_number": notice.json()["branch_number"],
        "email": "junk-check@example.jp",
    }
    good = {"key": "k" * 22, "password": PASSWORD, "password_again": PASSWORD}
    junk = "ｘ" * 300 + "\x00<script>"
    sent = [
        good | {"key": junk},
        good | {"key": ""},
        good | {"key": "k" * 15},
        good | {"password": junk, "password_again": junk},
        good | {"password": "short", "password_again": "short"},
        good | {"password_again": junk},
        {"key": good["key"]},
    ]
    posts = [("", typed | extra) for extra in sent]
    posts += [(path, typed | {"email": junk}) for path in ("/confirm", "/edit")]
    for path, form in posts:
        with client(portal) as browser:  # an address each: the form's limit (GW-04)
            browser.get(KIHONET_FORM)
            token = browser.cookies.get("__Host-csrf")
            assert token
            answer = browser.post(
                f"/realms/kihonet/certificate-issue{path}", data=form | {"csrf_token": token}
            )
        assert 400 <= answer.status_code < 500 or path == "/edit", (path, form, answer.text[:300])
        assert answer.status_code < 500
    issued = portal.call(
        "POST",
        "/v1/realms/kihonet/certificates/pkcs12",
        PROVISIONING_TOKEN,
        json=typed | {"password": PASSWORD},
    )
    assert issued.status_code == 201, "nothing used the notice before: " + issued.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/realms/demo/ops/dashboard"),
        ("GET", "/realms/demo/ops/dashboard/events"),
        ("GET", "/realms/demo/access-history"),
        ("GET", "/realms/demo/access-history.csv"),
        ("GET", "/realms/demo/admin/users"),
        ("POST", "/realms/demo/admin/users"),
        ("POST", "/realms/nexi/admin/otp-policy"),
        ("GET", "/realms/nexi/profile/change"),
        ("POST", "/realms/nexi/profile/change"),
    ],
)
def test_gw_02_x_15_pages_behind_the_gateway_send_a_stranger_to_the_login(
    portal: Portal, method: str, path: str
) -> None:
    """Operator data and the admin's pages: the gateway's auth_request refuses a stranger
    before the service is asked (nginx's own 303, not the service's), sending the browser to
    the realm's login page as the service's page would, never a JSON answer."""
    with client(portal) as browser:
        answer = browser.request(method, path)
    assert answer.status_code == 303, (path, answer.text)
    assert answer.headers["location"] == f"/realms/{path.split('/')[2]}/login"
    assert "303 See Other" in answer.text, "nginx answered, the service was not asked"
    with client(portal) as api:
        refused = api.get("/v1/realms/demo/orgs/0123/access-history/preview")
    assert (refused.status_code, refused.json()["code"]) == (401, "SESSION_EXPIRED")


def test_web_05_x_05_the_admins_business_id_form_creates_only_from_its_confirmation_and_once(
    portal: Portal, admins: dict[str, str]
) -> None:
    """業務用IDの作成 (ID-USER-01) asks 確認する first; 確定する without the confirmation's
    key, or with junk in it, creates nothing; the same confirmation posted twice (a double
    click, a reload) creates one user, the initial password shown on the first answer only."""
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    page = "/realms/demo/admin/users"
    typed = {"login_id": login_id, "name": "日本 太郎"}
    with client(portal, admins["demo"]) as browser:
        browser.get(page)
        token = {"csrf_token": browser.cookies["__Host-csrf"]}
        for key in ({}, {"key": "ｘ" * 300 + "\x00<script>"}, {"key": "short"}):
            refused = browser.post(page, data=typed | token | {"step": "commit"} | key)
            assert refused.status_code == 422, (key, refused.text[:300])
            assert "確認画面からやり直してください" in refused.text
        junk = browser.post(page, data=JUNK | token | {"step": "commit", "key": "ｘ" * 401})
        assert 400 <= junk.status_code < 500, junk.text[:300]
        assert f">{login_id}<" not in browser.get(page).text, "nothing created"

        asked = browser.post(page, data=typed | token | {"step": "confirm"})
        assert asked.status_code == 200 and "業務用IDの作成（確認）" in asked.text
        assert f">{login_id}<" not in browser.get(page).text, "nothing created before 確定する"
        found = re.search(r'name="key" value="([A-Za-z0-9_-]+)"', asked.text)
        assert found, "the confirmation carries its idempotency key"
        commit = typed | token | {"step": "commit", "key": found[1]}
        first, second = browser.post(page, data=commit), browser.post(page, data=commit)
    assert first.status_code == 200 and 'id="created-password"' in first.text
    assert second.status_code == 200 and "作成済みです" in second.text
    assert 'id="created-password"' not in second.text, "the password shown once"
    assert second.text.count(f">{login_id}</a>") == 1, "one user, listed once"


def test_web_05_x_05_the_admins_own_profile_changes_only_at_its_confirmation(
    portal: Portal, admins: dict[str, str]
) -> None:
    """Webユーザー（管理者）情報変更 (ID-USER-12): junk at every step is a page, never a 500 and
    never a change; 確認する changes nothing; a new e-mail without the current password is
    refused at 確定する and changes nothing either."""
    page = "/realms/nexi/profile/change"

    def post(form: dict[str, str]) -> httpx.Response:
        with client(portal, admins["nexi"]) as browser:  # an address each (GW-04)
            browser.get(page)
            return browser.post(page, data=form | {"csrf_token": browser.cookies["__Host-csrf"]})

    def profile() -> dict[str, str | None]:
        with client(portal, admins["nexi"]) as api:
            found: dict[str, str | None] = api.get("/v1/realms/nexi/me").json()["profile"]
        return found

    before = profile()
    for step in ("", "confirm", "edit", "commit", "ｘ" * 30):
        junk = post(JUNK | {"step": step})
        assert junk.status_code < 500, (step, junk.text[:300])
    typed = {"name": "変更 太郎", "email": str(before["email"]), "step": "confirm"}
    asked = post(typed)
    assert asked.status_code == 200 and "確定する" in asked.text
    assert 'id="current_password"' not in asked.text, "the same e-mail: no password asked"
    refused = post(typed | {"email": "moved@example.jp", "step": "commit"})
    assert refused.status_code == 422 and "現在のパスワードが必要です" in refused.text
    assert profile() == before, "nothing changed"
