"""X-05 for the issue request (CT-02): what the schema accepts, the certificate can hold, so
``cryptography`` never refuses a request after its notice was matched; and the e-mail address
is the portals' one definition (``contracts.common.MAIL_ADDRESS``), in certs, identity and
enroll alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.common import MAIL_ADDRESS
from services.certs.api.schemas import RequestFields
from services.certs.usecases.signing import Authority, Holding, KeyAlgorithm, Urls, new_key
from services.enroll.usecases.inputs import SignupIn
from services.identity.domain import profiles
from services.identity.domain.refusals import ProfileRefused

NOW = datetime(2026, 4, 1, tzinfo=UTC)
CA = Authority.create(
    "test", KeyAlgorithm.EC_P256, NOW, Urls("http://c/crl", "http://c/ocsp", "http://c/ca")
)
KEY = new_key(KeyAlgorithm.EC_P256).public_key()
TYPED = {
    "kihonet_code": "12345678",
    "management_number": "AB12345678",
    "user_id": "U123456",
    "year": "2026",
    "branch_number": "001",
    "email": "a@example.jp",
}


def accepted(fields: dict[str, Any]) -> RequestFields | None:
    try:
        return RequestFields.model_validate(fields)
    except ValidationError:
        return None


def signed(body: RequestFields) -> bool:
    holding = Holding(body.user_id, body.management_number, body.email)
    try:
        CA.sign(KEY, holding, 1, NOW, NOW + timedelta(days=1))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("email", ["a(b)@c.jp", "a<b>@c.jp", "b <a@c.jp>", "山田@example.jp"])
def test_x_05_ct_02_an_address_cryptography_refuses_is_refused_by_the_schema(email: str) -> None:
    assert accepted(TYPED | {"email": email}) is None


ADDRESS_LIKE = (
    st.from_regex(r"[!-~]{1,12}@[!-~]{1,12}", fullmatch=True)
    | st.from_regex(r"[!-~]{0,6}[ ()<>\[\]:;,\"\\@]{1,3}[!-~]{0,6}@[!-~]{1,12}", fullmatch=True)
    | st.from_regex(MAIL_ADDRESS, fullmatch=True)
    | st.text(max_size=30)
)
"""Addresses as typed: printable ASCII around an @ (what the schema took before), the
characters of RFC 5322's comments, display names and quoted strings among them, the one
definition's own, and any text."""


@settings(max_examples=500)
@given(ADDRESS_LIKE)
def test_x_05_ct_02_whatever_address_the_issue_schema_accepts_goes_into_a_certificate(
    email: str,
) -> None:
    """Accepted by the schema means signed without a refusal (the RFC822Name)."""
    body = accepted(TYPED | {"email": email})
    assert body is None or signed(body)


@given(
    st.fixed_dictionaries(
        {
            "user_id": st.text(max_size=8) | st.from_regex(r"[!-~]{7}", fullmatch=True),
            "management_number": st.text(max_size=11) | st.from_regex(r"[!-~]{10}", fullmatch=True),
        }
    )
)
def test_x_05_ct_02_whatever_subject_fields_the_issue_schema_accepts_go_into_a_certificate(
    changed: dict[str, str],
) -> None:
    """The user ID and 管理番号 the subject shows (CT-03): accepted means signed."""
    body = accepted(TYPED | changed)
    assert body is None or signed(body)


@given(st.from_regex(MAIL_ADDRESS, fullmatch=True).filter(lambda a: len(a) <= 50))
def test_x_05_an_address_of_the_one_definition_is_taken_by_certs_identity_and_enroll(
    address: str,
) -> None:
    body = accepted(TYPED | {"email": address})
    assert body is not None and signed(body)
    assert profiles.checked_email(address) == address
    assert SignupIn(email=address, email_confirmation=address, password="x").email == address


@given(ADDRESS_LIKE.filter(lambda a: 3 <= len(a) <= 50))
def test_x_05_certs_identity_and_enroll_refuse_the_same_addresses(address: str) -> None:
    """Within the lengths all three take (identity's profile keeps 50 characters)."""
    by_certs = accepted(TYPED | {"email": address}) is not None
    by_enroll = _taken(lambda: SignupIn(email=address, email_confirmation=address, password="x"))
    by_identity = _taken(lambda: profiles.checked_email(address))
    assert by_certs == by_enroll == by_identity


def _taken(make: Any) -> bool:
    try:
        make()
    except (ValidationError, ProfileRefused):
        return False
    return True
