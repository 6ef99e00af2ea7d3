"""The people schemathesis calls identity and the other services as (X-05, X-15), made through
the services' HTTP APIs as a portal's people are, for test_fuzz_openapi and test_fuzz_stateful;
and the mailbox where enroll's activation links arrive.

Each caller's path points at people no other caller's calls can touch: support manages an admin
nobody logs in as, the admin a business user nobody logs in as, so that no caller's fuzzing ends
another caller's session (a disabled or reset user's sessions end, ID-SESS-01). A credential
change (the own password, login ID or e-mail address) is confirmed with the current password,
and a wrong one counts toward the lock that ends every session of its user (ID-LOCK-05): those
operations are called as a stand-in, a second person of the same kind whose lock harms no other
call (:attr:`Role.stand_in`).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from harness import PROVISIONING, Infra, Namespace, ServiceProcess
from identity_client import (
    NEW_PASSWORD,
    bearer,
    create_user,
    log_in,
    new_org,
    opened,
    ready_admin,
    signed_in,
    support_session,
    token_of,
    user_events,
)
from kencom_signup import PASSWORD, new_insurer
from kencom_signup import Person as Insured
from pymongo import AsyncMongoClient, MongoClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
"""X-05 as schemathesis checks it: no server error, a documented status, a conforming body (a
problem's too: every error is documented as ``application/problem+json``)."""

SELF_CREDENTIALS = frozenset(
    {
        ("POST", "/v1/realms/{realm}/password"),
        ("PUT", "/v1/realms/{realm}/login-id"),
        ("POST", "/v1/realms/{realm}/email-change"),
    }
)
"""The operations confirmed with the caller's current password, where a wrong one counts toward
the lock (ID-LOCK-05), and a right one rotates the session (ID-SESS-03)."""


@dataclass(frozen=True)
class Role:
    """Whom schemathesis calls as: a session (or none) and the path it belongs on."""

    token: str
    realm: str
    org_id: str
    user_id: str
    login_id: str = ""
    """Who the session is, to log in again for a session of its own to end (logout)."""
    stand_in: str = ""
    """The session of a second person of the same kind, for :data:`SELF_CREDENTIALS`."""

    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}

    def headers_for(self, method: str, path: str, identity_url: str) -> dict[str, str]:
        """The credential for ``method path``: logout ends a second session of the same
        person, a credential change is the stand-in's, everything else is the role's own."""
        if path == "/v1/logout":
            return self.another_session(identity_url)
        if (method.upper(), path) in SELF_CREDENTIALS:
            return bearer(self.stand_in) if self.stand_in else {}
        return self.headers()

    def another_session(self, identity_url: str) -> dict[str, str]:
        """A second session of the same person: logout ends it, not the one the role's other
        calls need."""
        if not self.token:
            return {}
        realm = "mypage" if self.realm == "mypage" else "demo"
        return bearer(token_of(log_in(identity_url, realm, self.login_id, NEW_PASSWORD)))

    @property
    def path_parameters(self) -> dict[str, str]:
        return {"realm": self.realm, "org_id": self.org_id, "user_id": self.user_id}


def people(identity: ServiceProcess, ns: Namespace, infra: Infra) -> dict[str, Role]:
    """One person per role, each with a stand-in."""
    url = identity.url
    admin, org = ready_admin(url)
    stand_in_admin, _ = ready_admin(url)
    managed = create_user(url, "demo", org["org_id"], admin, f"XA5{uuid.uuid4().hex[:8]}")
    business_login, stand_in_business = f"XA5{uuid.uuid4().hex[:8]}", f"XA5{uuid.uuid4().hex[:8]}"
    business = create_user(url, "demo", org["org_id"], admin, business_login).json()
    stand_in = create_user(url, "demo", org["org_id"], admin, stand_in_business).json()
    support, operator = support_session(identity, "demo")
    stand_in_support, _ = support_session(identity, "demo")
    other_org = new_org(url, "demo", f"XA3{uuid.uuid4().hex[:8]}")
    member_id, member_login, member = asyncio.run(a_member(identity, ns, infra, "mypage"))
    _, _, stand_in_member = asyncio.run(a_member(identity, ns, infra, "mypage"))
    return {
        "anonymous": Role("", "dantai-net", org["org_id"], managed.json()["user_id"]),
        "support": Role(
            support,
            "demo",
            other_org["org_id"],
            other_org["admin_user_id"],
            operator["login_id"],
            stand_in_support,
        ),
        "admin": Role(
            admin,
            "demo",
            org["org_id"],
            managed.json()["user_id"],
            org["admin_login_id"],
            stand_in_admin,
        ),
        "business": Role(
            signed_in(url, "demo", business_login, business["initial_password"]),
            "demo",
            org["org_id"],
            managed.json()["user_id"],
            business_login,
            signed_in(url, "demo", stand_in_business, stand_in["initial_password"]),
        ),
        "member": Role(member, "mypage", org["org_id"], member_id, member_login, stand_in_member),
    }


