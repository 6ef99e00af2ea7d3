"""Enroll's pure rules of the insurance card (EN-03), the roster (EN-04, EN-07)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.enroll import EligibilityOutcome, EligibilityRestriction
from services.enroll.domain import card, roster
from services.enroll.domain.card import Relationship
from services.enroll.domain.refusals import CardRefused, RosterRefused
from services.enroll.domain.roster import Restrictions, Roster, RosterPerson

TODAY = date(2026, 4, 1)
INSURED = RosterPerson("1234", "2345678", "ケンコムタロウ", date(1980, 5, 17), Relationship.INSURED)
CHILD = RosterPerson("1234", "2345678", "ケンコムハナコ", date(2010, 1, 2), Relationship.DEPENDANT)


def a_roster(**restrictions: object) -> Roster:
    return Roster("06123456", "roster.x", 4, 2, "d", Restrictions(**restrictions))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "typed",
    ["ケンコム タロウ", "ケンコム\u3000タロウ", "ｹﾝｺﾑ ﾀﾛｳ", " ケンコムタロウ ", "ｹﾝｺﾑﾀﾛｳ"],
)
def test_en_03_the_name_is_full_width_katakana_as_people_type_it(typed: str) -> None:
    assert card.name_kana(typed) == "ケンコムタロウ"


def test_en_03_half_width_dakuten_become_one_full_width_kana() -> None:
    assert card.name_kana("ｶﾞｯｺｳ ﾊﾟﾝ") == "ガッコウパン"


@pytest.mark.parametrize(
    ("typed", "bad"), [("健康太郎", "健"), ("けんこむ", "け"), ("Kencom", "K")]
)
def test_en_03_x_07_other_characters_are_refused_naming_the_first(typed: str, bad: str) -> None:
    with pytest.raises(CardRefused) as refused:
        card.name_kana(typed)
    assert refused.value.field == "name_kana" and f"「{bad}」" in (refused.value.detail or "")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("71-1234", "1234"), ("1234", "1234"), ("７１－１２３４", "1234"), ("71ｰ1234", "1234")],
)
def test_en_03_the_symbol_is_the_part_after_the_hyphen(typed: str, kept: str) -> None:
    assert card.symbol(typed) == kept


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("12345678", "2345678"), ("123456789", "3456789"), ("2345678", "2345678"), ("123", "123")],
)
def test_en_03_the_number_is_the_last_7_of_8_digits_or_more(typed: str, kept: str) -> None:
    assert card.number(typed) == kept


def test_en_03_insurer_numbers_are_6_or_8_digits_and_birth_dates_real_days() -> None:
    assert card.insurer_number("０６１２３４５６") == "06123456"
    for bad in ("0612345", "06-123456", "abcdefgh"):
        with pytest.raises(CardRefused):
            card.insurer_number(bad)
    with pytest.raises(CardRefused):
        card.birth_date(date(2027, 1, 1), TODAY)


def test_en_04_the_roster_answers_each_outcome() -> None:
    typed = card.Card("ケンコムタロウ", date(1980, 5, 17), "06123456", "1234", "2345678")
    assert roster.check(typed, None, [], TODAY).outcome is EligibilityOutcome.NOT_YET_LINKED
    found = roster.check(typed, a_roster(), [INSURED, CHILD], TODAY)
    assert found.outcome is EligibilityOutcome.ELIGIBLE and found.person == INSURED
    wrong = card.Card("ケンコムジロウ", date(1980, 5, 17), "06123456", "1234", "2345678")
    assert roster.check(wrong, a_roster(), [INSURED], TODAY).outcome is EligibilityOutcome.NO_MATCH
    assert roster.check(typed, a_roster(), [], TODAY).outcome is EligibilityOutcome.NO_MATCH


@pytest.mark.parametrize(
    ("restrictions", "restriction"),
    [
        ({"insured_only": True}, EligibilityRestriction.INSURED_PERSONS_ONLY),
        ({"dependant_min_age": 18}, EligibilityRestriction.DEPENDANT_AGE_LIMIT),
        ({"dependant_max_age": 10}, EligibilityRestriction.DEPENDANT_AGE_LIMIT),
        ({"dependant_min_age": 16, "dependant_max_age": 20}, None),
    ],
)
def test_en_04_en_07_the_unions_restrictions_are_data(
    restrictions: dict[str, object], restriction: EligibilityRestriction | None
) -> None:
    child = card.Card("ケンコムハナコ", date(2010, 1, 2), "06123456", "1234", "2345678")
    said = roster.check(child, a_roster(**restrictions), [INSURED, CHILD], TODAY)
    assert said.restriction is restriction
    insured = card.Card("ケンコムタロウ", date(1980, 5, 17), "06123456", "1234", "2345678")
    assert roster.check(insured, a_roster(**restrictions), [INSURED], TODAY).restriction is None


def test_en_07_a_line_is_packed_and_found_in_its_bucket() -> None:
    text = "\n".join(p.packed() for p in (INSURED, CHILD))
    assert roster.in_bucket(text, "1234", "2345678") == [INSURED, CHILD]
    assert roster.in_bucket(text, "1234", "234567") == []
    assert 0 <= roster.bucket_of("1234", "2345678", 7, 12345) < 7


def test_en_07_a_bad_line_is_refused_naming_its_line_and_field() -> None:
    columns = roster.header(["記号", "番号", "氏名カナ", "生年月日", "続柄"])
    good = roster.row(
        ["71-1234", "12345678", "ｹﾝｺﾑ ﾀﾛｳ", "1980/5/17", "本人"], columns, 2, "06123456", TODAY
    )
    assert good == INSURED
    with pytest.raises(RosterRefused) as refused:
        roster.row(
            ["1234", "2345678", "健康太郎", "1980-05-17", "本人"], columns, 9, "06123456", TODAY
        )
    assert (refused.value.line, refused.value.field) == (9, "name_kana")
    with pytest.raises(RosterRefused) as refused:
        roster.row(["1234", "2345678", "ケン", "1980-13-01", "本人"], columns, 3, "06123456", TODAY)
    assert (refused.value.line, refused.value.field) == (3, "birth_date")
    with pytest.raises(RosterRefused) as refused:
        roster.header(["記号", "番号", "生年月日"])
    assert (refused.value.line, refused.value.field) == (1, "name_kana")


def test_en_04_a_person_is_named_by_a_keyed_digest_not_in_clear() -> None:
    key = roster.person_key(b"k" * 32, "06123456", INSURED)
    assert key == roster.person_key(b"k" * 32, "06123456", INSURED)
    assert key != roster.person_key(b"j" * 32, "06123456", INSURED)
    assert "2345678" not in key and len(key) == 64
