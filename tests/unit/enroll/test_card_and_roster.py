"""Enroll's pure rules of the insurance card (EN-03), the roster (EN-04, EN-07)."""

from __future__ import annotations

import tempfile
import zlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.enroll import EligibilityOutcome, EligibilityRestriction
from services.enroll.domain import card, roster
from services.enroll.domain.card import Relationship
from services.enroll.domain.refusals import CardRefused, RosterRefused
from services.enroll.domain.roster import Restrictions, Roster, RosterPerson
from services.enroll.usecases import roster_files

TODAY = date(2026, 4, 1)
COLUMNS = roster.header(["記号", "番号", "氏名カナ", "生年月日", "続柄"])
DASH_LOOK_ALIKES = {
    "\u2010": "hyphen",
    "\u2011": "non-breaking hyphen",
    "\u2012": "figure dash",
    "\u2013": "en dash",
    "\u2014": "em dash",
    "\u2015": "horizontal bar",
    "\u2500": "box drawing light horizontal",
}
"""What looks like a hyphen and is none of EN-03's three (-, －, −)."""
SYMBOL_ALPHABET = "0123456789０１２３ABCxyzＡアイウーｰｱ東京"
SYMBOLS = st.text(alphabet=SYMBOL_ALPHABET, min_size=1, max_size=8)
"""What a 記号 is made of: digits and letters of either width, kana with ー, kanji."""
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
    [
        ("71-1234", "1234"),
        ("1234", "1234"),
        ("７１－１２３４", "1234"),
        ("71−1234", "1234"),
        ("7-1-1234", "1234"),
    ],
)
def test_en_03_the_symbol_is_the_part_after_the_hyphen(typed: str, kept: str) -> None:
    assert card.symbol(typed) == kept


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("71ー1234", "71ー1234"), ("71ｰ1234", "71ー1234"), ("コー", "コー"), ("71-コー", "コー")],
)
def test_en_03_the_long_vowel_mark_is_a_character_of_the_symbol_not_a_hyphen(
    typed: str, kept: str
) -> None:
    """ー (and its half-width form ｰ) belongs to the 記号; only -, －, − separate (EN-03)."""
    assert card.symbol(typed) == kept


@pytest.mark.parametrize("dash", list(DASH_LOOK_ALIKES))
def test_en_03_a_dash_that_is_no_hyphen_is_refused_naming_it(dash: str) -> None:
    """‐ ‑ ‒ – — ― ─ look like the hyphen but do not separate (EN-03): refused, naming the
    character, rather than kept as part of a 記号 no roster holds."""
    with pytest.raises(CardRefused) as refused:
        card.symbol(f"71{dash}1234")
    assert refused.value.field == "symbol" and f"「{dash}」" in (refused.value.detail or "")


@given(prefix=st.text(max_size=8), hyphen=st.sampled_from("-－−"), kept=SYMBOLS)
def test_en_03_after_any_of_the_three_hyphens_only_the_part_after_it_counts(
    prefix: str, hyphen: str, kept: str
) -> None:
    assert card.symbol(prefix + hyphen + kept) == card.symbol(kept) == card.half_width(kept)


@given(typed=st.text(alphabet=SYMBOL_ALPHABET + "".join(DASH_LOOK_ALIKES) + " 　", max_size=12))
def test_en_03_nothing_but_the_three_hyphens_splits_a_symbol(typed: str) -> None:
    """Without -, －, −, a 記号 is kept whole (spaces dropped, full-width letters and digits
    read as ASCII), or refused: never cut at ー or a dash."""
    kept = card_symbol(typed)
    assert kept in (None, card.half_width(typed))


@given(typed=st.text(alphabet=SYMBOL_ALPHABET + "-－−" + "".join(DASH_LOOK_ALIKES), max_size=12))
def test_en_03_en_07_the_roster_reads_a_symbol_as_the_card_check_does(typed: str) -> None:
    """A roster line (by API, and by file: the fast and the careful way) and a card keep the
    same 記号 for the same text, or both refuse it naming the field."""
    fields = [typed, "2345678", "ケンコムタロウ", "1980-05-17", "本人"]
    expected = card_symbol(typed)
    assert from_row(fields) == expected
    assert from_file(fields) == expected


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


def card_symbol(typed: str) -> str | None:
    """The 記号 a card keeps, or ``None`` if refused (naming the field)."""
    try:
        return card.symbol(typed)
    except CardRefused as refused:
        if refused.field != "symbol":
            raise
        return None


def from_row(fields: list[str]) -> str | None:
    """The 記号 a roster line (by API) keeps, or ``None`` if refused (naming line and field)."""
    try:
        return roster.row(fields, COLUMNS, 2, "06123456", TODAY).symbol
    except RosterRefused as refused:
        if (refused.line, refused.field) != (2, "symbol"):
            raise
        return None


def from_file(fields: list[str]) -> str | None:
    """The 記号 a roster file's line is stored with (UTF-8, read as an import reads it), or
    ``None`` if the file is refused."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        path.write_text("記号,番号,氏名カナ,生年月日,続柄\r\n" + ",".join(fields) + "\r\n")
        spool = roster_files.Spool("06123456", TODAY, 1, 0, Path(tmp))
        try:
            done = roster_files.spool_file(path, "utf-8", spool, Restrictions())
        except RosterRefused as refused:
            if (refused.line, refused.field) != (2, "symbol"):
                raise
            return None
        [(_, packed)] = roster_files.partition_buckets(done.partitions[0])
        return RosterPerson.unpacked(zlib.decompress(packed).decode()).symbol
