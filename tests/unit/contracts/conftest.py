"""Fixtures for the contracts tests: a notify key pair and one valid sample of every event.

The samples are written by hand, one per event type, so that each reads like a real event of
the portal; ``test_x_01_every_event_type_has_a_sample`` fails when a new event type is added
without one, which keeps every round-trip and secrecy test covering every type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts import EVENT_TYPES, Actor, Event, SealedSecret, generate_keypair, seal
from contracts.envelope import ActorKind

NOW = datetime(2025, 4, 1, 0, 30, tzinfo=UTC)
"""A fixed instant (09:30 in Tokyo): tests set the time, never read the wall clock."""

PLAIN_PASSWORD = "Tr0ub4dor&3-plain"
PLAIN_LINK = "https://portal.example.jp/login-link?token=0f3c2b9a8d7e6f5a4b3c2d1e0f9a8b7c"
PLAIN_CODE = "482913"


@pytest.fixture(scope="session")
def keypair() -> tuple[str, str]:
    """The notify service's key pair: (public, private), base64."""
    return generate_keypair()


def _envelope(subject_id: str = "user-0001", **extra: Any) -> dict[str, Any]:
    return {
        "occurred_at": NOW,
        "realm": "nexi",
        "org_id": "org-42",
        "subject_id": subject_id,
        "actor": Actor(kind=ActorKind.USER, id=subject_id),
        "correlation_id": "req-7f1c",
        **extra,
    }


