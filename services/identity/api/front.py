"""The two routes asked on every request through the gateway, answered ahead of FastAPI's
routing: introspection (ID-SESS-02) and the decision API (ID-PERM-03).

Why: FastAPI's matching of identity's routers, its parameter parsing, its dependency solving and
its validation of the returned model were over half of identity's CPU per introspection
(py-spy under bench/introspect), where the use case itself was a twentieth. As plain Starlette
endpoints mounted first (``app.py``) they read the same parameters, refuse with the same
problems and answer the same models, at over twice the rate. Their FastAPI routes stay, for
OpenAPI and the fuzzers that read it, and hand over to the same functions.
"""

from __future__ import annotations

import json
from email.message import Message
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.routing import Match, Route
from starlette.types import Scope

M = TypeVar("M", bound=BaseModel)


class FrontRoute(Route):
    """A Starlette route that names itself in the scope as FastAPI's routes do, so that its
    requests are counted under its path (``CorrelateAndMeasure``)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``, refused as FastAPI refuses a body parameter: an
    empty body is missing, unreadable JSON is ``json_invalid`` at its position (bytes that are
    not text, or arrays and objects nested deeper than ``json.loads`` can recurse: a 400, as
    FastAPI's "error parsing the body", never a 500 (X-05)), a body of
    another media type or not an object is ``model_attributes_type``; every location starts
    with ``body``. The problems are then the app's own (``VALIDATION_ERROR`` or
    ``MALFORMED_REQUEST``)."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    data: Any = raw
    if _is_json(request.headers.get("content-type")):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as err:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", err.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": err.msg},
                    }
                ]
            ) from None
        except (ValueError, RecursionError) as err:  # not UTF-8, or nested past the stack
            raise HTTPException(400, "There was an error parsing the body") from err
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def _is_json(content_type: str | None) -> bool:
    """No media type, ``application/json`` or ``application/*+json``, as FastAPI reads it."""
    if not content_type:
        return True
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
