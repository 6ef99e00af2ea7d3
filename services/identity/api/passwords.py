"""Passwords (ID-PW-02..06): one's own change, the forgotten-password routes, and what an
admin (or support) does to a user's password."""

from fastapi import APIRouter, Response

from servicekit.credentials import login_cookies
from servicekit.problems import Problem, ProblemCode
from services.identity.api.deps import Caller, ClientDep, IdentityDep, OrgId, Realm, Token, UserId
from services.identity.api.links import SESSION_ROTATED
from services.identity.api.schemas import (
    MAIL_SENT_ANSWER,
    Accepted,
    ForcedPassword,
    HintOut,
    HintRequest,
    PasswordChange,
    PasswordResetIn,
    PasswordResetRequest,
    TemporaryPasswordRequest,
)
from services.identity.domain import password_reset
from services.identity.domain.password_reset import Outcome

router = APIRouter(prefix="/v1/realms/{realm}", tags=["passwords"])


@router.post(
    "/password",
    status_code=204,
    summary="Change one's own password (also the forced change of ID-PW-03)",
    responses={204: {"links": SESSION_ROTATED}},
)
async def change_password(
    policy: Realm,
    body: PasswordChange,
    token: Token,
    caller: Caller,
    client: ClientDep,
    identity: IdentityDep,
) -> Response:
    """The session is rotated: its new id comes as the session cookie, and every other session
    of the user ends (ID-SESS-03). A wrong current password counts toward the lock (ID-LOCK-05)."""
    rotated = await identity.self_service.change_password(
        policy, caller, token, body.current_password, body.new_password, body.hint, client
    )
    answer = Response(status_code=204)
    login_cookies(answer, rotated)
    return answer


@router.post(
    "/temporary-password",
    status_code=202,
    summary="Forgot the password: a temporary one by mail to the registered address (ID-PW-05)",
)
async def temporary_password(
    policy: Realm, body: TemporaryPasswordRequest, identity: IdentityDep
) -> Accepted:
    """Always answers the same, whether or not the ID and e-mail belong together, and whether
    or not the user's three temporary passwords of the hour were mailed already."""
    await identity.self_service.request_temporary_password(policy, body.login_id, body.email)
    return Accepted(message=MAIL_SENT_ANSWER)


@router.post(
    "/password-reset-requests",
    status_code=202,
    summary="Forgot the password: a reset link by mail to the registered address (ID-PW-08)",
)
async def request_password_reset(
    policy: Realm, body: PasswordResetRequest, identity: IdentityDep
) -> Accepted:
    """kencom: always answers the same, whether or not the address is a member's login ID."""
    await identity.password_resets.request(policy, body.email)
    return Accepted(message=password_reset.MAIL_SENT_ANSWER)


_RESET_PROBLEMS = {
    Outcome.EXPIRED: ProblemCode.LINK_EXPIRED,
    Outcome.INVALID: ProblemCode.LINK_INVALID,
}


@router.post(
    "/password-resets",
    status_code=204,
    summary="Follow the reset link: the new password, every session ended (ID-PW-08)",
    responses={404: {"description": "LINK_INVALID"}, 410: {"description": "LINK_EXPIRED"}},
)
async def reset_password_by_link(
    policy: Realm, body: PasswordResetIn, identity: IdentityDep
) -> Response:
    """The link works once, within its hour; the password follows the realm's policy."""
    outcome = await identity.password_resets.reset(policy, body.token, body.new_password)
    if outcome in _RESET_PROBLEMS:
        raise Problem(_RESET_PROBLEMS[outcome])
    return Response(status_code=204)


@router.post(
    "/password-hint",
    summary="Forgot the password: the hint for an ID, never the password (ID-PW-04)",
)
async def password_hint(policy: Realm, body: HintRequest, identity: IdentityDep) -> HintOut:
    return HintOut(hint=await identity.self_service.password_hint(policy, body.login_id))


@router.post(
    "/orgs/{org_id}/users/{user_id}/initialise",
    status_code=204,
    summary="Back to the initial password, unlocked (ID-PW-06, ID-LOCK-04)",
)
async def initialise(
    policy: Realm, org_id: OrgId, user_id: UserId, caller: Caller, identity: IdentityDep
) -> Response:
    await identity.accounts.initialise_password(policy, caller, org_id, user_id)
    return Response(status_code=204)


@router.post(
    "/members/{user_id}/initialise",
    status_code=204,
    summary="Support sets a member back to the initial password, unlocked (ID-USER-03, -04)",
)
async def initialise_member(
    policy: Realm, user_id: UserId, caller: Caller, identity: IdentityDep
) -> Response:
    await identity.accounts.initialise_password(policy, caller, None, user_id)
    return Response(status_code=204)


@router.put(
    "/orgs/{org_id}/users/{user_id}/password",
    status_code=204,
    summary="The admin sets a business user's password, which unlocks it (ID-PW-06)",
)
async def force_password(
    policy: Realm,
    org_id: OrgId,
    user_id: UserId,
    body: ForcedPassword,
    caller: Caller,
    identity: IdentityDep,
) -> Response:
    await identity.accounts.force_password(policy, caller, org_id, user_id, body.new_password)
    return Response(status_code=204)


@router.post(
    "/orgs/{org_id}/users/{user_id}/reset",
    status_code=204,
    summary="Reset: a new random password mailed to the admin, unlocked (ID-PW-06, nexi)",
)
async def reset_password(
    policy: Realm, org_id: OrgId, user_id: UserId, caller: Caller, identity: IdentityDep
) -> Response:
    await identity.accounts.reset_password(policy, caller, org_id, user_id)
    return Response(status_code=204)
