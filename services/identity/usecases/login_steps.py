"""A pending login's last steps (ID-LOGIN-01 steps 8-10, ID-MAIL, ID-BIND), from the waiting
screen: where it stands, the e-mail-authentication address, the login link and its re-issue,
and the completion that hands the waiting browser its full session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from servicekit.logs import current_correlation_id
from services.identity.domain import auth_email, authz, login_link, tokens
from services.identity.domain.attempts import NewSession, PendingStep
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound, NotPermitted, SessionEnded, StepsPending
from services.identity.domain.session_lists import Listed, rotating
from services.identity.domain.sessions import (
    Session,
    expiry_hour,
    new_session_token,
    session_key,
    session_ref,
)
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases.context import Context, existing

#: The e-mail-authentication address's confirmation link, by its token's hash.
_AUTH_EMAIL_FACT = "auth-email:{}"


@dataclass(frozen=True)
class Completed:
    """A login completed: its new full session, and the browser's new binding cookie if the
    browser was registered (ID-BIND-01)."""

    session_token: str
    session: Session
    browser_cookie: str | None


class LoginSteps:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    async def _waiting(self, realm: RealmPolicy, caller: authz.Caller) -> tuple[Session, User]:
        session = authz.login_steps(caller, realm)
        user = await self.context.user(realm, session.user_id)
        if user is None:
            raise NotFound()
        return session, user

    async def _after_password_step(
        self, realm: RealmPolicy, caller: authz.Caller
    ) -> tuple[Session, User]:
        """The waiting login, once it has changed its password itself, where it had to: the
        steps after it are this session's too (ID-SESS-03)."""
        session, user = await self._waiting(realm, caller)
        if PendingStep.PASSWORD_CHANGE.value in session.pending_steps:
            raise StepsPending()
        return session, user

    async def progress(
        self, realm: RealmPolicy, caller: authz.Caller, token: str
    ) -> tuple[login_link.Progress, ...]:
        """Where each step of the caller's pending login stands (none for a full session)."""
        session, user = await self._waiting(realm, caller)
        steps = tuple(PendingStep(s) for s in session.pending_steps)
        return login_link.progress(user, steps, session_ref(token), self.context.clock.now())

    async def register_auth_email(
        self, realm: RealmPolicy, caller: authz.Caller, token: str, address: str
    ) -> None:
        """ID-MAIL-01: a confirmation link valid 60 minutes goes to ``address``."""
        session, _ = await self._after_password_step(realm, caller)
        _, link = self.context.new_link(f"/realms/{realm.name}/auth-email/confirm")
        now = self.context.clock.now()
        await self.store.link_tokens.claim(
            _AUTH_EMAIL_FACT.format(link.token_hash), session.user_id, now + auth_email.LIFETIME
        )
        await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(auth_email.register),
                session_ref=session_ref(token),
                address=address,
                link=link,
                correlation_id=current_correlation_id(),
                now=now,
            ),
        )

    async def confirm_auth_email(self, realm: RealmPolicy, token: str) -> auth_email.Confirmation:
        """The confirmation page's POST, from any browser: it proves the mailbox."""
        hashed = tokens.digest(token)
        owner = await self.store.link_tokens.owner_of(_AUTH_EMAIL_FACT.format(hashed))
        if owner is None:
            return auth_email.Confirmation.INVALID
        _, next_link = self.context.new_link(f"/realms/{realm.name}/login-link")
        confirmed = await self.store.users.update(
            user_aggregate_id(realm.name, owner),
            partial(
                existing(auth_email.confirm),
                token_hash=hashed,
                next_link=next_link,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )
        if confirmed is auth_email.Confirmation.CONFIRMED:
            await self._end_all_but_the_pending_login(realm, owner)
        return confirmed

    async def _end_all_but_the_pending_login(self, realm: RealmPolicy, user_id: str) -> None:
        """A new address that receives login links ends every other session of its user, but
        the pending login that registered it goes on (ID-SESS-03); the commit's event ends
        them too, through the session reaper, if this process dies first."""
        user = await self.context.user(realm, user_id)
        if user is None:
            return
        kept = None if user.pending_login is None else user.pending_login.session_ref
        await self.store.sessions.end_all(user_id, user.sessions, keep_ref=kept)

    async def reissue_login_link(
        self, realm: RealmPolicy, caller: authz.Caller, token: str
    ) -> None:
        """再発行 (ID-MAIL-03): a new link voiding the older one, 10 minutes after the last."""
        session, _ = await self._after_password_step(realm, caller)
        _, link = self.context.new_link(f"/realms/{realm.name}/login-link")
        await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(login_link.reissue),
                session_ref=session_ref(token),
                link=link,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )

    async def confirm_login_link(
        self,
        realm: RealmPolicy,
        link_token: str,
        session_token: str | None,
        ip: str | None,
        user_agent: str | None,
    ) -> login_link.LinkAnswer:
        """The link's confirmation page's POST. Only the browser of the pending login (its
        session) confirms it; anywhere else it logs nothing in (Q19)."""
        session = None if session_token is None else await self.store.sessions.find(session_token)
        now = self.context.clock.now()
        if session is None or session.realm != realm.name or session.expired(now):
            return login_link.LinkAnswer.OTHER_BROWSER
        if PendingStep.PASSWORD_CHANGE.value in session.pending_steps:
            raise StepsPending()
        assert session_token is not None
        return await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(login_link.confirm),
                token_hash=tokens.digest(link_token),
                session_ref=session_ref(session_token),
                ip=ip,
                user_agent=user_agent,
                correlation_id=current_correlation_id(),
                now=now,
            ),
        )

    async def complete(self, realm: RealmPolicy, caller: authz.Caller, token: str) -> Completed:
        """Step 10: once every step is done, the waiting browser's restricted session gives way
        to a new full one (rotated), and the browser is registered if it has to be."""
        session, _ = await self._waiting(realm, caller)
        steps = tuple(PendingStep(s) for s in session.pending_steps)
        if not steps:
            raise NotPermitted()
        now = self.context.clock.now()
        ends = now + realm.session_lifetime
        new_token = new_session_token(ends)
        cookie = tokens.new_token() if PendingStep.BROWSER_REGISTRATION in steps else None
        idle = int(realm.idle_timeout.total_seconds())
        started = NewSession(session_ref(new_token), idle, ends, session_key(new_token))
        completed = partial(
            existing(login_link.complete),
            steps=steps,
            session_ref=session_ref(token),
            session=started,
            browser=None if cookie is None else tokens.digest(cookie),
            correlation_id=current_correlation_id(),
            now=now,
        )
        listed = Listed(started.key, expiry_hour(ends), now)
        await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            rotating(completed, session_ref(token), listed, rotates=lambda done: done),
        )
        full = Session(
            user_id=session.user_id,
            realm=session.realm,
            org_id=session.org_id,
            role=session.role,
            login_id=session.login_id,
            otp_verified=False,
            previous_login_at=session.previous_login_at,
            created_at=now,
            last_seen_at=now,
            expires_at=started.expires_at,
            readable_org_ids=session.readable_org_ids,
            idle_timeout=realm.idle_timeout,
        )
        if not await self.store.sessions.replace(token, new_token, full):
            raise SessionEnded()
        return Completed(new_token, full, cookie)
