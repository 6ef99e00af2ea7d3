"""The operation catalogue (操作内容) of the access history (AU-02): codes and labels, pure data.

Groups 1 to 9 are seed 004's list as the NEXI manual prints it (アクセス履歴出力, section 4-12);
outside systems report those operations with ``OperationPerformed``. Groups 10 to 13 extend the
catalogue with what the platform's own services do, so that every event of every service lands
on a code an admin can read: 10 for identity (ID管理), 11 for certificates (証明書), 12 for
enrolment (会員登録), 13 for mails (メール). A code shows in the CSV as ``[1-2]パスワード変更``,
the way the seed's sample rows show it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from contracts import (
    EmailLinkConsumed,
    EmailLinkIssued,
    Event,
    OperationPerformed,
    PasswordChanged,
    SessionEnded,
)
from contracts.identity import LinkPurpose, PasswordChangeMethod, SessionEndReason


@dataclass(frozen=True)
class Operation:
    """One entry of the catalogue: ``code`` as in seed 004 (``1-2``) and its Japanese label."""

    code: str
    label: str

    @property
    def shown(self) -> str:
        """How 操作内容 reads in the CSV: ``[1-2]パスワード変更``."""
        return f"[{self.code}]{self.label}"


SEED_004: Final[Mapping[str, str]] = {
    "1-1": "ログイン",
    "1-2": "パスワード変更",
    "1-3": "海外商社の検索",
    "1-4": "Web申込状況一覧の参照",
    "1-5": "通知書ダウンロード（Web申込状況一覧）",
    "2-1": "申込情報の入力と保存（海外商社登録・変更）",
    "2-2": "申込み（海外商社登録・変更）",
    "2-3": "申込情報の入力と保存（スリーピング解除）",
    "2-4": "申込み（スリーピング解除）",
    "2-5": "ブックマークバイヤー登録",
    "2-6": "ブックマークバイヤー削除",
    "3-1": "申込情報の入力と保存（個別新規）",
    "3-2": "申込み（個別新規）",
    "3-3": "申込情報の入力と保存（個別内容変更）",
    "3-4": "申込み（個別内容変更）",
    "4-1": "申込情報の入力と保存（中小新規）",
    "4-2": "申込み（中小新規）",
    "5-1": "個別（通知）入力と保存（包括保険共通）",
    "5-2": "台帳（ファイル）アップロードまたは個別（通知）入力の一括申請（包括保険共通）",
    "6-1": "申込情報の入力と保存（個別保証枠確認）",
    "6-2": "申込み（個別保証枠確認）",
    "6-3": "確認証ダウンロード（個別保証枠確認）",
    "6-4": "申込情報の入力と保存（決済/枠戻通知）",
    "6-5": "申込み（決済/枠戻通知）",
    "7-1": "申込情報の入力と保存（損失等発生通知）",
    "7-2": "申込み（損失等発生通知）",
    "7-3": "申込情報の入力と保存（入金通知）",
    "7-4": "申込み（入金通知）",
    "7-5": "申込情報の入力と保存（猶予申請）",
    "7-6": "申込み（猶予申請）",
    "8-1": "照会・契約台帳の提供データダウンロード（包括保険共通）",
    "8-2": "保険契約情報ダウンロード",
    "8-3": "事故概要情報ダウンロード",
    "8-4": "債権一覧表ダウンロード",
    "9-1": "企業総合保険特約手続状況一覧の参照",
    "9-2": "申込情報の入力と保存（企業総合保険特約）",
    "9-3": "設定希望情報の送信（企業総合保険特約）",
    "9-4": "申込み（企業総合保険特約）",
    "9-5": "特約一覧表兼支払限度額設定書（年度更新確認用）ダウンロード",
    "9-6": "特約一覧表兼支払限度額設定書（期中登録確認用）ダウンロード",
    "9-7": "特約一覧表兼支払限度額設定書（年度更新）ダウンロード",
    "9-8": "特約一覧表兼支払限度額設定書（期中登録）ダウンロード",
    "9-9": "特約一覧表兼支払限度額設定書（全企総登録）ダウンロード",
}

PLATFORM: Final[Mapping[str, str]] = {
    "10-1": "ログイン失敗",
    "10-2": "アカウントロック",
    "10-3": "アカウントロック解除",
    "10-4": "ログアウト",
    "10-5": "セッション終了",
    "10-6": "WebユーザーID登録",
    "10-7": "Webユーザー情報変更",
    "10-8": "使用状態変更",
    "10-9": "権限変更",
    "10-10": "パスワード初期化・再設定",
    "10-11": "初期パスワード発行",
    "10-12": "仮パスワード発行",
    "10-13": "メールアドレス変更",
    "10-14": "ワンタイムパスワード",
    "10-15": "ワンタイムパスワード利用設定",
    "10-16": "メール認証",
    "10-17": "ブラウザ登録",
    "10-18": "セッション開始",
    "10-19": "画像認証の対象外IPアドレス設定",
    "10-20": "仮パスワード発行依頼（送信なし）",
    "10-21": "現在のパスワード確認の誤り",
    "10-22": "業務用ID追加申込",
    "10-23": "業務用ID追加申込の却下",
    "10-24": "パスワード再設定メール",
    "10-25": "パスワード再設定依頼（送信なし）",
    "10-26": "団体情報変更",
    "11-1": "証明書発行",
    "11-2": "証明書更新",
    "11-3": "証明書再発行",
    "11-4": "証明書失効",
    "11-5": "証明書発行エラー",
    "11-6": "証明書有効期限通知",
    "11-7": "証明書有効期限切れ",
    "12-1": "仮登録",
    "12-2": "本登録",
    "12-3": "資格確認",
    "12-4": "会員登録",
    "12-5": "秘密の質問設定",
    "12-6": "健診閲覧コード確認",
    "12-7": "秘密の質問ロック解除",
    "13-1": "メール送信",
    "13-2": "メール送信失敗",
}

CATALOGUE: Final[Mapping[str, str]] = {**SEED_004, **PLATFORM}

OTHER: Final = Operation("0-0", "その他の操作")
"""An event type this catalogue does not know yet: recorded anyway, never dropped (X-01)."""

_BY_TYPE: Final[Mapping[str, str]] = {
    "LoginSucceeded": "1-1",
    "LoginFailed": "10-1",
    "AccountLocked": "10-2",
    "AccountUnlocked": "10-3",
    "UserCreated": "10-6",
    "UserProfileChanged": "10-7",
    "UserStatusChanged": "10-8",
    "PermissionsChanged": "10-9",
    "InitialPasswordIssued": "10-11",
    "TemporaryPasswordIssued": "10-12",
    "TemporaryPasswordDeclined": "10-20",
    "EmailChangeRequested": "10-13",
    "EmailChanged": "10-13",
    "OtpIssued": "10-14",
    "OtpVerified": "10-14",
    "OtpVoided": "10-14",
    "OtpPolicyChanged": "10-15",
    "EmailLinkIssued": "10-16",
    "EmailLinkConsumed": "10-16",
    "AuthEmailConfirmed": "10-16",
    "AuthEmailReset": "10-16",
    "BrowserRegistered": "10-17",
    "BrowserBindingReset": "10-17",
    "SessionStarted": "10-18",
    "TrustedAddressesChanged": "10-19",
    "CurrentPasswordRejected": "10-21",
    "BusinessIdRequested": "10-22",
    "BusinessIdRequestRefused": "10-23",
    "PasswordResetDeclined": "10-25",
    "OrganisationContactChanged": "10-26",
    "CertIssued": "11-1",
    "CertRenewed": "11-2",
    "CertReissued": "11-3",
    "CertRevoked": "11-4",
    "CertIssueRejected": "11-5",
    "CertExpiring": "11-6",
    "CertExpired": "11-7",
    "SignupStarted": "12-1",
    "SignupAlreadyRegistered": "12-1",
    "SignupActivated": "12-2",
    "EligibilityChecked": "12-3",
    "MemberRegistered": "12-4",
    "MemberEnrolmentRefused": "12-4",
    "SecretQuestionSet": "12-5",
    "CheckupCodeVerified": "12-6",
    "SecretAnswerUnlocked": "12-7",
    "MailSent": "13-1",
    "MailFailed": "13-2",
}


def _password_changed(event: Event) -> str:
    """Only the user's own change is seed 004's [1-2]; an admin's reset is another operation."""
    assert isinstance(event, PasswordChanged)
    return "1-2" if event.method is PasswordChangeMethod.SELF else "10-10"


