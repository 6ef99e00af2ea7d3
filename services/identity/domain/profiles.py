"""Profile rules (ID-USER-06, X-07): lengths per field, and Japanese text in JIS X 0208.

Names, departments and titles are full-width text in JIS X 0208, the character set the portals'
back-office systems hold, checked against cp932's JIS X 0208 part, as the Windows IME types it:
the wave-dash family (U+FF0D －, U+FF5E ～, U+2225 ∥, U+FFE0–FFE2 ￠￡￢) is JIS X 0208 there,
and its JIS-mapping twins (U+2212 −, U+301C 〜, U+2016 ‖, U+00A2 ¢, U+00A3 £, U+00AC ¬, and
U+2014 — of Apple's mapping) are the same JIS characters, stored in the cp932 form so that a
profile exports to cp932 unchanged. (The ``iso2022_jp`` codec, checked here before, knows only
the twins, so it refused 第1-2課 typed in any way.)

People type half-width characters too (日本 太郎 with a half-width space, ｶﾅ from an old IME, a
department number typed in ASCII): each is stored in its full-width form, as the IME's
full-width mode would have typed it (:func:`full_width`). Only a character without a JIS X 0208
form is refused, named, so the person knows which character to replace: an old-style variant
such as 髙 or 﨑 and cp932's other NEC and IBM extensions (①, ㈱, ⅰ), an emoji, a control
character. E-mail and phone are half-width.
"""

from __future__ import annotations

import re
import unicodedata

from contracts.common import MAIL_ADDRESS
from services.identity.domain.refusals import ProfileRefused

FULL_WIDTH_LIMITS = {"name": 50, "department": 25, "title": 50}
EMAIL_MAX = 50
PHONE = re.compile(r"^[0-9-]{1,20}$")
EMAIL = MAIL_ADDRESS
"""The portals' one definition of a typed address (``contracts.common``), shared with certs and
enroll."""

_HALF_WIDTH_FORMS = re.compile(r"[\uff61-\uff9f\uffe8-\uffee]+")
"""Half-width katakana and punctuation, and the half-width forms of │←↑→↓■○."""
_FULL_WIDTH_OF = {
    " ": "\u3000",  # IDEOGRAPHIC SPACE
    '"': "\u201d",  # ” : what the IME's full-width mode types; cp932's ＂ is an IBM extension
    "'": "\u2019",  # ’ : likewise; ＇ is an IBM extension
    "\u00a5": "\uffe5",  # ¥ of JIS X 0201 (a Mac's half-width yen) → ￥
    "\u203e": "\uffe3",  # ‾ of JIS X 0201 → ￣
}
_SPACING_MARKS = str.maketrans({"\u3099": "\u309b", "\u309a": "\u309c"})
"""A half-width ﾞ or ﾟ that joins no kana: the spacing ゛ ゜, not NFKC's combining marks."""
_CP932_TWIN = {"\u2014": "\u2015"}
"""JIS 1-29 (―) is U+2014 in Apple's mapping and U+2015 in cp932; the cp932 codec knows only
U+2015. The other twins (U+2212, U+301C, …) the codec itself encodes to cp932's code."""


def full_width(text: str) -> str:
    """``text`` with half-width characters in their full-width forms: the space becomes U+3000,
    printable ASCII its full-width twin (U+FF01…; ``"`` and ``'`` the quotes ” ’), half-width
    katakana (voiced marks joined) full-width katakana, JIS X 0201's ¥ and ‾ ￥ and ￣.
    Everything else is left as typed."""
    text = _HALF_WIDTH_FORMS.sub(_normalised, text)
    return "".join(_full_width_char(ch) for ch in text)


def _normalised(half_width: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", half_width.group()).translate(_SPACING_MARKS)


def _full_width_char(ch: str) -> str:
    if ch in _FULL_WIDTH_OF:
        return _FULL_WIDTH_OF[ch]
    if "\x21" <= ch <= "\x7e":
        return chr(ord(ch) + 0xFEE0)
    return ch


def cp932_form(ch: str) -> str | None:
    """``ch`` as cp932 holds it, if it is a JIS X 0208 character; ``None`` if it has no JIS X
    0208 form. A character is one when cp932 encodes it to two bytes that are a JIS X 0208
    code: Python's ``shift_jis`` codec decodes exactly JIS X 0201 and JIS X 0208, so cp932's
    NEC special characters (row 13), NEC-selected and IBM extensions and user-defined area
    fail to decode there."""
    ch = _CP932_TWIN.get(ch, ch)
    try:
        code = ch.encode("cp932")
        code.decode("shift_jis")
    except UnicodeError:  # not in cp932, or a cp932 extension (or a lone surrogate)
        return None
    return code.decode("cp932") if len(code) == 2 else None


def outside_jis_x_0208(text: str) -> list[str]:
    """Characters of ``text`` that are not full-width JIS X 0208 characters, each once."""
    return list(dict.fromkeys(ch for ch in text if cp932_form(ch) is None))


def checked_text(field: str, value: str) -> str:
    """A name, department or title as it is stored (full-width, in cp932's form), or
    :class:`ProfileRefused` naming the characters that have no JIS X 0208 form, or the length."""
    return checked_full_width(value, FULL_WIDTH_LIMITS[field])


def checked_full_width(value: str, limit: int) -> str:
    """Any Japanese text of at most ``limit`` characters (an address too), as
    :func:`checked_text` checks and stores it."""
    typed = full_width(value)
    bad = outside_jis_x_0208(typed)
    if bad:
        named = "".join(f"「{_shown(ch)}」" for ch in bad)
        raise ProfileRefused(f"{named}は使用できない文字です。別の文字で入力してください")
    stored = "".join(cp932_form(ch) or ch for ch in typed)
    if len(stored) > limit:
        raise ProfileRefused(f"{limit}文字以内で入力してください")
    return stored


def _shown(ch: str) -> str:
    """A refused character as the message names it: itself, or its code point if it cannot
    be seen (a control character, a no-break space)."""
    return ch if ch.isprintable() else f"U+{ord(ch):04X}"


def checked_email(value: str) -> str:
    if len(value) > EMAIL_MAX or not EMAIL.fullmatch(value):
        raise ProfileRefused(f"半角{EMAIL_MAX}文字以内のメールアドレスを入力してください")
    return value


def checked_phone(value: str) -> str:
    if not PHONE.match(value):
        raise ProfileRefused("半角数字とハイフン20文字以内で入力してください")
    return value
