"""nexi's permission matrix and the decision API (ID-PERM-01..03), through identity as a process
on the real database and Kafka: every cell of seed 004's table asked of ``POST
/v1/authz/decisions`` by a real applicant user holding it, the admin's own functions, a change
of matrix as an event that open sessions follow, and a property that nothing outside the
table is allowed."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import httpx
import pytest
from harness import Infra, Namespace, ServiceProcess, eventually, read_topic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_client import bearer, new_org, opened, signed_in, user_events
from permission_table import ALL_MATRICES, RIDERS, TABLE, UNLISTED_RIDER, resources
from pymongo import AsyncMongoClient

from contracts.permissions import Permissions

pytestmark = pytest.mark.integration

REALM = "nexi"
ADMIN_ONLY = (
    "admin_profile.change",
    "business_users.read",
    "business_users.create",
    "business_users.change",
    "business_users.password_reset",
    "organisation.change",
    "bank_account.change",
    "access_history.export",
)


def nexi_id() -> str:
    return str(uuid.uuid4().int)[:12]


class Org:
    """A nexi organisation on the running identity: its admin, and applicants it registers."""

    def __init__(self, identity: tuple[ServiceProcess, Namespace], infra: Infra) -> None:
        self.proc, self.ns = identity
        self.infra = infra
        opened_org = new_org(
            self.proc.url, REALM, nexi_id(), {"name": "管理 太郎", "email": "admin@example.jp"}
        )
        self.org_id = opened_org["org_id"]
        self.admin_id = opened_org["admin_user_id"]
        self.admin = signed_in(
            self.proc.url, REALM, opened_org["admin_login_id"], opened_org["initial_password"]
        )
        self.http = httpx.Client(base_url=self.proc.url, timeout=30)
        """One connection for the many decisions (a client per call costs a TLS context)."""

    def url(self, path: str) -> str:
        return f"{self.proc.url}/v1/realms/{REALM}/orgs/{self.org_id}{path}"

    def applicant(self, granted: Permissions | None) -> tuple[str, str]:
        """A business user holding ``granted``, logged in: its user id and session token."""
        [made] = self.applicants([granted])
        return made

    def applicants(self, matrices: list[Permissions | None]) -> list[tuple[str, str]]:
        """Business users holding ``matrices``, registered by the admin and logged in with the
        initial password mailed (sealed) to the admin, as the admin passes it on."""
        created = []
        for granted in matrices:
            body: dict[str, Any] = {"profile": {"email": "a@example.jp"}}
            if granted is not None:
                body["permissions"] = granted.model_dump(mode="json")
            answer = self.http.post(self.url("/users"), json=body, headers=bearer(self.admin))
            assert answer.status_code == 201, answer.text
            created.append((answer.json()["user_id"], answer.json()["login_id"]))
        passwords = asyncio.run(self.initial_passwords([user_id for user_id, _ in created]))
        return [
            (user_id, signed_in(self.proc.url, REALM, login_id, password))
            for (user_id, login_id), password in zip(created, passwords, strict=True)
        ]

    async def initial_passwords(self, user_ids: list[str]) -> list[str]:
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.infra.mongodb_uri)
        try:
            issued = [
                await user_events(mongo, self.ns, REALM, user_id, "InitialPasswordIssued")
                for user_id in user_ids
            ]
        finally:
            await mongo.close()
        return [opened(events[0], "sealed_password") for events in issued]

    async def events(self, user_id: str, kind: str) -> list[dict[str, Any]]:
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.infra.mongodb_uri)
        try:
            return await user_events(mongo, self.ns, REALM, user_id, kind)
        finally:
            await mongo.close()

    def ask(
        self, token: str, action: str, protected: bool = True, **resource: str | None
    ) -> httpx.Response:
        return self.http.post(
            "/v1/authz/decisions",
            json={
                "action": action,
                "resource": {"org_id": self.org_id, **resource},
                "protected": protected,
            },
            headers=bearer(token),
        )

    def decide(
        self, token: str, action: str, protected: bool = True, **resource: str | None
    ) -> dict[str, Any]:
        answer = self.ask(token, action, protected, **resource)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def org(identity: tuple[ServiceProcess, Namespace], infra: Infra) -> Org:
    return Org(identity, infra)


@pytest.fixture(scope="module")
def applicants(org: Org) -> list[tuple[Permissions, str, str]]:
    """One applicant user per cell of the matrix (27), each logged in."""
    made = org.applicants(list(ALL_MATRICES))
    return [(granted, *person) for granted, person in zip(ALL_MATRICES, made, strict=True)]


def test_id_perm_01_every_cell_of_the_seeds_matrix_decides_through_the_api_as_the_table_says(
    org: Org, applicants: list[tuple[Permissions, str, str]]
) -> None:
    asked = 0
    for (granted, user_id, token), (action, allows) in itertools.product(applicants, TABLE.items()):
        for resource in resources(user_id, org.admin_id):
            answer = org.decide(token, action, **resource)
            assert answer["allow"] is allows(granted, resource, user_id), (granted, action)
            assert answer["rule"] == "ID-PERM-01"
            asked += 1
    assert asked == 27 * 4 * 4


def test_id_perm_01_introspection_carries_the_matrix_the_admin_the_maximum(
    org: Org, applicants: list[tuple[Permissions, str, str]]
) -> None:
    granted, _, token = applicants[5]
    mine = httpx.get(f"{org.proc.url}/v1/sessions/current", headers=bearer(token), timeout=30)
    assert Permissions.model_validate(mine.json()["permissions"]) == granted
    admins = httpx.get(
        f"{org.proc.url}/v1/sessions/current", headers=bearer(org.admin), timeout=30
    ).json()
    assert admins["permissions"] == {
        "input_right": "input_apply",
        "contract_scope": "all",
        "rider_codes": [],
        "application_scope": "all",
    }
    assert (admins["otp_required"], admins["otp_verified"]) == (False, False)


def test_id_perm_02_the_admins_own_functions_stay_the_admins(
    org: Org, applicants: list[tuple[Permissions, str, str]]
) -> None:
    strongest = next(t for p, _, t in applicants if p == ALL_MATRICES[-1])
    for action in ADMIN_ONLY:
        assert org.decide(org.admin, action)["allow"], action
        refused = org.decide(strongest, action)
        assert (refused["allow"], refused["reason"], refused["rule"]) == (
            False,
            "ADMIN_ONLY",
            "ID-PERM-02",
        )
    listing = httpx.get(org.url("/users"), headers=bearer(strongest), timeout=30)
    assert listing.status_code == 403, "identity's own admin routes refuse it alike"


def test_id_perm_01_a_changed_matrix_is_one_event_with_the_whole_matrix_and_open_sessions_follow(
    org: Org,
) -> None:
    user_id, token = org.applicant(None)
    assert not org.decide(token, "contract.read", rider_code=RIDERS[1])["allow"], "none at first"
    granted = Permissions.model_validate(
        {
            "input_right": "input",
            "contract_scope": "riders",
            "rider_codes": list(RIDERS),
            "application_scope": "own",
        }
    )
    changed = httpx.put(
        org.url(f"/users/{user_id}/permissions"),
        json=granted.model_dump(mode="json"),
        headers=bearer(org.admin),
        timeout=30,
    )
    assert changed.status_code == 204, changed.text
    assert org.decide(token, "contract.read", rider_code=RIDERS[1])["allow"], "no new login"
    assert not org.decide(token, "contract.read", rider_code=UNLISTED_RIDER)["allow"]
    [created] = asyncio.run(org.events(user_id, "UserCreated"))
    assert created["permissions"]["input_right"] == "none"
    [event] = asyncio.run(org.events(user_id, "PermissionsChanged"))
    assert Permissions.model_validate(event["permissions"]) == granted
    assert event["actor"] == {"kind": "admin", "id": org.admin_id}
    refused = httpx.put(
        org.url(f"/users/{user_id}/permissions"),
        json={**granted.model_dump(mode="json"), "rider_codes": []},
        headers=bearer(org.admin),
        timeout=30,
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR")
    by_itself = httpx.put(
        org.url(f"/users/{user_id}/permissions"),
        json=granted.model_dump(mode="json"),
        headers=bearer(token),
        timeout=30,
    )
    assert by_itself.status_code == 403, "only the admin sets it"


def test_id_perm_03_another_organisation_and_an_unknown_action_are_denied(org: Org) -> None:
    other = org.decide(org.admin, "contract.read", org_id="0" * 32)
    assert (other["allow"], other["reason"]) == (False, "OTHER_ORGANISATION")
    unknown = org.decide(org.admin, "contract.delete")
    assert (unknown["allow"], unknown["reason"], unknown["rule"]) == (
        False,
        "UNKNOWN_ACTION",
        "ID-PERM-03",
    )
    nobody = httpx.post(
        f"{org.proc.url}/v1/authz/decisions",
        json={"action": "contract.read", "protected": True},
        timeout=30,
    )
    assert (nobody.status_code, nobody.json()["code"]) == (401, "SESSION_EXPIRED")


@pytest.fixture(scope="module")
def one_applicant(org: Org) -> tuple[Permissions, str, str]:
    granted = ALL_MATRICES[13]  # input, riders, own: every axis in its middle
    return (granted, *org.applicant(granted))


@pytest.fixture(scope="module")
def org_of(org: Org) -> Org:
    """The same organisation, under a name that leaves ``org`` to hypothesis's argument."""
    return org


