"""Template previews: a mail's sender and wording with sample data, for operators checking the
wording; nothing is sent and no secret is opened, so the preview needs no session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.notify.domain.mails import Template
from services.notify.domain.realms import Language
from services.notify.usecases.mail.letters import Composer
from services.notify.usecases.mail.rendering import Rendered


class UnknownRealm(Exception):
    """A preview asked for a realm notify has no mail settings for."""


class Previews:
    """The wording of every mail of every realm, with the composer's realms and templates."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer

    def preview(
        self, realm: str, template: Template, language: Language | None
    ) -> tuple[str, Rendered]:
        """The sender and wording of a mail with sample data, sending nothing."""
        mail = self.composer.realms.get(realm)
        if mail is None:
            raise UnknownRealm(realm)
        as_attachment = template is Template.PASSWORD_NOTICE and mail.password_notice_as_attachment
        variables = {
            **SAMPLE,
            **SAMPLE_FOR.get(template, {}),
            "link": f"{mail.base_url}/sample/link?token=SAMPLE",
            "as_attachment": as_attachment,
        }
        rendered = self.composer.renderer.render(template, mail, variables, language=language)
        sender = mail.notice_sender if template is Template.PASSWORD_NOTICE else None
        return sender or mail.sender, rendered


SAMPLE: dict[str, Any] = {
    "login_id": "XA5000123",
    "password": "Sample-Pass-0000",
    "attachment_password": "0312345678",
    "code": "123456",
    "expires_at": datetime.fromisoformat("2026-04-01T01:00:00+00:00"),
    "valid_minutes": 60,
    "max_attempts": 2,
    "resend": False,
    "channel": "pc",
    "changes": ["password"],
    "user_id": "U123456",
    "management_number": "A123456789",
    "serial_number": "1A2B3C",
    "not_after": datetime.fromisoformat("2029-04-01T00:00:00+00:00"),
    "days_before": 30,
    "renewed_already": False,
    "rows": 1_000_000,
    "size_bytes": 83_000_000,
    "first_day": date(2025, 4, 1),
    "last_day": date(2026, 3, 31),
    "page_path": "/realms/sample/access-history/exports/SAMPLE",
    "contact_name": "窓口 花子",
}
"""Stand-ins for every fact and secret a template may name (the preview's sample data)."""

SAMPLE_FOR: dict[Template, dict[str, Any]] = {
    Template.ORG_CONTACT_CHANGED: {"changes": ["email", "address"]},
}
"""Where one template's facts differ in kind from another's of the same name (the fields of a
contact, not of a login)."""
