"""kihonet's 証明書発行 and 状態確認 screens (WEB-01, CT-01..04, CT-08, CT-12, seed 001): the
fields of the 「ユーザーIDのお知らせ」 typed as on paper with the e-mail address; 確認する shows
the address to be confirmed (the seed's ⑦: the reminders of CT-07 go there), with 修正する back
to the form; there the password of the file is set, and 証明書を発行する issues the certificate
with a key made here, as a PKCS#12 to save (the screen's way for a PC without CSR tools).

Only the confirmation issues, once per confirmation: its idempotency key is remembered by the
notice it used, so the same confirmation sent twice answers the certificate it issued. A
mismatch with the notice is re-rendered on the form with the seed's 「入力情報エラー」 and its
3420. The file is answered once, inside the page, and never kept (CT-11). Every form carries
the CSRF token (X-12); the gateway serves the screen without a client certificate, since it is
how one gets the first (GW-03).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import Actor, ActorKind
from services.certs.domain import refusals
from services.certs.domain.holders import Certificate, CertStatus
from services.certs.pages.deps import CertsDep, Realm
from services.certs.usecases.certificates import Issued
from services.certs.usecases.inputs import Pkcs12IssueIn, RequestFields
from services.certs.usecases.problems import problem_of
from webkit import csrf
from webkit.pages import FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]

#: The form's fields as the notice names them, in its order.
FIELDS = (
    ("kihonet_code", "企保ネットコード", "半角数字8桁"),
    ("management_number", "管理番号", "半角英数字10桁"),
    ("user_id", "ユーザーID", "半角英数字7桁"),
    ("year", "年", "西暦4桁（お知らせに記載の年）"),
    ("branch_number", "枝番", "新規取得は 001"),
    ("email", "Eメールアドレス", "証明書更新のご案内をお送りします"),
)
LABELS = {name: label for name, label, _ in FIELDS}


def issue_form(
    request: Request, realm: str, typed: dict[str, str], errors: list[FieldError], status: int
) -> Response:
    return PAGES.render(
        request,
        "certificate_issue",
        status,
        realm=realm,
        errors=errors,
        title="クライアント証明書の発行",
        fields=FIELDS,
        typed=typed,
    )


@dataclass(frozen=True)
class IssueForm:
    """The notice's fields and the e-mail address as typed (trimmed): the form shows them again,
    the confirmation shows and carries them on, and ``checked`` reads them under the API's
    rules (``RequestFields``)."""

    kihonet_code: str
    management_number: str
    user_id: str
    year: str
    branch_number: str
    email: str

    @property
    def typed(self) -> dict[str, str]:
        return asdict(self)

    def checked(self) -> RequestFields | list[FieldError]:
        try:
            return RequestFields(**self.typed)
        except ValidationError as invalid:
            return format_errors(invalid)


async def typed_in_form(
    kihonet_code: Text = "",
    management_number: Text = "",
    user_id: Text = "",
    year: Text = "",
    branch_number: Text = "",
    email: Text = "",
) -> IssueForm:
    """What 確認する, 修正する and 証明書を発行する post: the same six fields, the same limits."""
    fields = (kihonet_code, management_number, user_id, year, branch_number, email)
    return IssueForm(*(field.strip() for field in fields))


Posted = Annotated[IssueForm, Depends(typed_in_form)]

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""The confirmation's idempotency key (CT-12): the notice it issues with remembers it, so a
second 証明書を発行する of one confirmation issues no second certificate."""


def confirmation(
    request: Request,
    realm: str,
    form: IssueForm,
    key: str,
    errors: list[FieldError] | None = None,
) -> Response:
    """The seed's ⑦ メールアドレスの確認画面: the address the reminders go to, the other fields,
    and the file's password; 証明書を発行する issues, 修正する goes back to the form."""
    return PAGES.render(
        request,
        "certificate_issue_confirm",
        422 if errors else 200,
        realm=realm,
        errors=errors or [],
        title="クライアント証明書の発行（メールアドレスの確認）",
        fields=FIELDS,
        typed=form.typed,
        key=key,
    )


@router.get("/certificate-issue")
async def issue_page(request: Request, realm: Realm) -> Response:
    return issue_form(request, realm, {}, [], 200)


@router.post("/certificate-issue/confirm", dependencies=[Depends(csrf.checked)])
async def confirm(request: Request, realm: Realm, form: Posted) -> Response:
    """確認する: the fields' formats checked, the e-mail address shown to be confirmed (CT-12).
    No notice is read yet: the match is the issue's, announced when refused (CT-11)."""
    fields = form.checked()
    if isinstance(fields, list):
        return issue_form(request, realm, form.typed, fields, 422)
    return confirmation(request, realm, form, secrets.token_urlsafe(16))


@router.post("/certificate-issue/edit", dependencies=[Depends(csrf.checked)])
async def edit(request: Request, realm: Realm, form: Posted) -> Response:
    """修正する: the form again with what was typed (posted, so the address is in no URL)."""
    return issue_form(request, realm, form.typed, [], 200)


