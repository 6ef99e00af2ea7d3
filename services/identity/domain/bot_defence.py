"""kencom's bot defence (ID-BOT-01..03, seed 003 【参考】): what is known of a client address.

Seed 003: every browser login passes an image check (画像認証); concentrated access and failed
logins from one IP address make it harder; a union's registered addresses skip it until a set
number of failures from that address. Here the check is a proof-of-work challenge (ALTCHA)
whose work is the *difficulty*: the range of numbers the browser searches.

What an address did is counted per address, never per user, so nobody can make a victim's
logins harder, or lock a victim, by failing from elsewhere (ID-BOT-02). The counts are a
sliding window of timestamps, capped at what the highest difficulty needs. Storage must not grow
with what strangers send (X-14), so, as the shadow counts of :mod:`.lockout`, addresses are
counted in a fixed number of slots keyed by an HMAC of the address: each slot is an aggregate
of the versioned store (exact counts, X-13) holding at most ``capacity`` addresses; timestamps
older than the window go whenever their slot is written, and a full slot gives up its least
suspicious address. An IPv6 client is counted by its /64, the block one subscriber holds.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from contracts import Actor
from contracts.identity import LoginChannel, TrustedAddressesChanged, TrustedNetworkEntry
from domainkit.decision import Decision, envelope
from services.identity.domain.refusals import Refusal


class ChallengeRequired(Refusal):
    """A login came without a solved challenge from an address that must send one (ID-BOT-01)."""


class ChallengeFailed(Refusal):
    """The challenge sent was not good: forged, expired, made elsewhere, wrong, or used."""


class TrustedListFull(Refusal):
    """The realm's list of trusted networks holds as many entries as an event may carry."""


@dataclass(frozen=True)
class ChallengePolicy:
    """The knobs of ID-BOT-02 and -03, from the settings (defaults: docs/identity/)."""

    window: timedelta
    """The sliding window over which an address's accesses and failures count."""
    lifetime: timedelta
    """How long an issued challenge may be answered."""
    base_max_number: int
    """The search range of a challenge for an address with nothing against it."""
    step_factor: int
    accesses_per_step: int
    failures_per_step: int
    max_steps: int
    trusted_failure_limit: int
    """Failures from a trusted address, within the window, after which it is challenged."""
    slots: int
    capacity: int

    @property
    def kept(self) -> int:
        """Timestamps of one kind kept per address: what the highest difficulty needs."""
        most = max(self.accesses_per_step, self.failures_per_step) * self.max_steps
        return max(most, self.trusted_failure_limit)


@dataclass(frozen=True)
class ClientId:
    """Where an address is counted: its slot, and its keyed digest (the address is not kept)."""

    realm: str
    slot: int
    digest: str


