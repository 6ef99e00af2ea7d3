"""The CA's use cases in the portal's words: register a notice, issue, renew, revoke, verify.

Each loads the holder, checks what it can before signing (so a refused request costs no
signature and leaves nothing behind), signs, claims the serial, and commits the holder's next
version through the repository (X-13); the commit carries the events (X-03). A refused issue
or renewal is announced too (CT-11), straight through the publisher: it changes no state, so
there is nothing for it to be written together with, and an unknown user ID must not leave a
document behind for every guess a stranger makes (X-14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from prometheus_client import Counter

from contracts.certs import KeyOrigin, RevocationReason
from servicekit.logs import get_logger
from servicekit.publish import Publisher
from services.certs.domain import decisions, refusals
from services.certs.domain.decisions import Context, IssueRequest, NoticeRequest, Signed
from services.certs.domain.holders import (
    Certificate,
    CertStatus,
    Holder,
    Notice,
    SearchBy,
    validity,
)
from services.certs.store import CertsStore
from services.certs.usecases.authority import AuthorityKeeper
from services.certs.usecases.signing import (
    Holding,
    KeyAlgorithm,
    PrivateKey,
    fingerprint,
    new_key,
    proves_possession,
    serial_hex,
)

log = get_logger(__name__)

ISSUE_REFUSALS = Counter(
    "certs_issue_refusals_total",
    "Issue and renewal requests refused, by section 7's rejection (CT-02, CT-05)",
    ["rejection"],
)
"""Counted here, where the refusal is decided, whether or not its announcement reaches Kafka:
X-19's CertIssueRefusals watches for someone guessing notices, or notices recorded wrong."""


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    recorded: Certificate
    user_id: str
    """Whose it is: a renewal's caller knows it only from the old certificate."""
    pkcs12: bytes | None = None


class IssuedAlready(Exception):
    """The confirmation of this request issued ``certificate`` already (CT-12)."""

    def __init__(self, certificate: Certificate) -> None:
        super().__init__(certificate.serial_number)
        self.certificate = certificate


def _raise_if_issued(earlier: Certificate | None) -> None:
    if earlier is not None:
        raise IssuedAlready(earlier)


@dataclass(frozen=True)
class NoticeKeysIndexed:
    """What indexing the earlier notices did: holders read, their notices, keys added."""

    holders: int
    notices: int
    added: int


@dataclass(frozen=True)
class Verified:
    status: CertStatus
    serial_number: str | None
    not_after: datetime | None = None
    revoked_at: datetime | None = None


