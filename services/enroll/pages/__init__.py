"""kencom's pages (WEB-01): the sign-up and the checkup-results gate, in the portal's look,
apart from the JSON API, and the support console's roster import and 健診閲覧コード (WEB-04);
their templates are in ``templates/``."""

from fastapi import APIRouter

from services.enroll.pages import (
    checkup,
    checkup_codes,
    roster_maintenance,
    roster_uploads,
    rosters,
    signup,
)

ROUTERS: tuple[APIRouter, ...] = (
    signup.router,
    checkup.router,
    rosters.router,
    roster_uploads.router,
    roster_maintenance.router,
    checkup_codes.router,
)
