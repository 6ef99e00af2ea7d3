"""The versioned aggregate store of X-13, whose commits are also the outbox of X-03.

Why insert-only: FerretDB 1.x applies update operators in its own process and writes the whole
document back, so a conditional ``find_one_and_update`` is not atomic there (FerretDB #3040,
#2168). The one primitive that is atomic on MongoDB and FerretDB alike is an insert that fails
with E11000 when its ``_id`` exists. So every change of an aggregate is the insert of its next
version, ``_id = "<aggregate id>#<version>"``; two writers deciding from the same version race
for the same ``_id``, exactly one wins, and the loser reloads and decides again.

The commit document carries the new state *and* the events that announce it, so a state change
and its events are written together (X-03); the relay publishes them from there.

Why a process remembers the versions it last saw (issue 24): a command costs 0.45-1.1 ms on
FerretDB, and reading an aggregate costs two or three. ``update`` decides on the latest version
this process committed or read, unread. It is never trusted for an answer: a decision on it
counts only if the insert of its next version succeeds, which proves it was the latest (after
another replica's commit that insert fails, and the loser reads and decides again), and a
decision that commits nothing is made again on a version read now.

Why only ``_id`` lookups: FerretDB 1.24 on SQLite pushes down no filter but ``_id`` equality
(measured with ``explain``: ``{aggregate_id: x}`` scans the collection, ``{_id: x}`` does not).
So nothing on a hot path filters by another field:

- ``heads`` holds a *hint* of each aggregate's latest version, written after the commit. It may
  lag (a crash, or two writers racing on the hint) but never leads, so ``load`` reads the hinted
  commit and then probes forward by ``_id`` until a version is missing.
- ``outbox`` holds one small *pending marker* per commit, inserted just before the commit with a
  random ``_id`` that the commit names. The relay scans this small collection instead of all
  commits. A marker whose commit names another marker belongs to a writer that lost the race;
  a marker without a commit after a grace period belongs to a writer that crashed; the relay
  drops both. The commit stays the single source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts import Event
from servicekit.clock import Clock
from servicekit.facts import insert_new
from servicekit.logs import get_logger
from servicekit.stored_event import StoredEvent as StoredEvent
from servicekit.traces import current_traceparent

log = get_logger(__name__)

T = TypeVar("T")
X = TypeVar("X")
Document = dict[str, Any]

COMPACTION_MARKS = "compaction_marks"  # per aggregate, below which compaction deleted all
REMEMBERED_VERSIONS = 10_000  # latest versions a process keeps at most: a few kB each
CHANGED_KEPT = 100_000  # changed aggregates noted for compaction between passes at most


class Conflict(Exception):
    """Another writer committed this version first: reload and decide again."""


class TooMuchContention(Exception):
    """An aggregate kept changing under us for every attempt; the caller may retry later."""


def commit_id(aggregate_id: str, version: int) -> str:
    """The ``_id`` of one version of one aggregate; zero-padded so ids sort by version."""
    return f"{aggregate_id}#{version:010d}"


@dataclass(frozen=True)
class Loaded:
    """An aggregate as of its latest version (``version == 0`` and ``state is None``: new)."""

    aggregate_id: str
    version: int
    state: Document | None

    @property
    def exists(self) -> bool:
        return self.version > 0


@dataclass(frozen=True)
class Change(Generic[T]):
    """What a decision wants: the next state and its events, and what to answer the caller.

    ``state is None`` means "nothing to commit" (a refusal that changes nothing, or a repeat).
    """

    outcome: T
    state: Document | None = None
    events: Sequence[Event] = field(default_factory=tuple)

    @classmethod
    def nothing(cls, outcome: T) -> Change[T]:
        return cls(outcome=outcome)


class VersionedStore:
    """Load, decide, commit: the only write path for aggregates (X-13, X-03)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        clock: Clock,
    ) -> None:
        self.commits = db["commits"]
        self.heads = db["commit_heads"]
        self.outbox = db["outbox"]
        self.clock = clock
        self._on_commit: Callable[[Document], None] = lambda commit: None
        self.changed: set[str] = set()  # committed since compaction last took them (bounded)
        self._latest: OrderedDict[str, Loaded] = OrderedDict()
        """What ``remembered`` answers, least recently used first."""

    def notify_on_commit(self, callback: Callable[[Document], None]) -> None:
        """Called with each successful commit that has events to relay: the relay wakes, and
        need not read back from the database a commit it saw written."""
        self._on_commit = callback

    def remembered(self, aggregate_id: str, *, copied: bool = True) -> Loaded | None:
        """The version last committed or read here, if kept: a copy that may be stale, for a
        commit to prove (``update(known=…)``); uncopied for ``update``, whose decisions are pure."""
        seen = self._latest.get(aggregate_id)
        if seen is None:
            return None
        self._latest.move_to_end(aggregate_id)
        state = copy.deepcopy(seen.state) if copied else seen.state
        return Loaded(seen.aggregate_id, seen.version, state)

    def _remember(self, loaded: Loaded, *, copied: bool = True) -> None:
        if not loaded.exists:
            return
        state = copy.deepcopy(loaded.state) if copied else loaded.state
        self._latest[loaded.aggregate_id] = Loaded(loaded.aggregate_id, loaded.version, state)
        self._latest.move_to_end(loaded.aggregate_id)
        while len(self._latest) > REMEMBERED_VERSIONS:
            self._latest.popitem(last=False)

    async def load(
        self, aggregate_id: str, *, trust_hint: bool = False, remembered: bool = False
    ) -> Loaded:
        """The latest version. ``trust_hint`` takes the head hint's version without checking
        for a newer one: one read less, for a caller that goes on to ``update(known=…)``, where
        a stale version only loses a race and is read again. ``remembered`` goes further for
        such a caller: the version this process keeps, if any, and no read at all."""
        if remembered and (seen := self.remembered(aggregate_id)) is not None:
            return seen
        loaded = await self._read(aggregate_id, trust_hint)
        self._remember(loaded)
        return loaded

    async def _read(self, aggregate_id: str, trust_hint: bool) -> Loaded:
        head = await self.heads.find_one({"_id": aggregate_id})
        version = int(head["version"]) if head else 0
        doc = (
            await self.commits.find_one({"_id": commit_id(aggregate_id, version)})
            if version
            else None
        )
        if version and doc is None:  # a hint older than what compaction kept: never expected
            return await self._load_by_scan(aggregate_id)
        # The hint may lag behind: walk forward to the latest version. Without a hint the walk
        # is never skipped, or an aggregate whose first hint was lost would look absent.
        while not (trust_hint and version):
            newer = await self.commits.find_one({"_id": commit_id(aggregate_id, version + 1)})
            if newer is None:
                break
            doc, version = newer, version + 1
        return Loaded(aggregate_id, version, doc["state"] if doc else None)

    async def _load_by_scan(self, aggregate_id: str) -> Loaded:
        """The latest version found by a filter on ``aggregate_id`` (a scan on FerretDB): the
        safe way when the head hint names a version that is gone. Repairs the hint."""
        log.error("head hint names a compacted version; reading by scan", aggregate=aggregate_id)
        found = await self.commits.find({"aggregate_id": aggregate_id}).to_list()
        if not found:
            return Loaded(aggregate_id, 0, None)
        latest = max(found, key=lambda d: int(d["version"]))
        await self._advance_head(aggregate_id, int(latest["version"]))
        return Loaded(aggregate_id, int(latest["version"]), latest["state"])

    async def append(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[Event]
    ) -> int:
        """Insert version ``expected_version + 1``; raise :class:`Conflict` if it exists."""
        version = expected_version + 1
        cid = commit_id(aggregate_id, version)
        now = self.clock.now()
        marker = secrets.token_hex(16) if events else None  # nothing to relay, no marker
        if marker is not None:
            await self.outbox.insert_one({"_id": marker, "commit_id": cid, "created_at": now})
        commit = {
            "_id": cid,
            "aggregate_id": aggregate_id,
            "version": version,
            "state": state,
            "events": [StoredEvent.of(e).to_document() for e in events],
            "committed_at": now,
            "marker": marker,
            # the relay publishes later, maybe elsewhere, in the trace that committed.
            "traceparent": current_traceparent() if marker is not None else None,
        }
        try:
            await self.commits.insert_one(commit)
        except DuplicateKeyError:
            self._latest.pop(aggregate_id, None)  # stale: the next load reads
            if marker is not None:
                await self.outbox.delete_one({"_id": marker})
            raise Conflict(cid) from None
        self._remember(Loaded(aggregate_id, version, state), copied=False)
        if len(self.changed) < CHANGED_KEPT:  # beyond, compaction's sweep finds them
            self.changed.add(aggregate_id)
        await self._advance_head(aggregate_id, version)
        if marker is not None:
            self._on_commit(commit)
        return version

    async def create_many(self, first_states: Mapping[str, Document]) -> set[str]:
        """Version 1 of many aggregates, without events, in two round trips: for a consumer
        that learns of many new things at once (audit's profile histories). Answers the ids
        it created; an aggregate that exists already is left as it is, for ``update``."""
        if not first_states:
            return set()
        ids = list(first_states)
        now = self.clock.now()
        commits: list[Document] = [
            {
                "_id": commit_id(a, 1),
                "aggregate_id": a,
                "version": 1,
                "state": first_states[a],
                "events": [],
                "committed_at": now,
                "marker": None,
            }
            for a in ids
        ]
        existing = await insert_new(self.commits, commits)
        created = {a for i, a in enumerate(ids) if i not in existing}
        if created:
            heads = [UpdateOne({"_id": a}, {"$max": {"version": 1}}, upsert=True) for a in created]
            with contextlib.suppress(BulkWriteError):  # best effort, as in ``_advance_head``
                await self.heads.bulk_write(heads, ordered=False)
        return created

    async def update(
        self,
        aggregate_id: str,
        decide: Callable[[Loaded], Change[T]],
        *,
        known: Loaded | None = None,
        max_attempts: int = 50,
    ) -> T:
        """Load, decide, commit; on a lost race reload and decide again.

        ``decide`` must be pure (no I/O, no side effects): it may run several times and only the
        run whose commit wins counts. That is what makes the retry safe.

        ``known`` is a version the caller has just loaded (a login reads the user before it
        hashes), and without one the version this process remembers: the first decision is
        made on it without reading. A stale one costs nothing but a lost race, because the
        commit of its next version already exists. A decision that commits nothing is made on
        the latest version only, since it answers.
        """
        tentative = known if known is not None else self.remembered(aggregate_id, copied=False)
        loaded = tentative
        for attempt in range(max_attempts):
            if loaded is None:
                loaded = await self.load(aggregate_id)
            change = decide(loaded)
            if change.state is None:
                if loaded is tentative:
                    loaded = None  # answer from the latest version, not a possibly stale one
                    continue
                return change.outcome
            try:
                await self.append(aggregate_id, loaded.version, change.state, change.events)
            except Conflict:
                loaded = None
                await asyncio.sleep(min(0.001 * 2**attempt, 0.05) * secrets.randbelow(100) / 100)
                continue
            return change.outcome
        raise TooMuchContention(aggregate_id)

    async def history(self, aggregate_id: str) -> list[Document]:
        """The commits of one aggregate that compaction has kept, in version order (tests and
        support tools; a scan on FerretDB)."""
        found = await self.commits.find({"aggregate_id": aggregate_id}).to_list()
        return sorted(found, key=lambda d: int(d["version"]))

    async def relayed(self, aggregate_id: str, version: int) -> bool:
        """Nothing of that version waits for the relay: it has no events, its outbox marker is
        gone (its events are published), or the version does not exist."""
        commit = await self.commits.find_one({"_id": commit_id(aggregate_id, version)})
        if commit is None or commit.get("marker") is None:
            return True
        return await self.outbox.find_one({"_id": commit["marker"]}) is None

    async def forget(self, aggregate_ids: Sequence[str]) -> None:
        """Delete aggregates that only ever have their first version (a fact committed once,
        such as a finished export), commit and head hint, by ``_id``; the caller asks
        :meth:`relayed` first, so no event is lost (X-14)."""
        if not aggregate_ids:
            return
        for aggregate_id in aggregate_ids:
            self._latest.pop(aggregate_id, None)
        commits = [DeleteOne({"_id": commit_id(a, 1)}) for a in aggregate_ids]
        await self.commits.bulk_write(commits, ordered=False)
        await self.heads.bulk_write([DeleteOne({"_id": a}) for a in aggregate_ids], ordered=False)

    async def drop_between(self, first: str, below: str) -> int:
        """Delete aggregates with ids in ``[first, below)`` whole (versions, hint, compaction's
        mark), for ones nothing writes any more (X-14); a job's scan on FerretDB."""
        wanted = {"$gte": first, "$lt": below}
        for aggregate_id in [a for a in self._latest if first <= a < below]:
            del self._latest[aggregate_id]
        deleted = await self.commits.delete_many({"aggregate_id": wanted})
        await self.heads.delete_many({"_id": wanted})
        await self.commits.database[COMPACTION_MARKS].delete_many({"_id": wanted})
        return int(deleted.deleted_count)

    async def aggregate_ids(self, prefix: str, batch: int) -> AsyncIterator[list[str]]:
        """The ids of the aggregates whose id starts with ``prefix``, ``batch`` at a time, read
        from the head hints on one cursor: for one-shot tools (a backfill), never a request
        (a scan on FerretDB). An aggregate whose very first hint was lost (a crash between its
        first commit and the hint) is missed until its next commit writes one."""
        wanted = {"_id": {"$gte": prefix, "$lt": prefix + "\U0010ffff"}}
        chunk: list[str] = []
        async for head in self.heads.find(wanted, {"_id": 1}).batch_size(batch):
            chunk.append(str(head["_id"]))
            if len(chunk) == batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def _advance_head(self, aggregate_id: str, version: int) -> None:
        """Best effort: a lost or stale hint costs ``load`` one probe more, never correctness."""
        # Two first writers may race on the upsert (E11000); the other one's hint is good enough.
        with contextlib.suppress(DuplicateKeyError):
            await self.heads.update_one(
                {"_id": aggregate_id}, {"$max": {"version": version}}, upsert=True
            )


async def gather_limited(
    fn: Callable[[X], Awaitable[T]], items: Sequence[X], limit: int = 64
) -> list[T]:
    """``fn`` over many items concurrently, without exhausting the connection pool."""
    sem = asyncio.Semaphore(limit)

    async def one(item: X) -> T:
        async with sem:
            return await fn(item)

    return list(await asyncio.gather(*(one(item) for item in items)))
