"""Audit's pure rules: catalogue, profile as of a time, period clipping, CSV cells (AU-01…06)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import (
    Actor,
    CertIssued,
    EmailLinkIssued,
    LoginSucceeded,
    OperationPerformed,
    PasswordChanged,
    TemporaryPasswordDeclined,
    UserProfileChanged,
    generate_keypair,
    seal,
)
from contracts.certs import KeyOrigin
from contracts.common import UserProfile
from contracts.identity import (
    LinkPurpose,
    PasswordChangeMethod,
    ProfileField,
    TemporaryPasswordDeclineReason,
)
from servicekit.credentials import Caller, Refusal
from services.audit.domain.authz import may_export
from services.audit.domain.catalogue import CATALOGUE, OTHER, operation_of
from services.audit.domain.period import PeriodRefused, clip_period, months_before, retention_cutoff
from services.audit.domain.profiles import ProfileVersion, as_of, with_versions
from services.audit.domain.records import AccessRecord
from services.audit.domain.sheet import (
    MISSING_CHARACTER,
    AccessRow,
    CsvEncoder,
    Encoding,
    Order,
    cells,
    headers,
    neutralise,
    tokyo_time,
)

T0 = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
ENVELOPE = {
    "occurred_at": T0,
    "realm": "nexi",
    "org_id": "org-1",
    "subject_id": "u1",
    "actor": Actor.system(),
    "correlation_id": "c",
}


def version(minutes: int, name: str, event_id: str | None = None) -> ProfileVersion:
    return ProfileVersion(
        T0 + timedelta(minutes=minutes), event_id or f"e{minutes}", "20000000001", name
    )


def test_au_02_seed_004_codes_and_platform_events_map_onto_the_catalogue() -> None:
    assert operation_of(LoginSucceeded(**ENVELOPE, login_id="x")).shown == "[1-1]ログイン"
    own = PasswordChanged(**ENVELOPE, method=PasswordChangeMethod.SELF, must_change=False)
    assert operation_of(own).shown == "[1-2]パスワード変更"
    reset = PasswordChanged(**ENVELOPE, method=PasswordChangeMethod.RESET, must_change=True)
    assert operation_of(reset).code == "10-10", "an admin's reset is not the user's own change"
    declined = TemporaryPasswordDeclined(
        **ENVELOPE, login_id="x", reason=TemporaryPasswordDeclineReason.LIMIT_REACHED
    )
    assert operation_of(declined).shown == "[10-20]仮パスワード発行依頼（送信なし）"
    link = EmailLinkIssued(
        **ENVELOPE,
        purpose=LinkPurpose.PASSWORD_RESET,
        recipient_email="a@example.jp",
        sealed_link=seal("/realms/kencom/password-reset?token=t", generate_keypair()[0]),
        expires_at=T0,
    )
    assert operation_of(link).shown == "[10-24]パスワード再設定メール", "ID-PW-08's own"
    assert operation_of(link.model_copy(update={"purpose": LinkPurpose.LOGIN})).code == "10-16"
    by_link = own.model_copy(update={"method": PasswordChangeMethod.RESET_LINK})
    assert operation_of(by_link).code == "10-10"
    reported = OperationPerformed(
        **ENVELOPE,
        source_system="apply",
        login_id="x",
        operation_code="8-4",
        operation_label="whatever the system calls it",
    )
    assert operation_of(reported).shown == "[8-4]債権一覧表ダウンロード"
    new_code = reported.model_copy(update={"operation_code": "14-1", "operation_label": "新機能"})
    assert operation_of(new_code).shown == "[14-1]新機能", "extensible without a deploy"
    assert CATALOGUE["9-9"].endswith("（全企総登録）ダウンロード")


def test_au_02_certificate_events_carry_the_holders_user_id_as_login_id() -> None:
    issued = CertIssued(
        **ENVELOPE,
        serial_number="0A",
        fingerprint_sha256="0" * 64,
        user_id="AB12345",
        management_number="0123456789",
        branch_number="001",
        notice_year=2026,
        email="a@example.jp",
        key_origin=KeyOrigin.CSR,
        not_before=T0,
        not_after=T0 + timedelta(days=1095),
    )
    record = AccessRecord.of(issued)
    assert (record.login_id, record.operation_code) == ("AB12345", "11-1")
    assert operation_of(issued) != OTHER


def test_au_01_profile_as_of_a_time_whatever_order_versions_arrive_in() -> None:
    first, renamed = version(0, "日本 太郎"), version(60, "日本 次郎")
    late_first = with_versions(with_versions((), [renamed]) or (), [first, first])
    assert late_first is not None and [v.name for v in late_first] == ["日本 太郎", "日本 次郎"]
    assert with_versions(late_first, [renamed]) is None, "a repeated event changes nothing"
    assert as_of(late_first, T0 + timedelta(minutes=59)) == first
    assert as_of(late_first, T0 + timedelta(minutes=60)) == renamed
    assert as_of(late_first, T0 - timedelta(seconds=1)) == first, "no profile older than the user"
    assert as_of((), T0) is None


def test_au_01_profile_version_comes_whole_from_the_event() -> None:
    changed = UserProfileChanged(
        **ENVELOPE,
        login_id="20000000001",
        profile=UserProfile(name="貿易 花子", department="見本課"),
        changed_fields=frozenset({ProfileField.NAME}),
    )
    v = ProfileVersion.of(changed)
    assert (v.name, v.department, v.title, v.since) == ("貿易 花子", "見本課", None, T0)
    assert ProfileVersion.from_document(v.to_document()) == v


def test_au_03_period_is_clipped_to_one_year_and_to_the_realms_first_history_day() -> None:
    today = date(2026, 11, 24)
    full = clip_period(date(2024, 1, 1), date(2026, 12, 31), today, None)
    assert (full.period.first, full.period.last) == (date(2025, 11, 24), today)
    assert len(full.notes) == 2 and "最長1年間" in full.notes[1]
    early = clip_period(date(2016, 1, 1), None, date(2016, 6, 1), date(2016, 3, 22))
    assert early.period.first == date(2016, 3, 22)
    assert "2016/03/22以降" in early.notes[-1]
    inside = clip_period(date(2026, 5, 1), date(2026, 5, 31), today, None)
    assert inside.notes == ()
    with pytest.raises(PeriodRefused):
        clip_period(date(2026, 5, 2), date(2026, 5, 1), today, None)
    gone = clip_period(date(2020, 1, 1), date(2020, 12, 31), today, None)
    assert gone.period.empty, "a period wholly before the year has nothing to give"


def test_au_03_period_days_are_tokyo_days() -> None:
    clipped = clip_period(date(2026, 5, 1), date(2026, 5, 1), date(2026, 11, 24), None)
    start, end = clipped.period.utc_bounds()
    assert start == datetime(2026, 4, 30, 15, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_au_06_retention_is_thirteen_calendar_months() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    cutoff = retention_cutoff(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert cutoff == datetime(2025, 10, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n", "\0"])
def test_au_04_cells_starting_like_a_formula_are_neutralised(start: str) -> None:
    assert neutralise(start + "cmd|' /C calc'!A0") == "'" + start + "cmd|' /C calc'!A0"


def test_au_04_ordinary_cells_are_left_alone() -> None:
    assert neutralise("日本 太郎") == "日本 太郎"
    assert neutralise("") == ""


ROW = AccessRow(
    login_id="20XXXXXXX000",
    occurred_at=datetime(2016, 10, 22, 1, 2, 3, tzinfo=UTC),
    operation="[1-4]Web申込状況一覧の参照",
    name="=日本 太郎",
    department="見本事業部",
    title=None,
    ip="192.0.2.1",
    user_agent="-Mozilla",
)


def test_au_03_both_layouts_follow_seed_004() -> None:
    assert headers(Order.BY_USER, False) == (
        "WebユーザーID",
        "アクセス日時",
        "操作内容",
        "氏名",
        "所属名",
        "役職名",
    )
    assert headers(Order.BY_TIME, True)[:2] == ("アクセス日時", "WebユーザーID")
    assert headers(Order.BY_TIME, True)[-2:] == ("IPアドレス", "ユーザーエージェント")
    assert cells(ROW, Order.BY_USER, False)[:3] == [
        "20XXXXXXX000",
        "2016/10/22 10:02:03",
        "[1-4]Web申込状況一覧の参照",
    ]
    by_time = cells(ROW, Order.BY_TIME, True)
    assert by_time[:2] == ["2016/10/22 10:02:03", "20XXXXXXX000"]
    assert by_time[3] == "'=日本 太郎" and by_time[-1] == "'-Mozilla" and by_time[5] == ""
    assert tokyo_time(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == "2027/01/01 00:00:00"


def test_au_04_cp932_keeps_jis_kanji_maps_lookalikes_and_marks_the_rest() -> None:
    encoder = CsvEncoder(Encoding.CP932)
    data = encoder.encode([["髙橋 〜 −", "𠮷野家 🙂", "渡邉"]])
    text = data.decode("cp932")
    assert next(csv.reader(io.StringIO(text))) == [
        "髙橋 ～ －",
        f"{MISSING_CHARACTER}野家 {MISSING_CHARACTER}",
        "渡邉",
    ]


def test_au_04_utf8_sig_writes_its_bom_once() -> None:
    encoder = CsvEncoder(Encoding.UTF8_SIG)
    first, second = encoder.encode([["a"]]), encoder.encode([["b"]])
    assert first.startswith(b"\xef\xbb\xbf") and not second.startswith(b"\xef\xbb\xbf")
    assert CsvEncoder(Encoding.UTF8).encode([["🙂"]]) == "🙂\r\n".encode()


def test_au_03_the_organisations_admin_or_its_realms_support_may_export() -> None:
    admin = Caller("a", "nexi", "org-1", "admin", restricted=False)
    assert may_export(admin, "nexi", "org-1") is None
    assert may_export(admin, "nexi", "org-2") is Refusal.NOT_PERMITTED
    assert may_export(admin, "demo", "org-1") is Refusal.NOT_PERMITTED
    support = Caller("s", "nexi", None, "support", restricted=False)
    assert may_export(support, "nexi", "org-2") is None
    for role in ("business", "group_reader", "member"):
        assert may_export(Caller("b", "nexi", "org-1", role, False), "nexi", "org-1") is not None
    pending = Caller("a", "nexi", "org-1", "admin", restricted=True)
    assert may_export(pending, "nexi", "org-1") is Refusal.LOGIN_INCOMPLETE


def test_au_02_a_record_stored_before_the_catalogue_exports_with_its_event_type() -> None:
    from services.audit.usecases.exports import _row

    old = {"subject_id": "u1", "event_type": "UserCreated", "occurred_at": datetime.now(UTC)}
    current = old | {"operation_code": "10-6", "operation_label": "WebユーザーID登録"}
    assert _row(old, None).operation == "[-]UserCreated"
    assert _row(current, None).operation == "[10-6]WebユーザーID登録"


def test_id_otp_05_the_history_waits_for_the_otp_where_the_organisation_requires_it() -> None:
    """Checked again by audit, whatever the gateway did: before the role, as the gateway's
    ``protected=true`` introspection refuses before anything is read (X-15)."""
    owed = Caller("a", "nexi", "org-1", "admin", restricted=False, otp_required=True)
    assert may_export(owed, "nexi", "org-1") is Refusal.OTP_REQUIRED
    assert may_export(owed, "nexi", "org-2") is Refusal.OTP_REQUIRED
    entered = Caller("a", "nexi", "org-1", "admin", False, otp_required=True, otp_verified=True)
    assert may_export(entered, "nexi", "org-1") is None
    not_required = Caller("a", "nexi", "org-1", "admin", restricted=False, otp_required=False)
    assert may_export(not_required, "nexi", "org-1") is None
    pending = Caller("a", "nexi", "org-1", "admin", restricted=True, otp_required=True)
    assert may_export(pending, "nexi", "org-1") is Refusal.LOGIN_INCOMPLETE
