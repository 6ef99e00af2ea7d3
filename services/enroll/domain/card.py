"""The health-insurance card as people type it (EN-03), and as a union's roster writes it.

Both sides go through the same functions, so a card and its roster line meet on one key:

- 氏名: full-width katakana. Half-width katakana (ｹﾝｺﾑ ﾀﾛｳ, as phones and old systems type it)
  becomes full-width, dakuten included (ｶﾞ → ガ); spaces of either width between family and
  given name are dropped, so ケンコム タロウ and ケンコムタロウ are one name. Anything else (kanji,
  hiragana, letters) is refused, naming the character.
- 保険者番号: 6 or 8 digits (full-width digits are read as digits).
- 記号: if it holds a hyphen, only the part after it (the seed: 71-1234 → 1234). Only a
  hyphen separates: half-width ``-``, full-width ``－`` or the minus ``−`` (EN-03). The long
  vowel mark ー (and half-width ｰ) is a character of the 記号, as in コー. The other dashes
  (‐ ‑ ‒ – — ― ─ …) in the part that counts are refused, naming the one typed: they do not
  separate, and a 記号 kept with one would silently match nothing.
- 番号: digits; with 8 digits or more, the last 7 (the seed: 12345678 → 2345678).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.enroll.domain.refusals import CardRefused

NAME_MAX = 50
SYMBOL_MAX = 20
NUMBER_MAX = 20
EARLIEST_BIRTH = date(1900, 1, 1)

_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")
_SPACES = re.compile(r"[\s\u3000]+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
"""ァ…ヺ and the long vowel mark ー: what a name in full-width katakana is made of."""
_HYPHENS = re.compile("[-\uff0d\u2212]")
"""What separates a 記号 (EN-03): the hyphen-minus ``-``, its full-width form ``－`` and the minus
sign ``−`` (Shift_JIS 0x817C: cp932 reads it as －, JIS as −)."""
_DASHES_NOT_PD = frozenset("\u2212\u2500\u2501\u2796")
"""What looks like a dash without being Unicode's dash punctuation (Pd): −, ─, ━, ➖. Typed,
− separates; folded from another character (⁻ → −), it does not."""
_DIGITS = re.compile(r"^[0-9]+$")
_INSURER = re.compile(r"^(?:[0-9]{6}|[0-9]{8})$")
_SYMBOL = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


class Relationship(StrEnum):
    """本人 or 家族, as the roster says (EN-04's restrictions tell them apart)."""

    INSURED = "insured"
    """被保険者 (本人)."""
    DEPENDANT = "dependant"
    """被扶養者 (家族)."""


@dataclass(frozen=True)
class Card:
    """What the insurance-card step asks for, normalised."""

    name_kana: str
    birth_date: date
    insurer_number: str
    symbol: str
    number: str


def name_kana(typed: str, field: str = "name_kana") -> str:
    """The name in full-width katakana, without spaces; refused naming the first bad one."""
    widened = _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), typed)
    name = _SPACES.sub("", widened)
    if not name:
        raise CardRefused(field, "氏名（全角カナ）を入力してください")
    for char in name:
        if not _KATAKANA.fullmatch(char):
            raise CardRefused(field, f"氏名は全角カナで入力してください（「{char}」は使えません）")
    if len(name) > NAME_MAX:
        raise CardRefused(field, f"氏名は{NAME_MAX}文字以内で入力してください")
    return name


def half_width(typed: str) -> str:
    """Full-width digits and letters as their ASCII forms (１２３ → 123), spaces dropped."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", typed))


def insurer_number(typed: str, field: str = "insurer_number") -> str:
    number = half_width(typed)
    if not _INSURER.fullmatch(number):
        raise CardRefused(field, "保険者番号は6桁または8桁の数字で入力してください")
    return number


def symbol(typed: str, field: str = "symbol") -> str:
    """記号: with a hyphen, only the part after the last one (EN-03).

    Cut where it was typed, before width is folded: folding would turn other characters into
    hyphens too (﹣ into -, ⁻ into −) and make them separate.
    """
    typed_part = _HYPHENS.split(typed)[-1]
    dash = next((char for char in typed_part if _dash_like(char)), None)
    if dash is not None:
        raise CardRefused(field, f"記号に「{dash}」は使えません（区切りのハイフンは「-」です）")
    part = half_width(typed_part)
    if not part or not _SYMBOL.fullmatch(part):
        raise CardRefused(field, "記号を入力してください（ハイフンがある場合はハイフン以降）")
    if len(part) > SYMBOL_MAX:
        raise CardRefused(field, f"記号は{SYMBOL_MAX}文字以内で入力してください")
    return part


def _dash_like(char: str) -> bool:
    """A dash that is not one of EN-03's hyphens, as typed or once its width is folded."""
    return any(
        unicodedata.category(c) == "Pd" or c in _DASHES_NOT_PD
        for c in unicodedata.normalize("NFKC", char)
    )


def number(typed: str, field: str = "number") -> str:
    """番号: digits; of 8 digits or more, the last 7 (EN-03)."""
    digits = half_width(typed)
    if not _DIGITS.fullmatch(digits) or len(digits) > NUMBER_MAX:
        raise CardRefused(field, "番号は数字で入力してください")
    return digits[-7:] if len(digits) >= 8 else digits


def birth_date(given: date, today: date, field: str = "birth_date") -> date:
    if not EARLIEST_BIRTH <= given <= today:
        raise CardRefused(field, "生年月日が正しくありません")
    return given


def card(
    name: str, born: date, insurer: str, card_symbol: str, card_number: str, today: date
) -> Card:
    """The card as typed, normalised, or the first field at fault."""
    return Card(
        name_kana=name_kana(name),
        birth_date=birth_date(born, today),
        insurer_number=insurer_number(insurer),
        symbol=symbol(card_symbol),
        number=number(card_number),
    )


def age_on(born: date, day: date) -> int:
    """Full years on ``day`` (Japanese law counts the day before the birthday; a day's
    difference never matters for a union's age limit, so the calendar birthday is used)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
