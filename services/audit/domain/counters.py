"""Which of AU-05's counters a record adds to: logins, failures, locks, mails, certificates.

One rule for both ends of the live stream: the consumer's Prometheus counters count stored
records by it, and the ops dashboard's feed counts what it reads by it (WEB-02).
"""

from __future__ import annotations

from typing import Final

KINDS: Final = ("logins", "failures", "locks", "mails", "certificates")

MAIL_OUTCOMES: Final = {"MailSent": "sent", "MailFailed": "failed"}
"""The mail events, and the outcome each counts as."""


def kind_of(event_type: str) -> str | None:
    """Which of AU-05's counters a record of ``event_type`` adds to, if any."""
    if event_type == "LoginSucceeded":
        return "logins"
    if event_type == "LoginFailed":
        return "failures"
    if event_type == "AccountLocked":
        return "locks"
    if event_type in MAIL_OUTCOMES:
        return "mails"
    if event_type.startswith("Cert"):
        return "certificates"
    return None
