"""One event per mail type of NT-01, built as its producer builds it: secrets sealed to notify."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts import (
    AccessExportReady,
    Actor,
    CertExpiring,
    CertIssued,
    EmailChanged,
    EmailLinkIssued,
    Event,
    InitialPasswordIssued,
    OtpIssued,
    PasswordChanged,
    SignupAlreadyRegistered,
    SignupStarted,
    TemporaryPasswordIssued,
    UserProfileChanged,
    generate_keypair,
    seal,
)
from contracts.certs import KeyOrigin
from contracts.common import UserProfile
from contracts.enroll import SignupChannel
from contracts.identity import (
    ContactField,
    InitialPasswordRoute,
    LinkPurpose,
    OrganisationContactChanged,
    OrgContact,
    PasswordChangeMethod,
    ProfileField,
    RecipientRole,
    TemporaryPasswordReason,
)

PUBLIC_KEY, PRIVATE_KEY = generate_keypair()
T0 = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)  # 2026年4月1日 09:00 in Tokyo


def envelope(realm: str, subject: str | None = None) -> dict[str, Any]:
    return {
        "occurred_at": T0,
        "realm": realm,
        "org_id": "org-1",
        "subject_id": subject or uuid.uuid4().hex,
        "actor": Actor.system(),
        "correlation_id": uuid.uuid4().hex,
    }


def a_password() -> str:
    return "Pw-" + secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Case:
    """An event, what only its mail may contain, and what the mail must say."""

    event: Event
    subject: str
    says: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    link: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def password_notice(to: str) -> Case:
    password, phone = a_password(), "03-1234-5678"
    event = InitialPasswordIssued(
        **envelope("dantai-net"),
        login_id="XA5000123",
        route=InitialPasswordRoute.MAIL_TO_ORG_CONTACT,
        recipient_email=to,
        sealed_password=seal(password, PUBLIC_KEY),
        attachment_password=seal(phone, PUBLIC_KEY),
    )
    return Case(
        event,
        "【ご利用開始情報連絡】生保団体ネット",
        ("第1窓口担当者様の電話番号", "ハイフンを除いた半角数字"),
        (password,),
        extra={"zip_password": "0312345678"},
    )


def initial_password(to: str) -> Case:
    password = a_password()
    event = InitialPasswordIssued(
        **envelope("mypage"),
        login_id="member01",
        route=InitialPasswordRoute.MAIL_TO_USER,
        recipient_email=to,
        sealed_password=seal(password, PUBLIC_KEY),
    )
    return Case(event, "【県民共済 My Page】初期パスワードのお知らせ", ("member01",), (password,))


def business_user_created(to: str) -> Case:
    password = a_password()
    event = InitialPasswordIssued(
        **envelope("nexi"),
        login_id="123456789012",
        route=InitialPasswordRoute.MAIL_TO_ADMIN,
        recipient_email=to,
        sealed_password=seal(password, PUBLIC_KEY),
    )
    subject = "【NEXI Webサービス】Webユーザー（申込者）の初期パスワードのお知らせ"
    return Case(event, subject, ("123456789012", "ご連絡ください"), (password,))


def temporary_password(to: str) -> Case:
    password = a_password()
    event = TemporaryPasswordIssued(
        **envelope("mypage"),
        login_id="member02",
        reason=TemporaryPasswordReason.SELF_SERVICE,
        recipient_role=RecipientRole.USER,
        recipient_email=to,
        sealed_password=seal(password, PUBLIC_KEY),
        expires_at=T0 + timedelta(hours=24),
    )
    return Case(
        event, "【県民共済 My Page】仮パスワードのお知らせ", ("2026年4月2日 09:00",), (password,)
    )


def password_reset(to: str) -> Case:
    password = a_password()
    event = TemporaryPasswordIssued(
        **envelope("nexi"),
        login_id="123456789013",
        reason=TemporaryPasswordReason.RESET,
        recipient_role=RecipientRole.ADMIN,
        recipient_email=to,
        sealed_password=seal(password, PUBLIC_KEY),
    )
    return Case(
        event, "【NEXI Webサービス】パスワード再発行のお知らせ", ("123456789013",), (password,)
    )


def _link_case(to: str, purpose: LinkPurpose, minutes: int, realm: str, subject: str) -> Case:
    token = secrets.token_urlsafe(32)
    path = f"/realms/{realm}/links/confirm?token={token}"
    event = EmailLinkIssued(
        **envelope(realm),
        purpose=purpose,
        recipient_email=to,
        sealed_link=seal(path, PUBLIC_KEY),
        expires_at=T0 + timedelta(minutes=minutes),
    )
    link = f"https://{realm}.example.jp{path}"
    return Case(event, subject, (), (token,), link)


def login_link(to: str) -> Case:
    case = _link_case(
        to, LinkPurpose.LOGIN, 10, "dantai-net", "【生保団体ネット】メール認証用リンク通知"
    )
    return replace(
        case, says=("有効期間は10分です", "2026年4月1日 09:10まで", "閉じずに", "「再発行」")
    )


def auth_email_confirmation(to: str) -> Case:
    subject = "【生保団体ネット】メール認証用アドレス本登録のお願い"
    case = _link_case(to, LinkPurpose.AUTH_EMAIL_CONFIRMATION, 60, "dantai-net", subject)
    return replace(case, says=("有効期間は60分です", "「再登録」"))  # as seed 000 Q11 words it


def email_change_confirmation(to: str) -> Case:
    subject = "【NEXI Webサービス】メールアドレス変更の確認"
    case = _link_case(to, LinkPurpose.EMAIL_CHANGE_CONFIRMATION, 24 * 60, "nexi", subject)
    return replace(case, says=("24時間以内",))


def password_reset_link(to: str) -> Case:
    subject = "【kencom】パスワード再設定のご案内"
    case = _link_case(to, LinkPurpose.PASSWORD_RESET, 60, "kencom", subject)
    return replace(
        case, says=("1時間以内", "2026年4月1日 10:00まで", "パスワードを忘れた方はこちら")
    )


def login_link_in_english(to: str) -> Case:
    case = _link_case(to, LinkPurpose.LOGIN, 10, "demo", "[Demo Portal] Your sign-in link")
    return replace(case, says=("valid for 10 minutes", "01 Apr 2026 09:10 (JST)"))


def otp(to: str) -> Case:
    code = f"{secrets.randbelow(10**6):06d}"
    event = OtpIssued(
        **envelope("nexi"),
        recipient_email=to,
        sealed_code=seal(code, PUBLIC_KEY),
        expires_at=T0 + timedelta(minutes=10),
        max_attempts=2,
    )
    return Case(
        event,
        "【NEXI Webサービス】ワンタイムパスワードのお知らせ",
        ("10分", "2回誤って入力すると無効"),
        (code,),
    )


def signup_activation(to: str) -> Case:
    token = secrets.token_urlsafe(20)
    event = SignupStarted(
        **envelope("kencom"),
        channel=SignupChannel.PC,
        email=to,
        sealed_activation_link=seal(f"/users/{token}/activate", PUBLIC_KEY),
        expires_at=T0 + timedelta(hours=1),
    )
    return Case(
        event,
        "【kencom】仮登録ありがとうございます（※まだ本登録は完了していません）",
        ("kencomへの新規登録ありがとうございます。", "有効期間は1時間", "保険証が必要"),
        (token,),
        f"https://kencom.example.jp/users/{token}/activate",
    )


def signup_activation_from_the_app(to: str) -> Case:
    """EN-02: the app's sign-up mail has the seed's app wording and 24 hours."""
    token = secrets.token_urlsafe(20)
    event = SignupStarted(
        **envelope("kencom"),
        channel=SignupChannel.APP,
        email=to,
        sealed_activation_link=seal(f"/realms/kencom/activate?token={token}", PUBLIC_KEY),
        expires_at=T0 + timedelta(hours=24),
    )
    return Case(
        event,
        "【kencom】「本登録」手続きのお願い",
        ("※現在は「仮登録」の状態です", "24時間以内に「本登録」", "健康保険証（被保険者証）が必要"),
        (token,),
        f"https://kencom.example.jp/realms/kencom/activate?token={token}",
    )


def signup_already_registered(to: str) -> Case:
    """EN-01: the sign-up's answer never tells; the mail to the address does."""
    event = SignupAlreadyRegistered(**envelope("kencom"), channel=SignupChannel.PC, email=to)
    return Case(
        event,
        "【kencom】このメールアドレスは登録済みです",
        ("既にkencomに登録されています", "パスワードを忘れた方"),
    )


