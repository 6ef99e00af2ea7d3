"""The access history end to end: events on the real topics, audit consuming them into the real
database, and the preview and CSV download over HTTP, authorised by a real identity process.

Audit runs in this test process (its real app, broker and database) where a rule depends on the
time, so that the test moves audit's clock instead of waiting (X-04); it runs as a process of
its own where the test kills it.
"""

from __future__ import annotations

import csv
import io
import re
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from audit_events import User, publish
from harness import Infra, Namespace, ServiceProcess, eventually, read_topic
from identity_client import bearer, create_user, ready_admin, signed_in, support_session
from pymongo import AsyncMongoClient

from contracts import AccessRecorded, Topics, parse_event
from servicekit.clock import ManualClock, SystemClock
from services.audit.app import create_app
from services.audit.settings import AuditSettings

pytestmark = pytest.mark.integration

SEED_BY_USER = ["WebユーザーID", "アクセス日時", "操作内容", "氏名", "所属名", "役職名"]
SEED_BY_TIME = ["アクセス日時", "WebユーザーID", "操作内容", "氏名", "所属名", "役職名"]


@pytest.fixture
def identity(identity: tuple[ServiceProcess, Namespace]) -> ServiceProcess:
    """The module's identity process (conftest), for introspection and its people."""
    return identity[0]


@dataclass(frozen=True)
class Organisation:
    org_id: str
    admin_token: str
    realm: str = "demo"

    def user(self, login_id: str | None = None) -> User:
        return User(self.realm, self.org_id, login_id or f"XA5{uuid.uuid4().hex[:8]}")

    def history(self, what: str) -> str:
        return f"/v1/realms/{self.realm}/orgs/{self.org_id}/access-history{what}"


def organisation(
    identity: ServiceProcess, realm: str = "demo", admin_login_id: str | None = None
) -> Organisation:
    """An organisation opened by the back office, whose admin has made the forced change."""
    token, org = ready_admin(identity.url, realm, login_id=admin_login_id)
    return Organisation(org["org_id"], token, realm)


@dataclass
class Audit:
    """Audit's app in this process, on the real broker and database, with a clock we move."""

    client: httpx.AsyncClient
    clock: ManualClock
    ns: Namespace
    infra: Infra

    async def publish(self, *events: Any) -> None:
        await publish(self.infra.kafka_bootstrap_servers, self.ns.topic_prefix, events)

    async def preview(self, org: Organisation, **params: Any) -> httpx.Response:
        url = org.history("/preview")
        return await self.client.get(url, params=params, headers=bearer(org.admin_token))

    async def download(self, org: Organisation, token: str | None = None, **params: Any) -> Any:
        url = org.history(".csv")
        return await self.client.get(url, params=params, headers=bearer(token or org.admin_token))

    async def rows(self, org: Organisation, **params: Any) -> list[list[str]]:
        """The CSV's rows (header first), read as a spreadsheet would."""
        answer = await self.download(org, encoding="utf-8", **params)
        assert answer.status_code == 200, answer.text
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))

    async def recorded(self, org: Organisation, count: int, **params: Any) -> None:
        """Wait until the organisation's history holds ``count`` rows."""

        async def rows_now() -> bool:
            answer = await self.preview(org, **params)
            return answer.status_code == 200 and answer.json()["rows"] >= count

        await eventually(rows_now, timeout=60)


@pytest.fixture
async def audit(infra: Infra, ns: Namespace, identity: ServiceProcess) -> AsyncIterator[Audit]:
    clock = ManualClock(SystemClock().now())
    app = create_app(audit_settings(infra, ns, identity), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            yield Audit(client, clock, ns, infra)


def audit_settings(
    infra: Infra, ns: Namespace, identity: ServiceProcess, **more: Any
) -> AuditSettings:
    return AuditSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        kafka_topic_prefix=ns.topic_prefix,
        mongodb_database=ns.database("audit"),
        identity_url=identity.url,
        **more,
    )


