"""kencom's STEP2 consent and the sign-up's codes (EN-09), a union under kencom maintenance and
特例退職's two cards (EN-10), end to end: enroll in this process with a moved clock, identity and
notify as processes, real Kafka, database and Mailpit; ``MemberRegistered`` read from Kafka."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness import PROVISIONING, Infra, Namespace, ServiceProcess, eventually, read_topic
from kencom_signup import (
    PASSWORD,
    TICKED,
    Kencom,
    Person,
    kencom_portal,
    new_insurer,
    platform,
)
from roster_maker import card, former_card, write_roster

pytestmark = pytest.mark.integration
__all__ = ["platform"]  # the module's fixture

TERMS, PRIVACY = "2026.04", "3.1"


@pytest.fixture
async def kencom(infra: Infra, platform: tuple[ServiceProcess, Namespace]) -> AsyncIterator[Kencom]:
    """Enroll with documents of its own versions, a group-link code, and rosters read afresh
    by every check (a maintenance mark is in force at once)."""
    identity, ns = platform
    async with kencom_portal(
        infra,
        ns,
        identity,
        terms_version=TERMS,
        privacy_version=PRIVACY,
        group_link_codes={"KENSHIN01": "g-kenshin"},
        roster_cache_seconds=0,
    ) as portal:
        yield portal


async def member_registered(infra: Infra, kencom: Kencom, user_id: str) -> dict[str, Any]:
    """The member's ``MemberRegistered`` as Kafka carries it."""

    async def published() -> dict[str, Any] | None:
        records = await read_topic(
            infra.kafka_bootstrap_servers,
            kencom.ns.topic_prefix + "enroll.events",
            10**6,
            timeout=2,
        )
        for record in records:
            event = json.loads(record.value)
            if event["type"] == "MemberRegistered" and event["user_id"] == user_id:
                return dict(event)
        return None

    found: dict[str, Any] = await eventually(published, timeout=60, interval=0.5)
    return found


async def test_en_09_the_consent_and_the_codes_are_recorded_and_announced(
    infra: Infra, kencom: Kencom
) -> None:
    person = Person(new_insurer())
    assert (await kencom.roster(person.insurer_number, [person])).status_code == 200
    documents = (await kencom.client.get("/v1/realms/kencom/signups/documents")).json()
    assert (documents["terms_version"], documents["privacy_version"]) == (TERMS, PRIVACY)
    assert documents["terms_url"].startswith("https://")
    bare = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    for missing, field in (({}, "accept_terms"), ({"accept_terms": True}, "accept_privacy")):
        refused = await kencom.client.post("/v1/realms/kencom/signups", json=bare | missing)
        assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR")
        assert refused.json()["field"] == field, refused.text
    old = await kencom.sign_up(person.email, terms_version="2025.01")
    assert old.status_code == 422 and "改定" in old.json()["detail"], "a revised version asks again"
    for junk in ({"invitation_code": "ab"}, {"group_link_code": "NOPE"}):
        assert (await kencom.sign_up(person.email, **junk)).status_code == 422, junk
    assert kencom.subjects_to(person.email) == [], "nothing was sent for a refused sign-up"

    started = await kencom.sign_up(
        person.email,
        invitation_code="ＦＲＩＥＮＤ2026",
        group_link_code="kenshin01",
        terms_version=TERMS,
        privacy_version=PRIVACY,
    )
    assert started.status_code == 202, started.text
    [token] = await kencom.links(person.email, 1)
    step = (await kencom.activate(token)).json()["signup_token"]
    assert (await kencom.check(step, person.card())).status_code == 200
    user_id = (await kencom.registered(step))["user_id"]
    event = await member_registered(infra, kencom, user_id)
    assert event["invitation_code"] == "FRIEND2026", "recorded as half-width, for the operator"
    assert event["group_id"] == "g-kenshin"
    assert (event["terms_version"], event["privacy_version"]) == (TERMS, PRIVACY)
    assert event["consented_at"] is not None and PASSWORD not in json.dumps(event)


