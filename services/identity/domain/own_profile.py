"""A user's own profile (ID-USER-12, seed 004 3-3 and 4-2): every user reads it; `nexi`'s admin
changes its own 氏名, 所属名, 役職名 and phone, the admin itself the actor.

The e-mail address is not changed here: it receives the codes and the temporary passwords, so
a new address is confirmed by the link mailed to it (ID-EMAIL-01, seed 004 4-2 「変更後の
メールアドレスに確認用メールが届きます…24時間以内に…URLをクリックすると…完了します」). This
rule keeps the address the user has; the page starts the e-mail change beside it.
"""

from __future__ import annotations

from datetime import datetime

from contracts import Actor, ActorKind
from contracts.common import Role, UserProfile
from domainkit.decision import Decision
from services.identity.domain import accounts
from services.identity.domain.refusals import NotPermitted
from services.identity.domain.sessions import Session
from services.identity.domain.users import User

CHANGED_HERE = ("name", "department", "title", "phone")
"""What the admin's own change replaces at 確定する; the e-mail goes by its link."""


def email_changes(user: User, wanted: str | None) -> bool:
    """Whether the typed address is a new one (an empty one keeps the address registered)."""
    return bool(wanted) and wanted != user.profile.email


def change(
    user: User, session: Session, profile: UserProfile, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """The admin's own profile replaced, the registered e-mail kept; ``UserProfileChanged``
    names the admin as its actor. Only the session's own user, and only an admin (an applicant's
    profile is its admin's to change, seed 004 chapter 3 「その他の情報については…管理者のみ」)."""
    if user.user_id != session.user_id or user.role is not Role.ADMIN:
        raise NotPermitted()
    kept = UserProfile(
        **{name: getattr(profile, name) for name in CHANGED_HERE},
        email=user.profile.email,
    )
    itself = Actor(kind=ActorKind.ADMIN, id=user.user_id)
    return accounts.change_profile(user, kept, itself, correlation_id, now)
