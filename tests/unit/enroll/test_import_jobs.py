"""The console's roster import job (WEB-04, EN-07) as the page shows it: its progress bar only
advances, a job whose replica went silent is shown as failed, and it is kept a week (X-14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.enroll.domain.imports import KEPT, SILENT, ImportJob, Phase, RefusedLine

T0 = datetime(2026, 4, 1, tzinfo=UTC)


def job(**fields: object) -> ImportJob:
    return ImportJob("j" * 32, "06123456", "op", T0, T0, **fields)  # type: ignore[arg-type]


def test_web_04_the_progress_reads_then_writes_then_is_whole() -> None:
    steps = [
        job(bytes_total=1000, bytes_read=0),
        job(bytes_total=1000, bytes_read=500),
        job(bytes_total=1000, bytes_read=1000),
        job(phase=Phase.WRITING, parts_total=4, parts_written=2),
        job(phase=Phase.WRITING, parts_total=4, parts_written=4),
        job(phase=Phase.DONE),
    ]
    percents = [s.percent for s in steps]
    assert percents == [0, 40, 80, 90, 99, 100]
    assert job(bytes_total=0).percent == 0 and job(phase=Phase.REFUSED).percent == 100


def test_web_04_x_16_a_silent_running_job_is_shown_failed_a_finished_one_as_it_ended() -> None:
    assert job().shown_phase(T0 + SILENT) is Phase.READING
    assert job().shown_phase(T0 + SILENT + timedelta(seconds=1)) is Phase.FAILED
    assert job(phase=Phase.DONE).shown_phase(T0 + timedelta(days=1)) is Phase.DONE


def test_x_14_a_job_is_kept_a_week_and_names_columns_as_the_header_does() -> None:
    assert not job().expired(T0 + KEPT) and job().expired(T0 + KEPT + timedelta(seconds=1))
    assert RefusedLine(3, "name_kana", "x").column == "氏名カナ"
    assert RefusedLine(3, None, "x").column == ""
    assert RefusedLine(3, "insurer_number", "x").column == "保険者番号"