async def test_en_09_the_confirmation_page_asks_for_consent_before_it_sends(
    kencom: Kencom,
) -> None:
    person = Person(new_insurer())
    form = await kencom.client.get("/realms/kencom/signup")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None and 'name="invitation_code"' in form.text
    assert 'name="group_link_code"' in form.text
    typed = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    bad = await kencom.client.post(
        "/realms/kencom/signup", data=typed | {"csrf_token": csrf[1], "group_link_code": "NOPE"}
    )
    assert bad.status_code == 422 and "団体連携コードが正しくありません" in bad.text
    shown = await kencom.client.post(
        "/realms/kencom/signup",
        data=typed | {"csrf_token": csrf[1], "invitation_code": "FRIEND2026"},
    )
    assert shown.status_code == 200 and "kencom会員規約" in shown.text
    assert "プライバシーポリシー" in shown.text and "FRIEND2026" in shown.text
    assert f'name="terms_version" value="{TERMS}"' in shown.text
    draft = re.search(r'name="draft" value="([^"]+)"', shown.text)
    assert draft is not None
    sent = {"draft": draft[1], "csrf_token": csrf[1]}
    unticked = await kencom.client.post("/realms/kencom/signup/send", data=sent)
    assert unticked.status_code == 422 and "kencom会員規約に同意してください" in unticked.text
    assert 'name="draft"' in unticked.text, "the confirmation again, with what was typed"
    half = await kencom.client.post(
        "/realms/kencom/signup/send", data=sent | {"accept_terms": "on"}
    )
    assert half.status_code == 422 and "プライバシーポリシーに同意してください" in half.text
    revised = sent | TICKED | {"terms_version": "2025.01"}
    late = await kencom.client.post("/realms/kencom/signup/send", data=revised)
    assert late.status_code == 422 and "改定" in late.text
    assert kencom.subjects_to(person.email) == [], "nothing sent without consent"
    shown_versions = {"terms_version": TERMS, "privacy_version": PRIVACY}
    done = await kencom.client.post(
        "/realms/kencom/signup/send", data=sent | TICKED | shown_versions
    )
    assert done.status_code == 202, done.text[:500]
    await kencom.links(person.email, 1)


async def test_en_10_a_union_under_maintenance_answers_the_seeds_guidance_without_a_try(
    kencom: Kencom,
) -> None:
    person = Person(new_insurer())
    union = person.insurer_number
    unknown = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{new_insurer()}/maintenance",
        json={"under_maintenance": True},
        headers=PROVISIONING,
    )
    assert unknown.status_code == 404, "a union without a roster has nothing to maintain"
    assert (await kencom.roster(union, [person])).status_code == 200
    marked = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{union}/maintenance",
        json={"under_maintenance": True},
        headers=PROVISIONING,
    )
    assert marked.status_code == 200 and marked.json()["under_maintenance"] is True
    assert marked.json()["changed"] is True and marked.json()["maintenance_since"]
    stranger = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{union}/maintenance", json={"under_maintenance": False}
    )
    assert stranger.status_code == 401, "only the back office or the support desk"
    again = await kencom.roster(union, [person, person.but(name_kana="ケンコムハナコ")])
    assert again.json()["under_maintenance"] is True, "a new import keeps the mark"

    step = await kencom.activated(person)
    for _ in range(7):  # more than the five tries a sign-up has
        held = await kencom.check(step, person.card())
        assert (held.status_code, held.json()["code"]) == (409, "ELIGIBILITY_UNION_MAINTENANCE")
        assert "まずはお客様サポートにお問い合わせ下さい。" in held.json()["guidance"]
        assert held.json()["tries_left"] == 5, "not counted"
    assert (await kencom.progress(step))["tries_left"] == 5

    ended = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{union}/maintenance",
        json={"under_maintenance": False},
        headers=PROVISIONING,
    )
    assert ended.json()["under_maintenance"] is False
    eligible = await kencom.check(step, person.card())
    assert (eligible.status_code, eligible.json()["tries_left"]) == (200, 4)
    await kencom.registered(step)


async def test_en_10_a_retired_member_registers_with_either_card_once(
    kencom: Kencom, tmp_path: Path
) -> None:
    union = new_insurer()
    path = write_roster(tmp_path / "r.csv", union, 10, "cp932", retired=frozenset({2, 5}))
    imported = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{union}/file",
        content=path.read_bytes(),
        headers=PROVISIONING | {"content-type": "text/csv"},
    )
    assert imported.status_code == 200 and imported.json()["rows"] == 10, imported.text
    by_old = Person(union)
    step = await kencom.activated(by_old)
    assert (await kencom.check(step, former_card(union, 2))).status_code == 200
    await kencom.registered(step)
    by_new = Person(union)
    twice = await kencom.activated(by_new)
    same = await kencom.check(twice, card(union, 2))
    assert same.json()["code"] == "ELIGIBILITY_ALREADY_REGISTERED", "one person, two cards"
    other = Person(union)
    step = await kencom.activated(other)
    assert (await kencom.check(step, card(union, 5))).status_code == 200, "the new card too"
    nobody = await kencom.activated(Person(union))
    not_retired = await kencom.check(nobody, former_card(union, 3))
    assert not_retired.json()["code"] == "ELIGIBILITY_NO_MATCH"

    api_union = new_insurer()
    retiree = Person(api_union, symbol="5678", number="1111111")
    line = retiree.roster_line() | {"former_symbol": "71-1234", "former_number": "12345678"}
    by_api = await kencom.client.put(
        f"/v1/realms/kencom/rosters/{api_union}",
        json={"members": [line]},
        headers=PROVISIONING,
    )
    assert by_api.status_code == 200, by_api.text
    step = await kencom.activated(retiree)
    old_card = retiree.card(symbol="1234", number="2345678")
    assert (await kencom.check(step, old_card)).status_code == 200
