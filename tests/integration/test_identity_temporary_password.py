"""ID-PW-05: a temporary password by mail, sealed to notify, single use, forcing a change."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, ServiceProcess
from identity_client import opened, user_events
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


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
    temporary = opened(event, "sealed_password")
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
