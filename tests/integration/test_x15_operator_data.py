"""X-15 on the running services: operator data only for the right role, and nobody else learns
whether the thing asked for exists.

Identity, notify and audit run as processes; every caller is a real session from identity's
HTTP API (or none, or junk). Each protected route is asked by each caller that may not read it,
for something that exists (a realm with mail, an organisation) and for things that do not (a
realm without mail, an unknown realm, an unknown organisation): the answers must be one and the
same refusal.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from harness import Infra, Namespace, ServiceProcess, eventually, running_service
from identity_client import (
    bearer,
    create_user,
    log_in,
    new_org,
    ready_admin,
    signed_in,
    support_session,
    token_of,
)
from mail_catchers import new_address, publish
from mail_events import MAIL_TYPES, PRIVATE_KEY

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Platform:
    notify: str
    audit: str
    org_id: str
    tokens: dict[str, str]
    """Caller → bearer token; '' sends no credential at all."""

    def get(self, url: str, caller: str) -> httpx.Response:
        token = self.tokens[caller]
        return httpx.get(url, headers=bearer(token) if token else {}, timeout=30)


@pytest.fixture(scope="module")
def platform(
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    identity: tuple[ServiceProcess, Namespace],
) -> Iterator[Platform]:
    """Notify and audit beside the module's identity, demo's people, and a demo mail in
    notify's delivery log, so that the log the strangers are refused is not empty."""
    url = identity[0].url
    admin, org = ready_admin(url)
    login_id = f"XA5{uuid.uuid4().hex[:8]}"
    business = create_user(url, "demo", org["org_id"], admin, login_id).json()
    newcomer = new_org(url, "demo", f"XA3{uuid.uuid4().hex[:8]}")
    tokens = {
        "no credential": "",
        "junk credential": "x" * 43,
        "another realm's support": support_session(identity[0], "nexi")[0],
        "a business user": signed_in(url, "demo", login_id, business["initial_password"]),
        "a session that must change its password": token_of(
            log_in(url, "demo", newcomer["admin_login_id"], newcomer["initial_password"])
        ),
        "the organisation's admin": admin,
        "demo support": support_session(identity[0], "demo")[0],
    }
    logs = tmp_path_factory.mktemp("x15")
    with (
        running_service(
            "notify", infra, logs, notify_private_key=PRIVATE_KEY, identity_url=url
        ) as (notify, ns),
        running_service("audit", infra, logs, identity_url=url) as (audit, _),
    ):
        found = Platform(notify.url, audit.url, org["org_id"], tokens)
        mail = MAIL_TYPES["otp"](new_address("x15")).event.model_copy(update={"realm": "demo"})
        asyncio.run(publish(infra.kafka_bootstrap_servers, ns.topic_prefix, mail))
        log = f"{notify.url}/v1/realms/demo/deliveries"
        asyncio.run(eventually(lambda: found.get(log, "demo support").json()["items"]))
        yield found


def deliveries(p: Platform, realm: str = "demo") -> str:
    return f"{p.notify}/v1/realms/{realm}/deliveries"


def history(what: str) -> Any:
    def url(p: Platform, realm: str = "demo", org_id: str | None = None) -> str:
        return f"{p.audit}/v1/realms/{realm}/orgs/{org_id or p.org_id}/{what}"

    return url


#: Each protected route outside identity: how to ask it for what exists, and for what does not.
ROUTES = {
    "notify: the delivery log": (
        deliveries,
        [{"realm": "kencom"}, {"realm": "atlantis"}],
    ),
    "audit: the access-history preview": (
        history("access-history/preview"),
        [{"org_id": uuid.uuid4().hex}, {"realm": "atlantis"}],
    ),
    "audit: the access-history CSV": (
        history("access-history.csv"),
        [{"org_id": uuid.uuid4().hex}, {"realm": "atlantis"}],
    ),
    "audit: the access records": (
        history("access-records"),
        [{"org_id": uuid.uuid4().hex}, {"realm": "atlantis"}],
    ),
}

#: Who may not read any of them, and the one answer each gets.
REFUSED = {
    "no credential": (401, "SESSION_EXPIRED"),
    "junk credential": (401, "SESSION_EXPIRED"),
    "another realm's support": (403, "FORBIDDEN"),
    "a business user": (403, "FORBIDDEN"),
    "a session that must change its password": (403, "PASSWORD_CHANGE_REQUIRED"),
}


def refusal(answer: httpx.Response) -> dict[str, Any]:
    """The problem document, but for ``instance`` (the path asked)."""
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return {k: v for k, v in answer.json().items() if k != "instance"}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("caller", sorted(REFUSED))
def test_x_15_operator_data_refuses_strangers_and_foreign_callers_alike_whether_it_exists_or_not(
    platform: Platform, route: str, caller: str
) -> None:
    url, missing = ROUTES[route]
    answer = platform.get(url(platform), caller)
    assert (answer.status_code, answer.json()["code"]) == REFUSED[caller]
    for elsewhere in missing:
        assert refusal(platform.get(url(platform, **elsewhere), caller)) == refusal(answer), (
            f"{caller} learns nothing from asking {elsewhere}"
        )


@pytest.mark.parametrize("realm", ["demo", "kencom", "atlantis"])
def test_x_15_the_delivery_log_answers_a_portal_admin_like_any_other_non_support_caller(
    platform: Platform, realm: str
) -> None:
    answer = platform.get(deliveries(platform, realm), "the organisation's admin")
    assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN")


def test_x_15_the_realms_support_reads_its_own_delivery_log_and_no_other_realms(
    platform: Platform,
) -> None:
    own = platform.get(deliveries(platform), "demo support")
    assert own.status_code == 200
    assert {d["realm"] for d in own.json()["items"]} == {"demo"}
    for realm in ("nexi", "atlantis"):
        foreign = platform.get(deliveries(platform, realm), "demo support")
        assert (foreign.status_code, foreign.json()["code"]) == (403, "FORBIDDEN")
    nexi = platform.get(deliveries(platform, "nexi"), "another realm's support")
    assert (nexi.status_code, nexi.json()["items"]) == (200, []), "nexi has no demo mail"


def test_x_15_audit_answers_the_organisations_admin_and_its_realms_support(
    platform: Platform,
) -> None:
    for caller in ("the organisation's admin", "demo support"):
        answer = platform.get(history("access-records")(platform), caller)
        assert answer.status_code == 200, answer.text
