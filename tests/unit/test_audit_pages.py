"""The アクセス履歴出力 screen's answer to a preview (WEB-01, AU-03, seed 004): the rows, the
size, and the seed's warning above 5 MB next to the download; the form's fields labelled."""

from __future__ import annotations

from datetime import date

from services.audit.domain.export_request import Preview
from services.audit.domain.period import Period
from services.audit.domain.sheet import LARGE_FILE_BYTES, LARGE_FILE_WARNING
from services.audit.pages.deps import PAGES
from services.audit.pages.history import ENCODINGS, ORDERS, Choice


def screen(preview: Preview) -> str:
    choice = Choice("", "", "", "user", "cp932", client_info=False)
    return PAGES.environment.get_template("access_history.html.j2").render(
        csrf_token="t" * 43,
        realm="nexi",
        portal_name="NEXI",
        title="アクセス履歴出力",
        errors=[],
        field_errors={},
        choice=choice,
        org="",
        orders=ORDERS,
        encodings=ENCODINGS,
        preview=preview,
        notes=[],
        download=f"/realms/nexi/access-history.csv?{choice.query()}",
        make_file=f"/realms/nexi/access-history/exports?{choice.query()}",
    )


def period() -> Period:
    return Period(date(2026, 1, 1), date(2026, 11, 28))


def test_web_01_au_03_a_preview_above_5_mb_shows_the_seeds_warning_beside_the_download() -> None:
    html = screen(Preview(120_000, LARGE_FILE_BYTES + 1, LARGE_FILE_WARNING, period(), ()))
    assert LARGE_FILE_WARNING in html
    assert "120000</strong>件" in html and 'id="download"' in html
    assert 'href="/realms/nexi/access-history.csv?order=user&amp;encoding=cp932"' in html
    for label in ("開始日", "終了日", "WebユーザーID", "出力形式", "文字コード"):
        assert f">{label}" in html


def test_web_01_au_03_a_small_preview_has_no_warning() -> None:
    html = screen(Preview(12, 1_024, None, period(), ()))
    assert LARGE_FILE_WARNING not in html and "1,024</strong>バイト" in html


def test_web_01_au_04_a_large_preview_offers_to_make_the_file_as_a_job_by_post() -> None:
    """Issue 16: beside the direct download, 「ファイルを作成する」 starts the job (a POST with
    the page's CSRF token), first choice when the file is above 5 MB."""
    html = screen(Preview(1_000_000, LARGE_FILE_BYTES * 16, LARGE_FILE_WARNING, period(), ()))
    action = 'action="/realms/nexi/access-history/exports?order=user&amp;encoding=cp932"'
    assert f'<form method="post" {action}' in html
    assert 'name="csrf_token" value="' + "t" * 43 in html
    assert 'class="button primary">ファイルを作成する</button>' in html
    small = screen(Preview(12, 1_024, None, period(), ()))
    assert 'class="button secondary">ファイルを作成する</button>' in small
