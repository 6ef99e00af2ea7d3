"""The portal's top page (WEB-01, WEB-05): the menus of the seed portal each realm reproduces,
per role, as the seeds name them.

Each item is either a page of this platform (``page``: a path under ``/realms/{realm}``) or a
business screen outside it (``link``: a key of the realm's *link targets*, an address the
deployment names in its settings, since the insurer's own systems hold those screens; SPEC
section 10). An item marked ``protected`` needs the organisation's one-time password (seed 004
5-3: only the menus usable without it may be clicked until it is entered).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from contracts.common import Role
from domainkit.tokyo import TOKYO


@dataclass(frozen=True)
class MenuItem:
    label: str
    page: str | None = None
    """A page of this platform, its path under ``/realms/{realm}``."""
    link: str | None = None
    """A business screen outside this platform: a key of the realm's link targets."""
    protected: bool = False
    """Needs the organisation's one-time password where it is required (ID-OTP-05)."""
    note: str | None = None


@dataclass(frozen=True)
class Menu:
    title: str
    items: tuple[MenuItem, ...]


@dataclass(frozen=True)
class Entry:
    """A menu item as the page shows it: where it leads, and whether that is outside."""

    label: str
    href: str
    external: bool
    locked: bool = False
    """Protected while the session owes its OTP: it leads to the OTP page meanwhile."""
    note: str | None = None


@dataclass(frozen=True)
class Portal:
    """One realm's top page: its name for it and its menus per role."""

    page_title: str
    menus: Mapping[Role, tuple[Menu, ...]]
    guide: tuple[MenuItem, ...] = ()
    """The links every signed-in person sees under the menus (help, terms, contact)."""


PASSWORD_CHANGE = MenuItem("パスワード変更", page="/password-change")
MY_HISTORY = MenuItem("ログイン・操作履歴", page="/my-history")  # AU-07, seed 002
ACCESS_HISTORY = MenuItem("アクセス履歴出力", page="/access-history", protected=True)
BUSINESS_USERS = MenuItem("業務用IDの管理", page="/admin/users", protected=True)
SUPPORT = (
    Menu(
        "サポートデスク",
        (
            MenuItem("サポートコンソール", page="/support/"),
            MenuItem("運用ダッシュボード", page="/ops/dashboard"),
            PASSWORD_CHANGE,
        ),
    ),
)

_DANTAI_ADMIN = (
    Menu(
        "管理者メニュー",
        (
            MenuItem(
                "業務用IDの管理",
                page="/admin/users",
                note="パスワード初期化・ロック解除、ブラウザ情報初期化、"
                "メール認証用アドレス初期化、業務用IDの追加申込",
            ),
            MenuItem("パスワード強制変更", page="/admin/users"),
            MenuItem("生保団体ネット利用情報変更", link="usage-change"),
            MenuItem("団体情報の変更", page="/admin/org-info"),
        ),
    ),
    Menu(
        "各種照会",
        (
            MenuItem("操作履歴照会", page="/access-history"),
            MenuItem("スケジュール確認", link="schedule"),
        ),
    ),
    Menu("管理用ID", (MenuItem("管理用のパスワード変更", page="/password-change"),)),
)
_DANTAI_BUSINESS = (
    Menu(
        "業務メニュー",
        (
            MenuItem("保険料請求データの受取・返却", link="premium-claims"),
            MenuItem("年末調整データの受取", link="year-end-adjustment"),
            MenuItem("コードデータの受取・返却", link="code-data"),
            MenuItem("スケジュール確認", link="schedule"),
        ),
    ),
    Menu("業務用ID", (MenuItem("業務用のパスワード変更", page="/password-change"),)),
)

_KIHONET_CERTIFICATES = Menu(
    "クライアント証明書",
    (
        MenuItem("クライアント証明書の更新", page="/certificate-renewal"),
        MenuItem("クライアント証明書の状態確認", page="/certificate-status"),
        MenuItem("クライアント証明書の新規取得", page="/certificate-issue"),
    ),
)
_KIHONET_BUSINESS = Menu(
    "企業保険",
    (
        MenuItem("契約内容の照会", link="contracts"),
        MenuItem("各種お手続き", link="procedures"),
    ),
)

_MYPAGE_MEMBER = (
    Menu(
        "ご契約",
        (
            MenuItem("ご契約者情報の照会", link="contract-info"),
            MenuItem("手続き照会", link="procedure-status"),
        ),
    ),
    Menu(
        "各種お手続き",
        (
            MenuItem("特約追加", link="rider-addition"),
            MenuItem("コースの変更", link="course-change"),
            MenuItem("書類のお取り寄せ", link="documents"),
            MenuItem("掛金払込証明書の再発行", link="payment-certificate"),
        ),
    ),
    Menu(
        "登録内容の変更",
        (
            MenuItem(
                "登録情報の変更", page="/account", note="ユーザーID・電話番号・メールアドレス"
            ),
            PASSWORD_CHANGE,
            MY_HISTORY,
        ),
    ),
)

_KENCOM_MEMBER = (
    Menu(
        "メニュー",
        (
            MenuItem("特定健診結果", page="/checkup"),
            MenuItem("あなたへのオススメ情報", link="recommendations"),
            MenuItem("お知らせ", link="news"),
            MenuItem("お気に入り記事一覧", link="favourites"),
            MenuItem("ギフト券履歴", link="gift-cards"),
        ),
    ),
    Menu("アカウント", (PASSWORD_CHANGE, MY_HISTORY)),
)

