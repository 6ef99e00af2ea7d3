"""Enroll's one synchronous call to identity: hand it the sign-up's credential (EN-05, EN-08).

Why a call and not an event: the password must reach identity, which alone hashes it, and it
may cross neither Kafka nor enroll's database in clear. An event would have to carry it (sealed
or not) through the bus and enroll's outbox; a call keeps it in this request's memory only, on
its way to identity, which answers once it holds the hash. Everything after (activation,
eligibility, the member's creation) is a saga of events. Identity also answers whether the
address is a member's already, so that the sign-up mails the right thing (EN-01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from servicekit.logs import get_logger
from servicekit.outages import Unavailable

log = get_logger(__name__)


@dataclass(frozen=True)
class Held:
    """Identity holds the credential, or the address is a member's already (nothing held)."""

    address_registered: bool


class CredentialRefused(Exception):
    """Identity refused the credential (the password policy, a full-width character, the
    address's shape): its problem's code, detail and fields, passed on to the person."""

    def __init__(self, code: str, detail: str | None, errors: list[Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.errors = errors


class IdentityUnavailable(Unavailable):
    """Identity did not answer, or not as agreed: the sign-up cannot begin now. An outage
    (``servicekit.outages``): answered 503 with ``Retry-After``, as a page on a page."""


class CredentialHolder(Protocol):
    async def hold(self, signup_id: str, login_id: str, password: str) -> Held: ...


@dataclass
class IdentityClient:
    """``POST /v1/realms/kencom/enrolments`` with the enrolment token (identity's README)."""

    identity_url: str
    token: str
    timeout: float = 15.0
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.identity_url, timeout=self.timeout)
        return self._client

    async def hold(self, signup_id: str, login_id: str, password: str) -> Held:
        if not self.token:
            log.error("no ENROLMENT_TOKEN: identity cannot be asked to hold a credential")
            raise IdentityUnavailable("not configured")
        try:
            answer = await self.client.post(
                "/v1/realms/kencom/enrolments",
                json={"signup_id": signup_id, "login_id": login_id, "password": password},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as err:
            raise IdentityUnavailable(type(err).__name__) from None
        if answer.status_code == httpx.codes.OK:
            return Held(address_registered=bool(answer.json().get("address_registered")))
        if answer.status_code == httpx.codes.UNPROCESSABLE_ENTITY:
            body = answer.json()
            raise CredentialRefused(body.get("code", ""), body.get("detail"), body.get("errors"))
        log.error("identity refused to hold a credential", status=answer.status_code)
        raise IdentityUnavailable(str(answer.status_code))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
