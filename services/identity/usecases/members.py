"""The support desk's search of individual members (ID-USER-03, `mypage`, `kencom`): by login
ID (kencom's are e-mail addresses), a bounded list for a support page. Registering a member is
``Users.register_member`` and initialising one ``Accounts.initialise_password``: the API and the
console call the same use cases.
"""

from __future__ import annotations

from contracts.common import Role
from services.identity.domain import authz
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.domain.users import User
from services.identity.usecases.context import Context

#: The most members one search answers: a desk narrows its search rather than pages through.
SEARCH_LIMIT = 50


class Members:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    async def search(self, realm: RealmPolicy, caller: authz.Caller, text: str) -> list[User]:
        """Members whose login ID contains ``text`` (ignoring case), in login-ID order, at
        most :data:`SEARCH_LIMIT`; the realm's support desk only (X-15)."""
        authz.support_desk(caller, realm)
        if not realm.members:
            raise NotFound()
        claims = await self.store.login_ids.matching(realm.name, text.strip(), SEARCH_LIMIT)
        found = [await self.context.user(realm, claim.owner) for claim in claims]
        return [u for u in found if u is not None and u.role is Role.MEMBER]

    async def member(self, realm: RealmPolicy, caller: authz.Caller, user_id: str) -> User:
        """One member, for the desk's confirmation step."""
        authz.support_desk(caller, realm)
        if not realm.members:
            raise NotFound()
        user = await self.context.user(realm, user_id)
        if user is None or user.role is not Role.MEMBER:
            raise NotFound()
        return user
