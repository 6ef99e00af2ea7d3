"""Which changes end a user's sessions (ID-SESS-01, ID-SESS-03): pure rules.

A session is trusted because of the credentials it was opened with. When one of them changes,
every session opened before the change ends, whoever made it: the user (whose own session is
rotated by the change, and so begun after it), the admin or support. The credentials are the
password, the login ID, the addresses that receive links or codes (the registered e-mail of
temporary passwords and OTPs, the e-mail-authentication address of login links), and
`dantai-net`'s registered browser, a factor of its login: an admin's reset of it (ID-BIND-03)
ends the user's sessions as a reset of any factor does (ASVS 5.0 7.4.3). A deactivated
user, a user locked by a session guessing its password (ID-LOCK-05), and one the support desk
locks on purpose (ID-LOCK-04), keep no session either.

Each such change announces itself with an event in its own commit; the session reaper that the
outbox relay runs on published events ends the sessions from it, so a process that dies between
the commit and ending the sessions at once leaves none open (X-03).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import (
    AccountLocked,
    AuthEmailConfirmed,
    AuthEmailReset,
    BrowserBindingReset,
    CurrentPasswordRejected,
    PasswordChanged,
    UserProfileChanged,
    UserStatusChanged,
)
from contracts.envelope import Event
from contracts.identity import LockReason, ProfileField, UserStatus

SESSION_ENDING_TYPES = frozenset(
    cls.__name__
    for cls in (
        AccountLocked,
        UserStatusChanged,
        PasswordChanged,
        UserProfileChanged,
        AuthEmailConfirmed,
        AuthEmailReset,
        BrowserBindingReset,
        CurrentPasswordRejected,
    )
)
"""The event types among which ``sessions_ended_by`` finds the ones that end sessions, so the
reaper parses only these."""

#: Profile fields that are credentials: what a login types, where codes and passwords go.
CREDENTIAL_FIELDS = frozenset({ProfileField.LOGIN_ID, ProfileField.EMAIL})


@dataclass(frozen=True)
class SessionsEnd:
    """Every session of the event's user begun before it ends, but ``kept_ref``'s."""

    kept_ref: str | None = None


def sessions_ended_by(event: Event) -> SessionsEnd | None:
    """Whether ``event`` ends its user's sessions, and which one it keeps."""
    if isinstance(event, UserStatusChanged):
        return SessionsEnd() if event.status is UserStatus.INACTIVE else None
    if isinstance(event, PasswordChanged | AuthEmailReset | BrowserBindingReset):
        return SessionsEnd()
    if isinstance(event, UserProfileChanged):
        return SessionsEnd() if event.changed_fields & CREDENTIAL_FIELDS else None
    if isinstance(event, AuthEmailConfirmed):
        return SessionsEnd(kept_ref=event.kept_session)
    if isinstance(event, CurrentPasswordRejected):
        return SessionsEnd() if event.locked else None
    if isinstance(event, AccountLocked):  # support's lock on purpose (ID-LOCK-04)
        return SessionsEnd() if event.reason is LockReason.ADMINISTRATIVE else None
    return None
