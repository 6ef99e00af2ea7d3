"""What an admin does for a business user, and support for an admin or a member.

Every operation asks ``authz`` first whether the caller may manage users of that organisation
(before reading anything, X-15), then loads the user, and decides on the version it commits,
the permission to manage that very user included. Password operations and deactivation end
the user's sessions: at once after the commit, and in any case through the session reaper that
the outbox relay runs on the commit's event (ID-SESS-01), so no crash leaves one open.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial

from contracts.common import Role, UserProfile
from contracts.identity import RecipientRole
from contracts.permissions import Permissions
from domainkit.decision import Decision
from servicekit.logs import current_correlation_id
from servicekit.repository import Decided
from services.identity.domain import accounts, authz, inputs, password_policy, permissions
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.domain.sessions import Session
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases import passwords
from services.identity.usecases.context import Context, actor_of
from services.identity.usecases.policies import Policies

#: An admin rule: the user, then who acts, the correlation id and the time.
Rule = Callable[..., Decision[User, bool]]


class LoginFactor(StrEnum):
    """What a `dantai-net` login checks beyond the password, and its admin may reset."""

    BROWSER = "browser"
    AUTH_EMAIL = "auth-email"


_FACTORS: dict[LoginFactor, tuple[Rule, Callable[[RealmPolicy], bool]]] = {
    LoginFactor.BROWSER: (accounts.reset_browser, lambda realm: realm.browser_binding),
    LoginFactor.AUTH_EMAIL: (accounts.reset_auth_email, lambda realm: realm.email_authentication),
}


class Accounts:
    def __init__(self, context: Context, policies: Policies) -> None:
        self.context = context
        self.store = context.store
        self.policies = policies

    async def _target(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str | None, user_id: str
    ) -> tuple[Session, User]:
        """The user, if ``caller`` may manage it; members have ``org_id`` None."""
        session = authz.manage_users_of(caller, realm, org_id)
        user = await self.context.user(realm, user_id)
        if user is None or user.org_id != org_id:
            raise NotFound()
        authz.manage(session, user)
        return session, user

    async def _apply(self, realm: RealmPolicy, session: Session, user_id: str, rule: Rule) -> None:
        """Decide ``rule`` on the user's latest version and commit."""
        now = self.context.clock.now()
        actor, correlation_id = actor_of(session), current_correlation_id()

        def decide(user: User | None) -> Decided[User, bool]:
            if user is None:
                raise NotFound()
            authz.manage(session, user)
            return rule(user, admin=actor, correlation_id=correlation_id, now=now)

        await self.store.users.update(user_aggregate_id(realm.name, user_id), decide)

    async def _end_sessions(self, realm: RealmPolicy, user_id: str) -> None:
        """Every session of the user ends at once, after the commit: whatever exists now began
        before the change, or alongside it (ID-SESS-01, -03); the session reaper ends those
        begun before it from the commit's event too, whatever happens between here and there."""
        await self.context.credential_changed(realm, user_id)

    async def change_profile(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str,
        user_id: str,
        profile: UserProfile,
    ) -> None:
        """ID-USER-06: the admin replaces a business user's profile. A new e-mail address is a
        new address for its codes and temporary passwords: the user's sessions end
        (ID-SESS-03)."""
        session, user = await self._target(realm, caller, org_id, user_id)
        rule = partial(accounts.change_profile, profile=profile)
        await self._apply(realm, session, user_id, rule)
        if user.profile.email != profile.email:
            await self._end_sessions(realm, user_id)

    async def change_permissions(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str,
        user_id: str,
        granted: Permissions,
    ) -> None:
        """ID-PERM-01: the admin sets an applicant user's whole matrix; open sessions act with
        it from their next request (see ``Policies``)."""
        if not realm.permission_matrix:
            raise NotFound()
        session, _ = await self._target(realm, caller, org_id, user_id)
        rule = partial(permissions.change, permissions=granted)
        await self._apply(realm, session, user_id, rule)
        self.policies.forget_user(user_id)

    async def change_status(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, user_id: str, active: bool
    ) -> None:
        """ID-USER-05: 使用状態; an inactive user's sessions end."""
        session, _ = await self._target(realm, caller, org_id, user_id)
        rule = partial(accounts.change_status, active=active)
        await self._apply(realm, session, user_id, rule)
        if not active:
            await self._end_sessions(realm, user_id)

    async def initialise_password(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str | None, user_id: str
    ) -> None:
        """ID-PW-06: back to the initial password, unlocked; the user's sessions end."""
        session, _ = await self._target(realm, caller, org_id, user_id)
        await self._apply(realm, session, user_id, accounts.initialise_password)
        await self._end_sessions(realm, user_id)

    async def force_password(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, user_id: str, new: str
    ) -> None:
        """ID-PW-06 force change: the admin sets a password that the realm's policy accepts."""
        session, user = await self._target(realm, caller, org_id, user_id)
        inputs.require_half_width_passwords(new)
        password_policy.check(realm, user.login_id, new, None)
        new_hash = await passwords.hash_password(new)
        rule = partial(accounts.force_password, new_hash=new_hash)
        await self._apply(realm, session, user_id, rule)
        await self._end_sessions(realm, user_id)

    async def lock(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str | None,
        user_id: str,
        note: str | None = None,
    ) -> bool:
        """ID-LOCK-04: support locks an admin (or a member) on purpose; its sessions end.
        Answers whether it was unlocked before."""
        session, user = await self._target(realm, caller, org_id, user_id)
        await self._apply(realm, session, user_id, partial(accounts.lock, note=note))
        await self._end_sessions(realm, user_id)
        return not user.locked

    async def unlock(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str | None,
        user_id: str,
        note: str | None = None,
    ) -> bool:
        """ID-LOCK-04: ロック解除, the password as it was. Answers whether it was locked."""
        session, user = await self._target(realm, caller, org_id, user_id)
        await self._apply(realm, session, user_id, partial(accounts.unlock, note=note))
        return user.locked

    async def reset_login_factor(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str,
        user_id: str,
        factor: LoginFactor,
        note: str | None = None,
    ) -> None:
        """ID-BIND-03, ID-MAIL-04: the admin (support, for an admin) resets the registered
        browser or the e-mail-authentication address; the next login registers it anew."""
        rule, used = _FACTORS[factor]
        if not used(realm):
            raise NotFound()
        session, _ = await self._target(realm, caller, org_id, user_id)
        await self._apply(realm, session, user_id, partial(rule, note=note))
        await self._end_sessions(realm, user_id)  # a factor of its login (ID-SESS-03)

    async def reset_password(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, user_id: str
    ) -> None:
        """`nexi`'s reset (ID-PW-06): a new random password mailed to the admin, who passes it
        on; support resetting an admin mails the admin directly. Unlocks; sessions end."""
        if not realm.password_reset_to_admin:
            raise NotFound()
        session, _ = await self._target(realm, caller, org_id, user_id)
        by_admin = session.role is Role.ADMIN
        role = RecipientRole.ADMIN if by_admin else RecipientRole.USER
        recipient = await self.context.email_of(realm, session.user_id if by_admin else user_id)
        new_password = passwords.generate_password()
        sealed = self.context.sealed(new_password)
        new_hash = await passwords.hash_password(new_password)
        rule = partial(
            accounts.reset_password,
            new_hash=new_hash,
            sealed=sealed,
            recipient_email=recipient,
            recipient_role=role,
        )
        await self._apply(realm, session, user_id, rule)
        await self._end_sessions(realm, user_id)