def password_change_completion(to: str) -> Case:
    event = PasswordChanged(
        **envelope("mypage"),
        method=PasswordChangeMethod.SELF,
        must_change=False,
        completion_notice_to=to,
    )
    return Case(event, "【県民共済 My Page】登録内容変更手続き完了のお知らせ", ("パスワード",))


def email_change_completion(to: str) -> Case:
    event = EmailChanged(**envelope("mypage"), new_email=to, completion_notice_to=to)
    return Case(event, "【県民共済 My Page】登録内容変更手続き完了のお知らせ", ("メールアドレス",))


def phone_change_completion(to: str) -> Case:
    event = UserProfileChanged(
        **envelope("mypage"),
        login_id="member03",
        profile=UserProfile(email=to, phone="090-0000-0000"),
        changed_fields=frozenset({ProfileField.PHONE}),
        completion_notice_to=to,
    )
    return Case(event, "【県民共済 My Page】登録内容変更手続き完了のお知らせ", ("電話番号",))


def org_contact_changed(to: str) -> Case:
    """ID-USER-11: the completion of 団体情報変更, to the new contact, without the phone."""
    contact = OrgContact(
        name="日本　花子",
        email=to,
        phone="03-9876-5432",
        postal_code="100-0001",
        address="東京都千代田区千代田１－１",
    )
    event = OrganisationContactChanged(
        **envelope("dantai-net", "org-1"),
        contact=contact,
        changed_fields=frozenset({ContactField.EMAIL, ContactField.ADDRESS}),
        previous_email="taro@example.jp",
        completion_notice_to=to,
    )
    return Case(
        event,
        "【生保団体ネット】団体情報変更完了のお知らせ",
        ("日本　花子 様", "変更した項目：メールアドレス、住所", "パスワード通知書"),
    )


