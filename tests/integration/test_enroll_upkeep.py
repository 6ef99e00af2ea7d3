"""Bounded growth around the sign-up (X-14), by the moved clock: sign-ups that never reached
eligibility are forgotten after their last use, claims a crash left behind are kept or freed,
and identity forgets the credentials it held for sign-ups that never became members; identity
refuses a sign-up's address equal, ignoring case, to a member's (ID-USER-02)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import altcha
import httpx
import pytest
from harness import PROVISIONING, Infra, Namespace, eventually, no_cookie_jar
from identity_client import bearer, identity_settings
from kencom_signup import PASSWORD, Person, enroll_settings
from kencom_signup import new_insurer as insurer
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed
from servicekit.clock import ManualClock, SystemClock
from services.enroll.app import create_app
from services.enroll.usecases.identity_client import Held
from services.identity.app import create_app as identity_app
from services.identity.domain.realms import PRESETS

pytestmark = pytest.mark.integration
API = "/v1/realms/kencom"
Mongo = AsyncMongoClient[dict[str, Any]]


class Holding:
    """Identity's call, answered at once: the bench's stub, here to test enroll alone."""

    async def hold(self, signup_id: str, login_id: str, password: str) -> Held:
        return Held(address_registered=False)


@pytest.fixture
async def enroll(infra: Infra, ns: Namespace) -> AsyncIterator[tuple[Any, ManualClock]]:
    clock = ManualClock(SystemClock().now())
    app = create_app(enroll_settings(infra, ns, "http://127.0.0.1:9"), clock, Holding())
    async with app.router.lifespan_context(app):
        yield app, clock


async def signed_up(client: httpx.AsyncClient, mongo: Mongo, ns: Namespace, email: str) -> str:
    body = {
        "email": email,
        "email_confirmation": email,
        "password": PASSWORD,
        "accept_terms": True,
        "accept_privacy": True,
    }
    started = await client.post(f"{API}/signups", json=body)
    signup_id = str(started.json()["signup_ref"]).split(".")[0]
    commit = await mongo[ns.database("enroll")]["commits"].find_one(
        {"_id": f"signup:{signup_id}#0000000001"}
    )
    assert commit is not None
    return signup_id


async def link_of(mongo: Mongo, ns: Namespace, signup_id: str) -> str:
    commit = await mongo[ns.database("enroll")]["commits"].find_one(
        {"_id": f"signup:{signup_id}#0000000001"}
    )
    assert commit is not None
    sealed = json.loads(commit["events"][0]["json"])["sealed_activation_link"]
    return open_sealed(SealedSecret.from_wire(sealed), PRIVATE_KEY).split("token=")[1]


async def _empty(collection: Any) -> bool:
    return await collection.count_documents({}) == 0


async def test_x_14_en_02_sign_ups_that_never_became_eligible_are_forgotten(
    enroll: tuple[Any, ManualClock], mongo: Mongo, ns: Namespace
) -> None:
    app, clock = enroll
    person = Person(insurer())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://enroll.test", timeout=60
    ) as client:
        await client.put(
            f"{API}/rosters/{person.insurer_number}",
            json={"members": [person.roster_line()]},
            headers=PROVISIONING,
        )
        idle = await signed_up(client, mongo, ns, f"idle-{uuid.uuid4().hex[:8]}@example.jp")
        activated = await signed_up(client, mongo, ns, person.email)
        eligible = await signed_up(client, mongo, ns, f"el-{uuid.uuid4().hex[:8]}@example.jp")
        steps = {}
        for signup_id in (activated, eligible):
            opened = await client.post(
                f"{API}/signups/activate", json={"token": await link_of(mongo, ns, signup_id)}
            )
            steps[signup_id] = opened.json()["signup_token"]
        checked = await client.post(
            f"{API}/signups/eligibility", json={"signup_token": steps[eligible]} | person.card()
        )
        assert checked.status_code == 200, checked.text

    commits = mongo[ns.database("enroll")]["commits"]

    async def versions(signup_id: str) -> int:
        return await commits.count_documents({"aggregate_id": f"signup:{signup_id}"})

    # A sign-up is forgotten only once its events are relayed: wait for the relay's pass.
    outbox = mongo[ns.database("enroll")]["outbox"]
    await eventually(lambda: _empty(outbox), timeout=15)
    upkeep = app.state.enroll.upkeep
    clock.advance(timedelta(hours=71))
    assert (await upkeep.run_once()).signups == 0, "still usable"
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await upkeep.run_once()).signups == 2
    assert await versions(idle) == await versions(activated) == 0
    assert await versions(eligible) > 0, "an eligible sign-up is the member's record"
    assert await mongo[ns.database("enroll")]["signup_expiries"].count_documents({}) == 0


async def test_x_14_en_04_claims_a_crash_left_are_kept_for_an_eligible_sign_up_or_freed(
    enroll: tuple[Any, ManualClock], mongo: Mongo, ns: Namespace
) -> None:
    app, clock = enroll
    store = app.state.enroll.context.store
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://enroll.test", timeout=60
    ) as client:
        lonely = await signed_up(client, mongo, ns, f"crash-{uuid.uuid4().hex[:8]}@example.jp")
    assert await store.claims.claim(["person:abandoned", "address:x@example.jp"], lonely) == []
    assert await store.claims.claim(["person:abandoned"], "someone-else") == ["person:abandoned"]
    clock.advance(timedelta(minutes=11))
    assert await app.state.enroll.eligibility.reap_claims(timedelta(minutes=10)) == 2
    assert await store.claims.claim(["person:abandoned"], "someone-else") == [], "freed"


@pytest.fixture
async def identity(infra: Infra, ns: Namespace) -> AsyncIterator[tuple[Any, ManualClock]]:
    clock = ManualClock(SystemClock().now())
    settings = identity_settings(infra, ns, notify_public_key=PUBLIC_KEY)
    app = identity_app(settings, clock)
    async with app.router.lifespan_context(app):
        yield app, clock


async def solved(client: httpx.AsyncClient) -> str:
    """kencom's login challenge (ID-BOT-01), solved as the widget does."""
    made = altcha.Challenge.from_dict((await client.get(f"{API}/login/challenge")).json())
    return str(altcha.Payload(made, altcha.solve_challenge(made)).to_base64())


