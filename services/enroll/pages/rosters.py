"""kencom's support console: 名簿取込 (WEB-04, EN-07), for kencom's support desk only.

The operator uploads a union's roster file (CSV, cp932 or UTF-8, as the API's import takes it);
the upload is spooled to disk as it arrives (constant memory, the gateway streams it), kept until
the operator confirms it (``roster_uploads``: what will be imported, 確定する or 戻る), and then the
API's own import (``RosterImports.import_file``, all or nothing, the same file twice changes
nothing) runs as a job of ``RosterImportJobs``, so the page answers at once and shows the
import's progress: a progress bar in a live region, refreshed in place by ``export-progress.js``
or, without JavaScript, by the page itself. Its result: the lines read, and for a refused file
its bad lines with their reasons, also as a CSV in cp932 (Excel in Japan).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from servicekit.credentials import Caller, Refusal
from servicekit.problems import ProblemCode
from services.enroll.domain import card
from services.enroll.domain.imports import ImportJob, Phase
from services.enroll.domain.refusals import CardRefused
from services.enroll.domain.roster import Restrictions
from services.enroll.pages.deps import EnrollDep, Realm, support
from services.enroll.usecases import Enroll
from webkit import csrf
from webkit.pages import FieldError, Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
router = APIRouter(
    prefix="/realms/{realm}/support/rosters", tags=["pages"], include_in_schema=False
)
HOME = "/realms/kencom/support/rosters"
REFRESH_SECONDS = 2
SHOWN_LINES = 100
"""Bad lines listed on the page; the CSV has every one the job kept."""
ENCODINGS = [
    ("auto", "自動判定（cp932 または UTF-8）"),
    ("cp932", "cp932（Shift_JIS）"),
    ("utf-8", "UTF-8"),
]
CHUNK = 1 << 20

Typed = Annotated[str, Form(max_length=20)]
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]


def form_page(
    request: Request,
    typed: dict[str, str] | None = None,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    notice: str = "",
) -> Response:
    return PAGES.render(
        request,
        "support_rosters",
        status_code,
        realm="kencom",
        errors=errors,
        title="名簿取込",
        typed=typed or {},
        encodings=ENCODINGS,
        notice=notice,
    )


async def operator_of(request: Request) -> Caller | Response:
    """kencom's support operator, or the refused page to answer instead."""
    found = await support(request)
    if isinstance(found, Refusal):
        return PAGES.refused(request, "kencom", found)
    return found


@router.get("")
async def rosters(request: Request, _: Realm) -> Response:
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    return form_page(request)


def _age(text: str, field: str, errors: list[FieldError]) -> int | None:
    text = card.half_width(text).strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 150:
        errors.append(FieldError("年齢は0から150までの数字で入力してください", field))
        return None
    return int(text)


@router.post("", dependencies=[Depends(csrf.checked)])
async def upload(
    request: Request,
    _: Realm,
    enroll: EnrollDep,
    insurer_number: Typed = "",
    encoding: Typed = "auto",
    insured_only: Typed = "",
    dependant_min_age: Typed = "",
    dependant_max_age: Typed = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The file is checked for what a form can tell (a union, ages, a file at all); the
    import's own checks come in its job."""
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    typed = {
        "insurer_number": insurer_number,
        "encoding": encoding,
        "insured_only": insured_only,
        "dependant_min_age": dependant_min_age,
        "dependant_max_age": dependant_max_age,
    }
    errors: list[FieldError] = []
    union = ""
    try:
        union = card.insurer_number(insurer_number)
    except CardRefused as refused:
        errors.append(
            FieldError(refused.detail or "保険者番号を確認してください", "insurer_number")
        )
    if encoding not in dict(ENCODINGS):
        errors.append(FieldError("文字コードを一覧から選んでください", "encoding"))
    low = _age(dependant_min_age, "dependant_min_age", errors)
    high = _age(dependant_max_age, "dependant_max_age", errors)
    if low is not None and high is not None and low > high:
        errors.append(FieldError("年齢の下限は上限以下にしてください", "dependant_min_age"))
    if file is None or not file.filename:
        errors.append(FieldError("名簿ファイルを選んでください", "file"))
    if errors:
        return form_page(request, typed, errors, 422)
    assert file is not None
    spooled = await _spool(file, enroll.context.rosters.max_file_bytes)
    if spooled is None:
        limit = enroll.context.rosters.max_file_bytes // 1024**2
        message = f"ファイルが大きすぎます（{limit}MBまで）"
        return form_page(request, typed, [FieldError(message, "file")], 413)
    restrictions = Restrictions(insured_only == "on", low, high)
    held = await enroll.uploads.hold(
        union, spooled, file.filename or "", encoding, restrictions, caller.user_id
    )
    return RedirectResponse(f"{HOME}/uploads/{held.upload_id}", status_code=303)


async def _spool(file: UploadFile, limit: int) -> Path | None:
    """The upload in a file of its own (the job deletes it), or None past ``limit`` bytes."""
    handle, name = tempfile.mkstemp(prefix="roster-upload-", suffix=".csv")
    size, kept = 0, False
    try:
        with os.fdopen(handle, "wb") as spool:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    return None
                spool.write(chunk)
        kept = True
    finally:
        if not kept:
            with contextlib.suppress(OSError):
                os.unlink(name)
    return Path(name)


async def _job(request: Request, enroll: Enroll, job_id: str) -> ImportJob | Response:
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    job = await enroll.imports.get(job_id)
    if job is None:
        return PAGES.problem(request, "kencom", ProblemCode.NOT_FOUND)
    return job


@router.get("/imports/{job_id}")
async def job_page(request: Request, _: Realm, job_id: JobId, enroll: EnrollDep) -> Response:
    job = await _job(request, enroll, job_id)
    if isinstance(job, Response):
        return job
    phase = job.shown_phase(enroll.context.clock.now())
    return PAGES.render(
        request,
        "support_import",
        realm="kencom",
        title="名簿取込の状況",
        job=job,
        phase=phase.value,
        running=not phase.finished,
        refresh_seconds=REFRESH_SECONDS,
        shown=job.refused[:SHOWN_LINES],
        download=f"{HOME}/imports/{job.job_id}/refused.csv",
        home=HOME,
    )


def _cell(text: str) -> str:
    """A cell Excel will not run as a formula (CSV injection, as AU-04's)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n", "\0") else text


@router.get("/imports/{job_id}/refused.csv")
async def refused_csv(request: Request, _: Realm, job_id: JobId, enroll: EnrollDep) -> Response:
    """The refused lines with their reasons, as a CSV in cp932 (Excel in Japan)."""
    job = await _job(request, enroll, job_id)
    if isinstance(job, Response):
        return job
    if job.phase is not Phase.REFUSED:
        return PAGES.problem(request, "kencom", ProblemCode.NO_DATA)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["行番号", "項目", "理由"])
    for line in job.refused:
        writer.writerow([line.line, _cell(line.column), _cell(line.reason)])
    name = f"roster-refused-{job.insurer_number}-{job.job_id[:8]}.csv"
    return Response(
        text.getvalue().encode("cp932", errors="replace"),
        media_type="text/csv; charset=Shift_JIS",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )
