"""Events of the identity service, on topic ``identity.events`` (SPEC section 2).

Unless an event says otherwise, ``subject_id`` is the internal user id, so one user's story
(created, failed, locked, unlocked, password changed...) stays in order on one partition.

Two habits hold throughout:

* No secret in clear (X-02). What notify must put into a mail (a password, a link, a code)
  travels as a :class:`~contracts.sealed.SealedSecret`; session ids and binding cookies never
  travel at all (a ``session_ref`` names a session without being able to act as one).
* Events that need a mail carry the recipient address. Notify then needs no copy of user data,
  and the mail goes where the address was when the event happened.

Renamed from the issue's list:

* ``LinkIssued`` → ``EmailLinkIssued`` because three flows mail a one-time link with the same
  shape and rules (ID-MAIL-01 e-mail-auth address confirmation, 60 min; ID-MAIL-02 login link,
  10 min; ID-EMAIL-01 e-mail change confirmation, 24 h). One event with a ``purpose`` field
  keeps the secret-handling in one place; "Link" alone did not say that it is mailed, and
  "LoginLink" would misname two of the three purposes.
* ``LinkConsumed`` → ``EmailLinkConsumed`` to match.

``TrustedAddressesChanged`` came with the bot defence (issue 12): the realm's support desk
replaced its list of trusted networks (ID-BOT-03), which audit must be able to show.
``BusinessIdRequested`` and ``BusinessIdRequestRefused`` came with the support console (issue
22): a `dantai-net` admin's request for a business ID and the support desk's refusal of it
(ID-USER-10); module ``id_requests`` says why. ``OrganisationContactChanged`` came with
団体情報変更 (issue 23, ID-USER-11); module ``organisations`` says why.

The other names are the issue's. Where the issue listed a flow but the contract splits it,
the split is deliberate: ``PasswordChanged`` records *that* the password changed (no secret),
while ``InitialPasswordIssued`` / ``TemporaryPasswordIssued`` carry the sealed password for
the mail. A `nexi` reset (ID-PW-06) therefore emits ``PasswordChanged(method="reset")`` and
``TemporaryPasswordIssued(reason="reset", recipient_role="admin")``.
"""

from contracts.identity.enrolment import EnrolmentRefusal, MemberEnrolmentRefused
from contracts.identity.id_requests import BusinessIdRequested, BusinessIdRequestRefused
from contracts.identity.login import (
    AccountLocked,
    AccountUnlocked,
    BrowserBindingReset,
    BrowserRegistered,
    CurrentPasswordRejected,
    LockReason,
    LoginChannel,
    LoginFailed,
    LoginFailureReason,
    LoginSucceeded,
    PasswordCheckPurpose,
    SessionEnded,
    SessionEndReason,
    SessionRef,
    SessionStarted,
    TrustedAddressesChanged,
    TrustedNetworkEntry,
    UnlockReason,
)
from contracts.identity.mail import (
    AuthEmailConfirmed,
    AuthEmailReset,
    EmailChanged,
    EmailChangeRequested,
    EmailLinkConsumed,
    EmailLinkIssued,
    LinkPurpose,
    OtpIssued,
    OtpVerified,
    OtpVoided,
    OtpVoidReason,
)
from contracts.identity.operations import (
    OperationCode,
    OperationPerformed,
)
from contracts.identity.organisations import (
    ContactField,
    OrganisationContactChanged,
    OrgContact,
)
from contracts.identity.passwords import (
    InitialPasswordIssued,
    InitialPasswordRoute,
    PasswordChanged,
    PasswordChangeMethod,
    PasswordResetDeclined,
    PasswordResetDeclineReason,
    RecipientRole,
    TemporaryPasswordDeclined,
    TemporaryPasswordDeclineReason,
    TemporaryPasswordIssued,
    TemporaryPasswordReason,
)
from contracts.identity.users import (
    OtpPolicyChanged,
    PermissionsChanged,
    ProfileField,
    UserCreated,
    UserProfileChanged,
    UserStatus,
    UserStatusChanged,
)

__all__ = [
    "AccountLocked",
    "AccountUnlocked",
    "AuthEmailConfirmed",
    "AuthEmailReset",
    "BrowserBindingReset",
    "BrowserRegistered",
    "BusinessIdRequestRefused",
    "BusinessIdRequested",
    "ContactField",
    "CurrentPasswordRejected",
    "EmailChangeRequested",
    "EmailChanged",
    "EmailLinkConsumed",
    "EmailLinkIssued",
    "EnrolmentRefusal",
    "InitialPasswordIssued",
    "InitialPasswordRoute",
    "LinkPurpose",
    "LockReason",
    "LoginChannel",
    "LoginFailed",
    "LoginFailureReason",
    "LoginSucceeded",
    "MemberEnrolmentRefused",
    "OperationCode",
    "OperationPerformed",
    "OrgContact",
    "OrganisationContactChanged",
    "OtpIssued",
    "OtpPolicyChanged",
    "OtpVerified",
    "OtpVoidReason",
    "OtpVoided",
    "PasswordChangeMethod",
    "PasswordChanged",
    "PasswordCheckPurpose",
    "PasswordResetDeclineReason",
    "PasswordResetDeclined",
    "PermissionsChanged",
    "ProfileField",
    "RecipientRole",
    "SessionEndReason",
    "SessionEnded",
    "SessionRef",
    "SessionStarted",
    "TemporaryPasswordDeclineReason",
    "TemporaryPasswordDeclined",
    "TemporaryPasswordIssued",
    "TemporaryPasswordReason",
    "TrustedAddressesChanged",
    "TrustedNetworkEntry",
    "UnlockReason",
    "UserCreated",
    "UserProfileChanged",
    "UserStatus",
    "UserStatusChanged",
]
