"""The sign-up saga under SIGKILL (EN-05, X-03): enroll and identity run as processes, as in
production, and are killed between any two steps of a sign-up, and in the middle of a burst
of them. Every sign-up finishes, or can be restarted by the person, and there is never a
member without eligibility nor a second member. Also X-02 over the whole story: the password,
the links' tokens, the checkup code and the secret answer are nowhere in clear."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Infra, Namespace, ServiceProcess, eventually, read_topic
from identity_client import bearer, create_support_operator, log_in, signed_in, token_of
from kencom_signup import CONSENT, EASY_CHALLENGES, PASSWORD, Person
from kencom_signup import new_insurer as insurer
from mail_events import PRIVATE_KEY, PUBLIC_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed

pytestmark = pytest.mark.integration

API = "/v1/realms/kencom"
Mongo = AsyncMongoClient[dict[str, Any]]


class Stack:
    """Identity and enroll as processes on one namespace; the links read from enroll's events."""

    def __init__(self, services: Any, mongo: Mongo, ns: Namespace) -> None:
        self.identity: ServiceProcess = services("identity", **EASY_CHALLENGES)
        self.enroll: ServiceProcess = services(
            "enroll", identity_url=self.identity.url, notify_public_key=PUBLIC_KEY
        )
        self.mongo, self.ns = mongo, ns

    def post(self, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return httpx.post(f"{self.enroll.url}{API}{path}", json=body, timeout=60, **kw)

    def roster(self, people: list[Person]) -> None:
        answer = httpx.put(
            f"{self.enroll.url}{API}/rosters/{people[0].insurer_number}",
            json={"members": [p.roster_line() for p in people]},
            headers=PROVISIONING,
            timeout=120,
        )
        assert answer.status_code == 200, answer.text

    def sign_up(self, person: Person) -> str:
        body = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
        body |= CONSENT
        answer = self.post("/signups", body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["signup_ref"]).split(".")[0]

    async def link(self, signup_id: str) -> str:
        async def mailed() -> str | None:
            events = await self.events("enroll", f"signup:{signup_id}", "SignupStarted")
            if not events:
                return None
            sealed = SealedSecret.from_wire(events[-1]["sealed_activation_link"])
            return open_sealed(sealed, PRIVATE_KEY).split("token=", 1)[1]

        found: str = await eventually(mailed, timeout=60)
        return found

    async def activate(self, signup_id: str) -> str:
        answer = self.post("/signups/activate", {"token": await self.link(signup_id)})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["signup_token"])

    def check(self, step: str, person: Person) -> httpx.Response:
        return self.post("/signups/eligibility", {"signup_token": step} | person.card())

    def progress(self, step: str) -> dict[str, Any]:
        return dict(self.post("/signups/progress", {"signup_token": step}).json())

    async def registered(self, step: str, timeout: float = 90) -> None:
        await eventually(lambda: self.progress(step).get("status") == "registered", timeout=timeout)

    async def events(self, service: str, aggregate: str, kind: str) -> list[dict[str, Any]]:
        commits = self.mongo[self.ns.database(service)]["commits"]
        found = [
            json.loads(e["json"])
            async for c in commits.find({"aggregate_id": aggregate}).sort("_id", 1)
            for e in c["events"]
        ]
        return [e for e in found if e["type"] == kind]

    async def members(self) -> Counter[str]:
        """Identity's kencom users by login ID (each must be one member, made from a sign-up)."""
        commits = self.mongo[self.ns.database("identity")]["commits"]
        users = {
            c["aggregate_id"]: c["state"]["login_id"]
            async for c in commits.find({"aggregate_id": {"$regex": "^user:kencom:"}})
        }
        return Counter(users.values())

    async def assert_one_member_each(self, people: list[Person]) -> None:
        members = await self.members()
        for person in people:
            assert members[person.email] == 1, f"{person.email}: {members[person.email]} members"
            assert log_in(self.identity.url, "kencom", person.email, PASSWORD).status_code == 200
        signups = self.mongo[self.ns.database("enroll")]["commits"]
        for user in await self.user_ids():
            registered = await self.events("enroll", f"signup:{user}", "MemberRegistered")
            eligible = await signups.find_one({"aggregate_id": f"signup:{user}"})
            assert eligible is not None, "never a member without a sign-up"
            assert len(registered) == 1, "MemberRegistered ends each sign-up once"

    async def user_ids(self) -> set[str]:
        commits = self.mongo[self.ns.database("identity")]["commits"]
        return {
            c["aggregate_id"].rsplit(":", 1)[1]
            async for c in commits.find({"aggregate_id": {"$regex": "^user:kencom:"}})
        }


def restart(proc: ServiceProcess) -> None:
    proc.kill(signal.SIGKILL)
    proc.start()


@pytest.mark.parametrize("victim", ["identity", "enroll"])
async def test_en_05_x_03_killed_between_any_two_steps_the_sign_up_finishes(
    services: Any, mongo: Mongo, ns: Namespace, victim: str
) -> None:
    stack = Stack(services, mongo, ns)
    person = Person(insurer())
    stack.roster([person])
    proc = getattr(stack, victim)
    signup_id = stack.sign_up(person)
    restart(proc)  # after the credential is held and the sign-up committed
    step = await stack.activate(signup_id)
    restart(proc)  # after activation
    checked = stack.check(step, person)
    assert checked.status_code == 200, checked.text
    restart(proc)  # after the eligible commit: the relay, identity's member, MemberRegistered
    await stack.registered(step)
    await stack.assert_one_member_each([person])


