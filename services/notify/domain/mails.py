"""Which mail an event asks for: pure rules, no I/O (SPEC section 3).

An event that needs a mail becomes a :class:`MailOrder`: the recipient, the template, the plain
facts the wording needs, and the secrets *still sealed* (NT-05: they are opened only when the
mail is composed, and never kept). Every other event asks for nothing.

One mail per source event (NT-03): the mail's ``Message-ID`` and the ids of the ``MailSent`` /
``MailFailed`` events (``domain.deliveries``) are derived from the source ``event_id``, so a
repeat after a crash is the same mail and the same announcement, which mail systems and
consumers drop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import singledispatch
from typing import Any
from uuid import UUID

from contracts import (
    AccessExportReady,
    CertExpiring,
    CertIssued,
    EmailChanged,
    EmailLinkIssued,
    Event,
    InitialPasswordIssued,
    OtpIssued,
    PasswordChanged,
    SealedSecret,
    SignupAlreadyRegistered,
    SignupStarted,
    TemporaryPasswordIssued,
    UserProfileChanged,
)
from contracts.identity import (
    ContactField,
    InitialPasswordRoute,
    LinkPurpose,
    OrganisationContactChanged,
    TemporaryPasswordReason,
)
from contracts.notify import mask_email


class Template(StrEnum):
    """The mails the platform sends (NT-01), one template each (NT-02)."""

    PASSWORD_NOTICE = "password_notice"  # noqa: S105 - a template name
    """パスワード通知書: an initial password to the organisation's contact (dantai-net)."""
    INITIAL_PASSWORD = "initial_password"  # noqa: S105
    """An initial password mailed to the user themself."""
    BUSINESS_USER_CREATED = "business_user_created"
    """A business user's initial password to the admin, who passes it on (nexi)."""
    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105
    """仮パスワード asked for by the user (ID-PW-05)."""
    PASSWORD_RESET = "password_reset"  # noqa: S105
    """A new password after a reset, to the admin (ID-PW-06)."""
    LOGIN_LINK = "login_link"
    """メール認証用リンク通知 (ID-MAIL-02)."""
    AUTH_EMAIL_CONFIRMATION = "auth_email_confirmation"
    """メール認証用アドレスの本登録依頼 (ID-MAIL-01)."""
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"
    """The link that confirms a new registered address (ID-EMAIL-01)."""
    PASSWORD_RESET_LINK = "password_reset_link"  # noqa: S105 - a template name
    """パスワード再設定のご案内: the link that sets a new password (ID-PW-08, kencom)."""
    OTP = "otp"
    """ワンタイムパスワード (ID-OTP-02)."""
    SIGNUP_ACTIVATION = "signup_activation"
    """仮登録メール with the activation link (EN-02), in the words of its channel (app, PC)."""
    SIGNUP_ALREADY_REGISTERED = "signup_already_registered"
    """A sign-up with an address already registered: its owner is told so (EN-01)."""
    CHANGE_COMPLETION = "change_completion"
    """手続き完了のメール after a change of password, e-mail or phone (ID-PW-07)."""
    ORG_CONTACT_CHANGED = "org_contact_changed"
    """団体情報変更完了のお知らせ, to the organisation's new contact (ID-USER-11)."""
    CERT_ISSUED = "cert_issued"
    """A client certificate was issued (CT-01)."""
    CERT_EXPIRING = "cert_expiring"
    """更新のご案内, 30 and 7 days before expiry (CT-07)."""
    EXPORT_READY = "export_ready"
    """アクセス履歴のファイルを作成しました: a large export job's file waits (AU-04, issue 16)."""


@dataclass(frozen=True)
class MailOrder:
    """One mail an event asks for; its secrets are still sealed."""

    event: Event
    template: Template
    recipient: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    sealed: Mapping[str, SealedSecret] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return str(self.event.event_id)

    @property
    def recipient_masked(self) -> str:
        return mask_email(self.recipient)


def message_id(event_id: UUID | str, sender: str) -> str:
    """The mail's ``Message-ID``, the same for every attempt of one source event (NT-03)."""
    return f"<{event_id}@{sender.rpartition('@')[2]}>"


@singledispatch
def order_for(event: Event) -> MailOrder | None:
    """The mail ``event`` asks for, or ``None``: most events need no mail."""
    return None


@order_for.register
def _initial_password(event: InitialPasswordIssued) -> MailOrder | None:
    template = {
        InitialPasswordRoute.MAIL_TO_ORG_CONTACT: Template.PASSWORD_NOTICE,
        InitialPasswordRoute.MAIL_TO_ADMIN: Template.BUSINESS_USER_CREATED,
        InitialPasswordRoute.MAIL_TO_USER: Template.INITIAL_PASSWORD,
    }.get(event.route)
    if template is None or event.recipient_email is None or event.sealed_password is None:
        return None  # out of band: the API answered it once; nothing travelled
    sealed = {"password": event.sealed_password}
    if event.attachment_password is not None:
        sealed["attachment_password"] = event.attachment_password
    return MailOrder(event, template, event.recipient_email, {"login_id": event.login_id}, sealed)


