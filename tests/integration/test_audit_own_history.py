"""One's own history end to end (AU-07, seed 002): members of My Page log in and change their
password at a real identity, whose events reach audit through Kafka; each member's page and
API show exactly its own rows of the last 90 days, by audit's clock, which the test moves.

Audit runs in this test process on the real broker and database, consuming identity's topics,
so that its clock can be moved (X-04); identity is the module's real process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from audit_events import publish
from harness import Infra, Namespace, ServiceProcess, eventually, read_topic
from identity_client import (
    bearer,
    everything_identity_wrote,
    opened,
    signed_in,
    support_session,
    user_events,
)
from pymongo import AsyncMongoClient

from contracts import Actor, ActorKind, Event, OperationPerformed, parse_event
from servicekit.clock import ManualClock, SystemClock
from services.audit.app import create_app
from services.audit.domain.catalogue import operation_of
from services.audit.settings import AuditSettings

pytestmark = pytest.mark.integration

OTHER_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass(frozen=True)
class Member:
    login_id: str
    user_id: str
    token: str


async def new_member(
    identity: tuple[ServiceProcess, Namespace], mongo: AsyncMongoClient[dict[str, Any]], desk: str
) -> Member:
    """A member the support desk registered, who logged in and made the forced change."""
    proc, ns = identity
    login_id = f"member-{uuid.uuid4().hex[:8]}"
    answer = httpx.post(
        f"{proc.url}/v1/realms/mypage/members",
        json={"login_id": login_id, "profile": {"name": "共済太郎", "email": "t@example.jp"}},
        headers=bearer(desk),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    user_id = answer.json()["user_id"]
    [issued] = await user_events(mongo, ns, "mypage", user_id, "InitialPasswordIssued")
    token = signed_in(proc.url, "mypage", login_id, opened(issued, "sealed_password"))
    return Member(login_id, user_id, token)


@dataclass
class Audit:
    client: httpx.AsyncClient
    clock: ManualClock
    app: Any

    async def mine(self, token: str, realm: str = "mypage", **params: Any) -> httpx.Response:
        url = f"/v1/realms/{realm}/my-history"
        return await self.client.get(url, params=params, headers=bearer(token))

    async def rows(self, member: Member) -> set[tuple[datetime, str]]:
        answer = await self.mine(member.token)
        assert answer.status_code == 200, answer.text
        found = answer.json()["rows"]
        return {(datetime.fromisoformat(r["occurred_at"]), r["operation_code"]) for r in found}


@pytest.fixture
async def audit(
    infra: Infra, ns: Namespace, identity: tuple[ServiceProcess, Namespace]
) -> AsyncIterator[Audit]:
    """Audit consuming the module identity's topics, into a database of this test's own."""
    proc, identity_ns = identity
    settings = AuditSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=identity_ns.topic_prefix,
        mongodb_database=ns.database("audit"),
        identity_url=proc.url,
    )
    clock = ManualClock(SystemClock().now())
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            yield Audit(client, clock, app.state.audit)


async def published_about(
    infra: Infra, identity: tuple[ServiceProcess, Namespace], mongo: Any, *subjects: str
) -> dict[str, set[tuple[datetime, str]]]:
    """What identity published about each subject, as (time, catalogue code): once its outbox
    has drained, read back from the topic."""
    proc, ns = identity
    await everything_identity_wrote(mongo, ns, infra, proc)
    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "identity.events", 10**6, timeout=5
    )
    events = [e for e in (parse_event(r.value) for r in records) if e is not None]
    return {
        s: {(e.occurred_at, operation_of(e).code) for e in events if e.subject_id == s}
        for s in subjects
    }


def reported(member: Member, at: datetime) -> Event:
    """An outside system's report of a change the member made (AU-01's OperationPerformed)."""
    return OperationPerformed(
        occurred_at=at,
        realm="mypage",
        org_id=None,
        subject_id=member.user_id,
        actor=Actor(kind=ActorKind.SERVICE, id="mypage-backend"),
        correlation_id=uuid.uuid4().hex,
        source_system="mypage-backend",
        login_id=member.login_id,
        operation_code="90-1",
        operation_label="住所変更のお手続き",
    )


async def test_au_07_x_15_each_member_sees_exactly_its_own_rows_of_the_last_90_days(
    audit: Audit,
    infra: Infra,
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    desk, _ = support_session(identity[0], "mypage")
    taro, hanako = [await new_member(identity, mongo, desk) for _ in range(2)]
    wrong = httpx.post(
        f"{identity[0].url}/v1/realms/mypage/login",
        json={"login_id": taro.login_id, "password": "not-his-password-1"},
        headers={"User-Agent": OTHER_BROWSER},
        timeout=30,
    )
    assert wrong.status_code != 200, "someone else tries taro's ID: a row of taro's"
    now = audit.clock.now()
    old, recent = reported(taro, now - timedelta(days=91)), reported(taro, now - timedelta(days=89))
    await publish(infra.kafka_bootstrap_servers, identity[1].topic_prefix, [old, recent])
    theirs = await published_about(infra, identity, mongo, taro.user_id, hanako.user_id)
    reports = {(old.occurred_at, "90-1"), (recent.occurred_at, "90-1")}
    assert reports <= theirs[taro.user_id], "the reports went with identity's own events"
    identitys = theirs[taro.user_id] - reports
    expected = identitys | {(recent.occurred_at, "90-1")}
    assert {"1-1", "1-2", "10-1"} <= {code for _, code in expected}, "logins, change, failure"

    async def caught_up() -> bool:
        return (
            await audit.rows(taro) == expected
            and await audit.rows(hanako) == (theirs[hanako.user_id])
        )

    await eventually(caught_up, timeout=60)
    answer = (await audit.mine(taro.token)).json()
    assert answer["password_change"] == "/realms/mypage/password-change"
    assert answer["notice"] == "身に覚えのない操作がある場合は、すぐにパスワードを変更してください"
    times = [r["occurred_at"] for r in answer["rows"]]
    assert times == sorted(times, reverse=True), "newest first"
    [failed] = [r for r in answer["rows"] if r["operation_code"] == "10-1"]
    assert (failed["ip"], failed["browser"]) == ("127.0.0.1", "Firefox（Linux）")
    [by_backend] = [r for r in answer["rows"] if r["operation_code"] == "90-1"]
    assert by_backend["done_by"] is None, "an outside system reports the member's own operation"

    page = await audit.client.get(
        "/realms/mypage/my-history", headers={"Cookie": f"__Host-session={taro.token}"}
    )
    assert page.status_code == 200 and "身に覚えのない操作がある場合は" in page.text
    assert 'href="/realms/mypage/password-change"' in page.text and "住所変更" in page.text

    audit.clock.advance(timedelta(days=2))
    assert (recent.occurred_at, "90-1") not in await audit.rows(taro), "now 91 days old"
    assert await audit.rows(taro) == identitys, "the logins are 2 days old"
    audit.clock.advance(timedelta(days=89))
    assert await audit.rows(taro) == set(), "everything is older than 90 days now"


async def test_au_07_x_15_nobody_reads_anothers_history_or_without_a_session(
    audit: Audit, identity: tuple[ServiceProcess, Namespace], mongo: Any
) -> None:
    desk, _ = support_session(identity[0], "mypage")
    taro = await new_member(identity, mongo, desk)
    assert (await audit.mine("no-such-session")).status_code == 401
    assert (await audit.mine(taro.token, realm="kencom")).status_code == 403
    assert (await audit.mine(taro.token, realm="nowhere")).status_code == 403

    async def own_rows_whoever_is_named() -> bool:
        """Once the desk's own events are consumed (audit catches up from Kafka), naming
        another user changes nothing: the API names no user, support reads its own rows."""
        named = await audit.mine(desk, user_id=taro.user_id)
        own = (await audit.mine(desk)).json()["rows"]
        return named.status_code == 200 and bool(own) and named.json()["rows"] == own

    assert await eventually(own_rows_whoever_is_named)
    page = await audit.client.get("/realms/mypage/my-history")
    assert (page.status_code, page.headers["location"]) == (303, "/realms/mypage/login")


async def test_au_07_x_14_closed_months_are_purged_whole(
    audit: Audit,
    infra: Infra,
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    ns: Namespace,
) -> None:
    desk, _ = support_session(identity[0], "mypage")
    taro = await new_member(identity, mongo, desk)

    async def has_rows() -> bool:
        return bool(await audit.rows(taro))

    await eventually(has_rows, timeout=60)
    commits = mongo[ns.database("audit")]["commits"]
    mine = {"aggregate_id": {"$regex": f"^own:.*:{taro.user_id}$"}}
    assert await commits.count_documents(mine) >= 1
    audit.clock.advance(timedelta(days=150))
    await audit.app.history.purge()
    assert await commits.count_documents(mine) == 0, "the closed month's bucket is gone"
    heads = mongo[ns.database("audit")]["commit_heads"]
    assert await heads.count_documents({"_id": {"$regex": f"^own:.*:{taro.user_id}$"}}) == 0
