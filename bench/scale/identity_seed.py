"""Identity's data as years of use leave it, written in bulk through identity's own mapping.

Who is who follows from a user's number alone, so growing from one step to the next writes only
the users ``[done, target)`` and never rereads what is stored:

- six users in ten are an organisation's: the ``m``-th of them sits on seat ``m // orgs`` of
  organisation ``m % orgs`` (seat 0 is its admin, whose charter opens it; the others are business
  users), in the realm the organisation's number gives (``dantai-net``, ``kihonet``, ``nexi``,
  ``demo``). A seat beyond the realm's business-user limit (``dantai-net``: 3) is a member instead;
- the other four are individual members of ``mypage`` and ``kencom``.

Each user is version 1 of its aggregate (a commit without events, whose events were relayed long
ago, and its head hint), its login ID's claim (settled, as after creation) and, for an admin,
its organisation's directory entry. An organisation with business users gets a new version of
its own aggregate each step, listing them (as the reservations would have left it). Every user
has the same password, hashed once at the service's argon2id parameters: seeding hashes
nothing. Session ``s`` belongs to user ``s % users`` and its token follows from ``s``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts.common import Role, UserProfile
from contracts.identity import UserStatus
from contracts.permissions import Permissions
from servicekit.store import commit_id
from services.identity.domain.organisations import (
    Organisation,
    admin_user_id,
    org_aggregate_id,
)
from services.identity.domain.realms import PRESETS
from services.identity.domain.session_lists import Listed
from services.identity.domain.sessions import Session, expiry_hour, session_key
from services.identity.domain.users import Charter, User, login_id_fact, user_aggregate_id
from services.identity.store.documents import (
    organisation_to_document,
    session_to_document,
    user_to_document,
)
from services.identity.store.sessions import HOURS

Document = dict[str, Any]

PASSWORD = "Scale-Pass-2026"
ORG_REALMS = ("dantai-net", "kihonet", "nexi", "demo")
MEMBER_REALMS = ("mypage", "kencom")
CHUNK = 1000
_SEED = uuid.UUID("5ca1ab1e-0000-4000-8000-00000000beef")
RIDERS = Permissions.model_validate(
    {
        "input_right": "input",
        "contract_scope": "riders",
        "rider_codes": ["999999901", "999999902"],
        "application_scope": "own",
    }
)
"""bench/authz's applicant: every seeded business user of a realm with the matrix holds it."""


@dataclass(frozen=True)
class SeedUser:
    """Who user number ``index`` is."""

    index: int
    user_id: str
    realm: str
    org: int | None
    """The organisation's number, for an organisation's user."""
    login_id: str
    role: Role

    @property
    def org_id(self) -> str | None:
        return None if self.org is None else org_id(self.org)

    @property
    def aggregate_id(self) -> str:
        return user_aggregate_id(self.realm, self.user_id)


def org_id(org: int) -> str:
    return uuid.uuid5(_SEED, f"org-{org}").hex


def org_realm(org: int) -> str:
    return ORG_REALMS[org % len(ORG_REALMS)]


def _org_login_id(realm: str, m: int, admin: bool) -> str:
    """A login ID in the realm's format (ID-USER-02), unique by the org user's number ``m``."""
    if realm == "dantai-net":
        return f"{'XA3' if admin else 'XA5'}{m:010d}"
    if realm == "kihonet":
        return f"KH{m:09d}" if admin else _base36(m, 7)
    if realm == "nexi":
        return f"{m:011d}"
    return f"demo{m:09d}"