texts = st.text(max_size=30)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(sorted(TABLE)) | st.sampled_from(ADMIN_ONLY) | texts,
    owner=st.none() | st.just("me") | texts,
    rider=st.none() | st.sampled_from([*RIDERS, UNLISTED_RIDER]) | texts,
    org=st.sampled_from(["own", "other", None]),
    protected=st.booleans(),
)
def test_id_perm_03_nothing_outside_the_table_is_allowed_through_the_api(
    org_of: Org,
    one_applicant: tuple[Permissions, str, str],
    action: str,
    owner: str | None,
    rider: str | None,
    org: str | None,
    protected: bool,
) -> None:
    granted, user_id, token = one_applicant
    org_id = {"own": org_of.org_id, "other": "0" * 32, None: None}[org]
    resource = {"owner": user_id if owner == "me" else owner, "rider_code": rider}
    answer = org_of.ask(token, action, protected, org_id=org_id, **resource)
    if answer.status_code == 422:  # not a question (an empty action, a rider code too long)
        assert answer.json()["code"] == "VALIDATION_ERROR"
        return
    assert answer.status_code == 200, answer.text
    if answer.json()["allow"]:
        assert action in TABLE and org == "own"
        assert TABLE[action](granted, resource, user_id)
    else:
        assert answer.json()["reason"] != "ALLOWED" and answer.json()["message"]


def test_x_03_a_matrix_change_reaches_kafka_whole(org: Org) -> None:
    """PermissionsChanged is committed with its user and relayed to identity.events (X-03)."""
    user_id, _ = org.applicant(None)
    httpx.put(
        org.url(f"/users/{user_id}/permissions"),
        json=ALL_MATRICES[-1].model_dump(mode="json"),
        headers=bearer(org.admin),
        timeout=30,
    ).raise_for_status()

    async def published() -> list[dict[str, Any]]:
        records = await read_topic(
            org.infra.kafka_bootstrap_servers,
            org.ns.topic_prefix + "identity.events",
            10**6,
            timeout=3,
        )
        events = [json.loads(r.value) for r in records]
        return [
            e for e in events if e["type"] == "PermissionsChanged" and e["subject_id"] == user_id
        ]

    [event] = asyncio.run(eventually(published, timeout=30))
    assert Permissions.model_validate(event["permissions"]) == ALL_MATRICES[-1]
