"""ID-PW-05's decision on a request for a temporary password, from state, the request and the
time alone: one version with one event whatever the request names, three mails an hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from identity_people import NOW, user

from contracts import generate_keypair, seal
from contracts.common import Role
from contracts.identity import TemporaryPasswordDeclineReason
from services.identity.domain import lockout, temporary
from services.identity.domain.lockout import ShadowCount, ShadowSlot
from services.identity.domain.users import User

PUBLIC, _ = generate_keypair()
ADMINS = frozenset({Role.ADMIN})
ADMIN = user(Role.ADMIN, login_id="XA3000001")


def asked(
    email: str = "taro@example.jp", login_id: str = "XA3000001", now: datetime = NOW
) -> temporary.Request:
    return temporary.Request(
        login_id=login_id,
        email=email,
        temporary_hash=temporary.secret_hash("u1", "tmp-secret"),
        sealed=seal("tmp-secret", PUBLIC),
        correlation_id="c1",
        now=now,
    )


def test_id_pw_05_one_user_is_mailed_three_an_hour_in_a_sliding_window() -> None:
    current, mailed = ADMIN, []
    for minutes in (0, 10, 20, 30, 59, 60, 69, 70):
        decided = temporary.request(current, asked(now=NOW + timedelta(minutes=minutes)), ADMINS)
        assert decided.state is not None
        current = decided.state
        mailed.append(decided.outcome)
    assert mailed == [True, True, True, False, False, True, False, True]
    assert len(current.temporary_issued) == 3, "no more than the window's are kept"
    [withheld] = temporary.request(current, asked(now=NOW + timedelta(minutes=71)), ADMINS).events
    assert getattr(withheld, "reason", None) is TemporaryPasswordDeclineReason.LIMIT_REACHED


def test_id_pw_05_a_request_that_mails_nothing_still_commits_one_version_with_one_event() -> None:
    full = ADMIN.but(temporary_issued=(NOW, NOW, NOW))
    cases: dict[TemporaryPasswordDeclineReason, tuple[User, temporary.Request]] = {
        TemporaryPasswordDeclineReason.UNKNOWN_LOGIN_ID: (ADMIN, asked(login_id="XA3former")),
        TemporaryPasswordDeclineReason.NOT_OFFERED: (user(), asked(login_id="XA5000001")),
        TemporaryPasswordDeclineReason.ADDRESS_MISMATCH: (ADMIN, asked("other@example.jp")),
        TemporaryPasswordDeclineReason.LIMIT_REACHED: (full, asked()),
    }
    for reason, (named, request) in cases.items():
        decided = temporary.request(named, request, ADMINS)
        assert decided.outcome is False
        assert decided.state is not None
        assert decided.state.temporary_password == named.temporary_password, "nothing issued"
        [declined] = decided.events
        assert (declined.type, getattr(declined, "reason", None)) == (
            "TemporaryPasswordDeclined",
            reason,
        )
        assert "other@example.jp" not in declined.to_json().decode(), "no typed address kept"


def test_id_pw_05_a_wrong_address_does_not_use_up_the_users_mails() -> None:
    current = ADMIN
    for _ in range(5):
        decided = temporary.request(current, asked("stranger@example.jp"), ADMINS)
        assert decided.state is not None
        current = decided.state
    assert current.temporary_issued == ()
    assert temporary.request(current, asked(), ADMINS).outcome is True


def test_id_pw_05_an_unknown_id_commits_its_shadow_slot_unchanged() -> None:
    shadow = lockout.shadow_id(b"key", "demo", "XA3nobody", 4)
    counted = ShadowSlot("demo", shadow.slot, (ShadowCount("d", 2, False, NOW),))
    for slot in (None, counted):
        decided = temporary.decline_unknown(slot, shadow, asked(login_id="XA3nobody"))
        assert decided.state == (slot or ShadowSlot("demo", shadow.slot))
        [declined] = decided.events
        assert declined.subject_id == shadow.subject_id and declined.org_id is None
        assert getattr(declined, "reason", None) is TemporaryPasswordDeclineReason.UNKNOWN_LOGIN_ID
