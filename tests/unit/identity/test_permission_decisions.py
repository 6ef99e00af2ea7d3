"""The decision API's pure rule (ID-PERM-01..03, ID-OTP-04, ID-USER-09): seed 004's matrix as a
table written out here, checked against ``permissions.decide`` for every combination, and a
property that nothing outside the table is allowed."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from identity_people import NOW, session, user
from permission_table import ALL_MATRICES, RIDERS, TABLE, UNLISTED_RIDER, matrix

from contracts import Actor, ActorKind
from contracts.common import Role
from contracts.permissions import Permissions
from services.identity.domain import permissions
from services.identity.domain.permissions import Action, Reason, Resource
from services.identity.domain.refusals import NotPermitted

ME, SOMEONE = "s1", "u9"


RESOURCES = [
    Resource(org_id="o1", owner=owner, rider_code=rider)
    for owner in (ME, SOMEONE)
    for rider in (RIDERS[0], UNLISTED_RIDER)
]


def business(granted: Permissions, **changes: object):
    return session(Role.BUSINESS, permissions=granted, **changes)


def test_id_perm_01_every_cell_of_the_seeds_matrix_decides_as_the_table_says() -> None:
    for granted, (action, allowed), resource in itertools.product(
        ALL_MATRICES, TABLE.items(), RESOURCES
    ):
        verdict = permissions.decide(business(granted), action, resource, protected=False)
        expected = allowed(granted, resource.__dict__, ME)
        assert verdict.allow is expected, (granted, action, resource)
        assert verdict.rule == "ID-PERM-01"
        if not verdict.allow:
            assert verdict.reason in (
                Reason.NO_PERMISSION,
                Reason.NOT_OWN_APPLICATION,
                Reason.RIDER_NOT_PERMITTED,
            )


def test_id_perm_01_the_admin_holds_the_maximum_of_each_axis() -> None:
    admin = session(Role.ADMIN, permissions=permissions.MAXIMUM)
    assert permissions.effective(Role.ADMIN, None, matrix=True) == permissions.MAXIMUM
    for action, resource in itertools.product(TABLE, RESOURCES):
        assert permissions.decide(admin, action, resource, protected=False).allow


def test_id_perm_01_a_new_applicant_user_holds_nothing_until_granted() -> None:
    assert permissions.effective(Role.BUSINESS, None, matrix=True) == permissions.NOTHING
    assert permissions.effective(Role.BUSINESS, None, matrix=False) is None
    assert permissions.effective(Role.SUPPORT, None, matrix=True) is None


def test_id_perm_01_a_scope_that_needs_an_attribute_is_denied_without_it() -> None:
    riders = business(matrix("none", "riders", "own"))
    for action in (Action.CONTRACT_READ, Action.APPLICATION_READ):
        verdict = permissions.decide(riders, action, Resource(org_id="o1"), protected=False)
        assert (verdict.allow, verdict.reason) == (False, Reason.MISSING_ATTRIBUTE)


def test_id_perm_02_the_admins_own_functions_are_the_admins_alone() -> None:
    admin = session(Role.ADMIN, permissions=permissions.MAXIMUM)
    strongest = business(permissions.MAXIMUM)
    for action in permissions.ADMIN_ONLY:
        assert permissions.decide(admin, action, Resource(org_id="o1"), False).rule == "ID-PERM-02"
        assert permissions.decide(admin, action, Resource(org_id="o1"), False).allow
        refused = permissions.decide(strongest, action, Resource(org_id="o1"), False)
        assert (refused.allow, refused.reason, refused.rule) == (
            False,
            Reason.ADMIN_ONLY,
            "ID-PERM-02",
        )


def test_id_perm_03_another_organisations_data_and_staff_are_denied() -> None:
    admin = session(Role.ADMIN, permissions=permissions.MAXIMUM)
    other = permissions.decide(admin, Action.CONTRACT_READ, Resource(org_id="o2"), False)
    assert (other.allow, other.reason) == (False, Reason.OTHER_ORGANISATION)
    missing = permissions.decide(admin, Action.CONTRACT_READ, Resource(), False)
    assert (missing.allow, missing.reason) == (False, Reason.MISSING_ATTRIBUTE)
    support = session(Role.SUPPORT, None)
    staff = permissions.decide(support, Action.BUYER_READ, Resource(org_id="o1"), False)
    assert (staff.allow, staff.reason) == (False, Reason.ROLE_NOT_PERMITTED)


def test_id_perm_03_a_login_still_at_its_steps_decides_nothing() -> None:
    pending = session(Role.ADMIN, permissions=permissions.MAXIMUM, pending_steps=("x",))
    verdict = permissions.decide(pending, Action.BUYER_READ, Resource(org_id="o1"), False)
    assert (verdict.allow, verdict.reason) == (False, Reason.LOGIN_INCOMPLETE)


def test_id_user_09_a_group_reader_reads_its_groups_data_and_changes_nothing() -> None:
    reader = session(
        Role.GROUP_READER,
        None,
        readable_org_ids=("o1", "o2"),
        permissions=permissions.GROUP_READING,
    )
    read = permissions.decide(reader, Action.CONTRACT_READ, Resource(org_id="o2"), False)
    assert read.allow
    elsewhere = permissions.decide(reader, Action.CONTRACT_READ, Resource(org_id="o3"), False)
    assert elsewhere.reason is Reason.OTHER_ORGANISATION
    for change in (Action.APPLICATION_INPUT, Action.BUYER_REGISTER, Action.BUSINESS_USERS_READ):
        refused = permissions.decide(reader, change, Resource(org_id="o1"), False)
        assert (refused.allow, refused.reason, refused.rule) == (
            False,
            Reason.READ_ONLY,
            "ID-USER-09",
        )


def test_id_otp_04_a_protected_operation_waits_for_the_otp_and_a_free_one_does_not() -> None:
    owes = business(permissions.MAXIMUM, otp_required=True)
    resource = Resource(org_id="o1", rider_code=RIDERS[0])
    protected = permissions.decide(owes, Action.CONTRACT_READ, resource, protected=True)
    assert (protected.allow, protected.reason, protected.rule) == (
        False,
        Reason.OTP_REQUIRED,
        "ID-OTP-04",
    )
    assert permissions.decide(owes, Action.PREMIUM_ESTIMATE, resource, protected=False).allow
    verified = replace(owes, otp_verified=True)
    assert permissions.decide(verified, Action.CONTRACT_READ, resource, protected=True).allow
    nobody_asks = business(permissions.MAXIMUM, otp_required=False)
    assert permissions.decide(nobody_asks, Action.CONTRACT_READ, resource, protected=True).allow
    no_right = business(permissions.NOTHING, otp_required=True)
    denied = permissions.decide(no_right, Action.CONTRACT_READ, resource, protected=True)
    assert denied.reason is Reason.NO_PERMISSION, "no code is asked for what is not allowed"


def test_id_perm_01_only_an_applicant_user_holds_a_matrix_of_its_own() -> None:
    admin = Actor(kind=ActorKind.ADMIN, id="a1")
    changed = permissions.change(user(Role.BUSINESS), permissions.MAXIMUM, admin, "c1", NOW)
    assert changed.state is not None and changed.state.permissions == permissions.MAXIMUM
    [event] = changed.events
    assert event.type == "PermissionsChanged" and event.permissions == permissions.MAXIMUM
    again = permissions.change(changed.state, permissions.MAXIMUM, admin, "c1", NOW)
    assert again.state is None, "the same matrix again changes nothing"
    with pytest.raises(NotPermitted):
        permissions.change(user(Role.ADMIN), permissions.NOTHING, admin, "c1", NOW)


def test_id_perm_04_dantai_nets_admin_id_never_sees_the_data_its_business_ids_process() -> None:
    """Seed 000 Q3: 管理用IDでは、生保会社とやりとりするデータを確認・処理することはできません."""
    admin = session(Role.ADMIN, realm="dantai-net")
    clerk = session(Role.BUSINESS, realm="dantai-net")
    here = Resource(org_id="o1")
    for action in permissions.BUSINESS_DATA:
        refused = permissions.decide(admin, action, here, protected=False)
        assert (refused.allow, refused.reason, refused.rule) == (
            False,
            Reason.ROLE_NOT_PERMITTED,
            "ID-PERM-04",
        )
        allowed = permissions.decide(clerk, action, here, protected=False)
        assert (allowed.allow, allowed.rule) == (True, "ID-PERM-04")
        other = permissions.decide(clerk, action, Resource(org_id="o2"), protected=False)
        assert other.reason is Reason.OTHER_ORGANISATION
        elsewhere = permissions.decide(session(Role.BUSINESS, realm="nexi"), action, here, False)
        assert elsewhere.reason is Reason.UNKNOWN_ACTION, "not an action of nexi's portal"
    for both in (admin, clerk):
        assert permissions.decide(both, Action.SCHEDULE_READ, here, protected=False).allow
    staff = session(Role.SUPPORT, None, realm="dantai-net")
    desk = permissions.decide(staff, Action.BILLING_DATA_RECEIVE, here, protected=False)
    assert desk.reason is Reason.ROLE_NOT_PERMITTED


KNOWN = {action.value for action in Action}
roles = st.sampled_from(list(Role))
matrices = st.sampled_from([*ALL_MATRICES, None])
ids = st.sampled_from(["o1", "o2", ME, SOMEONE, "", None])
riders = st.sampled_from([*RIDERS, UNLISTED_RIDER, "", None])
actions = st.sampled_from(sorted(KNOWN)) | st.text(max_size=40)


@settings(max_examples=1000)
@given(
    role=roles,
    granted=matrices,
    action=actions,
    org_id=ids,
    owner=ids,
    rider=riders,
    protected=st.booleans(),
    otp_required=st.booleans(),
    otp_verified=st.booleans(),
    restricted=st.booleans(),
    realm=st.sampled_from(["demo", "nexi", "dantai-net"]),
)
def test_id_perm_03_nothing_outside_the_table_is_ever_allowed(
    role: Role,
    granted: Permissions | None,
    action: str,
    org_id: str | None,
    owner: str | None,
    rider: str | None,
    protected: bool,
    otp_required: bool,
    otp_verified: bool,
    restricted: bool,
    realm: str,
) -> None:
    subject = session(
        role,
        None if role in (Role.SUPPORT, Role.MEMBER, Role.GROUP_READER) else "o1",
        permissions=granted,
        readable_org_ids=("o2",) if role is Role.GROUP_READER else (),
        otp_required=otp_required,
        otp_verified=otp_verified,
        pending_steps=("password_change",) if restricted else (),
        realm=realm,
    )
    resource = Resource(org_id=org_id, owner=owner, rider_code=rider)
    verdict = permissions.decide(subject, action, resource, protected)
    if not verdict.allow:
        return
    assert action in KNOWN and not restricted
    assert not (protected and otp_required and not otp_verified)
    known = Action(action)
    assert permissions.REALM_OWN.get(known, realm) == realm
    assert known not in permissions.BUSINESS_DATA or role is Role.BUSINESS, "ID-PERM-04"
    if role is Role.GROUP_READER:
        assert org_id == "o2" and known in permissions.READS
        return
    assert role in (Role.ADMIN, Role.BUSINESS) and org_id == "o1"
    assert known not in permissions.ADMIN_ONLY or role is Role.ADMIN
    if known in TABLE:
        assert granted is not None and TABLE[known](granted, resource.__dict__, ME)
