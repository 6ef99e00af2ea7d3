"""What every enroll use case works with: the store, the clock, the policies, sealing for
notify, and the one call to identity. Use cases load, ask the domain, commit; the rules are
the domain's."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from contracts import SealedSecret, seal
from domainkit.tokyo import TOKYO
from servicekit.clock import Clock
from services.enroll.domain.checkup import GatePolicy
from services.enroll.domain.consent import Documents
from services.enroll.domain.refusals import Unavailable
from services.enroll.domain.signups import NewLink, SignupPolicy, token_hash
from services.enroll.store import EnrollStore
from services.enroll.usecases.identity_client import CredentialHolder

DEFAULT_TERMS = "https://kencom.jp/terms"
DEFAULT_PRIVACY = "https://kencom.jp/privacy_policy"


@dataclass(frozen=True)
class RosterPolicy:
    rows_per_bucket: int = 512
    bytes_per_row: int = 40
    """What a roster line takes in a file, to size the buckets before reading it."""
    max_file_bytes: int = 2 * 1024**3
    importing: float = 3600.0
    """Seconds an import's collection is left alone while it may still be written."""
    reading: float = 600.0
    """Seconds a roster no longer in force is kept for checks that had read its head."""


@dataclass
class Context:
    store: EnrollStore
    clock: Clock
    holder: CredentialHolder
    notify_public_key: str = ""
    signups: SignupPolicy = field(default_factory=SignupPolicy)
    gates: GatePolicy = field(default_factory=GatePolicy)
    rosters: RosterPolicy = field(default_factory=RosterPolicy)
    group_links: Mapping[str, str] = field(default_factory=dict)
    """団体連携コード → the group it links to (a setting: codes are handed out by partners)."""
    documents: Documents = field(
        default_factory=lambda: Documents("1.0", DEFAULT_TERMS, "1.0", DEFAULT_PRIVACY)
    )
    """The kencom 会員規約 and プライバシーポリシー in force (EN-09; the operator's settings)."""
    person_key: bytes = b""
    """Keys the digest that names a person (set at start from the settings or the database)."""

    def today(self) -> date:
        """The day in Tokyo (X-04): birthdays and ages are Japanese dates."""
        return self.clock.now().astimezone(TOKYO).date()

    def sealed(self, secret: str) -> SealedSecret:
        """A secret only notify can open (X-02); refused before anything when no notify key is
        configured, since nobody could mail what is sealed."""
        if not self.notify_public_key:
            raise Unavailable("メール送信の設定（NOTIFY_PUBLIC_KEY）がありません")
        return seal(secret, self.notify_public_key)

    def new_token(self, signup_id: str) -> tuple[str, str]:
        """A token naming its sign-up, with 256 random bits (X-11), and its hash."""
        token = f"{signup_id}.{secrets.token_urlsafe(32)}"
        return token, token_hash(token)

    def new_link(self, signup_id: str) -> NewLink:
        """An activation link, sealed for notify: the page below kencom's portal URL."""
        token, hashed = self.new_token(signup_id)
        return NewLink(hashed, self.sealed(f"/realms/kencom/activate?token={token}"))