class Certificates:
    def __init__(
        self, store: CertsStore, keeper: AuthorityKeeper, publisher: Publisher, realm: str
    ) -> None:
        self.store = store
        self.keeper = keeper
        self.publisher = publisher
        self.realm = realm

    def _id(self, user_id: str) -> str:
        return self.store.holder_id(self.realm, user_id)

    async def register_notice(self, request: NoticeRequest, ctx: Context) -> Notice:
        """The back office or support records a notice; a reissue takes the next 枝番 (CT-06).
        Its keys are indexed first, so the support desk finds the holder by them (WEB-04)."""
        await self.store.index_notice(
            self.realm, request.user_id, request.kihonet_code, request.management_number
        )
        return await self.store.holders.update(
            self._id(request.user_id), lambda h: decisions.register_notice(h, request, ctx)
        )

    async def holder(self, user_id: str) -> Holder | None:
        """One holder with its notices and certificates, for the support desk (WEB-04)."""
        return await self.store.holders.get(self._id(user_id))

    async def find_holders(self, by: SearchBy, value: str, limit: int = 20) -> list[Holder]:
        """The holders the support desk looks for (WEB-04): by user ID, or by a notice's
        企保ネットコード or 管理番号 (the index is a hint; each holder found is checked)."""
        if by is SearchBy.USER_ID:
            found = await self.holder(value)
            return [] if found is None else [found]
        keys = {by.value: value}
        user_ids = await self.store.users_by_notice(
            self.realm,
            kihonet_code=keys.get(SearchBy.KIHONET_CODE.value),
            management_number=keys.get(SearchBy.MANAGEMENT_NUMBER.value),
            limit=limit,
        )
        holders = []
        for user_id in user_ids:
            holder = await self.holder(user_id)
            if holder is not None and holder.recorded_with(**keys):
                holders.append(holder)
        return holders

    async def index_earlier_notices(self, batch: int = 200) -> NoticeKeysIndexed:
        """Index the notices recorded before the index existed (issue 22), so the support desk
        finds their holders by 企保ネットコード or 管理番号 too (WEB-04). Idempotent (a key
        indexed already is not written again) and bounded: ``batch`` holders are read and
        their keys written in one write at a time, whatever the number of holders."""
        holders = notices = added = 0
        async for ids in self.store.holder_ids(self.realm, batch):
            keys: list[tuple[str, str, str]] = []
            for aggregate_id in ids:
                holder = await self.store.holders.get(aggregate_id)
                if holder is None:
                    continue
                holders += 1
                keys += [(n.user_id, n.kihonet_code, n.management_number) for n in holder.notices]
            notices += len(keys)
            added += await self.store.index_notices(self.realm, keys)
        return NoticeKeysIndexed(holders, notices, added)

    async def issue(
        self, request: IssueRequest, public_key: object, origin: KeyOrigin, ctx: Context
    ) -> Issued:
        """A certificate for a request that matches its notice (CT-01..04, CT-06)."""
        holder_id = self._id(request.user_id)
        current = await self.store.holders.load(holder_id)
        _raise_if_issued(decisions.issued_by_confirmation(current.state, request))
        try:
            notice = decisions.matching_notice(current.state, request)
        except refusals.Refusal as refusal:
            await self._announce_refusal(request.user_id, refusal, ctx)
            raise
        holding = Holding(request.user_id, notice.management_number, request.email)
        cert, signed = await self._sign(public_key, holding, origin, ctx)
        try:
            recorded = await self.store.holders.update(
                holder_id, lambda h: decisions.issue(h, request, signed, ctx), known=current
            )
        except refusals.Refusal as refusal:  # another request used the notice meanwhile
            _raise_if_issued(await self._issued_by_confirmation(request))  # its twin press
            await self._announce_refusal(request.user_id, refusal, ctx)
            raise
        log.info("certificate issued", serial=signed.serial_number, user_id=request.user_id)
        return Issued(cert, recorded, request.user_id)

    async def issue_pkcs12(
        self, request: IssueRequest, algorithm: KeyAlgorithm, password: str, ctx: Context
    ) -> Issued:
        """A key pair made here, answered once as a password-protected PKCS#12 (CT-01)."""
        key: PrivateKey = new_key(algorithm)
        issued = await self.issue(request, key.public_key(), KeyOrigin.GENERATED, ctx)
        return self._bundled(issued, key, password)

    async def issue_confirmed(
        self, request: IssueRequest, algorithm: KeyAlgorithm, password: str, ctx: Context
    ) -> Issued | Certificate:
        """The issue screen's confirmation (CT-12): ``issue_pkcs12``, once per confirmation
        key. The same confirmation again (a double press, a resend) answers the certificate it
        issued, without its file (the key was answered once and not kept, CT-11); nothing is
        signed or announced for it."""
        try:
            return await self.issue_pkcs12(request, algorithm, password, ctx)
        except IssuedAlready as earlier:
            return earlier.certificate

    async def _issued_by_confirmation(self, request: IssueRequest) -> Certificate | None:
        holder = await self.store.holders.get(self._id(request.user_id))
        return decisions.issued_by_confirmation(holder, request)

    async def renew_pkcs12(
        self, presented: x509.Certificate, algorithm: KeyAlgorithm, password: str, ctx: Context
    ) -> Issued:
        """The renewal screen's (CT-05): possession proven by the gateway's mTLS, and the new
        key made here and answered once, like the issue screen's."""
        key: PrivateKey = new_key(algorithm)
        issued = await self.renew(presented, None, key.public_key(), ctx, KeyOrigin.GENERATED)
        return self._bundled(issued, key, password)

    def _bundled(self, issued: Issued, key: PrivateKey, password: str) -> Issued:
        bundle = self.keeper.authority.pkcs12(issued.user_id, key, issued.certificate, password)
        return Issued(issued.certificate, issued.recorded, issued.user_id, bundle)

    def ours(self, presented: x509.Certificate) -> bool:
        """Whether this CA signed ``presented``, and it reads as every certificate this CA signs
        does. Ask before reading anything of a presented certificate: ``cryptography`` parses a
        subject only when it is read, and refuses then one that does not decode (X-05)."""
        try:
            presented.verify_directly_issued_by(self.keeper.authority.certificate)
            presented.subject.rfc4514_string()
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    async def renew(
        self,
        presented: x509.Certificate,
        proof: tuple[bytes, bytes] | None,
        public_key: object,
        ctx: Context,
        origin: KeyOrigin = KeyOrigin.CSR,
    ) -> Issued:
        """A new certificate for one that expires within 30 days (CT-05). ``proof`` is a
        signature by the presented certificate's key over the new CSR; ``None`` when the
        gateway has already checked possession in its TLS handshake."""
        user_id, serial = await self._owner(presented)
        if proof is not None and not proves_possession(presented, *proof):
            raise refusals.NotPermitted("現在のクライアント証明書の鍵による署名を確認できません。")
        holder_id = self._id(user_id)
        current = await self.store.holders.load(holder_id)
        try:
            old = decisions.renewable(current.state, serial, ctx.now)
        except refusals.Refusal as refusal:
            await self._announce_refusal(user_id, refusal, ctx)
            raise
        holding = Holding(user_id, old.management_number, old.email)
        cert, signed = await self._sign(public_key, holding, origin, ctx)
        recorded = await self.store.holders.update(
            holder_id, lambda h: decisions.renew(h, serial, signed, ctx), known=current
        )
        log.info("certificate renewed", serial=signed.serial_number, previous=serial)
        return Issued(cert, recorded, user_id)

    async def renewal(self, presented: x509.Certificate, now: datetime) -> Certificate:
        """The presented certificate as recorded, if it may be renewed now; otherwise the
        refusal ``renew`` would answer. The renewal screen shows it before any key is made;
        nothing is announced, as nothing was asked for (CT-05)."""
        user_id, serial = await self._owner(presented)
        holder = await self.store.holders.get(self._id(user_id))
        return decisions.renewable(holder, serial, now)

    async def _owner(self, presented: x509.Certificate) -> tuple[str, str]:
        """The user ID and serial of a certificate this CA issued in this realm."""
        if not self.ours(presented):
            raise refusals.UnknownCertificate()
        serial = serial_hex(presented.serial_number)
        owner = await self.store.holder_of(serial)
        if owner is None or owner[0] != self.realm:
            raise refusals.UnknownCertificate()
        return owner[1], serial

    async def revoke(self, serial: str, reason: RevocationReason, ctx: Context) -> Certificate:
        """Support or the back office revokes a certificate (CT-08); the handler of its
        ``CertRevoked`` puts it on a new CRL."""
        holder = await self._holder_of(serial)
        return await self.store.holders.update(
            holder, lambda h: decisions.revoke(h, serial, reason, ctx)
        )

    async def verify(self, presented: x509.Certificate, now: datetime) -> Verified:
        """valid, expired, revoked or unknown (CT-08) for a certificate someone presents."""
        if not self.ours(presented):
            return Verified(CertStatus.UNKNOWN, None)
        serial = serial_hex(presented.serial_number)
        status, revoked = await self.status(serial, now)
        return Verified(
            status, serial, presented.not_valid_after_utc, revoked[0] if revoked else None
        )

    async def status(
        self, serial: str, now: datetime
    ) -> tuple[CertStatus, tuple[datetime, RevocationReason] | None]:
        """A serial's status, and when and why it was revoked (OCSP, verification)."""
        owner = await self.store.holder_of(serial)
        if owner is None or owner[0] != self.realm:
            return CertStatus.UNKNOWN, None
        holder = await self.store.holders.get(self._id(owner[1]))
        cert = holder.certificate(serial) if holder is not None else None
        if cert is None:
            return CertStatus.UNKNOWN, None
        if cert.revoked_at is not None and cert.revocation_reason is not None:
            return CertStatus.REVOKED, (cert.revoked_at, cert.revocation_reason)
        return cert.status(now), None

    async def _holder_of(self, serial: str) -> str:
        owner = await self.store.holder_of(serial)
        if owner is None or owner[0] != self.realm:
            raise refusals.UnknownCertificate()
        return self._id(owner[1])

    async def _sign(
        self, public_key: object, holding: Holding, origin: KeyOrigin, ctx: Context
    ) -> tuple[x509.Certificate, Signed]:
        not_before, not_after = validity(ctx.now)
        serial = x509.random_serial_number()
        cert = self.keeper.authority.sign(public_key, holding, serial, not_before, not_after)
        signed = Signed(
            serial_number=serial_hex(serial),
            fingerprint_sha256=fingerprint(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_origin=origin,
        )
        await self.store.claim_serial(
            signed.serial_number, self.realm, holding.user_id, signed.not_after
        )
        return cert, signed

    async def _announce_refusal(
        self, user_id: str, refusal: refusals.Refusal, ctx: Context
    ) -> None:
        event = decisions.rejected(user_id, refusal, ctx)
        if event is None:
            return
        ISSUE_REFUSALS.labels(rejection=event.rejection.value).inc()
        try:
            await self.publisher.publish([event])
        except Exception as err:  # the refusal stands; only its announcement is lost
            log.warning("refusal not announced", reason=type(err).__name__, user_id=user_id)


def uid_of(cert: x509.Certificate) -> str:
    """Whose the certificate says it is (for the events' actor; the store decides whose it is).

    Only of a certificate this CA signed (``Certificates.ours``): ``cryptography`` reads a
    subject when it is asked for, and refuses then one that does not decode (X-05)."""
    names = cert.subject.get_attributes_for_oid(x509.NameOID.USER_ID)
    return str(names[0].value) if names else "unknown"
