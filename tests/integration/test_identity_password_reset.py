"""ID-PW-08 end to end: kencom's 「パスワードを忘れた方はこちら」 mails a reset link through Kafka
and notify to Mailpit; the link's page sets a new password once (X-11), within one hour of an
injected clock (X-04), and every session of the member ends (ID-SESS-03); an unknown address
gets the same answer, after the same database work, and no mail. Identity runs in this process
(its clock moved, its commands counted), notify as a process on the same topics."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import altcha
import httpx
import pytest
from counted_identity import CountedIdentity, counted_identity, opened
from harness import Infra, Namespace, eventually
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY

from services.identity.domain.realms import PRESETS

pytestmark = pytest.mark.integration

REALM = "kencom"
PASSWORD = "Kaisha-Pass-2026"
NEW_PASSWORD = "Mori-Kaze-2027"
RESETS = f"/v1/realms/{REALM}/password-resets"


async def solved(identity: CountedIdentity) -> str:
    """Every kencom login passes the bot defence's challenge (ID-BOT-01), solved as the page's
    widget solves it."""
    answer = await identity.client.get(f"/v1/realms/{REALM}/login/challenge")
    made = altcha.Challenge.from_dict(answer.json())
    solution = altcha.solve_challenge(made)
    assert solution is not None
    return str(altcha.Payload(made, solution).to_base64())


async def log_in(identity: CountedIdentity, login_id: str, password: str) -> httpx.Response:
    body = {"login_id": login_id, "password": password, "challenge": await solved(identity)}
    return await identity.client.post(f"/v1/realms/{REALM}/login", json=body)


async def signed_in(identity: CountedIdentity, login_id: str, initial: str) -> str:
    """The first login and its forced change: a full session, under the id the change gave it."""
    login = await log_in(identity, login_id, initial)
    assert login.status_code == 200, login.text
    changed = await identity.client.post(
        f"/v1/realms/{REALM}/password",
        json={"current_password": initial, "new_password": PASSWORD},
        headers={"Authorization": f"Bearer {login.cookies['__Host-session']}"},
    )
    assert changed.status_code == 204, changed.text
    return str(changed.cookies["__Host-session"])


async def support_desk(identity: CountedIdentity) -> tuple[str, str]:
    """kencom's support desk (its login ID is an address too) and its session."""
    made = await identity.app.state.identity.users.create_support_operator(
        PRESETS[REALM], new_address("desk")
    )
    return made.login_id, await signed_in(identity, made.login_id, made.initial_password)


async def member(identity: CountedIdentity, desk_session: str) -> tuple[str, str, str]:
    """A member the desk registered, signed in: its user id, login ID (its address) and
    session."""
    login_id = new_address("member")
    registered = await identity.client.post(
        f"/v1/realms/{REALM}/members",
        json={"login_id": login_id, "profile": {"email": login_id}},
        headers={"Authorization": f"Bearer {desk_session}"},
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]
    [issued] = await identity.events(f"user:{REALM}:{user_id}", "InitialPasswordIssued")
    return user_id, login_id, await signed_in(identity, login_id, opened(issued, "sealed_password"))


def asked(identity: CountedIdentity, email: str) -> Any:
    return identity.client.post(
        f"/v1/realms/{REALM}/password-reset-requests", json={"email": email}
    )


async def alive(identity: CountedIdentity, session: str) -> bool:
    answer = await identity.client.get(
        "/v1/sessions/current", headers={"Authorization": f"Bearer {session}"}
    )
    return answer.status_code == 200


async def test_id_pw_08_nt_01_the_mailed_link_sets_the_password_once_and_ends_every_session(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch, services: Any
) -> None:
    services("notify", notify_private_key=PRIVATE_KEY)
    async with counted_identity(infra, ns, monkeypatch) as identity:
        _, desk = await support_desk(identity)
        user_id, login_id, first = await member(identity, desk)
        second = str((await log_in(identity, login_id, PASSWORD)).cookies["__Host-session"])
        answer = await asked(identity, login_id.upper().replace("@EXAMPLE.JP", "@example.jp"))
        assert answer.status_code == 202, answer.text

        def reset_mail() -> list[Any] | None:
            found = [
                m
                for m in Mailpit(infra.mailpit_url).mails_to(login_id)
                if m["Subject"] == "【kencom】パスワード再設定のご案内"
            ]
            return found or None

        [mail] = await eventually(reset_mail, timeout=60)
        body = mail.get_body(("plain",))
        assert body is not None
        [link] = re.findall(r"https://\S+/password-reset\?token=\S+", str(body.get_content()))
        assert link.startswith(f"https://kencom.example.jp/realms/{REALM}/password-reset?token=")
        page = f"{urlsplit(link).path}?{urlsplit(link).query}"
        token = urlsplit(link).query.removeprefix("token=")
        events = await identity.events(f"user:{REALM}:{user_id}")
        assert token not in json.dumps(events), "the link travels only sealed (X-02)"

        for _ in range(2):  # a mail scanner's GET uses nothing up
            opened_page = await identity.client.get(page)
            assert opened_page.status_code == 200 and "新しいパスワード" in opened_page.text
        body_ = {"token": token, "new_password": NEW_PASSWORD}
        answers = await asyncio.gather(
            *(identity.client.post(RESETS, json=body_) for _ in range(4))
        )
        assert sorted(a.status_code for a in answers) == [204, 404, 404, 404], "once (X-11)"
        assert not await alive(identity, first) and not await alive(identity, second)
        assert (await log_in(identity, login_id, PASSWORD)).status_code == 401
        assert (await log_in(identity, login_id, NEW_PASSWORD)).status_code == 200
        changed = await identity.events(f"user:{REALM}:{user_id}", "PasswordChanged")
        assert changed[-1]["method"] == "reset_link"


