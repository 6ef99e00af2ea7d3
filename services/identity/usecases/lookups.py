"""How a forgotten-password request finds whom it names (ID-PW-04, -05, -08) at the same cost
whoever that is: the user behind a login ID, or the unknown ID's shadow slot, each in the same
reads, so the answer's timing tells nothing."""

from __future__ import annotations

from servicekit.repository import Versioned
from services.identity.domain import lockout
from services.identity.domain.lockout import ShadowSlot
from services.identity.domain.realms import RealmPolicy
from services.identity.domain.users import User, user_aggregate_id
from services.identity.usecases.context import Context


async def user_named(context: Context, realm: RealmPolicy, login_id: str) -> Versioned[User] | None:
    """The user a forgotten-password request names, in two reads after the login ID's: the
    head hint and the version it names, trusted as the login trusts it (a commit on a stale one
    only loses a race and decides again; a hint shown from it is the user's own, a moment old).
    ``shadow_of`` costs the same two reads, so an unknown ID takes no less time. ``None``, or a
    missing state: nobody has the ID."""
    owner = await context.store.login_ids.owner_of(realm.name, login_id)
    if owner is None:
        return None
    return await context.store.users.load(user_aggregate_id(realm.name, owner), trust_hint=True)


async def shadow_of(
    context: Context, realm: RealmPolicy, login_id: str
) -> tuple[lockout.ShadowId, Versioned[ShadowSlot]]:
    """An unknown ID's shadow slot, the same one its failed logins count on (bounded in number,
    X-14), loaded as ``user_named`` loads a user: the head hint and the version it names, or
    the one probe that finds a slot never written."""
    shadows = context.shadows
    shadow = lockout.shadow_id(context.shadow_key, realm.name, login_id, shadows.slots)
    slot = await context.store.shadows.load(lockout.shadow_aggregate_id(shadow), trust_hint=True)
    return shadow, slot
