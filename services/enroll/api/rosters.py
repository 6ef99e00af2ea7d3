"""Rosters (名簿, EN-07): a union's roster by API (JSON) or by file (CSV, cp932 or UTF-8).

Both replace the union's roster as one version, all or nothing, and the same roster twice
changes nothing. A bad line is refused with ``ROSTER_INVALID`` naming its ``line`` and
``field``. The file is spooled to disk as it arrives, so memory stays flat whatever its size.
The back office (its token) or kencom's support desk may import.
"""

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from servicekit.problems import Problem, ProblemCode
from services.enroll.api.deps import EnrollDep, RosterImporter
from services.enroll.api.links import ROSTER_IMPORTED
from services.enroll.api.schemas import MaintenanceIn, RestrictionsIn, RosterIn, RosterOut
from services.enroll.domain import card
from services.enroll.domain.refusals import CardRefused, RosterRefused
from services.enroll.domain.roster import Restrictions
from services.enroll.usecases.rosters import Imported

router = APIRouter(prefix="/v1/realms/{realm}/rosters/{insurer_number}", tags=["rosters"])

InsurerNumber = Annotated[str, PathParam(pattern=r"^(?:[0-9]{6}|[0-9]{8})$")]
Age = Annotated[int | None, Query(ge=0, le=150)]

_CSV = {
    "required": True,
    "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The roster file: a header line (記号,番号,氏名カナ,生年月日,続柄 and "
    "optionally 保険者番号), then one line per person; 続柄 is 本人 or 家族.",
}


def _out(imported: Imported) -> RosterOut:
    found = imported.roster
    return RosterOut(
        insurer_number=found.insurer_number,
        version=imported.version,
        rows=found.rows,
        digest=found.digest,
        changed=imported.changed,
        restrictions=RestrictionsIn(**vars(found.restrictions)),
        imported_at=found.imported_at,
        under_maintenance=found.under_maintenance,
        maintenance_since=found.maintenance.since if found.maintenance else None,
    )


def _restrictions(given: RestrictionsIn) -> Restrictions:
    return Restrictions(**given.model_dump())


def _insurer(number: str) -> str:
    try:
        return card.insurer_number(number)
    except CardRefused as refused:
        raise RosterRefused(0, refused.field, refused.detail or "") from None


@router.put(
    "",
    summary="A union's roster through the API (EN-07)",
    responses={200: {"links": ROSTER_IMPORTED}},
)
async def import_rows(
    _: RosterImporter, insurer_number: InsurerNumber, body: RosterIn, enroll: EnrollDep
) -> RosterOut:
    rows = [m.model_dump() for m in body.members]
    imported = await enroll.rosters.import_rows(
        _insurer(insurer_number), rows, _restrictions(body.restrictions)
    )
    return _out(imported)


@router.put(
    "/file",
    summary="A union's roster as a CSV file, cp932 or UTF-8 (EN-07)",
    openapi_extra={"requestBody": _CSV},
    responses={200: {"links": ROSTER_IMPORTED}},
)
async def import_file(
    request: Request,
    _: RosterImporter,
    insurer_number: InsurerNumber,
    enroll: EnrollDep,
    encoding: Literal["auto", "cp932", "utf-8"] = "auto",
    insured_only: bool = False,
    dependant_min_age: Age = None,
    dependant_max_age: Age = None,
) -> RosterOut:
    """The body is the file itself (``content-type: text/csv``)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/csv":
        raise Problem(ProblemCode.UNSUPPORTED_MEDIA_TYPE, detail="content-type: text/csv")
    limit = enroll.context.rosters.max_file_bytes
    restrictions = Restrictions(insured_only, dependant_min_age, dependant_max_age)
    with tempfile.TemporaryDirectory(prefix="roster-upload-") as tmp:
        path = Path(tmp) / "roster.csv"
        size = 0
        with path.open("wb") as spool:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RosterRefused(0, None, f"ファイルが大きすぎます（{limit}バイトまで）")
                spool.write(chunk)
        imported = await enroll.rosters.import_file(
            _insurer(insurer_number), path, encoding, restrictions
        )
    return _out(imported)


@router.get("", summary="The union's roster in force: version, lines, restrictions")
async def roster(_: RosterImporter, insurer_number: InsurerNumber, enroll: EnrollDep) -> RosterOut:
    found = await enroll.rosters.current(insurer_number)
    if found is None:
        raise Problem(ProblemCode.NO_DATA)
    return _out(Imported(found[0], found[1], changed=False))


@router.put(
    "/maintenance",
    summary="kencom maintenance of the union, set or ended (EN-10): while it lasts, card checks "
    "answer ELIGIBILITY_UNION_MAINTENANCE with the seed's guidance and count no try",
)
async def maintenance(
    who: RosterImporter, insurer_number: InsurerNumber, body: MaintenanceIn, enroll: EnrollDep
) -> RosterOut:
    """``changed``: whether the mark changed (setting it twice changes nothing)."""
    marked = await enroll.rosters.maintain(_insurer(insurer_number), body.under_maintenance, who)
    return _out(marked)
