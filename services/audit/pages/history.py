"""The アクセス履歴出力 screen (WEB-01, AU-03, AU-04, seed 004): the period, one user or all,
the order and the encoding; 「件数を確認」 shows the rows and the file's size with the seed's
warning above 5 MB, then 「ダウンロード」 streams the CSV.

Only reading, so plain GET forms (no CSRF token needed) that work without JavaScript. Who may
read is the export's rule (``domain.authz.org_read_by``): the organisation's admin, or the realm's
support desk naming the organisation; anyone else is refused alike (X-15).
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from domainkit.callers import Refusal
from servicekit.credentials import browser_session_token
from services.audit.domain.export_request import ExportRequest, NoData
from services.audit.domain.period import PeriodRefused
from services.audit.domain.sheet import Encoding, Order
from services.audit.pages.deps import PAGES, AuditDep, RealmName
from webkit.pages import FieldError

Text = Annotated[str, Query(max_length=254)]
ORDERS = [(Order.BY_USER.value, "WebユーザーID単位"), (Order.BY_TIME.value, "アクセス日時単位")]
ORDER_VALUES = frozenset(o.value for o in Order)
ENCODING_VALUES = frozenset(e.value for e in Encoding)
ENCODINGS = [
    (Encoding.CP932.value, "Shift_JIS（Excel 向け）"),
    (Encoding.UTF8_SIG.value, "UTF-8（BOM 付き）"),
    (Encoding.UTF8.value, "UTF-8"),
]


@dataclass(frozen=True)
class Choice:
    """What the screen's form says, as typed; ``request`` reads it, with its errors."""

    first: str
    last: str
    login_id: str
    order: str
    encoding: str
    client_info: bool

    def request(self, realm: str, org_id: str) -> tuple[ExportRequest | None, list[FieldError]]:
        errors: list[FieldError] = []
        days: list[date | None] = []
        for name, value in (("from", self.first), ("to", self.last)):
            try:
                days.append(date.fromisoformat(value) if value else None)
            except ValueError:
                days.append(None)
                errors.append(FieldError("日付は YYYY-MM-DD の形式で入力してください", name))
        login_id = self.login_id.strip()
        if login_id and not (login_id.isascii() and login_id.isprintable() and " " not in login_id):
            errors.append(FieldError("WebユーザーIDは半角英数字で入力してください", "login_id"))
        order = Order(self.order) if self.order in ORDER_VALUES else Order.BY_USER
        encoding = Encoding(self.encoding) if self.encoding in ENCODING_VALUES else Encoding.CP932
        if errors:
            return None, errors
        chosen = ExportRequest(
            realm, org_id, days[0], days[1], login_id or None, order, encoding, self.client_info
        )
        return chosen, []

    def query(self) -> str:
        """The choice as the download link's query (and the file job's, issue 16)."""
        values = {"from": self.first, "to": self.last, "login_id": self.login_id}
        values |= {"order": self.order, "encoding": self.encoding}
        if self.client_info:
            values["client_info"] = "on"
        return urlencode({k: v for k, v in values.items() if v})


async def chosen(
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    login_id: Text = "",
    order: Annotated[str, Query(max_length=10)] = Order.BY_USER.value,
    encoding: Annotated[str, Query(max_length=10)] = Encoding.CP932.value,
    client_info: Annotated[str, Query(max_length=5)] = "",
) -> Choice:
    """The screen's form, as typed (the screen and the download read the same query)."""
    return Choice(first, last, login_id, order, encoding, client_info == "on")


router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)


@router.get("/access-history")
async def screen(
    request: Request,
    realm: RealmName,
    audit: AuditDep,
    choice: Annotated[Choice, Depends(chosen)],
    org: Annotated[str, Query(max_length=64)] = "",
    check: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    found = await audit.access.page_reader(browser_session_token(request), realm, org)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    org_id, _ = found
    chosen, errors = choice.request(realm, org_id)
    preview, notes, status_code = None, [], 200
    if chosen is not None and check:
        try:
            preview = await audit.exports.preview(chosen)
            notes = list(preview.notes)
        except PeriodRefused as err:
            errors, status_code = [FieldError(str(err), "from")], 422
        except NoData as err:
            errors, notes = [FieldError("対象データがありません")], list(err.notes)
            status_code = 404
    elif errors:
        status_code = 422
    return PAGES.render(
        request,
        "access_history",
        status_code,
        realm=realm,
        errors=errors,
        title="アクセス履歴出力",
        choice=choice,
        org=org,
        orders=ORDERS,
        encodings=ENCODINGS,
        preview=preview,
        notes=notes,
        download=f"/realms/{realm}/access-history.csv?{choice.query()}"
        + (f"&org={org}" if org else ""),
        make_file=f"/realms/{realm}/access-history/exports?{choice.query()}"
        + (f"&org={org}" if org else ""),
    )


@router.get("/access-history.csv")
async def download(
    request: Request,
    realm: RealmName,
    audit: AuditDep,
    choice: Annotated[Choice, Depends(chosen)],
    org: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    found = await audit.access.page_reader(browser_session_token(request), realm, org)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    chosen, _ = choice.request(realm, found[0])
    if chosen is None:
        return RedirectResponse(f"/realms/{realm}/access-history?{choice.query()}", 303)
    try:
        ready = await audit.exports.prepare(chosen)
    except (PeriodRefused, NoData):
        return RedirectResponse(
            f"/realms/{realm}/access-history?{choice.query()}&check=1", status_code=303
        )
    return StreamingResponse(
        ready.chunks(),
        media_type=f"text/csv; charset={chosen.encoding.value}",
        headers={
            "Content-Disposition": f'attachment; filename="{ready.filename}"',
            "Cache-Control": "no-store",
        },
    )
