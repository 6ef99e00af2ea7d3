from servicekit.runtime import serve
from services.enroll.app import create_app
from services.enroll.settings import EnrollSettings

serve(create_app, EnrollSettings())
