from servicekit.runtime import serve
from services.identity.app import create_app
from services.identity.settings import IdentitySettings

serve(create_app, IdentitySettings())
