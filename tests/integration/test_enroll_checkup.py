"""The checkup-results gate (seed 003 特定健診結果の閲覧手順 and A4; EN-06): the 健診閲覧コード
from the postcard, a secret question confirmed before it is saved, tries limited, and support's
reissue that voids the old code; who may do what (X-15)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from harness import Infra, eventually, read_topic
from identity_client import bearer, create_support_operator, signed_in, token_of
from kencom_signup import Kencom, Person, kencom, platform
from kencom_signup import new_insurer as insurer

from services.enroll.domain.refusals import NotFound

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
    return support_operator(kencom)[1]


def support_operator(kencom: Kencom) -> tuple[str, dict[str, str]]:
    """kencom's support desk, logged in: the operator's user id and session header."""
    operator = create_support_operator(kencom.identity, f"SUP{uuid.uuid4().hex[:8]}", "kencom")
    url = kencom.identity.url
    token = signed_in(url, "kencom", operator["login_id"], operator["initial_password"])
    return operator["user_id"], bearer(token)


async def locked_member(kencom: Kencom, support: dict[str, str]) -> tuple[str, dict[str, str], str]:
    """A member whose secret answer (出身地は？ Sapporo) locked after five wrong answers: their
    user id, session header and the postcard's code."""
    user_id, member = await a_member(kencom)
    c = kencom.client
    issued = await c.post(f"/v1/realms/kencom/members/{user_id}/checkup-code", headers=support)
    code = issued.json()["code"]
    assert (await c.post(f"{GATE}/code", json={"code": code}, headers=member)).status_code == 200
    question = {"question_id": "birthplace", "answer": "Sapporo"}
    await c.post(f"{GATE}/secret-question", json=question, headers=member)
    assert (await c.post(f"{GATE}/secret-question/confirm", headers=member)).status_code == 200
    wrong = [
        (await c.post(f"{GATE}/answer", json={"answer": "Tokyo"}, headers=member)).json()
        for _ in range(5)
    ]
    assert [w.get("tries_left") for w in wrong[:4]] == [4, 3, 2, 1]
    assert wrong[4]["code"] == "SECRET_ANSWER_LOCKED"
    return user_id, member, code


async def unlocked_events(kencom: Kencom, infra: Infra, user_id: str) -> list[dict[str, Any]]:
    """The ``SecretAnswerUnlocked`` events of a member on enroll's topic in Kafka."""
    topic = kencom.ns.topic_prefix + "enroll.events"
    records = await read_topic(infra.kafka_bootstrap_servers, topic, 10**6, timeout=2)
    events = [json.loads(r.value) for r in records]
    return [e for e in events if e["type"] == "SecretAnswerUnlocked" and e["subject_id"] == user_id]


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


async def test_en_06_a_locked_answer_stays_locked_through_a_new_question_and_a_new_code(
    kencom: Kencom,
) -> None:
    """The attack of issue 20: whoever holds the member's session after the answer locked sets
    a new question and answers it. Neither that, nor the postcard's code typed again, nor a
    code support reissues, unlocks the answer; the results stay shut (EN-06)."""
    support = support_desk(kencom)
    user_id, member, code = await locked_member(kencom, support)
    c = kencom.client

    own_question = {"question_id": "first_pet", "answer": "Pochi"}
    drafted = await c.post(f"{GATE}/secret-question", json=own_question, headers=member)
    confirmed = await c.post(f"{GATE}/secret-question/confirm", headers=member)
    opened = await c.post(f"{GATE}/answer", json={"answer": "Pochi"}, headers=member)
    assert opened.status_code == 423 and "健診結果" not in opened.text, (
        "results shown: " + opened.text
    )
    for refused in (drafted, confirmed, opened):
        assert (refused.status_code, refused.json()["code"]) == (423, "SECRET_ANSWER_LOCKED")

    again = await c.post(f"{GATE}/code", json={"code": code}, headers=member)
    assert again.status_code == 200, "the postcard proves identity again..."
    redrafted = await c.post(f"{GATE}/secret-question", json=own_question, headers=member)
    assert redrafted.json()["code"] == "SECRET_ANSWER_LOCKED", "...and unlocks nothing"
    right = await c.post(f"{GATE}/answer", json={"answer": "Sapporo"}, headers=member)
    assert right.json()["code"] == "SECRET_ANSWER_LOCKED", "not even the right answer"

    issue = f"/v1/realms/kencom/members/{user_id}/checkup-code"
    new_code = (await c.post(issue, headers=support)).json()["code"]
    assert (
        await c.post(f"{GATE}/code", json={"code": new_code}, headers=member)
    ).status_code == 200
    after_reissue = await c.post(f"{GATE}/answer", json={"answer": "Sapporo"}, headers=member)
    assert after_reissue.json()["code"] == "SECRET_ANSWER_LOCKED", "a reissue is no unlock"
    view = (await c.get(GATE, headers=member)).json()
    assert (view["question"], view["answer_tries_left"], view["answer_locked"]) == (
        "出身地は？",
        0,
        True,
    )


