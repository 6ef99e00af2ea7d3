"""Audit's browser routes: the アクセス履歴出力 screen and its download (WEB-01), the export
job's pages (issue 16), the ops dashboard (WEB-02) and one's own ログイン・操作履歴 (AU-07);
their templates are ``templates/``."""

from fastapi import APIRouter

from services.audit.pages import dashboard, exports, history, own_history

ROUTERS: list[APIRouter] = [dashboard.router, history.router, exports.router, own_history.router]
