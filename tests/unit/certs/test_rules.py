"""The CA's pure rules: the notice's year (CT-02), matching, the renewal window (CT-05), the
reissue (CT-06) and the reminders' choice (CT-07), given the time, never reading it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import Actor
from contracts.certs import CertRequestField, KeyOrigin, ReissueReason
from services.certs.domain import decisions, refusals
from services.certs.domain.calendar import (
    is_business_day,
    last_business_day_of_december,
    notice_year,
)
from services.certs.domain.decisions import Context, IssueRequest, NoticeRequest, Signed
from services.certs.domain.holders import CertStatus, Holder, add_years

NOW = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)


def ctx(now: datetime = NOW) -> Context:
    return Context("kihonet", Actor.system(), "c1", now)


def notice_request(**changes: object) -> NoticeRequest:
    base = NoticeRequest("12345678", "AB12345678", "U123456", date(2026, 4, 1), None)
    return replace(base, **changes)  # type: ignore[arg-type]


def request(**changes: object) -> IssueRequest:
    base = IssueRequest("12345678", "AB12345678", "U123456", 2026, "001", "a@example.jp")
    return replace(base, **changes)  # type: ignore[arg-type]


def signed(serial: str = "AA", now: datetime = NOW) -> Signed:
    return Signed(serial, "0" * 64, now, add_years(now, 3), KeyOrigin.CSR)


def holder_with_certificate(now: datetime = NOW) -> Holder:
    first = decisions.register_notice(None, notice_request(), ctx(now)).state
    issued = decisions.issue(first, request(), signed(now=now), ctx(now)).state
    assert issued is not None
    return issued


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 12, 30), True),  # Wednesday
        (date(2026, 12, 31), False),  # the closure
        (date(2027, 1, 4), True),
        (date(2027, 1, 3), False),
        (date(2026, 11, 23), False),  # 勤労感謝の日
        (date(2026, 12, 26), False),  # Saturday
    ],
)
def test_ct_02_business_days_follow_japans_holidays_and_the_year_end_closure(
    day: date, business: bool
) -> None:
    assert is_business_day(day) is business


def test_ct_02_the_notice_of_decembers_last_business_day_carries_the_next_year() -> None:
    assert last_business_day_of_december(2026) == date(2026, 12, 30)
    assert last_business_day_of_december(2028) == date(2028, 12, 29)  # 12/30 is a Saturday
    assert notice_year(date(2026, 12, 30)) == 2027
    assert notice_year(date(2026, 12, 29)) == 2026
    assert notice_year(date(2027, 1, 4)) == 2027


def test_ct_02_every_field_is_compared_and_only_operators_learn_which() -> None:
    holder = decisions.register_notice(None, notice_request(), ctx()).state
    for field, wrong in (
        (CertRequestField.KIHONET_CODE, {"kihonet_code": "00000000"}),
        (CertRequestField.MANAGEMENT_NUMBER, {"management_number": "ZZ00000000"}),
        (CertRequestField.YEAR, {"year": 2025}),
        (CertRequestField.BRANCH_NUMBER, {"branch_number": "002"}),
    ):
        with pytest.raises(refusals.InputInfoError) as refused:
            decisions.matching_notice(holder, request(**wrong))
        assert refused.value.mismatched == {field}
        assert refused.value.status_code == 3420
    with pytest.raises(refusals.InputInfoError):
        decisions.matching_notice(None, request())  # an unknown user ID


def test_ct_06_a_reissue_takes_the_next_branch_and_revokes_the_older_certificates() -> None:
    holder = holder_with_certificate()
    later = NOW + timedelta(days=100)
    reissue = decisions.register_notice(
        holder, notice_request(reason=ReissueReason.PC_CHANGE), ctx(later)
    )
    assert reissue.outcome.branch_number == "002"
    assert reissue.state is not None
    done = decisions.issue(
        reissue.state, request(branch_number="002"), signed("BB", later), ctx(later)
    )
    assert done.state is not None
    assert done.state.certificate("AA").status(later) is CertStatus.REVOKED  # type: ignore[union-attr]
    assert [e.type for e in done.events] == ["CertReissued", "CertRevoked"]
    with pytest.raises(refusals.NoticeConflict):
        decisions.register_notice(holder, notice_request(management_number="XX00000000"), ctx())


def test_ct_05_the_renewal_window_opens_30_days_before_expiry_and_shuts_at_it() -> None:
    holder = holder_with_certificate()
    end = add_years(NOW, 3)
    with pytest.raises(refusals.RenewalRefused) as early:
        decisions.renewable(holder, "AA", end - timedelta(days=30, seconds=1))
    assert early.value.rejection == "RENEWAL_NOT_OPEN"
    assert decisions.renewable(holder, "AA", end - timedelta(days=30)).serial_number == "AA"
    with pytest.raises(refusals.RenewalRefused) as late:
        decisions.renewable(holder, "AA", end)
    assert late.value.rejection == "CERT_EXPIRED"


def test_ct_07_each_reminder_once_and_the_30_day_one_skipped_when_late() -> None:
    holder = holder_with_certificate()
    end = add_years(NOW, 3)
    at_30 = decisions.remind(holder, "AA", ctx(end - timedelta(days=30)))
    assert at_30.outcome == 1 and at_30.state is not None
    assert decisions.remind(at_30.state, "AA", ctx(end - timedelta(days=29))).outcome == 0
    at_7 = decisions.remind(at_30.state, "AA", ctx(end - timedelta(days=7)))
    assert [e.days_before for e in at_7.events] == [7]  # type: ignore[attr-defined]
    late = decisions.remind(holder, "AA", ctx(end - timedelta(days=3)))
    assert [e.days_before for e in late.events] == [7]  # type: ignore[attr-defined]
    assert late.state is not None
    assert decisions.remind(late.state, "AA", ctx(end - timedelta(days=2))).outcome == 0


def test_ct_12_the_confirmation_that_issued_finds_its_certificate_and_no_other_does() -> None:
    first = decisions.register_notice(None, notice_request(), ctx()).state
    confirmed = request(confirmation="k" * 22)
    issued = decisions.issue(first, confirmed, signed("AB"), ctx()).state
    assert issued is not None and issued.notices[0].confirmation == "k" * 22
    found = decisions.issued_by_confirmation(issued, confirmed)
    assert found is not None and found.serial_number == "AB"
    for other in (
        request(),  # the API's: no confirmation
        request(confirmation="j" * 22),  # another confirmation of the same notice
        replace(confirmed, email="b@example.jp"),  # the same key, another address
        replace(confirmed, year=2027),
    ):
        assert decisions.issued_by_confirmation(issued, other) is None
    assert decisions.issued_by_confirmation(first, confirmed) is None, "nothing issued yet"
    with pytest.raises(refusals.NoticeUsed):
        decisions.matching_notice(issued, request(confirmation="j" * 22))