async def a_member(
    identity: ServiceProcess, ns: Namespace, infra: Infra, realm: str
) -> tuple[str, str, str]:
    """A member of ``realm`` registered by its support, signed in with the password mailed to
    it: its user ID, login ID and session token."""
    support, _ = support_session(identity, realm)
    login_id = f"member-{uuid.uuid4().hex[:8]}"
    if realm == "kencom":  # kencom's members log in with their e-mail address
        login_id += "@example.jp"
    registered = httpx.post(
        f"{identity.url}/v1/realms/{realm}/members",
        json={"login_id": login_id, "profile": {"name": "共済太郎", "email": "m@example.jp"}},
        headers=bearer(support),
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        [issued] = await user_events(mongo, ns, realm, user_id, "InitialPasswordIssued")
    finally:
        await mongo.close()
    password = opened(issued, "sealed_password")
    return user_id, login_id, signed_in(identity.url, realm, login_id, password)


def served_document(service: str) -> dict[str, Any]:
    """The OpenAPI document a service serves, built in this process from the same code, so that
    schemathesis can make one test per operation when pytest collects a module."""
    app = importlib.import_module(f"services.{service}.app")
    document: dict[str, Any] = app.create_app().openapi()
    return document


class Mailbox:
    """The activation mails enroll asked notify to send (EN-02), read from its outbox as notify
    would (the link is sealed to the tests' key): a sign-up's latest link, once."""

    def __init__(self, mongodb_uri: str, database: str) -> None:
        self.client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
        self.commits = self.client[database]["commits"]
        self.unread: dict[str, str] = {}
        """Sign-up id → the token of its latest activation link, until it is followed."""

    def receive(self, signup_ref: str) -> None:
        signup_id = signup_ref.split(".", 1)[0]
        started = [
            event
            for commit in self.commits.find({"aggregate_id": f"signup:{signup_id}"}).sort("_id")
            for event in map(json.loads, (e["json"] for e in commit["events"]))
            if event["type"] == "SignupStarted"
        ]
        if started:
            link = opened(started[-1], "sealed_activation_link")
            self.unread[signup_id] = link.split("token=", 1)[1]

    def follow(self) -> str | None:
        """The oldest unread link's token, as the person clicking it sends it."""
        if not self.unread:
            return None
        return self.unread.pop(next(iter(self.unread)))

    def close(self) -> None:
        self.client.close()


def an_enrolled_member(identity_url: str, enroll_url: str, mailbox: Mailbox) -> tuple[str, str]:
    """A kencom member as enrolment makes one (EN-01…05): a roster line, a sign-up, the mailed
    link, the card that matches, identity registering the member; its user ID and session."""
    person = Insured(new_insurer())
    api = f"{enroll_url}/v1/realms/kencom"
    roster = {"restrictions": {}, "members": [person.roster_line()]}
    imported = httpx.put(
        f"{api}/rosters/{person.insurer_number}", json=roster, headers=PROVISIONING, timeout=30
    )
    assert imported.status_code == 200, imported.text
    body = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    body |= {"accept_terms": True, "accept_privacy": True}
    started = httpx.post(f"{api}/signups", json=body, timeout=30)
    assert started.status_code == 202, started.text
    mailbox.receive(started.json()["signup_ref"])
    token = mailbox.follow()
    opened = httpx.post(f"{api}/signups/activate", json={"token": token}, timeout=30)
    assert opened.status_code == 200, opened.text
    step = {"signup_token": opened.json()["signup_token"]}
    checked = httpx.post(f"{api}/signups/eligibility", json=step | person.card(), timeout=30)
    assert checked.status_code == 200, checked.text
    deadline = time.monotonic() + 60
    while (found := httpx.post(f"{api}/signups/progress", json=step, timeout=30).json())[
        "status"
    ] != "registered":
        assert time.monotonic() < deadline, f"the member was not registered: {found}"
        time.sleep(0.2)
    return found["user_id"], token_of(log_in(identity_url, "kencom", person.email, PASSWORD))
