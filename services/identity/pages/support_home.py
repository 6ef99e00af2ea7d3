"""The support console's frame (WEB-04): who may enter it, and its home, a menu of the realm's
console areas.

Every console page is for the realm's support operators only, with a complete login (and the
OTP where it is owed): a browser without a session goes to the login, one with steps pending
to them, and anyone else gets the portal's refusal page (403), the same whatever they asked
for (X-15), never JSON. The areas are built by several services; the menu links each by its
fixed address (the gateway routes each to its service).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.common import Role
from servicekit.problems import ProblemCode
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.kit import PAGES, go, next_page, otp_required, page_session, to_login
from services.identity.usecases import Identity

router = APIRouter(prefix="/realms/{realm}/support", tags=["pages"], include_in_schema=False)


def console_home(realm: str) -> str:
    return f"/realms/{realm}/support/"


async def support_session(request: Request, identity: Identity, realm: str) -> Session | Response:
    """The page's browser's session if it is one of the realm's support operators with a
    complete login, or where the browser goes instead."""
    session = await page_session(request, identity)
    if session is None:
        return to_login(realm)
    if session.realm == realm and session.pending_steps:
        return go(next_page(realm, session.pending_steps))
    if session.realm != realm or session.role is not Role.SUPPORT:
        return PAGES.problem(request, realm, ProblemCode.FORBIDDEN)
    if session.needs_otp:
        return otp_required(request, realm)
    return session


@dataclass(frozen=True)
class Area:
    """One item of the console's menu: its words, its address under the realm, what it is."""

    label: str
    path: str
    about: str


def areas(policy: RealmPolicy) -> list[Area]:
    """The console's areas of ``policy``'s realm, in the order of the menu."""
    name = policy.name
    found: list[Area] = []
    if not policy.members:
        found.append(
            Area(
                "団体管理",
                "support/orgs",
                "団体の検索・開設、管理用IDのロック・解除・パスワード初期化",
            )
        )
    if policy.business_id_requests:
        found.append(Area("ID追加申請", "support/id-requests", "業務用IDの追加申請の承認・却下"))
    if policy.group_readers:
        found.append(
            Area("全社閲覧用ID", "support/group-readers", "グループ各社を閲覧するIDの発行")
        )
    if policy.members:
        found.append(Area("会員管理", "support/members", "会員の登録・検索・パスワード初期化"))
    if name == "kencom":
        found += [
            Area("信頼ネットワーク", "support/trusted-networks", "ボット対策を免除する接続元"),
            Area("名簿取込", "support/rosters", "組合員名簿の取込と結果"),
            Area("健診閲覧コード", "support/checkup-codes", "健診閲覧コードの発行"),
        ]
    if name == "kihonet":
        found += [
            Area("ユーザーIDのお知らせ", "support/notices", "お知らせの登録"),
            Area("証明書保有者", "support/holders", "保有者の検索、証明書の状態と失効"),
        ]
    found += [
        Area("サポート担当者", "support/operators", "サポート担当者の一覧と作成"),
        Area("配信ログ", "support/deliveries", "メールの配信記録（宛先・種類・日時・結果）"),
        Area("運用ダッシュボード", "ops/dashboard", "アクセス記録とカウンタ"),
    ]
    return found


@router.get("/")
async def home(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await support_session(request, identity, policy.name)
    if isinstance(found, Response):
        return found
    return PAGES.render(
        request,
        "support_home",
        realm=policy.name,
        title="サポートコンソール",
        session=found,
        areas=areas(policy),
    )


@router.get("")
async def home_without_slash(policy: Realm) -> Response:
    return go(console_home(policy.name))
