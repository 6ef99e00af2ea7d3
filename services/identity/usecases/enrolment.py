"""Self sign-up (EN-05, EN-08): identity's part of enroll's saga, in one place.

- ``hold``: enroll's one synchronous call. The password is checked against the realm's policy
  and hashed here, alone; the hash is held for the sign-up (no user, no login). The answer says
  whether the address is a member's already, so that enroll mails the right thing; the work is
  the same either way (the hash is made first), so its time tells nothing.
- ``on_enroll_events``: enroll's ``EligibilityChecked`` (eligible) makes the held credential a
  member: the login ID is claimed (unique ignoring case in kencom), the user committed with
  ``UserCreated``, the held hash removed. If that cannot be, ``MemberEnrolmentRefused`` is
  committed once instead. A redelivery finds the member (or the refusal) and does nothing.
- ``purge``: held credentials of sign-ups that never became members, after their time (X-14).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from contracts import EligibilityChecked
from contracts.common import Role
from contracts.enroll import EligibilityOutcome
from contracts.envelope import Event
from contracts.identity import EnrolmentRefusal
from servicekit.logs import bind_correlation_id, get_logger
from services.identity.domain import enrolment, inputs, password_policy
from services.identity.domain.enrolment import Eligible, Held
from services.identity.domain.realms import RealmPolicy, realm_policy
from services.identity.domain.refusals import LoginIdTaken, NotFound
from services.identity.domain.users import user_aggregate_id
from services.identity.store.enrolments import HeldCredentials, refusal_aggregate_id
from services.identity.usecases import passwords
from services.identity.usecases.context import Context

log = get_logger(__name__)


class Enrolments:
    def __init__(self, context: Context, hold_for: timedelta) -> None:
        self.context = context
        self.store = context.store
        self.held = HeldCredentials(context.store.db, context.store.versioned)
        self.hold_for = hold_for

    async def hold(
        self, realm: RealmPolicy, signup_id: str, given_login_id: str, password: str
    ) -> bool:
        """Hold a sign-up's credential; answers whether the address is a member's already."""
        if not realm.self_signup:
            raise NotFound()
        login_id = inputs.login_id(realm, Role.MEMBER, given_login_id)
        inputs.require_half_width_passwords(password)
        password_policy.check(realm, login_id, password, None)
        password_hash = await passwords.hash_password(password)
        if await self.store.login_ids.owner_of(realm.name, login_id) is not None:
            return True
        expires_at = self.context.clock.now() + self.hold_for
        await self.held.hold(Held(realm.name, signup_id, login_id, password_hash, expires_at))
        return False

    async def on_enroll_events(self, events: Sequence[Event]) -> None:
        for event in events:
            if not (
                isinstance(event, EligibilityChecked)
                and event.outcome is EligibilityOutcome.ELIGIBLE
            ):
                continue
            realm = realm_policy(event.realm)
            if realm is None or not realm.self_signup:
                continue
            bind_correlation_id(event.correlation_id)
            cmd = Eligible(realm.name, event.subject_id, str(event.event_id), event.correlation_id)
            await self.enrol(realm, cmd)

    async def enrol(self, realm: RealmPolicy, cmd: Eligible) -> None:
        user_id = cmd.signup_id
        if await self.context.user(realm, user_id) is not None:
            await self.held.used(realm.name, user_id)  # a redelivery, or a twin replica's work
            return
        if await self.held.refusals.get(refusal_aggregate_id(realm.name, user_id)) is not None:
            return
        held = await self.held.find(realm.name, user_id)
        if held is not None and held.password_hash is None:
            return  # used: the member was made meanwhile (the check above came too early)
        if held is None:
            await self._refuse(realm, cmd, EnrolmentRefusal.CREDENTIAL_EXPIRED)
            return
        try:
            await self.context.claim_login_id(realm, held.login_id, user_id, Role.MEMBER)
        except LoginIdTaken:
            await self._refuse(realm, cmd, EnrolmentRefusal.LOGIN_ID_TAKEN)
            return
        now = self.context.clock.now()
        await self.store.users.update(
            user_aggregate_id(realm.name, user_id),
            lambda current: enrolment.enrol(current, held, cmd, now),
        )
        await self.store.login_ids.settle(realm.name, held.login_id, user_id)
        await self.held.used(realm.name, user_id)
        log.info("member enrolled", user_id=user_id, realm=realm.name)

    async def _refuse(self, realm: RealmPolicy, cmd: Eligible, reason: EnrolmentRefusal) -> None:
        now = self.context.clock.now()
        await self.held.refusals.update(
            refusal_aggregate_id(realm.name, cmd.signup_id),
            lambda current: enrolment.refuse(current, cmd, reason, now),
        )
        log.warning("enrolment refused", signup_id=cmd.signup_id, reason=reason.value)

    async def purge(self) -> int:
        purged = await self.held.purge_expired(self.context.clock.now())
        if purged:
            log.info("held credentials purged", purged=purged)
        return purged
