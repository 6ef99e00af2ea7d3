"""The proof-of-work challenge of ID-BOT-01, made and checked with ALTCHA's own library.

Why ALTCHA (``altcha`` on PyPI, the v2 protocol of its widget): it is maintained by the makers of
the browser widget it pairs with, has no dependencies, signs each challenge with an HMAC so
that the server keeps no state until a solution comes back, and asks a browser for work a
person does not notice while a bot pays for every try; it sends nothing to a third party. An
image CAPTCHA (``captcha``) would have matched the seed's word (画像認証) more literally, but
it shuts out people who cannot read distorted text, and machine vision reads it anyway.

Each challenge is made in the library's deterministic mode: the server picks the counter the
browser must find below ``max_number``, so the work is exactly the difficulty the address
earned (ID-BOT-02), and checking a solution is one HMAC. A challenge names the realm and the
keyed digest of the client address it was made for, so one solved for an easy address is no
good from a hard one; it is single-use, which the caller makes sure of (X-13). Its expiry is
in its signed ``data``, not in the protocol's ``expiresAt``: the library checks that one
against the machine's real time, and every expiry here is the service's injectable clock's
(X-04), which tests move.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import altcha

ALGORITHM = "SHA-256"
"""One SHA-256 per number tried: what browsers' WebCrypto does fastest, so a person waits least
for the same work a bot must do."""
COST = 1


@dataclass(frozen=True)
class Keys:
    signing: bytes
    """Signs a challenge's parameters: nobody can make or alter one."""
    solution: bytes
    """Signs the expected solution inside the challenge: a check is one HMAC."""

    @classmethod
    def derived_from(cls, secret: bytes) -> Keys:
        return cls(
            hmac.new(secret, b"altcha challenge", hashlib.sha256).digest(),
            hmac.new(secret, b"altcha solution", hashlib.sha256).digest(),
        )


def new_challenge(
    keys: Keys, max_number: int, realm: str, client: str, expires_at: datetime
) -> dict[str, Any]:
    """A challenge for ``client`` (the address's digest): the ALTCHA widget's JSON."""
    challenge = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=secrets.randbelow(max_number),
        data={
            "realm": realm,
            "client": client,
            "maxNumber": max_number,
            "expires": int(expires_at.timestamp()),
        },
        hmac_secret=keys.signing,
        hmac_key_secret=keys.solution,
    )
    found: dict[str, Any] = challenge.to_dict()
    return found


class Refused(Enum):
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"
    ELSEWHERE = "elsewhere"
    """Made for another realm or another client address."""
    WRONG = "wrong"


@dataclass(frozen=True)
class Checked:
    refused: Refused | None
    nonce: str = ""
    """The challenge's random nonce: what marks it used."""
    expires_at: datetime | None = None


def check(payload: str, keys: Keys, realm: str, client: str, now: datetime) -> Checked:
    """A solved challenge as the widget sends it (base64 JSON), checked without any state."""
    try:
        parsed = altcha.Payload.from_base64(payload)
        result = altcha.verify_solution(parsed, keys.signing, hmac_key_secret=keys.solution)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return Checked(Refused.MALFORMED)
    if result.invalid_signature or result.error:
        return Checked(Refused.FORGED)
    parameters = parsed.challenge.parameters
    data = parameters.data or {}
    expires = data.get("expires")
    if not isinstance(expires, int) or now.timestamp() >= expires:
        return Checked(Refused.EXPIRED)
    if data.get("realm") != realm or data.get("client") != client:
        return Checked(Refused.ELSEWHERE)
    if not result.verified:
        return Checked(Refused.WRONG)
    return Checked(None, parameters.nonce, datetime.fromtimestamp(expires, UTC))
