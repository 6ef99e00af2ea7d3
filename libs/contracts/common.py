"""Field types and small models that several producers' events share.

The bounds here are the *outer* bounds of the contract: the largest value any realm may
produce. Per-realm limits (ID-USER-06's 50 full-width characters for a name, X-07's JIS X 0208
check, ID-USER-02's login-ID formats) are realm policy enforced by the producing service before
it emits; a contract narrower than some realm's policy would make a valid change unpublishable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    IPvAnyAddress,
    StringConstraints,
)

__all__ = [
    "MAIL_ADDRESS",
    "USER_AGENT_MAX_CHARS",
    "EmailAddress",
    "Identifier",
    "IpAddress",
    "LoginId",
    "Note",
    "Role",
    "UserAgent",
    "UserProfile",
    "UtcDatetime",
]


def _to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC (X-04: stored in UTC, shown in Asia/Tokyo)."""
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC. Naive datetimes are refused: a naive time on
the bus is ambiguous between UTC and Asia/Tokyo, nine hours apart."""

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""An opaque id (user, organisation, certificate serial, signup, correlation...)."""

LoginId = Annotated[str, StringConstraints(min_length=1, max_length=254)]
"""A login ID as the user types it (ID-USER-02). 254 because `kencom` members log in with their
e-mail address. Compared exactly, so never case-folded here."""

EmailAddress = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]
"""An e-mail address: only a shape check (the services validate deliverability, not us)."""

_DOMAIN_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
MAIL_ADDRESS: Final = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _DOMAIN_LABEL + r"(?:\." + _DOMAIN_LABEL + r")*$"
)
"""An e-mail address as a person may type it into a portal (identity's profiles and e-mail
authentication, certs' issue request, enroll's sign-up): the HTML standard's "valid e-mail
address", which a browser's ``type=email`` field checks too. Its local part is atext and dots,
so the dotted addresses some Japanese mobile carriers issued (``taro..x.@docomo.ne.jp``) pass;
a comment, a display name, a quoted local part or a non-ASCII character do not: ``a(b)@c.jp``
would be mailed to ``a@c.jp`` and cannot go into a certificate's RFC822Name. Narrower than
:data:`EmailAddress`, which must still read every event ever published. Match it whole
(``fullmatch``; as a pydantic ``pattern`` it is matched whole already)."""

Note = Annotated[str, StringConstraints(min_length=1, max_length=500)]
"""Free text an operator adds (why they unlocked, reset...). Never a secret."""

USER_AGENT_MAX_CHARS: Final = 512


def _clip_user_agent(value: object) -> object:
    """Clip a user agent to 512 characters instead of refusing it.

    The user agent is attacker-controlled: a huge one must not bloat the bus, and refusing it
    would make the event (a failed login, say) unpublishable, which is worse than clipping.
    """
    if isinstance(value, str) and len(value) > USER_AGENT_MAX_CHARS:
        return value[:USER_AGENT_MAX_CHARS]
    return value


UserAgent = Annotated[str, BeforeValidator(_clip_user_agent)]
"""The browser's User-Agent header, clipped to 512 characters."""

IpAddress = IPvAnyAddress
"""The client's IP address (v4 or v6), as the gateway saw it."""


class Role(StrEnum):
    """What a user is within a realm (ID-USER-01, -03, -04, -09)."""

    ADMIN = "admin"
    """The organisation's one administrator (管理用ID / Webユーザー管理者)."""
    BUSINESS = "business"
    """A business user created by the admin (業務用ID / Webユーザー申込者)."""
    MEMBER = "member"
    """An individual member with no organisation admin (My Page, kencom)."""
    SUPPORT = "support"
    """Realm staff of the support desk (サポートデスク)."""
    GROUP_READER = "group_reader"
    """A group-wide read-only ID (全社閲覧用ID) that reads several organisations' data."""


class UserProfile(BaseModel):
    """A user's profile as it is at one moment (ID-USER-06).

    Carried whole by ``UserCreated`` and ``UserProfileChanged`` so that audit can show a user's
    name, department and title *as they were* when an operation happened (AU-01) without
    replaying partial changes. Every field is optional because what a profile holds depends on
    the realm (an individual member has no department; a business user may have no phone).
    """

    model_config = ConfigDict(
        frozen=True, extra="ignore", hide_input_in_errors=True, use_attribute_docstrings=True
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    """Full name (氏名), full-width in Japanese realms."""
    department: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    """Department (所属名)."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    """Job title (役職名)."""
    email: EmailAddress | None = None
    """The registered e-mail address, where completion notices and OTPs go."""
    phone: Annotated[str, StringConstraints(max_length=20, pattern=r"^[0-9-]+$")] | None = None
    """Phone number, half-width digits and hyphens (ID-USER-06)."""
