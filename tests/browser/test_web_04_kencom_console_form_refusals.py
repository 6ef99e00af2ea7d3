"""kencom's support console forms of enroll (WEB-04: the roster import, the 健診閲覧コード)
against what a stranger sends (X-05, X-12, X-15), through the gateway, no browser: without a
session the gateway sends the browser to the login; with a session that is not kencom's support
desk, a refused page; without the CSRF token, CSRF_CHECK_FAILED; with it, junk in every field
is a page, never a 500 and never a change; an upload waiting for its 確定する is the desk's
alone."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator

import httpx
import pytest
from harness import PROVISIONING_TOKEN, eventually
from identity_client import signed_in
from portal_stack import Portal

pytestmark = pytest.mark.integration

USER = "0" * 32
CONSOLE = "/realms/kencom/support"
FORMS = [
    f"{CONSOLE}/rosters",
    f"{CONSOLE}/rosters/uploads/{USER}/confirm",
    f"{CONSOLE}/rosters/uploads/{USER}/cancel",
    f"{CONSOLE}/rosters/maintenance",
    f"{CONSOLE}/rosters/maintenance/confirm",
    f"{CONSOLE}/checkup-codes",
    f"{CONSOLE}/checkup-codes/{USER}/issue",
    f"{CONSOLE}/checkup-codes/{USER}/unlock",
]
PAGES = [
    f"{CONSOLE}/rosters",
    f"{CONSOLE}/rosters/uploads/{USER}",
    f"{CONSOLE}/rosters/imports/{USER}",
    f"{CONSOLE}/rosters/imports/{USER}/refused.csv",
    f"{CONSOLE}/checkup-codes",
    f"{CONSOLE}/checkup-codes/{USER}",
]
JUNK_TEXT = "ｘ" * 300 + "\x00<script>'\"=1+1"
JUNK = {
    name: JUNK_TEXT
    for name in (
        "insurer_number",
        "encoding",
        "insured_only",
        "dependant_min_age",
        "dependant_max_age",
        "query",
        "confirmed",
        "file",
        "under_maintenance",
    )
}


def client(portal: Portal, session: str | None = None) -> httpx.Client:
    tls = ssl.create_default_context(cafile=str(portal.gateway.trust_file))
    return httpx.Client(
        base_url=portal.url,
        verify=tls,
        timeout=60,
        follow_redirects=False,
        cookies={"__Host-session": session} if session else None,
    )


@pytest.fixture(scope="module")
def desk(portal: Portal) -> str:
    """A session of kencom's support desk, its password changed (through identity's API)."""
    made = portal.support_operator("kencom")
    return signed_in(portal.identity.url, "kencom", made["login_id"], made["initial_password"])


@pytest.fixture(scope="module")
def stranger(portal: Portal) -> str:
    """A session that is no kencom support operator: another realm's organisation admin."""
    org = portal.open_org("demo")
    return signed_in(portal.identity.url, "demo", org["admin_login_id"], org["initial_password"])


@pytest.fixture
def browser(portal: Portal, desk: str) -> Iterator[httpx.Client]:
    with client(portal, desk) as found:
        found.get(f"{CONSOLE}/rosters")
        assert found.cookies.get("__Host-csrf"), "the console's page sets the form token"
        yield found


