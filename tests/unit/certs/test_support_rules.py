"""The support console's pure rules (WEB-04): a certificate's standing as the desk sees it,
the search by a notice's fields, the form's notice under the API's rules, and who may operate
(the support desk with a complete login and, where required, its OTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts.certs import KeyOrigin, ReissueReason
from domainkit.callers import Caller, Refusal
from services.certs.domain import authz
from services.certs.domain.holders import Certificate, Holder, Notice, Standing, add_years
from services.certs.usecases.inputs import NoticeFields

NOW = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)


def certificate(not_before: datetime = NOW, **changes: object) -> Certificate:
    return Certificate(
        serial_number="AA",
        fingerprint_sha256="0" * 64,
        branch_number="001",
        management_number="AB12345678",
        email="a@example.jp",
        key_origin=KeyOrigin.CSR,
        not_before=not_before,
        not_after=add_years(not_before, 3),
        **changes,  # type: ignore[arg-type]
    )


def test_web_04_ct_05_a_certificate_is_expiring_from_30_days_before_its_expiry() -> None:
    cert = certificate()
    assert cert.standing(NOW) is Standing.VALID
    assert cert.standing(cert.not_after - timedelta(days=31)) is Standing.VALID
    assert cert.standing(cert.not_after - timedelta(days=30)) is Standing.EXPIRING
    assert cert.standing(cert.not_after) is Standing.EXPIRED
    revoked = certificate(revoked_at=NOW)
    assert revoked.standing(revoked.not_after - timedelta(days=1)) is Standing.REVOKED


def test_web_04_a_holder_is_found_by_the_code_or_management_number_of_its_notices() -> None:
    notice = Notice("12345678", "AB12345678", "U123456", 2026, "001", None, NOW)
    holder = Holder("kihonet", "U123456", notices=(notice,))
    assert holder.recorded_with(kihonet_code="12345678")
    assert holder.recorded_with(management_number="AB12345678")
    assert not holder.recorded_with(kihonet_code="87654321")
    assert not Holder("kihonet", "U123456").recorded_with(kihonet_code="12345678")


def test_web_04_the_consoles_notice_is_the_apis_notice() -> None:
    typed = {"kihonet_code": "12345678", "management_number": "AB12345678", "user_id": "U123456"}
    first = NoticeFields.model_validate(typed).request(date(2026, 4, 1))
    assert (first.issued_on, first.reason) == (date(2026, 4, 1), None)
    reissue = NoticeFields.model_validate(
        typed | {"issued_on": "2026-12-30", "reason": "pc_change"}
    ).request(date(2026, 4, 1))
    assert (reissue.issued_on, reissue.reason) == (date(2026, 12, 30), ReissueReason.PC_CHANGE)
    for junk in ({"kihonet_code": "1234567"}, {"reason": "lost"}, {"issued_on": "明日"}):
        with pytest.raises(ValidationError):
            NoticeFields.model_validate(typed | junk)


def caller(**changes: object) -> Caller:
    base: dict[str, object] = {
        "user_id": "s1",
        "realm": "kihonet",
        "org_id": None,
        "role": "support",
        "restricted": False,
    }
    return Caller(**(base | changes))  # type: ignore[arg-type]


def test_web_04_x_15_only_the_realms_support_desk_operates_with_its_otp_if_required() -> None:
    assert authz.operate(caller(), "kihonet") is None
    assert authz.operate(caller(realm="demo"), "kihonet") is Refusal.NOT_PERMITTED
    assert authz.operate(caller(role="admin"), "kihonet") is Refusal.NOT_PERMITTED
    assert authz.operate(caller(restricted=True), "kihonet") is Refusal.LOGIN_INCOMPLETE
    assert authz.operate(caller(otp_required=True), "kihonet") is Refusal.OTP_REQUIRED
    assert authz.operate(caller(otp_required=True, otp_verified=True), "kihonet") is None
