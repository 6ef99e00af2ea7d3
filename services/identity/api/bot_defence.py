"""kencom's bot defence (ID-BOT-01..03): the challenge a browser solves before it logs in, and
the realm's trusted networks, kept by its support desk."""

from fastapi import APIRouter, Response

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
