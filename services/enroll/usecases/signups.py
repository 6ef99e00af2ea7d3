"""Signing up (EN-01, EN-02): provisional registration, resend, activation, progress.

The sign-up hands the password to identity first (the one synchronous call, ``identity.py``):
identity checks it against kencom's policy and holds its hash, and says whether the address is
a member's already. Only then is the sign-up committed, with the mail it asks for: the
activation link, or the mail that tells the address's owner it is registered. A crash between
the two leaves a held credential nobody will use, which identity forgets after its time; the
person, who got no answer, signs up again.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from contracts.enroll import SignupChannel
from servicekit.logs import current_correlation_id, get_logger
from services.enroll.domain import signups
from services.enroll.domain.consent import Ticked, accept
from services.enroll.domain.refusals import InputRefused, LinkInvalid, SignupNotFound
from services.enroll.domain.signups import Activated, NewSignup, Signup, Status
from services.enroll.store import signup_aggregate_id
from services.enroll.usecases.context import Context

log = get_logger(__name__)

_INVITATION = re.compile(r"^[A-Za-z0-9]{4,32}$")
INVITATION_FORM = "招待コードは半角英数字4〜32文字で入力してください"


@dataclass(frozen=True)
class Started:
    """The sign-up's answer: the same whether or not the address is registered (EN-01)."""

    signup_ref: str
    """The handle for 仮登録メールの再送信; a secret of this browser."""
    channel: SignupChannel
    link_lifetime: timedelta


@dataclass(frozen=True)
class Codes:
    invitation_code: str | None
    group_id: str | None


@dataclass(frozen=True)
class StepOpened:
    step_token: str
    """Opens the insurance-card step; the browser's, never mailed, kept only hashed."""
    activated: Activated


@dataclass(frozen=True)
class Progress:
    status: Status
    login_id: str
    tries_left: int
    user_id: str | None
    failure: str | None
    step_expires_at: datetime | None


class Signups:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    def codes(self, invitation_code: str | None, group_link_code: str | None) -> Codes:
        """The optional codes of 新規登録 (EN-01, EN-09), checked: the 招待コード by its form (it
        is recorded for the operator, nothing here depends on it), the 団体連携コード by the
        partners' list (``GROUP_LINK_CODES``: it records the group the member came from)."""
        invitation = _typed(invitation_code)
        if invitation is not None and not _INVITATION.fullmatch(invitation):
            raise InputRefused("invitation_code", INVITATION_FORM)
        group_id = None
        group = _typed(group_link_code)
        if group is not None:
            group_id = self.context.group_links.get(group.upper())
            if group_id is None:
                raise InputRefused("group_link_code", "団体連携コードが正しくありません")
        return Codes(invitation, group_id)

    async def start(
        self,
        email: str,
        password: str,
        channel: SignupChannel,
        invitation_code: str | None = None,
        group_link_code: str | None = None,
        ticked: Ticked | None = None,
    ) -> Started:
        """仮登録 (EN-01, EN-02): everything is checked before identity is asked, the consent
        of STEP2 too (EN-09: the versions in force, with the time)."""
        codes = self.codes(invitation_code, group_link_code)
        consent = accept(self.context.documents, ticked or Ticked(), self.context.clock.now())
        signup_id = uuid.uuid4().hex
        link = self.context.new_link(signup_id)  # refused here if nothing could be mailed
        held = await self.context.holder.hold(signup_id, email, password)
        ref, ref_hash = self.context.new_token(signup_id)
        cmd = NewSignup(
            signup_id=signup_id,
            email=email,
            channel=channel,
            address_registered=held.address_registered,
            ref_hash=ref_hash,
            link=link,
            invited=codes.invitation_code is not None,
            group_id=codes.group_id,
            correlation_id=current_correlation_id(),
            invitation_code=codes.invitation_code,
            consent=consent,
        )
        now = self.context.clock.now()
        policy = self.context.signups
        await self.store.expire_at(signup_id, now + policy.longest_life)
        await self.store.signups.update(
            signup_aggregate_id(signup_id),
            lambda current: signups.start(current, cmd, policy, now),
        )
        log.info("sign-up started", signup_id=signup_id, channel=channel.value)
        return Started(ref, channel, policy.link_lifetime(channel))

    async def resend(self, signup_ref: str) -> Started:
        """仮登録メールの再送信: every earlier link is void from now on (EN-02)."""
        signup_id = _named(signup_ref)
        link = self.context.new_link(signup_id)
        now = self.context.clock.now()
        decide = partial(
            signups.resend,
            ref_hash=signups.token_hash(signup_ref),
            link=link,
            policy=self.context.signups,
            now=now,
            correlation_id=current_correlation_id(),
        )
        await self.store.signups.update(signup_aggregate_id(signup_id), decide)
        signup = await self._signup(signup_id)
        return Started(
            signup_ref, signup.channel, self.context.signups.link_lifetime(signup.channel)
        )

    async def activate(self, link_token: str) -> StepOpened:
        """本登録 begins: the link's token opens the insurance-card step (EN-02, EN-03)."""
        signup_id = signups.signup_of(link_token)
        if signup_id is None:
            raise LinkInvalid()
        step, step_hash = self.context.new_token(signup_id)
        now = self.context.clock.now()
        decide = partial(
            signups.activate,
            link_hash=signups.token_hash(link_token),
            step_hash=step_hash,
            policy=self.context.signups,
            now=now,
            correlation_id=current_correlation_id(),
        )
        activated: Activated = await self.store.signups.update(
            signup_aggregate_id(signup_id), decide
        )
        return StepOpened(step, activated)

    async def progress(self, step_token: str) -> Progress:
        """Where the sign-up stands, for the browser that holds its step (registration is
        asynchronous: the member exists once identity made it)."""
        signup_id = _named(step_token)
        signup = signups.open_step(
            await self.store.signups.get(signup_aggregate_id(signup_id)),
            signups.token_hash(step_token),
            self.context.clock.now(),
        )
        registered = signup.status is Status.REGISTERED
        return Progress(
            status=signup.status,
            login_id=signup.email,
            tries_left=max(self.context.signups.max_tries - signup.tries, 0),
            user_id=signup.signup_id if registered else None,
            failure=signup.failure,
            step_expires_at=signup.step.expires_at if signup.step else None,
        )

    async def _signup(self, signup_id: str) -> Signup:
        found = await self.store.signups.get(signup_aggregate_id(signup_id))
        if found is None:
            raise SignupNotFound()
        return found


def _typed(code: str | None) -> str | None:
    """A code as typed: full-width letters and digits read as half-width, blank as none."""
    if code is None:
        return None
    code = unicodedata.normalize("NFKC", code).strip()
    return code or None


def _named(token: str) -> str:
    signup_id = signups.signup_of(token)
    if signup_id is None:
        raise SignupNotFound()
    return signup_id
