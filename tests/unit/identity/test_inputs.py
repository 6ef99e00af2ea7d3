"""What typed input must be: half-width IDs and passwords (X-06), the realm's password policy
(ID-PW-02), and names in JIS X 0208, stored full-width (X-07)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from identity_people import DEMO

from contracts.common import Role
from services.identity.domain import inputs, password_policy, profiles
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import (
    HalfWidthRequired,
    LoginIdFormat,
    PasswordRefused,
    ProfileRefused,
)


def test_x_06_full_width_ids_and_passwords_are_refused_and_ids_are_trimmed() -> None:
    with pytest.raises(HalfWidthRequired):
        inputs.require_half_width("ＸＡ３０００００１")
    with pytest.raises(HalfWidthRequired):
        inputs.require_half_width("XA3000001", "パスワード")
    assert inputs.login_id(DEMO, Role.ADMIN, "  XA3000001 ") == "XA3000001"


def test_id_user_02_each_role_has_its_realms_login_id_format() -> None:
    dantai = PRESETS["dantai-net"]
    assert inputs.login_id(dantai, Role.ADMIN, "XA3000001") == "XA3000001"
    with pytest.raises(LoginIdFormat):
        inputs.login_id(dantai, Role.ADMIN, "XA5000001")
    assert inputs.login_id(PRESETS["kencom"], Role.MEMBER, "Taro@Example.jp") == "Taro@Example.jp"
    with pytest.raises(LoginIdFormat):
        inputs.login_id(PRESETS["nexi"], Role.BUSINESS, "1234567890")


@pytest.mark.parametrize(
    ("realm", "login_id", "password", "current"),
    [
        ("demo", "XA3000001", "short", None),
        ("demo", "XA3000001", "password123", None),
        ("demo", "XA3000001", "my-XA3000001-pw", None),
        ("nexi", "12345678901", "Same-Pass-2026", "Same-Pass-2026"),
        ("kencom", "taro@example.jp", "x" * 21, None),
    ],
)
def test_id_pw_02_the_realms_policy_refuses_weak_or_reused_passwords(
    realm: str, login_id: str, password: str, current: str | None
) -> None:
    with pytest.raises(PasswordRefused):
        password_policy.check(PRESETS[realm], login_id, password, current)


def test_id_pw_02_a_good_password_passes_and_kencom_allows_six_characters() -> None:
    password_policy.check(DEMO, "XA3000001", "Kaisha-Pass-2026", "Initial-1")
    password_policy.check(PRESETS["kencom"], "taro@example.jp", "ab12!z", None)


def test_id_pw_04_a_hint_never_contains_the_password() -> None:
    dantai = PRESETS["dantai-net"]
    password_policy.check_hint(dantai, "好きな花", "Kaisha-Pass-2026")
    with pytest.raises(PasswordRefused):
        password_policy.check_hint(dantai, "it is kaisha-pass-2026", "Kaisha-Pass-2026")
    with pytest.raises(PasswordRefused):
        password_policy.check_hint(DEMO, "好きな花", "Kaisha-Pass-2026")


def test_x_07_a_half_width_space_and_half_width_kana_are_stored_full_width() -> None:
    assert profiles.checked_text("name", "日本 太郎") == "日本\u3000太郎"
    assert profiles.checked_text("department", "総務部ｶﾞｲﾄﾞ") == "総務部ガイド"
    assert profiles.checked_text("title", "課長A") == "課長Ａ"


def test_x_07_characters_without_a_jis_x_0208_form_are_refused_by_name() -> None:
    with pytest.raises(ProfileRefused) as refused:
        profiles.checked_text("name", "髙橋①")
    assert refused.value.detail is not None
    assert "「髙」" in refused.value.detail and "「①」" in refused.value.detail
    with pytest.raises(ProfileRefused, match="25文字以内"):
        profiles.checked_text("department", "総" * 26)


def _decoded(codec: str) -> frozenset[str]:
    """Every character of a double-byte Shift_JIS code that ``codec`` decodes: the test's own
    oracle, read from Python's codec tables rather than from the code under test."""
    found = set()
    for lead in [*range(0x81, 0xA0), *range(0xE0, 0xFD)]:
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            with contextlib.suppress(UnicodeDecodeError):
                found.add(bytes([lead, trail]).decode(codec))
    return frozenset(found)


