from servicekit.runtime import serve
from services.audit.app import create_app
from services.audit.settings import AuditSettings

serve(create_app, AuditSettings())
