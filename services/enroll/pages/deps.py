"""What kencom's pages depend on: the use cases and the realm, shared with the API through
``web`` (the two doors share their dependencies there, never each other), and the page's
member, which is the pages' own; the rules both doors follow are the domain's
(``domain/authz``) and the use cases'."""

from fastapi import Request

from servicekit.credentials import Caller, Introspection, Refusal
from services.enroll.domain import authz
from services.enroll.web import EnrollDep as EnrollDep
from services.enroll.web import Realm as Realm
from webkit.pages import page_caller


async def member(request: Request) -> Caller | Refusal:
    """The page's kencom member with a complete login (``authz.member``), or why not: a page
    answers a refusal with a page, not a problem."""
    introspection: Introspection = request.app.state.introspection
    found = await page_caller(request, introspection)
    if isinstance(found, Refusal):
        return found
    return authz.member(found) or found
