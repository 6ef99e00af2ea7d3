"""ID-PW-05: a temporary password by mail, sealed to notify, single use, forcing a change, at
most three an hour; the request, like the hint's (ID-PW-04), costs the same whoever it names."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import httpx
import pytest
from counted_identity import CountedIdentity, counted_identity, new_id, opened
from harness import PROVISIONING, Infra, Namespace, ServiceProcess, eventually
from identity_client import NEW_PASSWORD, user_events
from identity_client import opened as opened_by_tests
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

#: A temporary password as the mail writes it.
MAILED = re.compile(r"仮パスワード：(\S+)")


def admin_with_email(proc: ServiceProcess, email: str) -> dict[str, Any]:
    r = httpx.post(
        f"{proc.url}/v1/realms/demo/orgs",
        headers=PROVISIONING,
        json={
            "name": "テスト団体",
            "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}", "profile": {"email": email}},
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def ask(proc: ServiceProcess, login_id: str, email: str) -> httpx.Response:
    return httpx.post(
        f"{proc.url}/v1/realms/demo/temporary-password", json={"login_id": login_id, "email": email}
    )


def log_in(proc: ServiceProcess, login_id: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{proc.url}/v1/realms/demo/login", json={"login_id": login_id, "password": password}
    )


async def test_id_pw_05_the_answer_is_the_same_whether_or_not_id_and_email_match(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    org = admin_with_email(proc, "admin@example.jp")
    answers = [
        ask(proc, org["admin_login_id"], "admin@example.jp"),
        ask(proc, org["admin_login_id"], "someone@example.jp"),
        ask(proc, f"XA3{uuid.uuid4().hex[:8]}", "admin@example.jp"),
    ]
    assert {(a.status_code, a.content) for a in answers} == {
        (answers[0].status_code, answers[0].content)
    }
    assert answers[0].status_code == 202
    assert (
        len(await user_events(mongo, ns, "demo", org["admin_user_id"], "TemporaryPasswordIssued"))
        == 1
    ), "only the matching pair mails"


async def test_id_pw_05_x_02_the_temporary_password_is_sealed_works_once_and_forces_a_change(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    org = admin_with_email(proc, "kanri@example.jp")
    assert ask(proc, org["admin_login_id"], "kanri@example.jp").status_code == 202
    [event] = await user_events(mongo, ns, "demo", org["admin_user_id"], "TemporaryPasswordIssued")
    assert event["recipient_email"] == "kanri@example.jp"
    temporary = opened_by_tests(event, "sealed_password")
    assert temporary not in json.dumps(event), "only sealed on the bus"

    first = log_in(proc, org["admin_login_id"], temporary)
    assert first.status_code == 200
    assert first.json()["password_change_required"] is True
    again = log_in(proc, org["admin_login_id"], temporary)
    assert (again.status_code, again.json()["code"]) == (401, "INVALID_CREDENTIALS"), "works once"
    assert log_in(proc, org["admin_login_id"], org["initial_password"]).status_code == 401

    token = first.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    changed = httpx.post(
        f"{proc.url}/v1/realms/demo/password",
        json={"current_password": temporary, "new_password": "Kaisha-Pass-2026"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 204
    assert (
        log_in(proc, org["admin_login_id"], "Kaisha-Pass-2026").json()["password_change_required"]
        is False
    )


# --- the same work whoever a request names, and three mails an hour (identity in this process) --


def asked(identity: CountedIdentity, login_id: str, email: str) -> Awaitable[httpx.Response]:
    return identity.client.post(
        "/v1/realms/demo/temporary-password", json={"login_id": login_id, "email": email}
    )


async def business_user(identity: CountedIdentity, org: dict[str, Any], email: str) -> str:
    """A demo business user with a registered address: demo mails temporary passwords to
    admins only, so this user's requests mail nothing."""
    token = await identity.signed_in("demo", org["admin_login_id"], org["initial_password"])
    login_id = new_id("XA5")
    created = await identity.client.post(
        f"/v1/realms/demo/orgs/{org['org_id']}/users",
        json={"login_id": login_id, "profile": {"email": email}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    return login_id


async def test_id_pw_05_a_request_issues_the_same_database_commands_whoever_it_names(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's measurement told an unknown ID (one read) from a known one with a wrong
    address (seven reads) and from a match (seven reads and a commit); now every request reads
    the ID, loads one aggregate (the user, or the ID's shadow slot) and commits one version."""
    async with counted_identity(infra, ns, monkeypatch) as identity:
        to = new_address("admin")
        org = await identity.new_org("demo", new_id(), to)
        staff = new_address("staff")
        unknown = new_id()
        cases = {
            "an unknown ID": (unknown, to),
            "the same unknown ID again": (unknown, to),
            "a known ID with another address": (org["admin_login_id"], new_address("other")),
            "a user the realm mails none to": (await business_user(identity, org, staff), staff),
            "a known ID with its address": (org["admin_login_id"], to),
        }
        seen: dict[str, list[str]] = {}
        answers = set()
        for case, (login_id, email) in cases.items():
            seen[case], answer = await identity.commands_of(
                partial(asked, identity, login_id, email)
            )
            answers.add((answer.status_code, answer.content))
        assert len(answers) == 1, answers
        assert all(commands == seen["an unknown ID"] for commands in seen.values()), seen
        assert "insert commits" in seen["an unknown ID"], "a version is committed every time"
        user = f"user:demo:{org['admin_user_id']}"
        assert len(await identity.events(user, "TemporaryPasswordIssued")) == 1
        declined = await identity.all_events("TemporaryPasswordDeclined")
        reasons = sorted(
            (d["reason"], d["subject_id"].startswith("unknown:demo:")) for d in declined
        )
        assert reasons == [
            ("address_mismatch", False),
            ("not_offered", False),
            ("unknown_login_id", True),
            ("unknown_login_id", True),
        ], "every request is on the trail; an unknown ID under its shadow's subject"


async def test_id_pw_04_a_hint_request_issues_the_same_database_commands_whoever_it_names(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with counted_identity(infra, ns, monkeypatch) as identity:
        hinted = await identity.new_org("dantai-net", new_id(), new_address("hinted"))
        token = (
            await identity.client.post(
                "/v1/realms/dantai-net/login",
                json={"login_id": hinted["admin_login_id"], "password": hinted["initial_password"]},
            )
        ).cookies["__Host-session"]
        changed = await identity.client.post(
            "/v1/realms/dantai-net/password",
            json={
                "current_password": hinted["initial_password"],
                "new_password": NEW_PASSWORD,
                "hint": "最初の職場と年",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 204, changed.text
        plain = await identity.new_org("dantai-net", new_id(), new_address("plain"))
        cases = {
            "an unknown ID": new_id(),
            "a known ID without a hint": plain["admin_login_id"],
            "a known ID with a hint": hinted["admin_login_id"],
        }
        seen: dict[str, list[str]] = {}
        answers: dict[str, bytes] = {}
        for case, login_id in cases.items():
            hint = partial(
                identity.client.post,
                "/v1/realms/dantai-net/password-hint",
                json={"login_id": login_id},
            )
            seen[case], answer = await identity.commands_of(hint)
            answers[case] = answer.content
        assert all(commands == seen["an unknown ID"] for commands in seen.values()), seen
        assert answers["an unknown ID"] == answers["a known ID without a hint"] == b'{"hint":null}'
        assert json.loads(answers["a known ID with a hint"]) == {"hint": "最初の職場と年"}


async def test_id_pw_05_nt_01_one_user_receives_at_most_three_temporary_passwords_an_hour(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch, services: Any
) -> None:
    """The fourth request within the hour mails nothing and is answered as always; an hour
    after the first, the next one is mailed. Notify mails exactly what identity issued."""
    services("notify", notify_private_key=PRIVATE_KEY)
    async with counted_identity(infra, ns, monkeypatch) as identity:
        to = new_address("admin")
        org = await identity.new_org("demo", new_id(), to)
        user = f"user:demo:{org['admin_user_id']}"
        answers = [await asked(identity, org["admin_login_id"], to) for _ in range(4)]
        assert {(a.status_code, a.content) for a in answers} == {(202, answers[0].content)}
        assert len(await identity.events(user, "TemporaryPasswordIssued")) == 3
        [withheld] = await identity.events(user, "TemporaryPasswordDeclined")
        assert withheld["reason"] == "limit_reached"

        identity.clock.advance(timedelta(minutes=59))
        assert (await asked(identity, org["admin_login_id"], to)).content == answers[0].content
        assert len(await identity.events(user, "TemporaryPasswordIssued")) == 3, "still within"
        identity.clock.advance(timedelta(minutes=1))  # an hour after the first three
        assert (await asked(identity, org["admin_login_id"], to)).content == answers[0].content
        issued = await identity.events(user, "TemporaryPasswordIssued")
        assert len(issued) == 4

        def four_mails() -> list[EmailMessage] | None:
            mails = Mailpit(infra.mailpit_url).mails_to(to)
            return mails if len(mails) >= 4 else None

        mails = await eventually(four_mails, timeout=60)
        # One subject, one partition: the fourth mail comes after every earlier event was
        # handled. Which mail Mailpit lists last is not the order sent (two within its clock's
        # resolution swap), so the mails are matched to the issued passwords as a set.
        assert len(mails) == 4, "one mail per issued password, none for the withheld ones"
        bodies = [m.get_body(("plain",)) for m in mails]
        mailed = {p for b in bodies if b is not None for p in MAILED.findall(str(b.get_content()))}
        assert mailed == {opened(i, "sealed_password") for i in issued}, "each mailed once"


async def test_id_pw_05_x_13_parallel_requests_never_mail_more_than_three(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with counted_identity(infra, ns, monkeypatch) as identity:
        to = new_address("admin")
        org = await identity.new_org("demo", new_id(), to)
        answers = await asyncio.gather(
            *(asked(identity, org["admin_login_id"], to) for _ in range(8))
        )
        assert {(a.status_code, a.content) for a in answers} == {(202, answers[0].content)}
        user = f"user:demo:{org['admin_user_id']}"
        assert len(await identity.events(user, "TemporaryPasswordIssued")) == 3
        declined = await identity.events(user, "TemporaryPasswordDeclined")
        assert [d["reason"] for d in declined] == ["limit_reached"] * 5


async def test_id_pw_05_requests_with_a_wrong_address_never_use_up_the_users_three_mails(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stranger who knows an ID but not its address cannot stop its owner's mails."""
    async with counted_identity(infra, ns, monkeypatch) as identity:
        to = new_address("admin")
        org = await identity.new_org("demo", new_id(), to)
        for _ in range(5):
            await asked(identity, org["admin_login_id"], new_address("stranger"))
        for _ in range(3):
            await asked(identity, org["admin_login_id"], to)
        user = f"user:demo:{org['admin_user_id']}"
        assert len(await identity.events(user, "TemporaryPasswordIssued")) == 3
        declined = await identity.events(user, "TemporaryPasswordDeclined")
        assert [d["reason"] for d in declined] == ["address_mismatch"] * 5
        assert all("stranger" not in json.dumps(d) for d in declined), "no typed address kept"
