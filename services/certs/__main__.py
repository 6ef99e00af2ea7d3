import sys

from servicekit.runtime import serve
from services.certs import cli
from services.certs.app import create_app
from services.certs.settings import CertsSettings

if len(sys.argv) > 1:
    cli.main(sys.argv[1:])
else:
    serve(create_app, CertsSettings())
