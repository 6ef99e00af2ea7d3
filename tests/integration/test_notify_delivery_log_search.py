"""The delivery log's searches for the support console (WEB-04, X-15) on the real database: by
organisation, by Tokyo day (a mail sent at 00:30 in Tokyo belongs to that day, though it is the
day before in UTC), by status, newest first and paged without a mail shown twice or missed; a
search deeper than 1,000 entries is refused; other realms' mail never shows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from mail_events import temporary_password
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain.deliveries import DeliverySearch, Sent, Status, Undeliverable
from services.notify.domain.mails import MailOrder, order_for
from services.notify.store import DeliveryLog
from services.notify.usecases import DeliveryLogReading

pytestmark = pytest.mark.integration

ORG_A, ORG_B = uuid.uuid4().hex, uuid.uuid4().hex
LATE = datetime(2026, 4, 1, 14, 30, tzinfo=UTC)  # 4月1日 23:30 in Tokyo
EARLY = datetime(2026, 4, 1, 15, 30, tzinfo=UTC)  # 4月2日 00:30 in Tokyo


def order(realm: str, org_id: str | None) -> MailOrder:
    event = temporary_password(f"log-{uuid.uuid4().hex[:10]}@example.jp").event
    found = order_for(event.model_copy(update={"realm": realm, "org_id": org_id}))
    assert found is not None
    return found


async def filled(db: AsyncDatabase[dict[str, Any]]) -> tuple[DeliveryLog, list[MailOrder]]:
    """60 mails of organisation A on 4月1日 (Tokyo) and 60 of B on 4月2日, one second apart;
    every third of each failed, every third sent, the rest still sending; and kencom's."""
    log = DeliveryLog(db, timedelta(days=30))
    await log.create_indexes()
    orders: list[MailOrder] = []
    for org_id, start in ((ORG_A, LATE - timedelta(minutes=5)), (ORG_B, EARLY)):
        for i in range(60):
            made = order("demo", org_id)
            now = start + timedelta(seconds=i)
            await log.begin([made], [f"<{made.event_id}@x>"], now)
            if i % 3 == 1:
                await log.finish([(made, Sent(1))], {made.event_id: f"<{made.event_id}@x>"}, now)
            elif i % 3 == 2:
                failed = Undeliverable("550 refused", 3)
                await log.finish([(made, failed)], {made.event_id: f"<{made.event_id}@x>"}, now)
            orders.append(made)
    other = order("kencom", None)
    await log.begin([other], ["<other@x>"], EARLY)
    return log, orders


async def test_web_04_the_log_is_searched_by_tokyo_day_and_organisation_and_paged(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    log, orders = await filled(db)
    reading = DeliveryLogReading(log)
    a = {o.event_id for o in orders[:60]}
    b = {o.event_id for o in orders[60:]}

    def ids(entries: list[Any]) -> list[str]:
        return [e.event_id for e in entries]

    first = await reading.search(DeliverySearch("demo", day=date(2026, 4, 1), limit=1000))
    assert set(ids(first)) == a, "4月1日 in Tokyo: organisation A's mails only"
    second = await reading.search(DeliverySearch("demo", day=date(2026, 4, 2), limit=1000))
    assert set(ids(second)) == b, "00:30 in Tokyo is 4月2日, though 4月1日 in UTC"
    assert {e.org_id for e in second} == {ORG_B}

    by_org = await reading.search(DeliverySearch("demo", org_id=ORG_A, limit=1000))
    assert set(ids(by_org)) == a
    assert [e.created_at for e in by_org] == sorted((e.created_at for e in by_org), reverse=True)
    assert not await reading.search(DeliverySearch("demo", org_id=uuid.uuid4().hex))

    pages = [
        await reading.search(DeliverySearch("demo", offset=offset, limit=50))
        for offset in (0, 50, 100)
    ]
    assert [len(p) for p in pages] == [50, 50, 20]
    paged = [i for p in pages for i in ids(p)]
    assert len(set(paged)) == 120 and set(paged) == a | b, "no mail twice, none missed"
    assert paged[:60] == list(reversed([o.event_id for o in orders[60:]])), "newest first"

    for status, count in ((Status.SENDING, 40), (Status.SENT, 40), (Status.FAILED, 40)):
        halves = [
            await reading.search(DeliverySearch("demo", status=status, offset=o, limit=25))
            for o in (0, 25)
        ]
        found = [e for h in halves for e in h]
        assert len({e.event_id for e in found}) == count, status
        assert {e.status for e in found} == {status}

    failed = await reading.search(
        DeliverySearch("demo", status=Status.FAILED, org_id=ORG_B, day=date(2026, 4, 2))
    )
    assert len(failed) == 20 and {e.reason for e in failed} == {"550 refused"}

    kencom = await reading.search(DeliverySearch("kencom"))
    assert [e.realm for e in kencom] == ["kencom"]


async def test_web_04_a_search_deeper_than_1000_entries_is_refused(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    reading = DeliveryLogReading(DeliveryLog(db, timedelta(days=30)))
    for offset, limit in ((951, 50), (0, 1001), (-1, 10), (0, 0)):
        with pytest.raises(ValueError, match=r"1,?000"):
            await reading.search(DeliverySearch("demo", offset=offset, limit=limit))
    assert await reading.search(DeliverySearch("demo", offset=950, limit=50)) == []
