"""Identity use cases: load, decide, commit, one function per command."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from contracts import Actor, ActorKind
from contracts.common import UserProfile
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id, get_logger
from services.identity import domain, login, passwords, sessions
from services.identity.realms import RealmPolicy
from services.identity.store import IdentityStore

log = get_logger(__name__)

#: Namespace for ids derived from a client's Idempotency-Key, so a retried request names the
#: same organisation and admin instead of creating a second one.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0d6f4e-6a53-4c47-9b51-2f7e0c1d9a11")

#: Who the foundation's organisation API acts as. Support operators' own sign-in arrives with
#: ID-USER-04; until then the caller is the API itself, and events say so.
_API_CALLER = Actor(kind=ActorKind.SERVICE, id="identity.api")


class LoginIdTaken(Exception):
    """Another user of the realm already has this login ID."""


@dataclass(frozen=True)
class CreatedOrganisation:
    organisation: domain.Organisation
    initial_password: str | None
    """The admin's initial password, only in the answer that created it (ID-PW-03)."""


@dataclass(frozen=True)
class LoginOutcome:
    result: login.LoginResult
    session_token: str | None = None


class IdentityUseCases:
    def __init__(self, store: IdentityStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create_organisation(
        self,
        realm: RealmPolicy,
        name: str,
        admin_login_id: str,
        admin_profile: UserProfile,
        idempotency_key: str | None = None,
    ) -> CreatedOrganisation:
        """Create an organisation and its admin; announce the admin with ``UserCreated``."""
        if idempotency_key:
            seed = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{realm.name}:{idempotency_key}")
            org_id, admin_user_id = seed.hex, uuid.uuid5(seed, "admin").hex
        else:
            org_id, admin_user_id = uuid.uuid4().hex, uuid.uuid4().hex
        if not await self.store.login_ids.claim(
            domain.login_id_fact(realm.name, admin_login_id), owner=admin_user_id, realm=realm.name
        ):
            raise LoginIdTaken(admin_login_id)
        initial_password = passwords.generate_password()
        cmd = domain.CreateOrganisation(
            realm=realm.name,
            org_id=org_id,
            name=name,
            admin_user_id=admin_user_id,
            admin_login_id=admin_login_id,
            admin_profile=admin_profile,
            admin_password_hash=await passwords.hash_password(initial_password),
            actor=_API_CALLER,
            correlation_id=current_correlation_id(),
        )
        now = self.clock.now()
        created = await self.store.aggregates.update(
            domain.user_aggregate_id(realm.name, admin_user_id),
            lambda current: domain.create_admin(current, cmd, now),
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
            if user_id is None:
                await passwords.verify_password(passwords.DUMMY_HASH, password)  # same time
                attempt = self._attempt(realm, login_id, False, None, ip, user_agent, now, None)
                result = await self.store.aggregates.update(
                    login.shadow_aggregate_id(realm.name, login_id),
                    partial(login.attempt_unknown_login, attempt=attempt, policy=realm),
                )
                return LoginOutcome(result)
            user = await self.store.aggregates.load(domain.user_aggregate_id(realm.name, user_id))
            assert user.state is not None, "a claimed login ID names a created user"
            stored_hash: str = user.state["password_hash"]
            ok = await passwords.verify_password(stored_hash, password)
            attempt = self._attempt(realm, login_id, ok, stored_hash, ip, user_agent, now, session)
            result = await self.store.aggregates.update(
                user.aggregate_id, partial(login.attempt_login, attempt=attempt, policy=realm)
            )
            if result.answer is login.LoginAnswer.PASSWORD_CHANGED_MEANWHILE:
                continue  # verify again against the new hash
            if result.answer is not login.LoginAnswer.SUCCEEDED:
                return LoginOutcome(result)
            await self.store.sessions.start(
                token,
                sessions.Session(
                    user_id=user_id,
                    realm=realm.name,
                    org_id=result.org_id,
                    role=result.role or "",
                    login_id=login_id,
                    restricted=result.must_change_password,
                    otp_verified=False,
                    previous_login_at=result.previous_login_at,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=session.expires_at,
                ),
            )
            return LoginOutcome(result, token)

    async def introspect(self, token: str) -> sessions.Session | None:
        """The session behind a cookie, if it is alive (ID-SESS-02); use restarts its idle time."""
        found = await self.store.sessions.find(token)
        now = self.clock.now()
        if found is None or found.expired(now):
            return None
        await self.store.sessions.touch(token, now)
        return found

    async def logout(self, token: str) -> bool:
        return await self.store.sessions.end(token)

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
