"""Logging in (ID-LOGIN-01), and the sessions it issues (ID-SESS-01, -02).

Every attempt does the same work whatever the account's state, so nobody learns by timing
whether an ID exists, is locked, or has a temporary password outstanding: one lookup of the
login ID, one argon2 verification (against the user's hash, or a dummy), one hash of the typed
password as a temporary password, and one commit (on the user, or on a shadow slot).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from prometheus_client import Counter

from contracts.identity import LoginChannel
from domainkit.decision import Decision
from servicekit.logs import current_correlation_id
from servicekit.repository import Versioned
from services.identity.domain import inputs, lockout, login, temporary, tokens
from services.identity.domain.attempts import (
    LoginAnswer,
    LoginAttempt,
    LoginResult,
    NewLink,
    NewSession,
    PendingStep,
)
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import (
    Session,
    new_session_token,
    session_key,
    session_ref,
)
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases import passwords
from services.identity.usecases.bot_defence import BotDefence
from services.identity.usecases.context import Context
from services.identity.usecases.policies import Policies

TEMPORARY_CHECKS = Counter(
    "identity_temporary_password_checks_total",
    "Typed passwords hashed to compare with an outstanding temporary password (or a dummy)",
)


@dataclass(frozen=True)
class LoggedIn:
    result: LoginResult
    session_token: str | None = None


class Login:
    def __init__(
        self,
        context: Context,
        bot_defence: BotDefence,
        policies: Policies,
        introspection_trust: timedelta,
    ) -> None:
        self.context = context
        self.store = context.store
        self.bot_defence = bot_defence
        self.policies = policies
        self.introspection_trust = introspection_trust

    async def log_in(
        self,
        realm: RealmPolicy,
        given_login_id: str,
        password: str,
        ip: str | None,
        user_agent: str | None,
        browser_cookie: str | None = None,
        challenge: str | None = None,
        held: str | None = None,
        app_credential: str | None = None,
    ) -> LoggedIn:
        """ID-LOGIN-01 steps 1-10, in order; ``browser_cookie`` is the browser's binding cookie
        for this realm, if it sent one (ID-BIND). Where the realm has the bot defence, the
        ``challenge`` is checked after steps 1 and 2 and before anything of the login ID is
        read (ID-BOT-01); every failure then counts against the client address (ID-BOT-02).
        ``held`` is the session cookie the browser sent, if any: a successful login replaces
        it, so that session ends. ``app_credential``: the kencom app's client credential, if
        the client sent one (EN-09): the app skips the challenge, and its login says so."""
        login_id = given_login_id.strip()
        inputs.require_half_width(login_id)  # step 1: not counted
        inputs.require_half_width_passwords(password)
        self.context.refuse_in_maintenance(realm)  # step 2
        channel = self.bot_defence.channel(realm, app_credential)
        await self.bot_defence.admit(realm, ip, challenge, channel)
        logged_in = await self._log_in(
            realm, login_id, password, ip, user_agent, browser_cookie, channel
        )
        if logged_in.session_token is None:
            await self.bot_defence.failed(realm, ip)
        elif held:  # the browser's cookie is replaced: the session it named ends (ASVS 7.2.4)
            await self.store.sessions.end(held)
        return logged_in

    async def _log_in(
        self,
        realm: RealmPolicy,
        login_id: str,
        password: str,
        ip: str | None,
        user_agent: str | None,
        browser_cookie: str | None,
        channel: LoginChannel,
    ) -> LoggedIn:
        owner = await self.store.login_ids.owner_of(realm.name, login_id)  # step 3
        # the session's end is known before its token, which names the hour it ends in
        ends = self.context.clock.now() + realm.session_lifetime
        token = new_session_token(ends)
        first = True
        while True:
            user = None
            if owner is not None:  # the version this process keeps (or the head hint) is
                # trusted once: the commit proves it, and a retry reads the latest
                user = await self.store.users.load(
                    user_aggregate_id(realm.name, owner), trust_hint=first, remembered=first
                )
            first = False
            attempt = await self._checked(
                realm, login_id, password, user, ip, user_agent, token, ends
            )
            attempt = replace(
                attempt,
                browser=None if browser_cookie is None else tokens.digest(browser_cookie),
                login_link=self._login_link(realm),
                channel=channel,
            )
            if user is None or user.state is None:
                return LoggedIn(await self._unknown(realm, attempt))
            result = await self.store.users.update(
                user.loaded.aggregate_id,
                partial(_attempt_on_user, attempt=attempt, policy=realm),
                known=user,
            )
            if result.answer is LoginAnswer.CREDENTIALS_CHANGED_MEANWHILE:
                continue  # verify again against the hash in force
            if result.answer is LoginAnswer.NOT_THIS_USER:  # a former login ID (ID-USER-08)
                return LoggedIn(await self._unknown(realm, attempt))
            if result.answer is not LoginAnswer.SUCCEEDED:
                return LoggedIn(result)
            await self._start_session(realm, token, result, attempt)
            for crowded in result.crowded_out:  # the 51st listed session ends the oldest
                await self.store.sessions.end_listed(crowded)
            if result.user is not None and PendingStep.PASSWORD_CHANGE in result.pending:
                # an initial or temporary password: older logins with it stop owing their
                # change, they end (ID-SESS-03); each owes its own change anyway
                await self.store.sessions.end_restricted(
                    result.user.user_id, result.user.sessions, but=token
                )
            return LoggedIn(result, token)

    async def _checked(
        self,
        realm: RealmPolicy,
        login_id: str,
        password: str,
        user: Versioned[User] | None,
        ip: str | None,
        user_agent: str | None,
        token: str,
        ends: datetime,
    ) -> LoginAttempt:
        """The attempt with its password checked: one argon2 verification and one temporary-
        password hash, whoever the ID belongs to (a dummy hash stands in for nobody)."""
        state = None if user is None else user.state
        stored = passwords.DUMMY_HASH if state is None else state.password_hash
        ok = await passwords.verify_password(stored, password)
        TEMPORARY_CHECKS.inc()
        secret = temporary.secret_hash("" if state is None else state.user_id, password)
        now = self.context.clock.now()
        attempt = LoginAttempt(
            realm=realm.name,
            login_id=login_id,
            password_ok=ok and state is not None,
            verified_hash=stored,
            secret_hash=secret,
            ip=ip,
            user_agent=user_agent,
            correlation_id=current_correlation_id(),
            now=now,
            session=NewSession(
                ref=session_ref(token),
                idle_timeout_seconds=int(realm.idle_timeout.total_seconds()),
                expires_at=ends,
                key=session_key(token),
            ),
        )
        if state is None:
            return attempt
        # Only on the way to a success: a rehash (ID-PW-01), or the hash a consumed temporary
        # password keeps for the forced change. Strangers never get here.
        if (ok and passwords.needs_rehash(stored)) or (
            not ok and temporary.matches(state, secret, now)
        ):
            return replace(attempt, new_hash=await passwords.hash_password(password))
        return attempt

    def _login_link(self, realm: RealmPolicy) -> NewLink | None:
        """A login link ready to mail, for a realm whose logins end with one (ID-MAIL-02)."""
        if not realm.email_authentication:
            return None
        return self.context.new_link(f"/realms/{realm.name}/login-link")[1]

    async def _unknown(self, realm: RealmPolicy, attempt: LoginAttempt) -> LoginResult:
        """An unknown login ID, counted on its shadow slot so it locks like a real one."""
        shadows = self.context.shadows
        shadow = lockout.shadow_id(
            self.context.shadow_key, realm.name, attempt.login_id, shadows.slots
        )
        return await self.store.shadows.update(
            lockout.shadow_aggregate_id(shadow),
            lambda slot: lockout.attempt_unknown(slot, shadow, attempt, realm, shadows),
        )

    async def _start_session(
        self, realm: RealmPolicy, token: str, result: LoginResult, attempt: LoginAttempt
    ) -> None:
        user, new = result.user, attempt.session
        assert user is not None, "a successful attempt names its user"
        assert new is not None, "the attempt carried its session"
        await self.store.sessions.start(
            token,
            Session(
                user_id=user.user_id,
                realm=realm.name,
                org_id=user.org_id,
                role=user.role,
                login_id=user.login_id,
                otp_verified=False,
                previous_login_at=result.previous_login_at,
                created_at=attempt.now,
                last_seen_at=attempt.now,
                expires_at=new.expires_at,
                readable_org_ids=user.readable_org_ids,
                pending_steps=tuple(step.value for step in result.pending),
                idle_timeout=realm.idle_timeout,
            ),
        )

    async def introspect(self, token: str) -> Session | None:
        """The session behind a cookie, if it is alive (ID-SESS-02): one ``_id`` read, or none
        when this process read it within ``introspection_trust`` (under a second: what
        another replica ended is refused here that much later at most), and now and then a
        write that restarts its idle time; its permissions and OTP requirement as they are now
        (``Policies``)."""
        found = await self.store.sessions.find_recent(token, self.introspection_trust)
        now = self.context.clock.now()
        if found is None or found.expired(now):
            return None
        if found.needs_touch(now):
            await self.store.sessions.touch(token, found, now)
        return await self.policies.resolve(found)

    async def log_out(self, token: str) -> bool:
        return await self.store.sessions.end(token)


def _attempt_on_user(
    user: User | None, attempt: LoginAttempt, policy: RealmPolicy
) -> Decision[User, LoginResult]:
    assert user is not None, "users are never deleted"
    return login.attempt(user, attempt, policy)