async def test_id_pw_08_x_04_the_link_expires_one_hour_after_it_was_mailed(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with counted_identity(infra, ns, monkeypatch) as identity:
        _, desk = await support_desk(identity)
        user_id, login_id, _ = await member(identity, desk)
        assert (await asked(identity, login_id)).status_code == 202
        [issued] = await identity.events(f"user:{REALM}:{user_id}", "EmailLinkIssued")
        assert issued["purpose"] == "password_reset"
        page = opened(issued, "sealed_link")
        token = page.rpartition("token=")[2]

        identity.clock.advance(timedelta(minutes=59))
        assert (await identity.client.get(page)).status_code == 200
        identity.clock.advance(timedelta(minutes=1))
        expired = await identity.client.get(page)
        assert expired.status_code == 410 and "有効期限が切れています" in expired.text
        refused = await identity.client.post(
            RESETS, json={"token": token, "new_password": NEW_PASSWORD}
        )
        assert (refused.status_code, refused.json()["code"]) == (410, "LINK_EXPIRED")
        too_weak = await identity.client.post(
            RESETS, json={"token": token, "new_password": "abc12345"}
        )
        assert too_weak.status_code == 410, "an expired link is told before the password"


async def test_id_pw_02_the_new_password_follows_kencoms_policy_and_keeps_the_link(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with counted_identity(infra, ns, monkeypatch) as identity:
        _, desk = await support_desk(identity)
        user_id, login_id, _ = await member(identity, desk)
        await asked(identity, login_id)
        [issued] = await identity.events(f"user:{REALM}:{user_id}", "EmailLinkIssued")
        token = opened(issued, "sealed_link").rpartition("token=")[2]
        for weak in ("short", "abcdefghijk", "Kaisha-123-x", "x" * 21, login_id):
            refused = await identity.client.post(
                RESETS, json={"token": token, "new_password": weak}
            )
            assert (refused.status_code, refused.json()["code"]) == (422, "PASSWORD_POLICY"), weak
        ok = await identity.client.post(RESETS, json={"token": token, "new_password": NEW_PASSWORD})
        assert ok.status_code == 204, "a refused password leaves the link usable"


async def test_id_pw_08_an_unknown_address_is_answered_alike_after_the_same_work_and_mailed_nothing(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch, services: Any
) -> None:
    services("notify", notify_private_key=PRIVATE_KEY)
    async with counted_identity(infra, ns, monkeypatch) as identity:
        desk_id, desk = await support_desk(identity)
        user_id, login_id, _ = await member(identity, desk)
        unknown = new_address("nobody")
        cases = {
            "an unknown address": unknown,
            "the same unknown address again": unknown,
            "the support desk's address (members only)": desk_id,
            "a member's address": login_id,
        }
        seen: dict[str, list[str]] = {}
        answers = set()
        for case, email in cases.items():
            seen[case], answer = await identity.commands_of(partial(asked, identity, email))
            answers.add((answer.status_code, answer.content))
        assert len(answers) == 1 and next(iter(answers))[0] == 202, answers
        assert all(commands == seen["an unknown address"] for commands in seen.values()), seen
        assert "insert commits" in seen["an unknown address"], "a version every time"

        declined = await identity.all_events("PasswordResetDeclined")
        assert sorted(d["reason"] for d in declined) == [
            "not_offered",
            "unknown_login_id",
            "unknown_login_id",
        ]
        links = await identity.all_events("EmailLinkIssued")
        assert [e["subject_id"] for e in links if e["purpose"] == "password_reset"] == [user_id]
        mails = Mailpit(infra.mailpit_url)
        await eventually(
            lambda: [m for m in mails.mails_to(login_id) if "再設定" in m["Subject"]] or None,
            timeout=60,
        )
        assert mails.mails_to(unknown) == [], "nothing to an address nobody registered"
