"""Enroll's HTTP API: module-level routers by the portal's words, mounted by ``app.py``.

Routes are thin: parse, ask a use case, answer; refusals become problems in one place
(``refusals``)."""

from fastapi import APIRouter

from services.enroll.api import checkup, rosters, signups

ROUTERS: tuple[APIRouter, ...] = (signups.router, rosters.router, checkup.router)
