"""kencom's bot defence at login (ID-BOT-01..03): the challenge asked for, the check before the
password, the failures counted per client address, and the realm's trusted networks.

A login that the challenge stops never reaches the login ID's owner: nothing of the user is
read or counted, so failing challenges from afar locks nobody out (ID-BOT-02). Every failed
login, stopped here or later, counts against the address it came from.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from prometheus_client import Counter
from pydantic import SecretStr

from contracts.identity import LoginChannel, TrustedNetworkEntry
from domainkit.decision import Decision
from servicekit.credentials import matches_secret
from servicekit.logs import current_correlation_id, get_logger
from services.identity.domain import authz, bot_defence
from services.identity.domain.bot_defence import (
    ChallengeFailed,
    ChallengePolicy,
    ChallengeRequired,
    ClientId,
    Kind,
    TrustedAddresses,
)
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.usecases import challenges
from services.identity.usecases.context import Context, actor_of

log = get_logger(__name__)

CHALLENGE_REFUSALS = Counter(
    "identity_challenge_refusals_total",
    "Logins stopped by the bot-defence challenge, before any password was checked",
    ["realm", "reason"],
)

#: A used challenge's mark, kept until the challenge expires (X-13; purged by upkeep, X-14).
_USED_FACT = "challenge:{}"

_ANSWERS = {
    challenges.Refused.MALFORMED: "画像認証の応答を読み取れませんでした",
    challenges.Refused.FORGED: "画像認証の応答が正しくありません",
    challenges.Refused.EXPIRED: "画像認証の有効期限が切れました。もう一度認証してください",
    challenges.Refused.ELSEWHERE: "画像認証をやり直してください",
    challenges.Refused.WRONG: "画像認証の応答が正しくありません",
}


def proves_app(credential: str | None, expected_digest: SecretStr) -> bool:
    """The kencom app's client credential (EN-09): its SHA-256 is the setting, compared in
    constant time; no credential, or no setting, proves nothing."""
    if not credential:
        return False
    return matches_secret(bot_defence.app_credential_digest(credential), expected_digest)


class BotDefence:
    def __init__(
        self,
        context: Context,
        policy: ChallengePolicy,
        app_credential_digest: SecretStr | None = None,
    ) -> None:
        self.context = context
        self.store = context.store
        self.policy = policy
        self.app_credential_digest = app_credential_digest or SecretStr("")

    def channel(self, realm: RealmPolicy, app_credential: str | None) -> LoginChannel:
        """What the login comes from: the app, where the realm has the bot defence and the
        app's credential came with it; a browser otherwise (a page login never sends one)."""
        app = realm.bot_challenge and proves_app(app_credential, self.app_credential_digest)
        return bot_defence.login_channel(app)

    def _client(self, realm: RealmPolicy, address: str | None) -> ClientId:
        return bot_defence.client_id(
            self.context.challenge_secret, realm.name, address, self.policy.slots
        )

    async def _record(self, client: ClientId, kind: Kind) -> bot_defence.Difficulty:
        now = self.context.clock.now()
        return await self.store.addresses.update(
            bot_defence.slot_aggregate_id(client),
            lambda slot: bot_defence.record(slot, client, kind, now, self.policy),
        )

    async def challenge(self, realm: RealmPolicy, address: str | None) -> dict[str, Any]:
        """A challenge whose work is what this address has earned (ID-BOT-02); asking for it
        is an access that counts."""
        if not realm.bot_challenge:
            raise NotFound()
        client = self._client(realm, address)
        difficulty = await self._record(client, Kind.ACCESS)
        expires_at = self.context.clock.now() + self.policy.lifetime
        return challenges.new_challenge(
            self.context.challenge_keys,
            difficulty.max_number,
            realm.name,
            client.digest,
            expires_at,
        )

    async def admit(
        self,
        realm: RealmPolicy,
        address: str | None,
        payload: str | None,
        channel: LoginChannel = LoginChannel.BROWSER,
    ) -> None:
        """Before the password (ID-BOT-01): a solved challenge, checked and spent once, or a
        trusted address under its failure limit (ID-BOT-03), or the app (EN-09)."""
        if not bot_defence.challenged(realm.bot_challenge, channel):
            return
        client = self._client(realm, address)
        if payload is None:
            if await self._skips(realm, address, client):
                return
            await self._refuse(realm, client, "missing")
            raise ChallengeRequired("画像認証を行ってからログインしてください")
        now = self.context.clock.now()
        checked = challenges.check(
            payload, self.context.challenge_keys, realm.name, client.digest, now
        )
        if checked.refused is not None:
            await self._refuse(realm, client, checked.refused.value)
            raise ChallengeFailed(_ANSWERS[checked.refused])
        assert checked.expires_at is not None, "a good challenge has its expiry"
        fact = _USED_FACT.format(checked.nonce)
        if not await self.store.link_tokens.claim(fact, secrets.token_hex(8), checked.expires_at):
            await self._refuse(realm, client, "used")
            raise ChallengeFailed("この画像認証は使用済みです。もう一度認証してください")

    async def _skips(self, realm: RealmPolicy, address: str | None, client: ClientId) -> bool:
        trusted = await self.store.trusted.get(bot_defence.trusted_aggregate_id(realm.name))
        if trusted is None or not trusted.trusts(address):
            return False
        slot = await self.store.addresses.get(bot_defence.slot_aggregate_id(client))
        activity = None if slot is None else slot.of(client.digest)
        now = self.context.clock.now()
        return bot_defence.skips_challenge(True, activity, now, self.policy)

    async def _refuse(self, realm: RealmPolicy, client: ClientId, reason: str) -> None:
        CHALLENGE_REFUSALS.labels(realm.name, reason).inc()
        log.info("login stopped by the challenge", realm=realm.name, reason=reason)
        await self._record(client, Kind.FAILURE)

    async def failed(self, realm: RealmPolicy, address: str | None) -> None:
        """A login from ``address`` failed after the challenge (a wrong password, ...)."""
        if realm.bot_challenge:
            await self._record(self._client(realm, address), Kind.FAILURE)

    async def trusted(self, realm: RealmPolicy, caller: authz.Caller) -> TrustedAddresses:
        """The realm's trusted networks, for its support desk."""
        authz.support_desk(caller, realm)
        if not realm.bot_challenge:
            raise NotFound()
        found = await self.store.trusted.get(bot_defence.trusted_aggregate_id(realm.name))
        return found or TrustedAddresses(realm.name)

    async def trust(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        entries: tuple[TrustedNetworkEntry, ...],
    ) -> None:
        """ID-BOT-03: the support desk registers the networks an organisation named."""
        session = authz.support_desk(caller, realm)
        if not realm.bot_challenge:
            raise NotFound()
        await self.store.trusted.update(
            bot_defence.trusted_aggregate_id(realm.name),
            partial(
                bot_defence.trust,
                realm=realm.name,
                entries=entries,
                actor=actor_of(session),
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )

    async def add_trusted(
        self, realm: RealmPolicy, caller: authz.Caller, entry: TrustedNetworkEntry
    ) -> bool:
        """ID-BOT-03: the support desk adds the networks one organisation named, decided on
        the latest list (two desks adding at once both land, X-13). Answers whether it is new."""
        return await self._change_trusted(realm, caller, bot_defence.add_trusted, entry)

    async def remove_trusted(
        self, realm: RealmPolicy, caller: authz.Caller, entry: TrustedNetworkEntry
    ) -> bool:
        """The support desk removes one entry; answers whether it was there."""
        return await self._change_trusted(realm, caller, bot_defence.remove_trusted, entry)

    async def _change_trusted(
        self,
        realm: RealmPolicy,
        caller: authz.Caller,
        rule: Callable[..., Decision[TrustedAddresses, bool]],
        entry: TrustedNetworkEntry,
    ) -> bool:
        session = authz.support_desk(caller, realm)
        if not realm.bot_challenge:
            raise NotFound()
        return await self.store.trusted.update(
            bot_defence.trusted_aggregate_id(realm.name),
            partial(
                rule,
                realm=realm.name,
                entry=entry,
                actor=actor_of(session),
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )
