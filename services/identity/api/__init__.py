"""Identity's JSON API: module-level routers by the portal's words, mounted by ``app.py``
beside the browser's pages (``services.identity.pages``), which it never imports.

Routes are thin: parse, ask a use case, answer. Who may do what is answered by
``domain.authz`` inside the use cases; refusals become problems in one place (``refusals``).
"""

from fastapi import APIRouter

from services.identity.api import (
    bot_defence,
    decisions,
    enrolment,
    front,
    id_requests,
    login,
    login_steps,
    members,
    org_contact,
    organisations,
    otp,
    passwords,
    profile,
    sessions,
    users,
)

#: The decision API and introspection come first: they answer on every request the gateway
#: forwards (measured: matching the last of identity's sixty routes cost a decision about a
#: third of its time). Their requests are in fact answered by ``FRONT_ROUTES``, below, before
#: any router is matched; these routes describe them in OpenAPI.
ROUTERS: tuple[APIRouter, ...] = (
    decisions.router,
    sessions.router,
    organisations.router,
    org_contact.router,
    login.router,
    login_steps.router,
    users.router,
    id_requests.router,
    passwords.router,
    members.router,
    otp.router,
    bot_defence.router,
    enrolment.router,
    profile.router,
)

#: Answered before any router is matched (``front`` says why): mounted first by ``app.py``.
FRONT_ROUTES: tuple[front.FrontRoute, ...] = (
    front.FrontRoute("/v1/sessions/current", sessions.answer_introspection, methods=["GET"]),
    front.FrontRoute("/v1/authz/decisions", decisions.answer_decision, methods=["POST"]),
)
