"""The insurance-card check (EN-03, EN-04) and the saga that ends a sign-up (EN-05).

A check reads the union's roster (its head, then one bucket by ``_id``), asks the domain, and
for an eligible card claims the person and the address (unique facts, X-13) before the
sign-up's eligible version is committed with ``EligibilityChecked``. Identity consumes that
event and makes the member from the credential it holds; its ``UserCreated`` (or
``MemberEnrolmentRefused``) comes back here and ends the sign-up with ``MemberRegistered``
(or frees what it held). Every step is an idempotent decision on the sign-up's latest
version, so a redelivered event or a restarted process only repeats what is already so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial

from contracts import Event, MemberEnrolmentRefused, UserCreated
from contracts.enroll import EligibilityOutcome
from servicekit.logs import bind_correlation_id, current_correlation_id, get_logger
from servicekit.repository import Versioned
from services.enroll.domain import card, roster, signups
from services.enroll.domain.guidance import UNION_MAINTENANCE
from services.enroll.domain.realm import REALM
from services.enroll.domain.signups import Answer, Checked, Signup, Status
from services.enroll.store import signup_aggregate_id
from services.enroll.store.rosters import RosterCache
from services.enroll.usecases.context import Context
from services.enroll.usecases.signups import _named

log = get_logger(__name__)

_HELD = (Status.REGISTERING, Status.REGISTERED)


def address_fact(email: str) -> str:
    """One member per address ignoring case (ID-USER-02), as identity compares them."""
    return f"address:{email.lower()}"


def person_fact(person_key: str) -> str:
    """One eligibility per person (seed 003 A3 原因①)."""
    return f"person:{person_key}"


def facts_of(person_key: str, email: str) -> list[str]:
    return [person_fact(person_key), address_fact(email)]


class Eligibility:
    def __init__(self, context: Context, roster_ttl: float = 5.0) -> None:
        self.context = context
        self.store = context.store
        self.rosters = RosterCache(context.store.rosters, roster_ttl)

    async def check(
        self,
        step_token: str,
        name_kana: str,
        birth_date: date,
        insurer_number: str,
        symbol: str,
        number: str,
    ) -> Answer:
        """One try (EN-04). A card that cannot be a card is refused before a try counts.

        Every read is by ``_id``, and the sign-up is read once: the commit decides on that
        version (a newer one only loses the race and is read again, X-13).
        """
        signup_id = _named(step_token)
        step_hash = signups.token_hash(step_token)
        now = self.context.clock.now()
        policy = self.context.signups
        loaded = await self.store.signups.load(signup_aggregate_id(signup_id), trust_hint=True)
        signup = signups.open_step(loaded.state, step_hash, now)
        checked = Checked(EligibilityOutcome.NO_MATCH, insurer_number)
        if signup.status is Status.ACTIVATED and signup.tries < policy.max_tries:
            typed = card.card(
                name_kana, birth_date, insurer_number, symbol, number, self.context.today()
            )
            found = await self.rosters.current(typed.insurer_number)
            if found is not None and found.under_maintenance:
                # seed 003 A3 原因③: nothing is checked, nothing changes, no try is counted
                log.info("eligibility: union under maintenance", signup_id=signup_id)
                tries_left = policy.max_tries - signup.tries
                return Answer(UNION_MAINTENANCE, None, tries_left, signup.status)
            checked = await self._checked(signup, typed, found)
        answer = await self._commit(signup_id, step_hash, checked, loaded)
        if checked.person_key is not None and not answer.holds(checked.person_key):
            await self._free(signup_id, checked.person_key, signup.email)
        log.info("eligibility checked", signup_id=signup_id, outcome=answer.outcome)
        return answer

    async def _checked(
        self, signup: Signup, typed: card.Card, found: roster.Roster | None
    ) -> Checked:
        family: list[roster.RosterPerson] = []
        if found is not None:
            index = roster.bucket_of(typed.symbol, typed.number, found.buckets, found.salt)
            text = await self.store.rosters.bucket(found, index)
            family = roster.in_bucket(text, typed.symbol, typed.number)
        said = roster.check(typed, found, family, self.context.today())
        if said.outcome is not EligibilityOutcome.ELIGIBLE or said.person is None:
            return Checked(said.outcome, typed.insurer_number, said.restriction)
        key = roster.person_key(self.context.person_key, typed.insurer_number, said.person)
        facts = facts_of(key, signup.email)
        if await self.store.claims.claim(facts, signup.signup_id):
            # The person checked once already (seed 003 A3 原因①), or this address is another
            # sign-up's member (or about to be) since this sign-up began.
            await self._free(signup.signup_id, key, signup.email)
            return Checked(EligibilityOutcome.ALREADY_REGISTERED, typed.insurer_number)
        return Checked(EligibilityOutcome.ELIGIBLE, typed.insurer_number, person_key=key)

    async def _commit(
        self, signup_id: str, step_hash: str, checked: Checked, known: Versioned[Signup]
    ) -> Answer:
        decide = partial(
            signups.check,
            step_hash=step_hash,
            checked=checked,
            policy=self.context.signups,
            now=self.context.clock.now(),
            correlation_id=current_correlation_id(),
        )
        answer: Answer = await self.store.signups.update(
            signup_aggregate_id(signup_id), decide, known=known
        )
        return answer

    async def _free(self, signup_id: str, person_key: str, email: str) -> None:
        """Claims made for a try that did not make the sign-up eligible as this person (a
        parallel try used the last one meanwhile). The kept ones are settled once the member
        is registered, or by the claim reaper."""
        for fact in facts_of(person_key, email):
            await self.store.claims.release(fact, signup_id)

    async def _settle_or_free(self, signup: Signup) -> None:
        """After the saga's end: a registered sign-up's claims are settled, a failed one's
        freed."""
        assert signup.person_key is not None
        for fact in facts_of(signup.person_key, signup.email):
            if signup.status is Status.REGISTERED:
                await self.store.claims.settle(fact, signup.signup_id)
            else:
                await self.store.claims.release(fact, signup.signup_id)

    # --- the saga's end: identity's answer ----------------------------------------------------

    async def on_identity_events(self, events: Sequence[Event]) -> None:
        """``UserCreated`` for a sign-up's id ends it; ``MemberEnrolmentRefused`` fails it."""
        for event in events:
            if event.realm != REALM:
                continue
            if isinstance(event, UserCreated | MemberEnrolmentRefused):
                bind_correlation_id(event.correlation_id)
                await self._answered(event)

    async def _answered(self, event: UserCreated | MemberEnrolmentRefused) -> None:
        aggregate = signup_aggregate_id(event.subject_id)
        if isinstance(event, UserCreated):
            registered = partial(
                signups.registered,
                now=self.context.clock.now(),
                correlation_id=event.correlation_id,
                causation_id=str(event.event_id),
            )
            await self.store.signups.update(aggregate, registered)
        else:
            await self.store.signups.update(
                aggregate, partial(signups.failed, reason=event.reason.value)
            )
        final = await self.store.signups.get(aggregate)
        if final is None or final.person_key is None:
            return  # a member that was not enrolled here (support registered it)
        if final.status is Status.REGISTERED:
            await self._settle_or_free(final)
            await self.store.kept(final.signup_id)
            log.info("member registered", signup_id=final.signup_id)
        elif final.status is Status.FAILED:
            await self._settle_or_free(final)
            log.warning("sign-up failed", signup_id=final.signup_id, reason=final.failure)

    async def reap_claims(self, grace: timedelta) -> int:
        """Claims a crash left unsettled: kept for an eligible sign-up, freed otherwise."""
        cutoff = self.context.clock.now() - grace
        freed = 0
        claims = self.store.claims
        async for fact, owner in claims.unsettled(cutoff):
            found = await self.store.signups.get(signup_aggregate_id(owner))
            held = found is not None and found.status in _HELD and found.person_key is not None
            if held and found is not None and fact in facts_of(str(found.person_key), found.email):
                await claims.settle(fact, owner)
            else:
                await claims.release(fact, owner)
                freed += 1
        return freed
