"""Who reads an answer: a person's browser on one of the portal's pages, or a program.

A problem reaches the first as the portal's page (WEB-04) and the second as problem+json
(X-05); every service decides it by the same rule, here: by the path, then by the client's
``Accept``.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import Scope

#: The media type of a problem (RFC 9457), what a program is answered.
PROBLEM_JSON = "application/problem+json"

#: The portal's pages: every page router of every service lives under ``/realms/<realm>/``,
#: and the JSON API under ``/v1/``; the operations' routes (``/healthz``, ``/readyz``,
#: ``/metrics``, ``/asyncapi.json``, ``/docs``) and the stylesheet are outside both.
PAGE_PATH = re.compile(r"^/realms/[a-z0-9-]{1,40}(/|$)")


def wants_page(scope: Scope) -> bool:
    """Whether a problem should reach this request as a page rather than as problem+json.

    By the path, then by the client: the path is in a realm's page space (:data:`PAGE_PATH`),
    whether or not a route matched it, so an unknown page is a page too; and the client takes
    HTML at least as gladly as JSON (:func:`prefers_html`), so a page's own script that asks
    for something else (an ``EventSource``'s ``text/event-stream``) keeps the problem. The
    path, not the matched route's ``include_in_schema``: FastAPI puts in the scope the route as
    its router declared it, without what ``include_router`` added, and an unknown page has no
    route at all. That no service lists a route of the page space in its OpenAPI document, and
    so none of its API lives there, is a test (``tests/unit/webkit/test_error_pages.py``)."""
    return bool(PAGE_PATH.match(str(scope.get("path", "")))) and prefers_html(
        Headers(scope=scope).get("accept")
    )


def prefers_html(accept: str | None) -> bool:
    """A browser's navigation (``text/html,…,*/*;q=0.8``), a form's POST, a client that names
    no type (no ``Accept``, ``*/*``): HTML. A client that asks for JSON above HTML, or for
    neither: the problem."""
    if not accept:
        return True
    html = _quality(accept, "text/html")
    program = max(_quality(accept, "application/json"), _quality(accept, PROBLEM_JSON))
    return html > 0 and html >= program


def _quality(accept: str, media_type: str) -> float:
    """The ``q`` that ``accept`` gives ``media_type``: that of its most specific matching range
    (RFC 9110 12.5.1), 0 when none matches."""
    kind, _, sub = media_type.partition("/")
    specificity, quality = -1, 0.0
    for part in accept.split(","):
        given, *parameters = (piece.strip() for piece in part.split(";"))
        given_kind, _, given_sub = given.lower().partition("/")
        if (given_kind, given_sub) == (kind, sub):
            rank = 2
        elif given_kind == kind and given_sub == "*":
            rank = 1
        elif (given_kind, given_sub) == ("*", "*"):
            rank = 0
        else:
            continue
        if rank > specificity:
            specificity, quality = rank, _q(parameters)
    return quality


def _q(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
