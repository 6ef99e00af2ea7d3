"""The login numbers a realm has assigned (``domain.login_numbers``) as stored documents: one
small aggregate per realm on the versioned store, whose next version is the next number."""

from __future__ import annotations

from typing import Any

from servicekit.repository import Repository
from servicekit.store import VersionedStore
from services.identity.domain.login_numbers import LoginNumbers


def _to_document(numbers: LoginNumbers) -> dict[str, Any]:
    return {"realm": numbers.realm, "last": numbers.last}


def _from_document(doc: dict[str, Any]) -> LoginNumbers:
    return LoginNumbers(doc["realm"], int(doc["last"]))


def login_numbers(versioned: VersionedStore) -> Repository[LoginNumbers]:
    return Repository(versioned, _to_document, _from_document)