@pytest.mark.parametrize("victim", ["identity", "enroll"])
async def test_en_05_x_03_killed_mid_burst_every_sign_up_ends_once(
    services: Any, mongo: Mongo, ns: Namespace, victim: str
) -> None:
    """Sixteen people pass their checks at once; the victim dies while members are being made
    and registered. Checks a dead enroll did not answer are sent again, as a person would."""
    stack = Stack(services, mongo, ns)
    union = insurer()
    people = [Person(union, number=f"{i:07d}") for i in range(16)]
    stack.roster(people)

    async def activated(person: Person) -> str:
        return await stack.activate(await asyncio.to_thread(stack.sign_up, person))

    steps = list(await asyncio.gather(*(activated(p) for p in people)))

    async def check(step: str, person: Person) -> int:
        try:
            return (await asyncio.to_thread(stack.check, step, person)).status_code
        except httpx.HTTPError:
            return 0

    burst = asyncio.gather(*(check(s, p) for s, p in zip(steps, people, strict=True)))
    await eventually(lambda: _some_members(stack), timeout=60, interval=0.02)
    getattr(stack, victim).kill(signal.SIGKILL)
    statuses = await burst
    getattr(stack, victim).start()
    for step, person, status in zip(steps, people, statuses, strict=True):
        if status != 200:  # the person tries again once enroll is back
            assert stack.check(step, person).status_code == 200
    for step in steps:
        await stack.registered(step)
    await stack.assert_one_member_each(people)
    assert len(await stack.user_ids()) == len(people), "no member without eligibility"


async def _some_members(stack: Stack) -> bool:
    return len(await stack.user_ids()) >= 1


async def test_en_05_identity_killed_while_holding_the_credential_the_person_signs_up_again(
    services: Any, mongo: Mongo, ns: Namespace
) -> None:
    stack = Stack(services, mongo, ns)
    person = Person(insurer())
    stack.roster([person])
    stack.identity.kill(signal.SIGKILL)
    body = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    body |= CONSENT
    down = stack.post("/signups", body)
    assert (down.status_code, down.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    stack.identity.start()
    step = await stack.activate(stack.sign_up(person))
    assert stack.check(step, person).status_code == 200
    await stack.registered(step)
    await stack.assert_one_member_each([person])


async def test_x_02_en_08_no_password_token_code_or_answer_in_clear(
    services: Any, mongo: Mongo, ns: Namespace, infra: Infra
) -> None:
    stack = Stack(services, mongo, ns)
    person = Person(insurer())
    stack.roster([person])
    ref = stack.post(
        "/signups",
        {"email": person.email, "email_confirmation": person.email, "password": PASSWORD} | CONSENT,
    ).json()["signup_ref"]
    signup_id = ref.split(".")[0]
    link = await stack.link(signup_id)
    step = await stack.activate(signup_id)
    assert stack.check(step, person).status_code == 200
    await stack.registered(step)

    operator = create_support_operator(stack.identity, f"SUP{uuid.uuid4().hex[:8]}", "kencom")
    support = bearer(
        signed_in(stack.identity.url, "kencom", operator["login_id"], operator["initial_password"])
    )
    member = bearer(token_of(log_in(stack.identity.url, "kencom", person.email, PASSWORD)))
    url = f"{stack.enroll.url}{API}"
    code = httpx.post(f"{url}/members/{signup_id}/checkup-code", headers=support).json()["code"]
    answer = f"Answer-{uuid.uuid4().hex[:6]}"
    for path, body in (
        ("/checkup-access/code", {"code": code}),
        ("/checkup-access/secret-question", {"question_id": "first_pet", "answer": answer}),
        ("/checkup-access/secret-question/confirm", None),
        ("/checkup-access/answer", {"answer": answer}),
    ):
        done = httpx.post(f"{url}{path}", json=body, headers=member, timeout=30)
        assert done.status_code < 300, done.text

    secrets = {
        "password": PASSWORD,
        "activation token": link.split(".", 1)[1],
        "step token": step.split(".", 1)[1],
        "resend handle": ref.split(".", 1)[1],
        "checkup code": code,
        "secret answer": answer,
    }
    written = await everything_written(stack, infra)
    for name, secret in secrets.items():
        assert not any(secret in text for text in written), f"the {name} is in clear somewhere"


async def everything_written(stack: Stack, infra: Infra) -> list[str]:
    """Every stored document of enroll and identity, every event on their topics, their logs."""
    texts: list[str] = []
    for service in ("enroll", "identity"):
        db = stack.mongo[stack.ns.database(service)]
        await eventually(lambda db=db: _drained(db), timeout=30)
        for name in await db.list_collection_names():
            texts += [
                json.dumps(d, default=str, ensure_ascii=False) async for d in db[name].find({})
            ]
        topic = stack.ns.topic_prefix + f"{service}.events"
        records = await read_topic(infra.kafka_bootstrap_servers, topic, 10**6, timeout=5)
        assert records, f"{service} published"
        texts += [r.value.decode() for r in records]
        texts.append(getattr(stack, service).log_path.read_text())
    return texts


async def _drained(db: Any) -> bool:
    return await db["outbox"].count_documents({}) == 0
