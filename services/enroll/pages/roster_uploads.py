"""kencom's support console: the confirmation of a roster upload (WEB-04, WEB-05, EN-07).

取り込む keeps the file (``RosterUploads.hold``: in the database, so any replica can take the
next request) and sends the operator here: the union, the file's name, size, encoding and lines,
its first lines as a table, and that the roster in force will be replaced. Only 確定する starts
the import (``RosterImportJobs.confirm``: the API's import, once however often it is pressed);
戻る discards the file and gives back the form as it was typed. The page is addressed by the
upload's unguessable id and shown to kencom's support desk only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from servicekit.problems import ProblemCode
from services.enroll.domain.imports import PendingUpload
from services.enroll.pages.deps import EnrollDep, Realm
from services.enroll.pages.rosters import ENCODINGS, HOME, PAGES, form_page, operator_of
from services.enroll.usecases import Enroll
from webkit import csrf

router = APIRouter(
    prefix="/realms/{realm}/support/rosters/uploads", tags=["pages"], include_in_schema=False
)
UploadId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
DISCARDED = "名簿は取り込んでいません。ファイルを選び直してください。"
READ_AS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM付き）", "cp932": "cp932（Shift_JIS）"}


async def _upload(request: Request, enroll: Enroll, upload_id: str) -> PendingUpload | Response:
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    upload = await enroll.uploads.get(upload_id)
    if upload is None:
        return PAGES.problem(request, "kencom", ProblemCode.NOT_FOUND)
    return upload


@router.get("/{upload_id}")
async def confirmation(
    request: Request, _: Realm, upload_id: UploadId, enroll: EnrollDep
) -> Response:
    upload = await _upload(request, enroll, upload_id)
    if isinstance(upload, Response):
        return upload
    in_force = await enroll.rosters.current(upload.insurer_number)
    return PAGES.render(
        request,
        "support_upload_confirm",
        realm="kencom",
        title="名簿取込の確認",
        upload=upload,
        read_as=READ_AS.get(upload.detected, upload.detected),
        chosen=dict(ENCODINGS).get(upload.encoding, upload.encoding),
        in_force=None if in_force is None else in_force[0],
        action=f"{HOME}/uploads/{upload.upload_id}",
    )


@router.post("/{upload_id}/confirm", dependencies=[Depends(csrf.checked)])
async def confirm(request: Request, _: Realm, upload_id: UploadId, enroll: EnrollDep) -> Response:
    """確定する: the import starts (or, pressed again, the one already started is shown)."""
    caller = await operator_of(request)
    if isinstance(caller, Response):
        return caller
    job = await enroll.imports.confirm(upload_id, caller.user_id)
    if job is None:
        return PAGES.problem(request, "kencom", ProblemCode.NOT_FOUND)
    return RedirectResponse(f"{HOME}/imports/{job.job_id}", status_code=303)


@router.post("/{upload_id}/cancel", dependencies=[Depends(csrf.checked)])
async def cancel(request: Request, _: Realm, upload_id: UploadId, enroll: EnrollDep) -> Response:
    """戻る: nothing imported, the file forgotten; the form again with what was typed (a
    browser cannot be given a file back: it is chosen again)."""
    upload = await _upload(request, enroll, upload_id)
    if isinstance(upload, Response):
        return upload
    await enroll.uploads.discard(upload)
    limits = upload.restrictions
    typed = {
        "insurer_number": upload.insurer_number,
        "encoding": upload.encoding,
        "insured_only": "on" if limits.insured_only else "",
        "dependant_min_age": _text(limits.dependant_min_age),
        "dependant_max_age": _text(limits.dependant_max_age),
    }
    return form_page(request, typed, notice=DISCARDED)


def _text(age: int | None) -> str:
    return "" if age is None else str(age)
