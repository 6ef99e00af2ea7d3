"""The insurance-card step against a union's roster (seed 003 STEP2, A3; EN-03, EN-04), through
real Kafka, database and Mailpit: each answer with its code and the seed's guidance, the card as
people type it, one check per person, and tries counted exactly under parallel requests."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import pytest
from kencom_signup import Kencom, Person, kencom, platform
from kencom_signup import new_insurer as insurer

pytestmark = pytest.mark.integration
__all__ = ["kencom", "platform"]  # the module's fixtures


async def test_en_03_the_card_is_read_as_people_type_it(kencom: Kencom) -> None:
    """Half-width kana and a space, full-width digits, 記号 after the hyphen, the last 7 of
    an 8-digit 番号 (seed 003 STEP2-4), on the card and in the roster alike."""
    person = Person(insurer(), symbol="1234", number="2345678", name_kana="ケンコム タロウ")
    on_roster = person.but(symbol="71-1234", number="12345678")
    assert (await kencom.roster(person.insurer_number, [on_roster])).status_code == 200
    step = await kencom.activated(person)
    typed = person.card(
        name_kana="ｹﾝｺﾑ ﾀﾛｳ",
        insurer_number="".join(chr(ord(c) + 0xFEE0) for c in person.insurer_number),
        symbol="７１－１２３４",
        number="92345678",
    )
    checked = await kencom.check(step, typed)
    assert checked.status_code == 200, checked.text
    assert (await kencom.registered(step))["status"] == "registered"


async def test_en_03_a_symbol_with_the_long_vowel_mark_is_one_symbol(kencom: Kencom) -> None:
    """ー is a character of the 記号, not a hyphen (EN-03): the roster's 71-コー12 is コー12, a
    card typed ｺｰ12 matches it, and a dash that is no hyphen is refused naming it, untried."""
    person = Person(insurer(), symbol="コー12")
    assert (await kencom.roster(person.insurer_number, [person.but(symbol="71-コー12")])).json()[
        "rows"
    ] == 1
    step = await kencom.activated(person)
    dashed = await kencom.check(step, person.card(symbol="71‐コー12"))
    assert dashed.status_code == 422, dashed.text
    assert (dashed.json()["field"], "「‐」" in dashed.json()["detail"]) == ("symbol", True)
    assert (await kencom.progress(step))["tries_left"] == 5, "not counted"
    checked = await kencom.check(step, person.card(symbol="ｺｰ12"))
    assert (checked.status_code, checked.json()["code"]) == (200, "ELIGIBLE"), checked.text


async def test_en_03_a_card_that_cannot_be_one_is_refused_without_a_try(kencom: Kencom) -> None:
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    step = await kencom.activated(person)
    for field, typed in (("name_kana", "健康太郎"), ("insurer_number", "0612"), ("number", "12-x")):
        refused = await kencom.check(step, person.card(**{field: typed}))
        assert refused.status_code == 422
        assert (refused.json()["code"], refused.json()["field"]) == (
            "INSURANCE_CARD_INVALID",
            field,
        )
    assert (await kencom.progress(step))["tries_left"] == 5, "not counted"


async def test_en_04_each_answer_has_its_code_and_the_seeds_guidance(kencom: Kencom) -> None:
    union = insurer()
    insured = Person(union)
    child = Person(
        union, name_kana="ケンコムハナコ", birth_date=date(2012, 3, 3), relationship="家族"
    )
    await kencom.roster(union, [insured, child], {"dependant_min_age": 18})
    step = await kencom.activated(Person(union))

    async def answer(card: dict[str, object]) -> dict[str, object]:
        found = await kencom.check(step, card)
        assert found.headers["content-type"] == "application/problem+json"
        return dict(found.json()) | {"status": found.status_code}

    not_linked = await answer(Person(insurer()).card())
    assert (not_linked["status"], not_linked["code"]) == (422, "ELIGIBILITY_NOT_YET_LINKED")
    assert any("2ヶ月ほど" in line for line in not_linked["guidance"])  # type: ignore[attr-defined]
    no_match = await answer(insured.card(birth_date="1980-05-18"))
    assert (no_match["status"], no_match["code"]) == (422, "ELIGIBILITY_NO_MATCH")
    assert no_match["title"] == "保険証情報を確認できませんでした"
    assert any("入力内容に誤り" in line for line in no_match["guidance"])  # type: ignore[attr-defined]
    assert any("1〜2か月" in line for line in no_match["guidance"])  # type: ignore[attr-defined]
    restricted = await answer(child.card())
    assert (restricted["status"], restricted["code"]) == (403, "ELIGIBILITY_RESTRICTED")
    assert restricted["restriction"] == "dependant_age_limit"
    assert any("年齢制限" in line for line in restricted["guidance"])  # type: ignore[attr-defined]
    assert restricted["tries_left"] == 2
    await answer(insured.card(name_kana="ケンコムジロウ"))
    await answer(insured.card(name_kana="ケンコムサブロウ"))
    exhausted = await answer(insured.card())
    assert (exhausted["status"], exhausted["code"]) == (429, "ELIGIBILITY_TRIES_EXHAUSTED")
    assert exhausted["tries_left"] == 0, "the roster cannot be searched by guessing"


async def test_en_04_insured_persons_only_is_a_unions_restriction(kencom: Kencom) -> None:
    union = insurer()
    child = Person(
        union, name_kana="ケンコムハナコ", birth_date=date(1990, 3, 3), relationship="家族"
    )
    await kencom.roster(union, [Person(union), child], {"insured_only": True})
    refused = await kencom.check(await kencom.activated(child), child.card())
    assert refused.json()["restriction"] == "insured_persons_only"


async def test_en_04_a_person_is_checked_once_and_guided_to_the_earlier_account(
    kencom: Kencom,
) -> None:
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    await kencom.enrolled(person)
    again = person.but(email=f"second-{person.email}")
    step = await kencom.activated(again)
    refused = await kencom.check(step, again.card())
    assert (refused.status_code, refused.json()["code"]) == (409, "ELIGIBILITY_ALREADY_REGISTERED")
    guidance = " ".join(refused.json()["guidance"])
    for words in (
        "1名あたり1回まで",
        "以前設定済みのメールアドレスとパスワードでログイン",
        "パスワードを忘れた方",
        "ログインIDを忘れた方",
    ):
        assert words in guidance, words
    assert person.email not in refused.text and person.email.split("@")[0] not in refused.text
    assert (await kencom.progress(step))["status"] == "activated", "no member for it"
    assert kencom.log_in(again.email).status_code == 401, "never a second member"


async def test_x_13_en_04_parallel_tries_are_counted_exactly(kencom: Kencom) -> None:
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    step = await kencom.activated(person)
    wrong = person.card(birth_date="1999-01-01")
    answers = await asyncio.gather(*(kencom.check(step, wrong) for _ in range(12)))
    codes = Counter(a.json()["code"] for a in answers)
    assert codes == {"ELIGIBILITY_NO_MATCH": 5, "ELIGIBILITY_TRIES_EXHAUSTED": 7}


async def test_x_13_en_04_one_person_signing_up_twice_at_once_becomes_one_member(
    kencom: Kencom,
) -> None:
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    twins = [person, person.but(email=f"twin-{person.email}")]
    steps = [await kencom.activated(p) for p in twins]
    answers = await asyncio.gather(*(kencom.check(s, person.card()) for s in steps))
    codes = sorted(a.json()["code"] for a in answers)
    assert codes == ["ELIGIBILITY_ALREADY_REGISTERED", "ELIGIBLE"]
    winner = steps[[a.status_code for a in answers].index(200)]
    assert (await kencom.registered(winner))["status"] == "registered"