_NEXI_OWN = MenuItem("Webユーザー情報照会", page="/profile")
_NEXI_BUSINESS = Menu(
    "保険の申込み・照会",
    (
        MenuItem("保険料試算（詳細版）", link="premium-estimate"),
        MenuItem("海外商社情報の照会", link="buyer-info"),
        MenuItem("海外商社登録等のお手続き", link="buyer-registration"),
        MenuItem("保険の申込み", link="applications", protected=True),
        MenuItem("Web申込状況一覧", link="application-status", protected=True),
        MenuItem("保険契約情報の照会", link="contract-info", protected=True),
    ),
)
_NEXI_USER = Menu(
    "保険利用者情報・ユーザー管理",
    (
        PASSWORD_CHANGE,
        _NEXI_OWN,
        MenuItem("口座情報照会", link="accounts", protected=True),
        MenuItem("保険利用者情報照会", link="insured-info", protected=True),
    ),
)
_NEXI_ADMIN = Menu(
    "管理項目",
    (
        MenuItem("Webユーザー（管理者）情報変更", page="/profile/change", protected=True),
        MenuItem("Webユーザー（申込者）情報照会・追加・変更", page="/admin/users", protected=True),
        MenuItem("口座情報照会・登録・変更", link="accounts-change", protected=True),
        MenuItem("保険利用者情報照会・変更", link="insured-change", protected=True),
        ACCESS_HISTORY,
    ),
)

_ADMIN = (
    Menu("管理者メニュー", (BUSINESS_USERS, ACCESS_HISTORY)),
    Menu("アカウント", (PASSWORD_CHANGE,)),
)
_ACCOUNT = (Menu("アカウント", (PASSWORD_CHANGE,)),)
_MEMBER = (
    Menu(
        "アカウント",
        (MenuItem("登録情報の変更", page="/account"), PASSWORD_CHANGE),
    ),
)

PORTALS: Mapping[str, Portal] = {
    "dantai-net": Portal(
        "トップページ",
        {Role.ADMIN: _DANTAI_ADMIN, Role.BUSINESS: _DANTAI_BUSINESS, Role.SUPPORT: SUPPORT},
        (MenuItem("各種ドキュメント", link="documents"),),
    ),
    "kihonet": Portal(
        "トップページ",
        {
            Role.ADMIN: (_KIHONET_BUSINESS, _KIHONET_CERTIFICATES, *_ADMIN),
            Role.BUSINESS: (_KIHONET_BUSINESS, _KIHONET_CERTIFICATES, *_ACCOUNT),
            Role.SUPPORT: SUPPORT,
        },
    ),
    "mypage": Portal(
        "マイページ",
        {Role.MEMBER: _MYPAGE_MEMBER, Role.SUPPORT: SUPPORT},
        (MenuItem("よくある質問", link="faq"),),
    ),
    "kencom": Portal(
        "ホーム",
        {Role.MEMBER: _KENCOM_MEMBER, Role.ADMIN: _ADMIN, Role.SUPPORT: SUPPORT},
        (
            MenuItem("kencom会員規約", link="terms"),
            MenuItem("プライバシーポリシー", link="privacy"),
            MenuItem("お問い合わせ", link="inquiry"),
            MenuItem("よくある質問", link="faq"),
        ),
    ),
    "nexi": Portal(
        "ユーザーページ",
        {
            Role.ADMIN: (_NEXI_BUSINESS, _NEXI_USER, _NEXI_ADMIN),
            Role.BUSINESS: (_NEXI_BUSINESS, _NEXI_USER),
            Role.GROUP_READER: (
                Menu(
                    "全社閲覧",
                    (
                        MenuItem("各種保険契約の一元照会", link="group-contracts"),
                        PASSWORD_CHANGE,
                    ),
                ),
            ),
            Role.SUPPORT: SUPPORT,
        },
        (MenuItem("マニュアル", link="manual"), MenuItem("お問い合わせ", link="inquiry")),
    ),
}
#: Realms that reproduce no seed (``demo``): the platform's own pages only.
PLAIN = Portal(
    "トップページ",
    {
        Role.ADMIN: _ADMIN,
        Role.BUSINESS: _ACCOUNT,
        Role.MEMBER: _MEMBER,
        Role.GROUP_READER: _ACCOUNT,
        Role.SUPPORT: SUPPORT,
    },
)


def portal(realm: str) -> Portal:
    return PORTALS.get(realm, PLAIN)


def link_targets(realm: str) -> dict[str, str]:
    """The keys of the realm's business screens outside this platform, with what each is
    (its label on the menus): what the settings may name an address for."""
    found = portal(realm)
    items = [i for menus in found.menus.values() for m in menus for i in m.items]
    return {i.link: i.label for i in (*items, *found.guide) if i.link is not None}


def placeholder(realm: str, key: str) -> str:
    """Where a business screen leads while the settings name no address for it: a page of
    this platform that says whose screen it is."""
    return f"/realms/{realm}/links/{key}"


def entries(
    realm: str,
    items: tuple[MenuItem, ...],
    targets: Mapping[str, str],
    owes_otp: bool,
) -> tuple[Entry, ...]:
    """The items as links: a page of this platform under the realm, a business screen at the
    address the settings name (or its placeholder); a protected one leads to the OTP page
    while the session owes the OTP (seed 004 5-3)."""
    shown = []
    for item in items:
        if item.page is not None:
            href, external = f"/realms/{realm}{item.page}", False
        else:
            assert item.link is not None
            found = targets.get(item.link)
            href, external = found or placeholder(realm, item.link), found is not None
        locked = item.protected and owes_otp
        if locked:
            href, external = f"/realms/{realm}/otp", False
        shown.append(Entry(item.label, href, external, locked, item.note))
    return tuple(shown)


def previous_login(at: datetime) -> str:
    """前回ログイン日時 as seed 002 writes it (2018/8/14 9:45), in Tokyo (ID-LOGIN-04)."""
    t = at.astimezone(TOKYO)
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
