"""Profile rules (ID-USER-06, X-07): lengths per field, and Japanese text limited to JIS X 0208.

Names, departments and titles are full-width text in JIS X 0208, the character set the portals'
back-office systems hold; a character outside it (an old-style variant such as 髙 or 﨑, a
circled digit, half-width katakana) is refused with a message naming it, so the person knows
which character to replace. E-mail and phone are half-width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.common import UserProfile

FULL_WIDTH_LIMITS = {"name": 50, "department": 25, "title": 50}
EMAIL_MAX = 50
PHONE = re.compile(r"^[0-9-]{1,20}$")
EMAIL = re.compile(r"^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


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


def profile_errors(profile: UserProfile) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, limit in FULL_WIDTH_LIMITS.items():
        value: str | None = getattr(profile, name)
        if value is None:
            continue
        if len(value) > limit:
            errors.append(FieldError(name, f"{limit}文字以内で入力してください"))
        for ch in outside_jis_x_0208(value):
            errors.append(
                FieldError(name, f"「{ch}」は使用できない文字です（全角で入力してください）")
            )
    if profile.email is not None and (
        len(profile.email) > EMAIL_MAX or not EMAIL.match(profile.email)
    ):
        errors.append(
            FieldError("email", f"半角{EMAIL_MAX}文字以内のメールアドレスを入力してください")
        )
    if profile.phone is not None and not PHONE.match(profile.phone):
        errors.append(FieldError("phone", "半角数字とハイフン20文字以内で入力してください"))
    return errors
