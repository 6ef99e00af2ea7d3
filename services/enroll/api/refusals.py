"""The domain's refusals (and identity's, passed on) as the problems a client reads (SPEC
section 7): the mapping is the use cases' (``usecases.problems``), shared with the pages."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from servicekit.problems import ProblemCode, problem_response
from services.enroll.domain import refusals
from services.enroll.usecases.identity_client import CredentialRefused
from services.enroll.usecases.problems import PASSED_ON, PROBLEMS


def install(app: FastAPI) -> None:
    @app.exception_handler(refusals.Refusal)
    async def _refused(request: Request, refusal: refusals.Refusal) -> JSONResponse:
        return problem_response(
            PROBLEMS[type(refusal)],
            detail=refusal.detail,
            instance=request.url.path,
            **refusal.extensions,
        )

    @app.exception_handler(CredentialRefused)
    async def _credential(request: Request, refused: CredentialRefused) -> JSONResponse:
        code = PASSED_ON.get(refused.code, ProblemCode.VALIDATION_ERROR)
        return problem_response(code, detail=refused.detail, instance=request.url.path)
