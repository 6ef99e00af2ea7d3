"""What a person does for their own account: the password (and its hint), the forgotten-password
routes (ID-PW-04, -05), the e-mail change (ID-EMAIL-01), and a member's login ID and phone
(ID-USER-08).

A change confirmed with the password checks it against the hash in force, and the decision
commits only if that hash is still the one in force; otherwise it checks again. A wrong
password counts toward the lock as a failed login does (ID-LOCK-05). A change of a credential
(the password, the login ID, the registered address) rotates the session that made it and
ends every other session of the user (ID-SESS-03).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from contracts.common import Role
from contracts.identity import PasswordCheckPurpose
from servicekit.logs import current_correlation_id, get_logger
from servicekit.repository import Versioned
from services.identity.domain import (
    authz,
    email_change,
    inputs,
    lockout,
    password_policy,
    self_service,
    temporary,
    tokens,
)
from services.identity.domain.lockout import CurrentPasswordCheck, SessionCheck, ShadowSlot
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import AccountLocked, LoginIdTaken, NotFound, WrongPassword
from services.identity.domain.self_service import Rotation
from services.identity.domain.sessions import Session, new_session_token, session_ref
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases import lookups, passwords
from services.identity.usecases.context import UNKNOWN_CLIENT, Client, Context, existing

log = get_logger(__name__)


class SelfService:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    async def _verified(
        self, realm: RealmPolicy, session: Session, check: SessionCheck, password: str
    ) -> User:
        """The session's user, once ``password`` is its current one. A wrong one counts toward
        the lock like a failed login (ID-LOCK-05), and the one that locks ends every session of
        the user; a locked account is refused before its password is checked (ID-LOCK-02)."""
        while True:
            user = await self.context.user(realm, session.user_id)
            if user is None:
                raise NotFound()
            if user.locked:
                raise AccountLocked()
            if await passwords.verify_password(user.password_hash, password):
                return user
            counted = await self.store.users.update(
                user_aggregate_id(realm.name, user.user_id),
                partial(
                    existing(lockout.wrong_current_password),
                    verified_hash=user.password_hash,
                    check=check,
                    policy=realm,
                    correlation_id=current_correlation_id(),
                    now=self.context.clock.now(),
                ),
            )
            if counted is CurrentPasswordCheck.LOCKED:
                await self.context.credential_changed(realm, user.user_id)
                raise AccountLocked()
            if counted is CurrentPasswordCheck.ALREADY_LOCKED:
                raise AccountLocked()
            if counted is CurrentPasswordCheck.COUNTED:
                raise WrongPassword()

    async def change_password(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        token: str,
        current: str,
        new: str,
        hint: str | None = None,
        client: Client = UNKNOWN_CLIENT,
    ) -> str:
        """A user changes their own password (and hint, where the realm keeps hints). Answers
        the session's new token: the session that changed it is rotated, its password step
        done, and every other session of the user ends (ID-SESS-03)."""
        session = authz.own_password(caller, realm)
        inputs.require_half_width_passwords(current, new)
        password_policy.check(realm, session.login_id, new, current)
        if hint is not None:
            password_policy.check_hint(realm, hint, new)
        aggregate_id = user_aggregate_id(realm.name, session.user_id)
        new_hash = await passwords.hash_password(new)
        link = None  # a pending login goes on to its login link (ID-MAIL-02)
        if realm.email_authentication:
            link = self.context.new_link(f"/realms/{realm.name}/login-link")[1]
        rotated = new_session_token(session.expires_at)
        rotation = Rotation(session_ref(token), session_ref(rotated))
        check = client.checking(PasswordCheckPurpose.PASSWORD_CHANGE, token)
        while True:
            user = await self._verified(realm, session, check, current)
            now = self.context.clock.now()
            changed = await self.store.users.update(
                aggregate_id,
                partial(
                    existing(self_service.change_own_password),
                    verified_hash=user.password_hash,
                    new_hash=new_hash,
                    hint=hint,
                    correlation_id=current_correlation_id(),
                    now=now,
                    completion_notice=realm.completion_notices,
                    login_link=link,
                    rotation=rotation,
                ),
            )
            if changed:
                return await self._rotated(realm, session, rotated, now)

    async def _rotated(
        self, realm: RealmPolicy, session: Session, rotated: str, changed_at: datetime
    ) -> str:
        """Every session of the user ends, and ``session`` goes on as ``rotated``."""
        await self.context.credential_changed(realm, session.user_id, rotated, session, changed_at)
        return rotated

    async def request_temporary_password(
        self, realm: RealmPolicy, given_login_id: str, email: str
    ) -> None:
        """ID-PW-05: mail a temporary password if the ID and registered e-mail match, and the
        user was mailed fewer than three within the hour.

        Whether they match is never told: the caller always hears the same, and the work is
        the same whoever the request names, so the answer's timing tells nothing either: one
        read of the login ID, one load (see ``lookups``), a password sealed and hashed, and
        one commit with one event, on the user or on the unknown ID's shadow slot.
        """
        if not realm.temporary_password_roles:
            raise NotFound("このサービスでは仮パスワードを発行できません")
        self.context.refuse_in_maintenance(realm)
        login_id = given_login_id.strip()
        inputs.require_half_width(login_id)  # as a login's step 1, before any read
        if not self.context.notify_public_key:
            log.warning("temporary password not sent: NOTIFY_PUBLIC_KEY is not configured")
            return
        temporary_password = passwords.generate_password(temporary.LENGTH)
        asked = partial(
            temporary.Request,
            login_id=login_id,
            email=email.strip(),
            sealed=self.context.sealed(temporary_password),
            correlation_id=current_correlation_id(),
            now=self.context.clock.now(),
        )
        user = await self._user_named(realm, login_id)
        if user is None or user.state is None:
            shadow, slot = await self._shadow_of(realm, login_id)
            unknown = asked(temporary_hash=temporary.secret_hash("", temporary_password))
            await self.store.shadows.update(
                slot.loaded.aggregate_id,
                partial(temporary.decline_unknown, shadow=shadow, asked=unknown),
                known=slot,
            )
            return
        user_id = user.state.user_id
        await self.store.users.update(
            user.loaded.aggregate_id,
            partial(
                existing(temporary.request),
                asked=asked(temporary_hash=temporary.secret_hash(user_id, temporary_password)),
                offered_to=realm.temporary_password_roles,
            ),
            known=user,
        )

    async def password_hint(self, realm: RealmPolicy, given_login_id: str) -> str | None:
        """ID-PW-04: the hint for an ID; an unknown ID is answered like a user without one,
        after the same reads (its shadow slot is loaded in place of a user)."""
        if not realm.password_hint:
            raise NotFound("このサービスではヒントを表示できません")
        self.context.refuse_in_maintenance(realm)
        login_id = given_login_id.strip()
        inputs.require_half_width(login_id)
        user = await self._user_named(realm, login_id)
        if user is None or user.state is None:
            await self._shadow_of(realm, login_id)
            return None
        return user.state.password_hint if user.state.login_id == login_id else None

    async def _user_named(self, realm: RealmPolicy, login_id: str) -> Versioned[User] | None:
        return await lookups.user_named(self.context, realm, login_id)

    async def _shadow_of(
        self, realm: RealmPolicy, login_id: str
    ) -> tuple[lockout.ShadowId, Versioned[ShadowSlot]]:
        return await lookups.shadow_of(self.context, realm, login_id)

    async def request_email_change(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        session_token: str,
        current_password: str,
        new_email: str,
        client: Client = UNKNOWN_CLIENT,
    ) -> None:
        """ID-EMAIL-01: a confirmation link to the new address; nothing changes until it is used.
        The address receives temporary passwords and codes, so the request is confirmed with
        the current password, counted like a login (ID-LOCK-05)."""
        session = authz.own_account(caller, realm)
        inputs.require_half_width_passwords(current_password)
        check = client.checking(PasswordCheckPurpose.EMAIL_CHANGE, session_token)
        await self._verified(realm, session, check, current_password)
        token = tokens.new_token()
        hashed = tokens.digest(token)
        sealed = self.context.sealed(email_change.confirmation_link(realm.name, token))
        now = self.context.clock.now()
        await self.store.link_tokens.claim(
            f"email-change:{hashed}", session.user_id, now + email_change.LIFETIME
        )
        await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(email_change.request),
                new_email=new_email,
                hashed=hashed,
                sealed_link=sealed,
                correlation_id=current_correlation_id(),
                now=now,
            ),
        )

    async def confirm_email_change(
        self, realm: RealmPolicy, token: str, session_token: str | None = None
    ) -> tuple[email_change.Confirmation, str | None]:
        """The link's page's POST: the address changes, and every session of the user ends
        (ID-SESS-03). If the confirming browser holds a session of that user, it goes on under
        a new id, answered; elsewhere its user logs in again."""
        hashed = tokens.digest(token)
        user_id = await self.store.link_tokens.owner_of(f"email-change:{hashed}")
        if user_id is None:
            return email_change.Confirmation.INVALID, None
        now = self.context.clock.now()
        answer = await self.store.users.update(
            user_aggregate_id(realm.name, user_id),
            partial(
                existing(email_change.confirm),
                hashed=hashed,
                correlation_id=current_correlation_id(),
                now=now,
                completion_notice=realm.completion_notices,
            ),
        )
        if answer is not email_change.Confirmation.CONFIRMED:
            return answer, None
        own = None if session_token is None else await self.store.sessions.find(session_token)
        if own is None or own.user_id != user_id or own.realm != realm.name:
            await self.context.credential_changed(realm, user_id)
            return answer, None
        return answer, await self._rotated(realm, own, new_session_token(own.expires_at), now)

    async def change_login_id(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        token: str,
        password: str,
        given_login_id: str,
        client: Client = UNKNOWN_CLIENT,
    ) -> str:
        """A member's new login ID (ID-USER-08), confirmed with their password. Answers the
        session's new token: it is rotated and every other session ends (ID-SESS-03).

        The new ID is claimed first (so two members cannot both take it), the user's commit
        follows, and only then is the old ID released; a crash in between leaves a claim that
        the claim reaper frees, and meanwhile a login decides that the ID is not the user's.
        """
        session = authz.own_member_details(caller, realm)
        inputs.require_half_width_passwords(password)
        login_id = inputs.login_id(realm, Role.MEMBER, given_login_id)
        check = client.checking(PasswordCheckPurpose.LOGIN_ID_CHANGE, token)
        # The password first: whether an ID is taken is told only to the member themselves.
        user = await self._verified(realm, session, check, password)
        if not await self.store.login_ids.claim(
            realm.name, login_id, session.user_id, None, Role.MEMBER
        ):
            raise LoginIdTaken()
        while not await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(self_service.change_own_login_id),
                verified_hash=user.password_hash,
                new_login_id=login_id,
                correlation_id=current_correlation_id(),
                now=(now := self.context.clock.now()),
                completion_notice=realm.completion_notices,
            ),
        ):
            try:  # the password changed meanwhile: check it again
                user = await self._verified(realm, session, check, password)
            except (WrongPassword, AccountLocked):
                await self._release_unless_own(realm, login_id, session.user_id)
                raise
        await self.store.login_ids.settle(realm.name, login_id, session.user_id)
        if user.login_id == login_id:
            return token  # the ID it had: nothing changed
        await self.store.login_ids.release(realm.name, user.login_id, session.user_id)
        moved = replace(session, login_id=login_id)
        return await self._rotated(realm, moved, new_session_token(session.expires_at), now)

    async def _release_unless_own(self, realm: RealmPolicy, login_id: str, user_id: str) -> None:
        user = await self.context.user(realm, user_id)
        if user is not None and user.login_id != login_id:
            await self.store.login_ids.release(realm.name, login_id, user_id)

    async def change_phone(self, realm: RealmPolicy, caller: authz.Caller, phone: str) -> None:
        """A member's new phone number (ID-USER-08)."""
        session = authz.own_member_details(caller, realm)
        await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(self_service.change_own_phone),
                phone=phone,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
                completion_notice=realm.completion_notices,
            ),
        )
