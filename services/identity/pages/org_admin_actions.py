"""What the support console may do to an organisation's admin (WEB-04; ID-LOCK-04, ID-PW-06,
ID-BIND-03, ID-MAIL-04): each operation's button, what its confirmation says, and what its
result page says; which of them a realm has.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.identity.domain.realms import RealmPolicy
from services.identity.usecases.accounts import LoginFactor

FACTORS = {"browser": LoginFactor.BROWSER, "auth-email": LoginFactor.AUTH_EMAIL}
"""The console's actions that reset one of the admin's login factors."""


@dataclass(frozen=True)
class Action:
    """One of the admin's operations: its button, what the confirmation says, what is done."""

    label: str
    explanation: str
    done: str
    note: bool = False
    """The operator may say why (the event's ``note``)."""


ACTIONS = {
    "lock": Action(
        "ロックする",
        "管理用IDをロックします。ロック中はログインできず、ログイン中のセッションも終了します。",
        "管理用IDをロックしました",
        note=True,
    ),
    "unlock": Action(
        "ロックを解除する",
        "管理用IDのロックを解除します。パスワードは変わりません。",
        "管理用IDのロックを解除しました",
        note=True,
    ),
    "initialise": Action(
        "パスワードを初期化する",
        "管理用IDのパスワードを初期パスワード（パスワード通知書に記載のもの）に戻します。"
        "ロックも解除され、次回ログイン時にパスワードの変更が必要です。",
        "パスワードを初期化しました（アカウントロックも解除されました）",
    ),
    "reset": Action(
        "パスワードをリセットする",
        "新しいパスワードを発行し、管理者のメールアドレスにお送りします。"
        "ロックも解除され、次回ログイン時にパスワードの変更が必要です。",
        "パスワードをリセットしました。新しいパスワードは管理者のメールアドレスにお送りしました",
    ),
    "browser": Action(
        "ブラウザ情報を初期化する",
        "管理用IDの登録済みブラウザ情報を初期化します（seed 000 Q10: パソコン入替・ブラウザ変更）。"
        "ログイン中のセッションは終了し、次回ログインを完了したブラウザが改めて登録されます。",
        "ブラウザ情報を初期化しました",
        note=True,
    ),
    "auth-email": Action(
        "メール認証用アドレスを初期化する",
        "管理用IDのメール認証用アドレスを初期化します（seed 000 Q15: 担当者の交代）。"
        "ログイン中のセッションは終了し、次回ログイン時に改めて登録します。",
        "メール認証用アドレスを初期化しました",
        note=True,
    ),
}


def actions_of(policy: RealmPolicy) -> dict[str, Action]:
    """The operations the realm has: nexi's reset only where the realm mails it, and the
    resets of dantai-net's login factors (ID-BIND-03, ID-MAIL-04) where logins use them."""
    has = {
        "reset": policy.password_reset_to_admin,
        "browser": policy.browser_binding,
        "auth-email": policy.email_authentication,
    }
    return {name: action for name, action in ACTIONS.items() if has.get(name, True)}
