"""Who may do which of the portal's business operations (ID-PERM-01..03, ID-OTP-04): pure.

Seed 004 chapter 1 gives each applicant user (Webユーザー（申込者）) a permission matrix of three
axes, set by the admin, who holds the maximum of each; some functions are the admin's alone.
The systems that hold the business data (applications, contracts) ask :func:`decide` through
the decision API before they act: a session, an action from :class:`Action` and the resource's
attributes. Anything this module does not allow is denied, with the reason and the rule that
decided, so that a refusal can be explained and audited.

Whether an operation is protected by the OTP step-up is declared by the resource side in each
question (seed 004 5-3 names the free menus; every other one is protected); the organisation's
admin decides whether its users need an OTP at all (ID-OTP-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from contracts import Actor, PermissionsChanged
from contracts.common import Role
from contracts.permissions import ApplicationScope, ContractScope, InputRight, Permissions
from domainkit.decision import Decision
from services.identity.domain.refusals import NotPermitted
from services.identity.domain.sessions import Session
from services.identity.domain.users import User

MAXIMUM = Permissions(
    input_right=InputRight.INPUT_APPLY,
    contract_scope=ContractScope.ALL,
    application_scope=ApplicationScope.ALL,
)
"""The admin's (最も大きい権限, seed 004 chapter 1)."""

NOTHING = Permissions(
    input_right=InputRight.NONE,
    contract_scope=ContractScope.NONE,
    application_scope=ApplicationScope.NONE,
)
"""A new applicant user's until the admin grants more (the seed's form starts at 権限なし)."""

GROUP_READING = Permissions(
    input_right=InputRight.NONE,
    contract_scope=ContractScope.ALL,
    application_scope=ApplicationScope.ALL,
)
"""A group-wide read-only ID's (全社閲覧用ID, ID-USER-09): reads everything, inputs nothing."""


class Action(StrEnum):
    """The operations the decision API knows; any other is denied (ID-PERM-03)."""

    # The matrix (ID-PERM-01).
    APPLICATION_INPUT = "application.input"
    """入力: enter an application without submitting it."""
    APPLICATION_APPLY = "application.apply"
    """申込: submit an application."""
    APPLICATION_READ = "application.read"
    """申込データ参照: applications being entered, submitted, or submitted within two years."""
    CONTRACT_READ = "contract.read"
    """情報データ参照: concluded contracts; ``rider_code`` names the contract's rider."""
    # The admin's own functions (ID-PERM-02, seed 004 chapter 1).
    ADMIN_PROFILE_CHANGE = "admin_profile.change"
    BUSINESS_USERS_READ = "business_users.read"
    BUSINESS_USERS_CREATE = "business_users.create"
    BUSINESS_USERS_CHANGE = "business_users.change"
    BUSINESS_USERS_PASSWORD_RESET = "business_users.password_reset"  # noqa: S105 - an action
    ORGANISATION_CHANGE = "organisation.change"
    """保険利用者情報変更."""
    BANK_ACCOUNT_CHANGE = "bank_account.change"
    """口座情報登録・変更."""
    ACCESS_HISTORY_EXPORT = "access_history.export"
    # Every web user of the organisation (seed 004 3-1 and 5-3).
    OWN_PROFILE_READ = "own_profile.read"
    ORGANISATION_READ = "organisation.read"
    """保険利用者情報照会."""
    BANK_ACCOUNT_READ = "bank_account.read"
    PREMIUM_ESTIMATE = "premium.estimate"
    """保険料試算 (詳細版)."""
    BUYER_READ = "buyer.read"
    """海外商社情報."""
    BUYER_REGISTER = "buyer.register"
    """海外商社登録等のお手続き."""
    # dantai-net's own portal (seed 000 Q3): its data, for business IDs only (ID-PERM-04).
    BILLING_DATA_RECEIVE = "billing_data.receive"
    """保険料請求データを受け取る."""
    BILLING_DATA_RETURN = "billing_data.return"
    """保険料請求データを返却する."""
    YEAR_END_DATA_RECEIVE = "year_end_data.receive"
    """年末調整のデータを受け取る."""
    CODE_DATA_RECEIVE = "code_data.receive"
    """コードデータを受け取る."""
    CODE_DATA_RETURN = "code_data.return"
    """コードデータを返却する."""
    SCHEDULE_READ = "schedule.read"
    """スケジュールを確認する: the admin ID and business IDs alike."""


