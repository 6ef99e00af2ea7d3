"""The stateful fuzzing's oracles can fail (tests/fuzz_oracles.py): a 2xx to a stranger is
called a leak (X-15), and an introspection that answers someone else fails (ID-SESS-02), while
the people an organisation or a user belongs to are let through."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fuzz_oracles import EnrollOracle, IdentityOracle, Person
from fuzz_people import served_document
from stateful_fuzzing import Caller

IDENTITY = schemathesis.openapi.from_dict(served_document("identity"))
ENROLL = schemathesis.openapi.from_dict(served_document("enroll"))
ORG, OTHER_ORG, USER, ADMIN, MEMBER = "a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32


def caller(kind: str, realm: str = "demo", org_id: str | None = None) -> Caller:
    return Caller(f"a {kind}", kind, realm, "token", org_id=org_id, user_id="f" * 32)


def case(schema: Any, method: str, path: str, **named: str) -> schemathesis.Case:
    operation = schema[path][method]
    made: schemathesis.Case = operation.Case(path_parameters={"realm": "demo"} | named)
    return made


class Answer:
    """What the oracle reads of a 2xx response: its status and body."""

    def __init__(self, body: dict[str, Any], status_code: int = 200) -> None:
        self.body = body
        self.status_code = status_code
        self.headers: dict[str, list[str]] = {}

    def json(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.body))


@pytest.fixture
def oracle() -> IdentityOracle:
    """An organisation with its admin and a business user; a member of mypage."""
    return IdentityOracle(
        {ORG: "demo", OTHER_ORG: "demo"},
        {
            USER: Person("business", "demo", ORG),
            ADMIN: Person("admin", "demo", ORG),
            MEMBER: Person("member", "mypage"),
        },
    )


def test_x_15_an_organisation_is_its_admins_its_supports_and_the_back_offices(
    oracle: IdentityOracle,
) -> None:
    read = case(IDENTITY, "GET", "/v1/realms/{realm}/orgs/{org_id}", org_id=ORG)
    for insider in (caller("admin", org_id=ORG), caller("support"), caller("back_office")):
        assert oracle.refusal_due(read, insider) is None
    strangers = [
        caller("admin", org_id=OTHER_ORG),
        caller("business", org_id=ORG),
        caller("member", "mypage"),
        caller("support", "mypage"),
        Caller("nobody", "anonymous", "demo"),
    ]
    for stranger in strangers:
        assert oracle.refusal_due(read, stranger) is not None, stranger


def test_x_15_a_business_user_is_its_admins_and_a_member_its_supports(
    oracle: IdentityOracle,
) -> None:
    profile = "/v1/realms/{realm}/orgs/{org_id}/users/{user_id}/profile"
    users = case(IDENTITY, "PUT", profile, org_id=ORG, user_id=USER)
    assert oracle.refusal_due(users, caller("admin", org_id=ORG)) is None
    assert oracle.refusal_due(users, caller("support")) is not None
    assert oracle.refusal_due(users, caller("admin", org_id=OTHER_ORG)) is not None
    elsewhere = case(IDENTITY, "PUT", profile, org_id=OTHER_ORG, user_id=USER)
    assert oracle.refusal_due(elsewhere, caller("admin", org_id=OTHER_ORG)) is not None
    initialise = "/v1/realms/{realm}/members/{user_id}/initialise"
    members = case(IDENTITY, "POST", initialise, realm="mypage", user_id=MEMBER)
    assert oracle.refusal_due(members, caller("support", "mypage")) is None
    assert oracle.refusal_due(members, caller("support", "demo")) is not None
    opening = case(IDENTITY, "POST", "/v1/realms/{realm}/orgs")
    assert oracle.refusal_due(opening, caller("admin", org_id=ORG)) is not None


def test_x_15_the_oracle_learns_what_the_run_made(oracle: IdentityOracle) -> None:
    opening = case(IDENTITY, "POST", "/v1/realms/{realm}/orgs")
    made = {"org_id": "1" * 32, "admin_user_id": "2" * 32, "admin_login_id": "x"}
    oracle.learn(opening, Answer(made, 201), caller("back_office"))  # type: ignore[arg-type]
    read = case(IDENTITY, "GET", "/v1/realms/{realm}/orgs/{org_id}", org_id="1" * 32)
    assert oracle.refusal_due(read, caller("admin", org_id=ORG)) is not None
    assert oracle.refusal_due(read, caller("admin", org_id="1" * 32)) is None


def test_id_sess_02_an_introspection_must_answer_the_callers_own_session(
    oracle: IdentityOracle,
) -> None:
    introspection = IDENTITY["/v1/sessions/current"]["GET"].Case()
    me = caller("admin", org_id=ORG)
    oracle.check_answer(introspection, Answer({"user_id": me.user_id}), me)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="ID-SESS-02"):
        oracle.check_answer(introspection, Answer({"user_id": USER}), me)  # type: ignore[arg-type]
    nobody = Caller("nobody", "anonymous", "demo")
    assert oracle.refusal_due(introspection, nobody) is not None


def test_x_15_rosters_codes_and_the_checkup_gate_are_their_own_peoples() -> None:
    enroll = EnrollOracle(mailbox=None)  # type: ignore[arg-type]
    rosters = "/v1/realms/{realm}/rosters/{insurer_number}"
    roster = case(ENROLL, "GET", rosters, realm="kencom", insurer_number="06123456")
    assert enroll.refusal_due(roster, caller("back_office", "kencom")) is None
    assert enroll.refusal_due(roster, caller("support", "kencom")) is None
    assert enroll.refusal_due(roster, caller("support", "demo")) is not None
    assert enroll.refusal_due(roster, caller("member", "kencom")) is not None
    gate = case(ENROLL, "GET", "/v1/realms/{realm}/checkup-access", realm="kencom")
    assert enroll.refusal_due(gate, caller("member", "kencom")) is None
    assert enroll.refusal_due(gate, caller("member", "mypage")) is not None
    questions = case(ENROLL, "GET", "/v1/realms/{realm}/checkup-access/questions")
    assert enroll.refusal_due(questions, Caller("nobody", "anonymous", "kencom")) is None
