"""What every ID and password typed into the portal must be, checked in one place.

Login IDs and passwords are half-width printable ASCII (X-06; a password may also hold the
space, for a passphrase): full-width input (ＡＢＣ, １２３) is refused with
``HALF_WIDTH_REQUIRED`` and never counted as a failed login. Identifiers are
trimmed and then compared exactly; passwords are never altered. Each role's login IDs have the
realm's format (ID-USER-02).
"""

from __future__ import annotations

import re

from contracts.common import Role
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import HalfWidthRequired, LoginIdFormat

_HALF_WIDTH = re.compile(r"^[\x21-\x7e]+$")
_HALF_WIDTH_PASSWORD = re.compile(r"^[\x20-\x7e]+$")
"""A password may hold spaces (a passphrase, ASVS 5.0 6.2.5); an ID may not."""


def is_half_width(text: str) -> bool:
    return bool(_HALF_WIDTH.match(text))


def require_half_width(*typed: str) -> None:
    """Refuse full-width (or otherwise non-ASCII) IDs (X-06)."""
    if not all(is_half_width(t) for t in typed):
        raise HalfWidthRequired()


def require_half_width_passwords(*typed: str) -> None:
    """Refuse full-width (or otherwise non-ASCII) passwords (X-06): the IME is on. The space
    is half-width ASCII, so a passphrase is a password like any other."""
    if not all(_HALF_WIDTH_PASSWORD.match(t) for t in typed):
        raise HalfWidthRequired()


def login_id(policy: RealmPolicy, role: Role, given: str) -> str:
    """The login ID a new user of ``role`` is given, trimmed, in the realm's format."""
    trimmed = given.strip()
    require_half_width(trimmed)
    if not policy.login_id_format(role).match(trimmed):
        raise LoginIdFormat("login_id の形式が正しくありません")
    return trimmed
