"""`nexi`'s OTP step-up (ID-OTP-01..03, seed 004 chapter 5): the admin's switch, a code mailed
to the session's user, and its entry, which replaces the session with a verified one.

The code is drawn and hashed here (six random digits and a 128-bit nonce), sealed for notify
(X-02) and never kept in clear; the decisions are :mod:`~services.identity.domain.otp`'s.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from servicekit.logs import current_correlation_id
from services.identity.domain import authz, otp
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.refusals import NotFound, SessionEnded
from services.identity.domain.session_lists import Listed, rotating
from services.identity.domain.sessions import (
    Session,
    expiry_hour,
    new_session_token,
    session_key,
    session_ref,
)
from services.identity.domain.users import user_aggregate_id
from services.identity.usecases.context import Context, actor_of, existing
from services.identity.usecases.organisations import Organisations
from services.identity.usecases.policies import Policies

NOT_IN_USE = "ワンタイムパスワードを利用する設定になっていません"


@dataclass(frozen=True)
class Entered:
    """What an entry came to; a verified one carries the new session's token."""

    judged: otp.Judged
    session_token: str | None = None
    session: Session | None = None


class Otp:
    def __init__(self, context: Context, organisations: Organisations, policies: Policies) -> None:
        self.context = context
        self.store = context.store
        self.organisations = organisations
        self.policies = policies

    async def switch(
        self, realm: RealmPolicy, caller: authz.Caller, org_id: str, enabled: bool
    ) -> None:
        """ワンタイムパスワード利用 (ID-OTP-01): the admin switches it for the organisation;
        sessions already open follow at once here, and through ``Policies`` elsewhere."""
        session = authz.switch_otp(caller, realm, org_id)
        if not realm.otp_step_up:
            raise NotFound()
        await self.organisations.change(
            realm,
            org_id,
            partial(
                otp.switch,
                enabled=enabled,
                admin=actor_of(session),
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )
        self.policies.forget_organisation(org_id)

    def _in_use(self, realm: RealmPolicy, caller: authz.Caller) -> Session:
        session = authz.own_otp(caller, realm)
        if not session.otp_required:
            raise NotFound(NOT_IN_USE)
        return session

    async def issue(self, realm: RealmPolicy, caller: authz.Caller, token: str) -> datetime:
        """ワンタイムパスワードの発行 (ID-OTP-02): a code for this session, mailed; answers when
        it expires."""
        session = self._in_use(realm, caller)
        code = f"{secrets.randbelow(10**otp.DIGITS):0{otp.DIGITS}d}"
        nonce = secrets.token_hex(16)
        new = otp.NewCode(
            otp.code_hash(self.context.otp_key, session.user_id, nonce, code),
            nonce,
            self.context.sealed(code),
        )
        return await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            partial(
                existing(otp.issue),
                code=new,
                session_ref=session_ref(token),
                correlation_id=current_correlation_id(),
                now=self.context.clock.now(),
            ),
        )

    async def enter(
        self, realm: RealmPolicy, caller: authz.Caller, token: str, typed: str
    ) -> Entered:
        """ワンタイムパスワード入力 (ID-OTP-02, -03): judged on the user's latest version; a right
        code replaces the session by a verified one with a new id, the same lifetime."""
        session = self._in_use(realm, caller)
        now = self.context.clock.now()
        new_token = new_session_token(session.expires_at)
        verify = partial(
            existing(otp.verify),
            key=self.context.otp_key,
            typed=typed,
            session_ref=session_ref(token),
            verified_ref=session_ref(new_token),
            correlation_id=current_correlation_id(),
            now=now,
        )
        listed = Listed(session_key(new_token), expiry_hour(session.expires_at), session.created_at)
        judged = await self.store.users.update(
            user_aggregate_id(realm.name, session.user_id),
            rotating(
                verify,
                session_ref(token),
                listed,
                rotates=lambda judged: judged.entry is otp.Entry.VERIFIED,
            ),
        )
        if judged.entry is not otp.Entry.VERIFIED:
            return Entered(judged)
        verified = replace(session, otp_verified=True, last_seen_at=now)
        if not await self.store.sessions.replace(token, new_token, verified):
            raise SessionEnded()
        return Entered(judged, new_token, verified)
