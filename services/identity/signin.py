"""Signing in and what a person does for their own account: load, decide, commit.

Login (ID-LOGIN-01), sessions (ID-SESS-01, -02), one's own password change (ID-PW-02, -03),
the forgotten-password routes (ID-PW-04, -05) and the e-mail change (ID-EMAIL-01). What admins
and support do for others is in ``usecases``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from contracts import seal
from contracts.common import Role
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from services.identity import (
    accounts,
    domain,
    email_change,
    login,
    password_policy,
    passwords,
    sessions,
    temporary,
)
from services.identity.realms import RealmPolicy
from services.identity.store import IdentityStore
from services.identity.usecases import (
    LoginIdTaken,
    NotPermitted,
    PasswordRefused,
    WrongPassword,
)

log = get_logger(__name__)


@dataclass(frozen=True)
class LoginOutcome:
    result: login.LoginResult
    session_token: str | None = None


class SignInUseCases:
    def __init__(self, store: IdentityStore, clock: Clock, notify_public_key: str = "") -> None:
        self.store = store
        self.clock = clock
        self.notify_public_key = notify_public_key
        """Secrets that notify must mail are sealed to this key (X-02)."""

    async def log_in(
        self,
        realm: RealmPolicy,
        login_id: str,
        password: str,
        ip: str | None,
        user_agent: str | None,
    ) -> LoginOutcome:
        """ID-LOGIN-01 steps 3-7 and 10 (steps 1-2 are checked by the route)."""
        token = sessions.new_session_token()
        user_id = await self.store.login_ids.owner_of(domain.login_id_fact(realm.name, login_id))
        while True:
            now = self.clock.now()
            session = login.NewSession(
                ref=sessions.session_ref(token),
                idle_timeout_seconds=int(sessions.IDLE_TIMEOUT.total_seconds()),
                expires_at=now + sessions.ABSOLUTE_LIFETIME,
            )
            user = None
            if user_id is not None:
                user = await self.store.aggregates.load(
                    domain.user_aggregate_id(realm.name, user_id), trust_hint=True
                )
            if user is None or user.state is None or user.state["login_id"] != login_id:
                # Unknown, claimed for a user who does not exist yet (an ID request awaiting
                # approval, a creation cut short), or a member's former login ID whose release
                # was cut short (ID-USER-08): the same answer as any unknown ID.
                await passwords.verify_password(passwords.DUMMY_HASH, password)  # same time
                attempt = self._attempt(realm, login_id, False, None, ip, user_agent, now, None)
                result = await self.store.aggregates.update(
                    login.shadow_aggregate_id(realm.name, login_id),
                    partial(login.attempt_unknown_login, attempt=attempt, policy=realm),
                )
                return LoginOutcome(result)
            stored_hash: str = user.state["password_hash"]
            ok = await passwords.verify_password(stored_hash, password)
            attempt = self._attempt(realm, login_id, ok, stored_hash, ip, user_agent, now, session)
            temporary_hash = temporary.usable_hash(user.state, now)
            if (
                not ok
                and temporary_hash
                and await passwords.verify_password(temporary_hash, password)
            ):
                attempt = replace(
                    attempt, password_ok=True, verified_hash=temporary_hash, via_temporary=True
                )
            elif ok and passwords.needs_rehash(stored_hash):
                attempt = replace(attempt, rehashed=await passwords.hash_password(password))
            result = await self.store.aggregates.update(
                user.aggregate_id,
                partial(login.attempt_login, attempt=attempt, policy=realm),
                known=user,
            )
            if result.answer is login.LoginAnswer.PASSWORD_CHANGED_MEANWHILE:
                continue  # verify again against the new hash
            if result.answer is not login.LoginAnswer.SUCCEEDED:
                return LoginOutcome(result)
            await self.store.sessions.start(
                token,
                sessions.Session(
                    user_id=user.state["user_id"],
                    realm=realm.name,
                    org_id=result.org_id,
                    role=result.role or "",
                    login_id=login_id,
                    restricted=bool(result.pending),
                    otp_verified=False,
                    previous_login_at=result.previous_login_at,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=session.expires_at,
                    readable_org_ids=list(result.readable_org_ids),
                    pending_steps=[step.value for step in result.pending],
                ),
            )
            return LoginOutcome(result, token)

    def _attempt(
        self,
        realm: RealmPolicy,
        login_id: str,
        ok: bool,
        verified_hash: str | None,
        ip: str | None,
        user_agent: str | None,
        now: datetime,
        session: login.NewSession | None,
    ) -> login.LoginAttempt:
        return login.LoginAttempt(
            realm=realm.name,
            login_id=login_id,
            password_ok=ok,
            verified_hash=verified_hash,
            ip=ip,
            user_agent=user_agent,
            correlation_id=current_correlation_id(),
            now=now,
            session=session,
        )

    async def introspect(self, token: str) -> sessions.Session | None:
        """The session behind a cookie, if it is alive (ID-SESS-02): one ``_id`` read, and now and
        then a write that restarts its idle time."""
        found = await self.store.sessions.find(token)
        now = self.clock.now()
        if found is None or found.expired(now):
            return None
        if found.needs_touch(now):
            await self.store.sessions.touch(token, now)
        return found

    async def logout(self, token: str) -> bool:
        return await self.store.sessions.end(token)

    async def change_password(
        self,
        realm: RealmPolicy,
        token: str,
        session: sessions.Session,
        current: str,
        new: str,
        hint: str | None = None,
    ) -> None:
        """A user changes their own password (and hint, where the realm keeps hints); a
        restricted session becomes a full one."""
        why = password_policy.refusal(realm, session.login_id, new, current)
        if why is None and hint is not None:
            why = password_policy.hint_refusal(realm, hint, new)
        if why is not None:
            raise PasswordRefused(why)
        aggregate_id = domain.user_aggregate_id(realm.name, session.user_id)
        while True:
            user = await self.store.aggregates.load(aggregate_id)
            assert user.state is not None, "a session names an existing user"
            verified_hash: str = user.state["password_hash"]
            if not await passwords.verify_password(verified_hash, current):
                raise WrongPassword()
            new_hash = await passwords.hash_password(new)
            changed = await self.store.aggregates.update(
                aggregate_id,
                partial(
                    accounts.change_own_password,
                    verified_hash=verified_hash,
                    new_hash=new_hash,
                    hint=hint,
                    correlation_id=current_correlation_id(),
                    now=self.clock.now(),
                    completion_notice=realm.completion_notices,
                ),
            )
            if changed:
                break
        await self.store.sessions.complete_step(token, session, login.PendingStep.PASSWORD_CHANGE)

    async def request_temporary_password(
        self, realm: RealmPolicy, login_id: str, email: str
    ) -> None:
        """ID-PW-05: mail a temporary password if the ID and registered e-mail match.

        Whether they match is never told: the caller always hears the same, and the hashing
        work is done either way, so the answer's timing tells nothing either.
        """
        temporary_password = passwords.generate_password()
        temporary_hash = await passwords.hash_password(temporary_password)
        if not self.notify_public_key:
            log.warning("temporary password not sent: NOTIFY_PUBLIC_KEY is not configured")
            return
        sealed = seal(temporary_password, self.notify_public_key)
        user_id = await self.store.login_ids.owner_of(domain.login_id_fact(realm.name, login_id))
        if user_id is None:
            return
        aggregate_id = domain.user_aggregate_id(realm.name, user_id)
        user = await self.store.aggregates.load(aggregate_id)
        if user.state is None or user.state["role"] not in realm.temporary_password_roles:
            return
        await self.store.aggregates.update(
            aggregate_id,
            partial(
                temporary.issue,
                email=email,
                temporary_hash=temporary_hash,
                sealed=sealed,
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
            ),
        )

    async def password_hint(self, realm: RealmPolicy, login_id: str) -> str | None:
        """ID-PW-04: the hint for an ID; an unknown ID is answered like a user without one."""
        user_id = await self.store.login_ids.owner_of(domain.login_id_fact(realm.name, login_id))
        if user_id is None:
            return None
        user = await self.store.aggregates.load(domain.user_aggregate_id(realm.name, user_id))
        return (user.state or {}).get("password_hint")

    async def request_email_change(
        self, realm: RealmPolicy, session: sessions.Session, new_email: str
    ) -> None:
        """ID-EMAIL-01: a confirmation link to the new address; nothing changes until it is used."""
        if session.restricted or session.realm != realm.name:
            raise NotPermitted()
        if not self.notify_public_key:
            raise NotPermitted()  # nobody could mail the link: refuse rather than pretend
        token = email_change.new_token()
        hashed = email_change.token_hash(token)
        sealed = seal(email_change.confirmation_link(realm.name, token), self.notify_public_key)
        await self.store.link_tokens.claim(f"email-change:{hashed}", owner=session.user_id)
        await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, session.user_id),
            partial(
                email_change.request,
                new_email=new_email,
                hashed=hashed,
                sealed_link=sealed,
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
            ),
        )

    async def confirm_email_change(
        self, realm: RealmPolicy, token: str
    ) -> email_change.Confirmation:
        hashed = email_change.token_hash(token)
        user_id = await self.store.link_tokens.owner_of(f"email-change:{hashed}")
        if user_id is None:
            return email_change.Confirmation.INVALID
        return await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, user_id),
            partial(
                email_change.confirm,
                hashed=hashed,
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
                completion_notice=realm.completion_notices,
            ),
        )

    async def change_login_id(
        self, realm: RealmPolicy, session: sessions.Session, password: str, new_login_id: str
    ) -> None:
        """A member's new login ID (ID-USER-08), confirmed with their password.

        The new ID is claimed first (so two members cannot both take it), the user's commit
        follows, and only then is the old ID released; a crash in between leaves the old ID
        claimed but useless, because a login checks that the ID is still the user's own.
        """
        self._require_member(realm, session)
        aggregate_id = domain.user_aggregate_id(realm.name, session.user_id)
        fact = domain.login_id_fact(realm.name, new_login_id)
        if not await self.store.login_ids.claim(fact, owner=session.user_id, realm=realm.name):
            raise LoginIdTaken(new_login_id)
        while True:
            user = await self.store.aggregates.load(aggregate_id)
            assert user.state is not None, "a session names an existing user"
            old_login_id: str = user.state["login_id"]
            verified_hash: str = user.state["password_hash"]
            if not await passwords.verify_password(verified_hash, password):
                if old_login_id != new_login_id:
                    await self.store.login_ids.release(fact, session.user_id)
                raise WrongPassword()
            changed = await self.store.aggregates.update(
                aggregate_id,
                partial(
                    accounts.change_own_login_id,
                    verified_hash=verified_hash,
                    new_login_id=new_login_id,
                    correlation_id=current_correlation_id(),
                    now=self.clock.now(),
                    completion_notice=realm.completion_notices,
                ),
            )
            if changed:
                break
        if old_login_id != new_login_id:
            await self.store.login_ids.release(
                domain.login_id_fact(realm.name, old_login_id), session.user_id
            )
            await self.store.sessions.rename(session.user_id, new_login_id)

    async def change_phone(self, realm: RealmPolicy, session: sessions.Session, phone: str) -> None:
        """A member's new phone number (ID-USER-08)."""
        self._require_member(realm, session)
        await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, session.user_id),
            partial(
                accounts.change_own_phone,
                phone=phone,
                correlation_id=current_correlation_id(),
                now=self.clock.now(),
                completion_notice=realm.completion_notices,
            ),
        )

    @staticmethod
    def _require_member(realm: RealmPolicy, session: sessions.Session) -> None:
        """Only individual members keep their own login ID and contact details; an
        organisation's users have them maintained by their admin (ID-USER-06)."""
        if not realm.members or session.realm != realm.name:
            raise NotPermitted()
        if session.restricted or session.role != Role.MEMBER.value:
            raise NotPermitted()
