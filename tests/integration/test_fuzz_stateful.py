"""X-05 and X-15 in chains of calls: schemathesis's stateful phase follows the links identity's
and enroll's OpenAPI documents declare (``services/*/api/links.py``), so that an id an answer
gives goes into the next call's path and a session a login opens makes the calls after it.

Identity's chains: the back office (or support) opens an organisation, reads it, its admin logs
in with the initial password shown once, and changes it; an admin creates a business user,
then changes its profile, status, permissions and passwords, and the user logs in; support
registers a member and initialises it; a login's session introspects itself, asks where its
login stands, changes its password (rotating the session) and logs out. Enroll's: a sign-up is
resent, activated (by the link in its mail), checked against the roster and followed; a
roster imported is read back; support issues a member's checkup code, which the member types,
then sets and answers a secret question.

The calls are made by the single-request fuzzing's people (``fuzz_people``), the back office,
and the sessions the chains open; the machine switches between them, so that what one made is
sometimes asked for by a stranger, and every read answered 2xx is asked again by each caller
who is a stranger to it. Every answer is checked as in ``test_fuzz_openapi`` (no 500,
a documented status, a conforming body) and by the service's oracle (``fuzz_oracles``): no 2xx
to a stranger (X-15), and an introspection answers the caller's own session (ID-SESS-02). The
credential changes are made only by sessions the run opened for people it made, whose locks
harm nobody; the test's people never change their own credentials, nor log out.

``make test`` runs a bounded number of scenarios from a fixed seed; docs/fuzzing.md gives the
variables for a longer run (``FUZZ_STATEFUL_EXAMPLES``, ``FUZZ_STATEFUL_STEPS``,
``FUZZ_STATEFUL_SEED``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace

import httpx
import pytest
import schemathesis
from fuzz_oracles import EnrollOracle, IdentityOracle, Person
from fuzz_people import Mailbox, Role, an_enrolled_member, people, served_document
from harness import PROVISIONING_TOKEN, Infra, Namespace, ServiceProcess
from identity_client import NEW_PASSWORD, NOTIFY_PUBLIC, bearer, support_session
from kencom_signup import EASY_CHALLENGES, PASSWORD
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.stateful.state_machine import StepInput
from stateful_fuzzing import Caller, Tally, run, state_machine

from services.identity.domain.realms import PRESETS

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "50"))
STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "25"))
SEED = int(os.environ.get("FUZZ_STATEFUL_SEED", "20"))

CONFIG = schemathesis.Config.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})
"""Only the documented links: schemathesis's own inference would add guesses of its own."""


