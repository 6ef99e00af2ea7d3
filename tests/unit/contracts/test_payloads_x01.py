"""SPEC X-01, the payload half: each event's schema says precisely what it may carry, so a
producer cannot publish a half-formed event that a consumer would have to guess about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import Event, Permissions, UserProfile
from contracts.common import USER_AGENT_MAX_CHARS
from contracts.notify import mask_email

MakeEvent = Callable[..., Event]


def test_x_01_user_profile_events_carry_the_full_profile(make_event: MakeEvent) -> None:
    event = make_event("UserProfileChanged")
    profile = event.model_dump()["profile"]
    assert set(profile) == set(UserProfile.model_fields)
    assert profile["name"] == "日本 太郎"


def test_x_01_a_profile_change_names_at_least_one_changed_field(make_event: MakeEvent) -> None:
    with pytest.raises(ValidationError):
        make_event("UserProfileChanged", changed_fields=[])
    with pytest.raises(ValidationError):
        make_event("UserProfileChanged", changed_fields=["shoe_size"])


@pytest.mark.parametrize("phone", ["０３-１２３４", "03 1234 5678", "+81-3-1234", "0" * 21])
def test_x_01_profile_phone_is_half_width_digits_and_hyphens(phone: str) -> None:
    with pytest.raises(ValidationError):
        UserProfile(phone=phone)


@pytest.mark.parametrize(
    ("scope", "riders", "ok"),
    [
        ("riders", ["R01"], True),
        ("riders", [], False),
        ("all", [], True),
        ("all", ["R01"], False),
        ("none", [], True),
    ],
)
def test_x_01_permissions_list_riders_exactly_for_the_rider_scope(
    scope: str, riders: list[str], ok: bool
) -> None:
    data: dict[str, Any] = {
        "input_right": "input",
        "contract_scope": scope,
        "rider_codes": riders,
        "application_scope": "all",
    }
    if ok:
        assert Permissions.model_validate(data).contract_scope == scope
    else:
        with pytest.raises(ValidationError):
            Permissions.model_validate(data)


def test_x_01_an_out_of_band_initial_password_does_not_travel(make_event: MakeEvent) -> None:
    with pytest.raises(ValidationError):
        make_event("InitialPasswordIssued", route="out_of_band")
    event = make_event(
        "InitialPasswordIssued",
        route="out_of_band",
        sealed_password=None,
        attachment_password=None,
        recipient_email=None,
    )
    assert event.model_dump()["sealed_password"] is None


def test_x_01_a_mailed_initial_password_needs_the_password_and_a_recipient(
    make_event: MakeEvent,
) -> None:
    with pytest.raises(ValidationError):
        make_event("InitialPasswordIssued", sealed_password=None)
    with pytest.raises(ValidationError):
        make_event("InitialPasswordIssued", recipient_email=None)


@pytest.mark.parametrize("days", [30, 7])
def test_x_01_cert_reminders_are_at_30_and_7_days(days: int, make_event: MakeEvent) -> None:
    assert make_event("CertExpiring", days_before=days).model_dump()["days_before"] == days


@pytest.mark.parametrize("days", [0, 1, 14, 31])
def test_x_01_cert_reminders_at_other_days_are_refused(days: int, make_event: MakeEvent) -> None:
    with pytest.raises(ValidationError):
        make_event("CertExpiring", days_before=days)


def test_x_01_a_cert_rejection_carries_its_status_code(make_event: MakeEvent) -> None:
    dumped = make_event("CertIssueRejected").model_dump(mode="json")
    assert dumped["rejection"] == "INPUT_INFO_ERROR"
    assert dumped["status_code"] == 3420


@pytest.mark.parametrize(
    "outcome", ["eligible", "no_match", "not_yet_linked", "already_registered"]
)
def test_x_01_eligibility_restriction_only_with_a_restricted_outcome(
    outcome: str, make_event: MakeEvent
) -> None:
    with pytest.raises(ValidationError):
        make_event("EligibilityChecked", outcome=outcome)
    assert make_event("EligibilityChecked", outcome=outcome, restriction=None)
    with pytest.raises(ValidationError):
        make_event("EligibilityChecked", restriction=None)


@pytest.mark.parametrize("channel", ["app", "pc"])
def test_x_01_signup_channels_are_app_and_pc(channel: str, make_event: MakeEvent) -> None:
    assert make_event("SignupStarted", channel=channel)
    with pytest.raises(ValidationError):
        make_event("SignupStarted", channel="fax")


def test_x_01_mail_events_refuse_an_unmasked_recipient(make_event: MakeEvent) -> None:
    with pytest.raises(ValidationError):
        make_event("MailFailed", recipient_masked="taro@example.co.jp")


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("taro@example.co.jp", "ta***@example.co.jp"),
        ("ab@example.jp", "***@example.jp"),
        ("a@example.jp", "***@example.jp"),
    ],
)
def test_x_01_mask_email_hides_the_local_part(
    address: str, masked: str, make_event: MakeEvent
) -> None:
    assert mask_email(address) == masked
    assert make_event("MailSent", recipient_masked=mask_email(address))


def test_x_01_a_huge_user_agent_is_clipped_not_refused(make_event: MakeEvent) -> None:
    event = make_event("LoginFailed", user_agent="A" * 100_000)
    assert len(event.model_dump()["user_agent"]) == USER_AGENT_MAX_CHARS


def test_x_01_ip_addresses_are_validated(make_event: MakeEvent) -> None:
    assert str(make_event("LoginFailed", ip="2001:db8::1").model_dump()["ip"]) == "2001:db8::1"
    with pytest.raises(ValidationError):
        make_event("LoginFailed", ip="not-an-ip")


def test_x_01_closed_sets_refuse_values_outside_them(make_event: MakeEvent) -> None:
    with pytest.raises(ValidationError):
        make_event("PasswordChanged", method="guessed")
    with pytest.raises(ValidationError):
        make_event("LoginFailed", reason="bad_luck")
    with pytest.raises(ValidationError):
        make_event("UserCreated", role="root")


def test_x_01_set_valued_fields_serialise_in_a_stable_order(make_event: MakeEvent) -> None:
    event = make_event("UserProfileChanged", changed_fields=["title", "email", "name", "email"])
    assert event.model_dump(mode="json")["changed_fields"] == ["email", "name", "title"]
    rejected = make_event("CertIssueRejected", mismatched_fields=["year", "email"])
    assert rejected.model_dump(mode="json")["mismatched_fields"] == ["email", "year"]
