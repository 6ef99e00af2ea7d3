"""Profile rules (ID-USER-06, X-07): lengths per field, and Japanese text in JIS X 0208.

Names, departments and titles are full-width text in JIS X 0208, the character set the portals'
back-office systems hold. People type them with half-width characters too (日本 太郎 with a
half-width space, ｶﾅ from an old IME, a department number typed in ASCII): every character that
has a full-width JIS X 0208 form is stored in that form, and only a character that has none (an
old-style variant such as 髙 or 﨑, a circled digit, an emoji) is refused, with a message naming
it so the person knows which character to replace. E-mail and phone are half-width.
"""

from __future__ import annotations

import re
import unicodedata

from services.identity.domain.refusals import ProfileRefused

FULL_WIDTH_LIMITS = {"name": 50, "department": 25, "title": 50}
EMAIL_MAX = 50
PHONE = re.compile(r"^[0-9-]{1,20}$")
EMAIL = re.compile(r"^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$")

_HALF_WIDTH_KATAKANA = re.compile(r"[\uff61-\uff9f]+")
_FULL_WIDTH_SPACE = "\u3000"


def full_width(text: str) -> str:
    """``text`` with half-width characters in their full-width forms: the space becomes U+3000,
    printable ASCII its full-width twin (U+FF01…), half-width katakana (voiced marks joined)
    full-width katakana. Everything else is left as typed."""
    text = _HALF_WIDTH_KATAKANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return "".join(_full_width_char(ch) for ch in text)


def _full_width_char(ch: str) -> str:
    if ch == " ":
        return _FULL_WIDTH_SPACE
    if "\x21" <= ch <= "\x7e":
        return chr(ord(ch) + 0xFEE0)
    return ch


def outside_jis_x_0208(text: str) -> list[str]:
    """Characters of ``text`` that are not full-width JIS X 0208 characters, each once."""
    bad = (ch for ch in text if ch.isascii() or not _in_jis_x_0208(ch))
    return list(dict.fromkeys(bad))


def _in_jis_x_0208(ch: str) -> bool:
    # ISO-2022-JP is ASCII, JIS X 0201-Roman and JIS X 0208 only; the first two are ASCII-range.
    try:
        ch.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    return True


def checked_text(field: str, value: str) -> str:
    """A name, department or title as it is stored (full-width), or :class:`ProfileRefused`
    naming the characters that have no JIS X 0208 form, or the length."""
    stored = full_width(value)
    bad = outside_jis_x_0208(stored)
    if bad:
        named = "".join(f"「{ch}」" for ch in bad)
        raise ProfileRefused(f"{named}は使用できない文字です。別の文字で入力してください")
    limit = FULL_WIDTH_LIMITS[field]
    if len(stored) > limit:
        raise ProfileRefused(f"{limit}文字以内で入力してください")
    return stored


def checked_email(value: str) -> str:
    if len(value) > EMAIL_MAX or not EMAIL.match(value):
        raise ProfileRefused(f"半角{EMAIL_MAX}文字以内のメールアドレスを入力してください")
    return value


def checked_phone(value: str) -> str:
    if not PHONE.match(value):
        raise ProfileRefused("半角数字とハイフン20文字以内で入力してください")
    return value
