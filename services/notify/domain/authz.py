"""Who may read a realm's delivery log (X-15): that realm's support desk, nobody else.

The log tells whom mail went to, so it is operator data: a caller is asked for through
identity's introspection before anything is searched, and a stranger, another realm's support,
a restricted session and a portal user of the realm are all refused without a word about
whether any delivery exists.
"""

from __future__ import annotations

from domainkit.callers import Caller, Refusal, realm_support


def may_read_deliveries(caller: Caller, realm: str) -> Refusal | None:
    """The realm's support operators, once their login is complete (the shared check)."""
    return realm_support(caller, realm)
