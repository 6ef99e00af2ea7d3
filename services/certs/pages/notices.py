"""kihonet's support console: record a 「ユーザーIDのお知らせ」 (WEB-04, CT-02, CT-06, seed 001).

The support operator types the notice's 企保ネットコード, 管理番号 and ユーザーID, the day the user
ID was issued and, for a reissue, its reason; 確認する shows the notice as it will be printed,
with its 年 (the issuing year, or the next one on December's last business day) and its 枝番;
確定する records it through the use case ``POST /v1/realms/kihonet/notices`` calls, under the
same rules (``NoticeFields``, ``domain/authz``), and the result page shows the 年 and 枝番 to
print. Both POSTs carry the page's CSRF token (X-12); the confirmation changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.certs.domain import refusals
from services.certs.domain.calendar import notice_year, tokyo_date
from services.certs.domain.holders import FIRST_BRANCH, next_branch
from services.certs.pages.deps import AccessDep, CertsDep, Realm
from services.certs.pages.issue import PAGES, refusal_words
from services.certs.pages.support import REISSUE_REASONS, operator, tokyo
from services.certs.usecases.inputs import NoticeFields
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(prefix="/realms/{realm}/support", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
Typed = Annotated[str, Query(max_length=300)]

#: The notice's fields as the form names them, in the notice's order.
FIELDS = (
    ("kihonet_code", "企保ネットコード", "半角数字8桁"),
    ("management_number", "管理番号", "半角英数字10桁"),
    ("user_id", "ユーザーID", "半角英数字7桁"),
)
LABELS = {name: label for name, label, _ in FIELDS} | {
    "issued_on": "ユーザーIDの発行日",
    "reason": "発行の種類",
}


def notice_form(
    request: Request, realm: str, typed: dict[str, str], errors: list[FieldError], status: int
) -> Response:
    return PAGES.render(
        request,
        "support_notice_form",
        status,
        realm=realm,
        errors=errors,
        title="ユーザーIDのお知らせの登録",
        fields=FIELDS,
        typed=typed,
        reasons=REISSUE_REASONS,
    )


@dataclass(frozen=True)
class NoticeForm:
    """The notice's five fields as typed (trimmed): the form shows them again, the
    confirmation carries them on, and ``checked`` reads them under the API's rules."""

    kihonet_code: str
    management_number: str
    user_id: str
    issued_on: str
    reason: str

    @property
    def typed(self) -> dict[str, str]:
        return asdict(self)

    def checked(self) -> NoticeFields | list[FieldError]:
        """The fields under the API's rules, or each field at fault by its label."""
        typed = self.typed
        try:
            return NoticeFields.model_validate(
                {k: v for k, v in typed.items() if v or k not in ("issued_on", "reason")}
                | {"reason": self.reason or None}
            )
        except ValidationError as invalid:
            names = dict.fromkeys(str(e["loc"][0]) for e in invalid.errors() if e["loc"])
            return [FieldError(f"{LABELS.get(n, n)}の形式が正しくありません", n) for n in names]


def trimmed(*fields: str) -> NoticeForm:
    """The five fields in the notice's order, without the spaces a paste brings along."""
    return NoticeForm(*(field.strip() for field in fields))


async def typed_in_link(
    kihonet_code: Typed = "",
    management_number: Typed = "",
    user_id: Typed = "",
    issued_on: Typed = "",
    reason: Typed = "",
) -> NoticeForm:
    """What 修正する brings back to the form, in its link's query."""
    return trimmed(kihonet_code, management_number, user_id, issued_on, reason)


async def typed_in_form(
    kihonet_code: Text = "",
    management_number: Text = "",
    user_id: Text = "",
    issued_on: Text = "",
    reason: Text = "",
) -> NoticeForm:
    """What 確認する and 確定する post: the same five fields, the same limits."""
    return trimmed(kihonet_code, management_number, user_id, issued_on, reason)


Linked = Annotated[NoticeForm, Depends(typed_in_link)]
Posted = Annotated[NoticeForm, Depends(typed_in_form)]


@router.get("/notices")
async def notice_page(
    request: Request,
    realm: Realm,
    access: AccessDep,
    certs: CertsDep,
    form: Linked,
) -> Response:
    """The form; 修正する on the confirmation comes back here with what was typed."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    typed = form.typed
    typed["issued_on"] = typed["issued_on"] or tokyo_date(certs.keeper.now()).isoformat()
    return notice_form(request, realm, typed, [], 200)


@router.post("/notices/confirm", dependencies=[Depends(csrf.checked)])
async def confirm(
    request: Request,
    realm: Realm,
    access: AccessDep,
    certs: CertsDep,
    form: Posted,
) -> Response:
    """確認する: the notice as it will be recorded, its 年 and 枝番 shown; nothing is saved."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    fields = form.checked()
    if isinstance(fields, list):
        return notice_form(request, realm, form.typed, fields, 422)
    notice = fields.request(tokyo_date(certs.keeper.now()))
    holder = await certs.certificates.holder(notice.user_id)
    return PAGES.render(
        request,
        "support_notice_confirm",
        realm=realm,
        title="ユーザーIDのお知らせの登録（確認）",
        fields=FIELDS,
        typed=form.typed | {"issued_on": notice.issued_on.isoformat()},
        issued_on=f"{notice.issued_on.year}年{notice.issued_on.month}月{notice.issued_on.day}日",
        year=notice_year(notice.issued_on),
        branch_number=FIRST_BRANCH if notice.reason is None else next_branch(holder),
        reason=REISSUE_REASONS[form.reason],
    )


@router.post("/notices", dependencies=[Depends(csrf.checked)])
async def record(
    request: Request,
    realm: Realm,
    access: AccessDep,
    certs: CertsDep,
    form: Posted,
) -> Response:
    """確定する: recorded by the use case the API's ``POST …/notices`` calls."""
    actor = await operator(request, realm, access)
    if isinstance(actor, Response):
        return actor
    fields = form.checked()
    if isinstance(fields, list):
        return notice_form(request, realm, form.typed, fields, 422)
    ctx = certs.context(realm, actor)
    try:
        notice = await certs.certificates.register_notice(fields.request(tokyo_date(ctx.now)), ctx)
    except refusals.Refusal as refused:
        message, status = refusal_words(refused)
        return notice_form(request, realm, form.typed, [FieldError(message)], status)
    return PAGES.render(
        request,
        "support_notice_done",
        201,
        realm=realm,
        title="ユーザーIDのお知らせを登録しました",
        notice=notice,
        fields=FIELDS,
        reason=REISSUE_REASONS[notice.reason.value if notice.reason else ""],
        registered_at=tokyo(notice.registered_at),
    )
