"""ID-USER-12 (seed 004 3-3, 4-2): every user reads its own profile; `nexi`'s admin changes its
own (``admin_profile.change``, OTP-protected where its organisation requires it), the e-mail by
its link only; `nexi` applicants' login IDs are the realm's next number, 11 digits."""

from __future__ import annotations

import pytest
from identity_people import NOW, session, user

from contracts import UserProfileChanged
from contracts.common import Role, UserProfile
from contracts.identity import ProfileField
from services.identity.domain import authz, login_numbers, own_profile, portal_menus
from services.identity.domain.authz import BackOffice
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import NotPermitted, OtpRequired, StepsPending
from services.identity.domain.sessions import Session

NEXI = PRESETS["nexi"]


def nexi_session(role: Role = Role.ADMIN, **changes: object) -> Session:
    found: Session = session(role, realm="nexi", user_id="u1", **changes)
    return found


@pytest.mark.parametrize("role", list(Role))
def test_id_user_12_every_full_session_reads_its_own_profile(role: Role) -> None:
    org_id = None if role in (Role.MEMBER, Role.SUPPORT, Role.GROUP_READER) else "o1"
    caller = nexi_session(role, org_id=org_id, otp_required=True)
    assert authz.read_own_profile(caller, NEXI) is caller, "a free menu, before the OTP"


def test_id_user_12_reading_needs_a_full_session_of_the_realm() -> None:
    with pytest.raises(StepsPending):
        authz.read_own_profile(nexi_session(pending_steps=("password_change",)), NEXI)
    with pytest.raises(NotPermitted):
        authz.read_own_profile(nexi_session(), PRESETS["demo"])
    with pytest.raises(NotPermitted):
        authz.read_own_profile(BackOffice(), NEXI)


def test_id_user_12_only_a_nexi_admin_changes_its_own_profile() -> None:
    admin = nexi_session()
    assert authz.change_own_admin_profile(admin, NEXI) is admin
    for role in (Role.BUSINESS, Role.GROUP_READER, Role.SUPPORT):
        with pytest.raises(NotPermitted):
            authz.change_own_admin_profile(nexi_session(role), NEXI)
    demo_admin = session(Role.ADMIN)
    with pytest.raises(NotPermitted):
        authz.change_own_admin_profile(demo_admin, PRESETS["demo"])


def test_id_otp_04_the_admins_own_change_waits_for_the_otp_where_required() -> None:
    with pytest.raises(OtpRequired):
        authz.change_own_admin_profile(nexi_session(otp_required=True), NEXI)
    verified = nexi_session(otp_required=True, otp_verified=True)
    assert authz.change_own_admin_profile(verified, NEXI) is verified


def test_id_user_12_manage_still_refuses_oneself() -> None:
    with pytest.raises(NotPermitted):
        authz.manage(nexi_session(), user(Role.ADMIN, realm="nexi"))


def test_id_user_12_the_change_names_the_admin_and_keeps_the_email() -> None:
    admin = user(Role.ADMIN, realm="nexi", profile=UserProfile(name="旧", email="old@example.jp"))
    wanted = UserProfile(
        name="日本　太郎", title="部長", phone="03-1234-5678", email="n@example.jp"
    )
    decided = own_profile.change(admin, nexi_session(), wanted, "c1", NOW)
    assert decided.state is not None
    assert decided.state.profile == wanted.model_copy(update={"email": "old@example.jp"})
    [event] = decided.events
    assert isinstance(event, UserProfileChanged)
    assert (event.actor.kind.value, event.actor.id) == ("admin", "u1")
    assert event.changed_fields == frozenset(
        {ProfileField.NAME, ProfileField.TITLE, ProfileField.PHONE}
    ), "the e-mail is not among them: it changes by its link"


def test_id_user_12_the_same_profile_changes_nothing() -> None:
    admin = user(Role.ADMIN, realm="nexi")
    decided = own_profile.change(admin, nexi_session(), admin.profile, "c1", NOW)
    assert decided.state is None and not decided.events


def test_id_user_12_nobody_changes_anothers_profile_or_an_applicants_own() -> None:
    with pytest.raises(NotPermitted):
        own_profile.change(user(Role.ADMIN, user_id="u2"), nexi_session(), UserProfile(), "c", NOW)
    with pytest.raises(NotPermitted):
        own_profile.change(user(Role.BUSINESS), nexi_session(), UserProfile(), "c", NOW)


def test_id_email_01_only_a_new_address_starts_the_link() -> None:
    admin = user(Role.ADMIN)
    assert own_profile.email_changes(admin, "new@example.jp")
    assert not own_profile.email_changes(admin, admin.profile.email)
    assert not own_profile.email_changes(admin, None)
    assert not own_profile.email_changes(admin, "")


def test_id_user_12_numbers_are_taken_one_after_another_11_digits() -> None:
    first = login_numbers.take_next(None, "nexi")
    assert first.outcome == 1 and first.state == login_numbers.LoginNumbers("nexi", 1)
    assert not first.events
    second = login_numbers.take_next(first.state, "nexi")
    assert second.outcome == 2
    assert login_numbers.assigned_login_id(1) == "00000000001"
    assert login_numbers.assigned_login_id(12345678901) == "12345678901"
    assert NEXI.business_login_id.match(login_numbers.assigned_login_id(1))
    with pytest.raises(OverflowError):
        login_numbers.take_next(login_numbers.LoginNumbers("nexi", 10**11 - 1), "nexi")


def test_id_user_12_only_nexi_assigns_ids_and_has_the_admins_own_page() -> None:
    assert {n for n, p in PRESETS.items() if p.assigned_business_ids} == {"nexi"}
    assert {n for n, p in PRESETS.items() if p.own_admin_profile} == {"nexi"}


def test_id_user_12_nexi_menus_lead_to_the_profile_pages() -> None:
    menus = portal_menus.portal("nexi").menus
    items = {i.label: i for m in menus[Role.ADMIN] for i in m.items}
    assert items["Webユーザー情報照会"].page == "/profile"
    assert not items["Webユーザー情報照会"].protected, "seed 004 5-3: usable before the OTP"
    change = items["Webユーザー（管理者）情報変更"]
    assert change.page == "/profile/change" and change.protected
    applicant = {i.label for m in menus[Role.BUSINESS] for i in m.items}
    assert "Webユーザー情報照会" in applicant
    assert "Webユーザー（管理者）情報変更" not in applicant
