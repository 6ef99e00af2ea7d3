"""Realm policy as data (REALM-01, REALM-02): one preset per seed portal, and a demo realm.

A realm is one portal's user base with its own rules. Every knob has a default; a preset only
says where its seed differs. Presets are code today; a realm store comes when realms are created
at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from contracts.common import Role
from services.identity.domain.sessions import ABSOLUTE_LIFETIME, IDLE_TIMEOUT

_ANY_LOGIN_ID = re.compile(r"^[\x21-\x7e]{1,254}$")
_EMAIL_LOGIN_ID = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")


class ForgottenIdRoute(StrEnum):
    """Where someone who forgot their login ID is sent (ID-LOGIN-05)."""

    ADMIN_LISTS = "admin_lists"
    """`dantai-net`: business IDs are listed by the organisation's admin; an admin's own ID is on
    the ID notice (ID通知書), and the support desk helps when that is lost (seed 000 Q5)."""
    SUPPORT_DESK = "support_desk"
    """Realms whose members log in with an e-mail address: the support desk checks identity
    and tells them (seed 003)."""


@dataclass(frozen=True)
class RealmPolicy:
    name: str
    lock_threshold: int = 3
    """Consecutive wrong passwords that lock a user (ID-LOCK-01)."""
    admin_login_id: re.Pattern[str] = field(default=_ANY_LOGIN_ID)
    """Login-ID format of an organisation's admin (ID-USER-02)."""
    business_login_id: re.Pattern[str] = field(default=_ANY_LOGIN_ID)
    member_login_id: re.Pattern[str] = field(default=re.compile(r"^[\x21-\x7e]{6,64}$"))
    """Login-ID format of an individual member (ID-USER-03, -08)."""
    assigned_business_ids: bool = False
    """A business user's login ID is the realm's next number, 11 digits, assigned by the system
    and never typed (ID-USER-12: nexi's 00000000001, …)."""
    own_admin_profile: bool = False
    """The admin changes its own profile on a page of its own (ID-USER-12: nexi's 4-2)."""
    business_user_limit: int | None = None
    """Business users an organisation may have; ``None`` is unlimited (ID-USER-01)."""
    password_min_length: int = 8
    password_max_length: int = 64
    password_hint: bool = False
    """Users may keep a password hint, shown to whoever types their ID (ID-PW-04)."""
    business_id_requests: bool = False
    """A new business ID is a request the support desk approves (ID-USER-10, dantai-net)."""
    group_readers: bool = False
    """Support may issue group-wide read-only IDs (nexi 全社閲覧用ID, ID-USER-09)."""
    temporary_password_roles: frozenset[Role] = frozenset()
    """Who may ask for a temporary password by mail with their ID and e-mail (ID-PW-05)."""
    password_reset_roles: frozenset[Role] = frozenset()
    """Who may ask for a password-reset link by mail with their login ID, an e-mail address
    (ID-PW-08: kencom's 「パスワードを忘れた方はこちら」)."""
    members: bool = False
    """Individual members without an organisation live here (ID-USER-03: My Page, kencom)."""
    completion_notices: bool = False
    """A completed change of password, e-mail, phone or login ID is mailed (ID-PW-07, mypage)."""
    business_password_to_admin: bool = False
    """A business user's initial password is mailed to the admin, who passes it on (nexi)."""
    password_reset_to_admin: bool = False
    """The admin's *reset* mails a new random password to the admin (ID-PW-06, nexi)."""
    forgotten_id_route: ForgottenIdRoute = ForgottenIdRoute.SUPPORT_DESK
    browser_binding: bool = False
    """Only the browser registered at a user's first completed login may log in (ID-BIND)."""
    email_authentication: bool = False
    """Every login completes through a link mailed to a confirmed address (ID-MAIL)."""
    permission_matrix: bool = False
    """Each business user holds seed 004's permission matrix, the admin its maximum (ID-PERM)."""
    otp_step_up: bool = False
    """An organisation's admin may require an e-mailed one-time password for protected
    operations (ID-OTP)."""
    bot_challenge: bool = False
    """Every login passes a proof-of-work challenge before its password is checked (ID-BOT)."""
    self_signup: bool = False
    """Members sign themselves up through enrolment, which hands identity their credential
    (EN-05, kencom)."""
    login_ids_ignore_case: bool = False
    """Login IDs are unique ignoring case, and still compared exactly at login (ID-USER-02:
    kencom's e-mail addresses)."""
    password_min_kinds: int = 1
    """Kinds of characters (letters, digits, symbols) a password must mix (ID-PW-02)."""
    password_guessable: tuple[str, ...] = ()
    """Easily guessed strings a password may not contain (ID-PW-02: kencom's 123, abc)."""
    idle_timeout: timedelta = IDLE_TIMEOUT
    """A session unused this long has ended (ID-SESS-01): セッション情報の取得に失敗しました."""
    session_lifetime: timedelta = ABSOLUTE_LIFETIME
    """A session ends this long after its login, however busy (ID-SESS-01)."""

    def login_id_format(self, role: Role) -> re.Pattern[str]:
        """The format of a login ID for ``role`` (ID-USER-02); staff IDs take the business one."""
        if role is Role.ADMIN:
            return self.admin_login_id
        if role is Role.MEMBER:
            return self.member_login_id
        return self.business_login_id


