"""What kencom's pages depend on: the use cases and the realm, shared with the API through
``web`` (the two doors share their dependencies there, never each other), and the page's
member, which the use cases' ``Access`` decides by ``domain/authz``."""

from fastapi import Request

from servicekit.credentials import Caller, Refusal, browser_session_token
from services.enroll.usecases.access import Access
from services.enroll.web import EnrollDep as EnrollDep
from services.enroll.web import Realm as Realm


async def member(request: Request) -> Caller | Refusal:
    """The page's kencom member with a complete login, or why not (a refusal's page)."""
    access: Access = request.app.state.access
    return await access.page_member(browser_session_token(request))


async def support(request: Request) -> Caller | Refusal:
    """The console page's kencom support operator with a complete login, or why not (WEB-04)."""
    access: Access = request.app.state.access
    return await access.page_support(browser_session_token(request))
