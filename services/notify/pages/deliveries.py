"""The support console's delivery log (WEB-04, X-15): who was mailed what kind of mail, when
(Tokyo time), and what became of it, searched by organisation, by Tokyo day, by status or by
address, newest first, 50 to a page.

Only reading, so a plain GET form (no CSRF token needed) that works without JavaScript. The same
use case and rule as the JSON API (``usecases.delivery_log``, ``domain.authz``): the realm's
support operators with a complete login; anyone else is sent to the login or refused alike,
whatever the log holds. No mail's body is ever kept, so none can be shown (X-02); the address
is shown as the API shows it.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domainkit.callers import Refusal
from domainkit.tokyo import TOKYO
from servicekit.credentials import browser_session_token
from services.notify.domain.deliveries import DEEPEST, DeliveryEntry, DeliverySearch, Status
from services.notify.domain.mails import Template
from services.notify.pages.deps import PAGES, Identity, Notify, RealmName, delivery_log_reader
from webkit.pages import FieldError

PAGE_SIZE = 50
LAST_PAGE = DEEPEST // PAGE_SIZE
"""The deepest page: a search reads at most ``DEEPEST`` entries; narrower searches see older."""

KINDS: dict[str, str] = {
    Template.PASSWORD_NOTICE: "ご利用開始情報連絡（パスワード通知書）",
    Template.INITIAL_PASSWORD: "初期パスワードのお知らせ",
    Template.BUSINESS_USER_CREATED: "Webユーザーの初期パスワードのお知らせ",
    Template.TEMPORARY_PASSWORD: "仮パスワードのお知らせ",
    Template.PASSWORD_RESET: "パスワード再発行のお知らせ",
    Template.LOGIN_LINK: "メール認証用リンク通知",
    Template.AUTH_EMAIL_CONFIRMATION: "メール認証用アドレス本登録のお願い",
    Template.EMAIL_CHANGE_CONFIRMATION: "メールアドレス変更の確認",
    Template.OTP: "ワンタイムパスワードのお知らせ",
    Template.SIGNUP_ACTIVATION: "仮登録のお知らせ",
    Template.SIGNUP_ALREADY_REGISTERED: "登録済みアドレスのお知らせ",
    Template.CHANGE_COMPLETION: "登録内容変更手続き完了のお知らせ",
    Template.CERT_ISSUED: "クライアント証明書発行のお知らせ",
    Template.CERT_EXPIRING: "クライアント証明書更新のご案内",
    Template.EXPORT_READY: "アクセス履歴ファイル作成のお知らせ",
}
STATUSES: dict[str, str] = {
    Status.SENT: "送信済み",
    Status.FAILED: "送信失敗",
    Status.SENDING: "送信中",
}
STATUS_CHOICES = [("", "すべて"), *STATUSES.items()]

ORG_ID = re.compile(r"[0-9a-f]{32}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Text = Annotated[str, Query(max_length=320)]


@dataclass(frozen=True)
class Form:
    """The search form as typed; ``search`` reads it, with its errors."""

    org: str
    day: str
    status: str
    recipient: str
    page: str

    def search(self, realm: str) -> tuple[DeliverySearch | None, int, list[FieldError]]:
        """What to look up, the page number, and what is wrong with the form."""
        errors: list[FieldError] = []
        org = self.org.strip().lower()
        if org and not ORG_ID.fullmatch(org):
            errors.append(FieldError("組織IDは32桁の英数字（0〜9、a〜f）で入力してください", "org"))
        day = None
        if self.day:
            try:
                day = date.fromisoformat(self.day) if DAY.fullmatch(self.day) else None
            except ValueError:
                day = None
            if day is None:
                errors.append(FieldError("日付は YYYY-MM-DD の形式で入力してください", "day"))
        status = Status(self.status) if self.status in STATUSES else None
        if self.status and status is None:
            errors.append(FieldError("状態を一覧から選択してください", "status"))
        recipient = self.recipient.strip()
        if recipient and not _looks_like_an_address(recipient):
            errors.append(FieldError("宛先はメールアドレスの形式で入力してください", "recipient"))
        page = int(self.page) if self.page.isdecimal() and len(self.page) < 6 else 1
        page = min(max(page, 1), LAST_PAGE)
        if errors:
            return None, page, errors
        offset = (page - 1) * PAGE_SIZE
        wanted = DeliverySearch(
            realm,
            recipient=recipient or None,
            status=status,
            org_id=org or None,
            day=day,
            offset=offset,
            limit=min(PAGE_SIZE + 1, DEEPEST - offset),
        )
        return wanted, page, []

    def query(self, page: int, **changes: str) -> str:
        """The form's search as a link's query, on page ``page`` (``changes`` replace fields)."""
        values = {"org": self.org.strip(), "day": self.day, "status": self.status}
        values |= {"recipient": self.recipient.strip()} | changes
        if page > 1:
            values["page"] = str(page)
        return urlencode({k: v for k, v in values.items() if v})


def _looks_like_an_address(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    plain = len(text) <= 254 and text.isprintable() and " " not in text
    return bool(at and local and domain) and plain


async def typed(
    org: Text = "", day: Text = "", status: Text = "", recipient: Text = "", page: Text = ""
) -> Form:
    return Form(org, day, status, recipient, page)


def row(entry: DeliveryEntry) -> dict[str, str]:
    """One mail as the page shows it: Tokyo time, the kind, whom, which organisation, outcome."""
    return {
        "at": entry.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
        "kind": KINDS.get(entry.template, entry.template),
        "recipient": entry.recipient,
        "org_id": entry.org_id or "",
        "status": entry.status.value,
        "status_label": STATUSES[entry.status],
        "attempts": str(entry.attempts),
        "reason": entry.reason or "",
    }


router = APIRouter(prefix="/realms/{realm}/support", tags=["pages"], include_in_schema=False)


@router.get("/deliveries")
async def deliveries(
    request: Request,
    realm: RealmName,
    usecases: Notify,
    identity: Identity,
    form: Annotated[Form, Depends(typed)],
) -> Response:
    token = browser_session_token(request)
    found = await delivery_log_reader(identity, usecases, token, realm)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    wanted, page, errors = form.search(realm)
    entries: list[DeliveryEntry] = []
    if wanted is not None:
        entries = await usecases.delivery_log.search(wanted)
    more = len(entries) > PAGE_SIZE
    shown = [row(e) for e in entries[:PAGE_SIZE]]
    here = f"/realms/{realm}/support/deliveries"
    return PAGES.render(
        request,
        "deliveries",
        422 if errors else 200,
        realm=realm,
        errors=errors,
        title="メール送信履歴",
        form=form,
        statuses=STATUS_CHOICES,
        searched=wanted is not None,
        rows=shown,
        page=page,
        first=(page - 1) * PAGE_SIZE + 1,
        previous=f"{here}?{form.query(page - 1)}" if page > 1 and wanted else None,
        next=f"{here}?{form.query(page + 1)}" if more else None,
        deepest=page == LAST_PAGE and len(entries) == PAGE_SIZE,
        by_org={r["org_id"]: f"{here}?{form.query(1, org=r['org_id'])}" for r in shown},
        deepest_count=DEEPEST,
        page_size=PAGE_SIZE,
    )
