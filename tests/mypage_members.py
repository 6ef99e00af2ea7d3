"""A My Page member as the support desk registers it (ID-USER-03, seed 002), for the browser
tests that walk a member's pages."""

from __future__ import annotations

import uuid

from identity_client import signed_in
from portal_stack import Portal

REALM = "mypage"
NEW_PASSWORD = "Kyosai-Pass-2026"


def registered_member(portal: Portal, email: str) -> str:
    """The support desk registers a member (ID-USER-03); the initial password goes by mail."""
    desk = portal.support_operator(REALM)
    token = signed_in(portal.identity.url, REALM, desk["login_id"], desk["initial_password"])
    login_id = f"kyosai-{uuid.uuid4().hex[:8]}"
    made = portal.call(
        "POST",
        f"/v1/realms/{REALM}/members",
        token,
        json={"login_id": login_id, "profile": {"name": "共済 太郎", "email": email}},
    )
    assert made.status_code == 201, made.text
    return login_id
