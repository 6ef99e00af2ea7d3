"""kencom's sign-up pages (WEB-01; EN-01..04, seed 003), in the portal's look, without
JavaScript: 新規登録 and its 入力内容の確認 (WEB-05), the mail-sent page with 仮登録メールの再送信,
the activation link's page (its GET consumes nothing, so a mail scanner that prefetches it uses
nothing up), the insurance-card form and the eligibility answer with the seed's guidance.

The sign-up, its confirmation, resend and activation forms carry the CSRF token (X-12; the
activation's since a cross-site page could otherwise make a browser follow a link of the page's
own sign-up, X-02); the card's form is held by the step token it carries. Tokens are not logged
(the gateway logs paths without their query string), the pages are not cached and tell referrers
nothing.
"""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from contracts.enroll import SignupChannel
from servicekit.problems import Problem, ProblemCode
from services.enroll.domain.consent import Ticked
from services.enroll.domain.guidance import guidance, sent_message
from services.enroll.domain.refusals import InputRefused, Refusal
from services.enroll.pages.deps import EnrollDep, Realm
from services.enroll.usecases import Enroll
from services.enroll.usecases.identity_client import CredentialRefused
from services.enroll.usecases.inputs import SignupIn
from services.enroll.usecases.problems import PASSED_ON, PROBLEMS, ineligible
from services.enroll.usecases.signup_drafts import Draft as SignupDraft
from webkit import csrf
from webkit.pages import FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

LinkToken = Annotated[str, Query(min_length=20, max_length=100)]
FormText = Annotated[str, Form(min_length=1, max_length=100)]
Typed = Annotated[str, Form(max_length=300)]
Draft = Annotated[str, Form(max_length=2000)]
EXPIRED = "入力の有効期限が切れました。もう一度入力してください"


def page(request: Request, title: str, lines: list[str], status_code: int = 200) -> HTMLResponse:
    """A page that only tells something, line by line."""
    return PAGES.render(request, "message", status_code, realm="kencom", title=title, lines=lines)


def _refused(request: Request, refused: Refusal | Problem) -> HTMLResponse:
    code = refused.code if isinstance(refused, Problem) else PROBLEMS[type(refused)]
    lines = refused.extensions.get("guidance") if isinstance(refused, Problem) else None
    shown = [refused.detail or "", *(lines if isinstance(lines, list) else [])]
    return page(request, code.title, [line for line in shown if line], code.status)


def signup_form(
    request: Request,
    email: str,
    errors: list[FieldError],
    status_code: int = 200,
    channel: SignupChannel = SignupChannel.PC,
    again: bool = False,
    codes: tuple[str, str] = ("", ""),
) -> HTMLResponse:
    """新規登録's form; ``again``: back from the confirmation, the address kept (the password
    is never put back into a page: it is typed again); ``codes``: the 招待コード and the
    団体連携コード as typed (EN-09)."""
    return PAGES.render(
        request,
        "signup",
        status_code,
        realm="kencom",
        errors=errors,
        title="新規登録",
        email=email,
        email_confirmation=email if again else "",
        channel=channel.value,
        invitation_code=codes[0],
        group_link_code=codes[1],
    )


def _channel(given: str) -> SignupChannel:
    """The app's 新規登録 opens this page as ``?channel=app`` (EN-02: its link lasts 24 hours,
    its mail has the app's words); anything else is a PC browser's (1 hour)."""
    return SignupChannel.APP if given == SignupChannel.APP.value else SignupChannel.PC


@router.get("/signup")
async def signup_page(
    request: Request, _: Realm, channel: Annotated[str, Query(max_length=10)] = "pc"
) -> HTMLResponse:
    return signup_form(request, "", [], channel=_channel(channel))


