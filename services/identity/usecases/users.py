"""Creating users: business users and ID requests, members, group-wide readers, support staff.

Each creation checks everything first (who asks, the ID's format, the profile, where the
password will be mailed) and only then claims the login ID, holds a slot of the realm's limit
and commits the user; a claim or slot left behind by a crash is freed by the claim reaper.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from contracts import Actor, ActorKind
from contracts.common import Role, UserProfile
from contracts.identity import InitialPasswordRoute
from contracts.permissions import Permissions
from servicekit.logs import current_correlation_id
from services.identity.domain import (
    authz,
    inputs,
    login_numbers,
    org_contact,
    organisations,
    permissions,
)
from services.identity.domain.organisations import IdRequest
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import (
    BusinessUserLimitReached,
    LoginIdFormat,
    LoginIdTaken,
    MissingContact,
    NotFound,
    NotPermitted,
    ProfileRefused,
)
from services.identity.domain.users import NewUser, PasswordNotice, User
from services.identity.usecases.context import Context, Created, actor_of, new_id
from services.identity.usecases.organisations import Organisations

_SKIPS = 1000
"""Numbers tried before giving up, should that many in a row be held by typed IDs."""


class Users:
    def __init__(self, context: Context, organisations: Organisations) -> None:
        self.context = context
        self.store = context.store
        self.organisations = organisations

    async def create_business_user(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str,
        given_login_id: str | None,
        profile: UserProfile,
        idempotency_key: str | None = None,
        granted: Permissions | None = None,
    ) -> Created:
        """The admin adds a business user (ID-USER-01) within the realm's limit; the initial
        password is answered once to the admin, or mailed where the realm says (nexi). Where
        the realm has the matrix, the user holds ``granted``, or nothing until it is granted
        (ID-PERM-01). Where the realm assigns the IDs (nexi, ID-USER-12) none is typed: the
        user gets the realm's next number."""
        admin = authz.add_business_users(caller, realm, org_id)
        login_id = self._typed_login_id(realm, given_login_id)
        if granted is not None and not realm.permission_matrix:
            raise ProfileRefused("このサービスでは権限（permissions）を設定できません")
        if realm.permission_matrix:
            granted = granted or permissions.NOTHING
        notice = None
        if realm.business_password_to_admin and not realm.business_id_requests:
            admin_email = await self.context.email_of(realm, admin.user_id)
            notice = self.context.mailed(InitialPasswordRoute.MAIL_TO_ADMIN, admin_email)
        user_id = new_id(f"business:{org_id}", idempotency_key)
        if login_id is None:
            login_id = await self._assigned_login_id(realm, user_id, org_id)
        else:
            await self.context.claim_login_id(realm, login_id, user_id, Role.BUSINESS, org_id)
        request = None
        if realm.business_id_requests:
            now = self.context.clock.now()
            request = IdRequest(user_id, login_id, profile, admin.user_id, now)
        try:
            await self.organisations.change(
                realm,
                org_id,
                partial(
                    organisations.reserve_business_user,
                    user_id=user_id,
                    limit=realm.business_user_limit,
                    request=request,
                    correlation_id=current_correlation_id(),
                ),
            )
        except BusinessUserLimitReached:
            await self.store.login_ids.release(realm.name, login_id, user_id)
            raise
        if request is not None:  # the request holds the ID until support approves it
            await self.store.login_ids.settle(realm.name, login_id, user_id)
            return Created(user_id, login_id, None, pending=True)
        return await self._create(
            realm,
            org_id,
            user_id,
            login_id,
            Role.BUSINESS,
            profile,
            Actor(kind=ActorKind.ADMIN, id=admin.user_id),
            notice,
            granted=granted,
        )

    @staticmethod
    def _typed_login_id(realm: RealmPolicy, given: str | None) -> str | None:
        """The typed ID in the realm's format, or ``None`` where the realm assigns it; a typed
        one there is refused, so no client believes its ID was taken."""
        if realm.assigned_business_ids:
            if given:
                raise LoginIdFormat("ログインIDはシステムが付与します（入力できません）")
            return None
        return inputs.login_id(realm, Role.BUSINESS, given or "")

    async def _assigned_login_id(self, realm: RealmPolicy, user_id: str, org_id: str) -> str:
        """The realm's next number as the user's login ID, claimed for it (ID-USER-12, X-13).
        A retry of the same creation (its Idempotency-Key) answers the ID the user got; a
        number whose ID someone holds already (an ID typed before the realm assigned them) is
        skipped. A number is never given back: a refused creation leaves a gap."""
        created = await self.context.user(realm, user_id)
        if created is not None:
            return created.login_id
        aggregate_id = login_numbers.numbers_aggregate_id(realm.name)
        take = partial(login_numbers.take_next, realm=realm.name)
        for _ in range(_SKIPS):
            number = await self.store.login_numbers.update(aggregate_id, take)
            login_id = login_numbers.assigned_login_id(number)
            if await self.store.login_ids.claim(
                realm.name, login_id, user_id, org_id, Role.BUSINESS
            ):
                return login_id
        raise LoginIdTaken()

    async def approve_id_request(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, user_id: str
    ) -> Created:
        """ID-USER-10: support approves an admin's request for a business ID. The ID notice goes
        by post (the operator reads it from this answer); the password notice by mail to the
        organisation's contact (its own since the admin changed it, ID-USER-11), as an attachment
        opened with the contact's phone (NT-06)."""
        support = authz.support_desk(caller, realm)
        org = await self.organisations.read(realm, org_id)
        request = org.request_for(user_id)
        if request is None:
            raise NotFound()
        admin = await self.context.user(realm, org.admin_user_id)
        email, phone = org_contact.for_notices(org, admin.profile if admin else UserProfile())
        notice = self.context.mailed(InitialPasswordRoute.MAIL_TO_ORG_CONTACT, email, phone)
        created = await self._create(
            realm,
            org_id,
            user_id,
            request.login_id,
            Role.BUSINESS,
            request.profile,
            actor_of(support),
            notice,
        )
        await self.organisations.change(
            realm, org_id, partial(organisations.close_id_request, user_id=user_id)
        )
        return created

    async def business_users(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str
    ) -> list[User]:
        """The organisation's business users as its admin, the realm's support or a group-wide
        reader sees them (ID-USER-07, ID-USER-09)."""
        authz.read_users_of(caller, realm, org_id)
        org = await self.organisations.read(realm, org_id)
        found = [await self.context.user(realm, user_id) for user_id in org.business_user_ids]
        return [u for u in found if u is not None]

    async def register_member(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        given_login_id: str,
        profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> Created:
        """An individual member (ID-USER-03): no organisation and no admin; the support desk
        registers them from their application, and the initial password is mailed to the
        member's own registered address (ID-PW-03)."""
        if not realm.members:
            raise NotFound()
        support = authz.support_desk(caller, realm)
        login_id = inputs.login_id(realm, Role.MEMBER, given_login_id)
        if not profile.email:
            raise MissingContact("会員のメールアドレスが登録されていません")
        notice = self.context.mailed(InitialPasswordRoute.MAIL_TO_USER, profile.email)
        user_id = new_id("member", idempotency_key)
        await self.context.claim_login_id(realm, login_id, user_id, Role.MEMBER)
        return await self._create(
            realm, None, user_id, login_id, Role.MEMBER, profile, actor_of(support), notice
        )

    async def create_group_reader(
        self, realm: RealmPolicy, caller: authz.Caller, given_login_id: str, org_ids: list[str]
    ) -> Created:
        """ID-USER-09 (nexi 全社閲覧用ID): support issues one ID that reads several
        organisations of a corporate group and may change nothing."""
        if not realm.group_readers:
            raise NotPermitted()
        support = authz.support_desk(caller, realm)
        login_id = inputs.login_id(realm, Role.GROUP_READER, given_login_id)
        for org_id in org_ids:
            await self.organisations.read(realm, org_id)  # NotFound for an unknown one
        user_id = new_id("group-reader", None)
        await self.context.claim_login_id(realm, login_id, user_id, Role.GROUP_READER)
        return await self._create(
            realm,
            None,
            user_id,
            login_id,
            Role.GROUP_READER,
            UserProfile(),
            actor_of(support),
            readable_org_ids=tuple(org_ids),
        )

    async def create_support_operator(
        self,
        realm: RealmPolicy,
        login_id: str,
        by: authz.Caller | None = None,
        idempotency_key: str | None = None,
    ) -> Created:
        """Realm staff (サポートデスク, ID-USER-04): the first of a realm created by an operator
        on the command line (``by`` None; the same ID again answers the same operator), the
        others by a support operator of the realm (``by``: an ID already taken is refused
        unless ``idempotency_key`` names the same creation). The initial password is answered
        once."""
        actor = Actor(kind=ActorKind.SERVICE, id="identity.cli")
        key: str | None = login_id
        if by is not None:
            actor = actor_of(authz.support_desk(by, realm))
            login_id, key = login_id.strip(), idempotency_key
            inputs.require_half_width(login_id)
            if len(login_id) > 64:
                raise LoginIdFormat("login_id は64文字以内です")
        user_id = new_id(f"support:{realm.name}", key)
        await self.context.claim_login_id(realm, login_id, user_id, Role.SUPPORT)
        return await self._create(
            realm, None, user_id, login_id, Role.SUPPORT, UserProfile(), actor
        )

    async def _create(
        self,
        realm: RealmPolicy,
        org_id: str | None,
        user_id: str,
        login_id: str,
        role: Role,
        profile: UserProfile,
        actor: Actor,
        notice: Callable[[str], PasswordNotice] | None = None,
        readable_org_ids: tuple[str, ...] = (),
        granted: Permissions | None = None,
    ) -> Created:
        """Without a ``notice`` the initial password is answered once to the caller; with one
        it travels only in the mail the notice describes."""
        created, password = await self.context.create(
            realm,
            lambda password_hash, correlation_id: NewUser(
                realm=realm.name,
                org_id=org_id,
                user_id=user_id,
                login_id=login_id,
                role=role,
                profile=profile,
                password_hash=password_hash,
                actor=actor,
                correlation_id=correlation_id,
                readable_org_ids=readable_org_ids,
                permissions=granted,
            ),
            notice,
        )
        answered = created and notice is None
        return Created(user_id, login_id, password if answered else None)