@router.post("/certificate-issue", dependencies=[Depends(csrf.checked)])
async def issue(
    request: Request,
    realm: Realm,
    certs: CertsDep,
    form: Posted,
    key: Text = "",
    password: Text = "",
    password_again: Text = "",
) -> Response:
    """証明書を発行する on the confirmation: the certificate, once per confirmation (CT-12)."""
    fields = form.checked()
    if isinstance(fields, list) or not _KEY.match(key):
        errors = fields if isinstance(fields, list) else [START_AGAIN]
        return issue_form(request, realm, form.typed, errors, 422)
    if password != password_again:
        return confirmation(request, realm, form, key, [PASSWORDS_DIFFER])
    try:
        body = Pkcs12IssueIn(**form.typed, password=password)
    except ValidationError as invalid:
        return confirmation(request, realm, form, key, format_errors(invalid))
    ctx = certs.context(realm, Actor(kind=ActorKind.USER, id=body.user_id))
    try:
        issued = await certs.certificates.issue_confirmed(
            replace(body.request(), confirmation=key), body.key_algorithm, body.password, ctx
        )
    except refusals.Refusal as refused:
        message, status_code = refusal_words(refused)
        return issue_form(request, realm, form.typed, [FieldError(message)], status_code)
    if isinstance(issued, Certificate):
        return issued_before(request, realm, issued)
    return issued_page(request, realm, issued, "クライアント証明書を発行しました")


PASSWORDS_DIFFER = FieldError("パスワードが確認用と一致しません", "password_again")
START_AGAIN = FieldError("確認画面からやり直してください")


def format_errors(invalid: ValidationError) -> list[FieldError]:
    """Each field of the wrong shape, by the notice's name (the issue and renewal screens')."""
    return [
        FieldError(f"{LABELS.get(name, 'パスワード')}の形式が正しくありません", name)
        for name in (str(e["loc"][0]) for e in invalid.errors())
    ]


def refusal_words(refused: refusals.Refusal) -> tuple[str, int]:
    """A refusal in the seed's words (a mismatch with its 3420), and the status to answer."""
    code = problem_of(refused)
    message = code.title
    if isinstance(refused, refusals.InputInfoError):  # as the seed shows it: with 3420
        message = f"{message}（{refused.status_code}）"
    if refused.detail:
        message = f"{message}：{refused.detail}"
    return message, code.status


def day(instant: datetime) -> str:
    return instant.strftime("%Y年%m月%d日")


def issued_before(request: Request, realm: str, cert: Certificate) -> Response:
    """The same confirmation sent again (CT-12): the certificate it issued, no second one; its
    file went to the first answer only."""
    return PAGES.render(
        request,
        "certificate_issued_before",
        realm=realm,
        title="この内容の証明書は発行済みです",
        serial=cert.serial_number,
        not_after=day(cert.not_after),
    )


def issued_page(request: Request, realm: str, issued: Issued, title: str) -> Response:
    """The certificate and its key as a PKCS#12 to save, answered once inside the page."""
    assert issued.pkcs12 is not None
    recorded = issued.recorded
    return PAGES.render(
        request,
        "certificate_issued",
        201,
        realm=realm,
        title=title,
        serial=recorded.serial_number,
        subject=issued.certificate.subject.rfc4514_string(),
        not_after=day(recorded.not_after),
        bundle=base64.b64encode(issued.pkcs12).decode(),
        filename=f"kihonet-{issued.user_id}.p12",
    )


#: CT-08's answers in the screen's words.
STATUS_WORDS = {
    CertStatus.VALID: "有効です",
    CertStatus.EXPIRED: "有効期限が切れています",
    CertStatus.REVOKED: "失効しています",
    CertStatus.UNKNOWN: "この認証局が発行した証明書ではありません",
}


def status_form(
    request: Request, realm: str, errors: list[FieldError], status: int, **answer: str | None
) -> Response:
    return PAGES.render(
        request,
        "certificate_status",
        status,
        realm=realm,
        errors=errors,
        title="クライアント証明書の状態確認",
        **answer,
    )


@router.get("/certificate-status")
async def status_page(request: Request, realm: Realm) -> Response:
    return status_form(request, realm, [], 200)


@router.post("/certificate-status", dependencies=[Depends(csrf.checked)])
async def status(
    request: Request,
    realm: Realm,
    certs: CertsDep,
    certificate: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """CT-08 for a person: the certificate (PEM, as the PC exports it) valid, expired, revoked
    or not this CA's."""
    try:
        presented = x509.load_pem_x509_certificate(certificate.strip().encode())
    except ValueError:
        error = FieldError("証明書（PEM 形式）を貼り付けてください", "certificate")
        return status_form(request, realm, [error], 422)
    found = await certs.certificates.verify(presented, certs.keeper.now())
    return status_form(
        request,
        realm,
        [],
        200,
        verdict=STATUS_WORDS[found.status],
        serial=found.serial_number,
        not_after=day(found.not_after) if found.not_after else None,
    )