ADMIN_ONLY = frozenset(
    {
        Action.ADMIN_PROFILE_CHANGE,
        Action.BUSINESS_USERS_READ,
        Action.BUSINESS_USERS_CREATE,
        Action.BUSINESS_USERS_CHANGE,
        Action.BUSINESS_USERS_PASSWORD_RESET,
        Action.ORGANISATION_CHANGE,
        Action.BANK_ACCOUNT_CHANGE,
        Action.ACCESS_HISTORY_EXPORT,
    }
)
MATRIX = frozenset(
    {
        Action.APPLICATION_INPUT,
        Action.APPLICATION_APPLY,
        Action.APPLICATION_READ,
        Action.CONTRACT_READ,
    }
)
READS = frozenset(
    {
        Action.APPLICATION_READ,
        Action.CONTRACT_READ,
        Action.OWN_PROFILE_READ,
        Action.ORGANISATION_READ,
        Action.BANK_ACCOUNT_READ,
        Action.BUYER_READ,
        Action.PREMIUM_ESTIMATE,
    }
)
"""What a group-wide read-only ID may do in its organisations (it changes nothing)."""
BUSINESS_DATA = frozenset(
    {
        Action.BILLING_DATA_RECEIVE,
        Action.BILLING_DATA_RETURN,
        Action.YEAR_END_DATA_RECEIVE,
        Action.CODE_DATA_RECEIVE,
        Action.CODE_DATA_RETURN,
    }
)
"""The data an organisation exchanges with the insurers through dantai-net: its business IDs
see and process it, its admin ID manages IDs and never does (seed 000 Q3, ID-PERM-04)."""
REALM_OWN = {action: "dantai-net" for action in (*BUSINESS_DATA, Action.SCHEDULE_READ)}
"""Actions of one realm's own portal: anywhere else nobody declared them (ID-PERM-03)."""
_KNOWN = frozenset(action.value for action in Action)


class Reason(StrEnum):
    """Why a decision came out as it did: a stable, machine-readable code."""

    ALLOWED = "ALLOWED"
    LOGIN_INCOMPLETE = "LOGIN_INCOMPLETE"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    MISSING_ATTRIBUTE = "MISSING_ATTRIBUTE"
    OTHER_ORGANISATION = "OTHER_ORGANISATION"
    ROLE_NOT_PERMITTED = "ROLE_NOT_PERMITTED"
    ADMIN_ONLY = "ADMIN_ONLY"
    READ_ONLY = "READ_ONLY"
    NO_PERMISSION = "NO_PERMISSION"
    NOT_OWN_APPLICATION = "NOT_OWN_APPLICATION"
    RIDER_NOT_PERMITTED = "RIDER_NOT_PERMITTED"
    OTP_REQUIRED = "OTP_REQUIRED"


@dataclass(frozen=True)
class Resource:
    """What the resource side says of the thing acted on."""

    org_id: str | None = None
    """The organisation whose data or function it is; always required."""
    owner: str | None = None
    """The user id of whoever entered the application (``application.read`` with scope own)."""
    rider_code: str | None = None
    """The contract's rider (``contract.read`` with scope riders)."""


@dataclass(frozen=True)
class Verdict:
    allow: bool
    reason: Reason
    rule: str
    """The SPEC rule that decided (ID-PERM-01, ID-OTP-04, ...)."""


def _deny(reason: Reason, rule: str) -> Verdict:
    return Verdict(False, reason, rule)


def effective(role: Role, stored: Permissions | None, matrix: bool) -> Permissions | None:
    """The matrix a user acts with in a realm that has one (``matrix``); ``None`` elsewhere,
    and for roles that hold no business data (support staff, members)."""
    if not matrix:
        return None
    if role is Role.ADMIN:
        return MAXIMUM
    if role is Role.GROUP_READER:
        return GROUP_READING
    if role is Role.BUSINESS:
        return stored or NOTHING
    return None


def decide(session: Session, action: str, resource: Resource, protected: bool) -> Verdict:
    """Allow or deny ``action`` on ``resource`` for ``session``; deny by default (ID-PERM-03).

    The order: a login still at its steps, an action nobody declared, the organisation, the
    role's functions, the matrix, and last the OTP, so that a user who may not act at all is
    not first sent to fetch a code."""
    if session.restricted:
        return _deny(Reason.LOGIN_INCOMPLETE, "ID-LOGIN-01")
    if action not in _KNOWN or REALM_OWN.get(Action(action), session.realm) != session.realm:
        return _deny(Reason.UNKNOWN_ACTION, "ID-PERM-03")
    known = Action(action)
    refused = _organisation(session, resource) or _function(session, known)
    if refused is not None:
        return refused
    allowed = _matrix(session, known, resource) if known in MATRIX else None
    if allowed is not None and not allowed.allow:
        return allowed
    if protected and session.needs_otp:
        return _deny(Reason.OTP_REQUIRED, "ID-OTP-04")
    if allowed is not None:
        return allowed
    if known in ADMIN_ONLY:
        return Verdict(True, Reason.ALLOWED, "ID-PERM-02")
    if known in BUSINESS_DATA:
        return Verdict(True, Reason.ALLOWED, "ID-PERM-04")
    rule = "ID-USER-09" if session.role is Role.GROUP_READER else "ID-USER-01"
    return Verdict(True, Reason.ALLOWED, rule)


