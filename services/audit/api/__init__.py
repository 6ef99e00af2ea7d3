"""Audit's JSON API: the access-history preview and download, the export job, the records."""

from fastapi import APIRouter

from services.audit.api import exports, history, records

ROUTERS: list[APIRouter] = [history.router, exports.router, records.router]
