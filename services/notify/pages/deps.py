"""What notify's pages depend on: the use cases, identity's introspection and the realm, shared
with the API through ``web``, and the templates. The page's session is
``servicekit.credentials.browser_session_token``, as on every page; a refused browser is sent
to the login or shown the refusal's page (``PAGES.refused``), never a problem document."""

from pathlib import Path

from services.notify.web import Identity as Identity
from services.notify.web import Notify as Notify
from services.notify.web import RealmName as RealmName
from services.notify.web import delivery_log_reader as delivery_log_reader
from webkit.pages import Pages

PAGES = Pages(Path(__file__).resolve().parent / "templates")
