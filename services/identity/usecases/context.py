"""What every identity use case works with: the store, the clock, sealing for notify, claims.

Use cases load aggregates, ask the domain, and commit; they hold no rule of their own beyond
the order of those steps. Every command is all-or-nothing: it checks everything it can before
it claims anything, and a claim it leaves behind (a crash, a refusal after the claim) is freed
by the claim reaper (``upkeep``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Concatenate, ParamSpec, TypeVar

from contracts import Actor, ActorKind, SealedSecret, seal
from contracts.common import Role
from contracts.identity import InitialPasswordRoute, PasswordCheckPurpose
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id
from services.identity.domain import session_lists, tokens, users
from services.identity.domain.attempts import NewLink, PendingStep
from services.identity.domain.lockout import SessionCheck, ShadowPolicy
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import (
    InMaintenance,
    KeyNamesAnotherCreation,
    LoginIdTaken,
    MissingContact,
    NotFound,
)
from services.identity.domain.session_lists import Listed
from services.identity.domain.sessions import Session, expiry_hour, session_key, session_ref
from services.identity.domain.users import NewUser, PasswordNotice, User
from services.identity.store import IdentityStore
from services.identity.usecases import challenges, passwords

#: Namespace for ids derived from a client's Idempotency-Key, so a retried request names the
#: same organisation or user instead of creating a second one.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0d6f4e-6a53-4c47-9b51-2f7e0c1d9a11")


P = ParamSpec("P")
R = TypeVar("R")


def existing(rule: Callable[Concatenate[User, P], R]) -> Callable[Concatenate[User | None, P], R]:
    """A rule about a user who must exist (a session's own user, a token's owner)."""

    def decide(user: User | None, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if user is None:
            raise NotFound()
        return rule(user, *args, **kwargs)

    return decide


def new_id(scope: str, idempotency_key: str | None) -> str:
    """A new aggregate id, or the one a retried request with the same key named."""
    if idempotency_key:
        return uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{scope}:{idempotency_key}").hex
    return uuid.uuid4().hex


def actor_of(session: Session) -> Actor:
    """Who acts, as events name them (ID-LOCK-04): the session's role and user."""
    return Actor(kind=ActorKind(session.role.value), id=session.user_id)


@dataclass(frozen=True)
class Client:
    """Where a request came from (its address as the trusted proxies tell it, X-18), for the
    records of what it did."""

    ip: str | None = None
    user_agent: str | None = None

    def checking(self, purpose: PasswordCheckPurpose, token: str) -> SessionCheck:
        """This client's session ``token`` checking its current password for ``purpose``."""
        return SessionCheck(purpose, session_ref(token), self.ip, self.user_agent)


UNKNOWN_CLIENT = Client()
"""A caller whose address and browser nobody told (a test, a command line)."""


@dataclass(frozen=True)
class Created:
    """A created user as the API answers it."""

    user_id: str
    login_id: str
    initial_password: str | None
    """Answered once, when no mail carries it (ID-PW-03)."""
    pending: bool = False
    """An ID request waiting for support's approval (ID-USER-10)."""


