"""Notify's HTTP API: a template preview for operators, and a realm's delivery log for its
support desk (X-15). Module-level routers; what they depend on is in ``deps``."""

from services.notify.api import deliveries, previews

ROUTERS = [previews.router, deliveries.router]
