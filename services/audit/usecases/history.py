"""Audit use cases: record every event (AU-01), publish it live (AU-05), keep each user's own
rows (AU-07), purge old ones (AU-06, X-14)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from contracts import Event, LoginFailed, UserCreated, UserProfileChanged
from servicekit import traces
from servicekit.clock import Clock
from servicekit.logs import get_logger
from servicekit.store import gather_limited
from services.audit.domain import own_history
from services.audit.domain.own_history import OwnRow
from services.audit.domain.period import retention_cutoff
from services.audit.domain.profiles import ProfileVersion, as_of
from services.audit.domain.records import AccessRecord
from services.audit.store.own_history import OwnHistories
from services.audit.store.records import AccessRecords, ProfileHistories
from services.audit.usecases.live import LiveStream, count

log = get_logger(__name__)

#: Users whose profile history the live stream keeps at hand: about 1 KiB each, so a burst of
#: new users cannot grow the process by more than some 20 MiB (measured with bench/pipeline).
_CACHED_USERS: Final = 20_000


class AccessHistory:
    """The access history as the consumer writes it and the API lists it."""

    def __init__(
        self,
        records: AccessRecords,
        profiles: ProfileHistories,
        live: LiveStream,
        clock: Clock,
        own: OwnHistories,
    ) -> None:
        self.records = records
        self.profiles = profiles
        self.live = live
        self.own = own
        self.clock = clock
        self._known: dict[tuple[str, str], tuple[ProfileVersion, ...]] = {}
        """Profile histories this process has seen, so the live stream names users without a
        database read per event. The export never uses it: it reads the stored histories."""

    async def record(self, events: Sequence[Event]) -> None:
        """Project a batch into access records: profiles first, then stream and store together.

        The whole batch is published, repeats included, so a crash anywhere before the offsets
        are committed republishes it (same stream ids) and the stream loses nothing; the bulk
        insert skips what is stored already, and only new records are counted.
        """
        await self._remember_profiles(events)
        records = [AccessRecord.of(e, traces.trace_id_of(e)) for e in events]
        for r in records:  # each record's line names its request and its trace
            log.info(
                "recording access",
                event_type=r.event_type,
                event_id=r.event_id,
                correlation_id=r.correlation_id,
                trace_id=r.trace_id,
            )
        profiles = [await self._profile_at(r) for r in records]
        streamed = [r.streamed(p) for r, p in zip(records, profiles, strict=True)]
        with traces.spans_for("audit record write", events):
            _, new, _ = await asyncio.gather(
                self.live.publish(streamed),
                self.records.add(records, self.clock.now()),
                self._keep_own(records, [p is not None for p in profiles]),
            )
        reasons = {str(e.event_id): e.reason.value for e in events if isinstance(e, LoginFailed)}
        count([r for r in records if r.event_id in new], reasons)
        if len(new) < len(records):
            log.info("redelivered events skipped", skipped=len(records) - len(new))

    async def latest(self, realm: str, org_id: str, limit: int) -> list[AccessRecord]:
        return await self.records.latest(realm, org_id, limit)

    async def purge(self) -> int:
        """AU-06: delete the records older than the retention period, by the injected clock;
        and the months of users' own histories no page shows any more (AU-07, X-14)."""
        now = self.clock.now()
        deleted = await self.records.purge_before(retention_cutoff(now))
        buckets = await self.own.purge_before(own_history.oldest_kept(now))
        log.info("access records purged", deleted=deleted, own_history_versions=buckets)
        return deleted

    async def _keep_own(self, records: Sequence[AccessRecord], known: Sequence[bool]) -> None:
        """Each known user's rows of the batch into its own history, one write per user and
        month (AU-07); records of no known user, or already outside the window, stay out."""
        now, by_user = self.clock.now(), dict[tuple[str, str], list[OwnRow]]()
        for record, user_known in zip(records, known, strict=True):
            if own_history.kept(record, user_known, now):
                key = (record.realm, record.subject_id)
                by_user.setdefault(key, []).append(OwnRow.of(record))

        async def keep(user: tuple[tuple[str, str], list[OwnRow]]) -> None:
            (realm, user_id), rows = user
            await self.own.add(realm, user_id, rows)

        await gather_limited(keep, list(by_user.items()))

    async def _remember_profiles(self, events: Sequence[Event]) -> None:
        """Each user's new profile versions in one commit per user: the users created in this
        batch all together, the others side by side."""
        by_user: dict[tuple[str, str], list[ProfileVersion]] = {}
        created: set[tuple[str, str]] = set()
        for e in events:
            if isinstance(e, UserCreated | UserProfileChanged):
                by_user.setdefault((e.realm, e.subject_id), []).append(ProfileVersion.of(e))
            if isinstance(e, UserCreated):
                created.add((e.realm, e.subject_id))

        started = await self.profiles.start_many({u: by_user[u] for u in created})
        for user, history in started.items():
            self._cache(user, history)

        async def remember(user: tuple[tuple[str, str], list[ProfileVersion]]) -> None:
            key, versions = user
            self._cache(key, await self.profiles.add(*key, versions))

        await gather_limited(remember, [(u, v) for u, v in by_user.items() if u not in started])

    def _cache(self, key: tuple[str, str], history: tuple[ProfileVersion, ...]) -> None:
        if key not in self._known and len(self._known) >= _CACHED_USERS:
            self._known.clear()
        self._known[key] = history

    async def _profile_at(self, record: AccessRecord) -> ProfileVersion | None:
        key = (record.realm, record.subject_id)
        if key not in self._known:
            self._cache(key, await self.profiles.of(*key))
        return as_of(self._known[key], record.occurred_at)
