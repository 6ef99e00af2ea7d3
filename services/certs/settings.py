from servicekit.settings import ServiceSettings


class CertsSettings(ServiceSettings):
    service_name: str = "certs"
    http_port: int = 8003
