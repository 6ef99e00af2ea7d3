"""Bearer secrets the portal hands out: session ids, mailed links' tokens, binding cookies.

Each carries 256 random bits from the operating system's CSPRNG (X-11: at least 128), and is
kept only as its SHA-256 (X-02): a secret that random needs no slow hash, and a stolen database
holds nothing that works.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """256 random bits, URL-safe: 43 characters."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a token, and what a presented one is compared by."""
    return hashlib.sha256(token.encode()).hexdigest()
