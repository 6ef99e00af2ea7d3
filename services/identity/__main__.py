import sys

from servicekit.runtime import serve
from services.identity import cli
from services.identity.app import create_app
from services.identity.settings import IdentitySettings

if len(sys.argv) > 1:
    cli.main(sys.argv[1:])
else:
    serve(create_app, IdentitySettings())
