"""ID-EMAIL-01: the registered e-mail changes only when the 24-hour link to the new address is
followed; the link is single use and travels sealed to notify (X-02, X-11)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from harness import PROVISIONING, ServiceProcess
from identity_client import bearer, opened, rotated, user_events
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

PASSWORD = "Kaisha-Pass-2026"


def signed_in_admin(proc: ServiceProcess) -> tuple[dict[str, Any], dict[str, str]]:
    org = httpx.post(
        f"{proc.url}/v1/realms/nexi/orgs",
        headers=PROVISIONING,
        json={
            "name": "テスト法人",
            "admin": {
                "login_id": f"{uuid.uuid4().int % 10**11:011d}",
                "profile": {"email": "old@example.jp"},
            },
        },
    ).json()
    login = httpx.post(
        f"{proc.url}/v1/realms/nexi/login",
        json={"login_id": org["admin_login_id"], "password": org["initial_password"]},
    )
    headers = {
        "Authorization": f"Bearer {login.headers['set-cookie'].split(';')[0].split('=', 1)[1]}"
    }
    changed = httpx.post(
        f"{proc.url}/v1/realms/nexi/password",
        json={"current_password": org["initial_password"], "new_password": PASSWORD},
        headers=headers,
    )
    return org, bearer(rotated(changed))  # the change rotated the session (ID-SESS-03)


async def test_id_email_01_the_address_changes_only_through_the_link_to_the_new_address(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    org, headers = signed_in_admin(proc)
    asked = httpx.post(
        f"{proc.url}/v1/realms/nexi/email-change",
        json={"current_password": PASSWORD, "new_email": "new@example.jp"},
        headers=headers,
    )
    assert asked.status_code == 202
    events = await user_events(mongo, ns, "nexi", org["admin_user_id"])
    [link] = [e for e in events if e["type"] == "EmailLinkIssued"]
    assert (link["recipient_email"], link["purpose"]) == (
        "new@example.jp",
        "email_change_confirmation",
    )
    assert not any(e["type"] == "EmailChanged" for e in events), "nothing changes before the link"
    path = opened(link, "sealed_link")
    token = parse_qs(urlsplit(path).query)["token"][0]
    assert token not in json.dumps(events), "the link is only sealed on the bus"

    confirm = f"{proc.url}/v1/realms/nexi/email-change/confirm"
    async with httpx.AsyncClient() as client:
        answers = await asyncio.gather(
            *(client.post(confirm, json={"token": token}) for _ in range(5))
        )
    assert sorted(a.status_code for a in answers) == [200, 404, 404, 404, 404], "single use (X-11)"
    assert {a.json()["code"] for a in answers if a.status_code == 404} == {"LINK_INVALID"}
    events = await user_events(mongo, ns, "nexi", org["admin_user_id"])
    [changed] = [e for e in events if e["type"] == "EmailChanged"]
    assert (changed["previous_email"], changed["new_email"]) == ("old@example.jp", "new@example.jp")
    [profile] = [e for e in events if e["type"] == "UserProfileChanged"]
    assert profile["profile"]["email"] == "new@example.jp"


async def test_id_email_01_a_newer_request_invalidates_the_older_link(
    identity: Any, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    proc, ns = identity
    org, headers = signed_in_admin(proc)
    for address in ("first@example.jp", "second@example.jp"):
        httpx.post(
            f"{proc.url}/v1/realms/nexi/email-change",
            json={"current_password": PASSWORD, "new_email": address},
            headers=headers,
        )
    links = [
        e
        for e in await user_events(mongo, ns, "nexi", org["admin_user_id"])
        if e["type"] == "EmailLinkIssued"
    ]
    tokens = [parse_qs(urlsplit(opened(e, "sealed_link")).query)["token"][0] for e in links]
    confirm = f"{proc.url}/v1/realms/nexi/email-change/confirm"
    assert httpx.post(confirm, json={"token": tokens[0]}).json()["code"] == "LINK_INVALID"
    assert httpx.post(confirm, json={"token": tokens[1]}).status_code == 200
