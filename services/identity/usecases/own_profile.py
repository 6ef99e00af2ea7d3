"""A user's own profile (ID-USER-12): reading it (seed 004 3-3 Webユーザー情報照会), and `nexi`'s
admin changing it (seed 004 4-2 Webユーザー（管理者）情報変更).

The admin's change replaces 氏名, 所属名, 役職名 and phone at once; a new e-mail address starts
the e-mail change of ID-EMAIL-01 (a 24-hour link to the new address, confirmed with the current
password as everywhere else) and changes only when that link is followed. The password is
checked before anything is committed, so a wrong one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from contracts.common import UserProfile
from contracts.permissions import Permissions
from servicekit.logs import current_correlation_id
from services.identity.domain import authz, own_profile, permissions
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound, ProfileRefused
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases.context import UNKNOWN_CLIENT, Client, Context, existing
from services.identity.usecases.self_service import SelfService


@dataclass(frozen=True)
class OwnProfile:
    """What 照会 shows: the user, the matrix it acts with (nexi), an address awaiting its link."""

    user: User
    permissions: Permissions | None
    email_pending: str | None


@dataclass(frozen=True)
class ProfileChanged:
    """What the admin's 確定する did: the profile changed, and the address whose link went."""

    changed: bool
    email_link_sent_to: str | None


class Profiles:
    def __init__(self, context: Context, self_service: SelfService) -> None:
        self.context = context
        self.store = context.store
        self.self_service = self_service

    async def _own(self, realm: RealmPolicy, user_id: str) -> User:
        user = await self.context.user(realm, user_id)
        if user is None:
            raise NotFound()
        return user

    async def read(self, realm: RealmPolicy, caller: authz.Caller) -> OwnProfile:
        """The session's own user as 照会 shows it, for every role."""
        session = authz.read_own_profile(caller, realm)
        user = await self._own(realm, session.user_id)
        matrix = permissions.effective(user.role, user.permissions, realm.permission_matrix)
        pending = user.email_change
        live = pending is not None and self.context.clock.now() < pending.expires_at
        return OwnProfile(user, matrix, pending.new_email if pending and live else None)

    async def changeable(self, realm: RealmPolicy, caller: authz.Caller) -> OwnProfile:
        """The admin's own profile, as the change form starts from it: asked with the change's
        own rule, so the form is refused whoever could not change it."""
        authz.change_own_admin_profile(caller, realm)
        return await self.read(realm, caller)

    async def change_admin_profile(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        session_token: str,
        profile: UserProfile,
        current_password: str | None = None,
        client: Client = UNKNOWN_CLIENT,
    ) -> ProfileChanged:
        """The admin's own change (``admin_profile.change``, OTP-protected where required). A
        new e-mail address needs ``current_password``: its link is requested first, so a wrong
        password refuses the whole change before anything is committed."""
        session = authz.change_own_admin_profile(caller, realm)
        user = await self._own(realm, session.user_id)
        new_email = profile.email if own_profile.email_changes(user, profile.email) else None
        if new_email is not None:
            if not current_password:
                raise ProfileRefused("メールアドレスの変更には現在のパスワードが必要です")
            await self.self_service.request_email_change(
                realm, caller, session_token, current_password, new_email, client
            )
        changed = await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(own_profile.change),
                session=session,
                profile=profile,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )
        return ProfileChanged(changed, new_email)