async def test_x_14_en_05_identity_forgets_credentials_it_held_for_sign_ups_in_vain(
    identity: tuple[Any, ManualClock], mongo: Mongo, ns: Namespace
) -> None:
    app, clock = identity
    enrolments = app.state.identity.enrolments
    address = f"held-{uuid.uuid4().hex[:8]}@example.jp"
    assert await enrolments.hold(PRESETS["kencom"], uuid.uuid4().hex, address, PASSWORD) is False
    held = mongo[ns.database("identity")]["held_credentials"]
    assert await held.count_documents({}) == 1
    clock.advance(timedelta(hours=71))
    assert await enrolments.purge() == 0
    clock.advance(timedelta(hours=1, seconds=1))
    assert await enrolments.purge() == 1
    assert await held.count_documents({}) == 0


async def test_id_user_02_a_sign_ups_address_equal_ignoring_case_to_a_members_is_registered(
    identity: tuple[Any, ManualClock], mongo: Mongo, ns: Namespace
) -> None:
    app, _ = identity
    async with no_cookie_jar(
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://identity.test", timeout=60
        )
    ) as client:
        operator = await app.state.identity.users.create_support_operator(
            PRESETS["kencom"], f"SUP{uuid.uuid4().hex[:8]}"
        )
        login = await client.post(
            f"{API}/login",
            json={
                "login_id": operator.login_id,
                "password": operator.initial_password,
                "challenge": await solved(client),
            },
        )
        changed = await client.post(
            f"{API}/password",
            json={"current_password": operator.initial_password, "new_password": "Kaisha-Pass-26"},
            headers=bearer(login.cookies["__Host-session"]),
        )
        support = bearer(changed.cookies["__Host-session"])  # rotated (ID-SESS-03)
        address = f"Member-{uuid.uuid4().hex[:8]}@Example.jp"
        made = await client.post(
            f"{API}/members",
            json={"login_id": address, "profile": {"email": address}},
            headers=support,
        )
        assert made.status_code == 201, made.text
        twin = await client.post(
            f"{API}/members",
            json={"login_id": address.lower(), "profile": {"email": address.lower()}},
            headers=support,
        )
        assert twin.json()["code"] == "LOGIN_ID_TAKEN", "one member per address, ignoring case"
    enrolments = app.state.identity.enrolments
    for typed in (address, address.lower(), address.upper()):
        assert await enrolments.hold(PRESETS["kencom"], uuid.uuid4().hex, typed, PASSWORD)
