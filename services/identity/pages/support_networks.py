"""kencom's trusted networks on the support console (WEB-04; ID-BOT-03, seed 003 【参考】): the
networks each organisation (a union, 健保組合) named, whose logins skip the image check until
their failure limit; the desk adds an organisation's networks and removes an entry, each after
a confirmation step. The same use cases as the API's ``/trusted-addresses`` routes
(``BotDefence.trusted``, ``add_trusted``, ``remove_trusted``), each change announced by
``TrustedAddressesChanged`` with the whole new list.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts.identity import TrustedNetworkEntry
from servicekit.problems import Problem
from services.identity.domain import refusals
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.pages.deps import IdentityDep, Realm
from services.identity.pages.desk import confirm, desk_session
from services.identity.pages.kit import PAGES, refusal_error, refused_page, status_of
from services.identity.usecases import Identity
from webkit import csrf
from webkit.pages import FieldError

router = APIRouter(
    prefix="/realms/{realm}/support/trusted-networks", tags=["pages"], include_in_schema=False
)
CsrfChecked = Depends(csrf.checked)
Step = Annotated[str, Form(max_length=20)]
Organisation = Annotated[str, Form(max_length=400)]
Networks = Annotated[str, Form(max_length=2000)]
_SEPARATORS = re.compile(r"[\s,、，]+")


def _networks(text: str) -> list[str]:
    """The networks as typed: one per line, or separated by commas or spaces."""
    return [n for n in _SEPARATORS.split(text.strip()) if n]


def _entry(organisation: str, networks: str) -> TrustedNetworkEntry | list[FieldError]:
    """The entry typed, or the errors of the form, each at its field."""
    errors = []
    if not organisation.strip():
        errors.append(FieldError("団体名を入力してください", "organisation"))
    elif len(organisation.strip()) > 100:
        errors.append(FieldError("団体名は100文字以内で入力してください", "organisation"))
    typed = _networks(networks)
    if not typed:
        errors.append(FieldError("IPアドレスまたはネットワークを入力してください", "networks"))
    elif len(typed) > 20:
        errors.append(FieldError("ネットワークは1団体20件までです", "networks"))
    if errors:
        return errors
    try:
        return TrustedNetworkEntry(organisation=organisation.strip(), networks=tuple(typed))
    except ValidationError:
        wrong = [n for n in typed if not _is_network(n)]
        shown = "、".join(wrong[:3]) or networks.strip()[:40]
        return [
            FieldError(
                f"IPアドレスまたはネットワークの形式が正しくありません（{shown}）。"
                "例：203.0.113.0/24（ホスト部は0にしてください）",
                "networks",
            )
        ]


def _is_network(text: str) -> bool:
    try:
        TrustedNetworkEntry(organisation="x", networks=(text,))
    except ValidationError:
        return False
    return True


def _shown(entry: TrustedNetworkEntry) -> str:
    return " ".join(str(n) for n in entry.networks)


async def _page(
    request: Request,
    policy: RealmPolicy,
    identity: Identity,
    session: Session,
    errors: list[FieldError] | tuple[()] = (),
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    try:
        found = await identity.bot_defence.trusted(policy, session)
    except (Problem, refusals.Refusal) as refused:
        return refused_page(request, policy, refused)
    return PAGES.render(
        request,
        "support_networks",
        status_code,
        realm=policy.name,
        errors=errors,
        title="画像認証の対象外IPアドレス",
        entries=[(e, _shown(e)) for e in found.entries],
        typed=typed or {},
        done=done,
    )


def _path(policy: RealmPolicy) -> str:
    return f"/realms/{policy.name}/support/trusted-networks"


@router.get("")
async def listed(request: Request, policy: Realm, identity: IdentityDep) -> Response:
    found = await desk_session(request, identity, policy, policy.bot_challenge)
    if isinstance(found, Response):
        return found
    return await _page(request, policy, identity, found)


@router.post("", dependencies=[CsrfChecked])
async def add(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    organisation: Organisation = "",
    networks: Networks = "",
) -> Response:
    """確認する shows the entry; 確定する adds it to the latest list."""
    found = await desk_session(request, identity, policy, policy.bot_challenge)
    if isinstance(found, Response):
        return found
    session = found
    typed = {"organisation": organisation, "networks": networks}
    entry = _entry(organisation, networks)
    if isinstance(entry, list):
        return await _page(request, policy, identity, session, entry, 422, typed)
    if step != "commit":
        return confirm(
            request,
            policy,
            "対象外IPアドレスの登録（確認）",
            [("団体名", entry.organisation), ("IPアドレス・ネットワーク", _shown(entry))],
            _path(policy),
            {"organisation": entry.organisation, "networks": _shown(entry)},
            _path(policy),
            explanation=(
                "以下のネットワークからのログインは、失敗が一定回数に達するまで画像認証を省略します。"
                "よろしければ「確定する」を押してください。"
            ),
        )
    try:
        await identity.bot_defence.add_trusted(policy, session, entry)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused, "organisation")]
        return await _page(request, policy, identity, session, errors, status_of(refused), typed)
    return await _page(
        request,
        policy,
        identity,
        session,
        done=f"{entry.organisation} のネットワークを登録しました",
    )


@router.post("/remove", dependencies=[CsrfChecked])
async def remove(
    request: Request,
    policy: Realm,
    identity: IdentityDep,
    step: Step = "",
    organisation: Organisation = "",
    networks: Networks = "",
) -> Response:
    """確認する shows the entry; 確定する removes it (an entry already gone changes nothing)."""
    found = await desk_session(request, identity, policy, policy.bot_challenge)
    if isinstance(found, Response):
        return found
    session = found
    entry = _entry(organisation, networks)
    if isinstance(entry, list):
        return await _page(
            request, policy, identity, session, [FieldError("削除する登録が見つかりません")], 422
        )
    if step != "commit":
        return confirm(
            request,
            policy,
            "対象外IPアドレスの削除（確認）",
            [("団体名", entry.organisation), ("IPアドレス・ネットワーク", _shown(entry))],
            f"{_path(policy)}/remove",
            {"organisation": entry.organisation, "networks": _shown(entry)},
            _path(policy),
            explanation=(
                "この登録を削除します。以後、これらのネットワークからのログインにも画像認証が必要になります。"
            ),
        )
    try:
        removed = await identity.bot_defence.remove_trusted(policy, session, entry)
    except (Problem, refusals.Refusal) as refused:
        errors = [refusal_error(refused)]
        return await _page(request, policy, identity, session, errors, status_of(refused))
    if not removed:
        return await _page(
            request,
            policy,
            identity,
            session,
            [FieldError("削除する登録が見つかりません（削除済みの可能性があります）")],
            404,
        )
    return await _page(
        request, policy, identity, session, done=f"{entry.organisation} の登録を削除しました"
    )
