"""The stylesheet and scripts every page links to, served by each service at
``/static/webkit/…`` (the gateway asks identity). No inline script or style anywhere: the
gateway's CSP forbids both (GW-05)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from servicekit.problems import Problem, ProblemCode

_FOLDER = Path(__file__).resolve().parent / "static"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_FILES = {p.name: p.read_bytes() for p in _FOLDER.iterdir() if p.suffix in _TYPES}

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/static/webkit/{name}")
async def asset(name: str) -> Response:
    """One of the library's files, read once at start; nothing else is ever served."""
    body = _FILES.get(name)
    if body is None:
        raise Problem(ProblemCode.NOT_FOUND)
    return Response(
        body,
        media_type=_TYPES[Path(name).suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )
