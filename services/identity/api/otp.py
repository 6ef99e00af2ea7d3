"""`nexi`'s OTP step-up (ID-OTP-01..03, seed 004 chapter 5): the admin's switch, and a session's
own code: issued by mail, entered once, and the session replaced by a verified one."""

from fastapi import APIRouter, Response, status

from servicekit.credentials import login_cookies
from servicekit.problems import Problem, ProblemCode
from services.identity.api.access_schemas import (
    OtpIssued,
    OtpSwitch,
    OtpSwitchOut,
    OtpVerifiedOut,
)
from services.identity.api.deps import Caller, IdentityDep, OrgId, Realm, Token
from services.identity.domain.otp import Entry
from services.identity.usecases.inputs import OtpEntry

router = APIRouter(prefix="/v1/realms/{realm}", tags=["otp"])


@router.put(
    "/orgs/{org_id}/otp-policy",
    summary="ワンタイムパスワード利用: the admin switches the OTP for every user (ID-OTP-01)",
)
async def switch_otp(
    policy: Realm, org_id: OrgId, body: OtpSwitch, caller: Caller, identity: IdentityDep
) -> OtpSwitchOut:
    await identity.otp.switch(policy, caller, org_id, body.enabled)
    return OtpSwitchOut(enabled=body.enabled)


@router.post(
    "/otp",
    status_code=status.HTTP_202_ACCEPTED,
    summary="ワンタイムパスワードの発行: a code to the registered address, valid 10 minutes "
    "(ID-OTP-02)",
    responses={429: {"description": "OTP_ISSUE_LIMIT"}},
)
async def issue_otp(
    policy: Realm, caller: Caller, token: Token, identity: IdentityDep
) -> OtpIssued:
    """A new code voids the previous one. The code verifies this session only."""
    expires_at = await identity.otp.issue(policy, caller, token)
    return OtpIssued(
        message="登録されているメールアドレスにワンタイムパスワードを送信しました。"
        "発行後10分間に限り有効です。入力を2回間違えると失効します。",
        expires_at=expires_at,
    )


@router.post(
    "/otp/verify",
    summary="ワンタイムパスワード入力: a right code verifies the session until logout or "
    "timeout, under a new session id (ID-OTP-03)",
    responses={
        410: {"description": "OTP_EXPIRED: no code to judge (expired, voided, never issued)"},
        422: {"description": "OTP_INVALID, with remaining_attempts"},
    },
)
async def verify_otp(
    response: Response,
    policy: Realm,
    body: OtpEntry,
    caller: Caller,
    token: Token,
    identity: IdentityDep,
) -> OtpVerifiedOut:
    entered = await identity.otp.enter(policy, caller, token, body.code)
    judged = entered.judged
    if judged.entry is Entry.WRONG:
        raise Problem(
            ProblemCode.OTP_INVALID,
            detail=f"あと{judged.remaining}回誤ると失効します",
            remaining_attempts=judged.remaining,
        )
    if judged.entry is Entry.VOIDED:
        raise Problem(
            ProblemCode.OTP_INVALID,
            detail="入力を2回間違えたため失効しました。再度発行してください",
            remaining_attempts=0,
        )
    if judged.entry is Entry.NO_CODE or entered.session_token is None:
        raise Problem(ProblemCode.OTP_EXPIRED)
    login_cookies(response, entered.session_token)
    return OtpVerifiedOut(
        otp_verified=True,
        message="ワンタイムパスワードを認証しました。ログアウトまたはタイムアウトまで有効です",
    )
