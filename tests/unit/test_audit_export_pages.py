"""The export job's page and announcement (WEB-01, AU-03, AU-04, issue 16), without I/O: what
the page says in each state, and whom the event names and where it points."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import ActorKind, Topics
from services.audit.domain.export_job import KEPT
from services.audit.domain.export_ready import Ready, Requester, address_of, announcement, page_path
from services.audit.domain.profiles import ProfileVersion
from services.audit.pages.deps import PAGES
from services.audit.usecases.export_jobs import JobStatus

T0 = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
ADMIN = Requester("u-admin", "20XXXXXXX001", "admin")
SUPPORT = Requester("u-support", "SUP0001", "support")


def page(state: str, rows_read: int = 0) -> str:
    ready = state == "ready"
    job = JobStatus(
        export_id="job1",
        state=state,
        rows_read=rows_read,
        rows=120_000 if ready else None,
        size=9_876_543 if ready else None,
        filename="access-history_20250401-20260331.csv" if ready else None,
        encoding="cp932",
        kept_until=T0 + KEPT,
    )
    return PAGES.environment.get_template("access_history_export.html.j2").render(
        csrf_token="t" * 43,
        realm="nexi",
        portal_name="NEXI",
        title="アクセス履歴ファイルの作成",
        errors=[],
        field_errors={},
        job=job,
        refresh_seconds=3,
        kept_until="2026年4月2日 09:00",
        history="/realms/nexi/access-history",
        download="/realms/nexi/access-history/exports/job1/file",
    )


def test_web_01_au_04_a_running_job_refreshes_itself_and_says_how_many_rows_are_read() -> None:
    html = page("running", rows_read=412_000)
    assert '<meta http-equiv="refresh" content="3">' in html, "no JavaScript needed"
    assert 'role="status" aria-live="polite"' in html
    assert "CSVファイルを作成しています（<strong>412,000</strong>件読み込み済み）" in html
    assert "ダウンロード" not in html


def test_web_01_au_04_a_ready_job_offers_one_download_by_a_form_with_its_csrf_token() -> None:
    html = page("ready")
    assert "http-equiv" not in html, "a finished page stays still"
    assert 'action="/realms/nexi/access-history/exports/job1/file"' in html
    assert 'method="post"' in html and 'name="csrf_token" value="' + "t" * 43 in html
    assert "120,000</strong>件" in html and "9,876,543</strong>バイト" in html
    assert "ダウンロードできるのは1回だけです。2026年4月2日 09:00を過ぎると削除されます。" in html


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("downloaded", "このファイルはダウンロード済みです。"),
        ("failed", "ファイルを作成できませんでした。"),
        ("no_data", "対象データがありません。"),
    ],
)
def test_web_01_au_04_a_finished_job_says_what_became_of_it_and_leads_back(
    state: str, words: str
) -> None:
    html = page(state)
    assert words in html
    assert 'href="/realms/nexi/access-history"' in html and "/file" not in html


def test_au_04_the_mailed_page_is_the_jobs_own_and_support_keeps_the_organisation() -> None:
    assert page_path("nexi", "org-1", "job1", ADMIN) == "/realms/nexi/access-history/exports/job1"
    assert page_path("nexi", "org-1", "job1", SUPPORT).endswith("/exports/job1?org=org-1")


def test_au_04_the_address_is_the_latest_profiles_or_none() -> None:
    def version(at: datetime, email: str | None) -> ProfileVersion:
        return ProfileVersion(at, f"e{at.timestamp()}", "20XXXXXXX001", email=email)

    assert address_of(()) is None
    history = (version(T0, "old@example.jp"), version(T0 + timedelta(days=1), "new@example.jp"))
    assert address_of(history) == "new@example.jp"
    assert address_of((*history, version(T0 + timedelta(days=2), None))) is None


def test_au_04_x_01_the_announcement_is_about_the_requester_on_audits_own_topic() -> None:
    ready = Ready(120_000, 9_876_543, date(2025, 4, 1), date(2026, 3, 31), T0 + KEPT)
    event = announcement(
        realm="nexi",
        org_id="org-1",
        export_id="job1",
        requester=SUPPORT,
        ready=ready,
        address="support@example.jp",
        now=T0,
        correlation_id="req-1",
    )
    assert event.topic == Topics.AUDIT_EXPORTS and event.key() == b"u-support"
    assert (event.actor.kind, event.actor.id) == (ActorKind.SUPPORT, "u-support")
    assert (event.org_id, event.login_id, event.recipient_email) == (
        "org-1",
        "SUP0001",
        "support@example.jp",
    )
    assert (event.rows, event.size_bytes, event.expires_at) == (120_000, 9_876_543, T0 + KEPT)
    assert event.page_path == "/realms/nexi/access-history/exports/job1?org=org-1"
