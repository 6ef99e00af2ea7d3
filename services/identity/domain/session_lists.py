"""Each user's sessions, listed in the user's own state, so ending them all reads no more than
the user (decision 0020).

A credential change, a disabled user and an admin's reset end every session of a user
(ID-SESS-01, -03). Sessions are kept by their token's digest, so finding a user's would need a
filter on ``user_id``, which FerretDB on SQLite answers by reading every session. Instead the
commit that lets a session begin lists it in the user (``User.sessions``): the successful login,
the OTP and the login link that rotate it, the credential change that rotates its own. That
commit comes before the session's document, so every session that exists is listed; what a list
names may be gone (a logout), which costs an ending one delete that finds nothing.

A list holds ``LISTED`` sessions (X-14): those whose hour is over are dropped, and a login that
would list one more ends the oldest. Fifty logins of one account within a session's lifetime
are far past any desk's use, and every listed session costs each ending a command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from domainkit.decision import Decision
from services.identity.domain.sessions import hour_is_over

if TYPE_CHECKING:
    from services.identity.domain.users import User

T = TypeVar("T")

LISTED = 50
"""A user's listed sessions at most: the login that would list one more ends the oldest."""


@dataclass(frozen=True)
class Listed:
    """One session in its user's list: the key of its document, its hour, when it began."""

    key: str
    hour: str
    begun: datetime


def listed_with(
    sessions: tuple[Listed, ...], new: Listed, now: datetime
) -> tuple[tuple[Listed, ...], tuple[Listed, ...]]:
    """The list with ``new`` added and what has ended dropped, and the oldest sessions it
    crowds out: the caller ends those once the list is committed."""
    kept = (*(s for s in sessions if not hour_is_over(s.hour, now)), new)
    crowded = kept[: max(0, len(kept) - LISTED)]
    return kept[len(crowded) :], crowded


def rotated_in(sessions: tuple[Listed, ...], old_ref: str, new: Listed) -> tuple[Listed, ...]:
    """The list with the session named ``old_ref`` (a ``session_ref``) replaced by ``new``,
    which goes on in its place (or at the end, if the old one is no longer listed)."""
    kept = tuple(s for s in sessions if not s.key.startswith(old_ref))
    return (*kept, new)


def rotating(
    decide: Callable[[User | None], Decision[User, T]],
    old_ref: str,
    new: Listed,
    rotates: Callable[[T], bool],
) -> Callable[[User | None], Decision[User, T]]:
    """``decide``, whose commit also lists ``new`` in place of ``old_ref`` when its outcome
    says the session rotates (a right OTP, a completed login): the rotation is listed in the
    commit that allows it, for no write of its own."""

    def decided(user: User | None) -> Decision[User, T]:
        decision = decide(user)
        if decision.state is None or not rotates(decision.outcome):
            return decision
        sessions = rotated_in(decision.state.sessions, old_ref, new)
        return replace(decision, state=decision.state.but(sessions=sessions))

    return decided


def listing(user: User | None, new: Listed, now: datetime) -> Decision[User, tuple[Listed, ...]]:
    """A commit of its own that lists ``new``: the session that changed a credential goes on
    under it (ID-SESS-03). It answers every session the user had listed, and ``new``: the
    change ends all of them but ``new``, so those it crowds out of the list end too."""
    assert user is not None, "users are never deleted"
    kept, _ = listed_with(user.sessions, new, now)
    return Decision((*user.sessions, new), user.but(sessions=kept))
