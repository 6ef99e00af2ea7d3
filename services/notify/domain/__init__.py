"""Notify's rules, pure: which mail an event asks for (``mails``), how a mail shows its secrets
and times (``wording``), how each portal writes its mail (``realms``), what became of a mail and
how that is announced (``deliveries``), and who may read the delivery log (``authz``).

No I/O here: no SMTP, no templates on disk, no database, no bus. The use cases around it do
that (``services.notify.usecases``).
"""
