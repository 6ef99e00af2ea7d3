"""Password hashing (ID-PW-01): argon2id at OWASP's minimum parameters or above.

OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as the minimum configuration for
argon2id. Verification runs in a worker thread: a hash takes tens of milliseconds of CPU, and
the event loop must keep serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter

#: Counted so that a test can compare the work a login does across account states (a wrong
#: password must cost the same whatever the account's state: no timing oracle).
VERIFICATIONS = Counter(
    "identity_password_verifications_total", "argon2id verifications of a typed password"
)

OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2

#: OWASP's equivalent argon2id minimums: (memory KiB, iterations), parallelism 1. Keycloak 26's
#: default (7 MiB, 5 iterations) is the last of them.
OWASP_EQUIVALENTS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def make_hasher(
    memory_kib: int = OWASP_MIN_MEMORY_KIB, time_cost: int = OWASP_MIN_TIME_COST
) -> PasswordHasher:
    """An argon2id hasher; refuses parameters below every one of OWASP's equivalent minimums."""
    if not any(memory_kib >= m and time_cost >= t for m, t in OWASP_EQUIVALENTS):
        raise ValueError(f"argon2id m={memory_kib} KiB, t={time_cost} is below OWASP's minimum")
    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=1,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


HASHER = make_hasher()


def configure(memory_kib: int, time_cost: int) -> None:
    """Set the parameters new hashes use (at start-up, from settings)."""
    global HASHER, DUMMY_HASH  # one process-wide policy, set once at start
    HASHER = make_hasher(memory_kib, time_cost)
    DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


#: Verified against when the login ID is unknown, so that an unknown ID costs the same time as
#: a wrong password (ID-LOGIN-01 step 3): no enumeration by timing.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

#: Letters and digits without the ones people misread (0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 12) -> str:
    """A random password with at least one letter and one digit (ID-PW-03, -05, -06)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones (ID-PW-01)."""
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False


async def verify_password(stored_hash: str, password: str) -> bool:
    """Constant-time comparison inside argon2; never raises for a wrong password."""
    VERIFICATIONS.inc()
    return await asyncio.to_thread(_verify, stored_hash, password)
