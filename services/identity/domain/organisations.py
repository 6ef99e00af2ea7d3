"""The organisation aggregate (団体/法人): its admin, its business users and their limit.

An organisation is opened in its admin's first commit (the admin's :class:`~.users.Charter`),
so opening one is a single commit that cannot leave an organisation without its admin or an
admin without its organisation (ID-USER-01). The organisation's own aggregate starts with the
first change that is the organisation's alone, a business-user reservation; until then it is
read from the charter (:func:`opened_by`). The admin's user id is derived from the
organisation's, which is how the charter is found.

The realm's limit on business users holds under parallel requests because the reservation is
a new version of the organisation (X-13).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from contracts import Actor, ActorKind
from contracts.common import UserProfile
from contracts.identity import BusinessIdRequested, BusinessIdRequestRefused, OrgContact
from domainkit.decision import Decision, envelope
from services.identity.domain.refusals import BusinessUserLimitReached
from services.identity.domain.users import User

_ADMIN_OF = uuid.UUID("0f3d5a0e-8a54-4d3b-9a51-6c2b7e5d1f20")


def org_aggregate_id(realm: str, org_id: str) -> str:
    return f"org:{realm}:{org_id}"


def admin_user_id(org_id: str) -> str:
    """The one admin of an organisation (ID-USER-01), derived from the organisation's id."""
    return uuid.uuid5(_ADMIN_OF, org_id).hex


@dataclass(frozen=True)
class IdRequest:
    """An admin's request for a business ID, awaiting support's approval (ID-USER-10)."""

    user_id: str
    login_id: str
    profile: UserProfile
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class Organisation:
    realm: str
    org_id: str
    name: str
    created_at: datetime
    admin_user_id: str
    admin_login_id: str
    business_user_ids: tuple[str, ...] = ()
    """Business users, and IDs requested or being created: each holds a slot of the limit."""
    id_requests: tuple[IdRequest, ...] = ()
    otp_enabled: bool = False
    """ワンタイムパスワード利用 (ID-OTP-01): every user of it needs an OTP for protected
    operations; only its admin switches it."""
    contact: OrgContact | None = None
    """団体情報 (ID-USER-11): where its password notices go (NT-06), once its admin set it;
    ``None`` before, when the admin's own profile stands in (:mod:`.org_contact`)."""

    def request_for(self, user_id: str) -> IdRequest | None:
        return next((r for r in self.id_requests if r.user_id == user_id), None)


def opened_by(admin: User) -> Organisation | None:
    """The organisation as its admin's creation opened it, or ``None`` for any other user."""
    if admin.charter is None or admin.org_id is None:
        return None
    return Organisation(
        realm=admin.realm,
        org_id=admin.org_id,
        name=admin.charter.org_name,
        created_at=admin.charter.opened_at,
        admin_user_id=admin.user_id,
        admin_login_id=admin.login_id,
    )


def reserve_business_user(
    org: Organisation,
    user_id: str,
    limit: int | None,
    request: IdRequest | None = None,
    correlation_id: str = "",
) -> Decision[Organisation, bool]:
    """Hold a slot for ``user_id`` within the realm's limit (ID-USER-01); with a ``request``
    (ID-USER-10) the slot is held by a request awaiting support's approval, announced by
    ``BusinessIdRequested``."""
    if user_id in org.business_user_ids:
        return Decision.nothing(True)  # a retry of the same creation
    if limit is not None and len(org.business_user_ids) >= limit:
        raise BusinessUserLimitReached()
    if request is None:
        new = replace(org, business_user_ids=(*org.business_user_ids, user_id))
        return Decision.commit(True, new)
    new = replace(
        org,
        business_user_ids=(*org.business_user_ids, user_id),
        id_requests=(*org.id_requests, request),
    )
    asked = BusinessIdRequested(
        **envelope(
            org.realm,
            org.org_id,
            user_id,
            Actor(kind=ActorKind.ADMIN, id=request.requested_by),
            correlation_id,
            request.requested_at,
        ),
        login_id=request.login_id,
    )
    return Decision.commit(True, new, asked)


def close_id_request(org: Organisation, user_id: str) -> Decision[Organisation, bool]:
    """The support desk approved the request: the user exists now."""
    if org.request_for(user_id) is None:
        return Decision.nothing(False)
    rest = tuple(r for r in org.id_requests if r.user_id != user_id)
    return Decision.commit(True, replace(org, id_requests=rest))


def refuse_id_request(
    org: Organisation,
    user_id: str,
    actor: Actor,
    note: str | None,
    correlation_id: str,
    now: datetime,
) -> Decision[Organisation, str | None]:
    """The support desk refused the request (ID-USER-10): the request and its slot go, and
    ``BusinessIdRequestRefused`` says who and why. Answers the login ID the request held (to
    be released), or ``None`` when there is no such request (refused or approved already)."""
    request = org.request_for(user_id)
    if request is None:
        return Decision.nothing(None)
    new = replace(
        org,
        id_requests=tuple(r for r in org.id_requests if r.user_id != user_id),
        business_user_ids=tuple(u for u in org.business_user_ids if u != user_id),
    )
    refused = BusinessIdRequestRefused(
        **envelope(org.realm, org.org_id, user_id, actor, correlation_id, now),
        login_id=request.login_id,
        note=note or None,
    )
    return Decision.commit(request.login_id, new, refused)


def free_slot(org: Organisation, user_id: str) -> Decision[Organisation, bool]:
    """Give back the slot of a creation that never finished (a crash between the reservation
    and the user's commit): the claim reaper's half of making creation all-or-nothing."""
    if user_id not in org.business_user_ids or org.request_for(user_id) is not None:
        return Decision.nothing(False)
    rest = tuple(u for u in org.business_user_ids if u != user_id)
    return Decision.commit(True, replace(org, business_user_ids=rest))
