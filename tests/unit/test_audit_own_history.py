"""One's own history's pure rules (AU-07): the window, the monthly buckets, the rows' cap and
order, whose addresses are shown, the browser's name, and who may read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import AccountLocked, Actor, ActorKind, LoginFailed, LoginSucceeded
from contracts.identity import LockReason, LoginFailureReason
from servicekit.credentials import Caller, Refusal
from services.audit.domain.authz import may_read_own
from services.audit.domain.own_history import (
    PAGE_SIZE,
    ROWS_PER_BUCKET,
    OwnRow,
    browser_of,
    bucket_of,
    buckets_shown,
    kept,
    oldest_kept,
    page_of,
    with_rows,
)
from services.audit.domain.records import AccessRecord

NOW = datetime(2026, 4, 15, 3, 0, tzinfo=UTC)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE = CHROME_WINDOWS + " Edg/126.0.0.0"


def envelope(at: datetime, actor: Actor | None = None) -> dict[str, object]:
    return {
        "occurred_at": at,
        "realm": "mypage",
        "org_id": None,
        "subject_id": "m1",
        "actor": actor or Actor(kind=ActorKind.USER, id="m1"),
        "correlation_id": "c",
    }


def row(at: datetime, event_id: str | None = None) -> OwnRow:
    return OwnRow(event_id or str(uuid.uuid4()), at, "1-1", "ログイン", "user")


def test_au_07_the_window_reads_the_months_it_overlaps_newest_first() -> None:
    assert buckets_shown(NOW) == ["2026-04", "2026-03", "2026-02", "2026-01"]
    assert buckets_shown(datetime(2026, 5, 31, 23, tzinfo=UTC)) == [
        "2026-05",
        "2026-04",
        "2026-03",
    ]
    assert oldest_kept(NOW) == "2026-01", "earlier months are purged whole"
    assert bucket_of(datetime(2026, 3, 31, 20, tzinfo=UTC)) == "2026-03", "UTC months"


def test_au_07_only_the_last_90_days_show_newest_first_a_page_at_a_time() -> None:
    inside = [row(NOW + timedelta(minutes=1))] + [row(NOW - timedelta(days=d)) for d in range(89)]
    outside = [row(NOW - timedelta(days=90, seconds=1))]
    first = page_of([*outside, *inside], NOW, 1)
    assert (first.total, first.pages, first.page) == (90, 2, 1)
    assert first.rows == tuple(inside[:PAGE_SIZE]) and first.has_next
    last = page_of(inside, NOW, 99)
    assert last.page == 2 and last.rows == tuple(inside[PAGE_SIZE:]) and not last.has_next
    assert page_of([], NOW, 1).pages == 1


def test_au_07_x_14_a_bucket_keeps_its_newest_rows_and_ignores_repeats() -> None:
    rows = [row(NOW - timedelta(minutes=m)) for m in range(ROWS_PER_BUCKET + 10)]
    bucket = with_rows((), rows)
    assert bucket is not None and bucket == tuple(rows[:ROWS_PER_BUCKET])
    assert with_rows(bucket, rows[:5]) is None, "a redelivered batch changes nothing"
    assert with_rows(bucket, [row(NOW - timedelta(days=1))]) is None, "older than all it keeps"
    newer = row(NOW + timedelta(seconds=1))
    assert (with_rows(bucket, [newer]) or ())[0] == newer


def test_au_07_addresses_are_shown_only_for_the_users_own_device() -> None:
    at = NOW - timedelta(hours=1)
    mine = AccessRecord.of(
        LoginSucceeded(**envelope(at), login_id="taro", ip="203.0.113.5", user_agent=EDGE)
    )
    failed = AccessRecord.of(
        LoginFailed(
            **envelope(at, Actor.system()),
            login_id="taro",
            reason=LoginFailureReason.INVALID_CREDENTIALS,
            consecutive_failures=1,
            ip="198.51.100.7",
        )
    )
    by_support = AccessRecord.of(
        AccountLocked(
            **envelope(at, Actor(kind=ActorKind.SUPPORT, id="op1")),
            reason=LockReason.ADMINISTRATIVE,
            ip="192.0.2.1",
            user_agent=EDGE,
        )
    )
    own = OwnRow.of(mine)
    assert (own.ip, own.browser) == ("203.0.113.5", "Microsoft Edge（Windows）")
    assert OwnRow.of(failed).ip == "198.51.100.7", "the stranger's attempt: its address"
    theirs = OwnRow.of(by_support)
    assert (theirs.ip, theirs.user_agent, theirs.done_by) == (None, None, "サポート窓口による操作")
    assert OwnRow.from_document(theirs.to_document()) == theirs


def test_au_07_x_14_only_known_users_rows_inside_the_window_are_kept() -> None:
    record = AccessRecord.of(LoginSucceeded(**envelope(NOW), login_id="taro"))
    assert kept(record, True, NOW)
    assert not kept(record, False, NOW), "a shadow subject, a sign-up: no bucket"
    assert not kept(record, True, NOW + timedelta(days=91)), "its month may be purged already"


def test_au_07_browsers_by_the_names_people_know() -> None:
    assert browser_of(CHROME_WINDOWS) == "Google Chrome（Windows）"
    assert browser_of(SAFARI_IPHONE) == "Safari（iPhone）"
    assert browser_of("curl/8.5.0") == "curl/8.5.0"
    assert browser_of(None) is None


def caller(**changes: object) -> Caller:
    base: dict[str, object] = {
        "user_id": "m1",
        "realm": "mypage",
        "org_id": None,
        "role": "member",
        "restricted": False,
    }
    return Caller(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "realm", "answer"),
    [
        (caller(), "mypage", None),
        (caller(role="support"), "mypage", None),
        (caller(restricted=True), "mypage", Refusal.LOGIN_INCOMPLETE),
        (caller(otp_required=True), "mypage", Refusal.OTP_REQUIRED),
        (caller(otp_required=True, otp_verified=True), "mypage", None),
        (caller(), "kencom", Refusal.NOT_PERMITTED),
        (caller(realm="elsewhere"), "elsewhere", Refusal.NOT_PERMITTED),
    ],
)
def test_au_07_x_15_each_user_reads_its_own_in_its_own_realm(
    who: Caller, realm: str, answer: Refusal | None
) -> None:
    assert may_read_own(who, realm) is answer
