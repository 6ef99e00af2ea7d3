"""What the support desk's pages of members, business-ID requests and trusted networks share
(WEB-04): the gate that lets only the realm's support operators in, the form's errors from a
validation, and the confirmation step (確認する → 確定する, WEB-05).

The gate refuses with a page, never JSON: without a session the browser goes to the login,
with login steps still owed to them, and anyone else who is not the realm's support desk sees
the refusal's words, the same whatever the page would have shown (X-15). The use cases ask
``domain.authz`` again for every operation: the gate only keeps strangers off the pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from domainkit.tokyo import TOKYO
from servicekit.problems import ProblemCode
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.kit import PAGES
from services.identity.pages.support_home import support_session
from services.identity.usecases import Identity
from webkit.pages import FieldError

#: The console's home, which another part of the console keeps (its menu links here).
CONSOLE_HOME = "/realms/{realm}/support/"


async def desk_session(
    request: Request, identity: Identity, policy: RealmPolicy, available: bool = True
) -> Session | Response:
    """The page's browser's full session of the realm's support desk (the console's one gate,
    ``support_home.support_session``), or the page that answers instead. ``available``: the
    realm has what the page is about (else 404, after the gate, so a stranger learns nothing
    of the realm)."""
    found = await support_session(request, identity, policy.name)
    if isinstance(found, Response) or available:
        return found
    return PAGES.problem(request, policy.name, ProblemCode.NOT_FOUND)


def when(moment: datetime | None, shape: str = "%Y/%m/%d %H:%M") -> str:
    """A moment as the desk reads it: Tokyo's time (a stored moment without a zone is UTC);
    "" for none."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TOKYO).strftime(shape)


def invalid_fields(
    invalid: ValidationError, ids: Mapping[str, str] | None = None
) -> list[FieldError]:
    """A validation's errors as the form's, each at its field (``ids`` maps a model field to
    the form field's id where they differ)."""
    found = []
    for error in invalid.errors():
        where = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        found.append(FieldError(message, (ids or {}).get(where, where) or None))
    return found


#: What a change's confirmation says (seed 004 4-6's 情報変更確認).
CHANGE_EXPLANATION = (
    "変更内容を確認し、「確定する」を押してください。修正する場合は「戻る」を押してください。"
)


def admin_home(policy: RealmPolicy) -> tuple[str, str]:
    """An admin's confirmation leads back to the portal's top page, not to the console."""
    return ("トップ", f"/realms/{policy.name}/home")


def confirm(
    request: Request,
    policy: RealmPolicy,
    title: str,
    rows: Sequence[tuple[str, str]],
    action: str,
    fields: Mapping[str, str],
    back_href: str,
    explanation: str = "以下の内容でよろしければ「確定する」を押してください。",
    button: str = "確定する",
    home: tuple[str, str] | None = None,
) -> Response:
    """The confirmation step: what will be done, shown before anything changes, with
    「確定する」 posting the same values again and a way back. ``home``: the menu's link
    (label, address), the console's home unless the page is an admin's."""
    label, href = home or ("サポートコンソール", CONSOLE_HOME.format(realm=policy.name))
    return PAGES.render(
        request,
        "desk_confirm",
        realm=policy.name,
        title=title,
        rows=rows,
        action=action,
        fields={**fields, "step": "commit"},
        back_href=back_href,
        explanation=explanation,
        button=button,
        home_label=label,
        home_href=href,
    )
