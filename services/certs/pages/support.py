"""What kihonet's support console pages share (WEB-04): who may see them, and how the CA's
values read on a page (labels, Tokyo times).

A support page is for the realm's support operators with a complete login (and the OTP where
their organisation requires one): ``domain/authz.operate``, the rule the JSON API asks, through
``Access.page_operator``. Everyone else is answered a page (``Pages.refused``): the login for a
browser without a session, the refusal's words otherwise, the same whatever they asked for
(X-15), before anything is looked up.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import Response

from contracts import Actor
from contracts.certs import ReissueReason, RevocationReason
from domainkit.callers import Refusal
from domainkit.tokyo import TOKYO
from servicekit.credentials import browser_session_token
from services.certs.domain.holders import Standing
from services.certs.pages.issue import PAGES
from services.certs.usecases.access import Access

#: 「ユーザーIDのお知らせ」's reasons: none is the first issue's notice (枝番 001), CT-06.
REISSUE_REASONS: dict[str, str] = {
    "": "新規発行（枝番 001）",
    ReissueReason.PC_CHANGE.value: "再発行：パソコンの変更",
    ReissueReason.EMAIL_CHANGE.value: "再発行：メールアドレスの変更",
    ReissueReason.EXPIRED.value: "再発行：有効期限切れ",
    ReissueReason.OTHER.value: "再発行：その他",
}

#: Why a certificate is revoked (RFC 5280's reasons the CA records, CT-08).
REVOCATION_REASONS: dict[str, str] = {
    RevocationReason.KEY_COMPROMISE.value: "鍵の危殆化（パソコンの紛失・盗難など）",
    RevocationReason.AFFILIATION_CHANGED.value: "所属の変更（退職・異動）",
    RevocationReason.SUPERSEDED.value: "新しい証明書に置き換え",
    RevocationReason.CESSATION_OF_OPERATION.value: "利用終了",
    RevocationReason.UNSPECIFIED.value: "その他（理由を特定しない）",
}

#: A certificate's standing in the desk's words.
STANDINGS: dict[Standing, str] = {
    Standing.VALID: "有効",
    Standing.EXPIRING: "有効（更新期間中）",
    Standing.REVOKED: "失効",
    Standing.EXPIRED: "有効期限切れ",
}


async def operator(request: Request, realm: str, access: Access) -> Actor | Response:
    """The support operator the page's session is, or the page that refuses the browser."""
    found = await access.page_operator(browser_session_token(request), realm)
    if isinstance(found, Refusal):
        return PAGES.refused(request, realm, found)
    return found


def tokyo(instant: datetime | None) -> str:
    """X-04: an instant as the portal writes it, in Tokyo (2026年4月2日 09:00)."""
    if instant is None:
        return ""
    local = instant.astimezone(TOKYO)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def chunks(serial: str, size: int = 8) -> list[str]:
    """A long serial in pieces the page may break between (a phone's 390 pixels, WEB-05)."""
    return [serial[i : i + size] for i in range(0, len(serial), size)]
