"""Notify's browser pages: the support console's delivery log (WEB-04, X-15), beside the JSON
API and through the same use case; their templates are in ``templates/``."""

from services.notify.pages import deliveries
from webkit import assets

ROUTERS = [deliveries.router, assets.router]
