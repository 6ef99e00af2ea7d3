"""Identity's HTTP API: module-level routers by the portal's words, mounted by ``app.py``.

Routes are thin: parse, ask a use case, answer. Who may do what is answered by
``domain.authz`` inside the use cases; refusals become problems in one place (``refusals``).
"""

from fastapi import APIRouter

from services.identity.api import (
    bot_defence,
    decisions,
    login,
    login_steps,
    members,
    organisations,
    otp,
    pages,
    passwords,
    sessions,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    organisations.router,
    login.router,
    login_steps.router,
    sessions.router,
    users.router,
    passwords.router,
    members.router,
    pages.router,
    otp.router,
    decisions.router,
    bot_defence.router,
)
