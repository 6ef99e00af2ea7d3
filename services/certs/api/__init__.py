"""Certs' HTTP API: the realm's notices and certificates, and the CA's publication points."""

from services.certs.api import ca, certificates, pages
from webkit import assets

ROUTERS = [certificates.router, ca.router, pages.router, assets.router]
