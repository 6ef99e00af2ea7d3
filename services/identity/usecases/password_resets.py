"""kencom's forgotten password (ID-PW-08): a reset link by mail, and the new password set at its
page. The rules are ``domain.password_reset``'s; this is the order of the reads and writes.

A request answers alike and costs alike whoever it names: one read of the login ID, one load
(the user, or the unknown ID's shadow slot, ``lookups``), a link made and sealed, one claim in
the link-token index and one commit with one event. The new password is checked against the
realm's policy (ID-PW-02) before it is hashed; the commit decides again on the latest version,
so a link is used once however many POSTs race (X-11), and then every session of the member
ends (ID-SESS-03).
"""

from __future__ import annotations

from functools import partial

from servicekit.logs import current_correlation_id, get_logger
from services.identity.domain import inputs, password_policy, password_reset, tokens
from services.identity.domain.password_reset import Outcome
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound
from services.identity.domain.users import user_aggregate_id
from services.identity.usecases import lookups, passwords
from services.identity.usecases.context import Context, existing

log = get_logger(__name__)


class PasswordResets:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    def _offered(self, realm: RealmPolicy) -> None:
        if not realm.password_reset_roles:
            raise NotFound("このサービスではパスワード再設定メールを送信できません")
        self.context.refuse_in_maintenance(realm)

    async def request(self, realm: RealmPolicy, given_email: str) -> None:
        """Mail a reset link to the registered address of the member whose login ID is
        ``given_email``, if there is one and it may have one; the caller hears the same either
        way."""
        self._offered(realm)
        login_id = given_email.strip()
        inputs.require_half_width(login_id)  # as a login's step 1, before any read
        if not self.context.notify_public_key:
            log.warning("reset link not sent: NOTIFY_PUBLIC_KEY is not configured")
            return
        _, link = self.context.new_link(password_reset.reset_path(realm.name))
        now = self.context.clock.now()
        asked = password_reset.Request(
            login_id=login_id,
            token_hash=link.token_hash,
            sealed_link=link.sealed_link,
            correlation_id=current_correlation_id(),
            now=now,
        )
        fact = password_reset.token_fact(link.token_hash)
        expires_at = now + password_reset.LIFETIME
        user = await lookups.user_named(self.context, realm, login_id)
        if user is None or user.state is None:
            shadow, slot = await lookups.shadow_of(self.context, realm, login_id)
            await self.store.link_tokens.claim(fact, shadow.subject_id, expires_at)
            await self.store.shadows.update(
                slot.loaded.aggregate_id,
                partial(password_reset.decline_unknown, shadow=shadow, asked=asked),
                known=slot,
            )
            return
        await self.store.link_tokens.claim(fact, user.state.user_id, expires_at)
        await self.store.users.update(
            user.loaded.aggregate_id,
            partial(
                existing(password_reset.request),
                asked=asked,
                offered_to=realm.password_reset_roles,
                ignore_case=realm.login_ids_ignore_case,
            ),
            known=user,
        )

    async def check(self, realm: RealmPolicy, token: str) -> Outcome:
        """Whether a link still opens its form, for its page: a read, nothing used."""
        self._offered(realm)
        hashed = tokens.digest(token)
        user_id = await self.store.link_tokens.owner_of(password_reset.token_fact(hashed))
        user = None if user_id is None else await self.context.user(realm, user_id)
        if user is None:
            return Outcome.INVALID
        return password_reset.usable(user, hashed, self.context.clock.now())

    async def reset(self, realm: RealmPolicy, token: str, new_password: str) -> Outcome:
        """The link page's POST: the new password under the realm's policy, then every session
        of the member ends. A policy refusal (``PasswordRefused``) leaves the link usable."""
        self._offered(realm)
        inputs.require_half_width_passwords(new_password)
        hashed = tokens.digest(token)
        user_id = await self.store.link_tokens.owner_of(password_reset.token_fact(hashed))
        user = None if user_id is None else await self.context.user(realm, user_id)
        if user_id is None or user is None:
            return Outcome.INVALID
        found = password_reset.usable(user, hashed, self.context.clock.now())
        if found is not Outcome.RESET:
            return found
        password_policy.check(realm, user.login_id, new_password, None)
        new_hash = await passwords.hash_password(new_password)
        outcome = await self.store.users.update(
            user_aggregate_id(realm.name, user_id),
            partial(
                existing(password_reset.reset),
                token_hash=hashed,
                new_hash=new_hash,
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
                completion_notice=realm.completion_notices,
            ),
        )
        if outcome is Outcome.RESET:
            await self.context.credential_changed(realm, user_id)
        return outcome
