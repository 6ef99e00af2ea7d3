"""Union rosters (名簿, EN-07) through enroll's HTTP API on the real database: a 100,000-line
cp932 file, the same file twice, a bad line refused with its number, parallel imports that
leave one version, restrictions as data, and superseded rosters dropped by the clock (X-14)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import PROVISIONING, Infra, Namespace
from kencom_signup import enroll_settings
from kencom_signup import new_insurer as insurer
from pymongo import AsyncMongoClient
from roster_maker import person, write_roster

from servicekit.clock import ManualClock, SystemClock
from services.enroll.app import create_app
from services.enroll.domain import roster

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]


class Enroll:
    def __init__(self, app: Any, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.app, self.client, self.clock = app, client, clock

    async def upload(self, union: str, path: Path, **params: Any) -> httpx.Response:
        async def chunks() -> AsyncIterator[bytes]:
            with path.open("rb") as f:
                while chunk := f.read(1 << 16):
                    yield chunk

        return await self.client.put(
            f"/v1/realms/kencom/rosters/{union}/file",
            content=chunks(),
            params=params,
            headers=PROVISIONING | {"content-type": "text/csv"},
        )

    async def people(self, union: str, numbers: list[int]) -> list[roster.RosterPerson]:
        """The roster in force's people of the i-th keys, read as a check reads them."""
        rosters = self.app.state.enroll.context.store.rosters
        found = await rosters.current(union)
        people = []
        for i in numbers:
            symbol, number, *_ = person(i)
            key = (symbol.split("-")[-1], number[-7:])
            text = await rosters.bucket(found, roster.bucket_of(*key, found.buckets, found.salt))
            people += roster.in_bucket(text, *key)
        return people


@pytest.fixture
async def enroll(infra: Infra, ns: Namespace) -> AsyncIterator[Enroll]:
    clock = ManualClock(SystemClock().now())
    app = create_app(enroll_settings(infra, ns, "http://127.0.0.1:9"), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://enroll.test", timeout=300
        ) as client:
            yield Enroll(app, client, clock)


async def collections(mongo: Mongo, ns: Namespace) -> set[str]:
    names = await mongo[ns.database("enroll")].list_collection_names()
    return {n for n in names if n.startswith("roster.")}


async def test_en_07_a_100000_line_cp932_file_is_one_version_and_twice_changes_nothing(
    enroll: Enroll, tmp_path: Path, mongo: Mongo, ns: Namespace, capsys: pytest.CaptureFixture[str]
) -> None:
    union = insurer()
    path = write_roster(tmp_path / "roster.csv", union, 100_000, "cp932")
    first = await enroll.upload(union, path)
    assert first.status_code == 200, first.text
    assert (first.json()["rows"], first.json()["version"], first.json()["changed"]) == (
        100_000,
        1,
        True,
    )
    assert "roster import progress" in capsys.readouterr().out, "progress is logged"
    found = await enroll.people(union, [0, 4_321, 99_999])
    assert [p.name_kana for p in found] == [
        person(i)[2].replace(" ", "") for i in (0, 4_321, 99_999)
    ]

    again = await enroll.upload(union, path, encoding="cp932")
    assert again.status_code == 200
    assert (again.json()["version"], again.json()["changed"]) == (1, False)
    assert again.json()["digest"] == first.json()["digest"]
    assert len(await collections(mongo, ns)) == 1, "the same file twice is one version"


