"""kihonet's support console forms against what a stranger sends (X-05, X-12, X-15, WEB-04),
through the gateway's kihonet server with a client certificate of the certs CA, no browser:
without the CSRF token every form answers 403 CSRF_CHECK_FAILED; with it, junk in every field
is a page, never a 500, and changes nothing (the holder's notices and certificate stay as they
were); the console's pages refuse everyone but kihonet's support desk, as pages."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kihonet_desk import (
    REALM,
    ClientCertificate,
    issued,
    kihonet_client,
    support_operator,
    support_session,
)
from portal_stack import Portal

pytestmark = pytest.mark.integration

SUPPORT = f"/realms/{REALM}/support"
FIELDS = ("kihonet_code", "management_number", "user_id", "issued_on", "reason", "by", "q")
#: Junk of every kind a form field may meet: too long, control characters, markup, full-width
#: digits, dates that are none, an enum's value with a tail.
JUNK = [
    "ｘ" * 300 + "\x00<script>",
    "\x00",
    "<script>alert(1)</script>",
    "１２３４５６７８",
    "0000-00-00",
    "2026-02-30",
    "pc_change\x00",
    "key_compromise ",
    "' OR 1=1 --",
    "",
]


@pytest.fixture(scope="module")
def holder(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> ClientCertificate:
    """A holder with a notice and a valid certificate, which no junk may change; its
    certificate is also the PC's that the clients present."""
    return issued(portal, tmp_path_factory.mktemp("junk-holder"))


@pytest.fixture(scope="module")
def session(portal: Portal, holder: ClientCertificate) -> str:
    return support_session(portal, holder, support_operator(portal))


@pytest.fixture
def desk(portal: Portal, holder: ClientCertificate, session: str) -> Iterator[httpx.Client]:
    with kihonet_client(portal, holder, session) as client:
        yield client


def forms(holder: ClientCertificate) -> list[str]:
    revoke = f"{SUPPORT}/holders/{holder.fields['user_id']}/certificates/{holder.serial}/revoke"
    return [f"{SUPPORT}/notices/confirm", f"{SUPPORT}/notices", f"{revoke}/confirm", revoke]


def token_of(client: httpx.Client) -> str:
    client.get(f"{SUPPORT}/notices")
    token = client.cookies.get("__Host-csrf")
    assert token, "every page sets the form token"
    return str(token)


def as_it_was(desk: httpx.Client, holder: ClientCertificate) -> None:
    page = desk.get(f"{SUPPORT}/holders/{holder.fields['user_id']}")
    assert page.status_code == 200, page.text
    assert 'data-standing="valid"' in page.text and 'data-standing="revoked"' not in page.text
    assert page.text.count('<tr><th scope="row">0') == 1, "one notice, 001, as before"


def test_x_12_a_support_form_without_its_token_is_refused(
    desk: httpx.Client, holder: ClientCertificate
) -> None:
    for path in forms(holder):
        answer = desk.post(path, data={"reason": "key_compromise"})
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html"), "a page (WEB-04)"
        assert "エラーコード：CSRF_CHECK_FAILED" in answer.text, (path, answer.text)
    as_it_was(desk, holder)


def test_x_05_junk_to_every_support_form_never_answers_500_nor_changes_anything(
    desk: httpx.Client, holder: ClientCertificate
) -> None:
    token = token_of(desk)
    for path in forms(holder):
        for junk in JUNK:
            data = dict.fromkeys(FIELDS, junk) | {"csrf_token": token}
            answer = desk.post(path, data=data)
            assert answer.status_code < 500, (path, junk, answer.status_code, answer.text[:300])
            assert answer.status_code != 201, (path, junk, "nothing is recorded")
            # A holder's own user ID with junk in the rest records nothing either.
            answer = desk.post(path, data=data | {"user_id": holder.fields["user_id"]})
            assert answer.status_code < 500 and answer.status_code != 201, (path, junk)
    for junk in JUNK:
        for path in (f"{SUPPORT}/holders", f"{SUPPORT}/notices", forms(holder)[3]):
            answer = desk.get(path, params=dict.fromkeys(FIELDS, junk))
            assert answer.status_code < 500, (path, junk, answer.status_code)
    for path in (f"{SUPPORT}/holders/%00%3Cx%3E", f"{SUPPORT}/holders/ZZZZZZZ/certificates/X"):
        assert desk.get(path).status_code < 500
    as_it_was(desk, holder)


def test_gw_03_x_15_the_support_pages_refuse_everyone_but_kihonets_support_desk(
    portal: Portal, holder: ClientCertificate, tmp_path: Path
) -> None:
    paths = [f"{SUPPORT}/notices", f"{SUPPORT}/holders", f"{SUPPORT}/holders/A000000"]
    # The portals' server: kihonet needs a client certificate (GW-03), told on a page.
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    for path in paths:
        answer = httpx.get(f"{portal.url}{path}", verify=tls, timeout=30)
        assert answer.status_code == 403, answer.text
        assert "CLIENT_CERTIFICATE_REQUIRED" in answer.text
    # kihonet's server without a session: to the login, by the gateway (GW-02).
    with kihonet_client(portal, holder) as stranger:
        for path in paths:
            answer = stranger.get(path)
            assert answer.status_code == 303, (path, answer.text)
            assert answer.headers["location"] == f"/realms/{REALM}/login"
    # Certs itself, asked without the gateway: a page sending the browser to the login; a
    # session that is no session is the same; never JSON, never the holder.
    for session in (None, "x" * 43):
        cookies = {"__Host-session": session} if session else None
        answer = httpx.get(f"{portal.certs.url}{paths[2]}", cookies=cookies, timeout=30)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/realms/{REALM}/login"