def _a_jis_x_0208_code(ch: str) -> bool:
    try:
        ch.encode("cp932").decode("shift_jis")
    except UnicodeDecodeError:
        return False
    return True


JIS_X_0208 = _decoded("shift_jis")
"""JIS X 0208 in the JIS mapping (MINUS SIGN, WAVE DASH, …): Python's shift_jis is 0201 + 0208."""
CP932_JIS_X_0208 = frozenset(ch for ch in _decoded("cp932") if _a_jis_x_0208_code(ch))
"""cp932's JIS X 0208 part, as the Windows IME types it (FULLWIDTH HYPHEN-MINUS, FULLWIDTH
TILDE, …): cp932's codes that are JIS X 0208 codes, without its NEC and IBM extensions."""
CP932_EXTENSIONS = _decoded("cp932") - CP932_JIS_X_0208
"""NEC special characters (①, ㈱), NEC-selected and IBM extensions (髙, ⅰ), user-defined area."""
HALF_WIDTH = "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0xFF61, 0xFFA0)))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("第1-2課", "第１－２課"),
        ("ＡＢＣ－１", "ＡＢＣ－１"),
        ("営業部~東京", "営業部～東京"),
        # the JIS-mapping twins, as a Mac or an outside system sends them, in their cp932 form
        ("\u2212\u301c\u2016\u00a2\u00a3\u00ac\u2014", "－～∥￠￡￢―"),
        # as the Windows IME types " and ' in full-width mode, and JIS X 0201's ¥ and ‾
        ("\"本社\" 'A'¥‾", "”本社”\u3000’Ａ’￥￣"),
        ("ﾃﾞﾊﾟｰﾄ ﾞﾟ", "デパート\u3000゛゜"),
    ],
)
def test_x_07_the_wave_dash_family_is_accepted_and_stored_in_its_cp932_form(
    typed: str, stored: str
) -> None:
    assert profiles.checked_text("department", typed) == stored
    assert stored.encode("cp932").decode("cp932") == stored, "exports to cp932 unchanged"


@pytest.mark.parametrize("outside", ["①", "㈱", "髙", "ⅰ", "￤", "𠮷", "😀", "\u00a0"])
def test_x_07_cp932_extensions_and_characters_outside_cp932_are_refused_by_name(
    outside: str,
) -> None:
    with pytest.raises(ProfileRefused) as refused:
        profiles.checked_text("title", f"課長{outside}")
    shown = outside if outside.isprintable() else f"U+{ord(outside):04X}"
    assert refused.value.detail is not None and f"「{shown}」" in refused.value.detail


@given(
    st.text(
        alphabet=st.sampled_from(sorted(JIS_X_0208 | CP932_JIS_X_0208 | set(HALF_WIDTH))),
        min_size=1,
        max_size=25,
    )
)
def test_x_07_anything_typed_in_jis_x_0208_is_stored_in_its_cp932_form(text: str) -> None:
    """Whatever a person types from JIS X 0208, in either mapping, full- or half-width, is
    accepted (nothing is caught here: a refusal fails the test) and stored as cp932 holds it."""
    stored = profiles.checked_text("department", text)
    assert set(stored) <= CP932_JIS_X_0208 | {"\u3000"}
    assert stored.encode("cp932").decode("cp932") == stored
    voiced_marks = text.count("\uff9e") + text.count("\uff9f")  # ｶﾞ is one character, ガ
    assert len(text) - voiced_marks <= len(stored) <= len(text)


@given(
    st.text(alphabet=st.sampled_from(sorted(JIS_X_0208)), max_size=5),
    st.characters(
        exclude_characters=JIS_X_0208 | CP932_JIS_X_0208 | set(HALF_WIDTH),
        exclude_categories=["Cs"],
    )
    | st.sampled_from(sorted(CP932_EXTENSIONS)),
)
def test_x_07_a_character_without_a_jis_x_0208_form_is_refused_by_name(
    text: str, outside: str
) -> None:
    assume(outside not in "\uffe8\uffe9\uffea\uffeb\uffec\uffed\uffee\u2014\u00a5\u203e")
    with pytest.raises(ProfileRefused) as refused:
        profiles.checked_text("name", text + outside)
    shown = outside if outside.isprintable() else f"U+{ord(outside):04X}"
    assert refused.value.detail is not None and f"「{shown}」" in refused.value.detail
