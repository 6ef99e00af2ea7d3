"""Signing up (EN-01…05): 新規登録, 仮登録メールの再送信, 本登録 (the link), 保険証情報の入力.

No session: a sign-up is held by the secrets it answers (its resend handle, then the step
token the activation answers), which the browser keeps and sends in the body.
"""

from fastapi import APIRouter, status

from contracts.enroll import EligibilityOutcome, SignupChannel
from services.enroll.api.deps import EnrollDep, Realm
from services.enroll.api.links import SIGNUP_ACTIVATED, SIGNUP_ELIGIBLE, SIGNUP_SENT
from services.enroll.api.schemas import (
    ActivatedOut,
    CardIn,
    DocumentsOut,
    EligibleOut,
    ProgressOut,
    ResendIn,
    SignupOut,
    StepIn,
    TokenIn,
)
from services.enroll.domain.consent import Ticked
from services.enroll.domain.guidance import guidance, sent_message
from services.enroll.domain.signups import Status
from services.enroll.usecases.inputs import SignupIn
from services.enroll.usecases.problems import ineligible

router = APIRouter(prefix="/v1/realms/{realm}/signups", tags=["sign-up"])

_PROGRESS = {
    Status.ACTIVATED: "保険証情報を入力して、利用資格を照会してください。",
    Status.REGISTERING: "利用資格が確認できました。会員登録の手続き中です。",
    Status.REGISTERED: "会員登録が完了しました。メールアドレスとパスワードでログインしてください。",
    Status.FAILED: "会員登録を完了できませんでした。お手数ですが、メールアドレスの登録から"
    "やり直してください。",
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="新規登録: the activation link is mailed (24 h app, 1 h PC); the answer never says "
    "whether the address is registered (EN-01, EN-02)",
    responses={202: {"links": SIGNUP_SENT}},
)
async def sign_up(_: Realm, body: SignupIn, enroll: EnrollDep) -> SignupOut:
    """STEP2's consent is required (EN-09): ``accept_terms`` and ``accept_privacy`` true; the
    versions in force are recorded with the time (``MemberRegistered`` carries them)."""
    shown = (body.terms_version, body.privacy_version)
    ticked = Ticked(body.accept_terms, body.accept_privacy, *shown)
    started = await enroll.signups.start(
        body.email,
        body.password,
        body.channel,
        body.invitation_code,
        body.group_link_code,
        ticked,
    )
    return _sent(started.signup_ref, started.channel, started.link_lifetime.total_seconds())


@router.get(
    "/documents",
    summary="The kencom 会員規約 and プライバシーポリシー in force: where to read them and their "
    "versions, which a sign-up accepts (EN-09)",
)
async def documents(_: Realm, enroll: EnrollDep) -> DocumentsOut:
    found = enroll.context.documents
    return DocumentsOut(**vars(found))


def _sent(ref: str, channel: SignupChannel, seconds: float) -> SignupOut:
    return SignupOut(
        signup_ref=ref,
        channel=channel,
        valid_hours=seconds / 3600,
        message=sent_message(channel),
    )


@router.post(
    "/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="仮登録メールの再送信: a new link that voids every earlier one (EN-02)",
    responses={202: {"links": SIGNUP_SENT}},
)
async def resend(_: Realm, body: ResendIn, enroll: EnrollDep) -> SignupOut:
    started = await enroll.signups.resend(body.signup_ref)
    return _sent(started.signup_ref, started.channel, started.link_lifetime.total_seconds())


@router.post(
    "/activate",
    summary="The activation link's POST: the insurance-card step opens (EN-02, EN-03); an "
    "expired link says to start again",
    responses={200: {"links": SIGNUP_ACTIVATED}},
)
async def activate(_: Realm, body: TokenIn, enroll: EnrollDep) -> ActivatedOut:
    opened = await enroll.signups.activate(body.token)
    return ActivatedOut(
        signup_token=opened.step_token,
        expires_at=opened.activated.step_expires_at,
        message="メールアドレスの確認が完了しました。続いて保険証情報を入力してください。",
    )


@router.post(
    "/eligibility",
    summary="利用資格を照会する: the card against the union's roster (EN-03, EN-04); each "
    "answer has its code and guidance",
    responses={200: {"links": SIGNUP_ELIGIBLE}},
)
async def check_eligibility(_: Realm, body: CardIn, enroll: EnrollDep) -> EligibleOut:
    answer = await enroll.eligibility.check(
        body.signup_token,
        body.name_kana,
        body.birth_date,
        body.insurer_number,
        body.symbol,
        body.number,
    )
    if not answer.eligible:
        raise ineligible(answer)
    return EligibleOut(
        outcome=EligibilityOutcome.ELIGIBLE.value,
        code="ELIGIBLE",
        title="利用資格が確認できました",
        guidance=guidance(EligibilityOutcome.ELIGIBLE),
        status=answer.status,
        tries_left=answer.tries_left,
    )


@router.post("/progress", summary="Where the sign-up stands (registration is asynchronous)")
async def progress(_: Realm, body: StepIn, enroll: EnrollDep) -> ProgressOut:
    found = await enroll.signups.progress(body.signup_token)
    return ProgressOut(
        status=found.status,
        login_id=found.login_id,
        tries_left=found.tries_left,
        user_id=found.user_id,
        message=_PROGRESS.get(found.status, ""),
        step_expires_at=found.step_expires_at,
    )
