"""kihonet's 証明書発行 and 状態確認 screens (WEB-01, CT-01..04, CT-08, seed 001): the fields of the
「ユーザーIDのお知らせ」 typed as on paper, a password for the file, and the certificate issued
with a key made here as a PKCS#12 to save (the screen's way for a PC without CSR tools).

A mismatch with the notice is re-rendered with the seed's 「入力情報エラー」 and its 3420. The
file is answered once, inside the page, and never kept (CT-11). The form carries the CSRF token
(X-12); the gateway serves the screen without a client certificate, since it is how one gets
the first (GW-03).
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import Actor, ActorKind
from services.certs.domain import refusals
from services.certs.domain.holders import CertStatus
from services.certs.pages.deps import CertsDep, Realm
from services.certs.usecases.certificates import Issued
from services.certs.usecases.inputs import Pkcs12IssueIn
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


@router.get("/certificate-issue")
async def issue_page(request: Request, realm: Realm) -> Response:
    return issue_form(request, realm, {}, [], 200)


@router.post("/certificate-issue", dependencies=[Depends(csrf.checked)])
async def issue(
    request: Request,
    realm: Realm,
    certs: CertsDep,
    kihonet_code: Text = "",
    management_number: Text = "",
    user_id: Text = "",
    year: Text = "",
    branch_number: Text = "",
    email: Text = "",
    password: Text = "",
    password_again: Text = "",
) -> Response:
    typed = {
        "kihonet_code": kihonet_code.strip(),
        "management_number": management_number.strip(),
        "user_id": user_id.strip(),
        "year": year.strip(),
        "branch_number": branch_number.strip(),
        "email": email.strip(),
    }
    if password != password_again:
        return issue_form(request, realm, typed, [PASSWORDS_DIFFER], 422)
    try:
        body = Pkcs12IssueIn(**typed, password=password)
    except ValidationError as invalid:
        return issue_form(request, realm, typed, format_errors(invalid), 422)
    ctx = certs.context(realm, Actor(kind=ActorKind.USER, id=body.user_id))
    try:
        issued = await certs.certificates.issue_pkcs12(
            body.request(), body.key_algorithm, body.password, ctx
        )
    except refusals.Refusal as refused:
        message, status_code = refusal_words(refused)
        return issue_form(request, realm, typed, [FieldError(message)], status_code)
    return issued_page(request, realm, issued, "クライアント証明書を発行しました")


PASSWORDS_DIFFER = FieldError("パスワードが確認用と一致しません", "password_again")


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
