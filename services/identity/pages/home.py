"""The portal's top page (WEB-01, WEB-05; ID-LOGIN-04, ID-OTP): whom it greets (ようこそ…様,
seed 002), the previous login in Tokyo's time, and the menus of the seed portal the realm
reproduces; nexi's OTP switch and step-up; and the page a business screen outside this
platform leads to while the settings name no address for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import PAGES, go, next_page, page_session, to_login

router = APIRouter(prefix="/realms/{realm}", tags=["pages"], include_in_schema=False)

OTP_NOTES = {
    "verified": "ワンタイムパスワードを認証しました。ログアウトまたはタイムアウトまで有効です",
    "switched": "ワンタイムパスワード利用の設定を変更しました",
}
LinkKey = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]


@router.get("/home")
async def home(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    """The portal's top after a full login; a login with steps left goes on to them."""
    session = await page_session(request, identity)
    if session is None:
        return to_login(policy.name)
    if session.pending_steps:
        return go(next_page(policy.name, session.pending_steps))
    shown = await identity.home.home(policy, session)
    return PAGES.render(
        request,
        "home",
        realm=policy.name,
        title=shown.page_title,
        session=session,
        home=shown,
        otp_step_up=policy.otp_step_up,
        otp_note=OTP_NOTES.get(request.query_params.get("otp", "")),
    )


@router.get("/links/{key}")
async def business_screen(
    request: Request, policy: Realm, key: LinkKey, identity: IdentityDep
) -> Response:
    """A business screen of the insurer's own systems that the deployment has named no address
    for (``PORTAL_LINKS``): the page says so, for a signed-in person."""
    session = await page_session(request, identity)
    if session is None or session.pending_steps:
        return to_login(policy.name)
    label = identity.home.link_target(policy, key)
    if label is None:
        return go(f"/realms/{policy.name}/home")
    return PAGES.render(request, "business_screen", realm=policy.name, title=label, key=key)
