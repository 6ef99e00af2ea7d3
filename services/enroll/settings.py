from servicekit.settings import ServiceSettings


class EnrollSettings(ServiceSettings):
    service_name: str = "enroll"
    http_port: int = 8005