async def test_en_07_a_bad_line_is_refused_with_its_number_and_nothing_changes(
    enroll: Enroll, tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    union = insurer()
    good = write_roster(tmp_path / "good.csv", union, 1_000)
    assert (await enroll.upload(union, good)).json()["version"] == 1
    bad = write_roster(tmp_path / "bad.csv", union, 20_000, bad={15_432: (3, "ケンコム太郎")})
    refused = await enroll.upload(union, bad)
    assert (refused.status_code, refused.json()["code"]) == (422, "ROSTER_INVALID")
    assert (refused.json()["line"], refused.json()["field"]) == (15_432, "name_kana")
    assert "15432行目" in refused.json()["detail"] and "「太」" in refused.json()["detail"]
    in_force = await enroll.client.get(f"/v1/realms/kencom/rosters/{union}", headers=PROVISIONING)
    assert (in_force.json()["version"], in_force.json()["rows"]) == (1, 1_000), "all or nothing"
    assert len(await collections(mongo, ns)) == 1, "nothing half-imported is left"


async def test_en_07_x_13_parallel_imports_for_one_union_leave_exactly_one_version(
    enroll: Enroll, tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    union = insurer()
    await enroll.upload(union, write_roster(tmp_path / "v1.csv", union, 100))
    path = write_roster(tmp_path / "v2.csv", union, 20_000)
    answers = await asyncio.gather(*(enroll.upload(union, path) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert {a.json()["version"] for a in answers} == {2}, "one new version, whoever won"
    assert {a.json()["digest"] for a in answers} == {answers[0].json()["digest"]}
    assert sum(a.json()["changed"] for a in answers) == 1
    head = await enroll.app.state.enroll.rosters.current(union)
    assert head[1] == 2 and head[0].rows == 20_000
    assert len(await collections(mongo, ns)) == 2, "the losers' collections are gone"


async def test_en_07_restrictions_are_data_of_the_import_and_the_api_names_a_bad_row(
    enroll: Enroll, tmp_path: Path
) -> None:
    union = insurer()
    path = write_roster(tmp_path / "r.csv", union, 10, "utf-8-sig")
    limited = await enroll.upload(union, path, insured_only="true", dependant_max_age="18")
    assert limited.json()["restrictions"] == {
        "insured_only": True,
        "dependant_min_age": None,
        "dependant_max_age": 18,
    }
    rows = [
        {
            "symbol": "1",
            "number": "2",
            "name_kana": "ケン",
            "birth_date": "1980-01-01",
            "relationship": "本人",
        }
    ] * 2 + [
        {
            "symbol": "1",
            "number": "2",
            "name_kana": "ケン",
            "birth_date": "1980-01-01",
            "relationship": "親",
        }
    ]
    refused = await enroll.client.put(
        f"/v1/realms/kencom/rosters/{union}", json={"members": rows}, headers=PROVISIONING
    )
    assert (refused.json()["line"], refused.json()["field"]) == (3, "relationship")
    anonymous = await enroll.client.put(f"/v1/realms/kencom/rosters/{union}", json={"members": []})
    assert anonymous.json()["code"] == "SESSION_EXPIRED"


async def test_x_14_en_07_superseded_rosters_are_dropped_once_nobody_reads_them(
    enroll: Enroll, tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    union = insurer()
    for rows in (100, 200):
        await enroll.upload(union, write_roster(tmp_path / f"{rows}.csv", union, rows))
    upkeep = enroll.app.state.enroll.upkeep
    assert len(await collections(mongo, ns)) == 2
    await upkeep.run_once()
    assert len(await collections(mongo, ns)) == 2, "an import may still be writing"
    enroll.clock.advance(timedelta(hours=1, seconds=1))
    await upkeep.run_once()
    assert len(await collections(mongo, ns)) == 2, "a check may still be reading it"
    enroll.clock.advance(timedelta(minutes=10, seconds=1))
    assert (await upkeep.run_once()).rosters == 1
    assert len(await collections(mongo, ns)) == 1
    assert len(await enroll.people(union, [0, 199])) == 2, "the roster in force is whole"


async def test_x_05_en_07_a_cr_only_file_as_old_mac_excel_writes_it_is_read_like_crlf(
    enroll: Enroll, tmp_path: Path
) -> None:
    """Lines ended by CR alone (Excel 2011 for Mac's CSV) are lines: the same roster as the
    CRLF file, and a bad line named by the same number; never a server error."""
    union = insurer()
    crlf = write_roster(tmp_path / "crlf.csv", union, 2_000)
    cr_only = tmp_path / "cr.csv"
    cr_only.write_bytes(crlf.read_bytes().replace(b"\r\n", b"\r"))
    read = await enroll.upload(union, cr_only)
    assert read.status_code == 200, read.text
    assert (read.json()["rows"], read.json()["version"]) == (2_000, 1)
    again = await enroll.upload(union, crlf)
    assert (again.json()["changed"], again.json()["digest"]) == (False, read.json()["digest"])
    assert len(await enroll.people(union, [0, 1_999])) == 2

    bad = write_roster(tmp_path / "bad.csv", union, 2_000, bad={1_234: (3, "ケンコム太郎")})
    bad.write_bytes(bad.read_bytes().replace(b"\r\n", b"\r"))
    refused = await enroll.upload(union, bad)
    assert (refused.status_code, refused.json()["code"]) == (422, "ROSTER_INVALID")
    assert (refused.json()["line"], refused.json()["field"]) == (1_234, "name_kana")


async def test_en_07_a_refused_file_names_every_bad_line_and_the_api_lists_them(
    enroll: Enroll, tmp_path: Path
) -> None:
    union = insurer()
    bad = {12: (3, "ケンコム太郎"), 500: (5, "親"), 9_001: (4, "1980/13/40")}
    path = write_roster(tmp_path / "bad.csv", union, 10_000, bad=bad)
    refused = await enroll.upload(union, path)
    body = refused.json()
    assert (refused.status_code, body["line"], body["field"]) == (422, 12, "name_kana")
    assert [(r["line"], r["field"]) for r in body["refused_lines"]] == [
        (12, "name_kana"),
        (500, "relationship"),
        (9_001, "birth_date"),
    ]
    assert (body["refused_count"], body["lines_read"]) == (3, 10_000)
    assert (await enroll.app.state.enroll.rosters.current(union)) is None, "nothing imported"


async def test_web_04_en_07_a_console_import_reports_its_progress_then_its_outcome(
    enroll: Enroll, tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    """The console's job runs the API's import: progress recorded while it reads and writes,
    then the lines read and the roster in force; the same file again changes nothing."""
    imports = enroll.app.state.enroll.imports
    imports.report_every = 0.01
    seen: list[tuple[str, int, int]] = []
    save = imports.jobs.save

    async def recorded(job: Any) -> None:
        seen.append((job.phase.value, job.percent, job.lines))
        await save(job)

    imports.jobs.save = recorded
    union = insurer()
    path = write_roster(tmp_path / "big.csv", union, 200_000)
    copy = tmp_path / "upload.csv"
    copy.write_bytes(path.read_bytes())
    job = await imports.start(union, copy, "auto", roster.Restrictions(), "operator-1")
    await imports.finished(job.job_id)
    done = await imports.get(job.job_id)
    assert (done.phase.value, done.lines, done.rows, done.version, done.changed) == (
        "done",
        200_000,
        200_000,
        1,
        True,
    )
    assert done.started_by == "operator-1" and done.percent == 100
    running = [s for s in seen if s[0] in ("reading", "writing")]
    assert running, "progress was recorded while the import ran"
    assert [p for _, p, _ in running] == sorted(p for _, p, _ in running), "it only advances"
    assert not copy.exists(), "the job deletes the upload"
    stored = await mongo[ns.database("enroll")]["roster_jobs"].find_one({"_id": job.job_id})
    assert stored is not None and "アイウ" not in str(stored), "no line's content is kept"

    again = tmp_path / "again.csv"
    again.write_bytes(path.read_bytes())
    second = await imports.start(union, again, "cp932", roster.Restrictions(), "operator-1")
    await imports.finished(second.job_id)
    repeated = await imports.get(second.job_id)
    assert (repeated.phase.value, repeated.version, repeated.changed) == ("done", 1, False)


async def test_web_04_en_07_x_14_a_refused_console_import_keeps_its_bad_lines_bounded(
    enroll: Enroll, tmp_path: Path
) -> None:
    """Every bad line up to the bound, with its column and reason; the count goes on; nothing
    is in force; the job is gone a week after its last word (X-14)."""
    imports = enroll.app.state.enroll.imports
    union = insurer()
    bad = {n: (3, "ケンコム太郎") for n in range(2, 1_502)}
    path = write_roster(tmp_path / "bad.csv", union, 2_000, bad=bad)
    job = await imports.start(union, path, "auto", roster.Restrictions(), "operator-1")
    await imports.finished(job.job_id)
    refused = await imports.get(job.job_id)
    assert (refused.phase.value, refused.lines, refused.refused_count) == ("refused", 2_000, 1_500)
    assert len(refused.refused) == 1_000
    first = refused.refused[0]
    assert (first.line, first.column, "「太」" in first.reason) == (2, "氏名カナ", True)
    assert (await enroll.app.state.enroll.rosters.current(union)) is None

    unreadable = tmp_path / "junk.csv"
    unreadable.write_bytes(b"\x00\xff\xfe junk \x81")
    junk = await imports.start(union, unreadable, "utf-8", roster.Restrictions(), "operator-1")
    await imports.finished(junk.job_id)
    assert (await imports.get(junk.job_id)).phase.value == "refused"

    upkeep = enroll.app.state.enroll.upkeep
    enroll.clock.advance(timedelta(days=6))
    await upkeep.run_once()
    assert await imports.get(job.job_id) is not None, "kept a week"
    enroll.clock.advance(timedelta(days=1, seconds=1))
    assert (await upkeep.run_once()).import_jobs >= 2
    assert await imports.get(job.job_id) is None and await imports.get(junk.job_id) is None
