"""Notify's mail adapters, used by the use cases: an order becomes a letter (``letters``, the
wording from ``rendering`` and the Jinja2 ``templates/`` beside it) and goes to the SMTP server
(``smtp``: the connection pool and the retries). They do the I/O and the MIME the pure rules of
``services.notify.domain`` leave out."""
