"""Who may do what (ID-USER-01, -03, -04, -09, X-15): one place, answered alike everywhere."""

from __future__ import annotations

import pytest
from identity_people import DEMO, session, user

from contracts.common import Role
from services.identity.domain import authz
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import NotPermitted, StepsPending

ADMIN = session(Role.ADMIN, "o1")
SUPPORT = session(Role.SUPPORT, None)
BUSINESS = session(Role.BUSINESS, "o1")
READER = session(Role.GROUP_READER, None, readable_org_ids=("o1", "o2"))
MEMBER = session(Role.MEMBER, None)


def allowed(question: object, *args: object) -> bool:
    try:
        question(*args)  # type: ignore[operator]
    except NotPermitted:
        return False
    return True


def test_id_user_01_only_the_organisations_admin_adds_its_business_users() -> None:
    assert allowed(authz.add_business_users, ADMIN, DEMO, "o1")
    assert not allowed(authz.add_business_users, ADMIN, DEMO, "o2")
    for other in (SUPPORT, BUSINESS, READER, MEMBER, authz.BackOffice()):
        assert not allowed(authz.add_business_users, other, DEMO, "o1")


def test_id_user_04_support_manages_admins_and_members_admins_manage_business_users() -> None:
    assert allowed(authz.manage, ADMIN, user(Role.BUSINESS))
    assert not allowed(authz.manage, ADMIN, user(Role.ADMIN))
    assert allowed(authz.manage, SUPPORT, user(Role.ADMIN))
    assert allowed(authz.manage, SUPPORT, user(Role.MEMBER))
    assert not allowed(authz.manage, SUPPORT, user(Role.SUPPORT))
    assert not allowed(authz.manage, SUPPORT, user(Role.BUSINESS))
    for nobody in (BUSINESS, READER, MEMBER):
        assert not allowed(authz.manage, nobody, user(Role.BUSINESS))


def test_id_user_09_a_group_reader_reads_its_groups_organisations_and_changes_nothing() -> None:
    assert allowed(authz.read_users_of, READER, DEMO, "o2")
    assert not allowed(authz.read_users_of, READER, DEMO, "o3")
    assert not allowed(authz.manage_users_of, READER, DEMO, "o1")
    assert not allowed(authz.add_business_users, READER, DEMO, "o1")


def test_x_15_another_realms_session_and_the_back_office_are_refused_alike() -> None:
    foreign = session(Role.SUPPORT, None, realm="nexi")
    for question, args in (
        (authz.read_users_of, (DEMO, "o1")),
        (authz.manage_users_of, (DEMO, "o1")),
        (authz.support_desk, (DEMO,)),
        (authz.own_account, (DEMO,)),
    ):
        assert not allowed(question, foreign, *args)
        assert not allowed(question, authz.BackOffice(), *args)
    assert allowed(authz.open_organisations, authz.BackOffice(), DEMO)
    assert allowed(authz.read_organisation, authz.BackOffice(), DEMO, "o1")


def test_id_login_01_a_session_with_pending_steps_may_only_change_its_password() -> None:
    waiting = session(Role.ADMIN, "o1", pending_steps=("password_change",))
    assert allowed(authz.own_password, waiting, DEMO)
    with pytest.raises(StepsPending):
        authz.read_users_of(waiting, DEMO, "o1")
    with pytest.raises(StepsPending):
        authz.own_account(waiting, DEMO)


def test_id_user_08_only_members_keep_their_own_login_id_and_phone() -> None:
    mypage = PRESETS["mypage"]
    assert allowed(authz.own_member_details, session(Role.MEMBER, None, realm="mypage"), mypage)
    assert not allowed(authz.own_member_details, session(Role.ADMIN, "o1", realm="mypage"), mypage)
    assert not allowed(authz.own_member_details, MEMBER, DEMO), "demo has no members"
