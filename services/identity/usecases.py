"""Identity use cases: load, decide, commit, one function per command."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from contracts import Actor, ActorKind, seal
from contracts.common import Role, UserProfile
from contracts.identity import InitialPasswordRoute, RecipientRole
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from servicekit.store import Change
from services.identity import (
    accounts,
    domain,
    password_policy,
    passwords,
    sessions,
)
from services.identity.realms import RealmPolicy
from services.identity.store import IdentityStore

log = get_logger(__name__)

#: Namespace for ids derived from a client's Idempotency-Key, so a retried request names the
#: same organisation and admin instead of creating a second one.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0d6f4e-6a53-4c47-9b51-2f7e0c1d9a11")

#: The back-office system that opens organisations when an application is accepted.
PROVISIONING = Actor(kind=ActorKind.SERVICE, id="provisioning")


class LoginIdTaken(Exception):
    """Another user of the realm already has this login ID."""


class NotPermitted(Exception):
    """The session may not do this (not the organisation's admin, or a restricted session)."""


class NotFound(Exception):
    """No such organisation or user, as far as this caller may know."""


class BusinessUserLimitReached(Exception):
    """The realm's limit on business users per organisation is reached (ID-USER-01)."""


class WrongPassword(Exception):
    """The current password given for a change is not the current password."""


class PasswordRefused(Exception):
    """The new password breaks the realm's policy (ID-PW-02); the message says how."""


@dataclass(frozen=True)
class CreatedOrganisation:
    organisation: domain.Organisation
    initial_password: str | None
    """The admin's initial password, only in the answer that created it (ID-PW-03)."""


@dataclass(frozen=True)
class CreatedUser:
    user_id: str
    login_id: str
    initial_password: str | None
    pending: bool = False
    """An ID request waiting for support's approval (ID-USER-10)."""


class MissingContact(Exception):
    """Nobody could be mailed what must be mailed: no address on record, or no notify key.
    The message says which, in the portal's words."""


class IdentityUseCases:
    def __init__(self, store: IdentityStore, clock: Clock, notify_public_key: str = "") -> None:
        self.store = store
        self.clock = clock
        self.notify_public_key = notify_public_key
        """Secrets that notify must mail are sealed to this key (X-02)."""

    async def create_organisation(
        self,
        realm: RealmPolicy,
        name: str,
        admin_login_id: str,
        admin_profile: UserProfile,
        opened_by: Actor,
        idempotency_key: str | None = None,
    ) -> CreatedOrganisation:
        """Create an organisation and its admin; announce the admin with ``UserCreated``.
        ``opened_by`` is the support operator or the provisioning system (the route checks)."""
        if idempotency_key:
            seed = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{realm.name}:{idempotency_key}")
            org_id, admin_user_id = seed.hex, uuid.uuid5(seed, "admin").hex
        else:
            org_id, admin_user_id = uuid.uuid4().hex, uuid.uuid4().hex
        await self._claim_login_id(realm, admin_login_id, admin_user_id)
        initial_password = passwords.generate_password()
        cmd = domain.CreateOrganisation(
            realm=realm.name,
            org_id=org_id,
            name=name,
            admin_user_id=admin_user_id,
            admin_login_id=admin_login_id,
            admin_profile=admin_profile,
            admin_password_hash=await passwords.hash_password(initial_password),
            actor=opened_by,
            correlation_id=current_correlation_id(),
        )
        now = self.clock.now()
        created = await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, admin_user_id),
            lambda current: domain.create_user(current, domain.admin_of(cmd), now),
        )
        org = await self.store.aggregates.update(
            domain.org_aggregate_id(realm.name, org_id),
            lambda current: domain.create_organisation(current, cmd, now),
        )
        log.info("organisation created", realm=realm.name, org_id=org.org_id)
        return CreatedOrganisation(org, initial_password if created else None)

    async def organisation(self, realm: str, org_id: str) -> domain.Organisation | None:
        loaded = await self.store.aggregates.load(domain.org_aggregate_id(realm, org_id))
        return domain.Organisation.from_state(loaded.state) if loaded.state else None

    async def create_business_user(
        self,
        realm: RealmPolicy,
        admin: sessions.Session,
        org_id: str,
        login_id: str,
        profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> CreatedUser:
        """The admin adds a business user (ID-USER-01) within the realm's limit; the initial
        password is answered once, to the admin, who passes it on."""
        self._require_admin_of(admin, realm, org_id)
        if idempotency_key:
            user_id = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{org_id}:{idempotency_key}").hex
        else:
            user_id = uuid.uuid4().hex
        await self._claim_login_id(realm, login_id, user_id)
        request = None
        if realm.business_id_requests:
            request = {
                "login_id": login_id,
                "profile": profile.model_dump(exclude_none=True),
                "requested_by": admin.user_id,
                "requested_at": self.clock.now(),
            }
        reserved = await self.store.aggregates.update(
            domain.org_aggregate_id(realm.name, org_id),
            partial(
                accounts.reserve_business_user,
                user_id=user_id,
                limit=realm.business_user_limit,
                request=request,
            ),
        )
        if not reserved:
            await self.store.login_ids.release(domain.login_id_fact(realm.name, login_id), user_id)
            raise BusinessUserLimitReached(org_id)
        if request is not None:
            return CreatedUser(user_id, login_id, None, pending=True)
        notice = None
        if realm.business_password_to_admin:
            admin_email = await self._email_of(realm, admin.user_id)
            notice = self._mailed(InitialPasswordRoute.MAIL_TO_ADMIN, admin_email)
        return await self._create_user(
            realm,
            org_id=org_id,
            user_id=user_id,
            login_id=login_id,
            role=Role.BUSINESS,
            profile=profile,
            actor=Actor(kind=ActorKind.ADMIN, id=admin.user_id),
            notice=notice,
        )

    async def register_member(
        self,
        realm: RealmPolicy,
        support: sessions.Session,
        login_id: str,
        profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> CreatedUser:
        """An individual member (ID-USER-03): no organisation and no admin; the support desk
        registers them from their application, and the initial password is mailed to the
        member's own registered address (ID-PW-03)."""
        if not realm.members:
            raise NotFound(realm.name)
        self._require_support(support, realm)
        if not profile.email:
            raise MissingContact("会員のメールアドレスが登録されていません")
        notice = self._mailed(InitialPasswordRoute.MAIL_TO_USER, profile.email)
        if idempotency_key:
            user_id = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"member:{idempotency_key}").hex
        else:
            user_id = uuid.uuid4().hex
        await self._claim_login_id(realm, login_id, user_id)
        return await self._create_user(
            realm,
            org_id=None,
            user_id=user_id,
            login_id=login_id,
            role=Role.MEMBER,
            profile=profile,
            actor=Actor(kind=ActorKind.SUPPORT, id=support.user_id),
            notice=notice,
        )

    async def reset_password(
        self, realm: RealmPolicy, actor: sessions.Session, org_id: str, user_id: str
    ) -> None:
        """`nexi`'s reset (ID-PW-06): a new random password mailed to the admin, who passes it
        on; support resetting an admin mails the admin directly. Unlocks; sessions end."""
        if not realm.password_reset_to_admin:
            raise NotFound(realm.name)
        aggregate_id = await self._managed_user(realm, actor, org_id, user_id)
        if actor.role == Role.ADMIN.value:
            recipient, role = await self._email_of(realm, actor.user_id), RecipientRole.ADMIN
        else:
            recipient, role = await self._email_of(realm, user_id), RecipientRole.USER
        new_password = passwords.generate_password()
        sealed = seal(new_password, self._notify_key())
        new_hash = await passwords.hash_password(new_password)
        await self.store.aggregates.update(
            aggregate_id,
            partial(
                accounts.reset_password,
                new_hash=new_hash,
                sealed=sealed,
                recipient_email=recipient,
                recipient_role=role,
                admin=Actor(kind=ActorKind(actor.role), id=actor.user_id),
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
            ),
        )
        await self.store.sessions.end_all(user_id)

    async def _email_of(self, realm: RealmPolicy, user_id: str) -> str:
        user = await self.store.aggregates.load(domain.user_aggregate_id(realm.name, user_id))
        email = accounts.registered_email(user.state or {})
        if email is None:
            raise MissingContact("管理者のメールアドレスが登録されていません")
        return email

    def _notify_key(self) -> str:
        if not self.notify_public_key:
            raise MissingContact("メール送信の設定（NOTIFY_PUBLIC_KEY）がありません")
        return self.notify_public_key

    def _mailed(
        self, route: InitialPasswordRoute, recipient: str, attachment_password: str | None = None
    ) -> Callable[[str], domain.PasswordNotice]:
        """A password notice that travels sealed, only to notify (X-02); with an
        ``attachment_password`` (NT-06) that is sealed too, since it opens the notice."""
        key = self._notify_key()
        attachment = seal(attachment_password, key) if attachment_password else None
        return lambda password: domain.PasswordNotice(
            route=route,
            recipient_email=recipient,
            sealed_password=seal(password, key),
            attachment_password=attachment,
        )

    async def approve_id_request(
        self, realm: RealmPolicy, support: sessions.Session, org_id: str, user_id: str
    ) -> CreatedUser:
        """ID-USER-10: support approves an admin's request for a business ID. The ID notice goes
        by post (the operator reads it from this answer); the password notice by mail to the
        organisation's contact, as an attachment opened with the contact's phone (NT-06)."""
        self._require_support(support, realm)
        org = await self.store.aggregates.load(domain.org_aggregate_id(realm.name, org_id))
        request = (org.state or {}).get("id_requests", {}).get(user_id)
        if org.state is None or request is None:
            raise NotFound(user_id)
        admin = await self.store.aggregates.load(
            domain.user_aggregate_id(realm.name, org.state["admin"]["user_id"])
        )
        contact = (admin.state or {}).get("profile", {})
        if not contact.get("email") or not contact.get("phone"):
            raise MissingContact("団体の連絡先（メールアドレスと電話番号）が登録されていません")
        notice = self._mailed(
            InitialPasswordRoute.MAIL_TO_ORG_CONTACT, contact["email"], contact["phone"]
        )
        created = await self._create_user(
            realm,
            org_id=org_id,
            user_id=user_id,
            login_id=request["login_id"],
            role=Role.BUSINESS,
            profile=UserProfile.model_validate(request["profile"]),
            actor=Actor(kind=ActorKind.SUPPORT, id=support.user_id),
            notice=notice,
        )
        await self.store.aggregates.update(
            domain.org_aggregate_id(realm.name, org_id),
            partial(accounts.close_id_request, user_id=user_id),
        )
        return created

    async def business_users(
        self, realm: RealmPolicy, admin: sessions.Session, org_id: str
    ) -> list[dict[str, Any]]:
        """The organisation's business users as its admin, the realm's support or a group-wide
        reader sees them (ID-USER-07, ID-USER-09)."""
        if not domain.may_read(
            admin.role,
            admin.realm,
            admin.org_id,
            admin.restricted,
            admin.readable_org_ids,
            realm.name,
            org_id,
        ):
            raise NotPermitted()
        org = await self.store.aggregates.load(domain.org_aggregate_id(realm.name, org_id))
        ids: list[str] = (org.state or {}).get("business_user_ids", [])
        users = [
            await self.store.aggregates.load(domain.user_aggregate_id(realm.name, i)) for i in ids
        ]
        return [u.state for u in users if u.state is not None]

    async def change_profile(
        self,
        realm: RealmPolicy,
        admin: sessions.Session,
        org_id: str,
        user_id: str,
        profile: UserProfile,
    ) -> None:
        await self._manage_user(
            realm, admin, org_id, user_id, partial(accounts.change_profile, profile=profile)
        )

    async def change_status(
        self, realm: RealmPolicy, admin: sessions.Session, org_id: str, user_id: str, active: bool
    ) -> None:
        await self._manage_user(
            realm, admin, org_id, user_id, partial(accounts.change_status, active=active)
        )
        if not active:
            await self.store.sessions.end_all(user_id)  # ID-SESS-01

    async def _manage_user(
        self,
        realm: RealmPolicy,
        actor: sessions.Session,
        org_id: str | None,
        user_id: str,
        rule: Callable[..., Change[bool]],
    ) -> None:
        """Apply an admin rule to a user the session may manage (ID-USER-01, ID-USER-04)."""
        aggregate_id = await self._managed_user(realm, actor, org_id, user_id)
        await self.store.aggregates.update(
            aggregate_id,
            partial(
                rule,
                admin=Actor(kind=ActorKind(actor.role), id=actor.user_id),
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
            ),
        )

    async def _managed_user(
        self, realm: RealmPolicy, actor: sessions.Session, org_id: str | None, user_id: str
    ) -> str:
        """The user's aggregate, if ``actor`` may manage it; members have ``org_id`` None."""
        aggregate_id = domain.user_aggregate_id(realm.name, user_id)
        user = await self.store.aggregates.load(aggregate_id)
        if user.state is None or user.state["org_id"] != org_id:
            raise NotFound(user_id)
        if not domain.may_manage(
            actor.role, actor.realm, actor.org_id, actor.restricted, user.state
        ):
            raise NotPermitted()
        return aggregate_id

    async def initialise_password(
        self, realm: RealmPolicy, admin: sessions.Session, org_id: str | None, user_id: str
    ) -> None:
        """ID-PW-06: back to the initial password, unlocked; the user's sessions end."""
        await self._manage_user(realm, admin, org_id, user_id, accounts.initialise_password)
        await self.store.sessions.end_all(user_id)

    async def _create_user(
        self,
        realm: RealmPolicy,
        *,
        org_id: str | None,
        user_id: str,
        login_id: str,
        role: Role,
        profile: UserProfile,
        actor: Actor,
        readable_org_ids: tuple[str, ...] = (),
        notice: Callable[[str], domain.PasswordNotice] | None = None,
    ) -> CreatedUser:
        """A user with a fresh initial password (ID-PW-03). Without a ``notice`` the password is
        answered once to the caller; with one it travels only in the mail the notice describes.
        Creating the same user again answers no password."""
        initial_password = passwords.generate_password()
        new_user = domain.NewUser(
            realm=realm.name,
            org_id=org_id,
            user_id=user_id,
            login_id=login_id,
            role=role,
            profile=profile,
            password_hash=await passwords.hash_password(initial_password),
            actor=actor,
            correlation_id=current_correlation_id(),
            readable_org_ids=readable_org_ids,
            delivery=notice(initial_password) if notice else None,
        )
        created = await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, user_id),
            partial(domain.create_user, cmd=new_user, now=self.clock.now()),
        )
        answered = created and notice is None
        return CreatedUser(user_id, login_id, initial_password if answered else None)

    async def _claim_login_id(self, realm: RealmPolicy, login_id: str, user_id: str) -> None:
        """Login IDs are unique in a realm (a unique fact, X-13); a retry by the same user is ok."""
        fact = domain.login_id_fact(realm.name, login_id)
        if not await self.store.login_ids.claim(fact, owner=user_id, realm=realm.name):
            raise LoginIdTaken(login_id)

    async def force_password(
        self,
        realm: RealmPolicy,
        admin: sessions.Session,
        org_id: str,
        user_id: str,
        new: str,
    ) -> None:
        """ID-PW-06 force change: the admin sets a password that the realm's policy accepts."""
        aggregate_id = await self._managed_user(realm, admin, org_id, user_id)
        user = await self.store.aggregates.load(aggregate_id)
        why = password_policy.refusal(realm, (user.state or {}).get("login_id", ""), new, None)
        if why is not None:
            raise PasswordRefused(why)
        new_hash = await passwords.hash_password(new)
        await self._manage_user(
            realm, admin, org_id, user_id, partial(accounts.force_password, new_hash=new_hash)
        )
        await self.store.sessions.end_all(user_id)

    @staticmethod
    def _require_admin_of(session: sessions.Session, realm: RealmPolicy, org_id: str) -> None:
        if (
            session.restricted
            or session.role != "admin"
            or session.realm != realm.name
            or session.org_id != org_id
        ):
            raise NotPermitted()

    @staticmethod
    def _require_support(session: sessions.Session, realm: RealmPolicy) -> None:
        if session.role != Role.SUPPORT.value or session.realm != realm.name or session.restricted:
            raise NotPermitted()

    async def create_support_operator(self, realm: RealmPolicy, login_id: str) -> CreatedUser:
        """Realm staff (サポートデスク, ID-USER-04), created by an operator on the command line."""
        user_id = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"support:{realm.name}:{login_id}").hex
        await self._claim_login_id(realm, login_id, user_id)
        return await self._create_user(
            realm,
            org_id=None,
            user_id=user_id,
            login_id=login_id,
            role=Role.SUPPORT,
            profile=UserProfile(),
            actor=Actor(kind=ActorKind.SERVICE, id="identity.cli"),
        )

    async def create_group_reader(
        self, realm: RealmPolicy, support: sessions.Session, login_id: str, org_ids: list[str]
    ) -> CreatedUser:
        """ID-USER-09 (nexi 全社閲覧用ID): support issues one ID that reads several
        organisations of a corporate group and may change nothing."""
        if not realm.group_readers:
            raise NotPermitted()
        self._require_support(support, realm)
        for org_id in org_ids:
            if not (
                await self.store.aggregates.load(domain.org_aggregate_id(realm.name, org_id))
            ).exists:
                raise NotFound(org_id)
        user_id = uuid.uuid4().hex
        await self._claim_login_id(realm, login_id, user_id)
        return await self._create_user(
            realm,
            org_id=None,
            user_id=user_id,
            login_id=login_id,
            role=Role.GROUP_READER,
            profile=UserProfile(),
            actor=Actor(kind=ActorKind.SUPPORT, id=support.user_id),
            readable_org_ids=tuple(org_ids),
        )
