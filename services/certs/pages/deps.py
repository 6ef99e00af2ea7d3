"""What certs' screens depend on: the use cases, who operates (the support console's pages),
the realm, and the certificate the gateway forwarded (the renewal screen's proof of
possession), all shared with the API through ``web``:
the two doors share their dependencies there, never each other."""

from services.certs.web import AccessDep as AccessDep
from services.certs.web import CertsDep as CertsDep
from services.certs.web import GatewayCertificate as GatewayCertificate
from services.certs.web import Realm as Realm
