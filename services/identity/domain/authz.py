"""Who may do what in identity: one place, answered alike for every route.

The caller is a session (a person) or the back office (the system that opens organisations
when an application is accepted, holding the provisioning token). Each question refuses with
:class:`~.refusals.StepsPending` when the session still has login steps to complete (only the
password change itself is open to it) and with :class:`~.refusals.NotPermitted` otherwise.
Questions about an organisation are asked *before* anything about it is read, so a caller who
may not see it cannot tell whether it exists (X-15).

Where the organisation requires an OTP (ID-OTP-01), identity's own important operations are
protected ones (seed 004 5-3 leaves only a few menus free): managing users and their
permissions, the OTP switch itself, and a user's own password and e-mail address, since the
address is where the codes go. They refuse with :class:`~.refusals.OtpRequired` until the
session is verified (ID-OTP-04).

The roles (ID-USER-01, -03, -04, -09): an organisation's admin acts on its business users; the
realm's support desk acts on admins and on individual members, who have no admin of their own;
a group-wide reader reads the organisations of its corporate group and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.common import Role
from services.identity.domain import permissions
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotPermitted, OtpRequired, StepsPending
from services.identity.domain.sessions import Session
from services.identity.domain.users import User


@dataclass(frozen=True)
class BackOffice:
    """The back-office system, authenticated by the provisioning token."""


Caller = Session | BackOffice


def _person(caller: Caller, realm: RealmPolicy) -> Session:
    """A full session of ``realm``: no steps pending, no other realm's session."""
    if isinstance(caller, BackOffice) or caller.realm != realm.name:
        raise NotPermitted()
    if caller.restricted:
        raise StepsPending()
    return caller


def _protected(session: Session) -> Session:
    """A protected operation waits for the OTP where the organisation requires one."""
    if session.needs_otp:
        raise OtpRequired()
    return session


def _support(caller: Caller, realm: RealmPolicy) -> Session:
    session = _person(caller, realm)
    if session.role is not Role.SUPPORT:
        raise NotPermitted()
    return session


def open_organisations(caller: Caller, realm: RealmPolicy) -> None:
    """The back office, or the realm's support desk."""
    if not isinstance(caller, BackOffice):
        _support(caller, realm)


def read_organisation(caller: Caller, realm: RealmPolicy, org_id: str) -> None:
    """The back office, the organisation's admin, the realm's support, or a group-wide reader
    of its corporate group (ID-USER-09)."""
    if isinstance(caller, BackOffice):
        return
    read_users_of(caller, realm, org_id)


def read_users_of(caller: Caller, realm: RealmPolicy, org_id: str) -> None:
    """The organisation's users and their history (ID-USER-07): its admin, the realm's support,
    a group-wide reader of its corporate group."""
    session = _protected(_person(caller, realm))
    if session.role is Role.ADMIN and session.org_id == org_id:
        return
    if session.role is Role.GROUP_READER and org_id in session.readable_org_ids:
        return
    if session.role is not Role.SUPPORT:
        raise NotPermitted()


def add_business_users(caller: Caller, realm: RealmPolicy, org_id: str) -> Session:
    """Only the organisation's admin adds business users (ID-USER-01)."""
    session = _protected(_person(caller, realm))
    if session.role is not Role.ADMIN or session.org_id != org_id:
        raise NotPermitted()
    return session


def support_desk(caller: Caller, realm: RealmPolicy) -> Session:
    """Support's own work: approving ID requests, registering members, group readers."""
    return _support(caller, realm)


def manage_users_of(caller: Caller, realm: RealmPolicy, org_id: str | None) -> Session:
    """Before reading the user: the organisation's admin, or the realm's support desk (for
    an organisation's admin, or for a member, who has no organisation)."""
    session = _protected(_person(caller, realm))
    if session.role is Role.SUPPORT:
        return session
    if org_id is None or session.role is not Role.ADMIN or session.org_id != org_id:
        raise NotPermitted()
    return session


def manage(session: Session, user: User) -> None:
    """After reading the user: an admin manages its business users (ID-USER-01), support
    manages admins and members (ID-USER-03, -04); nobody manages support or themselves."""
    if session.role is Role.ADMIN and user.role is Role.BUSINESS:
        return
    if session.role is Role.SUPPORT and user.role in (Role.ADMIN, Role.MEMBER):
        return
    raise NotPermitted()


def own_password(caller: Caller, realm: RealmPolicy) -> Session:
    """Anyone changes their own password, the pending step of a restricted session included;
    a full session's change is a protected operation."""
    if isinstance(caller, BackOffice) or caller.realm != realm.name:
        raise NotPermitted()
    return caller if caller.restricted else _protected(caller)


def login_steps(caller: Caller, realm: RealmPolicy) -> Session:
    """A pending login's own steps, from its restricted session (ID-LOGIN-01 steps 8-10)."""
    if isinstance(caller, BackOffice) or caller.realm != realm.name:
        raise NotPermitted()
    return caller


def own_account(caller: Caller, realm: RealmPolicy) -> Session:
    """A full session changes its own e-mail (ID-EMAIL-01): where OTPs go, so protected."""
    return _protected(_person(caller, realm))


def own_otp(caller: Caller, realm: RealmPolicy) -> Session:
    """A full session asks for its own code and enters it (ID-OTP-02, -03)."""
    return _person(caller, realm)


def switch_otp(caller: Caller, realm: RealmPolicy, org_id: str) -> Session:
    """Only the organisation's admin switches the OTP (ID-OTP-01, seed 004 5-2); switching it
    off is protected by it."""
    session = _protected(_person(caller, realm))
    if session.role is not Role.ADMIN or session.org_id != org_id:
        raise NotPermitted()
    return session


def change_org_contact(caller: Caller, realm: RealmPolicy, org_id: str) -> Session:
    """Only the organisation's admin changes its contact (ID-USER-11, seed 000 Q3): where its
    password notices go, so protected."""
    session = _protected(_person(caller, realm))
    if session.role is not Role.ADMIN or session.org_id != org_id:
        raise NotPermitted()
    return session


def own_member_details(caller: Caller, realm: RealmPolicy) -> Session:
    """Only individual members keep their own login ID and phone (ID-USER-08); an
    organisation's users have them maintained by their admin (ID-USER-06)."""
    session = _person(caller, realm)
    if not realm.members or session.role is not Role.MEMBER:
        raise NotPermitted()
    return session


def read_own_profile(caller: Caller, realm: RealmPolicy) -> Session:
    """Every user reads its own profile (ID-USER-12, seed 004 3-3 Webユーザー情報照会): a free
    menu, open before the OTP (seed 004 5-3 keeps it clickable)."""
    return _person(caller, realm)


def change_own_admin_profile(caller: Caller, realm: RealmPolicy) -> Session:
    """The admin changes its own profile where the realm has the page (ID-USER-12, seed 004
    4-2): the decision API's ``admin_profile.change`` on its own organisation, admin-only
    (ID-PERM-02) and protected by the OTP where the organisation requires it (ID-OTP-04).
    Its own rule, not :func:`manage`, which nobody passes for themselves."""
    session = _person(caller, realm)
    if not realm.own_admin_profile or session.org_id is None:
        raise NotPermitted()
    resource = permissions.Resource(org_id=session.org_id)
    verdict = permissions.decide(session, permissions.Action.ADMIN_PROFILE_CHANGE, resource, True)
    if verdict.reason is permissions.Reason.OTP_REQUIRED:
        raise OtpRequired()
    if not verdict.allow:
        raise NotPermitted()
    return session
