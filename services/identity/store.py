"""Identity's collections on the shared versioned store."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock
from servicekit.store import UniqueFacts, VersionedStore
from services.identity.sessions import Sessions


class IdentityStore:
    """Aggregates (organisations, users, shadow counters), unique login IDs, and sessions."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], versioned: VersionedStore, clock: Clock
    ) -> None:
        self.aggregates = versioned
        self.login_ids = UniqueFacts(db, "login_ids", clock)
        self.sessions = Sessions(db)
        self.link_tokens = UniqueFacts(db, "link_tokens", clock)
        """Which user a mailed link's token belongs to, by the token's SHA-256."""