def roster_of(portal: Portal, insurer: str) -> int:
    answer = httpx.get(
        f"{portal.enroll.url}/v1/realms/kencom/rosters/{insurer}",
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    return answer.status_code


@pytest.mark.parametrize("path", FORMS + PAGES)
def test_gw_02_x_15_the_console_sends_a_stranger_to_the_login_and_refuses_others(
    portal: Portal, stranger: str, path: str
) -> None:
    with client(portal) as nobody:
        answer = nobody.request("POST" if path in FORMS else "GET", path)
    assert (answer.status_code, answer.headers["location"]) == (303, "/realms/kencom/login")
    with client(portal, stranger) as other:
        other.get(f"{CONSOLE}/rosters")
        token = other.cookies.get("__Host-csrf") or ""
        data = {"csrf_token": token}
        refused = other.post(path, data=data) if path in FORMS else other.get(path)
    assert refused.status_code == 403, (path, refused.text[:300])
    assert refused.headers["content-type"].startswith("text/html"), "a page (WEB-04)"


@pytest.mark.parametrize("path", FORMS)
def test_x_12_a_console_form_without_its_token_is_refused(browser: httpx.Client, path: str) -> None:
    answer = browser.post(path, data={"query": "x"})
    assert answer.status_code == 403, (path, answer.text[:300])
    assert "エラーコード：CSRF_CHECK_FAILED" in answer.text


@pytest.mark.parametrize("path", FORMS)
def test_x_05_junk_in_every_console_field_never_answers_500_nor_changes_anything(
    portal: Portal, browser: httpx.Client, path: str
) -> None:
    token = browser.cookies["__Host-csrf"]
    sent = browser.post(path, data=JUNK | {"csrf_token": token})
    assert sent.status_code < 500 and sent.status_code != 303, (path, sent.text[:300])
    assert sent.headers["content-type"].startswith("text/html")
    files = {"file": ("junk.csv", JUNK_TEXT.encode() * 100, "text/csv")}
    multipart = browser.post(path, data=JUNK | {"csrf_token": token}, files=files)
    assert multipart.status_code < 500 and multipart.status_code != 303, path


def test_x_05_x_15_a_held_upload_is_the_desks_alone_and_junk_to_its_confirmation_changes_nothing(
    portal: Portal, browser: httpx.Client, stranger: str
) -> None:
    """An upload waiting for its 確定する: another realm's session is refused its page and its
    buttons; junk ids and junk fields are pages, never a 500; nothing is imported until the
    desk's own 確定する, and 戻る forgets it."""
    token = browser.cookies["__Host-csrf"]
    insurer = "06" + str(uuid.uuid4().int)[:6]
    form = {"csrf_token": token, "insurer_number": insurer, "encoding": "auto"}
    body = "保険者番号,記号,番号,氏名カナ,生年月日,続柄\r\n".encode("cp932")
    held = browser.post(
        f"{CONSOLE}/rosters", data=form, files={"file": ("r.csv", body, "text/csv")}
    )
    assert held.status_code == 303 and "/rosters/uploads/" in held.headers["location"]
    upload = held.headers["location"]
    shown = browser.get(upload)
    assert shown.status_code == 200 and "確定する" in shown.text and insurer in shown.text
    with client(portal, stranger) as other:
        other.get(f"{CONSOLE}/rosters")
        theirs = {"csrf_token": other.cookies.get("__Host-csrf") or ""}
        assert other.get(upload).status_code == 403
        assert other.post(f"{upload}/confirm", data=theirs).status_code == 403
        assert other.post(f"{upload}/cancel", data=theirs).status_code == 403
    for path in (upload + "x", upload[:-1] + "Z", f"{CONSOLE}/rosters/uploads/..%2f.."):
        for action in ("/confirm", "/cancel"):
            for data in (JUNK, JUNK | form):
                sent = browser.post(path + action, data=data)
                assert sent.status_code < 500 and sent.status_code != 303, (path, sent.text[:300])
    for junk in (JUNK, JUNK | form):
        sent = browser.post(f"{upload}/confirm", data=junk | {"csrf_token": "forged"})
        assert sent.status_code == 403, "without its token: nothing"
    assert browser.get(upload).status_code == 200, "still waiting"
    assert roster_of(portal, insurer) == 404, "nothing imported"
    back = browser.post(f"{upload}/cancel", data={"csrf_token": token})
    assert back.status_code == 200 and "名簿は取り込んでいません" in back.text
    assert browser.get(upload).status_code == 404, "forgotten"
    assert browser.post(f"{upload}/confirm", data={"csrf_token": token}).status_code == 404
    assert roster_of(portal, insurer) == 404, "nothing imported"


async def test_x_05_en_07_a_junk_roster_file_is_refused_by_its_job_and_nothing_is_in_force(
    portal: Portal, browser: httpx.Client
) -> None:
    """A file of junk for a well-formed union: the job answers REFUSED with a reason, no roster
    is in force; junk bytes of every kind, and an empty file, alike."""
    token = browser.cookies["__Host-csrf"]
    for body in (b"", b"\x00\xff" * 5000, JUNK_TEXT.encode("utf-8") * 50, b"a,b\r\n1,2\r\n"):
        insurer = "06" + str(uuid.uuid4().int)[:6]
        form = {"csrf_token": token, "insurer_number": insurer, "encoding": "auto"}
        held = browser.post(
            f"{CONSOLE}/rosters", data=form, files={"file": ("r.csv", body, "text/csv")}
        )
        assert held.status_code == 303, held.text[:300]
        assert browser.get(held.headers["location"]).status_code == 200, "the confirmation"
        started = browser.post(f"{held.headers['location']}/confirm", data={"csrf_token": token})
        assert started.status_code == 303, started.text[:300]
        job = started.headers["location"]

        def ended(job: str = job) -> httpx.Response | None:
            page = browser.get(job)
            return None if "data-refresh" in page.text else page

        page = await eventually(ended, timeout=60, interval=0.5)
        assert page.status_code == 200 and "取り込めませんでした" in page.text, page.text[:500]
        assert roster_of(portal, insurer) == 404, "nothing in force"


def test_x_05_en_10_junk_to_the_maintenance_forms_marks_no_union(
    portal: Portal, browser: httpx.Client
) -> None:
    """A union's roster, then junk in the maintenance forms' fields (and its own number with a
    junk state): pages, never a 500, and the union is never marked under maintenance."""
    insurer = "06" + str(uuid.uuid4().int)[:6]
    line = {"symbol": "1", "number": "1", "name_kana": "ア", "birth_date": "1980-01-01"}
    imported = httpx.put(
        f"{portal.enroll.url}/v1/realms/kencom/rosters/{insurer}",
        json={"members": [line | {"relationship": "本人"}]},
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    token = browser.cookies["__Host-csrf"]
    for action in ("", "/confirm"):
        for data in (
            JUNK,
            JUNK | {"insurer_number": insurer},
            {"insurer_number": insurer, "under_maintenance": "ON"},
            {"insurer_number": "06" + "0" * 6, "under_maintenance": "on"},
        ):
            sent = browser.post(
                f"{CONSOLE}/rosters/maintenance{action}", data=data | {"csrf_token": token}
            )
            assert 400 <= sent.status_code < 500, (action, data, sent.text[:300])
            assert sent.headers["content-type"].startswith("text/html")
    found = httpx.get(
        f"{portal.enroll.url}/v1/realms/kencom/rosters/{insurer}",
        headers={"Authorization": f"Bearer {PROVISIONING_TOKEN}"},
        timeout=30,
    )
    assert found.json()["under_maintenance"] is False, "nothing marked"