@router.post("/signup", dependencies=[Depends(csrf.checked)])
async def confirm(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    email: Typed = "",
    email_confirmation: Typed = "",
    password: Typed = "",
    channel: Typed = "pc",
    invitation_code: Typed = "",
    group_link_code: Typed = "",
) -> HTMLResponse:
    """確認画面へ: what was typed, checked as the API checks it, then 入力内容の確認 (seed 003:
    the app's STEP1-2, the PC's STEP2 登録情報・規約確認, where the terms are accepted): the
    address and the codes shown back, the password never; nothing is sent yet. What was typed
    goes on sealed in the page (``SignupDrafts``)."""
    chosen = _channel(channel)
    codes = (invitation_code, group_link_code)
    try:
        body = SignupIn(
            email=email,
            email_confirmation=email_confirmation,
            password=password,
            channel=chosen,
            invitation_code=invitation_code.strip() or None,
            group_link_code=group_link_code.strip() or None,
        )
        enroll.signups.codes(body.invitation_code, body.group_link_code)
    except InputRefused as refused:
        errors = [FieldError(refused.detail or "入力内容を確認してください", refused.field)]
        return signup_form(request, email, errors, 422, chosen, codes=codes)
    except ValidationError as invalid:
        errors = [
            FieldError(
                str(e["msg"]).removeprefix("Value error, ")
                if not e["loc"]
                else "入力内容を確認してください",
                str(e["loc"][0]) if e["loc"] else "email_confirmation",
            )
            for e in invalid.errors()
        ]
        return signup_form(request, email, errors, 422, chosen, codes=codes)
    draft = await enroll.drafts.seal(
        body.email, body.password, body.channel, body.invitation_code, body.group_link_code
    )
    opened = await enroll.drafts.open(draft)
    assert opened is not None, "a draft just sealed opens"
    return confirmation(request, enroll, draft, opened)


def confirmation(
    request: Request,
    enroll: Enroll,
    draft: str,
    opened: SignupDraft,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
) -> HTMLResponse:
    """入力内容の確認 with STEP2's consent (EN-09): the 会員規約 and the プライバシーポリシー
    linked, each to be ticked, their versions in force carried so that a newer one meanwhile
    asks again."""
    return PAGES.render(
        request,
        "signup_confirm",
        status_code,
        realm="kencom",
        errors=errors,
        title="入力内容の確認",
        email=opened.email,
        invitation_code=opened.invitation_code,
        group_link_code=opened.group_link_code,
        link_hours=_hours(enroll.context.signups.link_lifetime(opened.channel)),
        draft=draft,
        documents=enroll.context.documents,
    )


def _hours(lifetime: timedelta) -> str:
    return f"{lifetime / timedelta(hours=1):g}"


@router.post("/signup/back", dependencies=[Depends(csrf.checked)])
async def back(request: Request, _: Realm, enroll: EnrollDep, draft: Draft = "") -> HTMLResponse:
    """戻る: the form again with the address typed (from the draft, even an old one)."""
    opened = await enroll.drafts.open(draft, fresh=False)
    if opened is None:
        return signup_form(request, "", [])
    codes = (opened.invitation_code or "", opened.group_link_code or "")
    return signup_form(request, opened.email, [], channel=opened.channel, again=True, codes=codes)


