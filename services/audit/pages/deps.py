"""What audit's pages depend on: the use cases, the page's session, the templates.

A page answers a refused caller with the sign-in or refusal page (``PAGES.refused``), not a
problem document: the browser is sent to its login or told it may not, the same whatever the
realm or organisation holds (X-15).
"""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi import Path as PathParam

from servicekit.credentials import SESSION_COOKIE
from services.audit.usecases import Audit
from webkit.pages import Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")

RealmName = Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,40}$")]


async def audit(request: Request) -> Audit:
    found: Audit = request.app.state.audit
    return found


AuditDep = Annotated[Audit, Depends(audit)]


def session_of(request: Request) -> str | None:
    """The page's session token: its browser's ``__Host-session`` cookie, if any."""
    return request.cookies.get(SESSION_COOKIE)
