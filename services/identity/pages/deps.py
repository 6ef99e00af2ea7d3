"""What identity's pages depend on: the use cases, the realm, the user a page is about, and
the client, all shared with the JSON API through ``web`` (the two doors share their
dependencies there, never each other). Who the page's browser is, is read by ``kit``.
"""

from services.identity.web import ClientAddress as ClientAddress
from services.identity.web import ClientDep as ClientDep
from services.identity.web import IdentityDep as IdentityDep
from services.identity.web import Realm as Realm
from services.identity.web import UserId as UserId
from services.identity.web import client_address as client_address
