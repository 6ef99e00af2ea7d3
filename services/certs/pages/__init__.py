"""kihonet's certificate screens (WEB-01): issue, status and renewal, in the portal's look,
apart from the JSON API; their templates are in ``templates/``."""

from services.certs.pages import issue, renewal
from webkit import assets

ROUTERS = [issue.router, renewal.router, assets.router]