def _organisation(session: Session, resource: Resource) -> Verdict | None:
    """Only an organisation's own web users act on its data; a group reader reads its group's."""
    if resource.org_id is None:
        return _deny(Reason.MISSING_ATTRIBUTE, "ID-PERM-03")
    if session.role is Role.GROUP_READER:
        if resource.org_id in session.readable_org_ids:
            return None
        return _deny(Reason.OTHER_ORGANISATION, "ID-USER-09")
    if session.role not in (Role.ADMIN, Role.BUSINESS):
        return _deny(Reason.ROLE_NOT_PERMITTED, "ID-PERM-03")
    if resource.org_id != session.org_id:
        return _deny(Reason.OTHER_ORGANISATION, "ID-PERM-03")
    return None


def _function(session: Session, action: Action) -> Verdict | None:
    if session.role is Role.GROUP_READER and action not in READS:
        return _deny(Reason.READ_ONLY, "ID-USER-09")
    if action in BUSINESS_DATA and session.role is not Role.BUSINESS:
        return _deny(Reason.ROLE_NOT_PERMITTED, "ID-PERM-04")
    if action in ADMIN_ONLY and session.role is not Role.ADMIN:
        return _deny(Reason.ADMIN_ONLY, "ID-PERM-02")
    return None


def _matrix(session: Session, action: Action, resource: Resource) -> Verdict:
    granted = session.permissions
    if granted is None:
        return _deny(Reason.NO_PERMISSION, "ID-PERM-01")
    if action is Action.APPLICATION_INPUT:
        ok = granted.input_right in (InputRight.INPUT, InputRight.INPUT_APPLY)
        return _allowed_if(ok, Reason.NO_PERMISSION)
    if action is Action.APPLICATION_APPLY:
        return _allowed_if(granted.input_right is InputRight.INPUT_APPLY, Reason.NO_PERMISSION)
    if action is Action.APPLICATION_READ:
        return _application(granted.application_scope, session.user_id, resource)
    return _contract(granted, resource)


def _application(scope: ApplicationScope, user_id: str, resource: Resource) -> Verdict:
    if scope is ApplicationScope.ALL:
        return _allowed_if(True, Reason.NO_PERMISSION)
    if scope is ApplicationScope.NONE:
        return _deny(Reason.NO_PERMISSION, "ID-PERM-01")
    if resource.owner is None:
        return _deny(Reason.MISSING_ATTRIBUTE, "ID-PERM-01")
    return _allowed_if(resource.owner == user_id, Reason.NOT_OWN_APPLICATION)


def _contract(granted: Permissions, resource: Resource) -> Verdict:
    if granted.contract_scope is ContractScope.ALL:
        return _allowed_if(True, Reason.NO_PERMISSION)
    if granted.contract_scope is ContractScope.NONE:
        return _deny(Reason.NO_PERMISSION, "ID-PERM-01")
    if resource.rider_code is None:
        return _deny(Reason.MISSING_ATTRIBUTE, "ID-PERM-01")
    return _allowed_if(resource.rider_code in granted.rider_codes, Reason.RIDER_NOT_PERMITTED)


def _allowed_if(ok: bool, otherwise: Reason) -> Verdict:
    if ok:
        return Verdict(True, Reason.ALLOWED, "ID-PERM-01")
    return _deny(otherwise, "ID-PERM-01")


def change(
    user: User, permissions: Permissions, admin: Actor, correlation_id: str, now: datetime
) -> Decision[User, bool]:
    """The admin sets an applicant user's matrix anew; the event carries the whole of it, so
    audit shows what the user could do from then on (ID-PERM-01). Only applicant users hold a
    matrix of their own: the admin's is always the maximum."""
    if user.role is not Role.BUSINESS:
        raise NotPermitted()
    if user.permissions == permissions:
        return Decision.nothing(False)
    event = PermissionsChanged(**user.envelope(admin, correlation_id, now), permissions=permissions)
    return Decision.commit(True, user.but(permissions=permissions), event)
