"""Audit's application: recording the access history (AU-01, AU-05, AU-06), its export as a
preview, a download or a job (AU-03, AU-04), one's own history (AU-07), the dashboard's live
feed (WEB-02) and who may ask (``access``, which asks ``domain.authz``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.audit.usecases.access import Access
from services.audit.usecases.export_jobs import ExportJobs
from services.audit.usecases.exports import Exports
from services.audit.usecases.history import AccessHistory
from services.audit.usecases.live_tail import Tail
from services.audit.usecases.own_history import OwnHistory


@dataclass(frozen=True)
class Audit:
    """Everything the routes, pages and subscribers call, built once by ``app``."""

    history: AccessHistory
    exports: Exports
    jobs: ExportJobs
    tail: Tail
    access: Access
    own: OwnHistory
