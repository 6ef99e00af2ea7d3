"""kihonet's certificate screens (WEB-01): issue, status and renewal, and the support console's
notices and holders (WEB-04), in the portal's look, apart from the JSON API; their templates are
in ``templates/``."""

from services.certs.pages import holders, issue, notices, renewal
from webkit import assets

ROUTERS = [issue.router, renewal.router, notices.router, holders.router, assets.router]
