"""The checkup-results gate (seed 003 特定健診結果の閲覧手順 and A4; EN-06): the 健診閲覧コード
from the postcard, a secret question confirmed before it is saved, tries limited, and support's
reissue that voids the old code; who may do what (X-15)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from identity_client import bearer, create_support_operator, signed_in, token_of
from kencom_signup import Kencom, Person, kencom, platform
from kencom_signup import new_insurer as insurer

pytestmark = pytest.mark.integration
__all__ = ["kencom", "platform"]  # the module's fixtures

GATE = "/v1/realms/kencom/checkup-access"


async def a_member(kencom: Kencom) -> tuple[str, dict[str, str]]:
    """A member enrolled here, logged in: their user id and session header."""
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    _, user_id = await kencom.enrolled(person)
    return user_id, bearer(token_of(kencom.log_in(person.email)))


def support_desk(kencom: Kencom) -> dict[str, str]:
    operator = create_support_operator(kencom.identity, f"SUP{uuid.uuid4().hex[:8]}", "kencom")
    url = kencom.identity.url
    return bearer(signed_in(url, "kencom", operator["login_id"], operator["initial_password"]))


async def test_en_06_code_then_a_confirmed_secret_question_then_its_answer(
    kencom: Kencom,
) -> None:
    user_id, member = await a_member(kencom)
    support = support_desk(kencom)
    c = kencom.client

    gate = await c.get(GATE, headers=member)
    assert gate.status_code == 200 and gate.json()["code_issued"] is False
    issued = await c.post(f"/v1/realms/kencom/members/{user_id}/checkup-code", headers=support)
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]

    early = await c.post(
        f"{GATE}/secret-question", json={"question_id": "birthplace", "answer": "x"}, headers=member
    )
    assert early.json()["code"] == "CHECKUP_IDENTITY_REQUIRED", "the code comes first"
    wrong = await c.post(f"{GATE}/code", json={"code": "WRONGCODE234"}, headers=member)
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["tries_left"]) == (
        422,
        "CHECKUP_CODE_INVALID",
        4,
    )
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    assert (await c.post(f"{GATE}/code", json={"code": typed}, headers=member)).status_code == 200

    questions = (await c.get(f"{GATE}/questions")).json()
    assert {"question_id": "birthplace", "question": "出身地は？"} in questions
    drafted = await c.post(
        f"{GATE}/secret-question",
        json={"question_id": "birthplace", "answer": "Sapporo"},
        headers=member,
    )
    assert drafted.status_code == 202 and "Sapporo" not in drafted.text, "shown masked"
    not_yet = await c.post(f"{GATE}/answer", json={"answer": "Sapporo"}, headers=member)
    assert not_yet.json()["code"] == "SECRET_QUESTION_REQUIRED", "saved only once confirmed"
    confirmed = await c.post(f"{GATE}/secret-question/confirm", headers=member)
    assert confirmed.json() == {"question_id": "birthplace", "question": "出身地は？"}

    case = await c.post(f"{GATE}/answer", json={"answer": "sapporo"}, headers=member)
    assert (case.json()["code"], case.json()["tries_left"]) == ("SECRET_ANSWER_INVALID", 4)
    assert (
        await c.post(f"{GATE}/answer", json={"answer": "Sapporo"}, headers=member)
    ).status_code == 200
    view = (await c.get(GATE, headers=member)).json()
    assert view["identity_verified"] and view["question"] == "出身地は？"
    assert view["answer_tries_left"] == 5, "a right answer starts the count again"


async def test_en_06_wrong_codes_lock_and_support_reissues_a_code_that_voids_the_old(
    kencom: Kencom,
) -> None:
    user_id, member = await a_member(kencom)
    support = support_desk(kencom)
    c = kencom.client
    issue = f"/v1/realms/kencom/members/{user_id}/checkup-code"
    old = (await c.post(issue, headers=support)).json()["code"]
    answers = [
        (await c.post(f"{GATE}/code", json={"code": "WRONGCODE234"}, headers=member)).json()
        for _ in range(5)
    ]
    assert [a.get("tries_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert answers[4]["code"] == "CHECKUP_CODE_LOCKED"
    locked = await c.post(f"{GATE}/code", json={"code": old}, headers=member)
    assert (locked.status_code, locked.json()["code"]) == (423, "CHECKUP_CODE_LOCKED")

    new = (await c.post(issue, headers=support)).json()["code"]
    assert new != old
    voided = await c.post(f"{GATE}/code", json={"code": old}, headers=member)
    assert voided.json()["code"] == "CHECKUP_CODE_INVALID", "a new code voids the old one"
    assert (await c.post(f"{GATE}/code", json={"code": new}, headers=member)).status_code == 200


async def test_x_15_en_06_only_the_member_opens_their_gate_and_only_support_issues_codes(
    kencom: Kencom,
) -> None:
    user_id, member = await a_member(kencom)
    c = kencom.client
    issue = f"/v1/realms/kencom/members/{user_id}/checkup-code"
    anonymous: dict[str, Any] = (await c.get(GATE)).json()
    assert anonymous["code"] == "SESSION_EXPIRED"
    assert (await c.post(issue, headers=member)).json()["code"] == "FORBIDDEN"
    support = support_desk(kencom)
    unknown = await c.post(
        "/v1/realms/kencom/members/" + "0" * 32 + "/checkup-code", headers=support
    )
    assert unknown.json()["code"] == "NOT_FOUND", "only members enrolled here have a gate"
    cookie = {"Cookie": f"__Host-session={member['Authorization'][7:]}"}
    csrf = await c.post(f"{GATE}/code", json={"code": "X"}, headers=cookie)
    assert csrf.json()["code"] == "CSRF_CHECK_FAILED", "X-12 for the session cookie"
