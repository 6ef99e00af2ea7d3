"""A certificate holder: one kihonet user ID, its notices and its certificates (CT-01..CT-08).

Everything the CA decides about one user ID is decided on this one aggregate, so each decision
is one insert of the holder's next version (X-13): a notice is used once however many requests
race with it, a reissue revokes exactly the older certificates, a renewal happens once, and a
reminder is sent once whatever the replicas and restarts (CT-07).

Old certificates leave the state a year after they expired (X-14): a holder keeps what its
three-year renewals produce, not every certificate it ever had.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.certs import KeyOrigin, ReissueReason, RevocationReason

RENEWAL_WINDOW = timedelta(days=30)
"""CT-05: renewal opens 30 days before expiry."""
REMINDER_DAYS: tuple[int, ...] = (30, 7)
"""CT-07: reminders 30 and 7 days before expiry."""
KEPT_AFTER_EXPIRY = timedelta(days=365)
"""How long an expired certificate stays in its holder's state (X-14)."""
VALIDITY_YEARS = 3
"""CT-04."""
FIRST_BRANCH = "001"


class CertStatus(StrEnum):
    """What the verification API answers (CT-08)."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class SearchBy(StrEnum):
    """What the support desk finds a holder by (WEB-04): the notice's fields that name one."""

    USER_ID = "user_id"
    KIHONET_CODE = "kihonet_code"
    MANAGEMENT_NUMBER = "management_number"


class Standing(StrEnum):
    """How the support desk sees a certificate (WEB-04): CT-08's answers, with ``expiring``
    for a valid one inside its renewal window (CT-05)."""

    VALID = "valid"
    EXPIRING = "expiring"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Notice:
    """A 「ユーザーIDのお知らせ」 (first issue, 枝番 001) or a reissue notice (the next 枝番)."""

    kihonet_code: str
    management_number: str
    user_id: str
    year: int
    branch_number: str
    reason: ReissueReason | None
    """Why a reissue notice was recorded; ``None`` for the first issue's notice."""
    registered_at: datetime
    used_by: str | None = None
    """The serial of the certificate issued with it: a notice issues one certificate."""
    confirmation: str | None = None
    """The key of the issue screen's confirmation that used it (CT-12): that confirmation sent
    again answers this certificate, not a refusal, and signs nothing."""


@dataclass(frozen=True)
class Certificate:
    serial_number: str
    fingerprint_sha256: str
    branch_number: str
    management_number: str
    email: str
    """Where the reminders go (CT-04); changing it needs a reissue."""
    key_origin: KeyOrigin
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    renewed_by: str | None = None
    """The serial of the certificate that renewed this one (CT-05)."""
    reminders: frozenset[int] = frozenset()
    """The reminders done (sent, or passed over because a later one was due): CT-07."""
    expiry_announced: bool = False

    def status(self, now: datetime) -> CertStatus:
        if self.revoked_at is not None:
            return CertStatus.REVOKED
        if now >= self.not_after or now < self.not_before:
            return CertStatus.EXPIRED
        return CertStatus.VALID

    def standing(self, now: datetime) -> Standing:
        """The status, and ``expiring`` once renewal has opened (30 days before expiry)."""
        status = self.status(now)
        if status is CertStatus.VALID and now >= self.not_after - RENEWAL_WINDOW:
            return Standing.EXPIRING
        return Standing(status.value)


@dataclass(frozen=True)
class Holder:
    realm: str
    user_id: str
    notices: tuple[Notice, ...] = ()
    certificates: tuple[Certificate, ...] = ()

    def notice(self, branch_number: str) -> Notice | None:
        return next((n for n in self.notices if n.branch_number == branch_number), None)

    @property
    def latest_notice(self) -> Notice | None:
        return max(self.notices, key=lambda n: n.branch_number, default=None)

    def certificate(self, serial_number: str) -> Certificate | None:
        return next((c for c in self.certificates if c.serial_number == serial_number), None)

    def recorded_with(
        self, *, kihonet_code: str | None = None, management_number: str | None = None
    ) -> bool:
        """Whether a notice of this holder carries that code or management number (the support
        desk's search, WEB-04)."""
        return any(
            (kihonet_code is None or n.kihonet_code == kihonet_code)
            and (management_number is None or n.management_number == management_number)
            for n in self.notices
        )

    def with_certificate(self, cert: Certificate) -> Holder:
        """This holder with ``cert`` added or replaced (by serial)."""
        others = tuple(c for c in self.certificates if c.serial_number != cert.serial_number)
        return replace(self, certificates=(*others, cert))

    def with_notice(self, notice: Notice) -> Holder:
        others = tuple(n for n in self.notices if n.branch_number != notice.branch_number)
        return replace(
            self, notices=tuple(sorted((*others, notice), key=lambda n: n.branch_number))
        )

    def pruned(self, now: datetime) -> Holder:
        """Without the certificates that expired more than a year ago (X-14)."""
        kept = tuple(c for c in self.certificates if c.not_after + KEPT_AFTER_EXPIRY > now)
        return replace(self, certificates=kept)


def add_years(instant: datetime, years: int) -> datetime:
    """The same moment ``years`` later; 29 February becomes 28 February."""
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:
        return instant.replace(year=instant.year + years, day=28)


def validity(now: datetime) -> tuple[datetime, datetime]:
    """A new certificate's validity: from now, three years (CT-04)."""
    return now, add_years(now, VALIDITY_YEARS)


def next_branch(holder: Holder | None) -> str:
    """The 枝番 of the next notice: 001 first, then one more than the highest (CT-06)."""
    if holder is None or holder.latest_notice is None:
        return FIRST_BRANCH
    return f"{int(holder.latest_notice.branch_number) + 1:03d}"
