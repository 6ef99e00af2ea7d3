"""The console's roster upload waiting for its 確定する (WEB-04, WEB-05, EN-07, X-14) on the real
database: an upload imports nothing until confirmed; what the confirmation shows (encoding,
lines, the first lines); confirming twice, even at once, starts one import; 戻る and the upkeep
(by the moved clock) leave nothing of an abandoned upload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from harness import Infra, Namespace
from kencom_signup import enroll_settings
from kencom_signup import new_insurer as insurer
from pymongo import AsyncMongoClient
from roster_maker import write_roster

from servicekit.clock import ManualClock, SystemClock
from services.enroll.app import create_app
from services.enroll.domain import roster
from services.enroll.usecases import Enroll

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]


@pytest.fixture
async def enroll(infra: Infra, ns: Namespace) -> AsyncIterator[tuple[Enroll, ManualClock]]:
    clock = ManualClock(SystemClock().now())
    app = create_app(enroll_settings(infra, ns, "http://127.0.0.1:9"), clock)
    async with app.router.lifespan_context(app):
        yield app.state.enroll, clock


async def stored(mongo: Mongo, ns: Namespace, upload_id: str) -> int:
    """Documents of the upload still in the database (its description and its chunks)."""
    db = mongo[ns.database("enroll")]
    chunks = await db["roster_upload_chunks"].count_documents({"_id": {"$regex": f"^{upload_id}:"}})
    return chunks + await db["roster_uploads"].count_documents({"_id": upload_id})


def copy(path: Path, name: str) -> Path:
    """The upload's own file: holding it deletes it."""
    target = path.with_name(name)
    target.write_bytes(path.read_bytes())
    return target


async def test_web_05_en_07_an_upload_imports_nothing_until_confirmed_and_once_however_often(
    enroll: tuple[Enroll, ManualClock], tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    use, _ = enroll
    union = insurer()
    path = write_roster(tmp_path / "roster.csv", union, 30_000)  # cp932, CRLF: chunks of 1 MiB
    limits = roster.Restrictions(insured_only=True)
    upload = copy(path, "upload.csv")
    held = await use.uploads.hold(union, upload, "組合名簿.csv", "auto", limits, "op-1")
    assert not upload.exists(), "the upload's spool is the database's now"
    assert (held.detected, held.size, held.lines) == ("cp932", path.stat().st_size, 30_001)
    assert held.chunks >= 2 and held.file_name == "組合名簿.csv"
    assert held.preview[0][:2] == ("保険者番号", "記号") and len(held.preview) == 6
    assert (
        len(held.upload_id) == 32
        and held.upload_id
        != (
            await use.uploads.hold(union, copy(path, "other.csv"), "r.csv", "auto", limits, "op-1")
        ).upload_id
    ), "each upload its own unguessable id"
    assert await use.rosters.current(union) is None, "held, not imported"
    assert await use.imports.get(held.upload_id) is None, "no job before 確定する"

    first, second = await asyncio.gather(
        use.imports.confirm(held.upload_id, "op-1"), use.imports.confirm(held.upload_id, "op-2")
    )
    assert first is not None and second is not None and first.job_id == second.job_id
    await use.imports.finished(first.job_id)
    done = await use.imports.get(first.job_id)
    assert done is not None
    assert (done.phase.value, done.rows, done.version, done.changed) == ("done", 30_000, 1, True)
    found = await use.rosters.current(union)
    assert found is not None and found[0].restrictions == limits, "the form's restrictions"
    assert await stored(mongo, ns, held.upload_id) == 0, "the confirmed file is gone"
    again = await use.imports.confirm(held.upload_id, "op-1")
    assert again is not None and again.job_id == first.job_id, "pressed again: the same job"
    assert (await use.rosters.current(union) or (None, 0))[1] == 1, "one import"


async def test_x_14_an_abandoned_upload_is_purged_and_a_discarded_one_gone_at_once(
    enroll: tuple[Enroll, ManualClock], tmp_path: Path, mongo: Mongo, ns: Namespace
) -> None:
    use, clock = enroll
    union = insurer()
    path = write_roster(tmp_path / "roster.csv", union, 5_000, "utf-8")
    limits = roster.Restrictions()
    abandoned = await use.uploads.hold(union, copy(path, "a.csv"), "a.csv", "auto", limits, "op")
    discarded = await use.uploads.hold(union, copy(path, "b.csv"), "b.csv", "utf-8", limits, "op")
    assert abandoned.detected == "utf-8" and await stored(mongo, ns, abandoned.upload_id) > 1

    await use.uploads.discard(discarded)  # 戻る
    assert await stored(mongo, ns, discarded.upload_id) == 0
    assert await use.imports.confirm(discarded.upload_id, "op") is None

    clock.advance(timedelta(minutes=59))
    await use.upkeep.run_once()
    assert await use.uploads.get(abandoned.upload_id) is not None, "an hour to confirm"
    clock.advance(timedelta(minutes=1, seconds=1))
    assert await use.uploads.get(abandoned.upload_id) is None, "expired: not confirmable"
    assert await use.imports.confirm(abandoned.upload_id, "op") is None
    assert (await use.upkeep.run_once()).uploads >= 1
    assert await stored(mongo, ns, abandoned.upload_id) == 0, "nothing of it left"
    assert await use.rosters.current(union) is None, "nothing imported"