def network_of(address: str | None) -> str:
    """What one client is: an IPv4 address, or an IPv6 /64; ``unknown`` without an address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_id(key: bytes, realm: str, address: str | None, slots: int) -> ClientId:
    mac = hmac.new(key, f"{realm}\0{network_of(address)}".encode(), hashlib.sha256).digest()
    return ClientId(realm, int.from_bytes(mac[:8], "big") % slots, mac[8:24].hex())


def slot_aggregate_id(client: ClientId) -> str:
    return f"address:{client.realm}:{client.slot}"


@dataclass(frozen=True)
class Activity:
    digest: str
    accesses: tuple[datetime, ...] = ()
    failures: tuple[datetime, ...] = ()

    def within(self, now: datetime, window: timedelta) -> Activity:
        return Activity(
            self.digest,
            tuple(t for t in self.accesses if now - t < window),
            tuple(t for t in self.failures if now - t < window),
        )

    @property
    def empty(self) -> bool:
        return not (self.accesses or self.failures)

    @property
    def suspicion(self) -> tuple[int, int, datetime | None]:
        """Which address a full slot keeps longest: the one with most failures, then most
        accesses, then the most recent."""
        last = max((*self.accesses, *self.failures), default=None)
        return len(self.failures), len(self.accesses), last


@dataclass(frozen=True)
class AddressSlot:
    realm: str
    slot: int
    activities: tuple[Activity, ...] = ()

    def of(self, digest: str) -> Activity | None:
        return next((a for a in self.activities if a.digest == digest), None)


@dataclass(frozen=True)
class Difficulty:
    steps: int
    max_number: int


def difficulty(activity: Activity | None, now: datetime, policy: ChallengePolicy) -> Difficulty:
    """ID-BOT-02: each ``accesses_per_step`` accesses and each ``failures_per_step`` failures
    within the window multiply the work by ``step_factor``, up to ``max_steps``."""
    steps = 0
    if activity is not None:
        recent = activity.within(now, policy.window)
        steps = len(recent.accesses) // policy.accesses_per_step
        steps += len(recent.failures) // policy.failures_per_step
    steps = min(steps, policy.max_steps)
    return Difficulty(steps, policy.base_max_number * policy.step_factor**steps)


class Kind(Enum):
    ACCESS = "access"
    """A challenge was asked for: concentrated access raises the difficulty."""
    FAILURE = "failure"
    """A login from the address failed (a challenge refused, a wrong password, ...)."""


def record(
    slot: AddressSlot | None,
    client: ClientId,
    kind: Kind,
    now: datetime,
    policy: ChallengePolicy,
) -> Decision[AddressSlot, Difficulty]:
    """One more access or failure from ``client``; answers its difficulty after it."""
    current = slot or AddressSlot(client.realm, client.slot)
    mine = (current.of(client.digest) or Activity(client.digest)).within(now, policy.window)
    if kind is Kind.ACCESS:
        mine = replace(mine, accesses=(*mine.accesses, now)[-policy.kept :])
    else:
        mine = replace(mine, failures=(*mine.failures, now)[-policy.kept :])
    others = [a.within(now, policy.window) for a in current.activities if a.digest != client.digest]
    others = [a for a in others if not a.empty]
    while len(others) >= policy.capacity:
        others.remove(min(others, key=lambda a: a.suspicion))
    new = AddressSlot(current.realm, current.slot, (*others, mine))
    return Decision.commit(difficulty(mine, now, policy), new)


def skips_challenge(
    trusted: bool, activity: Activity | None, now: datetime, policy: ChallengePolicy
) -> bool:
    """ID-BOT-03: a trusted address logs in without a challenge until ``trusted_failure_limit``
    failures from it within the window; then the challenge returns."""
    if not trusted:
        return False
    failures = 0 if activity is None else len(activity.within(now, policy.window).failures)
    return failures < policy.trusted_failure_limit


def app_credential_digest(credential: str) -> str:
    """What the settings keep of the app's client credential (EN-09): its SHA-256, so that the
    configuration holds nothing a client could send."""
    return hashlib.sha256(credential.encode()).hexdigest()


def login_channel(app_proved: bool) -> LoginChannel:
    return LoginChannel.APP if app_proved else LoginChannel.BROWSER


def challenged(realm_has_challenge: bool, channel: LoginChannel) -> bool:
    """ID-BOT-01 and EN-09: a realm's logins pass the challenge, except the app's (seed 003
    【参考】: the app stores' rules make that attack very hard); browsers always do."""
    return realm_has_challenge and channel is not LoginChannel.APP


# --- trusted addresses (ホワイトリスト) -----------------------------------------------------


@dataclass(frozen=True)
class TrustedAddresses:
    """The realm's trusted networks, each registered for the organisation that asked (a
    union, 健保組合). Members of such a realm belong to no organisation here, and an address
    says nothing of whose login it carries, so the list is the realm's, kept by its support
    desk; each entry names the organisation it is for."""

    realm: str
    entries: tuple[TrustedNetworkEntry, ...] = ()

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for entry in self.entries for network in entry.networks)


TRUSTED_ENTRIES_LIMIT = 100
"""The most entries the list holds (``TrustedAddressesChanged`` carries them all)."""


def trusted_aggregate_id(realm: str) -> str:
    return f"trusted:{realm}"


def trust(
    current: TrustedAddresses | None,
    realm: str,
    entries: tuple[TrustedNetworkEntry, ...],
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> Decision[TrustedAddresses, bool]:
    """The support desk replaces the realm's list; the event carries the whole new list."""
    if current is not None and current.entries == entries:
        return Decision.nothing(False)
    changed = TrustedAddressesChanged(
        **envelope(realm, None, f"realm:{realm}", actor, correlation_id, now), entries=entries
    )
    return Decision.commit(True, TrustedAddresses(realm, entries), changed)


def add_trusted(
    current: TrustedAddresses | None,
    realm: str,
    entry: TrustedNetworkEntry,
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> Decision[TrustedAddresses, bool]:
    """The support desk adds one organisation's networks to the latest list (a retry of the
    same entry changes nothing); the event carries the whole new list."""
    entries = () if current is None else current.entries
    if entry in entries:
        return Decision.nothing(False)
    if len(entries) >= TRUSTED_ENTRIES_LIMIT:
        raise TrustedListFull(f"登録できるのは{TRUSTED_ENTRIES_LIMIT}件までです")
    return trust(current, realm, (*entries, entry), actor, correlation_id, now)


def remove_trusted(
    current: TrustedAddresses | None,
    realm: str,
    entry: TrustedNetworkEntry,
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> Decision[TrustedAddresses, bool]:
    """The support desk removes one entry from the latest list; an entry already gone
    changes nothing (and answers ``False``)."""
    entries = () if current is None else current.entries
    if entry not in entries:
        return Decision.nothing(False)
    rest = tuple(e for e in entries if e != entry)
    return trust(current, realm, rest, actor, correlation_id, now)
