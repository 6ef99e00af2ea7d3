"""The notice's year (CT-02): the year of issue, except on December's last business day.

Seed 001: a user ID issued on the last business day of December carries the *next* year on its
「ユーザーIDのお知らせ」 (the notice is dated for the year it is used in). Business days are the
seed's office days: Monday to Friday, except Japan's public holidays (``jpholiday``, a maintained
library that follows the Cabinet Office's announcements, substitute holidays and the one-off
moves of 2019-2021 included) and the year-end closure from 12/31 to 1/3.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import jpholiday

from domainkit.tokyo import TOKYO

SATURDAY = 5


def in_year_end_closure(day: date) -> bool:
    """12/31 to 1/3: the closure the seed names (受付時間 … 12/31～1/3を除きます)."""
    return (day.month == 12 and day.day == 31) or (day.month == 1 and day.day <= 3)


def is_business_day(day: date) -> bool:
    return (
        day.weekday() < SATURDAY and not jpholiday.is_holiday(day) and not in_year_end_closure(day)
    )


def last_business_day_of_december(year: int) -> date:
    day = date(year, 12, 31)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def notice_year(issued_on: date) -> int:
    """The 年 printed on the notice of a user ID issued on ``issued_on`` (a Tokyo date)."""
    if issued_on == last_business_day_of_december(issued_on.year):
        return issued_on.year + 1
    return issued_on.year


def tokyo_date(instant: datetime) -> date:
    """The date in Asia/Tokyo of a UTC instant (X-04: people's days are Tokyo's)."""
    return instant.astimezone(TOKYO).date()
