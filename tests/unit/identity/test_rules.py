"""Identity's pure rules: password hashing parameters, realm presets, session timeouts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from argon2 import extract_parameters

from contracts.common import Role
from services.identity.domain.realms import PRESETS
from services.identity.domain.sessions import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    TOUCH_INTERVAL,
    Session,
)
from services.identity.usecases import passwords


async def test_id_pw_01_passwords_are_argon2id_at_owasp_minimum_or_above() -> None:
    stored = await passwords.hash_password("correct horse")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert await passwords.verify_password(stored, "correct horse")
    assert not await passwords.verify_password(stored, "correct horsE")
    assert not await passwords.verify_password("not a hash", "x")


def test_id_pw_03_generated_passwords_are_random_half_width_letters_and_digits() -> None:
    generated = {passwords.generate_password() for _ in range(200)}
    assert len(generated) == 200
    for p in generated:
        assert len(p) == 12 and p.isascii() and p.isalnum()
        assert any(c.isdigit() for c in p) and any(c.isalpha() for c in p)


def test_realm_02_presets_carry_their_seeds_rules() -> None:
    assert set(PRESETS) == {"dantai-net", "kihonet", "mypage", "kencom", "nexi", "demo"}
    dantai = PRESETS["dantai-net"]
    assert dantai.admin_login_id.match("XA3000001") and not dantai.admin_login_id.match("XA5000001")
    assert dantai.business_login_id.match("XA5000001")
    assert dantai.business_user_limit == 3
    assert PRESETS["nexi"].admin_login_id.match("12345678901")
    assert not PRESETS["nexi"].admin_login_id.match("1234567890")
    assert PRESETS["nexi"].business_user_limit is None
    assert PRESETS["kihonet"].business_login_id.match("AB12345")
    assert (PRESETS["kencom"].password_min_length, PRESETS["kencom"].password_max_length) == (6, 20)
    assert all(p.lock_threshold == 3 for p in PRESETS.values())


def test_id_sess_01_idle_and_absolute_timeouts_follow_the_clock() -> None:
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    session = Session(
        user_id="u",
        realm="demo",
        org_id=None,
        role=Role.ADMIN,
        login_id="XA3000001",
        otp_verified=False,
        previous_login_at=None,
        created_at=start,
        last_seen_at=start,
        expires_at=start + ABSOLUTE_LIFETIME,
    )
    assert not session.expired(start + IDLE_TIMEOUT - timedelta(seconds=1))
    assert session.expired(start + IDLE_TIMEOUT), "30 minutes idle"
    assert not session.needs_touch(start + TOUCH_INTERVAL - timedelta(seconds=1))
    assert session.needs_touch(start + TOUCH_INTERVAL), "use restarts the idle time, once a minute"
    busy = replace(session, last_seen_at=start + ABSOLUTE_LIFETIME - timedelta(minutes=1))
    assert busy.expired(start + ABSOLUTE_LIFETIME), "the absolute lifetime ends even a busy session"
