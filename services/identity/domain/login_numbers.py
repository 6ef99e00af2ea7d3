"""The login IDs a realm assigns (ID-USER-12): `nexi`'s applicant users are numbered by the
system, 00000000001 and on (seed 004 4-4: 「WebユーザーID(申込者用) 00000000001」), never typed.

The realm's last number is one small aggregate of the versioned store (X-13): taking the next
one is the insert of its next version, so two creations deciding from the same version race for
the same commit and the loser reloads and takes the number after. A number is taken before the
user is created and never given back: a creation refused or crashed after it leaves a gap, as
a sequence of a database would; numbers are unique, increasing, and not necessarily dense.
"""

from __future__ import annotations

from dataclasses import dataclass

from domainkit.decision import Decision

DIGITS = 11
"""The seed's IDs: 11 digits, zero-padded."""


def numbers_aggregate_id(realm: str) -> str:
    return f"login-numbers:{realm}"


@dataclass(frozen=True)
class LoginNumbers:
    """The last number a realm assigned."""

    realm: str
    last: int = 0


def take_next(current: LoginNumbers | None, realm: str) -> Decision[LoginNumbers, int]:
    """The realm's next number, taken: committed with no event (a number is no fact anyone
    outside needs; the user created with it is announced by ``UserCreated``)."""
    taken = (current or LoginNumbers(realm)).last + 1
    if taken >= 10**DIGITS:
        raise OverflowError("the realm's login IDs are used up")
    return Decision.commit(taken, LoginNumbers(realm, taken))


def assigned_login_id(number: int) -> str:
    """The login ID of a number: 11 digits, zero-padded (1 → 00000000001)."""
    return f"{number:0{DIGITS}d}"