@order_for.register
def _temporary_password(event: TemporaryPasswordIssued) -> MailOrder:
    reset = event.reason is TemporaryPasswordReason.RESET
    return MailOrder(
        event,
        Template.PASSWORD_RESET if reset else Template.TEMPORARY_PASSWORD,
        event.recipient_email,
        {"login_id": event.login_id, **_expiry(event, event.expires_at)},
        {"password": event.sealed_password},
    )


_LINK_TEMPLATES = {
    LinkPurpose.LOGIN: Template.LOGIN_LINK,
    LinkPurpose.AUTH_EMAIL_CONFIRMATION: Template.AUTH_EMAIL_CONFIRMATION,
    LinkPurpose.EMAIL_CHANGE_CONFIRMATION: Template.EMAIL_CHANGE_CONFIRMATION,
    LinkPurpose.PASSWORD_RESET: Template.PASSWORD_RESET_LINK,
}


@order_for.register
def _email_link(event: EmailLinkIssued) -> MailOrder:
    return MailOrder(
        event,
        _LINK_TEMPLATES[event.purpose],
        event.recipient_email,
        _expiry(event, event.expires_at),
        {"link": event.sealed_link},
    )


@order_for.register
def _otp(event: OtpIssued) -> MailOrder:
    facts = {**_expiry(event, event.expires_at), "max_attempts": event.max_attempts}
    return MailOrder(event, Template.OTP, event.recipient_email, facts, {"code": event.sealed_code})


@order_for.register
def _signup(event: SignupStarted) -> MailOrder:
    facts = {
        **_expiry(event, event.expires_at),
        "resend": event.resend,
        "channel": event.channel.value,
    }
    return MailOrder(
        event,
        Template.SIGNUP_ACTIVATION,
        event.email,
        facts,
        {"link": event.sealed_activation_link},
    )


@order_for.register
def _signup_already_registered(event: SignupAlreadyRegistered) -> MailOrder:
    facts = {"resend": event.resend, "channel": event.channel.value}
    return MailOrder(event, Template.SIGNUP_ALREADY_REGISTERED, event.email, facts)


@order_for.register
def _password_changed(event: PasswordChanged) -> MailOrder | None:
    return _completion(event, event.completion_notice_to, ["password"])


@order_for.register
def _email_changed(event: EmailChanged) -> MailOrder | None:
    return _completion(event, event.completion_notice_to, ["email"])


@order_for.register
def _profile_changed(event: UserProfileChanged) -> MailOrder | None:
    return _completion(event, event.completion_notice_to, sorted(event.changed_fields))


def _completion(event: Event, to: str | None, changes: list[str]) -> MailOrder | None:
    if to is None:
        return None  # the realm sends no completion notices
    return MailOrder(event, Template.CHANGE_COMPLETION, to, {"changes": changes})


@order_for.register
def _org_contact_changed(event: OrganisationContactChanged) -> MailOrder:
    """To the new contact only (one mail per source event, NT-03); no phone in it, since the
    phone opens the password notices that go to the same mailbox (NT-06)."""
    changes = [f.value for f in ContactField if f in event.changed_fields]  # the form's order
    facts = {"changes": changes, "contact_name": event.contact.name}
    return MailOrder(event, Template.ORG_CONTACT_CHANGED, event.completion_notice_to, facts)


@order_for.register
def _cert_issued(event: CertIssued) -> MailOrder:
    facts = {
        "user_id": event.user_id,
        "management_number": event.management_number,
        "serial_number": event.serial_number,
        "not_after": event.not_after,
    }
    return MailOrder(event, Template.CERT_ISSUED, event.email, facts)


@order_for.register
def _cert_expiring(event: CertExpiring) -> MailOrder:
    facts = {
        "serial_number": event.serial_number,
        "not_after": event.not_after,
        "days_before": event.days_before,
        "renewed_already": event.renewed_already,
    }
    return MailOrder(event, Template.CERT_EXPIRING, event.recipient_email, facts)


@order_for.register
def _export_ready(event: AccessExportReady) -> MailOrder | None:
    if event.recipient_email is None:
        return None  # audit knows no address: the job's page shows it all the same
    facts = {
        "login_id": event.login_id,
        "rows": event.rows,
        "size_bytes": event.size_bytes,
        "first_day": event.first_day,
        "last_day": event.last_day,
        "expires_at": event.expires_at,
        "page_path": event.page_path,
    }
    return MailOrder(event, Template.EXPORT_READY, event.recipient_email, facts)


def _expiry(event: Event, expires_at: datetime | None) -> dict[str, Any]:
    if expires_at is None:
        return {"expires_at": None, "valid_minutes": None}
    minutes = round((expires_at - event.occurred_at) / timedelta(minutes=1))
    return {"expires_at": expires_at, "valid_minutes": minutes}
