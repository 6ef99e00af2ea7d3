"""Identity's storage on the shared versioned store: repositories of typed aggregates
(users, organisations, shadow-count slots, client-address slots, trusted networks), unique login
IDs, link tokens (and used challenges) and sessions."""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.clock import Clock
from servicekit.repository import Repository
from servicekit.store import VersionedStore
from services.identity.domain.bot_defence import AddressSlot, TrustedAddresses
from services.identity.domain.lockout import ShadowSlot
from services.identity.domain.organisations import Organisation
from services.identity.domain.users import User
from services.identity.store import documents
from services.identity.store.claims import LinkTokens, LoginIds
from services.identity.store.directory import OrgDirectory
from services.identity.store.numbers import login_numbers
from services.identity.store.sessions import SessionStore


class IdentityStore:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        versioned: VersionedStore,
        clock: Clock,
        recent_sessions: timedelta = timedelta(0),
    ) -> None:
        self.versioned = versioned
        self.db = db
        self.users: Repository[User] = Repository(
            versioned, documents.user_to_document, documents.user_from_document
        )
        self.organisations: Repository[Organisation] = Repository(
            versioned, documents.organisation_to_document, documents.organisation_from_document
        )
        self.shadows: Repository[ShadowSlot] = Repository(
            versioned, documents.shadow_slot_to_document, documents.shadow_slot_from_document
        )
        self.addresses: Repository[AddressSlot] = Repository(
            versioned, documents.address_slot_to_document, documents.address_slot_from_document
        )
        self.trusted: Repository[TrustedAddresses] = Repository(
            versioned, documents.trusted_to_document, documents.trusted_from_document
        )
        self.login_ids = LoginIds(db, clock)
        self.login_numbers = login_numbers(versioned)
        self.org_directory = OrgDirectory(db)
        self.link_tokens = LinkTokens(db, clock)
        self.sessions = SessionStore(db, clock, recent_sessions)

    async def server_key(self, name: str) -> bytes:
        """A random key of this deployment, made once and kept in the database: for when the
        settings give none. Every replica and restart reads the same one."""
        keys = self.db["server_keys"]
        with contextlib.suppress(DuplicateKeyError):
            await keys.insert_one({"_id": name, "key": secrets.token_hex(32)})
        found = await keys.find_one({"_id": name})
        assert found is not None, "inserted or found"
        return bytes.fromhex(found["key"])