@router.post("/signup/send", dependencies=[Depends(csrf.checked)])
async def sign_up(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    draft: Draft = "",
    accept_terms: Typed = "",
    accept_privacy: Typed = "",
    terms_version: Typed = "",
    privacy_version: Typed = "",
) -> HTMLResponse:
    """仮登録メールを送信する (EN-01): the same answer whether or not the address is registered;
    from the app (EN-02) the link lasts 24 hours and the mail speaks of the app's 本登録. A
    draft too old (or not one of ours) gives the form again, to type once more."""
    opened = await enroll.drafts.open(draft)
    if opened is None:
        late = await enroll.drafts.open(draft, fresh=False)
        errors = [FieldError(EXPIRED, "email")]
        if late is None:
            return signup_form(request, "", errors, 422)
        return signup_form(request, late.email, errors, 422, late.channel)
    chosen = opened.channel
    shown = (terms_version or None, privacy_version or None)
    ticked = Ticked(accept_terms == "on", accept_privacy == "on", *shown)
    try:
        started = await enroll.signups.start(
            opened.email,
            opened.password,
            chosen,
            opened.invitation_code,
            opened.group_link_code,
            ticked,
        )
    except InputRefused as refused:
        error = FieldError(refused.detail or "入力内容を確認してください", refused.field)
        if refused.field in ("accept_terms", "accept_privacy"):
            return confirmation(request, enroll, draft, opened, [error], 422)
        return signup_form(request, opened.email, [error], 422, chosen)
    except Refusal as refused:
        code = PROBLEMS[type(refused)]
        errors = [FieldError(code.title, "email")]
        return signup_form(request, opened.email, errors, code.status, chosen)
    except CredentialRefused as refused:
        code = PASSED_ON.get(refused.code, ProblemCode.VALIDATION_ERROR)
        message = f"{code.title}（{refused.detail}）" if refused.detail else code.title
        errors = [FieldError(message, "password")]
        return signup_form(request, opened.email, errors, code.status, chosen)
    return sent(request, started.signup_ref, started.channel)


def sent(request: Request, ref: str, channel: SignupChannel) -> HTMLResponse:
    return PAGES.render(
        request,
        "signup_sent",
        202,
        realm="kencom",
        title="仮登録メールを送信しました",
        message=sent_message(channel),
        signup_ref=ref,
    )


@router.post("/signup/resend", dependencies=[Depends(csrf.checked)])
async def resend(
    request: Request, _: Realm, enroll: EnrollDep, signup_ref: FormText
) -> HTMLResponse:
    """仮登録メールの再送信: a new link that voids every earlier one (EN-02)."""
    try:
        started = await enroll.signups.resend(signup_ref)
    except Refusal as refused:
        return _refused(request, refused)
    return sent(request, started.signup_ref, started.channel)


@router.get("/activate")
async def activation_page(request: Request, _: Realm, token: LinkToken) -> HTMLResponse:
    return PAGES.render(request, "activate", realm="kencom", title="本登録の手続き", token=token)


@router.post("/activate", dependencies=[Depends(csrf.checked)])
async def activate(request: Request, _: Realm, token: FormText, enroll: EnrollDep) -> HTMLResponse:
    try:
        opened = await enroll.signups.activate(token)
    except Refusal as refused:
        return _refused(request, refused)
    return card_form(request, opened.step_token)


def card_form(
    request: Request,
    token: str,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    lines: list[str] | tuple[()] = (),
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The insurance-card form; after an answer that is not eligible, again with its words and
    guidance on top and what was typed, under the same step token (EN-04 counts the tries)."""
    return PAGES.render(
        request,
        "card",
        status_code,
        realm="kencom",
        errors=errors,
        title="保険証情報の入力",
        message=None
        if errors
        else "メールアドレスの確認が完了しました。保険証情報を入力してください。",
        token=token,
        lines=lines,
        typed=typed or {},
    )


@router.post("/eligibility")
async def eligibility(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    signup_token: FormText,
    name_kana: FormText,
    birth_date: Annotated[date, Form()],
    insurer_number: FormText,
    symbol: FormText,
    number: FormText,
) -> HTMLResponse:
    typed = {
        "name_kana": name_kana,
        "birth_date": birth_date.isoformat(),
        "insurer_number": insurer_number,
        "symbol": symbol,
        "number": number,
    }
    try:
        answer = await enroll.eligibility.check(
            signup_token, name_kana, birth_date, insurer_number, symbol, number
        )
    except Refusal as refused:
        return _refused(request, refused)
    if not answer.eligible:
        problem = ineligible(answer)
        lines = problem.extensions.get("guidance")
        return card_form(
            request,
            signup_token,
            [FieldError(problem.code.title)],
            problem.code.status,
            lines if isinstance(lines, list) else [],
            typed,
        )
    return PAGES.render(
        request,
        "eligible",
        realm="kencom",
        title="利用資格が確認できました",
        lines=guidance(answer.outcome),
    )
