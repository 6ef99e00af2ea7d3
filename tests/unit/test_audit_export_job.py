"""The export job's life as pure transitions (AU-03, AU-04, issue 16), and who may ask for it
(AU-03, WEB-02, X-15): no database, no clock but the one given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domainkit.callers import Caller, Refusal
from services.audit.domain import authz
from services.audit.domain.export_job import (
    KEPT,
    STALE,
    ExportGone,
    ExportJob,
    ExportNotReady,
    ExportState,
    FinishedFile,
)
from services.audit.domain.export_ready import Requester
from services.audit.domain.export_request import ExportRequest
from services.audit.domain.sheet import Encoding, Order

NOW = datetime(2026, 4, 2, 0, 0, tzinfo=UTC)
FILE = FinishedFile(rows=5, pieces=1, size=321, filename="access-history_20250402-20260402.csv")


def job() -> ExportJob:
    request = ExportRequest("demo", "o1", None, None, None, Order.BY_TIME, Encoding.UTF8, False)
    requester = Requester("u1", "XA3000001", "admin")
    return ExportJob.started("e1", request, requester, NOW, "c1")


def test_au_04_a_started_job_runs_with_nothing_read_and_waits_a_day_for_its_download() -> None:
    started = job()
    assert (started.state, started.rows_read, started.file) == (ExportState.RUNNING, 0, None)
    assert started.encoding is Encoding.UTF8
    assert started.kept_until == NOW + KEPT
    assert started.belongs_to("demo", "o1")
    assert not started.belongs_to("demo", "o2"), "X-15: shown only for its organisation"


def test_au_04_a_running_job_counts_rows_read_and_a_finished_one_has_read_every_row() -> None:
    reading = job().read(1200)
    assert (reading.state, reading.rows_read) == (ExportState.RUNNING, 1200)
    ready = reading.finished(FILE)
    assert (ready.state, ready.rows_read, ready.file) == (ExportState.READY, 5, FILE)


def test_au_03_a_period_without_rows_ends_the_job_as_no_data() -> None:
    assert job().found_nothing().state is ExportState.NO_DATA


def test_au_04_the_file_is_taken_once_and_only_when_ready() -> None:
    with pytest.raises(ExportNotReady, match="running"):
        job().file_to_take()
    with pytest.raises(ExportNotReady, match="failed"):
        job().failed().file_to_take()
    ready = job().finished(FILE)
    assert ready.file_to_take() == FILE
    with pytest.raises(ExportGone):
        ready.taken().file_to_take()


def test_au_04_x_16_a_job_whose_heartbeat_stopped_is_settled_by_its_commit() -> None:
    running = job()
    assert not running.unsettled(NOW + STALE), "a beat this recent is a live replica"
    later = NOW + STALE + timedelta(milliseconds=1)
    assert running.unsettled(later)
    assert not running.beat(later).unsettled(later)
    assert running.settled(None).state is ExportState.FAILED, "nobody will finish it"
    ready = running.settled(FILE)
    assert (ready.state, ready.file, ready.rows_read) == (ExportState.READY, FILE, 5)


def test_x_03_a_failed_job_that_committed_its_file_is_ready_after_all() -> None:
    failed = job().failed()
    assert failed.unsettled(NOW)
    assert failed.settled(FILE).state is ExportState.READY
    assert not job().finished(FILE).unsettled(NOW + KEPT), "ready is settled"
    assert not job().finished(FILE).taken().unsettled(NOW + KEPT)


def caller(role: str, org_id: str | None = "o1") -> Caller:
    return Caller("u1", "demo", org_id, role, restricted=False)


def test_au_03_an_admin_reads_its_own_organisation_and_support_the_one_it_names() -> None:
    assert authz.org_read_by(caller("admin"), "demo", "o2") == "o1", "an admin's own, whatever"
    assert authz.org_read_by(caller("support", None), "demo", "o2") == "o2"
    assert authz.org_read_by(caller("support", None), "demo", "") is Refusal.NOT_PERMITTED
    assert authz.org_read_by(caller("business"), "demo", "") is Refusal.NOT_PERMITTED
    assert authz.org_read_by(caller("admin"), "kihonet", "") is Refusal.NOT_PERMITTED


def test_au_03_x_15_a_realm_audit_keeps_no_history_of_is_refused_like_any_other() -> None:
    stranger_realm = Caller("u1", "elsewhere", "o1", "admin", restricted=False)
    assert authz.may_export(stranger_realm, "elsewhere", "o1") is None
    assert not authz.keeps_history_of("elsewhere")
    assert authz.org_read_by(stranger_realm, "elsewhere", "") is Refusal.NOT_PERMITTED


def test_web_02_only_the_realms_support_with_a_complete_login_watches_the_dashboard() -> None:
    assert authz.may_watch(caller("support", None), "demo") is None
    assert authz.may_watch(caller("support", None), "kihonet") is Refusal.NOT_PERMITTED
    assert authz.may_watch(caller("admin"), "demo") is Refusal.NOT_PERMITTED
    pending = Caller("u1", "demo", None, "support", restricted=True)
    assert authz.may_watch(pending, "demo") is Refusal.LOGIN_INCOMPLETE