def stateful_schema(service: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_dict(served_document(service), config=CONFIG)


@dataclass(frozen=True)
class Platform:
    identity: ServiceProcess
    enroll: ServiceProcess
    mailbox: Mailbox
    roles: dict[str, Role]
    support_desks: dict[str, Caller]
    """Support of ``mypage`` and ``kencom`` (members live there), beside ``demo``'s."""
    kencom_member: Caller


@pytest.fixture(scope="module")
def platform(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Identity (kencom's logins pass its easiest challenge) and enroll as processes on one
    namespace (a sign-up's member is registered by identity over Kafka), the single-request
    fuzzing's people, the support desks of mypage and kencom, and a kencom member enrolment
    made, whose checkup code kencom's support issues."""
    logs = tmp_path_factory.mktemp("fuzz-stateful")
    ns = Namespace()
    with ExitStack() as stack:
        identity = ServiceProcess(
            "identity", infra, ns, logs, **EASY_CHALLENGES | {"notify_public_key": NOTIFY_PUBLIC}
        ).start()
        stack.callback(identity.stop)
        enroll = ServiceProcess(
            "enroll", infra, ns, logs, identity_url=identity.url, notify_public_key=NOTIFY_PUBLIC
        ).start()
        stack.callback(enroll.stop)
        mailbox = Mailbox(infra.mongodb_uri, ns.database("enroll"))
        stack.callback(mailbox.close)
        roles = people(identity, ns, infra)
        member_id, member = an_enrolled_member(identity.url, enroll.url, mailbox)
        desks = {
            "mypage support": _caller("mypage support", identity.url, _desk(identity, "mypage")),
            "kencom support": _caller(
                "kencom support", identity.url, _desk(identity, "kencom"), {"user_id": member_id}
            ),
        }
        yield Platform(
            identity,
            enroll,
            mailbox,
            roles,
            desks,
            _caller("a kencom member", identity.url, member),
        )
        for name, role in roles.items():
            if role.token:
                alive = httpx.get(
                    f"{identity.url}/v1/sessions/current", headers=role.headers(), timeout=30
                )
                assert alive.status_code == 200, f"{name}'s session ended in the chains"


def _desk(identity: ServiceProcess, realm: str) -> str:
    token, _ = support_session(identity, realm)
    return token


def _caller(name: str, identity_url: str, token: str, path: dict[str, str] | None = None) -> Caller:
    """One of the test's people as a caller: who its session is, as introspection says."""
    path = path or {}
    if not token:
        return Caller(name, "anonymous", path.get("realm", "demo"), path=path)
    found = httpx.get(f"{identity_url}/v1/sessions/current", headers=bearer(token), timeout=30)
    assert found.status_code == 200, found.text
    me = found.json()
    return Caller(
        name,
        me["role"],
        me["realm"],
        token,
        org_id=me["org_id"],
        user_id=me["user_id"],
        path={"realm": me["realm"]} | path,
    )


def identity_callers(platform: Platform) -> dict[str, Caller]:
    url = platform.identity.url
    callers = {
        name: _caller(name, url, role.token, {"realm": role.realm} | role.path_parameters)
        for name, role in platform.roles.items()
    }
    callers["back office"] = Caller(
        "the back office", "back_office", "demo", PROVISIONING_TOKEN, path={"realm": "demo"}
    )
    callers["mypage support"] = platform.support_desks["mypage support"]
    return callers


def identity_oracle(callers: dict[str, Caller]) -> IdentityOracle:
    """The test's organisations and people, as the oracle starts from: the callers, the
    business user the admin's paths name, and the other organisation support's paths name."""
    orgs = {c.org_id: c.realm for c in callers.values() if c.org_id}
    known = {c.user_id: Person(c.kind, c.realm, c.org_id) for c in callers.values() if c.user_id}
    admin, support = callers["admin"], callers["support"]
    known[admin.path["user_id"]] = Person("business", "demo", admin.org_id)
    known[support.path["user_id"]] = Person("admin", "demo", support.path["org_id"])
    orgs[support.path["org_id"]] = "demo"
    return IdentityOracle(orgs, known)


IDENTITY_ROOTS = {
    "POST /v1/realms/{realm}/orgs",
    "POST /v1/realms/{realm}/orgs/{org_id}/users",
    "POST /v1/realms/{realm}/members",
    "POST /v1/realms/{realm}/login",
    "GET /v1/sessions/current",
}
"""Where a portal's people start: the back office opens an organisation, an admin creates a
user, support registers a member, someone logs in, a session asks who it is."""


def new_people_and_passwords(step: StepInput, caller: Caller) -> None:
    """A person made in a chain gets a login ID nobody has (the single-request fuzzing tries
    the malformed and the taken ones) and an idempotency key nobody used (a key repeated across
    scenarios would answer an earlier scenario's organisation, without its initial password),
    and a forced password change that carries the password just typed chooses an acceptable
    new one, so that the chains go past the new person's first login into its full session."""
    case, label = step.case, step.case.operation.label
    body = case.body if isinstance(case.body, dict) and _positive(case) else {}
    fresh = f"SF{uuid.uuid4().hex[:12]}"
    if label == "POST /v1/realms/{realm}/orgs" and isinstance(body.get("admin"), dict):
        body["admin"]["login_id"] = fresh
    if label in NEW_PEOPLE and _positive(case) and isinstance(case.body, dict):
        realm = (case.path_parameters or {}).get("realm")
        if realm in ASSIGNED_IDS:
            body.pop("login_id", None)  # nexi assigns its applicants' IDs (ID-USER-12)
        else:
            body["login_id"] = fresh  # optional in the schema since nexi's: always one here
    if case.headers and "idempotency-key" in case.headers:
        case.headers["idempotency-key"] = fresh  # a repeat is one request retried, not another
    carried = (ParameterLocation.BODY, "current_password") in step.applied_parameters
    if label == "POST /v1/realms/{realm}/password" and carried:
        body |= {"new_password": NEW_PASSWORD, "hint": None}  # demo keeps no hints


def _positive(case: schemathesis.Case) -> bool:
    """A case schemathesis generated to be valid (the negative ones stay as they are)."""
    return case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE


NEW_PEOPLE = {"POST /v1/realms/{realm}/orgs/{org_id}/users", "POST /v1/realms/{realm}/members"}
ASSIGNED_IDS = {name for name, policy in PRESETS.items() if policy.assigned_business_ids}
"""Realms whose business users' login IDs the realm assigns: a typed one is refused."""


def test_x_05_x_15_identity_stateful_sequences_never_answer_500_nor_leak_across_roles(
    platform: Platform,
) -> None:
    callers = identity_callers(platform)
    tally = Tally()
    machine = state_machine(
        stateful_schema("identity"),
        base_url=platform.identity.url,
        callers=callers,
        oracle=identity_oracle(callers),
        roots=IDENTITY_ROOTS,
        tally=tally,
        prepare=new_people_and_passwords,
    )
    run(machine, tally, examples=EXAMPLES, steps=STEPS, at_seed=SEED)
    print(f"\n[identity chains] {tally}")
    assert_chained(tally, paths=True, sessions=True)


ENROLL_ROOTS = {
    "POST /v1/realms/{realm}/signups",
    "POST /v1/realms/{realm}/signups/activate",
    "PUT /v1/realms/{realm}/rosters/{insurer_number}",
    "PUT /v1/realms/{realm}/rosters/{insurer_number}/file",
    "POST /v1/realms/{realm}/members/{user_id}/checkup-code",
}
"""A person signs up and follows the mailed link; the back office or support imports a
roster; support issues a member's checkup code."""


def typed_as_a_person_would(mailbox: Mailbox) -> Callable[[StepInput, Caller], None]:
    """A sign-up meant to be valid (schemathesis's positive cases) gets an address of its own,
    typed twice alike, and an acceptable password: the schema cannot say that two fields are
    equal, nor kencom's password rules, and the single-request fuzzing tries the rest. The
    activation is made with the link from the mail, while one is unread."""

    def prepare(step: StepInput, caller: Caller) -> None:
        case, label = step.case, step.case.operation.label
        typed = case.body if isinstance(case.body, dict) and _positive(case) else {}
        if label == "POST /v1/realms/{realm}/signups" and "email" in typed:
            address = f"sf-{uuid.uuid4().hex[:12]}@example.jp"
            typed |= {"email": address, "email_confirmation": address, "password": PASSWORD}
            typed |= {"accept_terms": True, "accept_privacy": True}
        if label == "POST /v1/realms/{realm}/signups/activate" and step.transition is None:
            token = mailbox.follow()
            if token is not None:
                case.body = {"token": token}

    return prepare


def test_x_05_x_15_enroll_stateful_sequences_never_answer_500_nor_leak_across_roles(
    platform: Platform,
) -> None:
    strangers = identity_callers(platform)
    callers = {
        "anonymous": Caller("anonymous", "anonymous", "kencom", path={"realm": "kencom"}),
        "back office": Caller(
            "the back office", "back_office", "kencom", PROVISIONING_TOKEN, path={"realm": "kencom"}
        ),
        "kencom support": platform.support_desks["kencom support"],
        "kencom member": platform.kencom_member,
        "demo admin": strangers["admin"],
        "mypage member": strangers["member"],
    }
    callers = {name: _in_kencom(caller) for name, caller in callers.items()}
    tally = Tally()
    machine = state_machine(
        stateful_schema("enroll"),
        base_url=platform.enroll.url,
        callers=callers,
        oracle=EnrollOracle(platform.mailbox),
        roots=ENROLL_ROOTS,
        tally=tally,
        prepare=typed_as_a_person_would(platform.mailbox),
        handed_on={"POST /v1/realms/{realm}/checkup-access/code": "user_id"},
    )
    run(machine, tally, examples=EXAMPLES, steps=STEPS, at_seed=SEED)
    print(f"\n[enroll chains] {tally}")
    assert_chained(tally, paths=False, sessions=False)


def _in_kencom(caller: Caller) -> Caller:
    """Enrolment is kencom's (SPEC section 6): every caller's roots go there."""
    return replace(caller, path={**caller.path, "realm": "kencom"})


def assert_chained(tally: Tally, *, paths: bool, sessions: bool) -> None:
    """The run chained calls rather than degenerating into single requests: a value an answer
    gave reached another operation's body, and where the service's links carry ids into paths
    (identity's organisations and users; enroll's only such link is a roster's number), an id
    reached another's path, both answered 2xx; where logins open sessions, a session a login
    opened made a call that succeeded; and strangers were asked for what others made, and
    refused."""
    assert tally.carried_into_body, f"no value from an answer reached a 2xx body: {tally}"
    assert not paths or tally.carried_into_path, f"no id from an answer reached a path: {tally}"
    assert not sessions or tally.session_successes, f"no login's session went on: {tally}"
    assert tally.strangers_refused, f"no stranger was asked: {tally}"
