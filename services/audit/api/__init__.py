"""Audit's JSON API: the access-history preview and download, the export job, the records,
one's own history (AU-07)."""

from fastapi import APIRouter

from services.audit.api import exports, history, own_history, records

ROUTERS: list[APIRouter] = [history.router, exports.router, records.router, own_history.router]
