"""Realm password policy (ID-PW-02): length bounds, a blocklist, never the login ID, never the
current password. Messages are for the person choosing the password, in Japanese."""

from __future__ import annotations

from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import PasswordRefused

#: Common passwords (NIST SP 800-63B asks for a blocklist); lower-cased.
BLOCKLIST = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty123",
        "qwertyuiop",
        "11111111",
        "00000000",
        "abc12345",
        "abcd1234",
        "iloveyou",
        "admin123",
        "welcome1",
        "letmein1",
        "monkey123",
        "123456",
        "1234567",
        "abc123",
        "qwerty",
    }
)


def _kinds(password: str) -> int:
    """Letters, digits and symbols: how many of the three kinds a password mixes."""
    letters = any(c.isascii() and c.isalpha() for c in password)
    digits = any(c.isascii() and c.isdigit() for c in password)
    symbols = any(not (c.isascii() and c.isalnum()) for c in password)
    return letters + digits + symbols


def check_hint(policy: RealmPolicy, hint: str, password: str) -> None:
    """A hint is only for realms that keep them, and never gives the password away (SPEC 8)."""
    if not policy.password_hint:
        raise PasswordRefused("このサービスではパスワードのヒントを登録できません")
    if password.lower() in hint.lower():
        raise PasswordRefused("ヒントにパスワードを含めることはできません")


def check(policy: RealmPolicy, login_id: str, new: str, current: str | None) -> None:
    """Refuse ``new`` with :class:`PasswordRefused` saying why, unless the policy accepts it."""
    if not policy.password_min_length <= len(new) <= policy.password_max_length:
        raise PasswordRefused(
            f"パスワードは{policy.password_min_length}文字以上"
            f"{policy.password_max_length}文字以下で入力してください"
        )
    if new.lower() in BLOCKLIST or any(g in new.lower() for g in policy.password_guessable):
        raise PasswordRefused("推測されやすいパスワードは使用できません")
    if _kinds(new) < policy.password_min_kinds:
        raise PasswordRefused(
            f"パスワードには英文字・数字・記号のうち{policy.password_min_kinds}種類以上を"
            "含めてください"
        )
    if login_id.lower() in new.lower():
        raise PasswordRefused("利用者IDを含むパスワードは使用できません")
    if current is not None and new == current:
        raise PasswordRefused("現在のパスワードと異なるパスワードを入力してください")
