"""OpenAPI links: which answer feeds which next call, documented on the route that answers.

A link (OpenAPI 3.1, the Link Object) names the next operation by ``operationRef``, a JSON
pointer to the path and method a reader knows, and says with runtime expressions where the
next call's parameters and body fields come from (``$response.body#/org_id``,
``$request.path.realm``). A route lists its links in its success response:
``responses={201: {"links": {...}}}``. Schemathesis follows the same links in its stateful
phase, so what API readers are shown is what the tests chain calls by.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def operation_ref(method: str, path: str) -> str:
    """``#/paths/~1v1~1users~1%7Buser_id%7D/get``: the operation's place in the document, a
    JSON pointer (RFC 6901 escapes ``~`` and ``/`` in the path) in a URI fragment, where the
    template's braces are percent-encoded (a URI may not hold them as they are)."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{quote(pointer, safe='~')}/{method.lower()}"


def link(
    method: str,
    path: str,
    description: str,
    *,
    parameters: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Link Object to ``method path``. ``parameters`` are keyed ``path.name``, ``query.name``
    or ``header.name``; ``body`` holds the request body fields the answer provides (the rest
    of the body is the caller's)."""
    found: dict[str, Any] = {
        "operationRef": operation_ref(method, path),
        "description": description,
    }
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = body
    return found
