"""Business-ID requests (ID-USER-10, `dantai-net`, seed 000 Q4): the admin's own requests, the
requests waiting for the support desk across the realm, and the desk's refusal. The request
itself is the admin's ``Users.create_business_user`` where the realm asks for requests, and the
approval is ``Users.approve_id_request``: both doors (the API and the console) call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from servicekit.logs import current_correlation_id, get_logger
from services.identity.domain import authz, organisations
from services.identity.domain.organisations import IdRequest, Organisation
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.usecases.context import Context, actor_of
from services.identity.usecases.organisations import Organisations

log = get_logger(__name__)


@dataclass(frozen=True)
class WaitingRequest:
    """A request as the support desk sees it: with the organisation that asked."""

    org_id: str
    org_name: str
    admin_login_id: str
    request: IdRequest


@dataclass(frozen=True)
class OrganisationRequests:
    """An organisation's requests as its admin sees them, and how many IDs it may still ask
    for (``None``: no limit)."""

    organisation: Organisation
    left: int | None


class IdRequests:
    def __init__(self, context: Context, organisations: Organisations) -> None:
        self.context = context
        self.store = context.store
        self.organisations = organisations

    async def of_organisation(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str
    ) -> OrganisationRequests:
        """The organisation's requests waiting for approval (its admin, or support)."""
        if not realm.business_id_requests:
            raise NotFound()
        authz.read_users_of(caller, realm, org_id)
        org = await self.organisations.read(realm, org_id)
        limit = realm.business_user_limit
        left = None if limit is None else max(0, limit - len(org.business_user_ids))
        return OrganisationRequests(org, left)

    async def waiting(self, realm: RealmPolicy, caller: authz.Caller) -> list[WaitingRequest]:
        """Every request of the realm waiting for the support desk, oldest first."""
        authz.support_desk(caller, realm)
        if not realm.business_id_requests:
            raise NotFound()
        found: list[WaitingRequest] = []
        for org_id in sorted(await self.store.login_ids.organisations_holding_ids(realm.name)):
            try:
                org = await self.organisations.read(realm, org_id)
            except NotFound:
                continue
            found.extend(
                WaitingRequest(org.org_id, org.name, org.admin_login_id, r) for r in org.id_requests
            )
        return sorted(found, key=lambda w: (w.request.requested_at, w.request.login_id))

    async def waiting_one(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, user_id: str
    ) -> WaitingRequest:
        """One waiting request, for the desk's confirmation step."""
        authz.support_desk(caller, realm)
        if not realm.business_id_requests:
            raise NotFound()
        org = await self.organisations.read(realm, org_id)
        request = org.request_for(user_id)
        if request is None:
            raise NotFound()
        return WaitingRequest(org.org_id, org.name, org.admin_login_id, request)

    async def refuse(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        org_id: str,
        user_id: str,
        note: str | None = None,
    ) -> str:
        """The support desk refuses a request: the request goes with its slot, announced by
        ``BusinessIdRequestRefused``, and its login ID is free again. Answers that login ID.

        The claim on the login ID goes back to the reaper first (``unsettle``), so a crash on
        the way leaves nothing held: before the commit the reaper finds the request and settles
        the claim again; after it, it finds neither user nor request and frees the ID."""
        support = authz.support_desk(caller, realm)
        if not realm.business_id_requests:
            raise NotFound()
        org = await self.organisations.read(realm, org_id)
        request = org.request_for(user_id)
        if request is None:
            raise NotFound()
        await self.store.login_ids.unsettle(realm.name, request.login_id, user_id)
        login_id = await self.organisations.change(
            realm,
            org_id,
            partial(
                organisations.refuse_id_request,
                user_id=user_id,
                actor=actor_of(support),
                note=note,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )
        if login_id is None:  # approved or refused meanwhile: the reaper settles what is live
            raise NotFound()
        if await self.context.user(realm, user_id) is None:  # an approval racing this one
            await self.store.login_ids.release(realm.name, login_id, user_id)
        log.info("business ID request refused", realm=realm.name, org_id=org_id)
        return login_id
