"""servicekit: the plumbing every service of the platform is built on, written once.

- ``settings``  pydantic-settings base with the variable names all services share (X-09)
- ``clock``     an injectable clock, so time-dependent rules are tested by moving it (X-04)
- ``logs``      structlog JSON logging with a ``correlation_id`` from HTTP to Kafka and back (X-08)
- ``problems``  RFC 9457 problem+json errors with a stable ``code`` and Japanese ``title`` (X-05)
- ``credentials`` the session token (bearer or cookie, CSRF-checked: X-12) and identity's
                introspection of it as a typed caller, for every service's authorisation (X-15)
- ``store``     the insert-only versioned store of X-13, whose commits are the outbox (X-03)
- ``repository`` typed aggregates on the store: documents mapped to aggregates in one place
- ``compaction`` superseded versions deleted once relayed, a job every runtime runs (X-14)
- ``jobs``      scheduled jobs (run now, then every so often), supervised by the runtime
- ``publish``   the one way to publish events: idempotent producer, keys and headers (X-01, X-08)
- ``relay``     the outbox relay that publishes committed events to Kafka (X-03)
- ``lease``     which replica's relay publishes now: a term claimed by insert (X-16, X-13)
- ``bus``       the FastStream broker factory, event subscribers with an explicit ack policy,
                dead letters and the idempotent-consumer inbox (X-03, X-14)
- ``supervise`` background tasks restarted with back-off and shown in ``/readyz`` (X-17)
- ``runtime``   one process per service: FastAPI + subscribers + relay, health, readiness, metrics
"""
