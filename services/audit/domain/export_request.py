"""What an admin asks of the アクセス履歴出力 screen (AU-03), and what a preview answers.

Pure: the choice as typed is read by the pages and the API alike, and the export use cases
carry it through the preview, the download and the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.audit.domain.period import Period
from services.audit.domain.sheet import Encoding, Order


@dataclass(frozen=True)
class ExportRequest:
    """What the admin chose on the アクセス履歴出力 screen."""

    realm: str
    org_id: str
    first: date | None
    last: date | None
    login_id: str | None
    """One user (WebユーザーID), or ``None`` for 全ユーザー指定."""
    order: Order
    encoding: Encoding
    client_info: bool


@dataclass(frozen=True)
class Preview:
    """レコード件数とおおよそのファイルサイズ (seed 004 ③), with the seed's warning above 5 MB."""

    rows: int
    approx_bytes: int
    warning: str | None
    period: Period
    notes: tuple[str, ...]


class NoData(Exception):
    """対象データがありません: nothing matches (the notes say what the period was clipped to)."""

    def __init__(self, notes: tuple[str, ...]) -> None:
        super().__init__("NO_DATA")
        self.notes = notes