def cert_issued(to: str) -> Case:
    event = CertIssued(
        **envelope("kihonet"),
        serial_number="1A2B3C4D",
        fingerprint_sha256="a" * 64,
        user_id="U123456",
        management_number="AB12345678",
        branch_number="001",
        notice_year=2026,
        email=to,
        key_origin=KeyOrigin.CSR,
        not_before=T0,
        not_after=T0 + timedelta(days=3 * 365),
    )
    subject = "【企保ネット】クライアント証明書発行のお知らせ"
    return Case(event, subject, ("U123456", "AB12345678", "30日前と7日前"))


def _cert_expiring(to: str, days: int, renewed: bool) -> CertExpiring:
    return CertExpiring(
        **envelope("kihonet"),
        serial_number="1A2B3C4D",
        not_after=T0 + timedelta(days=days),
        days_before=30 if days == 30 else 7,
        renewed_already=renewed,
        recipient_email=to,
    )


def cert_expiring_30_days(to: str) -> Case:
    subject = "【企保ネット】クライアント証明書更新のご案内（有効期限の30日前）"
    return Case(
        _cert_expiring(to, 30, False),
        subject,
        ("2026年5月1日 09:00", "https://kihonet.example.jp/certificates/renew"),
    )


def cert_expiring_7_days_after_renewal(to: str) -> Case:
    subject = "【企保ネット】クライアント証明書更新のご案内（有効期限の7日前）"
    return Case(_cert_expiring(to, 7, True), subject, ("更新のお手続きはすでに完了しています",))


def export_ready(to: str) -> Case:
    """Audit's job is ready (issue 16): the page's path, never a credential, below the portal."""
    event = AccessExportReady(
        **envelope("nexi"),
        export_id="Zq3x9L0aVbN2mC4dE6fG8hJ1kL3mN5pQ",
        login_id="20XXXXXXX001",
        recipient_email=to,
        rows=1_000_000,
        size_bytes=83_000_000,
        first_day=date(2025, 4, 1),
        last_day=date(2026, 3, 31),
        expires_at=T0 + timedelta(days=1),
        page_path="/realms/nexi/access-history/exports/Zq3x9L0aVbN2mC4dE6fG8hJ1kL3mN5pQ",
    )
    page = "https://nexi.example.jp/realms/nexi/access-history/exports/Zq3x9L0aVbN2mC4dE6fG8hJ1kL3mN5pQ"
    says = (page, "2025年4月1日～2026年3月31日", "1,000,000件", "2026年4月2日 09:00", "1回だけ")
    return Case(event, "【NEXI Webサービス】アクセス履歴のファイルを作成しました", says)


MAIL_TYPES: dict[str, Callable[[str], Case]] = {
    f.__name__: f
    for f in (
        password_notice,
        initial_password,
        business_user_created,
        temporary_password,
        password_reset,
        login_link,
        auth_email_confirmation,
        email_change_confirmation,
        password_reset_link,
        login_link_in_english,
        otp,
        signup_activation,
        signup_activation_from_the_app,
        signup_already_registered,
        password_change_completion,
        email_change_completion,
        phone_change_completion,
        org_contact_changed,
        cert_issued,
        cert_expiring_30_days,
        cert_expiring_7_days_after_renewal,
        export_ready,
    )
}
