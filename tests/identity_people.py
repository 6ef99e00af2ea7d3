"""Users and attempts as identity's decisions see them, written by hand for the unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contracts.common import Role, UserProfile
from contracts.identity import UserStatus
from services.identity.domain import temporary
from services.identity.domain.attempts import LoginAttempt
from services.identity.domain.lockout import ShadowPolicy
from services.identity.domain.realms import PRESETS
from services.identity.domain.sessions import ABSOLUTE_LIFETIME, Session
from services.identity.domain.users import User

NOW = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
"""09:30 in Tokyo: decisions are given the time, never read it."""

DEMO = PRESETS["demo"]
HASH = "$argon2id$v=19$m=19456,t=2,p=1$current"
OTHER_HASH = "$argon2id$v=19$m=19456,t=2,p=1$other"
SHADOWS = ShadowPolicy(slots=4, capacity=2, lock_period=timedelta(days=90))


def user(role: Role = Role.BUSINESS, **changes: object) -> User:
    base = User(
        user_id="u1",
        realm="demo",
        org_id=None if role in (Role.MEMBER, Role.SUPPORT) else "o1",
        login_id="XA5000001",
        role=role,
        status=UserStatus.ACTIVE,
        profile=UserProfile(email="taro@example.jp"),
        password_hash=HASH,
        initial_password_hash=HASH,
        must_change_password=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def attempt(
    password_ok: bool, login_id: str = "XA5000001", typed: str = "typed", **changes: object
) -> LoginAttempt:
    base = LoginAttempt(
        realm="demo",
        login_id=login_id,
        password_ok=password_ok,
        verified_hash=HASH,
        secret_hash=temporary.secret_hash("u1", typed),
        ip="192.0.2.1",
        user_agent="pytest",
        correlation_id="c1",
        now=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def session(role: Role, org_id: str | None = "o1", **changes: object) -> Session:
    base = Session(
        user_id="s1",
        realm="demo",
        org_id=org_id,
        role=role,
        login_id="XA3000001",
        otp_verified=False,
        previous_login_at=None,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + ABSOLUTE_LIFETIME,
    )
    return replace(base, **changes)  # type: ignore[arg-type]
