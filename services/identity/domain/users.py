"""The user aggregate (利用者) and its creation.

Every kind of user is one aggregate, told apart by ``role``: an organisation's one admin
(管理用ID), its business users (業務用ID), individual members (My Page, kencom), realm support
staff (サポートデスク) and group-wide readers (全社閲覧用ID). An admin's first version also opens
its organisation (:class:`Charter`): the two are created together, in one commit (ID-USER-01).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from contracts import Actor, ActorKind, InitialPasswordIssued, SealedSecret, UserCreated
from contracts.common import Role, UserProfile
from contracts.identity import InitialPasswordRoute, UserStatus
from contracts.permissions import Permissions
from domainkit.decision import Decision, envelope
from services.identity.domain.realms import realm_policy
from services.identity.domain.refusals import KeyNamesAnotherCreation
from services.identity.domain.session_lists import Listed


def user_aggregate_id(realm: str, user_id: str) -> str:
    return f"user:{realm}:{user_id}"


def login_id_fact(realm: str, login_id: str) -> str:
    """Login IDs are unique within a realm, compared exactly (X-06); where the realm says so,
    unique ignoring case (kencom, ID-USER-02), while a login still compares them exactly."""
    policy = realm_policy(realm)
    folded = policy is not None and policy.login_ids_ignore_case
    return f"login:{realm}:{login_id.lower() if folded else login_id}"


@dataclass(frozen=True)
class TemporaryPassword:
    """A self-service temporary password (ID-PW-05), kept beside the real one until used."""

    secret_hash: str
    """A keyed fast hash of the 96-bit random password, as link tokens are kept (X-11): the
    login checks it at no cost, so a wrong password costs the same with or without one."""
    expires_at: datetime


@dataclass(frozen=True)
class EmailChange:
    """A requested change of the registered e-mail, waiting for its link (ID-EMAIL-01)."""

    token_hash: str
    new_email: str
    expires_at: datetime


@dataclass(frozen=True)
class PasswordReset:
    """The reset link last mailed (ID-PW-08): only its token's SHA-256, until used or expired."""

    token_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class AuthEmail:
    """メール認証用アドレス (ID-MAIL-01): provisional until its 60-minute link is followed."""

    address: str
    confirmed: bool
    token_hash: str | None = None
    """The confirmation link's token, while provisional."""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PendingLogin:
    """A login waiting at its last steps (the waiting screen), known by its session's ref."""

    session_ref: str
    started_at: datetime


@dataclass(frozen=True)
class LoginLink:
    """メール認証用リンク (ID-MAIL-02): the last one mailed, bound to one pending login."""

    token_hash: str
    session_ref: str
    mailed_at: datetime
    expires_at: datetime
    confirmed: bool = False


@dataclass(frozen=True)
class OtpCode:
    """The one-time password last mailed (ID-OTP-02), bound to the session that asked for it.

    Only a keyed hash of the code is kept (X-02): six digits are a million guesses, so a plain
    hash would fall to anyone holding a copy of the database; the key is not in the document."""

    code_hash: str
    nonce: str
    """Random per code, hashed with it, so one code never hashes alike twice."""
    session_ref: str
    issued_at: datetime
    expires_at: datetime
    wrong_entries: int = 0


@dataclass(frozen=True)
class Charter:
    """What an admin's creation says of the organisation opened with it (団体名, when)."""

    org_name: str
    opened_at: datetime


