"""Certs' HTTP API: the realm's notices and certificates, and the CA's publication points."""

from services.certs.api import ca, certificates, pages, renewal_page
from webkit import assets

ROUTERS = [certificates.router, ca.router, pages.router, renewal_page.router, assets.router]