def _base36(n: int, width: int) -> str:
    digits = ""
    while n:
        n, d = divmod(n, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[d] + digits
    return digits.rjust(width, "0")


def seeded_user(index: int, orgs: int) -> SeedUser:
    block, within = divmod(index, 10)
    if within < 6:
        m = block * 6 + within
        seat, org = divmod(m, orgs)
        realm = org_realm(org)
        limit = PRESETS[realm].business_user_limit
        if limit is None or seat <= limit:
            user_id = admin_user_id(org_id(org)) if seat == 0 else _user_id(index)
            role = Role.ADMIN if seat == 0 else Role.BUSINESS
            return SeedUser(index, user_id, realm, org, _org_login_id(realm, m, seat == 0), role)
    realm = MEMBER_REALMS[index % 2]
    login_id = f"m{index:09d}@example.jp" if realm == "kencom" else f"mypage{index:09d}"
    return SeedUser(index, _user_id(index), realm, None, login_id, Role.MEMBER)


def admin_of(org: int, orgs: int) -> SeedUser:
    """The organisation's admin: org user number ``org`` (seat 0)."""
    block, within = divmod(org, 6)
    return seeded_user(block * 10 + within, orgs)


def _user_id(index: int) -> str:
    return uuid.uuid5(_SEED, f"user-{index}").hex


def user_state(who: SeedUser, password_hash: str, at: datetime) -> User:
    """A user some years in: the initial password long changed, logged in yesterday."""
    return User(
        user_id=who.user_id,
        realm=who.realm,
        org_id=who.org_id,
        login_id=who.login_id,
        role=who.role,
        status=UserStatus.ACTIVE,
        profile=UserProfile(name=f"利用者{who.index}", email=f"u{who.index}@example.jp"),
        password_hash=password_hash,
        initial_password_hash=password_hash,
        must_change_password=False,
        last_login_at=at - timedelta(days=1),
        charter=Charter(f"団体{who.org}", at - timedelta(days=900))
        if who.role is Role.ADMIN
        else None,
        permissions=RIDERS
        if who.role is Role.BUSINESS and PRESETS[who.realm].permission_matrix
        else None,
    )


def first_commit(aggregate_id: str, state: Document, at: datetime, version: int = 1) -> Document:
    """A commit as ``VersionedStore.append`` writes it, its events long relayed."""
    return {
        "_id": commit_id(aggregate_id, version),
        "aggregate_id": aggregate_id,
        "version": version,
        "state": state,
        "events": [],
        "committed_at": at,
        "marker": None,
    }


def claim(who: SeedUser, at: datetime) -> Document:
    """The login ID's claim as ``LoginIds.claim`` and ``settle`` leave it."""
    return {
        "_id": login_id_fact(who.realm, who.login_id),
        "owner": who.user_id,
        "claimed_at": at,
        "realm": who.realm,
        "login_id": who.login_id,
        "org_id": who.org_id if who.role is Role.BUSINESS else None,
        "role": who.role.value,
        "settled": True,
    }


def directory_entry(who: SeedUser, at: datetime) -> Document:
    return {
        "_id": f"{who.realm}:{who.org_id}",
        "realm": who.realm,
        "org_id": who.org_id,
        "name": f"団体{who.org}",
        "admin_login_id": who.login_id,
        "opened_at": at,
    }


def session_token(name: str, expires_at: datetime) -> str:
    """A deterministic bearer token shaped like ``new_session_token``'s (its hour, a dot and 43
    URL-safe characters)."""
    digest = hashlib.sha256(f"scale-session-{name}".encode()).digest()
    return f"{expiry_hour(expires_at)}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def seeded_session(s: int, users: int, orgs: int, at: datetime) -> tuple[str, Session]:
    """Session ``s``: of user ``s % users``, begun within the ten minutes before ``at``."""
    return seeded_session_of(seeded_user(s % users, orgs), s, at)


def seeded_session_of(who: SeedUser, s: int, at: datetime) -> tuple[str, Session]:
    session = session_of(who, at - timedelta(seconds=s % 600))
    return session_token(str(s), session.expires_at), session


def session_of(who: SeedUser, at: datetime, lifetime: timedelta = timedelta(hours=12)) -> Session:
    """A session begun at ``at``, as the login would start it (no steps pending)."""
    policy = PRESETS[who.realm]
    return Session(
        user_id=who.user_id,
        realm=who.realm,
        org_id=who.org_id,
        role=who.role,
        login_id=who.login_id,
        otp_verified=False,
        previous_login_at=at - timedelta(days=1),
        created_at=at,
        last_seen_at=at,
        expires_at=at + lifetime,
        idle_timeout=policy.idle_timeout,
    )


def session_document(token: str, session: Session) -> Document:
    return session_to_document(session_key(token), session)


class IdentitySeed:
    """Writes users, organisations and sessions up to the sizes asked, from where it stopped."""

    def __init__(self, db: AsyncDatabase[Document], password_hash: str, at: datetime) -> None:
        self.db = db
        self.password_hash = password_hash
        self.at = at
        """The run's one moment: every seeded stamp is relative to it (the purge's ``now``)."""
        self.users = 0
        self.sessions = 0
        self.business: dict[int, list[str]] = {}
        """Each organisation's business users so far, and (below) its aggregate's version."""
        self.org_versions: dict[int, int] = {}

    async def grow_users(self, target: int, orgs: int, sessions: int) -> None:
        """Users up to ``target``; user ``i`` lists session ``i`` if there are that many."""
        touched: set[int] = set()
        for low in range(self.users, target, CHUNK):
            people = [seeded_user(i, orgs) for i in range(low, min(low + CHUNK, target))]
            await self._write_users(people, sessions)
            for who in people:
                if who.role is Role.BUSINESS and who.org is not None:
                    self.business.setdefault(who.org, []).append(who.user_id)
                    touched.add(who.org)
        self.users = max(self.users, target)
        await self._write_organisations(sorted(touched), orgs)

    async def _write_users(self, people: Sequence[SeedUser], sessions: int) -> None:
        commits = [
            first_commit(
                w.aggregate_id,
                user_to_document(self._user_state(w, sessions)),
                self.at,
            )
            for w in people
        ]
        await self.db["commits"].insert_many(commits, ordered=False)
        heads = [{"_id": w.aggregate_id, "version": 1} for w in people]
        await self.db["commit_heads"].insert_many(heads, ordered=False)
        await self.db["login_ids"].insert_many([claim(w, self.at) for w in people], ordered=False)
        admins = [directory_entry(w, self.at) for w in people if w.role is Role.ADMIN]
        if admins:
            await self.db["org_directory"].insert_many(admins, ordered=False)

    def _user_state(self, who: SeedUser, sessions: int) -> User:
        """The user, with its seeded session listed (decision 0020)."""
        state = user_state(who, self.password_hash, self.at)
        if who.index >= sessions:
            return state
        token, session = seeded_session_of(who, who.index, self.at)
        listed = Listed(session_key(token), expiry_hour(session.expires_at), session.created_at)
        return state.but(sessions=(listed,))

    async def _write_organisations(self, orgs_touched: Sequence[int], orgs: int) -> None:
        """The next version of each organisation that got business users this step."""
        for low in range(0, len(orgs_touched), CHUNK):
            chunk = orgs_touched[low : low + CHUNK]
            commits, heads = [], []
            for org in chunk:
                version = self.org_versions.get(org, 0) + 1
                self.org_versions[org] = version
                admin = admin_of(org, orgs)
                state = Organisation(
                    realm=admin.realm,
                    org_id=org_id(org),
                    name=f"団体{org}",
                    created_at=self.at - timedelta(days=900),
                    admin_user_id=admin.user_id,
                    admin_login_id=admin.login_id,
                    business_user_ids=tuple(self.business[org]),
                )
                aggregate = org_aggregate_id(admin.realm, org_id(org))
                commits.append(
                    first_commit(aggregate, organisation_to_document(state), self.at, version)
                )
                heads.append(
                    UpdateOne({"_id": aggregate}, {"$max": {"version": version}}, upsert=True)
                )
            await self.db["commits"].insert_many(commits, ordered=False)
            await self.db["commit_heads"].bulk_write(heads, ordered=False)

    async def grow_sessions(self, target: int, users: int, orgs: int) -> None:
        """Sessions ``s`` up to ``target`` (``seeded_session``: one a user, as the sizes have
        it), each in its hour's collection; ``grow_users`` listed each in its user's state."""
        if target > users:
            raise ValueError("each seeded user holds one session at most: --sessions ≤ --users")
        for low in range(self.sessions, target, CHUNK):
            hours: dict[str, list[Document]] = {}
            for s in range(low, min(low + CHUNK, target)):
                token, session = seeded_session(s, users, orgs, self.at)
                hour = expiry_hour(session.expires_at)
                hours.setdefault(hour, []).append(session_document(token, session))
            for hour, docs in hours.items():
                await self.db[HOURS + hour].insert_many(docs, ordered=False)
        self.sessions = max(self.sessions, target)
