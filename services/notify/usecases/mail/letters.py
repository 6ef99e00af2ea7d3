"""An order becomes a letter: secrets opened, wording rendered, MIME built (NT-02, NT-05, NT-06).

The only place where sealed secrets are opened. The opened text goes into the template context
and from there into the message; it is never logged, stored or announced, and the message lives
only until the SMTP server has it. Anything that makes a letter impossible (an unknown realm, a
secret that does not open, a template that does not render) is a :class:`CannotCompose` with a
reason that names the failure, never the secret.

MIME for Japanese readers: UTF-8 parts, RFC 2047 encoded headers, the sender's display name in
the portal's words, an RFC 2231 file name for the attachment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from typing import Any

import pyzipper
from jinja2 import TemplateError

from contracts import UnsealError, open_sealed
from services.notify.domain.mails import MailOrder, Template, message_id
from services.notify.domain.realms import Language, RealmDirectory, RealmMail
from services.notify.domain.wording import absolute_link, attachment_password
from services.notify.usecases.mail.rendering import Rendered, Renderer

NOTICE_FILE = {"ja": "パスワード通知書", "en": "password-notice"}
ENVELOPE_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted")
WIRE = compat32.clone(linesep="\r\n")
"""SMTP's line endings (RFC 5321)."""


class CannotCompose(Exception):
    """This order can never become a mail; the reason is safe to log and announce."""


@dataclass(frozen=True)
class Letter:
    """A mail ready for the SMTP server: envelope and the message's bytes."""

    sender: str
    recipient: str
    data: bytes


class Composer:
    def __init__(self, realms: RealmDirectory, renderer: Renderer, private_key: str) -> None:
        self.realms = realms
        self.renderer = renderer
        self._private_key = private_key

    def realm_of(self, order: MailOrder) -> RealmMail:
        realm = self.realms.get(order.event.realm)
        if realm is None:
            raise CannotCompose(f"no mail settings for realm {order.event.realm!r}")
        return realm

    def sender_of(self, order: MailOrder) -> str:
        realm = self.realm_of(order)
        if order.template is Template.PASSWORD_NOTICE and realm.notice_sender:
            return realm.notice_sender
        return realm.sender

    def compose(self, order: MailOrder, now: datetime) -> Letter:
        realm = self.realm_of(order)
        variables = {**order.facts, **self._opened(order, realm)}
        try:
            rendered = self.renderer.render(order.template, realm, variables)
        except TemplateError as err:
            raise CannotCompose(f"template {order.template} does not render: {err!r}") from None
        sender = self.sender_of(order)
        letter_id = message_id(order.event.event_id, sender)
        message = mime(rendered, realm, sender, order.recipient, letter_id, now)
        if rendered.attachment_text is not None:
            message = attach_encrypted(
                message, rendered.attachment_text, variables["attachment_password"], realm.language
            )
        return Letter(sender, order.recipient, message.as_bytes(policy=WIRE))

    def _opened(self, order: MailOrder, realm: RealmMail) -> dict[str, Any]:
        """The order's secrets in clear, as the templates name them (NT-05)."""
        try:
            opened = {k: open_sealed(s, self._private_key) for k, s in order.sealed.items()}
        except (UnsealError, ValueError) as err:
            raise CannotCompose(f"a sealed secret does not open: {err}") from None
        try:
            if "link" in opened:
                opened["link"] = absolute_link(realm.base_url, opened["link"])
            if "attachment_password" in opened:
                opened["attachment_password"] = attachment_password(opened["attachment_password"])
        except ValueError as err:
            raise CannotCompose(str(err)) from None
        as_attachment = order.template is Template.PASSWORD_NOTICE and (
            realm.password_notice_as_attachment
        )
        if as_attachment and "attachment_password" not in opened:
            raise CannotCompose("the password notice needs the contact's phone number (NT-06)")
        return {**opened, "as_attachment": as_attachment}


def mime(
    rendered: Rendered, realm: RealmMail, sender: str, to: str, letter_id: str, now: datetime
) -> Message:
    """UTF-8 parts in base64 and RFC 2047 headers, built with the ``compat32`` classes: they
    write the same MIME as ``EmailMessage`` at a fraction of its header-parsing cost, which is
    most of a mail's CPU time (bench/notify)."""
    message: Message = MIMEText(rendered.text, "plain", "utf-8")
    if rendered.html is not None:
        alternative = MIMEMultipart("alternative")
        alternative.attach(message)
        alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
        message = alternative
    message["From"] = formataddr((realm.name_in(realm.language), sender), charset="utf-8")
    message["To"] = to
    message["Subject"] = Header(rendered.subject, "utf-8", header_name="Subject").encode()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = letter_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    return message


def attach_encrypted(message: Message, text: str, password: str, language: Language) -> Message:
    """NT-06: the notice as an AES-256 encrypted ZIP (WinZip AES, never ZipCrypto), beside the
    body in a ``multipart/mixed`` that takes over the body's headers."""
    name = NOTICE_FILE[language]
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(f"{name}.txt", text.encode("utf-8"))
    attachment = MIMEApplication(buffer.getvalue(), "zip")
    attachment.add_header(
        "Content-Disposition", "attachment", filename=("utf-8", "", f"{name}.zip")
    )
    mixed = MIMEMultipart("mixed")
    for header in ENVELOPE_HEADERS:
        mixed[header] = message[header]
        del message[header]
    mixed.attach(message)
    mixed.attach(attachment)
    return mixed
