"""One's own history (AU-07): the session's user reads its rows of the last 90 days, newest
first, a page at a time; the page and the JSON API both answer through here.

The caller names no user: the only user this serves is the session's own (X-15), so a support
operator or an admin sees its own rows here too, and reads others' with its own tools.
"""

from __future__ import annotations

from domainkit.callers import Caller
from servicekit.clock import Clock
from services.audit.domain.own_history import OwnPage, buckets_shown, page_of
from services.audit.store.own_history import OwnHistories


class OwnHistory:
    def __init__(self, own: OwnHistories, clock: Clock) -> None:
        self.own = own
        self.clock = clock

    async def page(self, caller: Caller, page: int = 1) -> OwnPage:
        """The caller's own rows in the window, ``page`` of them (a page past the last: the
        last); asked only once ``Access.own_reader`` let the caller through."""
        now = self.clock.now()
        rows = await self.own.of(caller.realm, caller.user_id, buckets_shown(now))
        return page_of(rows, now, page)
