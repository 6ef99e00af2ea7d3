"""Identity's collections on the shared versioned store."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock
from servicekit.store import UniqueFacts, VersionedStore


class IdentityStore:
    """Aggregates (organisations, later users and sessions) and the unique login IDs."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], versioned: VersionedStore, clock: Clock
    ) -> None:
        self.aggregates = versioned
        self.login_ids = UniqueFacts(db, "login_ids", clock)