class Context:
    def __init__(
        self,
        store: IdentityStore,
        clock: Clock,
        *,
        notify_public_key: str = "",
        maintenance: frozenset[str] = frozenset(),
        shadow_key: bytes = b"",
        shadows: ShadowPolicy,
    ) -> None:
        self.store = store
        self.clock = clock
        self.notify_public_key = notify_public_key
        """Secrets that notify must mail are sealed to this key (X-02)."""
        self.maintenance = maintenance
        self.shadow_key = shadow_key
        self.shadows = shadows
        self.otp_key = b""
        """Keys the hash of every OTP (X-02); set from the settings or the database at start."""
        self.challenge_secret = b""
        """Keys client-address digests and, derived, the bot-defence challenges (ID-BOT)."""
        self.challenge_keys = challenges.Keys.derived_from(b"")

    def use_challenge_secret(self, secret: bytes) -> None:
        self.challenge_secret = secret
        self.challenge_keys = challenges.Keys.derived_from(secret)

    def refuse_in_maintenance(self, realm: RealmPolicy) -> None:
        if realm.name in self.maintenance:  # REALM-03
            raise InMaintenance()

    def _notify_key(self) -> str:
        """Refused before anything is claimed when no notify key is configured, since nobody
        could mail what is sealed."""
        if not self.notify_public_key:
            raise MissingContact("メール送信の設定（NOTIFY_PUBLIC_KEY）がありません")
        return self.notify_public_key

    def sealed(self, secret: str) -> SealedSecret:
        """A secret only notify can open (X-02)."""
        return seal(secret, self._notify_key())

    def new_link(self, path: str) -> tuple[str, NewLink]:
        """A one-time link's token (256 random bits, X-11) and the link sealed for notify: the
        page at ``path`` (below the realm's portal URL) with the token as its query."""
        token = tokens.new_token()
        return token, NewLink(tokens.digest(token), self.sealed(f"{path}?token={token}"))

    def mailed(
        self, route: InitialPasswordRoute, recipient: str, attachment_password: str | None = None
    ) -> Callable[[str], PasswordNotice]:
        """A password notice that travels sealed, only to notify (X-02); with an
        ``attachment_password`` (NT-06) that is sealed too, since it opens the notice."""
        key = self._notify_key()
        attachment = seal(attachment_password, key) if attachment_password else None
        return lambda password: PasswordNotice(
            route=route,
            recipient_email=recipient,
            sealed_password=seal(password, key),
            attachment_password=attachment,
        )

    async def claim_login_id(
        self,
        realm: RealmPolicy,
        login_id: str,
        user_id: str,
        role: Role,
        org_id: str | None = None,
    ) -> None:
        """Login IDs are unique in a realm (a unique fact, X-13); a retry by the same user is
        fine. The claim is settled by ``create`` once the user exists. It records the user's
        ``role``, by which the support console lists the realm's staff."""
        if not await self.store.login_ids.claim(realm.name, login_id, user_id, org_id, role):
            raise LoginIdTaken()

    async def create(
        self,
        realm: RealmPolicy,
        new_user: Callable[[str, str], NewUser],
        notice: Callable[[str], PasswordNotice] | None = None,
    ) -> tuple[bool, str]:
        """Commit a new user with a fresh initial password (ID-PW-03) and settle its login ID's
        claim. ``new_user`` builds the command from the password's hash and the correlation id.
        Answers whether it is new, and the password (to be answered once when no notice carries
        it). Creating the same user again commits nothing."""
        initial_password = passwords.generate_password()
        cmd = new_user(await passwords.hash_password(initial_password), current_correlation_id())
        if notice is not None:
            cmd = replace(cmd, delivery=notice(initial_password))
        now = self.clock.now()
        try:
            created = await self.store.users.update(
                users.user_aggregate_id(realm.name, cmd.user_id),
                lambda current: users.create_user(current, cmd, now),
            )
        except KeyNamesAnotherCreation:
            # the claim this request just made for its login ID is nobody's: free it at once,
            # or the ID would stay taken by a user that never had it
            await self.store.login_ids.release(realm.name, cmd.login_id, cmd.user_id)
            raise
        await self.store.login_ids.settle(realm.name, cmd.login_id, cmd.user_id)
        return created, initial_password

    async def credential_changed(
        self,
        realm: RealmPolicy,
        user_id: str,
        rotated: str | None = None,
        session: Session | None = None,
        changed_at: datetime | None = None,
    ) -> None:
        """ID-SESS-03: every session of the user ends at once; the one that made the change
        (``session``, if any) goes on under the new token ``rotated``. It keeps its absolute
        end and what it had proved (an OTP), less the password step it has just done, and it
        counts as begun when the change was decided (``changed_at``): a later change made
        elsewhere ends it then, through the session reaper, even if its own ending at once ran
        before this session was started. The user's latest version lists the sessions that
        end; the one going on is listed in a commit of its own first (decision 0020)."""
        aggregate_id = users.user_aggregate_id(realm.name, user_id)
        if rotated is None or session is None:
            user = await self.store.users.get(aggregate_id)
            await self.store.sessions.end_all(user_id, () if user is None else user.sessions)
            return
        now = self.clock.now()
        steps = tuple(s for s in session.pending_steps if s != PendingStep.PASSWORD_CHANGE)
        begun = changed_at or now
        went_on = replace(session, created_at=begun, last_seen_at=now, pending_steps=steps)
        goes_on = Listed(session_key(rotated), expiry_hour(went_on.expires_at), begun)
        listed = await self.store.users.update(
            aggregate_id, partial(session_lists.listing, new=goes_on, now=now)
        )
        await self.store.sessions.start(rotated, went_on)
        await self.store.sessions.end_all(user_id, listed, keep_ref=session_ref(rotated))

    async def user(self, realm: RealmPolicy, user_id: str) -> User | None:
        return await self.store.users.get(users.user_aggregate_id(realm.name, user_id))

    async def email_of(self, realm: RealmPolicy, user_id: str) -> str:
        user = await self.user(realm, user_id)
        if user is None or user.registered_email is None:
            raise MissingContact("管理者のメールアドレスが登録されていません")
        return user.registered_email
