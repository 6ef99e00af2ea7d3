"""kencom's bot defence (ID-BOT-01..03): the challenge a browser solves before it logs in, and
the realm's trusted networks, kept by its support desk."""

from fastapi import APIRouter, Response

from contracts.identity import TrustedNetworkEntry
from services.identity.api.access_schemas import (
    ChallengeOut,
    TrustedAddressesIn,
    TrustedAddressesOut,
)
from services.identity.api.deps import Caller, ClientAddress, IdentityDep, Realm

router = APIRouter(prefix="/v1/realms/{realm}", tags=["login"])


@router.get(
    "/login/challenge",
    summary="A proof-of-work challenge for the login form (ALTCHA), as hard as this client "
    "address has earned (ID-BOT-01, -02)",
)
async def login_challenge(
    response: Response, policy: Realm, address: ClientAddress, identity: IdentityDep
) -> ChallengeOut:
    challenge = await identity.bot_defence.challenge(policy, address)
    response.headers["Cache-Control"] = "no-store"
    return ChallengeOut.model_validate(challenge)


@router.get(
    "/trusted-addresses",
    summary="The networks whose logins skip the challenge until their failure limit (ID-BOT-03)",
)
async def trusted_addresses(
    policy: Realm, caller: Caller, identity: IdentityDep
) -> TrustedAddressesOut:
    found = await identity.bot_defence.trusted(policy, caller)
    return TrustedAddressesOut(entries=list(found.entries))


@router.put(
    "/trusted-addresses",
    summary="The support desk registers the networks each organisation named (ID-BOT-03)",
)
async def trust_addresses(
    policy: Realm, body: TrustedAddressesIn, caller: Caller, identity: IdentityDep
) -> TrustedAddressesOut:
    entries = tuple(body.entries)
    await identity.bot_defence.trust(policy, caller, entries)
    return TrustedAddressesOut(entries=list(entries))


async def _listed(policy: Realm, caller: Caller, identity: IdentityDep) -> TrustedAddressesOut:
    found = await identity.bot_defence.trusted(policy, caller)
    return TrustedAddressesOut(entries=list(found.entries))


@router.post(
    "/trusted-addresses/entries",
    summary="The support desk adds one organisation's networks to the list (ID-BOT-03)",
)
async def add_trusted_entry(
    policy: Realm, body: TrustedNetworkEntry, caller: Caller, identity: IdentityDep
) -> TrustedAddressesOut:
    """Decided on the latest list, so two desks adding at once both land; the same entry
    again changes nothing. Answers the whole list."""
    await identity.bot_defence.add_trusted(policy, caller, body)
    return await _listed(policy, caller, identity)


@router.post(
    "/trusted-addresses/entries/remove",
    summary="The support desk removes one entry from the list (ID-BOT-03)",
)
async def remove_trusted_entry(
    policy: Realm, body: TrustedNetworkEntry, caller: Caller, identity: IdentityDep
) -> TrustedAddressesOut:
    """An entry no longer there changes nothing. Answers the whole list."""
    await identity.bot_defence.remove_trusted(policy, caller, body)
    return await _listed(policy, caller, identity)
