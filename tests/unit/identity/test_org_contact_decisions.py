"""団体情報変更's pure decision and its inputs (ID-USER-11, NT-06, X-02, X-06, X-07)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts import Actor, ActorKind
from contracts.common import UserProfile
from contracts.identity import ContactField, OrganisationContactChanged, OrgContact
from domainkit.decision import Decision
from services.identity.domain import org_contact
from services.identity.domain.organisations import Organisation
from services.identity.domain.realms import PRESETS
from services.identity.domain.refusals import MissingContact
from services.identity.usecases.org_contact import OrgContactIn

NOW = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
ADMIN = Actor(kind=ActorKind.ADMIN, id="admin-1")
PROFILE = UserProfile(name="日本　太郎", email="taro@example.jp", phone="03-1111-2222")
ORG = Organisation("dantai-net", "org-1", "テスト団体", NOW, "admin-1", "XA3000001")
NEW = OrgContact(
    name="日本　花子",
    email="madoguchi@example.jp",
    phone="03-1234-5678",
    postal_code="100-0001",
    address="東京都千代田区千代田１－１",
)


def decided(org: Organisation, contact: OrgContact = NEW) -> Decision[Organisation, bool]:
    return org_contact.change(org, contact, PROFILE, ADMIN, "c1", NOW)


def announced(org: Organisation, contact: OrgContact = NEW) -> OrganisationContactChanged:
    [event] = decided(org, contact).events
    assert isinstance(event, OrganisationContactChanged)
    return event


def test_id_user_11_the_first_change_replaces_the_admins_profile_as_the_contact() -> None:
    first = decided(ORG)
    assert first.outcome is True and first.state is not None
    assert first.state.contact == NEW
    event = announced(ORG)
    assert event.type == "OrganisationContactChanged"
    assert (event.subject_id, event.org_id, event.actor) == ("org-1", "org-1", ADMIN)
    assert event.contact == NEW and event.completion_notice_to == "madoguchi@example.jp"
    assert event.previous_email == "taro@example.jp", "where the notices went before"
    assert event.changed_fields == frozenset(ContactField)


def test_id_user_11_a_later_change_names_only_what_changed_and_moves_no_address() -> None:
    org = decided(ORG).state
    assert org is not None
    moved = NEW.model_copy(update={"address": "東京都港区芝公園４－２－８"})
    event = announced(org, moved)
    assert event.changed_fields == {ContactField.ADDRESS}
    assert event.previous_email is None and event.completion_notice_to == NEW.email


def test_id_user_11_the_same_contact_again_commits_nothing() -> None:
    org = decided(ORG).state
    assert org is not None
    again = decided(org)
    assert (again.outcome, again.state, again.events) == (False, None, ())


def test_id_user_11_x_02_the_event_carries_no_secret() -> None:
    event = announced(ORG)
    assert b"sealed" not in event.to_json() and b"password" not in event.to_json()


def test_nt_06_password_notices_go_to_the_current_contact_else_the_admins_profile() -> None:
    assert org_contact.for_notices(ORG, PROFILE) == ("taro@example.jp", "03-1111-2222")
    changed = decided(ORG).state
    assert changed is not None
    assert org_contact.for_notices(changed, PROFILE) == ("madoguchi@example.jp", "03-1234-5678")
    with pytest.raises(MissingContact):
        org_contact.for_notices(ORG, UserProfile(email="taro@example.jp"))


def test_id_user_11_only_the_realm_of_contact_notices_keeps_a_contact() -> None:
    assert [name for name, p in PRESETS.items() if org_contact.kept_by(p)] == ["dantai-net"]


def typed(**changes: str) -> dict[str, str]:
    return {**NEW.model_dump(), **changes}


def test_x_07_the_name_and_address_are_stored_full_width_in_cp932s_form() -> None:
    parsed = OrgContactIn(
        **typed(name="日本 花子", address="東京都千代田区千代田1-1", postal_code="1000001")
    )
    assert parsed.name == "日本　花子"
    assert parsed.address == "東京都千代田区千代田１－１"
    assert parsed.postal_code == "100-0001"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "髙橋 一郎", "「髙」は使用できない文字です"),
        ("address", "東京都①番地", "「①」は使用できない文字です"),
        ("address", "あ" * 101, "100文字以内"),
        ("email", "ｍａｄｏ@example.jp", "半角50文字以内のメールアドレス"),
        ("phone", "０３－１２３４－５６７８", "半角数字とハイフン"),
        ("postal_code", "１００－０００１", "半角数字7桁"),
        ("postal_code", "100-001", "半角数字7桁"),
        ("name", "", "at least 1"),
    ],
)
def test_x_06_x_07_junk_is_refused_at_its_field(field: str, value: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        OrgContactIn(**typed(**{field: value}))
    [error] = refused.value.errors()
    assert error["loc"] == (field,) and says in error["msg"]