async def test_en_06_only_the_support_desk_unlocks_the_answer_and_its_event_names_who(
    kencom: Kencom, infra: Infra
) -> None:
    operator_id, support = support_operator(kencom)
    user_id, member, _ = await locked_member(kencom, support)
    c = kencom.client
    unlock = f"/v1/realms/kencom/members/{user_id}/secret-answer/unlock"

    assert (await c.post(unlock, headers=member)).json()["code"] == "FORBIDDEN"
    assert (await c.post(unlock)).json()["code"] == "SESSION_EXPIRED"
    unknown = await c.post(
        f"/v1/realms/kencom/members/{'0' * 32}/secret-answer/unlock", headers=support
    )
    assert unknown.json()["code"] == "NOT_FOUND"

    unlocked = await c.post(unlock, headers=support)
    assert unlocked.status_code == 200, unlocked.text
    assert (unlocked.json()["user_id"], unlocked.json()["unlocked"]) == (user_id, True)
    repeated = await c.post(unlock, headers=support)
    assert repeated.json()["unlocked"] is False, "nothing locked: nothing done, no second event"

    view = (await c.get(GATE, headers=member)).json()
    assert (view["answer_locked"], view["answer_tries_left"]) == (False, 5)
    wrong = await c.post(f"{GATE}/answer", json={"answer": "Tokyo"}, headers=member)
    assert wrong.json()["tries_left"] == 4, "counted afresh"
    opened = await c.post(f"{GATE}/answer", json={"answer": "Sapporo"}, headers=member)
    assert opened.status_code == 200 and "健診結果" in opened.json()["message"]

    [event] = await eventually(lambda: unlocked_events(kencom, infra, user_id), timeout=30)
    assert event["actor"] == {"kind": "support", "id": operator_id}, "the event names who"
    assert (event["realm"], event["subject_id"]) == ("kencom", user_id)
    assert "Sapporo" not in json.dumps(event)
    assert len(await unlocked_events(kencom, infra, user_id)) == 1


async def test_web_04_en_06_support_finds_a_member_by_login_id_or_user_id(kencom: Kencom) -> None:
    """The console's search (``Checkup.find``): the address in any case, or the user ID; a
    stranger's address, a sign-up not registered and junk are one answer: not found."""
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    _, user_id = await kencom.enrolled(person)
    checkup = kencom.app.state.enroll.checkup
    for query in (person.email, person.email.upper(), f"  {user_id} "):
        found = await checkup.find(query)
        assert (found.user_id, found.login_id) == (user_id, person.email)
        assert found.gate.code_issued is False and found.registered_at is not None
    pending = Person(insurer())
    await kencom.sign_up(pending.email, "pc")
    for query in (pending.email, "nobody@example.jp", "0" * 32, "", "x" * 400, "\x00'\""):
        with pytest.raises(NotFound):
            await checkup.find(query)


async def test_web_04_en_06_the_consoles_code_page_issues_only_when_confirmed(
    kencom: Kencom,
) -> None:
    """The console's 確認する → 確定する (WEB-05) on the API's use case: junk or no confirmation
    shows the confirmation and changes nothing; 確定する answers the code once, which the
    member's own gate then takes; a member's session is refused the console."""
    user_id, member = await a_member(kencom)
    token = support_desk(kencom)["Authorization"].removeprefix("Bearer ")
    c = kencom.client
    c.cookies.set("__Host-session", token)
    page = f"/realms/kencom/support/checkup-codes/{user_id}"
    form = await c.get(page)
    assert form.status_code == 200 and "未発行" in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    view = kencom.app.state.enroll.checkup.view
    for junk in ("", "YES", "yes\x00", "ｙｅｓ" * 50):
        shown = await c.post(
            f"{page}/issue",
            data={"csrf_token": csrf[1], "confirmed": junk},
        )
        assert shown.status_code == 200 and "確定する" in shown.text
        assert (await view(user_id)).code_issued is False, "nothing issued before 確定する"
    issued = await c.post(
        f"{page}/issue",
        data={"csrf_token": csrf[1], "confirmed": "yes"},
    )
    code = re.search(r'id="issued-code">([^<]+)<', issued.text)
    assert code is not None and (await view(user_id)).code_issued is True
    verified = await c.post(f"{GATE}/code", json={"code": code[1]}, headers=member)
    assert verified.status_code == 200, verified.text
    member_token = member["Authorization"].removeprefix("Bearer ")
    c.cookies.set("__Host-session", member_token)
    refused = await c.get(page)
    assert refused.status_code == 403 and code[1] not in refused.text
