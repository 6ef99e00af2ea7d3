"""Certs' HTTP API: the realm's notices and certificates, and the CA's publication points."""

from services.certs.api import ca, certificates

ROUTERS = [certificates.router, ca.router]
