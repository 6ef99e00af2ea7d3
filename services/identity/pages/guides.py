"""The login page's guidance (WEB-05): the guides a realm's login page links below its form,
each a page of this portal, in the words of its seed.

Seed 000 (dantai-net) sends its users, from half of its answers (Q1, Q10, Q16, Q18), to the
documents below its login form (ログイン画面の下部): the recommended environment, changing PCs or
the person in charge, changing browsers, the first login, several IDs on one PC. They are
about what this platform does (the registered browser of ID-BIND, the admin's
ブラウザ情報初期化, the mailed login link of ID-MAIL), so they are pages here rather than
links to somewhere else, and they say what a person does, in the order they do it. The other
seeds' login pages link to none.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servicekit.problems import ProblemCode
from services.identity.pages.deps import Realm
from services.identity.pages.kit import PAGES

router = APIRouter(prefix="/realms/{realm}/guides", tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class Guide:
    """One guide: its address under the realm, its link's words, and what it says."""

    slug: str
    title: str
    paragraphs: tuple[str, ...]
    steps: tuple[str, ...] = ()


_BINDING = (
    "生保団体ネットは個人情報保護の観点より、団体様が使用するブラウザ情報（Cookie）を登録し、"
    "登録されたブラウザのみ使用できるようにしています。初めてのログインを完了したブラウザが登録されます。"
)

DANTAI_NET = (
    Guide(
        "environment",
        "ご利用推奨OS・ブラウザのご案内",
        (
            "最新の Google Chrome、Microsoft Edge、Mozilla Firefox でご利用いただけます。"
            "Cookie と JavaScript を有効にしてください。",
            "画面は幅 390 ピクセルのスマートフォンから、パソコンの画面までご利用いただけます。"
            "通信は TLS 1.2 以上で暗号化されます。",
        ),
    ),
    Guide(
        "first-login",
        "はじめてログインされる団体様へ",
        (
            _BINDING,
            "閲覧の履歴を削除すると Cookie も削除され、ログインできなくなります。"
            "ブラウザの設定で、このサイトの Cookie を保存するようにしてください。",
        ),
        (
            "ID通知書のログインIDと、パスワード通知書の初期パスワードでログインします。",
            "初期パスワードを、ご自身で決めたパスワードに変更します。",
            "メール認証用アドレスを登録し、届いたメールのリンクから本登録します（60分有効）。",
            "ログインのたびに届くメール認証用リンク（10分有効）を開き、ログインを完了します。"
            "ログインボタンを押した後の画面は閉じないでください。",
        ),
    ),
    Guide(
        "new-pc",
        "パソコン入替や、担当者の交代がある団体様へ",
        (
            _BINDING,
            "新しいパソコンでは、登録されたブラウザ情報と異なるため「登録されているブラウザ情報と異なります」"
            "と表示されます。担当者の交代でメール認証用アドレスが変わる場合も、アドレスの初期化が必要です。",
        ),
        (
            "業務用IDは、管理用IDでログインし、[管理者メニュー] → [業務用IDの管理] の"
            "「ブラウザ情報初期化」で初期化します。メール認証用アドレスを変える場合は"
            "「メール認証用アドレス初期化」も行います。",
            "管理用IDの初期化は、サポートデスクへご連絡ください。",
            "新しいパソコンでログインすると、そのブラウザが改めて登録されます。",
        ),
    ),
    Guide(
        "browser-change",
        "ご利用のブラウザの変更を希望される団体様へ",
        (
            _BINDING,
            "別のブラウザや、Windows・ブラウザのアップデートでブラウザ情報が変わると、ログインできなくなります。",
        ),
        (
            "管理用IDでログインし、[管理者メニュー] → [業務用IDの管理] の「ブラウザ情報初期化」で、"
            "該当するIDのブラウザ情報を初期化します。管理用IDは、サポートデスクへご連絡ください。",
            "新しいブラウザでログインを完了すると、そのブラウザが登録されます。",
        ),
    ),
    Guide(
        "profiles",
        "1台のPCで複数IDを併用する団体様へ",
        (
            "ブラウザ情報は、ブラウザのプロファイルごとに1つ登録されます。"
            "同じプロファイルで別のIDのログインを完了すると、前のIDの登録は置き換わります。",
            "1台のパソコンで複数のIDを使う場合は、IDごとにブラウザのプロファイルを作成し、"
            "いつも同じプロファイルでログインしてください。",
        ),
    ),
)

LOGIN_GUIDES: dict[str, tuple[Guide, ...]] = {"dantai-net": DANTAI_NET}
"""The guides below each realm's login form (seed 000 only names any)."""


def login_guides(realm: str) -> tuple[Guide, ...]:
    return LOGIN_GUIDES.get(realm, ())


@router.get("/{slug}")
async def guide(request: Request, policy: Realm, slug: str) -> Response:
    """One guide; open to everyone, as on the login page (no session, nothing of anyone)."""
    found = next((g for g in login_guides(policy.name) if g.slug == slug), None)
    if found is None:
        return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)
    return PAGES.render(request, "guide", realm=policy.name, title=found.title, guide=found)