@dataclass(frozen=True)
class User:
    user_id: str
    realm: str
    org_id: str | None
    login_id: str
    role: Role
    status: UserStatus
    profile: UserProfile
    password_hash: str
    initial_password_hash: str
    """Kept so that *initialise* (ID-PW-06) can return to it (ID-PW-03)."""
    must_change_password: bool = True
    password_is_temporary: bool = False
    """The password in force is a consumed temporary one: it only serves the forced change."""
    password_hint: str | None = None
    failures: int = 0
    """Consecutive wrong passwords (ID-LOCK-01)."""
    locked: bool = False
    refused_while_locked: int = 0
    last_login_at: datetime | None = None
    readable_org_ids: tuple[str, ...] = ()
    """A group-wide reader's organisations (ID-USER-09)."""
    temporary_password: TemporaryPassword | None = None
    temporary_issued: tuple[datetime, ...] = ()
    """When temporary passwords were mailed within the last hour: three at most (ID-PW-05)."""
    email_change: EmailChange | None = None
    password_reset: PasswordReset | None = None
    reset_issued: tuple[datetime, ...] = ()
    """When reset links were mailed within the last hour: three at most (ID-PW-08)."""
    charter: Charter | None = None
    browser_binding: str | None = None
    """The SHA-256 of the registered browser's binding cookie (ID-BIND-01)."""
    auth_email: AuthEmail | None = None
    pending_login: PendingLogin | None = None
    login_link: LoginLink | None = None
    permissions: Permissions | None = None
    """A business user's permission matrix where the realm has one (ID-PERM-01)."""
    otp_code: OtpCode | None = None
    otp_issued: tuple[datetime, ...] = ()
    """When codes were mailed within the last hour: a limit on mails and on guesses."""
    sessions: tuple[Listed, ...] = ()
    """The user's sessions, oldest first, so that ending them all needs no search
    (``session_lists``, decision 0020)."""

    @property
    def active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    @property
    def registered_email(self) -> str | None:
        """Where a user's own mail goes: the profile's e-mail, if there is one."""
        return self.profile.email

    @property
    def as_actor(self) -> Actor:
        return Actor(kind=ActorKind.USER, id=self.user_id)

    def envelope(self, actor: Actor, correlation_id: str, now: datetime) -> dict[str, Any]:
        return envelope(self.realm, self.org_id, self.user_id, actor, correlation_id, now)

    def but(self, **changes: Any) -> User:
        """This user with ``changes``: the next version a decision commits."""
        return replace(self, **changes)


@dataclass(frozen=True)
class PasswordNotice:
    """The password-notice mail (ID-PW-03, NT-06): to whom, sealed for notify."""

    route: InitialPasswordRoute
    recipient_email: str
    sealed_password: SealedSecret
    attachment_password: SealedSecret | None = None


@dataclass(frozen=True)
class NewUser:
    realm: str
    org_id: str | None
    user_id: str
    login_id: str
    role: Role
    profile: UserProfile
    password_hash: str
    actor: Actor
    correlation_id: str
    readable_org_ids: tuple[str, ...] = ()
    delivery: PasswordNotice | None = None
    """How the initial password reaches the user; ``None``: answered once by the API."""
    charter: Charter | None = None
    """An admin opens its organisation with this (ID-USER-01)."""
    permissions: Permissions | None = None
    """A business user's permissions where the realm has the matrix (ID-PERM-01)."""


def create_user(current: User | None, cmd: NewUser, now: datetime) -> Decision[User, bool]:
    """A user with an initial password that must be changed at the first login (ID-PW-03).

    Answers whether it is new: creating the same user again changes nothing. A retry whose
    key named a user of another login ID is refused: it is another request under a reused key.
    """
    if current is not None:
        if current.login_id != cmd.login_id:
            raise KeyNamesAnotherCreation("Idempotency-Key は別の内容の作成に使われています")
        return Decision.nothing(False)
    user = User(
        user_id=cmd.user_id,
        realm=cmd.realm,
        org_id=cmd.org_id,
        login_id=cmd.login_id,
        role=cmd.role,
        status=UserStatus.ACTIVE,
        profile=cmd.profile,
        password_hash=cmd.password_hash,
        initial_password_hash=cmd.password_hash,
        readable_org_ids=cmd.readable_org_ids,
        charter=cmd.charter,
        permissions=cmd.permissions,
    )
    fields = user.envelope(cmd.actor, cmd.correlation_id, now)
    created = UserCreated(
        **fields,
        login_id=cmd.login_id,
        role=cmd.role,
        profile=cmd.profile,
        permissions=cmd.permissions,
    )
    return Decision.commit(True, user, created, _initial_password_issued(fields, cmd))


def _initial_password_issued(fields: dict[str, Any], cmd: NewUser) -> InitialPasswordIssued:
    if cmd.delivery is None:  # answered once by the API: nothing secret on the bus
        return InitialPasswordIssued(
            **fields, login_id=cmd.login_id, route=InitialPasswordRoute.OUT_OF_BAND
        )
    return InitialPasswordIssued(
        **fields,
        login_id=cmd.login_id,
        route=cmd.delivery.route,
        recipient_email=cmd.delivery.recipient_email,
        sealed_password=cmd.delivery.sealed_password,
        attachment_password=cmd.delivery.attachment_password,
    )
