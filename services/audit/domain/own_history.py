"""One's own access history (AU-07, seed 002): what happened to one's account in the last 90
days, newest first, and what to do if a row is not one's own. Pure rules, no I/O.

Seed 002 tells a member who fears its ID and password were seen by someone else to log in,
check that nobody changed or did anything in its name, and change its password. The rows are
the access records the consumer already makes (AU-01), kept a second time in a shape that one
user's page reads by ``_id`` alone: per user and calendar month (UTC), one small bucket of rows
(:func:`bucket_of`; why: docs/decisions/0017-own-history-in-monthly-buckets.md). A page reads
the few buckets that overlap the last :data:`WINDOW_DAYS` days and shows only the rows in it.

Only records about a known user enter a bucket (the consumer knows the user's profile): an
unknown login ID's shadow subject, a sign-up not yet a member, an organisation's policy never
make one, so what strangers send cannot grow storage (X-14). The address and browser are shown
unless an admin or the support desk did it: their address is theirs, not the member's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from contracts import ActorKind
from domainkit.tokyo import TOKYO
from services.audit.domain.records import AccessRecord

WINDOW_DAYS: Final = 90
"""AU-07: the last 90 days are shown."""

ROWS_PER_BUCKET: Final = 300
"""The most rows one user keeps for one month: the newest win. A stranger hammering a member's
login ID (failed logins are the member's rows) cannot grow the bucket past it (X-14)."""

PAGE_SIZE: Final = 50
"""Rows per page, newest first."""

NOTICE: Final = "身に覚えのない操作がある場合は、すぐにパスワードを変更してください"

#: Who did it, where another person did it: the operation's cell says so, and the address and
#: browser (theirs) are not shown. The user, the platform (a lock after failed logins, a mail)
#: and an outside system reporting the user's own operation show what the event names.
DONE_BY: Final[Mapping[str, str]] = {
    ActorKind.ADMIN.value: "管理者による操作",
    ActorKind.SUPPORT.value: "サポート窓口による操作",
}


@dataclass(frozen=True)
class OwnRow:
    """One row of one's own history: when, what, by whom, from where."""

    event_id: str
    occurred_at: datetime
    operation_code: str
    operation_label: str
    actor_kind: str
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, record: AccessRecord) -> OwnRow:
        kind = str(record.actor.get("kind", ActorKind.SYSTEM.value))
        own_device = kind not in DONE_BY
        return cls(
            event_id=record.event_id,
            occurred_at=record.occurred_at,
            operation_code=record.operation_code,
            operation_label=record.operation_label,
            actor_kind=kind,
            ip=record.ip if own_device else None,
            user_agent=record.user_agent if own_device else None,
        )

    @property
    def done_by(self) -> str | None:
        """Who did it, when that was not the user itself (``None``: the user, or the system)."""
        return DONE_BY.get(self.actor_kind)

    @property
    def browser(self) -> str | None:
        return browser_of(self.user_agent)

    @property
    def shown_day(self) -> str:
        """日時's day as seed 002 writes it (2018/8/14), in Tokyo."""
        t = self.occurred_at.astimezone(TOKYO)
        return f"{t.year}/{t.month}/{t.day}"

    @property
    def shown_time(self) -> str:
        """日時's time as seed 002 writes it (9:45), in Tokyo, with seconds."""
        t = self.occurred_at.astimezone(TOKYO)
        return f"{t.hour}:{t.minute:02d}:{t.second:02d}"

    def to_document(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> OwnRow:
        at = doc["occurred_at"]
        return cls(
            event_id=doc["event_id"],
            occurred_at=at if at.tzinfo else at.replace(tzinfo=UTC),
            operation_code=doc["operation_code"],
            operation_label=doc["operation_label"],
            actor_kind=doc["actor_kind"],
            ip=doc.get("ip"),
            user_agent=doc.get("user_agent"),
        )


def window_start(now: datetime) -> datetime:
    """The oldest instant shown: rows at or after it are in the window."""
    return now - timedelta(days=WINDOW_DAYS)


def bucket_of(at: datetime) -> str:
    """The month (UTC) whose bucket holds a row of that instant: ``2025-01``."""
    utc = at.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"


def buckets_shown(now: datetime) -> list[str]:
    """The months that overlap the window, newest first (four at most)."""
    months, at = [], now.astimezone(UTC)
    oldest = bucket_of(window_start(now))
    while (month := bucket_of(at)) >= oldest:
        months.append(month)
        at = at.replace(day=1) - timedelta(days=1)
    return months


def oldest_kept(now: datetime) -> str:
    """Buckets of months before this one are never shown again: the purge deletes them whole."""
    return bucket_of(window_start(now))


def kept(record: AccessRecord, user_known: bool, now: datetime) -> bool:
    """A record enters its user's own history: a known user's, and still inside the window (a
    record of a bucket already purged would bring the bucket back)."""
    return user_known and record.occurred_at >= window_start(now)


def by_bucket(rows: Iterable[OwnRow]) -> dict[str, list[OwnRow]]:
    grouped: dict[str, list[OwnRow]] = {}
    for row in rows:
        grouped.setdefault(bucket_of(row.occurred_at), []).append(row)
    return grouped


def with_rows(bucket: Sequence[OwnRow], new: Sequence[OwnRow]) -> tuple[OwnRow, ...] | None:
    """The bucket with the new rows, newest first, at most :data:`ROWS_PER_BUCKET`; ``None``
    when nothing changes (every row there already: a redelivered batch, X-03)."""
    known = {r.event_id for r in bucket}
    added = {r.event_id: r for r in new if r.event_id not in known}
    if not added:
        return None
    rows = sorted((*bucket, *added.values()), key=_newest_first)[:ROWS_PER_BUCKET]
    return None if {r.event_id for r in rows} == known else tuple(rows)


@dataclass(frozen=True)
class OwnPage:
    """One page of one's own history: its rows, and where the other pages are."""

    rows: tuple[OwnRow, ...]
    page: int
    pages: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_of(rows: Iterable[OwnRow], now: datetime, page: int) -> OwnPage:
    """The window's rows, newest first, ``page`` of them (a page past the last: the last). A
    row a little ahead of ``now`` shows too: another service's clock may run ahead of ours."""
    start = window_start(now)
    shown = sorted((r for r in rows if start <= r.occurred_at), key=_newest_first)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_SIZE
    return OwnPage(tuple(shown[first : first + PAGE_SIZE]), page, pages, len(shown))


def password_change_page(realm: str) -> str:
    """Identity's password change page, the same path in every realm (the portals' menus)."""
    return f"/realms/{realm}/password-change"


def _newest_first(row: OwnRow) -> tuple[float, str]:
    return (-row.occurred_at.timestamp(), row.event_id)


#: (what the user agent names, what a person calls it), the first match wins: Edge and Opera
#: name Chrome too, and Chrome names Safari.
_BROWSERS: Final = (
    ("Edg/", "Microsoft Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Google Chrome"),
    ("Chrome/", "Google Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS: Final = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def browser_of(user_agent: str | None) -> str | None:
    """ブラウザ as a member names it (Google Chrome（Windows）); the raw user agent otherwise,
    cut short; ``None`` without one."""
    if not user_agent:
        return None
    browser = next((name for key, name in _BROWSERS if key in user_agent), None)
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    if browser is None:
        return user_agent[:60]
    return f"{browser}（{system}）" if system else browser
