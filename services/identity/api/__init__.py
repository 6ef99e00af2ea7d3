"""Identity's HTTP API: module-level routers by the portal's words, mounted by ``app.py``.

Routes are thin: parse, ask a use case, answer. Who may do what is answered by
``domain.authz`` inside the use cases; refusals become problems in one place (``refusals``).
"""

from fastapi import APIRouter

from services.identity.api import (
    account_pages,
    admin_pages,
    bot_defence,
    decisions,
    enrolment,
    forgotten_pages,
    front,
    login,
    login_pages,
    login_steps,
    members,
    organisations,
    otp,
    otp_pages,
    pages,
    passwords,
    permission_pages,
    sessions,
    user_pages,
    users,
    waiting_pages,
)
from webkit import assets

#: The decision API and introspection come first: they answer on every request the gateway
#: forwards (measured: matching the last of identity's sixty routes cost a decision about a
#: third of its time). Their requests are in fact answered by ``FRONT_ROUTES``, below, before
#: any router is matched; these routes describe them in OpenAPI.
ROUTERS: tuple[APIRouter, ...] = (
    decisions.router,
    sessions.router,
    organisations.router,
    login.router,
    login_steps.router,
    users.router,
    passwords.router,
    members.router,
    pages.router,
    login_pages.router,
    waiting_pages.router,
    # before admin_pages: their POST paths are also /admin/users/{user}/{action}
    permission_pages.router,
    user_pages.router,
    admin_pages.router,
    otp_pages.router,
    forgotten_pages.router,
    account_pages.router,
    assets.router,
    otp.router,
    bot_defence.router,
    enrolment.router,
)

#: Answered before any router is matched (``front`` says why): mounted first by ``app.py``.
FRONT_ROUTES: tuple[front.FrontRoute, ...] = (
    front.FrontRoute("/v1/sessions/current", sessions.answer_introspection, methods=["GET"]),
    front.FrontRoute("/v1/authz/decisions", decisions.answer_decision, methods=["POST"]),
)
