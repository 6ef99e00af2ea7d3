"""Shared contracts of the platform: event envelope, one model per event type, topics,
the type registry and the sealed-secret type (SPEC X-01, X-02).

Pure pydantic: no I/O. Services import it for shapes only, so a producer and its consumers
cannot disagree about an event without one of them failing validation, visibly.

Producers build an event and publish ``event.to_json()`` under ``event.key()`` to
``event.topic``; consumers call :func:`parse_event` and skip ``None``. Payload enums live in
their producer module (``contracts.identity.LoginFailureReason`` and so on).
"""

from contracts.audit import AccessRecorded
from contracts.certs import (
    CertExpired,
    CertExpiring,
    CertIssued,
    CertIssueRejected,
    CertReissued,
    CertRenewed,
    CertRevoked,
)
from contracts.common import Role, UserProfile
from contracts.enroll import (
    CheckupCodeVerified,
    EligibilityChecked,
    MemberRegistered,
    SecretQuestionSet,
    SignupActivated,
    SignupStarted,
)
from contracts.envelope import (
    Actor,
    ActorKind,
    AuditEvent,
    CertsEvent,
    EnrollEvent,
    Event,
    IdentityEvent,
    NotifyEvent,
    Topics,
)
from contracts.identity import (
    AccountLocked,
    AccountUnlocked,
    AuthEmailConfirmed,
    AuthEmailReset,
    BrowserBindingReset,
    BrowserRegistered,
    EmailChanged,
    EmailChangeRequested,
    EmailLinkConsumed,
    EmailLinkIssued,
    InitialPasswordIssued,
    LoginFailed,
    LoginSucceeded,
    OperationPerformed,
    OtpIssued,
    OtpPolicyChanged,
    OtpVerified,
    OtpVoided,
    PasswordChanged,
    PermissionsChanged,
    SessionEnded,
    SessionStarted,
    TemporaryPasswordIssued,
    TrustedAddressesChanged,
    UserCreated,
    UserProfileChanged,
    UserStatusChanged,
)
from contracts.notify import (
    MailFailed,
    MailSent,
)
from contracts.permissions import Permissions
from contracts.registry import ALL_TOPICS, EVENT_TYPES, parse_event, topic_of
from contracts.sealed import SealedSecret, UnsealError, generate_keypair, open_sealed, seal

__all__ = [
    "ALL_TOPICS",
    "EVENT_TYPES",
    "AccessRecorded",
    "AccountLocked",
    "AccountUnlocked",
    "Actor",
    "ActorKind",
    "AuditEvent",
    "AuthEmailConfirmed",
    "AuthEmailReset",
    "BrowserBindingReset",
    "BrowserRegistered",
    "CertExpired",
    "CertExpiring",
    "CertIssueRejected",
    "CertIssued",
    "CertReissued",
    "CertRenewed",
    "CertRevoked",
    "CertsEvent",
    "CheckupCodeVerified",
    "EligibilityChecked",
    "EmailChangeRequested",
    "EmailChanged",
    "EmailLinkConsumed",
    "EmailLinkIssued",
    "EnrollEvent",
    "Event",
    "IdentityEvent",
    "InitialPasswordIssued",
    "LoginFailed",
    "LoginSucceeded",
    "MailFailed",
    "MailSent",
    "MemberRegistered",
    "NotifyEvent",
    "OperationPerformed",
    "OtpIssued",
    "OtpPolicyChanged",
    "OtpVerified",
    "OtpVoided",
    "PasswordChanged",
    "Permissions",
    "PermissionsChanged",
    "Role",
    "SealedSecret",
    "SecretQuestionSet",
    "SessionEnded",
    "SessionStarted",
    "SignupActivated",
    "SignupStarted",
    "TemporaryPasswordIssued",
    "Topics",
    "TrustedAddressesChanged",
    "UnsealError",
    "UserCreated",
    "UserProfile",
    "UserProfileChanged",
    "UserStatusChanged",
    "generate_keypair",
    "open_sealed",
    "parse_event",
    "seal",
    "topic_of",
]