def _session_ended(event: Event) -> str:
    assert isinstance(event, SessionEnded)
    return "10-4" if event.reason is SessionEndReason.LOGOUT else "10-5"


def _email_link(event: Event) -> str:
    """A mailed link is メール認証 (10-16), but kencom's reset link is its own (ID-PW-08)."""
    assert isinstance(event, EmailLinkIssued | EmailLinkConsumed)
    return "10-24" if event.purpose is LinkPurpose.PASSWORD_RESET else "10-16"


_REFINED: Final[Mapping[str, Callable[[Event], str]]] = {
    "EmailLinkIssued": _email_link,
    "EmailLinkConsumed": _email_link,
    "PasswordChanged": _password_changed,
    "SessionEnded": _session_ended,
}


def operation_of(event: Event) -> Operation:
    """The catalogue entry an event maps onto (AU-02).

    An outside system's ``OperationPerformed`` names its code; a known code keeps the
    catalogue's label so that one operation always reads the same, an unknown code keeps the
    label the system sent (the catalogue is extensible without a deploy of audit).
    """
    if isinstance(event, OperationPerformed):
        reported = event.operation_code
        return Operation(reported, CATALOGUE.get(reported, event.operation_label))
    refine = _REFINED.get(event.type)
    code = refine(event) if refine else _BY_TYPE.get(event.type)
    if code is None:
        return OTHER
    return Operation(code, CATALOGUE[code])
