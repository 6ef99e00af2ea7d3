from servicekit.runtime import serve
from services.certs.app import create_app
from services.certs.settings import CertsSettings

serve(create_app, CertsSettings())
