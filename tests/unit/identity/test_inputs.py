"""What typed input must be: half-width IDs and passwords (X-06), the realm's password policy
(ID-PW-02), and names in JIS X 0208, stored full-width (X-07)."""

from __future__ import annotations

import pytest
from hypothesis import given
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


@given(
    st.text(
        alphabet=st.characters(codec="iso2022_jp", exclude_characters="\x1b"),
        min_size=1,
        max_size=50,
    )
)
def test_x_07_anything_typed_in_jis_is_stored_in_full_width_jis_x_0208(text: str) -> None:
    try:
        stored = profiles.checked_text("name", text)
    except ProfileRefused:
        return  # a control character or a form the full-width table lacks
    assert not profiles.outside_jis_x_0208(stored)
    assert len(stored) == len(text) or "ﾞ" in text or "ﾟ" in text
