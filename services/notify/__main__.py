from servicekit.runtime import serve
from services.notify.app import create_app
from services.notify.settings import NotifySettings

serve(create_app, NotifySettings())