def _samples(public_key: str) -> dict[str, dict[str, Any]]:
    """A valid payload (envelope included) for every event type, keyed by type name."""

    def sealed(text: str) -> SealedSecret:
        return seal(text, public_key)

    profile = {
        "name": "日本 太郎",
        "department": "見本事業部",
        "title": "事業部長",
        "email": "taro@example.co.jp",
        "phone": "03-1234-5678",
    }
    permissions = {
        "input_right": "input_apply",
        "contract_scope": "riders",
        "rider_codes": ["R01", "R07"],
        "application_scope": "own",
    }
    browser = {"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Edge/124"}
    admin = Actor(kind=ActorKind.ADMIN, id="user-admin")
    cert = {
        "serial_number": "4A3F0C21",
        "fingerprint_sha256": "ab" * 32,
        "email": "cert-holder@example.co.jp",
        "key_origin": "csr",
        "not_before": NOW,
        "not_after": NOW + timedelta(days=3 * 365),
    }
    return {
        # identity
        "UserCreated": _envelope(
            actor=admin,
            login_id="201234567890",
            role="business",
            profile=profile,
            permissions=permissions,
        ),
        "UserProfileChanged": _envelope(
            actor=admin,
            login_id="201234567890",
            profile={**profile, "title": "部長"},
            changed_fields=["title"],
        ),
        "UserStatusChanged": _envelope(
            actor=admin, status="inactive", previous_status="active", note="退職のため"
        ),
        "PermissionsChanged": _envelope(actor=admin, permissions=permissions),
        "OtpPolicyChanged": _envelope(subject_id="org-42", actor=admin, enabled=True),
        "TrustedAddressesChanged": _envelope(
            subject_id="realm:kencom",
            org_id=None,
            actor=Actor(kind=ActorKind.SUPPORT, id="desk-1"),
            entries=[{"organisation": "サンプル健康保険組合", "networks": ["203.0.113.0/24"]}],
        ),
        "LoginSucceeded": _envelope(
            login_id="201234567890", previous_login_at=NOW - timedelta(days=1), **browser
        ),
        "LoginFailed": _envelope(
            actor=Actor.system(),
            login_id="201234567890",
            reason="invalid_credentials",
            consecutive_failures=2,
            **browser,
        ),
        "AccountLocked": _envelope(
            actor=Actor.system(), reason="consecutive_failures", consecutive_failures=3, **browser
        ),
        "AccountUnlocked": _envelope(actor=admin, reason="unlock", note="本人確認済み"),
        "CurrentPasswordRejected": _envelope(
            purpose="password_change",
            consecutive_failures=3,
            session_ref="sref-91b2",
            locked=True,
            **browser,
        ),
        "PasswordChanged": _envelope(method="self", must_change=False),
        "InitialPasswordIssued": _envelope(
            actor=admin,
            login_id="XA5000123",
            route="mail_to_org_contact",
            recipient_email="contact@example.co.jp",
            sealed_password=sealed(PLAIN_PASSWORD),
            attachment_password=sealed("0312345678"),
        ),
        "TemporaryPasswordIssued": _envelope(
            login_id="201234567890",
            reason="self_service",
            recipient_role="user",
            recipient_email="taro@example.co.jp",
            sealed_password=sealed(PLAIN_PASSWORD),
            expires_at=NOW + timedelta(hours=24),
        ),
        "TemporaryPasswordDeclined": _envelope(
            actor=Actor.system(), login_id="201234567890", reason="address_mismatch"
        ),
        "PasswordResetDeclined": _envelope(
            actor=Actor.system(), login_id="taro@example.co.jp", reason="limit_reached"
        ),
        "EmailLinkIssued": _envelope(
            purpose="login",
            recipient_email="auth@example.co.jp",
            sealed_link=sealed(PLAIN_LINK),
            expires_at=NOW + timedelta(minutes=10),
        ),
        "EmailLinkConsumed": _envelope(purpose="login", **browser),
        "AuthEmailConfirmed": _envelope(auth_email="auth@example.co.jp", kept_session="sref-91b2"),
        "AuthEmailReset": _envelope(actor=admin),
        "EmailChangeRequested": _envelope(
            new_email="new@example.co.jp", expires_at=NOW + timedelta(hours=24)
        ),
        "EmailChanged": _envelope(
            previous_email="taro@example.co.jp",
            new_email="new@example.co.jp",
            completion_notice_to="new@example.co.jp",
        ),
        "OtpIssued": _envelope(
            session_ref="sref-91b2",
            recipient_email="taro@example.co.jp",
            sealed_code=sealed(PLAIN_CODE),
            expires_at=NOW + timedelta(minutes=10),
            max_attempts=2,
        ),
        "OtpVerified": _envelope(session_ref="sref-91b2"),
        "OtpVoided": _envelope(actor=Actor.system(), session_ref="sref-91b2", reason="superseded"),
        "BrowserRegistered": _envelope(**browser),
        "BrowserBindingReset": _envelope(actor=admin),
        "SessionStarted": _envelope(
            session_ref="sref-91b2",
            idle_timeout_seconds=1800,
            expires_at=NOW + timedelta(hours=8),
            **browser,
        ),
        "SessionEnded": _envelope(session_ref="sref-91b2", reason="logout"),
        "OperationPerformed": _envelope(
            actor=Actor(kind=ActorKind.SERVICE, id="web-apply"),
            source_system="web-apply",
            login_id="201234567890",
            operation_code="1-4",
            operation_label="Web申込状況一覧の参照",
            **browser,
        ),
        # certs
        "CertIssued": _envelope(
            subject_id="AB12345",
            realm="kihonet",
            user_id="AB12345",
            management_number="M000012345",
            branch_number="001",
            notice_year=2025,
            **cert,
        ),
        "CertRenewed": _envelope(
            subject_id="AB12345", realm="kihonet", previous_serial_number="4A3F0C20", **cert
        ),
        "CertReissued": _envelope(
            subject_id="AB12345",
            realm="kihonet",
            branch_number="002",
            reason="pc_change",
            supersedes=["4A3F0C20"],
            **cert,
        ),
        "CertRevoked": _envelope(
            subject_id="AB12345", realm="kihonet", serial_number="4A3F0C20", reason="superseded"
        ),
        "CertExpiring": _envelope(
            subject_id="AB12345",
            realm="kihonet",
            actor=Actor.system(),
            serial_number="4A3F0C21",
            not_after=NOW + timedelta(days=7),
            days_before=7,
            renewed_already=True,
            recipient_email="cert-holder@example.co.jp",
        ),
        "CertExpired": _envelope(
            subject_id="AB12345",
            realm="kihonet",
            actor=Actor.system(),
            serial_number="4A3F0C21",
            not_after=NOW,
        ),
        "CertIssueRejected": _envelope(
            subject_id="AB12345",
            realm="kihonet",
            user_id="AB12345",
            rejection="INPUT_INFO_ERROR",
            status_code=3420,
            mismatched_fields=["year"],
            suggest_next_year=True,
        ),
        "BusinessIdRequested": _envelope(
            subject_id="user-0077",
            realm="dantai-net",
            actor=Actor(kind=ActorKind.ADMIN, id="admin-0001"),
            login_id="XA5000123",
        ),
        "BusinessIdRequestRefused": _envelope(
            subject_id="user-0077",
            realm="dantai-net",
            actor=Actor(kind=ActorKind.SUPPORT, id="desk-1"),
            login_id="XA5000123",
            note="申込書の記載内容に不備があるため",
        ),
        "OrganisationContactChanged": _envelope(
            subject_id="org-42",
            realm="dantai-net",
            actor=admin,
            contact={
                "name": "日本　花子",
                "email": "madoguchi@example.co.jp",
                "phone": "03-1234-5678",
                "postal_code": "100-0001",
                "address": "東京都千代田区千代田１－１",
            },
            changed_fields=["email", "name"],
            previous_email="taro@example.co.jp",
            completion_notice_to="madoguchi@example.co.jp",
        ),
        "MemberEnrolmentRefused": _envelope(
            subject_id="signup-5c1d",
            realm="kencom",
            org_id=None,
            actor=Actor.system(),
            reason="login_id_taken",
        ),
        # enroll
        "SignupStarted": _envelope(
            subject_id="signup-5c1d",
            realm="kencom",
            org_id=None,
            actor=Actor(kind=ActorKind.USER, id="signup-5c1d"),
            channel="pc",
            email="hanako@example.jp",
            sealed_activation_link=sealed(PLAIN_LINK),
            expires_at=NOW + timedelta(hours=1),
        ),
        "SignupAlreadyRegistered": _envelope(
            subject_id="signup-5c1d",
            realm="kencom",
            org_id=None,
            actor=Actor(kind=ActorKind.USER, id="signup-5c1d"),
            channel="app",
            email="hanako@example.jp",
        ),
        "SignupActivated": _envelope(
            subject_id="signup-5c1d", realm="kencom", org_id=None, channel="pc"
        ),
        "EligibilityChecked": _envelope(
            subject_id="signup-5c1d",
            realm="kencom",
            org_id=None,
            outcome="restricted",
            insurer_number="06123456",
            restriction="dependant_age_limit",
        ),
        "MemberRegistered": _envelope(
            subject_id="signup-5c1d",
            realm="kencom",
            org_id=None,
            user_id="user-0777",
            email="hanako@example.jp",
            insurer_number="06123456",
        ),
        "SecretQuestionSet": _envelope(
            subject_id="user-0777", realm="kencom", org_id=None, question_id="mother-maiden-name"
        ),
        "CheckupCodeVerified": _envelope(subject_id="user-0777", realm="kencom", org_id=None),
        "SecretAnswerUnlocked": _envelope(
            subject_id="user-0777",
            realm="kencom",
            org_id=None,
            actor=Actor(kind=ActorKind.SUPPORT, id="support-0042"),
        ),
        # notify
        "MailSent": _envelope(
            actor=Actor(kind=ActorKind.SERVICE, id="notify"),
            causation_id="3f6d0c1e-2b1a-4c5d-9e8f-7a6b5c4d3e2f",
            source_event_id="3f6d0c1e-2b1a-4c5d-9e8f-7a6b5c4d3e2f",
            source_event_type="EmailLinkIssued",
            template="login_link",
            recipient_masked="au***@example.co.jp",
            message_id="<3f6d0c1e-2b1a-4c5d-9e8f-7a6b5c4d3e2f@notify.example.jp>",
            attempts=1,
        ),
        "MailFailed": _envelope(
            actor=Actor(kind=ActorKind.SERVICE, id="notify"),
            source_event_id="3f6d0c1e-2b1a-4c5d-9e8f-7a6b5c4d3e2f",
            source_event_type="EmailLinkIssued",
            template="login_link",
            recipient_masked="au***@example.co.jp",
            reason="550 5.1.1 mailbox unavailable",
            attempts=5,
        ),
        # audit
        "AccessRecorded": _envelope(
            actor=Actor(kind=ActorKind.SERVICE, id="audit"),
            login_id="201234567890",
            user_name="日本 太郎",
            department="見本事業部",
            title="事業部長",
            operation_code="1-2",
            operation_label="パスワード変更",
            source_event_id="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            source_event_type="PasswordChanged",
            **browser,
        ),
        "AccessExportReady": _envelope(
            subject_id="user-0007",
            actor=Actor(kind=ActorKind.ADMIN, id="user-0007"),
            export_id="Zq3x9L0aVbN2mC4dE6fG8hJ1kL3mN5pQ",
            login_id="201234567890",
            recipient_email="admin@example.co.jp",
            rows=1_000_000,
            size_bytes=83_000_000,
            first_day="2024-04-01",
            last_day="2025-03-31",
            expires_at=NOW + timedelta(days=1),
            page_path="/realms/nexi/access-history/exports/Zq3x9L0aVbN2mC4dE6fG8hJ1kL3mN5pQ",
        ),
    }


@pytest.fixture(scope="session")
def plain_secrets() -> tuple[str, ...]:
    """The clear texts sealed into the samples: none may ever show outside a sealed field."""
    return (PLAIN_PASSWORD, PLAIN_LINK, PLAIN_CODE, "0312345678")


@pytest.fixture(scope="session")
def samples(keypair: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """One valid payload per event type (sealed to the test key pair)."""
    return _samples(keypair[0])


@pytest.fixture
def make_event(
    samples: dict[str, dict[str, Any]],
) -> Callable[..., Event]:
    """Build the sample event of a type, with fields overridden: ``make_event("X", a=1)``."""

    def make(type_name: str, **overrides: Any) -> Event:
        return EVENT_TYPES[type_name].model_validate({**samples[type_name], **overrides})

    return make
