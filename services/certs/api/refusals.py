"""The CA's refusals as the problems a client reads (SPEC section 7): the mapping is the use
cases' (``usecases.problems``), shared with the screens."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from servicekit.problems import problem_response
from services.certs.domain import refusals
from services.certs.usecases.problems import problem_of


def install(app: FastAPI) -> None:
    """Every refusal leaves as its problem+json, whichever route or use case raised it."""

    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        code = problem_of(refusal)
        if isinstance(refusal, refusals.InputInfoError):  # 3420, as the seed shows it
            return problem_response(
                code,
                detail=refusal.detail,
                instance=request.url.path,
                status_code=refusal.status_code,
            )
        return problem_response(code, detail=refusal.detail, instance=request.url.path)
