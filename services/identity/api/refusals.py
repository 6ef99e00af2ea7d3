"""Every domain refusal leaves the JSON API as its problem (``usecases.refusals`` maps them)."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from servicekit.problems import problem_response
from services.identity.domain import refusals
from services.identity.usecases.refusals import PROBLEMS


def install(app: FastAPI) -> None:
    """Every refusal leaves as its problem+json, whichever route or use case raised it."""

    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        return problem_response(
            PROBLEMS[type(refusal)], detail=refusal.detail, instance=request.url.path
        )