PRESETS: dict[str, RealmPolicy] = {
    policy.name: policy
    for policy in (
        RealmPolicy(
            "dantai-net",
            admin_login_id=re.compile(r"^XA3[0-9A-Za-z]{1,17}$"),
            business_login_id=re.compile(r"^XA5[0-9A-Za-z]{1,17}$"),
            business_user_limit=3,
            password_hint=True,
            business_id_requests=True,
            forgotten_id_route=ForgottenIdRoute.ADMIN_LISTS,
            browser_binding=True,
            email_authentication=True,
        ),
        RealmPolicy("kihonet", business_login_id=re.compile(r"^[0-9A-Za-z]{7}$")),
        RealmPolicy(
            "mypage",
            temporary_password_roles=frozenset({Role.MEMBER}),
            members=True,
            completion_notices=True,
        ),
        RealmPolicy(
            "kencom",
            admin_login_id=_EMAIL_LOGIN_ID,
            business_login_id=_EMAIL_LOGIN_ID,
            password_min_length=6,
            password_max_length=20,
            member_login_id=_EMAIL_LOGIN_ID,
            members=True,
            password_reset_roles=frozenset({Role.MEMBER}),
            bot_challenge=True,
            self_signup=True,
            login_ids_ignore_case=True,
            password_min_kinds=2,
            password_guessable=("123", "abc"),
        ),
        RealmPolicy(
            "nexi",
            admin_login_id=re.compile(r"^[0-9]{11,12}$"),
            business_login_id=re.compile(r"^[0-9]{11,12}$"),
            assigned_business_ids=True,
            own_admin_profile=True,
            temporary_password_roles=frozenset({Role.ADMIN}),
            group_readers=True,
            business_password_to_admin=True,
            password_reset_to_admin=True,
            permission_matrix=True,
            otp_step_up=True,
        ),
        RealmPolicy("demo", temporary_password_roles=frozenset({Role.ADMIN})),
    )
}


def realm_policy(name: str) -> RealmPolicy | None:
    return PRESETS.get(name)


#: What someone who forgot their login ID is told, per realm route (ID-LOGIN-05, seed 000 Q5,
#: seed 003).
FORGOTTEN_ID_GUIDANCE = {
    ForgottenIdRoute.ADMIN_LISTS: (
        "業務用IDは、管理用IDでログイン後の一覧でご確認いただけます。"
        "管理用IDは、センターよりお送りした「ID通知書」をご確認ください。"
        "ID通知書を紛失された場合は、サポートデスクへお問い合わせください。"
    ),
    ForgottenIdRoute.SUPPORT_DESK: (
        "ログインIDをお忘れの方は、お客様サポートへお問い合わせください。"
        "ご本人様確認を実施した上でお調べいたします。"
    ),
}


def longest_idle_timeout() -> timedelta:
    """The longest idle timeout of any realm: the purge of idle sessions waits this long, so it
    never removes a session that its realm still counts as alive (X-14)."""
    return max(policy.idle_timeout for policy in PRESETS.values())
