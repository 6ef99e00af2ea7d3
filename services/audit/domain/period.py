"""Which days an export covers (AU-03) and how long records are kept (AU-06): pure rules.

Seed 004: the history is provided "for at most one year before the request", and only for
operations "on or after 2016-03-22"; an earlier period "gives no information". We clip instead
of refusing and say so in the answer, so the admin sees what was left out. Days are calendar
days in Asia/Tokyo, because that is the calendar the admin types (X-04: stored UTC, shown JST).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from domainkit.tokyo import TOKYO

FIRST_HISTORY_DAY: Final[dict[str, date]] = {"nexi": date(2016, 3, 22)}
"""Realm data of audit's own (audit never asks identity): where a realm's history begins."""

KNOWN_REALMS: Final = frozenset({"dantai-net", "kihonet", "mypage", "kencom", "nexi", "demo"})

RETENTION_MONTHS: Final = 13
"""AU-06: records are kept at least 13 months, then purged."""


class PeriodRefused(ValueError):
    """The period makes no sense as asked (it ends before it begins)."""


@dataclass(frozen=True)
class Period:
    """Calendar days in Asia/Tokyo, both included."""

    first: date
    last: date

    @property
    def empty(self) -> bool:
        return self.first > self.last

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """From the first day's midnight in Tokyo up to (not including) the day after the last."""
        start = datetime.combine(self.first, time(), TOKYO)
        end = datetime.combine(self.last + timedelta(days=1), time(), TOKYO)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class ClippedPeriod:
    period: Period
    notes: tuple[str, ...]


def months_before(instant: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, the month's last day if it has none."""
    index = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(index, 12)
    for day in range(instant.day, 0, -1):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("every month has a first day")


def clip_period(
    first: date | None, last: date | None, today: date, first_history_day: date | None
) -> ClippedPeriod:
    """The period to export: at most one year back from ``today``, not before the realm's
    first history day, not after today. Every clip adds a note in the portal's words."""
    earliest = months_before(today, 12)
    first = first or earliest
    last = last or today
    if first > last:
        raise PeriodRefused("開始日が終了日より後になっています")
    notes: list[str] = []
    if last > today:
        last = today
        notes.append(f"終了日を本日（{_shown(today)}）に変更しました")
    if first < earliest:
        first = earliest
        notes.append(
            f"アクセス履歴の提供は最長1年間のため、開始日を{_shown(earliest)}に変更しました"
        )
    if first_history_day is not None and first < first_history_day:
        first = first_history_day
        notes.append(
            f"アクセス履歴は{_shown(first_history_day)}以降の操作に限り提供されるため、"
            f"開始日を{_shown(first_history_day)}に変更しました"
        )
    return ClippedPeriod(Period(first, last), tuple(notes))


def tokyo_today(now: datetime) -> date:
    return now.astimezone(TOKYO).date()


def retention_cutoff(now: datetime, months: int = RETENTION_MONTHS) -> datetime:
    """Records that happened before this instant are past retention (AU-06)."""
    day = months_before(tokyo_today(now), months)
    return datetime.combine(day, time(), TOKYO).astimezone(UTC)


def _shown(day: date) -> str:
    return day.strftime("%Y/%m/%d")
