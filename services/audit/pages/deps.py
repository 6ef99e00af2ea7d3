"""What audit's pages depend on: the use cases and the templates (the page's session is
``servicekit.credentials.browser_session_token``, as on every page).

A page answers a refused caller with the sign-in or refusal page (``PAGES.refused``), not a
problem document: the browser is sent to its login or told it may not, the same whatever the
realm or organisation holds (X-15).
"""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi import Path as PathParam

from services.audit.usecases import Audit
from webkit.pages import Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")

RealmName = Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,40}$")]


async def audit(request: Request) -> Audit:
    found: Audit = request.app.state.audit
    return found


AuditDep = Annotated[Audit, Depends(audit)]
