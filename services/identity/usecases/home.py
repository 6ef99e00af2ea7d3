"""The portal's top page for a signed-in person (WEB-01, WEB-05, ID-LOGIN-04): whom it greets
(ようこそ…様, seed 002), the previous login, and the menus of the seed portal the realm
reproduces (``domain.portal_menus``), the business screens outside this platform at the
addresses the deployment names (the ``PORTAL_LINKS`` setting)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.identity.domain import portal_menus
from services.identity.domain.portal_menus import Entry
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.sessions import Session
from services.identity.usecases.context import Context


@dataclass(frozen=True)
class ShownMenu:
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Home:
    page_title: str
    name: str | None
    """The person's name as their profile holds it, where it has one."""
    previous_login: str | None
    menus: tuple[ShownMenu, ...]
    guide: tuple[Entry, ...]


class PortalHome:
    def __init__(self, context: Context, links: Mapping[str, Mapping[str, str]]) -> None:
        self.context = context
        self.links = links
        """Per realm, the address of each business screen outside this platform."""

    async def home(self, realm: RealmPolicy, session: Session) -> Home:
        """The session's own top page: only its own user is read."""
        user = await self.context.user(realm, session.user_id)
        portal = portal_menus.portal(realm.name)
        targets = self.links.get(realm.name, {})
        owes = session.needs_otp

        def shown(items: tuple[portal_menus.MenuItem, ...]) -> tuple[Entry, ...]:
            return portal_menus.entries(realm.name, items, targets, owes)

        previous = session.previous_login_at
        return Home(
            page_title=portal.page_title,
            name=user.profile.name if user is not None else None,
            previous_login=portal_menus.previous_login(previous) if previous else None,
            menus=tuple(
                ShownMenu(m.title, shown(m.items)) for m in portal.menus.get(session.role, ())
            ),
            guide=shown(portal.guide),
        )

    def link_target(self, realm: RealmPolicy, key: str) -> str | None:
        """What a business screen of the realm is (its menu label), if the realm has it."""
        return portal_menus.link_targets(realm.name).get(key)