async def test_au_01_renamed_user_shows_old_name_on_earlier_row(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    taro = org.user()
    await audit.publish(
        taro.created(now - timedelta(days=3), name="日本 太郎", department="見本事業部"),
        taro.performed(now - timedelta(days=2), "1-4"),
        taro.renamed(now - timedelta(days=1), name="日本 次郎", department="見本課"),
        taro.performed(now - timedelta(hours=1), "8-4"),
    )
    await audit.recorded(org, 4)
    rows = await audit.rows(org, order="time")
    by_operation = {r[2]: r for r in rows[1:]}
    assert by_operation["[1-4]Web申込状況一覧の参照"][3:5] == ["日本 太郎", "見本事業部"]
    assert by_operation["[8-4]債権一覧表ダウンロード"][3:5] == ["日本 次郎", "見本課"]


async def test_au_01_renamed_user_shows_old_name_even_when_the_rename_is_consumed_late(
    audit: Audit, identity: ServiceProcess
) -> None:
    """The operations are stored first; the profile events reach audit only afterwards."""
    org, now = organisation(identity), audit.clock.now()
    hanako = org.user()
    await audit.publish(
        hanako.performed(now - timedelta(days=2), "3-2"),
        hanako.performed(now - timedelta(hours=2), "8-4"),
    )
    await audit.recorded(org, 2)
    await audit.publish(
        hanako.renamed(now - timedelta(days=1), name="貿易 次子", department="見本課"),
        hanako.created(now - timedelta(days=5), name="貿易 花子", department="見本課"),
    )
    await audit.recorded(org, 4)
    rows = await audit.rows(org, order="time")
    names = {r[2]: r[3] for r in rows[1:]}
    assert names["[3-2]申込み（個別新規）"] == "貿易 花子"
    assert names["[8-4]債権一覧表ダウンロード"] == "貿易 次子"


async def test_au_03_both_orders_follow_seed_004_columns_and_sorting(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    a, b = org.user("XA5aaaa0001"), org.user("XA5bbbb0002")
    t = [now - timedelta(days=4 - i) for i in range(4)]
    await audit.publish(
        b.created(t[0] - timedelta(days=1), name="貿易 花子", department="見本課"),
        a.created(
            t[0] - timedelta(days=1), name="日本 太郎", department="見本事業部", title="部長"
        ),
        b.performed(t[3], "8-4"),
        a.performed(t[2], "1-2"),
        b.performed(t[0], "3-2"),
        a.performed(t[1], "1-4"),
    )
    await audit.recorded(org, 6)
    period = {"from": (now - timedelta(days=5)).date().isoformat()}
    by_user = await audit.rows(org, order="user", **period)
    assert by_user[0] == SEED_BY_USER
    assert [(r[0], r[2]) for r in by_user[1:]] == [
        ("XA5aaaa0001", "[10-6]WebユーザーID登録"),
        ("XA5aaaa0001", "[1-4]Web申込状況一覧の参照"),
        ("XA5aaaa0001", "[1-2]パスワード変更"),
        ("XA5bbbb0002", "[10-6]WebユーザーID登録"),
        ("XA5bbbb0002", "[3-2]申込み（個別新規）"),
        ("XA5bbbb0002", "[8-4]債権一覧表ダウンロード"),
    ]
    assert by_user[2][3:] == ["日本 太郎", "見本事業部", "部長"]
    by_time = await audit.rows(org, order="time", **period)
    assert by_time[0] == SEED_BY_TIME
    operations = [r[2] for r in by_time[1:] if not r[2].startswith("[10-")]
    assert operations == [
        "[3-2]申込み（個別新規）",
        "[1-4]Web申込状況一覧の参照",
        "[1-2]パスワード変更",
        "[8-4]債権一覧表ダウンロード",
    ]
    assert by_time[1:] == sorted(by_time[1:], key=lambda r: r[0]), "Tokyo times, in order"
    one_user = await audit.rows(org, order="time", login_id="XA5bbbb0002", **period)
    assert {r[1] for r in one_user[1:]} == {"XA5bbbb0002"} and len(one_user) == 4


async def test_au_03_period_is_clipped_to_the_last_year_and_says_so(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    user = org.user()
    await audit.publish(
        user.performed(now - timedelta(days=400), "1-3"),
        user.performed(now - timedelta(days=300), "1-4"),
    )
    await audit.recorded(org, 1, **{"from": "2000-01-01"})
    preview = await audit.preview(org, **{"from": "2000-01-01"})
    body = preview.json()
    assert body["rows"] == 1, "the 400-day-old operation is outside the year"
    assert any("最長1年間" in note for note in body["notes"])
    audit.clock.advance(timedelta(days=100))
    later = await audit.preview(org, **{"from": "2000-01-01"})
    assert (later.status_code, later.json()["code"]) == (404, "NO_DATA"), "the year moved on"


async def test_au_03_no_rows_answer_no_data(audit: Audit, identity: ServiceProcess) -> None:
    org = organisation(identity)
    preview = await audit.preview(org)
    assert preview.status_code == 404
    assert preview.headers["content-type"] == "application/problem+json"
    assert (preview.json()["code"], preview.json()["title"]) == (
        "NO_DATA",
        "対象データがありません",
    )
    download = await audit.download(org)
    assert (download.status_code, download.json()["code"]) == (404, "NO_DATA")
    inverted = await audit.preview(org, **{"from": "2026-05-02", "to": "2026-05-01"})
    assert (inverted.status_code, inverted.json()["code"]) == (422, "VALIDATION_ERROR")


async def test_au_03_preview_counts_rows_and_warns_above_5_mb(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    user = org.user()
    agent = "Mozilla/5.0 " + "x" * 480
    logins = [user.logged_in(now - timedelta(seconds=i), user_agent=agent) for i in range(10_000)]
    await audit.publish(*logins)
    await audit.recorded(org, 10_000)
    small = (await audit.preview(org)).json()
    assert small["rows"] == 10_000 and small["warning"] is None
    large = (await audit.preview(org, client_info="true")).json()
    assert large["approx_bytes"] > 5 * 1024 * 1024
    assert "5MB" in large["warning"]
    download = await audit.download(org, client_info="true")
    assert abs(len(download.content) - large["approx_bytes"]) <= 0.01 * large["approx_bytes"]


async def test_au_04_formula_cells_are_neutralised_and_encodings_hold_kanji(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    eq, at = org.user(), org.user()
    await audit.publish(
        eq.created(now - timedelta(days=1), name="=HYPERLINK(1)", department="髙橋課"),
        at.created(now - timedelta(days=1), name="@SUM(A1)"),
        eq.logged_in(now - timedelta(hours=1), user_agent="-2+3+cmd|' /C calc'!A0"),
    )
    await audit.recorded(org, 3)
    rows = await audit.rows(org, order="time", client_info="true")
    names = {r[3] for r in rows[1:]}
    assert {"'=HYPERLINK(1)", "'@SUM(A1)"} <= names
    assert "'-2+3+cmd|' /C calc'!A0" in {r[-1] for r in rows[1:]}
    cp932 = await audit.download(org, order="time", encoding="cp932")
    assert "charset=cp932" in cp932.headers["content-type"]
    departments = {r[4] for r in csv.reader(io.StringIO(cp932.content.decode("cp932")))}
    assert "髙橋課" in departments
    with_bom = await audit.download(org, encoding="utf-8-sig")
    assert (
        with_bom.content.startswith(b"\xef\xbb\xbf")
        and with_bom.content.count(b"\xef\xbb\xbf") == 1
    )
    plain = await audit.download(org, encoding="utf-8")
    assert not plain.content.startswith(b"\xef\xbb\xbf")


async def test_au_03_a_business_user_cannot_export(audit: Audit, identity: ServiceProcess) -> None:
    org = organisation(identity)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    created = create_user(identity.url, "demo", org.org_id, org.admin_token, login_id)
    assert created.status_code == 201, created.text
    business = signed_in(identity.url, "demo", login_id, created.json()["initial_password"])
    refused = await audit.download(org, token=business)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    assert refused.json()["title"] == "この操作を行う権限がありません"
    nobody = await audit.download(org, token="not-a-session")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "SESSION_EXPIRED")


async def test_au_03_an_admin_cannot_export_another_organisations_history(
    audit: Audit, identity: ServiceProcess
) -> None:
    mine, theirs = organisation(identity), organisation(identity)
    await audit.publish(theirs.user().performed(audit.clock.now(), "1-4"))
    await audit.recorded(theirs, 1)
    refused = await audit.download(theirs, token=mine.admin_token)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    unknown = Organisation(uuid.uuid4().hex, mine.admin_token)
    missing = await audit.download(unknown)
    same = {k: v for k, v in missing.json().items() if k != "instance"}
    assert same == {k: v for k, v in refused.json().items() if k != "instance"}, (
        "an organisation that does not exist gets the same answer"
    )


async def test_au_03_support_exports_any_organisation_of_its_realm(
    audit: Audit, identity: ServiceProcess
) -> None:
    org = organisation(identity)
    await audit.publish(org.user().performed(audit.clock.now(), "1-4"))
    await audit.recorded(org, 1)
    support, _ = support_session(identity)
    rows = list(csv.reader(io.StringIO((await audit.download(org, token=support)).text)))
    assert len(rows) == 2
    elsewhere = Organisation(org.org_id, support, realm="nexi")
    refused = await audit.download(elsewhere, token=support)
    assert refused.json()["code"] == "FORBIDDEN", "support of one realm only"


async def test_au_03_nexi_history_begins_on_2016_03_22(
    audit: Audit, identity: ServiceProcess
) -> None:
    org = organisation(identity, "nexi", f"{uuid.uuid4().int % 10**11:011d}")
    audit.clock.set(datetime(2016, 6, 1, 3, 0, tzinfo=UTC))
    user = org.user(f"{uuid.uuid4().int % 10**12:012d}")
    await audit.publish(
        user.performed(datetime(2016, 3, 21, 14, 0, tzinfo=UTC), "1-3"),  # 3/21 23:00 in Tokyo
        user.performed(datetime(2016, 3, 21, 15, 0, tzinfo=UTC), "1-4"),  # 3/22 00:00 in Tokyo
    )
    await audit.recorded(org, 1, **{"from": "2016-03-22"})
    preview = (await audit.preview(org, **{"from": "2016-01-01"})).json()
    assert (preview["rows"], preview["period"]["first"]) == (1, "2016-03-22")
    assert any("2016/03/22以降" in note for note in preview["notes"])
    rows = list(csv.reader(io.StringIO((await audit.download(org, encoding="utf-8")).text)))
    assert [r[2] for r in rows[1:]] == ["[1-4]Web申込状況一覧の参照"]


async def test_x_03_a_redelivered_event_adds_no_second_row(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    user = org.user()
    once = user.performed(now - timedelta(minutes=5), "1-4")
    await audit.publish(once, once)
    await audit.publish(user.performed(now, "8-4"), once)
    await audit.recorded(org, 2)
    rows = await audit.rows(org, order="time")
    assert [r[2] for r in rows[1:]] == ["[1-4]Web申込状況一覧の参照", "[8-4]債権一覧表ダウンロード"]


async def test_au_05_each_record_is_republished_on_audit_access_and_counted(
    audit: Audit, identity: ServiceProcess
) -> None:
    org, now = organisation(identity), audit.clock.now()
    user = org.user()
    login = user.logged_in(now)
    await audit.publish(user.created(now - timedelta(days=1), name="日本 太郎"), login, login)
    await audit.recorded(org, 2)
    topic = audit.ns.topic_prefix + Topics.AUDIT
    records = await read_topic(audit.infra.kafka_bootstrap_servers, topic, 2)
    streamed = [parse_event(r.value) for r in records]
    assert all(isinstance(s, AccessRecorded) for s in streamed)
    logged = next(s for s in streamed if s.source_event_id == login.event_id)
    assert isinstance(logged, AccessRecorded)
    assert (logged.operation_code, logged.operation_label) == ("1-1", "ログイン")
    assert (logged.login_id, logged.user_name) == (user.login_id, "日本 太郎")
    headers = dict(next(r for r in records if parse_event(r.value) == logged).headers)
    traceparent = headers.pop("traceparent", b"").decode()
    assert headers == {
        "event_type": b"AccessRecorded",
        "event_id": str(logged.event_id).encode(),
        "correlation_id": logged.correlation_id.encode(),
    }, "published with the headers every publisher sets (servicekit.publish)"
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", traceparent), "X-20"
    metrics = (await audit.client.get("/metrics")).text
    assert 'audit_logins_total{realm="demo"}' in metrics
    asyncapi = (await audit.client.get("/asyncapi.json")).json()
    assert "AccessRecorded" in asyncapi["channels"]["audit_access"]["messages"]


async def test_au_06_records_older_than_13_months_are_purged_by_the_scheduled_job(
    infra: Infra, ns: Namespace, identity: ServiceProcess, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    clock = ManualClock(SystemClock().now())
    settings = audit_settings(infra, ns, identity, retention_interval_seconds=0.1)
    app = create_app(settings, clock)
    user = User("demo", "org-retention", "XA5retain")
    now = clock.now()
    old, recent = user.performed(now - timedelta(days=380), "1-4"), user.performed(now, "8-4")
    records = mongo[ns.database("audit")]["access_records"]

    async def stored() -> set[str]:
        return {d["_id"] async for d in records.find({}, {"_id": 1})}

    async with app.router.lifespan_context(app):
        await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, [old, recent])
        await eventually(lambda: _has(stored(), {str(old.event_id), str(recent.event_id)}))
        clock.advance(timedelta(days=31))  # the 380-day-old one passes 13 months, not the other
        await eventually(lambda: _is(stored(), {str(recent.event_id)}), timeout=10)


async def test_x_03_audit_killed_mid_burst_loses_nothing_and_doubles_nothing(
    services: Any, identity: ServiceProcess, ns: Namespace, infra: Infra
) -> None:
    org = organisation(identity)
    audit = services("audit", identity_url=identity.url)
    now = SystemClock().now()
    users = [org.user() for _ in range(20)]
    burst = [u.performed(now - timedelta(seconds=i), "1-4") for i, u in enumerate(users * 150)]
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, burst[:1500])
    await eventually(lambda: _rows_at_least(audit, org, 300), timeout=60, interval=0.02)
    audit.kill(signal.SIGKILL)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, burst[1500:])
    audit.start()
    await eventually(lambda: _rows_at_least(audit, org, len(burst)), timeout=120)
    answer = httpx.get(
        f"{audit.url}/v1/realms/demo/orgs/{org.org_id}/access-history.csv",
        params={"encoding": "utf-8", "order": "time"},
        headers=bearer(org.admin_token),
        timeout=60,
    )
    rows = list(csv.reader(io.StringIO(answer.text)))[1:]
    assert len(rows) == len(burst), "every event once: none lost, none doubled"


def _rows_at_least(audit: ServiceProcess, org: Organisation, n: int) -> bool:
    answer = httpx.get(
        f"{audit.url}/v1/realms/demo/orgs/{org.org_id}/access-history/preview",
        headers=bearer(org.admin_token),
        timeout=30,
    )
    return answer.status_code == 200 and answer.json()["rows"] >= n


async def _has(found: Any, wanted: set[str]) -> bool:
    return wanted <= await found


async def _is(found: Any, wanted: set[str]) -> bool:
    return await found == wanted
