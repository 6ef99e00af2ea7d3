"""Rendering a page: a service's own templates over the library's layout and form helpers.

Every page is rendered with the browser's CSRF token (made and set as its cookie when the
browser has none), the portal's name for the realm, and ``Cache-Control: no-store``: pages
show personal data and pending logins, which no cache may keep.

A refusal on a page is a page too (WEB-04), never raw JSON: :meth:`Pages.problem` shows a
problem's status and Japanese title in the realm's look with a link back to the portal's top,
and :func:`problem_page` does the same for the problems no route answered itself (an unknown
page, a form that failed its CSRF check, an outage, a crash), through
``servicekit.problems.install_problem_handlers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from servicekit.browsers import PAGE_PATH
from servicekit.credentials import (
    Refusal,
    refused,
)
from servicekit.problems import ProblemCode, problem_headers
from webkit import csrf

LIBRARY_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: The portal each realm is, as its people know it (the seeds' names).
PORTAL_NAMES: Mapping[str, str] = {
    "dantai-net": "生保団体ネット",
    "kihonet": "企保ネット",
    "mypage": "県民共済 My Page",
    "kencom": "kencom",
    "nexi": "NEXI 貿易保険 Web サービス",
    "demo": "デモポータル",
}


#: What a page refused for the OTP adds to its title (seed 004 5-3).
OTP_DETAIL = (
    "この操作を行うには、ワンタイムパスワードの入力が必要です。"
    "ワンタイムパスワードは、登録されているメールアドレスにお送りします。"
)


def otp_page(realm: str) -> str:
    """Identity's OTP page (ID-OTP-05): where a page refused for the OTP leads, and where the
    gateway sends a browser it refused for it."""
    return f"/realms/{realm}/otp"


def login_page(realm: str) -> str:
    """Identity's login page: where a page's browser without a (complete) login is sent."""
    return f"/realms/{realm}/login"


def home_page(realm: str) -> str:
    """Identity's top of the portal (ID-LOGIN-04): where every refused page links back to. It
    sends a browser without a session on to the login, so the link leads somewhere for all."""
    return f"/realms/{realm}/home"


#: The words of the link back on every refused page.
BACK_LABEL = "ポータルのトップへ戻る"

#: The problems that mean "log in (again) first": a page's browser is sent to the login, as
#: the gateway sends one it refused itself, rather than shown the problem.
TO_THE_LOGIN = (ProblemCode.SESSION_EXPIRED, ProblemCode.PASSWORD_CHANGE_REQUIRED)


@dataclass(frozen=True)
class FieldError:
    """One error of a form: its message, and the field it is about (the summary links there)."""

    message: str
    field: str | None = None


class Pages:
    """A service's pages: ``render`` answers one of its templates inside the shared layout."""

    def __init__(self, templates: Path) -> None:
        self.environment = Environment(
            loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(LIBRARY_TEMPLATES)]),
            autoescape=select_autoescape(["html", "j2"]),
            auto_reload=False,
        )

    def render(
        self,
        request: Request,
        name: str,
        status_code: int = 200,
        *,
        realm: str | None = None,
        errors: Sequence[FieldError] = (),
        **values: Any,
    ) -> HTMLResponse:
        """``name`` (``login`` for ``login.html.j2``) with ``values``; errors are announced at
        the top of the page and focused (the layout's summary), each linking to its field. A
        refusal (a status of 400 or more) knows its link back to the realm's top
        (``back_href``), which a message page shows when it offers no other way on."""
        response = HTMLResponse("", status_code=status_code)
        if status_code >= 400 and realm is not None and _is_realm(realm):
            values.setdefault("back_href", home_page(realm))
            values.setdefault("back_label", BACK_LABEL)
        token = csrf.ensure_token(request, response)
        html = self.environment.get_template(f"{name}.html.j2").render(
            csrf_token=token,
            realm=realm,
            portal_name=PORTAL_NAMES.get(realm or "", "ポータル"),
            errors=list(errors),
            field_errors={e.field: e.message for e in errors if e.field},
            **values,
        )
        response.body = response.render(html)
        response.headers["content-length"] = str(len(response.body))
        response.headers["cache-control"] = "no-store"
        return response

    def refused(self, request: Request, realm: str, refusal: Refusal) -> Response:
        """Who may not see a page: to the login without a (complete) session, otherwise the
        refusal's words, the same whatever the page would have shown (X-15). A session that
        owes its organisation's OTP is shown the way to it (ID-OTP-05): identity's OTP page,
        where 「ワンタイムパスワードの発行」 leads to the entry."""
        return self.problem(request, realm, refused(refusal).code)

    def problem(
        self, request: Request, realm: str | None, code: ProblemCode, detail: str | None = None
    ) -> Response:
        """A problem as the realm's page: its status, its headers (``Retry-After``), its
        Japanese title and its code (as the API's problem has them), with a link back to the
        portal's top. ``OTP_REQUIRED`` leads to the OTP page instead, and a missing or
        unfinished login (:data:`TO_THE_LOGIN`) to the login page, unless this is that page."""
        known = realm if realm is not None and _is_realm(realm) else None
        if known is not None and code in TO_THE_LOGIN and request.url.path != login_page(known):
            return RedirectResponse(login_page(known), status_code=303)
        if known is not None and code is ProblemCode.OTP_REQUIRED:
            response = self.render(
                request,
                "webkit/message",
                code.status,
                realm=known,
                title=code.title,
                detail=OTP_DETAIL,
                next_href=otp_page(known),
                next_label="ワンタイムパスワードの発行へ",
                problem_code=code.name,
            )
        else:
            response = self.render(
                request,
                "webkit/message",
                code.status,
                realm=known,
                title=code.title,
                detail=detail,
                problem_code=code.name,
            )
        response.headers.update(problem_headers(code))
        return response


_LIBRARY_PAGES = Pages(LIBRARY_TEMPLATES)


def problem_page(request: Request, code: ProblemCode, detail: str | None = None) -> Response:
    """A problem that no route answered with a page of its own (an unknown page, a form that
    failed its CSRF check, invalid input, an outage's 503, a crash's 500) as the portal's page
    for the browser that asked for one of a realm's pages (:meth:`Pages.problem`), never JSON.
    A service hands it to ``Runtime.app``, which gives it to ``servicekit.problems`` and
    ``servicekit.outages``."""
    realm = request.path_params.get("realm") or _first_segment_after_realms(request.url.path)
    return _LIBRARY_PAGES.problem(request, realm, code, detail)


def _is_realm(name: str) -> bool:
    """A realm's well-formed name, the only kind put in a link or a ``Location``."""
    return PAGE_PATH.match(f"/realms/{name}") is not None


def _first_segment_after_realms(path: str) -> str | None:
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "realms" else None
