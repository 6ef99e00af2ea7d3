"""The platform's services. Each is a package of the same shape and none imports another:
they talk through Kafka events (``libs/contracts``) and share only ``libs/servicekit``."""
